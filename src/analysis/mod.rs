//! Pure functions over the telemetry: baselines, health, anomaly onset and the
//! "global or regional?" verdict. No I/O, no drawing; unit-tested on plain series.

pub mod change_kind;
pub mod corroborate;
pub mod impact;
pub mod requests;
pub mod slo;
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
    /// The stretch the health was judged on: the window, or the minutes of an episode
    /// since its onset when that is shorter (what the verdict quotes).
    pub judged: RedStats,
    pub baseline: RedStats,
    pub health: Health,
    /// The signal behind a Degraded or Critical health.
    pub signal: Option<Signal>,
    /// When the current anomaly started, if there is one (or the last one in the window,
    /// when it is over).
    pub onset: Option<Millis>,
    /// The anomaly ended at this time and the series is coming back (still degraded).
    pub recovering: Option<Millis>,
    /// The anomaly ended at this time and stayed over for [`RECOVERED_AFTER`].
    pub recovered: Option<Millis>,
    /// Error % per minute over the window (the sparkline's data).
    pub error_pct: Vec<f32>,
    /// The end of the window (the last complete minute).
    pub until: Millis,
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
        } else if p.requests == 0 && first.is_some() {
            // A minute without traffic says nothing either way.
        } else if first.is_some() || pts.len() - i > 3 {
            gap += 1;
            if gap > 2 {
                break;
            }
        }
    }
    first.map(|i| series.start + i as Millis * MINUTE_MS)
}

/// A stretch of anomalous minutes against a baseline: from the start of its first anomalous
/// minute to the end of its last one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Episode {
    pub signal: Signal,
    pub onset: Millis,
    /// The end of the last anomalous minute: when the series came back, if it stayed back.
    pub last: Millis,
    /// Anomalous minutes in the stretch.
    pub minutes: u32,
}

/// An episode counts when it lasted this many anomalous minutes (a lone bad minute is noise).
const EPISODE_MINUTES: u32 = 3;
/// Normal minutes after an episode before it is "recovering" rather than still going on.
pub const RECOVERING_AFTER: Millis = 3 * MINUTE_MS;
/// Normal minutes after an episode before it is "recovered".
pub const RECOVERED_AFTER: Millis = 10 * MINUTE_MS;

/// Requests a minute needs before its p99 says anything about latency.
const LATENCY_MIN_REQUESTS: u32 = 100;

/// The anomalous runs of `points` (index of the first and last anomalous minute, count),
/// newest first, allowing two normal minutes inside a run; minutes without traffic neither
/// extend nor break a run.
fn runs(points: &[RedPoint], b: &RedStats, signal: Signal) -> Vec<(usize, usize, u32)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, usize, u32)> = None;
    let mut gap = 0;
    for (i, p) in points.iter().enumerate().rev() {
        // A p99 of fewer than 100 requests is their slowest one: no evidence either way.
        if p.requests == 0 || (signal == Signal::Latency && p.requests < LATENCY_MIN_REQUESTS) {
            continue;
        }
        if minute_anomalous(p, b, signal) {
            cur = Some(match cur {
                Some((_, last, n)) => (i, last, n + 1),
                None => (i, i, 1),
            });
            gap = 0;
        } else if cur.is_some() {
            gap += 1;
            if gap > 2 {
                out.extend(cur.take());
                gap = 0;
            }
        }
    }
    out.extend(cur);
    out
}

/// Whether a run is an episode rather than noise: long enough, its minutes together leave
/// the baseline, and (for errors) by more than chance explains: at least 10 failures and five
/// standard deviations above the failures the baseline rate expects (a Poisson count), so
/// that a quiet operation's odd failed request never starts an incident.
fn qualifies(
    points: &[RedPoint],
    b: &RedStats,
    signal: Signal,
    (first, last, n): (usize, usize, u32),
) -> bool {
    if n < EPISODE_MINUTES {
        return false;
    }
    let st = crate::model::stats_of(&points[first..=last]);
    if health(&st, b).0 < Health::Degraded {
        return false;
    }
    match signal {
        Signal::Errors => {
            let expected = st.requests as f64 * b.error_pct() / 100.0;
            st.errors as f64 >= (expected + 5.0 * expected.sqrt()).max(10.0)
        }
        Signal::Latency => true,
    }
}

