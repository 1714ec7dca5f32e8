//! The span waterfall's state: the trace (or similar traces) of the request on top of the
//! drill-down, its layout, folds, selection and detail.

use super::{App, Effect, Focus, Level, View};
use crate::analysis::waterfall::{self, Waterfall};
use crate::model::{Millis, Span};
use crate::source::{SourceError, TraceKey, TraceLookup};
use std::collections::HashSet;

#[derive(Default)]
pub struct TracePane {
    pub generation: u64,
    pub loading: bool,
    pub key: Option<TraceKey>,
    pub lookup: Option<TraceLookup>,
    pub error: Option<String>,
    /// Computed when the trace or the folds change, never while drawing.
    pub layout: Waterfall,
    /// The widest marker of the laid-out rows (room kept after the bars).
    pub marker_width: usize,
    pub folded: HashSet<String>,
    pub critical: bool,
    pub detail: bool,
}

impl TracePane {
    pub fn trace(&self) -> Option<&crate::model::Trace> {
        self.lookup.as_ref()?.trace.as_ref()
    }

    /// Rows the waterfall (or the list of similar traces) has.
    pub fn rows(&self) -> usize {
        match (&self.lookup, self.trace()) {
            (_, Some(_)) => self.layout.rows.len(),
            (Some(l), None) => l.similar.len(),
            _ => 0,
        }
    }

    fn relayout(&mut self) {
        self.layout = match self.trace() {
            Some(t) => waterfall::layout(t, &self.folded),
            None => Waterfall::default(),
        };
        self.marker_width = match self.trace() {
            Some(t) => self
                .layout
                .rows
                .iter()
                .map(|r| waterfall::marker(&t.spans[r.span], r.cut_off).chars().count())
                .max()
                .unwrap_or(0),
            None => 0,
        };
    }
}

impl App {
    /// Open the waterfall of a request: by correlation id from a failing request, or by
    /// trace id from the list of similar traces. The log tail follows the request.
    pub fn open_trace(&mut self, key: TraceKey) -> Vec<Effect> {
        let (region, service, operation) = match self.view().clone() {
            View::Operation { region, service, operation } => {
                (Some(region), Some(service), Some(operation))
            }
            View::Trace { region, service, operation, .. } => (Some(region), service, operation),
            View::Region { region } => (Some(region), None, None),
            View::Service { region, service } => (Some(region), Some(service), None),
            View::Overview => (None, None, None),
        };
        let regions: Vec<String> = match &region {
            Some(r) => vec![r.clone()],
            None => self.boundary.regions().map(|(_, r)| r.to_string()).collect(),
        };
        let label = match &key {
            TraceKey::CorrelationId(c) | TraceKey::TraceId(c) => c.clone(),
        };
        let view = View::Trace {
            region: regions.first().cloned().unwrap_or_default(),
            service: service.clone(),
            operation: operation.clone(),
            key: label.clone(),
        };
        // The same request again stays where it is; another one (a similar trace, a line's
        // trace) goes on top, so esc comes back here with this view's filters.
        let same = matches!(self.view(), View::Trace { key, .. } if *key == label);
        if same {
            self.level_mut().view = view;
        } else {
            let mut level = Level::new(view);
            level.filters = Some(self.current_filters());
            if matches!(self.view(), View::Trace { .. }) {
                level.below = Some((self.trace.key.clone(), self.trace.lookup.clone()));
            }
            self.stack.push(level);
        }
        self.focus = Focus::Main;
        let mut fx = self.fetch_trace(key.clone(), regions, service, operation);
        if let TraceKey::CorrelationId(c) = key {
            fx.extend(self.set_correlation(Some(c)));
            self.focus = Focus::Main;
        }
        fx
    }

    /// The trace view below is on top again: its trace (or list) as it was, no new lookup,
    /// so the similar traces stay in the order they were.
    pub(super) fn restore_trace(
        &mut self,
        key: Option<TraceKey>,
        lookup: Option<TraceLookup>,
    ) -> Vec<Effect> {
        self.trace.generation += 1;
        self.trace.loading = lookup.is_none() && key.is_some();
        self.trace.key = key;
        self.trace.lookup = lookup;
        self.trace.error = None;
        self.trace.folded.clear();
        self.trace.detail = false;
        self.trace.relayout();
        match self.trace.key.clone() {
            Some(k) if self.trace.loading => self.refetch_trace(k),
            _ => Vec::new(),
        }
    }

    /// Look the trace in view up again (`r`), keeping the view and the log tail's filters.
    pub(super) fn refetch_trace(&mut self, key: TraceKey) -> Vec<Effect> {
        let View::Trace { region, service, operation, .. } = self.view().clone() else {
            return Vec::new();
        };
        let regions = if region.is_empty() {
            self.boundary.regions().map(|(_, r)| r.to_string()).collect()
        } else {
            vec![region]
        };
        let selected = self.level().selected;
        let fx = self.fetch_trace(key, regions, service, operation);
        self.level_mut().selected = selected;
        fx
    }

    fn fetch_trace(
        &mut self,
        key: TraceKey,
        regions: Vec<String>,
        service: Option<String>,
        operation: Option<String>,
    ) -> Vec<Effect> {
        self.trace.generation += 1;
        self.trace.loading = true;
        self.trace.lookup = None;
        self.trace.error = None;
        self.trace.folded.clear();
        self.trace.detail = false;
        self.trace.key = Some(key.clone());
        self.trace.relayout();
        let to = self.clock.now();
        vec![Effect::FetchTrace {
            generation: self.trace.generation,
            regions,
            key,
            from: to - self.window,
            to,
            service,
            operation,
        }]
    }

