//! The drill-down's last level on AWS: an operation's recent failing requests, from X-Ray trace
//! summaries and from the error lines of its logs (CloudWatch Logs Insights).
//!
//! # X-Ray
//!
//! One logical `GetTraceSummaries` call over the window with the filter expression
//! [`failing_expression`]: `service("<service>")`, narrowed to the operation where it reads as
//! `METHOD /path` (see [`super::similar_expression`]), `AND (fault = true OR error = true)`,
//! followed through `NextToken` until enough were found. Each summary is a request with its
//! trace id, correlation id (the annotation), HTTP status and duration.
//!
//! # Logs Insights
//!
//! `StartQuery` over the service's log groups in the region (at most [`MAX_GROUPS_PER_QUERY`]
//! per query) with [`ERROR_QUERY`], whose engine scans the window server-side and returns the
//! newest error lines only; then `GetQueryResults` until the query is `Complete` (every
//! [`InsightsTiming::poll_every`], at most [`InsightsTiming::give_up_after`]). Each line is
//! parsed like the log tail's; a line with a correlation id (or, for Lambda runtime lines,
//! the request id) is a failing request, one per id, its newest line kept. Nothing is stopped or
//! changed: the query ends by itself.
//!
//! # The answer
//!
//! Both are asked at once and merged by correlation id (the X-Ray summary wins, with the log
//! line's message added), failing first then newest first, at most `limit`. When one of the
//! two fails the other's requests are returned (the failure is logged); only when both fail,
//! or one fails and the other found nothing, is the answer an error. Only regions of the
//! boundary are read; nothing here calls a mutating API.

use super::error::from_sdk;
use super::fallback::is_request_id;
use super::logs::LogGroups;
use super::rate::RateGuard;
use super::xray::summary_of;
use crate::config::ServiceConfig;
use crate::model::logline::{LineContext, LineParser};
use crate::model::{Boundary, Level, Millis, Outcome, RequestSample, Scope, TraceSummary};
use crate::source::{RequestSource, SourceError, SourceErrorKind};
use aws_sdk_cloudwatchlogs::types::QueryStatus;
use std::collections::BTreeMap;
use std::time::Duration;

/// Logs Insights takes at most this many log groups per query.
pub const MAX_GROUPS_PER_QUERY: usize = 50;
/// Error lines a query returns at most.
pub const MAX_QUERY_LINES: i32 = 500;
/// Pages of trace summaries read per request list.
const MAX_SUMMARY_PAGES: usize = 10;

const SUMMARIES_OP: &str = "X-Ray GetTraceSummaries";
const START_OP: &str = "CloudWatch Logs StartQuery";
const RESULTS_OP: &str = "CloudWatch Logs GetQueryResults";

/// The Logs Insights query for a window's error lines: the level field of JSON lines, or the
/// words of an error in any line (Lambda's `Task timed out`, `ERROR`, exceptions), newest
/// first. `@log` names the group, so the line's service is known.
pub const ERROR_QUERY: &str = "fields @timestamp, @message, @log\n\
| filter level = \"ERROR\" or level = \"error\" or @message like /(?i)(error|exception|fault|failed|timed out|timeout)/\n\
| sort @timestamp desc\n\
| limit 500";

/// The X-Ray filter expression for the failing requests of `service` (and `operation`).
pub fn failing_expression(service: &str, operation: Option<&str>) -> String {
    format!("{} AND (fault = true OR error = true)", super::similar_expression(service, operation))
}

/// How a Logs Insights query is waited for (wall time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InsightsTiming {
    pub poll_every: Duration,
    pub give_up_after: Duration,
}

impl Default for InsightsTiming {
    fn default() -> Self {
        InsightsTiming {
            poll_every: Duration::from_millis(700),
            give_up_after: Duration::from_secs(30),
        }
    }
}

struct RegionClients {
    xray: aws_sdk_xray::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    /// StartQuery and GetQueryResults: 5 per second (quota per account and region).
    insights: RateGuard,
}

