//! The incident simulator: determinism, consistency across signals, and the stories.

use warroom::model::{Boundary, DAY_MS, MINUTE_MS, Scope, parse_hms};
use warroom::source::sim::{Engine, Scenario};

fn engine(name: &str) -> Engine {
    Engine::new(Scenario::built_in(name).expect("built-in scenario parses"))
}

#[test]
fn built_in_scenarios_parse() {
    for (name, text) in warroom::source::sim::scenario::BUILT_IN {
        let s = Scenario::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&s.name, name);
    }
}

#[test]
fn story1_eu_west_1_degrades_after_the_change() {
    let e = engine("invoice-approval-timeout");
    let at = |hms: &str| e.scenario.at(parse_hms(hms).unwrap());
    let t0 = std::time::Instant::now();
    let snap = e.metrics(&Boundary::global(), at("09:20"), 15 * MINUTE_MS + DAY_MS);
    eprintln!("24h15m of metrics in {:?}", t0.elapsed());
    let eu = &snap.regions["eu-west-1"].total;
    let now = at("09:20");
    let window = eu.stats(now - 15 * MINUTE_MS, now);
    let base = eu.stats(now - 15 * MINUTE_MS - DAY_MS, now - 15 * MINUTE_MS);
    eprintln!(
        "eu-west-1 window {:.2}% base {:.2}% rate {:.1}/s",
        window.error_pct(),
        base.error_pct(),
        window.rate_per_sec()
    );
    assert!(window.error_pct() > 3.0 && base.error_pct() < 0.5);
    for r in ["eu-central-1", "us-east-1", "us-west-2", "ap-southeast-1", "ap-northeast-1"] {
        let s = &snap.regions[r].total;
        let w = s.stats(now - 15 * MINUTE_MS, now);
        eprintln!("{r} window {:.2}%", w.error_pct());
        assert!(w.error_pct() < 0.6, "{r} {}", w.error_pct());
    }
    let fails = e.failing_requests(
        &Scope {
            region: "eu-west-1".into(),
            service: Some("invoice-approval-worker".into()),
            operation: Some("ApproveInvoice".into()),
        },
        now - 15 * MINUTE_MS,
        now,
        5000,
    );
    assert!(
        fails.iter().any(|f| f.correlation_id == "c-9f3a6e1d" && f.tenant == "tenant-42"),
        "{}",
        fails.len()
    );
}
