//! Judging health on a day of demo history (a 24 h window against a 24 h baseline: 2,880
//! minutes per series), as done when data arrives: the episodes, recovery and onset of every
//! region and its hot spot, and the burn rates of three objectives in every region.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use warroom::analysis::slo::{Objective, Sli, statuses};
use warroom::analysis::{region_rows, verdict};
use warroom::model::{Boundary, DAY_MS, parse_hms};
use warroom::source::sim::{Engine, Scenario};

fn objectives() -> Vec<Objective> {
    let o = |name: &str, service: &str, operation: Option<&str>, sli: Sli, target: f64| Objective {
        name: name.into(),
        service: service.into(),
        operation: operation.map(str::to_string),
        region: None,
        sli,
        target,
        period: 30 * DAY_MS,
        origin: "bench".into(),
    };
    vec![
        o("approvals", "invoice-approval-worker", None, Sli::Availability, 99.5),
        o("api", "invoice-api", None, Sli::Availability, 99.9),
        o(
            "ledger p99",
            "ledger-api",
            Some("POST /ledger/approvals"),
            Sli::Latency { threshold_ms: 8000.0 },
            99.0,
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let sc = Scenario::built_in("invoice-approval-timeout").expect("scenario");
    let now = sc.at(parse_hms("18:00").expect("time"));
    let engine = Engine::new(sc);
    let snap = engine.metrics(&Boundary::global(), now, 2 * DAY_MS);
    let b = Boundary::global();
    c.bench_function("region health and verdict, 24h window + 24h baseline", |bn| {
        bn.iter(|| verdict(&b, &region_rows(black_box(&snap), &b, DAY_MS, DAY_MS)))
    });
    let objectives = objectives();
    c.bench_function("burn rates of 3 objectives in 6 regions (2,880 minutes)", |bn| {
        bn.iter(|| statuses(black_box(&snap), &objectives))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
