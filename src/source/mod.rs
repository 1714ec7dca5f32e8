//! Where telemetry comes from: one trait per signal, so the simulator, AWS and evidence files
//! are interchangeable per pane. Source-specific types (the AWS SDK's) never leave their module.

pub mod aws;
pub mod sim;

use crate::model::{MetricsQuery, MetricsSnapshot, Millis, RequestSample, Scope};
use std::future::Future;

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
