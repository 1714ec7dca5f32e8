//! Configuration: embedded defaults, the user's file merged over them, CLI flags last.
//!
//! Every table denies unknown keys and every value is checked while it is parsed, so a typo
//! or a bad value is reported with the file, the line and the key instead of being ignored.

use crate::model::{Boundary, Continent, Millis};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The user's configuration file, as written. Everything is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// `demo` (the incident simulator) or `aws`.
    pub source: Option<SourceKind>,
    pub theme: Option<String>,
    /// Take mouse clicks and the wheel (false leaves them to the terminal's selection).
    pub mouse: Option<bool>,
    pub demo: Option<DemoConfig>,
    pub aws: Option<AwsConfig>,
    pub window: Option<WindowConfig>,
    /// Continents and their regions: the boundary an investigation stays inside.
    #[serde(default, deserialize_with = "de_opt_boundary")]
    pub boundary: Option<Vec<ContinentConfig>>,
    #[serde(default)]
    pub services: Vec<ServiceConfig>,
    pub logs: Option<LogsConfig>,
    pub traces: Option<TracesConfig>,
    pub redact: Option<RedactFile>,
    /// Service level objectives.
    #[serde(default)]
    pub slo: Vec<toml::Spanned<RawSlo>>,
    /// Action name -> keys. Replaces the default keys of the actions it names.
    pub keys: Option<BTreeMap<toml::Spanned<String>, Vec<toml::Spanned<String>>>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    Demo,
    Aws,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DemoConfig {
    pub scenario: Option<String>,
    #[serde(default, deserialize_with = "de_opt_speed")]
    pub speed: Option<f64>,
    #[serde(default, deserialize_with = "de_opt_time_of_day")]
    pub at: Option<Millis>,
    pub seed: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AwsConfig {
    pub profile: Option<String>,
    /// How often metrics are fetched. At least 10 s.
    #[serde(default, deserialize_with = "de_opt_refresh")]
    pub refresh: Option<Millis>,
    /// Find the services instead of (or besides) `[[services]]`.
    pub discover: Option<Discover>,
}

/// Where the services to watch are found (`[aws] discover`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Discover {
    /// CloudWatch Application Signals: its services, operations and standard RED metrics.
    ApplicationSignals,
    /// The Lambda functions of each region.
    Lambda,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WindowConfig {
    #[serde(default, deserialize_with = "de_opt_window")]
    pub default: Option<Millis>,
    /// At least a minute, at most [`MAX_BASELINE`].
    #[serde(default, deserialize_with = "de_opt_baseline")]
    pub baseline: Option<Millis>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContinentConfig {
    pub continent: String,
    #[serde(deserialize_with = "de_regions")]
    pub regions: Vec<String>,
}

/// One service as the AWS sources see it: its CloudWatch metrics and log groups.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServiceConfig {
    pub name: String,
    /// CloudWatch namespace, e.g. `AWS/Lambda` or `AWS/ApiGateway`.
    pub namespace: String,
    /// Dimensions that select this service's metrics, e.g. `{ FunctionName = "worker" }`.
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    /// Metric counting requests (`Invocations` for Lambda, `Count` for API Gateway).
    #[serde(default = "default_requests_metric")]
    pub requests_metric: String,
    /// Metric counting failed requests (`Errors`, `5XXError`).
    #[serde(default = "default_errors_metric")]
    pub errors_metric: String,
    /// Metric whose p50 and p99 are the latency (`Duration`, `Latency`).
    #[serde(default = "default_latency_metric")]
    pub latency_metric: String,
    /// Regions the service runs in; empty means every region of the boundary.
    #[serde(default, deserialize_with = "de_regions")]
    pub regions: Vec<String>,
    /// CloudWatch Logs groups of the service.
    #[serde(default)]
    pub log_groups: Vec<String>,
    /// Operations with their own dimensions (e.g. API Gateway `Resource` and `Method`).
    #[serde(default)]
    pub operations: Vec<OperationConfig>,
}

/// One service level objective of `[[slo]]`, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct SloConfig {
    pub name: String,
    pub service: String,
    pub operation: Option<String>,
    pub region: Option<String>,
    pub sli: crate::analysis::slo::Sli,
    pub target: f64,
    pub period: Millis,
}

