//! The operation's failing requests on AWS against mocked X-Ray and CloudWatch Logs clients
//! (aws-smithy-mocks): the exact filter expression and Logs Insights query sent, waiting for
//! the query to complete, what becomes a request (a correlation id, a Lambda request id),
//! the merge of both, one source failing, and the boundary.

use aws_sdk_cloudwatchlogs::operation::get_query_results::GetQueryResultsOutput;
use aws_sdk_cloudwatchlogs::operation::start_query::{StartQueryInput, StartQueryOutput};
use aws_sdk_cloudwatchlogs::types::{QueryStatus, ResultField};
use aws_sdk_xray::error::ErrorMetadata;
use aws_sdk_xray::operation::get_trace_summaries::{
    GetTraceSummariesError, GetTraceSummariesInput, GetTraceSummariesOutput,
};
use aws_sdk_xray::primitives::DateTime;
use aws_sdk_xray::types::{
    AnnotationValue, Http, ServiceId, TraceSummary as SdkSummary, ValueWithServiceIds,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use warroom::config::ServiceConfig;
use warroom::model::logline::LineParser;
use warroom::model::{Boundary, Continent, Millis, Outcome, Scope};
use warroom::source::aws::{AwsRequests, ERROR_QUERY, InsightsTiming};
use warroom::source::{RequestSource, SourceErrorKind};

const T0: Millis = 1_700_000_000_000; // 2023-11-14 22:13:20 UTC
const WORKER_GROUP: &str = "/aws/lambda/invoice-approval-worker";

fn boundary() -> Boundary {
    Boundary {
        continents: vec![Continent {
            name: "EU".into(),
            regions: vec!["eu-west-1".into(), "eu-central-1".into()],
        }],
    }
}

fn worker() -> ServiceConfig {
    ServiceConfig {
        name: "invoice-approval-worker".into(),
        namespace: "AWS/Lambda".into(),
        dimensions: BTreeMap::from([("FunctionName".into(), "invoice-approval-worker".into())]),
        requests_metric: "Invocations".into(),
        errors_metric: "Errors".into(),
        latency_metric: "Duration".into(),
        regions: vec![],
        log_groups: vec![WORKER_GROUP.into()],
        operations: vec![],
    }
}

fn scope() -> Scope {
    Scope {
        region: "eu-west-1".into(),
        service: Some("invoice-approval-worker".into()),
        operation: Some("ApproveInvoice".into()),
    }
}

fn xray(rules: &[&Rule]) -> aws_sdk_xray::Client {
    mock_client!(aws_sdk_xray, RuleMode::MatchAny, rules)
}

fn logs(rules: &[&Rule]) -> aws_sdk_cloudwatchlogs::Client {
    mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, rules)
}

fn source(x: aws_sdk_xray::Client, l: aws_sdk_cloudwatchlogs::Client) -> AwsRequests {
    AwsRequests::with_clients(
        boundary(),
        &[worker()],
        BTreeMap::from([("eu-west-1".to_string(), x)]),
        BTreeMap::from([("eu-west-1".to_string(), l)]),
        LineParser::default(),
    )
    .with_insights_timing(InsightsTiming {
        poll_every: Duration::from_millis(5),
        give_up_after: Duration::from_secs(2),
    })
}

/// A summary as GetTraceSummaries returns one for a failed Lambda invocation.
fn summary(id: &str, start: Millis, cid: Option<&str>) -> SdkSummary {
    let mut s = SdkSummary::builder()
        .id(id)
        .start_time(DateTime::from_millis(start))
        .duration(3.012)
        .response_time(3.012)
        .has_fault(true)
        .has_error(false)
        .has_throttle(false)
        .entry_point(
            ServiceId::builder()
                .name("invoice-approval-worker")
                .r#type("AWS::Lambda::Function")
                .build(),
        )
        .http(Http::builder().http_status(502).build());
    if let Some(cid) = cid {
        s = s.annotations(
            "correlation_id",
            vec![
                ValueWithServiceIds::builder()
                    .annotation_value(AnnotationValue::StringValue(cid.into()))
                    .build(),
            ],
        );
    }
    s.build()
}

/// One Logs Insights result row, fields as the service returns them (with `@ptr`).
fn row(ts: &str, message: &str) -> Vec<ResultField> {
    [
        ("@timestamp", ts),
        ("@message", message),
        ("@log", &format!("123456789012:{WORKER_GROUP}")),
        ("@ptr", "CmAKJwojMTIzNDU2Nzg5MDEyOi9hd3MvbGFtYmRhL3dvcmtlchAHEjUaGAIGZ"),
    ]
    .iter()
    .map(|(f, v)| ResultField::builder().field(*f).value(*v).build())
    .collect()
}

const TIMEOUT_LINE: &str = "2023-11-14T22:15:00.120Z 3f1c9a52-7e4b-4d1a-9c2e-1b2a3c4d5e6f Task timed out after 3.00 seconds";

