//! Marking observations and findings, the journal that survives a crash, and the report.

mod common;

use common::warroom;
use warroom::app::{Action, App, Effect, Focus};
use warroom::model::investigation::{EntryKind, JournalLine};

fn journal_lines(fx: &[Effect]) -> Vec<JournalLine> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Journal(l) => Some(l.clone()),
            _ => None,
        })
        .collect()
}

/// The story 1 investigation: the region's anomaly, the change as a finding, an error line.
fn investigate(app: &mut App) -> Vec<JournalLine> {
    let mut journal = Vec::new();
    journal.extend(journal_lines(&app.update(Action::Mark))); // eu-west-1 on the overview
    app.update(Action::FocusNext); // logs
    app.update(Action::FocusNext); // changes
    assert_eq!(app.focus, Focus::Changes);
    let i = app
        .changes
        .shown()
        .position(|(_, c)| c.event == "UpdateFunctionConfiguration" && c.region == "eu-west-1")
        .expect("the change");
    app.changes.selected = i;
    journal.extend(journal_lines(&app.update(Action::Finding)));
    app.update(Action::FocusPrev); // logs
    app.update(Action::Top);
    app.update(Action::NextError);
    journal.extend(journal_lines(&app.update(Action::Mark)));
    journal
}

#[test]
fn marks_findings_and_the_timeline() {
    let mut app = common::app();
    let journal = investigate(&mut app);
    assert_eq!(journal.len(), 3);
    let inv = &app.investigation;
    let kinds: Vec<EntryKind> = inv.entries.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EntryKind::Anomaly, EntryKind::Change, EntryKind::LogLine]);
    assert!(inv.entries[0].text.starts_with("eu-west-1: errors 7.4%"), "{}", inv.entries[0].text);
    assert!(inv.entries[1].finding);
    assert!(inv.entries[1].evidence.iter().any(|(k, _)| k == "CloudTrail event"));
    assert!(inv.entries[2].evidence.iter().any(|(k, _)| k == "correlation id"));
    // Marking the anomaly again as a finding promotes it.
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Focus::Main);
    let fx = app.update(Action::Finding);
    assert!(matches!(journal_lines(&fx).as_slice(), [JournalLine::Promote { index: 0 }]));
    let t = app.timeline();
    assert!(t.windows(2).all(|w| w[0].at <= w[1].at), "time order");
    assert!(t.iter().any(|i| i.label == "onset"));
    assert!(
        t.iter().any(|i| i.label == "finding" && i.text.contains("UpdateFunctionConfiguration"))
    );
    app.update(Action::Timeline);
    let screen = common::render(&app, 160, 48, 0);
    assert!(screen.contains("Investigation · 2 findings"), "{screen}");
    let fx = app.run_command("report");
    let Some(Effect::WriteReport(report)) = fx.first() else { panic!("{fx:?}") };
    insta::assert_snapshot!("report_story_1", report);
}

