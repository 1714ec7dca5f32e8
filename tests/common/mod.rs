//! Shared fixtures: the story 1 demo at 09:20 with its metrics, computed once per test binary.
#![allow(dead_code)]

use std::sync::{Arc, OnceLock};
use warroom::app::{App, Effect, Keymap, SourceInfo, SourceMsg};
use warroom::model::{Boundary, Clock, DAY_MS, MINUTE_MS, MetricsSnapshot, parse_hms};
use warroom::source::sim::{Engine, Scenario};

pub const WINDOW: i64 = 15 * MINUTE_MS;

pub struct Demo {
    pub engine: Engine,
    pub now: i64,
    pub snapshot: MetricsSnapshot,
}

pub fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let sc = Scenario::built_in("invoice-approval-timeout").expect("scenario");
        let now = sc.at(parse_hms("09:20").unwrap());
        let engine = Engine::new(sc);
        let snapshot = engine.metrics(&Boundary::global(), now, WINDOW + DAY_MS);
        Demo { engine, now, snapshot }
    })
}

/// An app on the demo at 09:20 with a paused clock and the metrics applied.
pub fn app() -> App {
    let d = demo();
    let info = SourceInfo {
        name: "demo".into(),
        scenario: Some(d.engine.scenario.name.clone()),
        title: Some(d.engine.scenario.title.clone()),
    };
    let mut app = App::new(
        Boundary::global(),
        Clock::simulated(d.now, 0.0),
        Keymap::default(),
        info,
        WINDOW,
        DAY_MS,
    );
    app.on_source(SourceMsg::Metrics { result: Ok(d.snapshot.clone()), received: 0 });
    app
}

/// Carry out the fetches an update asked for, synchronously, against the engine.
pub fn serve(app: &mut App, effects: Vec<Effect>) {
    let d = demo();
    for e in effects {
        if let Effect::FetchFailing { generation, scope, from, to } = e {
            let result =
                Ok(d.engine.failing_requests(&scope, from, to, warroom::app::FAILING_LIMIT));
            app.on_source(SourceMsg::Failing { generation, result });
        }
    }
}

pub fn shared_snapshot() -> Arc<MetricsSnapshot> {
    Arc::new(demo().snapshot.clone())
}
