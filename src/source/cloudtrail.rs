//! CloudTrail records as [`Change`]s: the pure half of the change feed, no SDK types.
//!
//! * [`parse_record`] reads one CloudTrail record (the JSON object AWS writes for every API
//!   call: `eventID`, `eventTime`, `eventName`, `userIdentity`, `requestParameters`, ...).
//! * [`parse_cloudtrail_file`] reads a log file as a trail delivers it to S3
//!   (`{"Records": [...]}`, gzipped or not) or the output of `aws cloudtrail lookup-events`
//!   (`{"Events": [{"EventId", "CloudTrailEvent": "<record as a JSON string>", ...}]}`).
//! * [`parse_lookup_event`] reads one event of `LookupEvents` from its plain fields
//!   ([`LookupEvent`]), for the AWS source and the lookup-events output alike.
//!
//! # What a change says
//!
//! * `resource`: the most specific resource the call names. For the calls deployments and
//!   configuration changes are made of, from `requestParameters` (see [`resource_of`]):
//!   Lambda `UpdateFunctionConfiguration` / `UpdateFunctionCode` (`functionName`), SSM
//!   `PutParameter` (`name`), ECS `UpdateService` (`cluster/service`), ECR `PutImage`
//!   (`repository:tag`), CodeDeploy `CreateDeployment` (`application/deployment group`),
//!   EventBridge `PutRule` (`name`) / `PutTargets` (`rule`), CloudFormation `UpdateStack`
//!   (`stackName`); otherwise the first ARN of `resources`, otherwise a commonly named request
//!   parameter, otherwise empty.
//! * `identity`: from `userIdentity`, for every type (see [`identity_of`]).
//! * `read_only`: `readOnly` (a boolean or `"true"` / `"false"`); when absent, calls whose
//!   name starts with `Get`, `Describe`, `List`, `Lookup` or `Head` are read-only.
//! * `summary`: `<event> <resource>`, a few of the values set for `UpdateFunctionConfiguration`
//!   and `UpdateService` (`timeout=3`), and `failed: <errorCode>` when the call failed.
//!   Lambda's event names carry the API version (`UpdateFunctionCode20150331v2`); `event`
//!   keeps it, the summary leaves it out.
//! * `raw`: the record's JSON text; `service`: `None` (mapped to a service elsewhere).

use crate::model::{Change, Identity, Millis};
use serde_json::Value;
use std::io::Read;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Name prefixes of calls that change nothing, for records without `readOnly`.
pub const READ_ONLY_PREFIXES: &[&str] = &["Get", "Describe", "List", "Lookup", "Head"];
/// Values shown in the summary of a configuration change, at most.
const MAX_SUMMARY_VALUES: usize = 3;
/// The longest value shown in a summary.
const MAX_SUMMARY_VALUE_LEN: usize = 40;

// ---------------------------------------------------------------------------------------------
// Small helpers

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_str().filter(|s| !s.is_empty())
}

/// An RFC 3339 time (`2024-05-01T12:00:00Z`) as epoch milliseconds.
pub fn parse_time(s: &str) -> Option<Millis> {
    let t = OffsetDateTime::parse(s.trim(), &Rfc3339).ok()?;
    Some((t.unix_timestamp_nanos() / 1_000_000) as Millis)
}

/// The event name without the API version Lambda appends (`UpdateFunctionCode20150331v2` →
/// `UpdateFunctionCode`); other names unchanged.
pub fn base_event_name(name: &str) -> &str {
    let trimmed = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let trimmed = trimmed.strip_suffix('v').unwrap_or(trimmed);
    let stripped = trimmed.trim_end_matches(|c: char| c.is_ascii_digit());
    // Only a date-like suffix (eight digits or more) is a version; `PutObjectV2`, `S3` stay.
    if name.len() - stripped.len() >= 8
        && stripped.len() < name.len()
        && stripped.ends_with(|c: char| c.is_ascii_alphabetic())
    {
        stripped
    } else {
        name
    }
}

/// Whether a call named `event` reads only, judging by its name.
pub fn read_only_by_name(event: &str) -> bool {
    let name = base_event_name(event);
    READ_ONLY_PREFIXES.iter().any(|p| {
        name.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_uppercase))
    })
}

/// `readOnly` as recorded: a boolean or the strings `"true"` / `"false"`.
fn read_only_value(v: &Value) -> Result<Option<bool>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        other => Err(format!("readOnly is {other}, not true or false")),
    }
}

/// A scalar request parameter as text (`"3"`, `"worker"`); objects and arrays are `None`.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn short_value(s: &str) -> String {
    if s.chars().count() <= MAX_SUMMARY_VALUE_LEN {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX_SUMMARY_VALUE_LEN - 1).collect();
        format!("{cut}…")
    }
}

// ---------------------------------------------------------------------------------------------
// Resource

/// Request parameters that name a resource, most specific first, for calls without a rule.
const GENERIC_RESOURCE_KEYS: &[&str] = &[
    "functionName",
    "stackName",
    "serviceName",
    "service",
    "repositoryName",
    "tableName",
    "queueUrl",
    "topicArn",
    "bucketName",
    "logGroupName",
    "roleName",
    "userName",
    "policyArn",
    "secretId",
    "name",
    "rule",
    "resourceArn",
];

/// The most specific resource a call names (see the module documentation); empty when it
/// names none.
pub fn resource_of(event: &str, record: &Value) -> String {
    let params = record.get("requestParameters").filter(|p| p.is_object());
    let p = |key: &str| params.and_then(|p| p.get(key)).and_then(scalar);
    let joined = |a: Option<String>, sep: &str, b: Option<String>| match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a}{sep}{b}")),
        (a, b) => a.or(b),
    };
    let specific = match base_event_name(event) {
        "UpdateFunctionConfiguration" | "UpdateFunctionCode" | "PublishVersion" | "UpdateAlias" => {
            p("functionName")
        }
        "PutParameter" | "DeleteParameter" => p("name"),
        "UpdateService" | "CreateService" | "DeleteService" => {
            // `service` may be an ARN already naming the cluster.
            match p("service") {
                Some(s) if s.starts_with("arn:") => Some(s),
                s => joined(p("cluster"), "/", s),
            }
        }
        "PutImage" => {
            let tag = p("imageTag").or_else(|| p("imageDigest"));
            match (p("repositoryName"), tag) {
                (Some(r), Some(t)) if t.starts_with("sha256:") => Some(format!("{r}@{t}")),
                (r, t) => joined(r, ":", t),
            }
        }
        "CreateDeployment" => joined(p("applicationName"), "/", p("deploymentGroupName")),
        "PutRule" | "DeleteRule" | "EnableRule" | "DisableRule" => p("name"),
        "PutTargets" | "RemoveTargets" => p("rule"),
        "UpdateStack" | "CreateStack" | "DeleteStack" | "ExecuteChangeSet" => p("stackName"),
        _ => None,
    };
    if let Some(r) = specific {
        return r;
    }
    let arn = record
        .get("resources")
        .and_then(Value::as_array)
        .and_then(|rs| rs.iter().find_map(|r| str_at(r, &["ARN"]).or_else(|| str_at(r, &["arn"]))));
    if let Some(arn) = arn {
        return arn.to_string();
    }
    GENERIC_RESOURCE_KEYS.iter().find_map(|k| p(k)).unwrap_or_default()
}

