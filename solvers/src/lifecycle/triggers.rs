//! A portfolio's escalation triggers and the alerts an execution raises.

use super::Execution;
use serde::{Deserialize, Serialize};

/// When execution has drifted far enough to tell someone; each trigger is off when
/// absent (false).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Triggers {
    /// An initiative's activity off plan by more than this fraction of the plan's
    /// (0.2: more than 20% above or below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_relative_deviation: Option<f64>,
    /// A period's realised value below the planned value by more than this fraction
    /// of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value_shortfall: Option<f64>,
    /// A resource used beyond its capacity.
    #[serde(default)]
    pub resource_over_capacity: bool,
    /// An OPERATIONS initiative run below its floor.
    #[serde(default)]
    pub operations_below_floor: bool,
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlertKind {
    /// `maxRelativeDeviation` crossed.
    Deviation,
    /// `maxValueShortfall` crossed.
    ValueShortfall,
    /// A resource over capacity.
    OverCapacity,
    /// OPERATIONS work below its floor.
    BelowFloor,
}

/// One trigger crossed in one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Which trigger.
    pub kind: AlertKind,
    /// The initiative or resource it is about (empty for a period's value).
    pub subject: String,
    /// The period's id.
    pub period: String,
    /// What was measured (a relative deviation, a shortfall fraction, units used,
    /// activity).
    pub measured: f64,
    /// The limit it crossed.
    pub limit: f64,
    /// For people: what happened, in the scenario's terms.
    pub message: String,
}

/// A number in an alert's message: at most four decimals, no float noise
/// (1.3333333333333326 reads 1.3333).
fn short(x: f64) -> String {
    let rounded = (x * 1e4).round() / 1e4;
    if rounded.is_finite() && rounded.abs() < 1e15 {
        format!("{}", rounded + 0.0)
    } else {
        format!("{x:e}")
    }
}

/// A relative deviation in an alert's message: a percentage, or "none planned".
fn percent(x: f64) -> String {
    if x.abs() >= 1e6 {
        "none planned".to_string()
    } else {
        format!("{:+.1}%", 100.0 * x)
    }
}

/// The alerts `triggers` raise on `execution`: initiatives first (scenario order,
/// then period), then periods' value, then resources. Only recorded activity raises
/// an initiative's alert.
pub fn alerts(execution: &Execution, triggers: &Triggers) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for e in execution.initiatives.iter().filter(|e| e.recorded) {
        if let Some(limit) = triggers.max_relative_deviation {
            if e.relative_deviation.abs() > limit {
                alerts.push(Alert {
                    kind: AlertKind::Deviation,
                    subject: e.initiative.clone(),
                    period: e.period.clone(),
                    measured: e.relative_deviation,
                    limit,
                    message: format!(
                        "{} ran {} in {} against {} planned ({}, limit {:.1}%)",
                        e.initiative,
                        short(e.actual),
                        e.period,
                        short(e.planned),
                        percent(e.relative_deviation),
                        100.0 * limit
                    ),
                });
            }
        }
        let below = e.floor - e.actual;
        if triggers.operations_below_floor && e.operations && below > 1e-9 * e.floor.max(1.0) {
            alerts.push(Alert {
                kind: AlertKind::BelowFloor,
                subject: e.initiative.clone(),
                period: e.period.clone(),
                measured: e.actual,
                limit: e.floor,
                message: format!(
                    "{} (OPERATIONS) ran {} in {}, below its floor of {}",
                    e.initiative, e.actual, e.period, e.floor
                ),
            });
        }
    }
    if let Some(limit) = triggers.max_value_shortfall {
        for p in &execution.periods {
            let shortfall = (p.value_planned - p.value_realised) / p.value_planned.abs().max(1e-9);
            if shortfall > limit {
                alerts.push(Alert {
                    kind: AlertKind::ValueShortfall,
                    subject: String::new(),
                    period: p.period.clone(),
                    measured: shortfall,
                    limit,
                    message: format!(
                        "{} realised {} of {} planned value ({:.1}% short, limit {:.1}%)",
                        p.period,
                        short(p.value_realised),
                        short(p.value_planned),
                        100.0 * shortfall,
                        100.0 * limit
                    ),
                });
            }
        }
    }
    if triggers.resource_over_capacity {
        for r in &execution.resources {
            if r.used > r.capacity + 1e-9 * r.capacity.abs().max(1.0) {
                alerts.push(Alert {
                    kind: AlertKind::OverCapacity,
                    subject: r.resource.clone(),
                    period: r.period.clone(),
                    measured: r.used,
                    limit: r.capacity,
                    message: format!(
                        "{} used {} in {}, over its capacity of {}",
                        r.resource,
                        short(r.used),
                        r.period,
                        short(r.capacity)
                    ),
                });
            }
        }
    }
    alerts
}
