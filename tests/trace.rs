//! The span waterfall: from a failing request, by correlation id or trace id, the
//! not-sampled case with similar traces, and its keys.

mod common;

use warroom::app::{Action, App, View};
use warroom::model::Outcome;

fn drill_to_failing(app: &mut App) {
    for _ in 0..3 {
        let fx = app.update(Action::DrillIn);
        common::serve(app, fx);
    }
    assert!(matches!(app.view(), View::Operation { .. }), "{:?}", app.view());
}

fn command(app: &mut App, line: &str) {
    let fx = app.run_command(line);
    common::serve(app, fx);
}

fn act(app: &mut App, a: Action) {
    let fx = app.update(a);
    common::serve(app, fx);
}

#[test]
fn a_sampled_failing_request_opens_its_waterfall_with_the_timeout_marked() {
    let mut app = common::app();
    drill_to_failing(&mut app);
    let View::Operation { service, operation, .. } = app.view().clone() else { unreachable!() };
    assert_eq!(
        (service.as_str(), operation.as_str()),
        ("invoice-approval-worker", "ApproveInvoice")
    );
    let i = app
        .failing
        .requests
        .iter()
        .position(|r| r.trace_id.is_some())
        .expect("a sampled failing request");
    let want = app.failing.requests[i].clone();
    app.stack.last_mut().unwrap().selected = i;
    act(&mut app, Action::DrillIn);
    let t = app.trace.trace().expect("the trace");
    assert_eq!(Some(&t.trace_id), want.trace_id.as_ref());
    assert_eq!(t.correlation_id, want.correlation_id);
    assert_eq!(app.logs.correlation_ids, std::slice::from_ref(&want.correlation_id));
    let rows = &app.trace.layout.rows;
    let worker = rows
        .iter()
        .find(|r| t.spans[r.span].service == "invoice-approval-worker")
        .expect("the worker's span");
    assert_eq!(t.spans[worker.span].outcome, Outcome::Fault);
    let ledger = rows.iter().find(|r| t.spans[r.span].service == "ledger-api").expect("ledger");
    assert!(ledger.cut_off, "the downstream call outlived the timed-out worker");
    let screen = common::render(&app, 160, 48, 0);
    assert!(screen.contains("⏱ caller timed out"), "{screen}");
    assert!(screen.contains("✖ fault 504"), "{screen}");
    assert!(screen.contains("↝ invoice-approval-worker ApproveInvoice"), "async hop: {screen}");
    assert!(screen.contains(&format!("cid {}", want.correlation_id)), "{screen}");
    insta::assert_snapshot!("waterfall_160x48", screen);
    insta::assert_snapshot!("waterfall_80x24", common::render(&app, 80, 24, 0));

    // Fold the root: only it is left.
    app.stack.last_mut().unwrap().selected = 0;
    act(&mut app, Action::Fold);
    assert_eq!(app.trace.layout.rows.len(), 1);
    act(&mut app, Action::Fold);
    assert_eq!(app.trace.layout.rows.len(), t_len(&app));
    // The critical path runs through the worker to the ledger call.
    act(&mut app, Action::CriticalPath);
    assert!(app.trace.critical);
    let crit: Vec<String> = app
        .trace
        .layout
        .rows
        .iter()
        .filter(|r| r.critical)
        .map(|r| app.trace.trace().unwrap().spans[r.span].service.clone())
        .collect();
    assert_eq!(crit, ["invoice-api", "invoice-approval-worker", "ledger-api"]);
    // The worker's span in full, then its log lines.
    let w = app
        .trace
        .layout
        .rows
        .iter()
        .position(|r| app.trace.trace().unwrap().spans[r.span].service == "invoice-approval-worker")
        .unwrap();
    app.stack.last_mut().unwrap().selected = w;
    act(&mut app, Action::Pretty);
    let screen = common::render(&app, 160, 48, 0);
    assert!(screen.contains("Task timed out after 3.00 seconds"), "{screen}");
    assert!(screen.contains("via               eu-invoices"), "{screen}");
    act(&mut app, Action::ShowLogs);
    let (from, to) = app.logs.range.expect("the span's time range");
    let lines: Vec<_> = app.logs.store.events().collect();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|e| e.at >= from && e.at < to));
    assert!(
        lines.iter().all(|e| e.correlation_id.as_deref() == Some(want.correlation_id.as_str()))
    );
    act(&mut app, Action::Back); // closes the detail
    assert!(!app.trace.detail);
    act(&mut app, Action::Back);
    assert!(matches!(app.view(), View::Operation { .. }));
}

