//! The incident report: Markdown a post-mortem can start from.
//!
//! It is built from model types and analysis only ([`Input`]), never from what the cockpit
//! has in view, so the same investigation gives the same report wherever `:report` was
//! typed:
//!
//! * every time ISO 8601 UTC (`2026-03-12T09:04:37Z`);
//! * the impact of the incident over the whole boundary ([`crate::analysis::impact`]):
//!   regions, services, operations, failed requests, tenants, status codes, start, end or
//!   ongoing;
//! * the first error: the first failing request at or after the onset;
//! * detection: from the onset to the first alert, note or mark (marks keep the time they
//!   were made);
//! * the cause: the top suspect with the values it set (`Timeout 30 -> 3`) and the evidence
//!   for and against it; remediation (a later change of the same service) and recovery;
//! * screens linked relative to the report;
//! * the post-mortem questions, seeded with what the data says (requests without a sampled
//!   trace, failures that left no error line).

use crate::analysis::change_kind::facts;
use crate::analysis::corroborate::thousands;
use crate::analysis::fmt_ms;
use crate::analysis::impact::Impact;
use crate::analysis::suspects::{Anomaly, Suspect, span_text};
use crate::model::investigation::{Entry, EntryKind};
use crate::model::text::{iso, md_code, md_text, short_resource};
use crate::model::{Change, Level, LogEvent, Millis, RequestSample};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Everything the report is made of.
#[derive(Clone, Debug, Default)]
pub struct Input {
    /// Where the data came from: `demo`, `cloudwatch`, `evidence`, ….
    pub source: String,
    pub scenario: Option<String>,
    pub title: Option<String>,
    /// The report's time (the cockpit's clock).
    pub now: Millis,
    pub window: Millis,
    pub baseline: Millis,
    /// The boundary's verdict (`REGIONAL: …`).
    pub verdict: String,
    pub impact: Option<Impact>,
    /// The incident's anomaly (the boundary's worst), and its suspects.
    pub incident: Option<Anomaly>,
    pub changes: Vec<Change>,
    pub suspects: Vec<Suspect>,
    /// The failing requests of the incident's service since its onset, newest first.
    pub failures: Vec<RequestSample>,
    /// Whether those are all of them (not cut at the source's limit).
    pub failures_complete: bool,
    /// Warning and error lines of the incident's region since its onset (the log tail's).
    pub logs: Vec<LogEvent>,
    /// Since when the log tail covers the incident's region (unfiltered), so the absence of a
    /// line for a failure after it means something; `None` when it does not.
    pub logs_from: Option<Millis>,
    /// The marked entries still marked, in journal order.
    pub entries: Vec<Entry>,
    /// The folder the report is written to: screens are linked relative to it.
    pub report_dir: Option<PathBuf>,
}

fn evidence(e: &[(String, String)]) -> String {
    e.iter().map(|(k, v)| format!("{} `{}`", md(k), md_code(v))).collect::<Vec<_>>().join(", ")
}

/// Text from outside (ids, names, messages, the scenario) as inert Markdown on one line: no
/// control characters or escape sequences, no line breaks, no HTML, no Markdown structure
/// ([`md_text`]).
fn md(s: &str) -> String {
    md_text(s)
}

/// `target` relative to `dir` (`../snapshots/snapshot-….svg`); as it is when unrelated.
pub fn relative_link(dir: &Path, target: &Path) -> String {
    let (d, t): (Vec<_>, Vec<_>) = (dir.components().collect(), target.components().collect());
    let common = d.iter().zip(&t).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return target.display().to_string();
    }
    let mut out = PathBuf::new();
    for _ in common..d.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out.to_string_lossy().replace('\\', "/")
}

/// The first failing request at or after the onset.
pub fn first_error(i: &Input) -> Option<&RequestSample> {
    let onset = i.incident.as_ref()?.onset;
    i.failures.iter().filter(|r| r.at >= onset).min_by_key(|r| r.at)
}

/// When the incident was detected, and by what: the first alert, note or mark.
pub fn detection(i: &Input) -> Option<(Millis, String)> {
    i.entries
        .iter()
        .map(|e| match e.kind {
            EntryKind::Alert => (e.at, format!("alert: {}", e.text)),
            EntryKind::Note => (e.at, format!("note: {}", e.text)),
            _ => (e.marked.unwrap_or(e.at), format!("first mark ({})", e.kind.label())),
        })
        .min_by_key(|(t, _)| *t)
}

