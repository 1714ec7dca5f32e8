//! AWS Lambda's own log lines: what the runtime writes around a function's output, in the text
//! format and in the JSON log format, so that a request's timeouts and crashes read as errors
//! and its START / END / REPORT lines join the request through its RequestId.
//!
//! Text format (one CloudWatch Logs event each; `→` is a tab):
//!
//! ```text
//! INIT_START Runtime Version: nodejs:20.v33→Runtime Version ARN: arn:aws:lambda:…
//! START RequestId: 8f5a9b4e-… Version: $LATEST
//! 2026-11-19T13:42:05.123Z→8f5a9b4e-…→ERROR→Invoke Error →{"errorType":"Error",…}
//! 2026-11-19T13:42:05.123Z 8f5a9b4e-… Task timed out after 3.00 seconds
//! END RequestId: 8f5a9b4e-…
//! REPORT RequestId: 8f5a9b4e-…→Duration: 3000.00 ms→Billed Duration: 3000 ms→Memory Size: 512 MB→Max Memory Used: 87 MB→Init Duration: 412.37 ms→Status: timeout
//! XRAY TraceId: 1-6740a1b2-…→SegmentId: 3c7a2f3e6e53b2b1→Sampled: true
//! RequestId: 8f5a9b4e-… Error: Runtime exited with error: signal: killed
//! Runtime.ExitError
//! ```
//!
//! JSON format (`LoggingConfig.LogFormat = JSON`): platform events
//! `{"time", "type": "platform.start" | "platform.report" | "platform.runtimeDone" |
//! "platform.initStart", "record": {"requestId", "status", "metrics": {"durationMs", …},
//! "tracing": {"value": "Root=1-…;Parent=…;Sampled=1"}}}`, and the function's own lines with a
//! `requestId` field.

use super::Level;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// What a runtime line says about its request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuntimeLine {
    pub kind: RuntimeKind,
    pub request_id: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub enum RuntimeKind {
    /// `INIT_START`: a new execution environment (cold start); no RequestId of its own.
    InitStart,
    #[default]
    Start,
    End,
    Report(Report),
    /// `XRAY TraceId: …` (the second line of a REPORT, or an event of its own).
    Xray {
        trace_id: String,
        sampled: Option<bool>,
    },
    /// `Task timed out after 3.00 seconds`.
    Timeout {
        after_s: f64,
    },
    /// The runtime died: `Runtime.ExitError`, `Process exited before completing request`,
    /// out of memory, an unhandled exception.
    Crash(String),
}

/// The numbers of a REPORT line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub duration_ms: f64,
    pub billed_ms: Option<f64>,
    pub init_ms: Option<f64>,
    pub memory_mb: Option<f64>,
    pub max_memory_mb: Option<f64>,
    /// `Status: timeout` / `error` (newer runtimes), `status` of a JSON platform report.
    pub status: Option<String>,
    pub error_type: Option<String>,
    /// From the `XRAY TraceId:` line that follows, when it is in the same event.
    pub trace_id: Option<String>,
}

impl RuntimeLine {
    /// The level the line deserves: timeouts, crashes and failed reports are errors.
    pub fn level(&self) -> Level {
        match &self.kind {
            RuntimeKind::Timeout { .. } | RuntimeKind::Crash(_) => Level::Error,
            RuntimeKind::Report(r) if r.failed() => Level::Error,
            _ => Level::Info,
        }
    }

    pub fn trace_id(&self) -> Option<&str> {
        match &self.kind {
            RuntimeKind::Report(r) => r.trace_id.as_deref(),
            RuntimeKind::Xray { trace_id, .. } => Some(trace_id),
            _ => None,
        }
    }
}

impl Report {
    /// The invocation failed, as the REPORT itself says.
    pub fn failed(&self) -> bool {
        self.status.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case("success"))
            || self.error_type.is_some()
    }
}

