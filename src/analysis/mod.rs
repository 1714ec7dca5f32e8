//! Pure functions over the telemetry: baselines, health, anomaly onset and the
//! "global or regional?" verdict. No I/O, no drawing; unit-tested on plain series.

pub mod change_kind;
pub mod corroborate;
pub mod impact;
pub mod requests;
pub mod suspects;
pub mod waterfall;

use crate::model::{
    Boundary, MINUTE_MS, MetricsSnapshot, Millis, RedPoint, RedSeries, RedStats, RegionMetrics,
    format_hm,
};

/// How a series compares with its baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    NoData,
    Normal,
    Degraded,
    Critical,
}

impl Health {
    /// A text mark, so health never depends on colour alone.
    pub fn mark(self) -> &'static str {
        match self {
            Health::NoData => "·",
            Health::Normal => "●",
            Health::Degraded => "▲",
            Health::Critical => "✖",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Health::NoData => "no data",
            Health::Normal => "normal",
            Health::Degraded => "degraded",
            Health::Critical => "critical",
        }
    }
}

/// Which signal left its baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Errors,
    Latency,
}

/// One row of a RED table: the window against the baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct RowStats {
    pub window: RedStats,
    pub baseline: RedStats,
    pub health: Health,
    /// The signal behind a Degraded or Critical health.
    pub signal: Option<Signal>,
    /// When the current anomaly started, if there is one.
    pub onset: Option<Millis>,
    /// Error % per minute over the window (the sparkline's data).
    pub error_pct: Vec<f32>,
}

/// Minimum requests in the window before a verdict is drawn from it.
const MIN_REQUESTS: u64 = 20;

fn error_health(w: &RedStats, b: &RedStats) -> Health {
    let (we, be) = (w.error_pct(), b.error_pct());
    if we >= (be * 10.0).max(be + 5.0) {
        Health::Critical
    } else if we >= (be * 3.0).max(be + 1.0) {
        Health::Degraded
    } else {
        Health::Normal
    }
}

fn latency_health(w: &RedStats, b: &RedStats) -> Health {
    if b.p99_ms <= 0.0 {
        return Health::Normal;
    }
    let ratio = w.p99_ms / b.p99_ms;
    if ratio >= 3.0 {
        Health::Critical
    } else if ratio >= 1.6 {
        Health::Degraded
    } else {
        Health::Normal
    }
}

/// Health of a window against its baseline, and the signal that decided it.
pub fn health(window: &RedStats, baseline: &RedStats) -> (Health, Option<Signal>) {
    if window.requests == 0 {
        return (Health::NoData, None);
    }
    if window.requests < MIN_REQUESTS {
        return (Health::Normal, None);
    }
    let e = error_health(window, baseline);
    let l = latency_health(window, baseline);
    match e.max(l) {
        Health::Normal => (Health::Normal, None),
        h if e >= l => (h, Some(Signal::Errors)),
        h => (h, Some(Signal::Latency)),
    }
}

/// Is this one minute anomalous against the baseline?
fn minute_anomalous(p: &RedPoint, b: &RedStats, signal: Signal) -> bool {
    if p.requests == 0 {
        return false;
    }
    match signal {
        Signal::Errors => {
            let pct = p.errors as f64 * 100.0 / p.requests as f64;
            pct >= (b.error_pct() * 3.0).max(b.error_pct() + 1.0)
        }
        Signal::Latency => b.p99_ms > 0.0 && p.p99_ms as f64 >= 1.6 * b.p99_ms,
    }
}

/// The start of the anomaly still going on at `now`: walking back from the last minute, the
/// earliest anomalous minute of the run, allowing two normal minutes inside the run.
pub fn onset(
    series: &RedSeries,
    baseline: &RedStats,
    signal: Signal,
    now: Millis,
) -> Option<Millis> {
    let pts = series.slice(series.start, now);
    let mut first = None;
    let mut gap = 0;
    for (i, p) in pts.iter().enumerate().rev() {
        if minute_anomalous(p, baseline, signal) {
            first = Some(i);
            gap = 0;
        } else if first.is_some() || pts.len() - i > 3 {
            gap += 1;
            if gap > 2 {
                break;
            }
        }
    }
    first.map(|i| series.start + i as Millis * MINUTE_MS)
}

