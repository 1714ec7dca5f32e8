//! Service discovery against mocked clients (aws-smithy-mocks): Application Signals'
//! `ListServices` / `ListServiceOperations` and Lambda's `ListFunctions`, with paging, the
//! boundary and a failing region; the discovered services' RED from Application Signals'
//! standard metrics in one `GetMetricData` per region, feeding the overview.

use aws_sdk_applicationsignals::error::ErrorMetadata;
use aws_sdk_applicationsignals::operation::list_service_operations::{
    ListServiceOperationsInput, ListServiceOperationsOutput,
};
use aws_sdk_applicationsignals::operation::list_services::{
    ListServicesError, ListServicesInput, ListServicesOutput,
};
use aws_sdk_applicationsignals::primitives::DateTime;
use aws_sdk_applicationsignals::types::{MetricReference, ServiceOperation, ServiceSummary};
use aws_sdk_cloudwatch::operation::get_metric_data::{GetMetricDataInput, GetMetricDataOutput};
use aws_sdk_cloudwatch::types::MetricDataResult;
use aws_sdk_lambda::operation::list_functions::{ListFunctionsInput, ListFunctionsOutput};
use aws_sdk_lambda::types::{FunctionConfiguration, LoggingConfig};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use warroom::app::{Action, App, Keymap, SourceInfo, SourceMsg, View};
use warroom::model::{Boundary, Clock, Continent, DAY_MS, MINUTE_MS, MetricsQuery, Millis};
use warroom::source::MetricsSource;
use warroom::source::aws::{
    APPLICATION_SIGNALS_NAMESPACE, CloudWatchMetrics, DISCOVERY_LOOKBACK_MS, application_signals,
    lambda_functions,
};

const NOW: Millis = 1_700_000_000_000;

fn eu() -> Boundary {
    Boundary {
        continents: vec![Continent {
            name: "EU".into(),
            regions: vec!["eu-west-1".into(), "eu-central-1".into()],
        }],
    }
}