#[test]
fn the_journal_survives_a_crash_and_the_report_reads_it() {
    let dir = std::env::temp_dir().join(format!("warroom-inv-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut app = common::app();
    let mut text = String::new();
    for l in investigate(&mut app) {
        text.push_str(&serde_json::to_string(&l).unwrap());
        text.push('\n');
    }
    // The terminal died while a line was being written.
    text.push_str(r#"{"op":"mark","entry":{"at":17"#);
    std::fs::write(dir.join("investigation.jsonl"), &text).unwrap();
    let out_file = dir.join("report.md");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["report", "--at", "09:20", "--out", out_file.to_str().unwrap()])
        .env("WARROOM_DATA", &dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = std::fs::read_to_string(&out_file).unwrap();
    assert!(report.contains("## Findings\n\n1. UpdateFunctionConfiguration"), "{report}");
    assert!(report.contains("CloudTrail event `"), "{report}");
    // Without the journal the report has no findings.
    let (fresh, _, code) = warroom(&["report", "--at", "09:20", "--fresh"]);
    assert_eq!(code, 0);
    assert!(fresh.contains("No findings yet."));
}

/// An app on a built-in scenario at a time, metrics, changes, evidence and log tail served
/// synchronously from its engine.
fn scenario_app(name: &str, at: &str) -> (App, warroom::source::sim::Engine) {
    use warroom::app::{Keymap, SourceInfo, SourceMsg};
    use warroom::model::{Boundary, Clock, DAY_MS, parse_hms};
    let sc = warroom::source::sim::Scenario::built_in(name).expect("scenario");
    let now = sc.at(parse_hms(at).unwrap());
    let info = SourceInfo {
        name: "demo".into(),
        scenario: Some(sc.name.clone()),
        title: Some(sc.title.clone()),
    };
    let engine = warroom::source::sim::Engine::new(sc);
    let mut app = App::new(
        Boundary::global(),
        Clock::simulated(now, 0.0),
        Keymap::default(),
        info,
        common::WINDOW,
        DAY_MS,
    );
    let snap = engine.metrics(&Boundary::global(), now, common::WINDOW + DAY_MS);
    let fx = app.on_source(SourceMsg::Metrics { result: Ok(snap), received: 0 });
    warroom::cli::snapshot::serve_demo(&mut app, &engine, fx).unwrap();
    (app, engine)
}

fn serve_on(app: &mut App, engine: &warroom::source::sim::Engine, fx: Vec<Effect>) {
    warroom::cli::snapshot::serve_demo(app, engine, fx).unwrap();
}

/// The statements every report makes, checked against the data they come from.
fn check_statements(app: &App, report: &str) {
    let input = app.report_input(None);
    let a = input.incident.clone().expect("an incident");
    // Dated: every time in the timeline is ISO 8601 UTC.
    for l in report.lines().filter(|l| l.starts_with("- **")) {
        let t = &l[4..24];
        assert!(t.len() == 20 && t.ends_with('Z') && &t[10..11] == "T", "not ISO: {l}");
    }
    assert!(report.contains(&format!(
        "Written by warroom at {}",
        warroom::model::text::iso(app.clock.now())
    )));
    // The first error is the first failing request at or after the onset.
    let first =
        input.failures.iter().filter(|r| r.at >= a.onset).map(|r| r.at).min().expect("failures");
    let fe = warroom::report::first_error(&input).unwrap();
    assert_eq!(fe.at, first);
    assert!(fe.at >= a.onset);
    assert!(
        report.contains(&format!("- First error: {}", warroom::model::text::iso(first))),
        "{report}"
    );
    // Impact counts: the failed requests of what is affected since the onset.
    let im = input.impact.clone().expect("impact");
    assert!(report.contains(&format!(
        "- Failed requests: {} of {}",
        warroom::analysis::corroborate::thousands(im.failed as usize),
        warroom::analysis::corroborate::thousands(im.requests as usize)
    )));
    assert!(im.failed > 0 && im.failed <= im.requests);
    assert_eq!(im.regions, std::slice::from_ref(&a.region), "one region");
    let tenants: std::collections::BTreeSet<&str> =
        input.failures.iter().map(|r| r.tenant.as_str()).collect();
    assert!(report.contains(&format!("- Tenants affected: {} in", tenants.len())), "{report}");
    // Detection: from the onset to the first alert, note or mark.
    let (t, _) = warroom::report::detection(&input).expect("detected");
    let first_mark = input
        .entries
        .iter()
        .map(|e| match e.kind {
            EntryKind::Note | EntryKind::Alert => e.at,
            _ => e.marked.unwrap_or(e.at),
        })
        .min()
        .unwrap();
    assert_eq!(t, first_mark);
    assert!(report.contains(&format!("- Detected: {}", warroom::model::text::iso(t))), "{report}");
}

#[test]
fn golden_report_story_1() {
    let (mut app, engine) = scenario_app("invoice-approval-timeout", "09:20");
    // The customer's report, noted with its time; the anomaly marked; a snapshot taken.
    let fx = app.run_command("note 09:12 tenant-42 reported c-9f3a6e1d failing");
    serve_on(&mut app, &engine, fx);
    let fx = app.update(Action::Mark);
    serve_on(&mut app, &engine, fx);
    let data = std::env::temp_dir().join(format!("warroom-golden-{}", std::process::id()));
    let shot = data.join("snapshots").join("snapshot-2026-03-12T0920Z.svg");
    app.snapshot_written(Ok(shot));
    let report = app.report_text(Some(data.join("reports")));
    check_statements(&app, &report);
    // Detection is the customer's report at 09:12, 7 minutes after the 09:04:41 onset.
    assert!(
        report.contains(
            "- Detected: 2026-03-12T09:12:00Z (7 min after the onset) by note: tenant-42 reported"
        ),
        "{report}"
    );
    // The change's values, before and after.
    assert!(report.contains("- Set: Timeout 30 -> 3"), "{report}");
    assert!(report.contains("✔ 1,267 failures end at 3.0 s = new timeout 3"), "{report}");
    assert!(report.contains("- Status codes: 504 × 1,267, 502 × 2"), "{report}");
    // The screen linked relative to the report.
    assert!(report.contains("](<../snapshots/snapshot-2026-03-12T0920Z.svg>)"), "{report}");
    assert!(!report.contains(&data.display().to_string()), "no absolute path: {report}");
    insta::assert_snapshot!("golden_report_story_1", report);
}

#[test]
fn golden_report_story_2() {
    let (mut app, engine) = scenario_app("alert-endpoint-404", "14:56");
    // Opened on the /alert monitor at 14:52:57 (kept as the alert), the region marked, and
    // the log tail of us-east-1 read for the evidence.
    let fx = app.run_command("region us-east-1");
    serve_on(&mut app, &engine, fx);
    let at = app.clock.now() - 3 * 60_000 - 3_000;
    let fx = app.alert_opened("/alert error rate", at);
    assert!(matches!(fx.as_slice(), [Effect::Journal(JournalLine::Mark { .. })]));
    let fx = app.update(Action::Mark);
    serve_on(&mut app, &engine, fx);
    let report = app.report_text(None);
    check_statements(&app, &report);
    assert!(report.contains("- Status codes: 404 ×"), "story 2 says 404: {report}");
    assert!(report.contains("message-processor POST /alert (us-east-1)"), "{report}");
    assert!(report.contains("- Detected: 2026-05-20T14:52:57Z"), "{report}");
    assert!(report.contains("PutImage of message-processor:2.8.0"), "{report}");
    assert!(
        report.contains("- Remediation: none recorded"),
        "the rollout of the push is not its remediation: {report}"
    );
    assert!(
        report.contains("failing requests (404) left no warning or error log line"),
        "the silent drop is a question for the post-mortem: {report}"
    );
    insta::assert_snapshot!("golden_report_story_2", report);
}

fn key(app: &mut App, k: &str) -> Vec<Effect> {
    let fx = app.on_key(warroom::app::Key::parse(k).unwrap());
    common::serve(app, fx.clone());
    fx
}

#[test]
fn the_timeline_navigates_jumps_unmarks_and_undoes() {
    let mut app = common::app();
    // Mark the change as a finding from the feed, note the customer's report.
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    let i = app
        .changes
        .shown()
        .position(|(_, c)| c.event == "UpdateFunctionConfiguration" && c.region == "eu-west-1")
        .unwrap();
    app.changes.selected = i;
    let id = app.changes.selected_change().unwrap().id.clone();
    app.update(Action::Finding);
    app.update(Action::FocusNext); // back to the main pane
    let fx = app.run_command("note 09:12 customer tenant-42 reported c-9f3a6e1d");
    assert!(matches!(fx.as_slice(), [Effect::Journal(JournalLine::Mark { .. })]), "{fx:?}");
    assert!(app.run_command("note").is_empty(), "a note needs a text");
    assert!(app.message.as_ref().unwrap().1);

    key(&mut app, "t");
    let t = app.timeline();
    let labels: Vec<&str> = t.iter().map(|i| i.label).collect();
    // Only what was marked, the onset and the top suspect (marked already: not twice); the
    // change at 09:04:37 comes before the onset at 09:04:41 it caused.
    assert_eq!(labels, ["finding", "onset", "note"], "{t:#?}");
    assert_eq!(warroom::model::format_hms(t[2].at), "09:12:00");
    let screen = common::render(&app, 160, 48, 0);
    assert!(screen.contains("▶09:04:37  finding"), "{screen}");
    assert!(screen.contains(" 09:04:41  onset"), "{screen}");
    assert!(screen.contains("customer tenant-42 reported c-9f3a6e1d"), "{screen}");
    // j moves to the onset, k back to the finding; enter jumps to the change, shown in full.
    key(&mut app, "j");
    assert_eq!(app.timeline.selected, 1);
    key(&mut app, "k");
    assert_eq!(app.timeline.selected, 0);
    key(&mut app, "enter");
    assert_eq!(app.mode, warroom::app::Mode::Normal);
    assert_eq!(app.focus, Focus::Changes);
    assert!(app.changes.detail);
    assert_eq!(app.changes.selected_change().unwrap().id, id);
    // Back in the timeline: d unmarks the note, u undoes it, u again undoes the note itself.
    key(&mut app, "t");
    key(&mut app, "G");
    assert_eq!(app.timeline.selected, 2);
    let fx = key(&mut app, "d");
    assert!(matches!(fx.as_slice(), [Effect::Journal(JournalLine::Unmark { index: 1 })]), "{fx:?}");
    assert_eq!(app.timeline().len(), 2);
    assert_eq!(app.timeline.selected, 1, "the selection stays in the list");
    let fx = key(&mut app, "u");
    assert!(matches!(fx.as_slice(), [Effect::Journal(JournalLine::Restore { index: 1 })]));
    assert_eq!(app.timeline().len(), 3);
    key(&mut app, "u");
    assert_eq!(app.timeline().len(), 2, "the note undone");
    // The onset jumps to the region and its service.
    key(&mut app, "g");
    key(&mut app, "j");
    key(&mut app, "enter");
    assert_eq!(app.breadcrumb().last().map(String::as_str), Some("invoice-approval-worker"));
    // u outside the timeline undoes the finding's mark too; the journal replays to the same.
    key(&mut app, "u");
    assert_eq!(app.investigation.findings().count(), 0);
    assert!(app.timeline().iter().all(|i| i.label != "finding"));
    assert!(
        app.timeline().iter().any(|i| i.label == "top suspect"),
        "unmarked, it is the suspect again"
    );
}
