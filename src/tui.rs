//! The event loop: one task owns the terminal and waits on input, source messages and the
//! next clock tick in one `select!`; it applies everything queued, then draws once, and only
//! when something changed. Sources run as tasks and report through a channel.

use crate::app::{App, Effect, Key, KeyCode, LogTarget, ScreenFormat, SourceInfo, SourceMsg};
use crate::model::{Clock, MINUTE_MS, MetricsQuery, Millis, SECOND_MS};
use crate::source::{
    ChangeSource, LogBatch, LogQuery, LogSource, MetricsSource, RequestSource, TraceSource,
};
use crate::ui::{self, Looks};
use crossterm::event::{Event, EventStream, KeyEventKind, KeyModifiers};
use futures_util::StreamExt;
use std::collections::VecDeque;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub fn wall_now() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as Millis).unwrap_or(0)
}

/// Map a crossterm key to warroom's own key type.
pub fn key_from(ev: crossterm::event::KeyEvent) -> Option<Key> {
    use crossterm::event::KeyCode as C;
    let code = match ev.code {
        C::Char(c) => KeyCode::Char(c),
        C::Enter => KeyCode::Enter,
        C::Esc => KeyCode::Esc,
        C::Tab => KeyCode::Tab,
        C::BackTab => KeyCode::BackTab,
        C::Backspace => KeyCode::Backspace,
        C::Delete => KeyCode::Delete,
        C::Up => KeyCode::Up,
        C::Down => KeyCode::Down,
        C::Left => KeyCode::Left,
        C::Right => KeyCode::Right,
        C::PageUp => KeyCode::PageUp,
        C::PageDown => KeyCode::PageDown,
        C::Home => KeyCode::Home,
        C::End => KeyCode::End,
        C::F(n) => KeyCode::F(n),
        _ => return None,
    };
    Some(Key {
        code,
        ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
        alt: ev.modifiers.contains(KeyModifiers::ALT),
    })
}

/// The sources the cockpit reads from, shared with the tasks that call them.
pub trait Sources: Send + Sync + 'static {
    type Metrics: MetricsSource;
    type Requests: RequestSource;
    type Logs: LogSource;
    type Traces: TraceSource;
    type Changes: ChangeSource;
    fn metrics(&self) -> Arc<Self::Metrics>;
    /// Log lines for the tail.
    fn logs(&self) -> Arc<Self::Logs>;
    /// Traces for the waterfall.
    fn traces(&self) -> Arc<Self::Traces>;
    /// The audit trail for the change feed.
    fn changes(&self) -> Arc<Self::Changes>;
    /// Individual requests (the drill-down's last level).
    fn requests(&self) -> Arc<Self::Requests>;
    /// How often metrics are fetched; `None` = every simulated minute.
    fn refresh(&self) -> Option<Duration>;
}

/// Control of the metrics task: the span to fetch, and a counter bumped to fetch now.
#[derive(Clone, Copy, Debug, PartialEq)]
struct MetricsCtl {
    span: Millis,
    nonce: u64,
}

/// Fetch metrics, send them, wait for the next minute (demo) or refresh (AWS), repeat.
async fn metrics_task<M: MetricsSource>(
    src: Arc<M>,
    clock: Clock,
    refresh: Option<Duration>,
    mut ctl: watch::Receiver<MetricsCtl>,
    tx: mpsc::Sender<SourceMsg>,
) {
    loop {
        let span = ctl.borrow_and_update().span;
        let result = src.metrics(MetricsQuery { now: clock.now(), span }).await;
        if let Err(e) = &result {
            tracing::warn!(error = %e, "metrics fetch failed");
        }
        if tx.send(SourceMsg::Metrics { result, received: wall_now() }).await.is_err() {
            return;
        }
        let wait = match refresh {
            Some(r) => Some(r),
            None => clock.wall_until_next(MINUTE_MS).map(|d| d + Duration::from_millis(20)),
        };
        tokio::select! {
            _ = async { match wait { Some(d) => tokio::time::sleep(d).await, None => std::future::pending().await } } => {}
            changed = ctl.changed() => if changed.is_err() { return },
        }
    }
}

/// Start the metrics task of `sources` on `clock`; the sender controls it.
fn spawn_metrics<S: Sources>(
    sources: &S,
    clock: Clock,
    span: Millis,
    tx: mpsc::Sender<SourceMsg>,
) -> (JoinHandle<()>, watch::Sender<MetricsCtl>) {
    let (ctl_tx, ctl_rx) = watch::channel(MetricsCtl { span, nonce: 0 });
    let task = crate::contain::spawn(
        metrics_task(sources.metrics(), clock, sources.refresh(), ctl_rx, tx.clone()),
        tx,
        |e| SourceMsg::Metrics { result: Err(e), received: wall_now() },
    );
    (task, ctl_tx)
}

