//! Serde helpers for the protobuf JSON mapping of numbers.
//!
//! Protobuf JSON writes a `double` as a JSON number or as a string (`"1.5"`,
//! `"NaN"`, `"Infinity"`, `"-Infinity"`), and `null` as "field absent". We accept
//! all of them so that every scenario a protobuf client can write parses here;
//! non-finite values are then refused by validation, with their field path,
//! instead of failing deep inside a parser.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// A double as protobuf JSON writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ProtoDouble(pub f64);

impl<'de> Deserialize<'de> for ProtoDouble {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DoubleVisitor;
        impl Visitor<'_> for DoubleVisitor {
            type Value = ProtoDouble;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, or a string holding a number, \"NaN\", \"Infinity\" or \"-Infinity\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ProtoDouble, E> {
                Ok(ProtoDouble(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ProtoDouble, E> {
                Ok(ProtoDouble(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ProtoDouble, E> {
                Ok(ProtoDouble(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ProtoDouble, E> {
                match v {
                    "NaN" => Ok(ProtoDouble(f64::NAN)),
                    "Infinity" => Ok(ProtoDouble(f64::INFINITY)),
                    "-Infinity" => Ok(ProtoDouble(f64::NEG_INFINITY)),
                    // Rust's parser also takes "inf" and "nan", which protobuf JSON does not.
                    _ if v
                        .chars()
                        .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') =>
                    {
                        Err(E::invalid_value(de::Unexpected::Str(v), &self))
                    }
                    _ => v
                        .trim()
                        .parse::<f64>()
                        .map(ProtoDouble)
                        .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(DoubleVisitor)
    }
}

/// A required `double`: `null` reads as the proto3 default, 0.
pub(crate) fn double<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<ProtoDouble>::deserialize(d)?.map_or(0.0, |x| x.0))
}

/// A proto3 `optional double`: `null` reads as absent.
pub(crate) fn optional_double<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(Option::<ProtoDouble>::deserialize(d)?.map(|x| x.0))
}

/// A `repeated double`: `null` reads as empty.
pub(crate) fn doubles<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Ok(Option::<Vec<ProtoDouble>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|x| x.0)
        .collect())
}

/// A `map<string, double>`: `null` reads as empty.
pub(crate) fn double_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, f64>, D::Error> {
    Ok(Option::<BTreeMap<String, ProtoDouble>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.0))
        .collect())
}

/// Any other field where `null` means the default (strings, bools, lists, messages).
pub(crate) fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A `uint32`: a JSON number or a string holding one; `null` is 0.
pub(crate) fn uint32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let x = Option::<ProtoDouble>::deserialize(d)?.map_or(0.0, |x| x.0);
    if x.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&x) {
        Ok(x as u32)
    } else {
        Err(de::Error::invalid_value(
            de::Unexpected::Float(x),
            &"a whole number from 0 to 4294967295",
        ))
    }
}
