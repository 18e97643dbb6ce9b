//! Bearer-token authentication: `name:token` lines in a file (`name:approver:token`
//! for a caller who may approve plans and acknowledge alerts; `name:planner:token`
//! says the default outright), compared in constant time, re-read on SIGHUP. Health checks need no token (load balancers probe them);
//! every other call without a valid token is answered UNAUTHENTICATED. The caller's
//! name (never the token) travels to the handler for its log span. The same layer
//! answers a body that is not gRPC with HTTP 415, reads the call's deadline once
//! (`CallDeadline`), counts calls to unknown paths, and answers DEADLINE_EXCEEDED for
//! a call its handler could not answer in time.

use sha2::{Digest, Sha256};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use subtle::ConstantTimeEq;
use tonic::codegen::http;

/// The call's deadline as the layer read it when the headers arrived (None: the
/// caller set none): it counts from there, as tonic's own timeout does, not from when
/// the (maybe large) body was decoded; handlers need not parse `grpc-timeout` again.
#[derive(Debug, Clone, Copy)]
pub struct CallDeadline(pub Option<super::deadline::Deadline>);

/// Who made a call: the name of the token it presented (for logs and the audit
/// trail) and the token's role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller(pub String, pub crate::store::Role);

/// The known tokens, as digests: a token never sits in memory in the clear longer
/// than it takes to read the file, and every comparison takes the same time.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    entries: Vec<(String, crate::store::Role, [u8; 32])>,
}

/// A token line's role prefix, when it has one: `approver:TOKEN` or `planner:TOKEN`.
fn role_of(rest: &str) -> (crate::store::Role, &str) {
    use crate::store::Role;
    match rest.split_once(':') {
        Some(("approver", token)) => (Role::Approver, token),
        Some(("planner", token)) => (Role::Planner, token),
        _ => (Role::Planner, rest),
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    /// Parses `name:token` and `name:ROLE:token` lines (ROLE `approver` or
    /// `planner`, the default); blank lines and `#` comments are skipped. Every bad
    /// line is reported, with its number.
    pub fn parse(text: &str) -> Result<Tokens, Vec<String>> {
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line
                .split_once(':')
                .map(|(name, rest)| (name, role_of(rest.trim())))
            {
                Some((name, (role, token)))
                    if !name.trim().is_empty() && token.trim().len() >= 16 =>
                {
                    entries.push((name.trim().to_string(), role, digest(token.trim())));
                }
                Some((_, (_, token))) if token.trim().len() < 16 => problems.push(format!(
                    "line {}: the token must be at least 16 characters",
                    n + 1
                )),
                _ => problems.push(format!("line {}: expected name:token", n + 1)),
            }
        }
        if entries.is_empty() && problems.is_empty() {
            problems.push("no tokens: every call would be refused".to_string());
        }
        if problems.is_empty() {
            Ok(Tokens { entries })
        } else {
            Err(problems)
        }
    }

    /// The tokens of the file at `path`.
    ///
    /// # Errors
    /// [`TokenFileError`] when the file cannot be read or any line is wrong (all of
    /// them listed).
    pub fn load(path: &Path) -> Result<Tokens, TokenFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokenFileError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        Tokens::parse(&text).map_err(|problems| TokenFileError::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }

    /// The name and role of the token presented, comparing against every entry (no
    /// early exit).
    pub fn caller(&self, presented: &str) -> Option<Caller> {
        let presented = digest(presented);
        let mut found = None;
        for (name, role, known) in &self.entries {
            if bool::from(known.ct_eq(&presented)) {
                found = Some(Caller(name.clone(), *role));
            }
        }
        found
    }

    /// How many tokens the file holds (logged at a reload).
    #[allow(clippy::len_without_is_empty)] // never empty: `parse` refuses a file without tokens
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Why a token file was not taken.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The token file.
        path: PathBuf,
        /// What reading it said.
        source: std::io::Error,
    },
    /// Lines of the file are wrong, or it has no token.
    #[error("{} is not a valid token file: {}", path.display(), problems.join("; "))]
    Invalid {
        /// The token file.
        path: PathBuf,
        /// Every problem, with its line number.
        problems: Vec<String>,
    },
}

/// The token file and the tokens read from it, shared with the SIGHUP reloader.
#[derive(Debug, Clone)]
pub struct Auth {
    pub(crate) path: PathBuf,
    pub(crate) tokens: Arc<RwLock<Tokens>>,
}

impl Auth {
    /// Reads the token file at `path`.
    ///
    /// # Errors
    /// [`TokenFileError`] when the file cannot be read or any line is wrong (all of
    /// them listed).
    pub fn load(path: &Path) -> Result<Auth, TokenFileError> {
        Ok(Auth {
            path: path.to_path_buf(),
            tokens: Arc::new(RwLock::new(Tokens::load(path)?)),
        })
    }

    /// Re-reads the file; on a problem the old tokens stay and the problem is logged.
    pub fn reload(&self) {
        match Tokens::load(&self.path) {
            Ok(tokens) => {
                tracing::info!(tokens = tokens.len(), "token file re-read");
                *self.tokens.write().expect("no writer panics") = tokens;
            }
            Err(e) => {
                tracing::error!(error = %e, "token file not re-read; keeping the previous tokens")
            }
        }
    }
}

/// The tower layer that checks tokens in front of every service; refusals are
/// counted in the metrics like any answered call.
#[derive(Clone)]
pub struct AuthLayer(
    pub Option<Auth>,
    pub std::sync::Arc<super::metrics::Metrics>,
);

