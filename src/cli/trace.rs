//! `warroom trace`: a request's waterfall as text (indented tree, offsets, durations,
//! markers) or its parsed trace as JSON; the same sources and layout as the pane.

use super::logs::{Outcome, region_failure};
use super::{AnyLogs, AnyTraces, CockpitArgs};
use crate::analysis::fmt_ms;
use crate::analysis::waterfall::{layout, marker};
use crate::model::{Trace, TraceSummary, format_hms};
use crate::source::{TraceKey, TraceLookup, TraceQuery, TraceSource};
use crate::ui::sanitize;
use std::collections::HashSet;
use std::io::Write;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The waterfall as an indented tree with offsets, durations and markers.
    #[default]
    Text,
    /// The parsed trace.
    Json,
}

#[derive(Clone, Debug, clap::Args)]
#[group(id = "key", required = true, multiple = false, args = ["correlation_id", "trace_id"])]
#[command(mut_args(super::hide_flags(super::NOT_FOR_PRINTING)))]
pub struct TraceArgs {
    /// The request's correlation id.
    #[arg(long, value_name = "ID")]
    pub correlation_id: Option<String>,
    /// The X-Ray trace id.
    #[arg(long, value_name = "ID")]
    pub trace_id: Option<String>,
    /// From when: a duration back (15m, 2h, 1d) or a time (2026-11-19T13:42:02Z, with an
    /// offset, or HH:MM on the present's date). Default: the window (15m); evidence whole.
    #[arg(long, value_name = "DUR|TIME", value_parser = super::parse_when)]
    pub since: Option<super::When>,
    /// Up to when (the same forms; default: the present, or the end of the evidence).
    #[arg(long, value_name = "DUR|TIME", value_parser = super::parse_when)]
    pub until: Option<super::When>,
    /// Where the trace comes from: demo, aws, or files, folders or globs (the JSON of `aws
    /// xray batch-get-traces`, or segment documents). Repeatable.
    #[arg(long, value_name = "demo|aws|PATH", num_args = 1.., action = clap::ArgAction::Append)]
    pub source: Vec<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    #[command(flatten)]
    pub cockpit: CockpitArgs,
}

/// How many log lines a request wrote in the regions (`None`: no region could say).
async fn log_lines_of(
    logs: &AnyLogs,
    regions: &[String],
    cid: &str,
    from: crate::model::Millis,
    to: crate::model::Millis,
) -> Option<usize> {
    use crate::source::{LogQuery, LogSource};
    let mut n = None;
    for r in regions {
        let q = LogQuery {
            region: r.clone(),
            correlation_id: Some(cid.to_string()),
            from,
            to,
            limit: 1000,
        };
        if let Ok(b) = logs.fetch(q).await {
            // The source's pattern may be loose: count the request's own lines.
            let own = b.events.iter().filter(|e| match &e.correlation_id {
                Some(c) => c == cid,
                None => e.raw.contains(cid),
            });
            *n.get_or_insert(0) += own.count();
        }
    }
    n
}

/// `between … and … UTC`, or `in the evidence` when it has no bounds.
pub fn range_text(from: crate::model::Millis, to: crate::model::Millis, bounded: bool) -> String {
    use crate::model::Millis;
    let t = |m: Millis| {
        if m <= Millis::MIN / 4 || m >= Millis::MAX / 4 {
            "…".to_string()
        } else {
            crate::model::format_datetime(m)
        }
    };
    if bounded {
        format!("between {} and {} UTC", t(from), t(to))
    } else {
        "in the evidence".into()
    }
}

/// Whether a request has a trace in the regions: `Some(true)` found, `Some(false)` no
/// region has it, `None` no region could say.
pub async fn has_trace(
    traces: &AnyTraces,
    regions: &[String],
    key: TraceKey,
    from: crate::model::Millis,
    to: crate::model::Millis,
) -> Option<bool> {
    let mut answered = None;
    for r in regions {
        let q = TraceQuery {
            region: r.clone(),
            key: key.clone(),
            from,
            to,
            service: None,
            operation: None,
        };
        match traces.trace(q).await {
            Ok(l) if l.trace.is_some() => return Some(true),
            Ok(l) => {
                let id = match &key {
                    TraceKey::CorrelationId(c) | TraceKey::TraceId(c) => c,
                };
                if l.similar.iter().any(|s| s.correlation_id.as_ref() == Some(id)) {
                    return Some(true);
                }
                answered = Some(false);
            }
            Err(_) => {}
        }
    }
    answered
}