/// Remove ANSI escape sequences (colours, cursor movement, OSC strings): a coloured `ERROR`
/// counts as the level and is shown without the codes.
pub fn strip_ansi(s: &str) -> Cow<'_, str> {
    if !s.contains('\u{1b}') && !s.contains('\u{9b}') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    // CSI: parameters and intermediates, then one final byte 0x40..=0x7e.
                    for c in chars.by_ref() {
                        if ('\u{40}'..='\u{7e}').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    chars.next();
                    // OSC: up to BEL or ESC \.
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' {
                            if chars.peek() == Some(&'\\') {
                                chars.next();
                            }
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            },
            '\u{9b}' => {
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `8f5a9b4e-1c2d-4e3f-9a8b-7c6d5e4f3a2b`: Lambda's request ids are UUIDs.
pub fn is_request_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The value after `label` up to the next tab or line end (`Duration: 12.3 ms` → `12.3 ms`).
fn after<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let i = text.find(label)?;
    let rest = &text[i + label.len()..];
    let end = rest.find(['\t', '\n', '\r']).unwrap_or(rest.len());
    Some(rest[..end].trim())
}

fn number(v: Option<&str>) -> Option<f64> {
    let v = v?;
    let end = v.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(v.len());
    v[..end].parse().ok().filter(|n: &f64| n.is_finite())
}

fn request_id_after(text: &str) -> Option<String> {
    let v = after(text, "RequestId:")?;
    let id = v.split_whitespace().next()?;
    Some(id.to_string())
}

fn xray(text: &str) -> Option<(String, Option<bool>)> {
    let id = after(text, "XRAY TraceId:")?.split_whitespace().next()?.to_string();
    let sampled = after(text, "Sampled:").map(|s| s.eq_ignore_ascii_case("true"));
    Some((id, sampled))
}

/// Words that say the runtime died, wherever they stand in a line of the function's output.
const CRASH_MARKS: &[&str] = &[
    "Runtime.ExitError",
    "Runtime exited with error",
    "Process exited before completing request",
    "Runtime.OutOfMemory",
    "JavaScript heap out of memory",
    "java.lang.OutOfMemoryError",
    "MemoryError",
    "Runtime.UnhandledPromiseRejection",
    "Runtime.Unknown",
];

/// A text line of the runtime (see the module documentation), ANSI codes already removed.
pub fn runtime_line(text: &str) -> Option<RuntimeLine> {
    let t = text.trim_start();
    let rid = || request_id_after(t);
    if t.starts_with("START RequestId:") {
        return Some(RuntimeLine { kind: RuntimeKind::Start, request_id: rid() });
    }
    if t.starts_with("END RequestId:") {
        return Some(RuntimeLine { kind: RuntimeKind::End, request_id: rid() });
    }
    if t.starts_with("REPORT RequestId:") {
        let r = Report {
            duration_ms: number(after(t, "\tDuration:").or_else(|| after(t, " Duration:")))
                .unwrap_or(0.0),
            billed_ms: number(after(t, "Billed Duration:")),
            init_ms: number(after(t, "Init Duration:")),
            memory_mb: number(after(t, "Memory Size:")),
            max_memory_mb: number(after(t, "Max Memory Used:")),
            status: after(t, "Status:").map(str::to_string),
            error_type: after(t, "Error Type:").map(str::to_string),
            trace_id: xray(t).map(|(id, _)| id),
        };
        return Some(RuntimeLine { kind: RuntimeKind::Report(r), request_id: rid() });
    }
    if t.starts_with("INIT_START") {
        return Some(RuntimeLine { kind: RuntimeKind::InitStart, request_id: None });
    }
    if t.starts_with("XRAY TraceId:") {
        let (trace_id, sampled) = xray(t)?;
        return Some(RuntimeLine {
            kind: RuntimeKind::Xray { trace_id, sampled },
            request_id: None,
        });
    }
    if let Some(i) = t.find("Task timed out after ") {
        let after_s = number(Some(&t[i + "Task timed out after ".len()..])).unwrap_or(0.0);
        // `<time> <request id> Task timed out …`: the id stands before the words.
        let request_id =
            t[..i].split_whitespace().find(|w| is_request_id(w)).map(str::to_string).or_else(rid);
        return Some(RuntimeLine { kind: RuntimeKind::Timeout { after_s }, request_id });
    }
    if let Some(mark) = CRASH_MARKS.iter().find(|m| t.contains(**m)) {
        let request_id = rid().or_else(|| function_line(t).and_then(|(_, id, _)| id));
        return Some(RuntimeLine { kind: RuntimeKind::Crash((*mark).to_string()), request_id });
    }
    None
}

