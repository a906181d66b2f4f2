#!/usr/bin/env node
// Opens N idle authenticated Socket.IO sockets (the real socket.io-client, as FBA's UI) and
// holds them until stdin closes. Used by scripts/bench-sockets.sh.
//
//   node bench.js URL TOKEN SESSION_UUID N [CONCURRENCY]
//
// Prints JSON lines: {"type":"progress","connected":n,"failed":n} while opening,
// {"type":"ready","connected":n,"failed":n,"ms":t} when all have answered, and
// {"type":"closed"} after closing them (stdin closed).
'use strict';

const { io } = require('socket.io-client');

const [url, token, session, nArg, concArg] = process.argv.slice(2);
const total = Number(nArg || 1000);
const concurrency = Number(concArg || 200);
const sockets = [];
let connected = 0;
let failed = 0;
let started = 0;
const t0 = Date.now();

function out(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function openOne() {
  return new Promise((resolve) => {
    const s = io(url, {
      path: '/ws/socket.io',
      transports: ['websocket'],
      auth: { token, session_uuid: session },
      reconnection: false,
      forceNew: true,
      timeout: 30000,
    });
    sockets.push(s);
    s.once('connect', () => {
      connected += 1;
      resolve();
    });
    s.once('connect_error', (err) => {
      failed += 1;
      if (failed <= 5) out({ type: 'error', message: err.message });
      resolve();
    });
  });
}

async function worker() {
  while (started < total) {
    started += 1;
    await openOne();
    if ((connected + failed) % 1000 === 0) out({ type: 'progress', connected, failed });
  }
}

(async () => {
  await Promise.all(Array.from({ length: concurrency }, worker));
  out({ type: 'ready', connected, failed, ms: Date.now() - t0 });
  process.stdin.resume();
  process.stdin.on('end', () => {
    for (const s of sockets) s.close();
    out({ type: 'closed' });
    setTimeout(() => process.exit(0), 500);
  });
})();
