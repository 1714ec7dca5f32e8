//! Snapshot tests of every level of the drill-down, at 80x24 and 160x48.

mod common;

use warroom::app::{Action, App};

fn render(app: &App, w: u16, h: u16) -> String {
    render_at(app, w, h, 0)
}

fn render_at(app: &App, w: u16, h: u16, wall_now: i64) -> String {
    common::render(app, w, h, wall_now)
}

fn levels() -> Vec<(&'static str, App)> {
    let mut out = Vec::new();
    let mut app = common::app();
    out.push(("overview", common::app()));
    let fx = app.update(Action::DrillIn); // eu-west-1
    common::serve(&mut app, fx);
    out.push(("region", clone_view(&app)));
    let fx = app.update(Action::DrillIn); // the worst service first
    common::serve(&mut app, fx);
    out.push(("service", clone_view(&app)));
    let fx = app.update(Action::DrillIn);
    common::serve(&mut app, fx);
    out.push(("operation", app));
    out
}

/// Rebuild an app showing the same level (App is not Clone: it owns a keymap and a clock).
fn clone_view(app: &App) -> App {
    let mut a = common::app();
    for level in &app.stack[1..] {
        a.stack.push(level.clone());
    }
    a.recompute();
    a
}

#[test]
fn drill_down_screens() {
    for (name, app) in levels() {
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&app, w, h));
        }
    }
}

#[test]
fn overview_says_regional_and_shows_every_region() {
    let screen = render(&common::app(), 160, 48);
    assert!(
        screen.contains("REGIONAL: eu-west-1 invoice-approval-worker › ApproveInvoice errors"),
        "{screen}"
    );
    assert!(screen.contains("since 09:04"), "{screen}");
    for r in
        ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-1", "ap-northeast-1"]
    {
        assert!(screen.contains(r), "{r} missing");
    }
    assert!(screen.contains("DEMO invoice-approval-timeout"));
}

/// Every page of help at a size, paging down until the last row is on screen.
fn help_pages(app: &mut App, w: u16, h: u16) -> Vec<String> {
    let mut pages = vec![render(app, w, h)];
    for _ in 0..20 {
        if app.help.top >= app.help.max_top.get() {
            break;
        }
        app.on_key(warroom::app::Key::plain(warroom::app::KeyCode::PageDown));
        pages.push(render(app, w, h));
    }
    pages
}

#[test]
fn help_scrolls_and_lists_every_key_and_command_at_every_size() {
    for (w, h) in [(80, 24), (160, 48), (220, 60)] {
        let mut app = common::app();
        app.update(Action::Help);
        let pages = help_pages(&mut app, w, h);
        // Lines are wrapped: compare each column's text without the line breaks.
        let mut columns = [String::new(), String::new()];
        for l in pages.iter().flat_map(|p| p.lines().skip(2)) {
            // The popup's columns (see ui::draw_help).
            let pw = (w as usize - 2).min(if w >= 150 { 210 } else { 110 });
            let px = (w as usize - pw) / 2;
            let chars: Vec<char> = l.chars().collect();
            if chars.len() < px + pw {
                continue;
            }
            let inner = &chars[px + 1..px + pw - 1];
            let split = if w >= 150 { inner.len() * 52 / 100 } else { inner.len() };
            columns[0].extend(inner[..split].iter());
            columns[0].push(' ');
            columns[1].extend(inner[split..].iter());
            columns[1].push(' ');
        }
        let all = columns.join(" ").split_whitespace().collect::<Vec<_>>().join(" ");
        for a in Action::ALL {
            assert!(all.contains(a.describe()), "{} missing from help at {w}x{h}", a.name());
        }
        for (c, _) in warroom::ui::COMMANDS {
            assert!(all.contains(c), "{c} missing from help at {w}x{h}");
        }
        for (k, what) in warroom::ui::PROMPT_KEYS.iter().chain(warroom::ui::MOUSE) {
            let first = k.split(' ').next().unwrap_or(k);
            assert!(all.contains(first) && all.contains(what), "{k} missing at {w}x{h}");
        }
        assert_eq!(app.mode, warroom::app::Mode::Help, "scrolling keeps help open");
        if w == 80 {
            assert!(pages.len() > 2, "help at 80x24 takes several pages");
        }
    }
}

