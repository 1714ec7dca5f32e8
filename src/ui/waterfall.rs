//! The span waterfall of one request, or the similar traces when it was not sampled.
//!
//! ```text
//! ┌ Trace · POST /invoices/{id}/approve · 1-69b28460-… · cid c-… · 3.22 s · 5 spans · 1 fault ┐
//! │ SPAN                                   0        800 ms    1.6 s     2.4 s     3.2 s        │
//! │ ▾ invoice-api POST /invoices/…  1 ms   █                                                   │
//! │   ↝ invoice-approval-worker Ap… 3.0 s   ██████████████████████████████████████ ✖ 504      │
//! └───────────────────────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Rows are virtual: only the visible slice of the precomputed layout is drawn.

use super::{Theme, fit, sanitize};
use crate::analysis::fmt_ms;
use crate::analysis::waterfall::{Waterfall, marker, span_end};
use crate::app::{App, Focus, View};
use crate::model::{Outcome, format_hms};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span as TSpan};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Colours services are told apart by (with the service's name beside its bar, so colour is
/// never the only cue).
const PALETTE: &[Color] = &[
    Color::Cyan,
    Color::Magenta,
    Color::Yellow,
    Color::Blue,
    Color::Green,
    Color::LightRed,
    Color::LightCyan,
    Color::LightMagenta,
];

fn service_style(theme: &Theme, service: &str) -> Style {
    if theme.no_color {
        return Style::default();
    }
    let h = service.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    Style::default().fg(PALETTE[h as usize % PALETTE.len()])
}

/// The header: root operation, ids, duration and counts.
pub fn header(app: &App) -> String {
    let Some(t) = app.trace.trace() else { return " Trace ".into() };
    let w = &app.trace.layout;
    let root = t.spans.iter().find(|s| s.parent.is_none()).or(t.spans.first());
    let mut parts = vec![
        "Trace".to_string(),
        root.map(|s| format!("{} {}", s.service, s.operation)).unwrap_or_default(),
        t.trace_id.clone(),
    ];
    if !t.correlation_id.is_empty() {
        parts.push(format!("cid {}", t.correlation_id));
    }
    parts.push(fmt_ms(w.duration_ms()));
    parts.push(format!("{} spans", t.spans.len()));
    parts.push(format!("{} errors · {} faults · {} throttles", w.errors, w.faults, w.throttles));
    if w.in_progress > 0 {
        parts.push(format!("{} in progress", w.in_progress));
    }
    if app.trace.critical {
        parts.push("critical path".into());
    }
    sanitize(&format!(" {} ", parts.join(" · ")))
}

/// Column of a time on the axis of `width` cells.
fn col(w: &Waterfall, at: i64, width: usize) -> usize {
    let d = w.duration_ms().max(1.0);
    (((at - w.start) as f64 / d) * width as f64).floor().clamp(0.0, width.saturating_sub(1) as f64)
        as usize
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Focus::Main;
    let View::Trace { key, .. } = app.view() else { return };
    let tp = &app.trace;
    let title = if tp.trace().is_some() { header(app) } else { format!(" Trace of {key} ") };
    let inner = super::pane(f, area, sanitize(&title), theme, focused);
    if tp.loading {
        f.render_widget(
            Paragraph::new(Line::styled(" looking for the trace…", theme.muted())),
            inner,
        );
        return;
    }
    if let Some(e) = &tp.error {
        let line = Line::styled(format!(" ⚠ {}", sanitize(e)), theme.error());
        f.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), inner);
        return;
    }
    let Some(lookup) = &tp.lookup else { return };
    if lookup.trace.is_none() {
        draw_similar(f, inner, app, theme, key);
        return;
    }
    let (list, detail) = if tp.detail && inner.height >= 10 {
        let [a, b] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Min(5)]).areas(inner);
        (a, Some(b))
    } else {
        (inner, None)
    };
    draw_rows(f, list, app, theme);
    if let Some(d) = detail {
        draw_detail(f, d, app, theme);
    }
}

