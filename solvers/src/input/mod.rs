//! What comes in: the scenario types (the protobuf JSON of `fluidity.v1.Scenario`) and
//! the rules a valid scenario meets, every problem listed with its field path.

pub(crate) mod proto_json;
pub mod scenario;
pub mod validate;
