//! The failing requests of one operation: the last level of the drill-down.
//!
//! ```text
//! ┌ Failing requests · invoice-approval-worker › ApproveInvoice · last 15m (1312) ─┐
//! │ TIME      CORRELATION ID  TENANT      STATUS  DURATION  MESSAGE                │
//! │ 09:11:40  c-9f3a6e1d      tenant-42   504       3.0 s   Task timed out after … │
//! └────────────────────────────────────────────────────────────────────────────────┘
//! ```

use super::{Theme, fit, sanitize};
use crate::analysis::fmt_ms;
use crate::app::{App, View};
use crate::config::window_name;
use crate::model::format_hms;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let View::Operation { service, operation, .. } = app.view() else { return };
    let fl = &app.failing;
    let count = if fl.loading { "…".to_string() } else { fl.requests.len().to_string() };
    let title = format!(
        " Failing requests · {service} › {operation} · last {} ({count}) ",
        window_name(app.window)
    );
    let inner = super::pane(f, area, title, theme, app.focus == crate::app::Focus::Main);
    let width = inner.width as usize;
    let mut lines = vec![Line::styled(
        fit(
            &format!(
                "{:<10}{:<18}{:<14}{:>6}{:>10}  MESSAGE",
                "TIME", "CORRELATION ID", "TENANT", "STATUS", "DURATION"
            ),
            width,
        ),
        theme.muted(),
    )];
    if fl.loading {
        lines.push(Line::styled("  looking for failing requests…", theme.muted()));
    } else if let Some(e) = &fl.error {
        lines.push(Line::styled(format!("  ⚠ {}", sanitize(e)), theme.error()));
    } else if fl.requests.is_empty() {
        lines.push(Line::styled("  no failing requests in this window", theme.muted()));
    }
    let body = inner.height.saturating_sub(1) as usize;
    let sel = app.level().selected;
    let offset = (sel + 1).saturating_sub(body);
    let red = app.redaction();
    for (i, r) in fl.requests.iter().enumerate().skip(offset).take(body) {
        let y = inner.y + lines.len() as u16;
        app.hits.borrow_mut().rows.push((crate::app::Focus::Main, y, i));
        let masked = red.map(|x| x.request(r));
        let r = masked.as_ref().unwrap_or(r);
        let text = format!(
            "{:<10}{:<18}{:<14}{:>6}{:>10}  {}",
            format_hms(r.at),
            fit(&sanitize(&r.correlation_id), 17),
            fit(&sanitize(&r.tenant), 13),
            // 0: the source knows no HTTP status (a Lambda invocation told by its REPORT).
            if r.status == 0 { "-".to_string() } else { r.status.to_string() },
            fmt_ms(r.duration_ms),
            sanitize(&r.message)
        );
        let style = if i == sel { theme.selection() } else { theme.text() };
        lines.push(Line::from(Span::styled(fit(&text, width), style)));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