/// `[[slo]]` as written; checked into a [`SloConfig`] with the table's line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSlo {
    name: Option<String>,
    service: String,
    operation: Option<String>,
    region: Option<String>,
    /// `availability` or `latency`.
    objective: String,
    /// Percent of good requests (availability) or minutes (latency), e.g. 99.5.
    target: f64,
    /// e.g. `30d`, `7d`, `28d`.
    #[serde(default)]
    period: Option<String>,
    /// Latency objectives: the p99 a minute may reach, e.g. `800ms`, `3s`.
    threshold: Option<String>,
}

impl TryFrom<RawSlo> for SloConfig {
    type Error = String;
    fn try_from(r: RawSlo) -> Result<Self, String> {
        if !(r.target > 0.0 && r.target < 100.0) {
            return Err(format!(
                "target {} is not a percentage between 0 and 100 (exclusive), e.g. 99.5",
                r.target
            ));
        }
        let period = match &r.period {
            Some(p) => parse_duration(p).map_err(|e| format!("period: {e}"))?,
            None => 30 * 24 * 3_600_000,
        };
        if period < 3_600_000 {
            return Err("period must be at least 1h (objectives are judged over days)".into());
        }
        let sli = match (r.objective.as_str(), &r.threshold) {
            ("availability", None) => crate::analysis::slo::Sli::Availability,
            ("availability", Some(_)) => {
                return Err("threshold is for latency objectives only".into());
            }
            ("latency", Some(t)) => crate::analysis::slo::Sli::Latency {
                threshold_ms: parse_duration(t).map_err(|e| format!("threshold: {e}"))? as f64,
            },
            ("latency", None) => {
                return Err("a latency objective needs threshold (the p99 a minute may reach, e.g. \"800ms\")".into());
            }
            (o, _) => {
                return Err(format!("objective `{o}` is not one of availability, latency"));
            }
        };
        let name = r.name.unwrap_or_else(|| {
            format!(
                "{}{} {}",
                r.service,
                r.operation.as_deref().map(|o| format!(" {o}")).unwrap_or_default(),
                r.objective
            )
        });
        Ok(SloConfig {
            name,
            service: r.service,
            operation: r.operation,
            region: r.region,
            sli,
            target: r.target,
            period,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OperationConfig {
    pub name: String,
    /// Added to the service's dimensions.
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
}

fn default_requests_metric() -> String {
    "Invocations".into()
}
fn default_errors_metric() -> String {
    "Errors".into()
}
fn default_latency_metric() -> String {
    "Duration".into()
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LogsConfig {
    /// JSON field names that carry the correlation id, tried in order.
    pub correlation_fields: Option<Vec<String>>,
    /// Lines the log tail keeps before dropping the oldest.
    #[serde(default, deserialize_with = "de_capacity")]
    pub capacity: Option<usize>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TracesConfig {
    /// The X-Ray annotation that carries a request's correlation id.
    #[serde(default, deserialize_with = "de_annotation")]
    pub correlation_annotation: Option<String>,
}

/// `[redact]`: what redaction masks. A kind named here replaces that kind's defaults (an
/// empty list turns it off); kinds not named keep theirs.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RedactFile {
    /// Redaction on at start (`--present` and `--redact` turn it on too).
    pub on: Option<bool>,
    /// Mask who made a change (user and session names) in the change feed.
    pub identities: Option<bool>,
    /// Kind → field names, e.g. `tenant = ["tenantId", "tenant"]`.
    pub fields: Option<BTreeMap<Kind, Vec<String>>>,
    /// Kind → regular expressions; a capture group masks the group only.
    pub patterns: Option<BTreeMap<Kind, Vec<Pattern>>>,
}

/// A kind of sensitive value: it names the mask (`tenant` → `tenant-#1`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Kind(pub String);

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let k = String::deserialize(d)?;
        if k.is_empty()
            || !k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(serde::de::Error::custom(format!(
                "`{k}`: a kind names the mask (`{k}-#1`): lower-case letters, digits and -"
            )));
        }
        Ok(Kind(k))
    }
}

/// A regular expression, checked when it is read.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern(pub String);

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = String::deserialize(d)?;
        regex_automata::meta::Regex::new(&p).map_err(|e| {
            let why = e.syntax_error().map_or_else(|| e.to_string(), |s| s.to_string());
            serde::de::Error::custom(format!("`{p}` is not a regular expression: {why}"))
        })?;
        Ok(Pattern(p))
    }
}

