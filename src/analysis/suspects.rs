//! Which change most plausibly caused an anomaly: the changes before its onset, ranked by how
//! close before the onset they landed, how well their scope matches, and what the failing
//! requests say about what they did.
//!
//! Changes are judged by what they are ([`change_kind`](super::change_kind)): event names
//! without API versions, logins and reads never suspects, global-service changes (IAM, …,
//! recorded in us-east-1) in scope of every region and linked to the services whose
//! execution role they touch.
//!
//! A rollout that delivers an artifact pushed shortly before (an ECS `UpdateService`, a
//! Kubernetes `RollingUpdate`, a CodeDeploy `CreateDeployment` after an ECR `PutImage` or a
//! Lambda `UpdateFunctionCode` of the same service) is one change: the push is the decision a
//! person made, the rollout is its delivery. The push is the suspect, ranked by the time of
//! the rollout that brought it to production.
//!
//! Each suspect carries the evidence for and against it ([`corroborate`](super::corroborate)),
//! folded into its score: a check for it multiplies the score by up to 2, one against it
//! halves it at most.

use super::change_kind::{ChangeFacts, ChangeKind, execution_roles_of, facts};
use super::corroborate::{Check, Evidence, checks};
use super::{Health, row_stats};
use crate::model::{Change, MINUTE_MS, MetricsSnapshot, Millis};

/// The anomaly to explain: where, and when it started.
#[derive(Clone, Debug, PartialEq)]
pub struct Anomaly {
    pub region: String,
    /// The service it shows at, when known.
    pub service: Option<String>,
    pub onset: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Suspect {
    /// Index into the changes ranked.
    pub change: usize,
    /// The rollout that delivered it, when the suspect is an artifact.
    pub delivered_by: Option<usize>,
    pub score: f64,
    pub kind: ChangeKind,
    /// `23 s before onset · same service · UpdateFunctionConfiguration by deploy-role/deploy-bot`.
    pub reason: String,
    /// Evidence for and against, strongest first.
    pub checks: Vec<Check>,
}

/// What the ranking knows besides the changes and the anomaly.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    /// The services the anomalous one calls (a change there counts, a little less).
    pub dependencies: &'a [String],
    /// Execution roles of services from the config: `(role name, service)`. Those the
    /// changes give their functions are added.
    pub roles: &'a [(String, String)],
    /// The failing requests and log lines the changes are held against.
    pub evidence: Evidence<'a>,
}

/// The anomaly of a region (or of one service in it): the worst series among the services
/// and their operations that left its baseline, and the earliest onset at that health.
pub fn anomaly(
    snap: &MetricsSnapshot,
    region: &str,
    service: Option<&str>,
    window: Millis,
    baseline: Millis,
) -> Option<Anomaly> {
    let m = snap.regions.get(region)?;
    let mut found: Option<(Health, Millis, String)> = None;
    for (name, s) in &m.services {
        if service.is_some_and(|x| x != name) {
            continue;
        }
        for series in std::iter::once(&s.total).chain(s.operations.values()) {
            let st = row_stats(series, snap.now, window, baseline);
            // An anomaly over already (recovered) is still the one to explain.
            let judged = st.health >= Health::Degraded || st.recovered.is_some();
            let (Some(onset), true) = (st.onset, judged) else { continue };
            let better = match &found {
                None => true,
                Some((h, o, _)) => st.health > *h || (st.health == *h && onset < *o),
            };
            if better {
                found = Some((st.health, onset, name.clone()));
            }
        }
    }
    found.map(|(_, onset, name)| Anomaly { region: region.to_string(), service: Some(name), onset })
}

/// The incident of the boundary, whatever is in view: the anomaly of the region at the worst
/// health (the earliest onset among equals).
pub fn incident<'a>(
    snap: &MetricsSnapshot,
    regions: impl IntoIterator<Item = &'a str>,
    window: Millis,
    baseline: Millis,
) -> Option<Anomaly> {
    let mut best: Option<(Health, Anomaly)> = None;
    for region in regions {
        let Some(a) = anomaly(snap, region, None, window, baseline) else { continue };
        let health = snap
            .regions
            .get(region)
            .and_then(|m| a.service.as_ref().and_then(|s| m.services.get(s)))
            .map(|s| {
                std::iter::once(&s.total)
                    .chain(s.operations.values())
                    .map(|x| row_stats(x, snap.now, window, baseline).health)
                    .max()
                    .unwrap_or(Health::NoData)
            })
            .unwrap_or(Health::NoData);
        let better = match &best {
            None => true,
            Some((h, b)) => health > *h || (health == *h && a.onset < b.onset),
        };
        if better {
            best = Some((health, a));
        }
    }
    best.map(|(_, a)| a)
}