fn t_len(app: &App) -> usize {
    app.trace.trace().unwrap().spans.len()
}

#[test]
fn the_story_request_was_not_sampled_and_similar_traces_open() {
    let mut app = common::app();
    command(&mut app, "trace c-9f3a6e1d");
    let l = app.trace.lookup.as_ref().expect("an answer");
    assert!(l.trace.is_none(), "c-9f3a6e1d is not sampled");
    assert!(l.similar.len() >= 5, "{}", l.similar.len());
    assert!(l.similar[0].failed(), "failing first");
    let screen = common::render(&app, 160, 48, 0);
    assert!(screen.contains("no sampled trace for c-9f3a6e1d"), "{screen}");
    insta::assert_snapshot!("not_sampled_160x48", screen);
    insta::assert_snapshot!("not_sampled_80x24", common::render(&app, 80, 24, 0));
    // The log tail still shows the request's own lines.
    assert_eq!(app.logs.store.shown(), 5);
    let id = l.similar[1].trace_id.clone();
    act(&mut app, Action::Down);
    act(&mut app, Action::DrillIn);
    let t = app.trace.trace().expect("the similar trace opens");
    assert_eq!(t.trace_id, id);
    assert!(t.spans.iter().any(|s| s.outcome.is_failure()));
    // `:trace` with a trace id opens it directly.
    let mut app = common::app();
    command(&mut app, &format!("trace {id}"));
    assert_eq!(app.trace.trace().map(|t| t.trace_id.clone()), Some(id));
}

#[test]
fn a_request_that_does_not_exist_says_so() {
    let mut app = common::app();
    command(&mut app, "region eu-west-1");
    command(&mut app, "trace 1-00000000-000000000000000000000000");
    let l = app.trace.lookup.as_ref().expect("an answer");
    assert!(l.trace.is_none());
    let screen = common::render(&app, 120, 40, 0);
    assert!(
        screen.contains("no trace has the id 1-00000000-000000000000000000000000 in eu-west-1"),
        "{screen}"
    );
}

use common::warroom;

