//! Screen-share mode: with `--present` no tenant id, email or IP address shows anywhere, on
//! screen, in a snapshot, a report or headless output, while the correlation id under
//! investigation does; `R` reveals them and the badge says so.

mod common;

use common::{render, warroom};
use regex_automata::meta::Regex;
use warroom::app::{Action, App};
use warroom::cli::CockpitArgs;
use warroom::cli::snapshot::{SnapshotArgs, replay, run};
use warroom::redact::Redactor;

const CID: &str = "c-9f3a6e1d";
const CID_KEYS: &str = ": c i d space c - 9 f 3 a 6 e 1 d enter";

fn presenting() -> CockpitArgs {
    CockpitArgs {
        demo: Some("invoice-approval-timeout".into()),
        at: warroom::model::parse_hms("09:20"),
        present: true,
        ..Default::default()
    }
}

/// What must never show while redaction is on: the demo's tenant ids (`tenant-42`), email
/// addresses and IPv4 addresses.
fn leaks(text: &str) -> Vec<String> {
    let re = Regex::new_many(&[
        r"tenant-[0-9]",
        r"[A-Za-z0-9._-]+@[A-Za-z0-9.-]+",
        r"\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\b",
    ])
    .unwrap();
    re.find_iter(text).map(|m| text[m.range()].to_string()).collect()
}

fn screen_after(keys: &str) -> (App, String) {
    let (app, _) = replay(&presenting(), keys, 48).expect("replay");
    let screen = render(&app, 160, 48, 0);
    (app, screen)
}

#[test]
fn presenting_masks_every_pane_and_keeps_the_correlation_id() {
    // (keys, what the screen must show to prove the pane is there)
    let walks = [
        ("", "REGIONAL: eu-west-1"),
        ("enter enter enter", "Failing requests"),
        ("enter enter enter l", "Logs · eu-west-1"),
        (CID_KEYS, CID),
        (&format!("{CID_KEYS} home p"), "\"userEmail\""),
        ("enter enter enter enter enter", "Trace ·"),
        ("enter enter enter enter enter p", "annotation tenant"),
        ("tab tab", "Changes"),
        ("tab tab enter", "Change · p or esc closes"),
        (": t r a c e space c - 9 f 3 a 6 e 1 d enter", "no sampled trace"),
        ("?", "Keys"),
        (&format!("{CID_KEYS} m t"), "Investigation"),
    ];
    for (keys, shows) in walks {
        let (app, screen) = screen_after(keys);
        assert!(app.present && app.redacting, "--present turns redaction on");
        assert!(screen.contains(shows), "`{keys}` should show {shows}:\n{screen}");
        assert!(screen.contains(" REDACTED "), "badge after `{keys}`:\n{screen}");
        let found = leaks(&screen);
        assert!(found.is_empty(), "`{keys}` shows {found:?}:\n{screen}");
        if keys.starts_with(CID_KEYS) {
            assert!(screen.contains(CID), "the investigated id stays visible:\n{screen}");
        }
    }
    // The masks are there, and stable: one tenant, one mask on every line of the request.
    let (_, screen) = screen_after(CID_KEYS);
    let masks: std::collections::BTreeSet<&str> = screen
        .split(|c: char| c.is_whitespace() || c == '=')
        .filter(|w| w.starts_with("tenant-#"))
        .collect();
    assert_eq!(masks.len(), 1, "{masks:?}\n{screen}");
    // The presenter's header and status line say where the driver is.
    assert!(screen.contains(&format!("correlation {CID}")), "{screen}");
    assert!(screen.contains("all regions · last 15 min · correlation c-9f3a6e1d · log tail"));
}

#[test]
fn r_reveals_and_the_badge_changes() {
    let (mut app, screen) = screen_after(&format!("{CID_KEYS} home p"));
    assert!(screen.contains(" REDACTED "));
    app.update(Action::Redact);
    let shown = render(&app, 160, 48, 0);
    assert!(shown.contains("NOT REDACTED (R)"), "{shown}");
    assert!(shown.contains("tenant-42"), "{shown}");
    assert!(shown.contains("@tenant-42.example.com"), "{shown}");
    assert!(shown.contains("203.0.113."), "{shown}");
    app.update(Action::Redact);
    assert!(leaks(&render(&app, 160, 48, 0)).is_empty());
}

#[test]
fn off_by_default_and_no_badge_outside_presenting() {
    let args = CockpitArgs { present: false, ..presenting() };
    let (app, _) = replay(&args, CID_KEYS, 48).unwrap();
    assert!(!app.redacting && !app.present);
    let screen = render(&app, 160, 48, 0);
    assert!(screen.contains("tenant=tenant-42"), "{screen}");
    assert!(!screen.contains("REDACTED"), "{screen}");
    // --redact without presenting: masked, the normal layout.
    let args = CockpitArgs { redact: true, ..args };
    let (app, _) = replay(&args, CID_KEYS, 48).unwrap();
    let screen = render(&app, 160, 48, 0);
    assert!(app.redacting && !app.present);
    assert!(leaks(&screen).is_empty(), "{screen}");
    assert!(screen.contains(" REDACTED "), "{screen}");
}

