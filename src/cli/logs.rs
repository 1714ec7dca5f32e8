//! `warroom logs`: the log tail's lines for a correlation id, printed in time order, for
//! scripts and evidence. The same sources, parser and filter as the pane.

use super::{AnyLogs, CockpitArgs};
use crate::model::LogEvent;
use crate::model::logstore::Needle;
use crate::model::logstore::{LogFilter, LogStore};
use crate::source::evidence::Evidence;
use crate::source::scan::{Prefilter, Progress};
use crate::source::{LogQuery, LogSource};
use crate::ui::logs::{row_text, time_ms};
use crate::ui::sanitize;
use std::io::Write;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One aligned line per log line, control characters neutralised.
    #[default]
    Text,
    /// One JSON object per line, with the line as written in `raw`.
    Jsonl,
    /// One JSON array of those objects.
    Json,
}

#[derive(Clone, Debug, clap::Args)]
#[command(mut_args(super::hide_flags(super::NOT_FOR_PRINTING)))]
pub struct LogsArgs {
    /// The request's correlation id.
    #[arg(long, value_name = "ID")]
    pub correlation_id: Option<String>,
    /// Free text the lines must contain (smart case, like `/` in the cockpit).
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// From when: a duration back (15m, 2h, 1d), a time (2026-11-19T13:42:02Z, with an
    /// offset, or HH:MM on the present's date). Default: the window (15m) before the present;
    /// evidence is read whole.
    #[arg(long, value_name = "DUR|TIME", value_parser = super::parse_when)]
    pub since: Option<super::When>,
    /// Up to when (the same forms; default: the present, or the end of the evidence).
    #[arg(long, value_name = "DUR|TIME", value_parser = super::parse_when)]
    pub until: Option<super::When>,
    /// Where the lines come from: demo, aws, or files, folders or globs (JSON lines, text, or
    /// the JSON of `aws logs filter-log-events` / `get-log-events`, gzipped or not).
    /// Repeatable.
    #[arg(long, value_name = "demo|aws|PATH", num_args = 1.., action = clap::ArgAction::Append)]
    pub source: Vec<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// The most lines read per region.
    #[arg(long, value_name = "N", default_value_t = 50_000)]
    pub limit: usize,
    #[command(flatten)]
    pub cockpit: CockpitArgs,
}

/// One line for `--format text`: the pane's columns.
pub fn text_line(e: &LogEvent, correlation_fields: &[String]) -> String {
    let (message, fields) = row_text(e, correlation_fields);
    let line = format!(
        "{}  {:<14}  {:<24}  {:<5}  {message}{}{fields}",
        time_ms(e.at),
        e.region,
        e.service,
        e.level.name(),
        if fields.is_empty() { "" } else { "  " }
    );
    sanitize(&line)
}

/// One line for `--format jsonl`. DEL and C1 controls, which JSON leaves alone, are escaped
/// too, so the output is safe to print.
pub fn json_line(e: &LogEvent) -> String {
    safe_json(&json_value(e).to_string())
}

/// A log line as a JSON object (`--format jsonl` / `json`).
pub fn json_value(e: &LogEvent) -> serde_json::Value {
    let ts = time::OffsetDateTime::from_unix_timestamp_nanos(e.at as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
    serde_json::json!({
        "timestamp": ts,
        "region": e.region,
        "service": e.service,
        "level": e.level.name(),
        "correlation_id": e.correlation_id,
        "tenant": e.tenant,
        "operation": e.operation,
        "trace_id": e.trace_id,
        "request_id": e.request_id,
        "message": e.message,
        "raw": e.raw,
    })
}

/// JSON text with DEL and C1 controls escaped as well (JSON itself only escapes C0), so it is
/// safe to print to a terminal.
pub fn safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// How a headless command that reads several regions ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every region answered and something was printed (exit 0).
    Found,
    /// Every region answered, nothing matched (exit 1).
    Nothing,
    /// Some regions failed (each named on stderr); what the others returned was printed
    /// (exit 3). Every region failing is an error (exit 2).
    Partial,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Found => 0,
            Outcome::Nothing => 1,
            Outcome::Partial => 3,
        }
    }
}

/// One region's failure as stderr shows it: `eu-central-1: message — hint`.
pub fn region_failure(region: &str, e: &crate::source::SourceError) -> String {
    let hint = e.hint.as_ref().map(|h| format!(" — {h}")).unwrap_or_default();
    sanitize(&format!("{region}: {}{hint}", e.message))
}

