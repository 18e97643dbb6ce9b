//! Compiles `proto/` without a system protoc: protox parses the files in pure Rust,
//! tonic-prost-build writes the messages and the service, pbjson-build writes their
//! protobuf JSON mapping, and the descriptor set is kept for gRPC reflection.

use prost::Message;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let descriptors = protox::compile(
        ["fluidity/v1/fluidity.proto", "fluidity/v1/lifecycle.proto"],
        ["proto"],
    )?;
    let bytes = descriptors.encode_to_vec();
    std::fs::write(out.join("fluidity_descriptor.bin"), &bytes)?;

    tonic_prost_build::configure()
        // Ordered maps keep requirement iteration (and so everything downstream) stable.
        .btree_map(".")
        // Undecodable requests are INVALID_ARGUMENT, not INTERNAL (see src/wire/codec.rs).
        .codec_path("crate::wire::codec::WireCodec")
        .compile_fds(descriptors)?;

    pbjson_build::Builder::new()
        .register_descriptors(&bytes)?
        // Every field present in JSON output, zeros and empty lists included.
        .emit_fields()
        .btree_map(["."])
        .build(&[".fluidity.v1"])?;
    Ok(())
}
