//! Evidence for and against a suspect: what the change did, held against what the failing
//! requests and their log lines say.
//!
//! | the change set | it is corroborated by | refuted by |
//! |---|---|---|
//! | a timeout (`timeout`, `Timeout`, …) | failures ending at that many seconds, or saying they timed out after it | none ending there |
//! | memory (`memorySize`) | failures out of memory | none out of memory |
//! | concurrency, counts, capacity, limits | throttled failures (429, `Throttl…`, `Rate exceeded`) | none throttled |
//! | a permission (IAM, resource policies) | AccessDenied / 403 failures | none denied |
//! | a version (an image tag, code `a -> b`) | failing requests' log lines carrying it | their lines carrying the old one |
//! | a parameter or feature flag | failing log lines naming it | none naming it |
//!
//! Pure and deterministic: the inputs are model types ([`RequestSample`], [`LogEvent`],
//! [`Change`]) from any source.

use super::change_kind::{ChangeFacts, ChangeKind};
use crate::model::{Change, Level, LogEvent, Outcome, RequestSample};

/// One piece of evidence about a suspect.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// For (`true`) or against.
    pub holds: bool,
    /// `1,275 failures end at 3.0 s = new timeout 3`, `no AccessDenied in 1,275 failures`.
    pub text: String,
    /// How much it weighs, 0..=1.
    pub weight: f64,
}

impl Check {
    /// `✔ …` or `✘ …`.
    pub fn line(&self) -> String {
        format!("{} {}", if self.holds { "✔" } else { "✘" }, self.text)
    }

    /// What it does to a score: evidence for multiplies it by up to 2, against halves it.
    pub fn factor(&self) -> f64 {
        if self.holds { 1.0 + self.weight } else { 1.0 - 0.5 * self.weight }
    }
}

/// What the failures say, for the changes to be held against.
#[derive(Clone, Copy, Debug, Default)]
pub struct Evidence<'a> {
    /// The failing requests of the anomaly (its service, its window).
    pub failures: &'a [RequestSample],
    /// Log lines at hand (the tail's): those of failing requests and error lines count.
    pub logs: &'a [LogEvent],
}

/// `1275` → `1,275`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn failures_text(n: usize) -> String {
    if n == 1 { "1 failure".into() } else { format!("{} failures", thousands(n)) }
}

fn contains_any(hay: &str, needles: &[&str]) -> bool {
    let lower = hay.to_ascii_lowercase();
    needles.iter().any(|n| lower.contains(&n.to_ascii_lowercase()))
}

const TIMEOUT_KEYS: &[&str] = &["timeout", "timeoutinseconds", "timeoutseconds", "timeoutsec"];
const MEMORY_KEYS: &[&str] = &["memorysize", "memory", "memoryreservation"];
const LIMIT_KEYS: &[&str] = &[
    "reservedconcurrentexecutions",
    "provisionedconcurrentexecutions",
    "maximumconcurrency",
    "desiredcount",
    "desiredcapacity",
    "maxcapacity",
    "maxsize",
    "readcapacityunits",
    "writecapacityunits",
    "ratelimit",
    "burstlimit",
    "limit",
];
const DENIED: &[&str] = &["accessdenied", "not authorized", "forbidden", "unauthorizedoperation"];
const THROTTLED: &[&str] = &[
    "throttl",
    "rate exceeded",
    "toomanyrequests",
    "limitexceeded",
    "provisionedthroughputexceeded",
    "concurrentinvocationlimitexceeded",
];
const OUT_OF_MEMORY: &[&str] =
    &["out of memory", "outofmemory", "memory size exceeded", "signal: killed"];

/// `message` names the number `n` as a whole token (`50` in `pool of 50 exhausted`, not in
/// `500` or `1.50`).
fn mentions_number(message: &str, n: &str) -> bool {
    message
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .any(|tok| tok.trim_end_matches('.') == n)
}

/// The seconds a failure says it timed out after (`Task timed out after 3.00 seconds`).
fn timed_out_after(message: &str) -> Option<f64> {
    let lower = message.to_ascii_lowercase();
    let rest = &lower[lower.find("timed out after")? + "timed out after".len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// A failure ends at `secs` seconds: it lasted that long (within 5 % below, 10 % above),
/// or says it timed out after it.
fn ends_at(r: &RequestSample, secs: f64) -> bool {
    let ms = secs * 1000.0;
    timed_out_after(&r.message).is_some_and(|s| (s - secs).abs() < 0.01)
        || (r.duration_ms >= ms * 0.95 && r.duration_ms <= ms * 1.1 + 100.0)
}

/// Log lines that belong to the failures: of a failing request, or errors of its service.
fn failing_lines<'a>(ev: &Evidence<'a>) -> Vec<&'a LogEvent> {
    ev.logs
        .iter()
        .filter(|l| {
            l.correlation_id
                .as_ref()
                .is_some_and(|c| ev.failures.iter().any(|r| &r.correlation_id == c))
                || (l.level >= Level::Warn && ev.failures.iter().any(|r| r.service == l.service))
        })
        .collect()
}

