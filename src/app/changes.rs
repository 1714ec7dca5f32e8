//! The change feed's state: the audit trail's changes, the suspects for the anomaly in view,
//! the selection and the full view of one change.
//!
//! The feed reads the boundary's regions. Global services (IAM, STS, Organizations, Route 53,
//! CloudFront) are recorded in us-east-1: when us-east-1 is outside the boundary their
//! events are read from it only when [`ChangePane::read_global`] says so (evidence files,
//! whose records are all at hand), and of us-east-1 only they are kept. A live CloudTrail
//! lookup never leaves the boundary by default; the feed says what is not read.
//!
//! The suspects are held against the failing requests of the anomaly's service since its
//! onset, asked for from the request source (tagged with a generation, late replies are
//! dropped), and against the log tail's warning and error lines of that service.

use super::{App, Effect, View};
use crate::analysis::change_kind::{GLOBAL_REGION, facts};
use crate::analysis::corroborate::Evidence;
use crate::analysis::suspects::{self, Anomaly, Context, Suspect};
use crate::model::{Change, Level, LogEvent, Millis, RequestSample, Scope};
use crate::source::SourceError;

/// Log lines of the tail looked at for evidence, at most (newest first).
const EVIDENCE_LINES: usize = 2000;

/// The failing requests the suspects are held against.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SuspectEvidence {
    pub generation: u64,
    /// The anomaly they were asked for: region, service and onset.
    pub asked: Option<(String, Option<String>, Millis)>,
    pub failures: Vec<RequestSample>,
    pub error: Option<String>,
}

#[derive(Default)]
pub struct ChangePane {
    pub generation: u64,
    pub loading: bool,
    /// Newest first.
    pub changes: Vec<Change>,
    /// What each change is (parsed once when the changes arrive), in the same order.
    pub facts: Vec<crate::analysis::change_kind::ChangeFacts>,
    pub error: Option<(String, Millis)>,
    pub selected: usize,
    pub detail: bool,
    pub show_read_only: bool,
    /// The anomaly the suspects explain, and the suspects, most plausible first.
    pub anomaly: Option<Anomaly>,
    pub suspects: Vec<Suspect>,
    /// The incident of the whole boundary (whatever is in view) and its suspects: what the
    /// report and the timeline tell.
    pub incident: Option<Anomaly>,
    pub incident_suspects: Vec<Suspect>,
    pub page: usize,
    /// Read global services' events from us-east-1 when it is outside the boundary (files:
    /// the records are at hand; never for a live lookup unless configured).
    pub read_global: bool,
    /// Execution roles of services from the config: `(role name, service)`.
    pub roles: Vec<(String, String)>,
    pub evidence: SuspectEvidence,
    /// The user moved the cursor: it stays where it is (else it follows the top suspect).
    pub moved: bool,
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
    /// Whether global services' events recorded in us-east-1 are read although us-east-1 is
    /// outside the boundary: for evidence files, or when asked for.
    pub fn reads_global(&self) -> bool {
        self.boundary.contains(GLOBAL_REGION)
            || self.changes.read_global
            || self.source.name == "evidence"
    }

    /// Ask for the changes of the boundary over the baseline and the window, and for the
    /// failing requests the suspects are held against.
    pub fn fetch_changes(&mut self) -> Vec<Effect> {
        self.changes.generation += 1;
        self.changes.loading = self.changes.changes.is_empty();
        let to = self.clock.now();
        let mut regions: Vec<String> =
            self.boundary.regions().map(|(_, r)| r.to_string()).collect();
        if self.reads_global() && !regions.iter().any(|r| r == GLOBAL_REGION) {
            regions.push(GLOBAL_REGION.to_string());
        }
        let mut fx = vec![Effect::FetchChanges {
            generation: self.changes.generation,
            regions,
            from: to - self.span(),
            to,
        }];
        fx.extend(self.fetch_evidence());
        fx
    }

    /// Ask for the failing requests of the incident's service since its onset.
    pub fn fetch_evidence(&mut self) -> Vec<Effect> {
        let Some(a) = self.changes.incident.as_ref().or(self.changes.anomaly.as_ref()) else {
            return Vec::new();
        };
        let to = self.clock.now();
        let generation = self.next_generation;
        self.next_generation += 1;
        self.changes.evidence.generation = generation;
        let asked = Some((a.region.clone(), a.service.clone(), a.onset));
        if self.changes.evidence.asked != asked {
            self.changes.evidence.failures.clear();
        }
        self.changes.evidence.asked = asked;
        let scope = Scope { region: a.region.clone(), service: a.service.clone(), operation: None };
        vec![Effect::FetchFailing { generation, scope, from: a.onset, to: to.max(a.onset + 1) }]
    }

