//! The change feed: the suspects for the anomaly in view, then every change, newest first.
//!
//! ```text
//! ┌ Changes · suspects for eu-west-1 › invoice-approval-worker (onset 09:04) ─────────┐
//! │ 1 09:04:37 UpdateFunctionConfiguration  in the minute of the onset · same service…│
//! │ TIME      REGION        EVENT                        RESOURCE        WHO          │
//! │ 09:13:20  eu-west-1     GetFunctionConfiguration     invoice-appr…   deploy-role… │
//! └───────────────────────────────────────────────────────────────────────────────────┘
//! ```

use super::{Theme, age, fit, sanitize};
use crate::app::{App, Focus};
use crate::model::{Change, Millis, format_hms};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// How many suspects the pane lists.
pub const TOP_SUSPECTS: usize = 3;

pub use crate::model::text::short_resource;

pub fn title(app: &App) -> String {
    let cp = &app.changes;
    let mut parts = vec!["Changes".to_string()];
    match &cp.anomaly {
        Some(a) => parts.push(format!(
            "suspects for {}{} (onset {})",
            a.region,
            a.service.as_deref().map(|s| format!(" › {s}")).unwrap_or_default(),
            app.onset_label(a.onset)
        )),
        None => parts.push("no anomaly to explain".into()),
    }
    let hidden = cp.changes.iter().filter(|c| c.read_only).count();
    if !cp.show_read_only && hidden > 0 {
        parts.push(format!("{hidden} read-only hidden (:read-only)"));
    }
    sanitize(&format!(" {} ", parts.join(" · ")))
}

/// What the feed does not read: global services' events (IAM, STS, Organizations, Route 53,
/// CloudFront) are recorded in us-east-1, which a live lookup outside it does not read.
pub fn global_note(app: &App) -> Option<&'static str> {
    (!app.reads_global()).then_some(
        "us-east-1 not read: global events (IAM, STS, Route 53, …) are outside the boundary",
    )
}

/// Column widths of region, event, resource and identity; narrower panes get narrower ones.
fn widths(width: usize) -> [usize; 4] {
    if width >= 120 { [15, 29, 26, 24] } else { [13, 25, 20, 18] }
}

/// The columns for these changes: the base widths, and the room left over given to the
/// columns whose text is cut (event, resource, who, region), up to what they need.
fn widths_for<'a>(width: usize, changes: impl Iterator<Item = &'a Change>) -> [usize; 4] {
    let mut w = widths(width);
    let mut need = [0usize; 4];
    let mut service = 0;
    for c in changes {
        let cells = [
            c.region.chars().count(),
            c.event.chars().count(),
            short_resource(&c.resource).chars().count(),
            c.identity.short().chars().count(),
        ];
        for (n, cell) in need.iter_mut().zip(cells) {
            *n = (*n).max((cell + 1).min(60));
        }
        service = service.max(c.service.as_deref().map_or(1, |s| s.chars().count()).min(30));
    }
    let used = 10 + w.iter().sum::<usize>() + service;
    let mut free = width.saturating_sub(used);
    for i in [1, 2, 3, 0] {
        let more = need[i].saturating_sub(w[i]).min(free);
        w[i] += more;
        free -= more;
    }
    w
}

