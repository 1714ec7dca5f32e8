//! Log lines from CloudWatch Logs: `FilterLogEvents` for a window of history, Live Tail
//! (`StartLiveTail`) for the live follow.
//!
//! # Where the lines come from
//!
//! The log groups of a region are the `log_groups` of every service that runs there (its
//! `regions` is empty or lists the region), see [`LogGroups::plan`]. Only regions of the
//! boundary ever get a client; a query for any other region is an `Invalid` error and makes no
//! call. Every raw line goes through the [`LineParser`] with the queried region, the
//! CloudWatch timestamp and the service owning the log group (a `service` field in a JSON line
//! wins, as everywhere).
//!
//! # History: `fetch`
//!
//! One logical `FilterLogEvents` call per log group of the region (`logGroupName`,
//! `startTime`/`endTime` for `[from, to)`), followed through `nextToken` even when a page is
//! empty. The newest `limit` lines are kept (`truncated` says when older ones were left out),
//! deduplicated by `eventId` and returned in time order. A correlation id is pushed to the
//! service as a quoted-term filter pattern, which matches JSON and plain-text events alike
//! (see [`correlation_pattern`] for why not a JSON pattern) and the lines are filtered again
//! locally with [`LogFilter::matches`], so a server that ignores (part of) the pattern changes
//! nothing.
//!
//! `FilterLogEvents` allows 5 transactions per second per account and region, whoever asks:
//! every page of a region first waits on the region's [`RateGuard`] ([`FILTER_TPS`]). Panes
//! that build their own `CloudWatchLogs` share one guard per region through
//! [`CloudWatchLogs::filter_guard`] and [`CloudWatchLogs::with_filter_guard`]. Throttling that
//! still happens is retried by the SDK (adaptive retry mode, see [`CloudWatchLogs::from_env`]).
//!
//! # Live: `follow`
//!
//! Live Tail sessions over the group ARNs (resolved once with `DescribeLogGroups`, at most
//! [`MAX_GROUPS_PER_SESSION`] groups per session, so several sessions for more groups) with
//! the same filter pattern. Each update becomes a [`LogBatch`] whose `sampled` is the
//! session's `sessionMetadata.sampled`. A session is restarted when its stream ends, fails or
//! reaches the 3 h limit, with an exponential backoff unless it ran long enough to count as
//! healthy. While Live Tail is down the groups are polled with `FilterLogEvents` every few
//! seconds, and when a session starts the lines since the last one ended are fetched so that
//! nothing falls into the gap. Every line of a follow passes one [`Delivered`] record, so a
//! line is sent once however often a restarted session replays it or a poll overlaps a
//! session, and each batch is in time order. Errors are sent to the sink as `Err` and following goes on;
//! everything stops when the sink closes.
//!
//! Nothing here calls a mutating API.

use super::error::from_sdk;
use super::rate::RateGuard;
use crate::config::ServiceConfig;
use crate::model::logline::{LineContext, LineParser};
use crate::model::logstore::{LogFilter, cid_hash};
use crate::model::{Boundary, Clock, LogEvent, Millis};
use crate::source::{LogBatch, LogQuery, LogSource, LogUpdate, SourceError, SourceErrorKind};
use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_cloudwatchlogs::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_cloudwatchlogs::error::{BoxError, ProvideErrorMetadata};
use aws_sdk_cloudwatchlogs::operation::start_live_tail::StartLiveTailOutput;
use aws_sdk_cloudwatchlogs::types::StartLiveTailResponseStream;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// `FilterLogEvents` transactions per second per account and region (a fixed quota).
pub const FILTER_TPS: u32 = 5;
/// Live Tail takes at most this many log groups per session.
pub const MAX_GROUPS_PER_SESSION: usize = 10;
/// The longest filter pattern CloudWatch Logs accepts.
pub const MAX_FILTER_PATTERN_LEN: usize = 1024;
/// Live Tail ends a session after three hours.
pub const LIVE_TAIL_SESSION_LIMIT: Duration = Duration::from_secs(3 * 3600);
/// Pages followed per log group and query before giving up (100 s of the 5 TPS budget).
const MAX_PAGES: usize = 500;
/// `DescribeLogGroups` calls per second and region.
const DESCRIBE_TPS: u32 = 5;

const FILTER_OP: &str = "CloudWatch Logs FilterLogEvents";
const DESCRIBE_OP: &str = "CloudWatch Logs DescribeLogGroups";
const TAIL_OP: &str = "CloudWatch Logs StartLiveTail";
const GROUPS_HINT: &str = "check the log-groups of the services in the config";

// ---------------------------------------------------------------------------------------------
// Log groups per region

/// A log group and the service it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogGroup {
    pub name: String,
    pub service: String,
}

/// The log groups of every region of the boundary. A region outside the boundary has no entry
/// at all, which is how the source tells "outside" from "nothing configured".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogGroups {
    regions: BTreeMap<String, Vec<LogGroup>>,
}

