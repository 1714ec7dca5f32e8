//! Evidence files as sources: log exports, trace exports and CloudTrail files, several of
//! each, gzipped or not.
//!
//! Log files: JSON lines, plain text lines, or the JSON that `aws logs filter-log-events` and
//! `aws logs get-log-events` print (`{"events": [{"timestamp", "message", ...}]}`), several of
//! those documents one after the other (`>>` of two calls), or the payload a subscription
//! filter delivers (`{"logGroup", "logStream", "logEvents": [...]}`). A file is evidence: all
//! of its lines are read whatever their time, and lines appended to a line file later are
//! followed like `tail -f`. Invalid UTF-8 is replaced, not fatal.
//!
//! Where a line comes from: its own fields (`region`, `awsRegion`, `service`) first, then its
//! file (the log group in the document or in the file's path, `/aws/lambda/NAME` →
//! `NAME`, mapped to a configured service by its log groups or function name; a region
//! named in the path), then the evidence as a whole (when it all comes from one region).

use super::{LogBatch, LogQuery, LogSource, LogUpdate, SourceError, SourceErrorKind, scan};
use crate::config::ServiceConfig;
use crate::model::logline::{LineContext, LineParser};
use crate::model::{Clock, LogEvent, lambda};
use serde_json::Value;
use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;

/// The most bytes one evidence file may hold once decompressed.
pub const MAX_FILE_BYTES: u64 = 4 << 30;

/// The gzip magic number.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A file's bytes, decompressed when gzipped (told by its magic number), at most
/// [`MAX_FILE_BYTES`].
pub fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    read_file_at_most(path, MAX_FILE_BYTES)
}

/// Trace files are parsed whole (a JSON document's tree takes several times its bytes), so
/// they are held to less than other files.
pub const MAX_TRACE_FILE_BYTES: u64 = 512 << 20;

/// `1 GiB`, `512 MiB`.
fn bytes_name(n: u64) -> String {
    if n >= 1 << 30 && n.is_multiple_of(1 << 30) {
        format!("{} GiB", n >> 30)
    } else {
        format!("{} MiB", n >> 20)
    }
}

/// `path` opened for reading, refused unless it is a regular file: a FIFO or a device would
/// be read forever, and evidence is files.
pub fn open_regular(path: &Path) -> Result<std::fs::File, String> {
    let f =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    match f.metadata() {
        Ok(m) if m.is_file() => Ok(f),
        Ok(_) => Err(format!("{}: not a regular file", path.display())),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// [`read_file`] with its own cap, named in the error when the file is bigger.
pub fn read_file_at_most(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let f = open_regular(path)?;
    let mut head = [0u8; 2];
    let n = (&f).take(2).read(&mut head).unwrap_or(0);
    let mut f = f;
    f.seek(SeekFrom::Start(0)).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    let limit = cap + 1;
    let read = if n == 2 && head == GZIP_MAGIC {
        flate2::read::MultiGzDecoder::new(f).take(limit).read_to_end(&mut out)
    } else {
        f.take(limit).read_to_end(&mut out)
    };
    read.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if out.len() as u64 > cap {
        return Err(format!(
            "{}: more than {} (decompressed): split it, or filter it before reading",
            path.display(),
            bytes_name(cap)
        ));
    }
    Ok(out)
}

/// The first `n` bytes of a file (decompressed when gzipped): enough to tell what it holds
/// without reading it whole.
pub fn read_head(path: &Path, n: u64) -> Result<Vec<u8>, String> {
    let (f, _, gz) = scan::open(path)?;
    let mut out = Vec::new();
    let read = if gz {
        flate2::read::MultiGzDecoder::new(f).take(n).read_to_end(&mut out)
    } else {
        f.take(n).read_to_end(&mut out)
    };
    read.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(out)
}

/// `a.json` for one file, `3 log files` for several.
fn name_of(paths: &[PathBuf], what: &str) -> String {
    match paths {
        [one] => one.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        many => format!("{} {what} files", many.len()),
    }
}

// ---------------------------------------------------------------------------------------------
// Where lines come from

/// The AWS region a text names (`eu-west-1`, `us-gov-west-1`), if any: the first one.
pub fn find_region(s: &str) -> Option<String> {
    const PREFIXES: &[&str] = &["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn"];
    const WHERE: &[&str] = &[
        "northeast",
        "southeast",
        "northwest",
        "southwest",
        "north",
        "south",
        "east",
        "west",
        "central",
    ];
    let b = s.as_bytes();
    for i in 0..b.len() {
        if i > 0 && b[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        let rest = &s[i..];
        let Some(p) = PREFIXES.iter().find(|p| rest.starts_with(&format!("{p}-"))) else {
            continue;
        };
        let mut r = &rest[p.len() + 1..];
        let gov = r.starts_with("gov-");
        if gov {
            r = &r[4..];
        }
        let Some(w) = WHERE.iter().find(|w| r.starts_with(&format!("{w}-"))) else { continue };
        let digits: String = r[w.len() + 1..].chars().take_while(char::is_ascii_digit).collect();
        let after = r[w.len() + 1 + digits.len()..].chars().next();
        if !digits.is_empty() && after.is_none_or(|c| !c.is_ascii_alphanumeric()) {
            let gov = if gov { "gov-" } else { "" };
            return Some(format!("{p}-{gov}{w}-{digits}"));
        }
    }
    None
}

/// The service a log group belongs to: `/aws/lambda/NAME`, `/ecs/NAME`, else the group's last
/// part; a configured service when one names the group in `log-groups` or the function in its
/// dimensions.
pub fn service_of_group(group: &str, services: &[ServiceConfig]) -> String {
    if let Some(s) = services.iter().find(|s| s.log_groups.iter().any(|g| g == group)) {
        return s.name.clone();
    }
    let base = group.trim_end_matches('/').rsplit('/').next().unwrap_or(group);
    configured(base, services).unwrap_or_else(|| base.to_string())
}

fn configured(name: &str, services: &[ServiceConfig]) -> Option<String> {
    services
        .iter()
        .find(|s| s.name == name || s.dimensions.values().any(|v| v == name))
        .map(|s| s.name.clone())
}

/// What a file's path says about its lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub region: Option<String>,
    pub service: Option<String>,
}

/// The region and service a path names: a region anywhere in it; a log group written into the
/// file name (`aws-lambda-NAME.json`, `_aws_lambda_NAME.json`, `%2Faws%2Flambda%2FNAME`) or as
/// folders (`…/aws/lambda/NAME/…`); else a configured service named by a part of the path;
/// else the file's stem.
pub fn origin_of(path: &Path, services: &[ServiceConfig]) -> Origin {
    let text = path.to_string_lossy().replace("%2F", "/").replace("%2f", "/");
    let region = find_region(&text);
    let stem = {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut stem = name.as_str();
        for ext in [".gz", ".json", ".jsonl", ".ndjson", ".log", ".txt", ".out"] {
            stem = stem.strip_suffix(ext).unwrap_or(stem);
        }
        for ext in [".json", ".jsonl", ".log", ".txt"] {
            stem = stem.strip_suffix(ext).unwrap_or(stem);
        }
        stem.to_string()
    };
    let mut service = None;
    for marker in ["aws/lambda/", "aws-lambda-", "aws_lambda_", "ecs/"] {
        if let Some(i) = text.rfind(marker) {
            let rest = &text[i + marker.len()..];
            let end = rest.find('/').unwrap_or(rest.len());
            let mut name = &rest[..end];
            for ext in [".gz", ".json", ".jsonl", ".log", ".txt"] {
                name = name.strip_suffix(ext).unwrap_or(name);
            }
            for ext in [".json", ".jsonl", ".log", ".txt"] {
                name = name.strip_suffix(ext).unwrap_or(name);
            }
            // A region written beside the name (`…-worker.eu-west-1`) is not part of it.
            if let Some(r) = &region {
                name = name.trim_end_matches(r.as_str()).trim_end_matches(['.', '_', '-']);
            }
            if !name.is_empty() {
                service = Some(configured(name, services).unwrap_or_else(|| name.to_string()));
                break;
            }
        }
    }
    let service = service
        .or_else(|| {
            let parts: Vec<&str> = text.split(['/', '.', '_']).collect();
            services
                .iter()
                .filter(|s| {
                    parts.iter().any(|p| {
                        *p == s.name
                            || s.dimensions.values().any(|v| v == p)
                            || stem.contains(s.name.as_str())
                    })
                })
                .max_by_key(|s| s.name.len())
                .map(|s| s.name.clone())
        })
        .or_else(|| {
            let s = region.as_ref().map_or(stem.as_str(), |r| {
                stem.trim_start_matches(r.as_str())
                    .trim_end_matches(r.as_str())
                    .trim_matches(['.', '_', '-'])
            });
            (!s.is_empty()).then(|| s.to_string())
        });
    Origin { region, service }
}

// ---------------------------------------------------------------------------------------------
// Logs

/// A line file followed for appended lines.
#[derive(Clone, Debug)]
struct Followed {
    path: PathBuf,
    origin: Origin,
    /// Where reading stopped (complete lines only).
    end: u64,
    /// The file's inode: another one at the path is a rotated log, read from its start.
    inode: u64,
    /// The most bytes one read takes ([`FOLLOW_CHUNK`]).
    chunk: u64,
    /// The newest time of a line read.
    newest: crate::model::Millis,
}

/// The most bytes read for one line of a followed file; a longer line is kept cut.
const FOLLOW_CHUNK: u64 = 64 << 20;

fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).map(|m| m.ino()).unwrap_or(0)
}