fn rows() -> Vec<Vec<ResultField>> {
    vec![
        // Newest first, as the query sorts.
        row("2023-11-14 22:15:00.120", TIMEOUT_LINE),
        row(
            "2023-11-14 22:14:10.000",
            r#"{"level":"ERROR","correlationId":"c-9f3a6e1d","tenantId":"tenant-42","message":"downstream timed out"}"#,
        ),
        row(
            "2023-11-14 22:14:05.000",
            r#"{"level":"ERROR","correlationId":"c-77aa","message":"approval failed"}"#,
        ),
        // No request named: not a request.
        row("2023-11-14 22:14:00.000", "ERROR connection pool exhausted"),
        // Not an error (a server that ignores the query's filter): not a failing request.
        row(
            "2023-11-14 22:13:50.000",
            r#"{"level":"INFO","correlationId":"c-ok","message":"approved"}"#,
        ),
    ]
}

type Seen<T> = Arc<Mutex<Vec<T>>>;

fn insights_rules(seen: &Seen<StartQueryInput>) -> (Rule, Rule) {
    let start = {
        let seen = seen.clone();
        mock!(aws_sdk_cloudwatchlogs::Client::start_query).then_compute_output(move |i| {
            seen.lock().unwrap().push(i.clone());
            StartQueryOutput::builder().query_id("12ab3456-12ab-123a-789e-1234567890ab").build()
        })
    };
    let polls = Arc::new(Mutex::new(0));
    let results = mock!(aws_sdk_cloudwatchlogs::Client::get_query_results)
        .match_requests(|i| i.query_id() == Some("12ab3456-12ab-123a-789e-1234567890ab"))
        .then_compute_output(move |_| {
            let mut n = polls.lock().unwrap();
            *n += 1;
            if *n == 1 {
                GetQueryResultsOutput::builder().status(QueryStatus::Running).build()
            } else {
                GetQueryResultsOutput::builder()
                    .status(QueryStatus::Complete)
                    .set_results(Some(rows()))
                    .build()
            }
        });
    (start, results)
}

#[tokio::test]
async fn failing_requests_come_from_xray_and_logs_insights() {
    let seen_x: Seen<GetTraceSummariesInput> = Arc::default();
    let summaries = {
        let seen = seen_x.clone();
        mock!(aws_sdk_xray::Client::get_trace_summaries).then_compute_output(move |i| {
            seen.lock().unwrap().push(i.clone());
            GetTraceSummariesOutput::builder()
                .trace_summaries(summary(
                    "1-6553f1e4-0123456789abcdef01234567",
                    T0 + 250_000,
                    Some("c-9f3a6e1d"),
                ))
                .trace_summaries(summary("1-6553f1aa-0123456789abcdef01234567", T0 + 60_000, None))
                .approximate_time(DateTime::from_millis(T0 + 900_000))
                .traces_processed_count(2)
                .build()
        })
    };
    let seen_q: Seen<StartQueryInput> = Arc::default();
    let (start, results) = insights_rules(&seen_q);
    let src = source(xray(&[&summaries]), logs(&[&start, &results]));
    let got = src.failing_requests(scope(), T0, T0 + 900_000, 20).await.expect("requests");

    // The exact requests.
    let x = seen_x.lock().unwrap().clone();
    assert_eq!(x.len(), 1);
    assert_eq!(
        x[0].filter_expression(),
        Some(r#"service("invoice-approval-worker") AND (fault = true OR error = true)"#)
    );
    assert_eq!(x[0].start_time(), Some(&DateTime::from_millis(T0)));
    assert_eq!(x[0].end_time(), Some(&DateTime::from_millis(T0 + 900_000)));
    let q = seen_q.lock().unwrap().clone();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].log_group_names(), [WORKER_GROUP]);
    assert_eq!(q[0].start_time(), Some(T0 / 1000), "Insights takes epoch seconds");
    assert_eq!(q[0].end_time(), Some((T0 + 900_000) / 1000));
    assert_eq!(q[0].query_string(), Some(ERROR_QUERY));
    assert!(ERROR_QUERY.contains("| sort @timestamp desc"));
    assert!(ERROR_QUERY.contains("fields @timestamp, @message, @log"));
    assert_eq!(q[0].limit(), Some(500));
    assert_eq!(results.num_calls(), 2, "polled until Complete");

    // Faults first, newest first; one row per request.
    let rows: Vec<(&str, Outcome, Option<&str>, &str)> = got
        .iter()
        .map(|r| (r.correlation_id.as_str(), r.outcome, r.trace_id.as_deref(), r.message.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (
                "c-9f3a6e1d",
                Outcome::Fault,
                Some("1-6553f1e4-0123456789abcdef01234567"),
                "downstream timed out"
            ),
            (
                "3f1c9a52-7e4b-4d1a-9c2e-1b2a3c4d5e6f",
                Outcome::Fault,
                None,
                "Task timed out after 3.00 seconds"
            ),
            ("", Outcome::Fault, Some("1-6553f1aa-0123456789abcdef01234567"), ""),
            ("c-77aa", Outcome::Fault, None, "approval failed"),
        ]
    );
    let from_xray = &got[0];
    assert_eq!(from_xray.status, 502);
    assert!((from_xray.duration_ms - 3012.0).abs() < 0.01);
    assert_eq!(from_xray.tenant, "tenant-42", "the log line adds the tenant");
    assert_eq!(from_xray.operation, "ApproveInvoice");
    assert_eq!(got[1].duration_ms, 3000.0, "the timeout's duration");
    assert_eq!(got[1].at, T0 + 100_120);
    assert_eq!(got[3].at, T0 + 45_000, "Insights' @timestamp is UTC");
    assert!(got.iter().all(|r| r.region == "eu-west-1"));
}

