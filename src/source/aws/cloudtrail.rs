//! Changes from CloudTrail's event history: `LookupEvents`, parsed with
//! [`crate::source::cloudtrail`].
//!
//! # The calls
//!
//! One logical `LookupEvents` call per query, over `[from, to)` of the queried region,
//! followed through `NextToken` (pages of [`MAX_RESULTS_PER_PAGE`] events; a page may be empty
//! while a token is set, paging goes on) for at most [`MAX_LOOKUP_PAGES`] pages. Unless the query asks
//! for read-only events, the lookup attribute `ReadOnly = false` is sent (the API takes one
//! attribute per call) and read-only events that come back anyway are dropped. Each event's
//! `CloudTrailEvent` is parsed with [`parse_record`](crate::source::cloudtrail::parse_record);
//! an event without one (or with one that cannot be read) is built from the event's own fields.
//! The answer is deduplicated by event id, limited to `[from, to)` and newest first.
//!
//! # History and quotas
//!
//! The event history keeps 90 days: the window is clamped to the last [`LOOKBACK_MS`] from now
//! (the clock is the wall clock unless set with [`CloudTrailChanges::with_clock`]); a window
//! entirely older is an `Invalid` error that makes no call. `LookupEvents` allows
//! [`LOOKUP_TPS`] transactions per second per account and region: every page first waits on
//! the region's [`RateGuard`], which sources of the same process can share
//! ([`CloudTrailChanges::lookup_guard`], [`CloudTrailChanges::with_lookup_guard`]). Throttling
//! that still happens is retried by the SDK (adaptive retry mode, see
//! [`CloudTrailChanges::from_env`]) and then becomes a `Throttled` error with a hint.
//!
//! # Boundary
//!
//! Only regions of the boundary get a client; a query for any other region is an `Invalid`
//! error and makes no call. Nothing here calls a mutating API.

use super::error::from_sdk;
use super::rate::RateGuard;
use crate::model::{Boundary, Change, Clock, DAY_MS, Millis};
use crate::source::cloudtrail::{LookupEvent, parse_lookup_event};
use crate::source::{ChangeQuery, ChangeSource, SourceError, SourceErrorKind};
use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{Event, LookupAttribute, LookupAttributeKey};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// `LookupEvents` transactions per second per account and region (a fixed quota).
pub const LOOKUP_TPS: u32 = 2;
/// Events per `LookupEvents` page (the API's maximum).
pub const MAX_RESULTS_PER_PAGE: i32 = 50;
/// How far back the event history goes.
pub const LOOKBACK_MS: Millis = 90 * DAY_MS;
/// Pages followed per query before giving up (5,000 events, 50 s of the 2 TPS budget).
pub const MAX_LOOKUP_PAGES: usize = 100;

const LOOKUP_OP: &str = "CloudTrail LookupEvents";
const LOOKUP_THROTTLE_HINT: &str = "CloudTrail LookupEvents allows 2 calls per second per account \
     and region and kept throttling after retries; poll the change feed less often or narrow \
     its window";

struct RegionClient {
    client: Client,
    guard: Arc<RateGuard>,
}

/// [`ChangeSource`] backed by CloudTrail's event history, one client per region of the
/// boundary. See the module documentation for the calls it makes.
pub struct CloudTrailChanges {
    boundary: Boundary,
    clients: BTreeMap<String, RegionClient>,
    clock: Clock,
}

impl std::fmt::Debug for CloudTrailChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudTrailChanges")
            .field("boundary", &self.boundary)
            .field("regions", &self.clients.keys().collect::<Vec<_>>())
            .field("clock", &self.clock)
            .finish()
    }
}

impl CloudTrailChanges {
    /// Clients from the environment the way the AWS CLI finds credentials (profile, SSO,
    /// environment, instance role), with `profile` when given, adaptive retries and one client
    /// per region of the boundary.
    pub async fn from_env(boundary: Boundary, profile: Option<&str>) -> Self {
        Self::from_sdk_config(&super::load_sdk_config(profile).await, boundary)
    }

    /// One client per region of the boundary from a loaded SDK config (its own region is not
    /// used).
    pub fn from_sdk_config(shared: &aws_config::SdkConfig, boundary: Boundary) -> Self {
        use aws_sdk_cloudtrail::config::{Builder, Region};

        let clients = boundary
            .regions()
            .map(|(_, region)| {
                let conf = Builder::from(shared).region(Region::new(region.to_string())).build();
                (region.to_string(), Client::from_conf(conf))
            })
            .collect();
        Self::with_clients(boundary, clients)
    }

    /// Use the given clients, keyed by region. Clients for regions outside the boundary are
    /// dropped unused. Each region gets its own [`RateGuard`] at [`LOOKUP_TPS`].
    pub fn with_clients(boundary: Boundary, clients: BTreeMap<String, Client>) -> Self {
        let clients = clients
            .into_iter()
            .filter(|(r, _)| boundary.contains(r))
            .map(|(r, client)| {
                let guard = Arc::new(RateGuard::per_second(LOOKUP_TPS));
                (r, RegionClient { client, guard })
            })
            .collect();
        CloudTrailChanges { boundary, clients, clock: Clock::Wall }
    }

    /// Judge "the last 90 days" by `clock` instead of the wall clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The guard every `LookupEvents` call to `region` waits on, to hand to other sources of
    /// the process ([`CloudTrailChanges::with_lookup_guard`]): the quota is per account and
    /// region.
    pub fn lookup_guard(&self, region: &str) -> Option<Arc<RateGuard>> {
        self.clients.get(region).map(|rc| rc.guard.clone())
    }

