//! Application state and the one place it changes.
//!
//! Input arrives as [`Key`]s, is mapped to [`Action`]s by the [`Keymap`] and applied by
//! [`App::update`]; data arrives as [`SourceMsg`]s and is applied by [`App::on_source`].
//! Both return [`Effect`]s for the event loop to carry out (fetches, quitting), so the whole
//! state machine is testable without a terminal.

mod action;
mod changes;
mod health;
mod investigate;
mod keymap;
mod logs;
pub mod prompt;
mod trace;

pub use action::Action;
pub use changes::ChangePane;
pub use investigate::{Jump, TimelineItem, TimelinePane};
pub use keymap::{Key, KeyCode, Keymap};
pub use logs::{LogPane, LogTarget, REQUEST_LIMIT, TAIL_BACKFILL, TAIL_LIMIT, parse_ids};
pub use prompt::{Edit, History, LineEditor, Prompt, PromptKind};
pub use trace::TracePane;

use crate::analysis::{self, RowStats, Verdict, VerdictKind};
use crate::config::{WINDOWS, parse_window, window_name};
use crate::model::{
    Boundary, Clock, MINUTE_MS, MetricsSnapshot, Millis, RequestSample, Scope, SharedMetrics,
    parse_hms,
};
use crate::source::{LogUpdate, SourceError, TraceKey, TraceLookup};
use std::sync::Arc;

/// The `:` commands, for tab completion and "did you mean".
pub const COMMAND_NAMES: &[&str] = &[
    "region",
    "service",
    "cid",
    "trace",
    "read-only",
    "timeline",
    "report",
    "note",
    "undo",
    "snapshot",
    "theme",
    "window",
    "top",
    "scenario",
    "at",
    "onset",
    "help",
    "q",
];

/// How many failing requests the drill-down asks for.
pub const FAILING_LIMIT: usize = 5000;

/// A level of the drill-down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum View {
    Overview,
    Region {
        region: String,
    },
    Service {
        region: String,
        service: String,
    },
    Operation {
        region: String,
        service: String,
        operation: String,
    },
    /// The waterfall of one request (`key`: its correlation id or trace id).
    Trace {
        region: String,
        service: Option<String>,
        operation: Option<String>,
        key: String,
    },
}

impl View {
    pub fn scope(&self) -> Option<Scope> {
        match self {
            View::Overview => None,
            View::Region { region } => {
                Some(Scope { region: region.clone(), service: None, operation: None })
            }
            View::Service { region, service } => Some(Scope {
                region: region.clone(),
                service: Some(service.clone()),
                operation: None,
            }),
            View::Operation { region, service, operation } => Some(Scope {
                region: region.clone(),
                service: Some(service.clone()),
                operation: Some(operation.clone()),
            }),
            View::Trace { region, service, operation, .. } => Some(Scope {
                region: region.clone(),
                service: service.clone(),
                operation: operation.clone(),
            }),
        }
    }
}

/// One level of the stack with its selection.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    pub view: View,
    pub selected: usize,
    /// The log tail's filters as they were below this level, put back when it is left.
    pub filters: Option<Filters>,
    /// The trace (or similar traces) of the trace view below, put back when it is left.
    pub below: Option<(Option<TraceKey>, Option<TraceLookup>)>,
}

impl Level {
    pub fn new(view: View) -> Self {
        Level { view, selected: 0, filters: None, below: None }
    }
}

/// The log tail's filters the user set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub correlation_ids: Vec<String>,
    pub text: Option<String>,
    pub range: Option<(Millis, Millis)>,
}

/// Help's scroll position and search.
#[derive(Clone, Debug, Default)]
pub struct HelpPane {
    /// The first row shown.
    pub top: usize,
    /// Only entries with this text (`/` in help); empty: all.
    pub query: String,
    /// The most `top` can be, set by the drawing code from the screen's size.
    pub max_top: std::cell::Cell<usize>,
    /// Rows of help on screen, set by the drawing code.
    pub page: std::cell::Cell<usize>,
}

/// A row of a RED table (regions, services or operations).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub name: String,
    /// The continent of a region row, for grouping.
    pub group: Option<String>,
    pub stats: Option<RowStats>,
    /// Why the row has no stats (the region failed to answer).
    pub error: Option<String>,
    /// The operation that makes a region look worse than its total (`service › operation`).
    pub hotspot: Option<String>,
}

/// A service the cockpit knows without metrics (configured or discovered): what the
/// drill-down lists while metrics are missing, so the user can still reach logs, traces and
/// failing requests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownService {
    pub name: String,
    /// Regions it runs in; empty = every region of the boundary.
    pub regions: Vec<String>,
    pub operations: Vec<String>,
}

impl KnownService {
    pub fn runs_in(&self, region: &str) -> bool {
        self.regions.is_empty() || self.regions.iter().any(|r| r == region)
    }
}

/// The failing requests of the operation on top of the stack.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Failing {
    pub generation: u64,
    pub loading: bool,
    pub requests: Vec<RequestSample>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Help,
    /// A line being typed: the `:` command line, correlation ids (`c`), free text (`/`),
    /// text to look for in help.
    Prompt(Prompt),
    /// The investigation timeline over the screen.
    Timeline,
    /// The service level objectives over the screen.
    Slo,
}

impl Mode {
    /// The prompt being typed in.
    pub fn input(&self) -> Option<&Prompt> {
        match self {
            Mode::Prompt(p) => Some(p),
            _ => None,
        }
    }

    /// Whether help is on screen (with or without its search line).
    pub fn shows_help(&self) -> bool {
        matches!(self, Mode::Help) || matches!(self, Mode::Prompt(p) if p.kind == PromptKind::Help)
    }
}

/// The pane that takes movement keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Focus {
    /// The RED table and its drill-down.
    #[default]
    Main,
    Logs,
    /// The change feed.
    Changes,
}

/// What the last frame put where, for the mouse: pane areas, the breadcrumb and the row
/// under each screen line. Filled while drawing.
#[derive(Clone, Debug, Default)]
pub struct Hits {
    pub panes: Vec<(Focus, ratatui::layout::Rect)>,
    pub crumb: Option<ratatui::layout::Rect>,
    /// `(pane, screen row, index of the item drawn there)`.
    pub rows: Vec<(Focus, u16, usize)>,
}

/// A mouse event, independent of the terminal library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MouseKind {
    /// The left button pressed.
    Click,
    ScrollUp,
    ScrollDown,
}

/// Data from a source.
#[derive(Debug)]
pub enum SourceMsg {
    Metrics {
        result: Result<MetricsSnapshot, SourceError>,
        received: Millis,
    },
    Failing {
        generation: u64,
        result: Result<Vec<RequestSample>, SourceError>,
    },
    /// Lines for the log tail: the backfill of the window first, then followed lines.
    Logs {
        generation: u64,
        update: LogUpdate,
        backfill: bool,
        received: Millis,
    },
    Trace {
        generation: u64,
        result: Result<TraceLookup, SourceError>,
    },
    Changes {
        generation: u64,
        result: Result<Vec<crate::model::Change>, SourceError>,
        received: Millis,
    },
}