/// [`RequestSource`] backed by X-Ray and CloudWatch Logs Insights, one pair of clients per
/// region of the boundary. See the module documentation for the calls it makes.
pub struct AwsRequests {
    boundary: Boundary,
    groups: LogGroups,
    clients: BTreeMap<String, RegionClients>,
    parser: LineParser,
    correlation_key: String,
    timing: InsightsTiming,
}

impl std::fmt::Debug for AwsRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsRequests")
            .field("boundary", &self.boundary)
            .field("regions", &self.clients.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl AwsRequests {
    /// One X-Ray and one CloudWatch Logs client per region of the boundary from a loaded SDK
    /// config (its own region is not used).
    pub fn from_sdk_config(
        shared: &aws_config::SdkConfig,
        boundary: Boundary,
        services: &[ServiceConfig],
        parser: LineParser,
    ) -> Self {
        let mut xray = BTreeMap::new();
        let mut logs = BTreeMap::new();
        for (_, region) in boundary.regions() {
            let x = aws_sdk_xray::config::Builder::from(shared)
                .region(aws_sdk_xray::config::Region::new(region.to_string()))
                .build();
            xray.insert(region.to_string(), aws_sdk_xray::Client::from_conf(x));
            let l = aws_sdk_cloudwatchlogs::config::Builder::from(shared)
                .region(aws_sdk_cloudwatchlogs::config::Region::new(region.to_string()))
                .build();
            logs.insert(region.to_string(), aws_sdk_cloudwatchlogs::Client::from_conf(l));
        }
        Self::with_clients(boundary, services, xray, logs, parser)
    }

    /// Use the given clients, keyed by region. Regions outside the boundary are dropped unused;
    /// a region needs both clients.
    pub fn with_clients(
        boundary: Boundary,
        services: &[ServiceConfig],
        mut xray: BTreeMap<String, aws_sdk_xray::Client>,
        mut logs: BTreeMap<String, aws_sdk_cloudwatchlogs::Client>,
        parser: LineParser,
    ) -> Self {
        let regions: Vec<String> = boundary.regions().map(|(_, r)| r.to_string()).collect();
        let clients = regions
            .into_iter()
            .filter_map(|r| {
                let (x, l) = (xray.remove(&r)?, logs.remove(&r)?);
                Some((r, RegionClients { xray: x, logs: l, insights: RateGuard::per_second(5) }))
            })
            .collect();
        AwsRequests {
            groups: LogGroups::plan(&boundary, services),
            boundary,
            clients,
            parser,
            correlation_key: crate::source::xray::DEFAULT_CORRELATION_KEY.to_string(),
            timing: InsightsTiming::default(),
        }
    }

    /// Read the correlation id from the X-Ray annotation `key` instead of `correlation_id`.
    pub fn with_correlation_key(mut self, key: impl Into<String>) -> Self {
        self.correlation_key = key.into();
        self
    }

    pub fn with_insights_timing(mut self, timing: InsightsTiming) -> Self {
        self.timing = timing;
        self
    }

    /// Failing requests from X-Ray trace summaries.
    async fn failing_traces(
        &self,
        rc: &RegionClients,
        scope: &Scope,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<RequestSample>, SourceError> {
        use aws_sdk_xray::primitives::DateTime;
        let Some(service) = scope.service.as_deref() else { return Ok(Vec::new()) };
        let expression = failing_expression(service, scope.operation.as_deref());
        let mut out: Vec<TraceSummary> = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_SUMMARY_PAGES {
            let page = rc
                .xray
                .get_trace_summaries()
                .start_time(DateTime::from_millis(from))
                .end_time(DateTime::from_millis(to))
                .sampling(false)
                .filter_expression(&expression)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| from_sdk(SUMMARIES_OP, &e))?;
            for s in page.trace_summaries() {
                let s = summary_of(s, &self.correlation_key);
                if !s.trace_id.is_empty() && !out.iter().any(|o| o.trace_id == s.trace_id) {
                    out.push(s);
                }
            }
            token = page.next_token().filter(|t| !t.is_empty()).map(str::to_string);
            if token.is_none() || out.len() >= limit {
                break;
            }
        }
        Ok(out
            .into_iter()
            .filter(|s| s.failed())
            .map(|s| RequestSample {
                at: s.start,
                region: scope.region.clone(),
                service: if s.service.is_empty() { service.to_string() } else { s.service },
                operation: match (&scope.operation, s.operation.is_empty()) {
                    (Some(op), true) => op.clone(),
                    _ => s.operation,
                },
                correlation_id: s.correlation_id.unwrap_or_default(),
                tenant: String::new(),
                status: s.status,
                outcome: if s.has_fault {
                    Outcome::Fault
                } else if s.has_throttle {
                    Outcome::Throttle
                } else {
                    Outcome::Error
                },
                duration_ms: s.duration_ms,
                trace_id: Some(s.trace_id),
                message: String::new(),
            })
            .collect())
    }

    /// Failing requests from the error lines of the service's log groups (Logs Insights).
    async fn failing_log_lines(
        &self,
        rc: &RegionClients,
        scope: &Scope,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<RequestSample>, SourceError> {
        let groups: Vec<&super::logs::LogGroup> = self
            .groups
            .region(&scope.region)
            .iter()
            .filter(|g| scope.service.as_ref().is_none_or(|s| *s == g.service))
            .collect();
        let mut samples: Vec<RequestSample> = Vec::new();
        for chunk in groups.chunks(MAX_GROUPS_PER_QUERY) {
            let names: Vec<String> = chunk.iter().map(|g| g.name.clone()).collect();
            let rows = self.query(rc, names, from, to).await?;
            for row in rows {
                if let Some(s) = self.sample_of_line(scope, chunk, &row) {
                    samples.push(s);
                }
            }
        }
        Ok(samples)
    }

    /// Run one Insights query to its end; its rows as field → value.
    async fn query(
        &self,
        rc: &RegionClients,
        groups: Vec<String>,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<BTreeMap<String, String>>, SourceError> {
        rc.insights.acquire().await;
        let started = rc
            .logs
            .start_query()
            .set_log_group_names(Some(groups))
            .start_time(from.div_euclid(1000))
            .end_time(to.div_euclid(1000) + i64::from(to.rem_euclid(1000) > 0))
            .query_string(ERROR_QUERY)
            .limit(MAX_QUERY_LINES)
            .send()
            .await
            .map_err(|e| from_sdk(START_OP, &e))?;
        let Some(id) = started.query_id().filter(|id| !id.is_empty()) else {
            return Err(SourceError::new(
                SourceErrorKind::Other,
                format!("{START_OP} gave no query id"),
            ));
        };
        let deadline = tokio::time::Instant::now() + self.timing.give_up_after;
        loop {
            rc.insights.acquire().await;
            let out = rc
                .logs
                .get_query_results()
                .query_id(id)
                .send()
                .await
                .map_err(|e| from_sdk(RESULTS_OP, &e))?;
            match out.status() {
                Some(QueryStatus::Complete) => {
                    return Ok(out
                        .results()
                        .iter()
                        .map(|row| {
                            row.iter()
                                .filter_map(|f| {
                                    Some((f.field()?.to_string(), f.value()?.to_string()))
                                })
                                .collect()
                        })
                        .collect());
                }
                Some(QueryStatus::Scheduled | QueryStatus::Running) | None => {}
                Some(other) => {
                    return Err(SourceError::new(
                        SourceErrorKind::Other,
                        format!("Logs Insights query {id} ended {}", other.as_str()),
                    ));
                }
            }
            if tokio::time::Instant::now() + self.timing.poll_every > deadline {
                return Err(SourceError::new(
                    SourceErrorKind::Network,
                    format!(
                        "Logs Insights query {id} did not finish within {} s",
                        self.timing.give_up_after.as_secs()
                    ),
                )
                .with_hint("try a shorter window (W)"));
            }
            tokio::time::sleep(self.timing.poll_every).await;
        }
    }

    /// A failing request from one error line, when the line names its request.
    fn sample_of_line(
        &self,
        scope: &Scope,
        groups: &[&super::logs::LogGroup],
        row: &BTreeMap<String, String>,
    ) -> Option<RequestSample> {
        let message = row.get("@message")?;
        let at = row.get("@timestamp").and_then(|t| insights_time(t));
        // `@log` is `account:group`.
        let service = row
            .get("@log")
            .and_then(|l| {
                let name = l.split_once(':').map_or(l.as_str(), |(_, g)| g);
                groups.iter().find(|g| g.name == name)
            })
            .or(groups.first())
            .map(|g| g.service.clone())
            .or_else(|| scope.service.clone())?;
        let ctx = LineContext { at, region: Some(&scope.region), service: Some(&service) };
        let e = self.parser.parse(message, ctx);
        // The query's filter, again: a server that ignores it (part of it) changes nothing.
        if e.level != Level::Error && !mentions_error(&e.raw) {
            return None;
        }
        let runtime = lambda_request(&e.raw);
        let id = e.correlation_id.clone().or_else(|| runtime.map(|(id, _)| id.to_string()))?;
        if let (Some(want), Some(op)) = (&scope.operation, &e.operation)
            && want != op
        {
            return None;
        }
        let timed_out = runtime.and_then(|(_, d)| d);
        Some(RequestSample {
            at: e.at,
            region: scope.region.clone(),
            service: e.service.clone(),
            operation: scope.operation.clone().or(e.operation.clone()).unwrap_or_default(),
            correlation_id: id,
            tenant: e.tenant.clone().unwrap_or_default(),
            status: 0,
            outcome: if timed_out.is_some() || e.level == Level::Error {
                Outcome::Fault
            } else {
                Outcome::Error
            },
            duration_ms: timed_out.unwrap_or(0.0),
            trace_id: e.trace_id.clone(),
            message: e.message.clone(),
        })
    }
}

/// `2026-03-12 09:11:42.120` (Logs Insights' `@timestamp`, UTC) as milliseconds; epoch
/// milliseconds are taken too (some local servers send those).
pub fn insights_time(s: &str) -> Option<Millis> {
    if let Ok(ms) = s.trim().parse::<Millis>() {
        return Some(ms);
    }
    use time::macros::format_description;
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]");
    let fmt_whole = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let t = time::PrimitiveDateTime::parse(s.trim(), fmt)
        .or_else(|_| time::PrimitiveDateTime::parse(s.trim(), fmt_whole))
        .ok()?;
    Some((t.assume_utc().unix_timestamp_nanos() / 1_000_000) as Millis)
}

/// Does a line say it failed, the way [`ERROR_QUERY`]'s filter reads it (case-insensitive:
/// error, exception, fault, failed, timed out, timeout)?
pub fn mentions_error(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    ["error", "exception", "fault", "failed", "timed out", "timeout"]
        .iter()
        .any(|w| lower.contains(w))
}

/// The request id of a Lambda runtime error line and, for a timeout, its duration in ms:
/// `2026-03-12T09:11:42.120Z <RequestId> Task timed out after 3.00 seconds` and the
/// tab-separated `<time>\t<RequestId>\tERROR\t<message>` of the Node and Python runtimes.
pub fn lambda_request(line: &str) -> Option<(&str, Option<f64>)> {
    let mut words = line.split_whitespace();
    let _time = words.next()?;
    let id = words.next().filter(|w| is_request_id(w))?;
    let rest: Vec<&str> = words.collect();
    let timeout = match rest.as_slice() {
        ["Task", "timed", "out", "after", secs, ..] => secs.parse::<f64>().ok().map(|s| s * 1000.0),
        _ => None,
    };
    Some((id, timeout))
}

/// Failing first, newest first; one request per correlation id (X-Ray's wins, with the log
/// line's message); at most `limit`.
pub fn merge(
    traces: Vec<RequestSample>,
    logs: Vec<RequestSample>,
    limit: usize,
) -> Vec<RequestSample> {
    let mut out: Vec<RequestSample> = Vec::new();
    for s in traces {
        if s.correlation_id.is_empty() || !out.iter().any(|o| o.correlation_id == s.correlation_id)
        {
            out.push(s);
        }
    }
    let mut logs = logs;
    logs.sort_by_key(|s| std::cmp::Reverse(s.at));
    for l in logs {
        match out.iter_mut().find(|o| o.correlation_id == l.correlation_id) {
            Some(o) => {
                if o.message.is_empty() {
                    o.message = l.message;
                }
                if o.tenant.is_empty() {
                    o.tenant = l.tenant;
                }
            }
            None => out.push(l),
        }
    }
    out.sort_by(|a, b| {
        let rank = |s: &RequestSample| matches!(s.outcome, Outcome::Fault | Outcome::Throttle);
        rank(b).cmp(&rank(a)).then(b.at.cmp(&a.at))
    });
    out.truncate(limit);
    out
}

impl RequestSource for AwsRequests {
    async fn failing_requests(
        &self,
        scope: Scope,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<RequestSample>, SourceError> {
        if !self.boundary.contains(&scope.region) {
            return Err(SourceError::new(
                SourceErrorKind::Invalid,
                format!(
                    "region {} is outside the boundary; its requests are not read",
                    scope.region
                ),
            ));
        }
        let Some(rc) = self.clients.get(&scope.region) else {
            return Err(SourceError::new(
                SourceErrorKind::Other,
                format!("no X-Ray / CloudWatch Logs client for region {}", scope.region),
            ));
        };
        if to <= from {
            return Err(SourceError::new(SourceErrorKind::Invalid, "the time window is empty"));
        }
        let (traces, logs) = tokio::join!(
            self.failing_traces(rc, &scope, from, to, limit),
            self.failing_log_lines(rc, &scope, from, to)
        );
        match (traces, logs) {
            (Ok(t), Ok(l)) => Ok(merge(t, l, limit)),
            (Ok(t), Err(e)) | (Err(e), Ok(t)) if !t.is_empty() => {
                tracing::warn!(error = %e, region = %scope.region, "failing requests: one source failed");
                Ok(merge(t, Vec::new(), limit))
            }
            (Ok(_), Err(e)) | (Err(e), Ok(_)) => Err(e),
            (Err(t), Err(l)) => {
                let mut e = SourceError::new(t.kind, format!("{}; {}", t.message, l.message));
                e.hint = t.hint.or(l.hint);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_expressions() {
        assert_eq!(
            failing_expression("invoice-approval-worker", Some("ApproveInvoice")),
            r#"service("invoice-approval-worker") AND (fault = true OR error = true)"#
        );
        assert_eq!(
            failing_expression("invoice-api", Some("POST /invoices/{id}/approve")),
            r#"service("invoice-api") AND http.method = "POST" AND http.url CONTAINS "/invoices/" AND http.url CONTAINS "/approve" AND (fault = true OR error = true)"#
        );
    }

    #[test]
    fn lambda_runtime_lines_name_their_request() {
        assert_eq!(
            lambda_request(
                "2026-03-12T09:11:42.120Z 3f1c9a52-7e4b-4d1a-9c2e-1b2a3c4d5e6f Task timed out after 3.00 seconds"
            ),
            Some(("3f1c9a52-7e4b-4d1a-9c2e-1b2a3c4d5e6f", Some(3000.0)))
        );
        assert_eq!(
            lambda_request(
                "2026-03-12T09:11:42.120Z\t3f1c9a52-7e4b-4d1a-9c2e-1b2a3c4d5e6f\tERROR\tInvoke Error"
            ),
            Some(("3f1c9a52-7e4b-4d1a-9c2e-1b2a3c4d5e6f", None))
        );
        assert_eq!(lambda_request("ERROR something failed"), None);
        assert_eq!(lambda_request("2026-03-12 not-a-uuid ERROR"), None);
    }

    #[test]
    fn insights_timestamps_are_utc() {
        assert_eq!(insights_time("2023-11-14 22:13:20.000"), Some(1_700_000_000_000));
        assert_eq!(insights_time("2023-11-14 22:13:20.5"), Some(1_700_000_000_500));
        assert_eq!(insights_time("2023-11-14 22:13:20"), Some(1_700_000_000_000));
        assert_eq!(insights_time("1700000000000"), Some(1_700_000_000_000));
        assert_eq!(insights_time("yesterday"), None);
    }
}
