//! The regional RED pane: requests, errors and duration of regions, services or operations,
//! the window against the baseline.
//!
//! ```text
//! ┌ Regional RED · last 15m vs 24h baseline ───────────────────────────────────────┐
//! │   REGION           REQ/S   ERR%   ΔERR     P50     P99  ΔP99  SINCE  ERRORS     │
//! │ EU                                                                             │
//! │ ✖ eu-west-1         19.4   7.36  +7.3pp  48 ms  5.1 s  ×1.0  09:05  ▁▁▃▆█▇█▇    │
//! │ ● eu-central-1      15.1   0.13  +0.0pp  41 ms  4.9 s  ×1.0         ▁  ▁       │
//! └────────────────────────────────────────────────────────────────────────────────┘
//! ```

use super::{Theme, fit};
use crate::analysis::{Health, RowStats, fmt_ms};
use crate::app::{App, View};
use crate::config::window_name;
use crate::model::MINUTE_MS;
use crate::model::format_hm;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const SPARK: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Resample to `width` cells (each the worst minute of its bucket) and draw as blocks.
pub fn sparkline(values: &[f32], width: usize, scale: f32) -> String {
    if width == 0 || values.is_empty() {
        return " ".repeat(width);
    }
    let scale = scale.max(f32::EPSILON);
    let cells = width.min(values.len());
    // On a wide screen a minute may take up to four cells, so short windows stay readable.
    let per = (width / values.len()).clamp(1, 4);
    let mut s: String = (0..cells)
        .flat_map(|i| {
            let a = i * values.len() / cells;
            let b = ((i + 1) * values.len() / cells).max(a + 1);
            let v = values[a..b].iter().copied().fold(0.0f32, f32::max);
            let level =
                if v <= 0.0 { 0 } else { ((v / scale) * 8.0).ceil().clamp(1.0, 8.0) as usize };
            std::iter::repeat_n(SPARK[level], per)
        })
        .collect();
    let cells = cells * per;
    s.extend(std::iter::repeat_n(' ', width - cells));
    s
}

struct Cols {
    name: usize,
    spark: usize,
}

const NUM: [(&str, usize); 7] =
    [("REQ/S", 7), ("ERR%", 7), ("ΔERR", 8), ("P50", 8), ("P99", 8), ("ΔP99", 6), ("SINCE", 6)];

fn columns(width: usize, names: usize) -> Cols {
    let fixed: usize = NUM.iter().map(|(_, w)| w).sum::<usize>() + 2;
    let name = names.clamp(12, 32).min(width.saturating_sub(fixed + 6));
    let spark = width.saturating_sub(fixed + name + 1);
    Cols { name, spark }
}

fn header_line(cols: &Cols, first: &str, theme: &Theme) -> Line<'static> {
    let mut s = format!("  {}", fit(first, cols.name));
    for (h, w) in NUM {
        s.push_str(&format!("{h:>w$}"));
    }
    s.push(' ');
    s.push_str(&fit("ERRORS", cols.spark));
    Line::styled(s, theme.muted())
}

fn stat_cells(r: &RowStats) -> String {
    let w = &r.window;
    let b = &r.baseline;
    // Round before formatting so a tiny negative difference does not print as -0.0.
    let d_err = ((w.error_pct() - b.error_pct()) * 10.0).round() / 10.0 + 0.0;
    let d_p99 = if b.p99_ms > 0.0 { format!("×{:.1}", w.p99_ms / b.p99_ms) } else { "–".into() };
    let since = r.onset.map(format_hm).unwrap_or_default();
    format!(
        "{:>7.1}{:>7.2}{:>8}{:>8}{:>8}{:>6}{:>6}",
        w.rate_per_sec(),
        w.error_pct(),
        format!("{d_err:+.1}pp"),
        fmt_ms(w.p50_ms),
        fmt_ms(w.p99_ms),
        d_p99,
        since
    )
}

