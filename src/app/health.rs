//! Service level objectives in the cockpit: judged when metrics arrive (never while
//! drawing), shown by the SLO view (`s`, `:slo`), and folded into health: a region whose
//! objective pages is critical, one with a ticket degraded, whatever the baseline says.

use super::{App, Mode};
use crate::analysis::slo::{self, Alert};
use crate::analysis::{Health, RowStats, Signal};

impl App {
    /// Show or hide the SLO view.
    pub fn toggle_slo(&mut self) {
        self.mode = if self.mode == Mode::Slo { Mode::Normal } else { Mode::Slo };
    }

    /// Judge the objectives on the latest snapshot.
    pub(super) fn judge_slos(&mut self) {
        self.slo = match &self.metrics {
            Some(m) if !self.objectives.is_empty() => slo::statuses(m, &self.objectives),
            _ => Vec::new(),
        };
    }
}

/// The worse of a row's baseline health and its objectives' alert.
pub(super) fn worse_of(stats: &mut RowStats, alert: Alert) {
    let h = alert.health();
    if h > stats.health && stats.health != Health::NoData {
        stats.health = h;
        stats.signal = stats.signal.or(Some(Signal::Errors));
    }
}