/// What normal looks like in a stretch that may hold part of an incident: the lower quartile
/// of its per-minute error rates and the median of its per-minute p99s, so that an anomaly
/// inside the stretch (up to three quarters of it for errors, half for latency) does not
/// become the reference.
fn robust_reference(points: &[RedPoint]) -> Option<RedStats> {
    let mut errs: Vec<f64> = points
        .iter()
        .filter(|p| p.requests > 0)
        .map(|p| p.errors as f64 * 100.0 / p.requests as f64)
        .collect();
    if errs.is_empty() {
        return None;
    }
    errs.sort_by(f64::total_cmp);
    let mut p99s: Vec<f64> =
        points.iter().filter(|p| p.requests > 0).map(|p| p.p99_ms as f64).collect();
    p99s.sort_by(f64::total_cmp);
    let err = errs[errs.len() / 4];
    Some(RedStats {
        requests: 1_000_000,
        errors: (err * 10_000.0).round() as u64,
        minutes: points.len() as u32,
        p50_ms: 0.0,
        p99_ms: p99s[p99s.len() / 2],
    })
}

/// The baseline of a window: the stretch before it, or, when an anomaly still going on began
/// before the window, the stretch before that anomaly's onset. An incident never becomes its
/// own normal, whatever the window and however long it lasts.
fn baseline_for(series: &RedSeries, from: Millis, end: Millis, baseline: Millis) -> RedStats {
    let naive = series.stats(from - baseline, from);
    let Some(reference) = robust_reference(series.slice(from - baseline, from)) else {
        return naive;
    };
    let began = [Signal::Errors, Signal::Latency]
        .into_iter()
        .filter_map(|s| onset(series, &reference, s, end))
        .min();
    match began {
        Some(o) if o < from => series.stats(o - baseline, o),
        _ => naive,
    }
}

/// Compare the window `[now - window, now)` of a series with the baseline before it (before
/// the anomaly's onset when the anomaly began earlier than the window).
pub fn row_stats(series: &RedSeries, now: Millis, window: Millis, baseline: Millis) -> RowStats {
    let end = now - now.rem_euclid(MINUTE_MS);
    let from = end - window;
    let w = series.stats(from, end);
    let b = baseline_for(series, from, end, baseline);
    let (health, signal) = health(&w, &b);
    let onset = match (health, signal) {
        (Health::Degraded | Health::Critical, Some(s)) => onset(series, &b, s, end),
        _ => None,
    };
    let error_pct = series
        .slice(from, end)
        .iter()
        .map(|p| if p.requests == 0 { 0.0 } else { p.errors as f32 * 100.0 / p.requests as f32 })
        .collect();
    RowStats { window: w, baseline: b, health, signal, onset, error_pct }
}

/// The answer to "global or regional?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerdictKind {
    /// Still loading, or no region answered.
    Unknown,
    Normal,
    Regional,
    Global,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub kind: VerdictKind,
    pub text: String,
}

fn describe(region: &str, r: &RowStats) -> String {
    let since = r.onset.map(|t| format!(" since {}", format_hm(t))).unwrap_or_default();
    match r.signal {
        Some(Signal::Latency) => format!(
            "{region} p99 {} (baseline {}){since}",
            fmt_ms(r.window.p99_ms),
            fmt_ms(r.baseline.p99_ms)
        ),
        _ => format!(
            "{region} errors {:.1}% (baseline {:.1}%){since}",
            r.window.error_pct(),
            r.baseline.error_pct()
        ),
    }
}

