//! The log tail's state: what the source is asked for, the store with its filtered view,
//! the selection and follow mode, and the actions that move through it.

use super::{App, Effect, Focus, View};
use crate::model::logline::LineParser;
use crate::model::logstore::{DEFAULT_CAPACITY, DEFAULT_MAX_BYTES, LogFilter, LogStore, Needle};
use crate::model::{Level, LogEvent, MINUTE_MS, Millis};
use crate::source::LogUpdate;
use std::cell::Cell;

/// How far back the tail starts without a correlation id (with one: the whole window).
pub const TAIL_BACKFILL: Millis = 2 * MINUTE_MS;
/// The most lines a backfill asks for without / with a correlation id.
pub const TAIL_LIMIT: usize = 5_000;
pub const REQUEST_LIMIT: usize = 50_000;

/// What the log source is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogTarget {
    pub regions: Vec<String>,
    /// The requests followed (none: every line of the regions).
    pub correlation_ids: Vec<String>,
    /// Bumped to start again from the clock's present (a clock jump, a refresh).
    pub epoch: u64,
}

impl LogTarget {
    /// The source queries of the target: one a region, or one a region and request.
    pub fn queries(&self, from: Millis, to: Millis, limit: usize) -> Vec<crate::source::LogQuery> {
        let ids: Vec<Option<String>> = if self.correlation_ids.is_empty() {
            vec![None]
        } else {
            self.correlation_ids.iter().cloned().map(Some).collect()
        };
        let mut out = Vec::new();
        for region in &self.regions {
            for id in &ids {
                out.push(crate::source::LogQuery {
                    region: region.clone(),
                    correlation_id: id.clone(),
                    from,
                    to,
                    limit,
                });
            }
        }
        out
    }
}

pub struct LogPane {
    pub store: LogStore,
    /// Replies of older requests are dropped.
    pub generation: u64,
    pub target: Option<LogTarget>,
    /// The filters the user set (scope comes from the drill-down): the correlation ids
    /// followed, in the order given (each has its colour).
    pub correlation_ids: Vec<String>,
    pub text: Option<String>,
    /// Only lines in this time range (a span's, from the waterfall).
    pub range: Option<(Millis, Millis)>,
    /// Keep the newest line selected as lines arrive.
    pub follow: bool,
    /// Sequence number of the selected line (when not following).
    pub selected: u64,
    /// Sequence number of the top row, kept by the drawing code so scrolling is stable.
    pub top: Cell<u64>,
    /// Pretty JSON of the selected line.
    pub detail: bool,
    pub loading: bool,
    /// The source's last error with its wall time; lines already shown stay.
    pub error: Option<(String, Millis)>,
    pub sampled: bool,
    pub truncated: bool,
    /// How far behind what is written the followed source reads (see
    /// [`crate::source::LogBatch::behind_ms`]).
    pub behind_ms: Option<Millis>,
    /// Rows visible, set from the terminal size.
    pub page: usize,
    epoch: u64,
}

impl Default for LogPane {
    fn default() -> Self {
        LogPane::new(LogStore::new(DEFAULT_CAPACITY, DEFAULT_MAX_BYTES, LineParser::default()))
    }
}

impl LogPane {
    pub fn new(store: LogStore) -> Self {
        LogPane {
            store,
            generation: 0,
            target: None,
            correlation_ids: Vec::new(),
            text: None,
            range: None,
            follow: true,
            selected: 0,
            top: Cell::new(0),
            detail: false,
            loading: false,
            error: None,
            sampled: false,
            truncated: false,
            behind_ms: None,
            page: 10,
            epoch: 0,
        }
    }

    /// Index in the view of the selected line.
    pub fn selected_index(&self) -> Option<usize> {
        let n = self.store.shown();
        if n == 0 {
            return None;
        }
        if self.follow {
            return Some(n - 1);
        }
        Some(self.store.index_of(self.selected).min(n - 1))
    }

    pub fn selected_event(&self) -> Option<LogEvent> {
        self.store.event(self.selected_index()?)
    }

    /// Select the line at index `i` of the view (a click).
    pub fn select_index(&mut self, i: usize) {
        self.select(i);
    }

    fn select(&mut self, i: usize) {
        let n = self.store.shown();
        if n == 0 {
            return;
        }
        let i = i.min(n - 1);
        self.selected = self.store.seq(i).unwrap_or(0);
        self.follow = false;
    }