/// Work for the event loop.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Quit,
    /// The metrics query changed (window, clock jump) or a refresh was asked for.
    FetchMetrics {
        span: Millis,
    },
    FetchFailing {
        generation: u64,
        scope: Scope,
        from: Millis,
        to: Millis,
    },
    SwitchScenario(String),
    /// Read these regions' logs (`None`: stop): `[from, to)` first, then follow from `to`.
    TailLogs {
        generation: u64,
        target: Option<LogTarget>,
        from: Millis,
        to: Millis,
        limit: usize,
    },
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Append a line to the investigation's journal in the data folder.
    Journal(crate::model::investigation::JournalLine),
    /// Write the incident report (Markdown) to the data folder.
    WriteReport(String),
    /// Read the audit trail's changes of these regions in `[from, to)`.
    FetchChanges {
        generation: u64,
        regions: Vec<String>,
        from: Millis,
        to: Millis,
    },
    /// Find a request's trace in these regions (the first that has it).
    FetchTrace {
        generation: u64,
        regions: Vec<String>,
        key: TraceKey,
        from: Millis,
        to: Millis,
        service: Option<String>,
        operation: Option<String>,
    },
    /// Draw with another theme from now on (`:theme NAME`).
    SwitchTheme(String),
    /// Save this prompt's history ([`App::history`]) to the data folder.
    SaveHistory(PromptKind),
    /// Write the screen as it is to the data folder (`:snapshot`), as evidence.
    Snapshot(ScreenFormat),
}

/// What a screen is written as: SVG and HTML keep its colours, text is plain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScreenFormat {
    Svg,
    Html,
    Text,
}

impl ScreenFormat {
    /// By a file's extension or the word after `:snapshot`.
    pub fn parse(word: &str) -> Option<ScreenFormat> {
        match word.to_ascii_lowercase().as_str() {
            "svg" => Some(ScreenFormat::Svg),
            "html" | "htm" => Some(ScreenFormat::Html),
            "txt" | "text" => Some(ScreenFormat::Text),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ScreenFormat::Svg => "svg",
            ScreenFormat::Html => "html",
            ScreenFormat::Text => "txt",
        }
    }
}

/// Where the data comes from, for the header.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceInfo {
    /// `demo` or `cloudwatch`.
    pub name: String,
    /// The scenario's name in the demo.
    pub scenario: Option<String>,
    pub title: Option<String>,
}

pub struct App {
    pub boundary: Boundary,
    pub clock: Clock,
    pub keymap: Keymap,
    pub source: SourceInfo,
    pub window: Millis,
    pub baseline: Millis,
    pub mode: Mode,
    pub stack: Vec<Level>,
    pub metrics: Option<SharedMetrics>,
    /// Wall time the last metrics arrived.
    pub metrics_received: Option<Millis>,
    /// The last metrics error and when it happened (wall time).
    pub metrics_error: Option<(SourceError, Millis)>,
    pub rows: Vec<Row>,
    pub verdict: Verdict,
    pub failing: Failing,
    pub focus: Focus,
    pub logs: LogPane,
    pub trace: TracePane,
    pub changes: ChangePane,
    /// Services known without metrics (see [`KnownService`]).
    pub services: Vec<KnownService>,
    pub investigation: crate::model::investigation::Investigation,
    /// The timeline's selection and this session's marks (for undo).
    pub timeline: TimelinePane,
    /// Service level objectives (config), and how each stands in each region.
    pub objectives: Vec<crate::analysis::slo::Objective>,
    pub slo: Vec<crate::analysis::slo::SloStatus>,
    /// Work asked for before the event loop started (an alert opening a trace).
    pub pending: Vec<Effect>,
    /// The focused pane fills the screen (presenting).
    pub zoom: bool,
    /// Presenting on a call (`--present`): spacing and a header that says where we are.
    pub present: bool,
    /// Masks sensitive values where they are shown while `redacting`.
    pub redactor: std::sync::Arc<crate::redact::Redactor>,
    pub redacting: bool,
    /// The anomaly's onset as the engineer set it (`:onset`), over the detected one.
    pub onset: Option<Millis>,
    /// A one-line message for the status bar (`true` = an error).
    pub message: Option<(String, bool)>,
    /// What was typed at each prompt, oldest first (kept in the data folder).
    pub history: History,
    pub help: HelpPane,
    /// Theme names for tab completion (the built-in ones and the user's).
    pub theme_names: Vec<String>,
    /// Mouse clicks and the wheel are taken (`--no-mouse` leaves them to the terminal).
    pub mouse: bool,
    /// Where the last frame drew what (see [`Hits`]).
    pub hits: std::cell::RefCell<Hits>,
    pub should_quit: bool,
    /// Something changed since the last draw.
    pub dirty: bool,
    /// Rows visible in the table, set by the event loop from the terminal size.
    pub page: usize,
    next_generation: u64,
}

impl App {
    pub fn new(
        boundary: Boundary,
        clock: Clock,
        keymap: Keymap,
        source: SourceInfo,
        window: Millis,
        baseline: Millis,
    ) -> Self {
        let mut app = App {
            boundary,
            clock,
            keymap,
            source,
            window,
            baseline,
            mode: Mode::Normal,
            stack: vec![Level::new(View::Overview)],
            metrics: None,
            metrics_received: None,
            metrics_error: None,
            rows: Vec::new(),
            verdict: Verdict { kind: VerdictKind::Unknown, text: "waiting for metrics…".into() },
            failing: Failing::default(),
            focus: Focus::Main,
            logs: LogPane::default(),
            trace: TracePane::default(),
            changes: ChangePane::default(),
            services: Vec::new(),
            investigation: Default::default(),
            timeline: TimelinePane::default(),
            objectives: Vec::new(),
            slo: Vec::new(),
            pending: Vec::new(),
            zoom: false,
            present: false,
            redactor: Default::default(),
            redacting: false,
            onset: None,
            message: None,
            history: History::default(),
            help: HelpPane::default(),
            theme_names: crate::ui::theme::BUILT_IN.iter().map(|(n, _)| n.to_string()).collect(),
            mouse: true,
            hits: Default::default(),
            should_quit: false,
            dirty: true,
            page: 10,
            next_generation: 1,
        };
        app.recompute();
        app
    }

    /// Services (and their operations) to list when metrics are missing.
    pub fn with_services(mut self, services: Vec<KnownService>) -> Self {
        self.services = services;
        self.recompute();
        self
    }

    /// The rows of the current view without metrics: the boundary's regions, the known
    /// services of a region, the operations of a service. Only once metrics failed or when
    /// services are known (live sources), so the demo's first frame stays as it was.
    fn rows_without_metrics(&self) -> Vec<Row> {
        if self.services.is_empty() && self.metrics_error.is_none() {
            return Vec::new();
        }
        let row = |name: &str, group: Option<&str>, error: Option<String>| Row {
            name: name.to_string(),
            group: group.map(str::to_string),
            stats: None,
            error,
            hotspot: None,
        };
        match self.view() {
            View::Overview => {
                let error = self.metrics_error.as_ref().map(|(e, _)| e.message.clone());
                self.boundary.regions().map(|(c, r)| row(r, Some(c), error.clone())).collect()
            }
            View::Region { region } => self
                .services
                .iter()
                .filter(|s| s.runs_in(region))
                .map(|s| row(&s.name, None, None))
                .collect(),
            View::Service { region, service } => self
                .services
                .iter()
                .filter(|s| s.name == *service && s.runs_in(region))
                .flat_map(|s| s.operations.iter().map(|o| row(o, None, None)))
                .collect(),
            View::Operation { .. } | View::Trace { .. } => Vec::new(),
        }
    }