/// The latest episode of a series that touches `[from, end)` (it may have begun before).
pub fn episode(
    series: &RedSeries,
    baseline: &RedStats,
    signal: Signal,
    from: Millis,
    end: Millis,
) -> Option<Episode> {
    let pts = series.slice(series.start, end);
    let from_i = ((from - series.start).max(0) / MINUTE_MS) as usize;
    runs(pts, baseline, signal)
        .into_iter()
        .take_while(|&(_, last, _)| last >= from_i)
        .find(|&r| qualifies(pts, baseline, signal, r))
        .map(|(first, last, minutes)| Episode {
            signal,
            onset: series.start + first as Millis * MINUTE_MS,
            last: series.start + (last as Millis + 1) * MINUTE_MS,
            minutes,
        })
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

/// Statistics of a stretch without the minutes of the episodes inside it (an incident over
/// already is not normal either).
fn stats_without_episodes(points: &[RedPoint], reference: &RedStats) -> RedStats {
    let mut keep = vec![true; points.len()];
    for signal in [Signal::Errors, Signal::Latency] {
        for r in runs(points, reference, signal) {
            if qualifies(points, reference, signal, r) {
                keep[r.0..=r.1].iter_mut().for_each(|k| *k = false);
            }
        }
    }
    let kept: Vec<RedPoint> =
        points.iter().zip(&keep).filter(|(_, k)| **k).map(|(p, _)| *p).collect();
    let mut s = crate::model::stats_of(&kept);
    s.minutes = points.len() as u32;
    s
}

/// The baseline of a window: the stretch before it without the episodes inside it, or, when
/// an anomaly still going on began before the window, the stretch before that anomaly's
/// onset. An incident never becomes its own normal, whatever the window and however long it
/// lasts, nor the normal of the next one.
fn baseline_for(series: &RedSeries, from: Millis, end: Millis, baseline: Millis) -> RedStats {
    let stretch = |a: Millis, b: Millis| {
        let pts = series.slice(a, b);
        match robust_reference(pts) {
            Some(reference) => stats_without_episodes(pts, &reference),
            None => series.stats(a, b),
        }
    };
    let Some(reference) = robust_reference(series.slice(from - baseline, from)) else {
        return series.stats(from - baseline, from);
    };
    let began = [Signal::Errors, Signal::Latency]
        .into_iter()
        .filter_map(|s| onset(series, &reference, s, end))
        .min();
    match began {
        Some(o) if o < from => stretch(o - baseline, o),
        _ => stretch(from - baseline, from),
    }
}

/// Compare the window `[now - window, now)` of a series with the baseline before it (before
/// the anomaly's onset when the anomaly began earlier than the window).
///
/// An episode still going on keeps the row degraded whatever the window (judged on the
/// minutes since its onset when that is shorter than the window); one that ended is
/// "recovering" (still degraded) for [`RECOVERED_AFTER`], then recovered.
pub fn row_stats(series: &RedSeries, now: Millis, window: Millis, baseline: Millis) -> RowStats {
    let end = now - now.rem_euclid(MINUTE_MS);
    let from = end - window;
    let w = series.stats(from, end);
    let b = baseline_for(series, from, end, baseline);
    let (wh, ws) = health(&w, &b);
    let error_pct = series
        .slice(from, end)
        .iter()
        .map(|p| if p.requests == 0 { 0.0 } else { p.errors as f32 * 100.0 / p.requests as f32 })
        .collect();
    let mut r = RowStats {
        window: w,
        judged: w,
        baseline: b,
        health: wh,
        signal: ws,
        onset: None,
        recovering: None,
        recovered: None,
        error_pct,
        until: end,
    };
    if wh == Health::NoData {
        return r;
    }
    let ep = [Signal::Errors, Signal::Latency]
        .into_iter()
        .filter_map(|s| episode(series, &b, s, from, end))
        .max_by_key(|e| (e.last, std::cmp::Reverse(e.onset)));
    match ep {
        Some(e) if end - e.last < RECOVERING_AFTER => {
            r.judged = series.stats(e.onset.max(from), end);
            let eh = health(&r.judged, &b).0;
            r.health = wh.max(eh).max(Health::Degraded);
            r.signal = Some(e.signal);
            r.onset = Some(e.onset);
        }
        Some(e) if end - e.last < RECOVERED_AFTER => {
            r.judged = series.stats(e.onset.max(from), e.last);
            r.health = Health::Degraded;
            r.signal = Some(e.signal);
            r.onset = Some(e.onset);
            r.recovering = Some(e.last);
        }
        Some(e) => {
            r.judged = series.stats(e.onset.max(from), e.last);
            r.health = Health::Normal;
            r.signal = None;
            r.onset = Some(e.onset);
            r.recovered = Some(e.last);
        }
        None => {
            if let (Health::Degraded | Health::Critical, Some(s)) = (wh, ws) {
                r.onset = onset(series, &b, s, end);
            }
        }
    }
    r
}

/// The answer to "global or regional?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerdictKind {
    /// Still loading, or no region answered.
    Unknown,
    Normal,
    /// Everything within baseline again after an anomaly inside the window.
    Recovered,
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
    let back =
        r.recovering.map(|t| format!(", recovering since {}", format_hm(t))).unwrap_or_default();
    match r.signal {
        Some(Signal::Latency) => format!(
            "{region} p99 {} (baseline {}){since}{back}",
            fmt_ms(r.judged.p99_ms),
            fmt_ms(r.baseline.p99_ms)
        ),
        _ => format!(
            "{region} errors {:.1}% (baseline {:.1}%){since}{back}",
            r.judged.error_pct(),
            r.baseline.error_pct()
        ),
    }
}