    /// Make `LookupEvents` calls to `region` wait on `guard` (shared with other sources).
    pub fn with_lookup_guard(mut self, region: &str, guard: Arc<RateGuard>) -> Self {
        if let Some(rc) = self.clients.get_mut(region) {
            rc.guard = guard;
        }
        self
    }

    /// The regions that have a client (only regions of the boundary).
    pub fn regions(&self) -> Vec<&str> {
        self.clients.keys().map(String::as_str).collect()
    }

    /// The client of a region, or why there is none. Makes no call.
    fn client(&self, region: &str) -> Result<&RegionClient, SourceError> {
        if !self.boundary.contains(region) {
            return Err(SourceError::new(
                SourceErrorKind::Invalid,
                format!("region {region} is outside the boundary; its changes are not read"),
            )
            .with_hint("pick a region of the boundary, or widen the boundary in the config"));
        }
        self.clients.get(region).ok_or_else(|| {
            SourceError::new(
                SourceErrorKind::Other,
                format!("no CloudTrail client for region {region}"),
            )
        })
    }

    /// `[from, to)` within the event history's 90 days, or `None` when nothing of it is left.
    fn clamp(&self, from: Millis, to: Millis) -> Option<(Millis, Millis)> {
        let now = self.clock.now();
        let oldest = now - LOOKBACK_MS;
        let (f, t) = (from.max(oldest), to.min(now));
        if f != from || t != to {
            tracing::debug!(
                from,
                to,
                clamped_from = f,
                clamped_to = t,
                "CloudTrail event history covers the last 90 days only: window clamped"
            );
        }
        (f < t).then_some((f, t))
    }
}

/// An SDK event in plain fields.
fn lookup_event(e: &Event) -> LookupEvent {
    LookupEvent {
        event_id: e.event_id().map(str::to_string),
        event_name: e.event_name().map(str::to_string),
        event_time: e.event_time().and_then(|t| t.to_millis().ok()),
        event_source: e.event_source().map(str::to_string),
        username: e.username().map(str::to_string),
        read_only: e.read_only().map(str::to_string),
        resources: e
            .resources()
            .iter()
            .map(|r| (r.resource_type().map(str::to_string), r.resource_name().map(str::to_string)))
            .collect(),
        cloud_trail_event: e.cloud_trail_event().map(str::to_string),
    }
}

/// An SDK event as a change: its record when it can be read, else its own fields.
fn change_of(e: &Event, region: &str) -> Option<Change> {
    let plain = lookup_event(e);
    match parse_lookup_event(&plain, region) {
        Ok(c) => Some(c),
        Err(err) if plain.cloud_trail_event.is_some() => {
            tracing::warn!(
                event_id = plain.event_id.as_deref().unwrap_or("?"),
                "CloudTrail event record unreadable ({err}); using the event's fields"
            );
            let fields = LookupEvent { cloud_trail_event: None, ..plain };
            parse_lookup_event(&fields, region)
                .inspect_err(|e| tracing::warn!("CloudTrail event skipped: {e}"))
                .ok()
        }
        Err(err) => {
            tracing::warn!("CloudTrail event skipped: {err}");
            None
        }
    }
}

impl ChangeSource for CloudTrailChanges {
    fn name(&self) -> &str {
        "cloudtrail"
    }

    async fn changes(&self, q: ChangeQuery) -> Result<Vec<Change>, SourceError> {
        let rc = self.client(&q.region)?;
        if q.to <= q.from {
            return Ok(Vec::new());
        }
        let Some((from, to)) = self.clamp(q.from, q.to) else {
            return Err(SourceError::new(
                SourceErrorKind::Invalid,
                "CloudTrail event history covers the last 90 days; the window is older",
            )
            .with_hint("read older changes from the trail's log files in S3"));
        };
        let attribute = (!q.include_read_only).then(|| {
            LookupAttribute::builder()
                .attribute_key(LookupAttributeKey::ReadOnly)
                .attribute_value("false")
                .build()
                .expect("key and value are set")
        });
        let mut out: Vec<Change> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut token: Option<String> = None;
        for page_no in 0.. {
            if page_no == MAX_LOOKUP_PAGES {
                tracing::warn!(
                    region = q.region,
                    "CloudTrail LookupEvents: stopped after {MAX_LOOKUP_PAGES} pages"
                );
                break;
            }
            rc.guard.acquire().await;
            let page = rc
                .client
                .lookup_events()
                .start_time(DateTime::from_millis(from))
                .end_time(DateTime::from_millis(to))
                .max_results(MAX_RESULTS_PER_PAGE)
                .set_lookup_attributes(attribute.clone().map(|a| vec![a]))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    let err = from_sdk(LOOKUP_OP, &e);
                    if err.kind == SourceErrorKind::Throttled {
                        err.with_hint(LOOKUP_THROTTLE_HINT)
                    } else {
                        err
                    }
                })?;
            for c in page.events().iter().filter_map(|e| change_of(e, &q.region)) {
                let wanted = (q.include_read_only || !c.read_only) && c.at >= from && c.at < to;
                if wanted && seen.insert(c.id.clone()) {
                    out.push(c);
                }
            }
            token = page.next_token().filter(|t| !t.is_empty()).map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
        Ok(out)
    }
}
