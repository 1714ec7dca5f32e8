//! Traces from AWS X-Ray: `GetTraceSummaries` to find a request's traces, `BatchGetTraces` to
//! read them, [`crate::source::xray`] to turn the segment documents into a [`Trace`].
//!
//! # Finding the trace
//!
//! * [`TraceKey::CorrelationId`]: one logical `GetTraceSummaries` call over `[from, to]` with
//!   the filter expression `annotation.<key> = "<id>"` ([`filter_expression`]; the annotation
//!   key is [`DEFAULT_CORRELATION_KEY`] unless set with [`XRayTraces::with_correlation_key`]),
//!   followed through `NextToken`. Every trace it finds (at most [`MAX_TRACES_PER_REQUEST`])
//!   belongs to the request; they are read and parsed together, so a consumer that started its
//!   own trace and links back appears below its publisher.
//! * [`TraceKey::TraceId`]: no search, the trace is read directly.
//!
//! Traces are read with `BatchGetTraces` in calls of at most [`MAX_IDS_PER_BATCH`] ids (the
//! API's limit), each followed through its `NextToken`.
//!
//! # Not sampled
//!
//! When no trace matches (the request was not sampled) and the query names the service it
//! failed at, the answer is `trace: None` with up to [`MAX_SIMILAR`] summaries of the same
//! window from `service("<service>")` ([`similar_expression`], with the operation's method and
//! literal path pieces when it looks like `POST /invoices/{id}/approve`), failing first, then
//! newest first.
//!
//! # Boundary, quotas, errors
//!
//! Only regions of the boundary get a client; a query for any other region is an `Invalid`
//! error and makes no call. SDK errors become [`SourceError`]s with hints (throttling is retried
//! by the SDK first: adaptive retry mode in [`XRayTraces::from_env`]). Nothing here calls a
//! mutating API.
//!
//! # Servers without filter expressions
//!
//! moto (the local AWS of the tests) answers any filter expression with a 500.
//! [`XRayTraces::matching_locally`] is for such servers only: summaries are asked for without an
//! expression, every trace of the window (at most [`MAX_LOCAL_TRACES`]) is read and the
//! correlation id and the similar traces are matched on the parsed documents. Against AWS it
//! would only cost more calls; the cockpit never turns it on.

use super::error::from_sdk;
use super::fallback::FoundBy;
use crate::model::{Boundary, Trace, TraceSummary};
use crate::source::xray::{DEFAULT_CORRELATION_KEY, parse_segments_with, summarize};
use crate::source::{SourceError, SourceErrorKind, TraceKey, TraceLookup, TraceQuery, TraceSource};
use aws_sdk_xray::Client;
use aws_sdk_xray::primitives::DateTime;
use aws_sdk_xray::types::AnnotationValue;
use std::collections::BTreeMap;

/// `BatchGetTraces` takes at most this many trace ids per call.
pub const MAX_IDS_PER_BATCH: usize = 5;
/// Similar traces returned when the request itself was not sampled.
pub const MAX_SIMILAR: usize = 20;
/// Traces read for one correlation id.
pub const MAX_TRACES_PER_REQUEST: usize = 25;
/// Traces of a window read when matching locally ([`XRayTraces::matching_locally`]).
pub const MAX_LOCAL_TRACES: usize = 100;
/// The longest annotation value X-Ray keeps.
pub const MAX_ANNOTATION_LEN: usize = 1000;
/// Pages of summaries followed per search before giving up.
const MAX_SUMMARY_PAGES: usize = 50;
/// Pages of summaries followed when looking for similar traces.
const MAX_SIMILAR_PAGES: usize = 5;
/// Log lines read per request when looking for its trace ids.
const FALLBACK_LINES: usize = 500;
/// Lambda requests whose runtime lines are read for an `XRAY TraceId` line.
const MAX_LAMBDA_REQUESTS: usize = 3;
/// Pages of one `BatchGetTraces` call followed.
const MAX_BATCH_PAGES: usize = 20;

const SUMMARIES_OP: &str = "X-Ray GetTraceSummaries";
const BATCH_OP: &str = "X-Ray BatchGetTraces";

// ---------------------------------------------------------------------------------------------
// Filter expressions

