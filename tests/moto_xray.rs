//! X-Ray source against a local moto server: real HTTP round trips for `GetTraceSummaries`
//! and `BatchGetTraces`, and the segment documents moto stores parsed into a trace tree.
//!
//! moto 5.2.5 cannot evaluate filter expressions (any expression → 500), so the correlation id
//! is matched with [`XRayTraces::matching_locally`] (test-only: no expression, every trace of the
//! window read) and the trace is also read by id with the ordinary source. moto's summaries say
//! `"Users": {}` where the SDK wants a list: the server is started through
//! `tests/moto/xray_server.py`, which sends `[]`. Seeding uses `PutTraceSegments`; the source
//! never calls a mutating API.

mod moto;

use aws_sdk_xray::Client;
use moto::Moto;
use serde_json::json;
use warroom::model::{Boundary, Clock, Continent, Outcome, SpanLink, Trace};
use warroom::source::aws::XRayTraces;
use warroom::source::{SourceErrorKind, TraceKey, TraceQuery, TraceSource};

fn eu_west_1_only() -> Boundary {
    Boundary {
        continents: vec![Continent { name: "EU".into(), regions: vec!["eu-west-1".into()] }],
    }
}

fn trace_id(base_s: f64, tail: &str) -> String {
    format!("1-{:08x}-{tail:0>24}", base_s as u64)
}

/// api → billing (HTTP) → DynamoDB; api → SQS → worker (async, failing), annotated `c-1`.
fn request_c1(t: &str, b: f64) -> Vec<serde_json::Value> {
    vec![
        json!({
            "name": "api", "id": "a000000000000001", "trace_id": t,
            "start_time": b, "end_time": b + 0.5,
            "annotations": {"correlation_id": "c-1"},
            "http": {"request": {"method": "POST", "url": "https://api.example.com/orders"},
                     "response": {"status": 200}},
            "aws": {"region": "eu-west-1"},
            "subsegments": [
                {"name": "billing", "id": "5000000000000001", "namespace": "remote",
                 "start_time": b + 0.05, "end_time": b + 0.3,
                 "http": {"request": {"method": "GET", "url": "http://billing/charge"},
                          "response": {"status": 200}}},
                {"name": "SQS", "id": "5000000000000002", "namespace": "aws",
                 "start_time": b + 0.35, "end_time": b + 0.4,
                 "aws": {"operation": "SendMessage",
                         "queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"}}
            ]
        }),
        json!({
            "name": "billing", "id": "b000000000000001", "trace_id": t,
            "parent_id": "5000000000000001",
            "start_time": b + 0.1, "end_time": b + 0.28,
            "subsegments": [
                {"name": "DynamoDB", "id": "5000000000000003", "namespace": "aws",
                 "start_time": b + 0.12, "end_time": b + 0.2,
                 "aws": {"operation": "PutItem", "table_name": "invoices"}}
            ]
        }),
        json!({
            "name": "worker", "id": "c000000000000001", "trace_id": t,
            "parent_id": "5000000000000002",
            "start_time": b + 1.0, "end_time": b + 1.3,
            "annotations": {"correlation_id": "c-1"},
            "fault": true,
            "cause": {"exceptions": [{"id": "e000000000000001", "message": "card declined",
                                      "type": "PaymentError"}]}
        }),
    ]
}

async fn put(client: &Client, docs: &[serde_json::Value]) {
    let out = client
        .put_trace_segments()
        .set_trace_segment_documents(Some(docs.iter().map(|d| d.to_string()).collect()))
        .send()
        .await
        .expect("PutTraceSegments");
    assert!(out.unprocessed_trace_segments().is_empty(), "{out:?}");
}

fn tree(t: &Trace) -> Vec<(&str, Option<&str>, SpanLink, &str, &str)> {
    t.spans
        .iter()
        .map(|s| {
            (s.id.as_str(), s.parent.as_deref(), s.link, s.service.as_str(), s.operation.as_str())
        })
        .collect()
}