impl<S> tower::Layer<S> for AuthLayer {
    type Service = Authenticated<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Authenticated {
            inner,
            auth: self.0.clone(),
            metrics: self.1.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Authenticated<S> {
    inner: S,
    auth: Option<Auth>,
    metrics: std::sync::Arc<super::metrics::Metrics>,
}

const HEALTH: &str = "/grpc.health.v1.Health/";

impl<S, B> tower::Service<http::Request<B>> for Authenticated<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    /// Long because it is the layer's gates in order, each answering or passing on:
    /// the deadline read, the content type, the token, an unknown path counted, the
    /// deadline enforced around the inner service.
    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let received = std::time::Instant::now();
        let deadline = super::deadline::from_headers(request.headers(), received);
        request.extensions_mut().insert(CallDeadline(deadline));
        // gRPC over HTTP/2 only: a body in another format (or none named) is not a
        // protobuf message to decode but HTTP's 415 (gRPC's PROTOCOL.md).
        let grpc = request
            .headers()
            .get("content-type")
            .and_then(|v| v.as_bytes().get(..b"application/grpc".len()))
            // Media types are case-insensitive (RFC 9110, 8.3.1).
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(b"application/grpc"));
        if !grpc {
            let mut response =
                tonic::Status::invalid_argument("content-type must be application/grpc")
                    .into_http();
            *response.status_mut() = http::StatusCode::UNSUPPORTED_MEDIA_TYPE;
            return Box::pin(async move { Ok(response) });
        }
        if let Some(auth) = &self.auth {
            if !request.uri().path().starts_with(HEALTH) {
                let presented = request
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .map(str::trim);
                let caller =
                    presented.and_then(|t| auth.tokens.read().expect("no writer panics").caller(t));
                match caller {
                    Some(caller) => {
                        request.extensions_mut().insert(caller);
                    }
                    None => {
                        let message = if presented.is_some() {
                            "the bearer token is not valid"
                        } else {
                            "a bearer token is required (authorization: Bearer TOKEN)"
                        };
                        let path = request.uri().path();
                        tracing::info!(path, "unauthenticated call refused");
                        self.metrics.call(
                            super::metrics::Method::from_path(path),
                            tonic::Code::Unauthenticated,
                        );
                        let response = tonic::Status::unauthenticated(message).into_http();
                        return Box::pin(async move { Ok(response) });
                    }
                }
            }
        }
        // A path no service serves is answered UNIMPLEMENTED by tonic's router, past
        // any handler that could count it: count it here, under `unknown`.
        let method = super::metrics::Method::from_path(request.uri().path());
        if method == super::metrics::Method::Unknown {
            self.metrics.call(method, tonic::Code::Unimplemented);
        }
        // A call whose deadline passes before its handler answers (its body still
        // arriving, say) would get tonic's own CANCELLED "Timeout expired", uncounted:
        // answer DEADLINE_EXCEEDED here first, a little before tonic's timer, and
        // count it. Handlers answer at `Deadline::answer_by`, earlier still.
        // tower's contract: call the clone that was made ready.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let answer = inner.call(request);
        let Some(deadline) = deadline else {
            return Box::pin(answer);
        };
        let cutoff = deadline
            .at
            .checked_sub(deadline.margin / 4)
            .unwrap_or(deadline.at);
        let metrics = self.metrics.clone();
        Box::pin(async move {
            match tokio::time::timeout_at(cutoff.into(), answer).await {
                Ok(answered) => answered,
                Err(_) => {
                    metrics.call(method, tonic::Code::DeadlineExceeded);
                    Ok(tonic::Status::deadline_exceeded(
                        "the call's deadline passed before it could be answered",
                    )
                    .into_http())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Tokens;

    #[test]
    fn tokens_name_their_caller_and_nothing_else_matches() {
        let tokens = Tokens::parse(
            "# team tokens\nplanner:0123456789abcdef0123\n\nfinance:fedcba9876543210fedc\n",
        )
        .unwrap();
        assert_eq!(
            tokens
                .caller("0123456789abcdef0123")
                .map(|c| c.0)
                .as_deref(),
            Some("planner")
        );
        assert_eq!(
            tokens
                .caller("fedcba9876543210fedc")
                .map(|c| c.0)
                .as_deref(),
            Some("finance")
        );
        assert_eq!(tokens.caller("0123456789abcdef012"), None);
        assert_eq!(tokens.caller(""), None);
    }

    #[test]
    fn a_token_line_may_name_its_role_and_defaults_to_planner() {
        use crate::store::Role;
        let tokens = Tokens::parse(
            "bob:approver:0123456789abcdef0123\nann:planner:fedcba9876543210fedc\ncy:aaaaaaaaaaaaaaaaaaaa\n",
        )
        .unwrap();
        let role = |t: &str| tokens.caller(t).map(|c| (c.0, c.1));
        assert_eq!(
            role("0123456789abcdef0123"),
            Some(("bob".into(), Role::Approver))
        );
        assert_eq!(
            role("fedcba9876543210fedc"),
            Some(("ann".into(), Role::Planner))
        );
        assert_eq!(
            role("aaaaaaaaaaaaaaaaaaaa"),
            Some(("cy".into(), Role::Planner))
        );
        assert_eq!(
            role("approver:0123456789abcdef0123"),
            None,
            "the role is not part of the token"
        );
    }

    #[test]
    fn bad_lines_are_reported_with_their_numbers() {
        let problems = Tokens::parse("ok:0123456789abcdef0123\nnocolon\nshort:abc\n").unwrap_err();
        assert_eq!(
            problems,
            vec![
                "line 2: expected name:token",
                "line 3: the token must be at least 16 characters"
            ]
        );
    }
}