fn de_annotation<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let k = String::deserialize(d)?;
    if !crate::source::aws::valid_annotation_key(&k) {
        return Err(serde::de::Error::custom(format!(
            "`{k}`: an X-Ray annotation key has letters, digits and _ only"
        )));
    }
    Ok(Some(k))
}

fn de_capacity<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    let n = i64::deserialize(d)?;
    if !(1_000..=10_000_000).contains(&n) {
        return Err(serde::de::Error::custom(format!(
            "capacity {n}: between 1000 and 10000000 lines"
        )));
    }
    Ok(Some(n as usize))
}

/// The configuration in force: defaults, then the file, then CLI flags.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the file came from, if there was one.
    pub path: Option<PathBuf>,
    pub source: SourceKind,
    pub theme: String,
    /// The cockpit takes the mouse (`mouse = false`, `--no-mouse`: the terminal keeps it).
    pub mouse: bool,
    pub scenario: String,
    pub speed: f64,
    pub at: Option<Millis>,
    pub seed: Option<u64>,
    pub aws_profile: Option<String>,
    /// `[aws] discover`: find services (added to `[[services]]`).
    pub discover: Option<Discover>,
    pub refresh: Millis,
    pub window: Millis,
    pub baseline: Millis,
    pub boundary: Boundary,
    pub services: Vec<ServiceConfig>,
    pub correlation_fields: Vec<String>,
    /// Lines the log tail keeps.
    pub log_capacity: usize,
    /// The X-Ray annotation with the correlation id.
    pub correlation_annotation: String,
    /// Key overrides with the place each was written, checked when the keymap is built.
    pub keys: Vec<KeyOverride>,
    /// What redaction masks, and whether it is on at start.
    pub redact: crate::redact::RedactConfig,
    /// Service level objectives from `[[slo]]`.
    pub slos: Vec<crate::analysis::slo::Objective>,
}

#[derive(Clone, Debug)]
pub struct KeyOverride {
    pub action: String,
    pub keys: Vec<String>,
    /// `file:line` of the binding.
    pub place: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            source: SourceKind::Demo,
            theme: "dark".into(),
            mouse: true,
            scenario: crate::source::sim::DEFAULT_SCENARIO.into(),
            speed: 1.0,
            at: None,
            seed: None,
            aws_profile: None,
            discover: None,
            refresh: 60_000,
            window: 15 * 60_000,
            baseline: 24 * 3_600_000,
            boundary: Boundary::global(),
            services: Vec::new(),
            correlation_fields: vec![
                "correlationId".into(),
                "correlation_id".into(),
                "x-correlation-id".into(),
            ],
            log_capacity: crate::model::logstore::DEFAULT_CAPACITY,
            correlation_annotation: crate::source::xray::DEFAULT_CORRELATION_KEY.into(),
            keys: Vec::new(),
            redact: Default::default(),
            slos: Vec::new(),
        }
    }
}

/// A configuration error that names the file (and, through toml, the line and key).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid config file {path}:\n{message}")]
    Invalid { path: String, message: String },
}

impl Config {
    /// The log line parser with the configured correlation id fields.
    pub fn line_parser(&self) -> crate::model::logline::LineParser {
        crate::model::logline::LineParser::new(self.correlation_fields.clone())
    }

