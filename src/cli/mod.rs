//! Starting the cockpit: command-line flags over the configuration, then the sources.

pub mod alert;
pub mod changes;
pub mod logs;
pub mod report;
pub mod snapshot;
pub mod trace;

use crate::app::{App, Keymap, SourceInfo};
use crate::config::{Config, SourceKind, parse_window};
use crate::model::{Boundary, Clock, Millis};
use crate::source::aws::{
    AwsRequests, CloudTrailChanges, CloudWatchLogs, CloudWatchMetrics, XRayTraces,
};
use crate::source::evidence::{Evidence, EvidenceMetrics, EvidencePaths, Kind};
use crate::source::files::{FileChanges, FileLogs, FileTraces};
use crate::source::sim::{Scenario, SimSource};
use crate::source::{
    LogBatch, LogQuery, LogSource, LogUpdate, NoChanges, NoLogs, NoTraces, SourceError,
    TraceLookup, TraceQuery, TraceSource,
};
use crate::tui::Sources;
use crate::ui::Theme;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Flags of the interactive cockpit (they win over the config file).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct CockpitArgs {
    /// Config file (default: $WARROOM_CONFIG, then ~/.config/warroom/config.toml).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Run the incident simulator, optionally naming a built-in scenario.
    #[arg(long, value_name = "SCENARIO", num_args = 0..=1, default_missing_value = "")]
    pub demo: Option<String>,
    /// Simulator scenario: a built-in name or a path to a scenario .toml.
    #[arg(long, value_name = "NAME|PATH")]
    pub scenario: Option<String>,
    /// Start the simulated clock at this time of day (HH:MM or HH:MM:SS).
    #[arg(long, value_name = "HH:MM[:SS]", value_parser = parse_at)]
    pub at: Option<i64>,
    /// Simulated seconds per real second (0 starts paused).
    #[arg(long, value_name = "N")]
    pub speed: Option<f64>,
    /// Read live metrics from CloudWatch instead of the simulator.
    #[arg(long, conflicts_with = "demo")]
    pub aws: bool,
    /// AWS profile (as in ~/.aws/config); implies --aws.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Theme: dark, light, high-contrast, colorblind, or a theme file name from the config
    /// folder.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Window compared with the baseline: 15m, 1h, 6h or 24h.
    #[arg(long, value_name = "DUR", value_parser = parse_window)]
    pub window: Option<i64>,
    /// Start drilled into this region.
    #[arg(long, value_name = "NAME")]
    pub region: Option<String>,
    /// Only the regions of this continent (EU, US, APAC).
    #[arg(long, value_name = "NAME")]
    pub continent: Option<String>,
    /// Read the log tail from these files, folders or globs (JSON lines, text, or the JSON
    /// of `aws logs filter-log-events`, gzipped or not), following what is appended.
    #[arg(long, value_name = "PATH", num_args = 1.., action = clap::ArgAction::Append)]
    pub logs: Vec<PathBuf>,
    /// Open on an alert: a CloudWatch alarm notification (SNS JSON) or a webhook JSON with
    /// region, service, timestamp and correlation_id / message_id / trace_id.
    #[arg(long, value_name = "FILE")]
    pub alert: Option<PathBuf>,
    /// Resume the investigation saved in the data folder (otherwise a new one starts and the
    /// previous journal is kept beside it).
    #[arg(long)]
    pub resume: bool,
    /// Read the change feed from CloudTrail files, folders or globs (as delivered to S3,
    /// gzipped or not, or the JSON of `aws cloudtrail lookup-events`).
    #[arg(long, value_name = "PATH", num_args = 1.., action = clap::ArgAction::Append)]
    pub changes: Vec<PathBuf>,
    /// Read traces for the waterfall from these files, folders or globs (the JSON of `aws
    /// xray batch-get-traces`, or X-Ray segment documents).
    #[arg(long, value_name = "PATH", num_args = 1.., action = clap::ArgAction::Append)]
    pub traces: Vec<PathBuf>,
    /// A folder of an incident's exported evidence: its files are sorted into logs, traces
    /// and CloudTrail by what they hold. Without --demo or --aws, every pane reads evidence.
    #[arg(long, value_name = "DIR", num_args = 1.., action = clap::ArgAction::Append)]
    pub evidence: Vec<PathBuf>,
    /// Presenting on a call: larger spacing, a header that says where you are, and
    /// redaction on.
    #[arg(long)]
    pub present: bool,
    /// Mask tenant ids, users, emails, IPs and secrets in everything shown or written (`R`
    /// toggles it in the cockpit).
    #[arg(long)]
    pub redact: bool,
    /// Leave the mouse to the terminal (its own text selection) instead of clicking rows
    /// and scrolling panes (`mouse = false` in the config).
    #[arg(long)]
    pub no_mouse: bool,
}

/// Cockpit flags a printing command (`logs`, `trace`, `changes`, `suspects`) has no use
/// for: left out of its `--help`, refused when given.
pub const NOT_FOR_PRINTING: &[&str] = &["speed", "theme", "alert", "resume", "present", "no_mouse"];
/// Cockpit flags an off-screen render (`snapshot`, `report`) has no use for.
pub const NOT_FOR_RENDERS: &[&str] = &["speed", "alert", "resume", "no_mouse"];

/// Hide the cockpit flags of `ids` from a subcommand's help.
pub fn hide_flags(ids: &'static [&'static str]) -> impl FnMut(clap::Arg) -> clap::Arg {
    move |a| {
        let hide = ids.contains(&a.get_id().as_str());
        a.hide(hide)
    }
}