/// A change is not a suspect if it landed more than this after the onset (the onset is known
/// to the minute).
const AFTER_SLACK: Millis = MINUTE_MS;
/// How fast suspicion fades with time before the onset.
const HALF_LIFE: f64 = 20.0 * MINUTE_MS as f64;
/// A rollout delivers an artifact pushed at most this long before it.
const DELIVERY_WINDOW: Millis = 60 * MINUTE_MS;

fn is_artifact(event: &str) -> bool {
    matches!(event, "PutImage" | "UpdateFunctionCode" | "PublishVersion" | "PutObject")
}

fn is_rollout(event: &str) -> bool {
    matches!(
        event,
        "UpdateService" | "RollingUpdate" | "CreateDeployment" | "UpdateAlias" | "UpdateStack"
    )
}

/// How much a kind of change is suspected, before anything else.
fn kind_weight(k: ChangeKind) -> f64 {
    match k {
        ChangeKind::Deploy | ChangeKind::Config | ChangeKind::Permission => 1.0,
        ChangeKind::Scaling => 0.9,
        ChangeKind::Data => 0.4,
        ChangeKind::Session | ChangeKind::Read => 0.0,
    }
}

/// `23 s`, `4 min`, `3 h`, `2 d`.
pub fn span_text(ms: Millis) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

/// Rank the changes that may explain `a`; most plausible first. `dependencies` are the
/// services the anomalous one calls. Without failing requests to hold them against (see
/// [`rank_with`]).
pub fn rank(changes: &[Change], a: &Anomaly, dependencies: &[String]) -> Vec<Suspect> {
    rank_with(changes, a, &Context { dependencies, ..Context::default() })
}

/// How well a change's scope matches the anomaly's, and the words for it.
fn scope_of(
    c: &Change,
    f: &ChangeFacts,
    a: &Anomaly,
    ctx: &Context,
    roles: &[(String, String)],
) -> (f64, String) {
    if f.global {
        let service_of_role = |r: &String| {
            roles.iter().filter(|(role, _)| role == r).map(|(_, s)| s.clone()).collect::<Vec<_>>()
        };
        for r in &f.roles_touched {
            let services = service_of_role(r);
            if a.service.as_ref().is_some_and(|s| services.contains(s)) {
                return (0.9, format!("global · the execution role {r} of the service"));
            }
            if services.iter().any(|s| ctx.dependencies.contains(s)) {
                return (0.6, format!("global · the execution role {r} of a dependency"));
            }
            // A role named after the service (`settlement-worker-role`), when nothing says
            // whose role it is.
            if services.is_empty()
                && let Some(s) = &a.service
                && named_after(r, s)
            {
                return (0.8, format!("global · the role {r}, named after the service"));
            }
        }
        return (0.3, "global service".to_string());
    }
    let (score, text) = match (&c.service, &a.service) {
        (_, _) if c.region != a.region => (0.15, "another region"),
        (Some(s), Some(t)) if s == t => (1.0, "same service"),
        (Some(s), Some(_)) if ctx.dependencies.contains(s) => (0.7, "a dependency"),
        (Some(_), Some(_)) => (0.35, "same region, another service"),
        _ => (0.5, "same region"),
    };
    (score, text.to_string())
}

/// `role` is named after `service`: it starts or ends with the service's name at a word
/// boundary (`settlement-worker-role`, `role-settlement-worker`, `settlement-worker`).
fn named_after(role: &str, service: &str) -> bool {
    let (r, s) = (role.to_ascii_lowercase(), service.to_ascii_lowercase());
    if s.len() < 3 {
        return false;
    }
    let sep = |c: Option<char>| c.is_none_or(|c| matches!(c, '-' | '_' | '.'));
    r == s
        || (r.starts_with(&s) && sep(r[s.len()..].chars().next()))
        || (r.ends_with(&s) && sep(r[..r.len() - s.len()].chars().last()))
}

/// Rank the changes that may explain `a`, holding each against the evidence in `ctx`; most
/// plausible first.
pub fn rank_with(changes: &[Change], a: &Anomaly, ctx: &Context) -> Vec<Suspect> {
    let all: Vec<ChangeFacts> = changes.iter().map(facts).collect();
    rank_with_facts(changes, &all, a, ctx)
}