#[test]
fn snapshots_while_presenting_are_masked_and_golden() {
    let dir = std::env::temp_dir().join(format!("warroom-redact-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snap = |name: &str, keys: &str, size| {
        let out = dir.join(name);
        run(&SnapshotArgs { out: out.clone(), size, keys: keys.into(), cockpit: presenting() })
            .expect("snapshot");
        std::fs::read_to_string(out).unwrap()
    };
    let svg = snap("present.svg", &format!("{CID_KEYS} home p"), (160, 48));
    assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    assert!(svg.contains(CID));
    assert!(leaks(&svg).is_empty(), "{:?}", leaks(&svg));
    let txt = snap("present.txt", CID_KEYS, (120, 32));
    assert!(leaks(&txt).is_empty(), "{txt}");
    insta::assert_snapshot!("present_cid_120x32", txt);
}

#[test]
fn the_report_is_masked_with_the_correlation_id_kept() {
    let (mut app, _) = replay(&presenting(), &format!("{CID_KEYS} m"), 48).unwrap();
    let report = app.report_text(None);
    assert!(report.contains("> Redacted:"), "{report}");
    assert!(report.contains(CID), "{report}");
    assert!(report.contains("tenant `tenant-#"), "{report}");
    assert!(leaks(&report).is_empty(), "{report}");
    app.update(Action::Redact);
    let plain = app.report_text(None);
    assert!(plain.contains("tenant `tenant-42`"), "{plain}");
    assert!(!plain.contains("Redacted"));
}

#[test]
fn headless_output_with_redact() {
    for format in ["text", "jsonl"] {
        let (out, err, code) = warroom(&[
            "logs",
            "--demo",
            "--at",
            "09:20",
            "--correlation-id",
            CID,
            "--format",
            format,
            "--redact",
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(CID), "{out}");
        assert!(out.contains("tenant-#1"), "{out}");
        assert!(leaks(&out).is_empty(), "{format}: {:?}", leaks(&out));
    }
    let (out, _, _) =
        warroom(&["logs", "--demo", "--at", "09:20", "--correlation-id", CID, "--format", "jsonl"]);
    assert!(out.contains("clientIp") && out.contains("203.0.113."), "without --redact: {out}");
    let (out, err, code) = warroom(&["report", "--at", "09:20", "--fresh", "--redact"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("> Redacted:"), "{out}");
}

#[test]
fn span_annotations_metadata_and_http_are_masked() {
    let d = common::demo();
    let q = warroom::source::TraceQuery {
        region: "eu-west-1".into(),
        key: warroom::source::TraceKey::CorrelationId(CID.into()),
        from: d.now - 15 * 60_000,
        to: d.now,
        service: None,
        operation: None,
    };
    // The story's request was not sampled: take a similar one's trace.
    let similar = d.engine.trace_lookup(&q).similar;
    let q = warroom::source::TraceQuery {
        key: warroom::source::TraceKey::TraceId(similar[0].trace_id.clone()),
        ..q
    };
    let trace = d.engine.trace_lookup(&q).trace.expect("sampled");
    let root = trace.spans.iter().find(|s| s.parent.is_none()).unwrap();
    let r = Redactor::default();
    r.keep([&trace.correlation_id]);
    let m = r.span(root);
    let get = |v: &[(String, String)], k: &str| {
        v.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap()
    };
    assert!(get(&m.annotations, "tenant").starts_with("tenant-#"), "{m:?}");
    assert_eq!(get(&m.annotations, "correlation_id"), trace.correlation_id);
    assert!(get(&m.metadata, "request.userEmail").starts_with("email-#"), "{m:?}");
    let ip = m.http.as_ref().and_then(|h| h.client_ip.clone()).unwrap();
    assert!(ip.starts_with("ip-#"), "{ip}");
    // Stable: the same span again gives the same masks.
    assert_eq!(r.span(root), m);
    // Every span of the trace carries the same tenant, masked the same way.
    for s in &trace.spans {
        assert_eq!(get(&r.span(s).annotations, "tenant"), get(&m.annotations, "tenant"));
    }
}

#[test]
fn a_cloudtrail_record_is_masked_and_identities_when_asked() {
    let record = serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEEXAMPLE1",
            "arn": "arn:aws:iam::123456789012:user/jane.doe",
            "accountId": "123456789012",
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
            "userName": "jane.doe"
        },
        "eventTime": "2026-03-12T09:04:37Z",
        "eventSource": "lambda.amazonaws.com",
        "eventName": "UpdateFunctionConfiguration20150331v2",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "aws-cli/2.15 ci-runner ops@example.org",
        "requestParameters": {
            "functionName": "invoice-approval-worker",
            "environment": {"variables": {"DB_PASSWORD": "hunter2hunter2", "TENANT_ID": "tenant-42"}}
        },
        "readOnly": false,
        "eventID": "11111111-2222-3333-4444-555555555555",
        "recipientAccountId": "123456789012"
    });
    let change = warroom::source::cloudtrail::parse_record(&record).expect("record");
    assert!(change.raw.contains("198.51.100.23"), "the record is kept: {}", change.raw);
    let r = Redactor::default();
    let m = r.change(&change);
    for gone in ["198.51.100.23", "ops@example.org", "AKIAIOSFODNN7EXAMPLE", "hunter2hunter2"] {
        assert!(!m.raw.contains(gone), "{gone} in {}", m.raw);
    }
    assert!(m.raw.contains("ip-#1") && m.raw.contains("email-#1"), "{}", m.raw);
    // By default who made the change stays: the audit trail's point is who did it.
    assert_eq!(m.identity, change.identity);
    let cfg = warroom::redact::RedactConfig { identities: true, ..Default::default() };
    let r = Redactor::new(&cfg).unwrap();
    let m = r.change(&change);
    assert_eq!(m.identity.principal, "arn:aws:iam::123456789012:user/user-#1");
    assert!(!m.raw.contains("jane.doe"), "{}", m.raw);
}
