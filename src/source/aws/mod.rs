//! AWS sources.
//!
//! Everything that talks to the AWS SDK lives under this module; the rest of the crate only
//! sees the model types (`MetricsSnapshot`, `RedSeries`, `LogEvent`, ...) and
//! [`crate::source::SourceError`]. The one exception is construction:
//! [`CloudWatchMetrics::with_clients`], [`CloudWatchLogs::with_clients`],
//! [`XRayTraces::with_clients`] and [`CloudTrailChanges::with_clients`] take ready-made SDK
//! clients so tests can hand in mocked ones.

mod cloudtrail;
mod credentials;
mod discovery;
mod error;
mod fallback;
mod logs;
mod metrics;
mod rate;
mod requests;
mod xray;

pub use cloudtrail::{
    CloudTrailChanges, LOOKBACK_MS, LOOKUP_TPS, MAX_LOOKUP_PAGES, MAX_RESULTS_PER_PAGE,
};
pub use discovery::{
    APPLICATION_SIGNALS_NAMESPACE, DISCOVERY_LOOKBACK_MS, Discovered, LAMBDA_OPERATION,
    application_signals, discover, is_application_signals, lambda_functions,
};
pub use fallback::{
    FoundBy, is_request_id, is_trace_id, request_id_in, trace_ids_in, xray_line_trace_id,
};
pub use logs::{
    CloudWatchLogs, Delivered, FILTER_TPS, FollowTiming, LIVE_TAIL_HOST_PREFIX,
    LIVE_TAIL_SESSION_LIMIT, LogGroup, LogGroups, MAX_FILTER_PATTERN_LEN, MAX_GROUPS_PER_SESSION,
    StripHostPrefix, correlation_pattern, endpoint_host, host_prefix_unusable, json_selector,
    strip_host_prefix,
};
pub use metrics::{CloudWatchMetrics, DEFAULT_CALL_SPACING, MAX_QUERIES_PER_CALL};
pub use rate::RateGuard;
pub use requests::{
    AwsRequests, ERROR_QUERY, InsightsTiming, MAX_GROUPS_PER_QUERY, MAX_QUERY_LINES,
    failing_expression, insights_time, lambda_request, merge as merge_requests,
};
pub use xray::{
    MAX_ANNOTATION_LEN, MAX_IDS_PER_BATCH, MAX_LOCAL_TRACES, MAX_SIMILAR, MAX_TRACES_PER_REQUEST,
    XRayTraces, filter_expression, quote as quote_filter_string, similar_expression,
    valid_annotation_key,
};

pub use credentials::{
    active_profile, check_profile, explain_credentials, explain_service_code, iam_action,
    load_sdk_config,
};
