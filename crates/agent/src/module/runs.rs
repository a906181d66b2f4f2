//! A run's events for its listeners: a ring of the last `AGENT_RUN_EVENT_BUFFER` events
//! (replayed to a client that reattaches with `Last-Event-ID`) plus a broadcast channel for
//! the live ones. Each event gets the next id of its run, from 1.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{broadcast, mpsc};

use crate::runtime::{AgentEvent, EventKind};

/// One event as sent: its id within the run, its type and its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The id within the run (1, 2, ...).
    pub seq: u64,
    /// The SSE `event:` type.
    pub event: &'static str,
    /// The SSE `data:` JSON.
    pub data: String,
    /// Whether it is the main agent's `run_finished` (the stream ends after it).
    pub ends: bool,
}

impl Frame {
    /// The frame's SSE text: `id: <run>:<seq>\nevent: <type>\ndata: <json>\n\n`.
    pub fn sse(&self, run_id: &str) -> String {
        format!(
            "id: {run_id}:{}\nevent: {}\ndata: {}\n\n",
            self.seq, self.event, self.data
        )
    }
}

#[derive(Debug)]
struct Ring {
    frames: VecDeque<Frame>,
    next: u64,
    finished: bool,
}

/// The events of one run.
#[derive(Debug)]
pub struct RunBuffer {
    run_id: String,
    capacity: usize,
    ring: Mutex<Ring>,
    tx: broadcast::Sender<Frame>,
}

impl RunBuffer {
    /// An empty buffer keeping `capacity` events of run `run_id`.
    pub fn new(run_id: &str, capacity: usize) -> Arc<Self> {
        let (tx, _) = broadcast::channel(1024);
        Arc::new(Self {
            run_id: run_id.to_owned(),
            capacity: capacity.max(1),
            ring: Mutex::new(Ring {
                frames: VecDeque::new(),
                next: 1,
                finished: false,
            }),
            tx,
        })
    }

    /// The run's id (`run-N`).
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `run_finished` was pushed.
    pub fn is_finished(&self) -> bool {
        self.ring().finished
    }

    /// Appends an event (ignored once the run finished); returns whether it was the main
    /// agent's `run_finished`.
    pub fn push(&self, event: &AgentEvent) -> bool {
        let data = match serde_json::to_string(event) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "agent event not serialisable");
                return false;
            }
        };
        let last = event.task.is_none() && matches!(event.kind, EventKind::RunFinished { .. });
        let mut ring = self.ring();
        if ring.finished {
            return false;
        }
        let frame = Frame {
            seq: ring.next,
            event: event.type_name(),
            data,
            ends: last,
        };
        ring.next += 1;
        if ring.frames.len() == self.capacity {
            ring.frames.pop_front();
        }
        ring.frames.push_back(frame.clone());
        ring.finished = last;
        // Sent under the lock, so a subscriber sees every frame either replayed or live.
        let _ = self.tx.send(frame);
        last
    }

    /// The kept frames after `after`, whether the run finished, and a receiver of the later
    /// ones.
    fn subscribe(&self, after: u64) -> (Vec<Frame>, bool, broadcast::Receiver<Frame>) {
        let ring = self.ring();
        let replay = ring
            .frames
            .iter()
            .filter(|f| f.seq > after)
            .cloned()
            .collect();
        (replay, ring.finished, self.tx.subscribe())
    }

    /// The SSE body of this run after event `after`: the kept events, then the live ones, a
    /// `: ping` comment every `ping`; it ends after `run_finished`. The client going away
    /// stops only this stream.
    pub fn stream(
        self: &Arc<Self>,
        after: u64,
        ping: Duration,
    ) -> impl futures_util::Stream<Item = Result<Bytes, std::convert::Infallible>> + use<> {
        let (out, rx) = mpsc::channel::<Bytes>(64);
        let this = Arc::clone(self);
        tokio::spawn(async move { this.pump(after, ping, out).await });
        futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|b| (Ok(b), rx)) },
        )
    }

    async fn pump(&self, mut last: u64, ping: Duration, out: mpsc::Sender<Bytes>) {
        let (replay, mut finished, mut rx) = self.subscribe(last);
        for frame in replay {
            last = frame.seq;
            if out
                .send(Bytes::from(frame.sse(&self.run_id)))
                .await
                .is_err()
            {
                return;
            }
        }
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + ping, ping);
        while !finished {
            tokio::select! {
                received = rx.recv() => match received {
                    Ok(frame) => {
                        if frame.seq <= last {
                            continue;
                        }
                        last = frame.seq;
                        let is_last = frame.ends;
                        if out.send(Bytes::from(frame.sse(&self.run_id))).await.is_err() {
                            return;
                        }
                        finished = is_last;
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow for the channel: catch up from the ring.
                        let (replay, done, fresh) = self.subscribe(last);
                        rx = fresh;
                        for frame in replay {
                            last = frame.seq;
                            if out.send(Bytes::from(frame.sse(&self.run_id))).await.is_err() {
                                return;
                            }
                        }
                        finished = done;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = ticker.tick() => {
                    if out.send(Bytes::from_static(b": ping\n\n")).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// The event id a client gives back (`run-3:17` or `17`): the number after the last `:`.
pub fn parse_event_id(raw: &str) -> Option<u64> {
    raw.rsplit(':').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Usage;
    use crate::runtime::RunStop;
    use futures_util::StreamExt;

    fn ev(kind: EventKind) -> AgentEvent {
        AgentEvent { task: None, kind }
    }

    #[tokio::test]
    async fn replays_after_an_id_then_follows_and_ends_after_run_finished() {
        let buf = RunBuffer::new("run-1", 3);
        for i in 0..5 {
            buf.push(&ev(EventKind::TextDelta {
                text: i.to_string(),
            }));
        }
        // Only the last three are kept.
        let (replay, finished, _) = buf.subscribe(0);
        assert_eq!(replay.iter().map(|f| f.seq).collect::<Vec<_>>(), [3, 4, 5]);
        assert!(!finished);
        let stream = buf.stream(4, Duration::from_secs(60));
        buf.push(&ev(EventKind::RunFinished {
            stop_reason: RunStop::EndTurn,
            usage: Usage::default(),
        }));
        assert!(buf.is_finished());
        assert!(!buf.push(&ev(EventKind::TextDelta {
            text: "late".into()
        })));
        let text: Vec<String> = stream
            .map(|b| String::from_utf8(b.unwrap().to_vec()).unwrap())
            .collect()
            .await;
        assert_eq!(text.len(), 2);
        assert!(text[0].starts_with("id: run-1:5\nevent: text_delta\n"));
        assert!(text[1].starts_with("id: run-1:6\nevent: run_finished\n"));
        assert_eq!(parse_event_id("run-1:6"), Some(6));
        assert_eq!(parse_event_id("7"), Some(7));
        assert_eq!(parse_event_id("x"), None);
    }

    #[tokio::test]
    async fn an_idle_stream_pings() {
        let buf = RunBuffer::new("run-2", 10);
        let mut stream = Box::pin(buf.stream(0, Duration::from_millis(30)));
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first.as_ref(), b": ping\n\n");
        buf.push(&ev(EventKind::RunStarted {
            run_id: "run-2".into(),
        }));
        let mut next = stream.next().await.unwrap().unwrap();
        while next.as_ref() == b": ping\n\n" {
            next = stream.next().await.unwrap().unwrap();
        }
        assert!(String::from_utf8_lossy(&next).starts_with("id: run-2:1\nevent: run_started\n"));
    }
}