    /// Where the config file is looked for: `--config`, then `WARROOM_CONFIG`, then the
    /// platform's config folder (`~/.config/warroom/config.toml` on Linux).
    pub fn locate(flag: Option<&Path>) -> Option<PathBuf> {
        if let Some(p) = flag {
            return Some(p.to_path_buf());
        }
        if let Some(p) = std::env::var_os("WARROOM_CONFIG").filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(p));
        }
        let p = crate::dirs::config_dir()?.join("config.toml");
        p.exists().then_some(p)
    }

    /// Load `path` (if any) over the defaults. A file named explicitly must exist.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        let Some(path) = path else { return Ok(cfg) };
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
        let mut file = parse(&text)
            .map_err(|message| ConfigError::Invalid { path: shown.clone(), message })?;
        for (i, slo) in std::mem::take(&mut file.slo).into_iter().enumerate() {
            let line = line_of(&text, slo.span().start);
            let c = SloConfig::try_from(slo.into_inner()).map_err(|e| ConfigError::Invalid {
                path: shown.clone(),
                message: format!("line {line}, key `slo[{i}]`: {e}"),
            })?;
            cfg.slos.push(crate::analysis::slo::Objective {
                name: c.name,
                service: c.service,
                operation: c.operation,
                region: c.region,
                sli: c.sli,
                target: c.target,
                period: c.period,
                origin: format!("{shown}:{line}"),
            });
        }
        cfg.path = Some(path.to_path_buf());
        cfg.apply(file, &shown, &text);
        check_service_regions(&text, &cfg.boundary)
            .map_err(|message| ConfigError::Invalid { path: shown.clone(), message })?;
        for o in &cfg.slos {
            if let Some(r) = o.region.as_deref().filter(|r| !cfg.boundary.contains(r)) {
                let line = o.origin.rsplit(':').next().unwrap_or("?");
                return Err(ConfigError::Invalid {
                    path: shown.clone(),
                    message: format!(
                        "line {line}, key `slo.region` (objective `{}`): {r} is outside the boundary; an objective is judged only inside it",
                        o.name
                    ),
                });
            }
        }
        Ok(cfg)
    }

    fn apply(&mut self, f: ConfigFile, shown: &str, text: &str) {
        if let Some(s) = f.source {
            self.source = s;
        }
        if let Some(m) = f.mouse {
            self.mouse = m;
        }
        if let Some(t) = f.theme {
            self.theme = t;
        }
        if let Some(d) = f.demo {
            if let Some(s) = d.scenario {
                self.scenario = s;
            }
            if let Some(s) = d.speed {
                self.speed = s;
            }
            self.at = d.at.or(self.at);
            self.seed = d.seed.or(self.seed);
        }
        if let Some(a) = f.aws {
            self.aws_profile = a.profile.or(self.aws_profile.take());
            self.discover = a.discover.or(self.discover);
            if let Some(r) = a.refresh {
                self.refresh = r;
            }
        }
        if let Some(w) = f.window {
            if let Some(d) = w.default {
                self.window = d;
            }
            if let Some(b) = w.baseline {
                self.baseline = b;
            }
        }
        if let Some(b) = f.boundary {
            self.boundary = Boundary {
                continents: b
                    .into_iter()
                    .map(|c| Continent { name: c.continent, regions: c.regions })
                    .collect(),
            };
        }
        if !f.services.is_empty() {
            self.services = f.services;
        }
        if let Some(l) = f.logs {
            if let Some(c) = l.correlation_fields {
                self.correlation_fields = c;
            }
            if let Some(c) = l.capacity {
                self.log_capacity = c;
            }
        }
        if let Some(k) = f.traces.and_then(|t| t.correlation_annotation) {
            self.correlation_annotation = k;
        }
        if let Some(r) = f.redact {
            let merge = |list: &mut Vec<(String, Vec<String>)>, m: Vec<(String, Vec<String>)>| {
                for (kind, items) in m {
                    match list.iter_mut().find(|(k, _)| *k == kind) {
                        Some((_, v)) => *v = items,
                        None => list.push((kind, items)),
                    }
                }
            };
            let fields = r.fields.unwrap_or_default().into_iter().map(|(k, v)| (k.0, v));
            merge(&mut self.redact.fields, fields.collect());
            let patterns = r.patterns.unwrap_or_default().into_iter();
            merge(
                &mut self.redact.patterns,
                patterns.map(|(k, v)| (k.0, v.into_iter().map(|p| p.0).collect())).collect(),
            );
            self.redact.identities = r.identities.unwrap_or(self.redact.identities);
            self.redact.on = r.on.unwrap_or(self.redact.on);
        }
        for (action, keys) in f.keys.unwrap_or_default() {
            let line = line_of(text, action.span().start);
            self.keys.push(KeyOverride {
                action: action.into_inner(),
                keys: keys.into_iter().map(|k| k.into_inner()).collect(),
                place: format!("{shown}:{line}"),
            });
        }
    }
}