    pub fn on_trace(&mut self, generation: u64, result: Result<TraceLookup, SourceError>) {
        if generation != self.trace.generation {
            return;
        }
        self.trace.loading = false;
        match result {
            Ok(mut l) => {
                crate::source::order_similar(&mut l.similar);
                self.trace.lookup = Some(l);
                self.trace.error = None;
            }
            Err(e) => {
                let hint = e.hint.map(|h| format!(" — {h}")).unwrap_or_default();
                self.trace.error = Some(format!("{}{hint}", e.message));
            }
        }
        self.trace.relayout();
        // The breadcrumb names the region the trace was found in.
        let found_in = self.trace.trace().map(|t| t.region.clone()).filter(|r| !r.is_empty());
        if let (Some(r), Some(Level { view: View::Trace { region, .. }, .. })) =
            (found_in, self.stack.last_mut())
        {
            *region = r;
        }
        // The request's own correlation id follows the trace that was found.
        let cid = self.trace.trace().map(|t| t.correlation_id.clone()).filter(|c| !c.is_empty());
        // Said in the status bar: esc puts the filters of the view below back.
        if let Some(c) = cid
            && self.logs.correlation_ids != [c.clone()]
        {
            let was = self.logs.correlation_ids.join(", ");
            let back =
                if was.is_empty() { String::new() } else { format!(" (esc: back to {was})") };
            self.message =
                Some((format!("log tail follows this trace's correlation id {c}{back}"), false));
            self.logs.correlation_ids = vec![c];
        }
        let last = self.trace.rows().saturating_sub(1);
        if let Some(l) = self.stack.last_mut() {
            l.selected = l.selected.min(last);
        }
    }

    /// Why the request in view has no waterfall, and whether it is unknown (`true`: no
    /// trace and, once the log search completed, no log line either: a typo, most likely).
    pub fn trace_absence(&self) -> Option<(String, bool)> {
        let View::Trace { region, .. } = self.view() else { return None };
        let lookup = self.trace.lookup.as_ref()?;
        if lookup.trace.is_some() {
            return None;
        }
        let window = crate::config::window_name(self.window);
        let place = if region.is_empty() { "the boundary".to_string() } else { region.clone() };
        let mut candidates = self.known_ids();
        candidates.extend(lookup.similar.iter().filter_map(|s| s.correlation_id.clone()));
        match &self.trace.key {
            Some(TraceKey::TraceId(id)) => {
                let near = super::prompt::did_you_mean(
                    id,
                    lookup.similar.iter().map(|s| s.trace_id.as_str()),
                );
                Some((
                    format!("no trace has the id {id} in {place} in the last {window}{near}"),
                    true,
                ))
            }
            Some(TraceKey::CorrelationId(cid)) => {
                let searched = !self.logs.loading
                    && self.logs.target.as_ref().is_some_and(|t| t.correlation_ids.contains(cid));
                let lines = self.logs.store.len();
                let in_similar =
                    lookup.similar.iter().any(|s| s.correlation_id.as_deref() == Some(cid));
                if searched && lines == 0 && !in_similar {
                    candidates.retain(|c| c != cid);
                    let near =
                        super::prompt::did_you_mean(cid, candidates.iter().map(String::as_str));
                    Some((
                        format!(
                            "unknown correlation id {cid}: no trace and no log line in {place} in the last {window}{near}"
                        ),
                        true,
                    ))
                } else if searched {
                    Some((
                        format!(
                            "no sampled trace for {cid} (the request exists: {lines} log lines)"
                        ),
                        false,
                    ))
                } else {
                    Some((
                        format!("no sampled trace for {cid} (looking for its log lines…)"),
                        false,
                    ))
                }
            }
            None => None,
        }
    }

    /// The selected span of the waterfall.
    pub fn selected_span(&self) -> Option<&Span> {
        let View::Trace { .. } = self.view() else { return None };
        let row = self.trace.layout.rows.get(self.level().selected)?;
        self.trace.trace()?.spans.get(row.span)
    }

    /// Enter in the waterfall: open a similar trace, or show the span in full.
    pub(super) fn trace_enter(&mut self) -> Vec<Effect> {
        if self.trace.trace().is_none() {
            let id = self
                .trace
                .lookup
                .as_ref()
                .and_then(|l| l.similar.get(self.level().selected))
                .map(|s| s.trace_id.clone());
            return match id {
                Some(id) => self.open_trace(TraceKey::TraceId(id)),
                None => Vec::new(),
            };
        }
        self.trace.detail = !self.trace.detail;
        Vec::new()
    }

    pub(super) fn trace_fold(&mut self) {
        let Some(id) = self.selected_span().map(|s| s.id.clone()) else { return };
        if !self.trace.folded.remove(&id) {
            self.trace.folded.insert(id);
        }
        self.trace.relayout();
    }

    /// `l` on a span: the log tail of its request, limited to the span's time.
    pub(super) fn span_logs(&mut self) -> Vec<Effect> {
        let Some(s) = self.selected_span() else { return Vec::new() };
        let cid = s
            .correlation_id
            .clone()
            .or_else(|| self.trace.trace().map(|t| t.correlation_id.clone()))
            .filter(|c| !c.is_empty());
        let range: (Millis, Millis) = (s.start, waterfall::span_end(s) + 1);
        let service = s.service.clone();
        self.logs.range = Some(range);
        let fx = self.set_correlation(cid);
        self.message = Some((format!("logs of {service} during its span"), false));
        fx
    }
}
