//! Where telemetry comes from: one trait per signal, so the simulator, AWS and evidence files
//! are interchangeable per pane. Source-specific types (the AWS SDK's) never leave their module.

pub mod aws;
pub mod cloudtrail;
pub mod evidence;
pub mod files;
pub mod scan;
pub mod sim;
pub mod xray;

use crate::model::{
    Change, Clock, LogEvent, MetricsQuery, MetricsSnapshot, Millis, RequestSample, SECOND_MS,
    Scope, Trace, TraceSummary,
};
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;

/// Why a source could not answer. Drawn inside the pane that asked, with its age.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SourceError {
    pub kind: SourceErrorKind,
    pub message: String,
    /// What the user can do about it, when we know.
    pub hint: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceErrorKind {
    /// Credentials missing, expired or lacking permission.
    Auth,
    /// The service said slow down and retries did not get through.
    Throttled,
    /// The request never got an answer.
    Network,
    /// Asked for something outside the boundary or otherwise invalid.
    Invalid,
    Other,
}

impl SourceError {
    pub fn new(kind: SourceErrorKind, message: impl Into<String>) -> Self {
        SourceError { kind, message: message.into(), hint: None }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// `Ok` when `region` is in the boundary; else the error every source gives for it.
pub fn in_boundary(boundary: &crate::model::Boundary, region: &str) -> Result<(), SourceError> {
    if boundary.contains(region) {
        Ok(())
    } else {
        Err(SourceError::new(SourceErrorKind::Invalid, format!("{region} is outside the boundary")))
    }
}

/// Regional RED metrics: per-minute requests, errors, p50 and p99 for every region of the
/// boundary, every service and every operation the source knows.
pub trait MetricsSource: Send + Sync + 'static {
    /// A short name for the status bar (`demo`, `cloudwatch`).
    fn name(&self) -> &str;
    fn metrics(
        &self,
        query: MetricsQuery,
    ) -> impl Future<Output = Result<MetricsSnapshot, SourceError>> + Send;
}

/// Individual requests, for the drill-down's "recent failing requests" view.
pub trait RequestSource: Send + Sync + 'static {
    fn failing_requests(
        &self,
        scope: Scope,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<RequestSample>, SourceError>> + Send;
}

/// A request source for sources that have metrics only: says so instead of listing nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRequests;

impl RequestSource for NoRequests {
    async fn failing_requests(
        &self,
        _scope: Scope,
        _from: Millis,
        _to: Millis,
        _limit: usize,
    ) -> Result<Vec<RequestSample>, SourceError> {
        Err(SourceError::new(
            SourceErrorKind::Invalid,
            "individual requests come from the trace and log sources; this source has metrics only",
        ))
    }
}

/// Which log lines to read: one region of the boundary, optionally one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogQuery {
    pub region: String,
    /// Pushed to the source where it can filter (CloudWatch filter patterns); the tail
    /// filters again with the same rules as everywhere else.
    pub correlation_id: Option<String>,
    pub from: Millis,
    pub to: Millis,
    /// The newest `limit` lines are kept when there are more.
    pub limit: usize,
}

/// Lines from a log source, in time order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogBatch {
    pub events: Vec<LogEvent>,
    /// The source sent a sample of the lines, not all of them (Live Tail above 500 a second).
    pub sampled: bool,
    /// More lines matched than `limit`; the oldest were left out.
    pub truncated: bool,
    /// A followed source reads behind what is written: its newest line read is this many
    /// milliseconds older than the newest line written (`Some(0)` when the lines say no
    /// time). `None`: caught up.
    pub behind_ms: Option<Millis>,
}

/// What a following source reports: new lines, or why none came.
pub type LogUpdate = Result<LogBatch, SourceError>;

/// Log lines: a window of history, and a live follow of new lines.
pub trait LogSource: Send + Sync + 'static {
    /// A short name for the pane (`demo`, `cloudwatch`, a file name).
    fn name(&self) -> &str;

    /// The lines of `q.region` (and `q.correlation_id`) in `[q.from, q.to)`, time order.
    fn fetch(&self, q: LogQuery) -> impl Future<Output = Result<LogBatch, SourceError>> + Send;

    /// Send new lines from `q.from` on to `sink` until it closes. `clock` is the cockpit's
    /// clock (simulated in the demo). The default polls [`LogSource::fetch`] every
    /// [`LogSource::poll_every`] of that clock; an error is reported and polling goes on.
    fn follow(
        &self,
        q: LogQuery,
        clock: Clock,
        sink: mpsc::Sender<LogUpdate>,
    ) -> impl Future<Output = ()> + Send {
        poll_follow(self, q, clock, sink)
    }

    /// How often the default follow polls, in the cockpit's time.
    fn poll_every(&self) -> Millis {
        SECOND_MS
    }
}

/// Follow by polling `fetch` for `[last, now)` on the clock's ticks.
pub async fn poll_follow<L: LogSource + ?Sized>(
    src: &L,
    q: LogQuery,
    clock: Clock,
    sink: mpsc::Sender<LogUpdate>,
) {
    let every = src.poll_every().max(1);
    let mut cursor = q.from;
    loop {
        // A paused clock is looked at again each second (resuming does not restart us).
        let wait = clock
            .wall_until_next(every)
            .map_or(Duration::from_secs(1), |d| d + Duration::from_millis(5));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = sink.closed() => return,
        }
        let now = clock.now();
        if now <= cursor {
            continue;
        }
        let result = src.fetch(LogQuery { from: cursor, to: now, ..q.clone() }).await;
        if result.is_ok() {
            cursor = now;
        }
        if sink.send(result).await.is_err() {
            return;
        }
    }
}

