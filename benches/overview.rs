//! Drawing the overview at 200x60 with a full day of data (a 24 h window against a 24 h
//! baseline: 2,880 minutes per series), and recomputing its rows when data arrives.

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use warroom::app::{App, Keymap, SourceInfo, SourceMsg};
use warroom::model::{Boundary, Clock, DAY_MS, parse_hms};
use warroom::source::sim::{Engine, Scenario};
use warroom::ui::{self, Theme};

fn app_with_a_day() -> App {
    let sc = Scenario::built_in("invoice-approval-timeout").expect("scenario");
    let now = sc.at(parse_hms("09:20").expect("time"));
    let engine = Engine::new(sc);
    let snapshot = engine.metrics(&Boundary::global(), now, 2 * DAY_MS);
    let info = SourceInfo { name: "demo".into(), scenario: Some("bench".into()), title: None };
    let mut app = App::new(
        Boundary::global(),
        Clock::simulated(now, 0.0),
        Keymap::default(),
        info,
        DAY_MS,
        DAY_MS,
    );
    app.on_source(SourceMsg::Metrics { result: Ok(snapshot), received: 0 });
    app
}

fn bench(c: &mut Criterion) {
    let mut app = app_with_a_day();
    let theme = Theme::fallback();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("draw overview 200x60, 24h window + 24h baseline", |b| {
        b.iter(|| {
            terminal.draw(|f| ui::draw(black_box(&app), &theme, f, 0)).expect("draw");
        })
    });
    c.bench_function("recompute overview rows and verdict (2,880 minutes per series)", |b| {
        b.iter(|| {
            app.recompute();
            black_box(&app.rows);
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
