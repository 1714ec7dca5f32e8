//! The log tail: correlation id filter, keys, the headless command, and hostile input.

mod common;

use warroom::app::{Action, App, Effect, Focus, Key, SourceMsg, View};
use warroom::model::logline::{LineContext, LineParser};
use warroom::model::{Level, LogEvent};
use warroom::source::LogBatch;

const CID: &str = "c-9f3a6e1d";

fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in text.chars() {
        fx.extend(app.on_key(Key::char(c)));
    }
    fx
}

fn run_command(app: &mut App, line: &str) {
    let fx = app.run_command(line);
    common::serve(app, fx);
}

fn shown(app: &App) -> Vec<LogEvent> {
    app.logs.store.events().collect()
}

fn story_lines() -> Vec<String> {
    vec![
        "invoice-api Invoice approval requested".into(),
        "invoice-api Published InvoiceApprovalRequested to eu-invoices".into(),
        "invoice-approval-worker Received InvoiceApprovalRequested from eu-invoices".into(),
        "invoice-approval-worker Calling ledger-api to approve invoice inv-225931".into(),
        "invoice-approval-worker Task timed out after 3.00 seconds".into(),
    ]
}

#[test]
fn cid_shows_the_requests_lines_across_services_in_time_order() {
    let mut app = common::app();
    run_command(&mut app, &format!("cid {CID}"));
    assert_eq!(app.focus, Focus::Logs);
    let lines = shown(&app);
    let got: Vec<String> = lines.iter().map(|e| format!("{} {}", e.service, e.message)).collect();
    assert_eq!(got, story_lines());
    assert!(lines.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(lines.iter().all(|e| e.region == "eu-west-1"));
    assert_eq!(lines.last().unwrap().level, Level::Error);
    let screen = common::render(&app, 160, 48, 0);
    assert!(
        screen.contains(&format!("Logs · 6 regions · cid {CID} · FOLLOWING · 5 shown")),
        "{screen}"
    );
    assert!(screen.contains("Published InvoiceApprovalRequested to eu-invoices"), "{screen}");
    // `c`, typing the id and Enter do the same.
    let mut app = common::app();
    app.update(Action::Correlation);
    app.on_key(Key { code: warroom::app::KeyCode::Char('u'), ctrl: true, alt: false });
    let mut fx = type_text(&mut app, CID);
    fx.extend(app.on_key(Key { code: warroom::app::KeyCode::Enter, ctrl: false, alt: false }));
    common::serve(&mut app, fx);
    assert_eq!(shown(&app).len(), 5);
    // Clearing goes back to the region's tail.
    let fx = app.update(Action::ClearFilters);
    common::serve(&mut app, fx);
    assert!(app.logs.correlation_ids.is_empty());
    assert!(app.logs.store.shown() > 100);
}

#[test]
fn a_failing_request_opens_the_tail_on_its_id() {
    let mut app = common::app();
    for _ in 0..3 {
        let fx = app.update(Action::DrillIn);
        common::serve(&mut app, fx);
    }
    assert!(matches!(app.view(), View::Operation { .. }));
    let cid = app.selected_request().expect("a failing request").correlation_id.clone();
    // `l` opens the tail on it (enter opens its waterfall, with the tail below on it too).
    let fx = app.update(Action::ShowLogs);
    common::serve(&mut app, fx);
    assert_eq!(app.logs.correlation_ids, std::slice::from_ref(&cid));
    assert_eq!(app.focus, Focus::Logs);
    let lines = shown(&app);
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|e| e.correlation_id.as_deref() == Some(cid.as_str())));
    // The request's lines from every service it crossed, not only the drilled-into one.
    let View::Operation { service, region, .. } = app.view().clone() else { unreachable!() };
    assert!(lines.iter().any(|e| e.service == service));
    assert!(lines.iter().any(|e| e.service != service), "{lines:#?}");
    assert!(lines.iter().all(|e| e.region == region));
    // y copies the selected line's correlation id.
    let fx = app.update(Action::CopyId);
    assert_eq!(fx, vec![Effect::Copy(cid.clone())]);
    // Without the id the tail is the service's again.
    let fx = app.update(Action::ClearFilters);
    common::serve(&mut app, fx);
    assert!(shown(&app).iter().all(|e| e.service == service));
}