fn keys(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn latency_ref(service: &str) -> MetricReference {
    MetricReference::builder()
        .namespace("ApplicationSignals")
        .metric_type("LATENCY")
        .metric_name("Latency")
        .build()
        .unwrap_or_else(|e| panic!("{service}: {e}"))
}

/// A summary as ListServices returns it.
fn summary(key_attributes: HashMap<String, String>, platform: &str) -> ServiceSummary {
    let name = key_attributes.get("Name").cloned().unwrap_or_default();
    ServiceSummary::builder()
        .set_key_attributes(Some(key_attributes))
        .attribute_maps(keys(&[("PlatformType", platform), ("Application", "invoices")]))
        .metric_references(latency_ref(&name))
        .build()
        .expect("summary")
}

fn services_page(items: Vec<ServiceSummary>, token: Option<&str>) -> ListServicesOutput {
    ListServicesOutput::builder()
        .start_time(DateTime::from_millis(NOW - DISCOVERY_LOOKBACK_MS))
        .end_time(DateTime::from_millis(NOW))
        .set_service_summaries(Some(items))
        .set_next_token(token.map(str::to_string))
        .build()
        .expect("page")
}

fn operations(names: &[&str]) -> ListServiceOperationsOutput {
    let mut out = ListServiceOperationsOutput::builder()
        .start_time(DateTime::from_millis(NOW - DISCOVERY_LOOKBACK_MS))
        .end_time(DateTime::from_millis(NOW));
    for n in names {
        out = out.service_operations(
            ServiceOperation::builder().name(*n).metric_references(latency_ref(n)).build().unwrap(),
        );
    }
    out.build().expect("operations")
}

type Seen<T> = Arc<Mutex<Vec<T>>>;

/// A metric query as asked: metric, statistic, dimensions (name, value) sorted.
type Asked = (String, String, Vec<(String, String)>);

fn api_keys() -> HashMap<String, String> {
    keys(&[("Type", "Service"), ("Name", "invoice-api"), ("Environment", "eks:prod/invoices")])
}

fn worker_keys() -> HashMap<String, String> {
    keys(&[
        ("Type", "Service"),
        ("Name", "invoice-approval-worker"),
        ("Environment", "lambda:default"),
    ])
}

/// eu-west-1: two pages of services (and a remote service that is not discovered).
fn eu_west_rules(
    seen_s: &Seen<ListServicesInput>,
    seen_o: &Seen<ListServiceOperationsInput>,
) -> (Rule, Rule) {
    let list = {
        let seen = seen_s.clone();
        mock!(aws_sdk_applicationsignals::Client::list_services).then_compute_output(move |i| {
            seen.lock().unwrap().push(i.clone());
            match i.next_token() {
                None => services_page(
                    vec![
                        summary(api_keys(), "AWS::EKS"),
                        summary(
                            keys(&[("Type", "RemoteService"), ("Name", "ledger.example.com")]),
                            "Generic",
                        ),
                    ],
                    Some("page-2"),
                ),
                Some(_) => services_page(vec![summary(worker_keys(), "AWS::Lambda")], None),
            }
        })
    };
    let ops = {
        let seen = seen_o.clone();
        mock!(aws_sdk_applicationsignals::Client::list_service_operations).then_compute_output(
            move |i| {
                seen.lock().unwrap().push(i.clone());
                match i.key_attributes().and_then(|k| k.get("Name")).map(String::as_str) {
                    Some("invoice-api") => {
                        operations(&["POST /invoices/{id}/approve", "GET /invoices/{id}"])
                    }
                    Some("invoice-approval-worker") => operations(&["ApproveInvoice"]),
                    other => panic!("operations of {other:?} asked"),
                }
            },
        )
    };
    (list, ops)
}

#[tokio::test]
async fn application_signals_services_and_operations_are_discovered_per_region() {
    let (seen_s, seen_o): (Seen<ListServicesInput>, Seen<ListServiceOperationsInput>) =
        Default::default();
    let (list, ops) = eu_west_rules(&seen_s, &seen_o);
    let west = mock_client!(aws_sdk_applicationsignals, RuleMode::MatchAny, &[&list, &ops]);
    let denied = mock!(aws_sdk_applicationsignals::Client::list_services).then_error(|| {
        ListServicesError::generic(
            ErrorMetadata::builder().code("AccessDeniedException").message("no").build(),
        )
    });
    let central = mock_client!(aws_sdk_applicationsignals, RuleMode::MatchAny, &[&denied]);
    let outside = mock!(aws_sdk_applicationsignals::Client::list_services)
        .then_output(|| services_page(vec![summary(api_keys(), "AWS::EKS")], None));
    let us = mock_client!(aws_sdk_applicationsignals, RuleMode::MatchAny, &[&outside]);
    let clients = BTreeMap::from([
        ("eu-west-1".to_string(), west),
        ("eu-central-1".to_string(), central),
        ("us-east-1".to_string(), us),
    ]);

    let found = application_signals(&eu(), &clients, NOW).await;

    assert_eq!(outside.num_calls(), 0, "never a region outside the boundary");
    let s = seen_s.lock().unwrap().clone();
    assert_eq!(s.len(), 2, "both pages");
    assert_eq!(s[0].start_time(), Some(&DateTime::from_millis(NOW - DISCOVERY_LOOKBACK_MS)));
    assert_eq!(s[0].end_time(), Some(&DateTime::from_millis(NOW)));
    assert_eq!(s[1].next_token(), Some("page-2"));
    let o = seen_o.lock().unwrap().clone();
    assert_eq!(o.len(), 2, "one ListServiceOperations per service, none for the remote one");
    assert_eq!(o[0].key_attributes(), Some(&api_keys()), "the service's key attributes");

    let names: Vec<&str> = found.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["invoice-api", "invoice-approval-worker"]);
    let api = &found.services[0];
    assert_eq!(api.namespace, APPLICATION_SIGNALS_NAMESPACE);
    assert_eq!(
        api.dimensions,
        BTreeMap::from([
            ("Environment".to_string(), "eks:prod/invoices".to_string()),
            ("Service".to_string(), "invoice-api".to_string()),
        ])
    );
    assert_eq!((api.requests_metric.as_str(), api.errors_metric.as_str()), ("Latency", "Fault"));
    assert_eq!(api.regions, ["eu-west-1"]);
    assert!(api.log_groups.is_empty());
    let ops: Vec<(&str, Option<&String>)> =
        api.operations.iter().map(|o| (o.name.as_str(), o.dimensions.get("Operation"))).collect();
    assert_eq!(ops[0].0, "POST /invoices/{id}/approve");
    assert_eq!(ops[0].1.map(String::as_str), Some("POST /invoices/{id}/approve"));
    assert_eq!(found.services[1].log_groups, ["/aws/lambda/invoice-approval-worker"]);

    assert_eq!(found.failures.len(), 1);
    assert_eq!(found.failures[0].0, "eu-central-1");
    assert!(
        found.failures[0]
            .1
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("application-signals:ListServices"),
        "{:?}",
        found.failures[0].1
    );
}

