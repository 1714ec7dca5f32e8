//! The incident report: Markdown a post-mortem can start from, written from what the cockpit
//! shows (verdict, regions, suspects) and what the engineer marked (observations, findings).

use crate::analysis::{Health, fmt_ms};
use crate::app::App;
use crate::config::window_name;
use crate::model::investigation::EntryKind;
use crate::model::{format_hm, format_hms};
use crate::ui::changes::short_resource;
use std::fmt::Write;

fn evidence(e: &[(String, String)]) -> String {
    e.iter().map(|(k, v)| format!("{k} `{v}`")).collect::<Vec<_>>().join(", ")
}

/// One line of Markdown text: no line breaks, no stray table or heading syntax at its start.
fn md(s: &str) -> String {
    crate::ui::sanitize(s).replace(['\n', '\r'], " ")
}

/// The report as of the app's clock.
pub fn markdown(app: &App) -> String {
    let mut out = String::new();
    let now = app.clock.now();
    let title = match &app.changes.anomaly {
        Some(a) => format!(
            "{}{} errors since {}",
            a.region,
            a.service.as_deref().map(|s| format!(" {s}")).unwrap_or_default(),
            format_hm(a.onset)
        ),
        None => "Incident".to_string(),
    };
    let _ = writeln!(out, "# Incident report: {}\n", md(&title));
    let _ = writeln!(
        out,
        "Written by warroom at {} UTC from the {} source{}. Window {} against {} before it.\n",
        format_hms(now),
        app.source.name,
        app.source.scenario.as_deref().map(|s| format!(" (scenario {s})")).unwrap_or_default(),
        window_name(app.window),
        window_name(app.baseline)
    );

    let _ = writeln!(out, "## Summary\n\n{}\n", md(&app.verdict.text));

    let _ = writeln!(out, "## Impact\n");
    let hit: Vec<_> = app
        .rows
        .iter()
        .filter(|r| r.stats.as_ref().is_some_and(|s| s.health >= Health::Degraded))
        .collect();
    if hit.is_empty() {
        let _ = writeln!(out, "No region or service outside its baseline in the window.\n");
    } else {
        let _ = writeln!(out, "| Where | Errors | Baseline | p99 | Since |\n|---|---|---|---|---|");
        for r in &hit {
            let s = r.stats.as_ref().expect("filtered");
            let where_ = match &r.hotspot {
                Some(h) => format!("{} ({h})", r.name),
                None => r.name.clone(),
            };
            let _ = writeln!(
                out,
                "| {} | {:.1}% | {:.1}% | {} | {} |",
                md(&where_),
                s.window.error_pct(),
                s.baseline.error_pct(),
                fmt_ms(s.window.p99_ms),
                s.onset.map(format_hm).unwrap_or_else(|| "-".into())
            );
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "## Timeline\n");
    let items = app.timeline();
    if items.is_empty() {
        let _ = writeln!(out, "Nothing marked yet (`m` marks, `F` marks a finding).\n");
    }
    for i in &items {
        let ev = if i.evidence.is_empty() {
            String::new()
        } else {
            format!(" — {}", evidence(&i.evidence))
        };
        let _ = writeln!(out, "- **{}** {}: {}{}", format_hms(i.at), i.label, md(&i.text), ev);
    }
    if !items.is_empty() {
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "## Findings\n");
    let findings: Vec<_> = app.investigation.findings().collect();
    if findings.is_empty() {
        let _ = writeln!(out, "No findings yet.\n");
    }
    for (k, f) in findings.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {} ({} at {})",
            k + 1,
            md(&f.text),
            f.kind.label(),
            format_hms(f.at)
        );
        if !f.evidence.is_empty() {
            let _ = writeln!(out, "   Evidence: {}", evidence(&f.evidence));
        }
    }
    if !findings.is_empty() {
        let _ = writeln!(out);
    }

    // The screens the engineer saved with `:snapshot`, as pictures where they are pictures.
    let screens: Vec<_> = app
        .investigation
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Snapshot)
        .filter_map(|e| e.evidence.iter().find(|(k, _)| k == "snapshot").map(|(_, p)| (e, p)))
        .collect();
    if !screens.is_empty() {
        let _ = writeln!(out, "## Screens\n");
        for (e, path) in screens {
            let bang = if path.ends_with(".svg") { "!" } else { "" };
            let alt = md(&e.text).replace(['[', ']'], "");
            let _ = writeln!(out, "{bang}[{} {alt}](<{}>)\n", format_hms(e.at), md(path));
        }
    }

    let _ = writeln!(out, "## Suspects\n");
    if app.changes.suspects.is_empty() {
        let _ = writeln!(out, "No change ranked against an anomaly.\n");
    }
    for (k, s) in app.changes.suspects.iter().take(5).enumerate() {
        let c = &app.changes.changes[s.change];
        let _ = writeln!(
            out,
            "{}. {} {} {} in {} by {} — {} (CloudTrail event `{}`)",
            k + 1,
            format_hms(c.at),
            md(&c.event),
            md(short_resource(&c.resource)),
            md(&c.region),
            md(&c.identity.principal),
            md(&s.reason),
            md(&c.id)
        );
    }
    if !app.changes.suspects.is_empty() {
        let _ = writeln!(out);
    }

    // The post-mortem questions, with what the data already answers.
    let top = app.changes.suspects.first().map(|s| (&app.changes.changes[s.change], s));
    let onset = app.changes.anomaly.as_ref().map(|a| a.onset);
    let _ = writeln!(out, "## What happened\n\n{}\n", md(&app.verdict.text));
    let _ = writeln!(out, "## Why\n");
    match top {
        Some((c, s)) => {
            let _ = writeln!(
                out,
                "The most plausible cause in the audit trail: {} of {} by {} at {} ({}).\n",
                md(&c.event),
                md(short_resource(&c.resource)),
                md(&c.identity.short()),
                format_hms(c.at),
                md(&s.reason)
            );
        }
        None => {
            let _ = writeln!(out, "Not answered by the data yet.\n");
        }
    }
    let _ = writeln!(out, "## Why did detection take that long\n");
    match (onset, findings.first()) {
        (Some(o), Some(f)) => {
            let _ = writeln!(
                out,
                "The anomaly started at {}; the first finding was about {} (this report at {}).\n",
                format_hm(o),
                format_hms(f.at),
                format_hms(now)
            );
        }
        (Some(o), None) => {
            let _ = writeln!(
                out,
                "The anomaly started at {}; this report was written at {}.\n",
                format_hm(o),
                format_hms(now)
            );
        }
        _ => {
            let _ = writeln!(out, "Not answered by the data yet.\n");
        }
    }
    for q in [
        "What was confusing",
        "What data did we wish we had",
        "What guardrail would have prevented it",
        "What should be automated",
    ] {
        let _ = writeln!(out, "## {q}\n\nTo be answered by the team.\n");
    }
    match app.redaction() {
        Some(r) => redacted(app, r, &out),
        None => out,
    }
}

/// The report with what is sensitive masked: the masks of the evidence and of who made the
/// suspect changes are learned first, so their values are masked wherever the text has them.
fn redacted(app: &App, r: &crate::redact::Redactor, out: &str) -> String {
    for i in app.timeline() {
        r.pairs(&i.evidence);
    }
    for s in app.changes.suspects.iter().take(5) {
        r.change(&app.changes.changes[s.change]);
    }
    let mut text = r.text(out).into_owned();
    text.insert_str(
        text.find('\n').map_or(0, |i| i + 1),
        "\n> Redacted: tenant ids, users, emails, IP addresses and secrets are masked (`tenant-#1`).\n",
    );
    text
}
