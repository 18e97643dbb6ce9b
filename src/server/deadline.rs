//! The caller's deadline, read from the `grpc-timeout` header.

use std::time::{Duration, Instant};
use tonic::metadata::MetadataMap;

/// Time kept back from the caller's deadline to answer before it expires (tonic
/// cancels the call at the deadline itself, and the answer must still travel).
pub const ANSWER_MARGIN: Duration = Duration::from_millis(100);

/// When the call must be answered by, if the caller set a deadline.
pub fn from_metadata(metadata: &MetadataMap, received: Instant) -> Option<Instant> {
    let value = metadata.get("grpc-timeout")?.to_str().ok()?;
    parse(value).map(|timeout| received + timeout)
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

/// Seconds the solver may use so the answer still arrives before `deadline`.
pub fn solve_budget(deadline: Option<Instant>) -> Option<f64> {
    deadline.map(|d| {
        d.saturating_duration_since(Instant::now())
            .saturating_sub(ANSWER_MARGIN)
            .as_secs_f64()
    })
}

#[cfg(test)]
mod tests {
    use super::parse;
    use std::time::Duration;

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
