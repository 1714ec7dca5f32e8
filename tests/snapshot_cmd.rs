//! `warroom snapshot`: the screen written by the program itself.

use warroom::cli::snapshot::{SnapshotArgs, run};

fn args(out: &std::path::Path, keys: &str) -> SnapshotArgs {
    SnapshotArgs {
        out: out.to_path_buf(),
        size: (100, 30),
        keys: keys.into(),
        cockpit: warroom::cli::CockpitArgs {
            demo: Some("invoice-approval-timeout".into()),
            at: warroom::model::parse_hms("09:20"),
            ..Default::default()
        },
    }
}

#[test]
fn text_and_svg_snapshots_after_replayed_keys() {
    let dir = std::env::temp_dir().join(format!("warroom-snap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let txt = dir.join("ops.txt");
    run(&args(&txt, "enter enter")).expect("snapshot");
    let text = std::fs::read_to_string(&txt).unwrap();
    assert!(text.contains("EU › eu-west-1 › invoice-approval-worker"), "{text}");
    assert!(text.contains("ApproveInvoice"));
    let svg = dir.join("overview.svg");
    run(&args(&svg, "")).expect("snapshot");
    let html = dir.join("overview.html");
    run(&args(&html, "")).expect("snapshot");
    let h = std::fs::read_to_string(&html).unwrap();
    assert!(h.starts_with("<!DOCTYPE html>") && h.trim_end().ends_with("</html>"));
    assert!(h.contains("REGIONAL: eu-west-1"), "{h}");
    assert_eq!(h.matches("<span").count(), h.matches("</span>").count());
    let s = std::fs::read_to_string(&svg).unwrap();
    assert!(s.starts_with("<svg ") && s.trim_end().ends_with("</svg>"));
    assert_eq!(s.matches("<text").count(), s.matches("</text>").count());
    assert!(s.contains("REGIONAL: eu-west-1"));
    assert!(!s.contains('\u{1b}'));
    let err = run(&args(&dir.join("x.png"), "")).unwrap_err();
    assert!(err.contains(".svg, .html or .txt"), "{err}");
    let err = run(&args(&txt, "enter notakey")).unwrap_err();
    assert!(err.contains("notakey"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