#[test]
fn keys_move_follow_jump_and_show_detail() {
    let mut app = common::app();
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Focus::Logs);
    let n = app.logs.store.shown();
    assert!(n > 50, "{n}");
    assert!(app.logs.follow);
    assert_eq!(app.logs.selected_index(), Some(n - 1));
    app.update(Action::Up);
    assert!(!app.logs.follow, "scrolling pauses follow");
    assert_eq!(app.logs.selected_index(), Some(n - 2));
    let screen = common::render(&app, 160, 48, 0);
    assert!(screen.contains("PAUSED (f follows)"), "{screen}");
    // New lines while paused keep the selection where it is.
    let sel = app.logs.selected_event().unwrap();
    let more = common::demo().engine.logs_matching(
        "eu-west-1",
        None,
        common::demo().now,
        common::demo().now + 2_000,
        1000,
    );
    app.on_source(SourceMsg::Logs {
        generation: app.logs.generation,
        update: Ok(LogBatch { events: more.0, ..Default::default() }),
        backfill: false,
        received: 0,
    });
    assert_eq!(app.logs.selected_event().unwrap(), sel);
    app.update(Action::Follow);
    assert!(app.logs.follow);
    assert_eq!(app.logs.selected_index(), Some(app.logs.store.shown() - 1));
    // e / E jump between error lines.
    app.update(Action::Top);
    app.update(Action::NextError);
    let e1 = app.logs.selected_event().unwrap();
    assert_eq!(e1.level, Level::Error, "{e1:?}");
    app.update(Action::NextError);
    let e2 = app.logs.selected_event().unwrap();
    assert!(e2.level == Level::Error && e2.at >= e1.at && e2 != e1);
    app.update(Action::PrevError);
    assert_eq!(app.logs.selected_event().unwrap(), e1);
    // `/` filters, highlights, and n / N go between lines showing the term.
    app.update(Action::Search);
    let mut fx = type_text(&mut app, "timed out");
    fx.extend(app.on_key(Key { code: warroom::app::KeyCode::Enter, ctrl: false, alt: false }));
    common::serve(&mut app, fx);
    assert!(app.logs.store.shown() >= 2);
    assert!(shown(&app).iter().all(|e| e.raw.contains("timed out")));
    app.update(Action::Top);
    let first = app.logs.selected_index();
    app.update(Action::NextMatch);
    assert_eq!(app.logs.selected_index(), first.map(|i| i + 1));
    app.update(Action::PrevMatch);
    assert_eq!(app.logs.selected_index(), first);
    // p shows the line as pretty JSON.
    app.update(Action::Pretty);
    let screen = common::render(&app, 160, 48, 0);
    assert!(screen.contains("\"correlationId\": "), "{screen}");
    assert!(screen.contains("Line · p or esc closes"), "{screen}");
    app.update(Action::Back);
    assert!(!app.logs.detail);
}

#[test]
fn a_full_ring_counts_dropped_lines_in_the_title() {
    let mut app = common::app().with_log_store(1_000, LineParser::default());
    let fx = app.restart_logs();
    common::serve(&mut app, fx);
    assert_eq!(app.logs.store.len(), 1_000);
    assert!(app.logs.store.dropped() > 0);
    let screen = common::render(&app, 160, 48, 0);
    let title = warroom::ui::logs::title(&app);
    assert!(title.contains(" · 1,000 shown · 0 filtered out · "), "{title}");
    assert!(screen.contains(title.trim()), "{screen}");
}

/// Lines nobody should trust: escapes, C1 controls, invalid UTF-8, a 5 MB line, half JSON.
fn hostile_lines() -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(
        b"{\"correlationId\":\"c-evil\",\"level\":\"error\",\"message\":\"\\u001b]52;c;cHduZWQ=\\u0007\\u001b[2J\\u001b[31mred\\u009b1m\"}\n",
    );
    out.extend_from_slice(b"c-evil plain \x1b[2J\x1b]0;title\x07 bell\x07 and \xff\xfe bytes\r\n");
    out.extend_from_slice(b"{\"correlationId\":\"c-evil\",\"message\":\"half");
    out.push(b'\n');
    out.extend_from_slice(b"c-evil ");
    out.extend(std::iter::repeat_n(b'A', 5 << 20));
    out.extend_from_slice(b"\x1b[31m\n");
    out
}

fn assert_clean(text: &str) {
    for c in text.chars() {
        assert!(
            c == '\n' || !(c.is_control() || ('\u{80}'..='\u{9f}').contains(&c)),
            "control character {:?} reached the output",
            c
        );
    }
}

