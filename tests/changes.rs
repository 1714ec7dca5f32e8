//! The change feed, its suspects and markers, and the headless commands.

mod common;

use common::warroom;
use warroom::app::{Action, Effect, Focus};

#[test]
fn the_feed_shows_the_change_its_identity_the_marker_and_the_suspect() {
    let mut app = common::app();
    let c = app
        .changes
        .changes
        .iter()
        .find(|c| c.event == "UpdateFunctionConfiguration" && c.region == "eu-west-1")
        .expect("the 09:04:37 change")
        .clone();
    assert_eq!(warroom::model::format_hms(c.at), "09:04:37");
    assert_eq!(c.identity.short(), "deploy-role/deploy-bot");
    // The top suspect of the overview's worst region is that change.
    let a = app.changes.anomaly.clone().expect("an anomaly to explain");
    assert_eq!(
        (a.region.as_str(), a.service.as_deref()),
        ("eu-west-1", Some("invoice-approval-worker"))
    );
    assert_eq!(app.changes.changes[app.changes.suspects[0].change], c);
    let screen = common::render(&app, 200, 48, 0);
    let eu = screen.lines().find(|l| l.contains("✖ eu-west-1")).expect("the eu-west-1 row");
    assert!(eu.contains("┃"), "the change is marked on the sparkline: {eu}");
    assert!(
        screen.contains("suspects for eu-west-1 › invoice-approval-worker (onset 09:04)"),
        "{screen}"
    );
    assert!(
        screen.contains("1 09:04:37 UpdateFunctionConfiguration invoice-approval-worker eu-west-1"),
        "{screen}"
    );
    assert!(screen.contains("4 s before onset · same service"), "{screen}");
    assert!(screen.contains("UpdateFunctionConfiguration by deploy-role/deploy-bot"), "{screen}");
    assert!(screen.contains("deploy-role/deploy-bot"), "{screen}");
    insta::assert_snapshot!("changes_200x48", screen);
    // Read-only events are hidden until asked for.
    let shown = app.changes.shown().count();
    let fx = app.run_command("read-only");
    common::serve(&mut app, fx);
    assert_eq!(app.changes.shown().count(), shown + 1);
    // Tab twice reaches the feed; enter shows the change in full; y copies its event id.
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Focus::Changes);
    let screen = common::render(&app, 100, 30, 0);
    assert!(
        screen.contains("Changes · suspects"),
        "the feed takes the lower pane when narrow: {screen}"
    );
    app.update(Action::DrillIn);
    assert!(app.changes.detail);
    let id = app.changes.selected_change().unwrap().id.clone();
    assert_eq!(app.update(Action::CopyId), vec![Effect::Copy(id.clone())]);
    let screen = common::render(&app, 160, 48, 0);
    assert!(screen.contains(&id), "{screen}");
    assert!(screen.contains("kind      read"), "what warroom makes of it: {screen}");
    // The timeout change in full: its kind and the values it set.
    let i = app
        .changes
        .shown()
        .position(|(_, c)| c.event == "UpdateFunctionConfiguration" && c.region == "eu-west-1")
        .unwrap();
    app.changes.selected = i;
    let screen = common::render(&app, 160, 48, 0);
    assert!(screen.contains("kind      config · sets Timeout 30 -> 3"), "{screen}");
}

#[test]
fn drilling_in_ranks_for_the_service_in_view() {
    let mut app = common::app();
    for _ in 0..2 {
        let fx = app.update(Action::DrillIn);
        common::serve(&mut app, fx);
    }
    let a = app.changes.anomaly.clone().expect("an anomaly");
    assert_eq!(a.service.as_deref(), Some("invoice-approval-worker"));
    let top = &app.changes.changes[app.changes.suspects[0].change];
    assert_eq!(top.event, "UpdateFunctionConfiguration");
}

#[test]
fn headless_changes_and_suspects() {
    let (out, err, code) = warroom(&["changes", "--at", "09:20", "--region", "eu-west-1"]);
    assert_eq!(code, 0, "{err}");
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("2026-03-12 09:04:37  eu-west-1       UpdateFunctionConfiguration   invoice-approval-worker     deploy-role/deploy-bot"), "{out}");
    assert!(!out.contains("GetFunctionConfiguration"), "read-only hidden: {out}");
    let (out, _, _) = warroom(&["changes", "--at", "09:20", "--region", "eu-west-1", "--all"]);
    assert!(out.contains("GetFunctionConfiguration"), "{out}");
    let (out, _, code) = warroom(&["changes", "--at", "09:20", "--format", "jsonl"]);
    assert_eq!(code, 0);
    for l in out.lines() {
        let c: warroom::model::Change = serde_json::from_str(l).expect("a change per line");
        assert!(!c.read_only);
    }
    let (out, err, code) = warroom(&[
        "suspects",
        "--demo",
        "alert-endpoint-404",
        "--at",
        "14:56",
        "--region",
        "us-east-1",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("suspects for us-east-1 › message-processor (onset ")
            && lines[0].ends_with(" 14:49:09 UTC)"),
        "{out}"
    );
    assert!(lines[1].contains(" 14:47:19  PutImage  message-processor:2.8.0"), "{out}");
    assert!(
        lines[2].contains("PutImage by ecr-publisher/jane.doe, rolled out 46 s later"),
        "{out}"
    );
    let (_, err, code) = warroom(&["suspects", "--at", "09:20"]);
    assert_eq!(code, 2);
    assert!(err.contains("--region is needed"), "{err}");
}