impl LogGroups {
    /// The groups of each boundary region: the `log_groups` of the services running there
    /// (empty `regions` = every region of the boundary), in config order. A group listed by
    /// two services belongs to the first.
    pub fn plan(boundary: &Boundary, services: &[ServiceConfig]) -> Self {
        let mut regions: BTreeMap<String, Vec<LogGroup>> = BTreeMap::new();
        for (_, region) in boundary.regions() {
            let groups = regions.entry(region.to_string()).or_default();
            for svc in services {
                if !(svc.regions.is_empty() || svc.regions.iter().any(|r| r == region)) {
                    continue;
                }
                for name in svc.log_groups.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
                    if !groups.iter().any(|g| g.name == name) {
                        groups.push(LogGroup { name: name.to_string(), service: svc.name.clone() });
                    }
                }
            }
        }
        LogGroups { regions }
    }

    /// Whether `region` is inside the boundary these groups were planned for.
    pub fn contains_region(&self, region: &str) -> bool {
        self.regions.contains_key(region)
    }

    /// The groups of `region`; empty outside the boundary.
    pub fn region(&self, region: &str) -> &[LogGroup] {
        self.regions.get(region).map_or(&[], Vec::as_slice)
    }

    /// The regions of the boundary, in name order.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.regions.keys().map(String::as_str)
    }
}

// ---------------------------------------------------------------------------------------------
// Filter patterns

/// The JSON property selector for a configured correlation field, or `None` when the field
/// cannot be written as one. A dotted name is a path into nested objects
/// (`headers.x-correlation-id` → `$.headers.x-correlation-id`); each step may hold ASCII
/// letters, digits, `-` and `_`, which is what CloudWatch's property selectors accept.
pub fn json_selector(field: &str) -> Option<String> {
    let ok = |step: &str| {
        !step.is_empty()
            && step.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    field.split('.').all(ok).then(|| format!("$.{field}"))
}

/// `s` as a double-quoted filter pattern string (`"` and `\` escaped).
fn quoted(s: &str) -> String {
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

/// The CloudWatch Logs filter pattern that finds the lines of correlation id `id`: the id as
/// a quoted term, `"c-9f3a6e1d"` (`"` and `\` escaped with a backslash).
///
/// Why a quoted term and not a JSON pattern such as `{ $.correlationId = "c-9f3a6e1d" }`:
/// CloudWatch Logs evaluates a JSON pattern only against events that are JSON, so every
/// plain-text line that carries the id (Lambda runtime lines, a stack trace, a coloured error
/// line, a proxy's access log) would be missed. A quoted term matches the raw text of every
/// event, JSON or not, wherever the id appears in it (the hyphens of an id are fine inside the
/// quotes). It may match a little more than the request (an id that is a prefix of another,
/// a `*`, which CloudWatch reads as a wildcard): the lines are always filtered again locally
/// with the configured correlation fields, so the extra lines cost bandwidth, never a wrong
/// answer.
///
/// `None` (no pattern: the caller filters locally) for an empty id, an id with control
/// characters or an id longer than [`MAX_FILTER_PATTERN_LEN`] allows.
pub fn correlation_pattern(id: &str) -> Option<String> {
    if id.is_empty() || id.chars().any(char::is_control) {
        return None;
    }
    Some(quoted(id)).filter(|p| p.len() <= MAX_FILTER_PATTERN_LEN)
}

// ---------------------------------------------------------------------------------------------
// Endpoints that cannot take a host prefix

/// Removes the `stream-` host prefix the SDK puts in front of Live Tail's endpoint. On a
/// local endpoint such as `http://127.0.0.1:5000` the prefixed host (`stream-127.0.0.1`) does
/// not resolve; [`CloudWatchLogs::from_env`] attaches this interceptor only for endpoint
/// overrides whose host is an IP literal or `localhost`.
#[derive(Clone, Copy, Debug, Default)]
pub struct StripHostPrefix;

/// The prefix Live Tail's endpoint gets.
pub const LIVE_TAIL_HOST_PREFIX: &str = "stream-";

impl Intercept for StripHostPrefix {
    fn name(&self) -> &'static str {
        "StripHostPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        if let Some(uri) = strip_host_prefix(request.uri(), LIVE_TAIL_HOST_PREFIX) {
            request.set_uri(uri)?;
        }
        Ok(())
    }
}

/// `uri` without `prefix` at the start of its host, or `None` when the host does not start
/// with it. `http://stream-127.0.0.1:5000/` → `http://127.0.0.1:5000/`.
pub fn strip_host_prefix(uri: &str, prefix: &str) -> Option<String> {
    let start = uri.find("://")? + 3;
    let authority_end = uri[start..].find(['/', '?', '#']).map_or(uri.len(), |i| start + i);
    let host_start = uri[start..authority_end].rfind('@').map_or(start, |i| start + i + 1);
    uri[host_start..authority_end]
        .starts_with(prefix)
        .then(|| format!("{}{}", &uri[..host_start], &uri[host_start + prefix.len()..]))
}