#[test]
fn headless_trace_prints_the_waterfall_or_the_similar_traces() {
    let (out, err, code) = warroom(&["trace", "--correlation-id", "c-9f3a6e1d", "--at", "09:20"]);
    assert_eq!((out.as_str(), code), ("", 1), "{err}");
    assert!(err.contains("no sampled trace for c-9f3a6e1d"), "{err}");
    let first = err.lines().nth(2).expect("a similar trace");
    let id = first.split_whitespace().nth(1).expect("its trace id").to_string();
    assert!(id.starts_with("1-"), "{first}");
    assert!(first.ends_with("fault"), "failing first: {first}");
    let (out, err, code) = warroom(&["trace", "--trace-id", &id, "--at", "09:20"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("trace {id} · correlation id c-")), "{out}");
    assert!(
        out.contains("↝ invoice-approval-worker ApproveInvoice via eu-invoices  ✖ fault 504"),
        "{out}"
    );
    assert!(out.contains("ledger-api POST /ledger/approvals  ⏱ caller timed out"), "{out}");
    let (out, _, code) =
        warroom(&["trace", "--trace-id", &id, "--at", "09:20", "--format", "json"]);
    assert_eq!(code, 0);
    let t: warroom::model::Trace = serde_json::from_str(&out).expect("the trace as JSON");
    assert_eq!(t.trace_id, id);
    assert_eq!(t.spans.len(), 4);
    let (_, err, code) = warroom(&["trace", "--at", "09:20"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn headless_trace_and_logs_say_whether_the_request_exists() {
    let (_, err, code) = warroom(&["trace", "--correlation-id", "nope-123", "--at", "09:20"]);
    assert_eq!(code, 1, "{err}");
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(
            "warroom trace: unknown correlation id nope-123: no trace and no log line in eu-west-1"
        ),
        "{err}"
    );
    let (_, err, _) = warroom(&["trace", "--correlation-id", "c-9f3a6e1d", "--at", "09:20"]);
    assert!(
        err.contains("no sampled trace for c-9f3a6e1d (the request exists: 5 log lines"),
        "{err}"
    );
    assert!(err.contains("failing first, then oldest first"), "{err}");
    let (_, err, code) = warroom(&["trace", "--trace-id", "1-00000000-0", "--at", "09:20"]);
    assert_eq!(code, 1);
    assert!(err.contains("no trace has the id 1-00000000-0"), "{err}");
    let (_, err, code) = warroom(&[
        "suspects",
        "--region",
        "eu-west-1",
        "--service",
        "invoice-approval",
        "--at",
        "09:20",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "unknown service invoice-approval in eu-west-1 (did you mean invoice-approval-worker"
        ),
        "{err}"
    );
    assert!(err.contains("its services are invoice-api, invoice-approval-worker"), "{err}");
}

#[test]
fn headless_trace_reads_xray_files_and_neutralises_their_text() {
    let api = r#"{"name":"invoice-api","id":"70de5b6f19ff9a0a","trace_id":"1-581cf771-a006649127e371903a2de979","start_time":1773306700.0,"end_time":1773306703.5,"http":{"request":{"method":"POST","url":"https://api/invoices/1/approve"},"response":{"status":502}},"fault":true,"annotations":{"correlation_id":"c-file"},"subsegments":[{"id":"53995c3f42cd8ad8","name":"SQS","namespace":"aws","start_time":1773306700.1,"end_time":1773306700.2,"aws":{"operation":"SendMessage","queue_url":"https://sqs/eu-invoices"}}]}"#;
    let worker = r#"{"name":"worker\u001b[2J","id":"6b55dcc497932f43","trace_id":"1-581cf771-a006649127e371903a2de979","parent_id":"53995c3f42cd8ad8","start_time":1773306700.3,"end_time":1773306703.3,"fault":true,"cause":{"exceptions":[{"message":"Task timed out","type":"Timeout"}]}}"#;
    let batch = serde_json::json!({
        "Traces": [{"Id": "1-581cf771-a006649127e371903a2de979", "Duration": 3.5,
            "Segments": [{"Id": "70de5b6f19ff9a0a", "Document": api}, {"Id": "6b55dcc497932f43", "Document": worker}]}],
        "UnprocessedTraceIds": []
    });
    let dir = std::env::temp_dir().join(format!("warroom-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("batch.json");
    std::fs::write(&path, batch.to_string()).unwrap();
    let p = path.to_str().unwrap();
    let (out, err, code) = warroom(&["trace", "--correlation-id", "c-file", "--source", p]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("invoice-api"), "{out}");
    assert!(out.contains("↝ worker␛[2J"), "the async hop, its name neutralised: {out}");
    assert!(!out.contains('\u{1b}'));
    let (_, err, code) = warroom(&["trace", "--correlation-id", "c-other", "--source", p]);
    assert_eq!(code, 1);
    assert!(err.contains("1-581cf771-a006649127e371903a2de979"), "listed as similar: {err}");
}

#[test]
fn each_subcommand_shows_and_takes_only_its_flags() {
    for cmd in ["logs", "trace", "changes", "suspects"] {
        let (out, err, code) = warroom(&[cmd, "--help"]);
        assert_eq!(code, 0, "{err}");
        for hidden in ["--speed", "--theme", "--present", "--alert", "--resume", "--no-mouse"] {
            assert!(!out.contains(hidden), "warroom {cmd} --help lists {hidden}: {out}");
        }
        for shown in ["--config", "--demo", "--at", "--region", "--redact"] {
            assert!(out.contains(shown), "warroom {cmd} --help lacks {shown}");
        }
    }
    for cmd in ["snapshot", "report"] {
        let (out, _, _) = warroom(&[cmd, "--help"]);
        assert!(!out.contains("--speed") && !out.contains("--resume"), "{out}");
        assert!(out.contains("--theme") && out.contains("--present"), "{out}");
    }
    let (out, _, _) = warroom(&["--help"]);
    assert!(out.contains("--speed") && out.contains("--no-mouse"), "the cockpit's own: {out}");
    let (_, err, code) =
        warroom(&["logs", "--correlation-id", "c-9f3a6e1d", "--at", "09:20", "--speed", "5"]);
    assert_eq!(code, 2);
    assert!(err.contains("--speed is for the cockpit: `warroom logs` does not use it"), "{err}");
}