impl CockpitArgs {
    /// Refuse the cockpit flags of `ids` that were given to `command`, which does not use
    /// them (rather than ignoring them).
    pub fn refuse(&self, command: &str, ids: &[&str]) -> Result<(), String> {
        let given = [
            ("speed", "--speed", self.speed.is_some()),
            ("theme", "--theme", self.theme.is_some()),
            ("alert", "--alert", self.alert.is_some()),
            ("resume", "--resume", self.resume),
            ("present", "--present", self.present),
            ("no_mouse", "--no-mouse", self.no_mouse),
        ];
        let wrong: Vec<&str> = given
            .iter()
            .filter(|(id, _, set)| *set && ids.contains(id))
            .map(|(_, f, _)| *f)
            .collect();
        if wrong.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{} {} for the cockpit: `warroom {command}` does not use {} (see warroom {command} --help)",
            wrong.join(", "),
            if wrong.len() == 1 { "is" } else { "are" },
            if wrong.len() == 1 { "it" } else { "them" }
        ))
    }
}

/// Presenting and redaction as the flags and the config ask.
pub fn dress(
    app: &mut App,
    args: &CockpitArgs,
    cfg: &Config,
    redactor: &Arc<crate::redact::Redactor>,
) {
    app.present = args.present;
    app.objectives = cfg.slos.clone();
    app.redactor = redactor.clone();
    app.redacting = cfg.redact.on;
    app.mouse = cfg.mouse && !args.no_mouse;
}

pub(crate) fn parse_at(s: &str) -> Result<i64, String> {
    crate::model::parse_hms(s).ok_or_else(|| format!("`{s}` is not a time like 09:20 or 09:20:30"))
}

/// The evidence files the flags name (`--logs`, `--traces`, `--changes`, `--evidence`).
pub fn evidence_paths(args: &CockpitArgs) -> Result<EvidencePaths, String> {
    let mut p = EvidencePaths::default();
    for d in &args.evidence {
        p.sort_dir(d).map_err(|e| format!("--evidence {e}"))?;
    }
    for (kind, list, flag) in [
        (Kind::Logs, &args.logs, "--logs"),
        (Kind::Traces, &args.traces, "--traces"),
        (Kind::Changes, &args.changes, "--changes"),
    ] {
        for a in list {
            p.add(kind, a).map_err(|e| format!("{flag} {e}"))?;
        }
    }
    Ok(p)
}

/// Where the cockpit's data comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The incident simulator (asked for, or nothing else given).
    Demo,
    Aws,
    /// Evidence files and nothing else: no simulated number anywhere.
    Evidence,
}

/// Everything the cockpit needs, resolved from config and flags.
pub struct Setup {
    pub mode: Mode,
    /// The evidence files named by the flags (also given to the demo and AWS cockpits).
    pub evidence: EvidencePaths,
    pub config: Config,
    /// The demo's scenario, loaded (absent for live sources).
    pub scenario: Option<Scenario>,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Where user themes are (`themes/` beside the config file), for `:theme NAME`.
    pub theme_dir: Option<PathBuf>,
    /// Masks what is sensitive; on when `config.redact.on`.
    pub redactor: Arc<crate::redact::Redactor>,
}

/// Load the config and apply the flags. Errors are for the user, ready to print.
pub fn setup(args: &CockpitArgs) -> Result<Setup, String> {
    let path = Config::locate(args.config.as_deref());
    let mut cfg = Config::load(path.as_deref()).map_err(|e| e.to_string())?;
    if let Some(d) = &args.demo {
        cfg.source = SourceKind::Demo;
        if !d.is_empty() {
            cfg.scenario = d.clone();
        }
    }
    if let Some(s) = &args.scenario {
        cfg.scenario = s.clone();
    }
    if args.aws || args.profile.is_some() {
        cfg.source = SourceKind::Aws;
    }
    if let Some(p) = &args.profile {
        cfg.aws_profile = Some(p.clone());
    }
    cfg.at = args.at.or(cfg.at);
    if let Some(s) = args.speed {
        if !(0.0..=3600.0).contains(&s) {
            return Err(format!("--speed {s}: out of range (0 to 3600)"));
        }
        cfg.speed = s;
    }
    if let Some(t) = &args.theme {
        cfg.theme = t.clone();
    }
    if let Some(w) = args.window {
        cfg.window = w;
    }
    if let Some(c) = &args.continent {
        cfg.boundary = cfg.boundary.only_continent(c).ok_or_else(|| {
            let names: Vec<&str> =
                cfg.boundary.continents.iter().map(|c| c.name.as_str()).collect();
            format!("--continent {c}: not in the boundary ({})", names.join(", "))
        })?;
    }
    if cfg.source == SourceKind::Aws && cfg.services.is_empty() && cfg.discover.is_none() {
        // Nothing listed: the services come from Application Signals.
        cfg.discover = Some(crate::config::Discover::ApplicationSignals);
    }
    let evidence = evidence_paths(args)?;
    let asked_demo = args.demo.is_some() || args.scenario.is_some();
    let mode = match cfg.source {
        SourceKind::Aws => Mode::Aws,
        SourceKind::Demo if !evidence.is_empty() && !asked_demo => Mode::Evidence,
        SourceKind::Demo => Mode::Demo,
    };
    let keymap = Keymap::load(&cfg.keys)?;
    let theme_dir = cfg
        .path
        .as_ref()
        .and_then(|p| p.parent().map(|d| d.join("themes")))
        .or_else(|| crate::dirs::config_dir().map(|d| d.join("themes")));
    let theme = Theme::load(&cfg.theme, theme_dir.as_deref()).map_err(|e| match &cfg.path {
        Some(p) if args.theme.is_none() => format!("{}: key `theme`: {e}", p.display()),
        _ => e,
    })?;
    let scenario = match mode {
        Mode::Aws | Mode::Evidence => None,
        Mode::Demo => Some(Scenario::load(&cfg.scenario).map_err(|e| match &cfg.path {
            Some(p)
                if args.demo.as_deref().is_none_or(str::is_empty) && args.scenario.is_none() =>
            {
                format!("{}: key `demo.scenario`: {e}", p.display())
            }
            _ => e,
        })?),
    };
    if args.redact || args.present {
        cfg.redact.on = true;
    }
    let redactor = Arc::new(crate::redact::Redactor::new(&cfg.redact)?);
    Ok(Setup { mode, evidence, config: cfg, scenario, keymap, theme, theme_dir, redactor })
}

