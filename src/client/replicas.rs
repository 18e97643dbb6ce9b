//! Client-side balancing: the servers one `--server` names (a comma-separated list of
//! URLs, or a DNS name that resolves to several addresses, such as a Kubernetes
//! headless Service), one channel to each for the whole run, calls spread over them
//! in turn, and a call that failed because its server went away retried on another.
//!
//! Why our own and not `tonic::transport::Channel::balance_list`: tower's
//! power-of-two-choices balancer prefers the endpoint with the fewest calls pending,
//! and a dead replica answers every call at once with UNAVAILABLE, so it looks the
//! least loaded and keeps being chosen; retries would keep landing on it. Here a
//! replica that failed a call rests for a while and the others take its turns.

use super::{channel, BearerToken, Endpoint, RemoteError};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tonic::transport::Channel;
use tonic::{Code, Status};

/// Retries after the first attempt when `--retries` is not given.
pub const DEFAULT_RETRIES: u32 = 4;

/// How long a replica that failed a call is passed over while others are available;
/// doubled for each failure in a row, up to `LONGEST_REST`, so a replica that hangs
/// (each failure costs a call the keepalive's wait) is tried less and less often.
const REST: Duration = Duration::from_secs(5);
const LONGEST_REST: Duration = Duration::from_secs(80);

/// The pause before retry `n` (1-based): 50 ms, 100 ms, 200 ms, ... up to 2 s, so a
/// replica that restarts or a balancer that notices a dead upstream has time to.
fn backoff(n: u32) -> Duration {
    Duration::from_millis(50u64.saturating_mul(1 << n.saturating_sub(1).min(6))).min(REST / 2)
}

/// Whether a call that failed with `status` may be made again on another replica:
/// UNAVAILABLE (refused, reset, a proxy's 502/503), or any status this client made up
/// from a broken transport (a connection cut mid-call). Statuses a server chose
/// (INVALID_ARGUMENT, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ...) are answers, not
/// failures, and are never retried.
pub fn retryable(status: &Status) -> bool {
    status.code() == Code::Unavailable
        || (matches!(
            status.code(),
            Code::Unknown | Code::Internal | Code::Cancelled
        ) && std::error::Error::source(status).is_some())
}

/// A proxy's HTTP error page where a gRPC answer was expected, as the status the
/// gRPC specification maps it to (`doc/http-grpc-status-mapping.md`): 502, 503 and
/// 504 are UNAVAILABLE, 429 is UNAVAILABLE, 413 RESOURCE_EXHAUSTED. tonic reads such a
/// page as a garbled message ("invalid compression flag") and only its text names the
/// HTTP status, so the text is what is read. Other statuses come back unchanged.
pub fn from_proxy(status: Status) -> Status {
    const MARK: &str = "while receiving response with status: ";
    if !matches!(status.code(), Code::Internal | Code::Unknown) {
        return status;
    }
    let Some(at) = status.message().find(MARK) else {
        return status;
    };
    let http = status.message()[at + MARK.len()..].trim().to_string();
    let code = match http.split_whitespace().next() {
        Some("502" | "503" | "504" | "429") => Code::Unavailable,
        Some("413") => Code::ResourceExhausted,
        _ => return status,
    };
    Status::new(
        code,
        format!("a proxy answered HTTP {http} instead of gRPC"),
    )
}

struct Replica {
    url: String,
    channel: Channel,
    rest: Mutex<Rest>,
}

/// A replica's failures in a row and when its rest ends.
#[derive(Default)]
struct Rest {
    failures: u32,
    until: Option<Instant>,
}