/// Keys that identify the resource rather than say what changed.
const IDENTIFYING_KEYS: &[&str] = &["functionName", "cluster", "service", "qualifier"];

/// A few of the values a configuration change set (`timeout=3`), for the summary.
fn changed_values(event: &str, record: &Value) -> Vec<String> {
    if !matches!(base_event_name(event), "UpdateFunctionConfiguration" | "UpdateService") {
        return Vec::new();
    }
    let Some(params) = record.get("requestParameters").and_then(Value::as_object) else {
        return Vec::new();
    };
    params
        .iter()
        .filter(|(k, _)| !IDENTIFYING_KEYS.contains(&k.as_str()))
        .filter_map(|(k, v)| scalar(v).map(|v| format!("{k}={}", short_value(&v))))
        .take(MAX_SUMMARY_VALUES)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Identity

/// The last `/`-separated part of an ARN (`.../assumed-role/deploy/bot` → `bot`).
fn arn_last(arn: &str) -> Option<&str> {
    arn.rsplit('/').next().filter(|s| !s.is_empty() && !s.starts_with("arn:"))
}

/// The identity behind a record's `userIdentity` (`recipient` is the record's
/// `recipientAccountId`, the account when the identity does not name one):
///
/// | type | principal | role | session |
/// |---|---|---|---|
/// | `Root` | the ARN (`arn:aws:iam::1:root`) | | |
/// | `IAMUser` | the ARN, else `userName` | | |
/// | `AssumedRole` | the session ARN | `sessionIssuer.userName` | the ARN's last part |
/// | `FederatedUser` | the ARN, else `principalId` | `sessionIssuer.userName` | the federated user |
/// | `AWSService` | `invokedBy` (`lambda.amazonaws.com`) | | |
/// | `IdentityCenterUser` | `<identity store id>/<onBehalfOf.userId>` | | |
/// | `AWSAccount` | `accountId` (the other account), else `principalId` | | |
/// | others (`Unknown`, `SAMLUser`, ...) | the ARN, `userName`, `principalId` or `invokedBy` | | |
///
/// The kind is the recorded `type` as is (`Unknown` when missing).
pub fn identity_of(user: &Value, recipient: Option<&str>) -> Identity {
    let s = |path: &[&str]| str_at(user, path).map(str::to_string);
    let kind = s(&["type"]).unwrap_or_else(|| "Unknown".to_string());
    let arn = s(&["arn"]);
    let account = s(&["accountId"]).or_else(|| recipient.map(str::to_string));
    let issuer = s(&["sessionContext", "sessionIssuer", "userName"]).or_else(|| {
        str_at(user, &["sessionContext", "sessionIssuer", "arn"])
            .and_then(arn_last)
            .map(str::to_string)
    });
    let any_name = || {
        arn.clone()
            .or_else(|| s(&["userName"]))
            .or_else(|| s(&["principalId"]))
            .or_else(|| s(&["invokedBy"]))
            .unwrap_or_default()
    };
    let (principal, role, session) = match kind.as_str() {
        "Root" => (arn.clone().unwrap_or_else(|| "root".to_string()), None, None),
        "IAMUser" => (arn.clone().or_else(|| s(&["userName"])).unwrap_or_default(), None, None),
        "AssumedRole" => {
            // arn:aws:sts::1:assumed-role/<role>/<session>
            let parts: Vec<&str> =
                arn.as_deref().map(|a| a.split('/').skip(1).collect()).unwrap_or_default();
            let (arn_role, arn_session) = match parts.as_slice() {
                [role, .., session] => (Some(*role), Some(*session)),
                _ => (None, None),
            };
            let session = arn_session.map(str::to_string).or_else(|| {
                s(&["principalId"]).and_then(|p| p.split_once(':').map(|(_, s)| s.to_string()))
            });
            (any_name(), issuer.or_else(|| arn_role.map(str::to_string)), session)
        }
        "FederatedUser" => {
            let session = arn.as_deref().and_then(arn_last).map(str::to_string).or_else(|| {
                s(&["principalId"]).and_then(|p| p.split_once(':').map(|(_, s)| s.to_string()))
            });
            let principal = arn.clone().or_else(|| s(&["principalId"])).unwrap_or_default();
            (principal, issuer, session)
        }
        "AWSService" => {
            (s(&["invokedBy"]).or_else(|| s(&["principalId"])).unwrap_or_default(), None, None)
        }
        "IdentityCenterUser" => {
            let user_id = s(&["onBehalfOf", "userId"]).or_else(|| s(&["principalId"]));
            let store = str_at(user, &["onBehalfOf", "identityStoreArn"]).and_then(arn_last);
            let principal = match (store, user_id) {
                (Some(store), Some(u)) => format!("{store}/{u}"),
                (_, u) => u.unwrap_or_default(),
            };
            (principal, None, None)
        }
        "AWSAccount" => {
            (s(&["accountId"]).or_else(|| s(&["principalId"])).unwrap_or_default(), None, None)
        }
        _ => (any_name(), None, None),
    };
    Identity { kind, principal, role, session, account }
}

// ---------------------------------------------------------------------------------------------
// Records

/// One CloudTrail record as a [`Change`]. `eventID`, `eventTime` (RFC 3339), `eventName`,
/// `eventSource` and `awsRegion` are required; a missing or malformed one is an `Err` naming
/// it.
pub fn parse_record(v: &Value) -> Result<Change, String> {
    if !v.is_object() {
        return Err(format!("a record is a JSON object, not {}", kind_of(v)));
    }
    let required = |key: &str| -> Result<&str, String> {
        match v.get(key) {
            None | Some(Value::Null) => Err(format!("{key} is missing")),
            Some(Value::String(s)) if s.trim().is_empty() => Err(format!("{key} is empty")),
            Some(Value::String(s)) => Ok(s.as_str()),
            Some(other) => Err(format!("{key} is {}, not a string", kind_of(other))),
        }
    };
    let id = required("eventID")?;
    let time = required("eventTime")?;
    let at =
        parse_time(time).ok_or_else(|| format!("eventTime {time:?} is not an RFC 3339 time"))?;
    if let Some(why) = crate::model::text::implausible_time(at, crate::model::text::wall_now()) {
        return Err(format!("eventTime {time:?} is not a plausible time: {why}"));
    }
    let event = required("eventName")?;
    let event_source = required("eventSource")?;
    let region = required("awsRegion")?;
    let user = match v.get("userIdentity") {
        None | Some(Value::Null) => Value::Null,
        Some(u @ Value::Object(_)) => u.clone(),
        Some(other) => return Err(format!("userIdentity is {}, not an object", kind_of(other))),
    };
    let read_only = read_only_value(v.get("readOnly").unwrap_or(&Value::Null))?
        .unwrap_or_else(|| read_only_by_name(event));
    let identity = identity_of(&user, str_at(v, &["recipientAccountId"]));
    let resource = resource_of(event, v);
    let error = str_at(v, &["errorCode"]);
    let summary = summary_of(event, &resource, &changed_values(event, v), error);
    Ok(Change {
        id: id.to_string(),
        at,
        region: region.to_string(),
        event: event.to_string(),
        event_source: event_source.to_string(),
        resource,
        service: None,
        identity,
        read_only,
        summary,
        raw: v.to_string(),
    })
}

/// `UpdateService shop/api desiredCount=2`, `PutParameter /x failed: AccessDenied`.
fn summary_of(event: &str, resource: &str, values: &[String], error: Option<&str>) -> String {
    let mut out = base_event_name(event).to_string();
    if !resource.is_empty() {
        out.push(' ');
        out.push_str(resource);
    }
    if !values.is_empty() {
        out.push(' ');
        out.push_str(&values.join(" "));
    }
    if let Some(code) = error {
        out.push_str(" failed: ");
        out.push_str(code);
    }
    out
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------------------------
// LookupEvents

/// One event of `LookupEvents` in plain fields (the SDK's `Event`, the CLI's JSON).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LookupEvent {
    pub event_id: Option<String>,
    pub event_name: Option<String>,
    pub event_time: Option<Millis>,
    pub event_source: Option<String>,
    pub username: Option<String>,
    /// `"true"` / `"false"` as the API sends it.
    pub read_only: Option<String>,
    /// `(type, name)` of each resource.
    pub resources: Vec<(Option<String>, Option<String>)>,
    /// The full record as a JSON string.
    pub cloud_trail_event: Option<String>,
}

/// A `LookupEvents` event as a [`Change`]: its `CloudTrailEvent` parsed with [`parse_record`]
/// when there is one, otherwise built from the plain fields (`region` is the region it was
/// looked up in; the identity is then only the user name, kind `Unknown`). An event with
/// neither an id, a name nor a time is an `Err`.
pub fn parse_lookup_event(e: &LookupEvent, region: &str) -> Result<Change, String> {
    if let Some(text) = e.cloud_trail_event.as_deref().filter(|t| !t.trim().is_empty()) {
        let v: Value = serde_json::from_str(text)
            .map_err(|err| format!("CloudTrailEvent is not JSON: {err}"))?;
        return parse_record(&v);
    }
    let id = e.event_id.clone().filter(|s| !s.is_empty()).ok_or("EventId is missing")?;
    let event = e.event_name.clone().filter(|s| !s.is_empty()).ok_or("EventName is missing")?;
    let at = e.event_time.ok_or("EventTime is missing")?;
    if let Some(why) = crate::model::text::implausible_time(at, crate::model::text::wall_now()) {
        return Err(format!("EventTime is not a plausible time: {why}"));
    }
    let read_only = match e.read_only.as_deref() {
        Some(s) => read_only_value(&Value::String(s.to_string()))?.unwrap_or(false),
        None => read_only_by_name(&event),
    };
    let resource = e
        .resources
        .iter()
        .find_map(|(_, name)| name.clone().filter(|n| !n.is_empty()))
        .unwrap_or_default();
    let username = e.username.clone().unwrap_or_default();
    let identity = Identity { kind: "Unknown".into(), principal: username, ..Identity::default() };
    let summary = summary_of(&event, &resource, &[], None);
    let raw = serde_json::json!({
        "EventId": id, "EventName": event, "EventTime": at, "EventSource": e.event_source,
        "Username": e.username, "ReadOnly": e.read_only,
        "Resources": e.resources.iter().map(|(t, n)| serde_json::json!({
            "ResourceType": t, "ResourceName": n
        })).collect::<Vec<_>>(),
    })
    .to_string();
    Ok(Change {
        id,
        at,
        region: region.to_string(),
        event,
        event_source: e.event_source.clone().unwrap_or_default(),
        resource,
        service: None,
        identity,
        read_only,
        summary,
        raw,
    })
}

/// One event of the CLI's `lookup-events` output in plain fields. `EventTime` is an RFC 3339
/// time or epoch seconds (both occur, depending on the CLI's `cli_timestamp_format`).
fn lookup_event_of(v: &Value) -> Result<LookupEvent, String> {
    if !v.is_object() {
        return Err(format!("an event is a JSON object, not {}", kind_of(v)));
    }
    let s = |key: &str| str_at(v, &[key]).map(str::to_string);
    let event_time = match v.get("EventTime") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => {
            Some(parse_time(t).ok_or_else(|| format!("EventTime {t:?} is not a time"))?)
        }
        Some(Value::Number(n)) => n.as_f64().map(|secs| (secs * 1000.0).round() as Millis),
        Some(other) => return Err(format!("EventTime is {}, not a time", kind_of(other))),
    };
    let cloud_trail_event = match v.get("CloudTrailEvent") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(t.clone()),
        // Tolerate an already decoded record.
        Some(obj @ Value::Object(_)) => Some(obj.to_string()),
        Some(other) => {
            return Err(format!("CloudTrailEvent is {}, not a JSON string", kind_of(other)));
        }
    };
    let resources = v
        .get("Resources")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .map(|r| {
                    (
                        str_at(r, &["ResourceType"]).map(str::to_string),
                        str_at(r, &["ResourceName"]).map(str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let read_only = match v.get("ReadOnly") {
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => s("ReadOnly"),
    };
    Ok(LookupEvent {
        event_id: s("EventId"),
        event_name: s("EventName"),
        event_time,
        event_source: s("EventSource"),
        username: s("Username"),
        read_only,
        resources,
        cloud_trail_event,
    })
}

// ---------------------------------------------------------------------------------------------
// Files

/// The gzip magic number.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The most records a set of CloudTrail files is read with: beyond it the files are refused
/// with this number named, rather than the memory growing without bound (a record's
/// change keeps its JSON, about its size in the file).
pub const MAX_RECORDS: usize = 200_000;

/// A CloudTrail log file as [`Change`]s, newest first: `{"Records": [...]}` as a trail
/// delivers it to S3 (gzipped or not, told apart by the gzip magic number), the output of
/// `aws cloudtrail lookup-events` (`{"Events": [...]}`), a JSON array of records or a single
/// record. A malformed record is an `Err` naming it (`record 3 (eventID abc): eventTime is
/// missing`); so is a file that is none of these, or one of more than [`MAX_RECORDS`].
///
/// Records are read one at a time from the stream (no document of the whole file is built),
/// so the memory is that of the changes kept.
pub fn parse_cloudtrail_file(bytes: &[u8]) -> Result<Vec<Change>, String> {
    if bytes.starts_with(&GZIP_MAGIC) {
        return parse_cloudtrail_reader(flate2::read::MultiGzDecoder::new(bytes), MAX_RECORDS);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("the file is empty".into());
    }
    parse_stream(&mut serde_json::Deserializer::from_slice(bytes), MAX_RECORDS)
}

/// A CloudTrail log file read from `path` as a stream, gzipped or not, at most `max`
/// records: the file is never held whole in memory.
pub fn read_cloudtrail_file(path: &std::path::Path, max: usize) -> Result<Vec<Change>, String> {
    let f = super::files::open_regular(path)?;
    let mut r = std::io::BufReader::with_capacity(1 << 16, f);
    let gz =
        std::io::BufRead::fill_buf(&mut r).map(|b| b.starts_with(&GZIP_MAGIC)).unwrap_or(false);
    let out = if gz {
        parse_cloudtrail_reader(flate2::read::MultiGzDecoder::new(r), max)
    } else {
        parse_cloudtrail_reader(r, max)
    };
    out.map_err(|e| format!("{}: {e}", path.display()))
}

/// [`parse_cloudtrail_file`] of a stream (already decompressed, or gzip told by the caller).
pub fn parse_cloudtrail_reader(r: impl Read, max: usize) -> Result<Vec<Change>, String> {
    let mut counted = Watched { inner: r, content: false, error: None };
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(&mut counted));
    let out = parse_stream(&mut de, max);
    match (out, counted.error.take()) {
        (Err(_), Some(e)) => Err(format!("the file looks gzipped but cannot be decompressed: {e}")),
        (Err(_), None) if !counted.content => Err("the file is empty".into()),
        (out, _) => out,
    }
}

/// A reader that notes whether it gave anything but whitespace, and keeps its error (a
/// corrupt gzip stream).
struct Watched<R> {
    inner: R,
    content: bool,
    error: Option<std::io::Error>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.content |= !buf[..n].iter().all(u8::is_ascii_whitespace);
                Ok(n)
            }
            Err(e) => {
                let kind = e.kind();
                self.error = Some(e);
                Err(std::io::Error::new(kind, "read failed"))
            }
        }
    }
}

