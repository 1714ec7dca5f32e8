//! CloudWatch metrics source against mocked CloudWatch clients (aws-smithy-mocks).
//!
//! The fake CloudWatch answers from what each query asks for (namespace, metric, stat,
//! dimensions), never from the shape of its id, so the tests pin the request shape without
//! depending on how ids are spelled.

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::config::retry::RetryConfig;
use aws_sdk_cloudwatch::error::ErrorMetadata;
use aws_sdk_cloudwatch::operation::get_metric_data::{
    GetMetricDataError, GetMetricDataInput, GetMetricDataOutput,
};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{MetricDataQuery, MetricDataResult, ScanBy};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use warroom::config::{OperationConfig, ServiceConfig};
use warroom::model::{Boundary, Continent, MINUTE_MS, MetricsQuery, Millis, RedPoint, RedSeries};
use warroom::source::aws::{CloudWatchMetrics, MAX_QUERIES_PER_CALL, RateGuard};
use warroom::source::{MetricsSource, SourceErrorKind};

// ---------------------------------------------------------------------------------------------
// Fixtures

/// 2023-11-14 22:13:20 UTC plus 37.5 s: deliberately not on a minute boundary.
const NOW: Millis = 1_700_000_000_000 + 37_500;

fn align(t: Millis) -> Millis {
    t - t.rem_euclid(MINUTE_MS)
}

fn dims(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn api_service() -> ServiceConfig {
    ServiceConfig {
        name: "api".into(),
        namespace: "AWS/ApiGateway".into(),
        dimensions: dims(&[("ApiName", "shop")]),
        requests_metric: "Count".into(),
        errors_metric: "5XXError".into(),
        latency_metric: "Latency".into(),
        regions: vec![],
        log_groups: vec![],
        operations: vec![OperationConfig {
            name: "GET /cart".into(),
            dimensions: dims(&[("Resource", "/cart"), ("Method", "GET")]),
        }],
    }
}

fn lambda_service(name: &str, regions: &[&str]) -> ServiceConfig {
    ServiceConfig {
        name: name.into(),
        namespace: "AWS/Lambda".into(),
        dimensions: dims(&[("FunctionName", name)]),
        requests_metric: "Invocations".into(),
        errors_metric: "Errors".into(),
        latency_metric: "Duration".into(),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        log_groups: vec![],
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
fn client(mode: RuleMode, rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_cloudwatch, mode, rules, |c| c.retry_config(
        RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(2))
    ))
}

fn clients(pairs: Vec<(&str, Client)>) -> BTreeMap<String, Client> {
    pairs.into_iter().map(|(r, c)| (r.to_string(), c)).collect()
}

fn error(code: &str, message: &str) -> GetMetricDataError {
    GetMetricDataError::generic(ErrorMetadata::builder().code(code).message(message).build())
}

// ---------------------------------------------------------------------------------------------
// A fake CloudWatch that answers from what the queries ask for

/// What one metric query asks for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Asked {
    namespace: String,
    metric: String,
    stat: String,
    dimensions: BTreeMap<String, String>,
}

fn asked(q: &MetricDataQuery) -> Asked {
    let ms = q.metric_stat().expect("metric_stat");
    let m = ms.metric().expect("metric");
    Asked {
        namespace: m.namespace().unwrap_or_default().to_string(),
        metric: m.metric_name().unwrap_or_default().to_string(),
        stat: ms.stat().unwrap_or_default().to_string(),
        dimensions: m
            .dimensions()
            .iter()
            .map(|d| (d.name().unwrap().to_string(), d.value().unwrap().to_string()))
            .collect(),
    }
}

/// Size of a series, from its dimensions: operations 1000, API totals 100, Lambdas 10.
fn base(a: &Asked) -> f64 {
    if a.dimensions.contains_key("Method") {
        1000.0
    } else if a.namespace == "AWS/ApiGateway" {
        100.0
    } else {
        10.0
    }
}

