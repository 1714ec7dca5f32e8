//! CloudTrail change source against mocked CloudTrail clients (aws-smithy-mocks; moto has no
//! `LookupEvents`): paging through `NextToken` (empty pages included), the `ReadOnly` lookup
//! attribute, throttling, the boundary, the 90-day history and events without a record.

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::config::retry::RetryConfig;
use aws_sdk_cloudtrail::error::ErrorMetadata;
use aws_sdk_cloudtrail::operation::lookup_events::{
    LookupEventsError, LookupEventsInput, LookupEventsOutput,
};
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{Event, LookupAttributeKey, Resource};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use warroom::model::{Boundary, Clock, Continent, DAY_MS, MINUTE_MS, Millis};
use warroom::source::aws::{CloudTrailChanges, LOOKBACK_MS, MAX_RESULTS_PER_PAGE, RateGuard};
use warroom::source::{ChangeQuery, ChangeSource, SourceErrorKind};

/// "Now" for every test: the sources run on a paused clock.
const NOW: Millis = 1_700_000_000_000;

fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, rules, |c| c.retry_config(
        RetryConfig::standard()
            .with_max_attempts(2)
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(2))
    ))
}

fn boundary() -> Boundary {
    Boundary {
        continents: vec![Continent {
            name: "EU".into(),
            regions: vec!["eu-west-1".into(), "eu-central-1".into()],
        }],
    }
}

/// A source for eu-west-1 on the paused clock; `fast` lifts the 2 TPS spacing.
fn source(c: Client, fast: bool) -> CloudTrailChanges {
    let src =
        CloudTrailChanges::with_clients(boundary(), BTreeMap::from([("eu-west-1".into(), c)]))
            .with_clock(Clock::simulated(NOW, 0.0));
    if fast {
        src.with_lookup_guard("eu-west-1", Arc::new(RateGuard::new(Duration::ZERO)))
    } else {
        src
    }
}

fn query(include_read_only: bool) -> ChangeQuery {
    ChangeQuery {
        region: "eu-west-1".into(),
        from: NOW - 60 * MINUTE_MS,
        to: NOW,
        include_read_only,
    }
}

fn rfc3339(at: Millis) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(at as i128 * 1_000_000)
        .unwrap()
        .format(&Rfc3339)
        .unwrap()
}

/// A CloudTrail record of an ECS `UpdateService` by a deploy role.
fn record(id: &str, name: &str, at: Millis, read_only: bool) -> String {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/deploy-role/ci-42",
            "accountId": "111122223333",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "deploy-role"}}
        },
        "eventTime": rfc3339(at),
        "eventSource": "ecs.amazonaws.com",
        "eventName": name,
        "awsRegion": "eu-west-1",
        "requestParameters": {"cluster": "shop", "service": "checkout-api", "desiredCount": 4},
        "eventID": id,
        "readOnly": read_only,
        "recipientAccountId": "111122223333"
    })
    .to_string()
}

fn event(id: &str, name: &str, at: Millis, read_only: bool) -> Event {
    Event::builder()
        .event_id(id)
        .event_name(name)
        .event_time(DateTime::from_millis(at))
        .event_source("ecs.amazonaws.com")
        .username("ci-42")
        .read_only(read_only.to_string())
        .cloud_trail_event(record(id, name, at, read_only))
        .build()
}

fn page(events: Vec<Event>, token: Option<&str>) -> LookupEventsOutput {
    LookupEventsOutput::builder()
        .set_events(Some(events))
        .set_next_token(token.map(str::to_string))
        .build()
}

type Seen = Arc<Mutex<Vec<LookupEventsInput>>>;

/// A `LookupEvents` rule answering by the token asked for, recording the inputs.
fn paged_rule(seen: &Seen, pages: fn(Option<&str>) -> LookupEventsOutput) -> Rule {
    let seen = seen.clone();
    mock!(Client::lookup_events).then_compute_output(move |input| {
        seen.lock().unwrap().push(input.clone());
        pages(input.next_token())
    })
}

fn three_pages(token: Option<&str>) -> LookupEventsOutput {
    match token {
        None => page(
            vec![
                event("e3", "UpdateService", NOW - 10 * MINUTE_MS, false),
                event("e2", "UpdateService", NOW - 20 * MINUTE_MS, false),
            ],
            Some("t1"),
        ),
        // An empty page that still has a token: paging goes on.
        Some("t1") => page(vec![], Some("t2")),
        // The last page repeats e2 (deduplicated) and brings e1.
        Some("t2") => page(
            vec![
                event("e2", "UpdateService", NOW - 20 * MINUTE_MS, false),
                event("e1", "UpdateService", NOW - 30 * MINUTE_MS, false),
            ],
            None,
        ),
        Some(other) => panic!("unexpected token {other}"),
    }
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn pages_are_followed_through_empty_ones() {
    let seen: Seen = Arc::default();
    let rule = paged_rule(&seen, three_pages);
    let src = source(client(&[&rule]), true);
    let changes = src.changes(query(false)).await.unwrap();

    let ids: Vec<&str> = changes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["e3", "e2", "e1"], "deduplicated, newest first");
    let c = &changes[0];
    assert_eq!(c.resource, "shop/checkout-api");
    assert_eq!(c.region, "eu-west-1");
    assert_eq!(c.identity.short(), "deploy-role/ci-42");
    assert_eq!(c.summary, "UpdateService shop/checkout-api desiredCount=4");

    let seen = seen.lock().unwrap();
    let tokens: Vec<Option<&str>> = seen.iter().map(|i| i.next_token()).collect();
    assert_eq!(tokens, [None, Some("t1"), Some("t2")]);
    for input in seen.iter() {
        assert_eq!(input.max_results(), Some(MAX_RESULTS_PER_PAGE));
        assert_eq!(input.start_time(), Some(&DateTime::from_millis(NOW - 60 * MINUTE_MS)));
        assert_eq!(input.end_time(), Some(&DateTime::from_millis(NOW)));
    }
}

