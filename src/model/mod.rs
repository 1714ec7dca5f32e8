//! Domain types shared by sources, analysis, app and ui.
//!
//! Nothing in here knows about ratatui or the AWS SDK: a `RedSeries` is the same whether it
//! came from the incident simulator, CloudWatch or a file.

mod clock;
pub mod investigation;
pub mod lambda;
pub mod logline;
pub mod logstore;
mod red;
mod telemetry;
pub mod text;

pub use clock::{
    Clock, format_date, format_datetime, format_hm, format_hms, format_iso, parse_hms, parse_moment,
};
pub use red::{RedPoint, RedSeries, RedStats, stats_of};
pub use telemetry::{
    Change, Identity, Level, LogEvent, Span, SpanException, SpanHttp, SpanLink, Trace, TraceSummary,
};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;
pub const SECOND_MS: Millis = 1_000;
pub const MINUTE_MS: Millis = 60 * SECOND_MS;
pub const HOUR_MS: Millis = 60 * MINUTE_MS;
pub const DAY_MS: Millis = 24 * HOUR_MS;

/// A continent and its regions, e.g. `EU` with `eu-west-1` and `eu-central-1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Continent {
    pub name: String,
    pub regions: Vec<String>,
}

/// The regions an investigation may touch. Nothing outside it is ever queried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Boundary {
    pub continents: Vec<Continent>,
}

impl Boundary {
    /// The three continents and six regions of the platform warroom serves by default.
    pub fn global() -> Self {
        let c = |name: &str, regions: &[&str]| Continent {
            name: name.to_string(),
            regions: regions.iter().map(|r| r.to_string()).collect(),
        };
        Boundary {
            continents: vec![
                c("EU", &["eu-west-1", "eu-central-1"]),
                c("US", &["us-east-1", "us-west-2"]),
                c("APAC", &["ap-southeast-1", "ap-northeast-1"]),
            ],
        }
    }

    pub fn contains(&self, region: &str) -> bool {
        self.regions().any(|(_, r)| r == region)
    }

    /// Every `(continent, region)` pair in display order.
    pub fn regions(&self) -> impl Iterator<Item = (&str, &str)> {
        self.continents
            .iter()
            .flat_map(|c| c.regions.iter().map(move |r| (c.name.as_str(), r.as_str())))
    }

    pub fn continent_of(&self, region: &str) -> Option<&str> {
        self.regions().find(|(_, r)| *r == region).map(|(c, _)| c)
    }

    /// Narrow the boundary to one continent (by name, case-insensitive).
    pub fn only_continent(&self, name: &str) -> Option<Boundary> {
        let c = self.continents.iter().find(|c| c.name.eq_ignore_ascii_case(name))?;
        Some(Boundary { continents: vec![c.clone()] })
    }
}

/// The RED series of one service: its total and one series per operation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceMetrics {
    pub total: RedSeries,
    pub operations: BTreeMap<String, RedSeries>,
}

/// The RED series of one region: its total and one entry per service.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegionMetrics {
    pub total: RedSeries,
    pub services: BTreeMap<String, ServiceMetrics>,
}

/// Everything the metrics pane needs, as of `now`: per-minute series covering the window
/// and the baseline before it, for every region of the boundary that answered.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricsSnapshot {
    pub now: Millis,
    pub regions: BTreeMap<String, RegionMetrics>,
    /// Regions that failed to answer, with the error, so their rows can say so.
    pub region_errors: BTreeMap<String, String>,
    /// What the numbers were computed from, when they are not a metrics service's own
    /// (`computed from the evidence, 1,412 requests: …`).
    pub basis: Option<String>,
    /// When requests failed, per region and service, oldest first, where the source knows
    /// individual requests (evidence: every failure; the simulator: the first of each
    /// minute): an onset known to the minute is found to the second.
    pub failure_times: BTreeMap<String, BTreeMap<String, Vec<Millis>>>,
}

/// What a metrics source is asked for: per-minute series over `[now - span, now]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricsQuery {
    pub now: Millis,
    /// The current window (e.g. 15 minutes) plus the baseline before it (24 hours).
    pub span: Millis,
}

/// Outcome of one request at one service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    #[default]
    Ok,
    /// 4xx: the caller's fault.
    Error,
    /// 5xx, timeout, crash.
    Fault,
    Throttle,
}

impl Outcome {
    pub fn is_failure(self) -> bool {
        !matches!(self, Outcome::Ok)
    }
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Fault => "fault",
            Outcome::Throttle => "throttle",
        }
    }
}

/// One request as seen at one service and operation: the rows of the failing-requests view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestSample {
    pub at: Millis,
    pub region: String,
    pub service: String,
    pub operation: String,
    pub correlation_id: String,
    pub tenant: String,
    pub status: u16,
    pub outcome: Outcome,
    pub duration_ms: f64,
    pub trace_id: Option<String>,
    pub message: String,
}

/// Where the user is looking: a region, optionally narrowed to a service and operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    pub region: String,
    pub service: Option<String>,
    pub operation: Option<String>,
}

/// Shared, cheap-to-clone handle on a snapshot.
pub type SharedMetrics = Arc<MetricsSnapshot>;
