//! The wire codec: prost's, except that bytes that do not decode as the expected
//! message are the caller's mistake (INVALID_ARGUMENT), not a server fault (tonic's
//! default says INTERNAL, which this service keeps for its own bugs).

use std::marker::PhantomData;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic::Status;
use tonic_prost::{ProstCodec, ProstEncoder};

/// `ProstCodec` with caller-blaming decode errors; the generated code names it.
pub struct WireCodec<T, U>(ProstCodec<T, U>);

impl<T, U> Default for WireCodec<T, U> {
    fn default() -> Self {
        WireCodec(ProstCodec::default())
    }
}

impl<T, U> Codec for WireCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = WireDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.0.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        WireDecoder(PhantomData)
    }
}

/// Decodes a `U`, blaming the sender for bytes that are not one.
pub struct WireDecoder<U>(PhantomData<U>);

impl<U: prost::Message + Default> Decoder for WireDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf).map(Some).map_err(|e| {
            Status::invalid_argument(format!("the request is not a valid protobuf message: {e}"))
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}
