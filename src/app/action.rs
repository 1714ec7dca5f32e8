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
            Action::Refresh => "fetch metrics now",
            Action::Command => "command line (:region, :window, :scenario, :at, :q)",
            Action::Help => "show or hide this help",
        }
    }

    /// The short label of the footer hints, for the actions shown there.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            Action::DrillIn => Some("drill in"),
            Action::Back => Some("back"),
            Action::NextWindow => Some("window"),
            Action::Command => Some("command"),
            Action::Help => Some("help"),
            Action::Quit => Some("quit"),
            _ => None,
        }
    }
}