#[test]
fn hostile_lines_reach_the_pane_neutralised() {
    let parser = LineParser::default();
    let events: Vec<LogEvent> = hostile_lines()
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let ctx = LineContext {
                at: Some(common::demo().now),
                region: Some("eu-west-1"),
                service: Some("evil"),
            };
            parser.parse(&String::from_utf8_lossy(l), ctx)
        })
        .collect();
    assert_eq!(events.len(), 4);
    let mut app = common::app();
    run_command(&mut app, "cid c-evil");
    app.on_source(SourceMsg::Logs {
        generation: app.logs.generation,
        update: Ok(LogBatch { events, ..Default::default() }),
        backfill: false,
        received: 0,
    });
    assert_eq!(app.logs.store.shown(), 4);
    assert!(app.logs.store.bytes() < 64 * 1024, "the 5 MB line is cut");
    for (w, h) in [(160, 48), (80, 24)] {
        let screen = common::render(&app, w, h, 0);
        assert_clean(&screen);
        // The message column shows what was said, without the escape sequences; the line
        // in full (below) shows them, neutralised.
        assert!(w < 160 || screen.contains("red"), "{screen}");
        assert!(!screen.contains("cHduZWQ="), "{screen}");
    }
    for i in 0..4 {
        app.logs.selected = app.logs.store.seq(i).unwrap();
        app.logs.follow = false;
        app.logs.detail = true;
        let screen = common::render(&app, 120, 40, 0);
        assert_clean(&screen);
        assert!(i > 0 || screen.contains(r"\u001b]52;c;cHduZWQ=\u0007"), "{screen}");
    }
}

use common::warroom;

#[test]
fn headless_logs_prints_the_same_lines_as_the_pane() {
    let (out, err, code) = warroom(&[
        "logs",
        "--correlation-id",
        CID,
        "--demo",
        "invoice-approval-timeout",
        "--at",
        "09:20",
    ]);
    assert_eq!(code, 0, "{err}");
    let got: Vec<String> = out
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split("  ").filter(|c| !c.is_empty()).collect();
            format!("{} {}", cols[2].trim(), cols[4].trim())
        })
        .collect();
    assert_eq!(got, story_lines(), "{out}");
    assert!(out.lines().next().unwrap().starts_with("09:11:40.000  eu-west-1"));
    // JSON lines carry the line as written.
    let (out, _, code) = warroom(&[
        "logs",
        "--correlation-id",
        CID,
        "--demo",
        "invoice-approval-timeout",
        "--at",
        "09:20",
        "--format",
        "jsonl",
        "--region",
        "eu-west-1",
    ]);
    assert_eq!(code, 0);
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["correlation_id"], CID);
    assert_eq!(first["service"], "invoice-api");
    // Nothing found: exit 1 and say where it looked.
    let (out, err, code) = warroom(&["logs", "--correlation-id", "c-none", "--at", "09:20"]);
    assert_eq!((out.as_str(), code), ("", 1));
    assert!(err.contains("unknown correlation id c-none: no log line and no trace"), "{err}");
    let (_, err, code) = warroom(&["logs", "--region", "mars-1", "--at", "09:20"]);
    assert_eq!(code, 2);
    assert!(err.contains("mars-1: not in the boundary"), "{err}");
}