/// What a headless command (`warroom logs`, `warroom trace`) reads.
pub struct Headless {
    pub cfg: Config,
    /// The demo's scenario, when the source is the simulator.
    pub scenario: Option<Scenario>,
    /// `--region`, or every region of the boundary.
    pub regions: Vec<String>,
    /// `--source PATH` (repeatable) and the evidence flags: evidence files.
    pub evidence: EvidencePaths,
    pub mode: Mode,
    /// The redactor, when `--redact` (or the config) asks for redaction.
    pub redactor: Option<Arc<crate::redact::Redactor>>,
}

/// Resolve a headless command's flags: `--source demo|aws|PATH…` over the config. Paths are
/// evidence of the command's own kind (`kind`), as are the cockpit's evidence flags.
pub fn headless(cockpit: &CockpitArgs, source: &[String], kind: Kind) -> Result<Headless, String> {
    let command = match kind {
        Kind::Logs => "logs",
        Kind::Traces => "trace",
        Kind::Changes => "changes",
    };
    cockpit.refuse(command, NOT_FOR_PRINTING)?;
    let mut cockpit = cockpit.clone();
    for s in source {
        match s.as_str() {
            "demo" => cockpit.demo = Some(cockpit.demo.unwrap_or_default()),
            "aws" => cockpit.aws = true,
            path => match kind {
                Kind::Logs => cockpit.logs.push(PathBuf::from(path)),
                Kind::Traces => cockpit.traces.push(PathBuf::from(path)),
                Kind::Changes => cockpit.changes.push(PathBuf::from(path)),
            },
        }
    }
    let setup = setup(&cockpit)?;
    let redactor = setup.config.redact.on.then_some(setup.redactor);
    let cfg = setup.config;
    let regions: Vec<String> = match &cockpit.region {
        Some(r) if !cfg.boundary.contains(r) => {
            return Err(format!("--region {r}: not in the boundary"));
        }
        Some(r) => vec![r.clone()],
        None => cfg.boundary.regions().map(|(_, r)| r.to_string()).collect(),
    };
    // A headless command reads the evidence of its kind when there is any, unless the demo
    // or AWS was asked for by name.
    let asked = |w: &str| source.iter().any(|s| s == w);
    let mode = if asked("demo") {
        Mode::Demo
    } else if asked("aws") {
        Mode::Aws
    } else {
        let mine = match kind {
            Kind::Logs => !setup.evidence.logs.is_empty(),
            Kind::Traces => !setup.evidence.traces.is_empty(),
            Kind::Changes => !setup.evidence.changes.is_empty(),
        };
        if mine { Mode::Evidence } else { setup.mode }
    };
    let scenario = setup.scenario.filter(|_| mode == Mode::Demo);
    Ok(Headless { cfg, scenario, regions, evidence: setup.evidence, mode, redactor })
}

/// Any of the log sources, chosen at start.
pub enum AnyLogs {
    Sim(Arc<SimSource>),
    File(Arc<FileLogs>),
    Aws(Arc<CloudWatchLogs>),
    None(NoLogs),
}

impl LogSource for AnyLogs {
    fn name(&self) -> &str {
        match self {
            AnyLogs::Sim(s) => LogSource::name(s.as_ref()),
            AnyLogs::File(f) => f.name(),
            AnyLogs::Aws(a) => a.name(),
            AnyLogs::None(n) => n.name(),
        }
    }

    async fn fetch(&self, q: LogQuery) -> Result<LogBatch, SourceError> {
        match self {
            AnyLogs::Sim(s) => s.fetch(q).await,
            AnyLogs::File(f) => f.fetch(q).await,
            AnyLogs::Aws(a) => a.fetch(q).await,
            AnyLogs::None(n) => n.fetch(q).await,
        }
    }

    async fn follow(&self, q: LogQuery, clock: Clock, sink: mpsc::Sender<LogUpdate>) {
        match self {
            AnyLogs::Sim(s) => s.follow(q, clock, sink).await,
            AnyLogs::File(f) => f.follow(q, clock, sink).await,
            AnyLogs::Aws(a) => a.follow(q, clock, sink).await,
            AnyLogs::None(n) => n.follow(q, clock, sink).await,
        }
    }
}

/// Any of the change sources, chosen at start.
pub enum AnyChanges {
    Sim(Arc<SimSource>),
    /// CloudTrail (files or LookupEvents), with the services its resources map to.
    File(Arc<FileChanges>, ServiceMap),
    Aws(Arc<CloudTrailChanges>, ServiceMap),
    None(NoChanges),
}

