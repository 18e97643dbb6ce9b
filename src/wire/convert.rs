//! Conversions between the wire types (`proto`) and the core's (`fluidity_solvers`).
//!
//! The two mirror each other field for field; the only thing the wire can say that
//! the core cannot is an enum number no version of the API defines, which is reported
//! like any other validation problem, with its field path.

use crate::wire::proto;
use fluidity_solvers as core_plan;
use fluidity_solvers as core;
use fluidity_solvers::Violation;

/// A wire scenario as the core's, or the problems that stop it being one.
///
/// Long because it maps every field of every message of the scenario, one line each.
pub fn scenario_from_proto(s: proto::Scenario) -> Result<core::Scenario, Vec<Violation>> {
    let mut problems = Vec::new();
    let initiatives = s
        .initiatives
        .into_iter()
        .enumerate()
        .map(|(k, i)| {
            let kind = match proto::Kind::try_from(i.kind) {
                Ok(proto::Kind::Strategic) => core::Kind::Strategic,
                Ok(proto::Kind::Operations) => core::Kind::Operations,
                Err(_) => {
                    problems.push(Violation {
                        path: format!("initiatives[{k}].kind"),
                        message: format!("unknown kind {}; use STRATEGIC or OPERATIONS", i.kind),
                    });
                    core::Kind::Strategic
                }
            };
            core::Initiative {
                id: i.id,
                name: i.name,
                owner: i.owner,
                kind,
                requirements: i.requirements,
                current: i.current,
                min: i.min,
                max: i.max,
                value: i
                    .value
                    .into_iter()
                    .map(|seg| core::Segment {
                        up_to: seg.up_to,
                        per_unit: seg.per_unit,
                    })
                    .collect(),
                ramp_up: i.ramp_up,
                ramp_down: i.ramp_down,
                locked: i.locked,
                integral: i.integral,
                tier: i.tier,
            }
        })
        .collect();
    let scenario = core::Scenario {
        name: s.name,
        periods: s
            .periods
            .into_iter()
            .map(|p| core::Period {
                id: p.id,
                weight: p.weight,
            })
            .collect(),
        resources: s
            .resources
            .into_iter()
            .map(|r| core::Resource {
                id: r.id,
                name: r.name,
                unit: r.unit,
                capacity: r.capacity,
                reserve_min: r.reserve_min,
                move_cost: r.move_cost,
                max_churn: r.max_churn,
            })
            .collect(),
        initiatives,
        groups: s
            .groups
            .into_iter()
            .map(|g| core::Group {
                id: g.id,
                resource: g.resource,
                initiatives: g.initiatives,
                min: g.min,
                max: g.max,
            })
            .collect(),
        dependencies: s
            .dependencies
            .into_iter()
            .map(|d| core::Dependency {
                initiative: d.initiative,
                requires: d.requires,
                ratio: d.ratio,
            })
            .collect(),
        policy: s
            .policy
            .map(|p| core::Policy {
                tier_tolerance: p.tier_tolerance,
                time_limit_seconds: p.time_limit_seconds,
                solver: p.solver,
                mip_gap: p.mip_gap,
            })
            .unwrap_or_default(),
    };
    if problems.is_empty() {
        Ok(scenario)
    } else {
        Err(problems)
    }
}

