//! Service level objectives: attainment, error budget left and the multi-window burn rate of
//! the SRE workbook (alerting on SLOs, table 5-8): page when the last hour and the last 5
//! minutes both burn the budget 14.4 times faster than the objective allows (2% of a 30-day
//! budget in an hour), open a ticket when the last 6 hours and the last 30 minutes both burn
//! it 6 times faster (5% in 6 hours).
//!
//! The burn rate of a stretch is its bad share divided by the share the objective allows:
//! `(bad / total) / (1 - target)`. Availability counts failed requests; latency counts the
//! minutes whose p99 is over the threshold (a time-slice objective: per-minute metrics carry
//! percentiles, not the requests over a threshold).

use super::Health;
use crate::model::{HOUR_MS, MINUTE_MS, MetricsSnapshot, Millis, RedPoint, RedSeries};

/// What an objective counts as good.
#[derive(Clone, Debug, PartialEq)]
pub enum Sli {
    /// Requests that did not fail.
    Availability,
    /// Minutes whose p99 is at most this many milliseconds.
    Latency { threshold_ms: f64 },
}

/// One objective: where it applies, what it counts, the target and its period.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    pub name: String,
    pub service: String,
    /// One operation of the service, or all of them.
    pub operation: Option<String>,
    /// One region, or every region of the boundary (each judged on its own).
    pub region: Option<String>,
    pub sli: Sli,
    /// Percent, e.g. 99.5.
    pub target: f64,
    pub period: Millis,
    /// Where the objective was defined: `config.toml:42`, `Application Signals`.
    pub origin: String,
}

/// The two window pairs and their thresholds.
pub const FAST: BurnPair = BurnPair { long: HOUR_MS, short: 5 * MINUTE_MS, threshold: 14.4 };
pub const SLOW: BurnPair = BurnPair { long: 6 * HOUR_MS, short: 30 * MINUTE_MS, threshold: 6.0 };

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BurnPair {
    pub long: Millis,
    pub short: Millis,
    pub threshold: f64,
}

/// Page, ticket or nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Alert {
    None,
    Ticket,
    Page,
}

impl Alert {
    pub fn label(self) -> &'static str {
        match self {
            Alert::None => "ok",
            Alert::Ticket => "TICKET",
            Alert::Page => "PAGE",
        }
    }
    /// The health an alert state means.
    pub fn health(self) -> Health {
        match self {
            Alert::None => Health::Normal,
            Alert::Ticket => Health::Degraded,
            Alert::Page => Health::Critical,
        }
    }
}

/// An objective judged in one region at `now`.
#[derive(Clone, Debug, PartialEq)]
pub struct SloStatus {
    pub objective: Objective,
    pub region: String,
    /// Good share over the data seen, percent.
    pub attainment: f64,
    /// The span of data the attainment and budget are computed from (at most the period).
    pub seen: Millis,
    /// Error budget of the period left, percent (negative when overspent), assuming no bad
    /// events in the part of the period without data.
    pub budget_left: f64,
    /// Burn rates: fast pair (1 h, 5 min), slow pair (6 h, 30 min).
    pub fast: (f64, f64),
    pub slow: (f64, f64),
    pub alert: Alert,
}

/// Good and total events of a stretch of points.
fn counts(points: &[RedPoint], sli: &Sli) -> (f64, f64) {
    match sli {
        Sli::Availability => points
            .iter()
            .fold((0.0, 0.0), |(bad, all), p| (bad + p.errors as f64, all + p.requests as f64)),
        Sli::Latency { threshold_ms } => {
            points.iter().filter(|p| p.requests > 0).fold((0.0, 0.0), |(bad, all), p| {
                (bad + (p.p99_ms as f64 > *threshold_ms) as u8 as f64, all + 1.0)
            })
        }
    }
}

/// The burn rate of `[end - span, end)`: its bad share over the share the target allows.
pub fn burn_rate(series: &RedSeries, sli: &Sli, target: f64, end: Millis, span: Millis) -> f64 {
    let (bad, all) = counts(series.slice(end - span, end), sli);
    let allowed = 1.0 - target / 100.0;
    if all == 0.0 || allowed <= 0.0 { 0.0 } else { bad / all / allowed }
}

/// Judge an objective on a series at `now` (complete minutes only).
pub fn judge(series: &RedSeries, o: &Objective, region: &str, now: Millis) -> SloStatus {
    let end = now - now.rem_euclid(MINUTE_MS);
    let from = (end - o.period).max(series.start);
    let (bad, all) = counts(series.slice(from, end), &o.sli);
    let attainment = if all == 0.0 { 100.0 } else { 100.0 * (1.0 - bad / all) };
    let seen = end - from;
    let allowed = 1.0 - o.target / 100.0;
    // Budget spent: the bad share seen, over the allowed share, for the part of the period
    // seen.
    let spent = if all == 0.0 || allowed <= 0.0 {
        0.0
    } else {
        bad / all / allowed * seen as f64 / o.period as f64
    };
    let rate = |span| burn_rate(series, &o.sli, o.target, end, span);
    let fast = (rate(FAST.long), rate(FAST.short));
    let slow = (rate(SLOW.long), rate(SLOW.short));
    let alert = if fast.0 > FAST.threshold && fast.1 > FAST.threshold {
        Alert::Page
    } else if slow.0 > SLOW.threshold && slow.1 > SLOW.threshold {
        Alert::Ticket
    } else {
        Alert::None
    };
    SloStatus {
        objective: o.clone(),
        region: region.to_string(),
        attainment,
        seen,
        budget_left: 100.0 * (1.0 - spent),
        fast,
        slow,
        alert,
    }
}