/// Which configured service a change's resource belongs to: a resource naming the service,
/// or one of its dimension values (a function name, a cluster or API name).
#[derive(Clone, Debug, Default)]
pub struct ServiceMap(Vec<(String, Vec<String>)>);

impl ServiceMap {
    pub fn new(services: &[crate::config::ServiceConfig]) -> Self {
        ServiceMap(
            services
                .iter()
                .map(|s| {
                    let mut keys = vec![s.name.clone()];
                    keys.extend(s.dimensions.values().cloned());
                    (s.name.clone(), keys)
                })
                .collect(),
        )
    }

    /// Services known by name only (those an evidence's logs and traces name), mapped from
    /// resources that name them.
    pub fn with_names(mut self, names: impl IntoIterator<Item = String>) -> Self {
        for n in names {
            if !self.0.iter().any(|(name, keys)| *name == n || keys.contains(&n)) {
                self.0.push((n.clone(), vec![n]));
            }
        }
        self
    }

    /// The service of a resource: the longest key it names as a whole word.
    pub fn service_of(&self, resource: &str) -> Option<String> {
        let words: Vec<&str> = resource.split([':', '/', ' ']).collect();
        self.0
            .iter()
            .flat_map(|(name, keys)| keys.iter().map(move |k| (name, k)))
            .filter(|(_, k)| words.iter().any(|w| w == k || w.split(':').next() == Some(k)))
            .max_by_key(|(_, k)| k.len())
            .map(|(name, _)| name.clone())
    }

    fn fill(&self, mut changes: Vec<crate::model::Change>) -> Vec<crate::model::Change> {
        for c in &mut changes {
            if c.service.is_none() {
                c.service = self.service_of(&c.resource);
            }
        }
        changes
    }
}

impl crate::source::ChangeSource for AnyChanges {
    fn name(&self) -> &str {
        match self {
            AnyChanges::Sim(s) => crate::source::ChangeSource::name(s.as_ref()),
            AnyChanges::File(f, _) => f.name(),
            AnyChanges::Aws(a, _) => a.name(),
            AnyChanges::None(n) => n.name(),
        }
    }

    async fn changes(
        &self,
        q: crate::source::ChangeQuery,
    ) -> Result<Vec<crate::model::Change>, SourceError> {
        match self {
            AnyChanges::Sim(s) => s.changes(q).await,
            AnyChanges::File(f, m) => f.changes(q).await.map(|c| m.fill(c)),
            AnyChanges::Aws(a, m) => a.changes(q).await.map(|c| m.fill(c)),
            AnyChanges::None(n) => n.changes(q).await,
        }
    }
}

/// `[aws] discover`: add the services found (Application Signals or Lambda) to the configured
/// ones (a configured service of the same name wins). Returns a line for the status bar.
pub async fn aws_discover(cfg: &mut Config) -> Option<String> {
    let how = cfg.discover?;
    let shared = crate::source::aws::load_sdk_config(cfg.aws_profile.as_deref()).await;
    let found =
        crate::source::aws::discover(&shared, &cfg.boundary, how, crate::tui::wall_now()).await;
    for (region, e) in &found.failures {
        tracing::warn!(region = %region, error = %e, "service discovery failed");
    }
    let before = cfg.services.len();
    for svc in found.services {
        if !cfg.services.iter().any(|s| s.name == svc.name) {
            cfg.services.push(svc);
        }
    }
    let what = match how {
        crate::config::Discover::ApplicationSignals => "Application Signals",
        crate::config::Discover::Lambda => "Lambda",
    };
    let mut line = format!("{what}: {} services discovered", cfg.services.len() - before);
    if let Some((region, e)) = found.failures.first() {
        let hint = e.hint.as_ref().map(|h| format!(" — {h}")).unwrap_or_default();
        line.push_str(&format!("; {region}: {}{hint}", e.message));
        if found.failures.len() > 1 {
            line.push_str(&format!(" (and {} more regions)", found.failures.len() - 1));
        }
    }
    Some(line)
}

/// The configured services as the drill-down lists them while metrics are missing.
pub fn known_services(cfg: &Config) -> Vec<crate::app::KnownService> {
    cfg.services
        .iter()
        .map(|s| crate::app::KnownService {
            name: s.name.clone(),
            regions: s.regions.clone(),
            operations: s.operations.iter().map(|o| o.name.clone()).collect(),
        })
        .collect()
}

/// An explicitly chosen AWS profile (`--profile`, `[aws] profile`) must exist: refused with
/// the fix before any call, instead of failing every call later.
pub async fn check_aws_profile(cfg: &Config) -> Result<(), String> {
    match &cfg.aws_profile {
        Some(p) => crate::source::aws::check_profile(p).await,
        None => Ok(()),
    }
}

/// The change source of the AWS cockpit: CloudTrail LookupEvents in the boundary.
pub async fn aws_changes(cfg: &Config) -> AnyChanges {
    let c = CloudTrailChanges::from_env(cfg.boundary.clone(), cfg.aws_profile.as_deref()).await;
    AnyChanges::Aws(Arc::new(c), ServiceMap::new(&cfg.services))
}

/// Changes from CloudTrail files (`--changes PATH…`, `--source PATH…`).
pub fn file_changes(cfg: &Config, paths: &[PathBuf]) -> Result<AnyChanges, String> {
    Ok(AnyChanges::File(Arc::new(FileChanges::load_all(paths)?), ServiceMap::new(&cfg.services)))
}

