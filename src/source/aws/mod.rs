//! AWS sources.
//!
//! Everything that talks to the AWS SDK lives under this module; the rest of the crate only
//! sees the model types (`MetricsSnapshot`, `RedSeries`, ...) and [`crate::source::SourceError`].
//! The one exception is construction: [`CloudWatchMetrics::with_clients`] takes ready-made
//! `aws_sdk_cloudwatch::Client`s so tests can hand in mocked ones.

mod error;
mod metrics;
mod rate;

pub use metrics::{CloudWatchMetrics, DEFAULT_CALL_SPACING, MAX_QUERIES_PER_CALL};
pub use rate::RateGuard;