/// The waterfall as text, one span a line.
pub fn waterfall_text(t: &Trace) -> String {
    let w = layout(t, &HashSet::new());
    // Every field made safe on its own: a line break inside a name is shown (`␊`), never a row.
    let mut out = format!(
        "trace {} · correlation id {} · {} · {} spans · {} errors · {} faults · {} throttles\n",
        sanitize(&t.trace_id),
        if t.correlation_id.is_empty() { "-".to_string() } else { sanitize(&t.correlation_id) },
        fmt_ms(w.duration_ms()),
        t.spans.len(),
        w.errors,
        w.faults,
        w.throttles
    );
    for r in &w.rows {
        let s = &t.spans[r.span];
        let link = if s.link == crate::model::SpanLink::Async { "↝ " } else { "" };
        let via = s.via.as_deref().map(|v| format!(" via {}", sanitize(v))).unwrap_or_default();
        let mark = marker(s, r.cut_off);
        out.push_str(&format!(
            "{:>9} {:>9}  {}{link}{} {}{via}{}{}\n",
            format!("+{}", fmt_ms((s.start - w.start) as f64)),
            fmt_ms(s.duration_ms),
            "  ".repeat(r.depth.min(40)),
            sanitize(&s.service),
            sanitize(&s.operation),
            if mark.is_empty() { "" } else { "  " },
            mark
        ));
    }
    sanitize_lines(&out)
}

/// Neutralise control characters line by line, keeping the newlines.
fn sanitize_lines(s: &str) -> String {
    s.lines().map(sanitize).collect::<Vec<_>>().join("\n") + "\n"
}

pub fn similar_text(similar: &[TraceSummary]) -> String {
    let mut out = String::new();
    for s in similar {
        let outcome = if s.has_fault {
            "fault"
        } else if s.has_error {
            "error"
        } else if s.has_throttle {
            "throttled"
        } else {
            "ok"
        };
        out.push_str(&format!(
            "  {}  {}  {}  {} {}  {}  {outcome}\n",
            format_hms(s.start),
            sanitize(&s.trace_id),
            sanitize(s.correlation_id.as_deref().unwrap_or("-")),
            sanitize(&s.service),
            sanitize(&s.operation),
            fmt_ms(s.duration_ms)
        ));
    }
    sanitize_lines(&out)
}