/// `s` as a filter expression string literal: double quotes, with `"` and `\` escaped by a
/// backslash.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Whether `key` can name an annotation: X-Ray keeps ASCII letters, digits and `_` only.
pub fn valid_annotation_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The filter expression that finds the traces of `key`: `annotation.correlation_id = "c-1"`
/// (with `correlation_key` as the annotation), or `None` for a trace id (read directly, no
/// search). An annotation key X-Ray cannot hold, an empty id, an id with control characters or
/// one longer than [`MAX_ANNOTATION_LEN`] is an `Err` saying why.
pub fn filter_expression(key: &TraceKey, correlation_key: &str) -> Result<Option<String>, String> {
    let id = match key {
        TraceKey::TraceId(_) => return Ok(None),
        TraceKey::CorrelationId(id) => id,
    };
    if !valid_annotation_key(correlation_key) {
        return Err(format!(
            "{correlation_key:?} cannot be an X-Ray annotation key (letters, digits and _ only)"
        ));
    }
    if id.is_empty() {
        return Err("the correlation id is empty".into());
    }
    if id.chars().any(char::is_control) {
        return Err(format!("the correlation id {id:?} holds control characters"));
    }
    if id.len() > MAX_ANNOTATION_LEN {
        return Err(format!("the correlation id is longer than {MAX_ANNOTATION_LEN} bytes"));
    }
    Ok(Some(format!("annotation.{correlation_key} = {}", quote(id))))
}

/// The filter expression for traces similar to a failed request: `service("<service>")`, and
/// when the operation reads as `METHOD /path` its method and the literal pieces of the path
/// (placeholders such as `{id}` left out):
/// `service("api") AND http.method = "POST" AND http.url CONTAINS "/invoices/" AND
/// http.url CONTAINS "/approve"`. Other operations cannot be expressed and are left out.
pub fn similar_expression(service: &str, operation: Option<&str>) -> String {
    let mut parts = vec![format!("service({})", quote(service))];
    let http = operation.and_then(|op| op.trim().split_once(' ')).filter(|(m, p)| {
        !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase()) && p.starts_with('/')
    });
    if let Some((method, path)) = http {
        parts.push(format!("http.method = {}", quote(method)));
        let path = path.split(['?', '#']).next().unwrap_or_default().trim();
        let mut rest = path;
        let mut pieces = Vec::new();
        while !rest.is_empty() {
            let (piece, after) = match rest.find('{') {
                Some(open) => {
                    let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
                    (&rest[..open], &rest[close..])
                }
                None => (rest, ""),
            };
            if piece.len() > 1 && !piece.chars().any(char::is_control) {
                pieces.push(piece);
            }
            rest = after;
        }
        for piece in pieces {
            parts.push(format!("http.url CONTAINS {}", quote(piece)));
        }
    }
    parts.join(" AND ")
}

/// The path of a URL (`https://h/a?b` → `/a`).
fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r.find('/').map_or("/", |i| &r[i..]));
    rest.split(['?', '#']).next().unwrap_or(rest)
}