/// The version a deploy brings (`image message-processor:2.8.0`, `code 4.11.0 -> 4.12.0`,
/// `imageTag`), and the one before when known.
fn versions(c: &Change, f: &ChangeFacts) -> Option<(String, Option<String>)> {
    if let Some(p) = f.param("imagetag").or_else(|| f.param("code")).or_else(|| f.param("version"))
    {
        return Some((p.after.clone(), p.before.clone()));
    }
    let tail = crate::model::text::short_resource(&c.resource);
    tail.rsplit_once(':')
        .map(|(_, v)| v.to_string())
        .filter(|v| v.chars().any(|ch| ch.is_ascii_digit()) && !v.starts_with("sha256"))
        .map(|v| (v, None))
}

/// The names a configuration change may be seen by in log lines: a parameter's last path
/// part, environment variables, a feature flag.
fn named_terms(c: &Change, f: &ChangeFacts) -> Vec<String> {
    let mut out = Vec::new();
    let words: Vec<&str> = c.summary.split_whitespace().collect();
    for w in words.windows(2) {
        if w[0].eq_ignore_ascii_case("flag") {
            out.push(w[1].to_string());
        }
    }
    for p in &f.params {
        if p.key.to_ascii_lowercase().starts_with("environment.variables.") {
            out.push(p.key.rsplit('.').next().unwrap_or(&p.key).to_string());
        }
    }
    if f.event == "PutParameter" && out.is_empty() {
        let name = crate::model::text::short_resource(&c.resource);
        if !name.is_empty() {
            out.push(name.to_string());
        }
    }
    out.retain(|t| t.len() >= 3);
    out.dedup();
    out
}