/// Read the target's backfill, then follow it, sending everything tagged with `generation`.
#[allow(clippy::too_many_arguments)]
async fn logs_task<L: LogSource>(
    src: Arc<L>,
    clock: Clock,
    target: LogTarget,
    from: Millis,
    to: Millis,
    limit: usize,
    generation: u64,
    tx: mpsc::Sender<SourceMsg>,
) {
    let queries: Vec<LogQuery> = target.queries(from, to, limit);
    let send = |update, backfill| {
        tx.send(SourceMsg::Logs { generation, update, backfill, received: wall_now() })
    };
    let results =
        futures_util::future::join_all(queries.iter().map(|q| src.fetch(q.clone()))).await;
    let mut merged = LogBatch::default();
    for (q, r) in queries.iter().zip(results) {
        match r {
            Ok(b) => {
                merged.events.extend(b.events);
                merged.sampled |= b.sampled;
                merged.truncated |= b.truncated;
            }
            Err(mut e) => {
                tracing::warn!(region = %q.region, error = %e, "log backfill failed");
                if queries.len() > 1 && !e.message.contains(&q.region) {
                    e.message = format!("{}: {}", q.region, e.message);
                }
                if send(Err(e), false).await.is_err() {
                    return;
                }
            }
        }
    }
    merged.events.sort_by_key(|e| e.at);
    // A line that names two of the requests followed came from both queries.
    merged.events.dedup_by(|a, b| a.at == b.at && a.raw == b.raw);
    if merged.events.len() > limit {
        merged.events.drain(..merged.events.len() - limit);
        merged.truncated = true;
    }
    if send(Ok(merged), true).await.is_err() {
        return;
    }
    let (sink, mut updates) = mpsc::channel(16);
    let follows = futures_util::future::join_all(
        queries
            .into_iter()
            .map(|q| src.follow(LogQuery { from: to, ..q }, clock.clone(), sink.clone())),
    );
    drop(sink);
    let forward = async {
        while let Some(u) = updates.recv().await {
            if send(u, false).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        _ = follows => {}
        _ = forward => {}
    }
}

/// Tell the app how many rows its panes show on a terminal `height` rows high.
pub fn set_pages(app: &mut App, height: u16) {
    let (main, logs) = ui::pages(app, height);
    app.page = main;
    app.logs.page = logs;
    app.changes.page = logs.saturating_sub(2 * crate::ui::changes::TOP_SUSPECTS + 1).max(1);
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard (works over SSH; tmux
/// passes it on with `set-clipboard on`). Control characters are left out.
pub fn osc52(text: &str) -> String {
    use base64::Engine;
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    format!("\x1b]52;c;{}\x07", base64::engine::general_purpose::STANDARD.encode(clean))
}

/// `:snapshot`: the screen as it is, written to `snapshots/` in the data folder; the file
/// joins the investigation as evidence.
pub fn save_snapshot(
    app: &mut App,
    theme: &crate::ui::Theme,
    (width, height): (u16, u16),
    format: ScreenFormat,
    wall_now: Millis,
) -> Vec<Effect> {
    let buf = ui::export::screen(app, theme, width, height, wall_now);
    let text = ui::export::write(&buf, format, theme);
    let written = crate::dirs::write_snapshot(&text, format.extension(), app.clock.now())
        .map_err(|e| e.to_string());
    app.snapshot_written(written)
}

/// Run the cockpit until the user quits or a signal arrives. `switch` makes the sources,
/// clock and header of another scenario when the user asks for one (`:scenario NAME`).
pub async fn run<S: Sources>(
    mut app: App,
    mut looks: Looks,
    mut sources: S,
    switch: impl Fn(&str) -> Result<(S, Clock, SourceInfo), String>,
) -> anyhow::Result<()> {
    let mut terminal = enter_terminal()?;
    set_mouse(app.mouse)?;
    let result = event_loop(&mut terminal, &mut app, &mut looks, &mut sources, &switch).await;
    leave_terminal()?;
    result
}

/// Raw mode, the alternate screen and bracketed paste (a paste arrives as one event, so a
/// pasted `q` never quits).
fn enter_terminal() -> std::io::Result<ratatui::DefaultTerminal> {
    let terminal = ratatui::try_init()?;
    // ratatui's hook restores the terminal, then prints: for a panic of the event loop only.
    // A source task's panic is logged and shown in its pane (`contain`).
    crate::contain::install_hook(std::panic::take_hook());
    crossterm::execute!(std::io::stdout(), crossterm::event::EnableBracketedPaste)?;
    Ok(terminal)
}

/// Take the mouse's clicks and wheel (or leave them to the terminal's selection).
fn set_mouse(on: bool) -> std::io::Result<()> {
    if on {
        crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)?;
    }
    Ok(())
}

/// The terminal as it was before warroom.
fn leave_terminal() -> std::io::Result<()> {
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableBracketedPaste);
    ratatui::try_restore()
}

/// `kill -TSTP` (or a shell's job control): give the terminal back, stop, and take it again
/// when continued.
fn suspend(terminal: &mut ratatui::DefaultTerminal) -> std::io::Result<()> {
    leave_terminal()?;
    // SAFETY: raise() only sends a signal to this process; SIGSTOP cannot be caught, so the
    // process stops here until SIGCONT.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
    // The same terminal again (a new one would ask for the cursor position, whose answer the
    // input reader would take).
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::event::EnableBracketedPaste
    )?;
    terminal.show_cursor()?;
    terminal.hide_cursor()?;
    // Everything is drawn again (resize resets the last frame without asking the terminal for
    // the cursor, as `clear` would).
    let size = terminal.size()?;
    terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
}

