//! Regional RED metrics from CloudWatch `GetMetricData`.
//!
//! # Request shape
//!
//! One refresh makes **one logical `GetMetricData` request per region of the boundary** (and
//! never touches a region outside it). The request carries four metric queries for every
//! service that runs in the region (its `regions` is empty or lists the region) and four for
//! every configured operation of such a service:
//!
//! | series   | metric             | stat  |
//! |----------|--------------------|-------|
//! | requests | `requests_metric`  | `Sum` |
//! | errors   | `errors_metric`    | `Sum` |
//! | p50      | `latency_metric`   | `p50` |
//! | p99      | `latency_metric`   | `p99` |
//!
//! all with a 60 s period, over `[now - span, now]` with both ends rounded down to the minute
//! (so the current, still filling minute is left out), scanned `TimestampAscending`. The
//! service-level queries use the service's dimensions; an operation's use the service's
//! dimensions with the operation's added (the operation's win on a clash). Query ids are
//! `s<n>_req`, `s<n>_err`, `s<n>_p50`, `s<n>_p99` (`n` numbers the series of the region) and
//! results are mapped back by id, not by position.
//!
//! # Quotas
//!
//! * `GetMetricData` takes at most [`MAX_QUERIES_PER_CALL`] (500) metric queries per call: a
//!   region needing more is split into several calls (a series' four queries stay together).
//! * A call returns at most 100,800 datapoints; the rest come through `NextToken`, which is
//!   followed until it is absent. A page may be empty and still carry a token, and one id's
//!   datapoints may be spread over several pages: they are concatenated.
//! * The API allows 50 transactions per second per region: every call (every page) first
//!   waits on the region's [`RateGuard`], which spaces calls [`DEFAULT_CALL_SPACING`] (25 ms,
//!   i.e. at most 40 calls a second) apart. Throttling that still happens is retried by the
//!   SDK's adaptive retry mode (see [`CloudWatchMetrics::from_env`]).
//!
//! # Answers
//!
//! Every series starts at the aligned start and has one point per minute up to the aligned
//! end. A minute CloudWatch has no datapoint for is 0 requests, 0 errors, 0 latency. Negative,
//! NaN or infinite values become 0, errors are clamped to the requests of the minute, latency
//! is 0 in a minute without requests and p99 is never below p50.
//!
//! A region whose call fails is listed in `MetricsSnapshot::region_errors` and the other
//! regions are still returned; only when every region fails is the whole call an error.

use super::error::from_sdk;
use super::rate::RateGuard;
use crate::config::ServiceConfig;
use crate::model::{
    Boundary, MINUTE_MS, MetricsQuery, MetricsSnapshot, Millis, RedPoint, RedSeries, RegionMetrics,
    ServiceMetrics,
};
use crate::source::{MetricsSource, SourceError, SourceErrorKind};
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// `GetMetricData` accepts at most this many metric queries per call.
pub const MAX_QUERIES_PER_CALL: usize = 500;
/// Minimum time between two `GetMetricData` calls to one region (quota: 50 per second).
pub const DEFAULT_CALL_SPACING: Duration = Duration::from_millis(25);
/// Period of every query, seconds.
const PERIOD_SECS: i32 = 60;
/// Pages followed per call before giving up on a server that never stops paging.
const MAX_PAGES: usize = 1_000;
const OPERATION: &str = "CloudWatch GetMetricData";

/// The four statistics fetched per series, with the suffix of their query ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stat {
    Requests,
    Errors,
    P50,
    P99,
}

impl Stat {
    const ALL: [Stat; 4] = [Stat::Requests, Stat::Errors, Stat::P50, Stat::P99];

    fn suffix(self) -> &'static str {
        match self {
            Stat::Requests => "req",
            Stat::Errors => "err",
            Stat::P50 => "p50",
            Stat::P99 => "p99",
        }
    }

    /// The statistic fetched for this series of `service`. Application Signals publishes no
    /// request count: its requests are the `SampleCount` of `Latency`.
    fn statistic(self, service: &ServiceConfig) -> &'static str {
        match self {
            Stat::Requests if super::discovery::is_application_signals(service) => "SampleCount",
            Stat::Requests | Stat::Errors => "Sum",
            Stat::P50 => "p50",
            Stat::P99 => "p99",
        }
    }
}

