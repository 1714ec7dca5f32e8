//! The simulator's engine: every request of every minute is a pure function of the scenario,
//! the seed, the region, the flow, the minute and the request's index. Metrics are aggregated
//! from exactly those requests, and the same requests give the log lines and the traces, so
//! the four signals always agree.

use super::scenario::{Fault, MAX_STEPS, Scenario};
use crate::model::{
    Boundary, Change, DAY_MS, Identity, Level, LogEvent, MINUTE_MS, MetricsSnapshot, Millis,
    Outcome, RedPoint, RedSeries, RegionMetrics, RequestSample, Scope, ServiceMetrics, Span,
    SpanLink, Trace,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// SplitMix64: a tiny, well-known mixing function. Good enough for noise, and it makes
/// every value addressable (no state to replay).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn key(parts: &[u64]) -> u64 {
    parts.iter().fold(0x5EED_u64, |acc, p| mix(acc ^ p.wrapping_mul(0x2545_F491_4F6C_DD1D)))
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// One hop of one request.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Hop {
    pub ran: bool,
    /// Milliseconds after the request's start.
    pub start: f64,
    pub duration: f64,
    pub status: u16,
    pub outcome: Option<Outcome>,
    /// Failed because of a scenario fault (index into `faults`).
    pub fault: Option<u16>,
    /// The caller gave up on this call (the caller timed out).
    pub cut_off: bool,
}

/// One simulated request: where it entered, when, and what happened at every hop.
#[derive(Clone, Debug, PartialEq)]
pub struct SimRequest {
    pub region: u16,
    pub flow: u16,
    pub at: Millis,
    pub key: u64,
    pub tenant: u32,
    /// Index into the scenario's pinned requests.
    pub pinned: Option<u16>,
    pub sampled: bool,
    pub hops: [Hop; MAX_STEPS],
    pub len: u8,
}

impl SimRequest {
    pub fn hops(&self) -> &[Hop] {
        &self.hops[..self.len as usize]
    }
}

struct StepInfo {
    series: usize,
    parent: Option<usize>,
    is_async: bool,
}

struct FlowInfo {
    steps: Vec<StepInfo>,
    /// Requests per second, per region index.
    rates: Vec<f64>,
}

/// Latency histogram with logarithmic buckets (about 4% wide).
const BUCKETS: usize = 192;
const BUCKET_SCALE: f64 = 12.0;
const BUCKET_OFFSET: f64 = 2.5;

fn bucket_of(ms: f64) -> usize {
    ((ms.max(0.05).ln() + BUCKET_OFFSET) * BUCKET_SCALE).clamp(0.0, (BUCKETS - 1) as f64) as usize
}

fn bucket_value(b: usize) -> f64 {
    ((b as f64 + 0.5) / BUCKET_SCALE - BUCKET_OFFSET).exp()
}

#[derive(Clone)]
struct Acc {
    requests: u32,
    errors: u32,
    hist: [u32; BUCKETS],
}

impl Acc {
    fn new() -> Self {
        Acc { requests: 0, errors: 0, hist: [0; BUCKETS] }
    }
    fn quantile(&self, q: f64) -> f32 {
        if self.requests == 0 {
            return 0.0;
        }
        let rank = ((self.requests as f64) * q).ceil().max(1.0) as u32;
        let mut seen = 0;
        for (b, n) in self.hist.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return bucket_value(b) as f32;
            }
        }
        bucket_value(BUCKETS - 1) as f32
    }
    fn point(&self) -> RedPoint {
        RedPoint {
            requests: self.requests,
            errors: self.errors,
            p50_ms: self.quantile(0.50),
            p99_ms: self.quantile(0.99),
        }
    }
}

/// One completed minute of a region: a point per series and when each series first failed.
struct MinuteData {
    points: Vec<RedPoint>,
    first_failure: Vec<Option<Millis>>,
}

/// Completed minutes: (region, minute) -> one point per series.
type MinuteCache = HashMap<(u16, i64), Arc<MinuteData>>;

/// The simulator. Cheap to share: completed minutes are cached behind a mutex.
pub struct Engine {
    pub scenario: Scenario,
    regions: Vec<String>,
    /// Every (service, operation) pair: the series the metrics are kept in.
    series: Vec<(String, String)>,
    flows: Vec<FlowInfo>,
    cache: Mutex<MinuteCache>,
}

