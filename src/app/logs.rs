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
    pub correlation_id: Option<String>,
    /// Bumped to start again from the clock's present (a clock jump, a refresh).
    pub epoch: u64,
}

pub struct LogPane {
    pub store: LogStore,
    /// Replies of older requests are dropped.
    pub generation: u64,
    pub target: Option<LogTarget>,
    /// The filters the user set (scope comes from the drill-down).
    pub correlation_id: Option<String>,
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
            correlation_id: None,
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
            View::Overview if self.logs.correlation_id.is_some() => {
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
        let service = service.filter(|_| self.logs.correlation_id.is_none());
        let region = region.or_else(|| match self.log_regions().as_slice() {
            [one] if self.logs.correlation_id.is_none() => Some(one.clone()),
            _ => None,
        });
        LogFilter {
            region,
            service,
            correlation_id: self.logs.correlation_id.clone(),
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
            correlation_id: self.logs.correlation_id.clone(),
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
            Some(t) if t.correlation_id.is_some() => (to - self.window, REQUEST_LIMIT),
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
        let id = id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if id.is_none() {
            self.logs.range = None;
        }
        self.message = Some(match &id {
            Some(c) => (format!("logs of correlation id {c}"), false),
            None => ("correlation id filter cleared".into(), false),
        });
        self.logs.correlation_id = id;
        self.logs.follow = true;
        if self.logs.correlation_id.is_some() {
            self.focus = Focus::Logs;
        }
        self.sync_logs()
    }

    pub fn set_search(&mut self, text: Option<String>) -> Vec<Effect> {
        self.logs.text = text.filter(|s| !s.trim().is_empty());
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
