//! `warroom snapshot`: render the cockpit off-screen after replaying keys, and write the
//! screen as SVG or text. Runs the simulator synchronously; no terminal needed.

use crate::app::{App, Effect, Key, ScreenFormat, SourceMsg};
use crate::source::LogBatch;
use crate::source::sim::Engine;
use crate::ui::export;
use std::path::PathBuf;

#[derive(Clone, Debug, clap::Args)]
#[command(mut_args(super::hide_flags(super::NOT_FOR_RENDERS)))]
pub struct SnapshotArgs {
    /// Output file: .svg, .html or .txt.
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

/// The cockpit after replaying `keys` on a screen `height` rows high, as an off-screen render
/// (or a report) sees it: the evidence the flags name, else the demo.
pub fn replay(
    cockpit: &super::CockpitArgs,
    keys: &str,
    height: u16,
) -> Result<(App, crate::ui::Theme), String> {
    let mut cockpit = cockpit.clone();
    if cockpit.demo.is_none() && super::evidence_paths(&cockpit)?.is_empty() {
        cockpit.demo = Some(String::new());
    }
    let setup = super::setup(&cockpit)?;
    let cfg = setup.config;
    let mut looks = crate::ui::Looks { theme: setup.theme, dir: setup.theme_dir };
    let new_app = |clock, info| {
        let mut app = App::new(
            cfg.boundary.clone(),
            clock,
            setup.keymap.clone(),
            info,
            cfg.window,
            cfg.baseline,
        )
        .with_log_store(cfg.log_capacity, cfg.line_parser());
        super::dress(&mut app, &cockpit, &cfg, &setup.redactor);
        app.changes.read_global = !setup.evidence.changes.is_empty();
        crate::tui::set_pages(&mut app, height);
        app
    };
    match setup.mode {
        super::Mode::Evidence => {
            let ev = super::load_evidence(&cfg, &setup.evidence)?;
            let (sources, clock, info) = super::evidence_sources(&cfg, &ev);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime: {e}"))?;
            let app = new_app(clock, info);
            let serve = move |app: &mut App, fx: Vec<Effect>| {
                rt.block_on(serve_sources(app, &sources, fx));
                Ok(())
            };
            replay_keys(app, &cockpit, keys, &mut looks, Box::new(serve))
        }
        super::Mode::Aws => {
            Err("live AWS is not rendered off-screen: give --demo or evidence files".into())
        }
        super::Mode::Demo => {
            let sc = setup.scenario.ok_or("only the demo and evidence are rendered off-screen")?;
            let (sources, clock, info) = super::demo(sc, &cfg.boundary, cfg.at, 0.0, cfg.seed);
            let engine = sources.0.engine.clone();
            let app = new_app(clock, info);
            let serve = move |app: &mut App, fx: Vec<Effect>| serve_demo(app, &engine, fx);
            replay_keys(app, &cockpit, keys, &mut looks, Box::new(serve))
        }
    }
}

type Serve<'a> = Box<dyn FnMut(&mut App, Vec<Effect>) -> Result<(), String> + 'a>;

/// Fetch the first data, drill into `--region`, then replay the keys.
fn replay_keys(
    mut app: App,
    cockpit: &super::CockpitArgs,
    keys: &str,
    looks: &mut crate::ui::Looks,
    mut serve: Serve<'_>,
) -> Result<(App, crate::ui::Theme), String> {
    serve(&mut app, vec![Effect::FetchMetrics { span: 0 }])?;
    if let Some(r) = &cockpit.region {
        let fx = app.run_command(&format!("region {r}"));
        serve(&mut app, fx)?;
    }
    for word in keys.split_whitespace() {
        let key = Key::parse(word).map_err(|e| format!("--keys: {e}"))?;
        let (themes, fx): (Vec<_>, Vec<_>) =
            app.on_key(key).into_iter().partition(|e| matches!(e, Effect::SwitchTheme(_)));
        for t in themes {
            if let Effect::SwitchTheme(name) = t {
                looks.switch(&name).map_err(|e| format!("--keys: :theme {name}: {e}"))?;
            }
        }
        serve(&mut app, fx)?;
    }
    Ok((app, looks.theme.clone()))
}

/// Carry out an app's effects against any sources, to the end (what the event loop does with
/// tasks, without following): metrics, failing requests, the log tail's backfill, traces and
/// changes.
pub async fn serve_sources<S: crate::tui::Sources>(
    app: &mut App,
    sources: &S,
    effects: Vec<Effect>,
) {
    use crate::source::{LogSource, MetricsSource, RequestSource};
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    while let Some(effect) = queue.pop_front() {
        match effect {
            Effect::FetchMetrics { .. } => {
                let q = crate::model::MetricsQuery { now: app.clock.now(), span: app.span() };
                let result = sources.metrics().metrics(q).await;
                queue.extend(app.on_source(SourceMsg::Metrics { result, received: 0 }));
            }
            Effect::FetchFailing { generation, scope, from, to } => {
                let result = sources
                    .requests()
                    .failing_requests(scope, from, to, crate::app::FAILING_LIMIT)
                    .await;
                queue.extend(app.on_source(SourceMsg::Failing { generation, result }));
            }
            Effect::TailLogs { generation, target: Some(t), from, to, limit } => {
                let mut batch = LogBatch::default();
                let mut error = None;
                for q in t.queries(from, to, limit) {
                    match sources.logs().fetch(q).await {
                        Ok(b) => {
                            batch.events.extend(b.events);
                            batch.truncated |= b.truncated;
                        }
                        Err(e) => error = Some(e),
                    }
                }
                batch.events.sort_by_key(|e| e.at);
                let update = match error {
                    Some(e) if batch.events.is_empty() => Err(e),
                    _ => Ok(batch),
                };
                let msg = SourceMsg::Logs { generation, update, backfill: true, received: 0 };
                queue.extend(app.on_source(msg));
            }
            Effect::FetchTrace { generation, regions, key, from, to, service, operation } => {
                let traces = sources.traces();
                let result = crate::source::find_trace(
                    traces.as_ref(),
                    regions,
                    key,
                    from,
                    to,
                    service,
                    operation,
                )
                .await;
                queue.extend(app.on_source(SourceMsg::Trace { generation, result }));
            }
            Effect::FetchChanges { generation, regions, from, to } => {
                let changes = sources.changes();
                let result = crate::source::changes_of(changes.as_ref(), regions, from, to).await;
                let msg = SourceMsg::Changes { generation, result, received: 0 };
                queue.extend(app.on_source(msg));
            }
            Effect::TailLogs { target: None, .. }
            | Effect::SwitchScenario(_)
            | Effect::Copy(_)
            | Effect::Journal(_)
            | Effect::WriteReport(_)
            | Effect::Snapshot(_)
            | Effect::SwitchTheme(_)
            | Effect::SaveHistory(_)
            | Effect::Quit => {}
        }
    }
}

/// Render and write the snapshot; returns the path written.
pub fn run(args: &SnapshotArgs) -> Result<PathBuf, String> {
    args.cockpit.refuse("snapshot", super::NOT_FOR_RENDERS)?;
    let (w, h) = args.size;
    let format = args.out.extension().and_then(|e| e.to_str()).and_then(ScreenFormat::parse);
    let Some(format) = format else {
        return Err(format!("{}: the output must end in .svg, .html or .txt", args.out.display()));
    };
    let (app, theme) = replay(&args.cockpit, &args.keys, h)?;
    let text = export::write(&export::screen(&app, &theme, w, h, 0), format, &theme);
    std::fs::write(&args.out, text)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    Ok(args.out.clone())
}

/// Carry out an app's effects against the simulator, synchronously and to the end (what the
/// event loop does with tasks): metrics, failing requests and the log tail's backfill.
pub fn serve_demo(app: &mut App, engine: &Engine, effects: Vec<Effect>) -> Result<(), String> {
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    while let Some(effect) = queue.pop_front() {
        match effect {
            Effect::FetchMetrics { .. } => {
                let snap = engine.metrics(&app.boundary, app.clock.now(), app.span());
                queue.extend(app.on_source(SourceMsg::Metrics { result: Ok(snap), received: 0 }));
            }
            Effect::FetchFailing { generation, scope, from, to } => {
                let result =
                    Ok(engine.failing_requests(&scope, from, to, crate::app::FAILING_LIMIT));
                queue.extend(app.on_source(SourceMsg::Failing { generation, result }));
            }
            Effect::TailLogs { generation, target: Some(t), from, to, limit } => {
                let mut batch = LogBatch::default();
                for q in t.queries(from, to, limit) {
                    let (events, cut) = engine.logs_matching(
                        &q.region,
                        q.correlation_id.as_deref(),
                        from,
                        to,
                        limit,
                    );
                    batch.events.extend(events);
                    batch.truncated |= cut;
                }
                batch.events.sort_by_key(|e| e.at);
                let update = Ok(batch);
                let msg = SourceMsg::Logs { generation, update, backfill: true, received: 0 };
                queue.extend(app.on_source(msg));
            }
            Effect::FetchTrace { generation, regions, key, from, to, service, operation } => {
                let mut lookup = crate::source::TraceLookup::default();
                for region in regions {
                    let q = crate::source::TraceQuery {
                        region,
                        key: key.clone(),
                        from,
                        to,
                        service: service.clone(),
                        operation: operation.clone(),
                    };
                    let l = engine.trace_lookup(&q);
                    if l.trace.is_some() {
                        lookup = l;
                        break;
                    }
                    if lookup.similar.is_empty() {
                        lookup.similar = l.similar;
                    }
                }
                queue.extend(app.on_source(SourceMsg::Trace { generation, result: Ok(lookup) }));
            }
            Effect::FetchChanges { generation, regions, from, to } => {
                let changes = engine
                    .changes(&app.boundary, to)
                    .into_iter()
                    .filter(|c| c.at >= from && regions.contains(&c.region))
                    .collect();
                let msg = SourceMsg::Changes { generation, result: Ok(changes), received: 0 };
                queue.extend(app.on_source(msg));
            }
            Effect::SwitchScenario(_) => {
                return Err("--keys: :scenario is not replayed; use --demo NAME".into());
            }
            // Off-screen renders keep no journal and write no report or snapshot; themes are
            // switched by `replay`.
            Effect::TailLogs { target: None, .. }
            | Effect::Copy(_)
            | Effect::Journal(_)
            | Effect::WriteReport(_)
            | Effect::Snapshot(_)
            | Effect::SwitchTheme(_)
            | Effect::SaveHistory(_)
            | Effect::Quit => {}
        }
    }
    Ok(())
}
