//! Requests still arriving: the bytes they hold, per connection and in all, and how
//! long one may take to arrive whole. A request is held in memory while its body
//! arrives (tonic decodes a message only once all of it is there, and a unary call
//! waits for the body's end); without these bounds, a client that sends large requests
//! and never ends them holds memory until it leaves (48 unfinished 15 MiB Plans took
//! a server from 211 MB to 1.6 GB).
//!
//! What is counted: every body byte received (gRPC framing included) of a unary
//! request until its body ends or the call is over, and of a streaming request
//! (PlanStream, reflection) the bytes of the message now arriving, released once that
//! message is whole. Past a budget, the call is answered RESOURCE_EXHAUSTED; a unary
//! body not ended, or a streamed message not whole, within the body timeout is answered
//! DEADLINE_EXCEEDED. Both are counted in the metrics like any answered call.

use super::metrics::{Method, Metrics};
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tonic::codegen::http;
use tonic::Status;

/// A number of bytes that may be held at once, and how many are.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    held: AtomicUsize,
}

impl Budget {
    pub fn new(limit: usize) -> Arc<Budget> {
        Arc::new(Budget {
            limit,
            held: AtomicUsize::new(0),
        })
    }

    /// Takes `n` bytes if they fit; false (and nothing taken) if they do not.
    fn take(&self, n: usize) -> bool {
        self.held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                held.checked_add(n).filter(|&after| after <= self.limit)
            })
            .is_ok()
    }

    fn give_back(&self, n: usize) {
        self.held.fetch_sub(n, Ordering::AcqRel);
    }

    /// Bytes held now.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }
}

/// What `incoming` attaches to each connection; tonic puts it in every request's
/// extensions (under TLS too).
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// The bytes this connection's arriving requests may hold.
    pub budget: Arc<Budget>,
}

/// The server's bounds on arriving requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrivalLimits {
    /// Bytes one connection's arriving requests may hold.
    pub per_connection: usize,
    /// Bytes all connections' arriving requests may hold together.
    pub total: usize,
    /// How long a unary request's body, or one streamed message, may take to arrive
    /// whole, from its first byte (a unary request: from its headers).
    pub body_timeout: Duration,
}

impl Default for ArrivalLimits {
    fn default() -> Self {
        ArrivalLimits {
            // Four requests of the largest size accepted by default (16 MiB).
            per_connection: 64 * 1024 * 1024,
            total: 1024 * 1024 * 1024,
            body_timeout: Duration::from_secs(30),
        }
    }
}

/// The tower layer that puts every request body under the bounds.
#[derive(Clone)]
pub struct ArrivalLayer {
    limits: ArrivalLimits,
    total: Arc<Budget>,
    metrics: Arc<Metrics>,
}

impl ArrivalLayer {
    pub fn new(limits: ArrivalLimits, metrics: Arc<Metrics>) -> ArrivalLayer {
        ArrivalLayer {
            limits,
            total: Budget::new(limits.total),
            metrics,
        }
    }
}

impl<S> tower::Layer<S> for ArrivalLayer {
    type Service = Bounded<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Bounded {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Bounded<S> {
    inner: S,
    layer: ArrivalLayer,
}

impl<S> tower::Service<http::Request<tonic::body::Body>> for Bounded<S>
where
    S: tower::Service<http::Request<tonic::body::Body>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let method = Method::from_path(request.uri().path());
        let layer = &self.layer;
        // A connection that did not come through `incoming` (none in the server) is
        // bounded alone, by the per-connection limit.
        let connection = request.extensions().get::<ConnectionInfo>().map_or_else(
            || Budget::new(layer.limits.per_connection),
            |c| c.budget.clone(),
        );
        let streaming = matches!(method, Method::PlanStream | Method::Reflection);
        let mut arriving = Arriving {
            body: None,
            held: 0,
            framing: Framing::default(),
            streaming,
            timer: None,
            body_timeout: layer.limits.body_timeout,
            connection,
            total: layer.total.clone(),
            method,
            metrics: layer.metrics.clone(),
        };
        if !streaming {
            // A unary request's clock runs from its headers to its body's end.
            arriving.arm();
        }
        let request = request.map(|body| {
            arriving.body = Some(body);
            tonic::body::Body::new(arriving)
        });
        self.inner.call(request)
    }
}

/// Where a streamed body stands in gRPC's framing (a flag byte, a 4-byte length, the
/// message), to tell when a message is whole.
#[derive(Debug, Default)]
struct Framing {
    prefix: [u8; 5],
    prefix_read: usize,
    /// Message bytes still to come once the prefix is read.
    message_left: usize,
    /// Bytes of the message now arriving (prefix included); 0 between messages.
    partial: usize,
}

impl Framing {
    fn advance(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.prefix_read < self.prefix.len() {
                let n = (self.prefix.len() - self.prefix_read).min(data.len());
                self.prefix[self.prefix_read..self.prefix_read + n].copy_from_slice(&data[..n]);
                self.prefix_read += n;
                self.partial += n;
                data = &data[n..];
                if self.prefix_read == self.prefix.len() {
                    let length = &self.prefix[1..];
                    self.message_left =
                        u32::from_be_bytes([length[0], length[1], length[2], length[3]]) as usize;
                }
            } else {
                let n = self.message_left.min(data.len());
                self.message_left -= n;
                self.partial += n;
                data = &data[n..];
            }
            if self.prefix_read == self.prefix.len() && self.message_left == 0 {
                self.prefix_read = 0;
                self.partial = 0;
            }
        }
    }
}

