//! `warroom snapshot`: render the cockpit off-screen after replaying keys, and write the
//! screen as SVG or text. Runs the simulator synchronously; no terminal needed.

use crate::app::{App, Effect, Key, SourceMsg};
use crate::ui::{self, export};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;

#[derive(Clone, Debug, clap::Args)]
pub struct SnapshotArgs {
    /// Output file: .svg or .txt.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Screen size, WIDTHxHEIGHT.
    #[arg(long, default_value = "160x48", value_parser = parse_size)]
    pub size: (u16, u16),
    /// Keys to replay before rendering, separated by spaces (e.g. "enter enter j").
    #[arg(long, default_value = "")]
    pub keys: String,
    #[command(flatten)]
    pub cockpit: super::CockpitArgs,
}

fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let (w, h) = s.split_once('x').ok_or("size is WIDTHxHEIGHT, e.g. 160x48")?;
    let w: u16 = w.parse().map_err(|_| format!("bad width `{w}`"))?;
    let h: u16 = h.parse().map_err(|_| format!("bad height `{h}`"))?;
    if !(20..=500).contains(&w) || !(8..=300).contains(&h) {
        return Err("size between 20x8 and 500x300".into());
    }
    Ok((w, h))
}

/// Render and write the snapshot; returns the path written.
pub fn run(args: &SnapshotArgs) -> Result<PathBuf, String> {
    let mut cockpit = args.cockpit.clone();
    if cockpit.demo.is_none() {
        cockpit.demo = Some(String::new());
    }
    let setup = super::setup(&cockpit)?;
    let cfg = setup.config;
    let sc = setup.scenario.ok_or("snapshot renders the demo only")?;
    let (sources, clock, info) = super::demo(sc, &cfg.boundary, cfg.at, 0.0, cfg.seed);
    let engine = sources.0.engine.clone();
    let mut app =
        App::new(cfg.boundary.clone(), clock, setup.keymap, info, cfg.window, cfg.baseline);
    let fetch_metrics = |app: &mut App| {
        let snap = engine.metrics(&app.boundary, app.clock.now(), app.span());
        app.on_source(SourceMsg::Metrics { result: Ok(snap), received: 0 });
    };
    fetch_metrics(&mut app);
    if let Some(r) = &cockpit.region {
        app.run_command(&format!("region {r}"));
    }
    for word in args.keys.split_whitespace() {
        let key = Key::parse(word).map_err(|e| format!("--keys: {e}"))?;
        for effect in app.on_key(key) {
            match effect {
                Effect::FetchMetrics { .. } => fetch_metrics(&mut app),
                Effect::FetchFailing { generation, scope, from, to } => {
                    let result =
                        Ok(engine.failing_requests(&scope, from, to, crate::app::FAILING_LIMIT));
                    app.on_source(SourceMsg::Failing { generation, result });
                }
                Effect::SwitchScenario(_) => {
                    return Err("--keys: :scenario is not replayed; use --demo NAME".into());
                }
                Effect::Quit => {}
            }
        }
    }
    let (w, h) = args.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).map_err(|e| e.to_string())?;
    app.page = h.saturating_sub(10).max(1) as usize;
    terminal.draw(|f| ui::draw(&app, &setup.theme, f, 0)).map_err(|e| e.to_string())?;
    let buf = terminal.backend().buffer();
    let text = match args.out.extension().and_then(|e| e.to_str()) {
        Some("svg") => export::to_svg(buf),
        Some("txt") => export::to_text(buf),
        _ => return Err(format!("{}: the output must end in .svg or .txt", args.out.display())),
    };
    std::fs::write(&args.out, text)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    Ok(args.out.clone())
}