async fn event_loop<S: Sources>(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    looks: &mut Looks,
    sources: &mut S,
    switch: &impl Fn(&str) -> Result<(S, Clock, SourceInfo), String>,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    // In raw mode ctrl-c is a key; these come from outside (a supervisor, `timeout`, `kill`).
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sigquit = signal(SignalKind::quit())?;
    let mut sigtstp = signal(SignalKind::from_raw(libc::SIGTSTP))?;
    let mut events = EventStream::new();
    let (tx, mut rx) = mpsc::channel::<SourceMsg>(64);
    let (mut metrics, mut ctl_tx) =
        spawn_metrics(sources, app.clock.clone(), app.span(), tx.clone());
    let mut logs: Option<JoinHandle<()>> = None;
    let mut height = terminal.size()?.height;
    let mut effects: VecDeque<Effect> = app.sync_logs().into();
    effects.extend(std::mem::take(&mut app.pending));
    loop {
        if app.dirty {
            // Pane heights follow the view, so the page sizes are set before each draw.
            set_pages(app, height);
            terminal.draw(|f| ui::draw(app, &looks.theme, f, wall_now()))?;
            app.dirty = false;
        }
        // The header shows the clock to the second: redraw on the next second, and no
        // sooner. A paused clock needs no ticks at all.
        let tick = app.clock.wall_until_next(SECOND_MS);
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => {
                    if let Some(key) = key_from(k) {
                        effects.extend(app.on_key(key));
                        tracing::debug!(?key, view = ?app.view(), "key");
                    }
                }
                Some(Ok(Event::Paste(text))) => app.on_paste(&text),
                Some(Ok(Event::Mouse(m))) => {
                    use crossterm::event::{MouseButton, MouseEventKind};
                    let kind = match m.kind {
                        MouseEventKind::Down(MouseButton::Left) => Some(crate::app::MouseKind::Click),
                        MouseEventKind::ScrollUp => Some(crate::app::MouseKind::ScrollUp),
                        MouseEventKind::ScrollDown => Some(crate::app::MouseKind::ScrollDown),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        effects.extend(app.on_mouse(kind, m.column, m.row));
                    }
                }
                Some(Ok(Event::Resize(_, h))) => {
                    height = h;
                    terminal.autoresize()?;
                    app.dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            msg = rx.recv() => {
                if let Some(m) = msg {
                    effects.extend(app.on_source(m));
                    // Apply whatever else is queued before drawing once.
                    for _ in 0..64 {
                        match rx.try_recv() {
                            Ok(m) => effects.extend(app.on_source(m)),
                            Err(_) => break,
                        }
                    }
                }
            }
            _ = async { match tick { Some(d) => tokio::time::sleep(d).await, None => std::future::pending().await } } => {
                app.dirty = true;
            }
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
            _ = sigint.recv() => break,
            _ = sigquit.recv() => break,
            _ = sigtstp.recv() => {
                suspend(terminal)?;
                set_mouse(app.mouse)?;
                app.dirty = true;
            }
        }
        while let Some(effect) = effects.pop_front() {
            match effect {
                Effect::Quit => {}
                Effect::FetchMetrics { span } => {
                    ctl_tx.send_modify(|c| {
                        c.span = span;
                        c.nonce += 1;
                    });
                }
                Effect::FetchFailing { generation, scope, from, to } => {
                    let tx = tx.clone();
                    let src = sources.requests();
                    let fut = {
                        let tx = tx.clone();
                        async move {
                            let result = src
                                .failing_requests(scope, from, to, crate::app::FAILING_LIMIT)
                                .await;
                            let _ = tx.send(SourceMsg::Failing { generation, result }).await;
                        }
                    };
                    crate::contain::spawn(fut, tx, move |e| SourceMsg::Failing {
                        generation,
                        result: Err(e),
                    });
                }
                Effect::TailLogs { generation, target, from, to, limit } => {
                    if let Some(t) = logs.take() {
                        t.abort();
                    }
                    if let Some(target) = target {
                        let task = logs_task(
                            sources.logs(),
                            app.clock.clone(),
                            target,
                            from,
                            to,
                            limit,
                            generation,
                            tx.clone(),
                        );
                        logs = Some(crate::contain::spawn(task, tx.clone(), move |e| {
                            SourceMsg::Logs {
                                generation,
                                update: Err(e),
                                backfill: false,
                                received: wall_now(),
                            }
                        }));
                    }
                }
                Effect::FetchTrace { generation, regions, key, from, to, service, operation } => {
                    let (tx, src) = (tx.clone(), sources.traces());
                    let fail = tx.clone();
                    let fut = async move {
                        let result = crate::source::find_trace(
                            src.as_ref(),
                            regions,
                            key,
                            from,
                            to,
                            service,
                            operation,
                        )
                        .await;
                        let _ = tx.send(SourceMsg::Trace { generation, result }).await;
                    };
                    crate::contain::spawn(fut, fail, move |e| SourceMsg::Trace {
                        generation,
                        result: Err(e),
                    });
                }
                Effect::FetchChanges { generation, regions, from, to } => {
                    let (tx, src) = (tx.clone(), sources.changes());
                    let fail = tx.clone();
                    let fut = async move {
                        let result =
                            crate::source::changes_of(src.as_ref(), regions, from, to).await;
                        let msg = SourceMsg::Changes { generation, result, received: wall_now() };
                        let _ = tx.send(msg).await;
                    };
                    crate::contain::spawn(fut, fail, move |e| SourceMsg::Changes {
                        generation,
                        result: Err(e),
                        received: wall_now(),
                    });
                }
                Effect::Journal(line) => {
                    if let Err(e) = crate::dirs::append_journal(&line) {
                        app.message = Some((format!("the investigation was not saved: {e}"), true));
                    }
                }
                Effect::WriteReport(text) => {
                    app.message = Some(match crate::dirs::write_report(&text, app.clock.now()) {
                        Ok(p) => (format!("report written to {}", p.display()), false),
                        Err(e) => (format!("the report was not written: {e}"), true),
                    });
                    app.dirty = true;
                }
                Effect::SwitchTheme(name) => {
                    app.message = Some(match looks.switch(&name) {
                        Ok(()) => (format!("theme {}", looks.theme.name), false),
                        Err(e) => (e, true),
                    });
                    app.dirty = true;
                }
                Effect::SaveHistory(kind) => {
                    if let Some(dir) = crate::dirs::history_dir()
                        && let Err(e) = app.history.save(&dir, kind)
                    {
                        tracing::warn!(error = %e, "prompt history not saved");
                    }
                }
                Effect::Snapshot(format) => {
                    let size = terminal.size()?;
                    let size = (size.width, size.height);
                    effects.extend(save_snapshot(app, &looks.theme, size, format, wall_now()));
                }
                Effect::Copy(text) => {
                    let backend = terminal.backend_mut();
                    backend.write_all(osc52(&text).as_bytes())?;
                    backend.flush()?;
                }
                Effect::SwitchScenario(name) => match switch(&name) {
                    Ok((new, clock, info)) => {
                        metrics.abort();
                        *sources = new;
                        effects.extend(app.replace_source(clock, info));
                        (metrics, ctl_tx) =
                            spawn_metrics(sources, app.clock.clone(), app.span(), tx.clone());
                    }
                    Err(e) => app.message = Some((e, true)),
                },
            }
        }
        if app.should_quit {
            break;
        }
    }
    metrics.abort();
    if let Some(t) = logs {
        t.abort();
    }
    Ok(())
}