/// A line the Node.js or Python runtime wrote for the function: `<time>\t<request id>\t<LEVEL>\t
/// <message>` or `[LEVEL]\t<time>\t<request id>\t<message>`. Returns the level, the request id
/// and the message.
pub fn function_line(t: &str) -> Option<(Option<Level>, Option<String>, &str)> {
    let mut parts = t.splitn(4, '\t');
    let a = parts.next()?;
    let b = parts.next()?;
    let c = parts.next()?;
    let rest = parts.next();
    if let Some(level) = a.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
        // Python: [LEVEL] time id message
        if is_request_id(c.trim()) {
            return Some((
                super::logline::level_of(level),
                Some(c.trim().to_string()),
                rest.unwrap_or(""),
            ));
        }
        return None;
    }
    if a.len() >= 20 && a.as_bytes().get(4) == Some(&b'-') && is_request_id(b.trim()) {
        // Node.js: time id LEVEL message (the level may be missing on old runtimes).
        let level = super::logline::level_of(c);
        let message = match (level, rest) {
            (Some(_), Some(r)) => r,
            (Some(_), None) => "",
            (None, Some(_)) | (None, None) => &t[a.len() + b.len() + 2..],
        };
        return Some((level, Some(b.trim().to_string()), message));
    }
    None
}

/// A JSON platform event of the JSON log format (`platform.start`, `platform.report`, …).
pub fn platform_event(obj: &Map<String, Value>) -> Option<RuntimeLine> {
    let kind = obj.get("type")?.as_str()?;
    let record = obj.get("record").and_then(Value::as_object);
    let rs = |k: &str| record.and_then(|r| r.get(k)).and_then(Value::as_str).map(str::to_string);
    let request_id = rs("requestId");
    let kind = match kind {
        "platform.initStart" => RuntimeKind::InitStart,
        "platform.start" => RuntimeKind::Start,
        "platform.runtimeDone" => match rs("status").as_deref() {
            Some("timeout") => RuntimeKind::Timeout { after_s: 0.0 },
            Some("success") | None => RuntimeKind::End,
            Some(other) => RuntimeKind::Crash(
                rs("errorType").unwrap_or_else(|| format!("runtime {other}")).to_string(),
            ),
        },
        "platform.report" => {
            let m = record.and_then(|r| r.get("metrics")).and_then(Value::as_object);
            let mf = |k: &str| m.and_then(|m| m.get(k)).and_then(Value::as_f64);
            let trace = record
                .and_then(|r| r.get("tracing"))
                .and_then(|t| t.get("value"))
                .and_then(Value::as_str)
                .and_then(xray_root);
            RuntimeKind::Report(Report {
                duration_ms: mf("durationMs").unwrap_or(0.0),
                billed_ms: mf("billedDurationMs"),
                init_ms: mf("initDurationMs"),
                memory_mb: mf("memorySizeMB"),
                max_memory_mb: mf("maxMemoryUsedMB"),
                status: rs("status"),
                error_type: rs("errorType"),
                trace_id: trace,
            })
        }
        _ => return None,
    };
    Some(RuntimeLine { kind, request_id })
}

/// `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=…;Sampled=1` → the root trace id; a bare
/// trace id as it is.
pub fn xray_root(header: &str) -> Option<String> {
    if header.starts_with("1-") && !header.contains(';') {
        return Some(header.trim().to_string());
    }
    header.split(';').find_map(|p| p.trim().strip_prefix("Root=")).map(str::to_string)
}

