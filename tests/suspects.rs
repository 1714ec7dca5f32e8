//! The injected cause ranks first on every built-in scenario.

use warroom::analysis::suspects::{anomaly, rank};
use warroom::model::{Boundary, DAY_MS, MINUTE_MS, parse_hms};
use warroom::source::sim::{Engine, Scenario};

/// The scenario at `at`: its anomaly in `region` and the ranked changes.
fn suspects(
    name: &str,
    at: &str,
    region: &str,
) -> (
    Vec<warroom::model::Change>,
    Vec<warroom::analysis::suspects::Suspect>,
    warroom::analysis::suspects::Anomaly,
) {
    let sc = Scenario::built_in(name).expect("scenario");
    let now = sc.at(parse_hms(at).unwrap());
    let engine = Engine::new(sc);
    let window = 15 * MINUTE_MS;
    let snap = engine.metrics(&Boundary::global(), now, window + DAY_MS);
    let a = anomaly(&snap, region, None, window, DAY_MS).expect("an anomaly");
    let changes = engine.changes(&Boundary::global(), now);
    let r = rank(&changes, &a, &[]);
    (changes, r, a)
}

#[test]
fn story_1_the_timeout_change_on_the_worker() {
    let (changes, r, a) = suspects("invoice-approval-timeout", "09:20", "eu-west-1");
    assert_eq!(a.service.as_deref(), Some("invoice-approval-worker"));
    // The fault starts at 09:04:37, so the minute 09:04 already shows it.
    assert_eq!(warroom::model::format_hm(a.onset), "09:04");
    let top = &changes[r[0].change];
    assert_eq!(
        (top.event.as_str(), warroom::model::format_hms(top.at).as_str()),
        ("UpdateFunctionConfiguration", "09:04:37")
    );
    assert_eq!(top.identity.short(), "deploy-role/deploy-bot");
    assert!(r[0].reason.starts_with("in the minute of the onset · same service · UpdateFunctionConfiguration by deploy-role/deploy-bot"), "{}", r[0].reason);
    assert!(r.iter().all(|s| !changes[s.change].read_only));
}

#[test]
fn story_2_the_image_push() {
    let (changes, r, a) = suspects("alert-endpoint-404", "14:56", "us-east-1");
    assert_eq!(a.service.as_deref(), Some("message-processor"));
    let top = &changes[r[0].change];
    assert_eq!(top.event, "PutImage");
    assert_eq!(top.identity.short(), "ecr-publisher/jane.doe");
    let rollout = &changes[r[0].delivered_by.expect("delivered by the rollout")];
    assert_eq!(rollout.event, "RollingUpdate");
    assert!(r[0].reason.contains("rolled out 46 s later"), "{}", r[0].reason);
}
