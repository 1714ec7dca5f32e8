//! On a live account the panes do not wait for metrics: when CloudWatch metrics fail the
//! change feed and the log tail are still read, the overview lists the boundary's regions and
//! a region its configured services, so the user can drill down to an operation's failing
//! requests without a single metric.

use warroom::app::{Action, App, Effect, Keymap, KnownService, SourceInfo, SourceMsg, View};
use warroom::model::{Boundary, Clock, Continent, DAY_MS, MINUTE_MS};
use warroom::source::{SourceError, SourceErrorKind};

const NOW: i64 = 1_700_000_000_000;

fn eu() -> Boundary {
    Boundary {
        continents: vec![Continent {
            name: "EU".into(),
            regions: vec!["eu-west-1".into(), "eu-central-1".into()],
        }],
    }
}

fn services() -> Vec<KnownService> {
    vec![
        KnownService {
            name: "invoice-api".into(),
            regions: vec![],
            operations: vec!["POST /invoices/{id}/approve".into()],
        },
        KnownService {
            name: "invoice-approval-worker".into(),
            regions: vec!["eu-west-1".into()],
            operations: vec!["ApproveInvoice".into()],
        },
    ]
}

fn live_app() -> App {
    let info = SourceInfo { name: "cloudwatch".into(), scenario: None, title: None };
    App::new(eu(), Clock::simulated(NOW, 0.0), Keymap::default(), info, 15 * MINUTE_MS, DAY_MS)
        .with_services(services())
}

fn denied() -> SourceError {
    SourceError::new(
        SourceErrorKind::Auth,
        "every region failed: CloudWatch GetMetricData: access denied",
    )
    .with_hint("allow cloudwatch:GetMetricData in the identity's IAM policy (README: Permissions)")
}

fn names(app: &App) -> Vec<&str> {
    app.rows.iter().map(|r| r.name.as_str()).collect()
}

#[test]
fn failing_metrics_still_fetch_changes_and_logs() {
    let mut app = live_app();
    let fx = app.on_source(SourceMsg::Metrics { result: Err(denied()), received: NOW });
    let changes: Vec<&Effect> =
        fx.iter().filter(|e| matches!(e, Effect::FetchChanges { .. })).collect();
    let [Effect::FetchChanges { regions, from, to, .. }] = changes.as_slice() else {
        panic!("the change feed is read although metrics failed: {fx:?}")
    };
    assert_eq!(regions, &["eu-west-1", "eu-central-1"]);
    assert_eq!((*from, *to), (NOW - 15 * MINUTE_MS - DAY_MS, NOW));
    assert!(
        fx.iter().any(
            |e| matches!(e, Effect::TailLogs { target: Some(t), .. } if t.regions == ["eu-west-1"])
        ),
        "the log tail follows the selected region: {fx:?}"
    );
    // The changes pane takes its answer although there are no metrics.
    let Some(Effect::FetchChanges { generation, .. }) = changes.first().copied() else {
        unreachable!()
    };
    app.on_source(SourceMsg::Changes {
        generation: *generation,
        result: Ok(vec![]),
        received: NOW,
    });
    assert!(!app.changes.loading);
    assert_eq!(app.changes.error, None);
}

#[test]
fn without_metrics_the_drill_down_lists_regions_services_and_operations() {
    let mut app = live_app();
    // Before the first answer: the regions and services are already known.
    assert_eq!(names(&app), ["eu-west-1", "eu-central-1"]);
    app.on_source(SourceMsg::Metrics { result: Err(denied()), received: NOW });
    assert_eq!(names(&app), ["eu-west-1", "eu-central-1"]);
    assert!(app.rows.iter().all(|r| r.stats.is_none()));
    assert!(app.rows[0].error.as_deref().is_some_and(|e| e.contains("access denied")));

    // eu-central-1 runs only the API; eu-west-1 both.
    app.update(Action::Down);
    app.update(Action::DrillIn);
    assert_eq!(app.view(), &View::Region { region: "eu-central-1".into() });
    assert_eq!(names(&app), ["invoice-api"]);
    app.update(Action::Back);
    app.update(Action::Up);
    app.update(Action::DrillIn);
    assert_eq!(names(&app), ["invoice-api", "invoice-approval-worker"]);
    app.update(Action::Down);
    app.update(Action::DrillIn);
    assert_eq!(
        app.view(),
        &View::Service { region: "eu-west-1".into(), service: "invoice-approval-worker".into() }
    );
    assert_eq!(names(&app), ["ApproveInvoice"]);
    let fx = app.update(Action::DrillIn);
    let [Effect::FetchFailing { scope, .. }] = fx.as_slice() else {
        panic!("the operation's failing requests are asked for: {fx:?}")
    };
    assert_eq!(scope.region, "eu-west-1");
    assert_eq!(scope.service.as_deref(), Some("invoice-approval-worker"));
    assert_eq!(scope.operation.as_deref(), Some("ApproveInvoice"));
}

#[test]
fn a_region_missing_from_the_metrics_lists_its_known_services() {
    let mut app = live_app();
    // eu-west-1 answered, eu-central-1 did not.
    let mut snap = warroom::model::MetricsSnapshot { now: NOW, ..Default::default() };
    snap.regions.insert("eu-west-1".into(), Default::default());
    snap.region_errors.insert("eu-central-1".into(), "CloudWatch GetMetricData no answer".into());
    app.on_source(SourceMsg::Metrics { result: Ok(snap), received: NOW });
    app.run_command("region eu-central-1");
    assert_eq!(names(&app), ["invoice-api"]);
}
