//! The built-in incident simulator: the default source when no AWS is configured.
//!
//! A scenario (TOML, see `scenarios/`) describes the regions, services, traffic, faults,
//! changes and the requests a story is about; [`Engine`] turns it into telemetry that is the
//! same for the same scenario, seed and time.

mod engine;
pub mod scenario;

pub use engine::{Engine, Hop, SimRequest, summary};
pub use scenario::Scenario;

use crate::model::{Boundary, MetricsQuery, MetricsSnapshot, Millis, RequestSample, Scope};
use crate::source::{ChangeQuery, ChangeSource};
use crate::source::{
    LogBatch, LogQuery, LogSource, MetricsSource, RequestSource, SourceError, SourceErrorKind,
    TraceLookup, TraceQuery, TraceSource,
};
use std::sync::Arc;

pub const DEFAULT_SCENARIO: &str = "invoice-approval-timeout";

/// The simulator as a source of every signal. Clones share the engine and its cache.
#[derive(Clone)]
pub struct SimSource {
    pub engine: Arc<Engine>,
    pub boundary: Boundary,
}

impl SimSource {
    pub fn new(scenario: Scenario, boundary: Boundary) -> Self {
        SimSource { engine: Arc::new(Engine::new(scenario)), boundary }
    }

    /// Run CPU-heavy simulator work off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Engine, &Boundary) -> T + Send + 'static,
    ) -> Result<T, SourceError> {
        let engine = self.engine.clone();
        let boundary = self.boundary.clone();
        tokio::task::spawn_blocking(move || f(&engine, &boundary))
            .await
            .map_err(|e| SourceError::new(SourceErrorKind::Other, format!("simulator failed: {e}")))
    }
}

impl MetricsSource for SimSource {
    fn name(&self) -> &str {
        "demo"
    }

    async fn metrics(&self, q: MetricsQuery) -> Result<MetricsSnapshot, SourceError> {
        self.blocking(move |e, b| e.metrics(b, q.now, q.span)).await
    }
}

impl RequestSource for SimSource {
    async fn failing_requests(
        &self,
        scope: Scope,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<RequestSample>, SourceError> {
        crate::source::in_boundary(&self.boundary, &scope.region)?;
        self.blocking(move |e, _| e.failing_requests(&scope, from, to, limit)).await
    }
}

impl LogSource for SimSource {
    fn name(&self) -> &str {
        "demo"
    }

    async fn fetch(&self, q: LogQuery) -> Result<LogBatch, SourceError> {
        crate::source::in_boundary(&self.boundary, &q.region)?;
        self.blocking(move |e, _| {
            let (events, truncated) =
                e.logs_matching(&q.region, q.correlation_id.as_deref(), q.from, q.to, q.limit);
            LogBatch { events, sampled: false, truncated, behind_ms: None }
        })
        .await
    }
}

impl ChangeSource for SimSource {
    fn name(&self) -> &str {
        "demo"
    }

    async fn changes(&self, q: ChangeQuery) -> Result<Vec<crate::model::Change>, SourceError> {
        crate::source::in_boundary(&self.boundary, &q.region)?;
        let all = self.engine.changes(&self.boundary, q.to);
        Ok(all
            .into_iter()
            .filter(|c| {
                c.region == q.region && c.at >= q.from && (q.include_read_only || !c.read_only)
            })
            .collect())
    }
}

impl TraceSource for SimSource {
    fn name(&self) -> &str {
        "demo"
    }

    async fn trace(&self, q: TraceQuery) -> Result<TraceLookup, SourceError> {
        crate::source::in_boundary(&self.boundary, &q.region)?;
        self.blocking(move |e, _| e.trace_lookup(&q)).await
    }
}