/// Lines of one or more files, time order.
pub struct FileLogs {
    name: String,
    parser: LineParser,
    services: Vec<ServiceConfig>,
    events: Vec<LogEvent>,
    follow: Vec<Followed>,
    /// The region lines without one are shown under.
    home: String,
    /// Reading the files on a thread of their own (see [`FileLogs::load_background`]).
    loading: Option<std::sync::Arc<Loading>>,
}

/// Log files being read in the background: what was read, once it was.
struct Loading {
    done: std::sync::OnceLock<Result<FileLogs, String>>,
    ready: tokio::sync::watch::Receiver<bool>,
}

/// What the lines of log files say of where and when (see [`FileLogs::survey`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Survey {
    /// The latest time a line has (after the epoch).
    pub latest: Option<crate::model::Millis>,
    /// The regions lines name or are placed in.
    pub regions: std::collections::BTreeSet<String>,
}

impl Survey {
    fn add(&mut self, at: crate::model::Millis, region: &str) {
        if at > 0 {
            self.latest = self.latest.max(Some(at));
        }
        if !region.is_empty() && !self.regions.contains(region) {
            self.regions.insert(region.to_string());
        }
    }
}

/// Keep one of each line read twice (the same line of two overlapping exports): the same
/// time, service and text. `events` are in time order, so the copies of a line are in the
/// run of lines of its time; the first is kept and the order is unchanged. No line is copied
/// to tell them apart.
fn dedup_lines(events: &mut Vec<LogEvent>) {
    let mut keep = vec![true; events.len()];
    let mut i = 0;
    while i < events.len() {
        let at = events[i].at;
        let run = events[i..].iter().take_while(|e| e.at == at).count();
        if run > 1 {
            let mut seen: HashSet<(&str, &str)> = HashSet::with_capacity(run);
            for (k, e) in events[i..i + run].iter().enumerate() {
                keep[i + k] = seen.insert((e.service.as_str(), e.raw.as_str()));
            }
        }
        i += run;
    }
    let mut kept = keep.into_iter();
    events.retain(|_| kept.next().unwrap_or(true));
}

fn take(e: &mut LogEvent) -> LogEvent {
    std::mem::replace(
        e,
        LogEvent {
            at: 0,
            region: String::new(),
            service: String::new(),
            level: crate::model::Level::Info,
            message: String::new(),
            correlation_id: None,
            tenant: None,
            operation: None,
            trace_id: None,
            request_id: None,
            raw: String::new(),
        },
    )
}

/// Whether a log file holds `aws logs` documents (read whole) rather than lines: its first
/// JSON value is one, as [`FileLogs::load_all`] tells them apart.
fn is_document_file(path: &Path) -> Result<bool, String> {
    let (f, _, gz) = scan::open(path)?;
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(f)))
    } else {
        Box::new(f)
    };
    let mut reader = std::io::BufReader::with_capacity(64 << 10, reader);
    // Past leading whitespace: a document starts with `{`.
    loop {
        let buf = std::io::BufRead::fill_buf(&mut reader)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if buf.is_empty() {
            return Ok(false);
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let first = buf[i];
                std::io::BufRead::consume(&mut reader, i);
                if first != b'{' {
                    return Ok(false);
                }
                break;
            }
            None => {
                let n = buf.len();
                std::io::BufRead::consume(&mut reader, n);
            }
        }
    }
    let mut docs = serde_json::Deserializer::from_reader(reader).into_iter::<Value>();
    Ok(matches!(docs.next(), Some(Ok(first)) if is_log_document(&first)))
}

/// The AWS CLI's `filter-log-events` / `get-log-events` output, or a subscription payload.
fn is_log_document(v: &Value) -> bool {
    v.get("events").is_some_and(Value::is_array) || v.get("logEvents").is_some_and(Value::is_array)
}

