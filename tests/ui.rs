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

#[test]
fn help_and_command_line_render() {
    let mut app = common::app();
    app.update(Action::Help);
    insta::assert_snapshot!("help_100x30", render(&app, 100, 30));
    let screen = render(&app, 160, 48);
    // Every action of the keymap is listed with its keys.
    for a in Action::ALL {
        assert!(screen.contains(a.describe()), "{} missing from help", a.name());
    }
    let mut app = common::app();
    app.update(Action::Command);
    for c in "window 1h".chars() {
        app.on_key(warroom::app::Key::char(c));
    }
    let screen = render(&app, 80, 24);
    assert!(screen.contains(":window 1h█"), "{screen}");
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
