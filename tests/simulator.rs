//! The incident simulator: determinism, consistency across signals, and the stories.

use warroom::model::{Boundary, DAY_MS, MINUTE_MS, Scope, parse_hms};
use warroom::source::sim::{Engine, Scenario};

fn engine(name: &str) -> Engine {
    Engine::new(Scenario::built_in(name).expect("built-in scenario parses"))
}

#[test]
fn built_in_scenarios_parse() {
    for (name, text) in warroom::source::sim::scenario::BUILT_IN {
        let s = Scenario::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&s.name, name);
    }
}

#[test]
fn story1_eu_west_1_degrades_after_the_change() {
    let e = engine("invoice-approval-timeout");
    let at = |hms: &str| e.scenario.at(parse_hms(hms).unwrap());
    let t0 = std::time::Instant::now();
    let snap = e.metrics(&Boundary::global(), at("09:20"), 15 * MINUTE_MS + DAY_MS);
    eprintln!("24h15m of metrics in {:?}", t0.elapsed());
    let eu = &snap.regions["eu-west-1"].total;
    let now = at("09:20");
    let window = eu.stats(now - 15 * MINUTE_MS, now);
    let base = eu.stats(now - 15 * MINUTE_MS - DAY_MS, now - 15 * MINUTE_MS);
    eprintln!(
        "eu-west-1 window {:.2}% base {:.2}% rate {:.1}/s",
        window.error_pct(),
        base.error_pct(),
        window.rate_per_sec()
    );
    assert!(window.error_pct() > 3.0 && base.error_pct() < 0.5);
    for r in ["eu-central-1", "us-east-1", "us-west-2", "ap-southeast-1", "ap-northeast-1"] {
        let s = &snap.regions[r].total;
        let w = s.stats(now - 15 * MINUTE_MS, now);
        eprintln!("{r} window {:.2}%", w.error_pct());
        assert!(w.error_pct() < 0.6, "{r} {}", w.error_pct());
    }
    let fails = e.failing_requests(
        &Scope {
            region: "eu-west-1".into(),
            service: Some("invoice-approval-worker".into()),
            operation: Some("ApproveInvoice".into()),
        },
        now - 15 * MINUTE_MS,
        now,
        5000,
    );
    assert!(
        fails.iter().any(|f| f.correlation_id == "c-9f3a6e1d" && f.tenant == "tenant-42"),
        "{}",
        fails.len()
    );
}

#[test]
fn same_scenario_seed_and_time_give_the_same_telemetry() {
    let a = engine("invoice-approval-timeout");
    let b = engine("invoice-approval-timeout");
    let now = a.scenario.at(parse_hms("09:12").unwrap());
    let span = 30 * MINUTE_MS;
    assert_eq!(
        a.metrics(&Boundary::global(), now, span),
        b.metrics(&Boundary::global(), now, span)
    );
    assert_eq!(
        a.logs("eu-west-1", now - MINUTE_MS, now),
        b.logs("eu-west-1", now - MINUTE_MS, now)
    );
    // Another seed gives other telemetry.
    let mut sc = Scenario::built_in("invoice-approval-timeout").unwrap();
    sc.seed += 1;
    let c = Engine::new(sc);
    assert_ne!(
        a.metrics(&Boundary::global(), now, span),
        c.metrics(&Boundary::global(), now, span)
    );
}