/// A log source for sources without logs: says so in the pane instead of staying empty.
#[derive(Clone, Debug)]
pub struct NoLogs(pub String);

impl LogSource for NoLogs {
    fn name(&self) -> &str {
        "no logs"
    }

    async fn fetch(&self, _q: LogQuery) -> Result<LogBatch, SourceError> {
        Err(SourceError::new(SourceErrorKind::Invalid, self.0.clone()))
    }

    async fn follow(&self, _q: LogQuery, _clock: Clock, sink: mpsc::Sender<LogUpdate>) {
        sink.closed().await
    }
}

/// Which changes to read: one region of the boundary, a time window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeQuery {
    pub region: String,
    pub from: Millis,
    pub to: Millis,
    /// Read-only events (`Describe*`, `Get*`, `List*`) too; hidden by default.
    pub include_read_only: bool,
}

/// Deployments and configuration changes from the audit trail.
pub trait ChangeSource: Send + Sync + 'static {
    fn name(&self) -> &str;
    /// Changes of `q.region` in `[q.from, q.to)`, newest first.
    fn changes(
        &self,
        q: ChangeQuery,
    ) -> impl Future<Output = Result<Vec<Change>, SourceError>> + Send;
}

/// A change source for sources without an audit trail: says so in the pane.
#[derive(Clone, Debug)]
pub struct NoChanges(pub String);

impl ChangeSource for NoChanges {
    fn name(&self) -> &str {
        "no changes"
    }

    async fn changes(&self, _q: ChangeQuery) -> Result<Vec<Change>, SourceError> {
        Err(SourceError::new(SourceErrorKind::Invalid, self.0.clone()))
    }
}

/// A trace source for sources without traces: says so in the pane.
#[derive(Clone, Debug)]
pub struct NoTraces(pub String);

impl TraceSource for NoTraces {
    fn name(&self) -> &str {
        "no traces"
    }

    async fn trace(&self, _q: TraceQuery) -> Result<TraceLookup, SourceError> {
        Err(SourceError::new(SourceErrorKind::Invalid, self.0.clone()))
    }
}

/// How to find a request's trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceKey {
    /// By the correlation id annotation (X-Ray filter expression on the configured key).
    CorrelationId(String),
    TraceId(String),
}

/// Which trace to read: one region of the boundary, a time window to search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceQuery {
    pub region: String,
    pub key: TraceKey,
    pub from: Millis,
    pub to: Millis,
    /// The service and operation the request failed at, when known: similar traces are
    /// looked for there when the request itself was not sampled.
    pub service: Option<String>,
    pub operation: Option<String>,
}

/// What a trace search found: the trace, or (when the request was not sampled) traces of
/// similar requests, failing first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceLookup {
    pub trace: Option<Trace>,
    pub similar: Vec<TraceSummary>,
}

/// Traces: a request's spans across services.
pub trait TraceSource: Send + Sync + 'static {
    fn name(&self) -> &str;
    fn trace(&self, q: TraceQuery)
    -> impl Future<Output = Result<TraceLookup, SourceError>> + Send;
}

/// The order similar traces are listed in, whatever the source: failing first, then oldest
/// first (ties by trace id), so the list stays put as the clock moves.
pub fn order_similar(similar: &mut [crate::model::TraceSummary]) {
    similar.sort_by(|a, b| {
        b.failed().cmp(&a.failed()).then(a.start.cmp(&b.start)).then(a.trace_id.cmp(&b.trace_id))
    });
}

/// A request's trace looked for in `regions` in turn: the first region that has it, else the
/// similar traces the first region offered; an error only when nothing was found and a
/// region failed.
#[allow(clippy::too_many_arguments)]
pub async fn find_trace<T: TraceSource + ?Sized>(
    src: &T,
    regions: Vec<String>,
    key: TraceKey,
    from: Millis,
    to: Millis,
    service: Option<String>,
    operation: Option<String>,
) -> Result<TraceLookup, SourceError> {
    let mut lookup = TraceLookup::default();
    let mut error = None;
    for region in regions {
        let q = TraceQuery {
            region,
            key: key.clone(),
            from,
            to,
            service: service.clone(),
            operation: operation.clone(),
        };
        match src.trace(q).await {
            Ok(l) if l.trace.is_some() => return Ok(l),
            Ok(l) if lookup.similar.is_empty() => lookup.similar = l.similar,
            Ok(_) => {}
            Err(e) => error = Some(e),
        }
    }
    match error {
        Some(e) if lookup.similar.is_empty() => Err(e),
        _ => Ok(lookup),
    }
}

/// The changes of `regions` in `[from, to)`, read-only ones included; an error only when no
/// region gave any and one failed.
pub async fn changes_of<C: ChangeSource + ?Sized>(
    src: &C,
    regions: Vec<String>,
    from: Millis,
    to: Millis,
) -> Result<Vec<Change>, SourceError> {
    let mut all = Vec::new();
    let mut error = None;
    for region in regions {
        let q = ChangeQuery { region, from, to, include_read_only: true };
        match src.changes(q).await {
            Ok(c) => all.extend(c),
            Err(e) => error = Some(e),
        }
    }
    match error {
        Some(e) if all.is_empty() => Err(e),
        _ => Ok(all),
    }
}
