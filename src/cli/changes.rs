//! `warroom changes` and `warroom suspects`: the change feed and the ranked suspects, printed,
//! from the same sources and ranking as the cockpit.

use super::{AnyChanges, CockpitArgs};
use crate::analysis::change_kind::facts;
use crate::analysis::corroborate::Evidence;
use crate::analysis::suspects::{Anomaly, Context, anomaly, rank_with};
use crate::model::text::{pad, sanitize, short_resource};
use crate::model::{Change, Millis};
use crate::source::{ChangeQuery, ChangeSource, MetricsSource};
use std::io::Write;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    /// One JSON object per line.
    Jsonl,
    /// One JSON array.
    Json,
}

#[derive(Clone, Debug, clap::Args)]
#[command(mut_args(super::hide_flags(super::NOT_FOR_PRINTING)))]
pub struct ChangesArgs {
    /// From when: a duration back (15m, 2h, 1d), a time (2026-11-19T13:42:02Z, with an
    /// offset, or HH:MM on the present's date). Default: the window and the baseline (24h15m)
    /// before the present; a file is read whole.
    #[arg(long, value_name = "DUR|TIME", value_parser = super::parse_when)]
    pub since: Option<super::When>,
    /// Up to when (the same forms; default: the present, or the end of the evidence).
    #[arg(long, value_name = "DUR|TIME", value_parser = super::parse_when)]
    pub until: Option<super::When>,
    /// Where the changes come from: demo, aws (CloudTrail), or files, folders or globs
    /// (CloudTrail log files as delivered to S3, gzipped or not, or the JSON of `aws
    /// cloudtrail lookup-events`). Repeatable.
    #[arg(long, value_name = "demo|aws|PATH", num_args = 1.., action = clap::ArgAction::Append)]
    pub source: Vec<String>,
    /// Read-only events (Describe*, Get*, List*) too.
    #[arg(long)]
    pub all: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    #[command(flatten)]
    pub cockpit: CockpitArgs,
}

#[derive(Clone, Debug, clap::Args)]
#[command(mut_args(super::hide_flags(super::NOT_FOR_PRINTING)))]
pub struct SuspectsArgs {
    /// The service the anomaly shows at (default: the worst of the region).
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// When the anomaly started: 2026-11-19T13:42:02Z, an ISO-8601 time with an offset
    /// (converted to UTC), or HH:MM[:SS] on the present's date. By default it is detected
    /// from the metrics (or from the evidence's requests).
    #[arg(long, value_name = "TIME")]
    pub onset: Option<String>,
    #[command(flatten)]
    pub changes: ChangesArgs,
}

/// One change for `--format text`: every field made safe on its own (a line break in a field
/// is shown as `␊`, never a new row) and padded by display width, so wide characters keep
/// the columns aligned.
pub fn text_line(c: &Change) -> String {
    format!(
        "{}  {}  {}  {}  {}  {}  {}",
        crate::model::format_datetime(c.at),
        pad(&c.region, 14),
        pad(&c.event, 28),
        pad(short_resource(&c.resource), 26),
        pad(&c.identity.short(), 24),
        sanitize(c.service.as_deref().unwrap_or("-")),
        sanitize(&c.id)
    )
}

fn json_line(c: &Change) -> Result<String, String> {
    let mut c = c.clone();
    c.raw.clear(); // the fields carry it; the line stays one line
    serde_json::to_string(&c)
        .map(|s| super::logs::safe_json(&s))
        .map_err(|e| format!("cannot write JSON: {e}"))
}

/// What the changes were read from, for ranking them.
enum Origin {
    Demo(Box<crate::source::sim::Scenario>),
    Aws,
    Evidence(Box<crate::source::evidence::Evidence>),
}

