//! The `fluidity` package's library: everything of Fluidity that is not the
//! optimisation itself (`fluidity-solvers`) nor the command line (`src/cli/`, the
//! binary): the wire (protobuf types and their conversion to and from the core's),
//! the gRPC server, the gRPC client the CLI uses, and batch runs with their reports.
//! Only this crate knows protobuf and the network.

#![deny(missing_docs)]

pub mod batch;
pub mod client;
pub mod files;
#[doc(hidden)]
pub mod fuzzing;
pub mod numbers;
pub mod server;
pub mod store;
pub mod wire;
pub mod workbook;
