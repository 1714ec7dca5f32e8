//! Marking the selection as an observation or a finding, notes, unmarking and undo, the
//! timeline around them (navigable: enter jumps to the evidence), and the report's input.

use super::{App, Effect, Focus, Mode, View};
use crate::analysis::fmt_ms;
use crate::analysis::impact::impact;
use crate::model::investigation::{Entry, EntryKind, JournalLine};
use crate::model::{Level, Millis, format_hm, parse_hms};
use crate::source::TraceKey;

/// Where enter on a timeline item goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Jump {
    /// The log tail on a correlation id.
    Correlation(String),
    /// The waterfall of a trace.
    Trace(String),
    /// The change feed on a CloudTrail event, shown in full.
    Change(String),
    /// A region (and service) of the drill-down.
    Scope { region: String, service: Option<String> },
}

/// A line of the timeline: a marked entry, or the onset and the top suspect.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineItem {
    pub at: Millis,
    /// `finding`, `observation`, `note`, `alert`, `onset`, `top suspect`.
    pub label: &'static str,
    pub text: String,
    pub evidence: Vec<(String, String)>,
    /// The entry of the investigation it shows (what `d` unmarks).
    pub entry: Option<usize>,
    pub jump: Option<Jump>,
}

/// The timeline's selection and what was done this session (for undo).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimelinePane {
    pub selected: usize,
    /// The journal lines appended this session, newest last.
    pub history: Vec<JournalLine>,
}

/// The evidence an entry can be jumped to, the most specific first.
fn jump_of(evidence: &[(String, String)]) -> Option<Jump> {
    let get = |k: &str| evidence.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    if let Some(t) = get("trace id") {
        return Some(Jump::Trace(t));
    }
    if let Some(id) = get("CloudTrail event") {
        return Some(Jump::Change(id));
    }
    if let Some(c) = get("correlation id") {
        return Some(Jump::Correlation(c));
    }
    let scope = get("scope")?;
    let mut parts = scope.split(" › ");
    let region = parts.next()?.trim().to_string();
    let service = parts.next().map(|s| s.trim().to_string());
    Some(Jump::Scope { region, service })
}

