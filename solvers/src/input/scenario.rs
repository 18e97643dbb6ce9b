//! The scenario: what a planner tells Fluidity about the rest of the quarter.
//!
//! The types mirror the protobuf `fluidity.v1.Scenario` message field for field, and
//! their serde form is its protobuf JSON mapping (lowerCamelCase names, proto field
//! names accepted too, enums by name, doubles as numbers or strings). Unknown fields
//! are refused, so a misspelt `maxChrun` is an error rather than a silently absent
//! limit. Meaning and defaults are in `docs/model.md`.

use crate::proto_json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A what-if to plan: the remaining periods, the resources, the initiatives that use
/// them, and the rules that bind them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub name: String,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub periods: Vec<Period>,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub resources: Vec<Resource>,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub initiatives: Vec<Initiative>,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub groups: Vec<Group>,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub dependencies: Vec<Dependency>,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub policy: Policy,
}

/// One step of what is left of the quarter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Period {
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub id: String,
    /// Multiplies the value earned in this period; absent means 1.
    #[serde(
        default,
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub weight: Option<f64>,
}

/// A kind of capacity: people of one skill pool, capital, leadership attention.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resource {
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub id: String,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub name: String,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub unit: String,
    /// Capacity per period, or one number for every period.
    #[serde(default, deserialize_with = "proto_json::doubles")]
    pub capacity: Vec<f64>,
    /// Fraction of capacity that must stay unallocated (the strategic reserve).
    #[serde(
        default,
        alias = "reserve_min",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub reserve_min: Option<f64>,
    /// Value lost per unit added to or removed from an initiative.
    #[serde(
        default,
        alias = "move_cost",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub move_cost: Option<f64>,
    /// Fraction of capacity that may change initiative per period.
    #[serde(
        default,
        alias = "max_churn",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_churn: Option<f64>,
}

/// Run-the-business work or change-the-business work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Kind {
    /// Change-the-business (OKR) work; its floor defaults to 0.
    #[default]
    Strategic,
    /// Run-the-business (KPI) work; its floor defaults to today's activity.
    Operations,
}

/// Something that consumes resources and produces value.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Initiative {
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub id: String,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub name: String,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub owner: String,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub kind: Kind,
    /// Resource units one unit of activity uses, by resource id.
    #[serde(default, deserialize_with = "proto_json::double_map")]
    pub requirements: BTreeMap<String, f64>,
    /// Activity now, before the first period.
    #[serde(default, deserialize_with = "proto_json::double")]
    pub current: f64,
    #[serde(
        default,
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub min: Option<f64>,
    #[serde(
        default,
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub max: Option<f64>,
    /// Concave value curve: per-unit value of each successive slice of activity.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub value: Vec<Segment>,
    #[serde(
        default,
        alias = "ramp_up",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub ramp_up: Option<f64>,
    #[serde(
        default,
        alias = "ramp_down",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub ramp_down: Option<f64>,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub locked: bool,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub integral: bool,
    /// Priority tier for "even over" trade-offs: 0 none, 1 highest.
    #[serde(default, deserialize_with = "proto_json::uint32")]
    pub tier: u32,
}

/// One slice of a value curve: `perUnit` for activity up to `upTo`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Segment {
    #[serde(
        default,
        alias = "up_to",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub up_to: Option<f64>,
    #[serde(default, alias = "per_unit", deserialize_with = "proto_json::double")]
    pub per_unit: f64,
}

/// Bounds on several initiatives' combined use of one resource, in every period.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Group {
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub id: String,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub resource: String,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub initiatives: Vec<String>,
    #[serde(
        default,
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub min: Option<f64>,
    #[serde(
        default,
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub max: Option<f64>,
}

/// `initiative` can run only as far as `requires` runs: a[initiative] <= ratio * a[requires].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dependency {
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub initiative: String,
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub requires: String,
    #[serde(
        default,
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub ratio: Option<f64>,
}

/// How to solve: tier tolerance, time limit and solver choice.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// Fraction of a higher tier's optimal value that lower tiers may cost it.
    #[serde(
        default,
        alias = "tier_tolerance",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub tier_tolerance: Option<f64>,
    #[serde(
        default,
        alias = "time_limit_seconds",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub time_limit_seconds: Option<f64>,
    /// `auto` (or empty), `clarabel`, `lpsolve`, `microlp`, or another compiled-in
    /// backend.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub solver: String,
    /// Relative gap at which a whole-unit plan counts as OPTIMAL; absent: 1e-4.
    #[serde(
        default,
        alias = "mip_gap",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub mip_gap: Option<f64>,
}

/// Why a scenario's JSON could not be read: the field path and what was wrong there.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ParseError {
    /// Path of the offending field (`initiatives[3].current`), or `line L column C`
    /// where the JSON itself is malformed.
    pub path: String,
    pub message: String,
}

impl Scenario {
    /// Reads a scenario from its protobuf JSON text.
    pub fn from_json(text: &str) -> Result<Scenario, ParseError> {
        parse_json(text)
    }
}

/// Parses protobuf-JSON text into `T`, naming the field path of any problem.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ParseError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let path = if path == "." || inner.is_syntax() || inner.is_eof() {
            format!("line {} column {}", inner.line(), inner.column())
        } else {
            path
        };
        ParseError {
            path,
            message: strip_position(&inner.to_string()),
        }
    })?;
    de.end().map_err(|e| ParseError {
        path: format!("line {} column {}", e.line(), e.column()),
        message: strip_position(&e.to_string()),
    })?;
    Ok(value)
}

/// serde_json appends " at line L column C"; the path already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}
