//! The service level objectives over the screen: each objective in each region, worst
//! first, with its attainment, the error budget left and the burn rate of the two window
//! pairs (fast 1 h / 5 min against 14.4, slow 6 h / 30 min against 6) and the alert state.
//!
//! ```text
//! ┌ Service level objectives · burn: 1h/5m pages over 14.4, 6h/30m tickets over 6 · s closes ┐
//! │ ALERT  REGION      OBJECTIVE            TARGET  ATTAINED  BUDGET LEFT  1H   5M   6H  30M  │
//! │✖ PAGE  eu-west-1   invoice approvals    99.5%    98.92%   -4.9% of 30d 80.3 86.0 13.9 80.1│
//! │        from config.toml:42 · availability of invoice-approval-worker · 24h 15m of data    │
//! └────────────────────────────────────────────────────────────────────────────────────────────┘
//! ```

use super::{Theme, sanitize};
use crate::analysis::slo::{Alert, Sli};
use crate::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub const TITLE: &str =
    " Service level objectives · burn: 1h/5m pages over 14.4, 6h/30m tickets over 6 · s closes ";

/// `30d`, `1d 0h 15m`, `6h 30m`.
fn span(ms: crate::model::Millis) -> String {
    let m = ms.max(0) / crate::model::MINUTE_MS;
    let (d, h, m) = (m / 1440, m % 1440 / 60, m % 60);
    match (d, h, m) {
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, 0) => format!("{d}d"),
        (d, h, m) => format!("{d}d {h}h {m}m"),
    }
}

fn rate(r: f64) -> String {
    if r >= 100.0 { format!("{r:>5.0}") } else { format!("{r:>5.1}") }
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let w = area.width.saturating_sub(4).min(150);
    let h = area.height.saturating_sub(4);
    let popup = Rect { x: area.x + (area.width - w) / 2, y: area.y + 2, width: w, height: h };
    let width = w.saturating_sub(2) as usize;
    // Narrow screens keep the burn rates and drop the target and the detail line.
    let narrow = width < 110;
    let mut lines = Vec::new();
    if app.objectives.is_empty() {
        lines.push(Line::styled(
            "no objectives: add [[slo]] tables to the config (see config.example.toml)",
            theme.muted(),
        ));
    } else if app.slo.is_empty() {
        lines.push(Line::styled(
            "no metrics yet for the services the objectives name",
            theme.muted(),
        ));
    } else {
        let head = if narrow {
            format!(
                "  {:<7}{:<15}{:<13}{:>8}{:>7} {:>5}{:>5}{:>5}{:>5}",
                "ALERT", "REGION", "OBJECTIVE", "ATTAINED", "BUDGET", "1H", "5M", "6H", "30M"
            )
        } else {
            format!(
                "  {:<7}{:<16}{:<24}{:>7}{:>10}{:>13}  {:>5}{:>5}{:>5}{:>5}",
                "ALERT",
                "REGION",
                "OBJECTIVE",
                "TARGET",
                "ATTAINED",
                "BUDGET LEFT",
                "1H",
                "5M",
                "6H",
                "30M"
            )
        };
        lines.push(Line::styled(super::fit(&head, width), theme.muted()));
    }
    for s in &app.slo {
        let o = &s.objective;
        let health = s.alert.health();
        let style = match s.alert {
            Alert::None => theme.text(),
            _ => theme.health(health),
        };
        let burn =
            format!("{}{}{}{}", rate(s.fast.0), rate(s.fast.1), rate(s.slow.0), rate(s.slow.1));
        let row = if narrow {
            format!(
                "{} {:<7}{:<15}{:<13}{:>7.2}%{:>6.1}% {burn}",
                health.mark(),
                s.alert.label(),
                super::fit(&s.region, 14),
                super::fit(&sanitize(&o.name), 12),
                s.attainment,
                s.budget_left,
            )
        } else {
            format!(
                "{} {:<7}{:<16}{:<24}{:>6}%{:>9.2}%{:>12.1}%  {burn}",
                health.mark(),
                s.alert.label(),
                super::fit(&s.region, 15),
                super::fit(&sanitize(&o.name), 23),
                o.target,
                s.attainment,
                s.budget_left,
            )
        };
        lines.push(Line::from(Span::styled(super::fit(&row, width), style)));
        if narrow {
            continue;
        }
        let what = match &o.sli {
            Sli::Availability => "availability (requests that did not fail)".to_string(),
            Sli::Latency { threshold_ms } => {
                format!("latency (minutes with p99 ≤ {})", crate::analysis::fmt_ms(*threshold_ms))
            }
        };
        let scope = match &o.operation {
            Some(op) => format!("{} › {op}", o.service),
            None => o.service.clone(),
        };
        let detail = format!(
            "{:9}{what} of {scope} · period {} · budget and attainment from {} of data · from {}",
            "",
            span(o.period),
            span(s.seen),
            o.origin
        );
        lines.push(Line::styled(super::fit(&sanitize(&detail), width), theme.muted()));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(TITLE, theme.title()));
    f.render_widget(Clear, popup);
    f.render_widget(Paragraph::new(lines).block(block), popup);
}
