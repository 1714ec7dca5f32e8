//! The cockpit on nothing but an incident's evidence, as the AWS CLI exports it and CloudTrail
//! delivers it (tests/fixtures/evidence/make.py writes the files): no simulated number
//! anywhere, the incident found with its onset and cause, the request's runtime lines joined.

mod common;

use std::path::PathBuf;
use warroom::app::{Action, App, Focus, Key, View};
use warroom::cli::{CockpitArgs, EvidenceSources};
use warroom::model::{Outcome, parse_moment};

fn story() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/evidence/story")
}

fn path(rel: &str) -> String {
    story().join(rel).display().to_string()
}

struct Cockpit {
    app: App,
    sources: EvidenceSources,
    rt: tokio::runtime::Runtime,
}

impl Cockpit {
    fn open(args: CockpitArgs) -> Cockpit {
        let setup = warroom::cli::setup(&args).expect("setup");
        assert_eq!(setup.mode, warroom::cli::Mode::Evidence);
        let cfg = &setup.config;
        let ev = warroom::cli::load_evidence(cfg, &setup.evidence).expect("evidence");
        let (sources, clock, info) = warroom::cli::evidence_sources(cfg, &ev);
        let mut app =
            App::new(cfg.boundary.clone(), clock, setup.keymap, info, cfg.window, cfg.baseline)
                .with_log_store(cfg.log_capacity, cfg.line_parser());
        app.changes.read_global = !setup.evidence.changes.is_empty();
        warroom::tui::set_pages(&mut app, 48);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let mut c = Cockpit { app, sources, rt };
        let fx = vec![warroom::app::Effect::FetchMetrics { span: 0 }];
        c.serve(fx);
        c
    }

    fn story() -> Cockpit {
        Cockpit::open(CockpitArgs { evidence: vec![story()], ..Default::default() })
    }

    fn serve(&mut self, fx: Vec<warroom::app::Effect>) {
        self.rt.block_on(warroom::cli::snapshot::serve_sources(&mut self.app, &self.sources, fx));
    }

    fn keys(&mut self, keys: &str) {
        for k in keys.split_whitespace() {
            let fx = self.app.on_key(Key::parse(k).expect("a key"));
            self.serve(fx);
        }
    }

    fn command(&mut self, line: &str) {
        let fx = self.app.run_command(line);
        self.serve(fx);
    }

    fn screen(&self, w: u16, h: u16) -> String {
        common::render(&self.app, w, h, 0)
    }
}

/// Names only the simulator uses: none of them may reach a screen of evidence.
fn demo_words() -> Vec<String> {
    let mut words = vec!["DEMO".to_string(), "demo".into(), "simulated".into()];
    for (name, _) in warroom::source::sim::scenario::BUILT_IN {
        let sc = warroom::source::sim::Scenario::built_in(name).unwrap();
        words.push(sc.name.clone());
        words.extend(sc.services.iter().map(|s| s.name.clone()));
    }
    words
}

fn assert_no_demo(screen: &str, what: &str) {
    for w in demo_words() {
        assert!(!screen.contains(&w), "{what}: `{w}` on a screen of evidence:\n{screen}");
    }
}

const CUSTOMER: &str = "c-7d2e91b4";

