//! A per-region rate guard: calls are spaced at least `spacing` apart.
//!
//! CloudWatch `GetMetricData` allows 50 transactions per second per region and account; the
//! SDK's adaptive retry mode copes with throttling once it happens, this guard keeps one
//! warroom process from causing it in the first place (and keeps panes from starving each
//! other when they share a region's budget).

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Hands out call slots at least `spacing` apart. Callers reserve their slot under a short
/// lock and then sleep outside it, so concurrent callers queue up fairly (first come, first
/// served) without holding the lock while they wait.
#[derive(Debug)]
pub struct RateGuard {
    spacing: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateGuard {
    /// A guard that lets one call through every `spacing`.
    pub fn new(spacing: Duration) -> Self {
        RateGuard { spacing, next: Mutex::new(None) }
    }

    /// A guard allowing at most `tps` calls per second (at least one).
    pub fn per_second(tps: u32) -> Self {
        Self::new(Duration::from_secs(1) / tps.max(1))
    }

    pub fn spacing(&self) -> Duration {
        self.spacing
    }

    /// Wait until this caller may make its call. The first call never waits.
    pub async fn acquire(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = match *next {
                Some(t) if t > now => t,
                _ => now,
            };
            *next = Some(at + self.spacing);
            at
        };
        if at > Instant::now() {
            tokio::time::sleep_until(at).await;
        }
    }
}