/// Parse a config file's text; the error carries toml's line, column and key.
pub fn parse(text: &str) -> Result<ConfigFile, String> {
    toml::from_str(text).map_err(|e| e.to_string())
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

/// The longest duration warroom accepts anywhere (a config, a scenario, `--since`): a year.
/// Longer ones are typos, and would overflow the clock's arithmetic.
pub const MAX_DURATION: Millis = 366 * 24 * 3_600_000;

/// The longest baseline (`[window] baseline`): a week, which holds every weekday's pattern.
/// Each refresh reads (or simulates) the whole baseline, so a longer one only slows every
/// refresh down (a month takes the simulator a minute).
pub const MAX_BASELINE: Millis = 7 * 24 * 3_600_000;

/// The longest metrics refresh (`[aws] refresh`): an hour.
pub const MAX_REFRESH: Millis = 3_600_000;

/// Parse a duration such as `15m`, `24h` or `90s`, at most [`MAX_DURATION`].
pub fn parse_duration(s: &str) -> Result<Millis, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("`{s}` is not a duration like 15m, 1h or 90s ({e})"))?;
    match Millis::try_from(d.as_millis()) {
        Ok(ms) if ms <= MAX_DURATION => Ok(ms),
        _ => Err(format!("`{s}` is too long: at most {}", duration_name(MAX_DURATION))),
    }
}

/// A duration between `min` and `max` for `what` (`the baseline`), said with both bounds.
pub fn parse_bounded(s: &str, what: &str, min: Millis, max: Millis) -> Result<Millis, String> {
    let out = || {
        format!("{what} must be between {} and {} (`{s}`)", duration_name(min), duration_name(max))
    };
    match parse_duration(s) {
        Ok(ms) if (min..=max).contains(&ms) => Ok(ms),
        // Not a duration at all: said so.
        Err(e) if humantime::parse_duration(s.trim()).is_err() => Err(e),
        // A duration, but out of bounds (however far).
        _ => Err(out()),
    }
}

/// `30 days`, `1 day`, or as a window is named (`15m`, `1h 30m`).
pub fn duration_name(ms: Millis) -> String {
    const DAY: Millis = 24 * 3_600_000;
    match ms / DAY {
        n if ms % DAY == 0 && n > 1 => format!("{n} days"),
        1 if ms == DAY => "1 day".into(),
        _ => window_name(ms),
    }
}

/// The windows the RED pane can show.
pub const WINDOWS: [(&str, Millis); 4] =
    [("15m", 15 * 60_000), ("1h", 3_600_000), ("6h", 6 * 3_600_000), ("24h", 24 * 3_600_000)];

pub fn parse_window(s: &str) -> Result<Millis, String> {
    WINDOWS
        .iter()
        .find(|(n, _)| *n == s.trim())
        .map(|(_, v)| *v)
        .ok_or_else(|| format!("`{s}` is not a window; use one of 15m, 1h, 6h, 24h"))
}

pub fn window_name(ms: Millis) -> String {
    WINDOWS.iter().find(|(_, v)| *v == ms).map(|(n, _)| n.to_string()).unwrap_or_else(|| {
        humantime::format_duration(std::time::Duration::from_millis(ms as u64)).to_string()
    })
}

/// Is this a well-formed AWS region name (`eu-west-1`, `us-gov-west-1`)?
pub fn is_region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    (3..=4).contains(&parts.len())
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

fn de_opt_boundary<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<ContinentConfig>>, D::Error> {
    let b = Vec::<ContinentConfig>::deserialize(d)?;
    if b.is_empty() {
        return Err(serde::de::Error::custom("at least one continent is needed"));
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in b.iter().flat_map(|c| &c.regions) {
        if !seen.insert(r.as_str()) {
            return Err(serde::de::Error::custom(format!("region {r} is listed twice")));
        }
    }
    Ok(Some(b))
}

fn de_opt_speed<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = f64::deserialize(d)?;
    if !(0.0..=3600.0).contains(&v) {
        return Err(serde::de::Error::custom(format!("{v} is out of range (0 to 3600)")));
    }
    Ok(Some(v))
}