/// The core's scenario on the wire (the CLI as a client sends what it read).
///
/// Long because it maps every field of every message of the scenario, one line each.
pub fn scenario_to_proto(s: &core::Scenario) -> proto::Scenario {
    proto::Scenario {
        name: s.name.clone(),
        periods: s
            .periods
            .iter()
            .map(|p| proto::Period {
                id: p.id.clone(),
                weight: p.weight,
            })
            .collect(),
        resources: s
            .resources
            .iter()
            .map(|r| proto::Resource {
                id: r.id.clone(),
                name: r.name.clone(),
                unit: r.unit.clone(),
                capacity: r.capacity.clone(),
                reserve_min: r.reserve_min,
                move_cost: r.move_cost,
                max_churn: r.max_churn,
            })
            .collect(),
        initiatives: s
            .initiatives
            .iter()
            .map(|i| proto::Initiative {
                id: i.id.clone(),
                name: i.name.clone(),
                owner: i.owner.clone(),
                kind: match i.kind {
                    core::Kind::Strategic => proto::Kind::Strategic,
                    core::Kind::Operations => proto::Kind::Operations,
                } as i32,
                requirements: i.requirements.clone(),
                current: i.current,
                min: i.min,
                max: i.max,
                value: i
                    .value
                    .iter()
                    .map(|seg| proto::Segment {
                        up_to: seg.up_to,
                        per_unit: seg.per_unit,
                    })
                    .collect(),
                ramp_up: i.ramp_up,
                ramp_down: i.ramp_down,
                locked: i.locked,
                integral: i.integral,
                tier: i.tier,
            })
            .collect(),
        groups: s
            .groups
            .iter()
            .map(|g| proto::Group {
                id: g.id.clone(),
                resource: g.resource.clone(),
                initiatives: g.initiatives.clone(),
                min: g.min,
                max: g.max,
            })
            .collect(),
        dependencies: s
            .dependencies
            .iter()
            .map(|d| proto::Dependency {
                initiative: d.initiative.clone(),
                requires: d.requires.clone(),
                ratio: d.ratio,
            })
            .collect(),
        policy: Some(proto::Policy {
            tier_tolerance: s.policy.tier_tolerance,
            time_limit_seconds: s.policy.time_limit_seconds,
            solver: s.policy.solver.clone(),
            mip_gap: s.policy.mip_gap,
        }),
    }
}

/// A plan as its protobuf message, field for field.
///
/// Long because it maps every field of every message of the plan, one line each.
pub fn plan_to_proto(p: &core_plan::Plan) -> proto::Plan {
    proto::Plan {
        status: match p.status {
            core_plan::Status::Optimal => proto::Status::Optimal,
            core_plan::Status::Feasible => proto::Status::Feasible,
            core_plan::Status::Infeasible => proto::Status::Infeasible,
        } as i32,
        objective: p.objective,
        value: p.value,
        move_cost: p.move_cost,
        baseline: Some(proto::Baseline {
            feasible: p.baseline.feasible,
            value: p.baseline.value,
            violations: p.baseline.violations.clone(),
        }),
        initiatives: p
            .initiatives
            .iter()
            .map(|i| proto::InitiativePlan {
                id: i.id.clone(),
                activity: i.activity.clone(),
                change: match i.change {
                    core_plan::Change::Grow => proto::Change::Grow,
                    core_plan::Change::Hold => proto::Change::Hold,
                    core_plan::Change::Shrink => proto::Change::Shrink,
                    core_plan::Change::Stop => proto::Change::Stop,
                } as i32,
                marginal_value: i.marginal_value.clone(),
                resource_cost: i.resource_cost.clone(),
                held_by: i.held_by.clone(),
            })
            .collect(),
        resources: p
            .resources
            .iter()
            .map(|r| proto::ResourcePlan {
                id: r.id.clone(),
                used: r.used.clone(),
                reserve: r.reserve.clone(),
                capacity: r.capacity.clone(),
                shadow_price: r.shadow_price.clone(),
            })
            .collect(),
        moves: p
            .moves
            .iter()
            .map(|m| proto::Move {
                period: m.period.clone(),
                resource: m.resource.clone(),
                from: m.from.clone(),
                to: m.to.clone(),
                amount: m.amount,
            })
            .collect(),
        bottlenecks: p
            .bottlenecks
            .iter()
            .map(|b| proto::Bottleneck {
                constraint: b.constraint.clone(),
                shadow_price: b.shadow_price,
                value_of_one_percent: b.value_of_one_percent,
            })
            .collect(),
        diagnosis: p
            .diagnosis
            .iter()
            .map(|d| proto::Relaxation {
                constraint: d.constraint.clone(),
                relax_by: d.relax_by,
            })
            .collect(),
        solver: Some(proto::SolverStats {
            name: p.solver.name.clone(),
            seconds: p.solver.seconds,
            variables: p.solver.variables,
            constraints: p.solver.constraints,
            stages: p.solver.stages,
            bound: p.solver.bound,
            gap: p.solver.gap,
        }),
    }
}

