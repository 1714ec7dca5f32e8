//! The cockpit's clock: wall time for live sources, a simulated clock for the demo.

use super::{HOUR_MS, MINUTE_MS, Millis, SECOND_MS};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug)]
pub struct SimState {
    /// Simulated time at `anchor`.
    base: Millis,
    anchor: Instant,
    speed: f64,
    paused: bool,
}

/// A clock every pane and source agrees on. Cloning shares it.
#[derive(Clone, Debug)]
pub enum Clock {
    Wall,
    Simulated(Arc<Mutex<SimState>>),
}

impl Clock {
    /// A simulated clock starting at `start`, running at `speed` times real time.
    pub fn simulated(start: Millis, speed: f64) -> Self {
        Clock::Simulated(Arc::new(Mutex::new(SimState {
            base: start,
            anchor: Instant::now(),
            speed,
            paused: speed == 0.0,
        })))
    }

    pub fn now(&self) -> Millis {
        match self {
            Clock::Wall => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as Millis)
                .unwrap_or(0),
            Clock::Simulated(s) => {
                let s = lock(s);
                if s.paused {
                    s.base
                } else {
                    s.base + (s.anchor.elapsed().as_secs_f64() * 1000.0 * s.speed) as Millis
                }
            }
        }
    }

    pub fn is_simulated(&self) -> bool {
        matches!(self, Clock::Simulated(_))
    }

    pub fn is_paused(&self) -> bool {
        match self {
            Clock::Wall => false,
            Clock::Simulated(s) => lock(s).paused,
        }
    }

    /// Pause or resume a simulated clock; the wall clock cannot be paused.
    pub fn set_paused(&self, paused: bool) {
        if let Clock::Simulated(s) = self {
            let now = self.now();
            let mut s = lock(s);
            s.base = now;
            s.anchor = Instant::now();
            s.paused = paused;
        }
    }

    /// Jump a simulated clock to `to`.
    pub fn jump(&self, to: Millis) {
        if let Clock::Simulated(s) = self {
            let mut s = lock(s);
            s.base = to;
            s.anchor = Instant::now();
        }
    }

    /// Real time until the simulated clock reaches the next multiple of `step` (used to
    /// sleep exactly as long as nothing changes). `None` when paused.
    pub fn wall_until_next(&self, step: Millis) -> Option<std::time::Duration> {
        let now = self.now();
        let next = (now.div_euclid(step) + 1) * step;
        let speed = match self {
            Clock::Wall => 1.0,
            Clock::Simulated(s) => {
                let s = lock(s);
                if s.paused || s.speed <= 0.0 {
                    return None;
                }
                s.speed
            }
        };
        let wall_ms = ((next - now) as f64 / speed).ceil().max(1.0);
        Some(std::time::Duration::from_millis(wall_ms as u64))
    }
}

fn lock(m: &Mutex<SimState>) -> std::sync::MutexGuard<'_, SimState> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `HH:MM:SS` of the time of day (UTC).
pub fn format_hms(t: Millis) -> String {
    let s = t.div_euclid(SECOND_MS).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// `HH:MM` of the time of day (UTC).
pub fn format_hm(t: Millis) -> String {
    format_hms(t)[..5].to_string()
}

/// Parse `HH:MM` or `HH:MM:SS` into milliseconds since midnight.
pub fn parse_hms(s: &str) -> Option<Millis> {
    let parts: Vec<&str> = s.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let num = |p: &str, max: i64| -> Option<i64> {
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse::<i64>().ok().filter(|v| *v < max)
    };
    let h = num(parts[0], 24)?;
    let m = num(parts[1], 60)?;
    let sec = match parts.get(2) {
        Some(p) => num(p, 60)?,
        None => 0,
    };
    Some(h * HOUR_MS + m * MINUTE_MS + sec * SECOND_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_times_of_day() {
        assert_eq!(parse_hms("09:04:37"), Some(9 * HOUR_MS + 4 * MINUTE_MS + 37_000));
        assert_eq!(parse_hms("09:20"), Some(9 * HOUR_MS + 20 * MINUTE_MS));
        assert_eq!(parse_hms("24:00"), None);
        assert_eq!(parse_hms("9:61"), None);
        assert_eq!(parse_hms("ab:cd"), None);
        assert_eq!(parse_hms("09:20:00:00"), None);
        assert_eq!(format_hms(9 * HOUR_MS + 4 * MINUTE_MS + 37_000), "09:04:37");
        assert_eq!(format_hm(DAY + 9 * HOUR_MS), "09:00");
    }

    const DAY: Millis = 24 * HOUR_MS;

    #[test]
    fn paused_simulated_clock_stands_still_and_jumps() {
        let c = Clock::simulated(1_000, 0.0);
        assert!(c.is_paused());
        assert_eq!(c.now(), 1_000);
        c.jump(5_000);
        assert_eq!(c.now(), 5_000);
        assert_eq!(c.wall_until_next(1_000), None);
    }
}
