//! Drawing. `draw(&App, &Theme, &mut Frame)` renders state and nothing else: no I/O, no
//! computation beyond layout (rows and verdicts are computed when data arrives).
//!
//! ```text
//!  warroom │ DEMO invoice-approval-timeout │ 09:20:13 ×1 │ window 15m vs 24h      header
//!  EU › eu-west-1                                                               breadcrumb
//!  REGIONAL: eu-west-1 errors 7.4% (baseline 0.1%) since 09:05 — other regions  verdict
//! ┌ pane ────────────────────────────────────────────────────────────────────┐
//! └──────────────────────────────────────────────────────────────────────────┘
//!  as of 09:20 · demo                                                           status
//!  enter drill in  esc back  w window  : command  ? help  q quit               keys
//! ```

pub mod changes;
pub mod export;
pub mod logs;
mod red;
mod requests;
mod slo;
pub mod theme;
mod timeline;
pub mod waterfall;

pub use red::sparkline;
pub use theme::{Looks, Theme};

use crate::app::{Action, App, Mode, View};
use crate::config::window_name;
use crate::model::{Millis, format_hm, format_hms};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub use crate::model::text::sanitize;

/// Cut or pad to exactly `width` characters (an ellipsis marks a cut).
pub fn fit(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        let mut out = s.to_string();
        out.extend(std::iter::repeat_n(' ', width - n));
        out
    } else if width == 0 {
        String::new()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

/// A pane's frame with its title; returns the area inside it.
fn pane(f: &mut Frame, area: Rect, title: String, theme: &Theme, focused: bool) -> Rect {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    inner
}

/// Rows the main pane would like: its rows, group headings, column header and frame.
fn wanted_main(app: &App) -> u16 {
    let rows = match app.view() {
        View::Operation { .. } => app.failing.requests.len().max(1),
        View::Trace { .. } => app.trace.rows().max(1) + 2 + if app.trace.detail { 14 } else { 0 },
        View::Overview => {
            let mut groups: Vec<&str> =
                app.rows.iter().filter_map(|r| r.group.as_deref()).collect();
            groups.dedup();
            app.rows.len() + groups.len()
        }
        _ => app.rows.len(),
    };
    (rows + 4).min(u16::MAX as usize) as u16
}

/// Heights of the main pane and the log tail in a body of `body` rows. The main pane is as
/// tall as its rows need; while the log tail has the focus it gives up to 60% to it.
pub fn split(body: u16, wanted_main: u16, logs_focused: bool) -> (u16, u16) {
    let cap = if logs_focused { (body * 2 / 5).max(7) } else { body };
    let main = wanted_main.min(cap).max(7).min(body.saturating_sub(5));
    (main, body - main)
}

fn split_for(app: &App, body: u16) -> (u16, u16) {
    split(body, wanted_main(app), app.focus == crate::app::Focus::Logs)
}

/// Rows of content in the main pane and the log tail on a terminal `height` rows high.
pub fn pages(app: &App, height: u16) -> (usize, usize) {
    let fixed = 5 + suspect_line(app).is_some() as u16 + 2 * app.present as u16;
    if app.zoom {
        let all = height.saturating_sub(fixed + 3).max(1) as usize;
        return (all, all);
    }
    let (main, logs) = split_for(app, height.saturating_sub(fixed));
    (main.saturating_sub(3).max(1) as usize, logs.saturating_sub(3).max(1) as usize)
}

/// The most plausible cause of the anomaly in view, in one line under the verdict.
pub fn suspect_line(app: &App) -> Option<String> {
    let s = app.changes.suspects.first()?;
    let c = app.changes.changes.get(s.change)?;
    let line = format!(
        " SUSPECT {} {} ({}) · {}",
        format_hms(c.at),
        changes::short_resource(&c.resource),
        c.region,
        s.reason
    );
    Some(sanitize(&crate::redact::text(app.redaction(), &line)))
}

/// The SUSPECT line in `width` columns: what changed, when and who made it are kept; the
/// reasons between go first, then the call's name (`UpdateFunctionConfiguration by x`
/// keeps `by x`).
pub fn fit_suspect(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return fit(line, width);
    }
    let parts: Vec<&str> = line.split(" · ").collect();
    let (head, rest) = parts.split_first().map(|(h, r)| (*h, r)).unwrap_or((line, &[]));
    let who = rest.iter().rev().find(|p| p.contains(" by ")).copied();
    let Some(who) = who else { return fit(line, width) };
    let mut middle: Vec<&str> = rest.iter().copied().filter(|p| *p != who).collect();
    let build = |middle: &[&str], who: &str| {
        let mut v = vec![head];
        v.extend(middle);
        v.push(who);
        v.join(" · ")
    };
    while !middle.is_empty() && build(&middle, who).chars().count() > width {
        middle.pop();
    }
    let text = build(&middle, who);
    if text.chars().count() <= width {
        return fit(&text, width);
    }
    // Still too long: the call's name goes, who made it stays.
    let by = who.find(" by ").map(|i| &who[i + 1..]).unwrap_or(who);
    let text = build(&[], by);
    if text.chars().count() <= width {
        return fit(&text, width);
    }
    // And a role's session is named by the session alone (`by deploy-bot`).
    let short = by.rsplit_once('/').map(|(_, s)| format!("by {s}"));
    fit(&build(&[], short.as_deref().unwrap_or(by)), width)
}