impl FileLogs {
    /// The lines of a file of `aws logs` documents (read whole); `None` for a file of lines.
    fn document_events(
        &self,
        path: &Path,
        origin: &Origin,
    ) -> Result<Option<Vec<LogEvent>>, String> {
        if !is_document_file(path)? {
            return Ok(None);
        }
        let bytes = read_file(path)?;
        self.documents(&bytes, origin).map(Some).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// No lines yet, of `paths`.
    fn empty(
        paths: &[PathBuf],
        parser: LineParser,
        services: &[ServiceConfig],
        home: &str,
    ) -> FileLogs {
        FileLogs {
            name: name_of(paths, "log"),
            parser,
            services: services.to_vec(),
            events: Vec::new(),
            follow: Vec::new(),
            home: home.to_string(),
            loading: None,
        }
    }

    /// Read one file. `home` is the region lines that name none belong to.
    pub fn load(path: &Path, parser: LineParser, home: &str) -> Result<FileLogs, String> {
        FileLogs::load_all(&[path.to_path_buf()], parser, &[], home)
    }

    /// Read several files; lines are merged in time order and duplicates (the same line of
    /// two overlapping exports) kept once. Lambda runtime lines are joined to their requests.
    pub fn load_all(
        paths: &[PathBuf],
        parser: LineParser,
        services: &[ServiceConfig],
        home: &str,
    ) -> Result<FileLogs, String> {
        let mut f = FileLogs::empty(paths, parser, services, home);
        for path in paths {
            let origin = origin_of(path, services);
            if let Some(events) = f.document_events(path, &origin)? {
                f.events.extend(events);
                continue;
            }
            // Line files are parsed in pieces on every core, never held whole.
            let (_, len, gz) = scan::open(path)?;
            let all = scan::Prefilter::everything();
            let progress = scan::Progress::default();
            let pieces: Vec<Vec<LogEvent>> = scan::scan(
                path,
                &all,
                &progress,
                MAX_FILE_BYTES,
                &|acc: &mut Vec<LogEvent>, _, line, _| {
                    if let Some(e) = f.line(line, &origin) {
                        acc.push(e);
                    }
                },
            )?;
            // One allocation of the final size: growing by doubling would hold up to twice
            // the lines at once.
            let mut events: Vec<LogEvent> = Vec::with_capacity(pieces.iter().map(Vec::len).sum());
            for piece in pieces {
                events.extend(piece);
            }
            lambda::join_stream(&mut events);
            if !gz {
                f.follow.push(Followed {
                    path: path.clone(),
                    origin,
                    end: len,
                    inode: inode(path),
                    chunk: FOLLOW_CHUNK,
                    newest: events.iter().map(|e| e.at).max().unwrap_or(0),
                });
            }
            if f.events.is_empty() {
                f.events = events;
            } else {
                f.events.extend(events);
            }
        }
        f.events.sort_by_key(|e| e.at);
        dedup_lines(&mut f.events);
        lambda::join_requests(&mut f.events);
        Ok(f)
    }

    /// Start reading the files on a thread of their own and return at once, so that the
    /// cockpit draws and answers keys while big files are read; the log tail's queries wait
    /// for the read (the pane says it is loading). The files are checked first (each exists
    /// and is a regular file), so a wrong path is still refused at start; what reading them
    /// finds wrong is the log pane's error.
    pub fn load_background(
        paths: &[PathBuf],
        parser: LineParser,
        services: &[ServiceConfig],
        home: &str,
    ) -> Result<FileLogs, String> {
        for p in paths {
            scan::open(p)?;
        }
        let job = (paths.to_vec(), parser.clone(), services.to_vec(), home.to_string());
        FileLogs::in_background(paths, parser, services, home, move || {
            let (paths, parser, services, home) = job;
            FileLogs::load_all(&paths, parser, &services, &home)
        })
    }

    /// A source whose files `read` reads on a thread of its own.
    fn in_background(
        paths: &[PathBuf],
        parser: LineParser,
        services: &[ServiceConfig],
        home: &str,
        read: impl FnOnce() -> Result<FileLogs, String> + Send + 'static,
    ) -> Result<FileLogs, String> {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let loading = std::sync::Arc::new(Loading { done: std::sync::OnceLock::new(), ready: rx });
        let done = loading.clone();
        std::thread::Builder::new()
            .name("log-files".into())
            .spawn(move || {
                let _ = done.done.set(read());
                let _ = tx.send(true);
            })
            .map_err(|e| format!("cannot start reading the log files: {e}"))?;
        Ok(FileLogs { loading: Some(loading), ..FileLogs::empty(paths, parser, services, home) })
    }

    /// The files as read, once a background read is over (`None`: not read in the
    /// background, `self` holds them).
    async fn loaded(&self) -> Result<Option<&FileLogs>, SourceError> {
        let Some(l) = &self.loading else { return Ok(None) };
        let mut ready = l.ready.clone();
        let _ = ready.wait_for(|done| *done).await;
        match l.done.get() {
            Some(Ok(f)) => Ok(Some(f)),
            Some(Err(e)) => Err(SourceError::new(SourceErrorKind::Other, e.clone())),
            None => Err(SourceError::new(
                SourceErrorKind::Other,
                format!("reading {} stopped", self.name),
            )),
        }
    }

    /// Whether a background read is over (always, for files read at once).
    pub fn is_loaded(&self) -> bool {
        self.loading.as_ref().is_none_or(|l| l.done.get().is_some())
    }

    /// Read only the lines a search can show, streamed (never a whole file in memory) and,
    /// for plain files, on every core: the lines `pre` picks out of the raw bytes (those
    /// holding the searched id or text, and the Lambda runtime lines that join a request's
    /// lines), then every line naming a request id one of the searched lines names, so that
    /// joining a request's lines reads as [`FileLogs::load_all`] reads them. The lines that
    /// hold none of it are never parsed. `AWS CLI` documents are read whole, as by
    /// `load_all`. With `text`, only the lines whose text holds it are kept (the others were
    /// read to join them). Lines appended later are not followed.
    pub fn load_matching(
        paths: &[PathBuf],
        parser: LineParser,
        services: &[ServiceConfig],
        home: &str,
        pre: &scan::Prefilter,
        text: Option<&crate::model::logstore::Needle>,
        progress: &scan::Progress,
    ) -> Result<FileLogs, String> {
        let f = FileLogs::empty(paths, parser, services, home);
        type Picked = Vec<(u64, bool, LogEvent)>;
        // Per file: its document events, or its picked lines in file order.
        let mut files: Vec<(Origin, Result<Vec<LogEvent>, Picked>)> = Vec::new();
        for path in paths {
            let origin = origin_of(path, services);
            if let Some(events) = f.document_events(path, &origin)? {
                files.push((origin, Ok(events)));
                continue;
            }
            let pieces: Vec<Picked> = scan::scan(
                path,
                pre,
                progress,
                u64::MAX,
                &|acc: &mut Picked, at, line, wanted| {
                    if let Some(e) = f.line(line, &origin) {
                        acc.push((at, wanted, e));
                    }
                },
            )?;
            let mut picked: Picked = pieces.into_iter().flatten().collect();
            // Every joining line of the file is among the picked ones, in order.
            let mut events: Vec<LogEvent> = picked.iter_mut().map(|p| take(&mut p.2)).collect();
            lambda::join_stream(&mut events);
            for (p, e) in picked.iter_mut().zip(events) {
                p.2 = e;
            }
            files.push((origin, Err(picked)));
        }
        // The request ids the searched lines name: their other lines join them.
        let mut ids: Vec<String> = Vec::new();
        for (_, file) in &files {
            match file {
                Ok(events) => ids.extend(
                    events
                        .iter()
                        .filter(|e| pre.wants(e.raw.as_bytes()))
                        .filter_map(|e| e.request_id.clone()),
                ),
                Err(picked) => {
                    ids.extend(picked.iter().filter(|p| p.1).filter_map(|p| p.2.request_id.clone()))
                }
            }
        }
        ids.sort();
        ids.dedup();
        ids.retain(|i| !i.is_empty());
        if let Some(again) = scan::Prefilter::request_ids(&ids) {
            for (path, (origin, file)) in paths.iter().zip(&mut files) {
                let Err(picked) = file else { continue };
                let known: HashSet<u64> = picked.iter().map(|p| p.0).collect();
                let pieces: Vec<Picked> = scan::scan(
                    path,
                    &again,
                    progress,
                    u64::MAX,
                    &|acc: &mut Picked, at, line, _| {
                        if !known.contains(&at)
                            && let Some(e) = f.line(line, origin)
                        {
                            acc.push((at, false, e));
                        }
                    },
                )?;
                picked.extend(pieces.into_iter().flatten());
                picked.sort_by_key(|p| p.0);
            }
        }
        let mut f = f;
        for (_, file) in files {
            match file {
                Ok(events) => f.events.extend(events),
                Err(picked) => f.events.extend(picked.into_iter().map(|p| p.2)),
            }
        }
        f.events.sort_by_key(|e| e.at);
        dedup_lines(&mut f.events);
        lambda::join_requests(&mut f.events);
        if let Some(t) = text {
            f.events.retain(|e| t.find(&e.raw).is_some());
        }
        Ok(f)
    }

    /// What every line of the files says of where and when (for what depends on the whole
    /// evidence: its only region, its end), read as [`FileLogs::load_matching`] reads, without
    /// keeping the lines.
    pub fn survey(
        paths: &[PathBuf],
        parser: LineParser,
        services: &[ServiceConfig],
        progress: &scan::Progress,
    ) -> Result<Survey, String> {
        let f = FileLogs {
            name: String::new(),
            parser,
            services: services.to_vec(),
            events: Vec::new(),
            follow: Vec::new(),
            home: String::new(),
            loading: None,
        };
        let mut out = Survey::default();
        for path in paths {
            let origin = origin_of(path, services);
            if is_document_file(path)? {
                let bytes = read_file(path)?;
                let events =
                    f.documents(&bytes, &origin).map_err(|e| format!("{}: {e}", path.display()))?;
                for e in events {
                    out.add(e.at, &e.region);
                }
                continue;
            }
            let all = scan::Prefilter::everything();
            let pieces: Vec<Survey> =
                scan::scan(path, &all, progress, u64::MAX, &|acc: &mut Survey, _, line, _| {
                    if let Some(e) = f.line(line, &origin) {
                        acc.add(e.at, &e.region);
                    }
                })?;
            for p in pieces {
                out.latest = out.latest.max(p.latest);
                out.regions.extend(p.regions);
            }
        }
        Ok(out)
    }

    /// Give lines that name no region this one (the evidence's only region).
    pub fn fill_region(&mut self, region: &str) {
        for e in self.events.iter_mut().filter(|e| e.region.is_empty()) {
            e.region = region.to_string();
        }
        for f in &mut self.follow {
            f.origin.region.get_or_insert_with(|| region.to_string());
        }
        self.home = region.to_string();
    }

    /// One or more CLI documents, one after the other. Anything else in between is refused
    /// with its byte offset: it would otherwise be misread as lines.
    fn documents(&self, bytes: &[u8], origin: &Origin) -> Result<Vec<LogEvent>, String> {
        let mut out = Vec::new();
        let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
        let mut n = 0;
        loop {
            let offset = stream.byte_offset();
            let Some(doc) = stream.next() else { break };
            n += 1;
            let doc = doc.map_err(|e| {
                format!(
                    "byte {offset}: document {n} is not JSON ({e}); a log export must hold \
                     only the output of aws logs filter-log-events or get-log-events"
                )
            })?;
            if !is_log_document(&doc) {
                return Err(format!(
                    "byte {offset}: document {n} is not the output of aws logs \
                     filter-log-events or get-log-events (no \"events\" list)"
                ));
            }
            out.extend(self.document(&doc, origin));
        }
        Ok(out)
    }

    fn document(&self, doc: &Value, origin: &Origin) -> Vec<LogEvent> {
        let group = doc.get("logGroup").and_then(Value::as_str);
        let doc_stream = doc.get("logStream").and_then(Value::as_str);
        let service = group.map(|g| service_of_group(g, &self.services));
        let list = doc.get("events").or_else(|| doc.get("logEvents"));
        let mut by_stream: std::collections::BTreeMap<String, Vec<LogEvent>> = Default::default();
        for e in list.and_then(Value::as_array).into_iter().flatten() {
            let Some(msg) = e.get("message").and_then(Value::as_str) else { continue };
            let at = e.get("timestamp").and_then(Value::as_i64);
            let stream = e
                .get("logStreamName")
                .and_then(Value::as_str)
                .or(doc_stream)
                .unwrap_or_default()
                .to_string();
            let ctx = LineContext { at, region: None, service: None };
            let mut ev = self.parser.parse(msg.trim_end_matches('\n'), ctx);
            self.place(&mut ev, origin, service.as_deref());
            by_stream.entry(stream).or_default().push(ev);
        }
        let mut out = Vec::new();
        for (_, mut events) in by_stream {
            events.sort_by_key(|e| e.at);
            lambda::join_stream(&mut events);
            out.extend(events);
        }
        out
    }

    fn lines(&self, bytes: &[u8], origin: &Origin) -> Vec<LogEvent> {
        let mut events: Vec<LogEvent> =
            bytes.split(|&b| b == b'\n').filter_map(|l| self.line(l, origin)).collect();
        lambda::join_stream(&mut events);
        events
    }

    /// One line of a line file (`None` for a blank one).
    fn line(&self, l: &[u8], origin: &Origin) -> Option<LogEvent> {
        if l.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let text = String::from_utf8_lossy(l);
        let mut e = self.parser.parse(text.trim_end_matches('\r'), LineContext::default());
        self.place(&mut e, origin, None);
        Some(e)
    }

    /// The region and service of a line that does not say them itself.
    fn place(&self, e: &mut LogEvent, origin: &Origin, group_service: Option<&str>) {
        if e.region.is_empty()
            && let Some(r) = &origin.region
        {
            e.region = r.clone();
        }
        if e.service.is_empty() {
            if let Some(s) = group_service.map(str::to_string).or_else(|| origin.service.clone()) {
                e.service = s;
            }
        } else if let Some(s) = configured(&e.service, &self.services) {
            e.service = s;
        }
    }

    pub fn events(&self) -> &[LogEvent] {
        &self.events
    }

    fn matching(&self, events: &[LogEvent], q: &LogQuery) -> Vec<LogEvent> {
        events
            .iter()
            .filter(|e| {
                let region_ok =
                    if e.region.is_empty() { q.region == self.home } else { e.region == q.region };
                region_ok
                    && q.correlation_id.as_deref().is_none_or(|c| {
                        e.correlation_id.as_deref() == Some(c)
                            || (e.correlation_id.is_none() && e.raw.contains(c))
                    })
            })
            .cloned()
            .collect()
    }

    /// Lines appended to a followed file since the last read (complete lines only).
    fn read_new(&self, f: &mut Followed) -> std::io::Result<Vec<LogEvent>> {
        use std::os::unix::fs::MetadataExt;
        let mut file = std::fs::File::open(&f.path)?;
        let meta = file.metadata()?;
        let len = meta.len();
        if meta.ino() != f.inode {
            // Rotated (moved away and created again): the new file from its first line.
            f.inode = meta.ino();
            f.end = 0;
        } else if len < f.end {
            f.end = 0; // truncated (copytruncate): read from the start
        }
        if len == f.end {
            return Ok(Vec::new());
        }
        file.seek(SeekFrom::Start(f.end))?;
        let mut buf = Vec::new();
        file.take(f.chunk).read_to_end(&mut buf)?;
        let Some(last_nl) = buf.iter().rposition(|&b| b == b'\n') else {
            if buf.len() as u64 >= f.chunk {
                // One line longer than a chunk: kept cut, and reading goes on after it.
                f.end += buf.len() as u64;
                return Ok(self.lines(&buf, &f.origin));
            }
            return Ok(Vec::new());
        };
        f.end += last_nl as u64 + 1;
        Ok(self.lines(&buf[..last_nl], &f.origin))
    }
}

impl LogSource for FileLogs {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&self, q: LogQuery) -> Result<LogBatch, SourceError> {
        let f = self.loaded().await?.unwrap_or(self);
        Ok(f.fetch_now(&q))
    }

