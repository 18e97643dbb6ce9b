//! `GET /metrics` over HTTP/1.1 (hyper, already in the tree through tonic): the text
//! exposition of [`Metrics`], with HEAD, keep-alive and query strings as any scraper
//! expects; `GET /healthz`, 200 `SERVING` or 503 `NOT_SERVING` as the gRPC health
//! service would say, for probes that cannot speak gRPC over TLS (Kubernetes' own
//! gRPC probe cannot); and bounds an unauthenticated port needs: at most
//! `MAX_CONNECTIONS` open connections, request headers within `HEADER_TIMEOUT`, and no
//! connection older than `MAX_CONNECTION_AGE`.

use super::metrics::Metrics;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Connections served at once; more wait in the listen backlog. Generous, because a
/// connection that sends nothing holds its place for `HEADER_TIMEOUT`: 200 idle
/// sockets against 64 places kept a scrape waiting 10 s (a scraper's whole timeout).
pub const MAX_CONNECTIONS: usize = 512;
/// Time a client has to send a request's headers (also between keep-alive requests).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// A connection is closed after this long, whatever it is doing (a scrape takes ms).
pub const MAX_CONNECTION_AGE: Duration = Duration::from_secs(60);

/// The content type of the text exposition format.
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serves the metrics on `listener` until `shutdown`.
pub async fn serve_metrics(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let accepted = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let service = hyper::service::service_fn(move |request| {
                let metrics = metrics.clone();
                async move { Ok::<_, Infallible>(answer(&request, &metrics)) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(16 * 1024)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(MAX_CONNECTION_AGE, connection).await;
        });
    }
}

/// The response to one request: the exposition for GET or HEAD of `/metrics` (any
/// query), the serving status for `/healthz`, 404 elsewhere, 405 for other methods.
fn answer<B>(request: &Request<B>, metrics: &Metrics) -> Response<Full<Bytes>> {
    let plain = |status: StatusCode, body: &'static str| {
        Response::builder()
            .status(status)
            .header("content-type", "text/plain; charset=utf-8")
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .expect("a static response is valid")
    };
    let path = request.uri().path();
    if path != "/metrics" && path != "/healthz" {
        return plain(
            StatusCode::NOT_FOUND,
            "only /metrics and /healthz are served here\n",
        );
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "GET or HEAD\n");
        response.headers_mut().insert(
            "allow",
            hyper::header::HeaderValue::from_static("GET, HEAD"),
        );
        return response;
    }
    if path == "/healthz" {
        return match metrics.serving() {
            true => plain(StatusCode::OK, "SERVING\n"),
            false => plain(StatusCode::SERVICE_UNAVAILABLE, "NOT_SERVING\n"),
        };
    }
    // hyper sends no body for HEAD, with the length GET would have.
    Response::builder()
        .header("content-type", EXPOSITION)
        .body(Full::new(Bytes::from(metrics.render())))
        .expect("a rendered exposition is a valid body")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str, metrics: &Metrics) -> (StatusCode, String) {
        let request = Request::builder().uri(path).body(()).unwrap();
        let response = answer(&request, metrics);
        let status = response.status();
        let body = body_text(response.into_body());
        (status, body)
    }

    fn body_text(body: Full<Bytes>) -> String {
        use http_body_util::BodyExt;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = runtime.block_on(body.collect()).unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn healthz_says_serving_until_the_shutdown_signal_then_503() {
        let metrics = Metrics::default();
        assert_eq!(
            get("/healthz", &metrics),
            (StatusCode::OK, "SERVING\n".to_string())
        );
        metrics.stop_serving();
        assert_eq!(
            get("/healthz", &metrics),
            (StatusCode::SERVICE_UNAVAILABLE, "NOT_SERVING\n".to_string())
        );
    }

    #[test]
    fn other_paths_are_not_found() {
        assert_eq!(get("/health", &Metrics::default()).0, StatusCode::NOT_FOUND);
    }
}
