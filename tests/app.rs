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

fn key(c: char) -> Key {
    Key::char(c)
}

fn ctrl(c: char) -> Key {
    Key { code: KeyCode::Char(c), ctrl: true, alt: false }
}

fn prompt_text(app: &warroom::app::App) -> String {
    app.mode.input().map(|p| p.line.text()).unwrap_or_default()
}

fn typed(app: &mut warroom::app::App, s: &str) -> Vec<Effect> {
    s.chars().flat_map(|c| app.on_key(key(c))).collect()
}

#[test]
fn correlation_prompt_replaces_its_prefill_and_recalls_its_history() {
    let mut app = common::app();
    app.on_key(key('c'));
    typed(&mut app, "c-9f3a6e1d");
    let fx = app.on_key(Key::plain(KeyCode::Enter));
    assert!(fx.contains(&Effect::SaveHistory(warroom::app::PromptKind::Correlation)));
    assert_eq!(app.logs.correlation_ids, ["c-9f3a6e1d"]);
    // Opened again, the current id is selected: typing replaces it.
    app.on_key(key('c'));
    assert_eq!(prompt_text(&app), "c-9f3a6e1d");
    typed(&mut app, "c-1");
    assert_eq!(prompt_text(&app), "c-1", "no c-9f3a6e1dc-1");
    app.on_key(ctrl('u'));
    assert_eq!(prompt_text(&app), "");
    // ↑ brings the last id back; another prompt kind has its own history.
    app.on_key(Key::plain(KeyCode::Up));
    assert_eq!(prompt_text(&app), "c-9f3a6e1d");
    app.on_key(Key::plain(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.logs.correlation_ids, ["c-9f3a6e1d"], "esc changes nothing");
    app.on_key(key('/'));
    app.on_key(Key::plain(KeyCode::Up));
    assert_eq!(prompt_text(&app), "", "the text filter's history is its own");
    app.on_key(Key::plain(KeyCode::Esc));
    // A movement key keeps the pre-filled text and edits it.
    app.on_key(key('c'));
    app.on_key(Key::plain(KeyCode::End));
    typed(&mut app, " c-2");
    app.on_key(Key::plain(KeyCode::Enter));
    assert_eq!(app.logs.correlation_ids, ["c-9f3a6e1d", "c-2"]);
}

#[test]
fn tab_completes_commands_regions_services_themes_and_scenarios() {
    let mut app = common::app();
    app.on_key(key(':'));
    typed(&mut app, "reg");
    app.on_key(Key::plain(KeyCode::Tab));
    assert_eq!(prompt_text(&app), "region ");
    typed(&mut app, "eu-");
    app.on_key(Key::plain(KeyCode::Tab));
    assert_eq!(prompt_text(&app), "region eu-", "two regions: as far as they agree");
    let listed = app.message.clone().unwrap().0;
    assert!(listed.contains("eu-west-1") && listed.contains("eu-central-1"), "{listed}");
    typed(&mut app, "w");
    app.on_key(Key::plain(KeyCode::Tab));
    assert_eq!(prompt_text(&app), "region eu-west-1 ");
    typed(&mut app, "invoice-appr");
    app.on_key(Key::plain(KeyCode::Tab));
    assert_eq!(prompt_text(&app), "region eu-west-1 invoice-approval-worker ");
    app.on_key(Key::plain(KeyCode::Enter));
    assert_eq!(
        app.view(),
        &View::Service { region: "eu-west-1".into(), service: "invoice-approval-worker".into() }
    );
    for (typed_line, want) in [
        ("theme high", "theme high-contrast "),
        ("scenario alert", "scenario alert-endpoint-404 "),
        ("window 6", "window 6h "),
        ("snap", "snapshot "),
    ] {
        app.on_key(key(':'));
        typed(&mut app, typed_line);
        app.on_key(Key::plain(KeyCode::Tab));
        assert_eq!(prompt_text(&app), want);
        app.on_key(Key::plain(KeyCode::Esc));
    }
    app.on_key(key(':'));
    typed(&mut app, "zzz");
    app.on_key(Key::plain(KeyCode::Tab));
    assert_eq!(prompt_text(&app), "zzz");
    assert!(app.message.clone().unwrap().0.contains("nothing to complete"));
}

#[test]
fn several_correlation_ids_are_followed_at_once() {
    let mut app = common::app();
    let fx = type_command(&mut app, "cid c-9f3a6e1d, c-1,c-2 c-1");
    assert_eq!(app.logs.correlation_ids, ["c-9f3a6e1d", "c-1", "c-2"], "commas, spaces, once");
    let target = fx.iter().find_map(|e| match e {
        Effect::TailLogs { target: Some(t), .. } => Some(t.clone()),
        _ => None,
    });
    let t = target.expect("the tail reads the three requests");
    assert_eq!(t.correlation_ids.len(), 3);
    assert_eq!(t.queries(0, 1, 10).len(), 3 * t.regions.len(), "a query a region and id");
    common::serve(&mut app, fx);
    assert!(app.logs.store.shown() >= 5, "the customer's lines are there");
    assert_eq!(app.filters(), ["correlations c-9f3a6e1d, c-1, c-2"]);
    let screen = common::render(&app, 160, 48, 0);
    assert!(screen.contains("cids 1 c-9f3a6e1d, 2 c-1, 3 c-2"), "{screen}");
    assert!(screen.contains("\n│1 "), "each line starts with its id's number: {screen}");
    type_command(&mut app, "cid");
    assert!(app.logs.correlation_ids.is_empty());
    assert!(app.message.clone().unwrap().0.starts_with("cleared correlation ids c-9f3a6e1d"));
}

#[test]
fn text_filter_takes_or_and_regular_expressions() {
    let mut app = common::app();
    let fx = type_command(&mut app, "cid c-9f3a6e1d");
    common::serve(&mut app, fx);
    let all = app.logs.store.shown();
    assert!(all >= 5);
    let search = |app: &mut warroom::app::App, text: &str| {
        app.on_key(key('/'));
        app.on_key(ctrl('u'));
        let fx = typed(app, text);
        common::serve(app, fx);
        let fx = app.on_key(Key::plain(KeyCode::Enter));
        common::serve(app, fx);
        app.logs.store.shown()
    };
    let timeout = search(&mut app, "timed out");
    let either = search(&mut app, "timed out|approv");
    assert!(either > timeout && timeout > 0, "{either} {timeout}");
    assert_eq!(search(&mut app, "re:timed\\s+out"), timeout);
    assert_eq!(search(&mut app, "re:^$"), 0);
    let before = app.logs.text.clone();
    search(&mut app, "re:(");
    assert_eq!(app.logs.text, before, "a bad expression leaves the filter as it was");
    assert!(app.message.clone().unwrap().0.contains("not a regular expression"));
}

#[test]
fn x_says_what_it_cleared_and_r_what_it_refreshes() {
    let mut app = common::app();
    app.on_key(key('/'));
    typed(&mut app, "timeout");
    app.on_key(Key::plain(KeyCode::Enter));
    app.update(Action::ClearFilters);
    assert_eq!(app.message.clone().unwrap().0, "cleared search /timeout");
    app.update(Action::ClearFilters);
    assert_eq!(app.message.clone().unwrap().0, "no log tail filter to clear");
    let fx = app.update(Action::Refresh);
    assert!(fx.iter().any(|e| matches!(e, Effect::FetchMetrics { .. })));
    assert!(fx.iter().any(|e| matches!(e, Effect::FetchChanges { .. })));
    assert!(app.message.clone().unwrap().0.starts_with("refreshing metrics"));
}

#[test]
fn unknown_names_are_called_unknown_with_the_closest() {
    let mut app = common::app();
    type_command(&mut app, "region eu-wset-1");
    let m = app.message.clone().unwrap().0;
    assert!(m.starts_with("unknown region eu-wset-1 (did you mean eu-west-1"), "{m}");
    type_command(&mut app, "region eu-west-1");
    type_command(&mut app, "service invoice-approval");
    let m = app.message.clone().unwrap().0;
    assert!(
        m.starts_with(
            "unknown service invoice-approval in eu-west-1 (did you mean invoice-approval-worker"
        ),
        "{m}"
    );
    assert!(m.contains("ledger-api"), "the valid names: {m}");
    type_command(&mut app, "servce x");
    assert!(
        app.message.clone().unwrap().0.starts_with("unknown command :servce (did you mean service")
    );
    // A correlation id nothing knows: no trace, and once its search completed no line.
    let fx = type_command(&mut app, "trace nope-123");
    common::serve(&mut app, fx);
    let (what, unknown) = app.trace_absence().expect("no trace");
    assert!(unknown && what.starts_with("unknown correlation id nope-123"), "{what}");
    let screen = common::render(&app, 160, 48, 0);
    assert!(
        screen.contains("unknown correlation id nope-123: no trace and no log line"),
        "{screen}"
    );
    assert!(
        screen.contains("unknown correlation id nope-123: no log line in the last 15m"),
        "{screen}"
    );
    // The customer's request exists (it logged), it just was not sampled.
    let fx = type_command(&mut app, "trace c-9f3a6e1d");
    common::serve(&mut app, fx);
    let (what, unknown) = app.trace_absence().expect("not sampled");
    assert!(!unknown && what.contains("the request exists: 5 log lines"), "{what}");
}

#[test]
fn a_similar_trace_keeps_the_customers_filters_for_esc() {
    let mut app = common::app();
    let fx = type_command(&mut app, "trace c-9f3a6e1d");
    common::serve(&mut app, fx);
    let ids: Vec<String> =
        app.trace.lookup.as_ref().unwrap().similar.iter().map(|s| s.trace_id.clone()).collect();
    let screen = common::render(&app, 160, 48, 0);
    assert!(screen.contains("failing first, then oldest first"), "{screen}");
    app.update(Action::Down);
    let fx = app.update(Action::DrillIn);
    common::serve(&mut app, fx);
    let t = app.trace.trace().expect("the similar trace").clone();
    assert_eq!(t.trace_id, ids[1]);
    assert_eq!(app.logs.correlation_ids, std::slice::from_ref(&t.correlation_id));
    let m = app.message.clone().unwrap().0;
    assert!(m.contains("esc: back to c-9f3a6e1d"), "said, not silent: {m}");
    // `l` on a span adds its time range; the title names it.
    let fx = app.update(Action::ShowLogs);
    common::serve(&mut app, fx);
    assert!(app.logs.range.is_some());
    assert!(common::render(&app, 160, 48, 0).contains("span "));
    app.focus = warroom::app::Focus::Main;
    let fx = app.update(Action::Back);
    common::serve(&mut app, fx);
    assert!(
        matches!(app.view(), View::Trace { key, .. } if key == "c-9f3a6e1d"),
        "back to the list"
    );
    assert_eq!(app.logs.correlation_ids, ["c-9f3a6e1d"], "the customer's id again");
    assert_eq!(app.logs.range, None);
    assert_eq!(app.level().selected, 1, "on the trace it came from");
    let again: Vec<String> =
        app.trace.lookup.as_ref().unwrap().similar.iter().map(|s| s.trace_id.clone()).collect();
    assert_eq!(again, ids, "the list stays put");
    type_command(&mut app, "top");
    assert_eq!(app.view(), &View::Overview);
    assert!(app.logs.correlation_ids.is_empty(), ":top puts the overview's filters back");
}

#[test]
fn the_cursor_starts_on_the_anomaly() {
    let app = common::app();
    let worst = &app.rows[app.level().selected];
    assert_eq!(worst.name, "eu-west-1");
    let mut app = common::app();
    type_command(&mut app, "region eu-west-1");
    assert_eq!(app.rows[app.level().selected].name, "invoice-approval-worker");
}

#[test]
fn mouse_clicks_select_and_focus_the_wheel_scrolls_the_breadcrumb_goes_back() {
    use warroom::app::{Focus, MouseKind};
    let mut app = common::app();
    let screen = common::render(&app, 160, 48, 0);
    let row_of = |screen: &str, text: &str| {
        screen.lines().position(|l| l.contains(text)).unwrap_or_else(|| panic!("{text}: {screen}"))
            as u16
    };
    // Click us-east-1: selected; a second click drills in.
    let y = row_of(&screen, "us-east-1");
    app.on_mouse(MouseKind::Click, 5, y);
    assert_eq!(app.rows[app.level().selected].name, "us-east-1");
    assert_eq!(app.view(), &View::Overview);
    common::render(&app, 160, 48, 0);
    let fx = app.on_mouse(MouseKind::Click, 5, y);
    common::serve(&mut app, fx);
    assert_eq!(app.view(), &View::Region { region: "us-east-1".into() });
    // The breadcrumb (second row) goes back.
    common::render(&app, 160, 48, 0);
    app.on_mouse(MouseKind::Click, 3, 1);
    assert_eq!(app.view(), &View::Overview);
    // A click in the log tail focuses it and selects the line under the pointer.
    let fx = type_command(&mut app, "cid c-9f3a6e1d");
    common::serve(&mut app, fx);
    app.focus = Focus::Main;
    let screen = common::render(&app, 160, 48, 0);
    let first = app.logs.store.event(0).unwrap();
    let y = row_of(&screen, &first.message);
    app.on_mouse(MouseKind::Click, 40, y);
    assert_eq!(app.focus, Focus::Logs);
    assert!(!app.logs.follow);
    assert_eq!(app.logs.selected_index(), Some(0));
    // The wheel over the main pane focuses and scrolls it.
    let screen = common::render(&app, 160, 48, 0);
    let y = row_of(&screen, "eu-central-1");
    app.focus = Focus::Main;
    app.update(Action::Top);
    app.focus = Focus::Logs;
    app.on_mouse(MouseKind::ScrollDown, 5, y);
    assert_eq!(app.focus, Focus::Main);
    assert_eq!(app.level().selected, 3);
    app.on_mouse(MouseKind::ScrollUp, 5, y);
    assert_eq!(app.level().selected, 0);
    // Help scrolls with the wheel.
    app.update(Action::Help);
    common::render(&app, 80, 24, 0);
    app.on_mouse(MouseKind::ScrollDown, 10, 10);
    assert_eq!(app.help.top, 1);
    app.on_key(Key::plain(KeyCode::Esc));
    // --no-mouse: nothing happens.
    app.mouse = false;
    common::render(&app, 160, 48, 0);
    app.on_mouse(MouseKind::Click, 3, 1);
    app.on_mouse(MouseKind::ScrollDown, 5, y);
    assert_eq!(app.level().selected, 0);
    assert_eq!(app.focus, Focus::Main);
}

#[test]
fn the_change_feed_starts_on_the_top_suspect_and_the_suspect_line_keeps_who() {
    let mut app = common::app();
    let top = app.changes.suspects.first().expect("a suspect").change;
    let id = app.changes.changes[top].id.clone();
    assert_eq!(app.changes.selected_change().map(|c| c.id.clone()), Some(id.clone()));
    let screen = common::render(&app, 80, 24, 0);
    let line = screen.lines().find(|l| l.contains("SUSPECT")).expect("the SUSPECT line");
    assert!(line.contains("invoice-approval-worker") && line.contains("deploy-bot"), "{line}");
    // Once moved, the cursor stays where the user put it.
    app.focus = warroom::app::Focus::Changes;
    app.update(Action::Bottom);
    let moved = app.changes.selected;
    app.rank_suspects();
    assert_eq!(app.changes.selected, moved);
}