/// Draw the RED table of the current view (overview, region or service).
pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme, problem: Option<&str>) {
    let (what, first) = match app.view() {
        View::Overview => ("Regional RED".to_string(), "REGION"),
        View::Region { region } => (format!("Services in {region}"), "SERVICE"),
        View::Service { service, .. } => (format!("Operations of {service}"), "OPERATION"),
        View::Operation { .. } | View::Trace { .. } => return,
    };
    // Numbers not read from a metrics service say what they were computed from.
    let basis = app
        .metrics
        .as_ref()
        .and_then(|m| m.basis.as_deref())
        .map(|b| format!(" · {b}"))
        .unwrap_or_default();
    let title = format!(
        " {what} · last {} vs {} baseline{basis} ",
        window_name(app.window),
        window_name(app.baseline)
    );
    let inner = super::pane(f, area, title, theme, app.focus == crate::app::Focus::Main);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let width = inner.width as usize;
    let longest = app.rows.iter().map(|r| r.name.chars().count()).max().unwrap_or(0) + 1;
    let cols = columns(width, longest);
    let mut lines = vec![header_line(&cols, first, theme)];
    if let Some(p) = problem {
        lines.push(Line::styled(fit(p, width), theme.error()));
    }
    if app.metrics.is_none() {
        let msg = match &app.metrics_error {
            Some(_) => "no metrics yet: the source failed (above)",
            None => "loading metrics: the window and a day of baseline…",
        };
        lines.push(Line::styled(format!("  {msg}"), theme.muted()));
    } else if app.rows.is_empty() {
        lines.push(Line::styled("  nothing here in this window", theme.muted()));
    }
    // Every row with its continent header in the overview; keep the selection in view.
    let body = (inner.height as usize).saturating_sub(lines.len());
    let mut rendered: Vec<(Option<usize>, Line)> = Vec::new();
    let mut group: Option<&str> = None;
    for (i, row) in app.rows.iter().enumerate() {
        if row.group.as_deref() != group {
            group = row.group.as_deref();
            if let Some(g) = group {
                rendered.push((None, Line::styled(g.to_string(), theme.accent())));
            }
        }
        let marks = change_marks(app, row);
        rendered.push((Some(i), row_line(row, i == app.level().selected, &cols, theme, &marks)));
    }
    let sel_pos = rendered.iter().position(|(i, _)| *i == Some(app.level().selected)).unwrap_or(0);
    let offset = (sel_pos + 1).saturating_sub(body);
    let mut hits = app.hits.borrow_mut();
    for (i, l) in rendered.into_iter().skip(offset).take(body) {
        if let Some(i) = i {
            hits.rows.push((crate::app::Focus::Main, inner.y + lines.len() as u16, i));
        }
        lines.push(l);
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Where the changes of a row's region or service landed in the window, as fractions of it.
fn change_marks(app: &App, row: &crate::app::Row) -> Vec<f64> {
    let Some(end) = app.metrics_until() else { return Vec::new() };
    let from = end - app.window;
    app.changes
        .changes
        .iter()
        // A change in the minute before the window is marked at its left edge: the window's
        // first minute is where it shows.
        .filter(|c| !c.read_only && c.at >= from - MINUTE_MS && c.at < end)
        .filter(|c| match app.view() {
            View::Overview => c.region == row.name,
            View::Region { region } => {
                c.region == *region && c.service.as_deref() == Some(&row.name)
            }
            View::Service { region, service } => {
                c.region == *region && c.service.as_deref() == Some(service.as_str())
            }
            _ => false,
        })
        .map(|c| (c.at - from).max(0) as f64 / app.window.max(1) as f64)
        .collect()
}

/// The sparkline with the changes marked `┃` in the accent colour.
fn marked_sparkline(
    spark: String,
    marks: &[f64],
    style: ratatui::style::Style,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let mut chars: Vec<char> = spark.chars().collect();
    let n = chars.len();
    let mut at: Vec<usize> =
        marks.iter().map(|m| ((m * n as f64).floor() as usize).min(n.saturating_sub(1))).collect();
    at.sort();
    at.dedup();
    if n == 0 || at.is_empty() {
        return vec![Span::styled(spark, style)];
    }
    let mut out = Vec::new();
    let mut start = 0;
    for &i in &at {
        if i > start {
            out.push(Span::styled(chars[start..i].iter().collect::<String>(), style));
        }
        chars[i] = '┃';
        out.push(Span::styled("┃", theme.accent()));
        start = i + 1;
    }
    if start < n {
        out.push(Span::styled(chars[start..].iter().collect::<String>(), style));
    }
    out
}

fn row_line(
    row: &crate::app::Row,
    selected: bool,
    cols: &Cols,
    theme: &Theme,
    marks: &[f64],
) -> Line<'static> {
    let health = row.stats.as_ref().map(|s| s.health).unwrap_or(Health::NoData);
    let hs = theme.health(health);
    let name = fit(&row.name, cols.name);
    let mut spans = vec![Span::styled(format!("{} ", health.mark()), hs)];
    let base = if selected { theme.selection() } else { Style::default() };
    match (&row.stats, &row.error) {
        (_, Some(e)) => {
            spans.push(Span::styled(name, base.patch(hs)));
            spans.push(Span::styled(format!(" ⚠ {}", super::sanitize(e)), theme.error()));
        }
        (None, None) => {
            spans.push(Span::styled(name, base.patch(hs)));
            spans.push(Span::styled(" no data", theme.muted()));
        }
        (Some(s), None) => {
            spans.push(Span::styled(name, if selected { base } else { hs }));
            spans.push(Span::styled(stat_cells(s), if selected { base } else { theme.text() }));
            spans.push(Span::raw(" "));
            let scale = s
                .error_pct
                .iter()
                .copied()
                .fold((s.baseline.error_pct() * 4.0) as f32, f32::max)
                .max(1.0);
            // Name the failing operation after the sparkline; the sparkline gives way, down
            // to one cell per minute.
            let label = row.hotspot.as_ref().map(|h| format!("  ◀ {}", super::sanitize(h)));
            let label_len = label.as_ref().map_or(0, |l| l.chars().count());
            let spark_width = match &label {
                Some(_) if cols.spark >= s.error_pct.len() + label_len => cols.spark - label_len,
                Some(_) => cols.spark.min(s.error_pct.len()).max(cols.spark / 2),
                None => cols.spark,
            };
            spans.extend(marked_sparkline(
                sparkline(&s.error_pct, spark_width, scale),
                marks,
                hs,
                theme,
            ));
            if let Some(l) = label {
                spans.push(Span::styled(fit(&l, cols.spark - spark_width), hs));
            }
        }
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_resamples_to_the_worst_minute() {
        assert_eq!(sparkline(&[0.0, 1.0, 0.5, 0.0], 4, 1.0), " █▄ ");
        assert_eq!(sparkline(&[0.0, 1.0, 0.5, 0.0], 2, 1.0), "█▄");
        assert_eq!(sparkline(&[0.1], 3, 1.0), "▁▁▁");
        assert_eq!(sparkline(&[0.1, 0.0], 9, 1.0), "▁▁▁▁     ");
        assert_eq!(sparkline(&[], 2, 1.0), "  ");
    }
}
