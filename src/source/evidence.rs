//! The evidence of an incident as a source of every pane: log exports, trace exports and
//! CloudTrail files given by path, folder or glob (or one folder sorted by content), read
//! together. Without metrics in the evidence, the RED pane is computed from its request-level
//! records (see [`crate::analysis::requests`]) and says so; the clock is the evidence's own
//! time, never the wall clock.

use super::files::{FileChanges, FileLogs, FileTraces, read_head};
use super::scan::{Prefilter, Progress};
use super::{MetricsSource, RequestSource, SourceError};
use crate::analysis::requests::{self, Basis};
use crate::config::ServiceConfig;
use crate::model::logline::LineParser;
use crate::model::logstore::Needle;
use crate::model::{
    Boundary, MINUTE_MS, MetricsQuery, MetricsSnapshot, Millis, RequestSample, Scope,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Logs,
    Traces,
    Changes,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Logs => "log",
            Kind::Traces => "trace",
            Kind::Changes => "CloudTrail",
        }
    }
}

/// The files of each kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvidencePaths {
    pub logs: Vec<PathBuf>,
    pub traces: Vec<PathBuf>,
    pub changes: Vec<PathBuf>,
}

impl EvidencePaths {
    pub fn is_empty(&self) -> bool {
        self.logs.is_empty() && self.traces.is_empty() && self.changes.is_empty()
    }

    /// Add what a `--logs`/`--traces`/`--changes` argument names.
    pub fn add(&mut self, kind: Kind, arg: &Path) -> Result<(), String> {
        let files = expand(arg)?;
        let list = match kind {
            Kind::Logs => &mut self.logs,
            Kind::Traces => &mut self.traces,
            Kind::Changes => &mut self.changes,
        };
        for f in files {
            if !list.contains(&f) {
                list.push(f);
            }
        }
        Ok(())
    }

    /// Every file below `dir`, sorted by what it holds (`--evidence DIR`).
    pub fn sort_dir(&mut self, dir: &Path) -> Result<(), String> {
        let files = expand(dir)?;
        let mut unknown = Vec::new();
        for f in files {
            // What a file holds is told by its first MiB (all `classify` looks at).
            let bytes = read_head(&f, 1 << 20)?;
            match classify(&bytes) {
                Some(k) => self.add(k, &f)?,
                None => unknown.push(f),
            }
        }
        if !unknown.is_empty() {
            tracing::info!(files = ?unknown, "evidence files of no known kind were skipped");
        }
        if self.is_empty() {
            return Err(format!("{}: no log, trace or CloudTrail file found in it", dir.display()));
        }
        Ok(())
    }

