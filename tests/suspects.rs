//! The injected cause ranks first on every built-in scenario.

mod common;

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

/// A CloudTrail record as a trail writes it.
fn record(
    id: &str,
    time: &str,
    source: &str,
    name: &str,
    region: &str,
    params: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:deploy-bot",
            "arn": "arn:aws:sts::123456789012:assumed-role/deploy-role/deploy-bot",
            "accountId": "123456789012",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "deploy-role",
                "arn": "arn:aws:iam::123456789012:role/deploy-role"}}
        },
        "eventTime": time,
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.30",
        "requestParameters": params,
        "responseElements": null,
        "requestID": format!("req-{id}"),
        "eventID": id,
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "123456789012",
        "eventCategory": "Management"
    })
}

/// Story 1 as CloudTrail writes it: the function created with its execution role, the
/// timeout change (with Lambda's API version), an IAM policy change on that role (recorded
/// in us-east-1) and an SSO token (a login).
fn story_1_trail() -> std::path::PathBuf {
    let records = vec![
        record(
            "e-create",
            "2026-03-11T08:00:00Z",
            "lambda.amazonaws.com",
            "CreateFunction20150331",
            "eu-west-1",
            serde_json::json!({"functionName": "invoice-approval-worker", "runtime": "nodejs20.x",
                "role": "arn:aws:iam::123456789012:role/invoice-approval-worker-role",
                "handler": "index.handler", "timeout": 30, "memorySize": 512}),
        ),
        record(
            "e-timeout",
            "2026-03-12T09:04:37Z",
            "lambda.amazonaws.com",
            "UpdateFunctionConfiguration20150331v2",
            "eu-west-1",
            serde_json::json!({"functionName": "invoice-approval-worker", "timeout": 3}),
        ),
        record(
            "e-policy",
            "2026-03-12T09:02:10Z",
            "iam.amazonaws.com",
            "PutRolePolicy",
            "us-east-1",
            serde_json::json!({"roleName": "invoice-approval-worker-role",
                "policyName": "ledger-access",
                "policyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"}),
        ),
        record(
            "e-login",
            "2026-03-12T09:04:50Z",
            "sso-oauth.amazonaws.com",
            "CreateToken",
            "eu-west-1",
            serde_json::json!({"clientId": "EXAMPLEclient", "grantType": "refresh_token"}),
        ),
        record(
            "e-elsewhere",
            "2026-03-12T09:00:00Z",
            "ssm.amazonaws.com",
            "PutParameter",
            "us-east-1",
            serde_json::json!({"name": "/us/flags", "type": "String", "overwrite": true}),
        ),
    ];
    let dir = std::env::temp_dir().join(format!("warroom-suspects-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trail.json");
    std::fs::write(&path, serde_json::json!({"Records": records}).to_string()).unwrap();
    path
}

#[test]
fn an_eu_bounded_file_ranks_the_global_iam_change_above_a_login() {
    let path = story_1_trail();
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml");
    let (out, err, code) = common::warroom(&[
        "suspects",
        "--source",
        path.to_str().unwrap(),
        "--config",
        cfg,
        "--continent",
        "EU",
        "--region",
        "eu-west-1",
        "--service",
        "invoice-approval-worker",
        "--onset",
        "09:05",
    ]);
    assert_eq!(code, 0, "{err}");
    let heads: Vec<&str> = out.lines().filter(|l| l.starts_with(' ') && l.contains(". ")).collect();
    assert!(heads[0].contains("UpdateFunctionConfiguration20150331v2"), "{out}");
    assert!(heads[1].contains("PutRolePolicy") && heads[1].contains("us-east-1"), "{out}");
    assert!(out.contains("global · the execution role invoice-approval-worker-role"), "{out}");
    assert!(!out.contains("CreateToken"), "a login is never a suspect: {out}");
    assert!(!out.contains("PutParameter"), "us-east-1's own changes stay outside: {out}");
}

#[test]
fn story_1_in_the_cockpit_the_timeout_change_is_corroborated() {
    let mut app = common::app();
    // Drill into eu-west-1 › the worker: the suspects are held against its failures.
    for _ in 0..2 {
        let fx = app.update(warroom::app::Action::DrillIn);
        common::serve(&mut app, fx);
    }
    let top = &app.changes.suspects[0];
    let line = top.checks.first().map(|c| c.line()).unwrap_or_default();
    assert!(
        line.starts_with("✔ ") && line.ends_with("failures end at 3.0 s = new timeout 3"),
        "{line}"
    );
    let screen = common::render(&app, 200, 48, 0);
    assert!(screen.contains("failures end at 3.0 s = new timeout 3"), "{screen}");
}
