//! `App::update` and friends, without a terminal.

mod common;

use warroom::app::{Action, Effect, Key, KeyCode, Mode, SourceMsg, View};
use warroom::model::{HOUR_MS, MINUTE_MS};

fn type_command(app: &mut warroom::app::App, line: &str) -> Vec<Effect> {
    let mut fx = app.on_key(Key::char(':'));
    assert!(matches!(&app.mode, Mode::Prompt(p) if p.kind == warroom::app::PromptKind::Command));
    for c in line.chars() {
        fx.extend(app.on_key(Key::char(c)));
    }
    fx.extend(app.on_key(Key::plain(KeyCode::Enter)));
    // The line goes to the prompt's history.
    assert!(app.history.of(warroom::app::PromptKind::Command).last().is_some());
    fx.retain(|e| !matches!(e, Effect::SaveHistory(_)));
    fx
}

#[test]
fn drill_down_and_back() {
    let mut app = common::app();
    assert_eq!(app.rows.len(), 6);
    assert_eq!(app.rows[0].name, "eu-west-1");
    app.update(Action::Down);
    assert_eq!(app.level().selected, 1);
    app.update(Action::Up);
    app.update(Action::Up);
    assert_eq!(app.level().selected, 0, "selection stops at the top");
    assert!(app.update(Action::DrillIn).is_empty(), "no fetch for a region");
    assert_eq!(app.view(), &View::Region { region: "eu-west-1".into() });
    assert_eq!(app.breadcrumb(), vec!["EU", "eu-west-1"]);
    // Worst service first.
    assert_eq!(app.rows[0].name, "invoice-approval-worker");
    app.update(Action::DrillIn);
    assert_eq!(app.breadcrumb(), vec!["EU", "eu-west-1", "invoice-approval-worker"]);
    assert_eq!(app.rows[0].name, "ApproveInvoice");
    let fx = app.update(Action::DrillIn);
    let [Effect::FetchFailing { scope, from, to, .. }] = fx.as_slice() else {
        panic!("expected one fetch, got {fx:?}")
    };
    assert_eq!(scope.operation.as_deref(), Some("ApproveInvoice"));
    assert_eq!(to - from, common::WINDOW);
    assert!(app.failing.loading);
    common::serve(&mut app, fx);
    assert!(!app.failing.loading);
    let ids: Vec<&str> = app.failing.requests.iter().map(|r| r.correlation_id.as_str()).collect();
    assert!(ids.contains(&"c-9f3a6e1d"), "the customer's request is among the failures");
    let customer = app.failing.requests.iter().find(|r| r.correlation_id == "c-9f3a6e1d").unwrap();
    assert_eq!(customer.tenant, "tenant-42");
    assert_eq!(customer.status, 504);
    app.update(Action::Bottom);
    assert_eq!(app.level().selected, app.failing.requests.len() - 1);
    assert!(app.selected_request().is_some());
    for depth in [3, 2, 1, 1] {
        app.update(Action::Back);
        assert_eq!(app.stack.len(), depth);
    }
    assert_eq!(app.view(), &View::Overview);
}

#[test]
fn late_replies_for_an_old_view_are_dropped() {
    let mut app = common::app();
    app.update(Action::DrillIn);
    app.update(Action::DrillIn);
    let old = app.update(Action::DrillIn);
    app.update(Action::Back);
    app.update(Action::Down);
    let new = app.update(Action::DrillIn);
    let gen_of = |fx: &[Effect]| match fx {
        [Effect::FetchFailing { generation, .. }] => *generation,
        _ => panic!("{fx:?}"),
    };
    let (g_old, g_new) = (gen_of(&old), gen_of(&new));
    assert_ne!(g_old, g_new);
    app.on_source(SourceMsg::Failing { generation: g_old, result: Ok(vec![]) });
    assert!(app.failing.loading, "the stale reply must not land");
    app.on_source(SourceMsg::Failing {
        generation: g_new,
        result: Err(warroom::source::SourceError::new(
            warroom::source::SourceErrorKind::Network,
            "timed out",
        )),
    });
    assert!(!app.failing.loading);
    assert_eq!(app.failing.error.as_deref(), Some("timed out"));
}

