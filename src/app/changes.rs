//! The change feed's state: the audit trail's changes, the suspects for the anomaly in view,
//! the selection and the full view of one change.

use super::{App, Effect, View};
use crate::analysis::suspects::{self, Anomaly, Suspect};
use crate::model::{Change, Millis};
use crate::source::SourceError;

#[derive(Default)]
pub struct ChangePane {
    pub generation: u64,
    pub loading: bool,
    /// Newest first.
    pub changes: Vec<Change>,
    pub error: Option<(String, Millis)>,
    pub selected: usize,
    pub detail: bool,
    pub show_read_only: bool,
    /// The anomaly the suspects explain, and the suspects, most plausible first.
    pub anomaly: Option<Anomaly>,
    pub suspects: Vec<Suspect>,
    pub page: usize,
}

impl ChangePane {
    /// The changes shown: read-only events only when asked for.
    pub fn shown(&self) -> impl Iterator<Item = (usize, &Change)> {
        self.changes.iter().enumerate().filter(|(_, c)| self.show_read_only || !c.read_only)
    }

    pub fn selected_change(&self) -> Option<&Change> {
        self.shown().nth(self.selected).map(|(_, c)| c)
    }
}

impl App {
    /// Ask for the changes of the boundary over the baseline and the window.
    pub fn fetch_changes(&mut self) -> Vec<Effect> {
        self.changes.generation += 1;
        self.changes.loading = self.changes.changes.is_empty();
        let to = self.clock.now();
        vec![Effect::FetchChanges {
            generation: self.changes.generation,
            regions: self.boundary.regions().map(|(_, r)| r.to_string()).collect(),
            from: to - self.span(),
            to,
        }]
    }

    pub fn on_changes(
        &mut self,
        generation: u64,
        result: Result<Vec<Change>, SourceError>,
        wall: Millis,
    ) {
        if generation != self.changes.generation {
            return;
        }
        self.changes.loading = false;
        match result {
            Ok(mut c) => {
                c.sort_by_key(|c| std::cmp::Reverse(c.at));
                self.changes.changes = c;
                self.changes.error = None;
            }
            Err(e) => {
                let hint = e.hint.map(|h| format!(" — {h}")).unwrap_or_default();
                self.changes.error = Some((format!("{}{hint}", e.message), wall));
            }
        }
        let n = self.changes.shown().count();
        self.changes.selected = self.changes.selected.min(n.saturating_sub(1));
        self.rank_suspects();
    }

    /// The region (and service) whose anomaly the suspects explain: the view's, or at the
    /// overview the worst region.
    fn anomaly_scope(&self) -> Option<(String, Option<String>)> {
        match self.view() {
            View::Overview => {
                let worst = self
                    .rows
                    .iter()
                    .filter_map(|r| r.stats.as_ref().map(|s| (s.health, &r.name)))
                    .max_by_key(|(h, _)| *h)?;
                Some((worst.1.clone(), None))
            }
            View::Region { region } => Some((region.clone(), None)),
            View::Service { region, service } | View::Operation { region, service, .. } => {
                Some((region.clone(), Some(service.clone())))
            }
            View::Trace { region, service, .. } => Some((region.clone(), service.clone())),
        }
    }

    /// Rank the changes against the anomaly in view (when data or the view changed).
    pub fn rank_suspects(&mut self) {
        let scope = self.anomaly_scope();
        let mut anomaly = match (&self.metrics, &scope) {
            (Some(m), Some((region, service))) => {
                suspects::anomaly(m, region, service.as_deref(), self.window, self.baseline)
                    .map(|a| crate::analysis::requests::refine_onset(m, a))
            }
            _ => None,
        };
        // An onset the engineer set wins; with no anomaly detected it names the view's.
        if let Some(t) = self.onset {
            anomaly = match (anomaly, scope) {
                (Some(a), _) => Some(Anomaly { onset: t, ..a }),
                (None, Some((region, service))) => Some(Anomaly { region, service, onset: t }),
                (None, None) => None,
            };
        }
        self.changes.suspects = match &anomaly {
            Some(a) => suspects::rank(&self.changes.changes, a, &[]),
            None => Vec::new(),
        };
        self.changes.anomaly = anomaly;
    }
}