/// `504 × 1,267, 500 × 2`, most frequent first.
pub fn status_codes(failures: &[RequestSample]) -> Vec<(u16, usize)> {
    let mut counts: Vec<(u16, usize)> = Vec::new();
    for r in failures {
        match counts.iter_mut().find(|(s, _)| *s == r.status) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.status, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts
}

/// The values the top suspect set, with the value before when the change or an earlier one
/// of the same resource says it (`Timeout 30 -> 3`).
pub fn values_set(changes: &[Change], index: usize) -> Vec<String> {
    let c = &changes[index];
    facts(c)
        .params
        .into_iter()
        .map(|mut p| {
            if p.before.is_none() {
                // The newest earlier change of the resource that set the same key.
                p.before = changes
                    .iter()
                    .filter(|o| o.resource == c.resource && o.at < c.at && o.id != c.id)
                    .max_by_key(|o| o.at)
                    .and_then(|o| {
                        facts(o).params.into_iter().find(|q| q.key_lower() == p.key_lower())
                    })
                    .map(|q| q.after);
            }
            p.text()
        })
        .collect()
}

/// A change of the incident's service (or of the top suspect's resource) after the onset
/// that is not the top suspect's own rollout: the remediation.
pub fn remediation<'a>(i: &'a Input, top: &Suspect) -> Option<&'a Change> {
    let a = i.incident.as_ref()?;
    let service = a.service.as_ref()?;
    let delivery = top.delivered_by.map(|j| i.changes[j].id.as_str());
    let top = &i.changes[top.change];
    i.changes
        .iter()
        .filter(|c| {
            !c.read_only
                && c.at > top.at
                && c.at >= a.onset
                && Some(c.id.as_str()) != delivery
                && c.id != top.id
                && (c.service.as_ref() == Some(service) || c.resource == top.resource)
                && facts(c).kind.may_cause()
        })
        .min_by_key(|c| c.at)
}

/// Failures that left no warning or error line in the logs, per service: of those the log
/// tail covered.
pub fn silent_failures(i: &Input) -> Vec<(String, usize, Vec<u16>)> {
    let Some(from) = i.logs_from else { return Vec::new() };
    let mut out: Vec<(String, usize, Vec<u16>)> = Vec::new();
    // A failure is logged at its end: those that began in the tail's span.
    for r in i.failures.iter().filter(|r| r.at >= from) {
        let logged = i.logs.iter().any(|l| {
            l.level >= Level::Warn && l.correlation_id.as_deref() == Some(&r.correlation_id)
        });
        if logged {
            continue;
        }
        match out.iter_mut().find(|(s, _, _)| *s == r.service) {
            Some((_, n, codes)) => {
                *n += 1;
                if !codes.contains(&r.status) {
                    codes.push(r.status);
                }
            }
            None => out.push((r.service.clone(), 1, vec![r.status])),
        }
    }
    out
}

/// `answered 504`, or `failed` without an HTTP status (a Lambda invocation).
fn answered(status: u16) -> String {
    if status == 0 { "failed".to_string() } else { format!("answered {status}") }
}

fn when(t: Millis, onset: Option<Millis>) -> String {
    match onset {
        Some(o) if t >= o => format!("{} ({} after the onset)", iso(t), span_text(t - o)),
        Some(o) => format!("{} ({} before the onset)", iso(t), span_text(o - t)),
        None => iso(t),
    }
}