/// The host of an endpoint URL (`http://host:port/path`), without brackets for IPv6.
pub fn endpoint_host(url: &str) -> Option<&str> {
    let start = url.find("://")? + 3;
    let authority = &url[start..];
    let authority = &authority[..authority.find(['/', '?', '#']).unwrap_or(authority.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(rest) = host_port.strip_prefix('[') {
        &rest[..rest.find(']')?]
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

/// Whether Live Tail's host prefix cannot work on this endpoint: its host is an IP literal or
/// `localhost`.
pub fn host_prefix_unusable(url: &str) -> bool {
    endpoint_host(url).is_some_and(|h| {
        h.eq_ignore_ascii_case("localhost") || h.parse::<std::net::IpAddr>().is_ok()
    })
}

/// The endpoint CloudWatch Logs clients built from `shared` use, if it is overridden: set on
/// the loader, `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, or `AWS_ENDPOINT_URL` (the SDK's order).
fn endpoint_override(shared: &aws_config::SdkConfig) -> Option<String> {
    if shared.get_origin("endpoint_url").is_client_config() {
        return shared.endpoint_url().map(str::to_string);
    }
    std::env::var("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| shared.endpoint_url().map(str::to_string))
}

// ---------------------------------------------------------------------------------------------
// The source

/// How following behaves over time (wall time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowTiming {
    /// How often `FilterLogEvents` is polled while Live Tail is down.
    pub poll_every: Duration,
    /// First wait before a Live Tail session is started again.
    pub backoff_min: Duration,
    /// The wait doubles per failed attempt up to this.
    pub backoff_max: Duration,
    /// A session is ended and started again after this long (Live Tail ends it at 3 h).
    pub session_limit: Duration,
    /// A session that lasted this long resets the backoff when it ends.
    pub healthy_after: Duration,
}

impl Default for FollowTiming {
    fn default() -> Self {
        FollowTiming {
            poll_every: Duration::from_secs(5),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            session_limit: LIVE_TAIL_SESSION_LIMIT - Duration::from_secs(60),
            healthy_after: Duration::from_secs(60),
        }
    }
}

struct RegionClient {
    client: Client,
    filter_guard: Arc<RateGuard>,
    describe_guard: RateGuard,
}

/// [`LogSource`] backed by CloudWatch Logs, one client per region of the boundary that has
/// log groups. See the module documentation for the calls it makes.
pub struct CloudWatchLogs {
    groups: LogGroups,
    clients: BTreeMap<String, RegionClient>,
    parser: LineParser,
    timing: FollowTiming,
}

impl std::fmt::Debug for CloudWatchLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudWatchLogs")
            .field("groups", &self.groups)
            .field("clients", &self.clients.keys().collect::<Vec<_>>())
            .field("timing", &self.timing)
            .finish()
    }
}

impl CloudWatchLogs {
    /// Clients from the environment the way the AWS CLI finds credentials (profile, SSO,
    /// environment, instance role), with `profile` when given and adaptive retries. See
    /// [`CloudWatchLogs::from_sdk_config`].
    pub async fn from_env(
        profile: Option<&str>,
        boundary: &Boundary,
        services: &[ServiceConfig],
        parser: LineParser,
    ) -> Result<Self, SourceError> {
        Self::from_sdk_config(&super::load_sdk_config(profile).await, boundary, services, parser)
    }

    /// One client per region of the boundary that has log groups, from a loaded SDK config.
    /// When the endpoint is overridden with a URL whose host is an IP literal or `localhost`
    /// (a local test server), the clients get [`StripHostPrefix`] so Live Tail reaches it.
    /// An override that is not a URL is an `Invalid` error.
    pub fn from_sdk_config(
        shared: &aws_config::SdkConfig,
        boundary: &Boundary,
        services: &[ServiceConfig],
        parser: LineParser,
    ) -> Result<Self, SourceError> {
        use aws_sdk_cloudwatchlogs::config::{Builder, Region};

        let strip = match endpoint_override(shared) {
            Some(url) if endpoint_host(&url).is_none() => {
                return Err(SourceError::new(
                    SourceErrorKind::Invalid,
                    format!("the CloudWatch Logs endpoint {url:?} is not a URL"),
                )
                .with_hint("check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"));
            }
            Some(url) => host_prefix_unusable(&url),
            None => false,
        };
        let groups = LogGroups::plan(boundary, services);
        let clients = groups
            .regions()
            .filter(|r| !groups.region(r).is_empty())
            .map(|region| {
                let mut conf = Builder::from(shared).region(Region::new(region.to_string()));
                if strip {
                    conf = conf.interceptor(StripHostPrefix);
                }
                (region.to_string(), Client::from_conf(conf.build()))
            })
            .collect();
        Ok(Self::with_clients(clients, groups, parser))
    }

    /// Use the given clients, keyed by region. Clients for regions outside the boundary the
    /// groups were planned for are dropped unused.
    pub fn with_clients(
        clients: BTreeMap<String, Client>,
        groups: LogGroups,
        parser: LineParser,
    ) -> Self {
        let clients = clients
            .into_iter()
            .filter(|(region, _)| groups.contains_region(region))
            .map(|(region, client)| {
                let rc = RegionClient {
                    client,
                    filter_guard: Arc::new(RateGuard::per_second(FILTER_TPS)),
                    describe_guard: RateGuard::per_second(DESCRIBE_TPS),
                };
                (region, rc)
            })
            .collect();
        CloudWatchLogs { groups, clients, parser, timing: FollowTiming::default() }
    }

    /// The guard every `FilterLogEvents` call to `region` waits on, to hand to other
    /// `CloudWatchLogs` of the process ([`CloudWatchLogs::with_filter_guard`]): the quota is
    /// per account and region, shared by every pane.
    pub fn filter_guard(&self, region: &str) -> Option<Arc<RateGuard>> {
        self.clients.get(region).map(|rc| rc.filter_guard.clone())
    }

    /// Make `FilterLogEvents` calls to `region` wait on `guard` (shared with other sources).
    pub fn with_filter_guard(mut self, region: &str, guard: Arc<RateGuard>) -> Self {
        if let Some(rc) = self.clients.get_mut(region) {
            rc.filter_guard = guard;
        }
        self
    }

    /// Change how `follow` waits, polls and restarts.
    pub fn with_follow_timing(mut self, timing: FollowTiming) -> Self {
        self.timing = timing;
        self
    }

    /// The regions that have a client (only regions of the boundary with log groups).
    pub fn regions(&self) -> Vec<&str> {
        self.clients.keys().map(String::as_str).collect()
    }

    pub fn groups(&self) -> &LogGroups {
        &self.groups
    }

    /// The filter pattern for a correlation id with the parser's correlation fields.
    pub fn pattern(&self, correlation_id: Option<&str>) -> Option<String> {
        correlation_id.and_then(correlation_pattern)
    }

    /// The client and groups of a region, or why there are none. Makes no call.
    fn region(&self, region: &str) -> Result<(&RegionClient, &[LogGroup]), SourceError> {
        if !self.groups.contains_region(region) {
            return Err(SourceError::new(
                SourceErrorKind::Invalid,
                format!("region {region} is outside the boundary; its logs are not read"),
            )
            .with_hint("pick a region of the boundary, or widen the boundary in the config"));
        }
        let groups = self.groups.region(region);
        if groups.is_empty() {
            return Err(SourceError::new(
                SourceErrorKind::Invalid,
                format!("no log groups are configured for region {region}"),
            )
            .with_hint("add log-groups to the services that run there"));
        }
        let Some(rc) = self.clients.get(region) else {
            return Err(SourceError::new(
                SourceErrorKind::Other,
                format!("no CloudWatch Logs client for region {region}"),
            ));
        };
        Ok((rc, groups))
    }

    /// The lines of `groups` in `[from, to)`: newest `limit`, deduplicated, time order.
    #[allow(clippy::too_many_arguments)]
    async fn query(
        &self,
        rc: &RegionClient,
        region: &str,
        groups: &[LogGroup],
        pattern: Option<&str>,
        correlation_id: Option<&str>,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<LogBatch, SourceError> {
        let mut kept = Collector::new(limit, correlation_id);
        if to > from {
            // A group that does not exist (a discovered function that never logged, a typo)
            // leaves the others readable; it is an error only when no group exists. Following
            // names each missing group in the pane.
            let mut missing: Option<SourceError> = None;
            let mut found = 0;
            for group in groups {
                match self.filter_group(rc, region, group, pattern, from, to, &mut kept).await {
                    Ok(()) => found += 1,
                    Err(e) if e.message.contains("ResourceNotFound") => {
                        tracing::warn!(group = %group.name, region, "log group does not exist");
                        missing.get_or_insert(e);
                    }
                    Err(e) => return Err(e),
                }
            }
            if found == 0
                && let Some(e) = missing
            {
                return Err(e);
            }
        }
        Ok(kept.finish())
    }

    /// One logical `FilterLogEvents` call: every page of one group.
    #[allow(clippy::too_many_arguments)]
    async fn filter_group(
        &self,
        rc: &RegionClient,
        region: &str,
        group: &LogGroup,
        pattern: Option<&str>,
        from: Millis,
        to: Millis,
        kept: &mut Collector,
    ) -> Result<(), SourceError> {
        let operation = format!("{FILTER_OP} on {}", group.name);
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            rc.filter_guard.acquire().await;
            let out = rc
                .client
                .filter_log_events()
                .log_group_name(&group.name)
                .start_time(from)
                // Both ends are inclusive for CloudWatch; the query's end is not.
                .end_time(to - 1)
                .set_filter_pattern(pattern.map(str::to_string))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| with_not_found_hint(from_sdk(&operation, &e)))?;
            for ev in out.events() {
                let Some(message) = ev.message() else { continue };
                let ctx = LineContext {
                    at: ev.timestamp(),
                    region: Some(region),
                    service: Some(&group.service),
                };
                let event = self.parser.parse(message, ctx);
                let at = ev.timestamp().unwrap_or(event.at);
                let id = match ev.event_id() {
                    Some(id) if !id.is_empty() => id.to_string(),
                    _ => format!(
                        "{}/{}/{at}/{:x}",
                        group.name,
                        ev.log_stream_name().unwrap_or_default(),
                        cid_hash(message)
                    ),
                };
                kept.offer(at, id, event);
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(()),
            }
        }
        Err(SourceError::new(
            SourceErrorKind::Other,
            format!("{operation} kept paging after {MAX_PAGES} pages"),
        )
        .with_hint("narrow the time window or filter by correlation id"))
    }

    /// The ARN of each group (without the trailing `:*`), and the groups that do not exist.
    async fn resolve<'g>(
        &self,
        rc: &RegionClient,
        groups: &'g [LogGroup],
    ) -> Result<(Vec<(String, &'g LogGroup)>, Vec<&'g LogGroup>), SourceError> {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for group in groups {
            match self.describe(rc, &group.name).await? {
                Some(arn) => found.push((arn, group)),
                None => missing.push(group),
            }
        }
        Ok((found, missing))
    }

    /// The ARN of the group called `name`, if it exists.
    async fn describe(&self, rc: &RegionClient, name: &str) -> Result<Option<String>, SourceError> {
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            rc.describe_guard.acquire().await;
            let out = rc
                .client
                .describe_log_groups()
                .log_group_name_prefix(name)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| from_sdk(DESCRIBE_OP, &e))?;
            for g in out.log_groups() {
                if g.log_group_name() != Some(name) {
                    continue;
                }
                let arn = g.log_group_arn().or(g.arn()).map(|a| a.trim_end_matches(":*"));
                return Ok(arn.filter(|a| !a.is_empty()).map(str::to_string));
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(None),
            }
        }
        Ok(None)
    }
}

