//! The connections tonic serves: accepted with TCP_NODELAY, handed over only once the
//! peer has sent its whole opening (the HTTP/2 preface, or the first TLS record: the
//! ClientHello) within `start_timeout`, so that silent or stalled sockets cannot pile
//! up before authentication; and
//! each with its own budget for the bytes its arriving requests hold (`arriving`); and
//! an accept that fails for want of descriptors or memory is logged once and retried
//! after a pause instead of spun on.

use super::arriving::{Budget, ConnectionInfo};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// Pause after an accept error that more accepting cannot cure (EMFILE, ENFILE,
/// ENOBUFS, ENOMEM).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The HTTP/2 client preface (RFC 9113, 3.4): all a plain connection must send first.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// An accepted connection, and what tonic tells its requests about it.
pub struct Connection {
    socket: TcpStream,
    info: ConnectionInfo,
}

/// The accepted connections of `listener` that sent their opening within
/// `start_timeout`: the whole HTTP/2 preface, or with `tls` the whole first TLS
/// record (the ClientHello), each allowed `arriving_bytes` of arriving requests; the
/// accept loop ends when the stream is dropped.
pub fn incoming(
    listener: TcpListener,
    start_timeout: Duration,
    tls: bool,
    arriving_bytes: usize,
) -> ReceiverStream<Result<Connection, std::io::Error>> {
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
                        match tokio::time::timeout(start_timeout, opening(&socket, tls)).await {
                            Ok(true) => {
                                let info = ConnectionInfo {
                                    budget: Budget::new(arriving_bytes),
                                };
                                let _ = started.send(Ok(Connection { socket, info })).await;
                            }
                            _ => tracing::debug!(%peer, "connection closed: no opening in time"),
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

/// Waits until `socket` holds its whole opening, without consuming it: true then,
/// false when the peer closes first or sends something else. A peer that stalls
/// part-way is left to the caller's timeout.
async fn opening(socket: &TcpStream, tls: bool) -> bool {
    let mut buf = vec![0u8; if tls { 5 + (1 << 14) } else { PREFACE.len() }];
    loop {
        let n = match socket.peek(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let complete = if tls {
            // A TLS record: type, version (2 bytes), length (2 bytes), then the body.
            n >= 5 && n >= 5 + usize::from(u16::from_be_bytes([buf[3], buf[4]])).min(1 << 14)
        } else {
            if buf[..n] != PREFACE[..n] {
                return false;
            }
            n == PREFACE.len()
        };
        if complete {
            return true;
        }
        // peek returns what has arrived so far: look again shortly.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Accept errors that the next accept would repeat at once.
fn out_of_resources(error: &std::io::Error) -> bool {
    // EMFILE 24, ENFILE 23, ENOBUFS 105, ENOMEM 12 (Linux).
    matches!(error.raw_os_error(), Some(23 | 24 | 105 | 12))
}

impl tonic::transport::server::Connected for Connection {
    type ConnectInfo = ConnectionInfo;
    fn connect_info(&self) -> ConnectionInfo {
        self.info.clone()
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().socket).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().socket).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.socket.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_shutdown(cx)
    }
}
