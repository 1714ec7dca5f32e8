//! Finding the services to watch instead of listing them in `[[services]]`.
//!
//! # Application Signals
//!
//! In each region of the boundary (never another): `ListServices` over the last
//! [`DISCOVERY_LOOKBACK_MS`], through `NextToken`, keeps the summaries whose key attributes
//! say `Type = Service`; for each, `ListServiceOperations` with the same key attributes gives
//! its operations. Each becomes a service in namespace [`APPLICATION_SIGNALS_NAMESPACE`] with
//! dimensions `Service` and `Environment` (an operation adds `Operation`), the dimensions of
//! Application Signals' standard metrics: requests are the `SampleCount` of `Latency`, errors
//! the `Sum` of `Fault` (server faults; `Error` counts the callers' 4xx), latency the p50/p99
//! of `Latency`. The RED of every discovered service of a region then comes from the one
//! `GetMetricData` per region the metrics source makes. A service running on Lambda
//! (`PlatformType = AWS::Lambda` in its attribute maps) gets its function's log group
//! `/aws/lambda/<name>`.
//!
//! # Lambda
//!
//! `ListFunctions` in each region through `NextMarker`: each function is a service of
//! `AWS/Lambda` with dimension `FunctionName` (`Invocations`, `Errors`, `Duration`) and its
//! log group (its `LoggingConfig.LogGroup`, else `/aws/lambda/<name>`), and one operation,
//! [`LAMBDA_OPERATION`], so the drill-down reaches its failing requests.
//!
//! A service found in several regions is one service listing those regions. A region whose
//! discovery fails is reported and the others are used. Both are read-only.

use super::error::from_sdk;
use crate::config::{Discover, OperationConfig, ServiceConfig};
use crate::model::{Boundary, Millis};
use crate::source::SourceError;
use std::collections::BTreeMap;

/// The namespace of Application Signals' standard metrics.
pub const APPLICATION_SIGNALS_NAMESPACE: &str = "ApplicationSignals";
/// How far back services must have reported to be discovered.
pub const DISCOVERY_LOOKBACK_MS: Millis = 24 * 3_600_000;
/// The one operation of a discovered Lambda function.
pub const LAMBDA_OPERATION: &str = "Invoke";
/// Pages followed per region and call before giving up.
const MAX_PAGES: usize = 20;

const LIST_SERVICES_OP: &str = "Application Signals ListServices";
const LIST_OPERATIONS_OP: &str = "Application Signals ListServiceOperations";
const LIST_FUNCTIONS_OP: &str = "Lambda ListFunctions";

/// What discovery found: the services, and the regions whose discovery failed.
#[derive(Debug, Default)]
pub struct Discovered {
    pub services: Vec<ServiceConfig>,
    pub failures: Vec<(String, SourceError)>,
}

/// Is this a service of Application Signals' standard metrics (requests are the sample count
/// of `Latency`)?
pub fn is_application_signals(svc: &ServiceConfig) -> bool {
    svc.namespace == APPLICATION_SIGNALS_NAMESPACE
}

fn app_signals_service(name: &str, environment: Option<&str>, region: &str) -> ServiceConfig {
    let mut dimensions = BTreeMap::from([("Service".to_string(), name.to_string())]);
    if let Some(env) = environment {
        dimensions.insert("Environment".to_string(), env.to_string());
    }
    ServiceConfig {
        name: name.to_string(),
        namespace: APPLICATION_SIGNALS_NAMESPACE.into(),
        dimensions,
        requests_metric: "Latency".into(),
        errors_metric: "Fault".into(),
        latency_metric: "Latency".into(),
        regions: vec![region.to_string()],
        log_groups: Vec::new(),
        operations: Vec::new(),
    }
}

fn lambda_service(name: &str, log_group: Option<&str>, region: &str) -> ServiceConfig {
    ServiceConfig {
        name: name.to_string(),
        namespace: "AWS/Lambda".into(),
        dimensions: BTreeMap::from([("FunctionName".to_string(), name.to_string())]),
        requests_metric: "Invocations".into(),
        errors_metric: "Errors".into(),
        latency_metric: "Duration".into(),
        regions: vec![region.to_string()],
        log_groups: vec![log_group.map_or_else(|| format!("/aws/lambda/{name}"), str::to_string)],
        // A function has one operation, its invocation: the drill-down reaches its failing
        // requests through it (its series is the function's).
        operations: vec![OperationConfig {
            name: LAMBDA_OPERATION.into(),
            dimensions: BTreeMap::new(),
        }],
    }
}

/// Add `svc` (found in one region) to `all`: a service of the same name and dimensions found
/// before gets the region (and any operation it lacked).
fn merge_into(all: &mut Vec<ServiceConfig>, svc: ServiceConfig) {
    match all.iter_mut().find(|s| s.name == svc.name && s.dimensions == svc.dimensions) {
        Some(s) => {
            for r in svc.regions {
                if !s.regions.contains(&r) {
                    s.regions.push(r);
                }
            }
            for op in svc.operations {
                if !s.operations.iter().any(|o| o.name == op.name) {
                    s.operations.push(op);
                }
            }
        }
        None => all.push(svc),
    }
}