/// The whole screen.
pub fn draw(app: &App, theme: &Theme, f: &mut Frame, wall_now: Millis) {
    let area = f.area();
    *app.hits.borrow_mut() = Default::default();
    // The verdict is the line that matters most: wrap it rather than cut it.
    let verdict_rows =
        if app.verdict.text.chars().count() + 1 > area.width as usize { 2 } else { 1 };
    let suspect = suspect_line(app);
    // Presenting: a blank row under the header and above the panes, and margins beside them.
    let gap = app.present as u16;
    let [header, _, crumb, verdict, suspect_area, _, body, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(gap),
        Constraint::Length(1),
        Constraint::Length(verdict_rows),
        Constraint::Length(suspect.is_some() as u16),
        Constraint::Length(gap),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let body = if app.present { body.inner(ratatui::layout::Margin::new(2, 0)) } else { body };
    draw_header(f, header, app, theme);
    if let Some(s) = suspect {
        f.render_widget(
            Paragraph::new(Line::styled(fit_suspect(&s, area.width as usize), theme.warn())),
            suspect_area,
        );
    }
    draw_breadcrumb(f, crumb, app, theme);
    app.hits.borrow_mut().crumb = Some(crumb);
    f.render_widget(
        Paragraph::new(Line::styled(
            format!(" {}", crate::redact::text(app.redaction(), &app.verdict.text)),
            theme.verdict(&app.verdict.kind),
        ))
        .wrap(Wrap { trim: true }),
        verdict,
    );
    let draw_main = |f: &mut Frame, pane: Rect| match app.view() {
        View::Operation { .. } => requests::draw(f, pane, app, theme),
        View::Trace { .. } => waterfall::draw(f, pane, app, theme),
        _ => red::draw(f, pane, app, theme, source_problem(app, wall_now).as_deref()),
    };
    // Zoomed (presenting): the focused pane takes the whole body.
    if app.zoom {
        app.hits.borrow_mut().panes.push((app.focus, body));
        match app.focus {
            crate::app::Focus::Main => draw_main(f, body),
            crate::app::Focus::Logs => logs::draw(f, body, app, theme, wall_now),
            crate::app::Focus::Changes => changes::draw(f, body, app, theme, wall_now),
        }
    } else {
        draw_panes(f, body, app, theme, wall_now, draw_main);
    }
    draw_status(f, status, app, theme);
    draw_keys(f, keys, app, theme);
    if app.mode.shows_help() {
        draw_help(f, area, app, theme);
    }
    if app.mode == Mode::Timeline {
        timeline::draw(f, area, app, theme);
    }
    if app.mode == Mode::Slo {
        slo::draw(f, area, app, theme);
    }
}

/// The panes in their places: the main pane on top, the log tail and the change feed below.
fn draw_panes(
    f: &mut Frame,
    body: Rect,
    app: &App,
    theme: &Theme,
    wall_now: Millis,
    draw_main: impl Fn(&mut Frame, Rect),
) {
    let (main_h, _) = split_for(app, body.height);
    let [pane, log_pane] =
        Layout::vertical([Constraint::Length(main_h), Constraint::Min(0)]).areas(body);
    draw_main(f, pane);
    app.hits.borrow_mut().panes.push((crate::app::Focus::Main, pane));
    // The log tail and the change feed share the lower part: side by side when there is
    // room, else the one with the focus.
    if log_pane.width >= 200 {
        let [l, c] =
            Layout::horizontal([Constraint::Percentage(56), Constraint::Min(0)]).areas(log_pane);
        logs::draw(f, l, app, theme, wall_now);
        changes::draw(f, c, app, theme, wall_now);
        let mut hits = app.hits.borrow_mut();
        hits.panes.push((crate::app::Focus::Logs, l));
        hits.panes.push((crate::app::Focus::Changes, c));
    } else if app.focus == crate::app::Focus::Changes {
        changes::draw(f, log_pane, app, theme, wall_now);
        app.hits.borrow_mut().panes.push((crate::app::Focus::Changes, log_pane));
    } else {
        logs::draw(f, log_pane, app, theme, wall_now);
        app.hits.borrow_mut().panes.push((crate::app::Focus::Logs, log_pane));
    }
}

/// Where the driver is: the breadcrumb, and when presenting the active filters too, in bold.
fn draw_breadcrumb(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let crumbs = app.breadcrumb().join(" › ");
    let mut spans = vec![
        Span::styled(if app.present { " ▶ " } else { " " }, theme.accent()),
        Span::styled(
            sanitize(&crumbs),
            if app.present { theme.accent().add_modifier(Modifier::BOLD) } else { theme.accent() },
        ),
    ];
    if app.present {
        for f in app.filters() {
            spans.push(Span::styled("   ", theme.muted()));
            spans.push(Span::styled(
                sanitize(&crate::redact::text(app.redaction(), &f)),
                theme.text().add_modifier(Modifier::BOLD),
            ));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Whether redaction is on, for the right end of the header.
fn badge(app: &App) -> &'static str {
    match (app.redacting, app.present) {
        (true, _) => " REDACTED ",
        (false, true) => " NOT REDACTED (R) ",
        // Not presenting and nothing masked: the header stays as it is.
        (false, false) => "",
    }
}

fn draw_header(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let demo = app.clock.is_simulated();
    let now = app.clock.now();
    let mut parts = vec![" warroom".to_string()];
    match (&app.source.scenario, demo) {
        (Some(s), true) => parts.push(format!("DEMO {s}")),
        _ => parts.push(app.source.name.to_uppercase()),
    }
    let clock = if demo {
        let state = if app.clock.is_paused() { " paused" } else { "" };
        format!("{} UTC (simulated{state})", format_hms(now))
    } else if app.clock.is_fixed() {
        // Evidence has a date of its own: say it, and that the clock stands still.
        format!("{} UTC (evidence time)", crate::model::format_datetime(now))
    } else {
        format!("{} UTC", format_hms(now))
    };
    parts.push(clock);
    parts.push(format!("window {} vs {}", window_name(app.window), window_name(app.baseline)));
    let badge = badge(app);
    let room = (area.width as usize).saturating_sub(badge.chars().count());
    let text = fit(&parts.join(" │ "), room);
    let badge_style = match (app.redacting, app.present) {
        (true, _) => theme
            .health(crate::analysis::Health::Normal)
            .add_modifier(Modifier::REVERSED | Modifier::BOLD),
        (false, true) => theme.warn().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        (false, false) => theme.header(demo),
    };
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(text, theme.header(demo)),
            Span::styled(badge, badge_style),
        ])),
        area,
    );
}

