//! The wire: the protobuf types generated from `proto/fluidity/v1/fluidity.proto`,
//! their conversion to and from the core's types, the codec that turns undecodable
//! bytes into INVALID_ARGUMENT, and the gRPC statuses of the core's errors
//! (`status`). With the server, the client and the fuzz entry points, the only code
//! that knows protobuf.

pub mod codec;
pub mod convert;
pub mod lifecycle;
pub mod proto;
pub mod status;
