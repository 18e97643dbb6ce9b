//! The wire: the protobuf types generated from `proto/fluidity/v1/fluidity.proto`,
//! their conversion to and from the core's types, and the codec that turns
//! undecodable bytes into INVALID_ARGUMENT. The only place, with the server and the
//! client, that knows protobuf.

pub mod codec;
pub mod convert;
pub mod proto;
pub mod status;