    async fn follow(&self, q: LogQuery, _clock: Clock, sink: mpsc::Sender<LogUpdate>) {
        let f = tokio::select! {
            f = self.loaded() => f,
            _ = sink.closed() => return,
        };
        match f {
            Ok(f) => f.unwrap_or(self).follow_files(q, sink).await,
            // Said by the fetch that waited for the same read.
            Err(_) => sink.closed().await,
        }
    }
}

impl FileLogs {
    fn fetch_now(&self, q: &LogQuery) -> LogBatch {
        let mut events = self.matching(&self.events, q);
        let truncated = events.len() > q.limit;
        if truncated {
            events.drain(..events.len() - q.limit);
        }
        LogBatch { events, sampled: false, truncated, behind_ms: None }
    }

    async fn follow_files(&self, q: LogQuery, sink: mpsc::Sender<LogUpdate>) {
        if self.follow.is_empty() {
            return sink.closed().await;
        }
        let mut files = self.follow.clone();
        let mut behind: Vec<Option<crate::model::Millis>> = vec![None; files.len()];
        loop {
            if behind.iter().all(Option::is_none) {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = sink.closed() => return,
                }
            } else {
                // Behind what is written: read on at once.
                tokio::task::yield_now().await;
                if sink.is_closed() {
                    return;
                }
            }
            for i in 0..files.len() {
                let f = &mut files[i];
                let was = behind[i];
                let update = match self.read_new(f) {
                    Ok(new) => {
                        if let Some(t) = new.iter().map(|e| e.at).max() {
                            f.newest = f.newest.max(t);
                        }
                        behind[i] = self.lag(f);
                        if new.is_empty() && behind[i] == was {
                            continue;
                        }
                        Ok(LogBatch {
                            events: self.matching(&new, &q),
                            behind_ms: behind.iter().flatten().max().copied(),
                            ..LogBatch::default()
                        })
                    }
                    Err(e) => {
                        behind[i] = None;
                        Err(SourceError::new(
                            SourceErrorKind::Other,
                            format!("cannot read {}: {e}", f.path.display()),
                        ))
                    }
                };
                if sink.send(update).await.is_err() {
                    return;
                }
            }
        }
    }

    /// How far behind what is written reading a followed file is: `None` when every line
    /// written was read, else the time from the newest line read to the newest line written
    /// (0 when the lines say no time).
    fn lag(&self, f: &Followed) -> Option<crate::model::Millis> {
        let len = std::fs::metadata(&f.path).ok()?.len();
        if len <= f.end {
            return None;
        }
        let tail = || -> Option<crate::model::Millis> {
            let mut file = std::fs::File::open(&f.path).ok()?;
            let from = len.saturating_sub(64 << 10).max(f.end);
            file.seek(SeekFrom::Start(from)).ok()?;
            let mut buf = Vec::new();
            file.take(len - from).read_to_end(&mut buf).ok()?;
            let end = buf.iter().rposition(|&b| b == b'\n')?;
            let start = buf[..end].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let last = self.line(&buf[start..end], &f.origin)?;
            Some(last.at)
        };
        Some(match tail() {
            Some(at) if f.newest > 0 && at > f.newest => at - f.newest,
            _ => 0,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Changes

/// Changes of CloudTrail files: log files as delivered to S3 (`{"Records": [...]}`, gzipped
/// or not) or the output of `aws cloudtrail lookup-events`. An event in two files (a trail's
/// file and a lookup) is kept once.
pub struct FileChanges {
    name: String,
    changes: Vec<crate::model::Change>,
}

impl FileChanges {
    pub fn load(path: &Path) -> Result<FileChanges, String> {
        FileChanges::load_all(&[path.to_path_buf()])
    }

    pub fn load_all(paths: &[PathBuf]) -> Result<FileChanges, String> {
        let mut changes = Vec::new();
        for path in paths {
            // Streamed: the file is never held whole, only the changes kept.
            changes.extend(super::cloudtrail::read_cloudtrail_file(
                path,
                super::cloudtrail::MAX_RECORDS,
            )?);
        }
        let mut seen = HashSet::new();
        changes.retain(|c: &crate::model::Change| c.id.is_empty() || seen.insert(c.id.clone()));
        changes.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
        Ok(FileChanges { name: name_of(paths, "CloudTrail"), changes })
    }

    pub fn all(&self) -> &[crate::model::Change] {
        &self.changes
    }
}

impl super::ChangeSource for FileChanges {
    fn name(&self) -> &str {
        &self.name
    }

    /// A file is evidence: its changes of the region are listed whatever their time.
    async fn changes(
        &self,
        q: super::ChangeQuery,
    ) -> Result<Vec<crate::model::Change>, SourceError> {
        Ok(self
            .changes
            .iter()
            .filter(|c| c.region == q.region && (q.include_read_only || !c.read_only))
            .cloned()
            .collect())
    }
}

// ---------------------------------------------------------------------------------------------
// Traces

/// Traces of trace files: the JSON of `aws xray batch-get-traces`, segment documents (one, an
/// array, or JSON lines). A trace in two files is kept once (the one with more spans).
pub struct FileTraces {
    name: String,
    traces: Vec<crate::model::Trace>,
    /// Trace ids the evidence's log lines give a correlation id (an X-Ray trace header, a
    /// Lambda REPORT's `XRAY TraceId`): a request without the annotation is found this way.
    by_correlation: std::collections::HashMap<String, Vec<String>>,
}

impl FileTraces {
    pub fn load(path: &Path, correlation_key: &str) -> Result<FileTraces, String> {
        FileTraces::load_all(&[path.to_path_buf()], correlation_key)
    }

    pub fn load_all(paths: &[PathBuf], correlation_key: &str) -> Result<FileTraces, String> {
        let mut traces: Vec<crate::model::Trace> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        for path in paths {
            let bytes = read_file_at_most(path, MAX_TRACE_FILE_BYTES)?;
            let text = String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            let text = merge_batches(&text).unwrap_or(text);
            let found = super::xray::parse_trace_file_with(&text, correlation_key)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            for t in found {
                // A trace in two files: the fuller copy is kept.
                match index.get(&t.trace_id) {
                    Some(&i) if traces[i].spans.len() < t.spans.len() => traces[i] = t,
                    Some(_) => {}
                    None => {
                        index.insert(t.trace_id.clone(), traces.len());
                        traces.push(t);
                    }
                }
            }
        }
        Ok(FileTraces { name: name_of(paths, "trace"), traces, by_correlation: Default::default() })
    }

    /// Learn which trace ids log lines give their correlation ids.
    pub fn learn_trace_ids(&mut self, events: &[LogEvent]) {
        for e in events {
            if let (Some(c), Some(t)) = (&e.correlation_id, &e.trace_id) {
                let ids = self.by_correlation.entry(c.clone()).or_default();
                if !ids.contains(t) {
                    ids.push(t.clone());
                }
            }
        }
    }

    pub fn traces(&self) -> &[crate::model::Trace] {
        &self.traces
    }
}

impl super::TraceSource for FileTraces {
    fn name(&self) -> &str {
        &self.name
    }

    /// A file is evidence: every trace in it is searched, whatever its region and time.
    async fn trace(&self, q: super::TraceQuery) -> Result<super::TraceLookup, SourceError> {
        use super::TraceKey;
        let hit = self.traces.iter().find(|t| match &q.key {
            TraceKey::TraceId(id) => &t.trace_id == id,
            TraceKey::CorrelationId(c) => {
                &t.correlation_id == c
                    || t.spans.iter().any(|s| s.correlation_id.as_deref() == Some(c.as_str()))
            }
        });
        // Not annotated with the correlation id: a trace id its log lines name.
        let hit = hit.or_else(|| match &q.key {
            TraceKey::CorrelationId(c) => self.by_correlation.get(c).and_then(|ids| {
                ids.iter().find_map(|id| self.traces.iter().find(|t| &t.trace_id == id))
            }),
            TraceKey::TraceId(_) => None,
        });
        if let Some(t) = hit {
            let mut t = t.clone();
            if let TraceKey::CorrelationId(c) = &q.key
                && t.correlation_id.is_empty()
            {
                t.correlation_id = c.clone();
            }
            return Ok(super::TraceLookup { trace: Some(t), similar: Vec::new() });
        }
        // Traces through the same service and operation; else through the same service (a
        // log line's operation need not be a span's name).
        let through = |op: Option<&str>| -> Vec<_> {
            self.traces
                .iter()
                .filter(|t| {
                    t.spans.iter().any(|s| {
                        q.service.as_deref().is_none_or(|x| x == s.service)
                            && op.is_none_or(|x| x == s.operation)
                    })
                })
                .map(crate::source::sim::summary)
                .collect()
        };
        let mut similar = through(q.operation.as_deref());
        if similar.is_empty() && q.operation.is_some() {
            similar = through(None);
        }
        similar.sort_by_key(|s| (!s.failed(), s.start));
        similar.truncate(20);
        Ok(super::TraceLookup { trace: None, similar })
    }
}

/// Several `batch-get-traces` outputs one after the other (it reads five traces a call, so an
/// export is often many calls `>>` one file) as one document.
fn merge_batches(text: &str) -> Option<String> {
    let mut docs = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let first = docs.next()?.ok()?;
    first.get("Traces")?;
    let mut traces = first.get("Traces")?.as_array()?.clone();
    let mut n = 1;
    for d in docs {
        let d = d.ok()?;
        traces.extend(d.get("Traces")?.as_array()?.iter().cloned());
        n += 1;
    }
    (n > 1).then(|| serde_json::json!({ "Traces": traces }).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("warroom-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn a_file_over_its_cap_is_refused_with_the_cap_named() {
        use std::io::Write as _;
        let plain = write("big.json", &vec![b' '; 3 << 20]);
        assert_eq!(read_file_at_most(&plain, 3 << 20).unwrap().len(), 3 << 20);
        let e = read_file_at_most(&plain, 2 << 20).unwrap_err();
        assert!(e.contains("big.json") && e.contains("more than 2 MiB (decompressed)"), "{e}");
        // A small gzip that inflates past the cap (a bomb) is cut off at the cap, not read out.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![b' '; 64 << 20]).unwrap();
        let bomb = write("bomb.json.gz", &gz.finish().unwrap());
        assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 20);
        let e = read_file_at_most(&bomb, 2 << 20).unwrap_err();
        assert!(e.contains("more than 2 MiB"), "{e}");
        assert_eq!(bytes_name(MAX_TRACE_FILE_BYTES), "512 MiB");
        assert_eq!(bytes_name(MAX_FILE_BYTES), "4 GiB");
    }

    #[test]
    fn a_line_read_twice_is_kept_once_in_its_place() {
        let line = |at, service: &str, raw: &str| LogEvent {
            at,
            region: String::new(),
            service: service.into(),
            level: crate::model::Level::Info,
            message: raw.into(),
            correlation_id: None,
            tenant: None,
            operation: None,
            trace_id: None,
            request_id: None,
            raw: raw.into(),
        };
        let mut events = vec![
            line(0, "w", "START"),
            line(0, "w", "END"),
            line(0, "w", "START"),
            line(5, "w", "a"),
            line(5, "api", "a"),
            line(5, "w", "b"),
            line(5, "w", "a"),
            line(6, "w", "a"),
        ];
        dedup_lines(&mut events);
        let kept: Vec<(i64, &str, &str)> =
            events.iter().map(|e| (e.at, e.service.as_str(), e.raw.as_str())).collect();
        assert_eq!(
            kept,
            [
                (0, "w", "START"),
                (0, "w", "END"),
                (5, "w", "a"),
                (5, "api", "a"),
                (5, "w", "b"),
                (6, "w", "a")
            ]
        );
    }

    #[test]
    fn reads_cli_json_lines_and_text() {
        let cli = br#"{"events":[{"logStreamName":"worker","timestamp":1773306700000,"message":"{\"correlationId\":\"c-1\",\"message\":\"hi\"}\n","ingestionTime":1,"eventId":"1"}],"searchedLogStreams":[]}"#;
        let f =
            FileLogs::load(&write("cli.json", cli), LineParser::default(), "eu-west-1").unwrap();
        assert_eq!(f.events().len(), 1);
        assert_eq!(f.events()[0].correlation_id.as_deref(), Some("c-1"));
        assert_eq!(f.events()[0].at, 1_773_306_700_000);
        assert_eq!(f.events()[0].service, "cli", "the file's name, not the stream's");
        let mixed =
            b"{\"region\":\"us-east-1\",\"message\":\"a\"}\nplain \xff text\n{\"half\":\n\n";
        let f =
            FileLogs::load(&write("mixed.log", mixed), LineParser::default(), "eu-west-1").unwrap();
        assert_eq!(f.events().len(), 3);
        assert!(f.events().iter().any(|e| e.message == "plain \u{fffd} text"));
        assert!(
            FileLogs::load(Path::new("/nonexistent/x.log"), LineParser::default(), "r").is_err()
        );
    }

    #[test]
    fn several_batch_get_traces_outputs_in_one_file() {
        let doc = |id: &str| {
            let seg = format!(
                r#"{{"id":"a{id}","name":"svc","start_time":1.0,"end_time":2.0,"trace_id":"1-00000001-{id}"}}"#
            );
            serde_json::json!({"Traces": [{"Id": format!("1-00000001-{id}"), "Duration": 1.0,
                "Segments": [{"Id": format!("a{id}"), "Document": seg}]}], "UnprocessedTraceIds": []})
            .to_string()
        };
        let text =
            format!("{}\n{}\n", doc("aaaaaaaaaaaaaaaaaaaaaaaa"), doc("bbbbbbbbbbbbbbbbbbbbbbbb"));
        let f =
            FileTraces::load(&write("batches.json", text.as_bytes()), "correlation_id").unwrap();
        assert_eq!(f.traces().len(), 2);
    }

    #[test]
    fn a_followed_file_is_read_on_after_rotation_and_truncation() {
        let p = write("follow.log", b"{\"message\":\"one\"}\n");
        let f = FileLogs::load(&p, LineParser::default(), "eu-west-1").unwrap();
        let mut fol = f.follow[0].clone();
        // Rotation: moved away, a new file created at the path.
        std::fs::rename(&p, p.with_extension("1")).unwrap();
        std::fs::write(&p, b"{\"message\":\"two\"}\n{\"message\":\"three\"}\n").unwrap();
        let got: Vec<String> =
            f.read_new(&mut fol).unwrap().into_iter().map(|e| e.message).collect();
        assert_eq!(got, ["two", "three"], "the new file from its first line");
        // Truncation (copytruncate), then a new line.
        std::fs::write(&p, b"{\"message\":\"four\"}\n").unwrap();
        let got: Vec<String> =
            f.read_new(&mut fol).unwrap().into_iter().map(|e| e.message).collect();
        assert_eq!(got, ["four"]);
        assert!(f.read_new(&mut fol).unwrap().is_empty());
    }

    #[test]
    fn a_fifo_is_not_evidence() {
        let p = std::env::temp_dir().join(format!("warroom-fifo-{}", std::process::id()));
        let _ = std::fs::remove_file(&p);
        let made = std::process::Command::new("mkfifo").arg(&p).status();
        if made.is_ok_and(|s| s.success()) {
            let reader = std::thread::spawn({
                let p = p.clone();
                move || read_file(&p).err()
            });
            // Opening a FIFO for reading waits for a writer: give it one that writes nothing.
            let w = std::fs::OpenOptions::new().write(true).open(&p);
            let err = reader.join().unwrap().expect("refused");
            drop(w);
            assert!(err.contains("not a regular file"), "{err}");
            let _ = std::fs::remove_file(&p);
        }
    }

    #[test]
    fn regions_and_services_from_paths() {
        assert_eq!(find_region("exports/eu-west-1/x.json").as_deref(), Some("eu-west-1"));
        assert_eq!(find_region("ct_us-gov-west-1_2026").as_deref(), Some("us-gov-west-1"));
        assert_eq!(find_region("neu-west-1"), None);
        assert_eq!(find_region("eu-west-12x"), None);
        let o = origin_of(Path::new("ev/eu-west-1/aws-lambda-invoice-api.json.gz"), &[]);
        assert_eq!(o.region.as_deref(), Some("eu-west-1"));
        assert_eq!(o.service.as_deref(), Some("invoice-api"));
        let o = origin_of(Path::new("ev/_aws_lambda_worker.eu-west-1.json"), &[]);
        assert_eq!(o.service.as_deref(), Some("worker"));
        let o = origin_of(Path::new("exportedlogs/aws/lambda/pay/2026/000000.gz"), &[]);
        assert_eq!(o.service.as_deref(), Some("pay"));
        assert_eq!(service_of_group("/aws/lambda/invoice-api", &[]), "invoice-api");
    }

    #[test]
    fn concatenated_documents_are_read_or_refused_with_the_offset() {
        let doc = |id: &str, at: i64| {
            format!(
                r#"{{"events":[{{"logStreamName":"s","timestamp":{at},"message":"line {id}","ingestionTime":1,"eventId":"{id}"}}],"searchedLogStreams":[]}}"#
            )
        };
        let two = format!("{}\n{}\n", doc("a", 2_000), doc("b", 1_000));
        let f =
            FileLogs::load(&write("two.json", two.as_bytes()), LineParser::default(), "r").unwrap();
        let msgs: Vec<&str> = f.events().iter().map(|e| e.message.as_str()).collect();
        assert_eq!(msgs, vec!["line b", "line a"]);
        let junk = format!("{}\nnot json\n", doc("a", 1));
        let err = FileLogs::load(&write("junk.json", junk.as_bytes()), LineParser::default(), "r")
            .err()
            .unwrap();
        let at = doc("a", 1).len() + 1;
        assert!(
            err.contains(&format!("byte {}", at - 1)) || err.contains(&format!("byte {at}")),
            "{err}"
        );
        let other = format!("{}\n{{\"level\":\"info\"}}\n", doc("a", 1));
        let err =
            FileLogs::load(&write("other.json", other.as_bytes()), LineParser::default(), "r")
                .err()
                .unwrap();
        assert!(err.contains("document 2"), "{err}");
    }

    /// The pre-filtered read shows what the whole read shows, for every id and text of a file
    /// of Lambda runtime lines (joined to their requests across lines that do not name the
    /// id), JSON lines, escaped ids, colour codes and cut lines, plain and gzipped.
    #[test]
    fn a_search_reads_the_lines_the_whole_read_shows() {
        use crate::model::logstore::{LogFilter, Needle};
        let rid = "8f5a9b4e-1c2d-4e3f-9a8b-7c6d5e4f3a2b";
        let rid2 = "11111111-2222-4333-8444-555555555555";
        let long = "y".repeat(crate::model::logline::MAX_LINE_BYTES + 5);
        let text = format!(
            "INIT_START Runtime Version: nodejs:20.v33\n\
             START RequestId: {rid} Version: $LATEST\n\
             2026-11-19T13:42:05.100Z\t{rid}\tINFO\t{{\"correlationId\":\"c-7\",\"msg\":\"go\"}}\n\
             {{\"timestamp\":\"2026-11-19T13:42:05.150Z\",\"requestId\":\"{rid}\",\"correlationId\":\"c-7\",\"message\":\"json\"}}\n\
             2026-11-19T13:42:05.200Z {rid} Task timed out after 3.00 seconds\n\
             END RequestId: {rid}\n\
             REPORT RequestId: {rid}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tStatus: timeout\n\
             XRAY TraceId: 1-6740a1b2-0123456789abcdef01234567\tSegmentId: a\tSampled: true\n\
             START RequestId: {rid2} Version: $LATEST\n\
             {{\"timestamp\":\"2026-11-19T13:42:06Z\",\"requestId\":\"{rid2}\",\"correlationId\":\"c-8\",\"message\":\"mentions c-7 and Timed\"}}\n\
             {{\"timestamp\":\"2026-11-19T13:42:06.5Z\",\"requestId\":\"{rid2}\",\"message\":\"no id, says c-7\"}}\n\
             REPORT RequestId: {rid2}\tDuration: 2.00 ms\n\
             {{\"timestamp\":\"2026-11-19T13:42:07Z\",\"correlationId\":\"\\u0063-7\",\"message\":\"escaped\"}}\n\
             \x1b[31mERROR\x1b[0m c-7 coloured\n\
             {{\"timestamp\":\"2026-11-19T13:42:08Z\",\"correlationId\":\"c-9\",\"message\":\"{long} c-7\"}}\n\
             plain line without anything\n\
             {{\"timestamp\":\"2026-11-19T13:42:05.150Z\",\"requestId\":\"{rid}\",\"correlationId\":\"c-7\",\"message\":\"json\"}}\n"
        );
        let plain = write("search.log", text.as_bytes());
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, text.as_bytes()).unwrap();
        let gz = write("search2.log.gz", &enc.finish().unwrap());
        let paths = vec![plain, gz];
        let whole = FileLogs::load_all(&paths, LineParser::default(), &[], "eu-west-1").unwrap();
        let key = |e: &LogEvent| format!("{e:?}");
        let shown = |f: &FileLogs, filter: &LogFilter| -> Vec<String> {
            f.events().iter().filter(|e| filter.matches(e)).map(key).collect()
        };
        let progress = scan::Progress::default();
        let matching = |pre: &scan::Prefilter, needle: Option<&Needle>| {
            let (parser, home) = (LineParser::default(), "eu-west-1");
            FileLogs::load_matching(&paths, parser, &[], home, pre, needle, &progress).unwrap()
        };
        for id in ["c-7", "c-8", "c-9", rid, "Task", "nothing"] {
            let filter = LogFilter { correlation_id: Some(id.into()), ..LogFilter::default() };
            let pre = scan::Prefilter::correlation_id(id).unwrap();
            let some = matching(&pre, None);
            assert_eq!(shown(&some, &filter), shown(&whole, &filter), "{id}");
            if id == "c-7" {
                assert!(shown(&some, &filter).len() >= 8, "{:#?}", shown(&some, &filter));
            }
            assert!(some.events().len() < whole.events().len(), "{id}: not every line was read");
        }
        for t in ["timed", "Timed", "json", "line cut", "coloured", "REPORT"] {
            let filter = LogFilter { text: Some(t.into()), ..LogFilter::default() };
            let pre = scan::Prefilter::text(t).unwrap();
            let needle = Needle::new(t);
            let some = matching(&pre, Some(&needle));
            let all: Vec<String> = some.events().iter().map(key).collect();
            assert_eq!(all, shown(&whole, &filter), "{t}");
            assert!(!all.is_empty(), "{t}");
        }
        let survey = FileLogs::survey(&paths, LineParser::default(), &[], &progress).unwrap();
        assert_eq!(survey.latest, whole.events().iter().map(|e| e.at).max());
    }

    /// The cockpit's `--logs`: the source answers at once, its queries wait for a slow read
    /// (the pane meanwhile says it is loading and keys are answered), then get every line.
    #[test]
    fn files_read_in_the_background_answer_when_read() {
        let p = write("background.log", b"{\"message\":\"one\",\"correlationId\":\"c-1\"}\n");
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let path = p.clone();
        let f = FileLogs::in_background(
            std::slice::from_ref(&p),
            LineParser::default(),
            &[],
            "eu-west-1",
            move || {
                // A slow reader: nothing is read until the test says so.
                let _ = wait.recv();
                FileLogs::load(&path, LineParser::default(), "eu-west-1")
            },
        )
        .unwrap();
        assert!(!f.is_loaded());
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let q = LogQuery {
            region: "eu-west-1".into(),
            correlation_id: Some("c-1".into()),
            from: 0,
            to: i64::MAX,
            limit: 10,
        };
        let early = rt.block_on(async {
            tokio::time::timeout(Duration::from_millis(200), f.fetch(q.clone())).await
        });
        assert!(early.is_err(), "the query waits for the read");
        release.send(()).unwrap();
        let batch = rt.block_on(f.fetch(q)).unwrap();
        assert!(f.is_loaded());
        assert_eq!(batch.events.len(), 1);
        assert_eq!(batch.events[0].message, "one");
        // A wrong path is refused at start, not in the background.
        let err = FileLogs::load_background(
            &[PathBuf::from("/nonexistent/x.log")],
            LineParser::default(),
            &[],
            "r",
        )
        .err()
        .unwrap();
        assert!(err.contains("cannot read"), "{err}");
    }

    /// A followed file written faster than it is read says how far behind it is, and reads
    /// on until it caught up.
    #[test]
    fn a_followed_file_behind_what_is_written_says_by_how_much() {
        let line = |s: u32| {
            format!(
                "{{\"timestamp\":\"2026-11-19T13:{:02}:{:02}Z\",\"message\":\"m\"}}\n",
                s / 60,
                s % 60
            )
        };
        let p = write("behind.log", line(0).as_bytes());
        let f = FileLogs::load(&p, LineParser::default(), "eu-west-1").unwrap();
        let mut fol = f.follow[0].clone();
        assert_eq!(f.lag(&fol), None, "caught up");
        let more: String = (1..=100).map(line).collect();
        let mut w = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        std::io::Write::write_all(&mut w, more.as_bytes()).unwrap();
        // Reads take ten lines at a time.
        fol.chunk = line(1).len() as u64 * 10;
        let got = f.read_new(&mut fol).unwrap();
        assert_eq!(got.len(), 10);
        fol.newest = got.iter().map(|e| e.at).max().unwrap();
        assert_eq!(f.lag(&fol), Some(90_000), "the newest read is 13:00:10, written 13:01:40");
        let mut reads = 1;
        while f.lag(&fol).is_some() {
            let got = f.read_new(&mut fol).unwrap();
            fol.newest = fol.newest.max(got.iter().map(|e| e.at).max().unwrap_or(0));
            reads += 1;
            assert!(reads <= 10);
        }
        assert_eq!(reads, 10);
    }
}
