//! AWS sources.
//!
//! Everything that talks to the AWS SDK lives under this module; the rest of the crate only
//! sees the model types (`MetricsSnapshot`, `RedSeries`, `LogEvent`, ...) and
//! [`crate::source::SourceError`]. The one exception is construction:
//! [`CloudWatchMetrics::with_clients`], [`CloudWatchLogs::with_clients`],
//! [`XRayTraces::with_clients`] and [`CloudTrailChanges::with_clients`] take ready-made SDK
//! clients so tests can hand in mocked ones.

mod cloudtrail;
mod error;
mod logs;
mod metrics;
mod rate;
mod xray;

pub use cloudtrail::{
    CloudTrailChanges, LOOKBACK_MS, LOOKUP_TPS, MAX_LOOKUP_PAGES, MAX_RESULTS_PER_PAGE,
};
pub use logs::{
    CloudWatchLogs, FILTER_TPS, FollowTiming, LIVE_TAIL_HOST_PREFIX, LIVE_TAIL_SESSION_LIMIT,
    LogGroup, LogGroups, MAX_FILTER_PATTERN_LEN, MAX_GROUPS_PER_SESSION, StripHostPrefix,
    correlation_pattern, endpoint_host, host_prefix_unusable, json_selector, strip_host_prefix,
};
pub use metrics::{CloudWatchMetrics, DEFAULT_CALL_SPACING, MAX_QUERIES_PER_CALL};
pub use rate::RateGuard;
pub use xray::{
    MAX_ANNOTATION_LEN, MAX_IDS_PER_BATCH, MAX_LOCAL_TRACES, MAX_SIMILAR, MAX_TRACES_PER_REQUEST,
    XRayTraces, filter_expression, quote as quote_filter_string, similar_expression,
    valid_annotation_key,
};

/// The shared SDK configuration, found the way the AWS CLI finds credentials (profile, SSO,
/// environment, instance role), with `profile` when given and adaptive retries.
pub async fn load_sdk_config(profile: Option<&str>) -> aws_config::SdkConfig {
    use aws_config::BehaviorVersion;
    use aws_config::retry::RetryConfig;

    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::adaptive());
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    loader.load().await
}