/// One series to fetch: a service's total (`operation: None`) or one of its operations.
#[derive(Debug)]
struct SeriesSpec<'a> {
    service: &'a ServiceConfig,
    operation: Option<&'a str>,
    dimensions: BTreeMap<&'a str, &'a str>,
}

impl SeriesSpec<'_> {
    fn metric_name(&self, stat: Stat) -> &str {
        match stat {
            Stat::Requests => &self.service.requests_metric,
            Stat::Errors => &self.service.errors_metric,
            Stat::P50 | Stat::P99 => &self.service.latency_metric,
        }
    }
}

fn query_id(series: usize, stat: Stat) -> String {
    format!("s{series}_{}", stat.suffix())
}

/// Datapoints per query id, concatenated over pages and calls: `(time ms, value)`.
type Answers = HashMap<String, Vec<(Millis, f64)>>;

struct RegionClient {
    client: Client,
    guard: RateGuard,
}

/// [`MetricsSource`] backed by CloudWatch `GetMetricData`, one client per region of the
/// boundary. See the module documentation for the request shape and the quotas.
pub struct CloudWatchMetrics {
    boundary: Boundary,
    services: Vec<ServiceConfig>,
    clients: BTreeMap<String, RegionClient>,
}

impl std::fmt::Debug for CloudWatchMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudWatchMetrics")
            .field("boundary", &self.boundary)
            .field("services", &self.services.len())
            .field("regions", &self.clients.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl CloudWatchMetrics {
    /// Clients from the environment the way the AWS CLI finds credentials (profile, SSO,
    /// environment, instance role), with `profile` when given, adaptive retries and one client
    /// per region of the boundary.
    pub async fn from_env(
        boundary: Boundary,
        services: Vec<ServiceConfig>,
        profile: Option<String>,
    ) -> Self {
        use aws_sdk_cloudwatch::config::Region;

        let shared = super::load_sdk_config(profile.as_deref()).await;
        let clients = boundary
            .regions()
            .map(|(_, region)| {
                let conf = aws_sdk_cloudwatch::config::Builder::from(&shared)
                    .region(Region::new(region.to_string()))
                    .build();
                (region.to_string(), Client::from_conf(conf))
            })
            .collect();
        Self::with_clients(boundary, services, clients)
    }

    /// Use the given clients, keyed by region. Clients for regions outside the boundary are
    /// dropped unused; a region of the boundary without a client is reported in
    /// `region_errors`.
    pub fn with_clients(
        boundary: Boundary,
        services: Vec<ServiceConfig>,
        clients: BTreeMap<String, Client>,
    ) -> Self {
        let clients = clients
            .into_iter()
            .filter(|(region, _)| boundary.contains(region))
            .map(|(region, client)| {
                (region, RegionClient { client, guard: RateGuard::new(DEFAULT_CALL_SPACING) })
            })
            .collect();
        CloudWatchMetrics { boundary, services, clients }
    }

    /// Space calls to each region at least `spacing` apart instead of
    /// [`DEFAULT_CALL_SPACING`].
    pub fn with_call_spacing(mut self, spacing: Duration) -> Self {
        for rc in self.clients.values_mut() {
            rc.guard = RateGuard::new(spacing);
        }
        self
    }

    /// The series a region needs, in a stable order (services in config order, each service's
    /// total before its operations).
    fn plan(&self, region: &str) -> Vec<SeriesSpec<'_>> {
        let mut specs = Vec::new();
        for svc in &self.services {
            if !(svc.regions.is_empty() || svc.regions.iter().any(|r| r == region)) {
                continue;
            }
            let base: BTreeMap<&str, &str> =
                svc.dimensions.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            specs.push(SeriesSpec { service: svc, operation: None, dimensions: base.clone() });
            for op in &svc.operations {
                let mut dims = base.clone();
                dims.extend(op.dimensions.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                specs.push(SeriesSpec {
                    service: svc,
                    operation: Some(op.name.as_str()),
                    dimensions: dims,
                });
            }
        }
        specs
    }

    async fn region_metrics(
        &self,
        region: &str,
        start: Millis,
        minutes: usize,
    ) -> Result<RegionMetrics, SourceError> {
        let Some(rc) = self.clients.get(region) else {
            return Err(SourceError::new(
                SourceErrorKind::Other,
                format!("no CloudWatch client for region {region}"),
            ));
        };
        let specs = self.plan(region);
        let end = start + minutes as Millis * MINUTE_MS;
        let mut answers = Answers::new();
        if minutes > 0 && !specs.is_empty() {
            let queries = build_queries(&specs);
            for chunk in queries.chunks(MAX_QUERIES_PER_CALL) {
                fetch(rc, chunk, start, end, &mut answers).await?;
            }
        }
        Ok(assemble(&specs, &answers, start, minutes))
    }
}

fn build_queries(specs: &[SeriesSpec<'_>]) -> Vec<MetricDataQuery> {
    let mut queries = Vec::with_capacity(specs.len() * Stat::ALL.len());
    for (i, spec) in specs.iter().enumerate() {
        let dims: Vec<Dimension> = spec
            .dimensions
            .iter()
            .map(|(k, v)| Dimension::builder().name(*k).value(*v).build())
            .collect();
        for stat in Stat::ALL {
            let metric = Metric::builder()
                .namespace(&spec.service.namespace)
                .metric_name(spec.metric_name(stat))
                .set_dimensions(Some(dims.clone()))
                .build();
            let metric_stat = MetricStat::builder()
                .metric(metric)
                .period(PERIOD_SECS)
                .stat(stat.statistic(spec.service))
                .build();
            queries.push(
                MetricDataQuery::builder()
                    .id(query_id(i, stat))
                    .metric_stat(metric_stat)
                    .return_data(true)
                    .build(),
            );
        }
    }
    queries
}

/// One logical call: the first page and every page after it, into `answers`.
async fn fetch(
    rc: &RegionClient,
    queries: &[MetricDataQuery],
    start: Millis,
    end: Millis,
    answers: &mut Answers,
) -> Result<(), SourceError> {
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        rc.guard.acquire().await;
        let out = rc
            .client
            .get_metric_data()
            .set_metric_data_queries(Some(queries.to_vec()))
            .start_time(DateTime::from_millis(start))
            .end_time(DateTime::from_millis(end))
            .scan_by(ScanBy::TimestampAscending)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| from_sdk(OPERATION, &e))?;
        for result in out.metric_data_results() {
            let Some(id) = result.id() else { continue };
            let points = answers.entry(id.to_string()).or_default();
            for (t, v) in result.timestamps().iter().zip(result.values()) {
                if let Ok(ms) = t.to_millis() {
                    points.push((ms, *v));
                }
            }
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(()),
        }
    }
    Err(SourceError::new(
        SourceErrorKind::Other,
        format!("{OPERATION} kept paging after {MAX_PAGES} pages"),
    ))
}

