//! Random valid scenarios for property tests, built from a seed so that a failing
//! case can be replayed from the seed proptest prints.

use fluidity_solvers::Scenario;
use serde_json::{json, Value};

/// A small deterministic generator (SplitMix64): enough for test data.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi].
    pub fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1e6 < p
    }
    /// A number in [lo, hi] with one decimal, so hand checks stay readable.
    pub fn num(&mut self, lo: f64, hi: f64) -> f64 {
        let steps = ((hi - lo) * 10.0).round() as u64;
        lo + self.int(0, steps) as f64 / 10.0
    }
}

/// What kinds of scenario to draw.
#[derive(Clone, Copy)]
pub struct Shape {
    pub max_initiatives: u64,
    pub max_periods: u64,
    pub integral_share: f64,
    pub tiers: bool,
}

impl Shape {
    pub const LP: Shape = Shape {
        max_initiatives: 5,
        max_periods: 3,
        integral_share: 0.0,
        tiers: true,
    };
}

pub fn random_scenario(seed: u64, shape: Shape) -> Scenario {
    let json = random_json(seed, shape);
    Scenario::from_json(&json.to_string()).expect("generated scenario parses")
}

pub fn random_json(seed: u64, shape: Shape) -> Value {
    let mut d = Dice::new(seed);
    let n_t = d.int(1, shape.max_periods) as usize;
    let n_r = d.int(1, 3) as usize;
    let n_i = d.int(1, shape.max_initiatives) as usize;
    let periods: Vec<Value> = (0..n_t)
        .map(|t| {
            let mut p = json!({"id": format!("p{t}")});
            if d.chance(0.3) {
                p["weight"] = json!(d.num(0.5, 2.0));
            }
            p
        })
        .collect();
    let resources: Vec<Value> = (0..n_r)
        .map(|r| {
            let capacity: Vec<f64> = if d.chance(0.5) {
                vec![d.num(2.0, 20.0)]
            } else {
                (0..n_t).map(|_| d.num(2.0, 20.0)).collect()
            };
            let mut res = json!({"id": format!("r{r}"), "capacity": capacity});
            if d.chance(0.4) {
                res["reserveMin"] = json!(d.num(0.0, 0.3));
            }
            if d.chance(0.4) {
                res["moveCost"] = json!(d.num(0.0, 1.0));
            }
            if d.chance(0.25) {
                res["maxChurn"] = json!(d.num(0.1, 0.6));
            }
            res
        })
        .collect();
    let initiatives: Vec<Value> = (0..n_i)
        .map(|i| {
            let mut requirements = serde_json::Map::new();
            for r in 0..n_r {
                if d.chance(0.7) {
                    requirements.insert(format!("r{r}"), json!(d.num(0.0, 3.0)));
                }
            }
            let current = d.num(0.0, 5.0);
            let mut init = json!({
                "id": format!("i{i}"),
                "kind": if d.chance(0.3) { "OPERATIONS" } else { "STRATEGIC" },
                "requirements": requirements,
                "current": current,
            });
            let segments = d.int(0, 3);
            let mut per_unit = d.num(0.0, 10.0);
            let mut up_to = 0.0;
            let mut value = Vec::new();
            for k in 0..segments {
                up_to += d.num(0.5, 4.0);
                let mut seg = json!({"perUnit": per_unit});
                if k + 1 < segments || d.chance(0.5) {
                    seg["upTo"] = json!(up_to);
                }
                value.push(seg);
                per_unit -= d.num(0.0, 4.0);
            }
            init["value"] = json!(value);
            if d.chance(0.3) {
                init["min"] = json!(d.num(0.0, 2.0));
            }
            let uses_nothing = requirements_all_zero(&init);
            if d.chance(0.4) || uses_nothing {
                let lo = init["min"].as_f64().unwrap_or(0.0);
                init["max"] = json!(lo + d.num(0.0, 6.0));
            }
            if d.chance(0.3) {
                init["rampUp"] = json!(d.num(0.5, 3.0));
            }
            if d.chance(0.3) {
                init["rampDown"] = json!(d.num(0.5, 3.0));
            }
            if d.chance(0.05) {
                init["locked"] = json!(true);
            }
            if shape.tiers && d.chance(0.2) {
                init["tier"] = json!(d.int(1, 2));
            }
            if d.chance(shape.integral_share) {
                init["integral"] = json!(true);
                init["current"] = json!(current.round());
            }
            init
        })
        .collect();
    let mut scenario = json!({
        "name": format!("random-{seed}"),
        "periods": periods,
        "resources": resources,
        "initiatives": initiatives,
    });
    if n_i >= 2 && d.chance(0.3) {
        let members: Vec<String> = (0..n_i)
            .filter(|_| d.chance(0.5))
            .map(|i| format!("i{i}"))
            .collect();
        let mut group = json!({"id": "g", "resource": "r0", "initiatives": members});
        if d.chance(0.5) {
            group["max"] = json!(d.num(1.0, 15.0));
        } else {
            group["min"] = json!(d.num(0.0, 4.0));
        }
        scenario["groups"] = json!([group]);
    }
    if n_i >= 2 && d.chance(0.3) {
        let b = d.int(0, n_i as u64 - 1);
        let a = (b + d.int(1, n_i as u64 - 1)) % n_i as u64;
        scenario["dependencies"] = json!([{"initiative": format!("i{b}"), "requires": format!("i{a}"), "ratio": d.num(0.5, 2.0)}]);
    }
    if d.chance(0.3) {
        scenario["policy"] = json!({"tierTolerance": d.num(0.0, 0.3)});
    }
    scenario
}

fn requirements_all_zero(init: &Value) -> bool {
    init["requirements"]
        .as_object()
        .unwrap()
        .values()
        .all(|v| v.as_f64() == Some(0.0))
}
