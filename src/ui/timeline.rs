//! The investigation timeline over the screen: what was marked, the notes and the alert,
//! the incident's onset and its top suspect, in time order. `j`/`k` move, enter jumps to the
//! evidence, `d` unmarks, `u` undoes.
//!
//! ```text
//! ┌ Investigation · 1 finding · enter shows the evidence · d unmarks · u undoes · t closes ┐
//! │ 09:04:00  onset       eu-west-1 › invoice-approval-worker leaves its baseline          │
//! │ 09:04:37  finding     change: UpdateFunctionConfiguration … by deploy-role/deploy-bot  │
//! │                       CloudTrail event 08db383e-… · identity arn:aws:sts::…            │
//! │▶09:12:00  note        customer tenant-42 reported c-9f3a6e1d                           │
//! └────────────────────────────────────────────────────────────────────────────────────────┘
//! ```

use super::{Theme, sanitize};
use crate::app::App;
use crate::model::format_hms;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn title(app: &App) -> String {
    let findings = match app.investigation.findings().count() {
        1 => "1 finding".to_string(),
        n => format!("{n} findings"),
    };
    format!(
        " Investigation · {findings} · enter shows the evidence · d unmarks · u undoes · :note TEXT · t closes "
    )
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let w = area.width.saturating_sub(4).min(140);
    let h = area.height.saturating_sub(4);
    let popup = Rect { x: area.x + (area.width - w) / 2, y: area.y + 2, width: w, height: h };
    let mut items = app.timeline();
    if let Some(r) = app.redaction() {
        for i in &mut items {
            // Evidence first: its values are masked in the text too.
            i.evidence = r.pairs(&i.evidence);
            i.text = r.text(&i.text).into_owned();
        }
    }
    let selected = app.timeline.selected.min(items.len().saturating_sub(1));
    // Each item's first line, so the selection stays in view.
    let mut lines = Vec::new();
    let mut selected_line = 0;
    if items.is_empty() {
        lines.push(Line::styled(
            "nothing yet: m marks the selection, F marks a finding, :note TEXT notes",
            theme.muted(),
        ));
    }
    let width = w.saturating_sub(2) as usize;
    for (k, i) in items.iter().enumerate() {
        let style = match i.label {
            "finding" | "top suspect" => theme.warn(),
            "observation" | "note" | "alert" => theme.text(),
            _ => theme.muted(),
        };
        let here = k == selected;
        if here {
            selected_line = lines.len();
        }
        let mark = if here { "▶" } else { " " };
        let text = super::fit(&sanitize(&i.text), width.saturating_sub(24));
        let mut first = Line::from(vec![
            Span::styled(format!("{mark}{}  ", format_hms(i.at)), theme.accent()),
            Span::styled(format!("{:<12}", i.label), style),
            Span::styled(text, style),
        ]);
        if here {
            first = first.style(theme.selection());
        }
        lines.push(first);
        if !i.evidence.is_empty() {
            let ev: Vec<String> = i.evidence.iter().map(|(k, v)| format!("{k} {v}")).collect();
            lines.push(Line::styled(
                super::fit(&format!("{:24}{}", "", sanitize(&ev.join(" · "))), width),
                theme.muted(),
            ));
        }
    }
    let body = h.saturating_sub(2) as usize;
    let top = (selected_line + 2).saturating_sub(body);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(title(app), theme.title()));
    f.render_widget(Clear, popup);
    f.render_widget(Paragraph::new(lines).block(block).scroll((top as u16, 0)), popup);
}