#[tokio::test]
async fn discovered_services_feed_the_overview_from_application_signals_metrics() {
    let (seen_s, seen_o): (Seen<ListServicesInput>, Seen<ListServiceOperationsInput>) =
        Default::default();
    let (list, ops) = eu_west_rules(&seen_s, &seen_o);
    let west = mock_client!(aws_sdk_applicationsignals, RuleMode::MatchAny, &[&list, &ops]);
    let found =
        application_signals(&eu(), &BTreeMap::from([("eu-west-1".to_string(), west)]), NOW).await;

    // One GetMetricData per region with every discovered series.
    let seen_m: Seen<GetMetricDataInput> = Arc::default();
    let metrics_rule = {
        let seen = seen_m.clone();
        mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_compute_output(move |i| {
            seen.lock().unwrap().push(i.clone());
            let start = i.start_time().unwrap().to_millis().unwrap();
            let mut out = GetMetricDataOutput::builder();
            for q in i.metric_data_queries() {
                let stat = q.metric_stat().unwrap();
                let value =
                    match (stat.metric().unwrap().metric_name().unwrap(), stat.stat().unwrap()) {
                        ("Latency", "SampleCount") => 100.0,
                        ("Fault", "Sum") => 30.0,
                        (_, _) => 250.0,
                    };
                // The last 16 minutes of the span.
                let end = start + 15 * MINUTE_MS + DAY_MS;
                let times: Vec<_> = (0..16)
                    .map(|k| {
                        aws_sdk_cloudwatch::primitives::DateTime::from_millis(
                            end - (16 - k) * MINUTE_MS,
                        )
                    })
                    .collect();
                out = out.metric_data_results(
                    MetricDataResult::builder()
                        .id(q.id().unwrap())
                        .set_timestamps(Some(times))
                        .set_values(Some(vec![value; 16]))
                        .build(),
                );
            }
            out.build()
        })
    };
    let cw = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, &[&metrics_rule]);
    let source = CloudWatchMetrics::with_clients(
        eu(),
        found.services.clone(),
        BTreeMap::from([("eu-west-1".to_string(), cw)]),
    );
    let span = 15 * MINUTE_MS + DAY_MS;
    let snap = source.metrics(MetricsQuery { now: NOW, span }).await.expect("metrics");
    let calls = seen_m.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "one GetMetricData for the region");
    let mut seen: Vec<Asked> = calls[0]
        .metric_data_queries()
        .iter()
        .map(|q| {
            let s = q.metric_stat().unwrap();
            let m = s.metric().unwrap();
            assert_eq!(m.namespace(), Some("ApplicationSignals"));
            let mut d: Vec<(String, String)> = m
                .dimensions()
                .iter()
                .map(|d| (d.name().unwrap().to_string(), d.value().unwrap().to_string()))
                .collect();
            d.sort();
            (m.metric_name().unwrap().to_string(), s.stat().unwrap().to_string(), d)
        })
        .collect();
    seen.sort();
    seen.dedup();
    let worker_op = vec![
        ("Environment".to_string(), "lambda:default".to_string()),
        ("Operation".to_string(), "ApproveInvoice".to_string()),
        ("Service".to_string(), "invoice-approval-worker".to_string()),
    ];
    for (metric, stat) in
        [("Latency", "SampleCount"), ("Fault", "Sum"), ("Latency", "p50"), ("Latency", "p99")]
    {
        assert!(
            seen.contains(&(metric.to_string(), stat.to_string(), worker_op.clone())),
            "{metric} {stat} of the worker's operation: {seen:?}"
        );
    }
    assert_eq!(calls[0].metric_data_queries().len(), 4 * (2 + 3), "two services, three operations");

    // The overview and the drill-down.
    let info = SourceInfo { name: "cloudwatch".into(), scenario: None, title: None };
    let mut app =
        App::new(eu(), Clock::simulated(NOW, 0.0), Keymap::default(), info, 15 * MINUTE_MS, DAY_MS);
    app.on_source(SourceMsg::Metrics { result: Ok(snap), received: NOW });
    assert_eq!(app.rows[0].name, "eu-west-1");
    let stats = app.rows[0].stats.as_ref().expect("eu-west-1 has numbers");
    assert!(stats.window.requests > 0, "{stats:?}");
    app.update(Action::DrillIn);
    assert_eq!(app.view(), &View::Region { region: "eu-west-1".into() });
    let names: Vec<&str> = app.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"invoice-approval-worker") && names.contains(&"invoice-api"));
}