/// Every AWS region, from the partitions the AWS SDK resolves endpoints with (aws, aws-cn,
/// aws-us-gov, aws-eusc and the isolated partitions), global pseudo-regions left out.
pub const AWS_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-isoe-west-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "us-west-1",
    "us-west-2",
];

/// Is `s` one of [`AWS_REGIONS`]?
pub fn is_aws_region(s: &str) -> bool {
    AWS_REGIONS.contains(&s)
}

/// Edit distance (insertions, deletions, substitutions) between two short ASCII names.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The AWS region nearest to a name that is not one (`eu-centrl-1` → `eu-central-1`).
pub fn nearest_region(s: &str) -> &'static str {
    let lower = s.trim().to_ascii_lowercase();
    AWS_REGIONS
        .iter()
        .copied()
        .min_by_key(|r| (edit_distance(&lower, r), r.len()))
        .unwrap_or("eu-west-1")
}

/// Why `s` is not a region warroom can query, or `None` when it is one.
pub fn region_problem(s: &str) -> Option<String> {
    if is_aws_region(s) {
        return None;
    }
    Some(format!("`{s}` in `regions` is not an AWS region; did you mean `{}`?", nearest_region(s)))
}

fn de_regions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Vec::<String>::deserialize(d)?;
    if let Some(problem) = v.iter().find_map(|r| region_problem(r)) {
        return Err(serde::de::Error::custom(problem));
    }
    Ok(v)
}

/// Only what the boundary check needs of a service, with where its `regions` were written.
#[derive(Deserialize)]
struct PlacedService {
    name: String,
    regions: Option<toml::Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
struct PlacedServices {
    #[serde(default)]
    services: Vec<PlacedService>,
}

/// A service may only name regions of the boundary: an investigation stays inside it, so a
/// region outside would silently never be read. The error names the line, the key and the
/// regions the boundary holds.
fn check_service_regions(text: &str, boundary: &Boundary) -> Result<(), String> {
    let Ok(placed) = toml::from_str::<PlacedServices>(text) else { return Ok(()) };
    for (i, svc) in placed.services.iter().enumerate() {
        let Some(regions) = &svc.regions else { continue };
        let outside: Vec<&str> = regions
            .get_ref()
            .iter()
            .map(String::as_str)
            .filter(|r| !boundary.contains(r))
            .collect();
        if outside.is_empty() {
            continue;
        }
        let line = line_of(text, regions.span().start);
        let inside: Vec<&str> = boundary.regions().map(|(_, r)| r).collect();
        return Err(format!(
            "line {line}, key `services[{i}].regions` (service `{}`): {} outside the boundary ({}); an investigation never leaves it: remove {} or add {} to [[boundary]]",
            svc.name,
            if outside.len() == 1 {
                format!("{} is", outside[0])
            } else {
                format!("{} are", outside.join(", "))
            },
            inside.join(", "),
            if outside.len() == 1 { "it" } else { "them" },
            if outside.len() == 1 { "it" } else { "them" },
        ));
    }
    Ok(())
}

fn de_opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Millis>, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).map(Some).map_err(serde::de::Error::custom)
}

fn de_opt_refresh<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Millis>, D::Error> {
    let v = de_opt_duration(d)?;
    if v.is_some_and(|v| v < 10_000) {
        return Err(serde::de::Error::custom("refresh must be at least 10s (CloudWatch quotas)"));
    }
    if v.is_some_and(|v| v > MAX_REFRESH) {
        return Err(serde::de::Error::custom("refresh must be at most 1h"));
    }
    Ok(v)
}

fn de_opt_baseline<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Millis>, D::Error> {
    let s = String::deserialize(d)?;
    parse_bounded(&s, "the baseline", 60_000, MAX_BASELINE)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn de_opt_window<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Millis>, D::Error> {
    let s = String::deserialize(d)?;
    parse_window(&s).map(Some).map_err(serde::de::Error::custom)
}

fn de_opt_time_of_day<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Millis>, D::Error> {
    let s = String::deserialize(d)?;
    crate::model::parse_hms(&s).map(Some).ok_or_else(|| {
        serde::de::Error::custom(format!("`{s}` is not a time of day like 09:20 or 09:20:30"))
    })
}