/// Every objective in every region of the snapshot it applies to, worst first.
pub fn statuses(snap: &MetricsSnapshot, objectives: &[Objective]) -> Vec<SloStatus> {
    let mut out = Vec::new();
    for o in objectives {
        for (region, m) in &snap.regions {
            if o.region.as_ref().is_some_and(|r| r != region) {
                continue;
            }
            let Some(svc) = m.services.get(&o.service) else { continue };
            let series = match &o.operation {
                Some(op) => match svc.operations.get(op) {
                    Some(s) => s,
                    None => continue,
                },
                None => &svc.total,
            };
            out.push(judge(series, o, region, snap.now));
        }
    }
    out.sort_by(|a, b| b.alert.cmp(&a.alert).then(a.budget_left.total_cmp(&b.budget_left)));
    out
}

/// The worst alert of the objectives of a region (and a service, when given).
pub fn worst(statuses: &[SloStatus], region: &str, service: Option<&str>) -> Alert {
    statuses
        .iter()
        .filter(|s| s.region == region && service.is_none_or(|x| x == s.objective.service))
        .map(|s| s.alert)
        .max()
        .unwrap_or(Alert::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `minutes` of 1,000 requests; the last `bad_minutes` of them with `errors` failures.
    fn series(minutes: usize, bad_minutes: usize, errors: u32) -> RedSeries {
        RedSeries {
            start: 0,
            points: (0..minutes)
                .map(|i| RedPoint {
                    requests: 1000,
                    errors: if i >= minutes - bad_minutes { errors } else { 1 },
                    p50_ms: 20.0,
                    p99_ms: if i >= minutes - bad_minutes { 900.0 } else { 100.0 },
                })
                .collect(),
        }
    }

    fn objective(sli: Sli, target: f64) -> Objective {
        Objective {
            name: "approve".into(),
            service: "worker".into(),
            operation: None,
            region: None,
            sli,
            target,
            period: 30 * 24 * HOUR_MS,
            origin: "test".into(),
        }
    }

    #[test]
    fn burn_rates_match_a_hand_computation() {
        // 24 h of 1,000 requests a minute at 1 failure (0.1%), then 20 minutes at 100
        // failures (10%). Availability target 99.5%: 0.5% allowed.
        let s = series(1440 + 20, 20, 100);
        let o = objective(Sli::Availability, 99.5);
        let st = judge(&s, &o, "eu-west-1", s.end());
        // Last 5 min: 500 bad of 5,000 = 10% -> 10 / 0.5 = 20.
        assert!((st.fast.1 - 20.0).abs() < 1e-9, "{st:?}");
        // Last hour: 20 min x 100 + 40 min x 1 = 2,040 of 60,000 = 3.4% -> 6.8.
        assert!((st.fast.0 - 6.8).abs() < 1e-9, "{st:?}");
        // Last 30 min: 2,000 + 10 = 2,010 of 30,000 = 6.7% -> 13.4.
        assert!((st.slow.1 - 13.4).abs() < 1e-9, "{st:?}");
        // Last 6 h: 2,000 + 340 = 2,340 of 360,000 = 0.65% -> 1.3.
        assert!((st.slow.0 - 1.3).abs() < 1e-9, "{st:?}");
        // Fast pair: 6.8 is under 14.4; slow pair: 1.3 is under 6: no alert yet.
        assert_eq!(st.alert, Alert::None);
        // Attainment over the 24 h 20 min seen: 1 - (2,000 + 1,440) / 1,460,000.
        let att = 100.0 * (1.0 - 3440.0 / 1_460_000.0);
        assert!((st.attainment - att).abs() < 1e-9);
        // Budget spent: (3,440 / 1,460,000) / 0.005 x (1,460 min / 43,200 min).
        let spent = 3440.0 / 1_460_000.0 / 0.005 * 1460.0 / 43_200.0;
        assert!((st.budget_left - 100.0 * (1.0 - spent)).abs() < 1e-9);
    }

    #[test]
    fn the_alert_needs_both_windows_of_a_pair() {
        // 70 bad minutes at 10%: the last hour and 5 minutes both burn at 20 -> page.
        let s = series(1440 + 70, 70, 100);
        let st = judge(&s, &objective(Sli::Availability, 99.5), "eu-west-1", s.end());
        assert!((st.fast.0 - 20.0).abs() < 1e-9);
        assert_eq!(st.alert, Alert::Page);
        // Recovered for 10 minutes: the hour still burns at 16.7 (5,010 of 60,000) but the
        // last 5 minutes at 0.2, so no page; 6 h burns at 4.05 (7,290 of 360,000): no ticket.
        let mut s = series(1440 + 80, 80, 100);
        let n = s.points.len();
        for p in &mut s.points[n - 10..] {
            p.errors = 1;
        }
        let st = judge(&s, &objective(Sli::Availability, 99.5), "eu-west-1", s.end());
        assert!((st.fast.0 - 16.7).abs() < 1e-9, "{st:?}");
        assert!((st.fast.1 - 0.2).abs() < 1e-9, "{st:?}");
        assert!((st.slow.0 - 4.05).abs() < 1e-9, "{st:?}");
        assert_eq!(st.alert, Alert::None, "{st:?}");
    }

    #[test]
    fn latency_counts_slow_minutes() {
        // Target 99%: 1% of minutes may be slow. The last 20 of 60 minutes are: 33% -> 33.3.
        let s = series(1440 + 20, 20, 1);
        let o = objective(Sli::Latency { threshold_ms: 500.0 }, 99.0);
        let st = judge(&s, &o, "eu-west-1", s.end());
        assert!((st.fast.0 - 100.0 / 3.0).abs() < 1e-6, "{st:?}");
        assert!((st.fast.1 - 100.0).abs() < 1e-6, "{st:?}");
        assert_eq!(st.alert, Alert::Page);
    }
}