#[tokio::test]
async fn lambda_functions_are_discovered_with_their_log_groups() {
    let seen: Seen<ListFunctionsInput> = Arc::default();
    let rule = {
        let seen = seen.clone();
        mock!(aws_sdk_lambda::Client::list_functions).then_compute_output(move |i| {
            seen.lock().unwrap().push(i.clone());
            match i.marker() {
                None => ListFunctionsOutput::builder()
                    .functions(
                        FunctionConfiguration::builder()
                            .function_name("invoice-approval-worker")
                            .function_arn("arn:aws:lambda:eu-west-1:123456789012:function:invoice-approval-worker")
                            .runtime(aws_sdk_lambda::types::Runtime::Nodejs20x)
                            .timeout(3)
                            .build(),
                    )
                    .next_marker("m-2")
                    .build(),
                Some(_) => ListFunctionsOutput::builder()
                    .functions(
                        FunctionConfiguration::builder()
                            .function_name("invoice-notifier")
                            .logging_config(LoggingConfig::builder().log_group("/shared/invoices").build())
                            .build(),
                    )
                    .build(),
            }
        })
    };
    let west = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[&rule]);
    let found = lambda_functions(&eu(), &BTreeMap::from([("eu-west-1".to_string(), west)])).await;
    assert_eq!(seen.lock().unwrap().len(), 2, "NextMarker followed");
    assert_eq!(seen.lock().unwrap()[1].marker(), Some("m-2"));
    let got: Vec<(&str, &str, Vec<String>, Vec<String>)> = found
        .services
        .iter()
        .map(|s| (s.name.as_str(), s.namespace.as_str(), s.log_groups.clone(), s.regions.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "invoice-approval-worker",
                "AWS/Lambda",
                vec!["/aws/lambda/invoice-approval-worker".to_string()],
                vec!["eu-west-1".to_string()]
            ),
            (
                "invoice-notifier",
                "AWS/Lambda",
                vec!["/shared/invoices".to_string()],
                vec!["eu-west-1".to_string()]
            ),
        ]
    );
    assert_eq!(
        found.services[0].dimensions.get("FunctionName").map(String::as_str),
        Some("invoice-approval-worker")
    );
    assert!(found.failures.is_empty());
    let ops: Vec<&str> = found.services[0].operations.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(ops, ["Invoke"], "one operation to drill into");
    assert!(found.services[0].operations[0].dimensions.is_empty(), "the function's own series");
}
