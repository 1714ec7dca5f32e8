//! The live log tail.
//!
//! ```text
//! ┌ Logs · eu-west-1 · cid c-9f3a6e1d · FOLLOWING · 7 shown · 1,204 filtered out · 0 dropped ┐
//! │ TIME          REGION      SERVICE                  LEVEL  MESSAGE                         │
//! │ 09:11:40.512  eu-west-1   invoice-api              INFO   approve requested  cid=c-9f3a…  │
//! │ 09:11:43.540  eu-west-1   invoice-approval-worker  ERROR  Task timed out after 3.00 sec…  │
//! └───────────────────────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Lines are parsed again for the rows on screen only; everything from outside goes through
//! [`sanitize`] and is cut before it is laid out.

use super::{Theme, age, fit, sanitize};
use crate::app::{App, Focus};
use crate::model::logline::other_fields;
use crate::model::logstore::Needle;
use crate::model::{LogEvent, Millis, format_hms};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use serde_json::{Map, Value};

/// The most characters of a line laid out in a row.
const ROW_CHARS: usize = 600;

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `09:11:40.512`.
pub fn time_ms(at: Millis) -> String {
    format!("{}.{:03}", format_hms(at), at.rem_euclid(1000))
}

/// The pane's title: scope, filters, follow state and the counters.
pub fn title(app: &App) -> String {
    let lp = &app.logs;
    let mut parts = vec!["Logs".to_string()];
    let f = lp.store.filter();
    let scope = match (&f.region, &f.service) {
        (Some(r), Some(s)) => format!("{r} › {s}"),
        (Some(r), None) => r.clone(),
        _ => match &lp.target {
            Some(t) if t.regions.len() > 1 => format!("{} regions", t.regions.len()),
            Some(t) => t.regions.join(","),
            None => "no region".into(),
        },
    };
    parts.push(scope);
    match lp.correlation_ids.as_slice() {
        [] => {}
        [c] => parts.push(format!("cid {c}")),
        many => {
            let each: Vec<String> =
                many.iter().enumerate().map(|(i, c)| format!("{} {c}", i + 1)).collect();
            parts.push(format!("cids {}", each.join(", ")));
        }
    }
    if let Some(t) = &lp.text {
        parts.push(format!("/{t}"));
    }
    if let Some((from, to)) = lp.range {
        parts.push(format!("span {}–{}", time_ms(from), time_ms(to)));
    }
    parts.push(match (lp.follow, lp.behind_ms) {
        (true, None) => "FOLLOWING".into(),
        (true, Some(ms)) => format!("FOLLOWING, behind by {} s", (ms.max(0) + 999) / 1000),
        (false, _) => "PAUSED (f follows)".into(),
    });
    parts.push(format!(
        "{} shown · {} filtered out · {} dropped",
        thousands(lp.store.shown() as u64),
        thousands(lp.store.filtered_out() as u64),
        thousands(lp.store.dropped())
    ));
    if lp.sampled {
        parts.push("SAMPLED by the source".into());
    }
    if lp.truncated {
        parts.push("older lines not read".into());
    }
    let title = format!(" {} ", parts.join(" · "));
    sanitize(&crate::redact::text(app.redaction(), &title))
}

/// The colour of the `i`th correlation id followed.
pub fn id_style(theme: &Theme, i: usize) -> Style {
    use crate::analysis::Health;
    let styles = [
        theme.accent(),
        theme.warn(),
        theme.health(Health::Normal),
        theme.title(),
        theme.health(Health::Critical),
        theme.health(Health::Degraded),
    ];
    styles[i % styles.len()].add_modifier(ratatui::style::Modifier::BOLD)
}