#[test]
fn metrics_logs_and_traces_agree() {
    let e = engine("invoice-approval-timeout");
    let now = e.scenario.at(parse_hms("09:15").unwrap());
    let minute = now - MINUTE_MS;
    let snap = e.metrics(&Boundary::global(), now, MINUTE_MS);
    let worker =
        &snap.regions["eu-west-1"].services["invoice-approval-worker"].operations["ApproveInvoice"];
    let point = worker.points[0];
    let scope = Scope {
        region: "eu-west-1".into(),
        service: Some("invoice-approval-worker".into()),
        operation: Some("ApproveInvoice".into()),
    };
    // Requests entering in that minute that failed at the worker: the metric's error count.
    let failures = e
        .failing_requests(&scope, minute - MINUTE_MS, now + MINUTE_MS, 100_000)
        .into_iter()
        .filter(|r| {
            let req = e
                .find_request("eu-west-1", &r.correlation_id, minute - MINUTE_MS, now + MINUTE_MS)
                .unwrap();
            req.at >= minute && req.at < now
        })
        .count();
    assert_eq!(failures as u32, point.errors);
    assert!(point.errors > 0);
    // Every failing worker call writes the timeout as an error log line with its correlation id.
    let logs = e.logs("eu-west-1", minute, now + 10_000);
    let timeouts = logs.iter().filter(|l| l.message == "Task timed out after 3.00 seconds").count();
    assert!(timeouts as u32 >= point.errors - 3 && timeouts > 0, "{timeouts} vs {}", point.errors);
    // Sampled requests have traces whose spans are the hops that ran.
    let sampled: Vec<_> = (0..3u16)
        .flat_map(|f| e.requests_in(0, f, minute / MINUTE_MS))
        .filter(|r| r.sampled)
        .collect();
    assert!(!sampled.is_empty());
    for r in &sampled {
        let t = e.trace(r).expect("sampled requests have a trace");
        assert_eq!(t.spans.len(), r.hops().iter().filter(|h| h.ran).count());
        assert!(t.trace_id.starts_with("1-"));
    }
}

