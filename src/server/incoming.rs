//! The connections tonic serves: accepted with TCP_NODELAY, handed over only once the
//! peer has sent its first byte (the HTTP/2 preface or a TLS ClientHello) within
//! `start_timeout`, so that silent sockets cannot pile up before authentication; and
//! an accept that fails for want of descriptors or memory is logged once and retried
//! after a pause instead of spun on.

use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// Pause after an accept error that more accepting cannot cure (EMFILE, ENFILE,
/// ENOBUFS, ENOMEM).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The accepted connections of `listener` that sent a first byte within
/// `start_timeout`; the accept loop ends when the stream is dropped.
pub fn incoming(
    listener: TcpListener,
    start_timeout: Duration,
) -> ReceiverStream<Result<TcpStream, std::io::Error>> {
    let (started, stream) = mpsc::channel(64);
    tokio::spawn(async move {
        let mut starved = false;
        loop {
            let accepted = tokio::select! {
                _ = started.closed() => return,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((socket, peer)) => {
                    starved = false;
                    let _ = socket.set_nodelay(true);
                    let started = started.clone();
                    tokio::spawn(async move {
                        let mut first = [0u8; 1];
                        match tokio::time::timeout(start_timeout, socket.peek(&mut first)).await {
                            Ok(Ok(n)) if n > 0 => {
                                let _ = started.send(Ok(socket)).await;
                            }
                            _ => tracing::debug!(%peer, "connection closed: nothing sent in time"),
                        }
                    });
                }
                Err(error) if out_of_resources(&error) => {
                    if !starved {
                        tracing::warn!(%error, "cannot accept connections; retrying every 100 ms");
                        starved = true;
                    }
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
                Err(error) => tracing::debug!(%error, "accept failed"),
            }
        }
    });
    ReceiverStream::new(stream)
}

/// Accept errors that the next accept would repeat at once.
fn out_of_resources(error: &std::io::Error) -> bool {
    // EMFILE 24, ENFILE 23, ENOBUFS 105, ENOMEM 12 (Linux).
    matches!(error.raw_os_error(), Some(23 | 24 | 105 | 12))
}