#[tokio::test]
async fn read_only_events_are_left_out_by_the_lookup_attribute() {
    let seen: Seen = Arc::default();
    let rule = paged_rule(&seen, |_| {
        page(
            vec![
                event("w", "UpdateService", NOW - MINUTE_MS, false),
                // A server that ignores the attribute: dropped locally.
                event("r", "DescribeServices", NOW - 2 * MINUTE_MS, true),
            ],
            None,
        )
    });
    let src = source(client(&[&rule]), true);

    let changes = src.changes(query(false)).await.unwrap();
    assert_eq!(changes.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["w"]);
    let changes = src.changes(query(true)).await.unwrap();
    assert_eq!(changes.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["w", "r"]);
    assert!(changes[1].read_only);

    let seen = seen.lock().unwrap();
    let attrs = seen[0].lookup_attributes();
    assert_eq!(attrs.len(), 1, "one lookup attribute per call");
    assert_eq!(attrs[0].attribute_key(), &LookupAttributeKey::ReadOnly);
    assert_eq!(attrs[0].attribute_value(), "false");
    assert!(seen[1].lookup_attributes().is_empty(), "read-only included: no attribute");
}

#[tokio::test]
async fn throttling_is_retried_then_reported_with_a_hint() {
    let throttled = mock!(Client::lookup_events).then_error(|| {
        LookupEventsError::generic(
            ErrorMetadata::builder().code("ThrottlingException").message("Rate exceeded").build(),
        )
    });
    let src = source(client(&[&throttled]), true);
    let err = src.changes(query(false)).await.unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Throttled);
    assert_eq!(throttled.num_calls(), 2, "retried by the SDK first");
    assert!(err.message.contains("CloudTrail LookupEvents"), "{}", err.message);
    assert!(err.hint.as_deref().unwrap_or_default().contains("2 calls per second"), "{err:?}");
}

#[tokio::test]
async fn access_denied_is_an_auth_error() {
    let denied = mock!(Client::lookup_events).then_error(|| {
        LookupEventsError::generic(
            ErrorMetadata::builder().code("AccessDeniedException").message("no").build(),
        )
    });
    let err = source(client(&[&denied]), true).changes(query(false)).await.unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Auth);
    assert!(err.hint.is_some());
}

#[tokio::test]
async fn regions_outside_the_boundary_make_no_call() {
    let rule = mock!(Client::lookup_events).then_output(|| page(vec![], None));
    let c = client(&[&rule]);
    let src = CloudTrailChanges::with_clients(
        boundary(),
        BTreeMap::from([("eu-west-1".into(), c.clone()), ("us-east-1".into(), c)]),
    )
    .with_clock(Clock::simulated(NOW, 0.0));
    assert_eq!(src.regions(), ["eu-west-1"]);
    let err =
        src.changes(ChangeQuery { region: "us-east-1".into(), ..query(false) }).await.unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Invalid);
    assert!(err.message.contains("outside the boundary"), "{}", err.message);
    assert_eq!(rule.num_calls(), 0);
}