impl Replica {
    fn new(url: String, channel: Channel) -> Replica {
        Replica {
            url,
            channel,
            rest: Mutex::new(Rest::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Rest> {
        self.rest.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn resting(&self, now: Instant) -> Option<Instant> {
        self.state().until.filter(|t| *t > now)
    }

    fn rest(&self) {
        let mut state = self.state();
        state.until = Some(Instant::now() + rest_after(state.failures));
        state.failures = state.failures.saturating_add(1);
    }

    /// Counts a call's outcome: a failure a retry would be made for rests the
    /// replica; anything else (an answer, even a refusal) ends its run of failures.
    fn record<T>(&self, outcome: &Result<T, Status>) {
        if outcome.as_ref().is_err_and(retryable) {
            self.rest();
        } else {
            *self.state() = Rest::default();
        }
    }
}

/// The rest after `earlier` failures in a row: 5 s, 10 s, 20 s, ... up to 80 s.
fn rest_after(earlier: u32) -> Duration {
    REST.saturating_mul(1 << earlier.min(4)).min(LONGEST_REST)
}

/// The servers behind one `--server`: one channel per replica, made once per run and
/// shared by every call (HTTP/2 carries concurrent calls side by side on it).
pub struct Replicas {
    replicas: Vec<Replica>,
    token: BearerToken,
    next: AtomicUsize,
    retries: u32,
}

impl Replicas {
    /// Connects to every server `endpoint.url` names: URLs separated by commas, each
    /// of whose host names may resolve to several addresses (one replica each).
    ///
    /// Errors: a malformed URL or unreadable TLS file, or no replica reachable (with
    /// each one's reason). Replicas that are down at the start are kept and tried
    /// again after their rest, so a replica that comes back takes its share.
    pub async fn connect(endpoint: &Endpoint) -> Result<Replicas, RemoteError> {
        let urls = split(&endpoint.url)?;
        let mut targets = Vec::new();
        let mut unreachable = Vec::new();
        for url in &urls {
            match expand(url).await {
                Ok(found) => targets.extend(found),
                // A name that does not resolve is a replica that is down, when others
                // are listed: skipped for the run, like a refused one.
                Err(RemoteError::Connect { reason, .. }) if urls.len() > 1 => {
                    unreachable.push(format!("{url}: {reason}"));
                }
                Err(e) => return Err(e),
            }
        }
        let mut answering = 0;
        let mut replicas = Vec::new();
        let mut token = None;
        for target in &targets {
            let one = Endpoint {
                url: target.url.clone(),
                ..endpoint.clone()
            };
            match channel(&one, target.tls_name.as_deref(), true).await {
                Ok((channel, t)) => {
                    token = Some(t);
                    answering += 1;
                    replicas.push(Replica::new(target.url.clone(), channel));
                }
                // Refused now: kept on a channel that connects when asked, resting.
                Err(RemoteError::Connect { reason, .. }) if targets.len() > 1 || urls.len() > 1 => {
                    let (channel, t) = channel(&one, target.tls_name.as_deref(), false).await?;
                    token = Some(t);
                    unreachable.push(format!("{}: {reason}", target.url));
                    let replica = Replica::new(target.url.clone(), channel);
                    replica.rest();
                    replicas.push(replica);
                }
                Err(e) => return Err(e),
            }
        }
        if answering == 0 {
            return Err(RemoteError::Connect {
                url: endpoint.url.clone(),
                reason: format!("no replica answers ({})", unreachable.join("; ")),
            });
        }
        for line in &unreachable {
            tracing::warn!(replica = %line, "a replica is unreachable; the others take its calls");
        }
        Ok(Replicas {
            replicas,
            token: token.unwrap_or(BearerToken(None)),
            // One-shot commands make one call each: starting every run at the first
            // replica would send all of them there.
            next: AtomicUsize::new(std::process::id() as usize),
            retries: endpoint.retries.unwrap_or(DEFAULT_RETRIES),
        })
    }

    /// The replicas' URLs, in the order calls go round them.
    pub fn urls(&self) -> Vec<&str> {
        self.replicas.iter().map(|r| r.url.as_str()).collect()
    }

    /// The next replica in turn that is not resting; when all are, the one whose rest
    /// ends first.
    fn pick(&self) -> &Replica {
        let now = Instant::now();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.replicas.len();
        (0..n)
            .map(|k| &self.replicas[(start + k) % n])
            .find(|r| r.resting(now).is_none())
            .unwrap_or_else(|| {
                self.replicas
                    .iter()
                    .min_by_key(|r| r.resting(now))
                    .expect("at least one replica")
            })
    }

    /// Makes the call `attempt` builds on a replica's channel, again on another
    /// replica (after a pause) each time it fails in a [`retryable`] way, at most
    /// `retries` times more. Only for calls whose repetition is harmless: Plan,
    /// Validate, Compare, Sweep, reads, and a SavePlan with an idempotency key.
    pub async fn call<T, F, Fut>(&self, attempt: F) -> Result<T, Status>
    where
        F: Fn(Channel, BearerToken) -> Fut,
        Fut: Future<Output = Result<T, Status>>,
    {
        let mut retried = 0;
        loop {
            let replica = self.pick();
            let outcome = attempt(replica.channel.clone(), self.token.clone())
                .await
                .map_err(from_proxy);
            replica.record(&outcome);
            match outcome {
                Err(status) if retryable(&status) && retried < self.retries => {
                    retried += 1;
                    tracing::info!(replica = %replica.url, code = ?status.code(),
                        message = status.message(), retry = retried, "retrying on another replica");
                    tokio::time::sleep(backoff(retried)).await;
                }
                answer => return answer,
            }
        }
    }

    /// Makes a call that must not be repeated (it changes the store) once, on the next
    /// replica in turn.
    pub async fn call_once<T, F, Fut>(&self, attempt: F) -> Result<T, Status>
    where
        F: FnOnce(Channel, BearerToken) -> Fut,
        Fut: Future<Output = Result<T, Status>>,
    {
        let replica = self.pick();
        let answer = attempt(replica.channel.clone(), self.token.clone())
            .await
            .map_err(from_proxy);
        replica.record(&answer);
        answer
    }
}

/// One replica to connect to: its URL, and the name its TLS certificate carries when
/// the URL holds an address resolved from that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `http://ADDRESS:PORT` or the URL as given.
    pub url: String,
    /// The host name the certificate must name, when `url` holds a resolved address.
    pub tls_name: Option<String>,
}

/// The URLs of a comma-separated `--server`, trimmed; an empty item is an error.
pub fn split(servers: &str) -> Result<Vec<String>, RemoteError> {
    servers
        .split(',')
        .map(|s| {
            let s = s.trim();
            if s.is_empty() {
                Err(RemoteError::Connect {
                    url: servers.to_string(),
                    reason: "an empty server in the list (two commas, or one at an end)"
                        .to_string(),
                })
            } else {
                Ok(s.to_string())
            }
        })
        .collect()
}

/// The replicas behind `url`: itself when its host is an address or resolves to one
/// address; one target per address when it resolves to several.
async fn expand(url: &str) -> Result<Vec<Target>, RemoteError> {
    let failed = |reason: String| RemoteError::Connect {
        url: url.to_string(),
        reason,
    };
    let uri: tonic::codegen::http::Uri = url.parse().map_err(|e| failed(format!("{e}")))?;
    let (Some(host), Some(scheme)) = (uri.host(), uri.scheme_str()) else {
        return Err(failed(
            "expected http://HOST:PORT or https://HOST:PORT".into(),
        ));
    };
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    if host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok()
    {
        return Ok(vec![Target {
            url: url.to_string(),
            tls_name: None,
        }]);
    }
    let addresses: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| failed(format!("cannot resolve {host}: {e}")))?
        .collect();
    Ok(targets(url, scheme, host, &addresses))
}

/// `expand`'s choice, given what the name resolved to: distinct addresses in the
/// resolver's order; a single one keeps the URL as given (its host name is what
/// TLS and the `:authority` header carry).
pub fn targets(
    url: &str,
    scheme: &str,
    host: &str,
    addresses: &[std::net::SocketAddr],
) -> Vec<Target> {
    let mut distinct: Vec<std::net::SocketAddr> = Vec::new();
    for a in addresses {
        if !distinct.contains(a) {
            distinct.push(*a);
        }
    }
    if distinct.len() <= 1 {
        return vec![Target {
            url: url.to_string(),
            tls_name: None,
        }];
    }
    distinct
        .iter()
        .map(|a| Target {
            url: format!("{scheme}://{a}"),
            tls_name: Some(host.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_name_with_several_addresses_is_one_replica_per_address_with_its_tls_name() {
        let t = targets(
            "https://fluidity-headless:50051",
            "https",
            "fluidity-headless",
            &[
                addr("10.0.0.7:50051"),
                addr("10.0.0.9:50051"),
                addr("[fd00::3]:50051"),
            ],
        );
        assert_eq!(
            t.iter().map(|t| t.url.as_str()).collect::<Vec<_>>(),
            [
                "https://10.0.0.7:50051",
                "https://10.0.0.9:50051",
                "https://[fd00::3]:50051"
            ]
        );
        assert!(t
            .iter()
            .all(|t| t.tls_name.as_deref() == Some("fluidity-headless")));
    }

    #[test]
    fn a_name_with_one_address_keeps_its_url() {
        let t = targets(
            "http://box:7",
            "http",
            "box",
            &[addr("10.1.1.1:7"), addr("10.1.1.1:7")],
        );
        assert_eq!(
            t,
            [Target {
                url: "http://box:7".into(),
                tls_name: None
            }]
        );
    }

    #[test]
    fn a_list_with_an_empty_item_is_refused() {
        assert!(split("http://a:1,,http://b:2").is_err());
        assert!(split("http://a:1,").is_err());
        assert_eq!(
            split(" http://a:1 , http://b:2").unwrap(),
            ["http://a:1", "http://b:2"]
        );
    }

    #[test]
    fn unavailable_is_retried_and_answers_are_not() {
        assert!(retryable(&Status::unavailable("upstream gone")));
        for code in [
            Code::InvalidArgument,
            Code::DeadlineExceeded,
            Code::ResourceExhausted,
            Code::Unauthenticated,
            Code::FailedPrecondition,
        ] {
            assert!(!retryable(&Status::new(code, "an answer")), "{code:?}");
        }
        // An INTERNAL the server sent is an answer; one made from a cut connection is not.
        assert!(!retryable(&Status::internal("server bug")));
        let cut = Status::from_error(Box::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset",
        )));
        assert!(retryable(&cut), "{cut:?}");
    }

    #[test]
    fn a_proxys_error_page_reads_as_the_status_grpc_maps_it_to() {
        let page = |http: &str| {
            Status::internal(format!(
                "protocol error: received message with invalid compression flag: 60 (valid \
                 flags are 0 and 1) while receiving response with status: {http}"
            ))
        };
        let gateway = from_proxy(page("502 Bad Gateway"));
        assert_eq!(gateway.code(), Code::Unavailable);
        assert_eq!(
            gateway.message(),
            "a proxy answered HTTP 502 Bad Gateway instead of gRPC"
        );
        assert!(retryable(&gateway));
        assert_eq!(
            from_proxy(page("503 Service Unavailable")).code(),
            Code::Unavailable
        );
        assert_eq!(
            from_proxy(page("413 Payload Too Large")).code(),
            Code::ResourceExhausted
        );
        assert_eq!(from_proxy(page("404 Not Found")).code(), Code::Internal);
        assert_eq!(
            from_proxy(Status::invalid_argument(
                "while receiving response with status: 502"
            ))
            .code(),
            Code::InvalidArgument,
            "a status the server chose stays"
        );
    }

    #[test]
    fn pauses_grow_and_stay_bounded() {
        assert_eq!(backoff(1), Duration::from_millis(50));
        assert_eq!(backoff(2), Duration::from_millis(100));
        assert!(backoff(30) <= REST / 2);
    }
}
