//! X-Ray segment documents → [`Trace`]s. Pure: no SDK types, no I/O, so evidence files and the
//! AWS source read traces the same way.
//!
//! # What becomes a span
//!
//! Every segment and every subsegment (nested `subsegments` at any depth, or sent on its own
//! with `"type": "subsegment"`) becomes one [`Span`] with `parent` set:
//!
//! * a subsegment's parent is its enclosing (sub)segment, reached by a [`SpanLink::Call`]; its
//!   `service` is the service of the segment it belongs to;
//! * a segment whose `parent_id` names a span of the trace was called from there
//!   ([`SpanLink::Call`]), unless that span published an event: a subsegment with namespace
//!   `aws` and operation `Publish`/`PublishBatch`/`SendMessage`/`SendMessageBatch`/`PutEvents`/
//!   `PutRecord`/`PutRecords`, or an inferred queue/topic/bus/stream node. Then it is an
//!   [`SpanLink::Async`] hop and `via` names the queue, topic, bus or stream when the publisher
//!   says which (`queue_url`, `topic_arn`, `event_bus_name`, `stream_name`; else its name).
//!   An inferred node (the queue or topic itself) is reached by a call from the publisher,
//!   the consumer below it by the asynchronous hop;
//! * a segment without a known parent that `links` to a span of the trace (`links: [{"trace_id",
//!   "id"}]`) hangs below the linked span as an [`SpanLink::Async`] hop: asynchronous hops are
//!   linked segments of the same request, not orphans. Documents of several traces can be
//!   parsed together for this (a consumer that started its own trace);
//! * anything else is a root ([`SpanLink::Root`]); a `parent_id` that is not in the trace is
//!   noted as a problem of the span.
//!
//! Spans come out in tree order (depth first, roots and siblings by start time), so a parent is
//! always listed before its children.
//!
//! # Fields
//!
//! `start_time`/`end_time` (epoch seconds, fractional) → `start` (epoch ms) and `duration_ms`;
//! `in_progress`; `inferred`; `namespace`; `http.request{method,url,user_agent,client_ip}` and
//! `http.response{status}` → [`SpanHttp`] and `status`; `aws` flattened to `key` / `a.b` →
//! text; `annotations` (key → text); `metadata` flattened to `namespace.key.path` → JSON text;
//! `error`/`fault`/`throttle` and the HTTP status → [`Outcome`] (throttle or 429 first, then
//! fault or 5xx, then error or 4xx); `cause.exceptions[{message,type,remote,stack[{path,line,
//! label}]}]` → [`SpanException`]s, and a `cause` that is an exception id string refers to an
//! exception recorded on another span of the trace (copied over). The span's `error` is the
//! first exception (`Type: message`). `correlation_id` is the annotation named by the
//! correlation key ([`DEFAULT_CORRELATION_KEY`] unless given). Unknown fields are ignored.
//!
//! # Malformed input is shown, never fatal
//!
//! * no `end_time` and not `in_progress`: problem `missing end_time`, drawn up to the trace's
//!   last known time (as an in-progress span is);
//! * a time that is not a number, negative, NaN or after the year 9999: problem noted; a bad
//!   start is clamped to the trace's first known time, a bad end treated as missing;
//!   `end_time` before `start_time`: problem noted, duration 0;
//! * parent ids forming a cycle: one span of the cycle (the earliest) becomes a root with the
//!   problem `parent cycle`, so the tree is finite;
//! * the same id twice: a complete document wins over an in-progress one, else the first is
//!   kept and the problem noted;
//! * a document that is not JSON or not an object: skipped, with a problem on the first root;
//!   when nothing parses at all the result is an `Err` naming the documents.

use crate::model::{Outcome, Span, SpanException, SpanHttp, SpanLink, Trace, TraceSummary};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The annotation that carries a request's correlation id unless configured otherwise.
pub const DEFAULT_CORRELATION_KEY: &str = "correlation_id";

/// 9999-12-31T23:59:59Z: later times are taken for garbage (milliseconds sent as seconds).
const MAX_EPOCH_S: f64 = 253_402_300_799.0;

/// AWS operations that hand an event to a queue, topic, bus or stream.
const PUBLISH_OPERATIONS: &[&str] = &[
    "Publish",
    "PublishBatch",
    "SendMessage",
    "SendMessageBatch",
    "PutEvents",
    "PutRecord",
    "PutRecords",
];

/// Origins of inferred nodes that are queues, topics, buses or streams.
const ASYNC_ORIGINS: &[&str] =
    &["AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::Events::EventBus", "AWS::Kinesis::Stream"];

/// All documents of one trace (JSON strings), correlation id from the `correlation_id`
/// annotation. See the module documentation.
pub fn parse_segments(docs: &[&str]) -> Result<Trace, String> {
    parse_segments_with(docs, DEFAULT_CORRELATION_KEY)
}

/// [`parse_segments`] with the correlation id read from the annotation `correlation_key`.
pub fn parse_segments_with(docs: &[&str], correlation_key: &str) -> Result<Trace, String> {
    let values =
        docs.iter().enumerate().map(|(i, d)| (format!("document {i}"), parse_json(d))).collect();
    build(values, correlation_key)
}

/// The JSON output of `aws xray batch-get-traces` (`{"Traces":[{"Id","Duration","Segments":
/// [{"Id","Document"}]}]}`): one [`Trace`] per trace that has a readable document. A trace of
/// which nothing could be read is left out; when that is every trace, it is an `Err`.
pub fn parse_batch_get_traces(json: &str) -> Result<Vec<Trace>, String> {
    parse_batch_get_traces_with(json, DEFAULT_CORRELATION_KEY)
}

/// [`parse_batch_get_traces`] with the correlation id read from `correlation_key`.
pub fn parse_batch_get_traces_with(
    json: &str,
    correlation_key: &str,
) -> Result<Vec<Trace>, String> {
    let value = parse_json(json)?;
    batch_value(&value, correlation_key)
}

/// A trace file: the output of `aws xray batch-get-traces`, one raw segment document, a JSON
/// array of documents (objects or JSON strings), or JSON lines of documents. Documents are
/// grouped by `trace_id`; traces linked by `links` are read as one.
pub fn parse_trace_file(text: &str) -> Result<Vec<Trace>, String> {
    parse_trace_file_with(text, DEFAULT_CORRELATION_KEY)
}

/// [`parse_trace_file`] with the correlation id read from `correlation_key`.
pub fn parse_trace_file_with(text: &str, correlation_key: &str) -> Result<Vec<Trace>, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err("the trace file is empty".into());
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::Object(o)) if o.contains_key("Traces") => {
            batch_value(&Value::Object(o), correlation_key)
        }
        Ok(doc @ Value::Object(_)) => {
            grouped(vec![("document 0".into(), Ok(doc))], correlation_key)
        }
        Ok(Value::Array(items)) => {
            let docs = items
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    let v = match v {
                        Value::String(s) => parse_json(&s),
                        other => Ok(other),
                    };
                    (format!("document {i}"), v)
                })
                .collect();
            grouped(docs, correlation_key)
        }
        Ok(_) => Err("the trace file holds neither segment documents nor traces".into()),
        Err(_) => {
            // JSON lines.
            let docs = trimmed
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| (format!("line {}", i + 1), parse_json(l)))
                .collect();
            grouped(docs, correlation_key)
        }
    }
}