/// The changes, the present (the clock, or the end of the evidence) and where they came from.
async fn read(
    args: &ChangesArgs,
) -> Result<(Vec<Change>, Option<Millis>, super::Headless, Origin), String> {
    let h = super::headless(&args.cockpit, &args.source, super::Kind::Changes)?;
    let (source, now, origin) = match (h.mode, &h.scenario) {
        (super::Mode::Evidence, _) => {
            let ev = super::load_evidence(&h.cfg, &h.evidence)?;
            let (sources, clock, _) = super::evidence_sources(&h.cfg, &ev);
            let now = ev.end().map(|_| clock.now());
            (sources.changes, now, Origin::Evidence(Box::new(ev)))
        }
        (super::Mode::Demo, Some(sc)) => {
            let (sources, clock, _) =
                super::demo(sc.clone(), &h.cfg.boundary, h.cfg.at, 0.0, h.cfg.seed);
            (
                Arc::new(AnyChanges::Sim(sources.0)),
                Some(clock.now()),
                Origin::Demo(Box::new(sc.clone())),
            )
        }
        _ => {
            let c = Arc::new(super::aws_changes(&h.cfg).await);
            (c, Some(crate::tui::wall_now()), Origin::Aws)
        }
    };
    // Evidence is read whole unless asked otherwise; the demo and AWS a day back.
    let default = match origin {
        Origin::Evidence(_) => None,
        _ => Some(h.cfg.window + h.cfg.baseline),
    };
    let (from, to) = super::time_range(args.since, args.until, now, default);
    let mut all = Vec::new();
    // A file's global-service events (recorded in us-east-1) count for every region; a live
    // lookup reads the regions asked for only.
    let global = crate::analysis::change_kind::GLOBAL_REGION;
    let mut regions = h.regions.clone();
    if matches!(origin, Origin::Evidence(_)) && !regions.iter().any(|r| r == global) {
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
        all.extend(got.into_iter().filter(|c| c.at >= from && c.at < to));
    }
    if matches!(origin, Origin::Aws) && !regions.iter().any(|r| r == global) {
        eprintln!(
            "warroom: global events (IAM, STS, Organizations, Route 53, CloudFront) are recorded in {global}, which is not read"
        );
    }
    all.sort_by_key(|c| std::cmp::Reverse(c.at));
    Ok((all, now, h, origin))
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
    let (changes, _, h, _) = read(args).await?;
    let masked: Vec<Change> = changes
        .iter()
        .map(|c| h.redactor.as_ref().map_or_else(|| c.clone(), |r| r.change(c)))
        .collect();
    if args.format == Format::Json {
        let list: Vec<Change> = masked
            .into_iter()
            .map(|mut c| {
                c.raw.clear();
                c
            })
            .collect();
        let json =
            serde_json::to_string_pretty(&list).map_err(|e| format!("cannot write JSON: {e}"))?;
        write_line(out, &super::logs::safe_json(&json))?;
    } else {
        for c in &masked {
            let line = match args.format {
                Format::Jsonl | Format::Json => json_line(c)?,
                Format::Text => text_line(c),
            };
            if !write_line(out, &line)? {
                break;
            }
        }
    }
    if changes.is_empty() {
        eprintln!("warroom changes: no changes in the window");
    }
    Ok(!changes.is_empty())
}