/// JSON fields that carry Lambda's request id in the function's own lines.
pub const REQUEST_ID_FIELDS: &[&str] = &[
    "requestId",
    "request_id",
    "awsRequestId",
    "aws_request_id",
    "function_request_id",
    "lambda_request_id",
];

/// A JSON line that is an unhandled exception report (`{"errorType", "errorMessage", …}`).
pub fn is_error_report(obj: &Map<String, Value>) -> bool {
    obj.contains_key("errorType") && obj.contains_key("errorMessage")
}

/// Join the lines of one log stream (in time order) that name no request to the request they
/// belong to: an `XRAY TraceId` event to the REPORT before it, `INIT_START` to the START after
/// it.
pub fn join_stream(events: &mut [super::LogEvent]) {
    let mut last_report: Option<(String, usize)> = None;
    let mut pending_init: Vec<usize> = Vec::new();
    for i in 0..events.len() {
        let text = strip_ansi(events[i].raw.trim()).into_owned();
        let rt = runtime_line(&text);
        match rt.as_ref().map(|r| &r.kind) {
            Some(RuntimeKind::Report(_)) => {
                last_report = events[i].request_id.clone().map(|r| (r, i));
            }
            Some(RuntimeKind::Xray { trace_id, .. }) => {
                if let Some((rid, at)) = &last_report {
                    events[i].request_id = Some(rid.clone());
                    if events[*at].trace_id.is_none() {
                        events[*at].trace_id = Some(trace_id.clone());
                    }
                }
            }
            Some(RuntimeKind::InitStart) => pending_init.push(i),
            Some(RuntimeKind::Start) => {
                for j in pending_init.drain(..) {
                    events[j].request_id = events[i].request_id.clone();
                }
            }
            _ => {}
        }
    }
}

