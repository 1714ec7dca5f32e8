//! What a change is, whatever the audit trail calls it: its name without API versions, its
//! kind, whether a global service made it, the values it set and the roles it touches.
//!
//! * **Names**: CloudTrail records Lambda calls with their API version
//!   (`UpdateFunctionConfiguration20150331v2`); every rule compares [`ChangeFacts::event`],
//!   the name without it, while [`Change::event`] keeps the name as recorded for display.
//! * **Kinds** ([`ChangeKind`]): deploy, config, permission, scaling, data, login/session and
//!   read. Logins and reads change nothing a request depends on and are never suspects.
//! * **Global services**: IAM, STS (its global endpoint), Organizations, Route 53,
//!   CloudFront and sign-in are recorded in us-east-1 whatever region the resource they
//!   affect lives in; [`ChangeFacts::global`] puts them in scope of every region.
//! * **Values**: the request parameters a change set (`timeout` = `3`), from the CloudTrail
//!   record, or from a summary that spells them (`Timeout 30 -> 3 (seconds)`), with the value
//!   before when the summary says it.
//! * **Roles**: the IAM roles a change touches (`PutRolePolicy`'s `roleName`) and the
//!   execution role a function was given (`UpdateFunctionConfiguration`'s or
//!   `CreateFunction`'s `role`), so a policy change is linked to the services that run with
//!   that role ([`execution_roles`]).

use crate::model::Change;
use serde_json::Value;

/// What a change does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// New code or a new artifact, and its rollout.
    Deploy,
    /// A setting: a function's configuration, a parameter, a rule, a table.
    Config,
    /// Who may do what: IAM policies, resource policies, security groups, keys.
    Permission,
    /// How much runs: desired counts, concurrency, capacity.
    Scaling,
    /// Data written through the control plane's audit trail (objects, items, messages).
    Data,
    /// A login or a session (console sign-in, SSO tokens, assumed roles): changes nothing.
    Session,
    /// A call that reads only.
    Read,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Deploy => "deploy",
            ChangeKind::Config => "config",
            ChangeKind::Permission => "permission",
            ChangeKind::Scaling => "scaling",
            ChangeKind::Data => "data",
            ChangeKind::Session => "login/session",
            ChangeKind::Read => "read",
        }
    }

    /// Whether a change of this kind may be a suspect at all.
    pub fn may_cause(self) -> bool {
        !matches!(self, ChangeKind::Session | ChangeKind::Read)
    }
}

/// A value a change set, and the value before when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// As recorded (`timeout`, `Timeout`, `environment.variables.FLAG`).
    pub key: String,
    pub before: Option<String>,
    pub after: String,
}

impl Param {
    /// `timeout` for `Timeout`, `memorysize` for `memorySize`: keys compared in lower case.
    pub fn key_lower(&self) -> String {
        self.key.rsplit('.').next().unwrap_or(&self.key).to_ascii_lowercase()
    }

    /// `Timeout 30 -> 3`, `timeout 3`.
    pub fn text(&self) -> String {
        match &self.before {
            Some(b) => format!("{} {b} -> {}", self.key, self.after),
            None => format!("{} {}", self.key, self.after),
        }
    }
}

/// What warroom makes of a change.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeFacts {
    /// The event name without an API version.
    pub event: String,
    pub kind: ChangeKind,
    /// Made by a global service (recorded in us-east-1, in scope of every region).
    pub global: bool,
    pub params: Vec<Param>,
    /// IAM role names the change touches (a role's policy, its trust policy).
    pub roles_touched: Vec<String>,
    /// The execution role the change gave its resource (a function's `role`).
    pub execution_role: Option<String>,
}

impl ChangeFacts {
    /// The value set for a key (compared in lower case, the last dotted part).
    pub fn param(&self, key: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.key_lower() == key)
    }
}

/// The region global services record their events in.
pub const GLOBAL_REGION: &str = "us-east-1";

/// Services whose calls are recorded in us-east-1 whatever the region they affect.
const GLOBAL_SOURCES: &[&str] = &[
    "iam.amazonaws.com",
    "organizations.amazonaws.com",
    "route53.amazonaws.com",
    "cloudfront.amazonaws.com",
    "signin.amazonaws.com",
];

/// Logins and sessions: they change nothing a request depends on.
const SESSION_EVENTS: &[&str] = &[
    "ConsoleLogin",
    "CreateToken",
    "CreateTokenWithIAM",
    "RegisterClient",
    "StartDeviceAuthorization",
    "Authenticate",
    "Federate",
    "GetRoleCredentials",
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "GetSessionToken",
    "GetFederationToken",
    "SwitchRole",
    "ExitRole",
    "CredentialChallenge",
    "CredentialVerification",
    "UserAuthentication",
    "Logout",
    "CheckMfa",
];