/// [`rank_with`] with the changes' facts at hand (one per change, in the same order), so a
/// feed that ranks often parses its records once.
pub fn rank_with_facts(
    changes: &[Change],
    all_facts: &[ChangeFacts],
    a: &Anomaly,
    ctx: &Context,
) -> Vec<Suspect> {
    if all_facts.len() != changes.len() {
        return rank_with(changes, a, ctx);
    }
    let roles = execution_roles_of(changes, all_facts, ctx.roles);
    // Artifacts delivered by a later rollout of the same service are judged at the rollout.
    let delivered_by = |i: usize| -> Option<usize> {
        let c = &changes[i];
        if !is_artifact(&all_facts[i].event) || c.service.is_none() {
            return None;
        }
        changes
            .iter()
            .enumerate()
            .filter(|(j, r)| {
                is_rollout(&all_facts[*j].event)
                    && r.service == c.service
                    && r.region == c.region
                    && r.at >= c.at
                    && r.at - c.at <= DELIVERY_WINDOW
            })
            .min_by_key(|(_, r)| r.at)
            .map(|(j, _)| j)
    };
    let delivers: Vec<Option<usize>> = (0..changes.len()).map(delivered_by).collect();
    let mut is_delivery = vec![false; changes.len()];
    for j in delivers.iter().flatten() {
        is_delivery[*j] = true;
    }
    let mut out = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        let f = &all_facts[i];
        if c.read_only || !f.kind.may_cause() {
            continue;
        }
        // A rollout that delivers a suspect artifact is folded into it.
        if is_delivery[i] {
            continue;
        }
        let effective = delivers[i].map_or(c.at, |j| changes[j].at);
        if effective > a.onset + AFTER_SLACK {
            continue;
        }
        let before = a.onset - effective;
        let time = 0.5f64.powf(before.max(0) as f64 / HALF_LIFE);
        let (scope, scope_text) = scope_of(c, f, a, ctx, &roles);
        // The evidence of the rollout counts for the push it delivers (its version, say).
        let mut found = checks(c, f, &ctx.evidence);
        if let Some(j) = delivers[i] {
            for extra in checks(&changes[j], &all_facts[j], &ctx.evidence) {
                if !found.iter().any(|x| x.text == extra.text) {
                    found.push(extra);
                }
            }
        }
        found.sort_by(|x, y| y.weight.total_cmp(&x.weight).then(y.holds.cmp(&x.holds)));
        let evidence: f64 = found.iter().map(Check::factor).product();
        let score = time * scope * kind_weight(f.kind) * evidence;
        // The onset is known to the minute: a change inside that minute is "at" the onset.
        let when = if before >= 0 {
            format!("{} before onset", span_text(before))
        } else {
            "in the minute of the onset".to_string()
        };
        let via = delivers[i]
            .map(|j| format!(", rolled out {} later", span_text(changes[j].at - c.at)))
            .unwrap_or_default();
        out.push(Suspect {
            change: i,
            delivered_by: delivers[i],
            score,
            kind: f.kind,
            reason: format!("{when} · {scope_text} · {} by {}{via}", f.event, c.identity.short()),
            checks: found,
        });
    }
    out.sort_by(|x, y| {
        y.score.total_cmp(&x.score).then(changes[y.change].at.cmp(&changes[x.change].at))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Identity;

    fn change(at: Millis, region: &str, service: Option<&str>, event: &str) -> Change {
        Change {
            id: format!("{event}-{at}"),
            at,
            region: region.into(),
            event: event.into(),
            service: service.map(Into::into),
            identity: Identity {
                kind: "AssumedRole".into(),
                principal: "p".into(),
                ..Default::default()
            },
            ..Change::default()
        }
    }

    #[test]
    fn closer_and_in_scope_ranks_first() {
        let onset = 100 * MINUTE_MS;
        let changes = vec![
            change(onset - 30_000, "eu-west-1", Some("worker"), "UpdateFunctionConfiguration"),
            change(onset - 10_000, "us-west-2", Some("worker"), "PutParameter"),
            change(onset - 5 * MINUTE_MS, "eu-west-1", Some("api"), "UpdateFunctionCode"),
            change(
                onset + 10 * MINUTE_MS,
                "eu-west-1",
                Some("worker"),
                "UpdateFunctionConfiguration",
            ),
            Change {
                read_only: true,
                ..change(onset - 1000, "eu-west-1", Some("worker"), "GetFunction")
            },
        ];
        let a = Anomaly { region: "eu-west-1".into(), service: Some("worker".into()), onset };
        let r = rank(&changes, &a, &["api".to_string()]);
        let order: Vec<usize> = r.iter().map(|s| s.change).collect();
        assert_eq!(order, vec![0, 2, 1], "after the onset and read-only events are not suspects");
        assert!(
            r[0].reason
                .starts_with("30 s before onset · same service · UpdateFunctionConfiguration"),
            "{}",
            r[0].reason
        );
        assert!(r[1].reason.contains("a dependency"));
    }

    #[test]
    fn an_artifact_is_judged_at_its_rollout() {
        let onset = 100 * MINUTE_MS;
        let changes = vec![
            change(onset - 100_000, "us-east-1", Some("proc"), "PutImage"),
            change(onset - 55_000, "us-east-1", Some("proc"), "RollingUpdate"),
            change(onset - 20 * MINUTE_MS, "us-east-1", Some("proc"), "UpdateTable"),
        ];
        let a = Anomaly { region: "us-east-1".into(), service: Some("proc".into()), onset };
        let r = rank(&changes, &a, &[]);
        assert_eq!(r[0].change, 0);
        assert_eq!(r[0].delivered_by, Some(1));
        assert!(r[0].reason.contains("rolled out 45 s later"), "{}", r[0].reason);
        assert!(r.iter().all(|s| s.change != 1), "the rollout is folded into the push");
    }

    #[test]
    fn versioned_lambda_names_fold_and_rank_like_plain_ones() {
        let onset = 100 * MINUTE_MS;
        let plain = vec![
            change(onset - 100_000, "eu-west-1", Some("fn"), "UpdateFunctionCode"),
            change(onset - 55_000, "eu-west-1", Some("fn"), "UpdateAlias"),
            change(onset - 20 * MINUTE_MS, "eu-west-1", Some("fn"), "UpdateFunctionConfiguration"),
        ];
        let versioned: Vec<Change> = plain
            .iter()
            .map(|c| {
                let event = match c.event.as_str() {
                    "UpdateAlias" => "UpdateAlias20150331".to_string(),
                    e => format!("{e}20150331v2"),
                };
                Change { event, ..c.clone() }
            })
            .collect();
        let a = Anomaly { region: "eu-west-1".into(), service: Some("fn".into()), onset };
        let (p, v) = (rank(&plain, &a, &[]), rank(&versioned, &a, &[]));
        let key = |r: &[Suspect]| r.iter().map(|s| (s.change, s.delivered_by)).collect::<Vec<_>>();
        assert_eq!(key(&p), key(&v));
        assert_eq!(v[0].delivered_by, Some(1), "the code is judged at its alias update");
        assert!(v[0].reason.contains("UpdateFunctionCode by"), "{}", v[0].reason);
        assert_eq!(v[0].score, p[0].score);
    }

    fn record(c: Change, source: &str, params: serde_json::Value) -> Change {
        let raw = serde_json::json!({"eventSource": source, "requestParameters": params});
        Change { event_source: source.into(), raw: raw.to_string(), ..c }
    }

    /// An EU boundary: the timeout change on the worker, an IAM policy change on the worker's
    /// execution role (recorded in us-east-1), an SSO login, an older change elsewhere.
    fn eu_incident() -> (Vec<Change>, Anomaly) {
        let onset = 100 * MINUTE_MS;
        let changes = vec![
            record(
                change(
                    onset - 23_000,
                    "eu-west-1",
                    Some("worker"),
                    "UpdateFunctionConfiguration20150331v2",
                ),
                "lambda.amazonaws.com",
                serde_json::json!({"functionName": "worker", "timeout": 3}),
            ),
            record(
                change(onset - 3 * MINUTE_MS, "us-east-1", None, "PutRolePolicy"),
                "iam.amazonaws.com",
                serde_json::json!({"roleName": "worker-role", "policyName": "ledger",
                                   "policyDocument": "{}"}),
            ),
            record(
                change(onset - 60_000, "eu-west-1", None, "CreateToken"),
                "sso-oidc.amazonaws.com",
                serde_json::json!({"clientId": "x", "grantType": "refresh_token"}),
            ),
            record(
                change(
                    onset - 40 * MINUTE_MS,
                    "eu-west-1",
                    Some("worker"),
                    "CreateFunction20150331",
                ),
                "lambda.amazonaws.com",
                serde_json::json!({"functionName": "worker",
                                   "role": "arn:aws:iam::1:role/worker-role"}),
            ),
        ];
        (changes, Anomaly { region: "eu-west-1".into(), service: Some("worker".into()), onset })
    }

    fn timeouts(n: usize) -> Vec<crate::model::RequestSample> {
        (0..n)
            .map(|i| crate::model::RequestSample {
                at: i as Millis,
                region: "eu-west-1".into(),
                service: "worker".into(),
                operation: "Approve".into(),
                correlation_id: format!("c-{i}"),
                tenant: "t".into(),
                status: 504,
                outcome: crate::model::Outcome::Fault,
                duration_ms: 3000.0,
                trace_id: None,
                message: "Task timed out after 3.00 seconds".into(),
            })
            .collect()
    }

    #[test]
    fn a_global_iam_change_on_the_execution_role_ranks_second_refuted_and_a_login_never() {
        let (changes, a) = eu_incident();
        let failures = timeouts(1275);
        let ctx =
            Context { evidence: Evidence { failures: &failures, logs: &[] }, ..Context::default() };
        let r = rank_with(&changes, &a, &ctx);
        let order: Vec<usize> = r.iter().map(|s| s.change).collect();
        assert_eq!(order[..2], [0, 1], "{r:#?}");
        assert!(!order.contains(&2), "a login is never a suspect");
        assert_eq!(r[0].checks[0].line(), "✔ 1,275 failures end at 3.0 s = new timeout 3");
        assert!(
            r[1].reason.contains("global · the execution role worker-role of the service"),
            "{}",
            r[1].reason
        );
        assert_eq!(r[1].checks[0].line(), "✘ no AccessDenied in 1,275 failures");
        assert_eq!(r[1].kind, ChangeKind::Permission);
        // Without evidence the IAM change is still in scope (not "another region").
        let r = rank(&changes, &a, &[]);
        let iam = r.iter().find(|s| s.change == 1).expect("the IAM change is a suspect");
        assert!(!iam.reason.contains("another region"), "{}", iam.reason);
        // The evidence moves the scores: for the timeout change up, against the policy down.
        let plain: Vec<f64> =
            [0, 1].iter().map(|i| r.iter().find(|s| s.change == *i).unwrap().score).collect();
        let weighed = rank_with(&changes, &a, &ctx);
        assert!(weighed[0].score > plain[0] && weighed[1].score < plain[1]);
    }

    #[test]
    fn a_role_named_after_the_service_is_linked_to_it() {
        assert!(named_after("settlement-worker-role", "settlement-worker"));
        assert!(named_after("role_settlement-worker", "settlement-worker"));
        assert!(!named_after("settlement-workers-role", "settlement-worker"));
        assert!(!named_after("other-role", "settlement-worker"));
        let (mut changes, a) = eu_incident();
        changes.pop(); // no CreateFunction: nothing says whose role it is
        changes[1].raw = changes[1].raw.replace("worker-role", "ledger-role");
        let r = rank(&changes, &a, &[]);
        let iam = r.iter().find(|s| s.change == 1).unwrap();
        assert!(iam.reason.contains("global service"), "{}", iam.reason);
        changes[1].raw = changes[1].raw.replace("ledger-role", "worker-role");
        let r = rank(&changes, &a, &[]);
        let iam = r.iter().find(|s| s.change == 1).unwrap();
        assert!(
            iam.reason.contains("the role worker-role, named after the service"),
            "{}",
            iam.reason
        );
    }

    #[test]
    fn a_login_is_never_a_suspect() {
        let onset = 100 * MINUTE_MS;
        for (event, source) in [
            ("ConsoleLogin", "signin.amazonaws.com"),
            ("CreateToken", "sso-oidc.amazonaws.com"),
            ("AssumeRole", "sts.amazonaws.com"),
            ("GetRoleCredentials", "sso.amazonaws.com"),
        ] {
            let c = record(
                change(onset - 1000, "eu-west-1", Some("worker"), event),
                source,
                serde_json::json!({}),
            );
            let a = Anomaly { region: "eu-west-1".into(), service: Some("worker".into()), onset };
            assert!(rank(&[c], &a, &[]).is_empty(), "{event}");
        }
    }
}
