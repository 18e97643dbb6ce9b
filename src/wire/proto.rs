//! The generated `fluidity.v1` types, service stubs and their protobuf JSON mapping.
#![allow(clippy::all, missing_docs)]

tonic::include_proto!("fluidity.v1");
include!(concat!(env!("OUT_DIR"), "/fluidity.v1.serde.rs"));

/// The encoded descriptor set of `proto/`, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/fluidity_descriptor.bin"));
