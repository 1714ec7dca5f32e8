//! Which change most plausibly caused an anomaly: the changes before its onset, ranked by how
//! close before the onset they landed and how well their scope matches.
//!
//! A rollout that delivers an artifact pushed shortly before (an ECS `UpdateService`, a
//! Kubernetes `RollingUpdate`, a CodeDeploy `CreateDeployment` after an ECR `PutImage` or a
//! Lambda `UpdateFunctionCode` of the same service) is one change: the push is the decision a
//! person made, the rollout is its delivery. The push is the suspect, ranked by the time of
//! the rollout that brought it to production.

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
    /// `23 s before onset · same service · UpdateFunctionConfiguration by deploy-role/deploy-bot`.
    pub reason: String,
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
            let (Some(onset), true) = (st.onset, st.health >= Health::Degraded) else { continue };
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
/// services the anomalous one calls (a change there counts, a little less).
pub fn rank(changes: &[Change], a: &Anomaly, dependencies: &[String]) -> Vec<Suspect> {
    // Artifacts delivered by a later rollout of the same service are judged at the rollout.
    let delivered_by = |i: usize| -> Option<usize> {
        let c = &changes[i];
        if !is_artifact(&c.event) || c.service.is_none() {
            return None;
        }
        changes
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                is_rollout(&r.event)
                    && r.service == c.service
                    && r.region == c.region
                    && r.at >= c.at
                    && r.at - c.at <= DELIVERY_WINDOW
            })
            .min_by_key(|(_, r)| r.at)
            .map(|(j, _)| j)
    };
    let delivers: Vec<Option<usize>> = (0..changes.len()).map(delivered_by).collect();
    let mut out = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        if c.read_only {
            continue;
        }
        // A rollout that delivers a suspect artifact is folded into it.
        if delivers.contains(&Some(i)) {
            continue;
        }
        let effective = delivers[i].map_or(c.at, |j| changes[j].at);
        if effective > a.onset + AFTER_SLACK {
            continue;
        }
        let before = a.onset - effective;
        let time = 0.5f64.powf(before.max(0) as f64 / HALF_LIFE);
        let (scope, scope_text) = match (&c.service, &a.service) {
            (_, _) if c.region != a.region => (0.15, "another region"),
            (Some(s), Some(t)) if s == t => (1.0, "same service"),
            (Some(s), Some(_)) if dependencies.contains(s) => (0.7, "a dependency"),
            (Some(_), Some(_)) => (0.35, "same region, another service"),
            _ => (0.5, "same region"),
        };
        let score = time * scope;
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
            reason: format!("{when} · {scope_text} · {} by {}{via}", c.event, c.identity.short()),
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
}
