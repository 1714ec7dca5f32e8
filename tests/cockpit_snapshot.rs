//! `:snapshot` in the running cockpit: the screen as it is goes to the data folder, joins the
//! investigation as evidence, and the report shows it. One test in its own binary, because it
//! points the data folder at a temporary one.

mod common;

use warroom::app::{Effect, ScreenFormat};
use warroom::model::investigation::{EntryKind, JournalLine};

#[test]
fn snapshot_writes_the_screen_and_joins_the_investigation() {
    let data = std::env::temp_dir().join(format!("warroom-cockpit-snap-{}", std::process::id()));
    // SAFETY: the only test of this binary sets it before anything else runs.
    unsafe { std::env::set_var("WARROOM_DATA", &data) };
    let mut app = common::app();
    let fx = app.run_command("region eu-west-1");
    common::serve(&mut app, fx);
    assert!(app.run_command("snapshot").contains(&Effect::Snapshot(ScreenFormat::Svg)));
    assert!(app.run_command("snapshot html").contains(&Effect::Snapshot(ScreenFormat::Html)));
    assert!(app.run_command("snapshot txt").contains(&Effect::Snapshot(ScreenFormat::Text)));
    assert!(app.run_command("snapshot png").is_empty());
    assert_eq!(
        app.message,
        Some((":snapshot writes svg, html or txt".into(), true)),
        "a format it cannot write is refused"
    );

    let theme = warroom::ui::Theme::fallback().with_no_color(false);
    let fx = warroom::tui::save_snapshot(&mut app, &theme, (120, 36), ScreenFormat::Text, 1_000);
    // Named by the cockpit's clock, readable: snapshot-2026-03-12T0920Z.txt.
    let path = data.join("snapshots/snapshot-2026-03-12T0920Z.txt");
    let text = std::fs::read_to_string(&path).expect("the snapshot file");
    assert!(text.contains("EU › eu-west-1"), "{text}");
    assert_eq!(text.lines().count(), 36);
    let (m, is_err) = app.message.clone().unwrap();
    assert!(!is_err && m.contains("snapshot-2026-03-12T0920Z.txt"), "{m}");
    // The journal line for the data folder: an observation with the file as evidence.
    let [Effect::Journal(JournalLine::Mark { entry, .. })] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(entry.kind, EntryKind::Snapshot);
    assert!(entry.text.starts_with("eu-west-1 · last 15 min"), "{}", entry.text);
    assert_eq!(entry.evidence, vec![("snapshot".to_string(), path.display().to_string())]);

    let svg = warroom::tui::save_snapshot(&mut app, &theme, (120, 36), ScreenFormat::Svg, 2_000);
    assert_eq!(svg.len(), 1);
    let svg_path = data.join("snapshots/snapshot-2026-03-12T0920Z.svg");
    assert!(std::fs::read_to_string(&svg_path).unwrap().starts_with("<svg "));
    assert!(app.timeline().iter().any(|i| i.text.starts_with("screen: eu-west-1")));
    // A second screen in the same minute gets a name of its own.
    warroom::tui::save_snapshot(&mut app, &theme, (100, 30), ScreenFormat::Svg, 2_500);
    assert!(data.join("snapshots/snapshot-2026-03-12T0920Z-2.svg").exists());
    let report = app.report_text(Some(data.join("reports")));
    assert!(report.contains("## Screens"), "{report}");
    assert!(report.contains("](<../snapshots/snapshot-2026-03-12T0920Z.svg>)"), "{report}");
    assert!(report.contains("[2026-03-12T09:20:00Z eu-west-1 · last 15 min"), "{report}");

    // A data folder that cannot be written: said in the status bar, nothing marked.
    let blocked = data.join("blocked");
    std::fs::write(&blocked, "a file where the folder should be").unwrap();
    unsafe { std::env::set_var("WARROOM_DATA", &blocked) };
    let before = app.investigation.entries.len();
    let fx = warroom::tui::save_snapshot(&mut app, &theme, (80, 24), ScreenFormat::Svg, 3_000);
    assert!(fx.is_empty());
    let (m, is_err) = app.message.clone().unwrap();
    assert!(is_err && m.starts_with("the snapshot was not written"), "{m}");
    assert_eq!(app.investigation.entries.len(), before);
    std::fs::remove_dir_all(&data).ok();
}