/// Any of the trace sources, chosen at start.
pub enum AnyTraces {
    Sim(Arc<SimSource>),
    File(Arc<FileTraces>),
    Aws(Arc<XRayTraces>),
    None(NoTraces),
}

impl TraceSource for AnyTraces {
    fn name(&self) -> &str {
        match self {
            AnyTraces::Sim(s) => TraceSource::name(s.as_ref()),
            AnyTraces::File(f) => f.name(),
            AnyTraces::Aws(a) => a.name(),
            AnyTraces::None(n) => n.name(),
        }
    }

    async fn trace(&self, q: TraceQuery) -> Result<TraceLookup, SourceError> {
        match self {
            AnyTraces::Sim(s) => s.trace(q).await,
            AnyTraces::File(f) => f.trace(q).await,
            AnyTraces::Aws(a) => a.trace(q).await,
            AnyTraces::None(n) => n.trace(q).await,
        }
    }
}

/// The trace source of the AWS cockpit: X-Ray in the boundary's regions.
/// When no trace is annotated with the correlation id, the request's log lines are read for
/// trace ids (when log groups are configured).
pub async fn aws_traces(cfg: &Config) -> AnyTraces {
    let x = XRayTraces::from_env(cfg.boundary.clone(), cfg.aws_profile.as_deref()).await;
    let mut x = x.with_correlation_key(&cfg.correlation_annotation);
    if let AnyLogs::Aws(logs) = aws_logs(cfg).await {
        x = x.with_logs(logs);
    }
    AnyTraces::Aws(Arc::new(x))
}

/// The failing requests of the AWS cockpit: X-Ray and Logs Insights in the boundary.
pub async fn aws_requests(cfg: &Config) -> AwsRequests {
    let shared = crate::source::aws::load_sdk_config(cfg.aws_profile.as_deref()).await;
    AwsRequests::from_sdk_config(&shared, cfg.boundary.clone(), &cfg.services, cfg.line_parser())
        .with_correlation_key(&cfg.correlation_annotation)
}

/// Traces from files (`--traces PATH…`, `warroom trace --source PATH…`).
pub fn file_traces(cfg: &Config, paths: &[PathBuf]) -> Result<AnyTraces, String> {
    Ok(AnyTraces::File(Arc::new(FileTraces::load_all(paths, &cfg.correlation_annotation)?)))
}

/// The log source of the AWS cockpit: CloudWatch Logs over the services' log groups, or
/// the reason there is none (shown in the pane).
pub async fn aws_logs(cfg: &Config) -> AnyLogs {
    if cfg.services.iter().all(|s| s.log_groups.is_empty()) {
        return AnyLogs::None(NoLogs(
            "no log groups configured: add log-groups to [[services]] in the config file".into(),
        ));
    }
    let profile = cfg.aws_profile.as_deref();
    match CloudWatchLogs::from_env(profile, &cfg.boundary, &cfg.services, cfg.line_parser()).await {
        Ok(l) => AnyLogs::Aws(Arc::new(l)),
        Err(e) => {
            tracing::warn!(error = %e, "CloudWatch Logs unavailable");
            AnyLogs::None(NoLogs(format!("CloudWatch Logs: {e}")))
        }
    }
}

/// The log files given with `--logs`, instead of the source's logs: read in the background,
/// the cockpit answering keys meanwhile.
pub fn file_logs(cfg: &Config, paths: &[PathBuf]) -> Result<AnyLogs, String> {
    let home = cfg.boundary.regions().next().map(|(_, r)| r.to_string()).unwrap_or_default();
    let f = FileLogs::load_background(paths, cfg.line_parser(), &cfg.services, &home)?;
    Ok(AnyLogs::File(Arc::new(f)))
}

/// Read the evidence the flags name, as the cockpit and the headless commands see it.
pub fn load_evidence(cfg: &Config, paths: &EvidencePaths) -> Result<Evidence, String> {
    Evidence::load(
        paths.clone(),
        cfg.line_parser(),
        &cfg.services,
        &cfg.correlation_annotation,
        &cfg.boundary,
    )
}

/// The evidence as the cockpit's sources, its clock (standing at the end of the evidence)
/// and its header.
pub fn evidence_sources(cfg: &Config, ev: &Evidence) -> (EvidenceSources, Clock, SourceInfo) {
    let logs = match &ev.logs {
        Some(l) => AnyLogs::File(l.clone()),
        None => AnyLogs::None(NoLogs("no log files in the evidence (--logs, --evidence)".into())),
    };
    let traces = match &ev.traces {
        Some(t) => AnyTraces::File(t.clone()),
        None => AnyTraces::None(NoTraces(
            "no trace files in the evidence (--traces, --evidence)".into(),
        )),
    };
    let changes = match &ev.changes {
        Some(c) => {
            AnyChanges::File(c.clone(), ServiceMap::new(&cfg.services).with_names(ev.services()))
        }
        None => AnyChanges::None(NoChanges(
            "no CloudTrail files in the evidence (--changes, --evidence)".into(),
        )),
    };
    let end = ev.end().unwrap_or_else(crate::tui::wall_now);
    let range = ev.metrics.range().map(|(a, b)| {
        let day = |t| crate::model::format_date(t);
        let to = if day(a) == day(b) {
            crate::model::format_hm(b)
        } else {
            crate::model::format_datetime(b)[..16].to_string()
        };
        format!(" · {} {}–{to} UTC", day(a), crate::model::format_hm(a))
    });
    let info = SourceInfo {
        name: "evidence".into(),
        scenario: None,
        title: Some(format!("{}{}", ev.paths.describe(), range.unwrap_or_default())),
    };
    let sources = EvidenceSources {
        metrics: ev.metrics.clone(),
        logs: Arc::new(logs),
        traces: Arc::new(traces),
        changes: Arc::new(changes),
    };
    (sources, Clock::fixed(end), info)
}