/// A plan from the wire as the core's, so a plan fetched from a server prints exactly
/// as one solved in-process. Fails only on an enum number this build does not know.
///
/// Long because it maps every field of every message of the plan, one line each.
pub fn plan_from_proto(p: proto::Plan) -> Result<core_plan::Plan, String> {
    let status = match proto::Status::try_from(p.status) {
        Ok(proto::Status::Optimal) => core_plan::Status::Optimal,
        Ok(proto::Status::Feasible) => core_plan::Status::Feasible,
        Ok(proto::Status::Infeasible) => core_plan::Status::Infeasible,
        _ => {
            return Err(format!(
                "the server sent an unknown plan status {}",
                p.status
            ))
        }
    };
    let baseline = p.baseline.unwrap_or_default();
    let solver = p.solver.unwrap_or_default();
    let initiatives = p
        .initiatives
        .into_iter()
        .map(|i| {
            let change = match proto::Change::try_from(i.change) {
                Ok(proto::Change::Grow) => core_plan::Change::Grow,
                Ok(proto::Change::Hold) => core_plan::Change::Hold,
                Ok(proto::Change::Shrink) => core_plan::Change::Shrink,
                Ok(proto::Change::Stop) => core_plan::Change::Stop,
                _ => return Err(format!("the server sent an unknown change {}", i.change)),
            };
            Ok(core_plan::InitiativePlan {
                id: i.id,
                activity: i.activity,
                change,
                marginal_value: i.marginal_value,
                resource_cost: i.resource_cost,
                held_by: i.held_by,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(core_plan::Plan {
        status,
        objective: p.objective,
        value: p.value,
        move_cost: p.move_cost,
        baseline: core_plan::Baseline {
            feasible: baseline.feasible,
            value: baseline.value,
            violations: baseline.violations,
        },
        initiatives,
        resources: p
            .resources
            .into_iter()
            .map(|r| core_plan::ResourcePlan {
                id: r.id,
                used: r.used,
                reserve: r.reserve,
                capacity: r.capacity,
                shadow_price: r.shadow_price,
            })
            .collect(),
        moves: p
            .moves
            .into_iter()
            .map(|m| core_plan::Move {
                period: m.period,
                resource: m.resource,
                from: m.from,
                to: m.to,
                amount: m.amount,
            })
            .collect(),
        bottlenecks: p
            .bottlenecks
            .into_iter()
            .map(|b| core_plan::Bottleneck {
                constraint: b.constraint,
                shadow_price: b.shadow_price,
                value_of_one_percent: b.value_of_one_percent,
            })
            .collect(),
        diagnosis: p
            .diagnosis
            .into_iter()
            .map(|d| core_plan::Relaxation {
                constraint: d.constraint,
                relax_by: d.relax_by,
            })
            .collect(),
        solver: core_plan::SolverStats {
            name: solver.name,
            seconds: solver.seconds,
            variables: solver.variables,
            constraints: solver.constraints,
            stages: solver.stages,
            bound: solver.bound,
            gap: solver.gap,
        },
    })
}

/// A violation as its protobuf message (`field`, `description`).
pub fn violation_to_proto(v: &Violation) -> proto::Violation {
    proto::Violation {
        field: v.path.clone(),
        description: v.message.clone(),
    }
}

/// Converts between a core type and its proto mirror through their shared protobuf
/// JSON form (the core's serde form *is* the proto's JSON mapping, which the JSON
/// format tests hold to). Used for the what-if messages, where writing each field
/// twice by hand would buy nothing.
pub fn via_json<A: serde::Serialize, B: serde::de::DeserializeOwned>(
    value: &A,
) -> Result<B, String> {
    let json = serde_json::to_value(value).map_err(|e| e.to_string())?;
    serde_json::from_value(json).map_err(|e| e.to_string())
}