/// A count from CloudWatch: NaN, infinite and negative become 0.
fn count(v: f64) -> u32 {
    if v.is_finite() && v > 0.0 { v.round().min(u32::MAX as f64) as u32 } else { 0 }
}

/// A latency from CloudWatch, milliseconds: NaN, infinite and negative become 0.
fn latency(v: f64) -> f32 {
    if v.is_finite() && v > 0.0 { v.min(f32::MAX as f64) as f32 } else { 0.0 }
}

fn series_of(answers: &Answers, series: usize, start: Millis, minutes: usize) -> RedSeries {
    let mut points = vec![RedPoint::default(); minutes];
    for stat in Stat::ALL {
        let Some(values) = answers.get(&query_id(series, stat)) else { continue };
        for &(t, v) in values {
            if t < start {
                continue;
            }
            let i = ((t - start) / MINUTE_MS) as usize;
            let Some(p) = points.get_mut(i) else { continue };
            match stat {
                Stat::Requests => p.requests = count(v),
                Stat::Errors => p.errors = count(v),
                Stat::P50 => p.p50_ms = latency(v),
                Stat::P99 => p.p99_ms = latency(v),
            }
        }
    }
    for p in &mut points {
        p.errors = p.errors.min(p.requests);
        if p.requests == 0 {
            p.p50_ms = 0.0;
            p.p99_ms = 0.0;
        }
        p.p99_ms = p.p99_ms.max(p.p50_ms);
    }
    RedSeries { start, points }
}

