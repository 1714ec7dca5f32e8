//! Rate, errors, duration: per-minute points and the statistics drawn from them.

use super::{MINUTE_MS, Millis};

/// One minute of one series.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RedPoint {
    pub requests: u32,
    pub errors: u32,
    /// Median latency of the minute, milliseconds (0 when there were no requests).
    pub p50_ms: f32,
    /// 99th percentile latency of the minute, milliseconds.
    pub p99_ms: f32,
}

/// Consecutive minutes starting at `start` (a minute boundary).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RedSeries {
    pub start: Millis,
    pub points: Vec<RedPoint>,
}

/// Summary of a stretch of a series.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RedStats {
    pub requests: u64,
    pub errors: u64,
    pub minutes: u32,
    /// Request-weighted mean of the per-minute medians.
    pub p50_ms: f64,
    /// Request-weighted mean of the per-minute 99th percentiles.
    pub p99_ms: f64,
}

impl RedStats {
    pub fn rate_per_sec(&self) -> f64 {
        if self.minutes == 0 { 0.0 } else { self.requests as f64 / (self.minutes as f64 * 60.0) }
    }

    pub fn error_pct(&self) -> f64 {
        if self.requests == 0 { 0.0 } else { self.errors as f64 * 100.0 / self.requests as f64 }
    }
}

impl RedSeries {
    pub fn new(start: Millis) -> Self {
        RedSeries { start: start - start.rem_euclid(MINUTE_MS), points: Vec::new() }
    }

    /// The time just after the last point.
    pub fn end(&self) -> Millis {
        self.start + self.points.len() as Millis * MINUTE_MS
    }

    /// Index of the minute containing `t`, clamped to `0..=len`.
    fn index(&self, t: Millis) -> usize {
        let i = (t - self.start).div_euclid(MINUTE_MS);
        i.clamp(0, self.points.len() as Millis) as usize
    }

    pub fn slice(&self, from: Millis, to: Millis) -> &[RedPoint] {
        let (a, b) = (self.index(from), self.index(to));
        &self.points[a..b.max(a)]
    }

    /// Statistics of the minutes in `[from, to)`.
    pub fn stats(&self, from: Millis, to: Millis) -> RedStats {
        stats_of(self.slice(from, to))
    }

    /// Add `other` minute by minute (requests and errors summed, latencies weighted by
    /// requests). Used to roll operations up into services and services into regions.
    pub fn accumulate(&mut self, other: &RedSeries) {
        if other.points.is_empty() {
            return;
        }
        if self.points.is_empty() {
            *self = other.clone();
            return;
        }
        let start = self.start.min(other.start);
        let end = self.end().max(other.end());
        let len = ((end - start) / MINUTE_MS) as usize;
        let mut out = vec![RedPoint::default(); len];
        for series in [&*self, other] {
            let off = ((series.start - start) / MINUTE_MS) as usize;
            for (i, p) in series.points.iter().enumerate() {
                let o = &mut out[off + i];
                let total = o.requests + p.requests;
                if total > 0 {
                    let w = |a: f32, b: f32| {
                        (a as f64 * o.requests as f64 + b as f64 * p.requests as f64) / total as f64
                    };
                    o.p50_ms = w(o.p50_ms, p.p50_ms) as f32;
                    o.p99_ms =
                        w(o.p99_ms, p.p99_ms).max(o.p99_ms as f64).max(p.p99_ms as f64) as f32;
                }
                o.requests = total;
                o.errors += p.errors;
            }
        }
        self.start = start;
        self.points = out;
    }
}

pub fn stats_of(points: &[RedPoint]) -> RedStats {
    let mut s = RedStats { minutes: points.len() as u32, ..RedStats::default() };
    let (mut w50, mut w99) = (0.0, 0.0);
    for p in points {
        s.requests += p.requests as u64;
        s.errors += p.errors as u64;
        w50 += p.p50_ms as f64 * p.requests as f64;
        w99 += p.p99_ms as f64 * p.requests as f64;
    }
    if s.requests > 0 {
        s.p50_ms = w50 / s.requests as f64;
        s.p99_ms = w99 / s.requests as f64;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(requests: u32, errors: u32, p50: f32, p99: f32) -> RedPoint {
        RedPoint { requests, errors, p50_ms: p50, p99_ms: p99 }
    }

    #[test]
    fn stats_weight_latency_by_requests() {
        let s = RedSeries { start: 0, points: vec![p(100, 1, 10.0, 50.0), p(300, 30, 30.0, 90.0)] };
        let st = s.stats(0, 2 * MINUTE_MS);
        assert_eq!(st.requests, 400);
        assert_eq!(st.errors, 31);
        assert!((st.p50_ms - 25.0).abs() < 1e-9);
        assert!((st.error_pct() - 7.75).abs() < 1e-9);
        assert!((st.rate_per_sec() - 400.0 / 120.0).abs() < 1e-9);
        assert_eq!(s.stats(MINUTE_MS, 10 * MINUTE_MS).requests, 300);
        assert_eq!(s.stats(-5 * MINUTE_MS, 0).requests, 0);
    }

    #[test]
    fn accumulate_aligns_minutes() {
        let mut a = RedSeries { start: MINUTE_MS, points: vec![p(10, 1, 10.0, 20.0)] };
        let b = RedSeries { start: 0, points: vec![p(5, 0, 5.0, 5.0), p(10, 0, 30.0, 40.0)] };
        a.accumulate(&b);
        assert_eq!(a.start, 0);
        assert_eq!(a.points[0], p(5, 0, 5.0, 5.0));
        assert_eq!(a.points[1].requests, 20);
        assert_eq!(a.points[1].errors, 1);
        assert!((a.points[1].p50_ms - 20.0).abs() < 1e-6);
        assert!((a.points[1].p99_ms - 40.0).abs() < 1e-6);
    }
}