/// The report's text.
pub fn markdown(i: &Input) -> String {
    let mut out = String::new();
    let onset = i.incident.as_ref().map(|a| a.onset);
    let title = match &i.incident {
        Some(a) => format!(
            "{}{} errors since {}",
            a.region,
            a.service.as_deref().map(|s| format!(" {s}")).unwrap_or_default(),
            iso(a.onset)
        ),
        None => "Incident".to_string(),
    };
    let _ = writeln!(out, "# Incident report: {}\n", md(&title));
    let from = match (&i.scenario, &i.title) {
        (Some(s), Some(t)) => format!(" (scenario {s}: {t})"),
        (Some(s), None) => format!(" (scenario {s})"),
        (None, Some(t)) => format!(" ({t})"),
        (None, None) => String::new(),
    };
    let _ = writeln!(
        out,
        "Written by warroom at {} from the {} source{}. Window {} against {} before it. All times are UTC (ISO 8601).\n",
        iso(i.now),
        md(&i.source),
        md(&from),
        crate::config::window_name(i.window),
        crate::config::window_name(i.baseline)
    );

    let _ = writeln!(out, "## Summary\n\n{}\n", md(&i.verdict));

    // ----- impact
    let _ = writeln!(out, "## Impact\n");
    match &i.impact {
        None => {
            let _ = writeln!(out, "No region, service or operation outside its baseline.\n");
        }
        Some(im) => {
            let join = |v: Vec<String>| v.join(", ");
            let _ = writeln!(out, "- Regions: {}", md(&im.regions.join(", ")));
            let _ = writeln!(
                out,
                "- Services: {}",
                md(&join(im.services.iter().map(|(r, s)| format!("{s} ({r})")).collect()))
            );
            if !im.operations.is_empty() {
                let _ = writeln!(
                    out,
                    "- Operations: {}",
                    md(&join(
                        im.operations.iter().map(|(r, s, o)| format!("{s} {o} ({r})")).collect()
                    ))
                );
            }
            let pct =
                if im.requests == 0 { 0.0 } else { im.failed as f64 * 100.0 / im.requests as f64 };
            let _ = writeln!(
                out,
                "- Failed requests: {} of {} since the onset ({pct:.1}%, baseline {:.1}%)",
                thousands(im.failed as usize),
                thousands(im.requests as usize),
                im.baseline_pct
            );
            let _ = writeln!(out, "- Start: {}", iso(im.start));
            match im.end {
                Some(e) => {
                    let _ = writeln!(out, "- End: {} (lasted {})", iso(e), span_text(e - im.start));
                }
                None => {
                    let _ = writeln!(
                        out,
                        "- End: ongoing at {} ({} so far)",
                        iso(i.now),
                        span_text(i.now - im.start)
                    );
                }
            }
        }
    }
    if !i.failures.is_empty() {
        let mut tenants: Vec<&str> =
            i.failures.iter().map(|r| r.tenant.as_str()).filter(|t| !t.is_empty()).collect();
        tenants.sort_unstable();
        tenants.dedup();
        let of = if i.failures_complete {
            ""
        } else {
            " (at least: the failing requests read were cut)"
        };
        let _ = writeln!(
            out,
            "- Tenants affected: {} in {} failing requests of {}{of}",
            thousands(tenants.len()),
            thousands(i.failures.len()),
            md(i.incident.as_ref().and_then(|a| a.service.as_deref()).unwrap_or("the service"))
        );
        let codes: Vec<String> = status_codes(&i.failures)
            .iter()
            .map(|(s, n)| {
                if *s == 0 {
                    format!("no status × {}", thousands(*n))
                } else {
                    format!("{s} × {}", thousands(*n))
                }
            })
            .collect();
        let _ = writeln!(out, "- Status codes: {}", codes.join(", "));
    }
    if let Some(r) = first_error(i) {
        let cut = if i.failures_complete { "" } else { " (of the failing requests read)" };
        let _ = writeln!(
            out,
            "- First error{cut}: {} {} {} {} after {}: {} (correlation id `{}`)",
            when(r.at, onset),
            md(&r.service),
            md(&r.operation),
            answered(r.status),
            fmt_ms(r.duration_ms),
            if r.message.is_empty() { "no message".to_string() } else { md(&r.message) },
            md_code(&r.correlation_id)
        );
    }
    let detected = detection(i);
    if let Some((t, how)) = &detected {
        let _ = writeln!(out, "- Detected: {} by {}", when(*t, onset), md(how));
    }
    let _ = writeln!(out);

    // ----- cause, remediation, recovery
    let top = i.suspects.first().map(|s| (&i.changes[s.change], s));
    let _ = writeln!(out, "## Cause\n");
    match top {
        Some((c, s)) => {
            let _ = writeln!(
                out,
                "The most plausible cause in the audit trail: {} of {} in {} at {} by {} (CloudTrail event `{}`).\n",
                md(&c.event),
                md(short_resource(&c.resource)),
                md(&c.region),
                iso(c.at),
                md(&c.identity.principal),
                md_code(&c.id)
            );
            let values = values_set(&i.changes, s.change);
            if !values.is_empty() {
                let _ = writeln!(out, "- Set: {}", md(&values.join(", ")));
            }
            let _ = writeln!(out, "- Why it ranks first: {}", md(&s.reason));
            for ch in &s.checks {
                let _ = writeln!(out, "- {}", md(&ch.line()));
            }
            let _ = writeln!(out);
        }
        None => {
            let _ = writeln!(out, "No change ranked against the incident.\n");
        }
    }
    let _ = writeln!(out, "## Remediation and recovery\n");
    let fix = top.and_then(|(_, s)| remediation(i, s));
    match fix {
        Some(f) => {
            let values =
                values_set(&i.changes, i.changes.iter().position(|c| c.id == f.id).unwrap_or(0));
            let set = if values.is_empty() {
                String::new()
            } else {
                format!(" ({})", md(&values.join(", ")))
            };
            let _ = writeln!(
                out,
                "- Remediation: {} of {} at {} by {}{set}",
                md(&f.event),
                md(short_resource(&f.resource)),
                when(f.at, onset),
                md(&f.identity.short())
            );
        }
        None => {
            let _ = writeln!(out, "- Remediation: none recorded in the audit trail yet");
        }
    }
    match i.impact.as_ref().and_then(|im| im.end.map(|e| (e, im.start))) {
        Some((end, start)) => {
            let _ = writeln!(out, "- Recovery: errors back to baseline at {}", iso(end));
            let _ = writeln!(out, "- Time to recover: {} from the onset", span_text(end - start));
            if let Some(f) = fix.filter(|f| f.at <= end) {
                let _ =
                    writeln!(out, "- From the remediation to recovery: {}", span_text(end - f.at));
            }
        }
        None if i.impact.is_some() => {
            let _ = writeln!(
                out,
                "- Recovery: not yet, errors still out of their baseline at {}",
                iso(i.now)
            );
        }
        None => {}
    }
    let _ = writeln!(out);

    // ----- timeline
    let _ = writeln!(out, "## Timeline\n");
    let mut items: Vec<(Millis, String)> = Vec::new();
    let marked_top = top.is_some_and(|(c, _)| {
        i.entries
            .iter()
            .any(|e| e.evidence.iter().any(|(k, v)| k == "CloudTrail event" && *v == c.id))
    });
    if let Some((c, _)) = top.filter(|_| !marked_top) {
        items.push((
            c.at,
            format!(
                "top suspect: {} of {} by {}",
                md(&c.event),
                md(short_resource(&c.resource)),
                md(&c.identity.short())
            ),
        ));
    }
    if let Some(a) = &i.incident {
        items.push((
            a.onset,
            format!(
                "onset: {}{} leaves its baseline",
                md(&a.region),
                a.service.as_deref().map(|s| format!(" › {}", md(s))).unwrap_or_default()
            ),
        ));
    }
    if let Some(r) = first_error(i) {
        items.push((
            r.at,
            format!(
                "first error: {} {} {}{}",
                md(&r.service),
                md(&r.operation),
                answered(r.status),
                if r.message.is_empty() { String::new() } else { format!(": {}", md(&r.message)) }
            ),
        ));
    }
    for e in &i.entries {
        let label = match e.kind {
            EntryKind::Alert | EntryKind::Note => e.kind.label().to_string(),
            _ if e.finding => "finding".into(),
            _ => "observation".into(),
        };
        let shown: Vec<(String, String)> = e
            .evidence
            .iter()
            .map(|(k, v)| match (k.as_str(), &i.report_dir) {
                ("snapshot", Some(d)) => (k.clone(), relative_link(d, Path::new(v))),
                _ => (k.clone(), v.clone()),
            })
            .collect();
        let ev =
            if shown.is_empty() { String::new() } else { format!(" — {}", evidence(&shown)) };
        let what = if matches!(e.kind, EntryKind::Alert | EntryKind::Note) {
            String::new()
        } else {
            format!("{}: ", e.kind.label())
        };
        items.push((e.at, format!("{label}: {what}{}{ev}", md(&e.text))));
    }
    if let Some(f) = fix {
        items.push((
            f.at,
            format!("remediation: {} of {}", md(&f.event), md(short_resource(&f.resource))),
        ));
    }
    if let Some(end) = i.impact.as_ref().and_then(|im| im.end) {
        items.push((end, "recovered: errors back to baseline".into()));
    }
    items.sort_by_key(|(t, _)| *t);
    if items.is_empty() {
        let _ = writeln!(
            out,
            "Nothing marked yet (`m` marks, `F` marks a finding, `:note TEXT` notes)."
        );
    }
    for (t, text) in &items {
        let _ = writeln!(out, "- **{}** {text}", iso(*t));
    }
    let _ = writeln!(out);

    // ----- findings
    let _ = writeln!(out, "## Findings\n");
    let findings: Vec<&Entry> = i.entries.iter().filter(|e| e.finding).collect();
    if findings.is_empty() {
        let _ = writeln!(out, "No findings yet.\n");
    }
    for (k, f) in findings.iter().enumerate() {
        let _ = writeln!(out, "{}. {} ({} at {})", k + 1, md(&f.text), f.kind.label(), iso(f.at));
        if !f.evidence.is_empty() {
            let _ = writeln!(out, "   Evidence: {}", evidence(&f.evidence));
        }
    }
    if !findings.is_empty() {
        let _ = writeln!(out);
    }

    // ----- screens
    let screens: Vec<(&Entry, &String)> = i
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Snapshot)
        .filter_map(|e| e.evidence.iter().find(|(k, _)| k == "snapshot").map(|(_, p)| (e, p)))
        .collect();
    if !screens.is_empty() {
        let _ = writeln!(out, "## Screens\n");
        for (e, path) in screens {
            let link = match &i.report_dir {
                Some(d) => relative_link(d, Path::new(path)),
                None => path.clone(),
            };
            let bang = if link.ends_with(".svg") { "!" } else { "" };
            let alt = md(&e.text);
            let dest = md_code(&link).replace('<', "%3C").replace('>', "%3E");
            let _ = writeln!(out, "{bang}[{} {alt}](<{dest}>)\n", iso(e.at));
        }
    }

    // ----- suspects
    let _ = writeln!(out, "## Suspects\n");
    if i.suspects.is_empty() {
        let _ = writeln!(out, "No change ranked against the incident.\n");
    }
    for (k, s) in i.suspects.iter().take(5).enumerate() {
        let c = &i.changes[s.change];
        let _ = writeln!(
            out,
            "{}. {} {} {} in {} by {} ({}) — {} (CloudTrail event `{}`)",
            k + 1,
            iso(c.at),
            md(&c.event),
            md(short_resource(&c.resource)),
            md(&c.region),
            md(&c.identity.principal),
            s.kind.label(),
            md(&s.reason),
            md_code(&c.id)
        );
        for ch in &s.checks {
            let _ = writeln!(out, "   - {}", md(&ch.line()));
        }
    }
    if !i.suspects.is_empty() {
        let _ = writeln!(out);
    }

    // ----- the post-mortem questions, with what the data already answers
    let _ = writeln!(out, "## What happened\n\n{}\n", md(&i.verdict));
    let _ = writeln!(out, "## Why\n");
    match top {
        Some((c, s)) => {
            let values = values_set(&i.changes, s.change);
            let set = if values.is_empty() {
                String::new()
            } else {
                format!(", setting {}", md(&values.join(", ")))
            };
            let _ = writeln!(
                out,
                "Most plausibly {} of {} by {} at {}{set}. To be confirmed by the team.\n",
                md(&c.event),
                md(short_resource(&c.resource)),
                md(&c.identity.short()),
                iso(c.at)
            );
        }
        None => {
            let _ = writeln!(out, "Not answered by the data yet.\n");
        }
    }
    let _ = writeln!(out, "## Why did detection take that long\n");
    match (onset, &detected) {
        (Some(o), Some((t, how))) => {
            let first = first_error(i)
                .map(|r| format!(" The first error was at {}.", iso(r.at)))
                .unwrap_or_default();
            let took = if *t >= o {
                format!("{} later", span_text(t - o))
            } else {
                "before it (marked ahead of the metrics)".to_string()
            };
            let _ = writeln!(
                out,
                "The anomaly started at {}; it was detected at {} by {}, {took}.{first}\n",
                iso(o),
                iso(*t),
                md(how)
            );
        }
        (Some(o), None) => {
            let _ = writeln!(
                out,
                "The anomaly started at {}; nothing was marked or alerted yet (this report at {}).\n",
                iso(o),
                iso(i.now)
            );
        }
        _ => {
            let _ = writeln!(out, "Not answered by the data yet.\n");
        }
    }
    let _ = writeln!(out, "## What was confusing\n\nTo be answered by the team.\n");
    let _ = writeln!(out, "## What data did we wish we had\n");
    let mut wished = Vec::new();
    let unsampled = i.failures.iter().filter(|r| r.trace_id.is_none()).count();
    if unsampled > 0 {
        wished.push(format!(
            "{} of {} failing requests have no sampled trace.",
            thousands(unsampled),
            thousands(i.failures.len())
        ));
    }
    for e in i.entries.iter().filter(|e| e.kind == EntryKind::Request) {
        if !e.evidence.iter().any(|(k, _)| k == "trace id") {
            let cid = e
                .evidence
                .iter()
                .find(|(k, _)| k == "correlation id")
                .map(|(_, v)| v.as_str())
                .unwrap_or("?");
            wished.push(format!(
                "The marked request `{}` was not sampled for tracing.",
                md_code(cid)
            ));
        }
    }
    for (service, n, codes) in silent_failures(i) {
        let codes: Vec<String> = codes.iter().map(u16::to_string).collect();
        wished.push(format!(
            "{} of {}'s failing requests ({}) left no warning or error log line{}.",
            thousands(n),
            md(&service),
            codes.join(", "),
            i.logs_from.map(|t| format!(" (the log tail since {})", iso(t))).unwrap_or_default()
        ));
    }
    if wished.is_empty() {
        let _ = writeln!(out, "To be answered by the team.\n");
    } else {
        for w in &wished {
            let _ = writeln!(out, "- {w}");
        }
        let _ = writeln!(out, "\nAnd what else, to be answered by the team.\n");
    }
    for q in ["What guardrail would have prevented it", "What should be automated"] {
        let _ = writeln!(out, "## {q}\n\nTo be answered by the team.\n");
    }
    out
}