const SESSION_SOURCES: &[&str] = &[
    "signin.amazonaws.com",
    "sso.amazonaws.com",
    "sso-oidc.amazonaws.com",
    "sso-oauth.amazonaws.com",
    "portal.sso.amazonaws.com",
];

/// New code or an artifact, and the rollouts that deliver it.
const DEPLOY_EVENTS: &[&str] = &[
    "PutImage",
    "UpdateFunctionCode",
    "PublishVersion",
    "UpdateAlias",
    "CreateFunction",
    "CreateDeployment",
    "RollingUpdate",
    "UpdateStack",
    "CreateStack",
    "ExecuteChangeSet",
    "RegisterTaskDefinition",
    "PublishLayerVersion",
    "CreateImage",
    "StartPipelineExecution",
];

const SCALING_EVENTS: &[&str] = &[
    "PutFunctionConcurrency",
    "DeleteFunctionConcurrency",
    "PutProvisionedConcurrencyConfig",
    "DeleteProvisionedConcurrencyConfig",
    "RegisterScalableTarget",
    "PutScalingPolicy",
    "DeleteScalingPolicy",
    "SetDesiredCapacity",
    "UpdateAutoScalingGroup",
    "PutScheduledUpdateGroupAction",
];

const PERMISSION_EVENTS: &[&str] = &[
    "AddPermission",
    "RemovePermission",
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutKeyPolicy",
    "CreateGrant",
    "RevokeGrant",
    "PutResourcePolicy",
    "DeleteResourcePolicy",
    "SetQueueAttributes",
    "AddPermissionToQueue",
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "PutRepositoryPolicy",
];

const DATA_EVENTS: &[&str] = &[
    "PutObject",
    "DeleteObject",
    "DeleteObjects",
    "CopyObject",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "SendMessage",
    "PutEvents",
    "PutRecord",
    "PutRecords",
    "Publish",
    "Invoke",
];

/// Request parameters that only name the resource, not what changed.
const IDENTIFYING_KEYS: &[&str] = &[
    "functionName",
    "cluster",
    "service",
    "qualifier",
    "roleName",
    "policyName",
    "repositoryName",
    "registryId",
    "stackName",
    "name",
    "revisionId",
];

/// The name in an IAM role ARN (`arn:aws:iam::1:role/path/worker-role` → `worker-role`).
pub fn role_name(arn_or_name: &str) -> &str {
    arn_or_name.rsplit('/').next().unwrap_or(arn_or_name)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The scalar request parameters of a record, nested objects as dotted keys (two levels).
fn record_params(record: &Value) -> Vec<Param> {
    let mut out = Vec::new();
    fn walk(prefix: &str, v: &Value, depth: usize, out: &mut Vec<Param>) {
        let Some(o) = v.as_object() else { return };
        for (k, v) in o {
            let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            match scalar(v) {
                Some(s) => out.push(Param { key, before: None, after: s }),
                None if depth < 3 => walk(&key, v, depth + 1, out),
                None => {}
            }
        }
    }
    if let Some(p) = record.get("requestParameters") {
        walk("", p, 0, &mut out);
    }
    out
}

/// Values a summary spells: `Timeout 30 -> 3 (seconds)`, `MemorySize 256 -> 512`,
/// `timeout=3` (warroom's own summaries of CloudTrail records).
fn summary_params(summary: &str) -> Vec<Param> {
    let words: Vec<&str> = summary.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if i + 3 < words.len() && words[i + 2] == "->" {
            out.push(Param {
                key: words[i].trim_end_matches(':').to_string(),
                before: Some(words[i + 1].to_string()),
                after: words[i + 3].trim_end_matches([',', ';']).to_string(),
            });
            i += 4;
            continue;
        }
        if let Some((k, v)) = words[i].split_once('=')
            && !k.is_empty()
            && !v.is_empty()
        {
            out.push(Param { key: k.to_string(), before: None, after: v.to_string() });
        }
        i += 1;
    }
    out
}