/// Run the command: `Nothing` when no trace was found (the similar ones are on stderr),
/// `Partial` when none was found and some regions failed (each named on stderr).
pub async fn run(args: &TraceArgs, out: &mut impl Write) -> Result<Outcome, String> {
    let super::Headless { mut cfg, scenario, regions, evidence, mode, redactor } =
        super::headless(&args.cockpit, &args.source, super::Kind::Traces)?;
    // The log source too: whether a request without a trace exists at all.
    let (source, logs, now) = match (mode, scenario) {
        (super::Mode::Evidence, _) => {
            let ev = super::load_evidence(&cfg, &evidence)?;
            let end = ev.end();
            let logs = ev.logs.clone().map(AnyLogs::File);
            match &ev.traces {
                Some(t) => (AnyTraces::File(t.clone()), logs, end),
                None => return Err("the evidence has no trace files (--traces, --source)".into()),
            }
        }
        (super::Mode::Demo, Some(sc)) => {
            let (sources, clock, _) = super::demo(sc, &cfg.boundary, cfg.at, 0.0, cfg.seed);
            let logs = Some(AnyLogs::Sim(sources.0.clone()));
            (AnyTraces::Sim(sources.0), logs, Some(clock.now()))
        }
        _ => {
            super::check_aws_profile(&cfg).await?;
            if let Some(line) = super::aws_discover(&mut cfg).await {
                eprintln!("warroom: {line}");
            }
            let logs = Some(super::aws_logs(&cfg).await);
            (super::aws_traces(&cfg).await, logs, Some(crate::tui::wall_now()))
        }
    };
    let evidence_mode = mode == super::Mode::Evidence;
    let key = match (&args.correlation_id, &args.trace_id) {
        (Some(c), _) => TraceKey::CorrelationId(c.clone()),
        (None, Some(t)) => TraceKey::TraceId(t.clone()),
        (None, None) => return Err("--correlation-id or --trace-id is needed".into()),
    };
    let default = (!evidence_mode).then_some(cfg.window);
    let (from, to) = super::time_range(args.since, args.until, now, default);
    let mut found = TraceLookup::default();
    let mut failed: Vec<String> = Vec::new();
    for region in &regions {
        let q = TraceQuery {
            region: region.clone(),
            key: key.clone(),
            from,
            to,
            service: None,
            operation: None,
        };
        let answer = match &source {
            // X-Ray says how it found the trace (its annotation, or the request's log lines).
            AnyTraces::Aws(x) => x.trace_explained(q).await.map(|(l, by)| {
                if let (Some(_), Some(by)) = (&l.trace, by) {
                    eprintln!("warroom trace: {region}: {}", by.describe(x.correlation_key()));
                }
                l
            }),
            _ => source.trace(q).await,
        };
        let l = match answer {
            Ok(l) => l,
            Err(e) => {
                let line = region_failure(region, &e);
                eprintln!("warroom trace: {line}");
                failed.push(line);
                continue;
            }
        };
        if l.trace.is_some() {
            found = l;
            break;
        }
        if found.similar.is_empty() {
            found.similar = l.similar;
        }
    }
    if found.trace.is_none() && !regions.is_empty() && failed.len() == regions.len() {
        return Err(format!("every region failed: {}", failed.join("; ")));
    }
    let Some(t) = found.trace else {
        let what = match &key {
            TraceKey::CorrelationId(c) | TraceKey::TraceId(c) => c,
        };
        crate::source::order_similar(&mut found.similar);
        let similar_ids = found.similar.iter().filter_map(|s| s.correlation_id.as_deref());
        let lines = match (&key, &logs) {
            (TraceKey::CorrelationId(c), Some(l)) => log_lines_of(l, &regions, c, from, to).await,
            _ => None,
        };
        let place = format!("{} {}", regions.join(", "), range_text(from, to, now.is_some()));
        match (&key, lines) {
            (TraceKey::CorrelationId(c), Some(0))
                if !found.similar.iter().any(|s| s.correlation_id.as_deref() == Some(c)) =>
            {
                let near = crate::app::prompt::did_you_mean(c, similar_ids);
                eprintln!(
                    "warroom trace: unknown correlation id {}: no trace and no log line in {}{}",
                    sanitize(c),
                    place,
                    sanitize(&near)
                );
            }
            (TraceKey::CorrelationId(c), Some(n)) => eprintln!(
                "warroom trace: no sampled trace for {} (the request exists: {n} log lines in {place})",
                sanitize(c)
            ),
            (TraceKey::TraceId(t), _) => {
                let near = crate::app::prompt::did_you_mean(
                    t,
                    found.similar.iter().map(|s| s.trace_id.as_str()),
                );
                eprintln!(
                    "warroom trace: no trace has the id {} in {place}{}",
                    sanitize(t),
                    sanitize(&near)
                );
            }
            _ => eprintln!("warroom trace: no sampled trace for {}", sanitize(what)),
        }
        if !found.similar.is_empty() {
            eprintln!(
                "similar traces (failing first, then oldest first; open one with --trace-id):"
            );
            eprint!("{}", similar_text(&found.similar));
        }
        if !failed.is_empty() {
            eprintln!(
                "warroom trace: partial result: {} of {} regions failed (named above); the trace may be there",
                failed.len(),
                regions.len()
            );
            return Ok(Outcome::Partial);
        }
        return Ok(Outcome::Nothing);
    };
    let mut t = t;
    if let Some(r) = &redactor {
        r.keep([&t.correlation_id]);
        t.spans = t.spans.iter().map(|s| r.span(s)).collect();
    }
    let text = match args.format {
        Format::Text => waterfall_text(&t),
        Format::Json => {
            let json =
                serde_json::to_string_pretty(&t).map_err(|e| format!("cannot write JSON: {e}"))?;
            super::logs::safe_json(&json) + "\n"
        }
    };
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write: {e}")),
        _ => Ok(Outcome::Found),
    }
}