/// The report with what is sensitive masked: the masks of the evidence and of who made the
/// suspect changes are learned first, so their values are masked wherever the text has them.
pub fn redacted(i: &Input, r: &crate::redact::Redactor) -> String {
    for e in &i.entries {
        r.pairs(&e.evidence);
    }
    for s in i.suspects.iter().take(5) {
        r.change(&i.changes[s.change]);
    }
    for f in &i.failures {
        r.request(f);
    }
    let out = markdown(i);
    let mut text = r.text(&out).into_owned();
    text.insert_str(
        text.find('\n').map_or(0, |i| i + 1),
        "\n> Redacted: tenant ids, users, emails, IP addresses and secrets are masked (`tenant-#1`).\n",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_relative_to_the_report() {
        let d = Path::new("/data/warroom/reports");
        assert_eq!(
            relative_link(d, Path::new("/data/warroom/snapshots/snapshot-2026-03-12T0930Z.svg")),
            "../snapshots/snapshot-2026-03-12T0930Z.svg"
        );
        assert_eq!(relative_link(d, Path::new("/data/warroom/reports/a.svg")), "a.svg");
        assert_eq!(relative_link(Path::new("reports"), Path::new("/abs/x.svg")), "/abs/x.svg");
    }

    #[test]
    fn status_codes_most_frequent_first() {
        let r = |status| RequestSample {
            at: 0,
            region: "eu-west-1".into(),
            service: "w".into(),
            operation: "o".into(),
            correlation_id: "c".into(),
            tenant: "t".into(),
            status,
            outcome: crate::model::Outcome::Fault,
            duration_ms: 1.0,
            trace_id: None,
            message: String::new(),
        };
        let f = [r(504), r(500), r(504)];
        assert_eq!(status_codes(&f), [(504, 2), (500, 1)]);
    }
}
