//! Generated scenarios: deterministic, feasible portfolios of any size that exercise
//! every feature of the model, for benchmarks, soak tests and demos.
//!
//! Feasibility is by construction: the status quo (every initiative at its current
//! activity) satisfies every constraint, with capacity set so that today's use fills
//! 75% of what may be allocated in the tightest (holiday) period.

use crate::input::scenario::{
    Dependency, Group, Initiative, Kind, Period, Policy, Resource, Scenario, Segment,
};
use std::collections::BTreeMap;

/// The size and mix of a generated scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Number of initiatives.
    pub initiatives: usize,
    /// Number of resources.
    pub resources: usize,
    /// Number of periods.
    pub periods: usize,
    /// The same seed gives the same scenario, byte for byte.
    pub seed: u64,
    /// Share of initiatives that run in whole units.
    pub integral_share: f64,
}

/// A small deterministic generator (SplitMix64), so a seed names one scenario on
/// every platform and version.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// A number in [lo, hi] rounded to `step`, so files stay readable.
    fn num(&mut self, lo: f64, hi: f64, step: f64) -> f64 {
        ((lo + (hi - lo) * self.unit()) / step).round() * step
    }
    fn pick(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const OWNERS: &[&str] = &[
    "payments",
    "growth",
    "platform",
    "data",
    "operations",
    "mobile",
    "sales",
    "finance",
];
const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A feasible scenario of the given shape. The same shape (seed included) gives the
/// same scenario, byte for byte.
pub fn generate(shape: Shape) -> Scenario {
    let mut d = Dice(shape.seed ^ 0x5EED_F1D1_7000_0000);
    let n_t = shape.periods.max(1);
    let n_r = shape.resources.max(1);
    let periods: Vec<Period> = (0..n_t)
        .map(|t| Period {
            id: if n_t <= 12 {
                MONTHS[t].to_string()
            } else {
                format!("w{:02}", t + 1)
            },
            weight: None,
        })
        .collect();
    let resource_ids: Vec<String> = (0..n_r)
        .map(|r| match r {
            0 => "eng".to_string(),
            1 => "capital".to_string(),
            2 => "leadership".to_string(),
            _ => format!("pool-{r}"),
        })
        .collect();

    let mut initiatives: Vec<Initiative> = (0..shape.initiatives)
        .map(|k| initiative(&mut d, k, &resource_ids, shape.integral_share))
        .collect();
    // Keep at least one initiative using each resource so every capacity row binds something.
    for (r, id) in resource_ids.iter().enumerate() {
        if !initiatives.is_empty() && !initiatives.iter().any(|i| i.requirements.contains_key(id)) {
            let k = r % initiatives.len();
            initiatives[k].requirements.insert(id.clone(), 1.0);
        }
    }
    let resources = resources(&mut d, &resource_ids, &initiatives, n_t);
    let groups = owner_floors(&initiatives);
    let dependencies = dependencies(&mut d, &initiatives);

    // A few priority tiers on larger scenarios ("compliance even over growth").
    if initiatives.len() >= 20 {
        for (k, init) in initiatives.iter_mut().enumerate() {
            if k % 17 == 3 {
                init.tier = 1;
            }
        }
    }

    Scenario {
        name: format!(
            "generated {}x{}x{} seed {}",
            shape.initiatives, shape.resources, shape.periods, shape.seed
        ),
        periods,
        resources,
        initiatives,
        groups,
        dependencies,
        policy: Policy {
            tier_tolerance: Some(0.05),
            time_limit_seconds: None,
            solver: String::new(),
            mip_gap: None,
        },
    }
}

/// The resources, with capacity that leaves room above today's use in every period
/// (less in a holiday period two thirds in).
fn resources(
    d: &mut Dice,
    resource_ids: &[String],
    initiatives: &[Initiative],
    n_t: usize,
) -> Vec<Resource> {
    // Today's use per resource; capacity leaves room above it in every period.
    let use_now: Vec<f64> = resource_ids
        .iter()
        .map(|id| {
            initiatives
                .iter()
                .map(|i| i.requirements.get(id).copied().unwrap_or(0.0) * i.current)
                .sum::<f64>()
        })
        .collect();
    let dip = if n_t >= 3 { Some(n_t * 2 / 3) } else { None };
    resource_ids
        .iter()
        .enumerate()
        .map(|(r, id)| {
            let reserve_min = d.num(0.10, 0.15, 0.01);
            // Today's use is 75% of allocatable in the holiday period (85% of normal).
            let base = (use_now[r].max(1.0) / (0.75 * (1.0 - reserve_min) * 0.85)).ceil();
            let capacity = (0..n_t)
                .map(|t| {
                    if Some(t) == dip {
                        (base * 0.85).ceil()
                    } else {
                        base
                    }
                })
                .collect();
            Resource {
                id: id.clone(),
                name: match r {
                    0 => "Engineering".to_string(),
                    1 => "Discretionary capital".to_string(),
                    2 => "Leadership attention".to_string(),
                    _ => format!("Skill pool {r}"),
                },
                unit: match r {
                    0 => "FTE",
                    1 => "kUSD",
                    2 => "hours",
                    _ => "FTE",
                }
                .to_string(),
                capacity,
                reserve_min: Some(reserve_min),
                move_cost: (r != 2).then(|| d.num(0.1, 1.0, 0.05)),
                max_churn: (r == 0).then_some(0.2),
            }
        })
        .collect()
}

/// One engineering floor per owner: half of what the owner's initiatives use today.
fn owner_floors(initiatives: &[Initiative]) -> Vec<Group> {
    let mut groups = Vec::new();
    for owner in OWNERS {
        let members: Vec<&Initiative> = initiatives.iter().filter(|i| i.owner == *owner).collect();
        let used: f64 = members
            .iter()
            .map(|i| i.requirements.get("eng").copied().unwrap_or(0.0) * i.current)
            .sum();
        if members.len() >= 2 && used > 0.0 {
            groups.push(Group {
                id: format!("{owner}-eng"),
                resource: "eng".to_string(),
                initiatives: members.iter().map(|i| i.id.clone()).collect(),
                min: Some((used * 0.5).floor()),
                max: Some((used * 1.6).ceil()),
            });
        }
    }
    groups
}

/// Dependencies between pairs, with a ratio today's activity satisfies.
fn dependencies(d: &mut Dice, initiatives: &[Initiative]) -> Vec<Dependency> {
    let mut dependencies = Vec::new();
    let n_i = initiatives.len();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..n_i / 25 {
        let (b, a) = (d.pick(n_i), d.pick(n_i));
        if a == b || initiatives[a].current <= 0.0 || !seen.insert((b, a)) {
            continue;
        }
        let needed = initiatives[b].current / initiatives[a].current;
        dependencies.push(Dependency {
            initiative: initiatives[b].id.clone(),
            requires: initiatives[a].id.clone(),
            ratio: Some((needed * 1.25).max(1.0).ceil()),
        });
    }
    dependencies
}

fn initiative(d: &mut Dice, k: usize, resources: &[String], integral_share: f64) -> Initiative {
    let owner = OWNERS[k % OWNERS.len()];
    let operations = d.chance(0.3);
    let integral = d.chance(integral_share);
    let mut requirements = BTreeMap::new();
    requirements.insert(resources[0].clone(), d.num(0.5, 4.0, 0.5));
    for id in &resources[1..] {
        if d.chance(0.5) {
            let amount = match id.as_str() {
                "capital" => d.num(5.0, 80.0, 5.0),
                "leadership" => d.num(1.0, 8.0, 1.0),
                _ => d.num(0.5, 3.0, 0.5),
            };
            requirements.insert(id.clone(), amount);
        }
    }
    let mut current = if operations {
        d.num(2.0, 8.0, 1.0)
    } else {
        d.num(0.0, 4.0, 1.0)
    };
    if integral {
        current = current.round();
    }
    // Concave value: per-unit value falls at each breakpoint; breakpoints above current.
    let first = d.num(10.0, 60.0, 0.5);
    let segments = 1 + d.pick(3);
    let mut value = Vec::new();
    let mut up_to = current.max(1.0);
    let mut per_unit = first;
    for s in 0..segments {
        up_to += d.num(1.0, 4.0, 1.0);
        let open = s + 1 == segments && d.chance(0.2);
        value.push(Segment {
            up_to: (!open).then_some(up_to),
            per_unit,
        });
        per_unit = (per_unit * d.num(0.3, 0.8, 0.05) * 100.0).round() / 100.0;
    }
    let ramps = d.chance(0.5);
    Initiative {
        id: format!("{owner}-{k:04}"),
        name: format!(
            "{} initiative {k}",
            if operations { "Run" } else { "Change" }
        ),
        owner: owner.to_string(),
        kind: if operations {
            Kind::Operations
        } else {
            Kind::Strategic
        },
        requirements,
        current,
        min: None,
        max: if d.chance(0.2) {
            Some(current + d.num(1.0, 5.0, 1.0))
        } else {
            None
        },
        value,
        ramp_up: ramps.then(|| d.num(1.0, 3.0, 0.5)),
        ramp_down: ramps.then(|| d.num(1.0, 3.0, 0.5)),
        locked: d.chance(0.02),
        integral,
        tier: 0,
    }
}
