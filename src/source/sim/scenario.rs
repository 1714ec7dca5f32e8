//! Incident scenarios: topology, traffic, faults, changes and pinned requests, in TOML.
//!
//! Built-in scenarios live in `scenarios/` and are embedded; `--scenario PATH` loads a file.
//! Every table denies unknown keys, so a typo is an error with the line and the key.

use crate::model::{Boundary, Continent, DAY_MS, Millis, parse_hms};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeSet;

/// The built-in scenarios, name and TOML text.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("invoice-approval-timeout", include_str!("../../../scenarios/invoice-approval-timeout.toml")),
    ("alert-endpoint-404", include_str!("../../../scenarios/alert-endpoint-404.toml")),
];

/// The most steps one flow may have (a request's hops are kept in a fixed array).
pub const MAX_STEPS: usize = 8;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Scenario {
    pub name: String,
    pub title: String,
    /// `YYYY-MM-DD` of the incident (UTC).
    #[serde(deserialize_with = "de_date")]
    pub date: Millis,
    /// Time of day the simulated clock starts at.
    #[serde(deserialize_with = "de_time")]
    pub start: Millis,
    #[serde(default)]
    pub seed: u64,
    /// Share of requests whose trace is recorded (head sampling), 0 to 1.
    #[serde(default = "default_sampling")]
    pub sampling: f64,
    #[serde(default = "default_account")]
    pub account: String,
    /// Prefix of generated correlation ids (`c-` gives `c-9f3a6e1d`).
    #[serde(default = "default_id_prefix")]
    pub id_prefix: String,
    pub continents: Vec<Continent>,
    pub services: Vec<ScenarioService>,
    pub flows: Vec<Flow>,
    #[serde(default)]
    pub faults: Vec<Fault>,
    #[serde(default)]
    pub changes: Vec<ScenarioChange>,
    #[serde(default)]
    pub requests: Vec<PinnedRequest>,
}

fn default_sampling() -> f64 {
    0.05
}
fn default_id_prefix() -> String {
    "c-".into()
}
fn default_account() -> String {
    "123456789012".into()
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScenarioService {
    pub name: String,
    /// What runs it (`lambda`, `ecs`, `kubernetes`, `dynamodb`), shown in details.
    pub kind: String,
}

/// A kind of request: an entry point and the hops it takes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Flow {
    pub name: String,
    /// Requests per second in each region.
    pub rate: f64,
    /// Per-region overrides of `rate`.
    #[serde(default)]
    pub rates: std::collections::BTreeMap<String, f64>,
    /// How many tenants send these requests.
    #[serde(default = "default_tenants")]
    pub tenants: u32,
    pub steps: Vec<Step>,
}

fn default_tenants() -> u32 {
    50
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Step {
    pub service: String,
    pub operation: String,
    /// Index of the step that calls this one; the previous step when absent.
    pub parent: Option<usize>,
    /// Asynchronous hop through an event bus; `{continent}` is replaced by the continent
    /// name in lower case (`{continent}-invoices` -> `eu-invoices`).
    pub via: Option<String>,
    /// Event published on the bus.
    pub event: Option<String>,
    pub p50_ms: f64,
    pub p99_ms: f64,
    #[serde(default)]
    pub error_rate: f64,
    /// HTTP status of a success.
    #[serde(default = "default_ok_status")]
    pub status: u16,
    /// Log lines written when the step runs (placeholders: `{event}`, `{bus}`, `{tenant}`,
    /// `{invoice}`, `{region}`, `{service}`, `{operation}`).
    #[serde(default)]
    pub logs: Vec<String>,
    /// Log line written when the step succeeds.
    pub done: Option<String>,
}

fn default_ok_status() -> u16 {
    200
}

/// Something breaking: from `from` (ramping up over `ramp`) until `until`, a share of the
/// calls to a service (optionally one operation) in one region fails.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Fault {
    pub region: String,
    pub service: String,
    pub operation: Option<String>,
    #[serde(deserialize_with = "de_time")]
    pub from: Millis,
    #[serde(default, deserialize_with = "de_opt_time")]
    pub until: Option<Millis>,
    #[serde(default, deserialize_with = "de_duration")]
    pub ramp: Millis,
    pub error_rate: f64,
    /// How long a failing call lasts (a timeout).
    pub latency_ms: Option<f64>,
    #[serde(default = "default_fault_status")]
    pub status: u16,
    /// The error log line of a failing call; empty when the failure is silent.
    #[serde(default)]
    pub message: String,
}

fn default_fault_status() -> u16 {
    500
}

/// A change in the audit trail.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScenarioChange {
    /// Time of day; on the scenario's date, or the day before when `days-before = 1`.
    #[serde(deserialize_with = "de_time")]
    pub at: Millis,
    #[serde(default)]
    pub days_before: u32,
    pub region: String,
    pub service: Option<String>,
    pub event: String,
    pub event_source: String,
    pub resource: String,
    pub identity_type: String,
    pub principal: String,
    pub role: Option<String>,
    pub session: Option<String>,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub read_only: bool,
}

/// A request that must exist, e.g. the customer's request the story is about.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PinnedRequest {
    #[serde(deserialize_with = "de_time")]
    pub at: Millis,
    pub region: String,
    pub flow: String,
    pub correlation_id: String,
    pub tenant: String,
    /// Fail at the step a fault hits at that time.
    #[serde(default)]
    pub fail: bool,
    #[serde(default)]
    pub sampled: bool,
}

fn de_time<'de, D: Deserializer<'de>>(d: D) -> Result<Millis, D::Error> {
    let s = String::deserialize(d)?;
    parse_hms(&s).ok_or_else(|| {
        serde::de::Error::custom(format!("`{s}` is not a time of day like 09:04 or 09:04:37"))
    })
}