/// Join every line that names a Lambda request id to what the request's other lines say: its
/// correlation id, tenant and trace id. So a request's START, END, REPORT and timeout lines
/// show in its correlation id's view, and its REPORT line opens its trace.
pub fn join_requests(events: &mut [super::LogEvent]) {
    use std::collections::HashMap;
    #[derive(Default)]
    struct Known {
        correlation_id: Option<String>,
        tenant: Option<String>,
        trace_id: Option<String>,
    }
    let mut known: HashMap<String, Known> = HashMap::new();
    for e in events.iter() {
        let Some(rid) = &e.request_id else { continue };
        let k = known.entry(rid.clone()).or_default();
        if k.correlation_id.is_none() {
            k.correlation_id.clone_from(&e.correlation_id);
        }
        if k.tenant.is_none() {
            k.tenant.clone_from(&e.tenant);
        }
        if k.trace_id.is_none() {
            k.trace_id.clone_from(&e.trace_id);
        }
    }
    for e in events.iter_mut() {
        let Some(k) = e.request_id.as_ref().and_then(|r| known.get(r)) else { continue };
        if e.correlation_id.is_none() {
            e.correlation_id.clone_from(&k.correlation_id);
        }
        if e.tenant.is_none() {
            e.tenant.clone_from(&k.tenant);
        }
        if e.trace_id.is_none() {
            e.trace_id.clone_from(&k.trace_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RID: &str = "8f5a9b4e-1c2d-4e3f-9a8b-7c6d5e4f3a2b";

    #[test]
    fn report_lines_are_read_with_their_trace() {
        let line = format!(
            "REPORT RequestId: {RID}\tDuration: 3003.42 ms\tBilled Duration: 3000 ms\tMemory Size: 512 MB\tMax Memory Used: 87 MB\tInit Duration: 412.37 ms\tStatus: timeout\t\nXRAY TraceId: 1-6740a1b2-0123456789abcdef01234567\tSegmentId: 3c7a2f3e6e53b2b1\tSampled: true\t\n"
        );
        let r = runtime_line(&line).unwrap();
        assert_eq!(r.request_id.as_deref(), Some(RID));
        let RuntimeKind::Report(rep) = &r.kind else { panic!("{r:?}") };
        assert_eq!(rep.duration_ms, 3003.42);
        assert_eq!(rep.billed_ms, Some(3000.0));
        assert_eq!(rep.init_ms, Some(412.37));
        assert_eq!(rep.max_memory_mb, Some(87.0));
        assert_eq!(rep.status.as_deref(), Some("timeout"));
        assert_eq!(rep.trace_id.as_deref(), Some("1-6740a1b2-0123456789abcdef01234567"));
        assert_eq!(r.level(), Level::Error);
        let ok = runtime_line(&format!("REPORT RequestId: {RID}\tDuration: 12.00 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t")).unwrap();
        assert_eq!(ok.level(), Level::Info);
    }

    #[test]
    fn timeouts_and_crashes_are_errors_of_their_request() {
        let t = runtime_line(&format!(
            "2026-11-19T13:42:05.123Z {RID} Task timed out after 3.00 seconds"
        ))
        .unwrap();
        assert_eq!(t.kind, RuntimeKind::Timeout { after_s: 3.0 });
        assert_eq!(t.request_id.as_deref(), Some(RID));
        assert_eq!(t.level(), Level::Error);
        let c = runtime_line(&format!(
            "RequestId: {RID} Error: Runtime exited with error: signal: killed\nRuntime.ExitError"
        ))
        .unwrap();
        assert_eq!(c.request_id.as_deref(), Some(RID));
        assert_eq!(c.level(), Level::Error);
        let s = runtime_line(&format!("START RequestId: {RID} Version: $LATEST")).unwrap();
        assert_eq!((s.kind, s.request_id.as_deref()), (RuntimeKind::Start, Some(RID)));
        assert_eq!(
            runtime_line("INIT_START Runtime Version: nodejs:20.v33\tRuntime Version ARN: x")
                .unwrap()
                .kind,
            RuntimeKind::InitStart
        );
        assert!(runtime_line("just a line").is_none());
    }

    #[test]
    fn function_lines_of_node_and_python() {
        let node = format!("2026-11-19T13:42:05.123Z\t{RID}\tERROR\tInvoke Error \t{{}}");
        let (l, id, m) = function_line(&node).unwrap();
        assert_eq!((l, id.as_deref(), m), (Some(Level::Error), Some(RID), "Invoke Error \t{}"));
        let py = format!("[WARNING]\t2026-11-19T13:42:05.123Z\t{RID}\tslow");
        let (l, id, m) = function_line(&py).unwrap();
        assert_eq!((l, id.as_deref(), m), (Some(Level::Warn), Some(RID), "slow"));
        assert!(function_line("a\tb\tc").is_none());
    }

    #[test]
    fn ansi_codes_are_removed() {
        assert_eq!(strip_ansi("\u{1b}[31mERROR\u{1b}[0m boom"), "ERROR boom");
        assert_eq!(strip_ansi("a\u{1b}]52;c;aGk=\u{7}b"), "ab");
        assert_eq!(strip_ansi("plain"), "plain");
    }

    #[test]
    fn json_platform_events() {
        let v: Value = serde_json::from_str(&format!(
            r#"{{"time":"2026-11-19T13:42:05.200Z","type":"platform.report","record":{{"requestId":"{RID}","metrics":{{"durationMs":3000.1,"billedDurationMs":3000,"memorySizeMB":512,"maxMemoryUsedMB":90,"initDurationMs":400.5}},"tracing":{{"spanId":"a","type":"X-Amzn-Trace-Id","value":"Root=1-6740a1b2-0123456789abcdef01234567;Parent=a;Sampled=1"}},"status":"timeout"}}}}"#
        ))
        .unwrap();
        let r = platform_event(v.as_object().unwrap()).unwrap();
        assert_eq!(r.request_id.as_deref(), Some(RID));
        assert_eq!(r.trace_id(), Some("1-6740a1b2-0123456789abcdef01234567"));
        assert_eq!(r.level(), Level::Error);
    }
}