/// One line that says whether the trouble is global or regional, and where.
pub fn verdict(boundary: &Boundary, rows: &[(String, RowStats)]) -> Verdict {
    let total = boundary.regions().count();
    let answered: Vec<&(String, RowStats)> =
        rows.iter().filter(|(_, r)| r.health != Health::NoData).collect();
    if answered.is_empty() {
        return Verdict { kind: VerdictKind::Unknown, text: "waiting for metrics…".into() };
    }
    let mut bad: Vec<&(String, RowStats)> =
        answered.iter().copied().filter(|(_, r)| r.health >= Health::Degraded).collect();
    bad.sort_by(|a, b| {
        b.1.health.cmp(&a.1.health).then(b.1.window.error_pct().total_cmp(&a.1.window.error_pct()))
    });
    if bad.is_empty() {
        return Verdict {
            kind: VerdictKind::Normal,
            text: format!("NORMAL: all {} regions within baseline", answered.len()),
        };
    }
    let continents: std::collections::BTreeSet<&str> = bad
        .iter()
        .filter_map(|(r, _)| boundary.continent_of(r.split(' ').next().unwrap_or(r)))
        .collect();
    let global = bad.len() * 2 > total && continents.len() > 1;
    let silent = total - answered.len();
    let lead = bad.iter().take(2).map(|(r, s)| describe(r, s)).collect::<Vec<_>>().join("; ");
    let more = if bad.len() > 2 { format!(" and {} more", bad.len() - 2) } else { String::new() };
    if global {
        Verdict {
            kind: VerdictKind::Global,
            text: format!("GLOBAL: {} of {total} regions degraded — {lead}{more}", bad.len()),
        }
    } else {
        let rest = if bad.len() == answered.len() && silent > 0 {
            // Evidence of one region: the others were not seen, not seen healthy.
            "no data from the other regions".to_string()
        } else if bad.len() + 1 == answered.len() {
            "the other region normal".to_string()
        } else {
            "other regions normal".to_string()
        };
        Verdict { kind: VerdictKind::Regional, text: format!("REGIONAL: {lead}{more} — {rest}") }
    }
}

/// The worst operation of a region (`service › operation`), when it is degraded or worse.
/// One failing endpoint among many healthy ones barely moves the region's total, so the
/// overview looks here too.
pub fn hotspot(
    region: &RegionMetrics,
    now: Millis,
    window: Millis,
    baseline: Millis,
) -> Option<(String, RowStats)> {
    region
        .services
        .iter()
        .flat_map(|(svc, sm)| sm.operations.iter().map(move |(op, s)| (svc, op, s)))
        .map(|(svc, op, s)| (format!("{svc} › {op}"), row_stats(s, now, window, baseline)))
        .filter(|(_, r)| r.health >= Health::Degraded)
        .max_by(|a, b| {
            a.1.health
                .cmp(&b.1.health)
                .then(a.1.window.error_pct().total_cmp(&b.1.window.error_pct()))
        })
}

/// A region's total, and its worst operation when that looks worse than the total.
pub type RegionHealth = (RowStats, Option<(String, RowStats)>);

/// Health of a region: its total, and its worst operation when that looks worse.
pub fn region_health(
    region: &RegionMetrics,
    now: Millis,
    window: Millis,
    baseline: Millis,
) -> RegionHealth {
    let total = row_stats(&region.total, now, window, baseline);
    match hotspot(region, now, window, baseline) {
        Some(h) if h.1.health > total.health => (total, Some(h)),
        _ => (total, None),
    }
}

/// A region as the verdict sees it: described by its hot spot when there is one.
pub fn verdict_row(region: &str, health: &RegionHealth) -> (String, RowStats) {
    match health {
        (_, Some((op, stats))) => (format!("{region} {op}"), stats.clone()),
        (total, None) => (region.to_string(), total.clone()),
    }
}

/// Verdict rows for every region of the boundary present in a snapshot.
pub fn region_rows(
    snap: &MetricsSnapshot,
    boundary: &Boundary,
    window: Millis,
    baseline: Millis,
) -> Vec<(String, RowStats)> {
    boundary
        .regions()
        .filter_map(|(_, r)| {
            let m = snap.regions.get(r)?;
            Some(verdict_row(r, &region_health(m, snap.now, window, baseline)))
        })
        .collect()
}