fn de_opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Millis>, D::Error> {
    de_time(d).map(Some)
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Millis, D::Error> {
    let s = String::deserialize(d)?;
    crate::config::parse_duration(&s).map_err(serde::de::Error::custom)
}

fn de_date<'de, D: Deserializer<'de>>(d: D) -> Result<Millis, D::Error> {
    let s = String::deserialize(d)?;
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(&s, &fmt).map_err(|e| {
        serde::de::Error::custom(format!("`{s}` is not a date like 2026-03-12 ({e})"))
    })?;
    Ok(date.midnight().assume_utc().unix_timestamp() * 1000)
}

impl Scenario {
    /// A built-in scenario by name.
    pub fn built_in(name: &str) -> Option<Scenario> {
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
        // The built-ins are checked by the test suite; a failure here is a build defect.
        Scenario::parse(text).ok()
    }

    /// A built-in scenario by name, or a scenario file by path.
    pub fn load(name_or_path: &str) -> Result<Scenario, String> {
        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Scenario::parse(text)
                .map_err(|e| format!("built-in scenario {name_or_path}: {e}"));
        }
        let path = std::path::Path::new(name_or_path);
        if !path.exists() {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "no scenario `{name_or_path}`: built-in scenarios are {}, or give a path to a .toml file",
                names.join(", ")
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read scenario file {}: {e}", path.display()))?;
        Scenario::parse(&text)
            .map_err(|e| format!("invalid scenario file {}:\n{e}", path.display()))
    }

    /// Parse and check a scenario's text.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let s: Scenario = toml::from_str(text).map_err(|e| e.to_string())?;
        s.validate()?;
        Ok(s)
    }

    /// The start of the simulated clock.
    pub fn start_time(&self) -> Millis {
        self.date + self.start
    }

    /// A time of day on the scenario's date.
    pub fn at(&self, time_of_day: Millis) -> Millis {
        self.date + time_of_day
    }

    /// Every region the scenario simulates, by continent.
    pub fn boundary(&self) -> Boundary {
        Boundary { continents: self.continents.clone() }
    }

    fn validate(&self) -> Result<(), String> {
        let boundary = self.boundary();
        let regions: BTreeSet<&str> = boundary.regions().map(|(_, r)| r).collect();
        let services: BTreeSet<&str> = self.services.iter().map(|s| s.name.as_str()).collect();
        let check_region = |what: &str, r: &str| -> Result<(), String> {
            if regions.contains(r) {
                Ok(())
            } else {
                Err(format!("{what}: region `{r}` is not in any continent of the scenario"))
            }
        };
        let check_service = |what: &str, s: &str| -> Result<(), String> {
            if services.contains(s) {
                Ok(())
            } else {
                Err(format!("{what}: service `{s}` is not in [[services]]"))
            }
        };
        if !(0.0..=1.0).contains(&self.sampling) {
            return Err(format!("sampling: {} is not between 0 and 1", self.sampling));
        }
        for (fi, f) in self.flows.iter().enumerate() {
            let what = format!("flows[{fi}] ({})", f.name);
            if f.steps.is_empty() || f.steps.len() > MAX_STEPS {
                return Err(format!("{what}: a flow has 1 to {MAX_STEPS} steps"));
            }
            if !(0.0..=1000.0).contains(&f.rate)
                || f.rates.values().any(|r| !(0.0..=1000.0).contains(r))
            {
                return Err(format!("{what}: rates are requests per second, 0 to 1000"));
            }
            for r in f.rates.keys() {
                check_region(&what, r)?;
            }
            if f.tenants == 0 {
                return Err(format!("{what}: tenants must be at least 1"));
            }
            for (si, s) in f.steps.iter().enumerate() {
                let what = format!("{what} steps[{si}]");
                check_service(&what, &s.service)?;
                if si > 0 && s.parent.is_some_and(|p| p >= si) {
                    return Err(format!("{what}: parent must name an earlier step"));
                }
                if si == 0 && s.parent.is_some() {
                    return Err(format!("{what}: the entry step has no parent"));
                }
                if !(s.p50_ms > 0.0 && s.p99_ms >= s.p50_ms && s.p99_ms < 3_600_000.0) {
                    return Err(format!("{what}: need 0 < p50-ms <= p99-ms"));
                }
                if !(0.0..=1.0).contains(&s.error_rate) {
                    return Err(format!("{what}: error-rate is a share, 0 to 1"));
                }
            }
        }
        for (i, f) in self.faults.iter().enumerate() {
            let what = format!("faults[{i}]");
            check_region(&what, &f.region)?;
            check_service(&what, &f.service)?;
            if !(0.0..=1.0).contains(&f.error_rate) {
                return Err(format!("{what}: error-rate is a share, 0 to 1"));
            }
            if f.until.is_some_and(|u| u <= f.from) {
                return Err(format!("{what}: until must be after from"));
            }
        }
        for (i, c) in self.changes.iter().enumerate() {
            let what = format!("changes[{i}]");
            check_region(&what, &c.region)?;
            if let Some(s) = &c.service {
                check_service(&what, s)?;
            }
        }
        for (i, r) in self.requests.iter().enumerate() {
            let what = format!("requests[{i}]");
            check_region(&what, &r.region)?;
            if !self.flows.iter().any(|f| f.name == r.flow) {
                return Err(format!("{what}: flow `{}` is not in [[flows]]", r.flow));
            }
        }
        if self.start >= DAY_MS {
            return Err("start: not a time of day".into());
        }
        Ok(())
    }
}
