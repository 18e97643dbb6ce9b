//! Solver backends behind one small enum, one file each.
//!
//! A backend takes a [`crate::lp::LinearProgram`] and returns the primal point and,
//! where the solver has them, the row duals as shadow prices (objective gained per
//! unit of right-hand side, whatever the row's direction). Clarabel (interior point,
//! duals, LP only) and microlp (simplex with branch and bound, integers, no duals) are
//! pure Rust, reached through good_lp (`good_lp_program` builds the program;
//! `clarabel` and `microlp` drive it); lp_solve (simplex with vertex duals, branch and
//! bound with a gap) is C built by cargo, reached through its C API (`lpsolve_api`).
//! All three are always compiled in and see the program scaled (see
//! [`crate::lp::scaling`]); HiGHS (feature `highs`) scales for itself. How
//! consecutive stages use a backend is [`super::stage_solver`].

mod clarabel;
mod good_lp_program;
#[cfg(feature = "highs")]
pub(crate) mod highs;
mod lpsolve;
pub(crate) mod lpsolve_api;
mod microlp;

pub(crate) use clarabel::clarabel_then_vertex;
pub(crate) use lpsolve::lpsolve;
pub(crate) use microlp::microlp;

/// A solver Fluidity can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Clarabel,
    /// lp_solve 5.5: the default build's simplex (vertex duals) and branch and bound.
    LpSolve,
    Microlp,
    /// HiGHS (simplex, interior point, branch and cut): duals and integers; behind the
    /// `highs` cargo feature.
    #[cfg(feature = "highs")]
    Highs,
}

/// Names `policy.solver` accepts in this build, `auto` first.
#[cfg(not(feature = "highs"))]
pub const COMPILED: &[&str] = &["auto", "clarabel", "lpsolve", "microlp"];
/// Names `policy.solver` accepts in this build, `auto` first.
#[cfg(feature = "highs")]
pub const COMPILED: &[&str] = &["auto", "clarabel", "highs", "lpsolve", "microlp"];

/// Backends that exist but are not in this build (each behind a cargo feature).
#[cfg(not(feature = "highs"))]
const NOT_COMPILED: &[&str] = &["highs"];
#[cfg(feature = "highs")]
const NOT_COMPILED: &[&str] = &[];

impl Backend {
    /// The backend a `policy.solver` names; `None` for `auto` (or empty).
    pub fn from_name(name: &str) -> Result<Option<Backend>, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(None),
            "clarabel" => Ok(Some(Backend::Clarabel)),
            "microlp" => Ok(Some(Backend::Microlp)),
            "lpsolve" | "lp_solve" => Ok(Some(Backend::LpSolve)),
            #[cfg(feature = "highs")]
            "highs" => Ok(Some(Backend::Highs)),
            other if NOT_COMPILED.contains(&other) => Err(format!(
                "solver \"{other}\" is not compiled into this build; available: {}",
                COMPILED.join(", ")
            )),
            _ => Err(format!(
                "unknown solver \"{name}\"; available: {}",
                COMPILED.join(", ")
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Clarabel => "clarabel",
            Backend::LpSolve => "lpsolve",
            Backend::Microlp => "microlp",
            #[cfg(feature = "highs")]
            Backend::Highs => "highs",
        }
    }

    pub fn supports_integers(self) -> bool {
        !matches!(self, Backend::Clarabel)
    }
}

/// How a branch and bound searches: the gap at which it stops, and who watches.
#[derive(Clone, Default)]
pub struct Search {
    /// Relative gap at which a whole-unit plan counts as optimal (`policy.mipGap`).
    pub mip_gap: f64,
    /// Told of the incumbent and bound while a search runs.
    pub progress: Option<std::sync::Arc<crate::Progress>>,
}

#[cfg(test)]
mod tests;
