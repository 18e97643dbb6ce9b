//! The caller's deadline, read from the `grpc-timeout` header.

use std::time::{Duration, Instant};
use tonic::metadata::MetadataMap;

/// Most time kept back from the caller's deadline to answer before it expires (tonic
/// cancels the call at the deadline itself, and the answer must still travel).
pub const ANSWER_MARGIN: Duration = Duration::from_millis(100);

/// A caller's deadline and the margin kept back from it: `ANSWER_MARGIN`, or a quarter
/// of the call's timeout when that is less, so that a 100 ms deadline leaves a 3 ms
/// plan 75 ms to run in (a fixed 100 ms margin answered every such call
/// DEADLINE_EXCEEDED at once). Half the margin is kept for the answer to travel: a
/// tenth was too little on a loaded machine (the client's own timer fired first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub at: Instant,
    pub margin: Duration,
}

impl Deadline {
    /// A call received at `received` with `timeout` to live.
    pub fn after(received: Instant, timeout: Duration) -> Deadline {
        Deadline {
            at: received + timeout,
            margin: ANSWER_MARGIN.min(timeout / 4),
        }
    }

    /// When an answer (DEADLINE_EXCEEDED, if nothing else) must be on its way.
    pub fn answer_by(self) -> Instant {
        self.at.checked_sub(self.margin / 2).unwrap_or(self.at)
    }

    /// Seconds the solver may use from now so the answer still arrives in time.
    pub fn solve_budget(self) -> f64 {
        self.at
            .saturating_duration_since(Instant::now())
            .saturating_sub(self.margin)
            .as_secs_f64()
    }
}

/// When the call must be answered by, if the caller set a deadline.
pub fn from_metadata(metadata: &MetadataMap, received: Instant) -> Option<Deadline> {
    from_value(metadata.get("grpc-timeout")?.to_str().ok()?, received)
}

/// The same, from the request's HTTP headers (in a layer, before tonic's metadata).
pub fn from_headers(
    headers: &tonic::codegen::http::HeaderMap,
    received: Instant,
) -> Option<Deadline> {
    from_value(headers.get("grpc-timeout")?.to_str().ok()?, received)
}

fn from_value(value: &str, received: Instant) -> Option<Deadline> {
    parse(value).map(|timeout| Deadline::after(received, timeout))
}

/// `grpc-timeout` is at most 8 digits and a unit: H, M, S, m (ms), u (us), n (ns).
fn parse(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::{parse, Deadline, ANSWER_MARGIN};
    use std::time::{Duration, Instant};

    #[test]
    fn the_margin_is_a_quarter_of_a_short_timeout_and_at_most_the_answer_margin() {
        let now = Instant::now();
        let short = Deadline::after(now, Duration::from_millis(100));
        assert_eq!(short.margin, Duration::from_millis(25));
        assert_eq!(short.answer_by(), now + Duration::from_micros(87_500));
        let long = Deadline::after(now, Duration::from_secs(60));
        assert_eq!(long.margin, ANSWER_MARGIN);
    }

    #[test]
    fn grpc_timeout_units_parse() {
        assert_eq!(parse("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse("10x"), None);
        assert_eq!(parse("S"), None);
        assert_eq!(parse("123456789S"), None);
    }
}