fn assert_request_c1(t: &Trace, id: &str, base_s: f64) {
    assert_eq!(t.trace_id, id);
    assert_eq!(t.correlation_id, "c-1");
    assert_eq!(t.region, "eu-west-1");
    assert_eq!(
        tree(t),
        [
            ("a000000000000001", None, SpanLink::Root, "api", "POST /orders"),
            ("5000000000000001", Some("a000000000000001"), SpanLink::Call, "api", "billing"),
            ("b000000000000001", Some("5000000000000001"), SpanLink::Call, "billing", "billing"),
            (
                "5000000000000003",
                Some("b000000000000001"),
                SpanLink::Call,
                "billing",
                "DynamoDB PutItem"
            ),
            (
                "5000000000000002",
                Some("a000000000000001"),
                SpanLink::Call,
                "api",
                "SQS SendMessage"
            ),
            ("c000000000000001", Some("5000000000000002"), SpanLink::Async, "worker", "worker"),
        ]
    );
    let worker = &t.spans[5];
    assert_eq!(worker.via.as_deref(), Some("orders"));
    assert_eq!(worker.outcome, Outcome::Fault);
    assert_eq!(worker.error.as_deref(), Some("PaymentError: card declined"));
    assert_eq!(worker.start, (base_s * 1000.0).round() as i64 + 1000);
    assert!((worker.duration_ms - 300.0).abs() < 0.01, "{}", worker.duration_ms);
    let dynamo = &t.spans[3];
    assert!(dynamo.aws.contains(&("table_name".into(), "invoices".into())));
    assert_eq!(t.spans[0].status, 200);
    assert!(t.spans.iter().all(|s| s.problems.is_empty()), "{:?}", t.spans);
}

#[tokio::test]
async fn a_request_across_three_services_is_read_back_from_moto() {
    let moto = Moto::start_patched("xray_server.py");
    let now_ms = Clock::Wall.now();
    let base = (now_ms - 5 * 60_000) as f64 / 1000.0;
    let t1 = trace_id(base, "c1");
    let t2 = trace_id(base, "c2");

    let eu = Client::new(&moto.sdk_config("eu-west-1").await);
    put(&eu, &request_c1(&t1, base)).await;
    // Another request of the same service, fine.
    put(
        &eu,
        &[json!({
            "name": "api", "id": "a000000000000002", "trace_id": t2,
            "start_time": base + 2.0, "end_time": base + 2.1,
            "annotations": {"correlation_id": "c-2"},
            "http": {"request": {"method": "GET", "url": "https://api.example.com/cart"},
                     "response": {"status": 200}}
        })],
    )
    .await;
    // Outside the boundary: the same request id and trace id, other documents.
    let us = Client::new(&moto.sdk_config("us-west-2").await);
    put(
        &us,
        &[json!({
            "name": "WRONG REGION", "id": "a000000000000009", "trace_id": t1,
            "start_time": base, "end_time": base + 0.1,
            "annotations": {"correlation_id": "c-1"}
        })],
    )
    .await;

    // The loader's region is not used: one client per boundary region.
    let shared = moto.sdk_config("us-west-2").await;
    let q = |key: TraceKey| TraceQuery {
        region: "eu-west-1".into(),
        key,
        from: now_ms - 10 * 60_000,
        to: now_ms + 60_000,
        service: Some("api".into()),
        operation: None,
    };

    // By correlation id, matched on the documents (moto cannot filter).
    let local = XRayTraces::from_sdk_config(&shared, eu_west_1_only()).matching_locally();
    assert_eq!(local.regions(), ["eu-west-1"]);
    let found = local.trace(q(TraceKey::CorrelationId("c-1".into()))).await.expect("c-1");
    assert!(found.similar.is_empty());
    assert_request_c1(&found.trace.expect("the trace of c-1"), &t1, base);

    // By trace id with the ordinary source: BatchGetTraces only.
    let plain = XRayTraces::from_sdk_config(&shared, eu_west_1_only());
    let by_id = plain.trace(q(TraceKey::TraceId(t1.clone()))).await.expect("by id");
    assert_request_c1(&by_id.trace.expect("the trace"), &t1, base);

    // Not sampled: the service's other traces, failing first.
    let missing = local.trace(q(TraceKey::CorrelationId("c-404".into()))).await.unwrap();
    assert!(missing.trace.is_none());
    let similar: Vec<(&str, bool)> =
        missing.similar.iter().map(|s| (s.trace_id.as_str(), s.failed())).collect();
    assert_eq!(similar, [(t1.as_str(), true), (t2.as_str(), false)]);
    assert_eq!(missing.similar[0].correlation_id.as_deref(), Some("c-1"));

    // Outside the boundary: refused without a call; nothing from us-west-2 ever showed up.
    let err = local
        .trace(TraceQuery { region: "us-west-2".into(), ..q(TraceKey::TraceId(t1.clone())) })
        .await
        .unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Invalid);

    // Without the patch the SDK cannot read moto's summaries: this is what the launcher fixes.
    let unpatched = Moto::start();
    let c = Client::new(&unpatched.sdk_config("eu-west-1").await);
    put(&c, &request_c1(&t1, base)).await;
    let raw = c
        .get_trace_summaries()
        .start_time(aws_sdk_xray::primitives::DateTime::from_millis(now_ms - 10 * 60_000))
        .end_time(aws_sdk_xray::primitives::DateTime::from_millis(now_ms + 60_000))
        .send()
        .await;
    assert!(raw.is_err(), "moto's \"Users\": {{}} no longer breaks the SDK: drop the launcher");
}