#[test]
fn help_snapshots_scrolled_searched_and_wide() {
    let mut app = common::app();
    app.update(Action::Help);
    insta::assert_snapshot!("help_80x24_top", render(&app, 80, 24));
    for _ in 0..2 {
        app.on_key(warroom::app::Key::plain(warroom::app::KeyCode::PageDown));
    }
    insta::assert_snapshot!("help_80x24_scrolled", render(&app, 80, 24));
    app.on_key(warroom::app::Key::plain(warroom::app::KeyCode::End));
    insta::assert_snapshot!("help_80x24_end", render(&app, 80, 24));
    let mut app = common::app();
    app.update(Action::Help);
    insta::assert_snapshot!("help_160x48", render(&app, 160, 48));
    // Wrapped descriptions keep their indentation: no line starts where the keys are.
    let screen = render(&app, 160, 48);
    assert!(screen.contains("  :onset [TIME]"), "{screen}");
    // `/` in help: only the entries with the text, typed live; esc clears, esc closes.
    app.on_key(warroom::app::Key::char('/'));
    for c in "history".chars() {
        app.on_key(warroom::app::Key::char(c));
    }
    let screen = render(&app, 80, 24);
    assert!(screen.contains("earlier and later lines"), "{screen}");
    assert!(!screen.contains("quit warroom"), "{screen}");
    app.on_key(warroom::app::Key::plain(warroom::app::KeyCode::Enter));
    assert_eq!(app.mode, warroom::app::Mode::Help);
    insta::assert_snapshot!("help_80x24_search", render(&app, 80, 24));
    app.on_key(warroom::app::Key::plain(warroom::app::KeyCode::Esc));
    assert!(app.help.query.is_empty());
    assert!(render(&app, 80, 24).contains("Keys"));
    app.on_key(warroom::app::Key::plain(warroom::app::KeyCode::Esc));
    assert_eq!(app.mode, warroom::app::Mode::Normal);
}

#[test]
fn command_line_renders_with_its_cursor() {
    let mut app = common::app();
    app.update(Action::Command);
    for c in "window 1h".chars() {
        app.on_key(warroom::app::Key::char(c));
    }
    let screen = render(&app, 80, 24);
    assert!(screen.contains(":window 1h"), "{screen}");
    assert!(screen.contains("tab complete"), "{screen}");
}

#[test]
fn a_failing_source_is_shown_in_the_pane_with_its_age() {
    let mut app = common::app();
    app.on_source(warroom::app::SourceMsg::Metrics {
        result: Err(warroom::source::SourceError::new(
            warroom::source::SourceErrorKind::Auth,
            "ExpiredToken: the security token included in the request is expired",
        )
        .with_hint("run aws sso login")),
        received: 42_000,
    });
    let screen = render_at(&app, 160, 48, 84_000);
    // The old data stays on screen; the error says how old it is and what to do.
    assert!(screen.contains("eu-west-1"));
    assert!(screen.contains("⚠ demo: ExpiredToken"), "{screen}");
    assert!(screen.contains("failed 42s ago; showing data 1m old"), "{screen}");
    insta::assert_snapshot!("source_error_80x24", render_at(&app, 80, 24, 84_000));
    assert!(screen.contains("run aws sso login"), "{screen}");
}

#[test]
fn tiny_terminals_do_not_panic() {
    for (name, app) in levels() {
        for (w, h) in [(1, 1), (10, 3), (20, 8), (40, 6)] {
            let _ = (name, render(&app, w, h));
        }
    }
}

#[test]
fn every_built_in_theme_loads_and_renders_and_no_color_has_none() {
    use ratatui::style::Color;
    let app = common::app();
    for (name, _) in warroom::ui::theme::BUILT_IN {
        let theme = warroom::ui::Theme::load(name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        t.draw(|f| warroom::ui::draw(&app, &theme, f, 0)).unwrap();
        let buf = t.backend().buffer();
        let text = warroom::ui::export::to_text(buf);
        assert!(text.contains("REGIONAL: eu-west-1"), "{name}");
        assert!(text.contains("✖ eu-west-1"), "{name}: health has a text mark");
        let coloured = buf.content().iter().any(|c| c.fg != Color::Reset || c.bg != Color::Reset);
        assert!(coloured, "{name} has colours");
        let plain = theme.clone().with_no_color(true);
        t.draw(|f| warroom::ui::draw(&app, &plain, f, 0)).unwrap();
        let buf = t.backend().buffer();
        assert!(
            buf.content().iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
            "{name} with NO_COLOR has no colour"
        );
    }
}