fn age(ms: Millis) -> String {
    let s = (ms / 1000).max(0);
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else {
        format!("{}h", s / 3600)
    }
}

fn draw_status(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let line = if let Some(p) = app.mode.input() {
        prompt_line(p, area.width as usize, theme)
    } else if app.present {
        // What is being shown, for whoever joins the call late; then the last message.
        let mut spans = vec![Span::styled(
            format!(" {}", sanitize(&crate::redact::text(app.redaction(), &app.describe()))),
            theme.accent().add_modifier(Modifier::BOLD),
        )];
        if let Some((m, is_err)) = &app.message {
            spans.push(Span::styled(
                format!("   {}", sanitize(&crate::redact::text(app.redaction(), m))),
                if *is_err { theme.error() } else { theme.muted() },
            ));
        }
        Line::from(spans)
    } else if let Some((m, is_err)) = &app.message {
        Line::styled(
            format!(" {}", sanitize(&crate::redact::text(app.redaction(), m))),
            if *is_err { theme.error() } else { theme.text() },
        )
    } else {
        let asof = match (app.metrics_until(), app.clock.is_fixed()) {
            (Some(t), true) => format!("as of {}", crate::model::format_datetime(t)),
            (Some(t), false) => format!("metrics as of {}", format_hm(t)),
            (None, _) => "waiting for the first metrics".into(),
        };
        let src = match &app.source.title {
            Some(t) => format!("{} · {t}", app.source.name),
            None => app.source.name.clone(),
        };
        Line::styled(format!(" {asof} · {src}"), theme.muted())
    };
    f.render_widget(Paragraph::new(line), area);
}