/// The evidence for and against `c` (with its facts `f`) in `ev`; empty without failures.
pub fn checks(c: &Change, f: &ChangeFacts, ev: &Evidence) -> Vec<Check> {
    let n = ev.failures.len();
    if n == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let count =
        |pred: &dyn Fn(&RequestSample) -> bool| ev.failures.iter().filter(|r| pred(r)).count();
    // Most failures: at least a fifth of them.
    let most = |k: usize| k > 0 && k * 5 >= n;
    for p in &f.params {
        let key = p.key_lower();
        let Ok(value) = p.after.parse::<f64>() else { continue };
        if TIMEOUT_KEYS.contains(&key.as_str()) && value > 0.0 {
            let k = count(&|r| ends_at(r, value));
            out.push(if most(k) {
                Check {
                    holds: true,
                    text: format!(
                        "{} end at {value:.1} s = new timeout {}",
                        failures_text(k),
                        p.after
                    ),
                    weight: 1.0,
                }
            } else {
                Check {
                    holds: false,
                    text: format!(
                        "{} of {} end at {value:.1} s (new timeout {})",
                        thousands(k),
                        failures_text(n),
                        p.after
                    ),
                    weight: 0.6,
                }
            });
        } else if MEMORY_KEYS.contains(&key.as_str()) {
            let k = count(&|r| contains_any(&r.message, OUT_OF_MEMORY));
            out.push(if most(k) {
                Check {
                    holds: true,
                    text: format!("{} out of memory = new memory {}", failures_text(k), p.after),
                    weight: 1.0,
                }
            } else {
                Check {
                    holds: false,
                    text: format!(
                        "no out-of-memory in {} (new memory {})",
                        failures_text(n),
                        p.after
                    ),
                    weight: 0.6,
                }
            });
        } else if LIMIT_KEYS.contains(&key.as_str()) {
            let k = count(&|r| {
                r.outcome == Outcome::Throttle
                    || r.status == 429
                    || contains_any(&r.message, THROTTLED)
            });
            out.push(if most(k) {
                Check {
                    holds: true,
                    text: format!("{} throttled = new {} {}", failures_text(k), p.key, p.after),
                    weight: 1.0,
                }
            } else {
                Check {
                    holds: false,
                    text: format!("no throttling in {} ({} {})", failures_text(n), p.key, p.after),
                    weight: 0.6,
                }
            });
        } else if value.fract() == 0.0 && value.abs() >= 2.0 && p.after.len() <= 12 {
            // Any other number named by the failures themselves (`pool of 50 exhausted`).
            let k = count(&|r| mentions_number(&r.message, &p.after));
            if most(k) {
                out.push(Check {
                    holds: true,
                    text: format!(
                        "{} mention {} = {} {}",
                        failures_text(k),
                        p.after,
                        p.key,
                        p.after
                    ),
                    weight: 0.6,
                });
            }
        }
    }
    if f.kind == ChangeKind::Permission {
        let k = count(&|r| r.status == 403 || contains_any(&r.message, DENIED));
        out.push(if most(k) {
            Check {
                holds: true,
                text: format!("{} of {} are AccessDenied", thousands(k), failures_text(n)),
                weight: 1.0,
            }
        } else if k > 0 {
            Check {
                holds: false,
                text: format!("only {} of {} are AccessDenied", thousands(k), failures_text(n)),
                weight: 0.6,
            }
        } else {
            Check {
                holds: false,
                text: format!("no AccessDenied in {}", failures_text(n)),
                weight: 1.0,
            }
        });
    }
    let lines = failing_lines(ev);
    if f.kind == ChangeKind::Deploy
        && let Some((new, old)) = versions(c, f)
    {
        let carries = |v: &str| {
            ev.failures
                .iter()
                .filter(|r| {
                    lines.iter().any(|l| {
                        l.correlation_id.as_deref() == Some(&r.correlation_id) && l.raw.contains(v)
                    })
                })
                .count()
        };
        let (k_new, k_old) = (carries(&new), old.as_deref().map_or(0, carries));
        if k_new > 0 {
            out.push(Check {
                holds: true,
                text: format!("{} of {} ran {new}", thousands(k_new), failures_text(n)),
                weight: 0.8,
            });
        } else if k_old > 0 {
            let old = old.unwrap_or_default();
            out.push(Check {
                holds: false,
                text: format!("{} ran {old}, the version before {new}", failures_text(k_old)),
                weight: 0.8,
            });
        }
    }
    if f.kind == ChangeKind::Config {
        for term in named_terms(c, f) {
            let k =
                lines.iter().filter(|l| l.raw.contains(&term) || l.message.contains(&term)).count();
            out.push(if k > 0 {
                Check {
                    holds: true,
                    text: format!("{} failing log lines name {term}", thousands(k)),
                    weight: 0.6,
                }
            } else {
                Check {
                    holds: false,
                    text: format!("no failing log line names {term}"),
                    weight: 0.4,
                }
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::change_kind::facts;

    fn failure(i: usize, status: u16, duration_ms: f64, message: &str) -> RequestSample {
        RequestSample {
            at: i as i64 * 1000,
            region: "eu-west-1".into(),
            service: "worker".into(),
            operation: "Approve".into(),
            correlation_id: format!("c-{i}"),
            tenant: "t".into(),
            status,
            outcome: Outcome::Fault,
            duration_ms,
            trace_id: None,
            message: message.into(),
        }
    }

    fn timeouts(n: usize) -> Vec<RequestSample> {
        (0..n).map(|i| failure(i, 504, 3000.4, "Task timed out after 3.00 seconds")).collect()
    }

    #[test]
    fn a_timeout_change_is_corroborated_by_timeouts() {
        let c = Change {
            event: "UpdateFunctionConfiguration20150331v2".into(),
            summary: "Timeout 30 -> 3".into(),
            ..Change::default()
        };
        let failures = timeouts(1275);
        let got = checks(&c, &facts(&c), &Evidence { failures: &failures, logs: &[] });
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].line(), "✔ 1,275 failures end at 3.0 s = new timeout 3");
        assert!(got[0].factor() > 1.5);
        // Against failures that end elsewhere it is refuted.
        let slow: Vec<_> = (0..10).map(|i| failure(i, 500, 800.0, "Internal error")).collect();
        let got = checks(&c, &facts(&c), &Evidence { failures: &slow, logs: &[] });
        assert_eq!(got[0].line(), "✘ 0 of 10 failures end at 3.0 s (new timeout 3)");
        assert!(got[0].factor() < 1.0);
    }

    #[test]
    fn a_permission_change_needs_access_denied() {
        let c = Change {
            event: "PutRolePolicy".into(),
            event_source: "iam.amazonaws.com".into(),
            ..Change::default()
        };
        let got = checks(&c, &facts(&c), &Evidence { failures: &timeouts(1275), logs: &[] });
        assert_eq!(
            got.iter().map(Check::line).collect::<Vec<_>>(),
            ["✘ no AccessDenied in 1,275 failures"]
        );
        let denied: Vec<_> = (0..4)
            .map(|i| {
                failure(
                    i,
                    403,
                    20.0,
                    "AccessDeniedException: not authorized to perform dynamodb:PutItem",
                )
            })
            .collect();
        let got = checks(&c, &facts(&c), &Evidence { failures: &denied, logs: &[] });
        assert_eq!(got[0].line(), "✔ 4 of 4 failures are AccessDenied");
    }

    #[test]
    fn memory_limits_versions_and_flags() {
        let mem = Change {
            event: "UpdateFunctionConfiguration".into(),
            summary: "MemorySize 256 -> 128".into(),
            ..Change::default()
        };
        let oom: Vec<_> = (0..3)
            .map(|i| failure(i, 502, 900.0, "Runtime exited with error: signal: killed"))
            .collect();
        assert_eq!(
            checks(&mem, &facts(&mem), &Evidence { failures: &oom, logs: &[] })[0].line(),
            "✔ 3 failures out of memory = new memory 128"
        );
        let conc = Change {
            event: "PutFunctionConcurrency20171031".into(),
            summary: "reservedConcurrentExecutions=5".into(),
            ..Change::default()
        };
        let mut thr = oom.clone();
        thr.iter_mut().for_each(|r| {
            r.outcome = Outcome::Throttle;
            r.status = 429;
        });
        assert_eq!(
            checks(&conc, &facts(&conc), &Evidence { failures: &thr, logs: &[] })[0].line(),
            "✔ 3 failures throttled = new reservedConcurrentExecutions 5"
        );
        assert!(!checks(&conc, &facts(&conc), &Evidence { failures: &oom, logs: &[] })[0].holds);

        let push = Change {
            event: "PutImage".into(),
            resource: "arn:aws:ecr:us-east-1:1:repository/proc:2.8.0".into(),
            ..Change::default()
        };
        let line = |cid: &str, raw: &str| LogEvent {
            at: 0,
            region: "us-east-1".into(),
            service: "worker".into(),
            level: Level::Info,
            message: "handled".into(),
            correlation_id: Some(cid.into()),
            tenant: None,
            operation: None,
            trace_id: None,
            request_id: None,
            raw: raw.into(),
        };
        let logs =
            vec![line("c-0", r#"{"version":"2.8.0"}"#), line("c-1", r#"{"version":"2.8.0"}"#)];
        let got = checks(&push, &facts(&push), &Evidence { failures: &oom, logs: &logs });
        assert_eq!(got[0].line(), "✔ 2 of 3 failures ran 2.8.0");
        // No log line says a version: nothing is claimed either way.
        assert!(checks(&push, &facts(&push), &Evidence { failures: &oom, logs: &[] }).is_empty());

        let flag = Change {
            event: "PutParameter".into(),
            resource: "/invoices/feature-flags".into(),
            summary: "feature flag pdf-preview on".into(),
            ..Change::default()
        };
        let got = checks(&flag, &facts(&flag), &Evidence { failures: &oom, logs: &logs });
        assert_eq!(got[0].line(), "✘ no failing log line names pdf-preview");
        let named = vec![line("c-2", r#"{"message":"pdf-preview render failed"}"#)];
        assert!(checks(&flag, &facts(&flag), &Evidence { failures: &oom, logs: &named })[0].holds);
    }

    #[test]
    fn numbers_named_by_the_failures() {
        let c = Change {
            event: "PutParameter".into(),
            summary: "maxConnections 200 -> 50".into(),
            ..Change::default()
        };
        let pool: Vec<_> =
            (0..5).map(|i| failure(i, 503, 10.0, "connection pool of 50 exhausted")).collect();
        let got = checks(&c, &facts(&c), &Evidence { failures: &pool, logs: &[] });
        assert_eq!(got[0].line(), "✔ 5 failures mention 50 = maxConnections 50");
        let other: Vec<_> =
            (0..5).map(|i| failure(i, 500, 10.0, "HTTP 500 after 1.50 s")).collect();
        let got = checks(&c, &facts(&c), &Evidence { failures: &other, logs: &[] });
        assert!(got.iter().all(|c| !c.text.contains("mention")), "{got:?}");
    }

    #[test]
    fn no_failures_no_claims() {
        let c = Change {
            event: "UpdateFunctionConfiguration".into(),
            summary: "Timeout 30 -> 3".into(),
            ..Change::default()
        };
        assert!(checks(&c, &facts(&c), &Evidence::default()).is_empty());
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
