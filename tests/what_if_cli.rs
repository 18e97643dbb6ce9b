//! `fluidity compare` and `fluidity sweep` as an analyst runs them.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn fluidity(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fluidity"))
        .args(args)
        .output()
        .unwrap()
}

fn finance(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/finance")
        .join(name)
        .display()
        .to_string()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn compare_prints_every_variant_against_the_base() {
    let out = fluidity(&[
        "compare",
        &finance("q4-portfolio.json"),
        "--variant",
        &finance("q4-portfolio.what-ifs.variants.json"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    for expected in [
        "capital -10%",
        "15% eng reserve",
        "add AI assistant",
        "Shadow prices",
        "adding ai-assistant earns",
        "value given up",
    ] {
        assert!(text.contains(expected), "missing {expected}:\n{text}");
    }
}

#[test]
fn compare_json_holds_the_base_and_each_variant_with_deltas() {
    let out = fluidity(&[
        "compare",
        &finance("q4-portfolio.json"),
        "--variant",
        &finance("q4-portfolio.capital-cut.variant.json"),
        "--variant",
        &finance("q4-portfolio.what-ifs.variants.json"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    let variants = c["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 4);
    let base = c["base"]["objective"].as_f64().unwrap();
    for v in variants {
        let objective = v["plan"]["objective"].as_f64().unwrap();
        assert!((v["deltaObjective"].as_f64().unwrap() - (objective - base)).abs() < 1e-9);
    }
    // The same overlay from two files gives the same plan.
    assert_eq!(
        variants[0]["plan"]["objective"],
        variants[1]["plan"]["objective"]
    );
}

#[test]
fn a_variant_naming_an_unknown_initiative_stops_compare_with_its_path() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad_variant");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"name": "typo", "initiatives": [{"id": "chekout-redesign", "locked": true}]}"#,
    )
    .unwrap();
    let out = fluidity(&[
        "compare",
        &finance("q4-portfolio.json"),
        "--variant",
        &bad.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("variants[0].initiatives[0].id: unknown initiative \"chekout-redesign\""),
        "{stderr}"
    );
}

#[test]
fn sweep_prints_the_frontier_and_the_price_ranges() {
    let out = fluidity(&[
        "sweep",
        &finance("q4-portfolio.json"),
        "--resource",
        "capital",
        "--factors",
        "0.9,1.0,1.1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    for expected in [
        "Frontier",
        "per extra unit",
        "Changes along the frontier",
        "Where the base plan's shadow prices hold",
    ] {
        assert!(text.contains(expected), "missing {expected}:\n{text}");
    }
}

#[test]
fn a_reserve_sweep_in_json_has_one_point_per_level() {
    let out = fluidity(&[
        "sweep",
        &finance("q4-portfolio.json"),
        "--resource",
        "eng",
        "--levels",
        "0.05,0.10,0.15",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let levels: Vec<f64> = s["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["reserveMin"].as_f64().unwrap())
        .collect();
    assert_eq!(levels, [0.05, 0.10, 0.15]);
    let objectives: Vec<f64> = s["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["objective"].as_f64().unwrap())
        .collect();
    assert!(
        objectives[0] >= objectives[1] && objectives[1] >= objectives[2],
        "more reserve never helps: {objectives:?}"
    );
}

#[test]
fn a_sweep_of_an_unknown_resource_is_refused() {
    let out = fluidity(&[
        "sweep",
        &finance("q4-portfolio.json"),
        "--resource",
        "design",
        "--factors",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("resource: unknown resource \"design\""));
}