/// `RECOVERED at 09:45 (errors back to baseline for 15 min): eu-west-1 since 09:04 …`.
fn recovered_text(rows: &[&(String, RowStats)], now_end: Millis, answered: usize) -> String {
    let mut rows = rows.to_vec();
    rows.sort_by_key(|(_, r)| std::cmp::Reverse(r.judged.errors));
    let last = rows.first().and_then(|(_, r)| r.recovered).unwrap_or(now_end);
    let what = match rows.first().map(|(_, r)| r) {
        Some(r)
            if r.judged.error_pct() <= r.baseline.error_pct() * 3.0 + 1.0
                && r.judged.p99_ms >= 1.6 * r.baseline.p99_ms =>
        {
            "p99"
        }
        _ => "errors",
    };
    let span = analysis_span(now_end - last);
    let lead = rows
        .iter()
        .map(|(name, r)| match (r.onset, r.recovered) {
            (Some(o), Some(e)) => {
                format!("{name} since {} for {}", format_hm(o), analysis_span(e - o))
            }
            _ => name.clone(),
        })
        .take(2)
        .collect::<Vec<_>>()
        .join("; ");
    format!(
        "RECOVERED at {} ({what} back to baseline for {span}): {lead} — all {answered} regions within baseline",
        format_hm(last)
    )
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
        let back: Vec<&(String, RowStats)> =
            answered.iter().copied().filter(|(_, r)| r.recovered.is_some()).collect();
        if !back.is_empty() {
            let until = answered.iter().map(|(_, r)| r.until).max().unwrap_or(0);
            return Verdict {
                kind: VerdictKind::Recovered,
                text: recovered_text(&back, until, answered.len()),
            };
        }
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
        .filter(|(_, r)| r.health >= Health::Degraded || r.recovered.is_some())
        .max_by(|a, b| {
            a.1.health
                .cmp(&b.1.health)
                .then(a.1.judged.error_pct().total_cmp(&b.1.judged.error_pct()))
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
    let mut total = row_stats(&region.total, now, window, baseline);
    let hot = hotspot(region, now, window, baseline);
    // One onset for the region: the earliest of its total and its hot spot in the same
    // episode (a service's trouble shows in its own series a minute before the total's).
    if let Some((_, h)) = &hot
        && h.onset.is_some()
        && (total.health >= Health::Degraded || total.recovered.is_some())
    {
        total.onset = earliest(total.onset, h.onset);
    }
    match hot {
        // The hot spot names the region when it is worse, or as bad and where the failures
        // concentrate (its error rate at least twice the region's).
        Some((op, mut h))
            if h.health > total.health
                || (h.health == total.health
                    && h.health >= Health::Degraded
                    && h.judged.error_pct() >= 2.0 * total.judged.error_pct()) =>
        {
            h.onset = earliest(h.onset, total.onset);
            (total, Some((op, h)))
        }
        Some((op, h))
            if total.health < Health::Degraded
                && total.recovered.is_none()
                && h.recovered.is_some() =>
        {
            (total, Some((op, h)))
        }
        _ => (total, None),
    }
}

/// `41 min`, `2 h 15 min`.
pub fn analysis_span(ms: Millis) -> String {
    let m = ms.max(0) / MINUTE_MS;
    match m {
        0..60 => format!("{m} min"),
        _ if m % 60 == 0 => format!("{} h", m / 60),
        _ => format!("{} h {} min", m / 60, m % 60),
    }
}

fn earliest(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
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
            judged: RedStats {
                requests: 1000,
                errors: err,
                minutes: 15,
                p50_ms: 10.0,
                p99_ms: 50.0,
            },
            recovering: None,
            recovered: None,
            until: 9 * 3_600_000 + 20 * MINUTE_MS,
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

    /// A day of 1,000 requests a minute with two failures every other minute (0.1%), then
    /// the minutes of `bad` at 40% errors, then normal again.
    fn day_with(bad: std::ops::Range<usize>, len: usize) -> RedSeries {
        let pts: Vec<(u32, u32, f32)> = (0..len)
            .map(|i| {
                if bad.contains(&i) { (1000, 400, 50.0) } else { (1000, 2 * (i % 2) as u32, 50.0) }
            })
            .collect();
        series(&pts)
    }

    #[test]
    fn an_ongoing_episode_stays_degraded_at_any_window() {
        // 24 h of history, then 10 hours of trouble still going on.
        let day = 1440;
        let s = day_with(day + 60..day + 660, day + 660);
        for w in [15, 60, 360, 1440] {
            let r = row_stats(&s, s.end(), w * MINUTE_MS, DAY);
            assert!(r.health >= Health::Degraded, "window {w}: {r:?}");
            assert_eq!(r.onset, Some((day + 60) as Millis * MINUTE_MS), "window {w}");
            assert!((r.judged.error_pct() - 40.0).abs() < 1e-9, "window {w}");
            assert!(r.baseline.error_pct() < 1.0, "the incident is not its own normal");
        }
    }

    const DAY: Millis = 1440 * MINUTE_MS;

    #[test]
    fn an_episode_that_ended_is_recovering_then_recovered() {
        let day = 1440;
        // 41 bad minutes, then `after` normal minutes.
        let at = |after: usize| {
            let s = day_with(day..day + 41, day + 41 + after);
            row_stats(&s, s.end(), 60 * MINUTE_MS, DAY)
        };
        let end = (day + 41) as Millis * MINUTE_MS;
        let r = at(2);
        assert_eq!((r.health >= Health::Degraded, r.recovering, r.recovered), (true, None, None));
        let r = at(5);
        assert_eq!(r.health, Health::Degraded);
        assert_eq!(r.recovering, Some(end));
        let r = at(12);
        assert_eq!(
            (r.health, r.recovered, r.onset),
            (Health::Normal, Some(end), Some(day as Millis * MINUTE_MS))
        );
        let v = verdict(&Boundary::global(), &[("eu-west-1".to_string(), r)]);
        assert_eq!(v.kind, VerdictKind::Recovered);
        assert_eq!(
            v.text,
            "RECOVERED at 00:41 (errors back to baseline for 12 min): eu-west-1 since 00:00 for 41 min — all 1 regions within baseline"
        );
        // Once the window no longer holds it, it is plainly normal; the next baseline
        // leaves the episode out.
        let r = at(120);
        assert_eq!((r.health, r.recovered), (Health::Normal, None));
        let s = day_with(day..day + 41, day + 41 + 120);
        let r = row_stats(&s, s.end(), 15 * MINUTE_MS, DAY);
        assert!((r.baseline.error_pct() - 0.1).abs() < 0.01, "{:?}", r.baseline);
    }

    #[test]
    fn noise_is_not_an_episode() {
        // A quiet series (70 requests a minute, 0.2% errors) with one failed request in each
        // of five minutes in a row: every minute is over 1%, together they are chance.
        let mut pts = vec![(70, 0, 50.0); 1500];
        for p in &mut pts[1480..1485] {
            p.1 = 1;
        }
        for (i, p) in pts.iter_mut().enumerate().take(1440) {
            p.1 = (i % 7 == 0) as u32;
        }
        let s = series(&pts);
        let r = row_stats(&s, s.end(), 60 * MINUTE_MS, DAY);
        assert_eq!((r.health, r.recovered, r.recovering), (Health::Normal, None, None), "{r:?}");
        // A p99 over fewer than 100 requests is no evidence of latency either.
        let mut pts = vec![(70, 0, 100.0); 1500];
        for p in &mut pts[1480..1485] {
            p.2 = 400.0;
        }
        let s = series(&pts);
        assert!(
            episode(&s, &s.stats(0, DAY), Signal::Latency, 1440 * MINUTE_MS, s.end()).is_none()
        );
    }
}