fn draw_rows(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(t) = app.trace.trace() else { return };
    let w = &app.trace.layout;
    let width = area.width as usize;
    let label_w = (width * 2 / 5).clamp(12, 60).min(width.saturating_sub(4));
    let dur_w = 9;
    // Room after the bars for the longest marker.
    let mark_w = app.trace.marker_width.min(28);
    let bar_w = width.saturating_sub(label_w + dur_w + 1 + mark_w + 1).max(1);
    // The axis: five ticks with their offsets.
    let mut axis: Vec<char> = vec![' '; bar_w];
    let mut labels = String::new();
    let ticks = 4;
    for k in 0..=ticks {
        let c = (bar_w.saturating_sub(1)) * k / ticks;
        axis[c] = '┬';
        let label = fmt_ms(w.duration_ms() * k as f64 / ticks as f64);
        let at = c.saturating_sub(if k == ticks { label.chars().count() - 1 } else { 0 });
        // A label that would touch the one before is left out.
        let len = labels.chars().count();
        if k == 0 || len < at {
            labels.extend(std::iter::repeat_n(' ', at.saturating_sub(len)));
            labels.push_str(&label);
        }
    }
    let mut lines = vec![
        Line::styled(
            format!("{}{}", fit("SPAN", label_w + dur_w + 1), fit(&labels, bar_w)),
            theme.muted(),
        ),
        Line::styled(
            format!("{}{}", " ".repeat(label_w + dur_w + 1), axis.iter().collect::<String>()),
            theme.muted(),
        ),
    ];
    let body = (area.height as usize).saturating_sub(lines.len());
    let sel = app.level().selected;
    let top = (sel + 1).saturating_sub(body);
    for (i, row) in w.rows.iter().enumerate().skip(top).take(body) {
        let y = area.y + lines.len() as u16;
        app.hits.borrow_mut().rows.push((crate::app::Focus::Main, y, i));
        let s = &t.spans[row.span];
        let fold = match (row.children, row.folded) {
            (0, _) => ' ',
            (_, true) => '▸',
            _ => '▾',
        };
        let link = match s.link {
            crate::model::SpanLink::Async => "↝ ",
            _ => "",
        };
        let label =
            format!("{}{fold} {link}{} {}", "  ".repeat(row.depth.min(20)), s.service, s.operation);
        let (a, b) =
            (col(w, s.start, bar_w), col(w, span_end(s), bar_w).max(col(w, s.start, bar_w)));
        let glyph =
            if s.inferred || s.link == crate::model::SpanLink::Async { '▒' } else { '█' };
        let bar: String = (0..bar_w).map(|c| if c >= a && c <= b { glyph } else { ' ' }).collect();
        let selected = i == sel;
        let crit = app.trace.critical && row.critical;
        let mut base = if selected { theme.selection() } else { theme.text() };
        if crit {
            base = base.add_modifier(Modifier::BOLD);
        }
        let bar_style = if selected { base } else { service_style(theme, &s.service) };
        let mark = marker(s, row.cut_off);
        let mark_style = match s.outcome {
            Outcome::Fault | Outcome::Throttle => theme.error(),
            Outcome::Error => theme.warn(),
            Outcome::Ok => theme.muted(),
        };
        let prefix = if crit { "▶" } else { " " };
        let mut spans = vec![
            TSpan::styled(fit(&sanitize(&format!("{prefix}{label}")), label_w), base),
            TSpan::styled(format!("{:>8} ", fmt_ms(s.duration_ms)), base),
            TSpan::styled(
                bar[..bar.char_indices().nth(b + 1).map_or(bar.len(), |(i, _)| i)].to_string(),
                bar_style,
            ),
        ];
        if !mark.is_empty() {
            spans.push(TSpan::styled(format!(" {}", sanitize(&mark)), mark_style));
        }
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn draw_similar(f: &mut Frame, area: Rect, app: &App, theme: &Theme, key: &str) {
    let Some(l) = &app.trace.lookup else { return };
    let _ = key;
    let (what, unknown) = app.trace_absence().unwrap_or_default();
    let mut lines = vec![Line::styled(
        sanitize(&format!(" {what}")),
        if unknown { theme.error() } else { theme.warn() },
    )];
    if !l.similar.is_empty() {
        lines.push(Line::styled(
            sanitize(&if area.width >= 100 {
                format!(
                    " {} similar traces (same service and operation, ±5 min), failing first, then oldest first; enter opens one, esc comes back",
                    l.similar.len()
                )
            } else {
                format!(
                    " {} similar traces, failing first, then oldest first · enter opens one",
                    l.similar.len()
                )
            }),
            theme.muted(),
        ));
    }
    lines.push(Line::styled(
        fit(
            &format!(
                " {:<10}{:<40}{:<14}{:<34}{:>9}  {}",
                "TIME", "TRACE ID", "CORRELATION", "ROOT", "DURATION", "OUTCOME"
            ),
            area.width as usize,
        ),
        theme.muted(),
    ));
    let body = (area.height as usize).saturating_sub(lines.len());
    let sel = app.level().selected;
    let top = (sel + 1).saturating_sub(body);
    for (i, s) in l.similar.iter().enumerate().skip(top).take(body) {
        let y = area.y + lines.len() as u16;
        app.hits.borrow_mut().rows.push((crate::app::Focus::Main, y, i));
        let outcome = if s.has_fault {
            "✖ fault"
        } else if s.has_error {
            "! error"
        } else if s.has_throttle {
            "⧗ throttled"
        } else {
            "ok"
        };
        let text = format!(
            " {:<10}{:<40}{:<14}{:<34}{:>9}  {outcome} {}",
            format_hms(s.start),
            fit(&s.trace_id, 39),
            fit(s.correlation_id.as_deref().unwrap_or("-"), 13),
            fit(&format!("{} {}", s.service, s.operation), 33),
            fmt_ms(s.duration_ms),
            // The root's status says little when a hop behind it failed.
            if s.status > 0 && !s.failed() { s.status.to_string() } else { String::new() }
        );
        let style = if i == sel { theme.selection() } else { theme.text() };
        lines.push(Line::styled(fit(&sanitize(&text), area.width as usize), style));
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// The selected span in full.
fn draw_detail(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border(true))
        .title(TSpan::styled(" Span · p or esc closes · l its logs ", theme.title()));
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let Some(s) = app.selected_span() else { return };
    let redacted = app.redaction().map(|r| r.span(s));
    let s = redacted.as_ref().unwrap_or(s);
    let t0 = app.trace.layout.start;
    let mut rows: Vec<(String, String)> = vec![
        ("span".into(), format!("{} {} ({})", s.service, s.operation, s.id)),
        (
            "time".into(),
            format!("+{} for {}", fmt_ms((s.start - t0) as f64), fmt_ms(s.duration_ms)),
        ),
        (
            "outcome".into(),
            format!(
                "{} {}",
                s.outcome.label(),
                if s.status > 0 { s.status.to_string() } else { String::new() }
            ),
        ),
    ];
    if let Some(v) = &s.via {
        rows.push(("via".into(), v.clone()));
    }
    if let Some(c) = &s.correlation_id {
        rows.push(("correlation id".into(), c.clone()));
    }
    if let Some(ns) = &s.namespace {
        rows.push(("namespace".into(), ns.clone()));
    }
    if let Some(h) = &s.http {
        let parts: Vec<String> = [h.method.clone(), h.url.clone(), h.status.map(|s| s.to_string())]
            .into_iter()
            .flatten()
            .collect();
        rows.push(("http".into(), parts.join(" ")));
        if let Some(ip) = &h.client_ip {
            rows.push(("client ip".into(), ip.clone()));
        }
        if let Some(ua) = &h.user_agent {
            rows.push(("user agent".into(), ua.clone()));
        }
    }
    for (k, v) in &s.aws {
        rows.push((format!("aws.{k}"), v.clone()));
    }
    for (k, v) in &s.annotations {
        rows.push((format!("annotation {k}"), v.clone()));
    }
    for (k, v) in &s.metadata {
        rows.push((format!("metadata {k}"), v.clone()));
    }
    if let Some(e) = &s.error {
        rows.push(("error".into(), e.clone()));
    }
    for x in &s.exceptions {
        rows.push((
            "exception".into(),
            format!(
                "{}{}{}",
                x.kind.as_deref().map(|k| format!("{k}: ")).unwrap_or_default(),
                x.message,
                if x.remote { " (remote)" } else { "" }
            ),
        ));
        for frame in x.stack.iter().take(8) {
            rows.push((String::new(), format!("  at {frame}")));
        }
    }
    for p in &s.problems {
        rows.push(("problem".into(), p.clone()));
    }
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|(k, v)| {
            Line::from(vec![
                TSpan::styled(format!("{:<18}", fit(&sanitize(&k), 17)), theme.accent()),
                TSpan::styled(sanitize(&v), theme.text()),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
