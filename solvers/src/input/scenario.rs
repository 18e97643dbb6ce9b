//! The scenario: what a planner tells Fluidity about the rest of the quarter.
//!
//! The types mirror the protobuf `fluidity.v1.Scenario` message field for field, and
//! their serde form is its protobuf JSON mapping (lowerCamelCase names, proto field
//! names accepted too, enums by name, doubles as numbers or strings). Unknown fields
//! are refused, so a misspelt `maxChrun` is an error rather than a silently absent
//! limit. Meaning and defaults are in `docs/model.md`.

use crate::input::proto_json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A what-if to plan: the remaining periods, the resources, the initiatives that use
/// them, and the rules that bind them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    /// A label for people (reports, batch summaries); plays no part in the plan.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub name: String,
    /// The remaining periods of the quarter, in order; at least one.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub periods: Vec<Period>,
    /// The resources initiatives draw on; at least one.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub resources: Vec<Resource>,
    /// The initiatives competing for the resources.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub initiatives: Vec<Initiative>,
    /// Bounds on several initiatives' combined use of one resource.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub groups: Vec<Group>,
    /// Activity limits of one initiative by another's.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub dependencies: Vec<Dependency>,
    /// How to solve.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub policy: Policy,
}

/// One step of what is left of the quarter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Period {
    /// Unique among the periods; names the period in constraint names (`capacity[eng@aug]`).
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
    /// Unique among the resources; the key of `Initiative::requirements`.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub id: String,
    /// A label for people.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub name: String,
    /// The unit of capacity and requirements (`FTE`, `USD`), for people; prices are per unit.
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
    /// Unique among the initiatives.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub id: String,
    /// A label for people.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub name: String,
    /// Who runs it, for people (reports group by owner).
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub owner: String,
    /// Run-the-business (floor defaults to today) or change-the-business (floor 0).
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub kind: Kind,
    /// Resource units one unit of activity uses, by resource id.
    #[serde(default, deserialize_with = "proto_json::double_map")]
    pub requirements: BTreeMap<String, f64>,
    /// Activity now, before the first period.
    #[serde(default, deserialize_with = "proto_json::double")]
    pub current: f64,
    /// The least activity in every period (`lo_i`); absent: 0, or `current` for OPERATIONS.
    #[serde(
        default,
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub min: Option<f64>,
    /// The most activity in every period (`hi_i` is the smaller of this and the curve's end).
    #[serde(
        default,
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub max: Option<f64>,
    /// Concave value curve: per-unit value of each successive slice of activity.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub value: Vec<Segment>,
    /// The most activity may rise from one period to the next (and from `current`).
    #[serde(
        default,
        alias = "ramp_up",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub ramp_up: Option<f64>,
    /// The most activity may fall from one period to the next (and from `current`).
    #[serde(
        default,
        alias = "ramp_down",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub ramp_down: Option<f64>,
    /// Activity stays at `current` in every period.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub locked: bool,
    /// Activity in whole units (makes the problem a MILP).
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
    /// Where this slice ends, in units of activity; absent only on the last (no end).
    #[serde(
        default,
        alias = "up_to",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub up_to: Option<f64>,
    /// Value per unit of activity in this slice, per period (times the period's weight).
    #[serde(default, alias = "per_unit", deserialize_with = "proto_json::double")]
    pub per_unit: f64,
}

/// Bounds on several initiatives' combined use of one resource, in every period.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Group {
    /// Unique among the groups; names the group in constraint names (`groupMax[id@t]`).
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub id: String,
    /// The resource whose use is bounded (a resource id).
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub resource: String,
    /// The initiatives whose use adds up (initiative ids).
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub initiatives: Vec<String>,
    /// The least combined use, in the resource's units, in every period.
    #[serde(
        default,
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub min: Option<f64>,
    /// The most combined use, in the resource's units, in every period.
    #[serde(
        default,
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub max: Option<f64>,
}

/// `initiative` can run only as far as `requires` runs: `a[initiative] <= ratio * a[requires]`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dependency {
    /// The initiative limited (an initiative id).
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub initiative: String,
    /// The initiative it depends on (an initiative id).
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub requires: String,
    /// `activity[initiative] <= ratio x activity[requires]`; absent: 1.
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
    /// Seconds the whole solve may take; absent: no limit.
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
    /// What is wrong, for people.
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