#[tokio::test]
async fn the_window_is_clamped_to_the_last_90_days() {
    let seen: Seen = Arc::default();
    let rule = paged_rule(&seen, |_| {
        page(vec![event("old", "UpdateService", NOW - 89 * DAY_MS, false)], None)
    });
    let src = source(client(&[&rule]), true);
    let q = ChangeQuery { from: NOW - 120 * DAY_MS, to: NOW + 60 * MINUTE_MS, ..query(false) };
    let changes = src.changes(q).await.unwrap();
    assert_eq!(changes.len(), 1);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].start_time(), Some(&DateTime::from_millis(NOW - LOOKBACK_MS)));
        assert_eq!(seen[0].end_time(), Some(&DateTime::from_millis(NOW)));
    }

    // Entirely older than the history: no call, an error saying why.
    let q = ChangeQuery { from: NOW - 200 * DAY_MS, to: NOW - 100 * DAY_MS, ..query(false) };
    let err = src.changes(q).await.unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Invalid);
    assert!(err.message.contains("90 days"), "{}", err.message);
    assert_eq!(rule.num_calls(), 1);

    // An empty window: nothing, no call.
    let q = ChangeQuery { from: NOW, to: NOW, ..query(false) };
    assert!(src.changes(q).await.unwrap().is_empty());
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn an_event_without_its_record_is_read_from_its_fields() {
    let rule = mock!(Client::lookup_events).then_output(|| {
        page(
            vec![
                Event::builder()
                    .event_id("bare")
                    .event_name("PutParameter")
                    .event_time(DateTime::from_millis(NOW - 5 * MINUTE_MS))
                    .event_source("ssm.amazonaws.com")
                    .username("alice")
                    .read_only("false")
                    .resources(
                        Resource::builder()
                            .resource_type("AWS::SSM::Parameter")
                            .resource_name("/shop/flag")
                            .build(),
                    )
                    .build(),
                // A record that cannot be read: the event's fields instead.
                Event::builder()
                    .event_id("garbled")
                    .event_name("PutRule")
                    .event_time(DateTime::from_millis(NOW - 6 * MINUTE_MS))
                    .event_source("events.amazonaws.com")
                    .cloud_trail_event("{not json")
                    .build(),
            ],
            None,
        )
    });
    let changes = source(client(&[&rule]), true).changes(query(false)).await.unwrap();
    assert_eq!(changes.len(), 2);
    let c = &changes[0];
    assert_eq!(c.id, "bare");
    assert_eq!(c.at, NOW - 5 * MINUTE_MS);
    assert_eq!(c.region, "eu-west-1", "the region looked up in");
    assert_eq!(c.event_source, "ssm.amazonaws.com");
    assert_eq!(c.resource, "/shop/flag");
    assert_eq!(c.identity.principal, "alice");
    assert!(!c.read_only);
    assert!(c.raw.contains("\"EventId\":\"bare\""));
    assert_eq!(changes[1].id, "garbled");
}

#[tokio::test]
async fn pages_wait_on_the_regions_two_tps_guard() {
    let seen: Seen = Arc::default();
    let rule = paged_rule(&seen, three_pages);
    let src = source(client(&[&rule]), false);
    let guard = src.lookup_guard("eu-west-1").unwrap();
    assert_eq!(guard.spacing(), Duration::from_millis(500));
    let started = Instant::now();
    src.changes(query(false)).await.unwrap();
    // Three pages: the second and third each wait half a second.
    assert!(started.elapsed() >= Duration::from_millis(950), "{:?}", started.elapsed());
    assert_eq!(rule.num_calls(), 3);
}

/// A Lambda record as CloudTrail writes it: the event name carries the API version.
fn lambda_event(
    id: &str,
    name: &str,
    source: &str,
    at: Millis,
    params: serde_json::Value,
) -> Event {
    let record = json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/deploy-role/ci-42",
            "accountId": "111122223333",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "deploy-role"}}
        },
        "eventTime": rfc3339(at),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-west-1",
        "requestParameters": params,
        "responseElements": null,
        "eventID": id,
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "111122223333"
    });
    Event::builder()
        .event_id(id)
        .event_name(name)
        .event_time(DateTime::from_millis(at))
        .event_source(source)
        .username("ci-42")
        .read_only("false")
        .cloud_trail_event(record.to_string())
        .build()
}

#[tokio::test]
async fn versioned_lambda_events_fold_and_rank_and_a_login_is_no_suspect() {
    use warroom::analysis::suspects::{Anomaly, rank};
    let rule = mock!(Client::lookup_events).then_output(|| {
        page(
            vec![
                lambda_event(
                    "e-login",
                    "CreateToken",
                    "sso-oauth.amazonaws.com",
                    NOW - 40_000,
                    json!({"clientId": "c", "grantType": "refresh_token"}),
                ),
                lambda_event(
                    "e-alias",
                    "UpdateAlias20150331",
                    "lambda.amazonaws.com",
                    NOW - 55_000,
                    json!({"functionName": "checkout-fn", "name": "live", "functionVersion": "7"}),
                ),
                lambda_event(
                    "e-code",
                    "UpdateFunctionCode20150331v2",
                    "lambda.amazonaws.com",
                    NOW - 100_000,
                    json!({"functionName": "checkout-fn", "publish": true}),
                ),
            ],
            None,
        )
    });
    let src = source(client(&[&rule]), true);
    let mut changes = src.changes(query(false)).await.unwrap();
    for c in &mut changes {
        if c.resource == "checkout-fn" {
            c.service = Some("checkout-fn".into());
        }
    }
    assert_eq!(
        changes.iter().find(|c| c.id == "e-code").unwrap().event,
        "UpdateFunctionCode20150331v2"
    );
    let a = Anomaly { region: "eu-west-1".into(), service: Some("checkout-fn".into()), onset: NOW };
    let r = rank(&changes, &a, &[]);
    assert_eq!(r.len(), 1, "the alias update is folded into the code, the login is none: {r:#?}");
    assert_eq!(changes[r[0].change].id, "e-code");
    assert_eq!(changes[r[0].delivered_by.unwrap()].id, "e-alias");
    assert!(
        r[0].reason.contains("UpdateFunctionCode by deploy-role/ci-42, rolled out 45 s later"),
        "{}",
        r[0].reason
    );
}