fn with_not_found_hint(e: SourceError) -> SourceError {
    if e.hint.is_none() && e.message.contains("ResourceNotFound") {
        e.with_hint(GROUPS_HINT)
    } else {
        e
    }
}

/// The newest `limit` matching lines seen so far, keyed by (CloudWatch time, event id).
struct Collector {
    limit: usize,
    filter: Option<LogFilter>,
    kept: BTreeMap<(Millis, String), LogEvent>,
    truncated: bool,
}

impl Collector {
    fn new(limit: usize, correlation_id: Option<&str>) -> Self {
        let filter = correlation_id
            .map(|c| LogFilter { correlation_id: Some(c.to_string()), ..LogFilter::default() });
        Collector { limit, filter, kept: BTreeMap::new(), truncated: false }
    }

    fn offer(&mut self, at: Millis, id: String, event: LogEvent) {
        if self.filter.as_ref().is_some_and(|f| !f.matches(&event)) {
            return;
        }
        self.kept.insert((at, id), event);
        if self.kept.len() > self.limit {
            self.kept.pop_first();
            self.truncated = true;
        }
    }

    fn finish(self) -> LogBatch {
        let mut events: Vec<LogEvent> = self.kept.into_values().collect();
        // Stable: lines of the same time keep CloudWatch's order.
        events.sort_by_key(|e| e.at);
        LogBatch { events, sampled: false, truncated: self.truncated, behind_ms: None }
    }
}