/// A request body under the bounds: its bytes are taken from the connection's budget
/// and the total as they arrive and given back when they are no longer held.
struct Arriving {
    /// None once the body has ended (or been ended).
    body: Option<tonic::body::Body>,
    held: usize,
    framing: Framing,
    streaming: bool,
    /// Set while something is arriving: when it must be whole.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    body_timeout: Duration,
    connection: Arc<Budget>,
    total: Arc<Budget>,
    method: Method,
    metrics: Arc<Metrics>,
}

impl Arriving {
    fn arm(&mut self) {
        if self.timer.is_none() {
            self.timer = Some(Box::pin(tokio::time::sleep(self.body_timeout)));
        }
    }

    fn release(&mut self, keep: usize) {
        let freed = self.held.saturating_sub(keep);
        self.connection.give_back(freed);
        self.total.give_back(freed);
        self.held -= freed;
    }

    /// Takes `n` more bytes, or says which budget they would overrun.
    fn take(&mut self, n: usize) -> Result<(), Status> {
        if !self.connection.take(n) {
            return Err(Status::resource_exhausted(format!(
                "the requests still arriving on this connection would hold more than {} bytes \
                 (the server's --max-arriving-bytes-per-connection): send fewer at once",
                self.connection.limit
            )));
        }
        if !self.total.take(n) {
            self.connection.give_back(n);
            return Err(Status::resource_exhausted(format!(
                "the requests still arriving at this server would hold more than {} bytes \
                 (its --max-arriving-bytes): retry later",
                self.total.limit
            )));
        }
        self.held += n;
        Ok(())
    }

    /// Ends the body with `status`, counted; what it held is given back.
    fn fail(&mut self, status: Status) -> Poll<Option<Result<http_body::Frame<Bytes>, Status>>> {
        tracing::info!(method = self.method.name(), code = ?status.code(), message = status.message(), "request refused while arriving");
        self.metrics.call(self.method, status.code());
        self.finish();
        Poll::Ready(Some(Err(status)))
    }

    fn finish(&mut self) {
        self.body = None;
        self.timer = None;
        self.release(0);
    }
}

impl Drop for Arriving {
    fn drop(&mut self) {
        self.release(0);
    }
}

impl http_body::Body for Arriving {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Status>>> {
        let this = self.get_mut();
        let Some(body) = this.body.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    if let Err(status) = this.take(data.len()) {
                        return this.fail(status);
                    }
                    if this.streaming {
                        this.framing.advance(data);
                        this.release(this.framing.partial);
                        if this.framing.partial == 0 {
                            this.timer = None;
                        } else {
                            this.arm();
                        }
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => {
                this.finish();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(status))) => {
                this.finish();
                Poll::Ready(Some(Err(status)))
            }
            Poll::Pending => {
                let expired = this
                    .timer
                    .as_mut()
                    .is_some_and(|timer| timer.as_mut().poll(cx).is_ready());
                if expired {
                    let what = if this.streaming {
                        "a streamed message did not arrive whole within {} s of its first byte"
                    } else {
                        "the request did not arrive whole within {} s of its headers"
                    };
                    let status = Status::deadline_exceeded(format!(
                        "{} (the server's --request-body-timeout)",
                        what.replace("{}", &this.body_timeout.as_secs_f64().to_string())
                    ));
                    return this.fail(status);
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body
            .as_ref()
            .map_or_else(|| http_body::SizeHint::with_exact(0), |b| b.size_hint())
    }
}

#[cfg(test)]
mod tests {
    use super::{Budget, Framing};

    fn message(length: usize) -> Vec<u8> {
        let mut out = vec![0u8];
        out.extend_from_slice(&(length as u32).to_be_bytes());
        out.extend(std::iter::repeat_n(7u8, length));
        out
    }

    #[test]
    fn framing_counts_the_bytes_of_the_message_still_arriving_and_none_between_messages() {
        let mut stream = message(10);
        stream.extend(message(0));
        stream.extend(message(3));
        let mut framing = Framing::default();
        // Byte by byte: partial grows through each message and drops to 0 at its end.
        let mut seen = Vec::new();
        for byte in &stream {
            framing.advance(std::slice::from_ref(byte));
            seen.push(framing.partial);
        }
        assert_eq!(
            seen[..15],
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0]
        );
        assert_eq!(seen[15..20], [1, 2, 3, 4, 0]);
        assert_eq!(seen[20..], [1, 2, 3, 4, 5, 6, 7, 0]);
        // In one chunk, ending part-way into the next message.
        let mut framing = Framing::default();
        let mut chunk = message(10);
        chunk.extend(&message(3)[..6]);
        framing.advance(&chunk);
        assert_eq!(framing.partial, 6);
    }

    #[test]
    fn a_budget_takes_what_fits_and_nothing_of_what_does_not() {
        let budget = Budget::new(10);
        assert!(budget.take(6));
        assert!(!budget.take(5));
        assert_eq!(budget.held(), 6);
        assert!(budget.take(4));
        budget.give_back(10);
        assert_eq!(budget.held(), 0);
        assert!(!budget.take(usize::MAX));
    }
}