/// A prompt with its text, the cursor (a reversed cell) and a selection (reversed text),
/// scrolled so the cursor stays in view.
fn prompt_line(p: &crate::app::Prompt, width: usize, theme: &Theme) -> Line<'static> {
    let label = p.kind.label();
    let text: Vec<char> = sanitize(&p.line.text()).chars().collect();
    let cursor = p.line.cursor().min(text.len());
    let room = width.saturating_sub(label.chars().count() + 1).max(1);
    let start = (cursor + 1).saturating_sub(room);
    let visible: String = text.iter().skip(start).take(room).collect();
    let at = cursor - start;
    let before: String = visible.chars().take(at).collect();
    let under: String = visible.chars().nth(at).map(String::from).unwrap_or_else(|| " ".into());
    let after: String = visible.chars().skip(at + 1).collect();
    let text_style = if p.line.is_selected() {
        theme.text().add_modifier(Modifier::REVERSED)
    } else {
        theme.text()
    };
    Line::from(vec![
        Span::styled(label, theme.accent()),
        Span::styled(before, text_style),
        Span::styled(under, theme.text().add_modifier(Modifier::REVERSED)),
        Span::styled(after, text_style),
    ])
}

/// The metrics source's last error, its age and the age of the data still shown.
pub fn source_problem(app: &App, wall_now: Millis) -> Option<String> {
    let (e, at) = app.metrics_error.as_ref()?;
    let hint = e.hint.as_deref().map(|h| format!(" — {h}")).unwrap_or_default();
    let stale = match app.metrics_received {
        Some(r) => format!("; showing data {} old", age(wall_now - r)),
        None => String::new(),
    };
    Some(sanitize(&format!(
        "⚠ {}: {} (failed {} ago{stale}){hint}",
        app.source.name,
        e.message,
        age(wall_now - at)
    )))
}