/// An incident's evidence as every pane's source.
#[derive(Clone)]
pub struct EvidenceSources {
    pub metrics: Arc<EvidenceMetrics>,
    pub logs: Arc<AnyLogs>,
    pub traces: Arc<AnyTraces>,
    pub changes: Arc<AnyChanges>,
}

impl Sources for EvidenceSources {
    type Metrics = EvidenceMetrics;
    type Requests = EvidenceMetrics;
    type Logs = AnyLogs;
    type Traces = AnyTraces;
    type Changes = AnyChanges;
    fn changes(&self) -> Arc<AnyChanges> {
        self.changes.clone()
    }
    fn metrics(&self) -> Arc<EvidenceMetrics> {
        self.metrics.clone()
    }
    fn traces(&self) -> Arc<AnyTraces> {
        self.traces.clone()
    }
    fn logs(&self) -> Arc<AnyLogs> {
        self.logs.clone()
    }
    fn requests(&self) -> Arc<EvidenceMetrics> {
        self.metrics.clone()
    }
    fn refresh(&self) -> Option<Duration> {
        None
    }
}

/// The simulator as the cockpit's sources (its log lines, or a file's).
#[derive(Clone)]
pub struct DemoSources(
    pub Arc<SimSource>,
    pub Arc<AnyLogs>,
    pub Arc<AnyTraces>,
    pub Arc<AnyChanges>,
);

impl Sources for DemoSources {
    type Metrics = SimSource;
    type Requests = SimSource;
    type Logs = AnyLogs;
    type Traces = AnyTraces;
    type Changes = AnyChanges;
    fn changes(&self) -> Arc<AnyChanges> {
        self.3.clone()
    }
    fn metrics(&self) -> Arc<SimSource> {
        self.0.clone()
    }
    fn traces(&self) -> Arc<AnyTraces> {
        self.2.clone()
    }
    fn logs(&self) -> Arc<AnyLogs> {
        self.1.clone()
    }
    fn requests(&self) -> Arc<SimSource> {
        self.0.clone()
    }
    fn refresh(&self) -> Option<Duration> {
        None
    }
}

/// CloudWatch for metrics.
#[derive(Clone)]
pub struct AwsSources {
    pub metrics: Arc<CloudWatchMetrics>,
    /// The operation's failing requests: X-Ray summaries and Logs Insights error lines.
    pub requests: Arc<AwsRequests>,
    pub logs: Arc<AnyLogs>,
    pub traces: Arc<AnyTraces>,
    pub changes: Arc<AnyChanges>,
    pub refresh: Duration,
}

impl Sources for AwsSources {
    type Metrics = CloudWatchMetrics;
    type Requests = AwsRequests;
    type Logs = AnyLogs;
    type Traces = AnyTraces;
    type Changes = AnyChanges;
    fn changes(&self) -> Arc<AnyChanges> {
        self.changes.clone()
    }
    fn metrics(&self) -> Arc<CloudWatchMetrics> {
        self.metrics.clone()
    }
    fn traces(&self) -> Arc<AnyTraces> {
        self.traces.clone()
    }
    fn logs(&self) -> Arc<AnyLogs> {
        self.logs.clone()
    }
    fn requests(&self) -> Arc<AwsRequests> {
        self.requests.clone()
    }
    fn refresh(&self) -> Option<Duration> {
        Some(self.refresh)
    }
}

/// The demo's sources, clock and header for a scenario.
pub fn demo(
    mut sc: Scenario,
    boundary: &Boundary,
    at: Option<i64>,
    speed: f64,
    seed: Option<u64>,
) -> (DemoSources, Clock, SourceInfo) {
    if let Some(s) = seed {
        sc.seed = s;
    }
    let start = sc.at(at.unwrap_or(sc.start));
    let info = SourceInfo {
        name: "demo".into(),
        scenario: Some(sc.name.clone()),
        title: Some(sc.title.clone()),
    };
    let clock = Clock::simulated(start, speed);
    let sim = Arc::new(SimSource::new(sc, boundary.clone()));
    let traces = Arc::new(AnyTraces::Sim(sim.clone()));
    let changes = Arc::new(AnyChanges::Sim(sim.clone()));
    (DemoSources(sim.clone(), Arc::new(AnyLogs::Sim(sim)), traces, changes), clock, info)
}

/// Read `--alert` and let its time set the demo's clock (unless `--at` does).
fn read_alert(args: &mut CockpitArgs) -> anyhow::Result<Option<alert::Alert>> {
    let Some(path) = &args.alert else { return Ok(None) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("--alert {}: {e}", path.display()))?;
    let a = alert::parse_alert(&text)
        .map_err(|e| anyhow::anyhow!("--alert {}: {e}", path.display()))?;
    if args.at.is_none() {
        args.at = a.at.map(|t| t.rem_euclid(crate::model::DAY_MS));
    }
    Ok(Some(a))
}

