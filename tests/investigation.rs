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