    /// `2 log files, 1 trace file, 3 CloudTrail files`.
    pub fn describe(&self) -> String {
        let part = |n: usize, what: &str| match n {
            0 => None,
            1 => Some(format!("1 {what} file")),
            n => Some(format!("{n} {what} files")),
        };
        [
            part(self.logs.len(), "log"),
            part(self.traces.len(), "trace"),
            part(self.changes.len(), "CloudTrail"),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// The files a path names: the file; every file below a folder (sorted, hidden ones left
/// out); the files a glob pattern matches (`exports/*.json.gz`).
pub fn expand(arg: &Path) -> Result<Vec<PathBuf>, String> {
    let text = arg.to_string_lossy();
    if !arg.exists() && text.contains(['*', '?', '[']) {
        let paths = glob::glob(&text).map_err(|e| format!("{text}: not a usable pattern: {e}"))?;
        let mut out = Vec::new();
        for p in paths {
            let p = p.map_err(|e| format!("{text}: {e}"))?;
            if p.is_dir() {
                out.extend(walk(&p)?);
            } else {
                out.push(p);
            }
        }
        if out.is_empty() {
            return Err(format!("{text}: no file matches"));
        }
        return Ok(out);
    }
    let meta = std::fs::metadata(arg).map_err(|e| format!("cannot read {}: {e}", arg.display()))?;
    if meta.is_dir() {
        let files = walk(arg)?;
        if files.is_empty() {
            return Err(format!("{}: the folder has no files", arg.display()));
        }
        Ok(files)
    } else {
        Ok(vec![arg.to_path_buf()])
    }
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for e in entries {
            let e = e.map_err(|e| format!("cannot read {}: {e}", d.display()))?;
            let name = e.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let ft = e.file_type().map_err(|err| format!("{}: {err}", e.path().display()))?;
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What a file's content is (for `--evidence DIR`): CloudTrail (`Records`, lookup-events'
/// `Events`), traces (`Traces`, segment documents) or logs (CLI exports, JSON or text lines).
pub fn classify(bytes: &[u8]) -> Option<Kind> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 20)]);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.is_empty() {
        return None;
    }
    let first: Option<Value> = if t.starts_with('{') || t.starts_with('[') {
        let mut it = serde_json::Deserializer::from_str(t).into_iter::<Value>();
        it.next().and_then(Result::ok)
    } else {
        None
    };
    let segment = |v: &Value| {
        v.get("trace_id").is_some() && v.get("start_time").is_some() && v.get("id").is_some()
    };
    match &first {
        Some(v) if v.get("Records").is_some() => Some(Kind::Changes),
        Some(v) if v.get("Events").is_some_and(Value::is_array) => Some(Kind::Changes),
        Some(v) if v.get("eventID").is_some() && v.get("eventSource").is_some() => {
            Some(Kind::Changes)
        }
        Some(v) if v.get("Traces").is_some() => Some(Kind::Traces),
        Some(v) if segment(v) => Some(Kind::Traces),
        Some(Value::Array(a)) if a.first().is_some_and(segment) => Some(Kind::Traces),
        Some(Value::Array(a)) if a.first().is_some_and(|v| v.get("eventID").is_some()) => {
            Some(Kind::Changes)
        }
        _ => {
            // JSON lines of segment documents are traces; any other text is log lines.
            let line = t.lines().next().unwrap_or("");
            match serde_json::from_str::<Value>(line) {
                Ok(v) if segment(&v) => Some(Kind::Traces),
                _ if t.is_char_boundary(0) => Some(Kind::Logs),
                _ => None,
            }
        }
    }
}

/// The evidence, read.
pub struct Evidence {
    pub paths: EvidencePaths,
    pub logs: Option<Arc<FileLogs>>,
    pub traces: Option<Arc<FileTraces>>,
    pub changes: Option<Arc<FileChanges>>,
    pub metrics: Arc<EvidenceMetrics>,
}

impl Evidence {
    /// Read every file. `boundary` is where the investigation stays.
    pub fn load(
        paths: EvidencePaths,
        parser: LineParser,
        services: &[ServiceConfig],
        correlation_key: &str,
        boundary: &Boundary,
    ) -> Result<Evidence, String> {
        let home = boundary.regions().next().map(|(_, r)| r.to_string()).unwrap_or_default();
        let mut logs = match paths.logs.as_slice() {
            [] => None,
            p => Some(FileLogs::load_all(p, parser, services, &home)?),
        };
        let mut traces = match paths.traces.as_slice() {
            [] => None,
            p => Some(FileTraces::load_all(p, correlation_key)?),
        };
        if let (Some(t), Some(l)) = (&mut traces, &logs) {
            t.learn_trace_ids(l.events());
        }
        let changes = match paths.changes.as_slice() {
            [] => None,
            p => Some(FileChanges::load_all(p)?),
        };
        // Lines that name no region belong to the evidence's region, when it has only one.
        let mut regions: std::collections::BTreeSet<&str> = Default::default();
        if let Some(l) = &logs {
            regions.extend(l.events().iter().map(|e| e.region.as_str()).filter(|r| !r.is_empty()));
        }
        if let Some(t) = &traces {
            regions.extend(t.traces().iter().map(|t| t.region.as_str()).filter(|r| !r.is_empty()));
        }
        let only = match regions.iter().collect::<Vec<_>>().as_slice() {
            [one] => Some(one.to_string()),
            _ => None,
        };
        if let (Some(l), Some(r)) = (&mut logs, &only) {
            l.fill_region(r);
        }
        let events = logs.as_ref().map_or(&[][..], |l| l.events());
        let trace_list = traces.as_ref().map_or(&[][..], |t| t.traces());
        let (reqs, basis) = requests::requests(events, trace_list);
        let mut times: Vec<Millis> = events.iter().map(|e| e.at).collect();
        for t in trace_list {
            for s in &t.spans {
                times.push(s.start);
                times.push(s.start + s.duration_ms as Millis);
            }
        }
        if times.iter().all(|t| *t <= 0)
            && let Some(c) = &changes
        {
            times.extend(c.all().iter().map(|c| c.at));
        }
        times.retain(|t| *t > 0);
        let range = times.iter().min().zip(times.iter().max()).map(|(a, b)| (*a, *b));
        let metrics = Arc::new(EvidenceMetrics {
            boundary: boundary.clone(),
            requests: reqs,
            basis,
            range,
            has_logs: logs.is_some(),
            has_traces: traces.is_some(),
        });
        Ok(Evidence {
            paths,
            logs: logs.map(Arc::new),
            traces: traces.map(Arc::new),
            changes: changes.map(Arc::new),
            metrics,
        })
    }