impl LogSource for CloudWatchLogs {
    fn name(&self) -> &str {
        "cloudwatch-logs"
    }

    async fn fetch(&self, q: LogQuery) -> Result<LogBatch, SourceError> {
        let (rc, groups) = self.region(&q.region)?;
        let pattern = self.pattern(q.correlation_id.as_deref());
        self.query(
            rc,
            &q.region,
            groups,
            pattern.as_deref(),
            q.correlation_id.as_deref(),
            q.from,
            q.to,
            q.limit,
        )
        .await
    }

    async fn follow(&self, q: LogQuery, clock: Clock, sink: mpsc::Sender<LogUpdate>) {
        let (rc, groups) = match self.region(&q.region) {
            Ok(found) => found,
            Err(e) => {
                // Nothing to follow; say why once and wait for the pane to let go.
                if sink.send(Err(e)).await.is_ok() {
                    sink.closed().await;
                }
                return;
            }
        };
        let tail = Tail {
            src: self,
            rc,
            q: &q,
            pattern: self.pattern(q.correlation_id.as_deref()),
            clock: &clock,
            sink: &sink,
            delivered: Default::default(),
        };
        let sessions = futures_util::future::join_all(
            groups.chunks(MAX_GROUPS_PER_SESSION).map(|chunk| tail.run(chunk)),
        );
        tokio::select! {
            _ = sessions => {}
            _ = sink.closed() => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Following

/// How a Live Tail session ended.
enum SessionEnd {
    /// The stream ended.
    Ended,
    /// The session reached its time limit.
    Limit,
    Failed(SourceError),
}

/// Lines remembered per follow to drop repeats.
const MAX_REMEMBERED: usize = 200_000;
/// How far behind the newest delivered line repeats are still recognised.
const REMEMBER_MS: Millis = 30 * 60_000;

/// The lines one follow has delivered, across its sessions, polls and restarts, so none is
/// delivered twice. Live Tail events carry no event id, so a line is known by its service, its
/// timestamp and its text (the same for a line whether Live Tail or `FilterLogEvents` brought
/// it): two identical lines of one service in the same millisecond are shown once.
#[derive(Debug, Default)]
pub struct Delivered {
    seen: HashMap<u64, Millis>,
    newest: Millis,
}

impl Delivered {
    fn key(e: &LogEvent) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (e.at, e.service.as_str(), e.raw.as_str()).hash(&mut h);
        h.finish()
    }

    /// The events not delivered before, in time order, remembered from now on.
    pub fn admit(&mut self, mut events: Vec<LogEvent>) -> Vec<LogEvent> {
        events.sort_by_key(|e| e.at);
        events.retain(|e| self.seen.insert(Self::key(e), e.at).is_none());
        if let Some(last) = events.last() {
            self.newest = self.newest.max(last.at);
        }
        if self.seen.len() > MAX_REMEMBERED {
            let keep_from = self.newest - REMEMBER_MS;
            self.seen.retain(|_, at| *at >= keep_from);
            if self.seen.len() > MAX_REMEMBERED {
                self.seen.clear();
            }
        }
        events
    }

    /// How many lines are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// What one follow shares between its sessions.
struct Tail<'a> {
    src: &'a CloudWatchLogs,
    rc: &'a RegionClient,
    q: &'a LogQuery,
    pattern: Option<String>,
    clock: &'a Clock,
    sink: &'a mpsc::Sender<LogUpdate>,
    /// Every line sent so far, by all sessions of this follow.
    delivered: std::sync::Mutex<Delivered>,
}

/// The state of one session's loop.
struct Follower<'g> {
    chunk: &'g [LogGroup],
    /// Resolved ARNs, once `DescribeLogGroups` answered and at least one group exists.
    live: Option<Vec<(String, &'g LogGroup)>>,
    /// Lines before this time have been delivered (or were before `q.from`).
    cursor: Millis,
    /// The last update sent was an error: the next success is sent even when empty.
    failing: bool,
}

impl<'g> Follower<'g> {
    /// The groups to poll: the ones that exist once that is known, all of them before.
    fn poll_groups(&self) -> Vec<LogGroup> {
        match &self.live {
            Some(live) => live.iter().map(|(_, g)| (*g).clone()).collect(),
            None => self.chunk.to_vec(),
        }
    }
}

impl Tail<'_> {
    async fn send(&self, f: &mut Follower<'_>, update: LogUpdate) {
        // Repeats (a restarted session's replay, a poll overlapping a session) are dropped
        // here, where every line of the follow passes.
        let update = match update {
            Ok(mut batch) => {
                let had_lines = !batch.events.is_empty();
                let mut delivered = self.delivered.lock().unwrap_or_else(|e| e.into_inner());
                batch.events = delivered.admit(std::mem::take(&mut batch.events));
                drop(delivered);
                if had_lines && batch.events.is_empty() && !f.failing {
                    return;
                }
                Ok(batch)
            }
            Err(e) => Err(e),
        };
        f.failing = update.is_err();
        // A closed sink ends the whole follow (see `follow`).
        let _ = self.sink.send(update).await;
    }

    /// Follow one chunk of at most [`MAX_GROUPS_PER_SESSION`] groups, forever.
    async fn run(&self, chunk: &[LogGroup]) {
        let timing = self.src.timing;
        let mut f = Follower { chunk, live: None, cursor: self.q.from, failing: false };
        let mut backoff = timing.backoff_min;
        loop {
            if f.live.is_none() {
                match self.src.resolve(self.rc, chunk).await {
                    Ok((found, missing)) => {
                        for g in missing {
                            let e = SourceError::new(
                                SourceErrorKind::Invalid,
                                format!("log group {} does not exist in {}", g.name, self.q.region),
                            )
                            .with_hint(GROUPS_HINT);
                            self.send(&mut f, Err(e)).await;
                        }
                        if !found.is_empty() {
                            f.live = Some(found);
                        }
                    }
                    Err(e) => self.send(&mut f, Err(e)).await,
                }
            }
            if let Some(live) = &f.live {
                let arns: Vec<String> = live.iter().map(|(arn, _)| arn.clone()).collect();
                let started = self
                    .rc
                    .client
                    .start_live_tail()
                    .set_log_group_identifiers(Some(arns))
                    .set_log_event_filter_pattern(self.pattern.clone())
                    .send()
                    .await;
                match started {
                    Ok(out) => {
                        // Lines since the last session (or since `q.from`) first.
                        self.poll(&mut f).await;
                        let began = Instant::now();
                        let end = self.read(&mut f, out).await;
                        f.cursor = f.cursor.max(self.clock.now());
                        match end {
                            SessionEnd::Limit => {
                                backoff = timing.backoff_min;
                                continue;
                            }
                            SessionEnd::Ended if began.elapsed() >= timing.healthy_after => {
                                backoff = timing.backoff_min;
                            }
                            SessionEnd::Ended => {}
                            SessionEnd::Failed(e) => self.send(&mut f, Err(e)).await,
                        }
                    }
                    Err(e) => self.send(&mut f, Err(from_sdk(TAIL_OP, &e))).await,
                }
            }
            self.wait_polling(&mut f, backoff).await;
            backoff = (backoff * 2).min(timing.backoff_max).max(timing.backoff_min);
        }
    }

    /// Read one session's stream until it ends, fails or reaches the time limit.
    async fn read(&self, f: &mut Follower<'_>, mut out: StartLiveTailOutput) -> SessionEnd {
        let mut services: HashMap<String, String> = HashMap::new();
        for (arn, g) in f.live.iter().flatten() {
            services.insert(arn.clone(), g.service.clone());
            services.insert(g.name.clone(), g.service.clone());
        }
        let filter = self
            .q
            .correlation_id
            .as_ref()
            .map(|c| LogFilter { correlation_id: Some(c.clone()), ..LogFilter::default() });
        let limit = tokio::time::sleep(self.src.timing.session_limit);
        tokio::pin!(limit);
        loop {
            let next = tokio::select! {
                _ = &mut limit => return SessionEnd::Limit,
                next = out.response_stream.recv() => next,
            };
            match next {
                Ok(Some(StartLiveTailResponseStream::SessionUpdate(update))) => {
                    let sampled = update.session_metadata().is_some_and(|m| m.sampled());
                    let mut events = Vec::with_capacity(update.session_results().len());
                    for ev in update.session_results() {
                        let Some(message) = ev.message() else { continue };
                        // Lines from before the follow's start were the caller's history
                        // (read with `fetch`); a session replaying them would show them twice.
                        if ev.timestamp().is_some_and(|t| t < self.q.from) {
                            continue;
                        }
                        let service = ev.log_group_identifier().and_then(|id| {
                            let id = id.trim_end_matches(":*");
                            services
                                .get(id)
                                .or_else(|| services.get(id.rsplit_once(":log-group:")?.1))
                        });
                        let ctx = LineContext {
                            at: ev.timestamp(),
                            region: Some(&self.q.region),
                            service: service.map(String::as_str),
                        };
                        let event = self.src.parser.parse(message, ctx);
                        if filter.as_ref().is_none_or(|flt| flt.matches(&event)) {
                            events.push(event);
                        }
                    }
                    events.sort_by_key(|e| e.at);
                    if !events.is_empty() || f.failing {
                        let batch = LogBatch { events, sampled, truncated: false, behind_ms: None };
                        self.send(f, Ok(batch)).await;
                    }
                }
                Ok(Some(_)) => {
                    // SessionStart: the session is up.
                    if f.failing {
                        self.send(f, Ok(LogBatch::default())).await;
                    }
                }
                Ok(None) => return SessionEnd::Ended,
                Err(e) => {
                    if e.as_service_error().and_then(|s| s.code())
                        == Some("SessionTimeoutException")
                    {
                        return SessionEnd::Limit;
                    }
                    return SessionEnd::Failed(from_sdk(TAIL_OP, &e));
                }
            }
        }
    }

    /// Fetch the lines of `[cursor, now)` and send them (if any, or if recovering).
    async fn poll(&self, f: &mut Follower<'_>) {
        let now = self.clock.now();
        if now <= f.cursor {
            return;
        }
        let groups = f.poll_groups();
        let result = self
            .src
            .query(
                self.rc,
                &self.q.region,
                &groups,
                self.pattern.as_deref(),
                self.q.correlation_id.as_deref(),
                f.cursor,
                now,
                self.q.limit,
            )
            .await;
        match result {
            Ok(batch) => {
                f.cursor = now;
                if !batch.events.is_empty() || f.failing {
                    self.send(f, Ok(batch)).await;
                }
            }
            Err(e) => self.send(f, Err(e)).await,
        }
    }

    /// Wait `wait`, polling every `poll_every` meanwhile.
    async fn wait_polling(&self, f: &mut Follower<'_>, wait: Duration) {
        let deadline = Instant::now() + wait;
        loop {
            let next = Instant::now() + self.src.timing.poll_every;
            if next >= deadline {
                tokio::time::sleep_until(deadline).await;
                return;
            }
            tokio::time::sleep_until(next).await;
            self.poll(f).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivered_lines_are_not_repeated_and_come_in_time_order() {
        let parser = LineParser::default();
        let ev = |at: Millis, service: &str, raw: &str| {
            parser.parse(
                raw,
                LineContext { at: Some(at), region: Some("eu-west-1"), service: Some(service) },
            )
        };
        let mut d = Delivered::default();
        let first = d.admit(vec![ev(3, "api", "c"), ev(1, "api", "a"), ev(2, "api", "b")]);
        let raws = |v: &[LogEvent]| v.iter().map(|e| e.raw.clone()).collect::<Vec<_>>();
        assert_eq!(raws(&first), ["a", "b", "c"]);
        // A restarted session replays a and b and brings d; the same text at another time or
        // of another service is another line.
        let again = d.admit(vec![ev(1, "api", "a"), ev(4, "api", "d"), ev(2, "api", "b")]);
        assert_eq!(raws(&again), ["d"]);
        let other = d.admit(vec![ev(5, "api", "a"), ev(1, "worker", "a"), ev(5, "api", "a")]);
        assert_eq!(raws(&other), ["a", "a"]);
        assert_eq!(d.len(), 6);
    }

    #[test]
    fn delivered_forgets_old_lines_when_it_holds_too_many() {
        let mut d = Delivered::default();
        let parser = LineParser::default();
        let many: Vec<LogEvent> = (0..MAX_REMEMBERED as Millis + 10)
            .map(|i| {
                let ctx = LineContext { at: Some(i * 1_000), region: None, service: Some("api") };
                parser.parse(&format!("l{i}"), ctx)
            })
            .collect();
        assert_eq!(d.admit(many).len(), MAX_REMEMBERED + 10);
        assert!(d.len() <= MAX_REMEMBERED, "{}", d.len());
        assert!(!d.is_empty(), "the newest lines are still known");
    }

    #[test]
    fn the_id_is_a_quoted_term() {
        assert_eq!(correlation_pattern("c-9f3a6e1d").as_deref(), Some(r#""c-9f3a6e1d""#));
        assert_eq!(correlation_pattern("12345").as_deref(), Some(r#""12345""#));
        assert_eq!(correlation_pattern(r#"a"b\c"#).as_deref(), Some(r#""a\"b\\c""#));
    }

    #[test]
    fn selectors_of_correlation_fields() {
        assert_eq!(json_selector("correlationId").as_deref(), Some("$.correlationId"));
        assert_eq!(
            json_selector("headers.x-request-id").as_deref(),
            Some("$.headers.x-request-id")
        );
        for bad in ["@requestId", "request id", "a..b", "", "x[0]", "é", "a.", "$.x"] {
            assert_eq!(json_selector(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn unusable_ids_push_no_pattern() {
        assert_eq!(correlation_pattern(""), None);
        assert_eq!(correlation_pattern("c-1\nc-2"), None);
        let longest = "x".repeat(MAX_FILTER_PATTERN_LEN - 2);
        assert_eq!(correlation_pattern(&longest), Some(format!("\"{longest}\"")));
        assert_eq!(correlation_pattern(&"x".repeat(MAX_FILTER_PATTERN_LEN - 1)), None);
    }

    #[test]
    fn host_prefix_is_stripped_from_the_host_only() {
        let p = LIVE_TAIL_HOST_PREFIX;
        assert_eq!(
            strip_host_prefix("http://stream-127.0.0.1:5000/", p).as_deref(),
            Some("http://127.0.0.1:5000/")
        );
        assert_eq!(
            strip_host_prefix("https://stream-localhost", p).as_deref(),
            Some("https://localhost")
        );
        assert_eq!(strip_host_prefix("http://127.0.0.1:5000/stream-x", p), None);
        assert_eq!(strip_host_prefix("https://logs.eu-west-1.amazonaws.com/", p), None);
        assert_eq!(strip_host_prefix("not a uri", p), None);
    }

    #[test]
    fn local_endpoints_cannot_take_a_host_prefix() {
        for url in [
            "http://127.0.0.1:5000",
            "http://localhost:4566/",
            "http://LOCALHOST",
            "http://[::1]:5000",
            "http://user@10.0.0.7:80/x",
        ] {
            assert!(host_prefix_unusable(url), "{url}");
        }
        for url in ["https://logs.eu-west-1.amazonaws.com", "http://moto:5000", "127.0.0.1:5000"] {
            assert!(!host_prefix_unusable(url), "{url}");
        }
        assert_eq!(endpoint_host("http://[::1]:5000/"), Some("::1"));
        assert_eq!(endpoint_host("http://:5000"), None);
    }

    #[test]
    fn groups_follow_the_services_and_the_boundary() {
        let svc = |name: &str, regions: &[&str], groups: &[&str]| ServiceConfig {
            name: name.into(),
            namespace: "AWS/Lambda".into(),
            dimensions: Default::default(),
            requests_metric: "Invocations".into(),
            errors_metric: "Errors".into(),
            latency_metric: "Duration".into(),
            regions: regions.iter().map(|r| r.to_string()).collect(),
            log_groups: groups.iter().map(|g| g.to_string()).collect(),
            operations: vec![],
        };
        let boundary = Boundary::global().only_continent("eu").unwrap();
        let plan = LogGroups::plan(
            &boundary,
            &[
                svc("api", &[], &["/app/api"]),
                svc("worker", &["eu-west-1", "us-east-1"], &["/app/worker", "/app/api"]),
            ],
        );
        assert_eq!(plan.regions().collect::<Vec<_>>(), ["eu-central-1", "eu-west-1"]);
        let names = |r: &str| {
            plan.region(r).iter().map(|g| (g.name.as_str(), g.service.as_str())).collect::<Vec<_>>()
        };
        assert_eq!(names("eu-west-1"), [("/app/api", "api"), ("/app/worker", "worker")]);
        assert_eq!(names("eu-central-1"), [("/app/api", "api")]);
        assert!(!plan.contains_region("us-east-1"));
        assert!(plan.region("us-east-1").is_empty());
    }
}