#[test]
fn every_screen_of_the_evidence_cockpit_is_free_of_the_demo() {
    let mut c = Cockpit::story();
    let mut screens = vec![("overview", c.screen(160, 48)), ("overview 80", c.screen(80, 24))];
    c.keys("enter");
    screens.push(("region", c.screen(160, 48)));
    c.keys("enter");
    screens.push(("service", c.screen(160, 48)));
    c.keys("enter");
    screens.push(("failing requests", c.screen(160, 48)));
    c.keys("enter");
    screens.push(("waterfall", c.screen(160, 48)));
    c.keys("tab");
    screens.push(("log tail", c.screen(160, 48)));
    c.keys("tab");
    screens.push(("change feed", c.screen(160, 48)));
    c.keys("enter");
    screens.push(("change", c.screen(160, 48)));
    c.keys("esc ?");
    screens.push(("help", c.screen(160, 48)));
    c.keys("esc t");
    screens.push(("timeline", c.screen(160, 48)));
    for (what, s) in &screens {
        assert_no_demo(s, what);
    }
    let overview = &screens[0].1;
    assert!(overview.contains("EVIDENCE"), "{overview}");
    assert!(overview.contains("2026-11-19 14:05:00 UTC (evidence time)"), "{overview}");
    assert!(
        overview.contains("REGIONAL: eu-west-1 settlement-worker › SettlePayment errors"),
        "{overview}"
    );
    assert!(overview.contains("since 13:42"), "{overview}");
    assert!(overview.contains("computed from the evidence, "), "{overview}");
    assert!(overview.contains("2 log files, 1 trace file, 3 CloudTrail files"), "{overview}");
    assert!(
        overview.contains(
            " SUSPECT 13:41:32 settlement-worker (eu-west-1) · 30 s before onset · same service"
        ),
        "{overview}"
    );
    let region = &screens[2].1;
    assert!(region.contains("✖ settlement-worker"), "the worker is the one failing: {region}");
}

#[test]
fn the_incident_is_found_with_its_onset_and_its_cause() {
    let mut c = Cockpit::story();
    let row = &c.app.rows.iter().find(|r| r.name == "eu-west-1").unwrap().stats.clone().unwrap();
    assert!(row.health >= warroom::analysis::Health::Degraded, "{row:?}");
    let a = c.app.changes.anomaly.clone().expect("an anomaly");
    assert_eq!(a.region, "eu-west-1");
    assert_eq!(a.service.as_deref(), Some("settlement-worker"));
    // The first failing request, to the second (the onset minute refined by the requests).
    let first_fail = parse_moment("2026-11-19T13:42:02.104Z", 0).unwrap();
    assert_eq!(a.onset, first_fail);
    let top = &c.app.changes.changes[c.app.changes.suspects[0].change];
    assert_eq!(top.event, "UpdateFunctionConfiguration20150331v2");
    assert_eq!(top.resource, "settlement-worker");
    assert_eq!(top.at, parse_moment("2026-11-19T13:41:32Z", 0).unwrap());
    // The same event from the trail's file and from lookup-events is one change.
    let same = c.app.changes.changes.iter().filter(|ch| ch.id == top.id).count();
    assert_eq!(same, 1);
    // The onset set by hand, with an offset: converted to UTC and shown with its date.
    c.command("onset 2026-11-19T14:41:00+01:00");
    let set = parse_moment("2026-11-19T13:41:00Z", 0).unwrap();
    assert_eq!(c.app.changes.anomaly.as_ref().unwrap().onset, set);
    assert!(warroom::ui::changes::title(&c.app).contains("(onset 2026-11-19 13:41:00 UTC, set)"));
    c.command("onset 13:42:30");
    assert_eq!(c.app.onset, parse_moment("2026-11-19T13:42:30Z", 0));
    c.command("onset");
    assert_eq!(c.app.onset, None);
    assert_eq!(c.app.changes.anomaly.as_ref().unwrap().onset, first_fail);
    c.command("onset yesterday");
    assert!(c.app.message.as_ref().is_some_and(|(m, e)| *e && m.contains("is not a time")));
}

