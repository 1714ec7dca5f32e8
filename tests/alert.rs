//! `--alert`: the cockpit opens on the alert's region, service and request.

mod common;

use warroom::app::View;
use warroom::cli::alert::parse_alert;
use warroom::cli::apply_alert;

#[test]
fn an_alarm_opens_its_service_and_a_webhook_its_request() {
    let alarm = r#"{"Type":"Notification","Message":"{\"AlarmName\":\"approval errors\",\"StateChangeTime\":\"2026-03-12T09:19:00.000+0000\",\"AlarmArn\":\"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:approval errors\",\"Trigger\":{\"Dimensions\":[{\"name\":\"FunctionName\",\"value\":\"invoice-approval-worker\"}]}}"}"#;
    let mut app = common::app();
    apply_alert(&mut app, &parse_alert(alarm).unwrap()).unwrap();
    let fx = std::mem::take(&mut app.pending);
    common::serve(&mut app, fx);
    assert_eq!(
        app.view(),
        &View::Service { region: "eu-west-1".into(), service: "invoice-approval-worker".into() }
    );
    assert_eq!(app.message.as_ref().unwrap().0, "opened on approval errors");
    let hook = r#"{"region":"eu-west-1","timestamp":"2026-03-12T09:12:00Z","correlation_id":"c-9f3a6e1d"}"#;
    let mut app = common::app();
    apply_alert(&mut app, &parse_alert(hook).unwrap()).unwrap();
    let fx = std::mem::take(&mut app.pending);
    common::serve(&mut app, fx);
    assert_eq!(app.logs.store.shown(), 5, "the request's lines");
    let outside = r#"{"region":"sa-east-1","service":"x"}"#;
    let mut app = common::app();
    let err = apply_alert(&mut app, &parse_alert(outside).unwrap()).unwrap_err();
    assert!(err.to_string().contains("sa-east-1 is not in the boundary"), "{err}");
}