/// A trace as a search result: its first root's service, operation, start, status and
/// duration (up to the last span's end), and whether any span failed.
pub fn summarize(trace: &Trace) -> TraceSummary {
    let Some(root) = trace.spans.iter().find(|s| s.parent.is_none()) else {
        return TraceSummary { trace_id: trace.trace_id.clone(), ..TraceSummary::default() };
    };
    let end = trace
        .spans
        .iter()
        .map(|s| s.start as f64 + s.duration_ms)
        .fold(root.start as f64 + root.duration_ms, f64::max);
    let any = |o: Outcome| trace.spans.iter().any(|s| s.outcome == o);
    TraceSummary {
        trace_id: trace.trace_id.clone(),
        correlation_id: Some(trace.correlation_id.clone()).filter(|c| !c.is_empty()),
        service: root.service.clone(),
        operation: root.operation.clone(),
        start: root.start,
        duration_ms: end - root.start as f64,
        status: root.status,
        has_error: any(Outcome::Error),
        has_fault: any(Outcome::Fault),
        has_throttle: any(Outcome::Throttle),
    }
}

fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))
}

fn batch_value(value: &Value, correlation_key: &str) -> Result<Vec<Trace>, String> {
    let traces = value
        .get("Traces")
        .and_then(Value::as_array)
        .ok_or("no \"Traces\" list: not the output of batch-get-traces")?;
    let mut out = Vec::new();
    let mut failures = Vec::new();
    for (i, t) in traces.iter().enumerate() {
        let id = t.get("Id").and_then(Value::as_str).unwrap_or_default();
        let docs: Docs = t
            .get("Segments")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(j, s)| {
                let label = format!("segment {j} of trace {id}");
                let doc = match s.get("Document") {
                    Some(Value::String(d)) => parse_json(d),
                    Some(d @ Value::Object(_)) => Ok(d.clone()),
                    _ => Err("no Document".into()),
                };
                (label, doc)
            })
            .collect();
        match build(docs, correlation_key) {
            Ok(mut trace) => {
                if !id.is_empty() {
                    trace.trace_id = id.to_string();
                }
                out.push(trace);
            }
            Err(e) => failures.push(format!("trace {i} ({id}): {e}")),
        }
    }
    if out.is_empty() {
        if failures.is_empty() {
            return Err("no traces".into());
        }
        return Err(in_short(&failures, "traces"));
    }
    Ok(out)
}

/// The longest a reason quoted in an error is (a file of broken documents says why in a
/// line, not in megabytes).
const MAX_REASON_CHARS: usize = 240;

/// Why nothing could be read, in a line: the only reason, or how many and the first.
fn in_short(failures: &[String], what: &str) -> String {
    let cut = |s: &str| {
        if s.chars().count() <= MAX_REASON_CHARS {
            s.to_string()
        } else {
            let head: String = s.chars().take(MAX_REASON_CHARS).collect();
            format!("{head}…")
        }
    };
    let all = failures.join("; ");
    if all.chars().count() <= 2 * MAX_REASON_CHARS {
        return if all.is_empty() { format!("no {what}") } else { all };
    }
    match failures {
        [] => format!("no {what}"),
        [one] => cut(one),
        [first, ..] => format!(
            "none of the {} {what} could be read; the first: {}",
            failures.len(),
            cut(first)
        ),
    }
}

/// Documents with a label for problems (`document 3`, `line 4`), parsed or why not.
type Docs = Vec<(String, Result<Value, String>)>;

/// Group documents by trace id (merging traces connected by `links`), one trace per group.
fn grouped(docs: Docs, correlation_key: &str) -> Result<Vec<Trace>, String> {
    // Union-find over trace ids.
    let mut ids: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut up: Vec<usize> = Vec::new();
    fn find(up: &mut [usize], mut i: usize) -> usize {
        while up[i] != i {
            up[i] = up[up[i]];
            i = up[i];
        }
        i
    }
    let mut intern = |id: &str, ids: &mut Vec<String>, up: &mut Vec<usize>| -> usize {
        *index.entry(id.to_string()).or_insert_with(|| {
            ids.push(id.to_string());
            up.push(up.len());
            up.len() - 1
        })
    };
    let mut group_of_doc: Vec<Option<usize>> = Vec::with_capacity(docs.len());
    for (_, doc) in &docs {
        let Ok(Value::Object(o)) = doc else {
            group_of_doc.push(None);
            continue;
        };
        let tid = o.get("trace_id").and_then(Value::as_str).unwrap_or_default();
        let g = intern(tid, &mut ids, &mut up);
        for link in o.get("links").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(other) = link.get("trace_id").and_then(Value::as_str) {
                let h = intern(other, &mut ids, &mut up);
                let (a, b) = (find(&mut up, g), find(&mut up, h));
                up[a.max(b)] = a.min(b);
            }
        }
        group_of_doc.push(Some(g));
    }
    let mut groups: BTreeMap<usize, Docs> = BTreeMap::new();
    let mut loose = Vec::new();
    for ((label, doc), g) in docs.into_iter().zip(group_of_doc) {
        match g {
            Some(g) => groups.entry(find(&mut up, g)).or_default().push((label, doc)),
            None => loose.push((label, doc)),
        }
    }
    if groups.is_empty() {
        return build(loose, correlation_key).map(|t| vec![t]);
    }
    // Documents that could not be read are reported with the first trace.
    if let Some(first) = groups.values_mut().next() {
        first.extend(loose);
    }
    let mut out = Vec::new();
    let mut failures = Vec::new();
    for docs in groups.into_values() {
        match build(docs, correlation_key) {
            Ok(t) => out.push(t),
            Err(e) => failures.push(e),
        }
    }
    if out.is_empty() {
        return Err(in_short(&failures, "traces"));
    }
    out.sort_by_key(|t| t.spans.first().map(|s| s.start));
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Reading one document

#[derive(Clone, Debug, PartialEq)]
enum Time {
    Missing,
    Bad(String),
    At(f64),
}

impl Time {
    fn read(v: Option<&Value>) -> Time {
        let t = match v {
            None | Some(Value::Null) => return Time::Missing,
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            Some(_) => None,
        };
        // More than a day ahead of the clock is no real span's time (milliseconds read as
        // seconds, a typo of a year).
        let latest = (crate::model::text::wall_now() / 1000 + 86_400) as f64;
        match t {
            Some(t) if t.is_finite() && (0.0..=MAX_EPOCH_S.min(latest)).contains(&t) => Time::At(t),
            _ => Time::Bad(v.map(Value::to_string).unwrap_or_default()),
        }
    }

    fn at(&self) -> Option<f64> {
        match self {
            Time::At(t) => Some(*t),
            _ => None,
        }
    }
}