#[test]
fn window_keys_and_command_change_the_query() {
    let mut app = common::app();
    let fx = app.update(Action::NextWindow);
    assert_eq!(app.window, HOUR_MS);
    assert_eq!(fx, vec![Effect::FetchMetrics { span: HOUR_MS + 24 * HOUR_MS }]);
    app.update(Action::PrevWindow);
    assert_eq!(app.window, 15 * MINUTE_MS);
    assert!(app.update(Action::PrevWindow).is_empty(), "15m is the shortest");
    let fx = type_command(&mut app, "window 6h");
    assert_eq!(app.window, 6 * HOUR_MS);
    assert_eq!(fx, vec![Effect::FetchMetrics { span: 30 * HOUR_MS }]);
    type_command(&mut app, "window 7m");
    assert_eq!(app.window, 6 * HOUR_MS);
    let (msg, is_err) = app.message.clone().unwrap();
    assert!(is_err && msg.contains("15m, 1h, 6h, 24h"), "{msg}");
}

#[test]
fn commands_region_scenario_at_quit() {
    let mut app = common::app();
    type_command(&mut app, "region us-west-2");
    assert_eq!(app.view(), &View::Region { region: "us-west-2".into() });
    assert_eq!(app.breadcrumb(), vec!["US", "us-west-2"]);
    type_command(&mut app, "region mars-north-1");
    assert_eq!(app.view(), &View::Region { region: "us-west-2".into() });
    assert!(app.message.as_ref().unwrap().0.starts_with("unknown region"));
    type_command(&mut app, "top");
    assert_eq!(app.view(), &View::Overview);
    assert_eq!(
        type_command(&mut app, "scenario alert-endpoint-404"),
        vec![Effect::SwitchScenario("alert-endpoint-404".into())]
    );
    let before = app.clock.now();
    let fx = type_command(&mut app, "at 09:30");
    assert_eq!(app.clock.now() - before, 10 * MINUTE_MS);
    assert!(matches!(fx.as_slice(), [Effect::FetchMetrics { .. }, Effect::TailLogs { .. }]));
    type_command(&mut app, "fly");
    assert!(app.message.as_ref().unwrap().0.starts_with("unknown command :fly"));
    assert!(!app.should_quit);
    assert_eq!(type_command(&mut app, "q"), vec![Effect::Quit]);
    assert!(app.should_quit);
}

#[test]
fn command_line_editing_and_escape() {
    let mut app = common::app();
    app.on_key(Key::char(':'));
    app.on_key(Key::char('x'));
    app.on_key(Key::plain(KeyCode::Backspace));
    assert!(matches!(&app.mode, Mode::Prompt(p) if p.line.text().is_empty()));
    app.on_key(Key::char('\u{1b}'));
    app.on_key(Key::plain(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Normal);
    // Backspace on an empty line leaves command mode too.
    app.on_key(Key::char(':'));
    app.on_key(Key::plain(KeyCode::Backspace));
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn help_opens_and_any_key_closes() {
    let mut app = common::app();
    app.on_key(Key::char('?'));
    assert_eq!(app.mode, Mode::Help);
    app.on_key(Key::char('j'));
    assert_eq!(app.mode, Mode::Help, "movement keys do not close help");
    app.on_key(Key::plain(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Normal);
    app.on_key(Key::char('?'));
    app.on_key(Key::char('q'));
    assert!(app.should_quit, "q quits from help too");
}

#[test]
fn pause_stops_the_simulated_clock() {
    let mut app = common::app();
    assert!(app.clock.is_paused(), "the fixture starts paused");
    let fx = app.update(Action::Pause);
    assert!(!app.clock.is_paused());
    assert!(matches!(fx.as_slice(), [Effect::FetchMetrics { .. }]));
    app.update(Action::Pause);
    assert!(app.clock.is_paused());
}

#[test]
fn unbound_keys_do_nothing_and_do_not_redraw() {
    let mut app = common::app();
    app.dirty = false;
    assert!(app.on_key(Key::char('Z')).is_empty());
    assert!(!app.dirty);
}

#[test]
fn switching_source_returns_to_an_empty_overview() {
    let mut app = common::app();
    app.update(Action::DrillIn);
    app.update(Action::DrillIn);
    let info = warroom::app::SourceInfo {
        name: "demo".into(),
        scenario: Some("alert-endpoint-404".into()),
        title: None,
    };
    app.replace_source(warroom::model::Clock::simulated(0, 0.0), info);
    assert_eq!(app.view(), &View::Overview);
    assert!(app.metrics.is_none() && app.rows.is_empty());
    assert_eq!(app.clock.now(), 0);
    assert_eq!(app.message, Some(("scenario alert-endpoint-404".into(), false)));
}