/// What a file's top-level holds, read as a stream.
#[derive(Default)]
struct Collect {
    changes: Vec<Change>,
    /// The first malformed record or shape, said as the user reads it (no JSON position).
    error: Option<String>,
    /// Keys of a top-level object other than `Records` / `Events` (a single record's).
    rest: serde_json::Map<String, Value>,
    found: bool,
    max: usize,
}

impl Collect {
    fn fail<E: serde::de::Error>(&mut self, e: String) -> E {
        self.error.get_or_insert(e);
        E::custom("malformed")
    }

    fn push<E: serde::de::Error>(&mut self, c: Change) -> Result<(), E> {
        if self.changes.len() >= self.max {
            let max = crate::analysis::corroborate::thousands(self.max);
            return Err(self.fail(format!(
                "more than {max} CloudTrail records, the most warroom reads at once: keep the \
                 changes only (e.g. jq '.Records |= map(select(.readOnly != true))'), or read \
                 fewer files"
            )));
        }
        self.changes.push(c);
        Ok(())
    }
}

fn parse_stream<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    max: usize,
) -> Result<Vec<Change>, String> {
    use serde::Deserializer as _;
    let mut c = Collect { max, ..Collect::default() };
    let r = de.deserialize_any(Top(&mut c)).and_then(|()| de.end());
    if let Some(e) = c.error {
        return Err(e);
    }
    r.map_err(|e| format!("not JSON: {e}"))?;
    let mut changes = c.changes;
    if !c.found {
        let doc = Value::Object(c.rest);
        if doc.get("eventID").is_none() && doc.get("eventName").is_none() {
            return Err(format!(
                "not a CloudTrail log file: expected {{\"Records\": [...]}} or the output of \
                 aws cloudtrail lookup-events ({{\"Events\": [...]}}), found {}",
                kind_of(&doc)
            ));
        }
        let name = match str_at(&doc, &["eventID"]) {
            Some(id) => format!("0 (eventID {id})"),
            None => "0".to_string(),
        };
        changes.push(parse_record(&doc).map_err(|e| format!("record {name}: {e}"))?);
    }
    changes.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
    Ok(changes)
}