#[tokio::test]
async fn one_source_failing_leaves_the_other() {
    let denied = mock!(aws_sdk_xray::Client::get_trace_summaries).then_error(|| {
        GetTraceSummariesError::generic(
            ErrorMetadata::builder().code("AccessDeniedException").message("no").build(),
        )
    });
    let seen_q: Seen<StartQueryInput> = Arc::default();
    let (start, results) = insights_rules(&seen_q);
    let src = source(xray(&[&denied]), logs(&[&start, &results]));
    let got = src.failing_requests(scope(), T0, T0 + 900_000, 2).await.expect("the logs answer");
    assert_eq!(got.len(), 2, "limit");
    assert_eq!(got[0].correlation_id, "3f1c9a52-7e4b-4d1a-9c2e-1b2a3c4d5e6f");
    assert_eq!(got[1].correlation_id, "c-9f3a6e1d");

    // Both failing: an error with the fix.
    let denied_q = mock!(aws_sdk_cloudwatchlogs::Client::start_query).then_error(|| {
        aws_sdk_cloudwatchlogs::operation::start_query::StartQueryError::generic(
            aws_sdk_cloudwatchlogs::error::ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("no")
                .build(),
        )
    });
    let src = source(xray(&[&denied]), logs(&[&denied_q]));
    let e = src.failing_requests(scope(), T0, T0 + 900_000, 20).await.expect_err("both failed");
    assert_eq!(e.kind, SourceErrorKind::Auth);
    assert!(e.message.contains("X-Ray GetTraceSummaries: access denied"), "{}", e.message);
    assert!(e.message.contains("CloudWatch Logs StartQuery: access denied"), "{}", e.message);
    assert!(e.hint.as_deref().unwrap_or_default().contains("xray:GetTraceSummaries"), "{e:?}");
}

#[tokio::test]
async fn a_query_that_never_completes_is_given_up() {
    let summaries = mock!(aws_sdk_xray::Client::get_trace_summaries)
        .then_output(|| GetTraceSummariesOutput::builder().build());
    let start = mock!(aws_sdk_cloudwatchlogs::Client::start_query)
        .then_output(|| StartQueryOutput::builder().query_id("q-1").build());
    let running = mock!(aws_sdk_cloudwatchlogs::Client::get_query_results)
        .then_output(|| GetQueryResultsOutput::builder().status(QueryStatus::Running).build());
    let src = source(xray(&[&summaries]), logs(&[&start, &running])).with_insights_timing(
        InsightsTiming {
            poll_every: Duration::from_millis(5),
            give_up_after: Duration::from_millis(500),
        },
    );
    let e = src.failing_requests(scope(), T0, T0 + 900_000, 20).await.expect_err("gave up");
    assert!(e.message.contains("did not finish"), "{}", e.message);
    assert!(running.num_calls() >= 2);

    let failed = mock!(aws_sdk_cloudwatchlogs::Client::get_query_results)
        .then_output(|| GetQueryResultsOutput::builder().status(QueryStatus::Failed).build());
    let src = source(xray(&[&summaries]), logs(&[&start, &failed]));
    let e = src.failing_requests(scope(), T0, T0 + 900_000, 20).await.expect_err("failed");
    assert!(e.message.contains("ended Failed"), "{}", e.message);
}

#[tokio::test]
async fn regions_outside_the_boundary_make_no_call() {
    let summaries = mock!(aws_sdk_xray::Client::get_trace_summaries)
        .then_output(|| GetTraceSummariesOutput::builder().build());
    let start = mock!(aws_sdk_cloudwatchlogs::Client::start_query)
        .then_output(|| StartQueryOutput::builder().query_id("q-1").build());
    let src = AwsRequests::with_clients(
        boundary(),
        &[worker()],
        BTreeMap::from([("us-east-1".to_string(), xray(&[&summaries]))]),
        BTreeMap::from([("us-east-1".to_string(), logs(&[&start]))]),
        LineParser::default(),
    );
    let outside = Scope { region: "us-east-1".into(), ..scope() };
    let e = src.failing_requests(outside, T0, T0 + 60_000, 20).await.expect_err("outside");
    assert_eq!(e.kind, SourceErrorKind::Invalid);
    assert_eq!(summaries.num_calls() + start.num_calls(), 0);
}