/// A span as read, before the tree is built.
#[derive(Debug)]
struct Raw {
    span: Span,
    name: String,
    trace_id: Option<String>,
    /// Its own document is a segment (not a subsegment, not nested).
    segment: bool,
    /// The parent by position (nested subsegments) or by `parent_id`.
    parent_ref: Option<String>,
    links: Vec<String>,
    start: Time,
    end: Time,
    cause_ref: Option<String>,
    /// Exceptions recorded here, by id, for `cause` references elsewhere.
    exception_ids: Vec<(String, SpanException)>,
    origin: Option<String>,
    region: Option<String>,
}

impl Raw {
    fn complete(&self) -> bool {
        matches!(self.end, Time::At(_))
    }

    /// `Some(via)` when this span hands events to a queue, topic, bus or stream.
    fn publishes(&self) -> Option<Option<String>> {
        let aws = |k: &str| self.span.aws.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        if self.span.inferred && self.origin.as_deref().is_some_and(|o| ASYNC_ORIGINS.contains(&o))
        {
            return Some(Some(self.name.clone()));
        }
        let op = aws("operation")?;
        if self.span.namespace.as_deref() != Some("aws")
            || !PUBLISH_OPERATIONS.iter().any(|p| p.eq_ignore_ascii_case(op))
        {
            return None;
        }
        let last =
            |s: &str, sep: char| s.trim_end_matches(sep).rsplit(sep).next().map(str::to_string);
        let via = aws("queue_url")
            .and_then(|u| last(u, '/'))
            .or_else(|| aws("topic_arn").and_then(|a| last(a, ':')))
            .or_else(|| aws("event_bus_name").map(str::to_string))
            .or_else(|| aws("stream_name").map(str::to_string))
            .or_else(|| Some(self.name.clone()).filter(|n| !n.is_empty()));
        Some(via)
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn flag(o: &Map<String, Value>, key: &str) -> bool {
    match o.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn str_field(o: &Map<String, Value>, key: &str) -> Option<String> {
    o.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// `a.b.c` → text for every leaf of an object (arrays are leaves); `json` writes strings as
/// JSON too.
fn flatten(prefix: &str, v: &Value, json: bool, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) if !o.is_empty() => {
            for (k, v) in o {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, json, out);
            }
        }
        other => {
            let value = if json { other.to_string() } else { text(other) };
            out.push((prefix.to_string(), value));
        }
    }
}

fn read_http(v: &Value) -> Option<SpanHttp> {
    let o = v.as_object()?;
    let req = o.get("request").and_then(Value::as_object);
    let res = o.get("response").and_then(Value::as_object);
    let get = |m: Option<&Map<String, Value>>, k: &str| m.and_then(|m| str_field(m, k));
    let status = res.and_then(|r| r.get("status")).and_then(|s| match s {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    Some(SpanHttp {
        method: get(req, "method"),
        url: get(req, "url"),
        status: status.and_then(|s| u16::try_from(s).ok()),
        user_agent: get(req, "user_agent"),
        client_ip: get(req, "client_ip"),
    })
}

fn read_exception(v: &Value) -> Option<(Option<String>, SpanException)> {
    let o = v.as_object()?;
    let stack = o
        .get("stack")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_object)
        .map(|f| {
            let label = f.get("label").map(text).unwrap_or_default();
            let path = f.get("path").map(text).unwrap_or_default();
            match f.get("line") {
                Some(line) => format!("{label} ({path}:{})", text(line)),
                None => format!("{label} ({path})"),
            }
        })
        .collect();
    let e = SpanException {
        kind: str_field(o, "type"),
        message: o.get("message").map(text).unwrap_or_default(),
        remote: flag(o, "remote"),
        stack,
    };
    Some((str_field(o, "id"), e))
}

/// The path of a URL (`https://host/a/b?x` → `/a/b`); the input when it has no scheme.
fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r.find('/').map_or("/", |i| &r[i..]));
    rest.split(['?', '#']).next().unwrap_or(rest)
}

struct Reader<'a> {
    correlation_key: &'a str,
    raws: Vec<Raw>,
    generated: usize,
}

