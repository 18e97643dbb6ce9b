//! gRPC status codes that mean what they say, from the core's errors.

use crate::wire::convert::violation_to_proto;
use crate::wire::proto;
use fluidity_solvers::{PlanError, Violation};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Bytes of BadRequest details a status may carry: its trailers must stay under the
/// 8 KiB of headers that common clients and proxies accept (47 KB of details reached
/// `fluidity plan --server` as "h2 protocol error" and grpcio as RESOURCE_EXHAUSTED).
pub const DETAILS_BUDGET: usize = 6 * 1024;

/// What an INVALID_ARGUMENT message says when its details hold only the first
/// problems (clients then ask Validate for the whole list).
pub const DETAILS_CUT: &str = "Validate lists all";

/// INVALID_ARGUMENT with the problems as `google.rpc.BadRequest` field violations: all
/// of them when they fit in `DETAILS_BUDGET` (base64 of the encoded details), else the
/// first ones, the message saying how many more there are (Validate lists them all).
pub fn invalid_argument(violations: &[Violation]) -> Status {
    invalid("scenario", violations)
}

/// INVALID_ARGUMENT for a request whose problem is not its scenario's (an Explain
/// naming an initiative the scenario lacks): "invalid request, 1 problem: ...".
pub fn invalid_request(violations: &[Violation]) -> Status {
    invalid("request", violations)
}

fn invalid(what: &str, violations: &[Violation]) -> Status {
    let mut details = ErrorDetails::new();
    // A field violation costs its two strings and a few bytes of framing, and base64
    // grows the whole by a third.
    let mut used = 0;
    let mut listed = 0;
    for v in violations {
        let cost = (v.path.len() + v.message.len() + 8) * 4 / 3;
        if used + cost > DETAILS_BUDGET {
            break;
        }
        used += cost;
        listed += 1;
        details.add_bad_request_violation(v.path.clone(), v.message.clone());
    }
    let n = violations.len();
    // The message travels in the trailers too: a huge id must not carry it past them.
    let first = violations
        .first()
        .map(|v| {
            let text = v.to_string();
            match text.char_indices().nth(512) {
                Some((cut, _)) => format!(": {}...", &text[..cut]),
                None => format!(": {text}"),
            }
        })
        .unwrap_or_default();
    let more = match (n > 1, listed < n) {
        (true, false) => format!(" (and {} more)", n - 1),
        (_, true) => format!(
            " (and {} more; the details list the first {listed}, {DETAILS_CUT})",
            n - 1
        ),
        (false, false) => String::new(),
    };
    Status::with_error_details(
        Code::InvalidArgument,
        format!(
            "invalid {what}, {n} problem{}{first}{more}",
            if n == 1 { "" } else { "s" }
        ),
        details,
    )
}

/// The status a failed plan answers with.
pub fn from_plan_error(error: &PlanError, deadline_set: bool) -> Status {
    match error {
        PlanError::Invalid(invalid) => invalid_argument(&invalid.violations),
        PlanError::TimeLimit { seconds } if deadline_set => Status::deadline_exceeded(format!(
            "no plan was found within the call's deadline ({seconds:.3} s of solving)"
        )),
        PlanError::TimeLimit { seconds } => Status::deadline_exceeded(format!(
            "no plan was found within the time limit of {seconds} s (policy.timeLimitSeconds)"
        )),
        PlanError::Solver(message) => Status::internal(format!("the solver failed: {message}")),
        PlanError::Cancelled => Status::cancelled("the call was cancelled"),
        // The server raises no interrupt; a cancelled call is the nearest meaning.
        PlanError::Interrupted => Status::cancelled("the solve was interrupted"),
    }
}

/// tonic's own refusals, in this service's terms: a message over the size limit is
/// RESOURCE_EXHAUSTED (tonic says OUT_OF_RANGE).
pub fn from_transport(status: Status) -> Status {
    if status.code() == Code::OutOfRange && status.message().contains("too large") {
        Status::resource_exhausted(status.message().to_string())
    } else {
        status
    }
}

/// A PlanStream answer's error: the unary status, as data.
pub fn to_plan_error(status: &Status) -> proto::PlanError {
    let violations = status
        .get_details_bad_request()
        .map(|bad| {
            bad.field_violations
                .into_iter()
                .map(|v| {
                    violation_to_proto(&Violation {
                        path: v.field,
                        message: v.description,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    proto::PlanError {
        code: code_name(status.code()).to_string(),
        message: status.message().to_string(),
        violations,
    }
}

/// The canonical upper-case name of a code (`INVALID_ARGUMENT`).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}