    /// Move by `delta` rows; moving down past the newest line turns follow back on.
    fn step(&mut self, delta: isize) {
        let Some(cur) = self.selected_index() else { return };
        let n = self.store.shown();
        let next = cur as isize + delta;
        if next >= n as isize - 1 && delta > 0 {
            self.follow = true;
        } else {
            self.select(next.max(0) as usize);
        }
    }
}

/// Correlation ids as typed: separated by spaces or commas, each once, in order.
pub fn parse_ids(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in text.split(|c: char| c.is_whitespace() || c == ',') {
        if !id.is_empty() && !out.iter().any(|o| o == id) {
            out.push(id.to_string());
        }
    }
    out
}

impl App {
    /// Use a store with this capacity and these correlation fields (from the config).
    pub fn with_log_store(mut self, capacity: usize, parser: LineParser) -> Self {
        self.logs = LogPane::new(LogStore::new(capacity, DEFAULT_MAX_BYTES, parser));
        self
    }

    /// The regions the tail reads: the drill-down's region; at the overview the selected
    /// region, or every region of the boundary when looking for one request.
    fn log_regions(&self) -> Vec<String> {
        match self.view() {
            View::Region { region }
            | View::Service { region, .. }
            | View::Operation { region, .. }
            | View::Trace { region, .. } => vec![region.clone()],
            View::Overview if !self.logs.correlation_ids.is_empty() => {
                self.boundary.regions().map(|(_, r)| r.to_string()).collect()
            }
            View::Overview => self
                .rows
                .get(self.level().selected)
                .map(|r| vec![r.name.clone()])
                .unwrap_or_default(),
        }
    }

    /// The filter the view applies: scope, correlation id and text. A correlation id widens
    /// the scope to the whole region (a request crosses services).
    fn log_filter(&self) -> LogFilter {
        let (region, service) = match self.view() {
            View::Overview => (None, None),
            View::Region { region } | View::Trace { region, .. } => (Some(region.clone()), None),
            View::Service { region, service } | View::Operation { region, service, .. } => {
                (Some(region.clone()), Some(service.clone()))
            }
        };
        // A request's lines are wanted from every service it went through.
        let following = !self.logs.correlation_ids.is_empty();
        let service = service.filter(|_| !following);
        let region = region.or_else(|| match self.log_regions().as_slice() {
            [one] if !following => Some(one.clone()),
            _ => None,
        });
        let mut ids = self.logs.correlation_ids.iter().cloned();
        LogFilter {
            region,
            service,
            correlation_id: ids.next(),
            more_correlation_ids: ids.collect(),
            text: self.logs.text.clone(),
            range: self.logs.range,
        }
    }

    /// Bring the tail in line with the view and filters: a new source request when the
    /// regions or the correlation id changed, a new local filter when the scope changed.
    pub fn sync_logs(&mut self) -> Vec<Effect> {
        let filter = self.log_filter();
        if *self.logs.store.filter() != filter {
            let keep = self.logs.selected_event().map(|_| self.logs.selected);
            self.logs.store.set_filter(filter);
            if let Some(seq) = keep {
                self.logs.selected = seq;
            }
            self.dirty = true;
        }
        let regions = self.log_regions();
        let target = (!regions.is_empty()).then(|| LogTarget {
            regions,
            correlation_ids: self.logs.correlation_ids.clone(),
            epoch: self.logs.epoch,
        });
        if target == self.logs.target {
            return Vec::new();
        }
        self.logs.generation += 1;
        self.logs.target = target.clone();
        self.logs.store.clear();
        self.logs.follow = true;
        self.logs.error = None;
        self.logs.sampled = false;
        self.logs.truncated = false;
        self.logs.behind_ms = None;
        self.logs.loading = target.is_some();
        self.dirty = true;
        let to = self.clock.now();
        let (from, limit) = match &target {
            Some(t) if !t.correlation_ids.is_empty() => (to - self.window, REQUEST_LIMIT),
            _ => (to - TAIL_BACKFILL, TAIL_LIMIT),
        };
        vec![Effect::TailLogs { generation: self.logs.generation, target, from, to, limit }]
    }

    /// Start the tail again from the clock's present (after a jump or a scenario switch).
    pub fn restart_logs(&mut self) -> Vec<Effect> {
        self.logs.epoch += 1;
        self.sync_logs()
    }