#[test]
fn cloudtrail_files_feed_the_commands_with_services_mapped_from_the_config() {
    let record = serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:deploy-bot",
            "arn": "arn:aws:sts::123456789012:assumed-role/deploy-role/deploy-bot",
            "accountId": "123456789012",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "deploy-role", "arn": "arn:aws:iam::123456789012:role/deploy-role"}}
        },
        "eventTime": "2026-03-12T09:04:37Z",
        "eventSource": "lambda.amazonaws.com",
        "eventName": "UpdateFunctionConfiguration20150331v2",
        "awsRegion": "eu-west-1",
        "requestParameters": {"functionName": "invoice-approval-worker", "timeout": 3},
        "readOnly": false,
        "eventID": "11111111-2222-3333-4444-555555555555",
        "recipientAccountId": "123456789012"
    });
    let file = serde_json::json!({ "Records": [record] });
    let dir = std::env::temp_dir().join(format!("warroom-trail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trail.json");
    std::fs::write(&path, file.to_string()).unwrap();
    let p = path.to_str().unwrap();
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml");
    let (out, err, code) =
        warroom(&["changes", "--source", p, "--config", cfg, "--region", "eu-west-1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("deploy-role/deploy-bot"), "{out}");
    assert!(
        out.trim_end().ends_with("invoice-approval-worker  11111111-2222-3333-4444-555555555555"),
        "mapped to the service: {out}"
    );
    let (out, err, code) = warroom(&[
        "suspects",
        "--source",
        p,
        "--config",
        cfg,
        "--region",
        "eu-west-1",
        "--service",
        "invoice-approval-worker",
        "--onset",
        "09:05",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("23 s before onset · same service"), "{out}");
    std::fs::write(&path, r#"{"Records": [{"eventName": "PutImage"}]}"#).unwrap();
    let (_, err, code) = warroom(&["changes", "--source", p, "--region", "eu-west-1"]);
    assert_eq!(code, 2);
    assert!(err.contains("record 0"), "the error names the record: {err}");
}

/// An EU-bounded cockpit: a live lookup never reads us-east-1 (and the feed says global
/// events are not read); evidence files do, keeping only the global services' events.
#[test]
fn global_events_under_an_eu_boundary() {
    use warroom::app::{App, Keymap, SourceInfo, SourceMsg};
    use warroom::model::{Boundary, Change, Clock};
    let eu = Boundary {
        continents: Boundary::global().continents.into_iter().filter(|c| c.name == "EU").collect(),
    };
    let info = |name: &str| SourceInfo { name: name.into(), scenario: None, title: None };
    let regions = |fx: &[Effect]| match fx.first() {
        Some(Effect::FetchChanges { regions, .. }) => regions.clone(),
        other => panic!("{other:?}"),
    };
    let mut live =
        App::new(eu.clone(), Clock::simulated(0, 0.0), Keymap::default(), info("cloudwatch"), 1, 1);
    assert_eq!(regions(&live.fetch_changes()), ["eu-west-1", "eu-central-1"]);
    let screen = common::render(&live, 200, 48, 0);
    assert!(
        screen.contains(
            "us-east-1 not read: global events (IAM, STS, Route 53, …) are outside the boundary"
        ),
        "{screen}"
    );

    let mut files =
        App::new(eu, Clock::simulated(0, 0.0), Keymap::default(), info("evidence"), 1, 1);
    let fx = files.fetch_changes();
    assert_eq!(regions(&fx), ["eu-west-1", "eu-central-1", "us-east-1"]);
    let change = |id: &str, region: &str, source: &str, event: &str| Change {
        id: id.into(),
        at: 10,
        region: region.into(),
        event_source: source.into(),
        event: event.into(),
        ..Change::default()
    };
    let generation = files.changes.generation;
    let got = vec![
        change("a", "eu-west-1", "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2"),
        change("b", "us-east-1", "iam.amazonaws.com", "PutRolePolicy"),
        change("c", "us-east-1", "ssm.amazonaws.com", "PutParameter"),
        // The same global event read for two regions is listed once.
        change("b", "us-east-1", "iam.amazonaws.com", "PutRolePolicy"),
    ];
    files.on_source(SourceMsg::Changes { generation, result: Ok(got), received: 0 });
    let ids: Vec<&str> = files.changes.changes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    let screen = common::render(&files, 200, 48, 0);
    assert!(!screen.contains("not read"), "{screen}");
    live.changes.read_global = true;
    assert_eq!(regions(&live.fetch_changes()).len(), 3, "configured to read them");
}
