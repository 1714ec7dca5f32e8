//! The log tail at scale: ingesting and filtering 1,000,000 realistic JSON log lines (the
//! simulator's format: ten fields, ~290 bytes, 100,000 requests of ten lines each), searching
//! a file of them as `warroom logs` does (beside grep on the same file), and drawing the pane
//! over them. Also prints the memory a stored line costs and, for
//! comparison, how long `grep -F` takes to find one correlation id in the same lines saved
//! to a file.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::time::Instant;
use warroom::app::{Action, App, Keymap, SourceInfo};
use warroom::model::logline::{LineContext, LineParser};
use warroom::model::logstore::{LINE_OVERHEAD, LogFilter, LogStore, Needle};
use warroom::model::{Boundary, Clock};
use warroom::source::files::FileLogs;
use warroom::source::scan::{Prefilter, Progress};
use warroom::ui::{self, Theme};

const LINES: usize = 1_000_000;
const T0: i64 = 1_773_306_000_000;

fn cid(i: usize) -> String {
    format!("c-{:08x}", (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32)
}

/// Line `i`: request `i / 10`, step `i % 10`, a few errors, services and operations.
fn line(i: usize) -> String {
    let req = i / 10;
    let (service, op) = match i % 4 {
        0 => ("invoice-api", "POST /invoices/{id}/approve"),
        1 => ("invoice-approval-worker", "ApproveInvoice"),
        2 => ("notification-service", "SendApprovalNotice"),
        _ => ("ledger-api", "POST /ledger/approvals"),
    };
    let (level, msg) = if i.is_multiple_of(97) {
        ("ERROR", "Task timed out after 3.00 seconds".to_string())
    } else {
        ("INFO", format!("Calling ledger-api to approve invoice inv-{:06}", req % 1_000_000))
    };
    let at = T0 + i as i64 * 3;
    let ts = time::OffsetDateTime::from_unix_timestamp_nanos(at as i128 * 1_000_000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    format!(
        r#"{{"timestamp":"{ts}","level":"{level}","service":"{service}","region":"eu-west-1","operation":"{op}","correlationId":"{}","tenantId":"tenant-{}","message":"{msg}","traceId":"1-{:08x}-{:024x}"}}"#,
        cid(req),
        req % 97,
        at / 1000,
        req
    )
}

fn filled(lines: &[String]) -> LogStore {
    let mut s = LogStore::new(LINES, usize::MAX, LineParser::default());
    for l in lines {
        s.push_raw(l, LineContext { at: None, region: Some("eu-west-1"), service: None });
    }
    s
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn report(lines: &[String]) {
    let before = rss_kib();
    let store = filled(lines);
    let after = rss_kib();
    let text = store.bytes() as f64 / store.len() as f64;
    eprintln!(
        "\nmemory: {:.0} bytes of text + {} bytes of bookkeeping per stored line (mean line {:.0} bytes)",
        text,
        LINE_OVERHEAD,
        lines.iter().map(String::len).sum::<usize>() as f64 / lines.len() as f64
    );
    if let (Some(b), Some(a)) = (before, after) {
        eprintln!(
            "memory: resident set grew by {:.0} MiB for {} lines = {:.0} bytes per line (allocator included)",
            (a - b) as f64 / 1024.0,
            store.len(),
            (a - b) as f64 * 1024.0 / store.len() as f64
        );
    }
    let path = std::env::temp_dir().join(format!("warroom-bench-{}.log", std::process::id()));
    std::fs::write(&path, lines.join("\n") + "\n").expect("write the lines");
    let needle = cid(LINES / 20);
    for _ in 0..2 {
        let t = Instant::now();
        let out =
            std::process::Command::new("grep").args(["-F", "-c", &needle]).arg(&path).output();
        if let Ok(o) = out {
            eprintln!(
                "grep -F -c {needle} on the same {} lines ({:.0} MB file): {:.1} ms, {} lines",
                LINES,
                lines.iter().map(|l| l.len() + 1).sum::<usize>() as f64 / 1e6,
                t.elapsed().as_secs_f64() * 1000.0,
                String::from_utf8_lossy(&o.stdout).trim()
            );
        }
    }
    let _ = std::fs::remove_file(&path);
    let mut store = store;
    let t = Instant::now();
    store.set_filter(LogFilter { correlation_id: Some(needle.clone()), ..Default::default() });
    eprintln!(
        "warroom filter by {needle}: {:.1} ms, {} lines\n",
        t.elapsed().as_secs_f64() * 1000.0,
        store.shown()
    );
}

fn bench(c: &mut Criterion) {
    let lines: Vec<String> = (0..LINES).map(line).collect();
    report(&lines);

    let mut g = c.benchmark_group("log store, 1,000,000 JSON lines");
    g.sample_size(10);
    g.throughput(Throughput::Elements(LINES as u64));
    g.bench_function("ingest (parse + store)", |b| {
        b.iter_batched(|| (), |_| black_box(filled(&lines)), BatchSize::PerIteration)
    });
    let mut store = filled(&lines);
    let ids = [cid(LINES / 20), cid(LINES / 3), cid(LINES / 2 + 7)];
    let mut k = 0;
    g.bench_function("filter by correlation id", |b| {
        b.iter(|| {
            k = (k + 1) % ids.len();
            store.set_filter(LogFilter {
                correlation_id: Some(ids[k].clone()),
                ..Default::default()
            });
            black_box(store.shown())
        })
    });
    g.bench_function("filter by free text (smart case)", |b| {
        b.iter(|| {
            store.set_filter(LogFilter { text: Some("timed out".into()), ..Default::default() });
            black_box(store.shown())
        })
    });
    g.bench_function("filter by region and correlation id", |b| {
        b.iter(|| {
            store.set_filter(LogFilter {
                region: Some("eu-west-1".into()),
                correlation_id: Some(ids[0].clone()),
                ..Default::default()
            });
            black_box(store.shown())
        })
    });
    g.finish();

    // Searching a log file of the same lines as `warroom logs --source FILE` does: read in
    // pieces on every core, only the lines the pre-filter picks parsed. grep on the same file
    // (a whole process) for comparison, and reading every line as before.
    let path =
        std::env::temp_dir().join(format!("warroom-bench-search-{}.log", std::process::id()));
    std::fs::write(&path, lines.join("\n") + "\n").expect("write the lines");
    let paths = vec![path.clone()];
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut g = c.benchmark_group("log file search, 1,000,000 JSON lines");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    let search = |pre: &Prefilter, text: Option<&Needle>| {
        let progress = Progress::default();
        FileLogs::load_matching(
            &paths,
            LineParser::default(),
            &[],
            "eu-west-1",
            pre,
            text,
            &progress,
        )
        .expect("search")
    };
    g.bench_function("by correlation id (pre-filtered, every core)", |b| {
        let pre = Prefilter::correlation_id(&ids[0]).expect("an id");
        b.iter(|| black_box(search(&pre, None).events().len()))
    });
    g.bench_function("grep -F the id (whole process)", |b| {
        b.iter(|| {
            black_box(
                std::process::Command::new("grep").args(["-F", &ids[0]]).arg(&path).output().ok(),
            )
        })
    });
    g.bench_function("by free text \"timed out\" (smart case, pre-filtered)", |b| {
        let pre = Prefilter::text("timed out").expect("text");
        let needle = Needle::new("timed out");
        b.iter(|| black_box(search(&pre, Some(&needle)).events().len()))
    });
    g.bench_function("grep -iF \"timed out\" (whole process)", |b| {
        b.iter(|| {
            black_box(
                std::process::Command::new("grep")
                    .args(["-iF", "timed out"])
                    .arg(&path)
                    .output()
                    .ok(),
            )
        })
    });
    g.bench_function("every line read and parsed (load_all)", |b| {
        b.iter(|| {
            black_box(
                FileLogs::load_all(&paths, LineParser::default(), &[], "eu-west-1")
                    .expect("read")
                    .events()
                    .len(),
            )
        })
    });
    g.finish();
    let _ = std::fs::remove_file(&path);

    // Drawing the whole screen with a full tail (200,000 lines, the default capacity).
    let info = SourceInfo { name: "demo".into(), scenario: Some("bench".into()), title: None };
    let mut app = App::new(
        Boundary::global(),
        Clock::simulated(T0, 0.0),
        Keymap::default(),
        info,
        15 * 60_000,
        24 * 3_600_000,
    );
    app.update(Action::FocusNext);
    for l in &lines[..200_000] {
        app.logs
            .store
            .push_raw(l, LineContext { at: None, region: Some("eu-west-1"), service: None });
    }
    let theme = Theme::fallback();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("draw the screen with a 200,000-line tail, 200x60", |b| {
        b.iter(|| {
            terminal.draw(|f| ui::draw(black_box(&app), &theme, f, 0)).expect("draw");
        })
    });
    // The same, presenting: every line on screen is masked as it is drawn.
    app.present = true;
    app.redacting = true;
    c.bench_function("draw the same screen presenting, redacted", |b| {
        b.iter(|| {
            terminal.draw(|f| ui::draw(black_box(&app), &theme, f, 0)).expect("draw");
        })
    });
    // A frame where nothing drawn is remembered (a value was just learned, or the correlation
    // id changed): every line on screen is masked again.
    c.bench_function("draw the same screen presenting, redacted, every line masked anew", |b| {
        b.iter(|| {
            app.redactor.keep(["something else"]);
            terminal.draw(|f| ui::draw(black_box(&app), &theme, f, 0)).expect("draw");
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