/// Counts taken from the files' text by plain substring search, against the numbers the RED
/// pane computed from the parsed evidence.
#[test]
fn red_numbers_are_the_evidence_counted() {
    let worker =
        std::fs::read_to_string(path("logs/aws-lambda-settlement-worker.eu-west-1.json")).unwrap();
    let api = std::fs::read_to_string(path("logs/aws-lambda-payments-api.eu-west-1.json")).unwrap();
    let reports = |t: &str| t.matches("\"REPORT RequestId: ").count() as u64;
    let worker_failed =
        (worker.matches("Status: timeout").count() + worker.matches("errorType").count()) as u64;
    let c = Cockpit::story();
    let snap = c.app.metrics.clone().unwrap();
    let eu = &snap.regions["eu-west-1"];
    let all = |s: &warroom::model::RedSeries| s.stats(s.start, s.end());
    let w = all(&eu.services["settlement-worker"].total);
    let a = all(&eu.services["payments-api"].total);
    assert_eq!(w.requests, reports(&worker));
    assert_eq!(a.requests, reports(&api));
    assert_eq!(w.errors, worker_failed);
    assert_eq!(a.errors, 0);
    assert_eq!(
        eu.services["settlement-worker"].operations.keys().collect::<Vec<_>>(),
        ["SettlePayment"]
    );
    assert_eq!(
        eu.services["payments-api"].operations.keys().collect::<Vec<_>>(),
        ["POST /payments"]
    );
    // Before the change nothing timed out; after it, every failure but the 503s is a timeout
    // at the new limit.
    let m = c.sources.metrics.requests();
    let change = parse_moment("2026-11-19T13:41:32Z", 0).unwrap();
    let timeouts: Vec<_> = m
        .iter()
        .filter(|r| r.outcome == Outcome::Fault && (r.duration_ms - 3000.0).abs() < 1.0)
        .collect();
    assert!(!timeouts.is_empty());
    assert!(timeouts.iter().all(|r| r.at > change));
    assert!(snap.basis.as_deref().unwrap().contains(&format!(
        "{} Lambda invocations",
        warroom::analysis::requests::thousands(reports(&worker) + reports(&api))
    )));
}

#[test]
fn the_request_view_joins_its_runtime_lines_and_opens_its_trace() {
    let mut c = Cockpit::story();
    c.command(&format!("cid {CUSTOMER}"));
    let events: Vec<_> = c.app.logs.store.events().collect();
    let text = |e: &warroom::model::LogEvent| e.raw.clone();
    for word in
        ["START RequestId", "END RequestId", "REPORT RequestId", "Task timed out after 3.00"]
    {
        assert!(events.iter().any(|e| text(e).contains(word)), "{word} in the request's view");
    }
    // Both functions, in time order.
    assert!(events.iter().any(|e| e.service == "payments-api"));
    assert!(events.iter().any(|e| e.service == "settlement-worker"));
    assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
    // `e` finds the timeout.
    assert_eq!(c.app.focus, Focus::Logs);
    c.keys("g e");
    let sel = c.app.logs.selected_event().unwrap();
    assert!(sel.message.starts_with("Task timed out after 3.00 seconds"), "{sel:?}");
    assert_eq!(sel.level, warroom::model::Level::Error);
    // Enter on the worker's REPORT line opens its trace (found by the REPORT's trace id).
    c.keys("e");
    let report = c.app.logs.selected_event().unwrap();
    assert!(report.raw.starts_with("REPORT RequestId"), "{report:?}");
    assert!(report.message.contains("Duration: 3000.41 ms"), "{report:?}");
    let trace_id = report.trace_id.clone().expect("the REPORT names its trace");
    c.keys("enter");
    assert!(matches!(c.app.view(), View::Trace { key, .. } if *key == trace_id));
    let t = c.app.trace.trace().expect("the trace is in the evidence").clone();
    assert_eq!(t.trace_id, trace_id);
    assert!(t.spans.iter().any(|s| s.in_progress && s.service == "settlement-worker"));
    assert!(t.spans.iter().any(|s| s.link == warroom::model::SpanLink::Async));
    let screen = c.screen(160, 48);
    assert!(screen.contains("↝"), "the async hop: {screen}");
    // By correlation id too: the trace has no annotation, its log lines name it.
    c.keys("esc");
    c.command(&format!("trace {CUSTOMER}"));
    assert_eq!(c.app.trace.trace().map(|t| t.trace_id.clone()), Some(trace_id));
}