/// `warroom suspects`; `Ok(false)` when there is no anomaly or no suspect.
pub async fn run_suspects(args: &SuspectsArgs, out: &mut impl Write) -> Result<bool, String> {
    let (changes, now, h, origin) = read(&args.changes).await?;
    let region = match (&args.changes.cockpit.region, h.regions.as_slice()) {
        (Some(r), _) => r.clone(),
        (None, [one]) => one.clone(),
        (None, _) => return Err("--region is needed: the suspects of which region?".into()),
    };
    let span = h.cfg.window + h.cfg.baseline;
    let snap = match (&origin, now) {
        (_, None) => None,
        (Origin::Demo(sc), Some(now)) => {
            let (sources, _, _) =
                super::demo((**sc).clone(), &h.cfg.boundary, h.cfg.at, 0.0, h.cfg.seed);
            Some(sources.0.engine.metrics(&h.cfg.boundary, now, span))
        }
        (Origin::Evidence(ev), Some(now)) => {
            let q = crate::model::MetricsQuery { now, span };
            Some(ev.metrics.metrics(q).await.map_err(|e| e.message)?)
        }
        (Origin::Aws, Some(now)) if args.onset.is_none() => {
            let m = crate::source::aws::CloudWatchMetrics::from_env(
                h.cfg.boundary.clone(),
                h.cfg.services.clone(),
                h.cfg.aws_profile.clone(),
            )
            .await;
            let q = crate::model::MetricsQuery { now, span };
            Some(m.metrics(q).await.map_err(|e| format!("metrics: {}", e.message))?)
        }
        (Origin::Aws, Some(_)) => None,
    };
    // A service the data does not know is a typo, not "no anomaly".
    if let Some(s) = &args.service {
        let mut known: Vec<String> = h
            .cfg
            .services
            .iter()
            .filter(|c| c.regions.is_empty() || c.regions.contains(&region))
            .map(|c| c.name.clone())
            .collect();
        if let Some(m) = snap.as_ref().and_then(|m| m.regions.get(&region)) {
            known.extend(m.services.keys().cloned());
        }
        known.sort();
        known.dedup();
        if !known.is_empty() && !known.contains(s) {
            let near = crate::app::prompt::did_you_mean(s, known.iter().map(String::as_str));
            return Err(format!(
                "unknown service {s} in {region}{near}: its services are {}",
                known.join(", ")
            ));
        }
    }
    let found: Option<Anomaly> = match &args.onset {
        Some(text) => {
            let day = now.or_else(|| changes.first().map(|c| c.at)).unwrap_or(0);
            let onset = crate::model::parse_moment(text, day).ok_or_else(|| {
                format!(
                    "--onset `{text}` is not a time like 2026-11-19T13:42:02Z,                      2026-11-19T14:42:02+01:00 or 13:42:02"
                )
            })?;
            Some(Anomaly { region: region.clone(), service: args.service.clone(), onset })
        }
        None => match &snap {
            Some(snap) => {
                anomaly(snap, &region, args.service.as_deref(), h.cfg.window, h.cfg.baseline)
                    .map(|a| crate::analysis::requests::refine_onset(snap, a))
            }
            None => {
                return Err(
                    "the changes alone say nothing of an anomaly: give its --onset, or the \
                     evidence's logs or traces (--logs, --traces, --evidence)"
                        .into(),
                );
            }
        },
    };
    let Some(a) = found else {
        eprintln!(
            "warroom suspects: no anomaly in {region} in the window (give --onset to rank anyway)"
        );
        return Ok(false);
    };
    // The failing requests and warning lines since the onset are the evidence: the demo's,
    // or the evidence files'.
    let (failures, logs) = match (&origin, now) {
        (Origin::Demo(sc), Some(now)) if now > a.onset => {
            let (sources, _, _) =
                super::demo((**sc).clone(), &h.cfg.boundary, h.cfg.at, 0.0, h.cfg.seed);
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
        (Origin::Evidence(ev), Some(now)) if now > a.onset => {
            let in_scope = |region: &str, service: &str| {
                region == a.region && a.service.as_deref().is_none_or(|s| s == service)
            };
            let failures: Vec<_> = ev
                .metrics
                .requests()
                .iter()
                .filter(|r| {
                    r.outcome.is_failure() && r.at >= a.onset && in_scope(&r.region, &r.service)
                })
                .cloned()
                .collect();
            let logs: Vec<_> = ev
                .logs
                .as_ref()
                .map(|l| l.events())
                .unwrap_or_default()
                .iter()
                .filter(|l| {
                    l.level >= crate::model::Level::Warn
                        && l.at >= a.onset
                        && in_scope(&l.region, &l.service)
                })
                .cloned()
                .collect();
            (failures, logs)
        }
        _ => (Vec::new(), Vec::new()),
    };
    let ctx =
        Context { evidence: Evidence { failures: &failures, logs: &logs }, ..Context::default() };
    let ranked = rank_with(&changes, &a, &ctx);
    let fmt = args.changes.format;
    if fmt == Format::Text {
        let head = format!(
            "suspects for {}{} (onset {} UTC)",
            a.region,
            a.service.as_deref().map(|s| format!(" › {s}")).unwrap_or_default(),
            crate::model::format_datetime(a.onset)
        );
        write_line(out, &sanitize(&head))?;
    }
    let mut rows = Vec::new();
    for (k, s) in ranked.iter().enumerate() {
        let masked = h.redactor.as_ref().map(|r| r.change(&changes[s.change]));
        let c = masked.as_ref().unwrap_or(&changes[s.change]);
        match fmt {
            Format::Text => {
                // Each field made safe on its own: only these line breaks make rows.
                let mut line = format!(
                    "{:>2}. {}  {}  {}  {}\n    {}  (event {})",
                    k + 1,
                    crate::model::format_datetime(c.at),
                    sanitize(&c.event),
                    sanitize(short_resource(&c.resource)),
                    sanitize(&c.region),
                    sanitize(&s.reason),
                    sanitize(&c.id)
                );
                for check in &s.checks {
                    line.push_str("\n    ");
                    line.push_str(&sanitize(&check.line()));
                }
                let line = crate::redact::text(h.redactor.as_deref(), &line);
                if !write_line(out, &sanitize_lines(&line))? {
                    break;
                }
            }
            Format::Jsonl | Format::Json => {
                let mut c = c.clone();
                c.raw.clear();
                let red = |t: &str| crate::redact::text(h.redactor.as_deref(), t).into_owned();
                let row = serde_json::json!({
                    "rank": k + 1,
                    "score": s.score,
                    "reason": red(&s.reason),
                    "checks": s.checks.iter().map(|x| red(&x.line())).collect::<Vec<_>>(),
                    "onset": crate::model::format_iso(a.onset),
                    "anomaly_region": a.region,
                    "anomaly_service": a.service,
                    "change": c,
                });
                if fmt == Format::Jsonl {
                    if !write_line(out, &super::logs::safe_json(&row.to_string()))? {
                        break;
                    }
                } else {
                    rows.push(row);
                }
            }
        }
    }
    if fmt == Format::Json {
        let json =
            serde_json::to_string_pretty(&rows).map_err(|e| format!("cannot write JSON: {e}"))?;
        write_line(out, &super::logs::safe_json(&json))?;
    }
    Ok(!ranked.is_empty())
}

fn sanitize_lines(s: &str) -> String {
    s.lines().map(sanitize).collect::<Vec<_>>().join("\n")
}
