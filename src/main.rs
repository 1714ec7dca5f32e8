//! warroom: command-line parsing and dispatch only.

use clap::Parser;
use std::process::ExitCode;

/// A terminal incident cockpit: regional RED metrics, drill-down from region to request.
/// With no AWS configured it runs the built-in incident simulator.
#[derive(Debug, Parser)]
#[command(name = "warroom", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    cockpit: warroom::cli::CockpitArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Render the cockpit off-screen (demo) after replaying keys; write SVG or text.
    Snapshot(warroom::cli::snapshot::SnapshotArgs),
    /// Print a request's log lines in time order (the log tail's sources and filter).
    Logs(warroom::cli::logs::LogsArgs),
    /// Print a request's span waterfall as text, or its trace as JSON.
    Trace(warroom::cli::trace::TraceArgs),
    /// Print the change feed: deployments and configuration changes, newest first.
    Changes(warroom::cli::changes::ChangesArgs),
    /// Print the changes ranked as suspects for a region's (or service's) anomaly.
    Suspects(warroom::cli::changes::SuspectsArgs),
    /// Write the incident report (Markdown) of the demo with the saved investigation.
    Report(warroom::cli::report::ReportArgs),
}

/// An error for the terminal: what it quotes from a file (an id, a name) cannot reach the
/// terminal as control characters; its own line breaks stay.
fn shown(e: &str) -> String {
    e.lines().map(warroom::model::text::sanitize).collect::<Vec<_>>().join("\n")
}

fn init_logging() {
    let Some(dir) = warroom::dirs::data_dir() else { return };
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let Ok(file) =
        std::fs::OpenOptions::new().create(true).append(true).open(dir.join("warroom.log"))
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Report(args)) = &cli.command {
        return match warroom::cli::report::run(args) {
            Ok(text) => {
                match &args.out {
                    Some(p) => println!("{}", p.display()),
                    None => print!("{text}"),
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("warroom report: {}", shown(&e));
                ExitCode::from(2)
            }
        };
    }
    if let Some(Command::Snapshot(args)) = &cli.command {
        return match warroom::cli::snapshot::run(args) {
            Ok(path) => {
                println!("{}", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("warroom snapshot: {}", shown(&e));
                ExitCode::from(2)
            }
        };
    }
    init_logging();
    let rt =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("warroom: cannot start the async runtime: {e}");
                return ExitCode::FAILURE;
            }
        };
    if let Some(Command::Logs(args)) = &cli.command {
        let mut out = std::io::stdout().lock();
        return match rt.block_on(warroom::cli::logs::run(args, &mut out)) {
            Ok(outcome) => ExitCode::from(outcome.exit_code()),
            Err(e) => {
                eprintln!("warroom logs: {}", shown(&e));
                ExitCode::from(2)
            }
        };
    }
    let done = |r: Result<bool, String>, name: &str| match r {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("warroom {name}: {}", shown(&e));
            ExitCode::from(2)
        }
    };
    if let Some(Command::Changes(args)) = &cli.command {
        let mut out = std::io::stdout().lock();
        return done(rt.block_on(warroom::cli::changes::run_changes(args, &mut out)), "changes");
    }
    if let Some(Command::Suspects(args)) = &cli.command {
        let mut out = std::io::stdout().lock();
        return done(rt.block_on(warroom::cli::changes::run_suspects(args, &mut out)), "suspects");
    }
    if let Some(Command::Trace(args)) = &cli.command {
        let mut out = std::io::stdout().lock();
        return match rt.block_on(warroom::cli::trace::run(args, &mut out)) {
            Ok(outcome) => ExitCode::from(outcome.exit_code()),
            Err(e) => {
                eprintln!("warroom trace: {}", shown(&e));
                ExitCode::from(2)
            }
        };
    }
    let result = rt.block_on(warroom::cli::run_cockpit(cli.cockpit));
    // A computation still running on a blocking thread (a long simulation) is not waited
    // for: quitting is immediate whatever a source is doing.
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "warroom stopped");
            eprintln!("warroom: {}", shown(&e.to_string()));
            ExitCode::from(2)
        }
    }
}