/// The kind of a change by its (unversioned) name and source.
pub fn kind_of(event: &str, source: &str, read_only: bool) -> ChangeKind {
    if SESSION_EVENTS.contains(&event) || SESSION_SOURCES.contains(&source) {
        return ChangeKind::Session;
    }
    if read_only || crate::source::cloudtrail::read_only_by_name(event) {
        return ChangeKind::Read;
    }
    if DEPLOY_EVENTS.contains(&event) {
        return ChangeKind::Deploy;
    }
    if SCALING_EVENTS.contains(&event) {
        return ChangeKind::Scaling;
    }
    if PERMISSION_EVENTS.contains(&event) || source == "iam.amazonaws.com" {
        return ChangeKind::Permission;
    }
    if DATA_EVENTS.contains(&event) {
        return ChangeKind::Data;
    }
    ChangeKind::Config
}

/// What warroom makes of `c` (see the module documentation).
pub fn facts(c: &Change) -> ChangeFacts {
    let event = crate::source::cloudtrail::base_event_name(&c.event).to_string();
    let record: Option<Value> =
        if c.raw.is_empty() { None } else { serde_json::from_str(&c.raw).ok() };
    let mut params = match &record {
        Some(r) => record_params(r),
        None => Vec::new(),
    };
    // A summary's `before -> after` fills in what the record does not say.
    for p in summary_params(&c.summary) {
        match params.iter_mut().find(|q| q.key_lower() == p.key_lower()) {
            Some(q) if q.before.is_none() && q.after == p.after => q.before = p.before,
            Some(_) => {}
            None => params.push(p),
        }
    }
    let mut kind = kind_of(&event, &c.event_source, c.read_only);
    // An ECS UpdateService that only sets the desired count scales; one with a task
    // definition deploys.
    if event == "UpdateService" {
        let keys: Vec<String> = params
            .iter()
            .map(Param::key_lower)
            .filter(|k| !IDENTIFYING_KEYS.iter().any(|i| i.eq_ignore_ascii_case(k)))
            .collect();
        kind = if !keys.is_empty() && keys.iter().all(|k| k == "desiredcount") {
            ChangeKind::Scaling
        } else {
            ChangeKind::Deploy
        };
    }
    let global = GLOBAL_SOURCES.contains(&c.event_source.as_str())
        || (c.event_source == "sts.amazonaws.com" && c.region == "us-east-1");
    let roles_touched = if c.event_source == "iam.amazonaws.com" {
        params
            .iter()
            .filter(|p| p.key_lower() == "rolename")
            .map(|p| p.after.clone())
            .chain(
                (params.iter().all(|p| p.key_lower() != "rolename")
                    && c.resource.contains(":role/"))
                .then(|| role_name(&c.resource).to_string()),
            )
            .collect()
    } else {
        Vec::new()
    };
    let execution_role = if event.contains("Function") {
        params.iter().find(|p| p.key_lower() == "role").map(|p| role_name(&p.after).to_string())
    } else {
        None
    };
    let params = params
        .into_iter()
        .filter(|p| !IDENTIFYING_KEYS.iter().any(|k| k.eq_ignore_ascii_case(&p.key)))
        .collect();
    ChangeFacts { event, kind, global, params, roles_touched, execution_role }
}

/// The execution roles of services, as the changes themselves say (a function given a
/// `role`), with those configured: `(role name, service)`.
pub fn execution_roles(
    changes: &[Change],
    configured: &[(String, String)],
) -> Vec<(String, String)> {
    let all: Vec<ChangeFacts> = changes.iter().map(facts).collect();
    execution_roles_of(changes, &all, configured)
}

