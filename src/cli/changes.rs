//! `warroom changes` and `warroom suspects`: the change feed and the ranked suspects, printed,
//! from the same sources and ranking as the cockpit.

use super::{AnyChanges, CockpitArgs};
use crate::analysis::change_kind::facts;
use crate::analysis::corroborate::Evidence;
use crate::analysis::suspects::{Anomaly, Context, anomaly, rank_with};
use crate::config::parse_window;
use crate::model::text::{sanitize, short_resource};
use crate::model::{Change, Millis, format_hms};
use crate::source::{ChangeQuery, ChangeSource, MetricsSource};
use std::io::Write;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Jsonl,
}

#[derive(Clone, Debug, clap::Args)]
pub struct ChangesArgs {
    /// How far back to read (default: the window and the baseline, 24h15m).
    #[arg(long, value_name = "DUR", value_parser = parse_since)]
    pub since: Option<Millis>,
    /// Where the changes come from: demo, aws (CloudTrail), or a file (CloudTrail log files as
    /// delivered to S3, gzipped or not, or the JSON of `aws cloudtrail lookup-events`).
    #[arg(long, value_name = "demo|aws|PATH")]
    pub source: Option<String>,
    /// Read-only events (Describe*, Get*, List*) too.
    #[arg(long)]
    pub all: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    #[command(flatten)]
    pub cockpit: CockpitArgs,
}

#[derive(Clone, Debug, clap::Args)]
pub struct SuspectsArgs {
    /// The service the anomaly shows at (default: the worst of the region).
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// When the anomaly started (HH:MM[:SS]); by default it is detected from the metrics.
    #[arg(long, value_name = "HH:MM[:SS]", value_parser = super::parse_at)]
    pub onset: Option<Millis>,
    #[command(flatten)]
    pub changes: ChangesArgs,
}

fn parse_since(s: &str) -> Result<Millis, String> {
    humantime::parse_duration(s)
        .map(|d| d.as_millis() as Millis)
        .or_else(|_| parse_window(s))
        .map_err(|_| format!("`{s}` is not a duration like 15m, 2h or 1d"))
}

/// One change for `--format text`.
pub fn text_line(c: &Change) -> String {
    sanitize(&format!(
        "{}  {:<14}  {:<28}  {:<26}  {:<24}  {}  {}",
        format_hms(c.at),
        c.region,
        c.event,
        short_resource(&c.resource),
        c.identity.short(),
        c.service.as_deref().unwrap_or("-"),
        c.id
    ))
}

fn json_line(c: &Change) -> Result<String, String> {
    let mut c = c.clone();
    c.raw.clear(); // the fields carry it; the line stays one line
    serde_json::to_string(&c)
        .map(|s| super::logs::safe_json(&s))
        .map_err(|e| format!("cannot write JSON: {e}"))
}

/// The changes and, for the demo and AWS, the clock's present.
async fn read(
    args: &ChangesArgs,
) -> Result<(Vec<Change>, Option<Millis>, super::Headless), String> {
    let h = super::headless(&args.cockpit, args.source.as_deref())?;
    let (source, now) = match (&h.file, &h.scenario) {
        (Some(path), _) => (super::file_changes(&h.cfg, path)?, None),
        (None, Some(sc)) => {
            let (sources, clock, _) =
                super::demo(sc.clone(), &h.cfg.boundary, h.cfg.at, 0.0, h.cfg.seed);
            (AnyChanges::Sim(sources.0), Some(clock.now()))
        }
        _ => (super::aws_changes(&h.cfg).await, Some(crate::tui::wall_now())),
    };
    let since = args.since.unwrap_or(h.cfg.window + h.cfg.baseline);
    let (from, to) = match now {
        Some(n) => (n - since, n + 1),
        None => (Millis::MIN / 2, Millis::MAX / 2),
    };
    let mut all = Vec::new();
    // A file's global-service events (recorded in us-east-1) count for every region; a live
    // lookup reads the regions asked for only.
    let global = crate::analysis::change_kind::GLOBAL_REGION;
    let mut regions = h.regions.clone();
    if h.file.is_some() && !regions.iter().any(|r| r == global) {
        regions.push(global.to_string());
    }
    for region in &regions {
        let q = ChangeQuery { region: region.clone(), from, to, include_read_only: args.all };
        let mut got = source.changes(q).await.map_err(|e| {
            let hint = e.hint.map(|h| format!(" — {h}")).unwrap_or_default();
            format!("{region}: {}{hint}", e.message)
        })?;
        if !h.regions.contains(region) {
            got.retain(|c| facts(c).global);
        }
        all.extend(got);
    }
    if h.file.is_none() && h.scenario.is_none() && !regions.iter().any(|r| r == global) {
        eprintln!(
            "warroom: global events (IAM, STS, Organizations, Route 53, CloudFront) are recorded in {global}, which is not read"
        );
    }
    all.sort_by_key(|c| std::cmp::Reverse(c.at));
    Ok((all, now, h))
}

fn write_line(out: &mut impl Write, line: &str) -> Result<bool, String> {
    match writeln!(out, "{line}") {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(format!("cannot write: {e}")),
    }
}

