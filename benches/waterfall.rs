//! The span waterfall at scale: laying out a 10,000-span trace (a wide and deep tree over
//! twelve services) and drawing the screen with it, at 200x60; folding a 30,000-span chain.

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::HashSet;
use std::hint::black_box;
use warroom::analysis::waterfall::layout;
use warroom::app::{Action, App, Keymap, SourceInfo, SourceMsg};
use warroom::model::{Boundary, Clock, Outcome, Span, SpanLink, Trace};
use warroom::source::{TraceKey, TraceLookup};
use warroom::ui::{self, Theme};

const SPANS: usize = 10_000;
const T0: i64 = 1_773_306_000_000;

/// A deterministic tree: span i hangs under one of the spans just before it, so the tree is
/// both deep and wide; every 50th span failed.
fn big_trace() -> Trace {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let spans = (0..SPANS)
        .map(|i| {
            let parent = (i > 0).then(|| (i - 1 - (next() as usize % i.min(40))).to_string());
            Span {
                id: i.to_string(),
                parent,
                link: if i == 0 { SpanLink::Root } else { SpanLink::Call },
                service: format!("service-{}", i % 12),
                operation: format!("Operation{}", i % 37),
                start: T0 + (i as i64) * 3,
                duration_ms: 5.0 + (next() % 400) as f64,
                status: if i % 50 == 0 { 500 } else { 200 },
                outcome: if i % 50 == 0 { Outcome::Fault } else { Outcome::Ok },
                ..Span::default()
            }
        })
        .collect();
    Trace {
        trace_id: "1-bench".into(),
        correlation_id: "c-bench".into(),
        region: "eu-west-1".into(),
        spans,
    }
}

fn bench(c: &mut Criterion) {
    let trace = big_trace();
    let none = HashSet::new();
    c.bench_function("lay out a 10,000-span trace", |b| {
        b.iter(|| black_box(layout(black_box(&trace), &none)))
    });
    // A 30,000-span chain (every span the child of the one before), folded near its top:
    // what folding costs on the deepest trace there can be.
    let chain = Trace {
        spans: (0..30_000usize)
            .map(|i| Span {
                id: i.to_string(),
                parent: (i > 0).then(|| (i - 1).to_string()),
                service: format!("service-{}", i % 12),
                operation: "Op".into(),
                start: T0 + i as i64,
                duration_ms: 30_000.0 - i as f64,
                ..Span::default()
            })
            .collect(),
        ..Trace::default()
    };
    let folded: HashSet<String> = ["3".to_string()].into();
    c.bench_function("fold a 30,000-span chain near its root", |b| {
        b.iter(|| black_box(layout(black_box(&chain), &folded)))
    });
    let info = SourceInfo { name: "demo".into(), scenario: Some("bench".into()), title: None };
    let mut app = App::new(
        Boundary::global(),
        Clock::simulated(T0, 0.0),
        Keymap::default(),
        info,
        15 * 60_000,
        24 * 3_600_000,
    );
    app.open_trace(TraceKey::TraceId("1-bench".into()));
    let generation = app.trace.generation;
    let lookup = TraceLookup { trace: Some(trace), similar: Vec::new() };
    app.on_source(SourceMsg::Trace { generation, result: Ok(lookup) });
    for _ in 0..5_000 {
        app.update(Action::Down);
    }
    let theme = Theme::fallback();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("draw the screen with a 10,000-span waterfall, 200x60", |b| {
        b.iter(|| {
            terminal.draw(|f| ui::draw(black_box(&app), &theme, f, 0)).expect("draw");
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
