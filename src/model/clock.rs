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
    /// The time of evidence: it stands where it is put (the end of the evidence, `:at`).
    Fixed(Arc<Mutex<Millis>>),
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

    /// A clock that stands at `at` until jumped.
    pub fn fixed(at: Millis) -> Self {
        Clock::Fixed(Arc::new(Mutex::new(at)))
    }

    pub fn now(&self) -> Millis {
        match self {
            Clock::Fixed(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
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

    /// The clock of evidence, standing still.
    pub fn is_fixed(&self) -> bool {
        matches!(self, Clock::Fixed(_))
    }

    /// The clock can be moved (`:at`): the demo's and the evidence's.
    pub fn can_jump(&self) -> bool {
        !matches!(self, Clock::Wall)
    }

    pub fn is_paused(&self) -> bool {
        match self {
            Clock::Wall => false,
            Clock::Fixed(_) => true,
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
        if let Clock::Fixed(t) = self {
            *t.lock().unwrap_or_else(|e| e.into_inner()) = to;
        }
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
            Clock::Fixed(_) => return None,
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

/// `2026-11-19 13:42:02` (UTC).
pub fn format_datetime(t: Millis) -> String {
    format!("{} {}", format_date(t), format_hms(t))
}

/// `2026-11-19` (UTC).
pub fn format_date(t: Millis) -> String {
    match time::OffsetDateTime::from_unix_timestamp(t.div_euclid(SECOND_MS)) {
        Ok(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day()),
        Err(_) => "????-??-??".into(),
    }
}

/// `2026-11-19T13:42:02Z`: ISO-8601 in UTC, to the second.
pub fn format_iso(t: Millis) -> String {
    format!("{}T{}Z", format_date(t), format_hms(t))
}

/// A moment as a user writes it: ISO-8601 with a date (`2026-11-19T13:42:02Z`,
/// `2026-11-19T14:42:02+01:00`, `2026-11-19 13:42`), converted to UTC; or a time of day
/// (`HH:MM[:SS]`, UTC) on the day of `day_of`.
pub fn parse_moment(s: &str, day_of: Millis) -> Option<Millis> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    if let Some(tod) = parse_hms(s) {
        return Some(day_of - day_of.rem_euclid(super::DAY_MS) + tod);
    }
    let iso = s.replacen(' ', "T", 1);
    if let Ok(t) = time::OffsetDateTime::parse(&iso, &Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as Millis);
    }
    // No seconds, or no zone (taken as UTC).
    let (body, zone) = match iso
        .find(['Z', 'z', '+'])
        .or_else(|| iso.get(11..).and_then(|t| t.find('-')).map(|i| i + 11))
    {
        Some(i) => (&iso[..i], &iso[i..]),
        None => (iso.as_str(), "Z"),
    };
    let body = if body.len() == 16 { format!("{body}:00") } else { body.to_string() };
    let body = if body.len() == 10 { format!("{body}T00:00:00") } else { body };
    let zone = if zone.is_empty() { "Z" } else { zone };
    time::OffsetDateTime::parse(&format!("{body}{zone}"), &Rfc3339)
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as Millis)
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
    fn moments_with_dates_and_zones() {
        let day = 1_763_510_400_000; // 2025-11-19T00:00:00Z
        let at = day + 13 * HOUR_MS + 42 * MINUTE_MS + 2_000;
        assert_eq!(parse_moment("2025-11-19T13:42:02Z", 0), Some(at));
        assert_eq!(parse_moment("2025-11-19T14:42:02+01:00", 0), Some(at));
        assert_eq!(parse_moment("2025-11-19T08:42:02-05:00", 0), Some(at));
        assert_eq!(parse_moment("2025-11-19 13:42:02", 0), Some(at));
        assert_eq!(parse_moment("2025-11-19T13:42", 0), Some(at - 2_000));
        assert_eq!(parse_moment("13:42:02", day + 5 * HOUR_MS), Some(at));
        assert_eq!(parse_moment("yesterday", day), None);
        assert_eq!(format_iso(at), "2025-11-19T13:42:02Z");
        assert_eq!(format_datetime(at), "2025-11-19 13:42:02");
        let c = Clock::fixed(at);
        assert!(c.is_paused() && c.can_jump() && !c.is_simulated());
        assert_eq!(c.wall_until_next(1000), None);
        c.jump(at + 5);
        assert_eq!(c.now(), at + 5);
    }

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