    /// Read the evidence for one search (`warroom logs --correlation-id` / `--grep`): only
    /// the log lines the search can show (see [`FileLogs::load_matching`]), placed in the
    /// evidence's only region as [`Evidence::load`] places them. What needs every line (the
    /// evidence's regions when a shown line names none, its end when `need_end`) is surveyed
    /// only then; `end` is `None` when it was not.
    #[allow(clippy::too_many_arguments)]
    pub fn search(
        paths: &EvidencePaths,
        parser: LineParser,
        services: &[ServiceConfig],
        correlation_key: &str,
        boundary: &Boundary,
        pre: &Prefilter,
        text: Option<&Needle>,
        need_end: bool,
        progress: &Progress,
    ) -> Result<Searched, String> {
        let home = boundary.regions().next().map(|(_, r)| r.to_string()).unwrap_or_default();
        let traces = match paths.traces.as_slice() {
            [] => None,
            p => Some(FileTraces::load_all(p, correlation_key)?),
        };
        let changes = match paths.changes.as_slice() {
            [] => None,
            p => Some(FileChanges::load_all(p)?),
        };
        let mut logs = FileLogs::load_matching(
            &paths.logs,
            parser.clone(),
            services,
            &home,
            pre,
            text,
            progress,
        )?;
        let placeless = logs.events().iter().any(|e| e.region.is_empty());
        if !placeless && !need_end {
            return Ok(Searched { logs, end: None });
        }
        let survey = FileLogs::survey(&paths.logs, parser, services, progress)?;
        let mut regions: std::collections::BTreeSet<&str> =
            survey.regions.iter().map(String::as_str).collect();
        let mut latest = survey.latest;
        if let Some(t) = &traces {
            regions.extend(t.traces().iter().map(|t| t.region.as_str()).filter(|r| !r.is_empty()));
            for s in t.traces().iter().flat_map(|t| &t.spans) {
                for at in [s.start, s.start + s.duration_ms as Millis] {
                    if at > 0 {
                        latest = latest.max(Some(at));
                    }
                }
            }
        }
        if latest.is_none()
            && let Some(c) = &changes
        {
            latest = c.all().iter().map(|c| c.at).filter(|t| *t > 0).max();
        }
        if let [one] = regions.iter().collect::<Vec<_>>().as_slice() {
            let one = one.to_string();
            logs.fill_region(&one);
        }
        let end = latest.map(|b| b - b.rem_euclid(MINUTE_MS) + MINUTE_MS);
        Ok(Searched { logs, end: Some(end) })
    }

    /// The services the evidence's requests, logs and traces name.
    pub fn services(&self) -> Vec<String> {
        let mut names: std::collections::BTreeSet<String> =
            self.metrics.requests.iter().map(|r| r.service.clone()).collect();
        if let Some(l) = &self.logs {
            names.extend(l.events().iter().map(|e| e.service.clone()));
        }
        if let Some(t) = &self.traces {
            for t in t.traces() {
                names.extend(t.spans.iter().filter(|s| !s.inferred).map(|s| s.service.clone()));
            }
        }
        names.into_iter().filter(|n| !n.is_empty()).collect()
    }