fn draw_keys(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = vec![Span::raw(" ")];
    if app.mode.input().is_some() {
        for (k, what) in [
            ("enter", "run"),
            ("esc", "cancel"),
            ("↑↓", "history"),
            ("tab", "complete"),
            ("ctrl-u", "clear"),
        ] {
            spans.push(Span::styled(k, theme.accent()));
            spans.push(Span::styled(format!(" {what}  "), theme.muted()));
        }
    } else {
        for a in Action::ALL {
            let (Some(hint), Some(k)) = (a.hint(), app.keymap.first(*a)) else { continue };
            spans.push(Span::styled(k.to_string(), theme.accent()));
            spans.push(Span::styled(format!(" {hint}  "), theme.muted()));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The commands of the `:` line, for help.
pub const COMMANDS: &[(&str, &str)] = &[
    (":region NAME [SERVICE]", "drill into a region of the boundary (and one of its services)"),
    (":service NAME", "drill into a service of the region in view (or selected)"),
    (":cid [ID…]", "log tail of correlation ids, a colour each (spaces or commas; none clears)"),
    (":trace ID", "waterfall of a request: its correlation id or X-Ray trace id"),
    (":read-only", "show or hide read-only events in the change feed"),
    (":timeline", "show or hide the investigation timeline"),
    (":slo", "show or hide the service level objectives"),
    (":report", "write the incident report (Markdown) to the data folder"),
    (":note [HH:MM] TEXT", "a note in the timeline, at the time given or now"),
    (":undo", "undo the last mark, promotion, unmark or note"),
    (":snapshot [svg|html|txt]", "write the screen to the data folder, as evidence for the report"),
    (":theme NAME", "draw with another theme (dark, light, high-contrast, colorblind, yours)"),
    (":window 15m|1h|6h|24h", "the window compared with the baseline"),
    (":top", "back to all regions"),
    (":scenario NAME", "switch the demo to another built-in scenario"),
    (":at HH:MM[:SS]", "move the clock (demo; evidence: a time on its date, or a full date)"),
    (
        ":onset [TIME]",
        "set the anomaly's onset (2026-11-19T13:42:02Z, +01:00, HH:MM); none: detect",
    ),
    (":help", "this help"),
    (":q", "quit"),
];

/// Keys of the input lines (`:`, `c`, `/`), for help and the README.
pub const PROMPT_KEYS: &[(&str, &str)] = &[
    ("enter", "run the line"),
    ("esc, ctrl-c", "cancel"),
    ("up, down", "earlier and later lines of this prompt's history (kept in the data folder)"),
    ("tab", "complete a command, region, service, theme, scenario, window or correlation id"),
    ("left, right", "move the cursor (alt-left, alt-right: a word)"),
    ("home, end, ctrl-a, ctrl-e", "start, end of the line"),
    ("ctrl-u", "delete to the start of the line"),
    ("ctrl-k", "delete to the end of the line"),
    ("ctrl-w", "delete the word before the cursor"),
    ("backspace, delete", "delete before, under the cursor (a pre-filled line: all of it)"),
    ("typing", "replaces a pre-filled line (the current filter); a movement key keeps it"),
];

/// Mouse actions (off with `--no-mouse` or `mouse = false`), for help and the README.
pub const MOUSE: &[(&str, &str)] = &[
    ("click", "select the row and focus its pane (a second click on it drills in)"),
    ("wheel", "scroll the pane under the pointer"),
    ("click the breadcrumb", "back up one level"),
];

/// Keys while help is open.
pub const HELP_KEYS: &[(&str, &str)] = &[
    ("up, down, pageup, pagedown, home, end", "scroll help"),
    ("/", "show only the entries with a text (esc clears it, then closes help)"),
];

/// One entry of help: keys (or a command) and what they do.
pub struct HelpEntry {
    pub keys: String,
    pub text: String,
}

/// A titled group of help entries.
pub struct HelpSection {
    pub title: &'static str,
    pub entries: Vec<HelpEntry>,
}

/// What help lists, filtered by the help search: keys, commands, prompt keys, mouse.
pub fn help_sections(app: &App) -> Vec<HelpSection> {
    // Only the simulator's clock runs and switches scenarios: elsewhere those keys and
    // commands are left out.
    let demo = app.clock.is_simulated();
    let entry = |k: &str, t: &str| HelpEntry { keys: k.to_string(), text: t.to_string() };
    let keys = Action::ALL
        .iter()
        .filter(|a| demo || **a != Action::Pause)
        .map(|a| {
            let k: Vec<String> = app.keymap.keys(*a).iter().map(|k| k.to_string()).collect();
            entry(&k.join(" "), a.describe())
        })
        .collect();
    let commands = COMMANDS
        .iter()
        .filter(|(c, _)| demo || !c.starts_with(":scenario"))
        .map(|(c, d)| {
            let d = if demo { d.to_string() } else { d.replace("(demo; evidence: ", "(") };
            entry(c, &d)
        })
        .collect();
    let list = |l: &[(&str, &str)]| l.iter().map(|(k, t)| entry(k, t)).collect();
    let mut out = vec![
        HelpSection { title: "Keys", entries: keys },
        HelpSection { title: "Commands (:)", entries: commands },
        HelpSection { title: "In a prompt (:, c, /)", entries: list(PROMPT_KEYS) },
    ];
    if app.mouse {
        out.push(HelpSection { title: "Mouse", entries: list(MOUSE) });
    }
    out.push(HelpSection { title: "In help", entries: list(HELP_KEYS) });
    let q = app.help.query.to_lowercase();
    if !q.is_empty() {
        for s in out.iter_mut().filter(|s| !s.title.to_lowercase().contains(&q)) {
            s.entries.retain(|e| {
                e.keys.to_lowercase().contains(&q) || e.text.to_lowercase().contains(&q)
            });
        }
        out.retain(|s| !s.entries.is_empty());
    }
    out
}

/// Words of `text` in lines of at most `width` characters (a longer word is cut).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let (n, w) = (line.chars().count(), word.chars().count());
        if n > 0 && n + 1 + w > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        let mut word = word.to_string();
        while word.chars().count() > width {
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            out.push(head);
        }
        line.push_str(&word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// The lines of some help sections in `width` columns: keys in a column, descriptions
/// wrapped beside them with their indentation kept.
fn help_column(sections: &[HelpSection], width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(s.title, theme.accent().add_modifier(Modifier::BOLD)));
        let longest = s.entries.iter().map(|e| e.keys.chars().count()).max().unwrap_or(0);
        // The key column: as wide as its keys, at most a third of the width.
        let kw = (longest + 2).min(width / 3).max(8);
        let tw = width.saturating_sub(kw + 2).max(10);
        for e in &s.entries {
            let keys = wrap_words(&e.keys, kw - 1);
            let text = wrap_words(&e.text, tw);
            for row in 0..keys.len().max(text.len()) {
                let k = keys.get(row).map(String::as_str).unwrap_or("");
                let t = text.get(row).cloned().unwrap_or_default();
                lines.push(Line::from(vec![
                    Span::styled(format!("  {}", fit(k, kw)), theme.accent()),
                    Span::styled(t, theme.text()),
                ]));
            }
        }
    }
    lines
}

fn draw_help(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let sections = help_sections(app);
    // Keys and the rest side by side on a wide screen, one after the other otherwise.
    let wide = area.width >= 150;
    let w = area.width.saturating_sub(2).min(if wide { 210 } else { 110 });
    let h = area.height.saturating_sub(2);
    if w < 20 || h < 5 {
        return;
    }
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let inner_w = popup.width.saturating_sub(2) as usize;
    let columns: Vec<Vec<Line<'static>>> = if wide {
        let left = inner_w * 52 / 100;
        let (keys, rest) = sections.split_at(sections.len().min(1));
        let keys_first = keys.first().is_some_and(|s| s.title == "Keys");
        if keys_first {
            vec![help_column(keys, left - 2, theme), help_column(rest, inner_w - left, theme)]
        } else {
            vec![help_column(&sections, inner_w, theme)]
        }
    } else {
        vec![help_column(&sections, inner_w, theme)]
    };
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    let page = popup.height.saturating_sub(2) as usize;
    let max_top = rows.saturating_sub(page);
    app.help.max_top.set(max_top);
    app.help.page.set(page);
    let top = app.help.top.min(max_top);
    let shown = if rows == 0 {
        "nothing matches".to_string()
    } else {
        format!("{}–{} of {rows}", top + 1, (top + page).min(rows))
    };
    let search = if app.help.query.is_empty() {
        "/ search".to_string()
    } else {
        format!("/{} (esc clears)", sanitize(&app.help.query))
    };
    let block = Block::default().borders(Borders::ALL).border_style(theme.border(true)).title(
        Span::styled(
            format!(" Help · {shown} · ↑↓ pgup pgdn scroll · {search} · esc closes "),
            theme.title(),
        ),
    );
    f.render_widget(Clear, popup);
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let para = |lines: Vec<Line<'static>>| {
        Paragraph::new(lines.into_iter().skip(top).take(page).collect::<Vec<_>>())
            .style(Style::default())
    };
    if columns.len() == 2 {
        let left = (inner_w * 52 / 100) as u16;
        let [l, r] =
            Layout::horizontal([Constraint::Length(left), Constraint::Min(0)]).areas(inner);
        let mut it = columns.into_iter();
        f.render_widget(para(it.next().unwrap_or_default()), l);
        f.render_widget(para(it.next().unwrap_or_default()), r);
    } else if let Some(c) = columns.into_iter().next() {
        f.render_widget(para(c), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_neutralises_control_characters() {
        assert_eq!(sanitize("a\u{1b}[31mred\u{7}\tb\u{9b}"), "a␛[31mred␇ b�");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("ab", 4), "ab  ");
    }
}
