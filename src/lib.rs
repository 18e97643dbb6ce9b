//! The `fluidity` package's library: the wire (protobuf types and their conversion
//! to and from the core's), the gRPC server, and the gRPC client the CLI uses.
//! The optimisation itself lives in `fluidity-solvers`; only this crate knows
//! protobuf and the network.

pub mod batch;
pub mod client;
pub mod codec;
pub mod convert;
pub mod files;
pub mod fuzzing;
pub mod numbers;
pub mod proto;
pub mod server;
