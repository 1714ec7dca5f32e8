//! Logs, traces and changes: the signals beyond metrics.

use super::{Millis, Outcome};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

/// One log line as a service wrote it, with the fields warroom picks out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEvent {
    pub at: Millis,
    pub region: String,
    pub service: String,
    pub level: Level,
    pub message: String,
    pub correlation_id: Option<String>,
    pub tenant: Option<String>,
    pub operation: Option<String>,
    pub trace_id: Option<String>,
    /// The line as written (JSON for the simulator's services).
    pub raw: String,
}

/// How a span was reached from its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanLink {
    /// The root of the trace.
    Root,
    /// A synchronous call.
    Call,
    /// An event published to a bus or queue and consumed later.
    Async,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub id: String,
    pub parent: Option<String>,
    pub link: SpanLink,
    pub service: String,
    pub operation: String,
    pub start: Millis,
    pub duration_ms: f64,
    pub status: u16,
    pub outcome: Outcome,
    /// The bus or queue of an asynchronous hop.
    pub via: Option<String>,
    /// The error message of a failed span.
    pub error: Option<String>,
    /// The client gave up on this call (its caller timed out).
    pub cut_off: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub trace_id: String,
    pub correlation_id: String,
    pub region: String,
    pub spans: Vec<Span>,
}

/// Who made a change, as CloudTrail's `userIdentity` says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// `AssumedRole`, `IAMUser`, `Root`, `AWSService`, ...
    pub kind: String,
    pub principal: String,
    pub role: Option<String>,
    pub session: Option<String>,
}

impl Identity {
    /// `deploy-role/deploy-bot`, `alice`: the short form for a table cell.
    pub fn short(&self) -> String {
        match (&self.role, &self.session) {
            (Some(r), Some(s)) => format!("{r}/{s}"),
            (Some(r), None) => r.clone(),
            _ => self.principal.rsplit(['/', ':']).next().unwrap_or(&self.principal).to_string(),
        }
    }
}

/// A deployment or configuration change from the audit trail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub id: String,
    pub at: Millis,
    pub region: String,
    pub event: String,
    pub event_source: String,
    pub resource: String,
    /// The service it maps to, when known.
    pub service: Option<String>,
    pub identity: Identity,
    pub read_only: bool,
    pub summary: String,
}