/// How a search of log files is pre-filtered: on the correlation id when there is one (a
/// request's lines), else on the free text (and then only the lines holding it are kept).
/// `None` when raw bytes cannot tell which lines match: every line is read.
fn searchable(args: &LogsArgs) -> Option<(Prefilter, Option<Needle>)> {
    match (&args.correlation_id, &args.grep) {
        (Some(c), _) => Some((Prefilter::correlation_id(c)?, None)),
        (None, Some(t)) if !t.is_empty() => Some((Prefilter::text(t)?, Some(Needle::new(t)))),
        _ => None,
    }
}

/// Files bigger than this show how far reading is, on a terminal's stderr.
pub const PROGRESS_BYTES: u64 = 256 << 20;

/// A progress bar on stderr while big files are read, when stderr is a terminal; cleared
/// when dropped.
struct ProgressLine {
    stop: std::sync::mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressLine {
    fn start(progress: &Arc<Progress>, paths: &[std::path::PathBuf]) -> Option<ProgressLine> {
        use std::io::IsTerminal;
        let total: u64 =
            paths.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
        if total < PROGRESS_BYTES || !std::io::stderr().is_terminal() {
            return None;
        }
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let progress = progress.clone();
        let thread = std::thread::spawn(move || {
            let tick = std::time::Duration::from_millis(150);
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
                let _ = write!(std::io::stderr(), "\r{}", progress_bar(&progress));
            }
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        });
        Some(ProgressLine { stop, thread: Some(thread) })
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `reading logs ▕██████░░░░░░░░▏  43%  144 of 335 MB`.
pub fn progress_bar(p: &Progress) -> String {
    use std::sync::atomic::Ordering;
    let f = p.fraction();
    let width = 24;
    let full = ((f * width as f64) as usize).min(width);
    let mb = |b: u64| b / 1_000_000;
    format!(
        "reading logs \u{2595}{}{}\u{258f} {:>3.0}%  {} of {} MB",
        "\u{2588}".repeat(full),
        "\u{2591}".repeat(width - full),
        f * 100.0,
        mb(p.done.load(Ordering::Relaxed)),
        mb(p.total.load(Ordering::Relaxed))
    )
}

/// Run the command. Regions are read one by one; a failing one is named on stderr and the
/// others still print (see [`Outcome`]).
pub async fn run(args: &LogsArgs, out: &mut impl Write) -> Result<Outcome, String> {
    let super::Headless { mut cfg, scenario, regions, evidence, mode, redactor } =
        super::headless(&args.cockpit, &args.source, super::Kind::Logs)?;
    // The trace source says whether a request without log lines exists (AWS: built then).
    let mut traces: Option<super::AnyTraces> = None;
    // Whether the end of the evidence is known (`None`: not surveyed, as a search of big
    // files does not need it unless a time range is asked for).
    let mut surveyed = true;
    let (source, now) = match (mode, scenario) {
        (super::Mode::Evidence, _) if searchable(args).is_some() && !evidence.logs.is_empty() => {
            let (pre, text) = searchable(args).unwrap_or_else(|| unreachable!());
            let need_end = args.since.is_some() || args.until.is_some();
            let progress = Arc::new(Progress::default());
            let shown = ProgressLine::start(&progress, &evidence.logs);
            let found = Evidence::search(
                &evidence,
                cfg.line_parser(),
                &cfg.services,
                &cfg.correlation_annotation,
                &cfg.boundary,
                &pre,
                text.as_ref(),
                need_end,
                &progress,
            );
            drop(shown);
            let found = found?;
            surveyed = found.end.is_some();
            (AnyLogs::File(Arc::new(found.logs)), found.end.flatten())
        }
        (super::Mode::Evidence, _) => {
            let ev = super::load_evidence(&cfg, &evidence)?;
            let end = ev.end();
            traces = ev.traces.clone().map(super::AnyTraces::File);
            match &ev.logs {
                Some(l) => (AnyLogs::File(l.clone()), end),
                None => return Err("the evidence has no log files (--logs, --source)".into()),
            }
        }
        (super::Mode::Demo, Some(sc)) => {
            let (sources, clock, _) = super::demo(sc, &cfg.boundary, cfg.at, 0.0, cfg.seed);
            traces = Some(super::AnyTraces::Sim(sources.0.clone()));
            (AnyLogs::Sim(sources.0), Some(clock.now()))
        }
        _ => {
            super::check_aws_profile(&cfg).await?;
            if let Some(line) = super::aws_discover(&mut cfg).await {
                eprintln!("warroom: {line}");
            }
            (super::aws_logs(&cfg).await, Some(crate::tui::wall_now()))
        }
    };
    let default = (mode != super::Mode::Evidence).then_some(cfg.window);
    let (from, to) = super::time_range(args.since, args.until, now, default);
    let mut events = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    let mut answered: Vec<&str> = Vec::new();
    for r in &regions {
        // A region where no service has log groups has nothing to read: said, not a failure.
        if let AnyLogs::Aws(a) = &source
            && !a.regions().contains(&r.as_str())
        {
            eprintln!("warroom logs: {r}: no log groups there (skipped)");
            continue;
        }
        let q = LogQuery {
            region: r.clone(),
            correlation_id: args.correlation_id.clone(),
            from,
            to,
            limit: args.limit,
        };
        let batch = match source.fetch(q).await {
            Ok(b) => b,
            Err(e) => {
                let line = region_failure(r, &e);
                eprintln!("warroom logs: {line}");
                failed.push(line);
                continue;
            }
        };
        answered.push(r);
        if batch.truncated {
            eprintln!(
                "warroom logs: {r}: more than {} lines; the oldest were left out",
                args.limit
            );
        }
        events.extend(batch.events);
    }
    if !regions.is_empty() && failed.len() == regions.len() {
        return Err(format!("every region failed: {}", failed.join("; ")));
    }
    // Files hold lines of any time: the range is applied here too.
    events.retain(|e| e.at >= from && e.at < to);
    events.sort_by_key(|e| e.at);
    let mut store = LogStore::new(events.len().max(1), usize::MAX, cfg.line_parser());
    store.extend(events);
    store.set_filter(LogFilter {
        region: None,
        service: None,
        correlation_id: args.correlation_id.clone(),
        more_correlation_ids: Vec::new(),
        text: args.grep.clone(),
        range: None,
    });
    let fields = cfg.correlation_fields.clone();
    if let Some(r) = &redactor {
        r.keep(args.correlation_id.iter());
    }
    let mut json = Vec::new();
    for mut e in store.events() {
        if let Some(r) = &redactor {
            e = r.event(&e);
        }
        let line = match args.format {
            Format::Text => text_line(&e, &fields),
            Format::Jsonl => json_line(&e),
            Format::Json => {
                json.push(json_value(&e));
                continue;
            }
        };
        match writeln!(out, "{line}") {
            Ok(()) => {}
            // The reader went away (`| head`): not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Outcome::Found),
            Err(e) => return Err(format!("cannot write: {e}")),
        }
    }
    if args.format == Format::Json {
        let text =
            serde_json::to_string_pretty(&json).map_err(|e| format!("cannot write JSON: {e}"))?;
        match writeln!(out, "{}", safe_json(&text)) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(format!("cannot write: {e}"));
            }
            _ => {}
        }
    }
    if store.shown() == 0 {
        let what = args.correlation_id.as_deref().map(|c| format!(" for {c}")).unwrap_or_default();
        let when = now
            .filter(|_| surveyed)
            .map(|_| format!(" {}", super::trace::range_text(from, to, true)));
        let exists = match &args.correlation_id {
            Some(c) if !answered.is_empty() => {
                if traces.is_none() && mode == super::Mode::Aws {
                    traces = Some(super::aws_traces(&cfg).await);
                }
                let key = crate::source::TraceKey::CorrelationId(c.clone());
                match &traces {
                    Some(t) => super::trace::has_trace(t, &regions, key, from, to).await,
                    None => None,
                }
            }
            _ => None,
        };
        let whole = (!surveyed).then(|| " (the whole evidence was read)".to_string());
        let where_ = format!("{}{}", answered.join(", "), when.or(whole).unwrap_or_default());
        match (exists, &args.correlation_id) {
            (Some(false), Some(c)) if args.grep.is_none() => eprintln!(
                "warroom logs: unknown correlation id {}: no log line and no trace in {where_}",
                crate::ui::sanitize(c)
            ),
            (Some(true), Some(c)) => eprintln!(
                "warroom logs: the request {} has a trace but wrote no log lines{} in {where_}",
                crate::ui::sanitize(c),
                if args.grep.is_some() { " matching --grep" } else { "" }
            ),
            _ => eprintln!("warroom logs: no lines{what} in {where_}"),
        }
    }
    if !failed.is_empty() {
        eprintln!(
            "warroom logs: partial result: {} of {} regions failed (named above)",
            failed.len(),
            regions.len()
        );
        return Ok(Outcome::Partial);
    }
    Ok(if store.shown() > 0 { Outcome::Found } else { Outcome::Nothing })
}