#[test]
fn headless_logs_from_hostile_files_print_clean_text_and_json() {
    let dir = std::env::temp_dir().join(format!("warroom-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hostile.log");
    std::fs::write(&path, hostile_lines()).unwrap();
    let p = path.to_str().unwrap();
    let (out, err, code) = warroom(&["logs", "--correlation-id", "c-evil", "--source", p]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 4, "{out}");
    assert_clean(&out);
    assert!(out.len() < 100_000);
    let (out, _, code) =
        warroom(&["logs", "--correlation-id", "c-evil", "--source", p, "--format", "jsonl"]);
    assert_eq!(code, 0);
    assert_clean(&out);
    for l in out.lines() {
        serde_json::from_str::<serde_json::Value>(l).expect("each line is JSON");
    }
    // The output of `aws logs filter-log-events` is read too.
    let cli = dir.join("filter.json");
    std::fs::write(
        &cli,
        r#"{"events":[{"logStreamName":"2026/03/12/[$LATEST]abc","timestamp":1773306700000,"message":"{\"correlationId\":\"c-1\",\"level\":\"ERROR\",\"message\":\"boom\"}\n","ingestionTime":1773306700100,"eventId":"1"}],"searchedLogStreams":[]}"#,
    )
    .unwrap();
    let (out, err, code) =
        warroom(&["logs", "--correlation-id", "c-1", "--source", cli.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ERROR  boom"), "{out}");
}

#[test]
fn osc52_puts_the_id_on_the_clipboard() {
    assert_eq!(warroom::tui::osc52("c-9f3a6e1d"), "\u{1b}]52;c;Yy05ZjNhNmUxZA==\u{7}");
    assert_eq!(warroom::tui::osc52("c-1\u{1b}"), warroom::tui::osc52("c-1"));
}

#[test]
fn log_tail_screens() {
    let mut app = common::app();
    run_command(&mut app, &format!("cid {CID}"));
    for (w, h) in [(80, 24), (160, 48)] {
        insta::assert_snapshot!(format!("cid_tail_{w}x{h}"), common::render(&app, w, h, 0));
    }
    app.update(Action::PrevError);
    app.update(Action::Pretty);
    insta::assert_snapshot!("cid_tail_detail_160x48", common::render(&app, 160, 48, 0));
}

#[test]
fn z_zooms_the_focused_pane_to_the_screen() {
    let mut app = common::app();
    run_command(&mut app, &format!("cid {CID}"));
    app.update(Action::Zoom);
    let screen = common::render(&app, 120, 30, 0);
    assert!(!screen.contains("Regional RED"), "only the log tail: {screen}");
    assert!(screen.contains("Task timed out after 3.00 seconds"), "{screen}");
    app.update(Action::Zoom);
    assert!(common::render(&app, 120, 30, 0).contains("Regional RED"));
}

#[test]
fn headless_search_of_lambda_lines_joins_them_to_the_request_with_or_without_a_range() {
    let dir = std::env::temp_dir().join(format!("warroom-logs-lambda-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rid = "8f5a9b4e-1c2d-4e3f-9a8b-7c6d5e4f3a2b";
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!(
            "{{\"timestamp\":\"2026-11-19T13:{:02}:00Z\",\"region\":\"eu-west-1\",\"correlationId\":\"c-{i}\",\"message\":\"other\"}}\n",
            i % 60
        ));
    }
    text.push_str(&format!(
        "START RequestId: {rid} Version: $LATEST\n\
         {{\"timestamp\":\"2026-11-19T13:42:05.150Z\",\"requestId\":\"{rid}\",\"correlationId\":\"c-lambda\",\"message\":\"approving\"}}\n\
         2026-11-19T13:42:05.200Z {rid} Task timed out after 3.00 seconds\n\
         REPORT RequestId: {rid}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tStatus: timeout\n"
    ));
    let path = dir.join("worker.log");
    std::fs::write(&path, &text).unwrap();
    let p = path.to_str().unwrap();
    let (out, err, code) = warroom(&["logs", "--correlation-id", "c-lambda", "--source", p]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    // START and REPORT say no time of their own (they come first) and join the request.
    assert!(lines[0].contains("START RequestId"), "{out}");
    assert!(lines[1].contains("REPORT RequestId"), "{out}");
    assert!(lines.iter().all(|l| l.contains("cid=c-lambda")), "{out}");
    // Lines that name no region are placed in the evidence's only one, as the cockpit does.
    assert!(lines.iter().all(|l| l.contains("eu-west-1")), "{out}");
    let (ranged, err, code) =
        warroom(&["logs", "--correlation-id", "c-lambda", "--source", p, "--since", "100000h"]);
    assert_eq!(code, 0, "{err}");
    // A range keeps the lines of its time; those that say none are outside any.
    assert_eq!(ranged.lines().collect::<Vec<_>>(), lines[2..], "{ranged}");
    // Smart case: a capital makes the text case-sensitive.
    let (timed, _, code) = warroom(&["logs", "--grep", "timed OUT", "--source", p]);
    assert_eq!((timed.as_str(), code), ("", 1));
    let (timed, _, code) = warroom(&["logs", "--grep", "timed out", "--source", p]);
    assert_eq!(code, 0);
    assert_eq!(timed.lines().count(), 1, "{timed}");
    assert!(timed.contains("Task timed out"), "{timed}");
    let (_, err, code) = warroom(&["logs", "--correlation-id", "c-none", "--source", p]);
    assert_eq!(code, 1);
    assert!(err.contains("no lines for c-none"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_followed_source_behind_what_is_written_says_so_in_the_title() {
    let mut app = common::app();
    let fx = app.restart_logs();
    common::serve(&mut app, fx);
    let g = app.logs.generation;
    let behind = LogBatch { behind_ms: Some(71_500), ..LogBatch::default() };
    app.on_logs(g, Ok(behind), false, 0);
    let title = warroom::ui::logs::title(&app);
    assert!(title.contains("FOLLOWING, behind by 72 s"), "{title}");
    // Caught up: the mark goes.
    app.on_logs(g, Ok(LogBatch::default()), false, 0);
    let title = warroom::ui::logs::title(&app);
    assert!(title.contains("FOLLOWING ·"), "{title}");
    assert!(!title.contains("behind"), "{title}");
}
