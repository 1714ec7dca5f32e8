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
    let fx = app.on_source(SourceMsg::Metrics { result: Ok(d.snapshot.clone()), received: 0 });
    serve(&mut app, fx);
    app
}

/// Carry out the fetches an update asked for, synchronously, against the engine.
pub fn serve(app: &mut App, effects: Vec<Effect>) {
    warroom::cli::snapshot::serve_demo(app, &demo().engine, effects).expect("serve");
}

/// The screen as text.
pub fn render(app: &App, w: u16, h: u16, wall_now: i64) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    let theme = warroom::ui::Theme::fallback().with_no_color(false);
    t.draw(|f| warroom::ui::draw(app, &theme, f, wall_now)).expect("draw");
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

pub fn shared_snapshot() -> Arc<MetricsSnapshot> {
    Arc::new(demo().snapshot.clone())
}

/// Run the warroom binary with `args`: (stdout, stderr, exit code). Stdout must be UTF-8.
pub fn warroom(args: &[&str]) -> (String, String, i32) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .env("WARROOM_DATA", std::env::temp_dir().join("warroom-test-data"))
        .env_remove("WARROOM_CONFIG")
        .output()
        .expect("run warroom");
    (
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}
