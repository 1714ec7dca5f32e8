//! Marking the selection as an observation or a finding, and the timeline around them.

use super::{App, Effect, Focus, Mode, View};
use crate::analysis::fmt_ms;
use crate::model::investigation::{Entry, EntryKind};
use crate::model::{Level, Millis, format_hm};

/// A line of the timeline: a marked entry, or an event warroom found by itself.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineItem {
    pub at: Millis,
    /// `finding`, `observation`, `onset`, `change`, `first error`.
    pub label: &'static str,
    pub text: String,
    pub evidence: Vec<(String, String)>,
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
                self.message = Some((format!("{what}: {text}"), false));
                vec![Effect::Journal(line)]
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
        };
        self.investigation.mark(entry, false).map(Effect::Journal).into_iter().collect()
    }

    pub(super) fn toggle_timeline(&mut self) {
        self.mode = if self.mode == Mode::Timeline { Mode::Normal } else { Mode::Timeline };
    }

    /// The timeline: the marked entries with the onset, the top suspects and the first error
    /// line warroom found, in time order.
    pub fn timeline(&self) -> Vec<TimelineItem> {
        let mut out: Vec<TimelineItem> = self
            .investigation
            .entries
            .iter()
            .map(|e| TimelineItem {
                at: e.at,
                label: if e.finding { "finding" } else { "observation" },
                text: format!("{}: {}", e.kind.label(), e.text),
                evidence: e.evidence.clone(),
            })
            .collect();
        if let Some(a) = &self.changes.anomaly {
            out.push(TimelineItem {
                at: a.onset,
                label: "onset",
                text: format!(
                    "{}{} leaves its baseline",
                    a.region,
                    a.service.as_deref().map(|s| format!(" › {s}")).unwrap_or_default()
                ),
                evidence: Vec::new(),
            });
        }
        for s in self.changes.suspects.iter().take(3) {
            let c = &self.changes.changes[s.change];
            out.push(TimelineItem {
                at: c.at,
                label: "change",
                text: format!(
                    "{} {} by {} ({})",
                    c.event,
                    c.resource,
                    c.identity.short(),
                    s.reason
                ),
                evidence: vec![("CloudTrail event".into(), c.id.clone())],
            });
        }
        let store = &self.logs.store;
        let first =
            (0..store.shown()).find(|&j| store.line(j).is_some_and(|l| l.level == Level::Error));
        if let Some(e) = first.and_then(|j| store.event(j)) {
            out.push(TimelineItem {
                at: e.at,
                label: "first error",
                text: format!("{}: {}", e.service, e.message),
                evidence: e
                    .correlation_id
                    .map(|c| vec![("correlation id".into(), c)])
                    .unwrap_or_default(),
            });
        }
        // What was marked is not listed twice: drop found events with the same evidence.
        let marked = self.investigation.entries.len();
        let mut seen: Vec<Vec<(String, String)>> = Vec::new();
        let mut i = 0;
        out.retain(|item| {
            i += 1;
            if i <= marked {
                seen.push(item.evidence.clone());
                return true;
            }
            item.evidence.is_empty()
                || !seen.iter().any(|e| item.evidence.iter().all(|x| e.contains(x)))
        });
        out.sort_by_key(|i| i.at);
        out
    }
}
