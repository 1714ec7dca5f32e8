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

/// A new folder for one test's files.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("warroom-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn text_and_svg_snapshots_after_replayed_keys() {
    let dir = scratch("snap");
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

#[test]
fn the_text_snapshot_is_golden() {
    let dir = scratch("snap-golden");
    let txt = dir.join("region.txt");
    run(&args(&txt, "enter")).expect("snapshot");
    insta::assert_snapshot!("region_100x30", std::fs::read_to_string(&txt).unwrap());
    std::fs::remove_dir_all(&dir).ok();
}

/// `:theme NAME` typed key by key.
fn theme_keys(name: &str) -> String {
    let letters: Vec<String> = name.chars().map(|c| c.to_string()).collect();
    format!(": t h e m e space {} enter", letters.join(" "))
}

#[test]
fn theme_switches_live_and_snapshots_use_its_screen_colours() {
    let dir = scratch("snap-theme");
    let svg = |keys: &str| {
        let out = dir.join("t.svg");
        run(&args(&out, keys)).expect("snapshot");
        std::fs::read_to_string(out).unwrap()
    };
    let dark = svg("");
    assert!(dark.contains(r##"<rect width="100%" height="100%" fill="#1b1d23"/>"##));
    let light = svg(&theme_keys("light"));
    // The light theme is drawn on a white terminal, with its own colours.
    assert!(light.contains(r##"<rect width="100%" height="100%" fill="#ffffff"/>"##), "{light}");
    assert!(light.contains("#cf222e"), "light's critical red");
    assert!(!dark.contains("#cf222e"));
    let (_, theme) = warroom::cli::snapshot::replay(
        &args(&dir.join("x.txt"), "").cockpit,
        &theme_keys("high-contrast"),
        30,
    )
    .unwrap();
    assert_eq!(theme.name, "high-contrast");
    let err = run(&args(&dir.join("x.txt"), &theme_keys("neon"))).unwrap_err();
    assert!(err.contains("no theme `neon`") && err.contains("colorblind"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn user_themes_beside_the_config_switch_live_and_a_bad_one_keeps_the_current() {
    let dir = scratch("user-theme");
    std::fs::create_dir_all(dir.join("themes")).unwrap();
    std::fs::write(dir.join("config.toml"), "theme = \"dark\"\n").unwrap();
    let mine = warroom::ui::theme::BUILT_IN[0].1.replace("name = \"dark\"", "name = \"mine\"");
    let mine = mine.replace("accent = \"cyan\"", "accent = \"#123456\"");
    std::fs::write(dir.join("themes/mine.toml"), &mine).unwrap();
    std::fs::write(
        dir.join("themes/broken.toml"),
        mine.replace("normal = \"reset\"", "normal = \"bluish\""),
    )
    .unwrap();
    let mut a = args(&dir.join("mine.svg"), &theme_keys("mine"));
    a.cockpit.config = Some(dir.join("config.toml"));
    run(&a).expect("snapshot with the user theme");
    let svg = std::fs::read_to_string(dir.join("mine.svg")).unwrap();
    assert!(svg.contains("#123456"), "the user theme's accent is drawn");

    let setup = warroom::cli::setup(&a.cockpit).unwrap();
    let mut looks = warroom::ui::Looks { theme: setup.theme, dir: setup.theme_dir };
    let err = looks.switch("broken").unwrap_err();
    assert!(!err.contains('\n'), "one line for the status bar: {err}");
    assert!(err.contains("broken.toml") && err.contains("line") && err.contains("bluish"), "{err}");
    assert_eq!(looks.theme.name, "dark", "a theme that does not load leaves the current one");
    looks.switch("mine").unwrap();
    assert_eq!(looks.theme.name, "mine");
    std::fs::remove_dir_all(&dir).ok();
}