    /// The redactor while redaction is on. The correlation id under investigation (the log
    /// tail's, the waterfall's) stays visible.
    pub fn redaction(&self) -> Option<&crate::redact::Redactor> {
        if !self.redacting {
            return None;
        }
        let traces = self.stack.iter().filter_map(|v| match &v.view {
            View::Trace { key, .. } => Some(key.as_str()),
            _ => None,
        });
        let keep = (self.logs.correlation_ids.iter().map(String::as_str))
            .chain(traces)
            .chain(self.trace.trace().map(|t| t.correlation_id.as_str()));
        self.redactor.keep(keep);
        Some(&self.redactor)
    }

    pub fn view(&self) -> &View {
        &self.stack.last().expect("the stack always holds the overview").view
    }

    pub fn level(&self) -> &Level {
        self.stack.last().expect("the stack always holds the overview")
    }

    fn level_mut(&mut self) -> &mut Level {
        self.stack.last_mut().expect("the stack always holds the overview")
    }

    /// The span of history a metrics query needs.
    pub fn span(&self) -> Millis {
        self.window + self.baseline
    }

    /// `EU › eu-west-1 › invoice-approval-worker`.
    pub fn breadcrumb(&self) -> Vec<String> {
        let mut out = vec!["all regions".to_string()];
        match self.view() {
            View::Overview => {}
            View::Region { region }
            | View::Service { region, .. }
            | View::Operation { region, .. }
            | View::Trace { region, .. } => {
                out.clear();
                if let Some(c) = self.boundary.continent_of(region) {
                    out.push(c.to_string());
                }
                out.push(region.clone());
                if let View::Service { service, .. } | View::Operation { service, .. } = self.view()
                {
                    out.push(service.clone());
                }
                if let View::Operation { operation, .. } = self.view() {
                    out.push(operation.clone());
                }
                if let View::Trace { service, operation, key, .. } = self.view() {
                    out.extend(service.iter().cloned());
                    out.extend(operation.iter().cloned());
                    out.push(format!("trace of {key}"));
                }
            }
        }
        out
    }

    /// The log tail's active filters, as the presenter's header lists them.
    pub fn filters(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self.logs.correlation_ids.as_slice() {
            [] => {}
            [c] => out.push(format!("correlation {c}")),
            many => out.push(format!("correlations {}", many.join(", "))),
        }
        if let Some(t) = &self.logs.text {
            out.push(format!("search /{t}"));
        }
        if let Some((from, to)) = self.logs.range {
            out.push(format!(
                "span {}–{}",
                crate::model::format_hms(from),
                crate::model::format_hms(to)
            ));
        }
        out
    }

    /// The log tail's filters as they are now.
    pub fn current_filters(&self) -> Filters {
        Filters {
            correlation_ids: self.logs.correlation_ids.clone(),
            text: self.logs.text.clone(),
            range: self.logs.range,
        }
    }

    /// Put filters saved by a level back.
    fn restore_filters(&mut self, f: Filters) {
        if f != self.current_filters() {
            let was = self.filters();
            self.logs.correlation_ids = f.correlation_ids;
            self.logs.text = f.text;
            self.logs.range = f.range;
            self.logs.follow = true;
            let now = self.filters();
            if was != now {
                let now = if now.is_empty() { "none".to_string() } else { now.join(" · ") };
                self.message = Some((format!("log tail filters back to: {now}"), false));
            }
        }
    }

    /// Leave the top level, putting back the filters (and the trace below) it saved.
    fn pop_level(&mut self) -> Vec<Effect> {
        if self.stack.len() <= 1 {
            return Vec::new();
        }
        let Some(l) = self.stack.pop() else { return Vec::new() };
        if let Some(f) = l.filters {
            self.restore_filters(f);
        }
        match l.below {
            Some((key, lookup)) => self.restore_trace(key, lookup),
            None => Vec::new(),
        }
    }

    /// What is on screen in one line, for people who join the call late:
    /// `eu-west-1 › invoice-approval-worker · last 15 min · correlation c-9f3a6e1d`.
    pub fn describe(&self) -> String {
        let mut crumbs = self.breadcrumb();
        if crumbs.len() > 1 {
            // The continent adds nothing a region name does not say.
            crumbs.remove(0);
        }
        let window = match self.window / 60_000 {
            m if m < 60 => format!("last {m} min"),
            60 => "last hour".to_string(),
            m => format!("last {} hours", m / 60),
        };
        let mut parts = vec![crumbs.join(" › "), window];
        parts.extend(self.filters());
        match (self.focus, self.zoom) {
            (Focus::Logs, _) => parts.push("log tail".into()),
            (Focus::Changes, _) => parts.push("change feed".into()),
            (Focus::Main, true) => parts.push("zoomed".into()),
            _ => {}
        }
        parts.join(" · ")
    }

    /// How many rows the current view lists.
    pub fn row_count(&self) -> usize {
        match self.view() {
            View::Operation { .. } => self.failing.requests.len(),
            View::Trace { .. } => self.trace.rows(),
            _ => self.rows.len(),
        }
    }

    /// Map a key to an action (in normal mode) or edit the input line / help.
    pub fn on_key(&mut self, key: Key) -> Vec<Effect> {
        self.dirty = true;
        if let Mode::Prompt(p) = &mut self.mode {
            let kind = p.kind;
            match (key.code, key.ctrl, key.alt) {
                (KeyCode::Esc, _, _) | (KeyCode::Char('c'), true, _) => self.close_prompt(kind),
                (KeyCode::Enter, _, _) => {
                    let Mode::Prompt(p) = std::mem::replace(&mut self.mode, Mode::Normal) else {
                        return Vec::new();
                    };
                    return self.run_prompt(kind, p.line.text());
                }
                (KeyCode::Up, false, false) | (KeyCode::Char('p'), true, false) => {
                    p.recall(self.history.of(kind), true);
                }
                (KeyCode::Down, false, false) | (KeyCode::Char('n'), true, false) => {
                    p.recall(self.history.of(kind), false);
                }
                (KeyCode::Tab, _, _) => self.complete(),
                _ => {
                    if p.line.edit(key) == Edit::Empty {
                        self.close_prompt(kind);
                    } else if kind == PromptKind::Help {
                        // Help filters as the text is typed.
                        self.help.query = p.line.text();
                        self.help.top = 0;
                    }
                }
            }
            return Vec::new();
        }
        match &mut self.mode {
            Mode::Timeline => {
                let a = self.keymap.action(key);
                if a == Some(Action::Timeline) || a == Some(Action::Back) {
                    self.mode = Mode::Normal;
                    return Vec::new();
                }
                let mut fx = self.timeline_action(a);
                fx.extend(self.sync_logs());
                fx
            }
            Mode::Slo => {
                match self.keymap.action(key) {
                    Some(Action::Quit) => return self.update(Action::Quit),
                    Some(Action::Back | Action::Slo) => self.mode = Mode::Normal,
                    _ => {}
                }
                Vec::new()
            }
            Mode::Help => {
                self.help_action(self.keymap.action(key));
                if self.should_quit { vec![Effect::Quit] } else { Vec::new() }
            }
            _ => match self.keymap.action(key) {
                Some(a) => self.update(a),
                None => {
                    self.dirty = false;
                    Vec::new()
                }
            },
        }
    }