    /// Whether a reply of failing requests is the suspects' evidence.
    pub fn is_evidence_reply(&self, generation: u64) -> bool {
        generation == self.changes.evidence.generation && self.changes.evidence.asked.is_some()
    }

    /// The failing requests the suspects are held against arrived.
    pub fn on_evidence(&mut self, result: Result<Vec<RequestSample>, SourceError>) {
        match result {
            Ok(r) => {
                self.changes.evidence.failures = r;
                self.changes.evidence.error = None;
            }
            Err(e) => {
                self.changes.evidence.failures.clear();
                self.changes.evidence.error = Some(e.to_string());
            }
        }
        self.rank_suspects();
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
                // Of regions outside the boundary (us-east-1 for global services), only the
                // global services' events; each event once.
                c.retain(|c| self.boundary.contains(&c.region) || facts(c).global);
                c.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));
                c.dedup_by(|a, b| a.id == b.id && !a.id.is_empty());
                self.changes.facts = c.iter().map(facts).collect();
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

    /// Until the user moves it, the feed's cursor is on the top suspect.
    fn place_on_suspect(&mut self) {
        if self.changes.moved {
            return;
        }
        let Some(top) = self.changes.suspects.first().map(|s| s.change) else { return };
        let at = self.changes.shown().position(|(i, _)| i == top);
        if let Some(i) = at {
            self.changes.selected = i;
        }
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

    /// Rank the changes against the anomaly in view and against the incident (when data or
    /// the view changed).
    pub fn rank_suspects(&mut self) {
        let scope = self.anomaly_scope();
        let (mut anomaly, incident) = match &self.metrics {
            Some(m) => {
                let incident = suspects::incident(
                    m,
                    self.boundary.regions().map(|(_, r)| r),
                    self.window,
                    self.baseline,
                )
                .map(|a| crate::analysis::requests::refine_onset(m, a));
                let anomaly = scope.clone().and_then(|(region, service)| {
                    suspects::anomaly(m, &region, service.as_deref(), self.window, self.baseline)
                        .map(|a| crate::analysis::requests::refine_onset(m, a))
                });
                (anomaly, incident)
            }
            None => (None, None),
        };
        // An onset the engineer set wins; with no anomaly detected it names the view's.
        if let Some(t) = self.onset {
            anomaly = match (anomaly, scope) {
                (Some(a), _) => Some(Anomaly { onset: t, ..a }),
                (None, Some((region, service))) => Some(Anomaly { region, service, onset: t }),
                (None, None) => None,
            };
        }
        self.changes.suspects = anomaly.as_ref().map(|a| self.rank_for(a)).unwrap_or_default();
        self.changes.incident_suspects =
            incident.as_ref().map(|a| self.rank_for(a)).unwrap_or_default();
        self.changes.anomaly = anomaly;
        self.changes.incident = incident;
        self.place_on_suspect();
    }

    /// The changes ranked for `a`, held against the evidence when it was asked for `a`.
    fn rank_for(&self, a: &Anomaly) -> Vec<Suspect> {
        let ev = &self.changes.evidence;
        let same = ev
            .asked
            .as_ref()
            .is_some_and(|(r, s, o)| *r == a.region && *s == a.service && *o == a.onset);
        let failures: &[RequestSample] = if same { &ev.failures } else { &[] };
        let logs = if same { self.evidence_lines(a) } else { Vec::new() };
        let ctx = Context {
            dependencies: &[],
            roles: &self.changes.roles,
            evidence: Evidence { failures, logs: &logs },
        };
        suspects::rank_with_facts(&self.changes.changes, &self.changes.facts, a, &ctx)
    }

    /// The log tail's warning and error lines of the anomaly's service since its onset,
    /// newest first, at most [`EVIDENCE_LINES`] looked at.
    fn evidence_lines(&self, a: &Anomaly) -> Vec<LogEvent> {
        let store = &self.logs.store;
        (0..store.shown())
            .rev()
            .take(EVIDENCE_LINES)
            .filter(|&j| {
                store.line(j).is_some_and(|l| {
                    l.level >= Level::Warn
                        && l.at >= a.onset
                        && store.region_of(l) == a.region
                        && a.service.as_deref().is_none_or(|s| store.service_of(l) == s)
                })
            })
            .filter_map(|j| store.event(j))
            .collect()
    }
}