#[test]
fn the_customer_request_is_logged_not_sampled_and_fails() {
    let e = engine("invoice-approval-timeout");
    let at = |hms: &str| e.scenario.at(parse_hms(hms).unwrap());
    let r = e
        .find_request("eu-west-1", "c-9f3a6e1d", at("09:11"), at("09:13"))
        .expect("pinned request");
    assert_eq!(r.at, at("09:11:40"));
    assert!(!r.sampled);
    assert!(e.trace(&r).is_none(), "not sampled: no trace");
    let lines: Vec<String> =
        e.request_logs(&r).into_iter().map(|l| format!("{} {}", l.service, l.message)).collect();
    assert_eq!(
        lines,
        vec![
            "invoice-api Invoice approval requested",
            "invoice-api Published InvoiceApprovalRequested to eu-invoices",
            "invoice-approval-worker Received InvoiceApprovalRequested from eu-invoices",
            format!(
                "invoice-approval-worker Calling ledger-api to approve invoice inv-{:06}",
                r.key % 1_000_000
            )
            .as_str(),
            "invoice-approval-worker Task timed out after 3.00 seconds",
        ]
    );
    for l in e.request_logs(&r) {
        assert_eq!(l.correlation_id.as_deref(), Some("c-9f3a6e1d"));
        assert_eq!(l.tenant.as_deref(), Some("tenant-42"));
        assert!(l.raw.contains(r#""correlationId":"c-9f3a6e1d""#));
    }
}

#[test]
fn story1_change_is_in_the_audit_trail() {
    let e = engine("invoice-approval-timeout");
    let now = e.scenario.at(parse_hms("09:20").unwrap());
    let changes = e.changes(&Boundary::global(), now);
    let c = changes
        .iter()
        .find(|c| c.at == e.scenario.at(parse_hms("09:04:37").unwrap()))
        .expect("the change");
    assert_eq!(c.region, "eu-west-1");
    assert_eq!(c.event, "UpdateFunctionConfiguration");
    assert_eq!(c.service.as_deref(), Some("invoice-approval-worker"));
    assert_eq!(c.identity.short(), "deploy-role/deploy-bot");
    // Changes after `now` and outside the boundary are not there.
    assert!(changes.iter().all(|c| c.at <= now));
    let us = Boundary::global().only_continent("US").unwrap();
    assert!(e.changes(&us, now).iter().all(|c| c.region.starts_with("us-")));
}

#[test]
fn story2_alert_endpoint_404s_after_the_rollout() {
    let e = engine("alert-endpoint-404");
    let at = |hms: &str| e.scenario.at(parse_hms(hms).unwrap());
    let now = at("14:55");
    let snap = e.metrics(&Boundary::global(), now, 10 * MINUTE_MS + 2 * 3_600_000);
    let ops = &snap.regions["us-east-1"].services["message-processor"].operations;
    let stats = |op: &str, from: i64, to: i64| ops[op].stats(from, to);
    let alert = stats("POST /alert", at("14:53"), now);
    assert!(alert.error_pct() > 90.0, "{}", alert.error_pct());
    assert!(stats("POST /alert", at("14:40"), at("14:47")).error_pct() < 1.0);
    for op in ["GET /health", "GET /metrics", "POST /process"] {
        assert!(stats(op, at("14:45"), now).error_pct() < 1.0, "{op}");
    }
    // The 404s are silent: no error log line.
    let logs = e.logs("us-east-1", at("14:54"), now);
    assert!(logs.iter().all(|l| l.level != warroom::model::Level::Error
        || l.operation.as_deref() != Some("POST /alert")));
    let fails = e.failing_requests(
        &Scope {
            region: "us-east-1".into(),
            service: Some("message-processor".into()),
            operation: Some("POST /alert".into()),
        },
        at("14:52"),
        at("14:53"),
        1000,
    );
    assert!(fails.iter().all(|f| f.status == 404));
    assert!(fails.iter().any(|f| f.correlation_id == "m-7c21e4b0"));
    let push =
        e.changes(&Boundary::global(), now).into_iter().find(|c| c.event == "PutImage").unwrap();
    assert_eq!(push.at, at("14:47:19"));
    assert_eq!(push.identity.short(), "ecr-publisher/jane.doe");
}

#[test]
fn scenario_errors_name_line_and_key() {
    let text = warroom::source::sim::scenario::BUILT_IN[0].1;
    let typo = text.replacen("p50-ms = 45", "p50_ms = 45", 1);
    let err = Scenario::parse(&typo).unwrap_err();
    assert!(err.contains("line") && err.contains("p50_ms"), "{err}");
    let bad_time = text.replacen("from = \"09:04:37\"", "from = \"9h04\"", 1);
    let err = Scenario::parse(&bad_time).unwrap_err();
    assert!(err.contains("line") && err.contains("9h04"), "{err}");
    let bad_region = text.replacen(
        "region = \"eu-west-1\"\nservice = \"invoice-approval-worker\"\nfrom",
        "region = \"eu-north-9\"\nservice = \"invoice-approval-worker\"\nfrom",
        1,
    );
    let err = Scenario::parse(&bad_region).unwrap_err();
    assert!(err.contains("faults[0]") && err.contains("eu-north-9"), "{err}");
    let err = Scenario::load("no-such-scenario").unwrap_err();
    assert!(err.contains("invoice-approval-timeout, alert-endpoint-404"), "{err}");
}

#[test]
fn story2_overview_names_the_failing_endpoint() {
    use warroom::analysis::{VerdictKind, region_health, region_rows, verdict};
    let e = engine("alert-endpoint-404");
    let now = e.scenario.at(parse_hms("14:56").unwrap());
    let (w, b) = (15 * MINUTE_MS, DAY_MS);
    let snap = e.metrics(&Boundary::global(), now, w + b);
    let v = verdict(&Boundary::global(), &region_rows(&snap, &Boundary::global(), w, b));
    assert_eq!(v.kind, VerdictKind::Regional);
    assert!(
        v.text.starts_with("REGIONAL: us-east-1 message-processor › POST /alert errors"),
        "{}",
        v.text
    );
    assert!(v.text.contains("since 14:49"), "{}", v.text);
    // The region's total alone hides it; the hot spot is what escalates the region.
    let (total, hot) = region_health(&snap.regions["us-east-1"], now, w, b);
    let (op, stats) = hot.expect("a hot spot in us-east-1");
    assert_eq!(op, "message-processor › POST /alert");
    assert!(stats.health >= total.health);
    assert!(stats.judged.error_pct() > 2.0 * total.judged.error_pct());
    for r in ["eu-west-1", "eu-central-1", "us-west-2", "ap-southeast-1", "ap-northeast-1"] {
        assert!(region_health(&snap.regions[r], now, w, b).1.is_none(), "{r}");
    }
}

mod recovery {
    use super::*;
    use warroom::analysis::requests::refine_onset;
    use warroom::analysis::{Health, VerdictKind, region_rows, suspects, verdict};
    use warroom::model::format_hms;

    const WINDOWS: [(&str, i64); 4] = [("15m", 15), ("1h", 60), ("6h", 360), ("24h", 1440)];

    /// Story 1 as if nobody fixed it: no `until` on the fault, no restoring change.
    fn unfixed() -> Engine {
        let text = warroom::source::sim::scenario::BUILT_IN
            .iter()
            .find(|(n, _)| *n == "invoice-approval-timeout")
            .unwrap()
            .1;
        assert!(text.contains("until = \"09:44:20\""));
        let fix = text.find("# The fix:").expect("the fix is in the scenario");
        let header = fix + text[fix..].find("[[changes]]").expect("the fix's table");
        let next = header + 1 + text[header + 1..].find("\n[[").expect("a table follows") + 1;
        let text =
            format!("{}{}", &text[..fix], &text[next..]).replace("until = \"09:44:20\"\n", "");
        assert!(!text.contains("Timeout 3 -> 30"));
        Engine::new(Scenario::parse(&text).unwrap())
    }

    fn judge(
        e: &Engine,
        hms: &str,
        window: i64,
    ) -> (warroom::analysis::Verdict, Vec<(String, warroom::analysis::RowStats)>) {
        let now = e.scenario.at(parse_hms(hms).unwrap());
        let w = window * MINUTE_MS;
        let snap = e.metrics(&Boundary::global(), now, w + DAY_MS);
        let rows = region_rows(&snap, &Boundary::global(), w, DAY_MS);
        (verdict(&Boundary::global(), &rows), rows)
    }

    fn eu(rows: &[(String, warroom::analysis::RowStats)]) -> &warroom::analysis::RowStats {
        &rows.iter().find(|(n, _)| n.starts_with("eu-west-1")).unwrap().1
    }

    fn others_normal(rows: &[(String, warroom::analysis::RowStats)], ctx: &str) {
        for (n, r) in rows.iter().filter(|(n, _)| !n.starts_with("eu-west-1")) {
            assert_eq!(r.health, Health::Normal, "{ctx}: {n} {r:?}");
            assert!(r.recovered.is_none(), "{ctx}: {n} recovered from noise");
        }
    }

    #[test]
    fn story1_unfixed_is_degraded_at_every_hour_and_window() {
        let e = unfixed();
        for t in ["09:20", "12:00", "18:00", "23:50"] {
            for (name, w) in WINDOWS {
                let (v, rows) = judge(&e, t, w);
                let ctx = format!("{t} {name}: {}", v.text);
                assert_eq!(v.kind, VerdictKind::Regional, "{ctx}");
                assert!(v.text.contains("eu-west-1"), "{ctx}");
                assert!(v.text.contains("since 09:04"), "{ctx}");
                assert!(eu(&rows).health >= Health::Degraded, "{ctx}");
                others_normal(&rows, &ctx);
            }
        }
    }

    #[test]
    fn story1_is_degraded_until_the_fix_then_recovered() {
        let e = engine("invoice-approval-timeout");
        for t in ["09:20", "09:40"] {
            for (name, w) in WINDOWS {
                let (v, rows) = judge(&e, t, w);
                let ctx = format!("{t} {name}: {}", v.text);
                assert_eq!(v.kind, VerdictKind::Regional, "{ctx}");
                assert!(v.text.contains("since 09:04"), "{ctx}");
                assert!(!v.text.contains("recovering"), "{ctx}");
                others_normal(&rows, &ctx);
            }
        }
        // The fix lands at 09:44:20; 09:44 is the last minute out of baseline.
        for (name, w) in WINDOWS {
            let (v, rows) = judge(&e, "09:50", w);
            let ctx = format!("09:50 {name}: {}", v.text);
            assert_eq!(v.kind, VerdictKind::Regional, "{ctx}");
            assert!(v.text.contains("since 09:04, recovering since 09:45"), "{ctx}");
            assert!(eu(&rows).health >= Health::Degraded, "still red while it comes back: {ctx}");
        }
        for (t, mins) in [("10:00", "15 min"), ("12:00", "2 h 15 min"), ("23:50", "14 h 5 min")] {
            let (v, rows) = judge(&e, t, 1440);
            let ctx = format!("{t} 24h: {}", v.text);
            assert_eq!(v.kind, VerdictKind::Recovered, "{ctx}");
            assert!(
                v.text.starts_with(&format!(
                    "RECOVERED at 09:45 (errors back to baseline for {mins}): eu-west-1 since 09:04 for 41 min"
                )),
                "{ctx}"
            );
            assert_eq!(eu(&rows).health, Health::Normal, "{ctx}");
            others_normal(&rows, &ctx);
        }
        // Windows that no longer hold the incident are plainly normal.
        for (t, w) in [("12:00", 15), ("12:00", 60), ("18:00", 360), ("23:50", 60)] {
            let (v, _) = judge(&e, t, w);
            assert_eq!(v.kind, VerdictKind::Normal, "{t} {w}: {}", v.text);
        }
    }

    #[test]
    fn story2_recovers_after_the_rollback() {
        let e = engine("alert-endpoint-404");
        let (v, _) = judge(&e, "15:20", 15);
        assert_eq!(v.kind, VerdictKind::Regional, "{}", v.text);
        let (v, _) = judge(&e, "15:36", 60);
        assert!(v.text.contains("since 14:49, recovering since 15:32"), "{}", v.text);
        let (v, _) = judge(&e, "15:45", 60);
        assert_eq!(v.kind, VerdictKind::Recovered, "{}", v.text);
        assert!(v.text.starts_with("RECOVERED at 15:3"), "{}", v.text);
        // At 23:00 the verdict and the incident agree on the onset.
        let now = e.scenario.at(parse_hms("23:00").unwrap());
        let snap = e.metrics(&Boundary::global(), now, DAY_MS + DAY_MS);
        let (v, _) = judge(&e, "23:00", 1440);
        let a =
            suspects::incident(&snap, Boundary::global().regions().map(|(_, r)| r), DAY_MS, DAY_MS)
                .expect("the incident of the day");
        assert!(
            v.text.contains(&format!("since {}", &format_hms(a.onset)[..5])),
            "{} vs {}",
            v.text,
            format_hms(a.onset)
        );
    }

    #[test]
    fn story1_onset_is_one_value_to_the_second() {
        let e = engine("invoice-approval-timeout");
        let change = e.scenario.at(parse_hms("09:04:37").unwrap());
        let mut seen = Vec::new();
        for (name, w) in WINDOWS {
            for t in ["09:20", "09:40"] {
                let now = e.scenario.at(parse_hms(t).unwrap());
                let snap = e.metrics(&Boundary::global(), now, w * MINUTE_MS + DAY_MS);
                let rows = region_rows(&snap, &Boundary::global(), w * MINUTE_MS, DAY_MS);
                let row_onset = eu(&rows).onset.expect("an onset");
                let a = suspects::incident(
                    &snap,
                    Boundary::global().regions().map(|(_, r)| r),
                    w * MINUTE_MS,
                    DAY_MS,
                )
                .map(|a| refine_onset(&snap, a))
                .expect("an incident");
                assert_eq!(a.region, "eu-west-1");
                assert_eq!(a.service.as_deref(), Some("invoice-approval-worker"));
                // To the second, after the change that caused it, in the row's minute.
                assert!(a.onset > change, "{name} {t}: {}", format_hms(a.onset));
                assert_eq!(a.onset - a.onset % MINUTE_MS, row_onset, "{name} {t}");
                seen.push(a.onset);
            }
        }
        seen.dedup();
        assert_eq!(seen.len(), 1, "one onset at every window: {seen:?}");
    }
}