impl App {
    /// The selection, as an entry of the investigation.
    pub fn selection_entry(&self) -> Option<Entry> {
        let entry = |at, kind, text: String, evidence: Vec<(&str, Option<String>)>| Entry {
            at,
            kind,
            text,
            evidence: evidence
                .into_iter()
                .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k.to_string(), v)))
                .collect(),
            finding: false,
            marked: Some(self.clock.now()),
            removed: false,
        };
        match self.focus {
            Focus::Logs => {
                let e = self.logs.selected_event()?;
                Some(entry(
                    e.at,
                    EntryKind::LogLine,
                    format!("{} {}: {}", e.service, e.level.name(), e.message),
                    vec![
                        ("correlation id", e.correlation_id),
                        ("trace id", e.trace_id),
                        ("tenant", e.tenant),
                    ],
                ))
            }
            Focus::Changes => {
                let c = self.changes.selected_change()?;
                Some(entry(
                    c.at,
                    EntryKind::Change,
                    format!("{} {} in {} by {}", c.event, c.resource, c.region, c.identity.short()),
                    vec![
                        ("CloudTrail event", Some(c.id.clone())),
                        ("identity", Some(c.identity.principal.clone())),
                    ],
                ))
            }
            Focus::Main => match self.view() {
                View::Trace { .. } => {
                    let s = self.selected_span()?;
                    let t = self.trace.trace()?;
                    Some(entry(
                        s.start,
                        EntryKind::Span,
                        format!(
                            "{} {} {} after {}{}",
                            s.service,
                            s.operation,
                            s.outcome.label(),
                            fmt_ms(s.duration_ms),
                            s.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
                        ),
                        vec![
                            ("trace id", Some(t.trace_id.clone())),
                            ("span", Some(s.id.clone())),
                            ("correlation id", Some(t.correlation_id.clone())),
                        ],
                    ))
                }
                View::Operation { .. } => {
                    let r = self.selected_request()?;
                    Some(entry(
                        r.at,
                        EntryKind::Request,
                        format!(
                            "{} {} answered {} after {}: {}",
                            r.service,
                            r.operation,
                            r.status,
                            fmt_ms(r.duration_ms),
                            r.message
                        ),
                        vec![
                            ("correlation id", Some(r.correlation_id.clone())),
                            ("trace id", r.trace_id.clone()),
                            ("tenant", Some(r.tenant.clone())),
                        ],
                    ))
                }
                _ => {
                    let row = self.rows.get(self.level().selected)?;
                    let st = row.stats.as_ref()?;
                    let scope = match self.view() {
                        View::Overview => row.name.clone(),
                        _ => format!("{} › {}", self.breadcrumb().join(" › "), row.name),
                    };
                    let since =
                        st.onset.map(|o| format!(" since {}", format_hm(o))).unwrap_or_default();
                    Some(entry(
                        st.onset.unwrap_or(self.clock.now()),
                        EntryKind::Anomaly,
                        format!(
                            "{scope}: errors {:.1}% (baseline {:.1}%), p99 {}{since}",
                            st.window.error_pct(),
                            st.baseline.error_pct(),
                            fmt_ms(st.window.p99_ms)
                        ),
                        vec![("scope", Some(scope.clone()))],
                    ))
                }
            },
        }
    }

    /// `m` / `F`: mark the selection; the journal line goes to the data folder.
    pub(super) fn mark(&mut self, finding: bool) -> Vec<Effect> {
        let Some(e) = self.selection_entry() else {
            self.message = Some(("nothing selected to mark".into(), true));
            return Vec::new();
        };
        let what = if finding { "finding" } else { "observation" };
        let text = e.text.clone();
        match self.investigation.mark(e, finding) {
            Some(line) => {
                self.message = Some((format!("{what}: {text} (u undoes)"), false));
                self.journal(line)
            }
            None => {
                self.message = Some((format!("already marked: {text}"), false));
                Vec::new()
            }
        }
    }

    /// A snapshot of the screen was written (or not): it joins the investigation as an
    /// observation with its file as evidence, so the report shows it.
    pub fn snapshot_written(&mut self, written: Result<std::path::PathBuf, String>) -> Vec<Effect> {
        self.dirty = true;
        let path = match written {
            Ok(p) => p,
            Err(e) => {
                self.message = Some((format!("the snapshot was not written: {e}"), true));
                return Vec::new();
            }
        };
        self.message = Some((format!("snapshot written to {}", path.display()), false));
        let entry = Entry {
            at: self.clock.now(),
            kind: EntryKind::Snapshot,
            text: self.describe(),
            evidence: vec![("snapshot".into(), path.display().to_string())],
            finding: false,
            marked: Some(self.clock.now()),
            removed: false,
        };
        match self.investigation.mark(entry, false) {
            Some(line) => self.journal(line),
            None => Vec::new(),
        }
    }

    /// Keep a journal line for undo and have it appended to the journal.
    fn journal(&mut self, line: JournalLine) -> Vec<Effect> {
        self.timeline.history.push(line.clone());
        vec![Effect::Journal(line)]
    }

    /// `:note [HH:MM[:SS]] TEXT`: a free-text note, at the time given (on the clock's day)
    /// or now.
    pub fn note(&mut self, text: &str) -> Vec<Effect> {
        let text = text.trim();
        let (at, text) = match text.split_once(' ') {
            Some((t, rest)) if parse_hms(t).is_some() && !rest.trim().is_empty() => {
                let day = self.clock.now().div_euclid(crate::model::DAY_MS) * crate::model::DAY_MS;
                (day + parse_hms(t).unwrap_or(0), rest.trim())
            }
            _ => (self.clock.now(), text),
        };
        if text.is_empty() {
            self.message = Some((
                ":note needs a text, e.g. :note 09:12 customer reported c-9f3a6e1d".into(),
                true,
            ));
            return Vec::new();
        }
        let text: String = text.chars().filter(|c| !c.is_control()).collect();
        let entry = Entry {
            at,
            kind: EntryKind::Note,
            text: text.clone(),
            evidence: Vec::new(),
            finding: false,
            marked: Some(self.clock.now()),
            removed: false,
        };
        match self.investigation.mark(entry, false) {
            Some(line) => {
                self.message =
                    Some((format!("note at {}: {text} (u undoes)", format_hm(at)), false));
                self.journal(line)
            }
            None => {
                self.message = Some((format!("already noted: {text}"), false));
                Vec::new()
            }
        }
    }

    /// The investigation was opened on an alert (`--alert`): it joins the timeline, and the
    /// report counts detection from it.
    pub fn alert_opened(&mut self, name: &str, at: Millis) -> Vec<Effect> {
        let entry = Entry {
            at,
            kind: EntryKind::Alert,
            text: name.chars().filter(|c| !c.is_control()).collect(),
            evidence: Vec::new(),
            finding: false,
            marked: Some(self.clock.now()),
            removed: false,
        };
        match self.investigation.mark(entry, false) {
            Some(line) => self.journal(line),
            None => Vec::new(),
        }
    }

    /// `u`: undo the last mark, promotion, note or unmark of this session.
    pub(super) fn undo(&mut self) -> Vec<Effect> {
        match self.investigation.undo(&mut self.timeline.history) {
            Some(line) => {
                let what = match &line {
                    JournalLine::Unmark { .. } => "unmarked",
                    JournalLine::Restore { .. } => "marked again",
                    JournalLine::Demote { .. } => "a finding no more",
                    JournalLine::Promote { .. } => "a finding again",
                    JournalLine::Mark { .. } => "marked",
                };
                self.message = Some((format!("undone: {what}"), false));
                self.clamp_timeline();
                vec![Effect::Journal(line)]
            }
            None => {
                self.message = Some(("nothing to undo".into(), false));
                Vec::new()
            }
        }
    }

    /// `d` in the timeline: unmark the selected entry.
    pub(super) fn unmark_selected(&mut self) -> Vec<Effect> {
        let item = self.timeline().into_iter().nth(self.timeline.selected);
        let Some((index, text)) = item.and_then(|i| i.entry.map(|e| (e, i.text))) else {
            self.message = Some(("only what was marked can be unmarked".into(), true));
            return Vec::new();
        };
        match self.investigation.unmark(index) {
            Some(line) => {
                self.message = Some((format!("unmarked: {text} (u undoes)"), false));
                let fx = self.journal(line);
                self.clamp_timeline();
                fx
            }
            None => Vec::new(),
        }
    }

    fn clamp_timeline(&mut self) {
        let n = self.timeline().len();
        self.timeline.selected = self.timeline.selected.min(n.saturating_sub(1));
    }

    /// The keys of the timeline: move, jump to the evidence, unmark, undo; anything else
    /// closes it.
    pub(super) fn timeline_action(&mut self, a: Option<super::Action>) -> Vec<Effect> {
        use super::Action;
        let n = self.timeline().len();
        let sel = &mut self.timeline.selected;
        match a {
            Some(Action::Up) => *sel = sel.saturating_sub(1),
            Some(Action::Down) => *sel = (*sel + 1).min(n.saturating_sub(1)),
            Some(Action::Top) => *sel = 0,
            Some(Action::Bottom) => *sel = n.saturating_sub(1),
            Some(Action::DrillIn) => return self.jump_selected(),
            Some(Action::Unmark) => return self.unmark_selected(),
            Some(Action::Undo) => return self.undo(),
            Some(Action::Quit) => return self.update(Action::Quit),
            Some(Action::Command) => return self.update(Action::Command),
            _ => self.mode = Mode::Normal,
        }
        Vec::new()
    }

    /// Enter in the timeline: close it and show the selected item's evidence.
    pub(super) fn jump_selected(&mut self) -> Vec<Effect> {
        let Some(item) = self.timeline().into_iter().nth(self.timeline.selected) else {
            return Vec::new();
        };
        let Some(jump) = item.jump else {
            self.message = Some(("this item has no evidence to show".into(), false));
            return Vec::new();
        };
        self.mode = Mode::Normal;
        self.dirty = true;
        match jump {
            Jump::Trace(t) => self.open_trace(TraceKey::TraceId(t)),
            Jump::Correlation(c) => {
                self.focus = Focus::Logs;
                self.set_correlation(Some(c))
            }
            Jump::Change(id) => {
                if !self.changes.show_read_only
                    && self.changes.changes.iter().any(|c| c.id == id && c.read_only)
                {
                    self.changes.show_read_only = true;
                }
                let found = self.changes.shown().position(|(_, c)| c.id == id);
                match found {
                    Some(i) => {
                        self.focus = Focus::Changes;
                        self.changes.selected = i;
                        self.changes.detail = true;
                    }
                    None => {
                        self.message =
                            Some((format!("CloudTrail event {id} is not in the change feed"), true))
                    }
                }
                Vec::new()
            }
            Jump::Scope { region, service } => {
                let mut fx = self.run_command("top");
                if self.boundary.contains(&region) {
                    fx.extend(self.run_command(&format!("region {region}")));
                    if let Some(s) = service {
                        fx.extend(self.drill_to_service(&s));
                    }
                }
                self.focus = Focus::Main;
                fx
            }
        }
    }

    pub(super) fn toggle_timeline(&mut self) {
        self.mode = if self.mode == Mode::Timeline { Mode::Normal } else { Mode::Timeline };
        self.clamp_timeline();
    }

    /// The timeline: what was marked (notes and the alert too), the incident's onset and its
    /// top suspect, in time order.
    pub fn timeline(&self) -> Vec<TimelineItem> {
        let mut out: Vec<TimelineItem> = self
            .investigation
            .marked()
            .map(|(i, e)| TimelineItem {
                at: e.at,
                label: match e.kind {
                    EntryKind::Note => "note",
                    EntryKind::Alert => "alert",
                    _ if e.finding => "finding",
                    _ => "observation",
                },
                text: match e.kind {
                    EntryKind::Note | EntryKind::Alert => e.text.clone(),
                    _ => format!("{}: {}", e.kind.label(), e.text),
                },
                evidence: e.evidence.clone(),
                entry: Some(i),
                jump: jump_of(&e.evidence),
            })
            .collect();
        let incident = self.changes.incident.as_ref().or(self.changes.anomaly.as_ref());
        if let Some(a) = incident {
            out.push(TimelineItem {
                at: a.onset,
                label: "onset",
                text: format!(
                    "{}{} leaves its baseline",
                    a.region,
                    a.service.as_deref().map(|s| format!(" › {s}")).unwrap_or_default()
                ),
                evidence: Vec::new(),
                entry: None,
                jump: Some(Jump::Scope { region: a.region.clone(), service: a.service.clone() }),
            });
        }
        let suspects = &self.changes.incident_suspects;
        if let Some(s) = suspects.first().or(self.changes.suspects.first()) {
            let c = &self.changes.changes[s.change];
            let evidence = vec![("CloudTrail event".to_string(), c.id.clone())];
            // Not twice when it was marked.
            if !out.iter().any(|i| i.evidence.contains(&evidence[0])) {
                out.push(TimelineItem {
                    at: c.at,
                    label: "top suspect",
                    text: format!(
                        "{} {} by {} ({})",
                        c.event,
                        crate::model::text::short_resource(&c.resource),
                        c.identity.short(),
                        s.reason
                    ),
                    jump: jump_of(&evidence),
                    evidence,
                    entry: None,
                });
            }
        }
        out.sort_by_key(|i| (i.at, i.label != "onset"));
        out
    }

    /// What the report is made of: the incident over the whole boundary, not the view.
    pub fn report_input(&self, report_dir: Option<std::path::PathBuf>) -> crate::report::Input {
        let incident = self.changes.incident.clone();
        let ev = &self.changes.evidence;
        let asked_for_incident = incident.as_ref().is_some_and(|a| {
            ev.asked
                .as_ref()
                .is_some_and(|(r, s, o)| *r == a.region && *s == a.service && *o == a.onset)
        });
        let failures = if asked_for_incident { ev.failures.clone() } else { Vec::new() };
        let store = &self.logs.store;
        let (mut logs, mut logs_from) = (Vec::new(), None);
        if let Some(a) = &incident {
            let mut first_seen = None;
            for j in 0..store.shown() {
                let Some(l) = store.line(j) else { continue };
                if store.region_of(l) != a.region {
                    continue;
                }
                first_seen.get_or_insert(l.at);
                if l.level >= Level::Warn
                    && l.at >= a.onset
                    && let Some(e) = store.event(j)
                {
                    logs.push(e);
                }
            }
            if store.filtered_out() == 0 {
                logs_from = first_seen.map(|t| t.max(a.onset));
            }
        }
        let impact = self.metrics.as_ref().and_then(|m| {
            let mut im =
                impact(m, self.boundary.regions().map(|(_, r)| r), self.window, self.baseline)?;
            // One onset: the incident's, to the second, where it refines the impact's minute.
            if let Some(a) = &incident
                && a.onset >= im.start
                && a.onset < im.start + crate::model::MINUTE_MS
            {
                im.start = a.onset;
            }
            Some(im)
        });
        crate::report::Input {
            source: self.source.name.clone(),
            scenario: self.source.scenario.clone(),
            title: self.source.title.clone(),
            now: self.clock.now(),
            window: self.window,
            baseline: self.baseline,
            verdict: self.verdict.text.clone(),
            impact,
            incident,
            changes: self.changes.changes.clone(),
            suspects: self.changes.incident_suspects.clone(),
            failures_complete: failures.len() < super::FAILING_LIMIT,
            failures,
            logs,
            logs_from,
            entries: self.investigation.marked().map(|(_, e)| e.clone()).collect(),
            report_dir,
        }
    }

    /// The report's text, masked while redaction is on.
    pub fn report_text(&self, report_dir: Option<std::path::PathBuf>) -> String {
        let input = self.report_input(report_dir);
        match self.redaction() {
            Some(r) => crate::report::redacted(&input, r),
            None => crate::report::markdown(&input),
        }
    }
}
