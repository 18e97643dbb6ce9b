//! Criterion benches of the core's three stages, per standard size: formulation
//! (validation, the model, the LP), solve (every tier stage and the final one) and
//! reporting (value, moves, baseline, prices into a plan).
//!
//! cargo bench --bench stages                          small and medium
//! FLUIDITY_BENCH_LARGE=1 cargo bench --bench stages   also large (formulation and
//!                                                     reporting; its solve takes minutes,
//!                                                     measured by benches/peers.sh)

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use fluidity_solvers::formulation::Formulation;
use fluidity_solvers::generate::{generate, Shape};
use fluidity_solvers::solve::{self, Outcome};
use fluidity_solvers::{report, validate, Cancel, Limits, Model, Scenario, WarmStart};
use std::hint::black_box;
use std::time::Duration;

const SIZES: &[(&str, usize, usize, usize)] = &[
    ("small", 50, 3, 3),
    ("medium", 500, 6, 6),
    ("large", 5000, 10, 13),
];

fn scenario(initiatives: usize, resources: usize, periods: usize) -> Scenario {
    generate(Shape {
        initiatives,
        resources,
        periods,
        seed: 1,
        integral_share: 0.0,
    })
}

fn solved(model: &Model) -> solve::Solved {
    match solve::solve(
        model,
        None,
        None,
        &Cancel::default(),
        None,
        &mut WarmStart::default(),
    ) {
        Ok(Outcome::Solved(solved)) => solved,
        _ => panic!("generated scenarios are feasible by construction"),
    }
}

fn stages(c: &mut Criterion) {
    let large = std::env::var_os("FLUIDITY_BENCH_LARGE").is_some();
    for &(size, n, r, t) in SIZES {
        if size == "large" && !large {
            continue;
        }
        let scenario = scenario(n, r, t);
        let limits = Limits::default();
        let mut group = c.benchmark_group(size);
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(5));

        group.bench_function("formulate", |b| {
            b.iter(|| {
                validate(&scenario, &limits).expect("valid");
                let model = Model::new(&scenario);
                black_box(Formulation::new(&model))
            })
        });

        let model = Model::new(&scenario);
        if size != "large" {
            group.bench_function("solve", |b| b.iter(|| black_box(solved(&model))));
        }

        let solved = solved(&model);
        group.bench_function("report", |b| {
            b.iter_batched(
                || solved.clone(),
                |s| {
                    black_box(report::plan(
                        &model,
                        &s.activities,
                        &s.shadow_prices,
                        Vec::new(),
                        report::Provenance {
                            status: fluidity_solvers::Status::Optimal,
                            solver: s.solver,
                            seconds: 0.0,
                            variables: s.variables,
                            constraints: s.constraints,
                            stages: s.stages,
                            bound: None,
                            may_promote: true,
                        },
                    ))
                },
                BatchSize::LargeInput,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
