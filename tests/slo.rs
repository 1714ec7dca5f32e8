//! Service level objectives in the cockpit: judged on the demo's metrics, shown by `s` and
//! `:slo`, and folded into health.

mod common;

use warroom::analysis::Health;
use warroom::analysis::slo::{Alert, Objective, Sli};
use warroom::app::{Action, Mode};
use warroom::model::DAY_MS;

fn objective(name: &str, service: &str, target: f64) -> Objective {
    Objective {
        name: name.into(),
        service: service.into(),
        operation: None,
        region: None,
        sli: Sli::Availability,
        target,
        period: 30 * DAY_MS,
        origin: "config.toml:12".into(),
    }
}

fn app_with_slos() -> warroom::app::App {
    let mut app = common::app();
    app.objectives = vec![
        objective("invoice approvals", "invoice-approval-worker", 99.5),
        // Tight enough that the normal 0.1% of us-east-1 burns at 10: a ticket, not a page.
        Objective {
            region: Some("us-east-1".into()),
            ..objective("invoice api 4 nines", "invoice-api", 99.99)
        },
        Objective {
            operation: Some("POST /ledger/approvals".into()),
            sli: Sli::Latency { threshold_ms: 8000.0 },
            period: 7 * DAY_MS,
            ..objective("ledger approvals p99", "ledger-api", 99.0)
        },
    ];
    app.recompute();
    app
}

#[test]
fn story1_pages_on_the_worker_objective_and_health_takes_the_worse() {
    let app = app_with_slos();
    let first = &app.slo[0];
    assert_eq!((first.region.as_str(), first.alert), ("eu-west-1", Alert::Page), "{first:?}");
    assert_eq!(first.objective.name, "invoice approvals");
    assert!(first.fast.0 > 14.4 && first.fast.1 > 14.4, "{first:?}");
    assert!(first.budget_left < 100.0);
    // The worker is healthy elsewhere.
    for s in app
        .slo
        .iter()
        .filter(|s| s.objective.name == "invoice approvals" && s.region != "eu-west-1")
    {
        assert_eq!(s.alert, Alert::None, "{s:?}");
    }
    // us-east-1 is within its baseline, but its four-nines objective has a ticket: the row
    // is degraded.
    let t = app.slo.iter().find(|s| s.objective.name == "invoice api 4 nines").unwrap();
    assert_eq!(t.alert, Alert::Ticket, "{t:?}");
    let us = app.rows.iter().find(|r| r.name == "us-east-1").unwrap();
    assert_eq!(us.stats.as_ref().unwrap().health, Health::Degraded);
    let plain = common::app();
    let us = plain.rows.iter().find(|r| r.name == "us-east-1").unwrap();
    assert_eq!(us.stats.as_ref().unwrap().health, Health::Normal, "without objectives");
}

#[test]
fn the_slo_view_opens_from_the_keyboard_and_the_command_line() {
    let mut app = app_with_slos();
    let key = |app: &mut warroom::app::App, k: &str| {
        let fx = app.on_key(warroom::app::Key::parse(k).unwrap());
        common::serve(app, fx);
    };
    key(&mut app, "s");
    assert_eq!(app.mode, Mode::Slo);
    for (w, h) in [(80, 24), (160, 48)] {
        let screen = common::render(&app, w, h, 0);
        assert!(screen.contains("PAGE"), "{screen}");
        insta::assert_snapshot!(format!("slo_{w}x{h}"), screen);
    }
    key(&mut app, "s");
    assert_eq!(app.mode, Mode::Normal);
    app.run_command("slo");
    assert_eq!(app.mode, Mode::Slo);
    // Without objectives the view says how to declare them.
    let mut bare = common::app();
    bare.update(Action::Slo);
    let screen = common::render(&bare, 80, 24, 0);
    assert!(screen.contains("no objectives: add [[slo]]"), "{screen}");
}