fn not_a_file<E: serde::de::Error>(c: &mut Collect, found: &str) -> E {
    c.fail(format!(
        "not a CloudTrail log file: expected {{\"Records\": [...]}} or the output of \
         aws cloudtrail lookup-events ({{\"Events\": [...]}}), found {found}"
    ))
}

/// The top level: an object (`Records`, `Events`, or a single record) or an array of records.
struct Top<'a>(&'a mut Collect);

impl<'de> serde::de::Visitor<'de> for Top<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a CloudTrail log file")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Records" | "Events" if !self.0.found => {
                    self.0.found = true;
                    let what = if key == "Records" { List::Records } else { List::Events };
                    map.next_value_seed(Items(self.0, what))?;
                }
                _ => {
                    let v: Value = map.next_value()?;
                    self.0.rest.insert(key, v);
                }
            }
        }
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.found = true;
        Items(self.0, List::Records).visit_seq(seq)
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Err(not_a_file(self.0, "a boolean"))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Err(not_a_file(self.0, "a number"))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Err(not_a_file(self.0, "a number"))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Err(not_a_file(self.0, "a number"))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        Err(not_a_file(self.0, "a string"))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Err(not_a_file(self.0, "null"))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum List {
    Records,
    Events,
}

/// `Records` or `Events`: an array read one element at a time.
struct Items<'a>(&'a mut Collect, List);