/// `42 ms`, `1.8 s`.
pub fn fmt_ms(ms: f64) -> String {
    if ms >= 10_000.0 {
        format!("{:.0} s", ms / 1000.0)
    } else if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(u32, u32, f32)]) -> RedSeries {
        RedSeries {
            start: 0,
            points: points
                .iter()
                .map(|&(r, e, p99)| RedPoint {
                    requests: r,
                    errors: e,
                    p50_ms: p99 / 4.0,
                    p99_ms: p99,
                })
                .collect(),
        }
    }

    #[test]
    fn health_from_errors_and_latency() {
        let base =
            RedStats { requests: 10_000, errors: 10, minutes: 100, p50_ms: 10.0, p99_ms: 100.0 };
        let w = |errors, p99| RedStats {
            requests: 1000,
            errors,
            minutes: 10,
            p50_ms: 10.0,
            p99_ms: p99,
        };
        assert_eq!(health(&w(1, 100.0), &base), (Health::Normal, None));
        assert_eq!(health(&w(20, 100.0), &base), (Health::Degraded, Some(Signal::Errors)));
        assert_eq!(health(&w(80, 100.0), &base), (Health::Critical, Some(Signal::Errors)));
        assert_eq!(health(&w(1, 200.0), &base), (Health::Degraded, Some(Signal::Latency)));
        assert_eq!(health(&w(1, 400.0), &base), (Health::Critical, Some(Signal::Latency)));
        let empty = RedStats::default();
        assert_eq!(health(&empty, &base).0, Health::NoData);
    }

    #[test]
    fn onset_finds_the_start_of_the_run() {
        // 60 normal minutes, then errors from minute 60 with one quiet minute inside.
        let mut pts = vec![(100, 0, 50.0); 60];
        pts.extend([
            (100, 20, 50.0),
            (100, 30, 50.0),
            (100, 0, 50.0),
            (100, 40, 50.0),
            (100, 45, 50.0),
        ]);
        let s = series(&pts);
        let base = s.stats(0, 60 * MINUTE_MS);
        assert_eq!(onset(&s, &base, Signal::Errors, s.end()), Some(60 * MINUTE_MS));
        let r = row_stats(&s, s.end(), 5 * MINUTE_MS, 60 * MINUTE_MS);
        assert_eq!(r.health, Health::Critical);
        assert_eq!(r.onset, Some(60 * MINUTE_MS));
        assert_eq!(r.error_pct.len(), 5);
    }

    fn row(health: Health, err: u64) -> RowStats {
        RowStats {
            window: RedStats {
                requests: 1000,
                errors: err,
                minutes: 15,
                p50_ms: 10.0,
                p99_ms: 50.0,
            },
            baseline: RedStats {
                requests: 100_000,
                errors: 100,
                minutes: 1440,
                p50_ms: 10.0,
                p99_ms: 50.0,
            },
            health,
            signal: (health >= Health::Degraded).then_some(Signal::Errors),
            onset: (health >= Health::Degraded).then_some(9 * 3_600_000 + 5 * MINUTE_MS),
            error_pct: vec![],
        }
    }

    #[test]
    fn verdict_says_regional_or_global() {
        let b = Boundary::global();
        let names: Vec<String> = b.regions().map(|(_, r)| r.to_string()).collect();
        let mut rows: Vec<(String, RowStats)> =
            names.iter().map(|n| (n.clone(), row(Health::Normal, 1))).collect();
        assert_eq!(verdict(&b, &rows).kind, VerdictKind::Normal);
        rows[0].1 = row(Health::Critical, 142);
        let v = verdict(&b, &rows);
        assert_eq!(v.kind, VerdictKind::Regional);
        assert_eq!(
            v.text,
            "REGIONAL: eu-west-1 errors 14.2% (baseline 0.1%) since 09:05 — other regions normal"
        );
        for i in [1, 2, 4] {
            rows[i].1 = row(Health::Degraded, 40);
        }
        let v = verdict(&b, &rows);
        assert_eq!(v.kind, VerdictKind::Global);
        assert!(
            v.text.starts_with("GLOBAL: 4 of 6 regions degraded — eu-west-1 errors 14.2%"),
            "{}",
            v.text
        );
        assert_eq!(verdict(&b, &[]).kind, VerdictKind::Unknown);
    }
}