fn assemble(
    specs: &[SeriesSpec<'_>],
    answers: &Answers,
    start: Millis,
    minutes: usize,
) -> RegionMetrics {
    let empty = RedSeries { start, points: vec![RedPoint::default(); minutes] };
    let mut services: BTreeMap<String, ServiceMetrics> = BTreeMap::new();
    for (i, spec) in specs.iter().enumerate() {
        let series = series_of(answers, i, start, minutes);
        let entry = services.entry(spec.service.name.clone()).or_default();
        match spec.operation {
            None => entry.total = series,
            Some(op) => {
                entry.operations.insert(op.to_string(), series);
            }
        }
    }
    let mut total = empty;
    for svc in services.values() {
        total.accumulate(&svc.total);
    }
    RegionMetrics { total, services }
}

fn align(t: Millis) -> Millis {
    t - t.rem_euclid(MINUTE_MS)
}

impl MetricsSource for CloudWatchMetrics {
    fn name(&self) -> &str {
        "cloudwatch"
    }

    async fn metrics(&self, query: MetricsQuery) -> Result<MetricsSnapshot, SourceError> {
        let end = align(query.now);
        let start = align(query.now - query.span.max(0));
        let minutes = ((end - start) / MINUTE_MS).max(0) as usize;

        let regions: Vec<&str> = self.boundary.regions().map(|(_, r)| r).collect();
        let results = futures_util::future::join_all(
            regions.iter().map(|r| self.region_metrics(r, start, minutes)),
        )
        .await;

        let mut snapshot = MetricsSnapshot { now: query.now, ..MetricsSnapshot::default() };
        let mut failures: Vec<(&str, SourceError)> = Vec::new();
        for (region, result) in regions.iter().zip(results) {
            match result {
                Ok(m) => {
                    snapshot.regions.insert(region.to_string(), m);
                }
                Err(e) => {
                    let text = match &e.hint {
                        Some(h) => format!("{}; {h}", e.message),
                        None => e.message.clone(),
                    };
                    snapshot.region_errors.insert(region.to_string(), text);
                    failures.push((region, e));
                }
            }
        }
        if !regions.is_empty() && failures.len() == regions.len() {
            let (_, first) = &failures[0];
            // Regions failing the same way are named together, so the line stays short
            // enough for the hint to fit beside it.
            let mut same: Vec<(Vec<&str>, &str)> = Vec::new();
            for (r, e) in &failures {
                match same.iter_mut().find(|(_, m)| *m == e.message) {
                    Some((rs, _)) => rs.push(r),
                    None => same.push((vec![r], &e.message)),
                }
            }
            let message = same
                .iter()
                .map(|(rs, m)| format!("{}: {m}", rs.join(", ")))
                .collect::<Vec<_>>()
                .join("; ");
            let mut err = SourceError::new(first.kind, format!("every region failed: {message}"));
            err.hint = first.hint.clone();
            return Err(err);
        }
        Ok(snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oddities_are_cleaned() {
        let mut a = Answers::new();
        a.insert(
            query_id(0, Stat::Requests),
            vec![(0, 10.0), (MINUTE_MS, -3.0), (2 * MINUTE_MS, f64::NAN)],
        );
        a.insert(query_id(0, Stat::Errors), vec![(0, 50.0), (MINUTE_MS, 2.0)]);
        a.insert(query_id(0, Stat::P50), vec![(0, 30.0), (MINUTE_MS, 7.0)]);
        a.insert(query_id(0, Stat::P99), vec![(0, 20.0), (5 * MINUTE_MS, 1.0)]);
        let s = series_of(&a, 0, 0, 3);
        assert_eq!(s.points.len(), 3);
        assert_eq!(s.points[0], RedPoint { requests: 10, errors: 10, p50_ms: 30.0, p99_ms: 30.0 });
        assert_eq!(s.points[1], RedPoint::default());
        assert_eq!(s.points[2], RedPoint::default());
    }

    #[test]
    fn query_ids_are_valid_cloudwatch_ids() {
        for i in [0, 7, 124, 9999] {
            for stat in Stat::ALL {
                let id = query_id(i, stat);
                assert!(id.starts_with(|c: char| c.is_ascii_lowercase()));
                assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            }
        }
    }
}
