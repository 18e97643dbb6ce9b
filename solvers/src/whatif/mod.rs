//! Questions asked of a plan by planning again: variants side by side (`compare`), the
//! optimum along one resource (`sweep`), and what would change each decision
//! (`explain`); `variant` is the overlay a what-if applies to a scenario.

pub mod compare;
pub mod explain;
pub mod sweep;
pub mod variant;