/// Focus the cockpit on an alert: its region and service, its request.
pub fn apply_alert(app: &mut App, a: &alert::Alert) -> anyhow::Result<()> {
    let mut fx = Vec::new();
    if let Some(r) = &a.region {
        if !app.boundary.contains(r) {
            anyhow::bail!("the alert's region {r} is not in the boundary");
        }
        fx.extend(app.run_command(&format!("region {r}")));
        if let Some(s) = &a.service {
            fx.extend(app.drill_to_service(s));
        }
    }
    if let Some(t) = &a.trace_id {
        fx.extend(app.open_trace(crate::source::TraceKey::TraceId(t.clone())));
    } else if let Some(c) = &a.correlation_id {
        fx.extend(app.set_correlation(Some(c.clone())));
    }
    let name = a.name.clone().unwrap_or_else(|| "alert".into());
    // When it fired, on the clock's day in the demo (whose clock is set to its time of day).
    let now = app.clock.now();
    let at = match a.at {
        Some(t) if app.clock.is_simulated() => {
            now - now.rem_euclid(crate::model::DAY_MS) + t.rem_euclid(crate::model::DAY_MS)
        }
        Some(t) => t,
        None => now,
    };
    fx.extend(app.alert_opened(&name, at));
    app.message = Some((format!("opened on {name}"), false));
    app.pending.extend(fx);
    Ok(())
}

/// Start the interactive cockpit.
pub async fn run_cockpit(mut args: CockpitArgs) -> anyhow::Result<()> {
    let alert = read_alert(&mut args)?;
    let setup = setup(&args).map_err(anyhow::Error::msg)?;
    let Setup { mode, evidence, config: mut cfg, scenario, keymap, theme, theme_dir, redactor } =
        setup;
    let looks = crate::ui::Looks { theme, dir: theme_dir };
    let e = anyhow::Error::msg;
    // Live AWS: the profile must exist, and services may be discovered first.
    let live = !matches!((mode, &scenario), (Mode::Evidence, _) | (Mode::Demo, Some(_)));
    let discovered = if live {
        check_aws_profile(&cfg).await.map_err(e)?;
        aws_discover(&mut cfg).await
    } else {
        None
    };
    // Evidence files given beside the demo or AWS replace those panes' sources.
    let (ev_logs, ev_traces, ev_changes) = match mode {
        Mode::Evidence => (None, None, None),
        _ => (
            (!evidence.logs.is_empty())
                .then(|| file_logs(&cfg, &evidence.logs).map(Arc::new))
                .transpose()
                .map_err(e)?,
            (!evidence.traces.is_empty())
                .then(|| file_traces(&cfg, &evidence.traces).map(Arc::new))
                .transpose()
                .map_err(e)?,
            (!evidence.changes.is_empty())
                .then(|| file_changes(&cfg, &evidence.changes).map(Arc::new))
                .transpose()
                .map_err(e)?,
        ),
    };
    let new_app = |clock: Clock, info: SourceInfo| -> anyhow::Result<App> {
        let mut app =
            App::new(cfg.boundary.clone(), clock, keymap.clone(), info, cfg.window, cfg.baseline)
                .with_log_store(cfg.log_capacity, cfg.line_parser());
        dress(&mut app, &args, &cfg, &redactor);
        if let Some(dir) = crate::dirs::history_dir() {
            app.history = crate::app::History::load(&dir);
        }
        // CloudTrail files hold the global services' events of us-east-1 as well.
        app.changes.read_global = !evidence.changes.is_empty();
        start_region(&mut app, args.region.as_deref())?;
        start_investigation(&mut app, args.resume)?;
        if let Some(a) = &alert {
            apply_alert(&mut app, a)?;
        }
        Ok(app)
    };
    match (mode, scenario) {
        (Mode::Evidence, _) => {
            let ev = load_evidence(&cfg, &evidence).map_err(e)?;
            let (sources, clock, info) = evidence_sources(&cfg, &ev);
            let app = new_app(clock, info)?;
            crate::tui::run(app, looks, sources, |_| {
                Err(":scenario works in the demo only (this is evidence)".to_string())
            })
            .await
        }
        (Mode::Demo, Some(sc)) => {
            let with_files = |s: &mut DemoSources| {
                if let Some(f) = &ev_logs {
                    s.1 = f.clone();
                }
                if let Some(t) = &ev_traces {
                    s.2 = t.clone();
                }
                if let Some(c) = &ev_changes {
                    s.3 = c.clone();
                }
            };
            let (mut sources, clock, info) = demo(sc, &cfg.boundary, cfg.at, cfg.speed, cfg.seed);
            with_files(&mut sources);
            let app = new_app(clock, info)?;
            let (boundary, speed, seed) = (cfg.boundary.clone(), cfg.speed, cfg.seed);
            crate::tui::run(app, looks, sources, move |name| {
                let (mut s, clock, info) =
                    demo(Scenario::load(name)?, &boundary, None, speed, seed);
                with_files(&mut s);
                Ok((s, clock, info))
            })
            .await
        }
        _ => {
            let metrics = CloudWatchMetrics::from_env(
                cfg.boundary.clone(),
                cfg.services.clone(),
                cfg.aws_profile.clone(),
            )
            .await;
            let logs = match ev_logs {
                Some(l) => l,
                None => Arc::new(aws_logs(&cfg).await),
            };
            let traces = match ev_traces {
                Some(t) => t,
                None => Arc::new(aws_traces(&cfg).await),
            };
            let changes = match ev_changes {
                Some(c) => c,
                None => Arc::new(aws_changes(&cfg).await),
            };
            let sources = AwsSources {
                changes,
                metrics: Arc::new(metrics),
                requests: Arc::new(aws_requests(&cfg).await),
                logs,
                traces,
                refresh: Duration::from_millis(cfg.refresh as u64),
            };
            let info = SourceInfo { name: "cloudwatch".into(), scenario: None, title: None };
            let mut app = new_app(Clock::Wall, info)?.with_services(known_services(&cfg));
            if let Some(line) = discovered
                && app.message.is_none()
            {
                app.message = Some((line, cfg.services.is_empty()));
            }
            crate::tui::run(app, looks, sources, |_| {
                Err(":scenario works in the demo only".to_string())
            })
            .await
        }
    }
}