impl Reader<'_> {
    /// Read a (sub)segment object and, recursively, its nested subsegments.
    fn read(
        &mut self,
        o: &Map<String, Value>,
        label: &str,
        enclosing: Option<(&str, Option<&str>)>,
    ) {
        let mut problems = Vec::new();
        let id = match str_field(o, "id") {
            Some(id) => id,
            None => {
                self.generated += 1;
                problems.push(format!("{label}: no id"));
                format!("?{}", self.generated)
            }
        };
        let name = str_field(o, "name").unwrap_or_else(|| {
            problems.push("no name".into());
            "(unnamed)".into()
        });
        let is_sub =
            enclosing.is_some() || o.get("type").and_then(Value::as_str) == Some("subsegment");
        let mut aws = Vec::new();
        if let Some(a @ Value::Object(_)) = o.get("aws") {
            flatten("", a, false, &mut aws);
        }
        let mut annotations = Vec::new();
        if let Some(Value::Object(a)) = o.get("annotations") {
            annotations = a.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        }
        let mut metadata = Vec::new();
        if let Some(m @ Value::Object(_)) = o.get("metadata") {
            flatten("", m, true, &mut metadata);
        }
        let correlation_id =
            annotations.iter().find(|(k, _)| k == self.correlation_key).map(|(_, v)| v.clone());
        let (mut exceptions, mut exception_ids, mut cause_ref) = (Vec::new(), Vec::new(), None);
        match o.get("cause") {
            Some(Value::String(id)) if !id.is_empty() => cause_ref = Some(id.clone()),
            Some(Value::Object(c)) => {
                for v in c.get("exceptions").and_then(Value::as_array).into_iter().flatten() {
                    if let Some((eid, e)) = read_exception(v) {
                        if let Some(eid) = eid {
                            exception_ids.push((eid, e.clone()));
                        }
                        exceptions.push(e);
                    }
                }
            }
            _ => {}
        }
        let http = o.get("http").and_then(read_http);
        let status = http.as_ref().and_then(|h| h.status).unwrap_or(0);
        let outcome = if flag(o, "throttle") || status == 429 {
            Outcome::Throttle
        } else if flag(o, "fault") || status >= 500 {
            Outcome::Fault
        } else if flag(o, "error") || (400..500).contains(&status) {
            Outcome::Error
        } else {
            Outcome::Ok
        };
        let namespace = str_field(o, "namespace");
        let aws_op = aws.iter().find(|(k, _)| k == "operation").map(|(_, v)| v.clone());
        let operation = if is_sub {
            match (&namespace, &aws_op) {
                (Some(ns), Some(op)) if ns == "aws" && *op != name => format!("{name} {op}"),
                _ => name.clone(),
            }
        } else {
            let method = http.as_ref().and_then(|h| h.method.as_deref());
            let url = http.as_ref().and_then(|h| h.url.as_deref());
            match (method, url, &aws_op) {
                (Some(m), Some(u), _) => format!("{m} {}", url_path(u)),
                (_, _, Some(op)) => op.clone(),
                _ => name.clone(),
            }
        };
        let links = o
            .get("links")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|l| l.get("id").and_then(Value::as_str).map(str::to_string))
            .collect();
        let trace_id =
            str_field(o, "trace_id").or_else(|| enclosing.and_then(|(_, t)| t).map(str::to_string));
        // `aws.region`, else the region of the resource's ARN (Lambda's function segment
        // says `resource_arn: arn:aws:lambda:eu-west-1:…`).
        let region =
            aws.iter().find(|(k, _)| k == "region").map(|(_, v)| v.clone()).or_else(|| {
                str_field(o, "resource_arn")
                    .and_then(|a| a.split(':').nth(3).map(str::to_string))
                    .filter(|r| !r.is_empty())
            });
        let raw = Raw {
            span: Span {
                id: id.clone(),
                parent: None,
                link: SpanLink::Root,
                service: if is_sub { String::new() } else { name.clone() },
                operation,
                status,
                outcome,
                in_progress: flag(o, "in_progress"),
                inferred: flag(o, "inferred"),
                namespace,
                http,
                aws,
                annotations,
                metadata,
                exceptions,
                correlation_id,
                problems,
                ..Span::default()
            },
            name,
            trace_id,
            segment: !is_sub,
            parent_ref: enclosing
                .map(|(id, _)| id.to_string())
                .or_else(|| str_field(o, "parent_id")),
            links,
            start: Time::read(o.get("start_time")),
            end: Time::read(o.get("end_time")),
            cause_ref,
            exception_ids,
            origin: str_field(o, "origin"),
            region,
        };
        let subs: Vec<&Value> =
            o.get("subsegments").and_then(Value::as_array).into_iter().flatten().collect();
        let mut raw = raw;
        let mut children: Vec<(usize, &Map<String, Value>)> = Vec::new();
        for (i, s) in subs.into_iter().enumerate() {
            match s.as_object() {
                Some(so) => children.push((i, so)),
                None => raw.span.problems.push(format!("subsegment {i} is not an object")),
            }
        }
        let me = self.raws.len();
        self.raws.push(raw);
        for (i, so) in children {
            let (id, trace) = (self.raws[me].span.id.clone(), self.raws[me].trace_id.clone());
            self.read(so, &format!("{label}, subsegment {i}"), Some((&id, trace.as_deref())));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Building the tree

fn build(docs: Docs, correlation_key: &str) -> Result<Trace, String> {
    if docs.is_empty() {
        return Err("no segment documents".into());
    }
    let mut reader = Reader { correlation_key, raws: Vec::new(), generated: 0 };
    let mut skipped = Vec::new();
    for (label, doc) in &docs {
        match doc {
            Ok(Value::Object(o)) => reader.read(o, label, None),
            Ok(_) => skipped.push(format!("{label} is not a JSON object; skipped")),
            Err(e) => skipped.push(format!("{label} is {e}; skipped")),
        }
    }
    let mut raws = dedup(reader.raws);
    if raws.is_empty() {
        return Err(in_short(&skipped, "documents"));
    }

    // Times: clamp what cannot be drawn, end open spans at the trace's last known time.
    let known = raws.iter().flat_map(|r| [r.start.at(), r.end.at()]).flatten();
    let (first, last) =
        known.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let (first, last) = if first.is_finite() { (first, last) } else { (0.0, 0.0) };
    for r in &mut raws {
        let start = match &r.start {
            Time::At(t) => *t,
            Time::Missing => {
                r.span.problems.push("missing start_time; shown at the trace start".into());
                first
            }
            Time::Bad(v) => {
                r.span
                    .problems
                    .push(format!("start_time {v} is not a usable time (not a number, negative, or more than a day ahead of the clock); shown at the trace start"));
                first
            }
        };
        let end = match &r.end {
            Time::At(t) if *t < start => {
                r.span.problems.push("end_time before start_time".into());
                start
            }
            Time::At(t) => *t,
            Time::Bad(v) => {
                r.span.problems.push(format!("end_time {v} is not a usable time"));
                last.max(start)
            }
            Time::Missing => {
                if !r.span.in_progress {
                    r.span.problems.push("missing end_time".into());
                }
                last.max(start)
            }
        };
        r.span.start = (start * 1000.0).round() as i64;
        r.span.duration_ms = ((end - start) * 1000.0).max(0.0);
    }

    // Exceptions referenced by id from other spans.
    let by_exception: HashMap<String, SpanException> =
        raws.iter().flat_map(|r| r.exception_ids.iter().cloned()).collect();
    for r in &mut raws {
        if let Some(eid) = &r.cause_ref {
            match by_exception.get(eid) {
                Some(e) => r.span.exceptions.push(e.clone()),
                None => r.span.exceptions.push(SpanException {
                    message: format!("exception {eid} (recorded elsewhere)"),
                    ..SpanException::default()
                }),
            }
        }
        if let Some(e) = r.span.exceptions.first() {
            r.span.error = Some(match &e.kind {
                Some(k) if !e.message.is_empty() => format!("{k}: {}", e.message),
                Some(k) => k.clone(),
                None => e.message.clone(),
            });
        }
    }

    // Parents.
    let index: HashMap<String, usize> =
        raws.iter().enumerate().map(|(i, r)| (r.span.id.clone(), i)).collect();
    let mut parent: Vec<Option<usize>> = vec![None; raws.len()];
    let mut link = vec![SpanLink::Root; raws.len()];
    let mut via: Vec<Option<String>> = vec![None; raws.len()];
    for i in 0..raws.len() {
        let r = &raws[i];
        let by_parent = r.parent_ref.as_ref().map(|p| (p, index.get(p).copied()));
        match by_parent {
            Some((_, Some(p))) => {
                parent[i] = Some(p);
                link[i] = SpanLink::Call;
                if r.segment
                    && !r.span.inferred
                    && let Some(v) = raws[p].publishes()
                {
                    link[i] = SpanLink::Async;
                    via[i] = v;
                }
            }
            _ => {
                let linked = r.links.iter().filter_map(|l| index.get(l)).find(|&&l| l != i);
                if let Some(&l) = linked {
                    parent[i] = Some(l);
                    link[i] = SpanLink::Async;
                    via[i] = raws[l].publishes().flatten();
                } else if let Some((p, None)) = by_parent {
                    let note = format!("parent {p} is not in the trace");
                    raws[i].span.problems.push(note);
                }
            }
        }
    }
    break_cycles(&mut raws, &mut parent, &mut link, &mut via);

    // Tree order: depth first, roots and siblings by start.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); raws.len()];
    let mut roots = Vec::new();
    for (i, p) in parent.iter().enumerate() {
        match p {
            Some(p) => children[*p].push(i),
            None => roots.push(i),
        }
    }
    let key = |i: &usize| (raws[*i].span.start, *i);
    roots.sort_by_key(key);
    for c in &mut children {
        c.sort_by_key(key);
    }
    let mut order = Vec::with_capacity(raws.len());
    let mut stack: Vec<usize> = roots.iter().rev().copied().collect();
    while let Some(i) = stack.pop() {
        order.push(i);
        stack.extend(children[i].iter().rev());
    }

    let first_root = roots[0];
    let trace_id = raws[first_root]
        .trace_id
        .clone()
        .or_else(|| raws.iter().find_map(|r| r.trace_id.clone()))
        .unwrap_or_default();
    let region = raws[first_root]
        .region
        .clone()
        .or_else(|| raws.iter().find_map(|r| r.region.clone()))
        .unwrap_or_default();
    let mut slots: Vec<Option<Raw>> = raws.into_iter().map(Some).collect();
    let mut spans: Vec<Span> = Vec::with_capacity(order.len());
    let mut service_of: Vec<String> = vec![String::new(); slots.len()];
    for &i in &order {
        let raw = slots[i].take().expect("each span once");
        let mut span = raw.span;
        if !raw.segment {
            // A subsegment runs in the service of its segment.
            span.service = match parent[i] {
                Some(p) => service_of[p].clone(),
                None => raw.name.clone(),
            };
            if span.service.is_empty() {
                span.service = raw.name.clone();
            }
        }
        service_of[i] = span.service.clone();
        span.link = link[i];
        span.via = via[i].clone();
        spans.push(span);
    }
    // Parent ids were resolved from indexes: fill them now that every span is placed.
    let ids: Vec<String> = {
        let mut ids = vec![String::new(); order.len()];
        for (pos, &i) in order.iter().enumerate() {
            ids[i] = spans[pos].id.clone();
        }
        ids
    };
    for (pos, &i) in order.iter().enumerate() {
        spans[pos].parent = parent[i].map(|p| ids[p].clone());
    }
    if !skipped.is_empty() {
        spans[0].problems.extend(skipped);
    }
    let correlation_id = spans.iter().find_map(|s| s.correlation_id.clone()).unwrap_or_default();
    Ok(Trace { trace_id, correlation_id, region, spans })
}

/// Keep one span per id: a complete one over an in-progress one, else the first.
fn dedup(raws: Vec<Raw>) -> Vec<Raw> {
    let mut out: Vec<Raw> = Vec::with_capacity(raws.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    for r in raws {
        match index.get(&r.span.id) {
            None => {
                index.insert(r.span.id.clone(), out.len());
                out.push(r);
            }
            Some(&k) => {
                if r.complete() && !out[k].complete() {
                    out[k] = r;
                } else if out[k].complete() && r.complete() {
                    let note = format!("a second document with id {} was ignored", r.span.id);
                    out[k].span.problems.push(note);
                }
            }
        }
    }
    out
}

/// Make the parent relation a forest: in every cycle the earliest span becomes a root.
fn break_cycles(
    raws: &mut [Raw],
    parent: &mut [Option<usize>],
    link: &mut [SpanLink],
    via: &mut [Option<String>],
) {
    // 0 = not seen, 1 = on the current path, 2 = done.
    let mut state = vec![0u8; raws.len()];
    for start in 0..raws.len() {
        let mut path: Vec<usize> = Vec::new();
        let mut cur = Some(start);
        while let Some(i) = cur {
            match state[i] {
                2 => break,
                1 => {
                    let at = path.iter().position(|&p| p == i).expect("on the path");
                    let cycle: &[usize] = &path[at..];
                    let &victim = cycle
                        .iter()
                        .min_by_key(|&&c| (raws[c].span.start, c))
                        .expect("a cycle has members");
                    parent[victim] = None;
                    link[victim] = SpanLink::Root;
                    via[victim] = None;
                    raws[victim].span.problems.push("parent cycle".into());
                    break;
                }
                _ => {
                    state[i] = 1;
                    path.push(i);
                    cur = parent[i];
                }
            }
        }
        for i in path {
            state[i] = 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: &str = "1-5f84c7a1-0123456789abcdef01234567";

    fn docs(values: &[Value]) -> Vec<String> {
        values.iter().map(Value::to_string).collect()
    }

    fn parse(values: &[Value]) -> Trace {
        let texts = docs(values);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        parse_segments(&refs).expect("parses")
    }

    fn span<'a>(t: &'a Trace, id: &str) -> &'a Span {
        t.spans.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("no span {id}"))
    }

    /// api (POST /orders) → billing over HTTP, → SQS → worker, → DynamoDB (inferred node).
    fn three_services() -> Vec<Value> {
        vec![
            json!({
                "name": "api", "id": "a1", "trace_id": T,
                "start_time": 100.0, "end_time": 100.5,
                "origin": "AWS::EC2::Instance",
                "http": {
                    "request": {"method": "POST", "url": "https://api.example.com/orders?dry=1",
                                "user_agent": "curl/8", "client_ip": "10.0.0.9"},
                    "response": {"status": 502, "content_length": 12}
                },
                "fault": true,
                "aws": {"region": "eu-west-1", "ec2": {"instance_id": "i-1"}, "xray": {"sdk": "X-Ray for Go"}},
                "annotations": {"correlation_id": "c-1", "tenant": "t-9", "retry": 2, "vip": true},
                "metadata": {"default": {"order": {"id": 5, "items": [1, 2]}, "note": "x"}, "empty": {}},
                "cause": {"working_directory": "/app", "exceptions": [{
                    "id": "e1", "message": "upstream failed", "type": "BadGateway", "remote": false,
                    "stack": [{"path": "app.py", "line": 10, "label": "handler"},
                              {"path": "main.py", "label": "main"}]
                }]},
                "some_future_field": {"ignored": true},
                "subsegments": [
                    {"name": "billing", "id": "s1", "namespace": "remote",
                     "start_time": 100.1, "end_time": 100.4,
                     "http": {"request": {"method": "GET", "url": "http://billing/charge"},
                              "response": {"status": 500}},
                     "fault": true, "cause": "e2"},
                    {"name": "SQS", "id": "s2", "namespace": "aws",
                     "start_time": 100.41, "end_time": 100.45,
                     "aws": {"operation": "SendMessage", "region": "eu-west-1",
                             "request_id": "r-1",
                             "queue_url": "https://sqs.eu-west-1.amazonaws.com/123/orders-queue"}},
                    {"name": "DynamoDB", "id": "s3", "namespace": "aws",
                     "start_time": 100.02, "end_time": 100.08,
                     "throttle": true, "error": true,
                     "http": {"response": {"status": 400}},
                     "aws": {"operation": "GetItem", "table_name": "orders"},
                     "subsegments": [{"name": "marshal", "id": "s3a",
                                      "start_time": 100.03, "end_time": 100.04}]}
                ]
            }),
            json!({
                "name": "billing", "id": "b1", "trace_id": T, "parent_id": "s1",
                "start_time": 100.15, "end_time": 100.35, "fault": true,
                "http": {"response": {"status": 500}},
                "cause": {"exceptions": [{"id": "e2", "message": "db down", "type": "DbError",
                                          "remote": true}]}
            }),
            json!({
                "name": "worker", "id": "w1", "trace_id": T, "parent_id": "s2",
                "start_time": 101.0, "end_time": 101.25,
                "annotations": {"correlation_id": "c-1"}
            }),
            json!({
                "name": "orders", "id": "d1", "trace_id": T, "parent_id": "s3",
                "inferred": true, "origin": "AWS::DynamoDB::Table",
                "start_time": 100.021, "end_time": 100.079, "throttle": true,
                "aws": {"operation": "GetItem", "table_name": "orders"}
            }),
            // A subsegment sent on its own.
            json!({
                "type": "subsegment", "name": "postgres", "id": "x1", "trace_id": T,
                "parent_id": "b1", "namespace": "remote",
                "start_time": 100.2, "end_time": 100.3, "error": true
            }),
        ]
    }

    #[test]
    fn a_three_service_trace_becomes_one_tree() {
        let t = parse(&three_services());
        assert_eq!(t.trace_id, T);
        assert_eq!(t.correlation_id, "c-1");
        assert_eq!(t.region, "eu-west-1");
        let tree: Vec<(&str, Option<&str>, SpanLink, &str, &str)> = t
            .spans
            .iter()
            .map(|s| {
                (
                    s.id.as_str(),
                    s.parent.as_deref(),
                    s.link,
                    s.service.as_str(),
                    s.operation.as_str(),
                )
            })
            .collect();
        assert_eq!(
            tree,
            [
                ("a1", None, SpanLink::Root, "api", "POST /orders"),
                ("s3", Some("a1"), SpanLink::Call, "api", "DynamoDB GetItem"),
                ("d1", Some("s3"), SpanLink::Call, "orders", "GetItem"),
                ("s3a", Some("s3"), SpanLink::Call, "api", "marshal"),
                ("s1", Some("a1"), SpanLink::Call, "api", "billing"),
                ("b1", Some("s1"), SpanLink::Call, "billing", "billing"),
                ("x1", Some("b1"), SpanLink::Call, "billing", "postgres"),
                ("s2", Some("a1"), SpanLink::Call, "api", "SQS SendMessage"),
                ("w1", Some("s2"), SpanLink::Async, "worker", "worker"),
            ]
        );
        assert!(t.spans.iter().all(|s| s.problems.is_empty()), "{:#?}", t.spans);

        let w = span(&t, "w1");
        assert_eq!(w.via.as_deref(), Some("orders-queue"));
        assert_eq!(w.correlation_id.as_deref(), Some("c-1"));
        assert_eq!(w.start, 101_000);
        assert!((w.duration_ms - 250.0).abs() < 1e-6);

        let a = span(&t, "a1");
        assert_eq!((a.status, a.outcome), (502, Outcome::Fault));
        assert_eq!(
            a.http,
            Some(SpanHttp {
                method: Some("POST".into()),
                url: Some("https://api.example.com/orders?dry=1".into()),
                status: Some(502),
                user_agent: Some("curl/8".into()),
                client_ip: Some("10.0.0.9".into()),
            })
        );
        let pairs = |v: &[(String, String)]| {
            v.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
        };
        assert_eq!(pairs(&a.aws), "region=eu-west-1 ec2.instance_id=i-1 xray.sdk=X-Ray for Go");
        assert_eq!(pairs(&a.annotations), "correlation_id=c-1 tenant=t-9 retry=2 vip=true");
        assert_eq!(
            pairs(&a.metadata),
            r#"default.order.id=5 default.order.items=[1,2] default.note="x" empty={}"#
        );
        assert_eq!(
            a.exceptions,
            [SpanException {
                kind: Some("BadGateway".into()),
                message: "upstream failed".into(),
                remote: false,
                stack: vec!["handler (app.py:10)".into(), "main (main.py)".into()],
            }]
        );
        assert_eq!(a.error.as_deref(), Some("BadGateway: upstream failed"));
        assert!(!a.inferred && !a.in_progress && a.namespace.is_none());

        // `cause` as an exception id: the exception recorded downstream.
        let s1 = span(&t, "s1");
        assert_eq!(s1.namespace.as_deref(), Some("remote"));
        assert_eq!(s1.error.as_deref(), Some("DbError: db down"));
        assert!(s1.exceptions[0].remote);
        assert_eq!((s1.status, s1.outcome), (500, Outcome::Fault));

        let s2 = span(&t, "s2");
        assert_eq!(s2.outcome, Outcome::Ok);
        assert!(s2.aws.contains(&("request_id".into(), "r-1".into())));
        assert!((s2.duration_ms - 40.0).abs() < 1e-6);

        // Throttle wins over error and a 4xx status.
        let s3 = span(&t, "s3");
        assert_eq!((s3.status, s3.outcome), (400, Outcome::Throttle));
        let d1 = span(&t, "d1");
        assert!(d1.inferred);
        assert_eq!(d1.outcome, Outcome::Throttle);
        assert_eq!(span(&t, "x1").outcome, Outcome::Error);
        assert_eq!(span(&t, "b1").outcome, Outcome::Fault);
    }

    #[test]
    fn outcome_follows_the_status_when_no_flag_is_set() {
        let seg = |id: &str, status: u16| {
            json!({"name": "api", "id": id, "trace_id": T, "start_time": 1.0, "end_time": 2.0,
                   "http": {"response": {"status": status}}})
        };
        let t = parse(&[seg("a", 200), seg("b", 404), seg("c", 429), seg("d", 503)]);
        let got: Vec<(u16, Outcome)> = t.spans.iter().map(|s| (s.status, s.outcome)).collect();
        assert_eq!(
            got,
            [
                (200, Outcome::Ok),
                (404, Outcome::Error),
                (429, Outcome::Throttle),
                (503, Outcome::Fault)
            ]
        );
        let t = parse(&[json!({"name": "x", "id": "n", "start_time": 1, "end_time": 2})]);
        assert_eq!(
            (t.spans[0].status, t.spans[0].outcome, t.spans[0].http.is_none()),
            (0, Outcome::Ok, true)
        );
    }

    #[test]
    fn the_correlation_key_is_a_parameter() {
        let texts = docs(&[json!({
            "name": "api", "id": "a", "trace_id": T, "start_time": 1, "end_time": 2,
            "annotations": {"correlation_id": "c-1", "request_id": "r-7"}
        })]);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let t = parse_segments_with(&refs, "request_id").unwrap();
        assert_eq!(t.correlation_id, "r-7");
        assert_eq!(t.spans[0].correlation_id.as_deref(), Some("r-7"));
        let t = parse_segments_with(&refs, "missing").unwrap();
        assert_eq!(t.correlation_id, "");
        assert_eq!(t.spans[0].correlation_id, None);
    }

    #[test]
    fn links_and_inferred_topics_make_async_hops() {
        const OTHER: &str = "1-5f84c7a1-ffffffffffffffffffffffff";
        let producer = json!({
            "name": "orders", "id": "p1", "trace_id": T, "start_time": 10, "end_time": 11,
            "subsegments": [
                {"name": "SNS", "id": "pub", "namespace": "aws", "start_time": 10.1, "end_time": 10.2,
                 "aws": {"operation": "Publish",
                         "topic_arn": "arn:aws:sns:eu-west-1:123:order-events"}},
                {"name": "EventBridge", "id": "ev", "namespace": "aws", "start_time": 10.3,
                 "end_time": 10.4, "aws": {"operation": "PutEvents", "event_bus_name": "main-bus"}}
            ]
        });
        let topic = json!({
            "name": "order-events", "id": "sns1", "trace_id": T, "parent_id": "pub",
            "inferred": true, "origin": "AWS::SNS::Topic", "start_time": 10.15, "end_time": 10.16
        });
        let mailer = json!({
            "name": "mailer", "id": "m1", "trace_id": T, "parent_id": "sns1",
            "start_time": 12, "end_time": 13
        });
        // A consumer that started its own trace and links back to the publishing call.
        let auditor = json!({
            "name": "auditor", "id": "u1", "trace_id": OTHER, "start_time": 14, "end_time": 15,
            "links": [{"trace_id": T, "id": "ev", "attributes": {"kind": "consumer"}}]
        });
        let text = [&producer, &topic, &mailer, &auditor]
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        let traces = parse_trace_file(&text).unwrap();
        assert_eq!(traces.len(), 1, "linked traces are read as one request");
        let t = &traces[0];
        assert_eq!(t.trace_id, T);
        let hops: Vec<(&str, Option<&str>, SpanLink, Option<&str>)> = t
            .spans
            .iter()
            .map(|s| (s.id.as_str(), s.parent.as_deref(), s.link, s.via.as_deref()))
            .collect();
        assert_eq!(
            hops,
            [
                ("p1", None, SpanLink::Root, None),
                ("pub", Some("p1"), SpanLink::Call, None),
                ("sns1", Some("pub"), SpanLink::Call, None),
                ("m1", Some("sns1"), SpanLink::Async, Some("order-events")),
                ("ev", Some("p1"), SpanLink::Call, None),
                ("u1", Some("ev"), SpanLink::Async, Some("main-bus")),
            ]
        );
        // Without the producer the link points nowhere: a root, no problem invented.
        let alone = parse(&[auditor]);
        assert_eq!((alone.spans[0].link, alone.spans[0].parent.as_deref()), (SpanLink::Root, None));
    }

    #[test]
    fn open_spans_end_at_the_trace_s_last_time() {
        let t = parse(&[
            json!({"name": "api", "id": "a", "trace_id": T, "start_time": 100.0, "end_time": 100.9}),
            json!({"name": "slow", "id": "b", "trace_id": T, "parent_id": "a",
                   "start_time": 100.2, "in_progress": true}),
            json!({"name": "lost", "id": "c", "trace_id": T, "parent_id": "a", "start_time": 100.4}),
        ]);
        let b = span(&t, "b");
        assert!(b.in_progress && b.problems.is_empty());
        assert!((b.duration_ms - 700.0).abs() < 1e-6, "{}", b.duration_ms);
        let c = span(&t, "c");
        assert!(!c.in_progress);
        assert_eq!(c.problems, ["missing end_time"]);
        assert!((c.duration_ms - 500.0).abs() < 1e-6);
    }

    #[test]
    fn absurd_timestamps_are_noted_and_clamped() {
        let seg = |id: &str, start: Value, end: Value| {
            json!({"name": "api", "id": id, "trace_id": T, "parent_id": "ok",
                   "start_time": start, "end_time": end})
        };
        let t = parse(&[
            json!({"name": "api", "id": "ok", "trace_id": T, "start_time": 100.0, "end_time": 101.0}),
            seg("neg", json!(-5), json!(100.5)),
            seg("nan", json!("NaN"), json!(100.5)),
            seg("ms", json!(1.7e12), json!(1.7005e12)),
            seg("far", json!(300_000_000_000.0), json!(100.2)),
            seg("back", json!(100.8), json!(100.3)),
            seg("text", json!("100.25"), json!("100.75")),
            seg("badend", json!(100.6), json!({"not": "a time"})),
        ]);
        let ok = span(&t, "ok");
        assert_eq!((ok.start, ok.duration_ms), (100_000, 1000.0));
        for id in ["neg", "nan", "far"] {
            let s = span(&t, id);
            assert_eq!(s.start, 100_000, "{id} is clamped to the trace start");
            assert!(s.problems[0].starts_with("start_time"), "{id}: {:?}", s.problems);
            assert!(s.problems[0].contains("not a usable time"));
            assert!(s.duration_ms.is_finite() && s.duration_ms >= 0.0);
        }
        let ms = span(&t, "ms");
        assert_eq!(ms.start, 100_000);
        assert_eq!(ms.problems.len(), 2, "{:?}", ms.problems);
        assert!((ms.duration_ms - 1000.0).abs() < 1e-6, "the bad end is treated as missing");
        let back = span(&t, "back");
        assert_eq!((back.start, back.duration_ms), (100_800, 0.0));
        assert_eq!(back.problems, ["end_time before start_time"]);
        let text = span(&t, "text");
        assert!(text.problems.is_empty());
        assert_eq!((text.start, text.duration_ms.round()), (100_250, 500.0));
        let badend = span(&t, "badend");
        assert_eq!(badend.problems, [r#"end_time {"not":"a time"} is not a usable time"#]);
        assert!((badend.duration_ms - 400.0).abs() < 1e-6);
        // Every span is still in the tree.
        assert_eq!(t.spans.len(), 8);
    }

    #[test]
    fn parent_cycles_are_broken() {
        let seg = |id: &str, parent: &str, start: f64| {
            json!({"name": id, "id": id, "trace_id": T, "parent_id": parent,
                   "start_time": start, "end_time": start + 1.0})
        };
        let t = parse(&[
            seg("a", "c", 1.0),
            seg("b", "a", 2.0),
            seg("c", "b", 3.0),
            seg("self", "self", 0.5),
            seg("d", "b", 2.5),
        ]);
        let tree: Vec<(&str, Option<&str>, SpanLink)> =
            t.spans.iter().map(|s| (s.id.as_str(), s.parent.as_deref(), s.link)).collect();
        assert_eq!(
            tree,
            [
                ("self", None, SpanLink::Root),
                ("a", None, SpanLink::Root),
                ("b", Some("a"), SpanLink::Call),
                ("d", Some("b"), SpanLink::Call),
                ("c", Some("b"), SpanLink::Call),
            ]
        );
        assert_eq!(span(&t, "a").problems, ["parent cycle"]);
        assert_eq!(span(&t, "self").problems, ["parent cycle"]);
        assert!(span(&t, "c").problems.is_empty());
    }

    #[test]
    fn unreadable_documents_are_shown_not_fatal() {
        let good = json!({"name": "api", "id": "a", "trace_id": T, "start_time": 1, "end_time": 2})
            .to_string();
        let t = parse_segments(&[&good, "{not json", "[1, 2]"]).unwrap();
        assert_eq!(t.spans.len(), 1);
        let p = &t.spans[0].problems;
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].starts_with("document 1 is not valid JSON"), "{p:?}");
        assert_eq!(p[1], "document 2 is not a JSON object; skipped");

        let err = parse_segments(&["{not json", "", "42"]).unwrap_err();
        assert!(err.contains("document 0") && err.contains("document 1"), "{err}");
        assert!(err.contains("document 2 is not a JSON object"), "{err}");
        assert_eq!(parse_segments(&[]).unwrap_err(), "no segment documents");
    }

    #[test]
    fn missing_ids_names_parents_and_duplicates() {
        let t = parse(&[
            json!({"trace_id": T, "start_time": 1, "end_time": 2,
                   "subsegments": [{"name": "inner", "start_time": 1.1, "end_time": 1.2}, 7]}),
            json!({"name": "orphan", "id": "o", "trace_id": T, "parent_id": "gone",
                   "start_time": 1.5, "end_time": 1.6}),
            // The same segment in progress, then complete, then complete again.
            json!({"name": "w", "id": "w", "trace_id": T, "start_time": 1.3, "in_progress": true}),
            json!({"name": "w", "id": "w", "trace_id": T, "start_time": 1.3, "end_time": 1.4}),
            json!({"name": "w2", "id": "w", "trace_id": T, "start_time": 1.3, "end_time": 1.9}),
            json!({"name": "w", "id": "w", "trace_id": T, "start_time": 1.3, "in_progress": true}),
        ]);
        let ids: Vec<&str> = t.spans.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["?1", "?2", "w", "o"]);
        let root = &t.spans[0];
        assert_eq!(root.service, "(unnamed)");
        assert_eq!(
            root.problems,
            ["document 0: no id", "no name", "subsegment 1 is not an object"]
        );
        assert_eq!(t.spans[1].parent.as_deref(), Some("?1"));
        assert_eq!(t.spans[1].problems, ["document 0, subsegment 0: no id"]);
        let w = span(&t, "w");
        assert!(!w.in_progress, "the complete document wins");
        assert_eq!(w.service, "w");
        assert!((w.duration_ms - 100.0).abs() < 1e-6);
        assert_eq!(w.problems, ["a second document with id w was ignored"]);
        assert_eq!(span(&t, "o").problems, ["parent gone is not in the trace"]);
        assert_eq!(span(&t, "o").link, SpanLink::Root);
    }

    fn batch_output() -> String {
        let segs = three_services();
        json!({
            "Traces": [
                {"Id": T, "Duration": 1.25, "LimitExceeded": false,
                 "Segments": segs.iter().enumerate()
                     .map(|(i, d)| json!({"Id": format!("seg{i}"), "Document": d.to_string()}))
                     .collect::<Vec<_>>()},
                {"Id": "1-00000000-000000000000000000000000", "Duration": 0,
                 "Segments": [{"Id": "x", "Document": "{broken"}]}
            ],
            "UnprocessedTraceIds": []
        })
        .to_string()
    }

    #[test]
    fn batch_get_traces_output() {
        let traces = parse_batch_get_traces(&batch_output()).unwrap();
        assert_eq!(traces.len(), 1, "the unreadable trace is left out");
        assert_eq!(traces[0].trace_id, T);
        assert_eq!(traces[0].spans.len(), 9);
        assert_eq!(traces[0], parse(&three_services()));

        assert!(parse_batch_get_traces("{").unwrap_err().contains("not valid JSON"));
        assert!(parse_batch_get_traces("{}").unwrap_err().contains("Traces"));
        assert_eq!(parse_batch_get_traces(r#"{"Traces": []}"#).unwrap_err(), "no traces");
        let err =
            parse_batch_get_traces(r#"{"Traces": [{"Id": "1-a", "Segments": [{"Id": "s"}]}]}"#)
                .unwrap_err();
        assert!(err.contains("1-a") && err.contains("no Document"), "{err}");
    }

    #[test]
    fn trace_files_in_every_shape() {
        let expected = parse(&three_services());
        let segs = three_services();
        let lines = segs.iter().map(Value::to_string).collect::<Vec<_>>();

        let from_batch = parse_trace_file(&batch_output()).unwrap();
        assert_eq!(from_batch, std::slice::from_ref(&expected));
        let pretty = serde_json::to_string_pretty(&Value::Array(segs.clone())).unwrap();
        assert_eq!(parse_trace_file(&pretty).unwrap(), std::slice::from_ref(&expected));
        let strings = Value::Array(lines.iter().map(|l| Value::String(l.clone())).collect());
        assert_eq!(
            parse_trace_file(&strings.to_string()).unwrap(),
            std::slice::from_ref(&expected)
        );
        let jsonl = format!("\u{feff}{}\n\n", lines.join("\n"));
        assert_eq!(parse_trace_file(&jsonl).unwrap(), [expected]);

        let single = parse_trace_file(&lines[2]).unwrap();
        assert_eq!(single.len(), 1);
        assert_eq!(single[0].spans[0].id, "w1");
        assert_eq!(single[0].spans[0].problems, ["parent s2 is not in the trace"]);

        // Two unrelated traces stay two; a bad line is reported with the first one read.
        let other = json!({"name": "cron", "id": "k", "trace_id": "1-0-9", "start_time": 50,
                           "end_time": 51});
        let mixed = format!("{}\n{}\n{{oops\n", lines[0], other);
        let traces = parse_trace_file(&mixed).unwrap();
        assert_eq!(traces.len(), 2);
        assert_eq!(traces[0].trace_id, "1-0-9", "earliest first");
        assert!(traces[0].spans[0].problems.is_empty());
        assert_eq!(traces[1].trace_id, T);
        assert!(traces[1].spans[0].problems[0].starts_with("line 3 is not valid JSON"));

        assert_eq!(parse_trace_file("  \n").unwrap_err(), "the trace file is empty");
        assert!(parse_trace_file("42").is_err());
        assert!(parse_trace_file("{oops\n{still bad").unwrap_err().contains("line 1"));
    }

    #[test]
    fn a_trace_summarized() {
        let s = summarize(&parse(&three_services()));
        assert_eq!(
            s,
            TraceSummary {
                trace_id: T.into(),
                correlation_id: Some("c-1".into()),
                service: "api".into(),
                operation: "POST /orders".into(),
                start: 100_000,
                duration_ms: 1250.0,
                status: 502,
                has_error: true,
                has_fault: true,
                has_throttle: true,
            }
        );
        assert!(s.failed());
        let empty = summarize(&Trace { trace_id: "t".into(), ..Trace::default() });
        assert_eq!((empty.trace_id.as_str(), empty.failed()), ("t", false));
    }

    #[test]
    fn url_paths() {
        assert_eq!(url_path("https://h.example/a/b?x=1#f"), "/a/b");
        assert_eq!(url_path("http://h.example"), "/");
        assert_eq!(url_path("/relative?q"), "/relative");
    }

    #[test]
    fn a_file_of_broken_documents_says_so_in_a_line() {
        let line = format!("{{\"name\": \"{}\"\n", "x".repeat(100_000));
        let text = line.repeat(50);
        let e = parse_trace_file_with(&text, "correlation_id").unwrap_err();
        assert!(e.len() < 600, "{} bytes: {}", e.len(), &e[..600.min(e.len())]);
        assert!(e.starts_with("none of the 50 documents could be read; the first: line 1"), "{e}");
        let one = parse_trace_file_with("{\"x\": 1", "correlation_id").unwrap_err();
        assert!(one.len() < 300, "{one}");
    }

    #[test]
    fn times_far_ahead_of_the_clock_are_flagged() {
        let t = parse(&[json!({"name": "api", "id": "a", "trace_id": T,
            "start_time": 1e12, "end_time": 1e12 + 1.0})]);
        let s = &t.spans[0];
        assert!(s.problems.iter().any(|p| p.contains("more than a day ahead")), "{s:?}");
    }
}