/// The value CloudWatch holds for `a` at minute `k` of the window.
fn value(a: &Asked, k: i64) -> f64 {
    let b = base(a);
    match (a.stat.as_str(), a.metric.as_str()) {
        ("Sum", "Count" | "Invocations") => b + k as f64,
        ("Sum", _) => k as f64,
        ("p50", _) => b / 10.0 + k as f64,
        ("p99", _) => b / 2.0 + k as f64,
        other => panic!("unexpected stat {other:?}"),
    }
}

/// The answer for `input` holding the minutes `ks` (of the window starting at `start`) of every
/// query, except those `skip` says are missing.
fn answer(
    input: &GetMetricDataInput,
    start: Millis,
    ks: std::ops::Range<i64>,
    skip: impl Fn(&Asked, i64) -> bool,
) -> GetMetricDataOutput {
    let mut out = GetMetricDataOutput::builder();
    for q in input.metric_data_queries() {
        let a = asked(q);
        let mut r = MetricDataResult::builder().id(q.id().unwrap());
        for k in ks.clone() {
            if !skip(&a, k) {
                r = r.timestamps(DateTime::from_millis(start + k * MINUTE_MS)).values(value(&a, k));
            }
        }
        out = out.metric_data_results(r.build());
    }
    out.build()
}

type Captured = Arc<Mutex<Vec<GetMetricDataInput>>>;

fn captured() -> Captured {
    Arc::new(Mutex::new(Vec::new()))
}