    /// Where the cockpit's clock stands: the end of the evidence, on a minute boundary.
    pub fn end(&self) -> Option<Millis> {
        self.metrics.end()
    }
}

/// The log lines of one search of the evidence (see [`Evidence::search`]).
pub struct Searched {
    pub logs: FileLogs,
    /// The evidence's end (see [`Evidence::end`]), when it was surveyed.
    pub end: Option<Option<Millis>>,
}

/// RED and failing requests computed from the evidence's request-level records.
pub struct EvidenceMetrics {
    boundary: Boundary,
    requests: Vec<RequestSample>,
    basis: Basis,
    range: Option<(Millis, Millis)>,
    has_logs: bool,
    has_traces: bool,
}

impl EvidenceMetrics {
    pub fn requests(&self) -> &[RequestSample] {
        &self.requests
    }

    pub fn basis(&self) -> &Basis {
        &self.basis
    }

    /// The first and last time in the evidence.
    pub fn range(&self) -> Option<(Millis, Millis)> {
        self.range
    }

    /// The minute after the evidence's last record.
    pub fn end(&self) -> Option<Millis> {
        self.range.map(|(_, b)| b - b.rem_euclid(MINUTE_MS) + MINUTE_MS)
    }

    /// `computed from the evidence: 1,412 requests: …`, or why there is nothing to compute.
    pub fn describe(&self) -> String {
        if self.basis.total() == 0 {
            let had = match (self.has_logs, self.has_traces) {
                (false, false) => "the evidence has no log or trace files",
                _ => "the evidence's logs and traces hold no request-level records",
            };
            return format!("no RED: {had} (REPORT lines, X-Ray segments, correlation ids)");
        }
        format!("computed from the evidence, {}", self.basis.describe())
    }
}

impl MetricsSource for EvidenceMetrics {
    fn name(&self) -> &str {
        "evidence"
    }

    async fn metrics(&self, q: MetricsQuery) -> Result<MetricsSnapshot, SourceError> {
        let mut snap = requests::red_snapshot(&self.requests, &self.boundary, q.now, q.span);
        snap.basis = Some(self.describe());
        Ok(snap)
    }
}

impl RequestSource for EvidenceMetrics {
    async fn failing_requests(
        &self,
        scope: Scope,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<RequestSample>, SourceError> {
        crate::source::in_boundary(&self.boundary, &scope.region)?;
        let mut out: Vec<RequestSample> = self
            .requests
            .iter()
            .filter(|r| {
                r.region == scope.region
                    && scope.service.as_deref().is_none_or(|s| s == r.service)
                    && scope.operation.as_deref().is_none_or(|o| o == r.operation)
                    && r.outcome.is_failure()
                    && r.at >= from
                    && r.at < to
            })
            .cloned()
            .collect();
        // Newest first, as the simulator lists them.
        out.sort_by_key(|r| std::cmp::Reverse(r.at));
        out.truncate(limit);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_told_apart_by_content() {
        assert_eq!(classify(br#"{"Records":[]}"#), Some(Kind::Changes));
        assert_eq!(
            classify(br#"{"Events":[{"EventId":"1","CloudTrailEvent":"{}"}]}"#),
            Some(Kind::Changes)
        );
        assert_eq!(classify(br#"{"Traces":[],"UnprocessedTraceIds":[]}"#), Some(Kind::Traces));
        assert_eq!(
            classify(b"{\"trace_id\":\"1-a-b\",\"id\":\"x\",\"start_time\":1}\n{\"trace_id\":\"1-a-b\",\"id\":\"y\",\"start_time\":1}\n"),
            Some(Kind::Traces)
        );
        assert_eq!(classify(br#"{"events":[],"searchedLogStreams":[]}"#), Some(Kind::Logs));
        assert_eq!(classify(b"START RequestId: x\n"), Some(Kind::Logs));
        assert_eq!(classify(b"  \n"), None);
    }
}