fn row(c: &Change, width: usize, w: [usize; 4]) -> String {
    let [rw, ew, sw, iw] = w;
    let text = format!(
        "{:<9} {:<rw$} {:<ew$} {:<sw$} {:<iw$} {}",
        format_hms(c.at),
        fit(&c.region, rw - 1),
        fit(&c.event, ew - 1),
        fit(short_resource(&c.resource), sw - 1),
        fit(&c.identity.short(), iw - 1),
        c.service.as_deref().unwrap_or("-")
    );
    fit(&sanitize(&text), width)
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme, wall_now: Millis) {
    let cp = &app.changes;
    let inner = super::pane(f, area, title(app), theme, app.focus == Focus::Changes);
    let (list, detail) = if cp.detail && inner.height >= 10 {
        let [a, b] =
            Layout::vertical([Constraint::Percentage(40), Constraint::Min(5)]).areas(inner);
        (a, Some(b))
    } else {
        (inner, None)
    };
    let width = list.width as usize;
    let mut lines = Vec::new();
    if let Some((e, at)) = &cp.error {
        lines.push(Line::styled(
            fit(&format!(" ⚠ {} (failed {} ago)", sanitize(e), age(wall_now - at)), width),
            theme.error(),
        ));
    }
    // Redacted copies of what is drawn only; the rows without their record, the detail with
    // it (its JSON parsed to mask it).
    let red = app.redaction();
    let view = |c, with_record: bool| -> std::borrow::Cow<'_, Change> {
        match red {
            Some(r) if with_record => std::borrow::Cow::Owned(r.change(c)),
            Some(r) => std::borrow::Cow::Owned(r.change_row(c)),
            None => std::borrow::Cow::Borrowed(c),
        }
    };
    for (k, s) in cp.suspects.iter().take(TOP_SUSPECTS).enumerate() {
        let c = &view(&cp.changes[s.change], false);
        let head = format!(
            "{} {} {} {} {}",
            k + 1,
            format_hms(c.at),
            c.event,
            short_resource(&c.resource),
            c.region
        );
        let style = if k == 0 { theme.warn() } else { theme.text() };
        lines.push(Line::styled(fit(&sanitize(&head), width), style));
        // The reason on as many lines as it needs, broken between its parts.
        let mut line = String::from(" ");
        for part in sanitize(&crate::redact::text(red, &s.reason)).split(" · ") {
            if line.chars().count() + part.chars().count() + 3 > width && !line.trim().is_empty() {
                lines.push(Line::styled(fit(&line, width), theme.muted()));
                line = String::from(" ");
            }
            if line.trim().is_empty() {
                line.push(' ');
            } else {
                line.push_str(" · ");
            }
            line.push_str(part);
        }
        lines.push(Line::styled(fit(&line, width), theme.muted()));
        // The evidence for and against, the strongest first, on one line.
        if !s.checks.is_empty() {
            let ev: Vec<String> = s.checks.iter().take(2).map(|c| c.line()).collect();
            let style = if s.checks[0].holds { theme.text() } else { theme.muted() };
            let text = sanitize(&crate::redact::text(red, &ev.join(" · ")));
            lines.push(Line::styled(fit(&format!("   {text}"), width), style));
        }
    }
    if let Some(note) = global_note(app) {
        lines.push(Line::styled(fit(&format!(" {note}"), width), theme.muted()));
    }
    if cp.loading {
        lines.push(Line::styled(" reading the audit trail…", theme.muted()));
    }
    let cols = widths_for(width, cp.shown().map(|(_, c)| c));
    lines.push(Line::styled(
        fit(
            &{
                let [rw, ew, sw, iw] = cols;
                format!(
                    "{:<9} {:<rw$} {:<ew$} {:<sw$} {:<iw$} {}",
                    "TIME", "REGION", "EVENT", "RESOURCE", "WHO", "SERVICE"
                )
            },
            width,
        ),
        theme.muted(),
    ));
    let shown: Vec<&Change> = cp.shown().map(|(_, c)| c).collect();
    if shown.is_empty() && !cp.loading {
        lines.push(Line::styled(" no changes in the window and the baseline", theme.muted()));
    }
    let body = (list.height as usize).saturating_sub(lines.len());
    let top = (cp.selected + 1).saturating_sub(body);
    let focused = app.focus == Focus::Changes;
    for (i, c) in shown.iter().enumerate().skip(top).take(body) {
        let y = list.y + lines.len() as u16;
        app.hits.borrow_mut().rows.push((Focus::Changes, y, i));
        let style = if focused && i == cp.selected {
            theme.selection()
        } else if c.read_only {
            theme.muted()
        } else {
            theme.text()
        };
        lines.push(Line::styled(row(&view(c, false), width, cols), style));
    }
    f.render_widget(Paragraph::new(lines), list);
    if let (Some(d), Some(c)) = (detail, cp.selected_change()) {
        draw_detail(f, d, &view(c, true), theme);
    }
}

/// `config · global · sets Timeout 30 -> 3 · role worker-role`: what warroom makes of it.
fn kind_line(c: &Change) -> String {
    let f = crate::analysis::change_kind::facts(c);
    let mut parts = vec![f.kind.label().to_string()];
    if f.event != c.event {
        parts.push(format!("as {}", f.event));
    }
    if f.global {
        parts.push("global service (recorded in us-east-1, in scope of every region)".into());
    }
    let set: Vec<String> =
        f.params.iter().take(4).map(|p| fit(&p.text(), 40).trim_end().to_string()).collect();
    if !set.is_empty() {
        parts.push(format!("sets {}", set.join(", ")));
    }
    if !f.roles_touched.is_empty() {
        parts.push(format!("touches role {}", f.roles_touched.join(", ")));
    }
    if let Some(r) = &f.execution_role {
        parts.push(format!("execution role {r}"));
    }
    parts.join(" · ")
}

/// One change in full: its fields, then the event as recorded.
fn draw_detail(f: &mut Frame, area: Rect, c: &Change, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border(true))
        .title(Span::styled(" Change · p or esc closes · y copies its event id ", theme.title()));
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let fields = [
        ("event id", c.id.clone()),
        ("time", format_hms(c.at)),
        ("region", c.region.clone()),
        ("event", format!("{} ({})", c.event, c.event_source)),
        ("resource", c.resource.clone()),
        ("service", c.service.clone().unwrap_or_else(|| "-".into())),
        ("who", format!("{} {}", c.identity.kind, c.identity.principal)),
        ("summary", c.summary.clone()),
        ("kind", kind_line(c)),
    ];
    let mut lines: Vec<Line> = fields
        .into_iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("{k:<10}"), theme.accent()),
                Span::styled(sanitize(&v), theme.text()),
            ])
        })
        .collect();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&c.raw)
        && let Ok(p) = serde_json::to_string_pretty(&v)
    {
        lines.extend(p.lines().map(|l| Line::styled(sanitize(l), theme.muted())));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