fn expected_point(base: f64, k: i64) -> RedPoint {
    RedPoint {
        requests: (base + k as f64) as u32,
        errors: k as u32,
        p50_ms: (base / 10.0 + k as f64) as f32,
        p99_ms: (base / 2.0 + k as f64) as f32,
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Request shape and the numbers that come back

#[tokio::test]
async fn request_shape_and_numbers() {
    let span = 5 * MINUTE_MS;
    let start = align(NOW - span);
    let end = align(NOW);
    let seen = captured();
    let rule = {
        let seen = seen.clone();
        mock!(Client::get_metric_data).then_compute_output(move |input| {
            seen.lock().unwrap().push(input.clone());
            // The worker has no datapoint at all in minute 2.
            answer(input, start, 0..5, |a, k| base(a) == 10.0 && k == 2)
        })
    };
    let services = vec![api_service(), lambda_service("worker", &[])];
    let source = CloudWatchMetrics::with_clients(
        boundary(&["eu-west-1"]),
        services,
        clients(vec![("eu-west-1", client(RuleMode::MatchAny, &[&rule]))]),
    );
    assert_eq!(source.name(), "cloudwatch");
    let snap = source.metrics(MetricsQuery { now: NOW, span }).await.expect("snapshot");

    // --- the request
    let inputs = seen.lock().unwrap().clone();
    assert_eq!(inputs.len(), 1, "one GetMetricData call for the region");
    let input = &inputs[0];
    assert_eq!(input.start_time(), Some(&DateTime::from_millis(start)));
    assert_eq!(input.end_time(), Some(&DateTime::from_millis(end)));
    assert_eq!(start % MINUTE_MS, 0);
    assert_eq!(end - start, span);
    assert_eq!(input.scan_by(), Some(&ScanBy::TimestampAscending));
    assert_eq!(input.next_token(), None);

    let queries = input.metric_data_queries();
    assert_eq!(queries.len(), 4 * 3, "4 queries for api, api GET /cart and worker");
    let ids: BTreeSet<&str> = queries.iter().map(|q| q.id().unwrap()).collect();
    assert_eq!(ids.len(), queries.len(), "ids are unique");
    for id in &ids {
        assert!(id.starts_with(|c: char| c.is_ascii_lowercase()), "{id}");
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{id}");
    }
    for q in queries {
        assert_eq!(q.metric_stat().unwrap().period(), Some(60));
        assert!(q.expression().is_none());
        assert_ne!(q.return_data(), Some(false));
    }
    let got: BTreeSet<Asked> = queries.iter().map(asked).collect();
    let want = |ns: &str, d: &[(&str, &str)], metrics: [&str; 3]| {
        [("Sum", metrics[0]), ("Sum", metrics[1]), ("p50", metrics[2]), ("p99", metrics[2])]
            .into_iter()
            .map(|(stat, metric)| Asked {
                namespace: ns.into(),
                metric: metric.into(),
                stat: stat.into(),
                dimensions: dims(d),
            })
            .collect::<Vec<_>>()
    };
    let mut expected = BTreeSet::new();
    expected.extend(want(
        "AWS/ApiGateway",
        &[("ApiName", "shop")],
        ["Count", "5XXError", "Latency"],
    ));
    expected.extend(want(
        "AWS/ApiGateway",
        &[("ApiName", "shop"), ("Resource", "/cart"), ("Method", "GET")],
        ["Count", "5XXError", "Latency"],
    ));
    expected.extend(want(
        "AWS/Lambda",
        &[("FunctionName", "worker")],
        ["Invocations", "Errors", "Duration"],
    ));
    assert_eq!(got, expected);

    // --- the snapshot
    assert_eq!(snap.now, NOW);
    assert!(snap.region_errors.is_empty());
    assert_eq!(snap.regions.keys().collect::<Vec<_>>(), ["eu-west-1"]);
    let region = &snap.regions["eu-west-1"];
    assert_eq!(region.services.keys().collect::<Vec<_>>(), ["api", "worker"]);

    let api = &region.services["api"];
    let expect =
        |b: f64| RedSeries { start, points: (0..5).map(|k| expected_point(b, k)).collect() };
    assert_eq!(api.total, expect(100.0));
    assert_eq!(api.operations.keys().collect::<Vec<_>>(), ["GET /cart"]);
    assert_eq!(api.operations["GET /cart"], expect(1000.0));

    let worker = &region.services["worker"];
    assert!(worker.operations.is_empty());
    let mut w = expect(10.0);
    w.points[2] = RedPoint::default();
    assert_eq!(worker.total, w, "a missing minute is 0 requests, 0 errors, 0 latency");

    // Region total: the services' totals (not the operations) combined.
    let total = &region.total;
    assert_eq!(total.start, start);
    assert_eq!(total.points.len(), 5);
    for k in 0..5usize {
        let (a, w) = (api.total.points[k], worker.total.points[k]);
        let p = total.points[k];
        assert_eq!(p.requests, a.requests + w.requests, "minute {k}");
        assert_eq!(p.errors, a.errors + w.errors, "minute {k}");
        let mean = (a.p50_ms as f64 * a.requests as f64 + w.p50_ms as f64 * w.requests as f64)
            / (a.requests + w.requests) as f64;
        assert!((p.p50_ms as f64 - mean).abs() < 1e-3, "minute {k}");
        assert!(p.p99_ms >= a.p99_ms.max(w.p99_ms), "minute {k}");
    }
    let mut by_hand = api.total.clone();
    by_hand.accumulate(&worker.total);
    assert_eq!(*total, by_hand);
}

#[tokio::test]
async fn oddities_are_cleaned_and_gaps_filled() {
    let span = 4 * MINUTE_MS;
    let start = align(NOW - span);
    let rule = mock!(Client::get_metric_data).then_compute_output(move |input| {
        let mut out = GetMetricDataOutput::builder();
        for q in input.metric_data_queries() {
            let a = asked(q);
            let vals: [f64; 2] = match (a.stat.as_str(), a.metric.as_str()) {
                ("Sum", "Invocations") => [-5.0, 10.0],
                ("Sum", _) => [1.0, 25.0],
                ("p50", _) => [f64::NAN, 12.0],
                _ => [3.0, -1.0],
            };
            // Only minutes 1 and 3, newest last; a datapoint outside the window is ignored.
            out = out.metric_data_results(
                MetricDataResult::builder()
                    .id(q.id().unwrap())
                    .timestamps(DateTime::from_millis(start + MINUTE_MS))
                    .values(vals[0])
                    .timestamps(DateTime::from_millis(start + 3 * MINUTE_MS))
                    .values(vals[1])
                    .timestamps(DateTime::from_millis(start + 9 * MINUTE_MS))
                    .values(7.0)
                    .build(),
            );
        }
        out.build()
    });
    let source = CloudWatchMetrics::with_clients(
        boundary(&["eu-west-1"]),
        vec![lambda_service("worker", &[])],
        clients(vec![("eu-west-1", client(RuleMode::MatchAny, &[&rule]))]),
    );
    let snap = source.metrics(MetricsQuery { now: NOW, span }).await.unwrap();
    let s = &snap.regions["eu-west-1"].services["worker"].total;
    assert_eq!(s.start, start);
    assert_eq!(
        s.points,
        vec![
            RedPoint::default(),
            // -5 requests -> 0; errors clamped to 0 requests; no latency without requests.
            RedPoint::default(),
            RedPoint::default(),
            // errors 25 > 10 requests -> 10; p99 -1 -> 0, then never below p50.
            RedPoint { requests: 10, errors: 10, p50_ms: 12.0, p99_ms: 12.0 },
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Paging

#[tokio::test]
async fn pages_are_followed_and_concatenated() {
    let span = 10 * MINUTE_MS;
    let start = align(NOW - span);
    let seen = captured();
    let rule = {
        let seen = seen.clone();
        mock!(Client::get_metric_data).then_compute_output(move |input| {
            seen.lock().unwrap().push(input.clone());
            match input.next_token() {
                // First page: minutes 0..4 of every query, and more to come.
                None => {
                    let mut out = answer(input, start, 0..4, |_, _| false);
                    out.next_token = Some("page-2".into());
                    out
                }
                // An empty page that still has a token.
                Some("page-2") => GetMetricDataOutput::builder().next_token("page-3").build(),
                // The rest: minutes 4..10 (minute 7 missing for the errors only).
                Some("page-3") => {
                    answer(input, start, 4..10, |a, k| a.metric == "5XXError" && k == 7)
                }
                Some(other) => panic!("unexpected token {other}"),
            }
        })
    };
    let source = CloudWatchMetrics::with_clients(
        boundary(&["eu-west-1"]),
        vec![api_service()],
        clients(vec![("eu-west-1", client(RuleMode::MatchAny, &[&rule]))]),
    );
    let snap = source.metrics(MetricsQuery { now: NOW, span }).await.unwrap();

    let inputs = seen.lock().unwrap().clone();
    let tokens: Vec<Option<&str>> = inputs.iter().map(|i| i.next_token()).collect();
    assert_eq!(tokens, [None, Some("page-2"), Some("page-3")]);
    for i in &inputs {
        assert_eq!(
            i.metric_data_queries(),
            inputs[0].metric_data_queries(),
            "same queries on every page"
        );
        assert_eq!(i.start_time(), inputs[0].start_time());
        assert_eq!(i.end_time(), inputs[0].end_time());
    }
    assert_eq!(rule.num_calls(), 3);

    let api = &snap.regions["eu-west-1"].services["api"];
    for (series, b) in [(&api.total, 100.0), (&api.operations["GET /cart"], 1000.0)] {
        assert_eq!(series.start, start);
        assert_eq!(series.points.len(), 10);
        for k in 0..10 {
            let mut want = expected_point(b, k);
            if k == 7 {
                want.errors = 0;
            }
            assert_eq!(series.points[k as usize], want, "minute {k}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Throttling and failing regions

#[tokio::test]
async fn throttling_is_retried_and_a_failing_region_is_reported() {
    let span = 3 * MINUTE_MS;
    let start = align(NOW - span);

    // eu-west-1: throttled once, then answers. The answer is built from the input the matcher
    // saw, because the SDK's retry does not hand the input to the mock again.
    let first_input: Arc<Mutex<Option<GetMetricDataInput>>> = Arc::new(Mutex::new(None));
    let flaky = {
        let keep = first_input.clone();
        let read = first_input.clone();
        mock!(Client::get_metric_data)
            .match_requests(move |input| {
                keep.lock().unwrap().get_or_insert_with(|| input.clone());
                true
            })
            .sequence()
            .error(|| error("Throttling", "Rate exceeded"))
            .output(move || {
                let input = read.lock().unwrap().clone().expect("input seen");
                answer(&input, start, 0..3, |_, _| false)
            })
            .build()
    };
    // eu-central-1: always throttled.
    let broken = mock!(Client::get_metric_data).then_error(|| error("Throttling", "Rate exceeded"));

    let source = CloudWatchMetrics::with_clients(
        boundary(&["eu-west-1", "eu-central-1"]),
        vec![lambda_service("worker", &[])],
        clients(vec![
            ("eu-west-1", client(RuleMode::MatchAny, &[&flaky])),
            ("eu-central-1", client(RuleMode::MatchAny, &[&broken])),
        ]),
    );
    let snap = source.metrics(MetricsQuery { now: NOW, span }).await.expect("one region answered");

    assert_eq!(flaky.num_calls(), 2, "throttled once, retried once");
    assert_eq!(broken.num_calls(), 3, "the SDK's retries were used up");

    assert_eq!(snap.regions.keys().collect::<Vec<_>>(), ["eu-west-1"]);
    let worker = &snap.regions["eu-west-1"].services["worker"].total;
    assert_eq!(worker.points, (0..3).map(|k| expected_point(10.0, k)).collect::<Vec<_>>());

    assert_eq!(snap.region_errors.keys().collect::<Vec<_>>(), ["eu-central-1"]);
    let msg = &snap.region_errors["eu-central-1"];
    assert!(msg.contains("throttled"), "{msg}");
    assert!(msg.contains("Rate exceeded"), "{msg}");
}

#[tokio::test]
async fn every_region_failing_is_an_error() {
    let denied = mock!(Client::get_metric_data)
        .then_error(|| error("AccessDeniedException", "User is not authorized"));
    let expired = mock!(Client::get_metric_data).then_error(|| {
        error("ExpiredTokenException", "The security token included in the request is expired")
    });
    let source = CloudWatchMetrics::with_clients(
        boundary(&["eu-west-1", "eu-central-1"]),
        vec![lambda_service("worker", &[])],
        clients(vec![
            ("eu-west-1", client(RuleMode::MatchAny, &[&denied])),
            ("eu-central-1", client(RuleMode::MatchAny, &[&expired])),
        ]),
    );
    let err = source
        .metrics(MetricsQuery { now: NOW, span: 5 * MINUTE_MS })
        .await
        .expect_err("no region answered");
    assert_eq!(err.kind, SourceErrorKind::Auth);
    assert_eq!(
        err.hint.as_deref(),
        Some("allow cloudwatch:GetMetricData in the identity's IAM policy (README: Permissions)")
    );
    assert!(
        err.message.contains("eu-west-1: CloudWatch GetMetricData: access denied"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("eu-central-1: CloudWatch GetMetricData: the AWS credentials"),
        "{}",
        err.message
    );
    assert!(err.message.contains("have expired"), "{}", err.message);
    // Auth errors are not retried.
    assert_eq!(denied.num_calls(), 1);
    assert_eq!(expired.num_calls(), 1);
}

#[tokio::test]
async fn error_kinds() {
    let cases = [
        ("Throttling", SourceErrorKind::Throttled),
        ("ThrottlingException", SourceErrorKind::Throttled),
        ("AccessDenied", SourceErrorKind::Auth),
        ("UnrecognizedClientException", SourceErrorKind::Auth),
        ("InvalidParameterValue", SourceErrorKind::Other),
    ];
    for (code, kind) in cases {
        let rule = mock!(Client::get_metric_data).then_error(move || error(code, "boom"));
        let source = CloudWatchMetrics::with_clients(
            boundary(&["eu-west-1"]),
            vec![lambda_service("worker", &[])],
            clients(vec![("eu-west-1", client(RuleMode::MatchAny, &[&rule]))]),
        );
        let err = source.metrics(MetricsQuery { now: NOW, span: MINUTE_MS }).await.unwrap_err();
        assert_eq!(err.kind, kind, "{code}: {}", err.message);
        if kind == SourceErrorKind::Auth {
            // One line and the fix, not the code: the full error is in the log file.
            assert!(err.hint.is_some(), "{code}: {err:?}");
        } else {
            assert!(err.message.contains(code), "{}", err.message);
        }
    }
}

#[tokio::test]
async fn a_region_without_a_client_is_reported() {
    let rule = mock!(Client::get_metric_data)
        .then_compute_output(|input| answer(input, 0, 0..0, |_, _| false));
    let source = CloudWatchMetrics::with_clients(
        boundary(&["eu-west-1", "eu-central-1"]),
        vec![lambda_service("worker", &[])],
        clients(vec![("eu-west-1", client(RuleMode::MatchAny, &[&rule]))]),
    );
    let snap = source.metrics(MetricsQuery { now: NOW, span: 2 * MINUTE_MS }).await.unwrap();
    assert!(snap.regions.contains_key("eu-west-1"));
    assert!(snap.region_errors["eu-central-1"].contains("no CloudWatch client"));
    // No datapoints at all: zero-filled series that still cover the window.
    let total = &snap.regions["eu-west-1"].total;
    assert_eq!(total.points, vec![RedPoint::default(); 2]);
    assert_eq!(total.start, align(NOW - 2 * MINUTE_MS));
}

// ---------------------------------------------------------------------------------------------
// 4. Boundary

#[tokio::test]
async fn nothing_outside_the_boundary_is_called() {
    let span = 2 * MINUTE_MS;
    let start = align(NOW - span);
    let eu = Boundary::global().only_continent("eu").unwrap();
    let mut rules: BTreeMap<String, Rule> = BTreeMap::new();
    let mut all = BTreeMap::new();
    for (_, region) in Boundary::global().regions() {
        let rule = mock!(Client::get_metric_data)
            .then_compute_output(move |input| answer(input, start, 0..2, |_, _| false));
        all.insert(region.to_string(), client(RuleMode::MatchAny, &[&rule]));
        rules.insert(region.to_string(), rule);
    }
    assert_eq!(all.len(), 6);
    // `worker` runs everywhere; `payments` only in eu-west-1 and us-east-1.
    let services = vec![
        lambda_service("worker", &[]),
        lambda_service("payments", &["eu-west-1", "us-east-1"]),
    ];
    let source = CloudWatchMetrics::with_clients(eu, services, all);
    let snap = source.metrics(MetricsQuery { now: NOW, span }).await.unwrap();

    for (region, rule) in &rules {
        let want = usize::from(region.starts_with("eu-"));
        assert_eq!(rule.num_calls(), want, "calls to {region}");
    }
    assert_eq!(snap.regions.keys().collect::<Vec<_>>(), ["eu-central-1", "eu-west-1"]);
    assert!(snap.region_errors.is_empty());
    assert_eq!(
        snap.regions["eu-west-1"].services.keys().collect::<Vec<_>>(),
        ["payments", "worker"]
    );
    assert_eq!(snap.regions["eu-central-1"].services.keys().collect::<Vec<_>>(), ["worker"]);
    assert_eq!(snap.regions["eu-west-1"].total.points[1].requests, 2 * 11);
    assert_eq!(snap.regions["eu-central-1"].total.points[1].requests, 11);
}

// ---------------------------------------------------------------------------------------------
// 5. More than 500 queries in a region

#[tokio::test]
async fn more_than_500_queries_are_split() {
    let span = 2 * MINUTE_MS;
    let start = align(NOW - span);
    let seen = captured();
    let rule = {
        let seen = seen.clone();
        mock!(Client::get_metric_data).then_compute_output(move |input| {
            seen.lock().unwrap().push(input.clone());
            answer(input, start, 0..2, |_, _| false)
        })
    };
    // One API with 130 operations: 131 series, 524 queries.
    let mut api = api_service();
    api.operations = (0..130)
        .map(|i| OperationConfig {
            name: format!("op{i:03}"),
            dimensions: dims(&[("Resource", &format!("/r{i}")), ("Method", "GET")]),
        })
        .collect();
    let source = CloudWatchMetrics::with_clients(
        boundary(&["eu-west-1"]),
        vec![api],
        clients(vec![("eu-west-1", client(RuleMode::MatchAny, &[&rule]))]),
    );
    let snap = source.metrics(MetricsQuery { now: NOW, span }).await.unwrap();

    let inputs = seen.lock().unwrap().clone();
    let sizes: Vec<usize> = inputs.iter().map(|i| i.metric_data_queries().len()).collect();
    assert_eq!(sizes, [MAX_QUERIES_PER_CALL, 24]);
    let ids: BTreeSet<String> = inputs
        .iter()
        .flat_map(|i| i.metric_data_queries().iter().map(|q| q.id().unwrap().to_string()))
        .collect();
    assert_eq!(ids.len(), 524, "every query asked exactly once, ids unique across calls");
    let asked_all: BTreeSet<Asked> =
        inputs.iter().flat_map(|i| i.metric_data_queries().iter().map(asked)).collect();
    assert_eq!(asked_all.len(), 524);

    let api = &snap.regions["eu-west-1"].services["api"];
    assert_eq!(api.operations.len(), 130);
    for (name, series) in &api.operations {
        assert_eq!(
            series.points,
            vec![expected_point(1000.0, 0), expected_point(1000.0, 1)],
            "{name}"
        );
    }
    assert_eq!(api.total.points[0], expected_point(100.0, 0));
}

// ---------------------------------------------------------------------------------------------
// Rate guard

#[tokio::test]
async fn rate_guard_spaces_calls() {
    let spacing = Duration::from_millis(10);
    let guard = RateGuard::new(spacing);
    let t0 = tokio::time::Instant::now();
    guard.acquire().await;
    let first = t0.elapsed();
    guard.acquire().await;
    guard.acquire().await;
    assert!(t0.elapsed() >= 2 * spacing, "{:?}", t0.elapsed());
    assert!(first < spacing, "the first call does not wait ({first:?})");

    // Concurrent callers queue up too.
    let guard = RateGuard::new(spacing);
    let t0 = tokio::time::Instant::now();
    futures_util::future::join_all((0..4).map(|_| guard.acquire())).await;
    assert!(t0.elapsed() >= 3 * spacing, "{:?}", t0.elapsed());

    assert_eq!(RateGuard::per_second(50).spacing(), Duration::from_millis(20));
}

#[tokio::test]
async fn calls_to_a_region_are_spaced() {
    let times: Arc<Mutex<Vec<tokio::time::Instant>>> = Arc::new(Mutex::new(Vec::new()));
    let rule = {
        let times = times.clone();
        mock!(Client::get_metric_data).then_compute_output(move |input| {
            times.lock().unwrap().push(tokio::time::Instant::now());
            let mut out = answer(input, 0, 0..0, |_, _| false);
            if input.next_token().is_none() {
                out.next_token = Some("more".into());
            }
            out
        })
    };
    let spacing = Duration::from_millis(15);
    let source = CloudWatchMetrics::with_clients(
        boundary(&["eu-west-1"]),
        vec![lambda_service("worker", &[])],
        clients(vec![("eu-west-1", client(RuleMode::MatchAny, &[&rule]))]),
    )
    .with_call_spacing(spacing);
    let t0 = tokio::time::Instant::now();
    source.metrics(MetricsQuery { now: NOW, span: MINUTE_MS }).await.unwrap();
    source.metrics(MetricsQuery { now: NOW, span: MINUTE_MS }).await.unwrap();
    let times = times.lock().unwrap().clone();
    assert_eq!(times.len(), 4, "two refreshes of two pages");
    // Four calls need at least three gaps.
    assert!(*times.last().unwrap() - t0 >= 3 * spacing, "{:?}", *times.last().unwrap() - t0);
}