    /// Keys in help: movement scrolls, `/` looks for text, `n`/`N` go to the next or
    /// previous entry with it; esc clears the search, then closes help.
    fn help_action(&mut self, a: Option<Action>) {
        let h = &mut self.help;
        let page = h.page.get().max(1);
        let max = h.max_top.get();
        match a {
            Some(Action::Quit) => {
                self.should_quit = true;
            }
            Some(Action::Up) => h.top = h.top.saturating_sub(1),
            Some(Action::Down) => h.top = (h.top + 1).min(max),
            Some(Action::PageUp) => h.top = h.top.saturating_sub(page),
            Some(Action::PageDown) => h.top = (h.top + page).min(max),
            Some(Action::Top) => h.top = 0,
            Some(Action::Bottom) => h.top = max,
            Some(Action::Search) => {
                let q = h.query.clone();
                self.mode = Mode::Prompt(Prompt::new(PromptKind::Help, &q));
            }
            Some(Action::Back) if !h.query.is_empty() => {
                h.query.clear();
                h.top = 0;
            }
            Some(Action::Back | Action::Help) => self.mode = Mode::Normal,
            // Any other key closes help, so nobody is stuck in it.
            _ => self.mode = Mode::Normal,
        }
    }

    /// Esc in a prompt: help's search goes back to help, the others to the panes.
    fn close_prompt(&mut self, kind: PromptKind) {
        self.mode = if kind == PromptKind::Help { Mode::Help } else { Mode::Normal };
    }