fn annotation_text(v: &AnnotationValue) -> Option<String> {
    match v {
        AnnotationValue::StringValue(s) => Some(s.clone()),
        AnnotationValue::NumberValue(n) => Some(n.to_string()),
        AnnotationValue::BooleanValue(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An SDK trace summary as the model's.
pub(super) fn summary_of(
    s: &aws_sdk_xray::types::TraceSummary,
    correlation_key: &str,
) -> TraceSummary {
    let http = s.http();
    let operation = match (http.and_then(|h| h.http_method()), http.and_then(|h| h.http_url())) {
        (Some(m), Some(u)) => format!("{m} {}", url_path(u)),
        (Some(m), None) => m.to_string(),
        (None, Some(u)) => url_path(u).to_string(),
        (None, None) => String::new(),
    };
    let service = s
        .entry_point()
        .and_then(|e| e.name())
        .or_else(|| s.service_ids().first().and_then(|e| e.name()))
        .unwrap_or_default();
    TraceSummary {
        trace_id: s.id().unwrap_or_default().to_string(),
        correlation_id: s
            .annotations()
            .and_then(|a| a.get(correlation_key))
            .and_then(|vs| vs.iter().find_map(|v| v.annotation_value().and_then(annotation_text))),
        service: service.to_string(),
        operation,
        start: s.start_time().and_then(|t| t.to_millis().ok()).unwrap_or(0),
        duration_ms: s.duration().unwrap_or(0.0) * 1000.0,
        status: http.and_then(|h| h.http_status()).and_then(|c| u16::try_from(c).ok()).unwrap_or(0),
        has_error: s.has_error().unwrap_or(false),
        has_fault: s.has_fault().unwrap_or(false),
        has_throttle: s.has_throttle().unwrap_or(false),
    }
}

/// Failing first, then newest first; at most [`MAX_SIMILAR`].
fn rank_similar(mut similar: Vec<TraceSummary>) -> Vec<TraceSummary> {
    similar.sort_by(|a, b| b.failed().cmp(&a.failed()).then(b.start.cmp(&a.start)));
    similar.truncate(MAX_SIMILAR);
    similar
}

// ---------------------------------------------------------------------------------------------
// The source

/// [`TraceSource`] backed by X-Ray, one client per region of the boundary. See the module
/// documentation for the calls it makes.
pub struct XRayTraces {
    boundary: Boundary,
    clients: BTreeMap<String, Client>,
    correlation_key: String,
    match_locally: bool,
    /// The request's log lines, for trace ids when no trace is annotated (see
    /// [`super::fallback`]).
    logs: Option<std::sync::Arc<super::CloudWatchLogs>>,
}

impl std::fmt::Debug for XRayTraces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XRayTraces")
            .field("boundary", &self.boundary)
            .field("regions", &self.clients.keys().collect::<Vec<_>>())
            .field("correlation_key", &self.correlation_key)
            .field("match_locally", &self.match_locally)
            .finish()
    }
}

/// The segment documents of the traces read, per trace id, in the order asked for.
type Documents = Vec<(String, Vec<String>)>;

impl XRayTraces {
    /// Clients from the environment the way the AWS CLI finds credentials (profile, SSO,
    /// environment, instance role), with `profile` when given, adaptive retries and one client
    /// per region of the boundary.
    pub async fn from_env(boundary: Boundary, profile: Option<&str>) -> Self {
        Self::from_sdk_config(&super::load_sdk_config(profile).await, boundary)
    }

    /// One client per region of the boundary from a loaded SDK config (its own region is not
    /// used).
    pub fn from_sdk_config(shared: &aws_config::SdkConfig, boundary: Boundary) -> Self {
        use aws_sdk_xray::config::{Builder, Region};

        let clients = boundary
            .regions()
            .map(|(_, region)| {
                let conf = Builder::from(shared).region(Region::new(region.to_string())).build();
                (region.to_string(), Client::from_conf(conf))
            })
            .collect();
        Self::with_clients(boundary, clients)
    }

    /// Use the given clients, keyed by region. Clients for regions outside the boundary are
    /// dropped unused.
    pub fn with_clients(boundary: Boundary, clients: BTreeMap<String, Client>) -> Self {
        let clients = clients.into_iter().filter(|(r, _)| boundary.contains(r)).collect();
        XRayTraces {
            boundary,
            clients,
            correlation_key: DEFAULT_CORRELATION_KEY.to_string(),
            match_locally: false,
            logs: None,
        }
    }

    /// Look for trace ids in the request's log lines (read from `logs`) when X-Ray has no
    /// trace annotated with its correlation id.
    pub fn with_logs(mut self, logs: std::sync::Arc<super::CloudWatchLogs>) -> Self {
        self.logs = Some(logs);
        self
    }

    /// Read the correlation id from the annotation `key` instead of `correlation_id`.
    pub fn with_correlation_key(mut self, key: impl Into<String>) -> Self {
        self.correlation_key = key.into();
        self
    }

    /// For servers that cannot evaluate filter expressions (moto in the tests): search without
    /// them and match on the documents. See the module documentation; not for AWS.
    pub fn matching_locally(mut self) -> Self {
        self.match_locally = true;
        self
    }

    /// The regions that have a client (only regions of the boundary).
    pub fn regions(&self) -> Vec<&str> {
        self.clients.keys().map(String::as_str).collect()
    }

    pub fn correlation_key(&self) -> &str {
        &self.correlation_key
    }

    /// The client of a region, or why there is none. Makes no call.
    fn client(&self, region: &str) -> Result<&Client, SourceError> {
        if !self.boundary.contains(region) {
            return Err(SourceError::new(
                SourceErrorKind::Invalid,
                format!("region {region} is outside the boundary; its traces are not read"),
            )
            .with_hint("pick a region of the boundary, or widen the boundary in the config"));
        }
        self.clients.get(region).ok_or_else(|| {
            SourceError::new(SourceErrorKind::Other, format!("no X-Ray client for region {region}"))
        })
    }

    /// Summaries of `[from, to]` matching `expression`, through the pages, until `enough`
    /// were collected or `max_pages` were read.
    async fn summaries(
        &self,
        client: &Client,
        q: &TraceQuery,
        expression: Option<&str>,
        enough: usize,
        max_pages: usize,
    ) -> Result<Vec<TraceSummary>, SourceError> {
        let mut out: Vec<TraceSummary> = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..max_pages {
            let page = client
                .get_trace_summaries()
                .start_time(DateTime::from_millis(q.from))
                .end_time(DateTime::from_millis(q.to))
                .sampling(false)
                .set_filter_expression(expression.map(str::to_string))
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
            if token.is_none() || out.len() >= enough {
                break;
            }
        }
        Ok(out)
    }

    /// The documents of `ids`, [`MAX_IDS_PER_BATCH`] ids per `BatchGetTraces` call. Traces the
    /// service does not have (or did not process) are absent.
    async fn documents(&self, client: &Client, ids: &[String]) -> Result<Documents, SourceError> {
        let mut by_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for chunk in ids.chunks(MAX_IDS_PER_BATCH) {
            let mut token: Option<String> = None;
            for _ in 0..MAX_BATCH_PAGES {
                let page = client
                    .batch_get_traces()
                    .set_trace_ids(Some(chunk.to_vec()))
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| from_sdk(BATCH_OP, &e))?;
                for t in page.traces() {
                    let docs = by_id.entry(t.id().unwrap_or_default().to_string()).or_default();
                    docs.extend(
                        t.segments().iter().filter_map(|s| s.document()).map(str::to_string),
                    );
                }
                token = page.next_token().filter(|t| !t.is_empty()).map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
        }
        Ok(ids
            .iter()
            .filter_map(|id| by_id.remove(id).map(|d| (id.clone(), d)))
            .filter(|(_, d)| !d.is_empty())
            .collect())
    }

    /// One trace from the documents of one or more traces.
    fn parse(&self, q: &TraceQuery, docs: &[(String, Vec<String>)]) -> Result<Trace, SourceError> {
        let all: Vec<&str> = docs.iter().flat_map(|(_, d)| d.iter().map(String::as_str)).collect();
        let ids: Vec<&str> = docs.iter().map(|(id, _)| id.as_str()).collect();
        let mut trace = parse_segments_with(&all, &self.correlation_key).map_err(|e| {
            SourceError::new(
                SourceErrorKind::Other,
                format!("X-Ray trace {} could not be read: {e}", ids.join(", ")),
            )
        })?;
        if trace.trace_id.is_empty() {
            trace.trace_id = ids.first().copied().unwrap_or_default().to_string();
        }
        if trace.region.is_empty() {
            trace.region = q.region.clone();
        }
        Ok(trace)
    }

    /// Traces like the failed request's, failing first (empty when no service is known).
    async fn similar(
        &self,
        client: &Client,
        q: &TraceQuery,
    ) -> Result<Vec<TraceSummary>, SourceError> {
        let Some(service) = q.service.as_deref() else { return Ok(Vec::new()) };
        if self.match_locally {
            let traces = self.window_traces(client, q).await?;
            let similar = traces
                .iter()
                .map(|(_, t)| summarize(t))
                .filter(|s| s.service == service)
                .filter(|s| q.operation.as_deref().is_none_or(|op| s.operation == op))
                .collect();
            return Ok(rank_similar(similar));
        }
        let expression = similar_expression(service, q.operation.as_deref());
        let summaries =
            self.summaries(client, q, Some(&expression), usize::MAX, MAX_SIMILAR_PAGES).await?;
        Ok(rank_similar(summaries))
    }

    /// Every trace of the window, parsed one by one (local matching only).
    async fn window_traces(
        &self,
        client: &Client,
        q: &TraceQuery,
    ) -> Result<Vec<(Vec<String>, Trace)>, SourceError> {
        let summaries =
            self.summaries(client, q, None, MAX_LOCAL_TRACES, MAX_SUMMARY_PAGES).await?;
        let ids: Vec<String> =
            summaries.into_iter().take(MAX_LOCAL_TRACES).map(|s| s.trace_id).collect();
        let docs = self.documents(client, &ids).await?;
        Ok(docs
            .into_iter()
            .filter_map(|(id, d)| {
                let refs: Vec<&str> = d.iter().map(String::as_str).collect();
                let mut t = parse_segments_with(&refs, &self.correlation_key).ok()?;
                if t.trace_id.is_empty() {
                    t.trace_id = id;
                }
                Some((d, t))
            })
            .collect())
    }

    async fn lookup(
        &self,
        client: &Client,
        q: &TraceQuery,
    ) -> Result<(TraceLookup, Option<FoundBy>), SourceError> {
        let expression = filter_expression(&q.key, &self.correlation_key).map_err(|e| {
            SourceError::new(SourceErrorKind::Invalid, e)
                .with_hint("check the correlation id and the X-Ray annotation key in the config")
        })?;
        let (docs, found_by): (Documents, Option<FoundBy>) = match (&q.key, expression) {
            (TraceKey::TraceId(id), _) => {
                if id.trim().is_empty() {
                    return Err(SourceError::new(
                        SourceErrorKind::Invalid,
                        "the trace id is empty",
                    ));
                }
                (self.documents(client, std::slice::from_ref(id)).await?, None)
            }
            (TraceKey::CorrelationId(cid), expression) => {
                let annotated: Result<Documents, SourceError> = if self.match_locally {
                    self.window_traces(client, q).await.map(|traces| {
                        traces
                            .into_iter()
                            .filter(|(_, t)| {
                                t.spans.iter().any(|s| s.correlation_id.as_ref() == Some(cid))
                            })
                            .take(MAX_TRACES_PER_REQUEST)
                            .map(|(d, t)| (t.trace_id, d))
                            .collect()
                    })
                } else {
                    match self
                        .summaries(
                            client,
                            q,
                            expression.as_deref(),
                            MAX_TRACES_PER_REQUEST,
                            MAX_SUMMARY_PAGES,
                        )
                        .await
                    {
                        Ok(found) => {
                            let ids: Vec<String> = found
                                .into_iter()
                                .take(MAX_TRACES_PER_REQUEST)
                                .map(|s| s.trace_id)
                                .collect();
                            self.documents(client, &ids).await
                        }
                        Err(e) => Err(e),
                    }
                };
                match annotated {
                    Ok(docs) if !docs.is_empty() => (docs, Some(FoundBy::Annotation)),
                    annotated => {
                        // Not annotated (or the search failed): the request's log lines.
                        let failure = annotated.err();
                        match self.via_logs(client, q, cid).await {
                            Ok(Some((docs, by))) => (docs, Some(by)),
                            Ok(None) => match failure {
                                Some(e) => return Err(e),
                                None => (Vec::new(), None),
                            },
                            Err(log_err) => {
                                tracing::warn!(error = %log_err, "trace ids from the logs");
                                match failure {
                                    Some(e) => return Err(e),
                                    None => (Vec::new(), None),
                                }
                            }
                        }
                    }
                }
            }
        };
        if docs.is_empty() {
            let similar = self.similar(client, q).await?;
            return Ok((TraceLookup { trace: None, similar }, None));
        }
        let lookup = TraceLookup { trace: Some(self.parse(q, &docs)?), similar: Vec::new() };
        Ok((lookup, found_by))
    }

    /// The trace of correlation id `cid` through its log lines: trace ids they name, or the
    /// `XRAY TraceId` line of the Lambda request that served them. `None` when they name none
    /// or X-Ray has none of the traces named.
    async fn via_logs(
        &self,
        client: &Client,
        q: &TraceQuery,
        cid: &str,
    ) -> Result<Option<(Documents, FoundBy)>, SourceError> {
        use super::fallback::{request_ids_of, trace_ids_of, xray_line_trace_id};
        use crate::source::{LogQuery, LogSource};
        let Some(logs) = &self.logs else { return Ok(None) };
        let read = |id: &str| LogQuery {
            region: q.region.clone(),
            correlation_id: Some(id.to_string()),
            from: q.from,
            to: q.to,
            limit: FALLBACK_LINES,
        };
        let lines = logs.fetch(read(cid)).await?.events;
        let ids: Vec<String> =
            trace_ids_of(&lines).into_iter().take(MAX_TRACES_PER_REQUEST).collect();
        if !ids.is_empty() {
            let docs = self.documents(client, &ids).await?;
            if !docs.is_empty() {
                return Ok(Some((docs, FoundBy::LogLine)));
            }
        }
        for rid in request_ids_of(&lines).into_iter().take(MAX_LAMBDA_REQUESTS) {
            let runtime = logs.fetch(read(&rid)).await?.events;
            let mut ids: Vec<String> = Vec::new();
            for e in &runtime {
                for line in e.raw.lines() {
                    if let Some(t) = xray_line_trace_id(line)
                        && !ids.iter().any(|i| i == t)
                    {
                        ids.push(t.to_string());
                    }
                }
            }
            if ids.is_empty() {
                continue;
            }
            let docs = self.documents(client, &ids).await?;
            if !docs.is_empty() {
                return Ok(Some((docs, FoundBy::LambdaRequest(rid))));
            }
        }
        Ok(None)
    }

    /// Like [`TraceSource::trace`], and how the trace was found (by its annotation, or
    /// through the request's log lines); `None` for a trace id read directly or no trace.
    pub async fn trace_explained(
        &self,
        q: TraceQuery,
    ) -> Result<(TraceLookup, Option<FoundBy>), SourceError> {
        let client = self.client(&q.region)?;
        if matches!(q.key, TraceKey::CorrelationId(_)) && q.to <= q.from {
            return Err(SourceError::new(
                SourceErrorKind::Invalid,
                "the time window to search for the trace is empty",
            ));
        }
        self.lookup(client, &q).await
    }
}

impl TraceSource for XRayTraces {
    fn name(&self) -> &str {
        "xray"
    }

    async fn trace(&self, q: TraceQuery) -> Result<TraceLookup, SourceError> {
        let (lookup, found_by) = self.trace_explained(q).await?;
        if let (Some(t), Some(by)) = (&lookup.trace, &found_by) {
            tracing::info!(trace = %t.trace_id, how = %by.describe(&self.correlation_key), "trace found");
        }
        Ok(lookup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Millis;

    #[test]
    fn correlation_filter_expressions() {
        let cid = |s: &str| TraceKey::CorrelationId(s.into());
        assert_eq!(
            filter_expression(&cid("c-1"), "correlation_id").unwrap().as_deref(),
            Some(r#"annotation.correlation_id = "c-1""#)
        );
        assert_eq!(
            filter_expression(&cid(r#"a"b\c"#), "rid").unwrap().as_deref(),
            Some(r#"annotation.rid = "a\"b\\c""#)
        );
        assert_eq!(filter_expression(&TraceKey::TraceId("1-a-b".into()), "x.y"), Ok(None));
        for bad_key in ["", "x.y", "a-b", "a b", "é"] {
            assert!(filter_expression(&cid("c-1"), bad_key).is_err(), "{bad_key:?}");
        }
        assert!(filter_expression(&cid(""), "rid").is_err());
        assert!(filter_expression(&cid("a\nb"), "rid").is_err());
        assert!(filter_expression(&cid(&"x".repeat(MAX_ANNOTATION_LEN)), "rid").is_ok());
        assert!(filter_expression(&cid(&"x".repeat(MAX_ANNOTATION_LEN + 1)), "rid").is_err());
    }

    #[test]
    fn similar_expressions() {
        assert_eq!(similar_expression("api", None), r#"service("api")"#);
        assert_eq!(
            similar_expression("invoice-api", Some("POST /invoices/{id}/approve")),
            r#"service("invoice-api") AND http.method = "POST" AND http.url CONTAINS "/invoices/" AND http.url CONTAINS "/approve""#
        );
        assert_eq!(
            similar_expression("api", Some("GET /{tenant}")),
            r#"service("api") AND http.method = "GET""#
        );
        assert_eq!(
            similar_expression("api", Some("GET /cart?x=1")),
            r#"service("api") AND http.method = "GET" AND http.url CONTAINS "/cart""#
        );
        // Not expressible: the service only.
        assert_eq!(similar_expression("we\"ird", Some("ProcessOrder")), r#"service("we\"ird")"#);
        assert_eq!(similar_expression("api", Some("post /x")), r#"service("api")"#);
    }

    #[test]
    fn similar_traces_fail_first_then_newest() {
        let s = |id: &str, start: Millis, fault: bool| TraceSummary {
            trace_id: id.into(),
            start,
            has_fault: fault,
            ..TraceSummary::default()
        };
        let mut many: Vec<TraceSummary> = (0..30).map(|i| s(&format!("ok{i}"), i, false)).collect();
        many.push(s("bad-old", 1, true));
        many.push(s("bad-new", 2, true));
        let ranked = rank_similar(many);
        assert_eq!(ranked.len(), MAX_SIMILAR);
        let ids: Vec<&str> = ranked.iter().take(3).map(|s| s.trace_id.as_str()).collect();
        assert_eq!(ids, ["bad-new", "bad-old", "ok29"]);
    }
}