/// [`execution_roles`] with the changes' facts at hand.
pub fn execution_roles_of(
    changes: &[Change],
    all: &[ChangeFacts],
    configured: &[(String, String)],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = configured.to_vec();
    for (c, f) in changes.iter().zip(all) {
        let Some(service) = &c.service else { continue };
        if let Some(role) = f.execution_role.clone()
            && !out.iter().any(|(r, s)| *r == role && s == service)
        {
            out.push((role, service.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(event: &str, source: &str, params: Value) -> Change {
        let raw = json!({"eventName": event, "eventSource": source, "requestParameters": params});
        Change {
            event: event.into(),
            event_source: source.into(),
            region: "us-east-1".into(),
            raw: raw.to_string(),
            ..Change::default()
        }
    }

    #[test]
    fn versioned_lambda_names_are_their_plain_names() {
        let c = change(
            "UpdateFunctionConfiguration20150331v2",
            "lambda.amazonaws.com",
            json!({"functionName": "w", "timeout": 3,
                   "role": "arn:aws:iam::1:role/service-role/worker-role"}),
        );
        let f = facts(&c);
        assert_eq!(f.event, "UpdateFunctionConfiguration");
        assert_eq!(f.kind, ChangeKind::Config);
        assert_eq!(f.param("timeout").map(|p| p.after.as_str()), Some("3"));
        assert!(f.param("functionname").is_none(), "the resource's name is not a value set");
        assert_eq!(f.execution_role.as_deref(), Some("worker-role"));
        assert!(!f.global);
        let code =
            facts(&change("UpdateFunctionCode20150331v2", "lambda.amazonaws.com", json!({})));
        assert_eq!((code.event.as_str(), code.kind), ("UpdateFunctionCode", ChangeKind::Deploy));
    }

    #[test]
    fn kinds() {
        let k = |e: &str, s: &str| facts(&change(e, s, json!({}))).kind;
        assert_eq!(k("CreateToken", "sso-oauth.amazonaws.com"), ChangeKind::Session);
        assert_eq!(k("SomethingNew", "sso-oauth.amazonaws.com"), ChangeKind::Session);
        assert_eq!(k("ConsoleLogin", "signin.amazonaws.com"), ChangeKind::Session);
        assert_eq!(k("AssumeRole", "sts.amazonaws.com"), ChangeKind::Session);
        assert_eq!(
            k("GetFunctionConfiguration20150331v2", "lambda.amazonaws.com"),
            ChangeKind::Read
        );
        assert_eq!(k("PutRolePolicy", "iam.amazonaws.com"), ChangeKind::Permission);
        assert_eq!(
            k("PutFunctionConcurrency20171031", "lambda.amazonaws.com"),
            ChangeKind::Scaling
        );
        assert_eq!(k("PutImage", "ecr.amazonaws.com"), ChangeKind::Deploy);
        assert_eq!(k("PutParameter", "ssm.amazonaws.com"), ChangeKind::Config);
        assert_eq!(k("PutObject", "s3.amazonaws.com"), ChangeKind::Data);
        assert!(!ChangeKind::Session.may_cause() && !ChangeKind::Read.may_cause());
        let scale = change(
            "UpdateService",
            "ecs.amazonaws.com",
            json!({"cluster": "c", "service": "s", "desiredCount": 6}),
        );
        assert_eq!(facts(&scale).kind, ChangeKind::Scaling);
        let deploy = change(
            "UpdateService",
            "ecs.amazonaws.com",
            json!({"cluster": "c", "service": "s", "taskDefinition": "td:7"}),
        );
        assert_eq!(facts(&deploy).kind, ChangeKind::Deploy);
    }

    #[test]
    fn global_services_and_the_roles_they_touch() {
        let c = change(
            "PutRolePolicy",
            "iam.amazonaws.com",
            json!({"roleName": "worker-role", "policyName": "ledger-access",
                   "policyDocument": "{\"Version\":\"2012-10-17\"}"}),
        );
        let f = facts(&c);
        assert!(f.global);
        assert_eq!(f.roles_touched, ["worker-role"]);
        let r53 = change("ChangeResourceRecordSets", "route53.amazonaws.com", json!({}));
        assert!(facts(&r53).global);
        // STS is global only at its global endpoint (recorded in us-east-1).
        let sts = Change {
            region: "eu-west-1".into(),
            ..change("DecodeAuthorizationMessage", "sts.amazonaws.com", json!({}))
        };
        assert!(!facts(&sts).global);
    }

    #[test]
    fn summaries_spell_before_and_after() {
        let c = Change {
            event: "UpdateFunctionConfiguration".into(),
            summary: "Timeout 30 -> 3 (seconds)".into(),
            ..Change::default()
        };
        let f = facts(&c);
        assert_eq!(
            f.params,
            [Param { key: "Timeout".into(), before: Some("30".into()), after: "3".into() }]
        );
        assert_eq!(f.params[0].text(), "Timeout 30 -> 3");
        let c = Change { summary: "UpdateService c/s desiredCount=2".into(), ..c };
        assert_eq!(facts(&c).param("desiredcount").map(|p| p.after.as_str()), Some("2"));
    }

    #[test]
    fn execution_roles_come_from_the_changes_and_the_config() {
        let mut c = change(
            "CreateFunction20150331",
            "lambda.amazonaws.com",
            json!({"functionName": "w", "role": "arn:aws:iam::1:role/worker-role"}),
        );
        c.service = Some("worker".into());
        let roles = execution_roles(&[c], &[("api-role".into(), "api".into())]);
        assert_eq!(
            roles,
            [("api-role".to_string(), "api".to_string()), ("worker-role".into(), "worker".into())]
        );
    }
}
