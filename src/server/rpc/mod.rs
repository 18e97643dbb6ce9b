//! One file per RPC of `fluidity.v1.FluidityService`: each adds its work to
//! [`super::service::PlanningService`], whose trait implementation (in `service`)
//! calls it and counts the answer (PlanStream counts each message itself).

mod compare;
mod explain;
mod plan;
mod plan_stream;
mod sweep;
mod validate;
