//! Criterion benches of the core's three stages, per standard size: formulation
//! (validation, the model, the LP), solve (every tier stage and the final one) and
//! reporting (value, moves, baseline, prices into a plan).
//!
//! cargo bench --bench stages                          small and medium
//! FLUIDITY_BENCH_LARGE=1 cargo bench --bench stages   also large (formulation and
//!                                                     reporting; its solve takes minutes,
//!                                                     measured by benches/peers.sh)

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use fluidity_solvers::generate::{generate, Shape};
use fluidity_solvers::stages;
use fluidity_solvers::{validate, Limits, Scenario};
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
                black_box(stages::formulate(&stages::model(&scenario)))
            })
        });

        let model = stages::model(&scenario);
        if size != "large" {
            group.bench_function("solve", |b| b.iter(|| black_box(stages::solve(&model))));
        }

        let solved = stages::solve(&model);
        group.bench_function("report", |b| {
            b.iter_batched(
                || solved.clone(),
                |s| black_box(stages::report(&model, s)),
                BatchSize::LargeInput,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
