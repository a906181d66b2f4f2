//! The fakes' HTTP server: actix-web on `127.0.0.1:0`, on a thread of its own with its own
//! runtime (so a test's runtime can be single-threaded), stopped when dropped.

use std::net::SocketAddr;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};

/// A running fake server.
pub(crate) struct ThreadServer {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl ThreadServer {
    /// Starts a one-worker server whose app `configure` sets up; `label` names it in errors and
    /// its thread.
    pub(crate) fn start<F>(label: &str, configure: F) -> std::io::Result<Self>
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name(label.replace(' ', "-"))
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || App::new().configure(configure.clone()))
                        .workers(1)
                        .disable_signals()
                        .shutdown_timeout(0)
                        .listen(listener);
                    match server {
                        Ok(server) => {
                            let server = server.run();
                            let _ = sender.send(Ok(server.handle()));
                            let _ = server.await;
                        }
                        Err(e) => {
                            let _ = sender.send(Err(e));
                        }
                    }
                });
            })?;
        let handle = receiver.recv().map_err(|_| {
            std::io::Error::other(format!("the {label} server thread ended early"))
        })??;
        Ok(Self { addr, handle })
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ThreadServer {
    fn drop(&mut self) {
        // The stop command is sent at once; the returned future only waits for it.
        drop(self.handle.stop(false));
    }
}
