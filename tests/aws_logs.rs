//! CloudWatch Logs source against mocked CloudWatch Logs clients (aws-smithy-mocks): the
//! requests it sends (filter pattern, paging, time range), what it makes of the answers
//! (limit, truncation, duplicates, order) and how it behaves when the service pushes back.

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::config::retry::RetryConfig;
use aws_sdk_cloudwatchlogs::error::ErrorMetadata;
use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
use aws_sdk_cloudwatchlogs::operation::filter_log_events::{
    FilterLogEventsError, FilterLogEventsInput, FilterLogEventsOutput,
};
use aws_sdk_cloudwatchlogs::operation::start_live_tail::StartLiveTailError;
use aws_sdk_cloudwatchlogs::types::{FilteredLogEvent, LogGroup as SdkLogGroup};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use warroom::config::ServiceConfig;
use warroom::model::logline::LineParser;
use warroom::model::{Boundary, Clock, Continent, Millis};
use warroom::source::aws::{CloudWatchLogs, FollowTiming, LogGroups, RateGuard};
use warroom::source::{LogQuery, LogSource, LogUpdate, SourceErrorKind};

// ---------------------------------------------------------------------------------------------
// Fixtures

const T0: Millis = 1_700_000_000_000;

fn service(name: &str, regions: &[&str], groups: &[&str]) -> ServiceConfig {
    ServiceConfig {
        name: name.into(),
        namespace: "AWS/Lambda".into(),
        dimensions: BTreeMap::new(),
        requests_metric: "Invocations".into(),
        errors_metric: "Errors".into(),
        latency_metric: "Duration".into(),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        log_groups: groups.iter().map(|g| g.to_string()).collect(),
        operations: vec![],
    }
}

fn boundary(regions: &[&str]) -> Boundary {
    Boundary {
        continents: vec![Continent {
            name: "EU".into(),
            regions: regions.iter().map(|r| r.to_string()).collect(),
        }],
    }
}

/// A mocked client whose retries are fast (3 attempts, millisecond backoff).
fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, rules, |c| c.retry_config(
        RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(2))
    ))
}

/// A source over eu-west-1 with `api` (/app/api) and `worker` (/app/worker).
fn source(c: Client) -> CloudWatchLogs {
    let services =
        vec![service("api", &[], &["/app/api"]), service("worker", &[], &["/app/worker"])];
    let groups = LogGroups::plan(&boundary(&["eu-west-1"]), &services);
    CloudWatchLogs::with_clients(
        BTreeMap::from([("eu-west-1".to_string(), c)]),
        groups,
        LineParser::default(),
    )
}

fn query(cid: Option<&str>, limit: usize) -> LogQuery {
    LogQuery {
        region: "eu-west-1".into(),
        correlation_id: cid.map(str::to_string),
        from: T0,
        to: T0 + 60_000,
        limit,
    }
}

fn event(id: &str, at: Millis, message: &str) -> FilteredLogEvent {
    FilteredLogEvent::builder()
        .event_id(id)
        .timestamp(at)
        .ingestion_time(at + 5)
        .log_stream_name("stream-a")
        .message(message)
        .build()
}