/// `warroom changes`; `Ok(false)` when there were none.
pub async fn run_changes(args: &ChangesArgs, out: &mut impl Write) -> Result<bool, String> {
    let (changes, _, h) = read(args).await?;
    for c in &changes {
        let masked = h.redactor.as_ref().map(|r| r.change(c));
        let c = masked.as_ref().unwrap_or(c);
        let line = match args.format {
            Format::Text => text_line(c),
            Format::Jsonl => json_line(c)?,
        };
        if !write_line(out, &line)? {
            break;
        }
    }
    if changes.is_empty() {
        eprintln!("warroom changes: no changes in the window");
    }
    Ok(!changes.is_empty())
}

/// `warroom suspects`; `Ok(false)` when there is no anomaly or no suspect.
pub async fn run_suspects(args: &SuspectsArgs, out: &mut impl Write) -> Result<bool, String> {
    let (changes, now, h) = read(&args.changes).await?;
    let region = match (&args.changes.cockpit.region, h.regions.as_slice()) {
        (Some(r), _) => r.clone(),
        (None, [one]) => one.clone(),
        (None, _) => return Err("--region is needed: the suspects of which region?".into()),
    };
    let found: Option<Anomaly> = match (args.onset, now) {
        (Some(tod), _) => {
            let day = now.unwrap_or_else(|| changes.first().map_or(0, |c| c.at));
            let day = day - day.rem_euclid(crate::model::DAY_MS);
            Some(Anomaly {
                region: region.clone(),
                service: args.service.clone(),
                onset: day + tod,
            })
        }
        (None, Some(now)) => {
            let snap = match &h.scenario {
                Some(sc) => {
                    let (sources, _, _) =
                        super::demo(sc.clone(), &h.cfg.boundary, h.cfg.at, 0.0, h.cfg.seed);
                    sources.0.engine.metrics(&h.cfg.boundary, now, h.cfg.window + h.cfg.baseline)
                }
                None => {
                    let m = crate::source::aws::CloudWatchMetrics::from_env(
                        h.cfg.boundary.clone(),
                        h.cfg.services.clone(),
                        h.cfg.aws_profile.clone(),
                    )
                    .await;
                    let q = crate::model::MetricsQuery { now, span: h.cfg.window + h.cfg.baseline };
                    m.metrics(q).await.map_err(|e| format!("metrics: {}", e.message))?
                }
            };
            anomaly(&snap, &region, args.service.as_deref(), h.cfg.window, h.cfg.baseline)
        }
        (None, None) => return Err("a file has no metrics: give the anomaly's --onset".into()),
    };
    let Some(a) = found else {
        eprintln!(
            "warroom suspects: no anomaly in {region} in the window (give --onset to rank anyway)"
        );
        return Ok(false);
    };
    // The demo's failing requests and warning lines since the onset are the evidence.
    let (failures, logs) = match (&h.scenario, now) {
        (Some(sc), Some(now)) if now > a.onset => {
            let (sources, _, _) =
                super::demo(sc.clone(), &h.cfg.boundary, h.cfg.at, 0.0, h.cfg.seed);
            let e = &sources.0.engine;
            let scope = crate::model::Scope {
                region: a.region.clone(),
                service: a.service.clone(),
                operation: None,
            };
            let failures = e.failing_requests(&scope, a.onset, now, crate::app::FAILING_LIMIT);
            let logs: Vec<_> = e
                .logs(&a.region, a.onset, now)
                .into_iter()
                .filter(|l| {
                    l.level >= crate::model::Level::Warn
                        && a.service.as_deref().is_none_or(|s| l.service == s)
                })
                .collect();
            (failures, logs)
        }
        _ => (Vec::new(), Vec::new()),
    };
    let ctx =
        Context { evidence: Evidence { failures: &failures, logs: &logs }, ..Context::default() };
    let ranked = rank_with(&changes, &a, &ctx);
    let head = format!(
        "suspects for {}{} (onset {})",
        a.region,
        a.service.as_deref().map(|s| format!(" › {s}")).unwrap_or_default(),
        format_hms(a.onset)
    );
    write_line(out, &sanitize(&head))?;
    for (k, s) in ranked.iter().enumerate() {
        let masked = h.redactor.as_ref().map(|r| r.change(&changes[s.change]));
        let c = masked.as_ref().unwrap_or(&changes[s.change]);
        let mut line = format!(
            "{:>2}. {}  {}  {}  {}\n    {}  (event {})",
            k + 1,
            format_hms(c.at),
            c.event,
            short_resource(&c.resource),
            c.region,
            s.reason,
            c.id
        );
        for check in &s.checks {
            line.push_str("\n    ");
            line.push_str(&check.line());
        }
        let line = crate::redact::text(h.redactor.as_deref(), &line);
        if !write_line(out, &sanitize_lines(&line))? {
            break;
        }
    }
    Ok(!ranked.is_empty())
}

fn sanitize_lines(s: &str) -> String {
    s.lines().map(sanitize).collect::<Vec<_>>().join("\n")
}
