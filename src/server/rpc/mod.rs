//! One file per RPC of `fluidity.v1.FluidityService`: each adds its work to
//! [`super::service::Planner`], whose trait implementation (in `service`) calls it and
//! counts the answer.

mod compare;
mod explain;
mod plan;
mod plan_stream;
mod sweep;
mod validate;