fn json_line(cid: &str, msg: &str) -> String {
    format!(r#"{{"level":"info","correlationId":"{cid}","message":"{msg}"}}"#)
}

fn page(events: Vec<FilteredLogEvent>, token: Option<&str>) -> FilterLogEventsOutput {
    FilterLogEventsOutput::builder()
        .set_events(Some(events))
        .set_next_token(token.map(str::to_string))
        .build()
}

type Captured = Arc<Mutex<Vec<FilterLogEventsInput>>>;

fn throttled() -> FilterLogEventsError {
    FilterLogEventsError::generic(
        ErrorMetadata::builder().code("ThrottlingException").message("Rate exceeded").build(),
    )
}

// ---------------------------------------------------------------------------------------------
// 1. The request: filter pattern, groups, time range

#[tokio::test]
async fn correlation_id_is_pushed_as_a_json_pattern_and_filtered_again() {
    let seen: Captured = Arc::default();
    let rule = {
        let seen = seen.clone();
        mock!(Client::filter_log_events).then_compute_output(move |input| {
            seen.lock().unwrap().push(input.clone());
            let g = input.log_group_name().unwrap_or_default();
            // The service answers as if it ignored the pattern: every line comes back.
            match g {
                "/app/api" => page(
                    vec![
                        event("a1", T0 + 1_000, &json_line("c-1", "GET /cart")),
                        event("a2", T0 + 2_000, &json_line("c-2", "mentions c-1 but is c-2")),
                        event("a3", T0 + 4_000, "plain text line for c-1"),
                        event("a4", T0 + 5_000, "plain text line without an id"),
                    ],
                    None,
                ),
                "/app/worker" => page(
                    vec![event(
                        "w1",
                        T0 + 3_000,
                        r#"{"service":"billing","correlation_id":"c-1","msg":"charged"}"#,
                    )],
                    None,
                ),
                other => panic!("unexpected group {other}"),
            }
        })
    };
    let src = source(client(&[&rule]));
    assert_eq!(src.name(), "cloudwatch-logs");
    let batch = src.fetch(query(Some("c-1"), 100)).await.expect("batch");

    let inputs = seen.lock().unwrap().clone();
    let groups: Vec<&str> = inputs.iter().map(|i| i.log_group_name().unwrap()).collect();
    assert_eq!(groups, ["/app/api", "/app/worker"], "one call per group, by logGroupName");
    for i in &inputs {
        assert_eq!(i.log_group_identifier(), None);
        // A quoted term: it matches the plain-text line as well as the JSON ones.
        assert_eq!(i.filter_pattern(), Some(r#""c-1""#));
        assert_eq!(i.start_time(), Some(T0));
        assert_eq!(i.end_time(), Some(T0 + 60_000 - 1), "the query's end is exclusive");
        assert_eq!(i.next_token(), None);
    }

    let got: Vec<(Millis, &str, &str, &str)> = batch
        .events
        .iter()
        .map(|e| (e.at, e.service.as_str(), e.region.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (T0 + 1_000, "api", "eu-west-1", "GET /cart"),
            // A `service` field in the line wins over the group's service.
            (T0 + 3_000, "billing", "eu-west-1", "charged"),
            (T0 + 4_000, "api", "eu-west-1", "plain text line for c-1"),
        ]
    );
    assert_eq!(batch.events[0].correlation_id.as_deref(), Some("c-1"));
    assert!(!batch.truncated && !batch.sampled);

    // Without a correlation id no pattern is sent and every line comes back.
    seen.lock().unwrap().clear();
    let all = src.fetch(query(None, 100)).await.unwrap();
    assert_eq!(all.events.len(), 5);
    assert!(seen.lock().unwrap().iter().all(|i| i.filter_pattern().is_none()));
}

#[tokio::test]
async fn configured_fields_shape_the_pattern() {
    let seen: Captured = Arc::default();
    let rule = {
        let seen = seen.clone();
        mock!(Client::filter_log_events).then_compute_output(move |input| {
            seen.lock().unwrap().push(input.clone());
            page(vec![], None)
        })
    };
    let groups = LogGroups::plan(&boundary(&["eu-west-1"]), &[service("api", &[], &["/app/api"])]);
    let clients = BTreeMap::from([("eu-west-1".to_string(), client(&[&rule]))]);
    // Whatever the correlation fields, the pattern is the quoted id (escaped): the fields
    // only decide what the local filter accepts.
    let parser = LineParser::new(vec!["headers.x-request-id".into(), "@rid".into()]);
    let src = CloudWatchLogs::with_clients(clients.clone(), groups.clone(), parser);
    src.fetch(query(Some(r#"c"1"#), 10)).await.unwrap();
    let parser = LineParser::new(vec!["headers.x-request-id".into()]);
    let src = CloudWatchLogs::with_clients(clients, groups, parser);
    src.fetch(query(Some("c-9f3a6e1d"), 10)).await.unwrap();
    let patterns: Vec<Option<String>> =
        seen.lock().unwrap().iter().map(|i| i.filter_pattern().map(str::to_string)).collect();
    assert_eq!(patterns, [Some(r#""c\"1""#.to_string()), Some(r#""c-9f3a6e1d""#.to_string())]);
}

// ---------------------------------------------------------------------------------------------
// 2. Paging

#[tokio::test]
async fn pages_are_followed_through_an_empty_page() {
    let seen: Captured = Arc::default();
    let rule = {
        let seen = seen.clone();
        mock!(Client::filter_log_events).then_compute_output(move |input| {
            seen.lock().unwrap().push(input.clone());
            match input.next_token() {
                None => {
                    page(vec![event("e1", T0 + 1, "one"), event("e2", T0 + 2, "two")], Some("p2"))
                }
                // Empty, but there is more.
                Some("p2") => page(vec![], Some("p3")),
                Some("p3") => page(vec![event("e3", T0 + 3, "three")], None),
                Some(other) => panic!("unexpected token {other}"),
            }
        })
    };
    let groups = LogGroups::plan(&boundary(&["eu-west-1"]), &[service("api", &[], &["/app/api"])]);
    let src = CloudWatchLogs::with_clients(
        BTreeMap::from([("eu-west-1".to_string(), client(&[&rule]))]),
        groups,
        LineParser::default(),
    )
    .with_filter_guard("eu-west-1", Arc::new(RateGuard::new(Duration::from_millis(1))));
    let batch = src.fetch(query(None, 100)).await.unwrap();
    let tokens: Vec<Option<String>> =
        seen.lock().unwrap().iter().map(|i| i.next_token().map(str::to_string)).collect();
    assert_eq!(tokens, [None, Some("p2".into()), Some("p3".into())]);
    assert_eq!(rule.num_calls(), 3);
    let messages: Vec<&str> = batch.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages, ["one", "two", "three"]);
    for i in seen.lock().unwrap().iter() {
        assert_eq!((i.start_time(), i.end_time()), (Some(T0), Some(T0 + 59_999)));
        assert_eq!(i.log_group_name(), Some("/app/api"));
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Limit, truncation, duplicates, order

#[tokio::test]
async fn newest_lines_are_kept_deduplicated_and_in_time_order() {
    // Two groups whose lines interleave; the api group repeats a line on its second page.
    let rule = mock!(Client::filter_log_events).then_compute_output(|input| {
        match (input.log_group_name().unwrap(), input.next_token()) {
            ("/app/api", None) => page(
                vec![
                    event("a1", T0 + 1_000, "api 1"),
                    event("a3", T0 + 3_000, "api 3"),
                    event("a5", T0 + 5_000, "api 5"),
                ],
                Some("more"),
            ),
            ("/app/api", Some("more")) => {
                page(vec![event("a5", T0 + 5_000, "api 5"), event("a7", T0 + 7_000, "api 7")], None)
            }
            ("/app/worker", None) => page(
                vec![
                    event("w2", T0 + 2_000, "worker 2"),
                    event("w6", T0 + 6_000, "worker 6"),
                    event("w6", T0 + 6_000, "worker 6"),
                    event("w8", T0 + 8_000, "worker 8"),
                ],
                None,
            ),
            other => panic!("unexpected call {other:?}"),
        }
    });
    let src = source(client(&[&rule]))
        .with_filter_guard("eu-west-1", Arc::new(RateGuard::new(Duration::from_millis(1))));
    let messages = |b: &warroom::source::LogBatch| {
        b.events.iter().map(|e| e.message.clone()).collect::<Vec<_>>()
    };

    let all = src.fetch(query(None, 100)).await.unwrap();
    assert_eq!(
        messages(&all),
        ["api 1", "worker 2", "api 3", "api 5", "worker 6", "api 7", "worker 8"],
        "sorted by time, each eventId once"
    );
    assert!(!all.truncated);

    let exact = src.fetch(query(None, 7)).await.unwrap();
    assert_eq!(exact.events.len(), 7);
    assert!(!exact.truncated, "exactly `limit` lines is not truncated");

    let newest = src.fetch(query(None, 3)).await.unwrap();
    assert_eq!(messages(&newest), ["worker 6", "api 7", "worker 8"]);
    assert!(newest.truncated);

    let none = src.fetch(query(None, 0)).await.unwrap();
    assert!(none.events.is_empty() && none.truncated);

    // An empty window asks nothing.
    let calls = rule.num_calls();
    let empty = src.fetch(LogQuery { to: T0, ..query(None, 10) }).await.unwrap();
    assert!(empty.events.is_empty() && !empty.truncated);
    assert_eq!(rule.num_calls(), calls);
}

// ---------------------------------------------------------------------------------------------
// 4. Throttling

#[tokio::test]
async fn throttling_is_retried_then_reported_with_a_hint() {
    let flaky = mock!(Client::filter_log_events)
        .sequence()
        .error(throttled)
        .output(|| page(vec![event("a1", T0 + 1, "after a retry")], None))
        .build();
    let groups = LogGroups::plan(&boundary(&["eu-west-1"]), &[service("api", &[], &["/app/api"])]);
    let src = CloudWatchLogs::with_clients(
        BTreeMap::from([("eu-west-1".to_string(), client(&[&flaky]))]),
        groups.clone(),
        LineParser::default(),
    );
    let batch = src.fetch(query(None, 10)).await.expect("the retry got through");
    assert_eq!(flaky.num_calls(), 2, "throttled once, retried once");
    assert_eq!(batch.events[0].message, "after a retry");

    let broken = mock!(Client::filter_log_events).then_error(throttled);
    let src = CloudWatchLogs::with_clients(
        BTreeMap::from([("eu-west-1".to_string(), client(&[&broken]))]),
        groups,
        LineParser::default(),
    );
    let err = src.fetch(query(None, 10)).await.expect_err("still throttled");
    assert_eq!(broken.num_calls(), 3, "the SDK's retries were used up");
    assert_eq!(err.kind, SourceErrorKind::Throttled);
    assert!(err.message.contains("FilterLogEvents"), "{}", err.message);
    assert!(err.message.contains("Rate exceeded"), "{}", err.message);
    assert!(err.hint.as_deref().is_some_and(|h| h.contains("throttling")), "{:?}", err.hint);
}

#[tokio::test]
async fn filter_calls_of_a_region_share_one_guard() {
    let times: Arc<Mutex<Vec<tokio::time::Instant>>> = Arc::default();
    let rule = {
        let times = times.clone();
        mock!(Client::filter_log_events).then_compute_output(move |_| {
            times.lock().unwrap().push(tokio::time::Instant::now());
            page(vec![], None)
        })
    };
    let spacing = Duration::from_millis(40);
    let guard = Arc::new(RateGuard::new(spacing));
    // Two panes, two sources, one budget.
    let a = source(client(&[&rule])).with_filter_guard("eu-west-1", guard.clone());
    let b = source(client(&[&rule]));
    let shared = a.filter_guard("eu-west-1").expect("guard");
    assert!(Arc::ptr_eq(&shared, &guard));
    let b = b.with_filter_guard("eu-west-1", shared);
    assert_eq!(
        source(client(&[])).filter_guard("eu-west-1").unwrap().spacing(),
        Duration::from_millis(200),
        "5 TPS by default"
    );

    let t0 = tokio::time::Instant::now();
    let (ra, rb) = tokio::join!(a.fetch(query(None, 10)), b.fetch(query(None, 10)));
    ra.unwrap();
    rb.unwrap();
    let times = times.lock().unwrap().clone();
    assert_eq!(times.len(), 4, "two groups each");
    assert!(*times.last().unwrap() - t0 >= 3 * spacing, "{:?}", *times.last().unwrap() - t0);
}

// ---------------------------------------------------------------------------------------------
// 5. Boundary

#[tokio::test]
async fn nothing_outside_the_boundary_is_called() {
    let eu_rule = mock!(Client::filter_log_events).then_output(|| page(vec![], None));
    let us_rule = mock!(Client::filter_log_events).then_output(|| page(vec![], None));
    let us_tail = mock!(Client::start_live_tail)
        .then_error(|| StartLiveTailError::generic(ErrorMetadata::builder().code("Boom").build()));
    let us_describe = mock!(Client::describe_log_groups)
        .then_output(|| DescribeLogGroupsOutput::builder().build());
    // `billing` runs in us-east-1 only; `api` everywhere.
    let services = vec![
        service("api", &[], &["/app/api"]),
        service("billing", &["us-east-1"], &["/app/billing"]),
    ];
    let groups = LogGroups::plan(&boundary(&["eu-west-1", "eu-central-1"]), &services);
    assert!(groups.region("us-east-1").is_empty());
    let src = CloudWatchLogs::with_clients(
        BTreeMap::from([
            ("eu-west-1".to_string(), client(&[&eu_rule])),
            ("us-east-1".to_string(), client(&[&us_rule, &us_tail, &us_describe])),
        ]),
        groups,
        LineParser::default(),
    );
    assert_eq!(src.regions(), ["eu-west-1"], "the client for us-east-1 is dropped");

    let err = src.fetch(LogQuery { region: "us-east-1".into(), ..query(Some("c-1"), 10) }).await;
    let err = err.expect_err("outside the boundary");
    assert_eq!(err.kind, SourceErrorKind::Invalid);
    assert!(err.message.contains("us-east-1"), "{}", err.message);

    // Following it says so once and calls nothing either.
    let (tx, mut rx) = mpsc::channel::<LogUpdate>(4);
    let q = LogQuery { region: "us-east-1".into(), ..query(None, 10) };
    let follow = tokio::spawn(async move { src.follow(q, Clock::Wall, tx).await });
    let first = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
    assert_eq!(first.unwrap_err().kind, SourceErrorKind::Invalid);
    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), follow).await.expect("follow ended").unwrap();

    assert_eq!(us_rule.num_calls() + us_tail.num_calls() + us_describe.num_calls(), 0);
    assert_eq!(eu_rule.num_calls(), 0);

    // A boundary region without log groups is explained, not queried.
    let src = CloudWatchLogs::with_clients(
        BTreeMap::from([("eu-west-1".to_string(), client(&[&eu_rule]))]),
        LogGroups::plan(&boundary(&["eu-west-1"]), &[service("api", &["eu-central-1"], &["/x"])]),
        LineParser::default(),
    );
    let err = src.fetch(query(None, 10)).await.unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Invalid);
    assert!(err.message.contains("no log groups"), "{}", err.message);
    assert_eq!(eu_rule.num_calls(), 0);
}

// ---------------------------------------------------------------------------------------------
// 6. Following when Live Tail fails

#[tokio::test]
async fn follow_reports_live_tail_failures_and_polls_meanwhile() {
    let describe = mock!(Client::describe_log_groups).then_compute_output(|input| {
        let name = input.log_group_name_prefix().unwrap().to_string();
        DescribeLogGroupsOutput::builder()
            .log_groups(
                SdkLogGroup::builder()
                    .log_group_name(&name)
                    .arn(format!("arn:aws:logs:eu-west-1:123456789012:log-group:{name}:*"))
                    .build(),
            )
            .build()
    });
    let tail = mock!(Client::start_live_tail).then_error(|| {
        StartLiveTailError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not allowed to tail")
                .build(),
        )
    });
    let polled: Captured = Arc::default();
    let filter = {
        let polled = polled.clone();
        mock!(Client::filter_log_events).then_compute_output(move |input| {
            polled.lock().unwrap().push(input.clone());
            let from = input.start_time().unwrap();
            let group = input.log_group_name().unwrap();
            page(vec![event(&format!("{group}-{from}"), from, &json_line("c-1", group))], None)
        })
    };
    let src = source(client(&[&describe, &tail, &filter]))
        .with_filter_guard("eu-west-1", Arc::new(RateGuard::new(Duration::from_millis(1))))
        .with_follow_timing(FollowTiming {
            poll_every: Duration::from_millis(30),
            backoff_min: Duration::from_millis(200),
            backoff_max: Duration::from_millis(400),
            ..FollowTiming::default()
        });
    let now = Clock::Wall.now();
    let q = LogQuery { from: now, to: now, ..query(Some("c-1"), 100) };
    let (tx, mut rx) = mpsc::channel::<LogUpdate>(16);
    let follow = tokio::spawn(async move { src.follow(q, Clock::Wall, tx).await });

    let mut errors = Vec::new();
    let mut lines = Vec::new();
    while lines.len() < 4 {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(Ok(batch))) => {
                assert!(!batch.sampled);
                lines.extend(batch.events);
            }
            Ok(Some(Err(e))) => errors.push(e),
            other => panic!("follow stopped or went quiet: {other:?} after {lines:?}"),
        }
    }
    assert!(!errors.is_empty(), "the Live Tail failure is reported");
    assert_eq!(errors[0].kind, SourceErrorKind::Auth);
    assert!(errors[0].message.contains("StartLiveTail: access denied"), "{}", errors[0].message);
    assert!(
        errors[0].hint.as_deref().unwrap_or_default().contains("logs:StartLiveTail"),
        "{:?}",
        errors[0].hint
    );
    assert!(tail.num_calls() >= 1);
    assert_eq!(describe.num_calls(), 2, "each group resolved once");
    let services: Vec<&str> = lines.iter().map(|e| e.service.as_str()).collect();
    assert!(services.contains(&"api") && services.contains(&"worker"), "{services:?}");
    assert!(lines.iter().all(|e| e.region == "eu-west-1" && e.at >= now));

    // Polls walk forward without gaps or overlaps, per group.
    let polled = polled.lock().unwrap().clone();
    for group in ["/app/api", "/app/worker"] {
        let ranges: Vec<(i64, i64)> = polled
            .iter()
            .filter(|i| i.log_group_name() == Some(group))
            .map(|i| (i.start_time().unwrap(), i.end_time().unwrap()))
            .collect();
        assert_eq!(ranges[0].0, now, "{group}");
        for w in ranges.windows(2) {
            assert_eq!(w[1].0, w[0].1 + 1, "{group}: {ranges:?}");
        }
        assert!(polled.iter().all(|i| i.filter_pattern().is_some_and(|p| p.contains("c-1"))));
    }

    // Closing the sink ends the follow.
    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), follow).await.expect("follow ended").unwrap();
}

#[tokio::test]
async fn more_than_ten_groups_get_several_live_tail_sessions() {
    use aws_sdk_cloudwatchlogs::operation::start_live_tail::StartLiveTailInput;

    let describe = mock!(Client::describe_log_groups).then_compute_output(|input| {
        let name = input.log_group_name_prefix().unwrap().to_string();
        // A prefix also finds longer names; only the exact one counts.
        let longer = format!("{name}-old");
        DescribeLogGroupsOutput::builder()
            .log_groups(
                SdkLogGroup::builder()
                    .log_group_name(&longer)
                    .log_group_arn(format!("arn:aws:logs:eu-west-1:1:log-group:{longer}"))
                    .build(),
            )
            .log_groups(
                SdkLogGroup::builder()
                    .log_group_name(&name)
                    .log_group_arn(format!("arn:aws:logs:eu-west-1:1:log-group:{name}"))
                    .build(),
            )
            .build()
    });
    let sessions: Arc<Mutex<Vec<StartLiveTailInput>>> = Arc::default();
    let tail = {
        let sessions = sessions.clone();
        mock!(Client::start_live_tail)
            .match_requests(move |input| {
                sessions.lock().unwrap().push(input.clone());
                true
            })
            .then_error(|| {
                StartLiveTailError::generic(ErrorMetadata::builder().code("Unavailable").build())
            })
    };
    let filter = mock!(Client::filter_log_events).then_output(|| page(vec![], None));
    let names: Vec<String> = (0..12).map(|i| format!("/app/g{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let groups = LogGroups::plan(&boundary(&["eu-west-1"]), &[service("api", &[], &refs)]);
    let src = CloudWatchLogs::with_clients(
        BTreeMap::from([("eu-west-1".to_string(), client(&[&describe, &tail, &filter]))]),
        groups,
        LineParser::default(),
    )
    .with_follow_timing(FollowTiming {
        backoff_min: Duration::from_secs(30),
        ..Default::default()
    });
    let now = Clock::Wall.now();
    let q = LogQuery { from: now, to: now, ..query(Some("c-1"), 10) };
    let (tx, mut rx) = mpsc::channel::<LogUpdate>(16);
    let follow = tokio::spawn(async move { src.follow(q, Clock::Wall, tx).await });
    // Both sessions fail to start and say so.
    for _ in 0..2 {
        let update = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap();
        assert!(update.unwrap().is_err());
    }
    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), follow).await.expect("follow ended").unwrap();

    let sessions = sessions.lock().unwrap().clone();
    let mut sizes: Vec<usize> = sessions.iter().map(|s| s.log_group_identifiers().len()).collect();
    sizes.sort();
    assert_eq!(sizes, [2, 10]);
    let mut arns: Vec<&str> =
        sessions.iter().flat_map(|s| s.log_group_identifiers()).map(String::as_str).collect();
    arns.sort();
    let want: Vec<String> =
        names.iter().map(|n| format!("arn:aws:logs:eu-west-1:1:log-group:{n}")).collect();
    assert_eq!(arns, want, "exact names, ARNs without `:*`");
    for s in &sessions {
        assert_eq!(
            s.log_event_filter_pattern(),
            Some(r#""c-1""#),
            "Live Tail gets the same quoted term"
        );
    }
}

fn not_found() -> FilterLogEventsError {
    FilterLogEventsError::ResourceNotFoundException(
        aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException::builder()
            .message("The specified log group does not exist.")
            .meta(
                ErrorMetadata::builder()
                    .code("ResourceNotFoundException")
                    .message("The specified log group does not exist.")
                    .build(),
            )
            .build(),
    )
}

#[tokio::test]
async fn a_missing_log_group_leaves_the_others_readable() {
    let missing = mock!(Client::filter_log_events)
        .match_requests(|i| i.log_group_name() == Some("/app/api"))
        .then_error(not_found);
    let lines = mock!(Client::filter_log_events)
        .match_requests(|i| i.log_group_name() == Some("/app/worker"))
        .then_output(|| page(vec![event("e1", T0 + 1_000, &json_line("c-1", "approved"))], None));
    let batch = source(client(&[&missing, &lines])).fetch(query(None, 100)).await.expect("worker");
    assert_eq!(batch.events.len(), 1);
    assert_eq!(batch.events[0].service, "worker");

    // Every group missing: the error, with its hint.
    let all_missing = mock!(Client::filter_log_events).then_error(not_found);
    let e = source(client(&[&all_missing])).fetch(query(None, 100)).await.expect_err("none exists");
    assert!(e.message.contains("ResourceNotFound"), "{}", e.message);
}
