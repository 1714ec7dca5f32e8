//! Requests from evidence: the request-level records an export holds (Lambda invocations told
//! by their REPORT, timeout and error lines; X-Ray segments; failing log lines of services
//! that have neither), and the per-minute RED series computed from them, so that evidence
//! without metrics still answers "where, since when, compared with before".
//!
//! One record per request and service. For a service with Lambda invocations those are the
//! requests (every invocation writes a REPORT line, while traces are sampled); X-Ray segments
//! count for services without them, and lend the invocations their operation and HTTP status
//! through the trace id of the REPORT line.

use crate::model::lambda::{self, RuntimeKind};
use crate::model::{
    Boundary, Level, LogEvent, MINUTE_MS, MetricsSnapshot, Millis, Outcome, RedPoint, RedSeries,
    RegionMetrics, RequestSample, Trace,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What the requests were computed from, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Basis {
    /// Lambda invocations (REPORT or timeout lines).
    pub invocations: usize,
    /// X-Ray segments of services without invocations.
    pub segments: usize,
    /// Requests told by log lines only (correlation or request ids with an error or not).
    pub logged: usize,
}

impl Basis {
    pub fn total(&self) -> usize {
        self.invocations + self.segments + self.logged
    }

    /// `1,412 requests: 1,380 Lambda invocations, 32 X-Ray segments`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.invocations > 0 {
            parts.push(format!("{} Lambda invocations", thousands(self.invocations as u64)));
        }
        if self.segments > 0 {
            parts.push(format!("{} X-Ray segments", thousands(self.segments as u64)));
        }
        if self.logged > 0 {
            parts.push(format!("{} requests in log lines", thousands(self.logged as u64)));
        }
        if parts.is_empty() {
            return "no request-level records".into();
        }
        format!("{} requests: {}", thousands(self.total() as u64), parts.join(", "))
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The entry spans of a trace: where a request enters a service (a root, or a span whose
/// parent is in another service). Inferred nodes (uninstrumented dependencies) are not.
pub fn entry_spans(t: &Trace) -> impl Iterator<Item = &crate::model::Span> {
    let service: HashMap<&str, &str> =
        t.spans.iter().map(|s| (s.id.as_str(), s.service.as_str())).collect();
    t.spans.iter().filter(move |s| {
        !s.inferred
            && match s.parent.as_deref() {
                None => true,
                Some(p) => service.get(p).is_none_or(|ps| *ps != s.service),
            }
    })
}

#[derive(Default)]
struct Invocation<'a> {
    region: &'a str,
    service: &'a str,
    start: Option<Millis>,
    report_at: Option<Millis>,
    duration_ms: Option<f64>,
    failed: bool,
    timeout_s: Option<f64>,
    message: Option<&'a str>,
    correlation_id: Option<&'a str>,
    tenant: Option<&'a str>,
    trace_id: Option<&'a str>,
    operation: Option<&'a str>,
    seen_at: Millis,
}

/// The requests of the evidence, oldest first, and what they came from. `events` should have
/// been joined ([`lambda::join_requests`]) so runtime lines carry their request's ids.
pub fn requests(events: &[LogEvent], traces: &[Trace]) -> (Vec<RequestSample>, Basis) {
    // Entry spans by (trace id, service), for operations and statuses.
    let mut spans: HashMap<(&str, &str), (&crate::model::Span, &str)> = HashMap::new();
    for t in traces {
        for s in entry_spans(t) {
            spans.entry((t.trace_id.as_str(), s.service.as_str())).or_insert((s, &t.region));
        }
    }
    let mut by_request: BTreeMap<&str, Invocation> = BTreeMap::new();
    for e in events {
        let Some(rid) = e.request_id.as_deref() else { continue };
        let inv = by_request.entry(rid).or_insert_with(|| Invocation {
            region: &e.region,
            service: &e.service,
            seen_at: e.at,
            ..Invocation::default()
        });
        inv.correlation_id = inv.correlation_id.or(e.correlation_id.as_deref());
        inv.tenant = inv.tenant.or(e.tenant.as_deref());
        inv.trace_id = inv.trace_id.or(e.trace_id.as_deref());
        inv.operation = inv.operation.or(e.operation.as_deref());
        if e.level == Level::Error {
            inv.failed = true;
            inv.message = inv.message.or(Some(e.message.as_str()));
        }
        let rt = runtime(e);
        match rt.as_ref().map(|r| &r.kind) {
            Some(RuntimeKind::Start) => inv.start = Some(e.at),
            Some(RuntimeKind::Report(r)) => {
                inv.report_at = Some(e.at);
                inv.duration_ms = Some(r.duration_ms);
                inv.failed |= r.failed();
            }
            Some(RuntimeKind::Timeout { after_s }) => inv.timeout_s = Some(*after_s),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut basis = Basis::default();
    let mut lambda_services: BTreeSet<(&str, &str)> = BTreeSet::new();
    for inv in by_request.values() {
        if inv.report_at.is_none() && inv.timeout_s.is_none() {
            continue; // still running when the evidence was taken, or not an invocation
        }
        let duration =
            inv.duration_ms.or(inv.timeout_s.map(|s| s * 1000.0)).unwrap_or_default().max(0.0);
        let at = inv.start.or(inv.report_at.map(|r| r - duration as Millis)).unwrap_or(inv.seen_at);
        let span = inv.trace_id.and_then(|t| spans.get(&(t, inv.service)));
        let status = span.map_or(0, |(s, _)| s.status);
        let outcome = match (inv.failed, inv.timeout_s.is_some()) {
            (_, true) | (true, false) => {
                span.map(|(s, _)| s.outcome).filter(|o| o.is_failure()).unwrap_or(Outcome::Fault)
            }
            _ => Outcome::Ok,
        };
        lambda_services.insert((inv.region, inv.service));
        basis.invocations += 1;
        out.push(RequestSample {
            at,
            region: inv.region.to_string(),
            service: inv.service.to_string(),
            // The operation its lines name; a sampled span's name would split one
            // operation in two (traced and not).
            operation: inv.operation.map(str::to_string).unwrap_or_else(|| "Invoke".into()),
            correlation_id: inv.correlation_id.unwrap_or_default().to_string(),
            tenant: inv.tenant.unwrap_or_default().to_string(),
            status,
            outcome,
            duration_ms: duration,
            trace_id: inv.trace_id.map(str::to_string),
            message: inv.message.unwrap_or_default().to_string(),
        });
    }
    // X-Ray segments of the services that wrote no invocations.
    let mut traced: BTreeSet<(String, String)> = BTreeSet::new();
    for t in traces {
        for s in entry_spans(t) {
            if lambda_services.contains(&(t.region.as_str(), s.service.as_str())) {
                continue;
            }
            traced.insert((t.region.clone(), s.service.clone()));
            basis.segments += 1;
            out.push(RequestSample {
                at: s.start,
                region: t.region.clone(),
                service: s.service.clone(),
                operation: s.operation.clone(),
                correlation_id: s
                    .correlation_id
                    .clone()
                    .unwrap_or_else(|| t.correlation_id.clone()),
                tenant: s
                    .annotations
                    .iter()
                    .find(|(k, _)| k.contains("tenant"))
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
                status: s.status,
                outcome: s.outcome,
                duration_ms: s.duration_ms,
                trace_id: Some(t.trace_id.clone()),
                message: s.error.clone().unwrap_or_default(),
            });
        }
    }
    // Services told by their log lines only: one request per correlation id.
    // (region, service, correlation id) → first time, first error line, first line.
    type Logged<'a> = (Millis, Option<&'a LogEvent>, &'a LogEvent);
    let mut logged: BTreeMap<(&str, &str, &str), Logged> = BTreeMap::new();
    for e in events {
        let Some(cid) = e.correlation_id.as_deref() else { continue };
        let key = (e.region.as_str(), e.service.as_str());
        if e.request_id.is_some() || lambda_services.contains(&key) {
            continue;
        }
        if traced.contains(&(e.region.clone(), e.service.clone())) {
            continue;
        }
        let slot = logged.entry((key.0, key.1, cid)).or_insert((e.at, None, e));
        slot.0 = slot.0.min(e.at);
        if e.level == Level::Error && slot.1.is_none() {
            slot.1 = Some(e);
        }
    }
    for ((region, service, cid), (at, err, first)) in logged {
        basis.logged += 1;
        out.push(RequestSample {
            at,
            region: region.to_string(),
            service: service.to_string(),
            operation: first.operation.clone().unwrap_or_else(|| "(logs)".into()),
            correlation_id: cid.to_string(),
            tenant: first.tenant.clone().unwrap_or_default(),
            status: 0,
            outcome: if err.is_some() { Outcome::Fault } else { Outcome::Ok },
            duration_ms: 0.0,
            trace_id: err.and_then(|e| e.trace_id.clone()).or(first.trace_id.clone()),
            message: err.map(|e| e.message.clone()).unwrap_or_default(),
        });
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.service.cmp(&b.service)));
    (out, basis)
}

fn runtime(e: &LogEvent) -> Option<lambda::RuntimeLine> {
    let raw = e.raw.trim_start();
    if raw.starts_with('{') {
        let obj = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(raw).ok()?;
        return lambda::platform_event(&obj);
    }
    lambda::runtime_line(&lambda::strip_ansi(raw))
}

/// Per-minute RED series of `requests` over `[now - span, now]`, per region of the boundary,
/// service and operation, as a metrics source would answer.
pub fn red_snapshot(
    requests: &[RequestSample],
    boundary: &Boundary,
    now: Millis,
    span: Millis,
) -> MetricsSnapshot {
    let end = now - now.rem_euclid(MINUTE_MS) + MINUTE_MS;
    let start = end - span - MINUTE_MS;
    let start = start - start.rem_euclid(MINUTE_MS);
    let minutes = ((end - start) / MINUTE_MS) as usize;
    // (region, service, operation) → per minute durations and errors.
    type Cell = (u32, Vec<f32>);
    let mut cells: BTreeMap<(&str, &str, &str), Vec<Cell>> = BTreeMap::new();
    for r in requests {
        if r.at < start || r.at >= end || !boundary.contains(&r.region) {
            continue;
        }
        let i = ((r.at - start) / MINUTE_MS) as usize;
        let series = cells
            .entry((&r.region, &r.service, &r.operation))
            .or_insert_with(|| vec![(0, Vec::new()); minutes]);
        series[i].0 += r.outcome.is_failure() as u32;
        series[i].1.push(r.duration_ms as f32);
    }
    let mut snap = MetricsSnapshot { now, ..MetricsSnapshot::default() };
    for ((region, service, operation), series) in cells {
        let points: Vec<RedPoint> = series
            .into_iter()
            .map(|(errors, mut d)| {
                d.sort_by(f32::total_cmp);
                RedPoint {
                    requests: d.len() as u32,
                    errors,
                    p50_ms: percentile(&d, 0.50),
                    p99_ms: percentile(&d, 0.99),
                }
            })
            .collect();
        let s = RedSeries { start, points };
        let rm: &mut RegionMetrics = snap.regions.entry(region.to_string()).or_default();
        rm.total.accumulate(&s);
        let sm = rm.services.entry(service.to_string()).or_default();
        sm.total.accumulate(&s);
        sm.operations.insert(operation.to_string(), s);
    }
    for r in requests.iter().filter(|r| r.outcome.is_failure() && r.at >= start && r.at < end) {
        if boundary.contains(&r.region) {
            let times = snap.failure_times.entry(r.region.clone()).or_default();
            times.entry(r.service.clone()).or_default().push(r.at);
        }
    }
    for services in snap.failure_times.values_mut() {
        for times in services.values_mut() {
            times.sort_unstable();
        }
    }
    snap
}

/// The nearest-rank percentile of sorted values (0 when there are none).
fn percentile(sorted: &[f32], q: f64) -> f32 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// An anomaly's onset to the second: the first failing request inside the onset's minute,
/// where the snapshot knows when requests failed.
pub fn refine_onset(
    snap: &MetricsSnapshot,
    mut a: super::suspects::Anomaly,
) -> super::suspects::Anomaly {
    let Some(services) = snap.failure_times.get(&a.region) else { return a };
    let first = services
        .iter()
        .filter(|(s, _)| a.service.as_deref().is_none_or(|x| x == s.as_str()))
        .filter_map(|(_, times)| {
            let i = times.partition_point(|t| *t < a.onset);
            times.get(i).copied()
        })
        .filter(|t| *t < a.onset + MINUTE_MS)
        .min();
    if let Some(t) = first {
        a.onset = t;
    }
    a
}

/// When the failures of `requests` in a scope started: the first failing request at or after
/// `minute` (an onset known to the minute), to the second.
pub fn first_failure(
    requests: &[RequestSample],
    region: &str,
    service: Option<&str>,
    minute: Millis,
) -> Option<Millis> {
    requests
        .iter()
        .filter(|r| {
            r.region == region
                && service.is_none_or(|s| s == r.service)
                && r.outcome.is_failure()
                && r.at >= minute
        })
        .map(|r| r.at)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::logline::{LineContext, LineParser};

    fn ev(at: Millis, service: &str, raw: &str) -> LogEvent {
        LineParser::default().parse(
            raw,
            LineContext { at: Some(at), region: Some("eu-west-1"), service: Some(service) },
        )
    }

    const A: &str = "11111111-1111-4111-8111-111111111111";
    const B: &str = "22222222-2222-4222-8222-222222222222";

    #[test]
    fn invocations_from_runtime_lines() {
        let mut events = vec![
            ev(1_000, "worker", &format!("START RequestId: {A} Version: $LATEST")),
            ev(
                1_010,
                "worker",
                &format!(
                    r#"{{"level":"INFO","requestId":"{A}","correlationId":"c-1","tenantId":"tenant-42","message":"Received"}}"#
                ),
            ),
            ev(
                4_000,
                "worker",
                &format!("1970-01-01T00:00:04.000Z {A} Task timed out after 3.00 seconds"),
            ),
            ev(4_001, "worker", &format!("END RequestId: {A}")),
            ev(
                4_002,
                "worker",
                &format!(
                    "REPORT RequestId: {A}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tStatus: timeout\nXRAY TraceId: 1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa\tSegmentId: 1\tSampled: true"
                ),
            ),
            ev(61_000, "worker", &format!("START RequestId: {B} Version: $LATEST")),
            ev(
                61_100,
                "worker",
                &format!(
                    "REPORT RequestId: {B}\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t"
                ),
            ),
        ];
        lambda::join_requests(&mut events);
        assert_eq!(events[2].correlation_id.as_deref(), Some("c-1"), "timeout joined");
        let (reqs, basis) = requests(&events, &[]);
        assert_eq!(basis, Basis { invocations: 2, segments: 0, logged: 0 });
        assert_eq!(reqs.len(), 2);
        let a = &reqs[0];
        assert_eq!((a.at, a.duration_ms, a.outcome), (1_000, 3000.0, Outcome::Fault));
        assert_eq!(a.correlation_id, "c-1");
        assert_eq!(a.tenant, "tenant-42");
        assert_eq!(a.trace_id.as_deref(), Some("1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa"));
        assert_eq!(a.message, "Task timed out after 3.00 seconds");
        assert_eq!(reqs[1].outcome, Outcome::Ok);
        let snap = red_snapshot(&reqs, &Boundary::global(), 2 * MINUTE_MS, 10 * MINUTE_MS);
        let w = &snap.regions["eu-west-1"].services["worker"].operations["Invoke"];
        let st = w.stats(0, 2 * MINUTE_MS);
        assert_eq!((st.requests, st.errors), (2, 1));
        assert_eq!(w.stats(0, MINUTE_MS).p99_ms, 3000.0);
    }

    #[test]
    fn thousands_separate() {
        assert_eq!(thousands(1_275), "1,275");
        assert_eq!(thousands(12), "12");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
