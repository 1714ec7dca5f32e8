//! X-Ray trace source against mocked X-Ray clients (aws-smithy-mocks): the filter expressions
//! it sends, paging through `NextToken`, `BatchGetTraces` in calls of at most five ids, similar
//! traces when the request was not sampled, and the boundary.

use aws_sdk_xray::Client;
use aws_sdk_xray::config::retry::RetryConfig;
use aws_sdk_xray::error::ErrorMetadata;
use aws_sdk_xray::operation::batch_get_traces::{BatchGetTracesInput, BatchGetTracesOutput};
use aws_sdk_xray::operation::get_trace_summaries::{
    GetTraceSummariesError, GetTraceSummariesInput, GetTraceSummariesOutput,
};
use aws_sdk_xray::primitives::DateTime;
use aws_sdk_xray::types::{
    AnnotationValue, Http, Segment, ServiceId, Trace as SdkTrace, TraceSummary as SdkSummary,
    ValueWithServiceIds,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use warroom::model::{Boundary, Continent, Millis, SpanLink};
use warroom::source::aws::XRayTraces;
use warroom::source::{SourceErrorKind, TraceKey, TraceQuery, TraceSource};

const T0: Millis = 1_700_000_000_000;

fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_xray, RuleMode::MatchAny, rules, |c| c.retry_config(
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

fn source(c: Client) -> XRayTraces {
    XRayTraces::with_clients(boundary(), BTreeMap::from([("eu-west-1".to_string(), c)]))
}

fn query(key: TraceKey) -> TraceQuery {
    TraceQuery {
        region: "eu-west-1".into(),
        key,
        from: T0,
        to: T0 + 15 * 60_000,
        service: None,
        operation: None,
    }
}

fn trace_id(i: usize) -> String {
    format!("1-6553f100-{i:024x}")
}

/// A root segment of trace `id` (one per trace), `correlation_id` annotated.
fn root_doc(id: &str, cid: &str, start_s: f64) -> String {
    serde_json::json!({
        "name": "api", "id": format!("seg-{}", &id[id.len() - 4..]), "trace_id": id,
        "start_time": start_s, "end_time": start_s + 0.2,
        "annotations": {"correlation_id": cid},
        "http": {"request": {"method": "GET", "url": "https://api/cart"},
                 "response": {"status": 200}}
    })
    .to_string()
}

fn sdk_trace(id: &str, docs: &[String]) -> SdkTrace {
    let mut t = SdkTrace::builder().id(id).duration(0.2);
    for (i, d) in docs.iter().enumerate() {
        t = t.segments(Segment::builder().id(format!("s{i}")).document(d).build());
    }
    t.build()
}

fn summary(id: &str, start: Millis, fault: bool, cid: Option<&str>) -> SdkSummary {
    let mut s = SdkSummary::builder()
        .id(id)
        .start_time(DateTime::from_millis(start))
        .duration(0.25)
        .has_fault(fault)
        .has_error(false)
        .has_throttle(false)
        .entry_point(ServiceId::builder().name("invoice-api").build())
        .http(
            Http::builder()
                .http_method("POST")
                .http_url("https://api.example.com/invoices/42/approve")
                .http_status(if fault { 502 } else { 200 })
                .build(),
        );
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

fn summaries(items: Vec<SdkSummary>, token: Option<&str>) -> GetTraceSummariesOutput {
    GetTraceSummariesOutput::builder()
        .set_trace_summaries(Some(items))
        .set_next_token(token.map(str::to_string))
        .build()
}

type Seen<I> = Arc<Mutex<Vec<I>>>;

/// A `BatchGetTraces` rule answering every asked id that `known` accepts with one root
/// document, recording the inputs.
fn batch_rule(seen: &Seen<BatchGetTracesInput>, known: fn(&str) -> bool) -> Rule {
    let seen = seen.clone();
    mock!(Client::batch_get_traces).then_compute_output(move |input| {
        seen.lock().unwrap().push(input.clone());
        let mut out = BatchGetTracesOutput::builder();
        for (n, id) in input.trace_ids().iter().enumerate() {
            if known(id) {
                let doc = root_doc(id, "c-1", (T0 / 1000) as f64 + 60.0 + n as f64);
                out = out.traces(sdk_trace(id, &[doc]));
            } else {
                out = out.unprocessed_trace_ids(id);
            }
        }
        out.build()
    })
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn correlation_id_is_searched_with_a_filter_expression() {
    let seen_sum: Seen<GetTraceSummariesInput> = Arc::default();
    let seen_batch: Seen<BatchGetTracesInput> = Arc::default();
    let sums = {
        let seen = seen_sum.clone();
        mock!(Client::get_trace_summaries).then_compute_output(move |input| {
            seen.lock().unwrap().push(input.clone());
            summaries(vec![summary(&trace_id(1), T0 + 60_000, false, Some("c-1"))], None)
        })
    };
    let batch = batch_rule(&seen_batch, |_| true);
    let src = source(client(&[&sums, &batch]));
    assert_eq!(src.name(), "xray");
    assert_eq!(src.regions(), ["eu-west-1"]);

    let found = src.trace(query(TraceKey::CorrelationId("c-1".into()))).await.expect("lookup");
    let inputs = seen_sum.lock().unwrap().clone();
    assert_eq!(inputs.len(), 1);
    let i = &inputs[0];
    assert_eq!(i.filter_expression(), Some(r#"annotation.correlation_id = "c-1""#));
    assert_eq!(i.start_time(), Some(&DateTime::from_millis(T0)));
    assert_eq!(i.end_time(), Some(&DateTime::from_millis(T0 + 15 * 60_000)));
    assert_eq!(i.sampling(), Some(false));
    assert_eq!(i.next_token(), None);
    assert_eq!(seen_batch.lock().unwrap()[0].trace_ids(), [trace_id(1)]);

    let trace = found.trace.expect("the trace");
    assert!(found.similar.is_empty());
    assert_eq!(trace.trace_id, trace_id(1));
    assert_eq!(trace.correlation_id, "c-1");
    assert_eq!(trace.region, "eu-west-1", "the queried region when the documents name none");
    assert_eq!(trace.spans.len(), 1);
    assert_eq!(trace.spans[0].operation, "GET /cart");

    // A configured annotation key, escaped id.
    seen_sum.lock().unwrap().clear();
    let src = source(client(&[&sums, &batch])).with_correlation_key("request_id");
    src.trace(query(TraceKey::CorrelationId(r#"r"7\"#.into()))).await.unwrap();
    assert_eq!(
        seen_sum.lock().unwrap()[0].filter_expression(),
        Some(r#"annotation.request_id = "r\"7\\""#)
    );

    // An id X-Ray cannot hold: Invalid, and no call.
    let calls = sums.num_calls();
    let err = src.trace(query(TraceKey::CorrelationId("a\nb".into()))).await.unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Invalid);
    let err = source(client(&[&sums, &batch]))
        .with_correlation_key("x-request-id")
        .trace(query(TraceKey::CorrelationId("c-1".into())))
        .await
        .unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Invalid);
    assert!(err.message.contains("annotation key"), "{}", err.message);
    assert_eq!(sums.num_calls(), calls);
}

#[tokio::test]
async fn summaries_are_paged_and_traces_read_five_at_a_time() {
    let seen_sum: Seen<GetTraceSummariesInput> = Arc::default();
    let seen_batch: Seen<BatchGetTracesInput> = Arc::default();
    let sums = {
        let seen = seen_sum.clone();
        mock!(Client::get_trace_summaries).then_compute_output(move |input| {
            seen.lock().unwrap().push(input.clone());
            let page = |r: std::ops::Range<usize>| {
                r.map(|i| summary(&trace_id(i), T0 + i as i64, false, Some("c-1"))).collect()
            };
            match input.next_token() {
                None => summaries(page(0..5), Some("p2")),
                // An empty page that still has more.
                Some("p2") => summaries(vec![], Some("p3")),
                Some("p3") => summaries(page(5..12), None),
                Some(other) => panic!("unexpected token {other}"),
            }
        })
    };
    let batch = batch_rule(&seen_batch, |_| true);
    let src = source(client(&[&sums, &batch]));
    let found = src.trace(query(TraceKey::CorrelationId("c-1".into()))).await.unwrap();

    let tokens: Vec<Option<String>> = seen_sum
        .lock()
        .unwrap()
        .iter()
        .map(|i| {
            assert_eq!(i.filter_expression(), Some(r#"annotation.correlation_id = "c-1""#));
            i.next_token().map(str::to_string)
        })
        .collect();
    assert_eq!(tokens, [None, Some("p2".into()), Some("p3".into())]);

    let calls: Vec<Vec<String>> =
        seen_batch.lock().unwrap().iter().map(|i| i.trace_ids().to_vec()).collect();
    let sizes: Vec<usize> = calls.iter().map(Vec::len).collect();
    assert_eq!(sizes, [5, 5, 2], "12 ids in calls of at most 5");
    let asked: Vec<String> = calls.concat();
    assert_eq!(asked, (0..12).map(trace_id).collect::<Vec<_>>(), "each id once, in order");

    // The twelve traces of the request are read as one.
    let trace = found.trace.unwrap();
    assert_eq!(trace.spans.len(), 12);
    assert!(trace.spans.iter().all(|s| s.link == SpanLink::Root));
    assert_eq!(trace.trace_id, trace_id(0), "the earliest root's trace");
}

#[tokio::test]
async fn a_trace_id_is_read_without_a_search() {
    let seen_batch: Seen<BatchGetTracesInput> = Arc::default();
    let sums = mock!(Client::get_trace_summaries)
        .then_compute_output(|_| -> GetTraceSummariesOutput { panic!("no search for a trace id") });
    let batch = batch_rule(&seen_batch, |id| id.ends_with('7'));
    let src = source(client(&[&sums, &batch]));
    let found = src.trace(query(TraceKey::TraceId(trace_id(7)))).await.unwrap();
    assert_eq!(found.trace.unwrap().trace_id, trace_id(7));
    assert_eq!(sums.num_calls(), 0);
    assert_eq!(seen_batch.lock().unwrap()[0].trace_ids(), [trace_id(7)]);

    // Unknown and no service given: nothing, and still no search.
    let none = src.trace(query(TraceKey::TraceId(trace_id(8)))).await.unwrap();
    assert!(none.trace.is_none() && none.similar.is_empty());
    assert_eq!(sums.num_calls(), 0);
}

#[tokio::test]
async fn not_sampled_gives_similar_traces_failing_first() {
    let seen_sum: Seen<GetTraceSummariesInput> = Arc::default();
    let seen_batch: Seen<BatchGetTracesInput> = Arc::default();
    let sums = {
        let seen = seen_sum.clone();
        mock!(Client::get_trace_summaries).then_compute_output(move |input| {
            seen.lock().unwrap().push(input.clone());
            let expr = input.filter_expression().unwrap_or_default();
            if expr.starts_with("annotation.") {
                return summaries(vec![], None);
            }
            // 30 traces of the service, every fifth failing, over two pages.
            let s = |i: usize| {
                summary(&trace_id(100 + i), T0 + i as i64 * 1000, i.is_multiple_of(5), None)
            };
            match input.next_token() {
                None => summaries((0..15).map(s).collect(), Some("more")),
                Some(_) => summaries((15..30).map(s).collect(), None),
            }
        })
    };
    let batch = batch_rule(&seen_batch, |_| true);
    let src = source(client(&[&sums, &batch]));
    let q = TraceQuery {
        service: Some("invoice-api".into()),
        operation: Some("POST /invoices/{id}/approve".into()),
        ..query(TraceKey::CorrelationId("c-unsampled".into()))
    };
    let found = src.trace(q).await.unwrap();
    assert!(found.trace.is_none());
    assert_eq!(batch.num_calls(), 0, "nothing to read");

    let exprs: Vec<String> = seen_sum
        .lock()
        .unwrap()
        .iter()
        .map(|i| i.filter_expression().unwrap_or_default().to_string())
        .collect();
    let similar_expr = r#"service("invoice-api") AND http.method = "POST" AND http.url CONTAINS "/invoices/" AND http.url CONTAINS "/approve""#;
    assert_eq!(exprs, [r#"annotation.correlation_id = "c-unsampled""#, similar_expr, similar_expr]);
    for i in seen_sum.lock().unwrap().iter() {
        assert_eq!(i.start_time(), Some(&DateTime::from_millis(T0)), "the same window");
    }

    assert_eq!(found.similar.len(), 20, "at most 20");
    let failing: Vec<&str> =
        found.similar.iter().take_while(|s| s.failed()).map(|s| s.trace_id.as_str()).collect();
    let expected: Vec<String> = [25, 20, 15, 10, 5, 0].iter().map(|i| trace_id(100 + i)).collect();
    assert_eq!(failing, expected, "failing first, newest first");
    assert_eq!(found.similar[6].trace_id, trace_id(129), "then the newest of the rest");
    let first = &found.similar[0];
    assert_eq!(
        (first.service.as_str(), first.operation.as_str(), first.status),
        ("invoice-api", "POST /invoices/42/approve", 502)
    );
    assert_eq!(first.start, T0 + 25_000);
    assert!((first.duration_ms - 250.0).abs() < 1e-9);
}

#[tokio::test]
async fn only_boundary_regions_are_asked() {
    let sums = mock!(Client::get_trace_summaries).then_output(|| summaries(vec![], None));
    let batch =
        mock!(Client::batch_get_traces).then_output(|| BatchGetTracesOutput::builder().build());
    let c = client(&[&sums, &batch]);
    // A client handed in for a region outside the boundary is dropped.
    let src = XRayTraces::with_clients(
        boundary(),
        BTreeMap::from([("eu-west-1".to_string(), c.clone()), ("us-east-1".to_string(), c)]),
    );
    assert_eq!(src.regions(), ["eu-west-1"]);
    for key in [TraceKey::CorrelationId("c-1".into()), TraceKey::TraceId(trace_id(1))] {
        let q = TraceQuery { region: "us-east-1".into(), ..query(key) };
        let err = src.trace(q).await.unwrap_err();
        assert_eq!(err.kind, SourceErrorKind::Invalid);
        assert!(err.message.contains("outside the boundary"), "{}", err.message);
    }
    // In the boundary but without a client: an error, no call either.
    let q = TraceQuery { region: "eu-central-1".into(), ..query(TraceKey::TraceId(trace_id(1))) };
    assert_eq!(src.trace(q).await.unwrap_err().kind, SourceErrorKind::Other);
    assert_eq!(sums.num_calls() + batch.num_calls(), 0);

    // An empty window is refused before any call.
    let q = TraceQuery { to: T0, ..query(TraceKey::CorrelationId("c-1".into())) };
    assert_eq!(src.trace(q).await.unwrap_err().kind, SourceErrorKind::Invalid);
    assert_eq!(sums.num_calls(), 0);
}

#[tokio::test]
async fn service_errors_are_explained() {
    let denied = mock!(Client::get_trace_summaries).then_error(|| {
        GetTraceSummariesError::generic(
            ErrorMetadata::builder().code("AccessDeniedException").message("no xray:Get").build(),
        )
    });
    let src = source(client(&[&denied]));
    let err = src.trace(query(TraceKey::CorrelationId("c-1".into()))).await.unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Auth);
    assert!(err.message.contains("GetTraceSummaries"), "{}", err.message);
    assert!(err.hint.is_some());

    let throttled = mock!(Client::get_trace_summaries).then_error(|| {
        GetTraceSummariesError::generic(
            ErrorMetadata::builder().code("ThrottledException").message("slow down").build(),
        )
    });
    let src = source(client(&[&throttled]));
    let err = src.trace(query(TraceKey::CorrelationId("c-1".into()))).await.unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Throttled);
    assert_eq!(throttled.num_calls(), 2, "retried by the SDK first");
}

// ---------------------------------------------------------------------------------------------
// Not annotated: the trace through the request's log lines

mod through_logs {
    use super::*;
    use aws_sdk_cloudwatchlogs::operation::filter_log_events::{
        FilterLogEventsInput, FilterLogEventsOutput,
    };
    use aws_sdk_cloudwatchlogs::types::FilteredLogEvent;
    use warroom::config::ServiceConfig;
    use warroom::model::logline::LineParser;
    use warroom::source::aws::{CloudWatchLogs, FoundBy, LogGroups};

    const GROUP: &str = "/aws/lambda/invoice-approval-worker";
    const RID: &str = "3f1c9a52-7e4b-4d1a-9c2e-1b2a3c4d5e6f";

    fn logs_source(rule: &Rule) -> Arc<CloudWatchLogs> {
        let svc = ServiceConfig {
            name: "invoice-approval-worker".into(),
            namespace: "AWS/Lambda".into(),
            dimensions: Default::default(),
            requests_metric: "Invocations".into(),
            errors_metric: "Errors".into(),
            latency_metric: "Duration".into(),
            regions: vec![],
            log_groups: vec![GROUP.into()],
            operations: vec![],
        };
        let c = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[rule]);
        Arc::new(CloudWatchLogs::with_clients(
            BTreeMap::from([("eu-west-1".to_string(), c)]),
            LogGroups::plan(&boundary(), &[svc]),
            LineParser::default(),
        ))
    }

    fn event(id: &str, at: Millis, message: &str) -> FilteredLogEvent {
        FilteredLogEvent::builder()
            .event_id(id)
            .log_stream_name("2026/03/12/[$LATEST]8d3f0a6b")
            .timestamp(at)
            .ingestion_time(at + 200)
            .message(message)
            .build()
    }

    /// FilterLogEvents answering by the quoted term it is asked for.
    fn filter_rule(
        seen: &Seen<FilterLogEventsInput>,
        lines: Vec<(String, Vec<FilteredLogEvent>)>,
    ) -> Rule {
        let seen = seen.clone();
        mock!(aws_sdk_cloudwatchlogs::Client::filter_log_events).then_compute_output(move |i| {
            seen.lock().unwrap().push(i.clone());
            let pattern = i.filter_pattern().unwrap_or_default().to_string();
            let events = lines
                .iter()
                .find(|(p, _)| *p == pattern)
                .map(|(_, e)| e.clone())
                .unwrap_or_default();
            FilterLogEventsOutput::builder().set_events(Some(events)).build()
        })
    }

    fn no_summaries() -> Rule {
        mock!(Client::get_trace_summaries).then_output(|| summaries(vec![], None))
    }

    #[tokio::test]
    async fn a_trace_header_in_the_request_s_lines() {
        let header = format!(
            r#"{{"level":"INFO","correlationId":"c-9f3a","message":"calling ledger","traceHeader":"Root={};Parent=53995c3f42cd8ad8;Sampled=1"}}"#,
            trace_id(7)
        );
        let seen_f: Seen<FilterLogEventsInput> = Arc::default();
        let filter = filter_rule(
            &seen_f,
            vec![(r#""c-9f3a""#.into(), vec![event("e1", T0 + 61_000, &header)])],
        );
        let seen_b: Seen<BatchGetTracesInput> = Arc::default();
        let batch = batch_rule(&seen_b, |_| true);
        let sums = no_summaries();
        let src = source(client(&[&sums, &batch])).with_logs(logs_source(&filter));
        let (found, by) = src
            .trace_explained(query(TraceKey::CorrelationId("c-9f3a".into())))
            .await
            .expect("lookup");
        assert_eq!(by, Some(FoundBy::LogLine));
        assert_eq!(found.trace.expect("a trace").trace_id, trace_id(7));
        assert_eq!(seen_b.lock().unwrap()[0].trace_ids(), [trace_id(7)]);
        let asked: Vec<Option<String>> =
            seen_f.lock().unwrap().iter().map(|i| i.filter_pattern().map(str::to_string)).collect();
        assert_eq!(asked, [Some(r#""c-9f3a""#.to_string())]);
        assert_eq!(
            by.unwrap().describe("correlation_id"),
            "found by the trace id in its log lines (not annotated in X-Ray)"
        );
    }

    #[tokio::test]
    async fn the_xray_line_of_the_lambda_request() {
        // The request's line is written by the Lambda runtime: it names the request id. The
        // REPORT event of that request carries the XRAY TraceId line.
        let app_line = format!(
            "2026-03-12T09:11:40.003Z\t{RID}\tERROR\t{{\"correlationId\":\"c-9f3a\",\"message\":\"ledger timed out\"}}"
        );
        let report = format!(
            "REPORT RequestId: {RID}\tDuration: 3003.12 ms\tBilled Duration: 3000 ms\tMemory Size: 512 MB\tMax Memory Used: 88 MB\t\nXRAY TraceId: {}\tSegmentId: 53995c3f42cd8ad8\tSampled: true\t\n",
            trace_id(9)
        );
        let seen_f: Seen<FilterLogEventsInput> = Arc::default();
        let filter = filter_rule(
            &seen_f,
            vec![
                (r#""c-9f3a""#.into(), vec![event("e1", T0 + 60_003, &app_line)]),
                (
                    format!("\"{RID}\""),
                    vec![
                        event(
                            "e0",
                            T0 + 57_000,
                            &format!("START RequestId: {RID} Version: $LATEST\n"),
                        ),
                        event("e1", T0 + 60_003, &app_line),
                        event("e2", T0 + 60_010, &format!("END RequestId: {RID}\n")),
                        event("e3", T0 + 60_010, &report),
                    ],
                ),
            ],
        );
        let seen_b: Seen<BatchGetTracesInput> = Arc::default();
        let batch = batch_rule(&seen_b, |_| true);
        let sums = no_summaries();
        let src = source(client(&[&sums, &batch])).with_logs(logs_source(&filter));
        let (found, by) = src
            .trace_explained(query(TraceKey::CorrelationId("c-9f3a".into())))
            .await
            .expect("lookup");
        assert_eq!(by, Some(FoundBy::LambdaRequest(RID.into())));
        assert_eq!(found.trace.expect("a trace").trace_id, trace_id(9));
        let asked: Vec<String> = seen_f
            .lock()
            .unwrap()
            .iter()
            .filter_map(|i| i.filter_pattern().map(str::to_string))
            .collect();
        assert_eq!(asked, [r#""c-9f3a""#.to_string(), format!("\"{RID}\"")]);
        assert_eq!(seen_b.lock().unwrap()[0].trace_ids(), [trace_id(9)]);
    }

    #[tokio::test]
    async fn summaries_failing_still_find_it_through_the_logs_or_report_the_failure() {
        let header = format!(
            r#"{{"correlationId":"c-9f3a","message":"X-Amzn-Trace-Id: Root={}"}}"#,
            trace_id(3)
        );
        let seen_f: Seen<FilterLogEventsInput> = Arc::default();
        let filter = filter_rule(
            &seen_f,
            vec![(r#""c-9f3a""#.into(), vec![event("e1", T0 + 61_000, &header)])],
        );
        let denied = mock!(Client::get_trace_summaries).then_error(|| {
            GetTraceSummariesError::generic(
                ErrorMetadata::builder().code("AccessDeniedException").message("no").build(),
            )
        });
        let seen_b: Seen<BatchGetTracesInput> = Arc::default();
        let batch = batch_rule(&seen_b, |_| true);
        let src = source(client(&[&denied, &batch])).with_logs(logs_source(&filter));
        let (found, by) = src
            .trace_explained(query(TraceKey::CorrelationId("c-9f3a".into())))
            .await
            .expect("found");
        assert_eq!(by, Some(FoundBy::LogLine));
        assert_eq!(found.trace.unwrap().trace_id, trace_id(3));

        // No trace id in the lines: the summaries' failure is the answer.
        let empty = filter_rule(&seen_f, vec![]);
        let src = source(client(&[&denied, &batch])).with_logs(logs_source(&empty));
        let e = src.trace(query(TraceKey::CorrelationId("c-9f3a".into()))).await.unwrap_err();
        assert_eq!(e.kind, SourceErrorKind::Auth);
    }
}