/// Application Signals discovery with the given clients, keyed by region (regions outside
/// the boundary are not asked).
pub async fn application_signals(
    boundary: &Boundary,
    clients: &BTreeMap<String, aws_sdk_applicationsignals::Client>,
    now: Millis,
) -> Discovered {
    let mut out = Discovered::default();
    for (_, region) in boundary.regions() {
        let Some(client) = clients.get(region) else { continue };
        match app_signals_region(client, region, now).await {
            Ok(found) => found.into_iter().for_each(|s| merge_into(&mut out.services, s)),
            Err(e) => out.failures.push((region.to_string(), e)),
        }
    }
    out
}

async fn app_signals_region(
    client: &aws_sdk_applicationsignals::Client,
    region: &str,
    now: Millis,
) -> Result<Vec<ServiceConfig>, SourceError> {
    use aws_sdk_applicationsignals::primitives::DateTime;
    let (start, end) =
        (DateTime::from_millis(now - DISCOVERY_LOOKBACK_MS), DateTime::from_millis(now));
    let mut summaries = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = client
            .list_services()
            .start_time(start)
            .end_time(end)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| from_sdk(LIST_SERVICES_OP, &e))?;
        summaries.extend(page.service_summaries().iter().cloned());
        token = page.next_token().filter(|t| !t.is_empty()).map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut found = Vec::new();
    for s in summaries {
        let keys = s.key_attributes();
        if keys.get("Type").map(String::as_str) != Some("Service") {
            continue;
        }
        let Some(name) = keys.get("Name").filter(|n| !n.is_empty()) else { continue };
        let mut svc =
            app_signals_service(name, keys.get("Environment").map(String::as_str), region);
        let on_lambda = s
            .attribute_maps()
            .iter()
            .any(|m| m.get("PlatformType").map(String::as_str) == Some("AWS::Lambda"));
        if on_lambda {
            svc.log_groups.push(format!("/aws/lambda/{name}"));
        }
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = client
                .list_service_operations()
                .start_time(start)
                .end_time(end)
                .set_key_attributes(Some(keys.clone()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| from_sdk(LIST_OPERATIONS_OP, &e))?;
            for op in page.service_operations() {
                if !op.name().is_empty() && !svc.operations.iter().any(|o| o.name == op.name()) {
                    svc.operations.push(OperationConfig {
                        name: op.name().to_string(),
                        dimensions: BTreeMap::from([(
                            "Operation".to_string(),
                            op.name().to_string(),
                        )]),
                    });
                }
            }
            token = page.next_token().filter(|t| !t.is_empty()).map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        found.push(svc);
    }
    Ok(found)
}

/// Lambda discovery with the given clients, keyed by region (regions outside the boundary are
/// not asked).
pub async fn lambda_functions(
    boundary: &Boundary,
    clients: &BTreeMap<String, aws_sdk_lambda::Client>,
) -> Discovered {
    let mut out = Discovered::default();
    for (_, region) in boundary.regions() {
        let Some(client) = clients.get(region) else { continue };
        match lambda_region(client, region).await {
            Ok(found) => found.into_iter().for_each(|s| merge_into(&mut out.services, s)),
            Err(e) => out.failures.push((region.to_string(), e)),
        }
    }
    out
}

async fn lambda_region(
    client: &aws_sdk_lambda::Client,
    region: &str,
) -> Result<Vec<ServiceConfig>, SourceError> {
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = client
            .list_functions()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| from_sdk(LIST_FUNCTIONS_OP, &e))?;
        for f in page.functions() {
            let Some(name) = f.function_name().filter(|n| !n.is_empty()) else { continue };
            let group = f.logging_config().and_then(|l| l.log_group());
            found.push(lambda_service(name, group, region));
        }
        marker = page.next_marker().filter(|m| !m.is_empty()).map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    Ok(found)
}

/// Discover the services the config asks for, with clients from `shared` for each region of
/// the boundary.
pub async fn discover(
    shared: &aws_config::SdkConfig,
    boundary: &Boundary,
    how: Discover,
    now: Millis,
) -> Discovered {
    match how {
        Discover::ApplicationSignals => {
            let clients = boundary
                .regions()
                .map(|(_, r)| {
                    let conf = aws_sdk_applicationsignals::config::Builder::from(shared)
                        .region(aws_sdk_applicationsignals::config::Region::new(r.to_string()))
                        .build();
                    (r.to_string(), aws_sdk_applicationsignals::Client::from_conf(conf))
                })
                .collect();
            application_signals(boundary, &clients, now).await
        }
        Discover::Lambda => {
            let clients = boundary
                .regions()
                .map(|(_, r)| {
                    let conf = aws_sdk_lambda::config::Builder::from(shared)
                        .region(aws_sdk_lambda::config::Region::new(r.to_string()))
                        .build();
                    (r.to_string(), aws_sdk_lambda::Client::from_conf(conf))
                })
                .collect();
            lambda_functions(boundary, &clients).await
        }
    }
}
