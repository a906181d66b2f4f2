//! Standard input, line by line, read on a thread so the chat can wait for a line, an event or
//! Ctrl-C at once.

use std::io::BufRead;

use tokio::sync::mpsc;

/// Lines of standard input; `None` at the end (Ctrl-D) or on a read error.
#[derive(Debug)]
pub struct Lines {
    rx: mpsc::UnboundedReceiver<String>,
}

impl Lines {
    /// Starts the reader thread.
    pub fn stdin() -> std::io::Result<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("chat-stdin".into())
            .spawn(move || {
                let stdin = std::io::stdin();
                let mut lock = stdin.lock();
                loop {
                    let mut line = String::new();
                    match lock.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            let line = line.trim_end_matches(['\r', '\n']).to_owned();
                            if tx.send(line).is_err() {
                                break;
                            }
                        }
                    }
                }
            })?;
        Ok(Self { rx })
    }

    /// The next line, `None` at the end of the input.
    pub async fn next(&mut self) -> Option<String> {
        self.rx.recv().await
    }
}
