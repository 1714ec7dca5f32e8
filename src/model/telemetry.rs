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

impl Level {
    /// `ERROR`, `WARN`, `INFO`, `DEBUG`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
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
    /// AWS Lambda's RequestId of the invocation that wrote the line, when it says.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The line as written (JSON for the simulator's services).
    pub raw: String,
}

/// How a span was reached from its parent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanLink {
    /// The root of the trace.
    #[default]
    Root,
    /// A synchronous call.
    Call,
    /// An event published to a bus or queue and consumed later.
    Async,
}

/// One unit of work of a trace: an X-Ray segment or subsegment, a simulator hop.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub id: String,
    pub parent: Option<String>,
    pub link: SpanLink,
    pub service: String,
    pub operation: String,
    pub start: Millis,
    /// Milliseconds; for a span still in progress, up to the trace's last known time.
    pub duration_ms: f64,
    /// HTTP status, 0 when unknown.
    pub status: u16,
    pub outcome: Outcome,
    /// The bus or queue of an asynchronous hop.
    pub via: Option<String>,
    /// The error message of a failed span.
    pub error: Option<String>,
    /// The client gave up on this call (its caller timed out).
    pub cut_off: bool,
    /// The span had not ended when the trace was read (`in_progress`).
    pub in_progress: bool,
    /// A downstream node X-Ray inferred from a client call (not instrumented itself).
    pub inferred: bool,
    /// `aws` (an AWS SDK call) or `remote` (another HTTP service), for subsegments.
    pub namespace: Option<String>,
    pub http: Option<SpanHttp>,
    /// `aws` block: operation, region, request id, resource names (table, queue, ...).
    pub aws: Vec<(String, String)>,
    /// Indexed annotations (key → value as text).
    pub annotations: Vec<(String, String)>,
    /// Metadata flattened to `namespace.key.path` → JSON text.
    pub metadata: Vec<(String, String)>,
    pub exceptions: Vec<SpanException>,
    /// The request's correlation id, when the span carries one (an annotation).
    pub correlation_id: Option<String>,
    /// What was wrong with the document this span came from (missing end time, a parent
    /// cycle, an absurd timestamp): shown, never fatal.
    pub problems: Vec<String>,
}

/// The HTTP side of a span.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpanHttp {
    pub method: Option<String>,
    pub url: Option<String>,
    pub status: Option<u16>,
    pub user_agent: Option<String>,
    pub client_ip: Option<String>,
}

/// An exception recorded on a span (`cause.exceptions`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpanException {
    pub kind: Option<String>,
    pub message: String,
    pub remote: bool,
    /// `function (path:line)` frames, innermost first.
    pub stack: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub trace_id: String,
    pub correlation_id: String,
    pub region: String,
    pub spans: Vec<Span>,
}

/// A trace found by a search, before it is read in full.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceSummary {
    pub trace_id: String,
    pub correlation_id: Option<String>,
    /// The root's service and operation (`invoice-api`, `POST /invoices/{id}/approve`).
    pub service: String,
    pub operation: String,
    pub start: Millis,
    pub duration_ms: f64,
    pub status: u16,
    pub has_error: bool,
    pub has_fault: bool,
    pub has_throttle: bool,
}

impl TraceSummary {
    pub fn failed(&self) -> bool {
        self.has_error || self.has_fault || self.has_throttle
    }
}

/// Who made a change, as CloudTrail's `userIdentity` says.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// `AssumedRole`, `IAMUser`, `Root`, `AWSService`, `FederatedUser`,
    /// `IdentityCenterUser`, ...
    pub kind: String,
    /// The ARN, or the service / user name when there is no ARN.
    pub principal: String,
    pub role: Option<String>,
    pub session: Option<String>,
    pub account: Option<String>,
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// The event as recorded (CloudTrail's JSON), for the full view; empty when the source
    /// has none.
    #[serde(default)]
    pub raw: String,
}