impl Engine {
    pub fn new(scenario: Scenario) -> Self {
        let boundary = scenario.boundary();
        let regions: Vec<String> = boundary.regions().map(|(_, r)| r.to_string()).collect();
        let mut series: Vec<(String, String)> = Vec::new();
        let mut flows = Vec::new();
        for f in &scenario.flows {
            let mut steps = Vec::new();
            for (i, s) in f.steps.iter().enumerate() {
                let pair = (s.service.clone(), s.operation.clone());
                let idx = match series.iter().position(|p| *p == pair) {
                    Some(i) => i,
                    None => {
                        series.push(pair);
                        series.len() - 1
                    }
                };
                let parent = if i == 0 { None } else { Some(s.parent.unwrap_or(i - 1)) };
                steps.push(StepInfo { series: idx, parent, is_async: s.via.is_some() });
            }
            let rates = regions.iter().map(|r| *f.rates.get(r).unwrap_or(&f.rate)).collect();
            flows.push(FlowInfo { steps, rates });
        }
        Engine { scenario, regions, series, flows, cache: Mutex::new(HashMap::new()) }
    }

    pub fn regions(&self) -> &[String] {
        &self.regions
    }

    fn region_index(&self, region: &str) -> Option<u16> {
        self.regions.iter().position(|r| r == region).map(|i| i as u16)
    }

    /// How many generated (not pinned) requests of a flow enter a region in a minute.
    fn generated_count(&self, region: u16, flow: u16, minute: i64) -> u32 {
        let rate = self.flows[flow as usize].rates[region as usize];
        let mut rng = Rng(key(&[self.scenario.seed, region as u64, flow as u64, minute as u64, 1]));
        let noise = 0.9 + 0.2 * rng.unit();
        (rate * 60.0 * noise).round() as u32
    }

