//! The impact of an incident, computed from the metrics of the whole boundary (never from
//! what is in view): the regions, services and operations outside their baseline, the
//! requests that failed since the onset, when it started and whether it is over.

use super::{Health, row_stats};
use crate::model::{MINUTE_MS, MetricsSnapshot, Millis, RedSeries, RedStats};

/// Minutes back to normal before an incident counts as over.
const QUIET_MINUTES: usize = 3;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Impact {
    pub regions: Vec<String>,
    /// `(region, service)`.
    pub services: Vec<(String, String)>,
    /// `(region, service, operation)`.
    pub operations: Vec<(String, String, String)>,
    /// Requests and errors of what is affected since its onset (operations where they are
    /// affected, otherwise the service's total; nothing counted twice).
    pub requests: u64,
    pub failed: u64,
    /// The error rate of the same series in the baseline, percent.
    pub baseline_pct: f64,
    /// The earliest onset.
    pub start: Millis,
    /// The minute errors were back to baseline, `None` while it is ongoing.
    pub end: Option<Millis>,
}

/// The last minute of `series` in `[from, to)` whose error rate is out of its baseline's
/// (three times it and at least a point above), if any.
fn last_bad_minute(
    series: &RedSeries,
    baseline: &RedStats,
    from: Millis,
    to: Millis,
) -> Option<Millis> {
    let limit = (baseline.error_pct() * 3.0).max(baseline.error_pct() + 1.0);
    let pts = series.slice(from, to);
    let first = from.max(series.start);
    let first = first - first.rem_euclid(MINUTE_MS);
    pts.iter()
        .enumerate()
        .rev()
        .find(|(_, p)| p.requests > 0 && p.errors as f64 * 100.0 / p.requests as f64 >= limit)
        .map(|(i, _)| first + i as Millis * MINUTE_MS)
}

fn first_bad_minute(
    series: &RedSeries,
    baseline: &RedStats,
    from: Millis,
    to: Millis,
) -> Option<Millis> {
    let limit = (baseline.error_pct() * 3.0).max(baseline.error_pct() + 1.0);
    let first = from.max(series.start);
    let first = first - first.rem_euclid(MINUTE_MS);
    series
        .slice(from, to)
        .iter()
        .position(|p| p.requests > 0 && p.errors as f64 * 100.0 / p.requests as f64 >= limit)
        .map(|i| first + i as Millis * MINUTE_MS)
}

/// The incident's impact in `regions` at `snap.now`; `None` when nothing is out of its
/// baseline.
pub fn impact<'a>(
    snap: &MetricsSnapshot,
    regions: impl IntoIterator<Item = &'a str>,
    window: Millis,
    baseline: Millis,
) -> Option<Impact> {
    let end_minute = snap.now - snap.now.rem_euclid(MINUTE_MS);
    let mut out = Impact { start: Millis::MAX, ..Impact::default() };
    let mut last_bad: Millis = Millis::MIN;
    let mut base = RedStats::default();
    for region in regions {
        let Some(m) = snap.regions.get(region) else { continue };
        for (name, s) in &m.services {
            let judged = |series: &RedSeries| {
                let st = row_stats(series, snap.now, window, baseline);
                if st.health < Health::Degraded && st.recovered.is_none() {
                    return None;
                }
                // Over already: the first bad minute of the window is its start.
                let onset = st.onset.or_else(|| {
                    first_bad_minute(series, &st.baseline, end_minute - window, end_minute)
                })?;
                Some((onset, st))
            };
            let ops: Vec<(&String, Millis, RedStats)> = s
                .operations
                .iter()
                .filter_map(|(op, series)| judged(series).map(|(o, st)| (op, o, st.baseline)))
                .collect();
            let total = judged(&s.total);
            if ops.is_empty() && total.is_none() {
                continue;
            }
            if !out.regions.iter().any(|r| r == region) {
                out.regions.push(region.to_string());
            }
            out.services.push((region.to_string(), name.clone()));
            let mut count = |series: &RedSeries, onset: Millis, b: &RedStats| {
                let st = series.stats(onset, end_minute);
                out.requests += st.requests;
                out.failed += st.errors;
                base.requests += b.requests;
                base.errors += b.errors;
                out.start = out.start.min(onset);
                if let Some(t) = last_bad_minute(series, b, onset, end_minute) {
                    last_bad = last_bad.max(t);
                }
            };
            if ops.is_empty() {
                let (onset, st) = total.expect("checked");
                count(&s.total, onset, &st.baseline);
            }
            for (op, onset, b) in ops {
                out.operations.push((region.to_string(), name.clone(), op.clone()));
                count(&s.operations[op], onset, &b);
            }
        }
    }
    if out.services.is_empty() {
        return None;
    }
    out.baseline_pct = base.error_pct();
    let quiet = (end_minute - (last_bad + MINUTE_MS)) / MINUTE_MS;
    out.end = (last_bad > Millis::MIN && quiet >= QUIET_MINUTES as Millis)
        .then_some(last_bad + MINUTE_MS);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DAY_MS, RedPoint, RegionMetrics, ServiceMetrics};

    fn series(start: Millis, bad: std::ops::Range<usize>, len: usize) -> RedSeries {
        RedSeries {
            start,
            points: (0..len)
                .map(|i| RedPoint {
                    requests: 100,
                    errors: if bad.contains(&i) { 40 } else { 0 },
                    p50_ms: 10.0,
                    p99_ms: 50.0,
                })
                .collect(),
        }
    }

    fn snap(bad: std::ops::Range<usize>) -> MetricsSnapshot {
        let len = 24 * 60 + 15;
        let start = 0;
        let mut svc = ServiceMetrics::default();
        svc.operations.insert("Approve".into(), series(start, bad.clone(), len));
        svc.operations.insert("Read".into(), series(start, 0..0, len));
        svc.total = series(start, bad, len);
        let mut region = RegionMetrics::default();
        region.services.insert("worker".into(), svc);
        let mut snap =
            MetricsSnapshot { now: len as Millis * MINUTE_MS, ..MetricsSnapshot::default() };
        snap.regions.insert("eu-west-1".into(), region);
        snap.regions.insert("us-east-1".into(), RegionMetrics::default());
        snap
    }

    #[test]
    fn ongoing_and_ended() {
        let base = 24 * 60;
        let s = snap(base + 3..base + 15);
        let i = impact(&s, ["eu-west-1", "us-east-1"], 15 * MINUTE_MS, DAY_MS).expect("impact");
        assert_eq!(i.regions, ["eu-west-1"]);
        assert_eq!(i.services, [("eu-west-1".to_string(), "worker".to_string())]);
        assert_eq!(i.operations.len(), 1, "only the failing operation: {:?}", i.operations);
        assert_eq!(i.start, (base as Millis + 3) * MINUTE_MS);
        assert_eq!((i.requests, i.failed), (1200, 480));
        assert_eq!(i.end, None, "still failing in the last minute");
        let s = snap(base + 3..base + 9);
        let i = impact(&s, ["eu-west-1"], 15 * MINUTE_MS, DAY_MS).expect("impact");
        assert_eq!(i.end, Some((base as Millis + 9) * MINUTE_MS));
        assert!(impact(&snap(0..0), ["eu-west-1"], 15 * MINUTE_MS, DAY_MS).is_none());
    }
}
