//! What the user means. Keys map to actions (see `keys.toml`); actions change state only in
//! [`super::App::update`].

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    DrillIn,
    Back,
    NextWindow,
    PrevWindow,
    Pause,
    Refresh,
    Command,
    Help,
    FocusNext,
    FocusPrev,
    ShowLogs,
    Correlation,
    Search,
    ClearFilters,
    Follow,
    NextMatch,
    PrevMatch,
    NextError,
    PrevError,
    CopyId,
    Pretty,
    Fold,
    CriticalPath,
    Mark,
    Finding,
    Timeline,
    Slo,
    Undo,
    Unmark,
    Zoom,
    Redact,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::DrillIn,
        Action::Back,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::NextWindow,
        Action::PrevWindow,
        Action::Pause,
        Action::Refresh,
        Action::FocusNext,
        Action::FocusPrev,
        Action::ShowLogs,
        Action::Correlation,
        Action::Search,
        Action::ClearFilters,
        Action::Follow,
        Action::NextMatch,
        Action::PrevMatch,
        Action::NextError,
        Action::PrevError,
        Action::CopyId,
        Action::Pretty,
        Action::Fold,
        Action::CriticalPath,
        Action::Mark,
        Action::Finding,
        Action::Timeline,
        Action::Slo,
        Action::Undo,
        Action::Unmark,
        Action::Zoom,
        Action::Redact,
        Action::Command,
        Action::Help,
        Action::Quit,
    ];

    /// The name used in `keys.toml` and `[keys]`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page-up",
            Action::PageDown => "page-down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::DrillIn => "drill-in",
            Action::Back => "back",
            Action::NextWindow => "next-window",
            Action::PrevWindow => "prev-window",
            Action::Pause => "pause",
            Action::Refresh => "refresh",
            Action::Command => "command",
            Action::Help => "help",
            Action::FocusNext => "focus-next",
            Action::FocusPrev => "focus-prev",
            Action::ShowLogs => "show-logs",
            Action::Correlation => "correlation",
            Action::Search => "search",
            Action::ClearFilters => "clear-filters",
            Action::Follow => "follow",
            Action::NextMatch => "next-match",
            Action::PrevMatch => "prev-match",
            Action::NextError => "next-error",
            Action::PrevError => "prev-error",
            Action::CopyId => "copy-id",
            Action::Pretty => "pretty",
            Action::Fold => "fold",
            Action::CriticalPath => "critical-path",
            Action::Mark => "mark",
            Action::Finding => "finding",
            Action::Timeline => "timeline",
            Action::Slo => "slo",
            Action::Undo => "undo",
            Action::Unmark => "unmark",
            Action::Zoom => "zoom",
            Action::Redact => "redact",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// What the help screen says it does.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit warroom",
            Action::Up => "select the row above",
            Action::Down => "select the row below",
            Action::PageUp => "one page up",
            Action::PageDown => "one page down",
            Action::Top => "first row",
            Action::Bottom => "last row",
            Action::DrillIn => "drill into the selected region, service or operation",
            Action::Back => "back up one level (closes help and the command line)",
            Action::NextWindow => "longer window (15m → 1h → 6h → 24h)",
            Action::PrevWindow => "shorter window",
            Action::Pause => "pause or resume the simulated clock (demo)",
            Action::Refresh => "fetch metrics, failing requests, the trace, logs and changes now",
            Action::Command => "command line (:region, :cid, :trace, :window, …; tab completes)",
            Action::Help => "show or hide this help",
            Action::FocusNext => "focus the next pane",
            Action::FocusPrev => "focus the previous pane",
            Action::ShowLogs => "log tail of the selected request or span (or focus the log tail)",
            Action::Correlation => {
                "follow correlation ids in the log tail, several with spaces or commas (empty clears)"
            }
            Action::Search => {
                "filter the log tail by text (smart case; a bar between terms: either; re:EXPR: a regex)"
            }
            Action::ClearFilters => {
                "clear the log tail's correlation ids, text and span time filters"
            }
            Action::Follow => "follow new log lines again",
            Action::NextMatch => "next log line showing a filter term",
            Action::PrevMatch => "previous log line showing a filter term",
            Action::NextError => "next error line",
            Action::PrevError => "previous error line",
            Action::CopyId => "copy the selected correlation id (OSC 52: works over SSH and tmux)",
            Action::Pretty => "pretty JSON of the selected log line (the selected span in full)",
            Action::Fold => "fold or unfold the selected span's subtree in the waterfall",
            Action::CriticalPath => "highlight the waterfall's critical path",
            Action::Mark => "mark the selection as an observation",
            Action::Finding => "mark the selection as a finding",
            Action::Timeline => "show or hide the investigation timeline",
            Action::Slo => "show or hide the service level objectives",
            Action::Undo => "undo the last mark, promotion, unmark or note",
            Action::Unmark => "unmark the entry selected in the timeline",
            Action::Zoom => "zoom the focused pane to the whole screen and back",
            Action::Redact => "mask tenant ids, users, emails, IPs and secrets, or show them",
        }
    }

    /// The short label of the footer hints, for the actions shown there.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            Action::DrillIn => Some("drill in"),
            Action::Back => Some("back"),
            Action::NextWindow => Some("window"),
            Action::FocusNext => Some("pane"),
            Action::Correlation => Some("correlation id"),
            Action::Search => Some("search"),
            Action::Command => Some("command"),
            Action::Help => Some("help"),
            Action::Quit => Some("quit"),
            _ => None,
        }
    }
}