    /// Lines (or an error) from the log source.
    pub fn on_logs(&mut self, generation: u64, update: LogUpdate, backfill: bool, wall: Millis) {
        if generation != self.logs.generation {
            return;
        }
        self.dirty = true;
        if backfill {
            self.logs.loading = false;
        }
        match update {
            Ok(batch) => {
                self.logs.sampled = batch.sampled;
                self.logs.truncated |= batch.truncated && backfill;
                if !backfill {
                    self.logs.behind_ms = batch.behind_ms;
                }
                if !batch.events.is_empty() {
                    self.logs.error = None;
                }
                self.logs.store.extend(batch.events);
            }
            Err(e) => {
                let hint = e.hint.map(|h| format!(" — {h}")).unwrap_or_default();
                self.logs.error = Some((format!("{}{hint}", e.message), wall));
            }
        }
    }

    /// Set (or with `None` clear) the correlation id filter and show the tail.
    pub fn set_correlation(&mut self, id: Option<String>) -> Vec<Effect> {
        self.set_correlations(id.as_deref().map(parse_ids).unwrap_or_default())
    }

    /// Follow these requests' lines (none: clear the correlation id filter, and the span's
    /// time range that goes with it).
    pub fn set_correlations(&mut self, ids: Vec<String>) -> Vec<Effect> {
        if ids.is_empty() {
            self.logs.range = None;
        }
        self.message = Some(match ids.as_slice() {
            [] if self.logs.correlation_ids.is_empty() => {
                ("no correlation id was set".into(), false)
            }
            [] => {
                (format!("cleared correlation ids {}", self.logs.correlation_ids.join(", ")), false)
            }
            [one] => (format!("logs of correlation id {one}"), false),
            many => (format!("logs of {} correlation ids: {}", many.len(), many.join(", ")), false),
        });
        self.logs.correlation_ids = ids;
        self.logs.follow = true;
        if !self.logs.correlation_ids.is_empty() {
            self.focus = Focus::Logs;
        }
        self.sync_logs()
    }

    /// Set (or clear) the text filter: `a|b` shows lines with either, `re:EXPR` a regular
    /// expression. A bad expression is reported and the filter stays as it was.
    pub fn set_search(&mut self, text: Option<String>) -> Vec<Effect> {
        let text = text.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if let Some(t) = &text
            && let Err(e) = Needle::check(t)
        {
            self.message = Some((e, true));
            return Vec::new();
        }
        self.message = match (&text, &self.logs.text) {
            (Some(t), _) => Some((format!("log tail filtered by /{t}"), false)),
            (None, Some(old)) => Some((format!("cleared text filter /{old}"), false)),
            (None, None) => None,
        };
        self.logs.text = text;
        self.logs.follow = true;
        self.sync_logs()
    }

    /// Movement and the tail's own actions while the log pane has the focus.
    pub(super) fn log_move(&mut self, delta: isize) {
        self.logs.step(delta);
    }

    pub(super) fn log_top(&mut self) {
        self.logs.select(0);
    }

    pub(super) fn log_follow(&mut self) {
        self.logs.follow = true;
    }

    /// Jump to the next (or previous) line whose message shows a highlighted term.
    pub(super) fn log_next_match(&mut self, forward: bool) {
        let terms: Vec<Needle> =
            self.logs.store.filter().terms().into_iter().map(Needle::new).collect();
        if terms.is_empty() {
            self.message = Some(("no filter terms to look for: c or / sets one".into(), true));
            return;
        }
        let Some(cur) = self.logs.selected_index() else { return };
        let store = &self.logs.store;
        // A cheap look at the whole line first, then the message column only.
        let hit = store.find(cur, forward, |l| {
            terms.iter().any(|t| t.find(l.raw()).is_some()) && {
                let e = store.parser().parse(l.raw(), Default::default());
                terms.iter().any(|t| t.find(&e.message).is_some())
            }
        });
        self.jump(hit, "match");
    }

    pub(super) fn log_next_error(&mut self, forward: bool) {
        let Some(cur) = self.logs.selected_index() else { return };
        let hit = self.logs.store.find(cur, forward, |l| l.level == Level::Error);
        self.jump(hit, "error line");
    }

    fn jump(&mut self, hit: Option<usize>, what: &str) {
        match hit {
            Some(i) => {
                self.logs.select(i);
                self.message = None;
            }
            None => self.message = Some((format!("no further {what}"), true)),
        }
    }
}