#[test]
fn the_report_is_of_the_evidence() {
    let mut c = Cockpit::story();
    c.keys("enter enter");
    let report = warroom::report::markdown(&c.app.report_input(None));
    assert!(report.contains("evidence"), "{report}");
    for w in demo_words() {
        assert!(!report.contains(&w), "`{w}` in the report:\n{report}");
    }
    assert!(report.contains("settlement-worker"), "{report}");
    let (out, err, code) =
        common::warroom(&["report", "--fresh", "--evidence", &story().display().to_string()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("from the evidence source"), "{out}");
    assert!(out.contains("UpdateFunctionConfiguration20150331v2"), "{out}");
    for w in demo_words() {
        assert!(!out.contains(&w), "`{w}` in warroom report:\n{out}");
    }
}

#[test]
fn several_files_directories_and_globs_per_source() {
    let logs = path("logs");
    let glob = format!("{}/*.json", path("logs"));
    let one = path("logs/aws-lambda-settlement-worker.eu-west-1.json");
    let two = path("logs/aws-lambda-payments-api.eu-west-1.json");
    let run = |args: &[&str]| {
        let mut a = vec!["logs", "--correlation-id", CUSTOMER, "--format", "jsonl"];
        a.extend_from_slice(args);
        let (out, err, code) = common::warroom(&a);
        assert_eq!(code, 0, "{args:?}: {err}");
        out.lines().map(str::to_string).collect::<Vec<_>>()
    };
    let by_dir = run(&["--source", &logs]);
    let by_glob = run(&["--source", &glob]);
    let by_files = run(&["--source", &one, "--source", &two]);
    let by_flag = run(&["--logs", &one, &two]);
    let by_evidence = run(&["--evidence", &story().display().to_string()]);
    assert_eq!(by_dir.len(), 12, "{by_dir:#?}");
    for other in [&by_glob, &by_files, &by_flag, &by_evidence] {
        assert_eq!(&by_dir, other);
    }
    let only = run(&["--source", &one]);
    assert!(only.len() < by_dir.len() && !only.is_empty());
    let (_, err, code) =
        common::warroom(&["logs", "--source", &format!("{}/*.nothing", path("logs"))]);
    assert_eq!(code, 2);
    assert!(err.contains("no file matches"), "{err}");
}

#[test]
fn time_zones_and_dates_in_the_headless_commands() {
    let dir = story().display().to_string();
    // The lookup-events file alone (printed at +01:00): the change at its UTC time.
    let lookup = path("cloudtrail/lookup-events.eu-west-1.json");
    let (out, err, code) = common::warroom(&["changes", "--source", &lookup, "--format", "jsonl"]);
    assert_eq!(code, 0, "{err}");
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["at"].as_i64(), parse_moment("2026-11-19T13:41:32Z", 0));
    // --since / --until with dates and offsets.
    let (out, err, code) = common::warroom(&[
        "changes",
        "--evidence",
        &dir,
        "--since",
        "2026-11-19T13:40:00Z",
        "--until",
        "2026-11-19T14:42:00+01:00",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("2026-11-19 13:41:32  eu-west-1"), "{out}");
    assert!(lines[1].starts_with("2026-11-19 13:40:50  us-east-1"), "{out}");
    // Suspects of the evidence, as JSON lines, onset detected from its requests.
    let (out, err, code) = common::warroom(&[
        "suspects",
        "--evidence",
        &dir,
        "--region",
        "eu-west-1",
        "--format",
        "jsonl",
    ]);
    assert_eq!(code, 0, "{err}");
    let top: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(top["rank"], 1);
    assert_eq!(top["change"]["event"], "UpdateFunctionConfiguration20150331v2");
    assert_eq!(top["onset"], "2026-11-19T13:42:02Z");
    // An onset given with an offset.
    let (out, err, code) = common::warroom(&[
        "suspects",
        "--evidence",
        &dir,
        "--region",
        "eu-west-1",
        "--onset",
        "2026-11-19T14:42:02+01:00",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("suspects for eu-west-1 (onset 2026-11-19 13:42:02 UTC)"), "{out}");
    // The log lines of a time range, with dates.
    let (out, err, code) = common::warroom(&[
        "logs",
        "--evidence",
        &dir,
        "--since",
        "2026-11-19T13:51:10Z",
        "--until",
        "2026-11-19T13:51:11Z",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let lines = v.as_array().unwrap();
    assert!(!lines.is_empty());
    assert!(lines.iter().any(|l| l["message"] == "Task timed out after 3.00 seconds"));
}

#[test]
fn evidence_snapshots() {
    let mut c = Cockpit::story();
    insta::assert_snapshot!("evidence_overview_160x48", c.screen(160, 48));
    insta::assert_snapshot!("evidence_overview_80x24", c.screen(80, 24));
    c.keys("enter enter enter");
    insta::assert_snapshot!("evidence_failing_160x48", c.screen(160, 48));
    let _ = c.app.update(Action::Back);
}

#[test]
fn starting_in_a_region_reads_its_log_tail() {
    // As the cockpit starts: drilled into the region before any data arrived.
    let args = CockpitArgs { evidence: vec![story()], ..Default::default() };
    let setup = warroom::cli::setup(&args).unwrap();
    let cfg = &setup.config;
    let ev = warroom::cli::load_evidence(cfg, &setup.evidence).unwrap();
    let (sources, clock, info) = warroom::cli::evidence_sources(cfg, &ev);
    let mut app =
        App::new(cfg.boundary.clone(), clock, setup.keymap, info, cfg.window, cfg.baseline)
            .with_log_store(cfg.log_capacity, cfg.line_parser());
    warroom::cli::start_region(&mut app, Some("eu-west-1")).unwrap();
    let fx = std::mem::take(&mut app.pending);
    assert!(
        fx.iter().any(|e| matches!(e, warroom::app::Effect::TailLogs { target: Some(_), .. })),
        "the region's log tail is asked for: {fx:?}"
    );
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(warroom::cli::snapshot::serve_sources(&mut app, &sources, fx));
    assert!(!app.logs.loading);
    assert!(app.logs.store.shown() > 0);
}

/// The story's evidence with hostile text planted where outside data reaches the output: the
/// suspect change's event id and identity carry an OSC 52 clipboard write, BEL, line breaks,
/// a forged `## Findings` heading, HTML, bidi overrides, zero-width and wide characters; a
/// span's name carries a line break that would forge a row.
fn hostile_story() -> PathBuf {
    use std::io::{Read, Write};
    let dir = std::env::temp_dir().join(format!("warroom-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["cloudtrail", "logs", "traces"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    for sub in ["logs", "cloudtrail"] {
        for f in std::fs::read_dir(story().join(sub)).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, dir.join(sub).join(f.file_name().unwrap())).unwrap();
        }
    }
    let evil_id =
        "\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\n\n## Findings\n\n1. <script>alert(1)</script>";
    let evil_arn = "\u{1b}]52;c;QUJD\u{1b}\\\u{7}\u{9d}x\u{202e}gnp.exe\u{200b}<img src=x onerror=alert(1)>\n# Cause";
    for f in std::fs::read_dir(dir.join("cloudtrail")).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_none_or(|e| e != "gz") {
            std::fs::remove_file(&f).unwrap();
            continue;
        }
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&f).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        for r in v["Records"].as_array_mut().unwrap() {
            if r["eventName"].as_str().is_some_and(|n| n.starts_with("UpdateFunctionConfiguration"))
            {
                r["eventID"] = evil_id.into();
                let arn = format!("{}{evil_arn}", r["userIdentity"]["arn"].as_str().unwrap());
                r["userIdentity"]["arn"] = arn.into();
            }
        }
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&f).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(v.to_string().as_bytes()).unwrap();
        gz.finish().unwrap();
    }
    let text = std::fs::read_to_string(story().join("traces/batch-get-traces.json")).unwrap();
    let text =
        text.replace("bank-gateway", "bank-gateway\\\\n+0ms  1ms  forged-row \u{202e}\u{2066}請求");
    std::fs::write(dir.join("traces/batch-get-traces.json"), text).unwrap();
    dir
}