    /// Enter in a prompt: keep the line in its history and do what it says.
    fn run_prompt(&mut self, kind: PromptKind, line: String) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.history.push(kind, &line) {
            fx.push(Effect::SaveHistory(kind));
        }
        fx.extend(match kind {
            PromptKind::Command => self.run_command(&line),
            PromptKind::Correlation => self.set_correlations(parse_ids(&line)),
            PromptKind::Search => self.set_search(Some(line)),
            PromptKind::Help => {
                self.help.query = line.trim().to_string();
                self.help.top = 0;
                self.mode = Mode::Help;
                Vec::new()
            }
        });
        fx
    }

    /// Open a prompt with `prefill` selected (typing replaces it).
    fn open_prompt(&mut self, kind: PromptKind, prefill: &str) {
        self.mode = Mode::Prompt(Prompt::new(kind, prefill));
    }

    /// The names tab completes the word before the cursor with.
    fn completions(&self, kind: PromptKind, before: &str) -> Vec<String> {
        let words: Vec<&str> = before.split_whitespace().collect();
        let new_word = before.is_empty() || before.ends_with(char::is_whitespace);
        let index = if new_word { words.len() } else { words.len().saturating_sub(1) };
        let regions = || self.boundary.regions().map(|(_, r)| r.to_string()).collect::<Vec<_>>();
        match kind {
            PromptKind::Command if index == 0 => {
                COMMAND_NAMES.iter().map(|c| c.to_string()).collect()
            }
            PromptKind::Command => match words[0] {
                "region" if index == 1 => regions(),
                "region" if index == 2 => self.service_names(words.get(1).copied()),
                "service" if index == 1 => self.service_names(None),
                "theme" if index == 1 => self.theme_names.clone(),
                "scenario" if index == 1 => crate::source::sim::scenario::BUILT_IN
                    .iter()
                    .map(|(n, _)| n.to_string())
                    .collect(),
                "window" if index == 1 => WINDOWS.iter().map(|(n, _)| n.to_string()).collect(),
                "snapshot" if index == 1 => vec!["svg".into(), "html".into(), "txt".into()],
                "cid" | "trace" => self.known_ids(),
                _ => Vec::new(),
            },
            PromptKind::Correlation => self.known_ids(),
            PromptKind::Search | PromptKind::Help => Vec::new(),
        }
    }

    /// Correlation ids on screen: the failing requests listed and the lines of the tail.
    fn known_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> =
            self.failing.requests.iter().map(|r| r.correlation_id.clone()).collect();
        ids.extend(self.logs.correlation_ids.iter().cloned());
        if let Some(t) = self.trace.trace() {
            ids.push(t.correlation_id.clone());
        }
        ids.retain(|i| !i.is_empty());
        ids.sort();
        ids.dedup();
        ids
    }

    /// Tab: complete the word before the cursor; several candidates are completed as far as
    /// they agree and listed in the status bar.
    fn complete(&mut self) {
        let Mode::Prompt(p) = &self.mode else { return };
        let kind = p.kind;
        let before = p.line.before_cursor();
        let start = before.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
        let word = before[start..].to_string();
        let from = before[..start].chars().count();
        let mut names: Vec<String> =
            self.completions(kind, &before).into_iter().filter(|n| n.starts_with(&word)).collect();
        names.sort();
        names.dedup();
        let Mode::Prompt(p) = &mut self.mode else { return };
        match names.as_slice() {
            [] => self.message = Some((format!("nothing to complete `{word}` with"), false)),
            [one] => {
                p.line.replace_before_cursor(from, &format!("{one} "));
                self.message = None;
            }
            many => {
                let common = prompt::common_prefix(many);
                p.line.replace_before_cursor(from, &common);
                let shown: Vec<&str> = many.iter().take(12).map(String::as_str).collect();
                let more = if many.len() > 12 { " …" } else { "" };
                self.message = Some((format!("{}{more}", shown.join("  ")), false));
            }
        }
    }

    /// A click or the wheel at column `x`, row `y` of the last frame: a click focuses the
    /// pane and selects the row under it (a click on the selected row of the main pane
    /// drills in), a click on the breadcrumb goes back, the wheel scrolls the pane under the
    /// pointer.
    pub fn on_mouse(&mut self, kind: MouseKind, x: u16, y: u16) -> Vec<Effect> {
        if !self.mouse {
            return Vec::new();
        }
        let inside = |r: &ratatui::layout::Rect| {
            x >= r.x
                && x < r.x.saturating_add(r.width)
                && y >= r.y
                && y < r.y.saturating_add(r.height)
        };
        match (&self.mode, kind) {
            (Mode::Help, MouseKind::ScrollUp) => {
                self.dirty = true;
                self.help_action(Some(Action::Up));
                return Vec::new();
            }
            (Mode::Help, MouseKind::ScrollDown) => {
                self.dirty = true;
                self.help_action(Some(Action::Down));
                return Vec::new();
            }
            (Mode::Normal, _) => {}
            _ => return Vec::new(),
        }
        let (crumb, pane, row) = {
            let h = self.hits.borrow();
            let crumb = h.crumb.as_ref().is_some_and(inside);
            let pane = h.panes.iter().rev().find(|(_, r)| inside(r)).map(|(p, _)| *p);
            let row = pane.and_then(|p| {
                h.rows.iter().find(|(q, ry, _)| *q == p && *ry == y).map(|(_, _, i)| *i)
            });
            (crumb, pane, row)
        };
        self.dirty = true;
        if crumb && kind == MouseKind::Click {
            self.focus = Focus::Main;
            return self.update(Action::Back);
        }
        let Some(pane) = pane else { return Vec::new() };
        self.focus = pane;
        match kind {
            MouseKind::ScrollUp | MouseKind::ScrollDown => {
                let a = if kind == MouseKind::ScrollUp { Action::Up } else { Action::Down };
                let mut fx = Vec::new();
                for _ in 0..3 {
                    fx.extend(self.update(a));
                }
                fx
            }
            MouseKind::Click => {
                let Some(i) = row else { return Vec::new() };
                match pane {
                    Focus::Main if self.level().selected == i => self.update(Action::DrillIn),
                    Focus::Main => {
                        self.level_mut().selected = i.min(self.row_count().saturating_sub(1));
                        self.sync_logs()
                    }
                    Focus::Logs => {
                        self.logs.select_index(i);
                        Vec::new()
                    }
                    Focus::Changes => {
                        self.changes.moved = true;
                        self.changes.selected =
                            i.min(self.changes.shown().count().saturating_sub(1));
                        Vec::new()
                    }
                }
            }
        }
    }

    /// Pasted text (bracketed paste) goes to the input line, as one line.
    pub fn on_paste(&mut self, text: &str) {
        if let Mode::Prompt(p) = &mut self.mode {
            p.line.insert(text.trim_end());
            if p.kind == PromptKind::Help {
                self.help.query = p.line.text();
            }
            self.dirty = true;
        }
    }

    /// Apply an action.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut fx = self.apply(action);
        fx.extend(self.sync_logs());
        fx
    }

    fn apply(&mut self, action: Action) -> Vec<Effect> {
        self.dirty = true;
        if self.focus == Focus::Logs {
            let page = self.logs.page.max(1) as isize;
            let moved = match action {
                Action::Up => Some(-1),
                Action::Down => Some(1),
                Action::PageUp => Some(-page),
                Action::PageDown => Some(page),
                _ => None,
            };
            if let Some(d) = moved {
                self.log_move(d);
                return Vec::new();
            }
            match action {
                // A line that names its trace (a Lambda REPORT, an X-Ray header) opens it.
                Action::DrillIn | Action::ShowLogs if !self.logs.detail => {
                    if let Some(t) = self.logs.selected_event().and_then(|e| e.trace_id) {
                        return self.open_trace(TraceKey::TraceId(t));
                    }
                    if action == Action::DrillIn {
                        self.logs.detail = true;
                    }
                    return Vec::new();
                }
                Action::DrillIn | Action::Pretty => {
                    self.logs.detail = !self.logs.detail;
                    return Vec::new();
                }
                Action::Top => {
                    self.log_top();
                    return Vec::new();
                }
                Action::Bottom | Action::Follow => {
                    self.log_follow();
                    return Vec::new();
                }
                Action::Back if self.logs.detail => {
                    self.logs.detail = false;
                    return Vec::new();
                }
                _ => {}
            }
        }
        if self.focus == Focus::Changes {
            let n = self.changes.shown().count();
            let last = n.saturating_sub(1);
            let page = self.changes.page.max(1);
            let sel = self.changes.selected;
            let moved = match action {
                Action::Up => Some(sel.saturating_sub(1)),
                Action::Down => Some((sel + 1).min(last)),
                Action::PageUp => Some(sel.saturating_sub(page)),
                Action::PageDown => Some((sel + page).min(last)),
                Action::Top => Some(0),
                Action::Bottom => Some(last),
                _ => None,
            };
            if let Some(s) = moved {
                self.changes.selected = s;
                self.changes.moved = true;
                return Vec::new();
            }
            match action {
                Action::DrillIn | Action::Pretty => {
                    self.changes.detail = !self.changes.detail;
                    return Vec::new();
                }
                Action::Back if self.changes.detail => {
                    self.changes.detail = false;
                    return Vec::new();
                }
                _ => {}
            }
        }
        if let View::Trace { .. } = self.view() {
            match action {
                Action::DrillIn => return self.trace_enter(),
                Action::Pretty => {
                    self.trace.detail = !self.trace.detail;
                    return Vec::new();
                }
                Action::Back if self.trace.detail => {
                    self.trace.detail = false;
                    return Vec::new();
                }
                Action::ShowLogs => return self.span_logs(),
                _ => {}
            }
        }
        let count = self.row_count();
        let page = self.page.max(1);
        let sel = self.level().selected;
        let last = count.saturating_sub(1);
        match action {
            Action::Quit => {
                self.should_quit = true;
                return vec![Effect::Quit];
            }
            Action::Up => self.level_mut().selected = sel.saturating_sub(1),
            Action::Down => self.level_mut().selected = (sel + 1).min(last),
            Action::PageUp => self.level_mut().selected = sel.saturating_sub(page),
            Action::PageDown => self.level_mut().selected = (sel + page).min(last),
            Action::Top => self.level_mut().selected = 0,
            Action::Bottom => self.level_mut().selected = last,
            Action::DrillIn => return self.drill_in(),
            Action::Back => {
                self.message = None;
                if self.stack.len() > 1 {
                    let fx = self.pop_level();
                    self.recompute();
                    return fx;
                }
            }
            Action::NextWindow | Action::PrevWindow => {
                let i = WINDOWS.iter().position(|(_, w)| *w == self.window).unwrap_or(0) as i64;
                let step = if action == Action::NextWindow { 1 } else { -1 };
                let j = (i + step).clamp(0, WINDOWS.len() as i64 - 1) as usize;
                return self.set_window(WINDOWS[j].1);
            }
            Action::Pause => {
                if self.clock.is_simulated() {
                    let paused = !self.clock.is_paused();
                    self.clock.set_paused(paused);
                    self.message =
                        Some((if paused { "clock paused" } else { "clock running" }.into(), false));
                    if !paused {
                        return vec![Effect::FetchMetrics { span: self.span() }];
                    }
                } else {
                    self.message = Some(("live data: the clock cannot be paused".into(), true));
                }
            }
            Action::Refresh => {
                let mut fx = vec![Effect::FetchMetrics { span: self.span() }];
                fx.extend(self.fetch_failing());
                let mut what = vec!["metrics"];
                if fx.len() > 1 {
                    what.push("failing requests");
                }
                if matches!(self.view(), View::Trace { .. })
                    && let Some(key) = self.trace.key.clone()
                {
                    fx.extend(self.refetch_trace(key));
                    what.push("the trace");
                }
                fx.extend(self.restart_logs());
                what.push("the log tail");
                fx.extend(self.fetch_changes());
                what.push("the change feed");
                self.message = Some((format!("refreshing {}…", what.join(", ")), false));
                return fx;
            }
            Action::Command => self.open_prompt(PromptKind::Command, ""),
            Action::Help => self.mode = Mode::Help,
            Action::FocusNext => {
                self.focus = match self.focus {
                    Focus::Main => Focus::Logs,
                    Focus::Logs => Focus::Changes,
                    Focus::Changes => Focus::Main,
                };
            }
            Action::FocusPrev => {
                self.focus = match self.focus {
                    Focus::Main => Focus::Changes,
                    Focus::Logs => Focus::Main,
                    Focus::Changes => Focus::Logs,
                };
            }
            Action::ShowLogs => {
                if let Some(r) = self.selected_request() {
                    let cid = r.correlation_id.clone();
                    return self.set_correlation(Some(cid));
                }
                self.focus = Focus::Logs;
            }
            Action::Correlation => {
                let current = if self.logs.correlation_ids.is_empty() {
                    self.selected_request().map(|r| r.correlation_id.clone()).unwrap_or_default()
                } else {
                    self.logs.correlation_ids.join(" ")
                };
                self.open_prompt(PromptKind::Correlation, &current);
            }
            Action::Search => {
                let current = self.logs.text.clone().unwrap_or_default();
                self.open_prompt(PromptKind::Search, &current);
            }
            Action::ClearFilters => {
                let cleared = self.filters();
                self.logs.text = None;
                self.logs.range = None;
                self.logs.correlation_ids.clear();
                self.logs.follow = true;
                self.message = Some(if cleared.is_empty() {
                    ("no log tail filter to clear".into(), false)
                } else {
                    (format!("cleared {}", cleared.join(" · ")), false)
                });
                return self.sync_logs();
            }
            Action::Follow => self.logs.follow = true,
            Action::NextMatch | Action::PrevMatch => {
                self.log_next_match(action == Action::NextMatch)
            }
            Action::NextError | Action::PrevError => {
                self.log_next_error(action == Action::NextError)
            }
            Action::CopyId => return self.copy_id(),
            Action::Pretty => {
                self.focus = Focus::Logs;
                self.logs.detail = !self.logs.detail;
            }
            Action::Fold => self.trace_fold(),
            Action::Mark => return self.mark(false),
            Action::Finding => return self.mark(true),
            Action::Timeline => self.toggle_timeline(),
            Action::Slo => self.toggle_slo(),
            Action::Undo => return self.undo(),
            Action::Unmark => {
                self.message = Some(("d unmarks in the timeline (t)".into(), false));
            }
            Action::Zoom => self.zoom = !self.zoom,
            Action::Redact => {
                self.redacting = !self.redacting;
                self.message = Some((
                    if self.redacting {
                        "redaction on: tenant ids, users, emails, IPs and secrets are masked"
                    } else {
                        "redaction OFF: sensitive values are shown (R masks them again)"
                    }
                    .into(),
                    false,
                ));
            }
            Action::CriticalPath => self.trace.critical = !self.trace.critical,
        }
        Vec::new()
    }

    /// Copy the correlation id of the selection: a log line, or a failing request.
    fn copy_id(&mut self) -> Vec<Effect> {
        let id = match self.focus {
            Focus::Logs => self.logs.selected_event().and_then(|e| e.correlation_id),
            Focus::Main => self.selected_request().map(|r| r.correlation_id.clone()),
            // The audit trail's event id: evidence for the report.
            Focus::Changes => self.changes.selected_change().map(|c| c.id.clone()),
        };
        match id {
            Some(id) => {
                self.message = Some((format!("copied {id}"), false));
                vec![Effect::Copy(id)]
            }
            None => {
                self.message = Some(("nothing selected has a correlation id".into(), true));
                Vec::new()
            }
        }
    }

    /// Show a service of the region in view (an alert's).
    pub fn drill_to_service(&mut self, service: &str) -> Vec<Effect> {
        let View::Region { region } = self.view().clone() else { return Vec::new() };
        self.push(View::Service { region, service: service.to_string() })
    }

    fn drill_in(&mut self) -> Vec<Effect> {
        // A failing request opens its waterfall (and the log tail on its correlation id).
        if let Some(r) = self.selected_request() {
            // A request found by its trace (X-Ray, a Lambda REPORT) without a correlation id
            // opens by its trace id.
            let key = match (&r.trace_id, r.correlation_id.is_empty()) {
                (Some(t), true) => TraceKey::TraceId(t.clone()),
                _ => TraceKey::CorrelationId(r.correlation_id.clone()),
            };
            return self.open_trace(key);
        }
        let Some(row) = self.rows.get(self.level().selected) else { return Vec::new() };
        let next = match self.view().clone() {
            View::Overview => View::Region { region: row.name.clone() },
            View::Region { region } => View::Service { region, service: row.name.clone() },
            View::Service { region, service } => {
                View::Operation { region, service, operation: row.name.clone() }
            }
            View::Operation { .. } | View::Trace { .. } => return Vec::new(),
        };
        self.push(next)
    }

    fn push(&mut self, view: View) -> Vec<Effect> {
        self.message = None;
        self.stack.push(Level::new(view));
        self.recompute();
        self.select_worst();
        self.fetch_failing()
    }

    /// Put the selection on the worst row (the anomaly) when it is unhealthy, so enter
    /// drills into the trouble. Rows below the overview are sorted worst first already.
    fn select_worst(&mut self) {
        let worst = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.stats.as_ref().is_some_and(|s| s.health > analysis::Health::Normal))
            .max_by(|(i, a), (j, b)| {
                let h = |r: &Row| r.stats.as_ref().map(|s| s.health);
                let e = |r: &Row| r.stats.as_ref().map(|s| s.window.error_pct()).unwrap_or(0.0);
                h(a).cmp(&h(b)).then(e(a).total_cmp(&e(b))).then(j.cmp(i))
            })
            .map(|(i, _)| i);
        if let Some(i) = worst {
            self.level_mut().selected = i;
        }
    }

    /// Ask for the failing requests when an operation is on top of the stack.
    fn fetch_failing(&mut self) -> Vec<Effect> {
        let View::Operation { .. } = self.view() else { return Vec::new() };
        let Some(scope) = self.view().scope() else { return Vec::new() };
        let generation = self.next_generation;
        self.next_generation += 1;
        self.failing = Failing { generation, loading: true, ..Failing::default() };
        let to = self.clock.now();
        vec![Effect::FetchFailing { generation, scope, from: to - self.window, to }]
    }

    fn set_window(&mut self, window: Millis) -> Vec<Effect> {
        if window == self.window {
            return Vec::new();
        }
        self.window = window;
        self.message = Some((format!("window {}", window_name(window)), false));
        self.recompute();
        let mut fx = vec![Effect::FetchMetrics { span: self.span() }];
        fx.extend(self.fetch_failing());
        fx
    }

    /// Run a `:` command.
    pub fn run_command(&mut self, line: &str) -> Vec<Effect> {
        let mut fx = self.command(line);
        fx.extend(self.sync_logs());
        fx
    }

    fn command(&mut self, line: &str) -> Vec<Effect> {
        self.dirty = true;
        let mut words = line.split_whitespace();
        let cmd = words.next().unwrap_or("");
        let arg = words.next();
        let err = |app: &mut App, m: String| {
            app.message = Some((m, true));
            Vec::new()
        };
        match (cmd, arg) {
            ("", _) => Vec::new(),
            ("q" | "quit", _) => self.update(Action::Quit),
            ("cid", _) => {
                let rest = line.trim_start().strip_prefix("cid").unwrap_or("");
                self.set_correlations(parse_ids(rest))
            }
            ("report", _) => {
                let dir = crate::dirs::data_dir().map(|d| d.join("reports"));
                vec![Effect::WriteReport(self.report_text(dir))]
            }
            ("note", _) => {
                let text = line.trim_start().strip_prefix("note").unwrap_or("").to_string();
                self.note(&text)
            }
            ("undo", _) => self.undo(),
            ("timeline", _) => {
                self.toggle_timeline();
                Vec::new()
            }
            ("slo", _) => {
                self.toggle_slo();
                Vec::new()
            }
            ("theme", Some(name)) => vec![Effect::SwitchTheme(name.to_string())],
            ("snapshot", format) => match ScreenFormat::parse(format.unwrap_or("svg")) {
                Some(f) => vec![Effect::Snapshot(f)],
                None => err(self, ":snapshot writes svg, html or txt".into()),
            },
            ("read-only", _) => {
                self.changes.show_read_only = !self.changes.show_read_only;
                let shown = if self.changes.show_read_only { "shown" } else { "hidden" };
                self.message =
                    Some((format!("read-only events {shown} in the change feed"), false));
                self.changes.selected = 0;
                Vec::new()
            }
            ("trace", Some(id)) => {
                // X-Ray trace ids look like 1-5759e988-bd862e3fe1be46a994272793.
                let is_trace_id = id.starts_with("1-") && id.matches('-').count() == 2;
                let key = if is_trace_id {
                    TraceKey::TraceId(id.to_string())
                } else {
                    TraceKey::CorrelationId(id.to_string())
                };
                self.open_trace(key)
            }
            ("help", _) => self.update(Action::Help),
            ("top" | "overview", _) => {
                while self.stack.len() > 1 {
                    self.pop_level();
                }
                self.recompute();
                Vec::new()
            }
            ("region", Some(r)) => {
                if !self.boundary.contains(r) {
                    return err(self, self.unknown_region(r));
                }
                let service = words.next();
                if let Some(s) = service
                    && !self.service_names(Some(r)).iter().any(|n| n == s)
                {
                    return err(self, self.unknown_service(s, Some(r)));
                }
                while self.stack.len() > 1 {
                    self.pop_level();
                }
                let mut fx = self.push(View::Region { region: r.to_string() });
                if let Some(s) = service {
                    fx.extend(self.drill_to_service(s));
                }
                fx
            }
            ("service", Some(s)) => {
                let region = match self.view() {
                    View::Overview => self.rows.get(self.level().selected).map(|r| r.name.clone()),
                    v => v.scope().map(|s| s.region),
                };
                let Some(region) = region else {
                    return err(self, ":service needs a region: :region NAME first".into());
                };
                if !self.service_names(Some(&region)).iter().any(|n| n == s) {
                    return err(self, self.unknown_service(s, Some(&region)));
                }
                self.run_command(&format!("region {region} {s}"))
            }
            ("window", Some(w)) => match parse_window(w) {
                Ok(w) => self.set_window(w),
                Err(e) => err(self, e),
            },
            ("scenario", Some(s)) => {
                if !self.clock.is_simulated() {
                    return err(self, ":scenario works in the demo only".into());
                }
                vec![Effect::SwitchScenario(s.to_string())]
            }
            ("onset", arg) => {
                let rest: Vec<&str> = line.split_whitespace().skip(1).collect();
                let text = rest.join(" ");
                if arg.is_none() || text == "auto" {
                    self.onset = None;
                    self.message = Some(("onset: detected from the data again".into(), false));
                } else {
                    let Some(t) = crate::model::parse_moment(&text, self.clock.now()) else {
                        return err(
                            self,
                            format!(
                                "`{text}` is not a time like 2026-11-19T13:42:02Z, \
                                 2026-11-19T14:42:02+01:00 or 13:42:02 (UTC)"
                            ),
                        );
                    };
                    self.onset = Some(t);
                    let shown = crate::model::format_datetime(t);
                    self.message = Some((format!("onset set to {shown} UTC"), false));
                }
                self.rank_suspects();
                Vec::new()
            }
            ("at", Some(_)) => {
                if !self.clock.can_jump() {
                    return err(self, ":at works in the demo and on evidence only".into());
                }
                let t = line.split_whitespace().skip(1).collect::<Vec<_>>().join(" ");
                let (t, now) = (t.as_str(), self.clock.now());
                let to = match parse_hms(t) {
                    Some(tod) => Some(now - now.rem_euclid(crate::model::DAY_MS) + tod),
                    None => crate::model::parse_moment(t, now),
                };
                let Some(to) = to else {
                    return err(self, format!("`{t}` is not a time like 09:20 or 09:20:30"));
                };
                self.clock.jump(to);
                self.message = Some((format!("clock set to {t}"), false));
                let mut fx = vec![Effect::FetchMetrics { span: self.span() }];
                fx.extend(self.fetch_failing());
                fx.extend(self.restart_logs());
                fx
            }
            ("region" | "service" | "window" | "scenario" | "at" | "trace" | "theme", None) => {
                err(self, format!(":{cmd} needs an argument (see ? for help)"))
            }
            _ => {
                let near = prompt::did_you_mean(cmd, COMMAND_NAMES.iter().copied());
                err(
                    self,
                    format!(
                        "unknown command :{cmd}{near} (try :region NAME, :cid ID, :window 15m, :theme NAME, :snapshot, :q; tab completes)"
                    ),
                )
            }
        }
    }

    /// `nope-1 is not a region of the boundary (did you mean …?); regions: …`.
    pub fn unknown_region(&self, r: &str) -> String {
        let all: Vec<&str> = self.boundary.regions().map(|(_, r)| r).collect();
        let near = prompt::did_you_mean(r, all.iter().copied());
        format!("unknown region {r}{near}: the boundary has {}", all.join(", "))
    }

    /// `no service x in eu-west-1 (did you mean …?); its services: …`.
    pub fn unknown_service(&self, s: &str, region: Option<&str>) -> String {
        let all = self.service_names(region);
        let near = prompt::did_you_mean(s, all.iter().map(String::as_str));
        let place = region.map(|r| format!(" in {r}")).unwrap_or_default();
        if all.is_empty() {
            return format!("unknown service {s}{place}: no service is known there yet");
        }
        format!("unknown service {s}{place}{near}: services are {}", all.join(", "))
    }

    /// The services known in a region (or anywhere): from the metrics and the config.
    pub fn service_names(&self, region: Option<&str>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let Some(m) = &self.metrics {
            for (r, rm) in &m.regions {
                if region.is_none_or(|x| x == r) {
                    out.extend(rm.services.keys().cloned());
                }
            }
        }
        out.extend(
            self.services
                .iter()
                .filter(|s| region.is_none_or(|r| s.runs_in(r)))
                .map(|s| s.name.clone()),
        );
        out.sort();
        out.dedup();
        out
    }

    /// How an onset is written: to the minute in the demo, with its date and second on
    /// evidence or once the engineer set it.
    pub fn onset_label(&self, at: Millis) -> String {
        let set = if self.onset == Some(at) { ", set" } else { "" };
        if self.clock.is_fixed() || !set.is_empty() {
            format!("{} UTC{set}", crate::model::format_datetime(at))
        } else {
            crate::model::format_hm(at)
        }
    }

    /// Read from other sources from now on (`:scenario`): back to the overview, no data.
    pub fn replace_source(&mut self, clock: Clock, source: SourceInfo) -> Vec<Effect> {
        self.message = Some((
            format!("scenario {}", source.scenario.as_deref().unwrap_or(&source.name)),
            false,
        ));
        self.clock = clock;
        self.source = source;
        self.metrics = None;
        self.metrics_received = None;
        self.metrics_error = None;
        self.stack.truncate(1);
        self.level_mut().selected = 0;
        self.recompute();
        self.dirty = true;
        self.restart_logs()
    }

    /// Apply data from a source.
    pub fn on_source(&mut self, msg: SourceMsg) -> Vec<Effect> {
        self.dirty = true;
        match msg {
            SourceMsg::Metrics { result: Ok(snap), received } => {
                let first = self.metrics.is_none();
                self.metrics = Some(Arc::new(snap));
                self.metrics_received = Some(received);
                self.metrics_error = None;
                self.recompute();
                // The cursor starts on the anomaly.
                if first {
                    self.select_worst();
                }
                let mut fx = self.sync_logs();
                fx.extend(self.fetch_changes());
                return fx;
            }
            SourceMsg::Changes { generation, result, received } => {
                self.on_changes(generation, result, received)
            }
            SourceMsg::Logs { generation, update, backfill, received } => {
                self.on_logs(generation, update, backfill, received)
            }
            SourceMsg::Trace { generation, result } => {
                self.on_trace(generation, result);
                return self.sync_logs();
            }
            SourceMsg::Metrics { result: Err(e), received } => {
                // The other panes do not wait for metrics: without them the rows come from
                // the boundary and the known services, and logs and changes are read anyway.
                self.metrics_error = Some((e, received));
                self.recompute();
                let mut fx = self.sync_logs();
                fx.extend(self.fetch_changes());
                return fx;
            }
            SourceMsg::Failing { generation, result } if self.is_evidence_reply(generation) => {
                self.on_evidence(result);
            }
            SourceMsg::Failing { generation, result } => {
                if generation != self.failing.generation {
                    return Vec::new(); // a late reply for a view no longer shown
                }
                self.failing.loading = false;
                match result {
                    Ok(r) => {
                        self.failing.requests = r;
                        self.failing.error = None;
                    }
                    Err(e) => self.failing.error = Some(e.to_string()),
                }
                let last = self.failing.requests.len().saturating_sub(1);
                let l = self.level_mut();
                l.selected = l.selected.min(last);
            }
        }
        Vec::new()
    }

    /// Recompute the rows of the current view and the verdict from the latest snapshot.
    /// Runs when data or the view changes, never while drawing.
    pub fn recompute(&mut self) {
        let Some(snap) = self.metrics.clone() else {
            self.rows = self.rows_without_metrics();
            let count = self.row_count();
            let l = self.level_mut();
            l.selected = l.selected.min(count.saturating_sub(1));
            return;
        };
        let (w, b) = (self.window, self.baseline);
        self.judge_slos();
        // Each region's health (with its hot spot) once: the verdict and the overview share it.
        let health: Vec<(&str, &str, Option<analysis::RegionHealth>)> = self
            .boundary
            .regions()
            .map(|(c, r)| {
                (c, r, snap.regions.get(r).map(|m| analysis::region_health(m, snap.now, w, b)))
            })
            .collect();
        // Health is the worse of the baseline's judgment and the objectives'.
        let health: Vec<(&str, &str, Option<analysis::RegionHealth>)> = health
            .into_iter()
            .map(|(c, r, h)| {
                let h = h.map(|(mut total, hot)| {
                    health::worse_of(&mut total, analysis::slo::worst(&self.slo, r, None));
                    (total, hot)
                });
                (c, r, h)
            })
            .collect();
        let verdict_rows: Vec<(String, analysis::RowStats)> = health
            .iter()
            .filter_map(|(_, r, h)| h.as_ref().map(|h| analysis::verdict_row(r, h)))
            .collect();
        self.verdict = analysis::verdict(&self.boundary, &verdict_rows);
        let stats = |s: &crate::model::RedSeries| Some(analysis::row_stats(s, snap.now, w, b));
        self.rows = match self.view() {
            View::Overview => health
                .into_iter()
                .map(|(c, r, h)| {
                    let (stats, hotspot) = match h {
                        Some((mut total, Some((op, worst)))) => {
                            // The region's numbers, the hot spot's health and onset.
                            total.health = worst.health;
                            total.signal = worst.signal;
                            total.onset = worst.onset;
                            (Some(total), Some(op))
                        }
                        Some((total, None)) => (Some(total), None),
                        None => (None, None),
                    };
                    Row {
                        name: r.to_string(),
                        group: Some(c.to_string()),
                        stats,
                        error: snap.region_errors.get(r).cloned(),
                        hotspot,
                    }
                })
                .collect(),
            View::Region { region } => match snap.regions.get(region) {
                Some(m) => m
                    .services
                    .iter()
                    .map(|(name, s)| Row {
                        name: name.clone(),
                        group: None,
                        stats: stats(&s.total),
                        error: None,
                        hotspot: None,
                    })
                    .collect(),
                // The region did not answer: its known services, to drill into.
                None => self.rows_without_metrics(),
            },
            View::Trace { .. } => Vec::new(),
            View::Service { region, service } | View::Operation { region, service, .. } => {
                match snap.regions.get(region).and_then(|m| m.services.get(service)) {
                    Some(s) => s
                        .operations
                        .iter()
                        .map(|(name, s)| Row {
                            name: name.clone(),
                            group: None,
                            stats: stats(s),
                            error: None,
                            hotspot: None,
                        })
                        .collect(),
                    None => self.rows_without_metrics(),
                }
            }
        };
        // Worst first below the overview, so the trouble is on top.
        if !matches!(self.view(), View::Overview | View::Operation { .. } | View::Trace { .. }) {
            self.rows.sort_by(|a, b| {
                let h = |r: &Row| r.stats.as_ref().map(|s| s.health);
                let e = |r: &Row| r.stats.as_ref().map(|s| s.window.error_pct()).unwrap_or(0.0);
                h(b).cmp(&h(a)).then(e(b).total_cmp(&e(a))).then(a.name.cmp(&b.name))
            });
        }
        let count = self.row_count();
        let l = self.level_mut();
        l.selected = l.selected.min(count.saturating_sub(1));
        self.rank_suspects();
        self.one_onset();
    }

    /// One onset: a row whose onset is the minute of the anomaly's (or the incident's) shows
    /// that onset, to the second where the source knows when requests failed.
    fn one_onset(&mut self) {
        let known: Vec<crate::analysis::suspects::Anomaly> =
            [self.changes.anomaly.clone(), self.changes.incident.clone()]
                .into_iter()
                .flatten()
                .collect();
        let view = self.view().clone();
        for row in &mut self.rows {
            let (region, service) = match &view {
                View::Overview => (row.name.as_str(), None),
                View::Region { region } => (region.as_str(), Some(row.name.as_str())),
                View::Service { region, service } | View::Operation { region, service, .. } => {
                    (region.as_str(), Some(service.as_str()))
                }
                View::Trace { .. } => continue,
            };
            let Some(st) = row.stats.as_mut() else { continue };
            let Some(o) = st.onset else { continue };
            if let Some(a) = known.iter().find(|a| {
                a.region == region
                    && a.onset - a.onset.rem_euclid(MINUTE_MS) == o
                    && (service.is_none() || a.service.is_none() || a.service.as_deref() == service)
            }) {
                st.onset = Some(a.onset);
            }
        }
    }

    /// The selected failing request, in the operation view.
    pub fn selected_request(&self) -> Option<&RequestSample> {
        match self.view() {
            View::Operation { .. } => self.failing.requests.get(self.level().selected),
            _ => None,
        }
    }

    /// The minute the metrics are complete up to.
    pub fn metrics_until(&self) -> Option<Millis> {
        self.metrics.as_ref().map(|m| m.now - m.now.rem_euclid(MINUTE_MS))
    }
}