/// `--resume` loads the saved investigation; otherwise the previous one is archived. The
/// journal is locked for this cockpit first: when another cockpit holds it, or the data
/// folder cannot be written, the cockpit still starts, says so in the status line, and
/// saves no marks (nothing of the other cockpit's journal is touched).
pub fn start_investigation(app: &mut App, resume: bool) -> anyhow::Result<()> {
    let locked = crate::dirs::lock_journal();
    if resume {
        match crate::dirs::load_journal() {
            Ok(Some((inv, bad))) => {
                let n = inv.marked().count();
                app.investigation = inv;
                let skipped = match bad.as_slice() {
                    [] => String::new(),
                    [one] => format!(" (a damaged record skipped: line {one} of the journal)"),
                    more => format!(
                        " ({} damaged records skipped: lines {} of the journal)",
                        more.len(),
                        more.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
                    ),
                };
                app.message = Some((
                    format!("resumed the investigation: {n} entries{skipped}"),
                    !bad.is_empty(),
                ));
            }
            Ok(None) => app.message = Some(("no saved investigation to resume".into(), true)),
            Err(e) => {
                app.message = Some((format!("cannot read the saved investigation: {e}"), true))
            }
        }
    } else if locked.is_ok() {
        match crate::dirs::archive_journal(crate::tui::wall_now()) {
            Ok(Some(p)) => tracing::info!(path = %p.display(), "previous investigation archived"),
            Ok(None) => {}
            Err(e) => {
                let path = crate::dirs::journal_path().unwrap_or_default();
                app.message = Some((
                    format!("marks are not saved: {}", crate::dirs::write_error(&path, &e)),
                    true,
                ));
            }
        }
    }
    if let Err(e) = locked {
        tracing::warn!(error = %e, "the journal is not this cockpit's");
        app.message = Some((e, true));
    }
    Ok(())
}

/// `--region`: start drilled into it, its fetches queued for the event loop.
pub fn start_region(app: &mut App, region: Option<&str>) -> anyhow::Result<()> {
    if let Some(r) = region {
        if !app.boundary.contains(r) {
            anyhow::bail!("--region {r}: not in the boundary");
        }
        // Its fetches (the log tail of the region) are the event loop's first work.
        let fx = app.run_command(&format!("region {r}"));
        app.pending.extend(fx);
    }
    Ok(())
}

/// A `--since` / `--until` value: a duration back from the present (`15m`, `2h`, `1d`), a
/// moment (`2026-11-19T13:42:02Z`, with an offset, converted to UTC) or a time of day on the
/// present's date (`13:42`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Ago(Millis),
    At(Millis),
    TimeOfDay(Millis),
}

impl When {
    /// The moment, given the present.
    pub fn resolve(self, now: Millis) -> Millis {
        match self {
            When::Ago(d) => now - d,
            When::At(t) => t,
            When::TimeOfDay(tod) => now - now.rem_euclid(crate::model::DAY_MS) + tod,
        }
    }
}

pub fn parse_when(s: &str) -> Result<When, String> {
    if let Some(tod) = crate::model::parse_hms(s) {
        return Ok(When::TimeOfDay(tod));
    }
    if let Some(t) = crate::model::parse_moment(s, 0) {
        return Ok(When::At(t));
    }
    // Back as far as a century (`--since 100000h`: everything), never past what the clock
    // can subtract.
    const LOOKBACK: Millis = 100 * 366 * 86_400_000;
    let far = humantime::parse_duration(s.trim()).ok().map(|d| d.as_millis());
    if let Some(ms) = far.filter(|&ms| ms > LOOKBACK as u128) {
        return Err(format!(
            "`{s}` is too far back: at most {} ({} ms asked)",
            crate::config::duration_name(LOOKBACK),
            ms
        ));
    }
    crate::config::parse_window(s)
        .or_else(|_| far.map(|ms| ms as Millis).ok_or(()))
        .map(When::Ago)
        .map_err(|_| {
            format!(
                "`{s}` is neither a duration (15m, 2h, 1d) nor a time (2026-11-19T13:42:02Z, \
                 2026-11-19T14:42:02+01:00, 13:42)"
            )
        })
}

/// The time range `--since`/`--until` ask for around the present `now` (the clock, or the
/// end of the evidence), `default` back when `--since` is not given; `None` for `now` reads
/// everything (a file without a clock).
pub fn time_range(
    since: Option<When>,
    until: Option<When>,
    now: Option<Millis>,
    default: Option<Millis>,
) -> (Millis, Millis) {
    let Some(now) = now else { return (Millis::MIN / 2, Millis::MAX / 2) };
    let to = until.map_or(now + 1, |u| u.resolve(now));
    let from = match (since, default) {
        (Some(s), _) => s.resolve(to.min(now)),
        (None, Some(d)) => to - d,
        (None, None) => Millis::MIN / 2,
    };
    (from, to)
}