fn assert_inert(out: &str, what: &str) {
    for c in ['\u{1b}', '\u{7}', '\u{9d}', '\u{202e}', '\u{2066}', '\u{200b}'] {
        assert!(!out.contains(c), "{what} holds U+{:04X}:\n{out}", c as u32);
    }
}

#[test]
fn outside_text_is_inert_in_the_report_and_the_headless_output() {
    let dir = hostile_story();
    let d = dir.display().to_string();
    let file = dir.with_extension("md");
    let (_, err, code) = common::warroom(&[
        "report",
        "--fresh",
        "--evidence",
        &d,
        "--out",
        &file.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert_inert(&written, "the report file");
    let (out, err, code) = common::warroom(&["report", "--fresh", "--evidence", &d]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, written);
    assert_inert(&out, "the report");
    // The planted id was used: it is there, shown, on one line.
    assert!(out.contains("␛]52;c;ZWNobyBwd25lZA==␇"), "{out}");
    assert!(out.contains("‹U+202E›"), "{out}");
    // No forged structure: one Findings and one Cause heading, no stray heading, and no HTML
    // outside code spans (where it is shown as written).
    assert_eq!(out.lines().filter(|l| l.starts_with("## Findings")).count(), 1, "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with('#') && l.contains("Cause")).count(),
        1,
        "{out}"
    );
    for l in out.lines() {
        let prose: String = l.split('`').step_by(2).collect();
        assert!(!prose.contains("<script") && !prose.contains("<img"), "HTML in {l}");
        assert!(!l.starts_with('#') || !l.contains("script"), "forged heading {l}");
    }
    assert!(out.contains("&lt;img src=x onerror=alert(1)>"), "{out}");
    // The change feed and the suspects: one row per change, columns aligned.
    let (out, err, code) = common::warroom(&["changes", "--evidence", &d]);
    assert_eq!(code, 0, "{err}");
    assert_inert(&out, "warroom changes");
    assert!(out.lines().all(|l| l.starts_with("2026-")), "a forged row:\n{out}");
    let (out, err, code) =
        common::warroom(&["suspects", "--evidence", &d, "--region", "eu-west-1"]);
    assert_eq!(code, 0, "{err}");
    assert_inert(&out, "warroom suspects");
    assert!(
        out.lines().skip(1).all(|l| l.starts_with("    ") || l.as_bytes()[2] == b'.'),
        "a forged row:\n{out}"
    );
    assert!(out.contains("␊"), "{out}");
    // The waterfall: the line break in the span's name is shown, not a row.
    let (out, err, code) =
        common::warroom(&["trace", "--evidence", &d, "--correlation-id", CUSTOMER]);
    assert_eq!(code, 0, "{err}");
    assert_inert(&out, "warroom trace");
    assert!(out.contains("bank-gateway␊+0ms"), "{out}");
    assert!(!out.lines().any(|l| l.starts_with("+0ms")), "a forged row:\n{out}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&file);
}

#[test]
fn headless_columns_line_up_by_display_width() {
    let c = warroom::model::Change {
        region: "eu-west-1".into(),
        event: "請求書を更新".into(),
        ..Default::default()
    };
    let plain = warroom::model::Change { event: "UpdateInvoice".into(), ..c.clone() };
    let (a, b) = (warroom::cli::changes::text_line(&c), warroom::cli::changes::text_line(&plain));
    let col = |s: &str| {
        let i = s.find("  -  ").unwrap_or(s.len());
        warroom::model::text::width(&s[..i])
    };
    assert_eq!(col(&a), col(&b), "\n{a}\n{b}");
}

#[test]
fn an_error_quoting_a_file_reaches_the_terminal_inert() {
    let dir = std::env::temp_dir().join(format!("warroom-bad-ct-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("trail.json");
    // A malformed record whose id carries an OSC 52 clipboard write: the error names it.
    let record =
        serde_json::json!({"Records": [{"eventID": "\u{1b}]52;c;QUJD\u{7}", "eventName": "X"}]});
    std::fs::write(&file, record.to_string()).unwrap();
    let (_, err, code) = common::warroom(&["changes", "--source", &file.display().to_string()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("␛]52;c;QUJD␇"), "{err}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
