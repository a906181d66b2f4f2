#!/usr/bin/env node
// A test driver around the real `socket.io-client` (v4), as FBA's web UI uses it.
//
// Reads one JSON command per line on stdin and prints one JSON line per observation on stdout:
//
//   {"op":"connect","url":"http://127.0.0.1:PORT","auth":{...},"namespace":"/"}
//       -> {"type":"connect","id":"<sid>"} | {"type":"connect_error","message":"..."}
//   {"op":"emit","event":"name","args":[...],"ack":true,"binary":false}
//       -> {"type":"ack","event":"name","args":[...]} when ack is true (or {"type":"ack_timeout"})
//   {"op":"disconnect"}  -> {"type":"disconnect","reason":"io client disconnect"}
//   {"op":"exit"}        -> the process ends
//   {"op":"raw_open","url":"ws://…/ws/socket.io/?EIO=4&transport=websocket","origin":"…"}
//       -> a plain websocket (the `ws` package socket.io-client itself uses): every frame is
//          printed as {"type":"raw_message","data":"..."}, the end as {"type":"raw_close","code":N},
//          a refused upgrade as {"type":"raw_refused","status":N}
//   {"op":"raw_send","data":"40{}"} / {"op":"raw_send_binary"} -> send a text / binary frame
//
// Every server event is printed as {"type":"event","name":"...","args":[...]}, every disconnect
// as {"type":"disconnect","reason":"..."}. Options of "connect": "path" (default
// "/ws/socket.io"), "transports" (default ["websocket"], as the UI), "reconnection" (default
// false), "ackTimeoutMs" (default 5000). Anything unexpected prints {"type":"error",...}.
'use strict';

const readline = require('node:readline');
const { io } = require('socket.io-client');
const WebSocket = require('ws');

let socket = null;
let raw = null;

function out(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function connect(cmd) {
  const url = cmd.url + (cmd.namespace && cmd.namespace !== '/' ? cmd.namespace : '');
  socket = io(url, {
    path: cmd.path || '/ws/socket.io',
    transports: cmd.transports || ['websocket'],
    auth: cmd.auth === undefined ? {} : cmd.auth,
    reconnection: cmd.reconnection === true,
    forceNew: true,
    timeout: cmd.timeoutMs || 10000,
  });
  socket.on('connect', () => out({ type: 'connect', id: socket.id }));
  socket.on('connect_error', (err) => out({ type: 'connect_error', message: err.message, data: err.data === undefined ? null : err.data }));
  socket.on('disconnect', (reason) => out({ type: 'disconnect', reason }));
  socket.onAny((name, ...args) => out({ type: 'event', name, args }));
  socket.io.on('open', () => {
    socket.io.engine.on('close', (reason) => out({ type: 'engine_close', reason }));
  });
}

function emit(cmd) {
  if (!socket) {
    out({ type: 'error', message: 'emit before connect' });
    return;
  }
  const args = (cmd.args || []).slice();
  if (cmd.binary) {
    args.push(Buffer.from([1, 2, 3]));
  }
  if (cmd.ack) {
    socket.timeout(cmd.ackTimeoutMs || 5000).emit(cmd.event, ...args, (err, ...reply) => {
      if (err) {
        out({ type: 'ack_timeout', event: cmd.event });
      } else {
        out({ type: 'ack', event: cmd.event, args: reply });
      }
    });
  } else {
    socket.emit(cmd.event, ...args);
  }
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    out({ type: 'error', message: `bad command: ${e.message}` });
    return;
  }
  switch (cmd.op) {
    case 'connect':
      connect(cmd);
      break;
    case 'emit':
      emit(cmd);
      break;
    case 'raw_open':
      raw = new WebSocket(cmd.url, cmd.origin ? { origin: cmd.origin } : {});
      raw.on('open', () => out({ type: 'raw_open' }));
      raw.on('message', (data, isBinary) => out({ type: 'raw_message', data: isBinary ? null : data.toString() }));
      raw.on('close', (code) => out({ type: 'raw_close', code }));
      raw.on('unexpected-response', (req, res) => out({ type: 'raw_refused', status: res.statusCode }));
      raw.on('error', (err) => out({ type: 'raw_error', message: err.message }));
      break;
    case 'raw_send':
      raw.send(cmd.data);
      break;
    case 'raw_send_binary':
      raw.send(Buffer.from([1, 2, 3]));
      break;
    case 'disconnect':
      if (socket) socket.disconnect();
      break;
    case 'exit':
      if (socket) socket.close();
      if (raw) raw.terminate();
      process.exit(0);
      break;
    default:
      out({ type: 'error', message: `unknown op ${cmd.op}` });
  }
});
// The test ends or dies: end with it.
rl.on('close', () => {
  if (socket) socket.close();
  if (raw) raw.terminate();
  process.exit(0);
});
out({ type: 'ready' });