impl<'de> serde::de::DeserializeSeed<'de> for Items<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Items<'_> {
    fn not_array<E: serde::de::Error>(self, found: &str) -> E {
        let key = if self.1 == List::Records { "Records" } else { "Events" };
        self.0.fail(format!("{key} is {found}, not an array"))
    }
}

impl<'de> serde::de::Visitor<'de> for Items<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(v) = seq.next_element::<Value>()? {
            let parsed = match self.1 {
                List::Records => parse_record(&v).map_err(|e| {
                    let name = match str_at(&v, &["eventID"]) {
                        Some(id) => format!("{i} (eventID {id})"),
                        None => i.to_string(),
                    };
                    format!("record {name}: {e}")
                }),
                List::Events => lookup_event_of(&v)
                    // The region is only in the record; without one it is unknown.
                    .and_then(|le| parse_lookup_event(&le, ""))
                    .map_err(|e| {
                        let name = match str_at(&v, &["EventId"]) {
                            Some(id) => format!("{i} (EventId {id})"),
                            None => i.to_string(),
                        };
                        format!("event {name}: {e}")
                    }),
            };
            match parsed {
                Ok(c) => self.0.push(c)?,
                Err(e) => return Err(self.0.fail(e)),
            }
            i += 1;
        }
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.not_array("an object"))
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.not_array("a boolean"))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.not_array("a number"))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.not_array("a number"))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.not_array("a number"))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        Err(self.not_array("a string"))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Err(self.not_array("null"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: &str = "2024-05-01T12:00:00Z";
    const T_MS: Millis = 1_714_564_800_000;

    fn record(name: &str, source: &str, params: Value) -> Value {
        json!({
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "AssumedRole",
                "principalId": "AROAEXAMPLE:deploy-bot",
                "arn": "arn:aws:sts::111122223333:assumed-role/deploy-role/deploy-bot",
                "accountId": "111122223333",
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role", "principalId": "AROAEXAMPLE",
                        "arn": "arn:aws:iam::111122223333:role/deploy-role",
                        "accountId": "111122223333", "userName": "deploy-role"
                    },
                    "attributes": {"creationDate": "2024-05-01T11:00:00Z", "mfaAuthenticated": "false"}
                }
            },
            "eventTime": T,
            "eventSource": source,
            "eventName": name,
            "awsRegion": "eu-west-1",
            "requestParameters": params,
            "responseElements": null,
            "eventID": format!("id-{name}"),
            "readOnly": false,
            "eventType": "AwsApiCall",
            "recipientAccountId": "111122223333"
        })
    }

    fn with_identity(user: Value) -> Value {
        let mut r = record("PutParameter", "ssm.amazonaws.com", json!({"name": "/shop/flag"}));
        r["userIdentity"] = user;
        r
    }

    #[test]
    fn a_record_becomes_a_change() {
        let r = record(
            "UpdateFunctionConfiguration20150331v2",
            "lambda.amazonaws.com",
            json!({"functionName": "checkout-worker", "timeout": 3, "memorySize": 256}),
        );
        let c = parse_record(&r).unwrap();
        assert_eq!(c.id, "id-UpdateFunctionConfiguration20150331v2");
        assert_eq!(c.at, T_MS);
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.event, "UpdateFunctionConfiguration20150331v2");
        assert_eq!(c.event_source, "lambda.amazonaws.com");
        assert_eq!(c.resource, "checkout-worker");
        assert_eq!(c.service, None);
        assert!(!c.read_only);
        assert_eq!(
            c.summary,
            "UpdateFunctionConfiguration checkout-worker timeout=3 memorySize=256"
        );
        assert_eq!(serde_json::from_str::<Value>(&c.raw).unwrap(), r);
        assert_eq!(c.identity.short(), "deploy-role/deploy-bot");
    }

    #[test]
    fn resources_of_the_deployment_calls() {
        let cases = [
            (
                "UpdateFunctionConfiguration20150331v2",
                json!({"functionName": "worker", "timeout": 3}),
                "worker",
            ),
            (
                "UpdateFunctionCode20150331v2",
                json!({"functionName": "arn:aws:lambda:eu-west-1:1:function:worker", "publish": true}),
                "arn:aws:lambda:eu-west-1:1:function:worker",
            ),
            (
                "PutParameter",
                json!({"name": "/shop/feature-x", "type": "String", "overwrite": true}),
                "/shop/feature-x",
            ),
            (
                "UpdateService",
                json!({"cluster": "shop", "service": "checkout-api", "desiredCount": 2}),
                "shop/checkout-api",
            ),
            (
                "UpdateService",
                json!({"service": "arn:aws:ecs:eu-west-1:1:service/shop/api"}),
                "arn:aws:ecs:eu-west-1:1:service/shop/api",
            ),
            ("UpdateService", json!({"service": "api"}), "api"),
            (
                "PutImage",
                json!({"repositoryName": "checkout", "imageTag": "v42", "imageManifest": "{}"}),
                "checkout:v42",
            ),
            (
                "PutImage",
                json!({"repositoryName": "checkout", "imageDigest": "sha256:abc"}),
                "checkout@sha256:abc",
            ),
            (
                "CreateDeployment",
                json!({"applicationName": "shop", "deploymentGroupName": "prod"}),
                "shop/prod",
            ),
            (
                "PutRule",
                json!({"name": "nightly-sync", "scheduleExpression": "rate(1 day)"}),
                "nightly-sync",
            ),
            (
                "PutTargets",
                json!({"rule": "nightly-sync", "targets": [{"id": "1", "arn": "arn:x"}]}),
                "nightly-sync",
            ),
            (
                "UpdateStack",
                json!({"stackName": "shop-prod", "usePreviousTemplate": true}),
                "shop-prod",
            ),
        ];
        for (name, params, want) in cases {
            let c = parse_record(&record(name, "x.amazonaws.com", params)).unwrap();
            assert_eq!(c.resource, want, "{name}");
            assert!(c.summary.contains(want), "{name}: {}", c.summary);
        }
    }

    #[test]
    fn resource_falls_back_to_resources_then_common_parameters() {
        let mut r = record("TagResource", "x.amazonaws.com", json!({"name": "ignored"}));
        r["resources"] = json!([{"accountId": "1", "type": "AWS::X::Y", "ARN": "arn:aws:x:::y/z"}]);
        assert_eq!(parse_record(&r).unwrap().resource, "arn:aws:x:::y/z");
        let r = record("UpdateTable", "dynamodb.amazonaws.com", json!({"tableName": "orders"}));
        assert_eq!(parse_record(&r).unwrap().resource, "orders");
        let r = record("ConsoleLogin", "signin.amazonaws.com", Value::Null);
        let c = parse_record(&r).unwrap();
        assert_eq!(c.resource, "");
        assert_eq!(c.summary, "ConsoleLogin");
    }

    #[test]
    fn failed_calls_say_so() {
        let mut r = record("PutParameter", "ssm.amazonaws.com", json!({"name": "/x"}));
        r["errorCode"] = json!("AccessDenied");
        r["errorMessage"] = json!("User is not authorized");
        assert_eq!(parse_record(&r).unwrap().summary, "PutParameter /x failed: AccessDenied");
    }

    #[test]
    fn read_only_from_the_record_or_the_name() {
        let mut r = record("GetParameter", "ssm.amazonaws.com", json!({"name": "/x"}));
        assert!(!parse_record(&r).unwrap().read_only, "readOnly false wins over the name");
        r["readOnly"] = json!("true");
        assert!(parse_record(&r).unwrap().read_only);
        r["readOnly"] = json!("FALSE");
        assert!(!parse_record(&r).unwrap().read_only);
        r["readOnly"] = json!(true);
        assert!(parse_record(&r).unwrap().read_only);
        r["readOnly"] = json!("maybe");
        assert!(parse_record(&r).unwrap_err().contains("readOnly"));

        for (name, ro) in [
            ("GetParameter", true),
            ("DescribeServices", true),
            ("ListFunctions20150331", true),
            ("LookupEvents", true),
            ("HeadObject", true),
            ("PutParameter", false),
            ("UpdateService", false),
            ("Getaway", false),
            ("DeleteListener", false),
        ] {
            let mut r = record(name, "x.amazonaws.com", Value::Null);
            r.as_object_mut().unwrap().remove("readOnly");
            assert_eq!(parse_record(&r).unwrap().read_only, ro, "{name}");
            assert_eq!(read_only_by_name(name), ro, "{name}");
        }
    }

    #[test]
    fn lambda_api_versions_are_not_part_of_the_name() {
        assert_eq!(base_event_name("UpdateFunctionCode20150331v2"), "UpdateFunctionCode");
        assert_eq!(base_event_name("ListFunctions20150331"), "ListFunctions");
        assert_eq!(base_event_name("PutObject"), "PutObject");
        assert_eq!(base_event_name("GetObjectV2"), "GetObjectV2");
        assert_eq!(base_event_name("Ec2Thing2"), "Ec2Thing2");
    }

    #[test]
    fn identity_root() {
        let c = parse_record(&with_identity(json!({
            "type": "Root", "principalId": "111122223333",
            "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333",
            "accessKeyId": "ASIAEXAMPLE"
        })))
        .unwrap();
        let id = c.identity;
        assert_eq!(id.kind, "Root");
        assert_eq!(id.principal, "arn:aws:iam::111122223333:root");
        assert_eq!((id.role.as_deref(), id.session.as_deref()), (None, None));
        assert_eq!(id.account.as_deref(), Some("111122223333"));
        assert_eq!(id.short(), "root");
    }

    #[test]
    fn identity_iam_user() {
        let id = parse_record(&with_identity(json!({
            "type": "IAMUser", "principalId": "AIDAJ45Q7YFFAREXAMPLE",
            "arn": "arn:aws:iam::123456789012:user/Alice", "accountId": "123456789012",
            "accessKeyId": "", "userName": "Alice"
        })))
        .unwrap()
        .identity;
        assert_eq!(id.kind, "IAMUser");
        assert_eq!(id.principal, "arn:aws:iam::123456789012:user/Alice");
        assert_eq!(id.short(), "Alice");
        assert_eq!(id.account.as_deref(), Some("123456789012"));
        // No ARN: the user name.
        let id = identity_of(&json!({"type": "IAMUser", "userName": "bob"}), Some("1"));
        assert_eq!((id.principal.as_str(), id.account.as_deref()), ("bob", Some("1")));
    }

    #[test]
    fn identity_assumed_role() {
        let id = parse_record(&with_identity(json!({
            "type": "AssumedRole",
            "principalId": "AROAIDPPEZS35WEXAMPLE:AssumedRoleSessionName",
            "arn": "arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/MySessionName",
            "accountId": "123456789012", "accessKeyId": "",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role", "principalId": "AROAIDPPEZS35WEXAMPLE",
                    "arn": "arn:aws:iam::123456789012:role/RoleToBeAssumed",
                    "accountId": "123456789012", "userName": "RoleToBeAssumed"
                },
                "attributes": {"mfaAuthenticated": "false", "creationDate": "20131102T010628Z"}
            }
        })))
        .unwrap()
        .identity;
        assert_eq!(id.kind, "AssumedRole");
        assert_eq!(id.role.as_deref(), Some("RoleToBeAssumed"));
        assert_eq!(id.session.as_deref(), Some("MySessionName"));
        assert_eq!(id.short(), "RoleToBeAssumed/MySessionName");
        // Without a session context: the role from the ARN.
        let id = identity_of(
            &json!({"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/deploy/ci-42"}),
            None,
        );
        assert_eq!((id.role.as_deref(), id.session.as_deref()), (Some("deploy"), Some("ci-42")));
        // An Identity Center role keeps its path-less name.
        let id = identity_of(
            &json!({"type": "AssumedRole",
                    "arn": "arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_abc/alice@example.com",
                    "sessionContext": {"sessionIssuer": {"userName": "AWSReservedSSO_Admin_abc"}}}),
            None,
        );
        assert_eq!(id.short(), "AWSReservedSSO_Admin_abc/alice@example.com");
    }

    #[test]
    fn identity_aws_service() {
        let id = parse_record(&with_identity(json!({
            "type": "AWSService", "invokedBy": "codedeploy.amazonaws.com"
        })))
        .unwrap()
        .identity;
        assert_eq!(id.kind, "AWSService");
        assert_eq!(id.principal, "codedeploy.amazonaws.com");
        assert_eq!(id.short(), "codedeploy.amazonaws.com");
        // No accountId of its own: the recipient's.
        assert_eq!(id.account.as_deref(), Some("111122223333"));
    }

    #[test]
    fn identity_federated_user() {
        let id = parse_record(&with_identity(json!({
            "type": "FederatedUser", "principalId": "123456789012:Bob",
            "arn": "arn:aws:sts::123456789012:federated-user/Bob", "accountId": "123456789012",
            "accessKeyId": "",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "IAMUser", "principalId": "AIDAEXAMPLE",
                    "arn": "arn:aws:iam::123456789012:user/broker", "accountId": "123456789012",
                    "userName": "broker"
                },
                "attributes": {"mfaAuthenticated": "false", "creationDate": "2024-05-01T11:00:00Z"}
            }
        })))
        .unwrap()
        .identity;
        assert_eq!(id.kind, "FederatedUser");
        assert_eq!(id.principal, "arn:aws:sts::123456789012:federated-user/Bob");
        assert_eq!(id.role.as_deref(), Some("broker"));
        assert_eq!(id.session.as_deref(), Some("Bob"));
        assert_eq!(id.short(), "broker/Bob");
        // No ARN: the principal id.
        let id = identity_of(&json!({"type": "FederatedUser", "principalId": "1:Eve"}), None);
        assert_eq!((id.principal.as_str(), id.session.as_deref()), ("1:Eve", Some("Eve")));
    }

    #[test]
    fn identity_identity_center_user() {
        let id = parse_record(&with_identity(json!({
            "type": "IdentityCenterUser", "accountId": "123456789012",
            "onBehalfOf": {
                "userId": "544894e8-80c1-707f-60e3-3ba6510dfac1",
                "identityStoreArn": "arn:aws:identitystore::123456789012:identitystore/d-9067642ac7"
            },
            "credentialId": "EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE"
        })))
        .unwrap()
        .identity;
        assert_eq!(id.kind, "IdentityCenterUser");
        assert_eq!(id.principal, "d-9067642ac7/544894e8-80c1-707f-60e3-3ba6510dfac1");
        assert_eq!(id.short(), "544894e8-80c1-707f-60e3-3ba6510dfac1");
        assert_eq!(id.account.as_deref(), Some("123456789012"));
    }

    #[test]
    fn identity_aws_account_unknown_and_others() {
        let id = parse_record(&with_identity(json!({
            "type": "AWSAccount", "principalId": "AIDAEXAMPLE", "accountId": "444455556666"
        })))
        .unwrap()
        .identity;
        assert_eq!((id.kind.as_str(), id.principal.as_str()), ("AWSAccount", "444455556666"));
        assert_eq!(id.account.as_deref(), Some("444455556666"));

        let id = identity_of(
            &json!({"type": "Unknown", "principalId": "AIDAEXAMPLE", "accountId": "1",
                    "userName": "mallory"}),
            None,
        );
        assert_eq!((id.kind.as_str(), id.principal.as_str()), ("Unknown", "mallory"));

        let id = identity_of(
            &json!({"type": "SAMLUser", "principalId": "SAMPLE:alice", "userName": "alice",
                    "identityProvider": "bdGOnTesti4+ci1w=="}),
            Some("1"),
        );
        assert_eq!((id.kind.as_str(), id.principal.as_str()), ("SAMLUser", "alice"));
        assert_eq!(id.account.as_deref(), Some("1"));

        // No userIdentity at all.
        let mut r = with_identity(Value::Null);
        r.as_object_mut().unwrap().remove("userIdentity");
        let id = parse_record(&r).unwrap().identity;
        assert_eq!((id.kind.as_str(), id.principal.as_str()), ("Unknown", ""));
    }

    #[test]
    fn malformed_records_say_what_is_wrong() {
        let base = record("PutParameter", "ssm.amazonaws.com", json!({"name": "/x"}));
        let broken = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
            let mut r = base.clone();
            f(r.as_object_mut().unwrap());
            parse_record(&r).unwrap_err()
        };
        assert_eq!(
            broken(&|r| {
                r.remove("eventID");
            }),
            "eventID is missing"
        );
        assert_eq!(
            broken(&|r| {
                r.remove("eventTime");
            }),
            "eventTime is missing"
        );
        assert!(
            broken(&|r| {
                r.insert("eventTime".into(), json!("yesterday"));
            })
            .contains("not an RFC 3339 time")
        );
        assert_eq!(
            broken(&|r| {
                r.insert("eventName".into(), json!(42));
            }),
            "eventName is a number, not a string"
        );
        assert_eq!(
            broken(&|r| {
                r.insert("awsRegion".into(), json!(""));
            }),
            "awsRegion is empty"
        );
        assert_eq!(
            broken(&|r| {
                r.insert("userIdentity".into(), json!("root"));
            }),
            "userIdentity is a string, not an object"
        );
        assert_eq!(
            parse_record(&json!([1])).unwrap_err(),
            "a record is a JSON object, not an array"
        );
    }

    fn log_file() -> Value {
        let mut older =
            record("UpdateStack", "cloudformation.amazonaws.com", json!({"stackName": "s"}));
        older["eventTime"] = json!("2024-05-01T11:00:00Z");
        let newer = record("PutRule", "events.amazonaws.com", json!({"name": "r"}));
        json!({"Records": [older, newer]})
    }

    #[test]
    fn plain_log_files_newest_first() {
        let changes = parse_cloudtrail_file(log_file().to_string().as_bytes()).unwrap();
        let events: Vec<&str> = changes.iter().map(|c| c.event.as_str()).collect();
        assert_eq!(events, ["PutRule", "UpdateStack"]);
        assert_eq!(changes[1].at, T_MS - 3_600_000);
        // A bare array of records and a single record are read too.
        let arr = Value::Array(log_file()["Records"].as_array().unwrap().clone());
        assert_eq!(parse_cloudtrail_file(arr.to_string().as_bytes()).unwrap().len(), 2);
        let one = log_file()["Records"][0].clone();
        assert_eq!(parse_cloudtrail_file(one.to_string().as_bytes()).unwrap().len(), 1);
        assert!(parse_cloudtrail_file(br#"{"Records": []}"#).unwrap().is_empty());
    }

    #[test]
    fn gzipped_log_files() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(log_file().to_string().as_bytes()).unwrap();
        let bytes = gz.finish().unwrap();
        assert_eq!(&bytes[..2], &GZIP_MAGIC);
        let changes = parse_cloudtrail_file(&bytes).unwrap();
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].event, "PutRule");

        let err = parse_cloudtrail_file(&bytes[..bytes.len() / 2]).unwrap_err();
        assert!(err.contains("cannot be decompressed"), "{err}");
    }

    #[test]
    fn lookup_events_output() {
        let rec =
            record("UpdateService", "ecs.amazonaws.com", json!({"cluster": "c", "service": "s"}));
        let out = json!({"Events": [
            {"EventId": "id-UpdateService", "EventName": "UpdateService", "ReadOnly": "false",
             "EventTime": "2024-05-01T12:00:00+00:00", "EventSource": "ecs.amazonaws.com",
             "Username": "deploy-bot", "Resources": [],
             "CloudTrailEvent": rec.to_string()},
            // The fields only (no CloudTrailEvent), time as epoch seconds.
            {"EventId": "e-2", "EventName": "PutParameter", "ReadOnly": "false",
             "EventTime": 1714561200.0, "EventSource": "ssm.amazonaws.com", "Username": "alice",
             "Resources": [{"ResourceType": "AWS::SSM::Parameter", "ResourceName": "/shop/x"}]}
        ]});
        let changes = parse_cloudtrail_file(out.to_string().as_bytes()).unwrap();
        assert_eq!(changes.len(), 2);
        let (a, b) = (&changes[0], &changes[1]);
        assert_eq!((a.resource.as_str(), a.region.as_str()), ("c/s", "eu-west-1"));
        assert_eq!(a.identity.short(), "deploy-role/deploy-bot");
        assert_eq!(b.id, "e-2");
        assert_eq!(b.at, T_MS - 3_600_000);
        assert_eq!(b.resource, "/shop/x");
        assert_eq!(b.identity.principal, "alice");
        assert_eq!(b.region, "");
        assert!(!b.read_only);
        assert_eq!(b.summary, "PutParameter /shop/x");
    }

    #[test]
    fn lookup_events_fallback_fields() {
        let e = LookupEvent {
            event_id: Some("e1".into()),
            event_name: Some("DescribeStacks".into()),
            event_time: Some(T_MS),
            event_source: Some("cloudformation.amazonaws.com".into()),
            username: Some("alice".into()),
            ..LookupEvent::default()
        };
        let c = parse_lookup_event(&e, "eu-west-1").unwrap();
        assert_eq!((c.region.as_str(), c.read_only), ("eu-west-1", true));
        assert!(c.raw.contains("\"EventId\":\"e1\""));
        let e = LookupEvent { event_time: None, ..e };
        assert_eq!(parse_lookup_event(&e, "x").unwrap_err(), "EventTime is missing");
        let e = LookupEvent { cloud_trail_event: Some("{not json".into()), ..e };
        assert!(
            parse_lookup_event(&e, "x").unwrap_err().starts_with("CloudTrailEvent is not JSON")
        );
    }

    #[test]
    fn malformed_files_and_records_are_named() {
        let mut file = log_file();
        file["Records"][1].as_object_mut().unwrap().remove("eventTime");
        let err = parse_cloudtrail_file(file.to_string().as_bytes()).unwrap_err();
        assert_eq!(err, "record 1 (eventID id-PutRule): eventTime is missing");
        file["Records"][1] = json!({"eventName": "X"});
        let err = parse_cloudtrail_file(file.to_string().as_bytes()).unwrap_err();
        assert_eq!(err, "record 1: eventID is missing");

        let err =
            parse_cloudtrail_file(br#"{"Events": [{"EventId": "e9", "CloudTrailEvent": 3}]}"#)
                .unwrap_err();
        assert_eq!(err, "event 0 (EventId e9): CloudTrailEvent is a number, not a JSON string");

        assert_eq!(parse_cloudtrail_file(b"").unwrap_err(), "the file is empty");
        assert!(parse_cloudtrail_file(b"{\"Records\": [").unwrap_err().starts_with("not JSON"));
        assert_eq!(
            parse_cloudtrail_file(br#"{"Records": {}}"#).unwrap_err(),
            "Records is an object, not an array"
        );
        assert!(
            parse_cloudtrail_file(br#"{"foo": 1}"#)
                .unwrap_err()
                .starts_with("not a CloudTrail log file")
        );
        assert!(parse_cloudtrail_file(b"42").unwrap_err().starts_with("not a CloudTrail log file"));
    }

    #[test]
    fn records_are_streamed_and_capped_and_times_checked() {
        let file = log_file();
        let n = file["Records"].as_array().unwrap().len();
        let text = file.to_string();
        // Gzipped, from a stream.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(
            parse_cloudtrail_file(&gz).unwrap(),
            parse_cloudtrail_file(text.as_bytes()).unwrap()
        );
        let cut = parse_cloudtrail_file(&gz[..gz.len() / 2]).unwrap_err();
        assert!(cut.contains("gzipped") || cut.starts_with("not JSON"), "{cut}");
        // More records than the cap: refused, the cap named.
        let err = parse_cloudtrail_reader(text.as_bytes(), n - 1).unwrap_err();
        assert!(err.contains(&format!("more than {} CloudTrail records", n - 1)), "{err}");
        assert_eq!(parse_cloudtrail_reader(text.as_bytes(), n).unwrap().len(), n);
        assert_eq!(parse_cloudtrail_reader(&b"  \n"[..], n).unwrap_err(), "the file is empty");
        // A time in seconds read as milliseconds, or a typo of a year: not plausible.
        let mut r = record("PutRule", "events.amazonaws.com", json!({"name": "r"}));
        r["eventTime"] = "2999-01-01T00:00:00Z".into();
        assert!(parse_record(&r).unwrap_err().contains("more than a day ahead"), "{r}");
        r["eventTime"] = "1970-01-12T13:46:40Z".into();
        assert!(parse_record(&r).unwrap_err().contains("before 2000"));
    }
}