/// Spans of `text` with the terms highlighted.
fn highlighted(text: &str, terms: &[Needle], base: Style, mark: Style) -> Vec<Span<'static>> {
    let mut ranges: Vec<(usize, usize)> = terms.iter().flat_map(|t| t.ranges(text)).collect();
    ranges.sort();
    let mut out = Vec::new();
    let mut at = 0;
    for (s, e) in ranges {
        if s < at {
            continue;
        }
        if s > at {
            out.push(Span::styled(text[at..s].to_string(), base));
        }
        out.push(Span::styled(text[s..e].to_string(), mark));
        at = e;
    }
    if at < text.len() {
        out.push(Span::styled(text[at..].to_string(), base));
    }
    out
}

/// Cut to `n` characters, then neutralise control characters.
fn clean(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => sanitize(&format!("{}…", &s[..i])),
        None => sanitize(s),
    }
}

/// The message and the picked-out fields of a line, as shown in its row.
pub fn row_text(e: &LogEvent, skip_fields: &[String]) -> (String, String) {
    let message = clean(&e.message, ROW_CHARS);
    let mut fields = Vec::new();
    for (k, v) in [
        ("cid", &e.correlation_id),
        ("tenant", &e.tenant),
        ("op", &e.operation),
        ("trace", &e.trace_id),
    ] {
        if let Some(v) = v {
            fields.push(format!("{k}={}", clean(v, 80)));
        }
    }
    if e.raw.trim_start().starts_with('{')
        && let Ok(obj) = serde_json::from_str::<Map<String, Value>>(e.raw.trim())
    {
        for (k, v) in other_fields(&obj, skip_fields, 12) {
            fields.push(format!("{}={}", clean(&k, 40), clean(&v, 80)));
        }
    }
    (message, fields.join(" "))
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme, wall_now: Millis) {
    let lp = &app.logs;
    let focused = app.focus == Focus::Logs;
    let inner = super::pane(f, area, title(app), theme, focused);
    let (list, detail) = if lp.detail && inner.height >= 8 {
        let [a, b] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Min(4)]).areas(inner);
        (a, Some(b))
    } else {
        (inner, None)
    };
    let width = list.width as usize;
    // Columns: time, region, service, level; narrower on small terminals.
    let narrow = width < 120;
    let [tw, rw, sw, lw] = if narrow { [9, 11, 16, 6] } else { [14, 16, 26, 7] };
    let mut lines = vec![Line::styled(
        fit(
            &format!(
                "{}{:<tw$}{:<rw$}{:<sw$}{:<lw$}MESSAGE",
                if lp.correlation_ids.len() > 1 { "  " } else { "" },
                "TIME",
                "REGION",
                "SERVICE",
                "LEVEL"
            ),
            width,
        ),
        theme.muted(),
    )];
    if let Some((e, at)) = &lp.error {
        lines.push(Line::styled(
            fit(&format!(" ⚠ {} (failed {} ago)", sanitize(e), age(wall_now - at)), width),
            theme.error(),
        ));
    }
    let n = lp.store.shown();
    if n == 0 {
        let why = if lp.target.is_none() {
            "no region to read: select or drill into a region, or set a correlation id (c)".into()
        } else if lp.loading {
            "reading logs…".into()
        } else if lp.store.filtered_out() > 0 {
            format!(
                "no line matches ({} filtered out; x clears the filters)",
                lp.store.filtered_out()
            )
        } else {
            match lp.correlation_ids.as_slice() {
                [] => "no lines yet".into(),
                // The trace lookup found nothing of it either: a typo, not a quiet request.
                [id] if app.trace_absence().is_some_and(|(what, unknown)| {
                    unknown && what.starts_with(&format!("unknown correlation id {id}:"))
                }) =>
                {
                    format!(
                        "unknown correlation id {id}: no log line in the last {}",
                        crate::config::window_name(app.window)
                    )
                }
                ids => format!(
                    "{} wrote no log lines in the last {} ({})",
                    if ids.len() == 1 { "this request" } else { "these requests" },
                    crate::config::window_name(app.window),
                    ids.join(", ")
                ),
            }
        };
        lines.push(Line::styled(format!(" {why}"), theme.muted()));
    }
    let body = (list.height as usize).saturating_sub(lines.len());
    let sel = lp.selected_index();
    // Keep the top row stable while the selection stays on screen.
    let mut top = lp.store.index_of(lp.top.get());
    if let Some(s) = sel {
        if s < top {
            top = s;
        } else if s >= top + body {
            top = s + 1 - body.max(1);
        }
    }
    top = top.min(n.saturating_sub(body));
    lp.top.set(lp.store.seq(top).unwrap_or(0));
    let terms: Vec<Needle> = lp.store.filter().terms().into_iter().map(Needle::new).collect();
    let skip = lp.store.parser().correlation_fields.clone();
    let red = app.redaction();
    for i in top..(top + body).min(n) {
        let y = list.y + lines.len() as u16;
        app.hits.borrow_mut().rows.push((Focus::Logs, y, i));
        let Some(mut e) = lp.store.event(i) else { continue };
        if let Some(r) = red {
            e = r.event(&e);
        }
        let selected = sel == Some(i);
        let (base, muted) = if selected {
            (theme.selection(), theme.selection())
        } else {
            (theme.text(), theme.muted())
        };
        let mark = theme.accent().add_modifier(ratatui::style::Modifier::REVERSED);
        let (message, fields) = row_text(&e, &skip);
        let time = if narrow { format_hms(e.at) } else { time_ms(e.at) };
        let mut spans = Vec::new();
        // Several requests followed: each line says whose it is, by number and colour.
        if lp.correlation_ids.len() > 1 {
            let i = e
                .correlation_id
                .as_deref()
                .and_then(|c| lp.correlation_ids.iter().position(|x| x == c))
                .or_else(|| lp.correlation_ids.iter().position(|x| e.raw.contains(x.as_str())));
            spans.push(match i {
                Some(i) => Span::styled(format!("{} ", (i + 1) % 10), id_style(theme, i)),
                None => Span::styled("  ", muted),
            });
        }
        spans.extend([
            Span::styled(format!("{time:<tw$}"), muted),
            Span::styled(format!("{:<rw$}", fit(&sanitize(&e.region), rw - 1)), base),
            Span::styled(
                format!("{:<sw$}", fit(&sanitize(&e.service), sw - 1)),
                if selected { base } else { theme.accent() },
            ),
            Span::styled(
                format!("{:<lw$}", e.level.name()),
                if selected { base } else { theme.severity(e.level) },
            ),
        ]);
        spans.extend(highlighted(&message, &terms, base, mark));
        spans.push(Span::styled("  ", base));
        spans.extend(highlighted(&fields, &terms, muted, mark));
        let mut line = Line::from(spans);
        if selected {
            line = line.style(theme.selection());
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), list);
    if let Some(d) = detail {
        draw_detail(f, d, app, theme);
    }
}

/// The selected line in full: pretty JSON, or the text wrapped.
fn draw_detail(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border(true))
        .title(Span::styled(" Line · p or esc closes ", theme.title()));
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let Some(mut e) = app.logs.selected_event() else { return };
    if let Some(r) = app.redaction() {
        e = r.event(&e);
    }
    let mut lines = vec![Line::styled(
        sanitize(&format!(
            "{}  {}  {}  {}{}",
            time_ms(e.at),
            e.region,
            e.service,
            e.level.name(),
            e.correlation_id
                .as_deref()
                .map(|c| format!("  correlation id {c}"))
                .unwrap_or_default()
        )),
        theme.accent(),
    )];
    let pretty = serde_json::from_str::<Value>(e.raw.trim())
        .ok()
        .filter(Value::is_object)
        .and_then(|v| serde_json::to_string_pretty(&v).ok());
    let max = inner.height as usize;
    match pretty {
        Some(p) => {
            lines.extend(p.lines().take(max).map(|l| Line::styled(sanitize(l), theme.text())))
        }
        None => lines.push(Line::styled(clean(&e.raw, max * inner.width as usize), theme.text())),
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