    /// Pinned requests of a flow in a region and minute, as indexes into `requests`.
    fn pinned_in(&self, region: u16, flow: u16, minute: i64) -> impl Iterator<Item = u16> + '_ {
        let region_name = &self.regions[region as usize];
        let flow_name = &self.scenario.flows[flow as usize].name;
        self.scenario.requests.iter().enumerate().filter_map(move |(i, p)| {
            let at = self.scenario.at(p.at);
            (p.region == *region_name && p.flow == *flow_name && at.div_euclid(MINUTE_MS) == minute)
                .then_some(i as u16)
        })
    }

    /// Every request of a flow entering a region in a minute, in index order.
    pub fn requests_in(&self, region: u16, flow: u16, minute: i64) -> Vec<SimRequest> {
        let n = self.generated_count(region, flow, minute);
        let mut out: Vec<SimRequest> =
            (0..n).map(|i| self.request(region, flow, minute, i, None)).collect();
        for p in self.pinned_in(region, flow, minute) {
            out.push(self.request(region, flow, minute, n, Some(p)));
        }
        out
    }

    fn active_fault(
        &self,
        region: u16,
        service: &str,
        operation: &str,
        t: Millis,
    ) -> Option<(u16, &Fault, f64)> {
        let region = &self.regions[region as usize];
        self.scenario.faults.iter().enumerate().find_map(|(i, f)| {
            let from = self.scenario.at(f.from);
            let until = f.until.map(|u| self.scenario.at(u)).unwrap_or(Millis::MAX);
            let hit = f.region == *region
                && f.service == service
                && f.operation.as_deref().is_none_or(|o| o == operation)
                && t >= from
                && t < until;
            if !hit {
                return None;
            }
            let strength =
                if f.ramp > 0 { ((t - from) as f64 / f.ramp as f64).min(1.0) } else { 1.0 };
            Some((i as u16, f, strength))
        })
    }

    /// Request `index` of a flow in a region and minute.
    fn request(
        &self,
        region: u16,
        flow: u16,
        minute: i64,
        index: u32,
        pinned: Option<u16>,
    ) -> SimRequest {
        let sc = &self.scenario;
        let k = key(&[sc.seed, region as u64, flow as u64, minute as u64, index as u64 + 2]);
        let mut rng = Rng(k);
        let f = &sc.flows[flow as usize];
        let info = &self.flows[flow as usize];
        let mut at = minute * MINUTE_MS + (rng.unit() * MINUTE_MS as f64) as Millis;
        let mut tenant = 1 + (rng.next() % f.tenants as u64) as u32;
        let mut sampled = rng.unit() < sc.sampling;
        let mut force_fail = false;
        if let Some(p) = pinned.map(|p| &sc.requests[p as usize]) {
            at = sc.at(p.at);
            tenant = 0;
            sampled = p.sampled;
            force_fail = p.fail;
        }
        let mut hops = [Hop::default(); MAX_STEPS];
        let mut cursor = [0.0f64; MAX_STEPS];
        // Which step a forced failure lands on: the one a fault hits, else the last.
        let forced_step = force_fail.then(|| {
            f.steps
                .iter()
                .position(|s| self.active_fault(region, &s.service, &s.operation, at).is_some())
                .unwrap_or(f.steps.len() - 1)
        });
        for (j, (step, si)) in f.steps.iter().zip(&info.steps).enumerate() {
            let (u_lat, u_err, u_delay) = (rng.normal(), rng.unit(), rng.unit());
            let start = match si.parent {
                None => 0.0,
                Some(p) => {
                    let parent = hops[p];
                    if !parent.ran {
                        continue;
                    }
                    let timed_out =
                        parent.fault.is_some() && parent.outcome == Some(Outcome::Fault);
                    let first_child =
                        !(p + 1..j).any(|c| info.steps[c].parent == Some(p) && hops[c].ran);
                    if parent.outcome.is_some_and(Outcome::is_failure)
                        && !(timed_out && first_child && !si.is_async)
                    {
                        continue;
                    }
                    if si.is_async {
                        parent.start + parent.duration + 15.0 + 200.0 * u_delay
                    } else {
                        parent.start.max(cursor[p]) + 0.4 + 2.0 * u_delay
                    }
                }
            };
            let sigma = ((step.p99_ms / step.p50_ms).ln() / 2.326).max(0.0);
            let mut duration = (step.p50_ms.ln() + sigma * u_lat).exp();
            let mut status = step.status;
            let mut outcome = Outcome::Ok;
            let mut fault = None;
            let t = at + start as Millis;
            let active = self.active_fault(region, &step.service, &step.operation, t);
            let fault_hit = match (forced_step, active) {
                (Some(fs), Some(a)) if fs == j => Some(a),
                (Some(_), _) => None,
                (None, Some(a)) if u_err < a.1.error_rate * a.2 => Some(a),
                _ => None,
            };
            if let Some((fi, fl, _)) = fault_hit {
                status = fl.status;
                outcome =
                    if (400..500).contains(&fl.status) { Outcome::Error } else { Outcome::Fault };
                fault = Some(fi);
                if let Some(l) = fl.latency_ms {
                    duration = l;
                }
            } else if forced_step == Some(j) || (forced_step.is_none() && u_err < step.error_rate) {
                status = 500;
                outcome = Outcome::Fault;
            }
            if let Some(p) = si.parent {
                let parent = hops[p];
                if parent.outcome.is_some_and(Outcome::is_failure) {
                    // The parent timed out while waiting on this call.
                    hops[j].cut_off = true;
                    duration = duration.max(parent.duration * 1.05);
                }
                if !si.is_async {
                    cursor[p] = start + duration;
                }
            }
            hops[j] = Hop {
                ran: true,
                start,
                duration,
                status,
                outcome: Some(outcome),
                fault,
                cut_off: hops[j].cut_off,
            };
        }
        // Synchronous callers wait for their calls and fail when a call fails.
        for j in (1..f.steps.len()).rev() {
            let (Some(p), false) = (info.steps[j].parent, info.steps[j].is_async) else { continue };
            let child = hops[j];
            if !child.ran || child.cut_off {
                continue;
            }
            let end = child.start + child.duration + 0.3;
            if hops[p].start + hops[p].duration < end {
                hops[p].duration = end - hops[p].start;
            }
            if child.outcome.is_some_and(|o| o == Outcome::Fault)
                && !hops[p].outcome.is_some_and(Outcome::is_failure)
            {
                hops[p].outcome = Some(Outcome::Fault);
                hops[p].status = 502;
            }
        }
        SimRequest {
            region,
            flow,
            at,
            key: k,
            tenant,
            pinned,
            sampled,
            hops,
            len: f.steps.len() as u8,
        }
    }

    /// The RED points of every series of a region in one minute, and the time of each
    /// series' first failure in it.
    fn compute_minute(&self, region: u16, minute: i64) -> MinuteData {
        let mut acc = vec![Acc::new(); self.series.len()];
        let mut first_failure: Vec<Option<Millis>> = vec![None; self.series.len()];
        for flow in 0..self.flows.len() as u16 {
            let info = &self.flows[flow as usize];
            for r in self.requests_in(region, flow, minute) {
                for (h, si) in r.hops().iter().zip(&info.steps) {
                    if !h.ran {
                        continue;
                    }
                    let a = &mut acc[si.series];
                    a.requests += 1;
                    let failed = h.outcome.is_some_and(Outcome::is_failure);
                    a.errors += failed as u32;
                    a.hist[bucket_of(h.duration)] += 1;
                    if failed {
                        let t = r.at + h.start as Millis;
                        let f = &mut first_failure[si.series];
                        *f = Some(f.map_or(t, |x| x.min(t)));
                    }
                }
            }
        }
        MinuteData { points: acc.iter().map(Acc::point).collect(), first_failure }
    }

    fn minute_points(&self, region: u16, minute: i64) -> Arc<MinuteData> {
        let lock = || self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = lock().get(&(region, minute)) {
            return p.clone();
        }
        let pts = Arc::new(self.compute_minute(region, minute));
        let mut cache = lock();
        // Keep the cache bounded: three days of minutes per region is plenty.
        if cache.len() > self.regions.len() * 3 * 1440 {
            cache.retain(|(_, m), _| (minute - m).abs() < 2 * 1440);
        }
        cache.insert((region, minute), pts.clone());
        pts
    }

    /// Metrics of every region of the boundary over the complete minutes of `[now - span, now)`.
    pub fn metrics(&self, boundary: &Boundary, now: Millis, span: Millis) -> MetricsSnapshot {
        let end_min = now.div_euclid(MINUTE_MS);
        let start_min = (now - span).div_euclid(MINUTE_MS);
        let mut snap = MetricsSnapshot { now, ..Default::default() };
        for (_, region) in boundary.regions() {
            let Some(ri) = self.region_index(region) else {
                snap.region_errors.insert(region.to_string(), "not in this scenario".into());
                continue;
            };
            let mut per_series: Vec<RedSeries> = (0..self.series.len())
                .map(|_| RedSeries {
                    start: start_min * MINUTE_MS,
                    points: Vec::with_capacity((end_min - start_min) as usize),
                })
                .collect();
            // The first failure of every minute per service: all an onset known to the
            // minute needs to be found to the second.
            let mut failures: std::collections::BTreeMap<String, Vec<Millis>> = Default::default();
            for m in start_min..end_min {
                let data = self.minute_points(ri, m);
                for (s, p) in per_series.iter_mut().zip(data.points.iter()) {
                    s.points.push(*p);
                }
                for ((service, _), t) in self.series.iter().zip(&data.first_failure) {
                    if let Some(t) = t {
                        failures.entry(service.clone()).or_default().push(*t);
                    }
                }
            }
            for times in failures.values_mut() {
                times.sort_unstable();
            }
            snap.failure_times.insert(region.to_string(), failures);
            let mut rm = RegionMetrics::default();
            for ((service, op), series) in self.series.iter().zip(per_series) {
                let sm: &mut ServiceMetrics = rm.services.entry(service.clone()).or_default();
                sm.total.accumulate(&series);
                sm.operations.insert(op.clone(), series);
            }
            for sm in rm.services.values() {
                rm.total.accumulate(&sm.total);
            }
            snap.regions.insert(region.to_string(), rm);
        }
        snap
    }

    fn correlation_id(&self, r: &SimRequest) -> String {
        match r.pinned {
            Some(p) => self.scenario.requests[p as usize].correlation_id.clone(),
            None => format!("{}{:08x}", self.scenario.id_prefix, (r.key >> 16) as u32),
        }
    }

    fn tenant(&self, r: &SimRequest) -> String {
        match r.pinned {
            Some(p) => self.scenario.requests[p as usize].tenant.clone(),
            None => format!("tenant-{}", r.tenant),
        }
    }

    /// Who sent the request: an email at the tenant and the client's address (documentation
    /// addresses, RFC 5737), for the first service's lines and the root span.
    fn client(&self, r: &SimRequest) -> (String, String) {
        let tenant = self.tenant(r);
        let user = mix(r.key ^ 0x5eed) % 40;
        (format!("clerk{user}@{tenant}.example.com"), format!("203.0.113.{}", 1 + r.key % 250))
    }

    /// X-Ray style trace id of a sampled request.
    pub fn trace_id(&self, r: &SimRequest) -> Option<String> {
        r.sampled.then(|| {
            format!(
                "1-{:08x}-{:024x}",
                r.at / 1000,
                (r.key as u128) << 32 | (mix(r.key) >> 32) as u128
            )
        })
    }

    fn bus(&self, region: u16, via: &str) -> String {
        let continent = self
            .scenario
            .continents
            .iter()
            .find(|c| c.regions.contains(&self.regions[region as usize]))
            .map_or("", |c| c.name.as_str());
        via.replace("{continent}", &continent.to_lowercase())
    }

    /// Failing requests seen at a scope in `[from, to)`, newest first.
    pub fn failing_requests(
        &self,
        scope: &Scope,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Vec<RequestSample> {
        let Some(ri) = self.region_index(&scope.region) else { return Vec::new() };
        let mut out = Vec::new();
        let mut minute = (to - 1).div_euclid(MINUTE_MS);
        while minute >= from.div_euclid(MINUTE_MS) && out.len() < limit {
            let mut in_minute = Vec::new();
            for flow in 0..self.flows.len() as u16 {
                let f = &self.scenario.flows[flow as usize];
                for r in self.requests_in(ri, flow, minute) {
                    if r.at >= to {
                        continue;
                    }
                    for (step, h) in f.steps.iter().zip(r.hops()) {
                        let here = scope.service.as_deref().is_none_or(|s| s == step.service)
                            && scope.operation.as_deref().is_none_or(|o| o == step.operation);
                        if !(here && h.ran && h.outcome.is_some_and(Outcome::is_failure)) {
                            continue;
                        }
                        // A failure counts from when the failing call began.
                        if r.at + (h.start as Millis) < from {
                            break;
                        }
                        // Only failures that have happened by `to`.
                        if r.at + (h.start + h.duration) as Millis > to {
                            break;
                        }
                        in_minute.push(RequestSample {
                            at: r.at + h.start as Millis,
                            region: scope.region.clone(),
                            service: step.service.clone(),
                            operation: step.operation.clone(),
                            correlation_id: self.correlation_id(&r),
                            tenant: self.tenant(&r),
                            status: h.status,
                            outcome: h.outcome.unwrap_or(Outcome::Fault),
                            duration_ms: h.duration,
                            trace_id: self.trace_id(&r),
                            message: self.failure_message(h),
                        });
                        break;
                    }
                }
            }
            in_minute.sort_by_key(|r| std::cmp::Reverse(r.at));
            out.extend(in_minute);
            minute -= 1;
        }
        out.truncate(limit);
        out
    }

    fn failure_message(&self, h: &Hop) -> String {
        match h.fault.map(|f| &self.scenario.faults[f as usize]) {
            Some(f) => f.message.clone(),
            None if h.status == 502 => "Bad gateway: downstream call failed".into(),
            None => format!("Internal error (HTTP {})", h.status),
        }
    }

    /// Log lines of every request entering a region in `[from, to)`, in time order.
    pub fn logs(&self, region: &str, from: Millis, to: Millis) -> Vec<LogEvent> {
        let Some(ri) = self.region_index(region) else { return Vec::new() };
        let mut out = Vec::new();
        for minute in from.div_euclid(MINUTE_MS) - 1..=(to - 1).div_euclid(MINUTE_MS) {
            for flow in 0..self.flows.len() as u16 {
                for r in self.requests_in(ri, flow, minute) {
                    out.extend(
                        self.request_logs(&r).into_iter().filter(|l| l.at >= from && l.at < to),
                    );
                }
            }
        }
        out.sort_by_key(|a| a.at);
        out
    }

    /// Log lines of a region in `[from, to)`, of one request if `correlation_id` is given;
    /// the newest `limit` lines when there are more (and `true` for "some were left out").
    /// Work is bounded by `limit`: minutes are generated newest first until it is reached.
    pub fn logs_matching(
        &self,
        region: &str,
        correlation_id: Option<&str>,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> (Vec<LogEvent>, bool) {
        let Some(ri) = self.region_index(region) else { return (Vec::new(), false) };
        if to <= from || limit == 0 {
            return (Vec::new(), false);
        }
        let mut out = Vec::new();
        let mut truncated = false;
        // A request writes lines for up to a minute after it starts: look one minute back.
        let mut minute = (to - 1).div_euclid(MINUTE_MS);
        while minute >= from.div_euclid(MINUTE_MS) - 1 {
            let mut in_minute = Vec::new();
            for flow in 0..self.flows.len() as u16 {
                for r in self.requests_in(ri, flow, minute) {
                    if correlation_id.is_some_and(|c| self.correlation_id(&r) != c) {
                        continue;
                    }
                    in_minute.extend(
                        self.request_logs(&r).into_iter().filter(|l| l.at >= from && l.at < to),
                    );
                }
            }
            out.extend(in_minute);
            // Requests end within a minute, so once this minute is generated every line from
            // the next minute on is complete: stop when those alone reach `limit`.
            let complete_from = (minute + 1) * MINUTE_MS;
            if complete_from > from && out.iter().filter(|l| l.at >= complete_from).count() >= limit
            {
                out.retain(|l| l.at >= complete_from);
                truncated = true;
                break;
            }
            minute -= 1;
        }
        out.sort_by_key(|a| a.at);
        if out.len() > limit {
            out.drain(..out.len() - limit);
            truncated = true;
        }
        (out, truncated)
    }

    /// The log lines one request writes, in time order.
    pub fn request_logs(&self, r: &SimRequest) -> Vec<LogEvent> {
        let f = &self.scenario.flows[r.flow as usize];
        let region = &self.regions[r.region as usize];
        let cid = self.correlation_id(r);
        let tenant = self.tenant(r);
        let trace_id = self.trace_id(r);
        let invoice = format!("inv-{:06}", r.key % 1_000_000);
        let (email, ip) = self.client(r);
        let mut out = Vec::new();
        let info = &self.flows[r.flow as usize];
        for (j, (step, h)) in f.steps.iter().zip(r.hops()).enumerate() {
            if !h.ran {
                continue;
            }
            // `{event}` and `{bus}`: the step's own hop, or the one it publishes to.
            let hop = if step.via.is_some() {
                Some(step)
            } else {
                (j + 1..f.steps.len())
                    .find(|&k| info.steps[k].parent == Some(j) && info.steps[k].is_async)
                    .map(|k| &f.steps[k])
            };
            let bus = hop
                .and_then(|s| s.via.as_deref())
                .map(|v| self.bus(r.region, v))
                .unwrap_or_default();
            let event = hop.and_then(|s| s.event.as_deref()).unwrap_or("event");
            let fill = |t: &str| {
                t.replace("{event}", event)
                    .replace("{bus}", &bus)
                    .replace("{tenant}", &tenant)
                    .replace("{invoice}", &invoice)
                    .replace("{message}", &cid)
                    .replace("{region}", region)
                    .replace("{service}", &step.service)
                    .replace("{operation}", &step.operation)
            };
            // The first service knows who called.
            let caller: &[(&str, &str)] =
                if j == 0 { &[("userEmail", &email), ("clientIp", &ip)] } else { &[] };
            let mut line = |at: f64, level: Level, message: String| {
                let at = r.at + at as Millis;
                let raw = serde_json_line(
                    at,
                    level,
                    &step.service,
                    region,
                    &step.operation,
                    &cid,
                    &tenant,
                    trace_id.as_deref(),
                    &message,
                    caller,
                );
                out.push(LogEvent {
                    at,
                    region: region.clone(),
                    service: step.service.clone(),
                    level,
                    message,
                    correlation_id: Some(cid.clone()),
                    tenant: Some(tenant.clone()),
                    operation: Some(step.operation.clone()),
                    trace_id: trace_id.clone(),
                    request_id: None,
                    raw,
                });
            };
            for (k, t) in step.logs.iter().enumerate() {
                line(h.start + 0.5 + k as f64, Level::Info, fill(t));
            }
            match h.outcome {
                Some(o) if o.is_failure() => {
                    let msg = self.failure_message(h);
                    if !msg.is_empty() {
                        line(h.start + h.duration, Level::Error, msg);
                    }
                }
                _ => {
                    if let Some(d) = &step.done {
                        line(h.start + h.duration, Level::Info, fill(d));
                    }
                }
            }
        }
        out.sort_by_key(|a| a.at);
        out
    }

    /// The trace of a request, when it was sampled.
    pub fn trace(&self, r: &SimRequest) -> Option<Trace> {
        let trace_id = self.trace_id(r)?;
        let f = &self.scenario.flows[r.flow as usize];
        let info = &self.flows[r.flow as usize];
        let span_id = |j: usize| format!("{:016x}", mix(r.key ^ j as u64));
        let (email, ip) = self.client(r);
        let cid = self.correlation_id(r);
        let tenant = self.tenant(r);
        let spans = f
            .steps
            .iter()
            .zip(r.hops())
            .zip(&info.steps)
            .enumerate()
            .filter(|(_, ((_, h), _))| h.ran)
            .map(|(j, ((step, h), si))| Span {
                id: span_id(j),
                parent: si.parent.map(span_id),
                link: match (si.parent, si.is_async) {
                    (None, _) => SpanLink::Root,
                    (_, true) => SpanLink::Async,
                    _ => SpanLink::Call,
                },
                service: step.service.clone(),
                operation: step.operation.clone(),
                start: r.at + h.start as Millis,
                duration_ms: h.duration,
                status: h.status,
                outcome: h.outcome.unwrap_or(Outcome::Ok),
                via: step.via.as_deref().map(|v| self.bus(r.region, v)),
                error: h.outcome.filter(|o| o.is_failure()).map(|_| self.failure_message(h)),
                cut_off: h.cut_off,
                correlation_id: Some(cid.clone()),
                // What the services annotate: the root knows the caller.
                annotations: vec![
                    ("correlation_id".into(), cid.clone()),
                    ("tenant".into(), tenant.clone()),
                ],
                http: si.parent.is_none().then(|| {
                    let (method, path) = step.operation.split_once(' ').unwrap_or(("POST", "/"));
                    crate::model::SpanHttp {
                        method: Some(method.into()),
                        url: Some(format!("https://api.example.com{path}")),
                        status: Some(h.status),
                        user_agent: Some("invoice-portal/4.2".into()),
                        client_ip: Some(ip.clone()),
                    }
                }),
                metadata: if si.parent.is_none() {
                    vec![("request.userEmail".into(), format!("\"{email}\""))]
                } else {
                    Vec::new()
                },
                ..Span::default()
            })
            .collect();
        Some(Trace {
            trace_id,
            correlation_id: self.correlation_id(r),
            region: self.regions[r.region as usize].clone(),
            spans,
        })
    }

    /// A request's trace by correlation id or trace id in `[from, to)`; when the request was
    /// not sampled (or not found), sampled requests like it instead: the same flow (or the
    /// hinted service and operation) within five minutes of it, failing first.
    pub fn trace_lookup(&self, q: &crate::source::TraceQuery) -> crate::source::TraceLookup {
        use crate::source::{TraceKey, TraceLookup};
        let Some(ri) = self.region_index(&q.region) else { return TraceLookup::default() };
        let found = match &q.key {
            TraceKey::CorrelationId(c) => self.find_request(&q.region, c, q.from, q.to),
            TraceKey::TraceId(t) => self
                .find_where(ri, q.from, q.to, |r| self.trace_id(r).as_deref() == Some(t.as_str())),
        };
        if let Some(trace) = found.as_ref().and_then(|r| self.trace(r)) {
            return TraceLookup { trace: Some(trace), similar: Vec::new() };
        }
        let (around, flow) = match &found {
            Some(r) => (r.at, Some(r.flow)),
            None => (q.to, None),
        };
        let here = |r: &SimRequest| {
            let f = &self.scenario.flows[r.flow as usize];
            flow.is_none_or(|fl| fl == r.flow)
                && f.steps.iter().any(|s| {
                    q.service.as_deref().is_none_or(|x| x == s.service)
                        && q.operation.as_deref().is_none_or(|x| x == s.operation)
                })
        };
        let from = (around - 5 * MINUTE_MS).max(q.from);
        let to = (around + 5 * MINUTE_MS).min(q.to);
        let mut similar = Vec::new();
        for minute in from.div_euclid(MINUTE_MS)..=(to - 1).div_euclid(MINUTE_MS) {
            for fl in 0..self.flows.len() as u16 {
                for r in self.requests_in(ri, fl, minute) {
                    if r.at < from || r.at >= to || !here(&r) {
                        continue;
                    }
                    if let Some(t) = self.trace(&r) {
                        similar.push(summary(&t));
                    }
                }
            }
        }
        // Failing first, then the nearest in time.
        similar.sort_by_key(|s| (!s.failed(), (s.start - around).abs()));
        similar.truncate(20);
        TraceLookup { trace: None, similar }
    }

    fn find_where(
        &self,
        ri: u16,
        from: Millis,
        to: Millis,
        pred: impl Fn(&SimRequest) -> bool,
    ) -> Option<SimRequest> {
        for minute in from.div_euclid(MINUTE_MS)..=(to - 1).div_euclid(MINUTE_MS) {
            for flow in 0..self.flows.len() as u16 {
                if let Some(r) = self.requests_in(ri, flow, minute).into_iter().find(&pred) {
                    return Some(r);
                }
            }
        }
        None
    }

    /// Find a request by correlation id in a region, searching `[from, to)`.
    pub fn find_request(
        &self,
        region: &str,
        correlation_id: &str,
        from: Millis,
        to: Millis,
    ) -> Option<SimRequest> {
        let ri = self.region_index(region)?;
        for minute in from.div_euclid(MINUTE_MS)..=(to - 1).div_euclid(MINUTE_MS) {
            for flow in 0..self.flows.len() as u16 {
                if let Some(r) = self
                    .requests_in(ri, flow, minute)
                    .into_iter()
                    .find(|r| self.correlation_id(r) == correlation_id)
                {
                    return Some(r);
                }
            }
        }
        None
    }

    /// The scenario's audit trail up to `now`, newest first.
    pub fn changes(&self, boundary: &Boundary, now: Millis) -> Vec<Change> {
        let sc = &self.scenario;
        let mut out: Vec<Change> = sc
            .changes
            .iter()
            .enumerate()
            .map(|(i, c)| Change {
                id: format!(
                    "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                    mix(sc.seed ^ i as u64) as u32,
                    i,
                    i,
                    i,
                    mix(i as u64) & 0xFFFF_FFFF_FFFF
                ),
                at: sc.at(c.at) - c.days_before as Millis * DAY_MS,
                region: c.region.clone(),
                event: c.event.clone(),
                event_source: c.event_source.clone(),
                resource: c.resource.clone(),
                service: c.service.clone(),
                identity: Identity {
                    kind: c.identity_type.clone(),
                    principal: c.principal.clone(),
                    role: c.role.clone(),
                    session: c.session.clone(),
                    account: c.principal.split(':').nth(4).map(str::to_string),
                },
                read_only: c.read_only,
                summary: c.summary.clone(),
                raw: String::new(),
            })
            .filter(|c| c.at <= now && boundary.contains(&c.region))
            .collect();
        out.sort_by_key(|c| std::cmp::Reverse(c.at));
        out
    }
}

#[allow(clippy::too_many_arguments)]
fn serde_json_line(
    at: Millis,
    level: Level,
    service: &str,
    region: &str,
    operation: &str,
    cid: &str,
    tenant: &str,
    trace_id: Option<&str>,
    message: &str,
    extra: &[(&str, &str)],
) -> String {
    let ts = time::OffsetDateTime::from_unix_timestamp_nanos(at as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    let level = level.name();
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut line = format!(
        r#"{{"timestamp":"{ts}","level":"{level}","service":"{}","region":"{}","operation":"{}","correlationId":"{}","tenantId":"{}","message":"{}""#,
        esc(service),
        esc(region),
        esc(operation),
        esc(cid),
        esc(tenant),
        esc(message)
    );
    if let Some(t) = trace_id {
        line.push_str(&format!(r#","traceId":"{t}""#));
    }
    for (k, v) in extra {
        line.push_str(&format!(r#","{}":"{}""#, esc(k), esc(v)));
    }
    line.push('}');
    line
}

/// The summary a trace search lists.
pub fn summary(t: &Trace) -> crate::model::TraceSummary {
    let root = t.spans.iter().find(|s| s.parent.is_none()).or(t.spans.first());
    let start = t.spans.iter().map(|s| s.start).min().unwrap_or(0);
    let end = t.spans.iter().map(|s| s.start as f64 + s.duration_ms).fold(start as f64, f64::max);
    crate::model::TraceSummary {
        trace_id: t.trace_id.clone(),
        correlation_id: Some(t.correlation_id.clone()).filter(|c| !c.is_empty()),
        service: root.map(|s| s.service.clone()).unwrap_or_default(),
        operation: root.map(|s| s.operation.clone()).unwrap_or_default(),
        start,
        duration_ms: end - start as f64,
        status: root.map_or(0, |s| s.status),
        has_error: t.spans.iter().any(|s| s.outcome == Outcome::Error),
        has_fault: t.spans.iter().any(|s| s.outcome == Outcome::Fault),
        has_throttle: t.spans.iter().any(|s| s.outcome == Outcome::Throttle),
    }
}
