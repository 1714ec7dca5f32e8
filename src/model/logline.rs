//! Turning a log line as written (JSON, or plain text) into a [`LogEvent`]: the fields
//! warroom picks out (time, level, service, region, correlation id, tenant, operation, trace
//! id) wherever the line keeps them. Every source goes through here, so a line reads the same
//! whether it came from the simulator, CloudWatch Logs or a file.

use super::{LogEvent, Millis, lambda};
use crate::model::Level;
use serde_json::{Map, Value};

/// The longest line kept in full; longer lines are cut (and say so) so that one line of
/// megabytes cannot exhaust memory.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// The longest JSON line read for its fields (longer ones are read as text).
pub const MAX_PARSE_BYTES: usize = 4 << 20;

/// Whether a line was cut by [`cap_line`].
pub fn was_cut(raw: &str) -> bool {
    raw.len() > MAX_LINE_BYTES && raw.ends_with(" more bytes]") && raw.contains(" … [line cut: ")
}

/// What the source knows about a line besides its text.
#[derive(Clone, Copy, Debug, Default)]
pub struct LineContext<'a> {
    /// When the source received or stored the line (CloudWatch's `timestamp`).
    pub at: Option<Millis>,
    pub region: Option<&'a str>,
    pub service: Option<&'a str>,
}

/// Parses lines with the configured correlation id fields.
#[derive(Clone, Debug)]
pub struct LineParser {
    /// Field names (or dotted paths such as `headers.x-correlation-id`) tried in order.
    pub correlation_fields: Vec<String>,
}

impl Default for LineParser {
    fn default() -> Self {
        LineParser {
            correlation_fields: vec![
                "correlationId".into(),
                "correlation_id".into(),
                "x-correlation-id".into(),
            ],
        }
    }
}

const TIME_FIELDS: &[&str] = &["timestamp", "time", "@timestamp", "ts", "datetime"];
const LEVEL_FIELDS: &[&str] = &["level", "severity", "levelname", "lvl", "log.level", "loglevel"];
const MESSAGE_FIELDS: &[&str] = &["message", "msg", "@message", "event"];
const SERVICE_FIELDS: &[&str] = &["service", "service.name", "serviceName", "service_name"];
const REGION_FIELDS: &[&str] = &["region", "aws_region", "awsRegion"];
const TENANT_FIELDS: &[&str] = &["tenantId", "tenant_id", "tenant"];
const OPERATION_FIELDS: &[&str] = &["operation", "op", "route", "handler"];
const TRACE_FIELDS: &[&str] = &["traceId", "trace_id", "xray_trace_id", "X-Amzn-Trace-Id"];

/// The fields shown in their own columns or picked out, so the key=value rest skips them.
pub const PICKED_FIELDS: &[&[&str]] = &[
    TIME_FIELDS,
    LEVEL_FIELDS,
    MESSAGE_FIELDS,
    SERVICE_FIELDS,
    REGION_FIELDS,
    TENANT_FIELDS,
    OPERATION_FIELDS,
    TRACE_FIELDS,
];

impl LineParser {
    pub fn new(correlation_fields: Vec<String>) -> Self {
        LineParser { correlation_fields }
    }

    /// Parse one line. Never fails: a line that is not JSON (or is cut JSON) is kept as text.
    pub fn parse(&self, raw: &str, ctx: LineContext<'_>) -> LogEvent {
        // A JSON line is read whole (up to MAX_PARSE_BYTES) before it is cut for keeping, so
        // a long error with its stack trace keeps its level, time and ids.
        let whole = raw.trim();
        let json = if whole.starts_with('{') && whole.len() <= MAX_PARSE_BYTES {
            serde_json::from_str::<Map<String, Value>>(whole).ok()
        } else {
            None
        };
        let raw = cap_line(raw);
        let trimmed = raw.trim();
        match json {
            Some(obj) => {
                let mut e = self.parse_json(&obj, raw, ctx);
                if e.message.len() > MAX_LINE_BYTES {
                    e.message = cap_line(&e.message);
                }
                e
            }
            None => {
                // Colour codes are not part of what was said: a coloured ERROR is the level.
                let text = lambda::strip_ansi(trimmed);
                let text = text.trim();
                let mut level = text_level(text);
                let mut message = text.to_string();
                let mut request_id = None;
                let mut trace_id = None;
                if let Some(r) = lambda::runtime_line(text) {
                    level = r.level();
                    // `<time> <request id> Task timed out …`: the time and id have columns.
                    if let Some(i) = text.find("Task timed out after ") {
                        message = text[i..].to_string();
                    }
                    trace_id = r.trace_id().map(str::to_string);
                    request_id = r.request_id;
                } else if let Some((l, id, m)) = lambda::function_line(text) {
                    level = l.unwrap_or(level);
                    request_id = id;
                    if !m.trim().is_empty() {
                        message = m.trim().to_string();
                    }
                }
                LogEvent {
                    at: ctx.at.or_else(|| text_time(text)).unwrap_or(0),
                    region: ctx.region.unwrap_or("").to_string(),
                    service: ctx.service.unwrap_or("").to_string(),
                    level,
                    message,
                    correlation_id: None,
                    tenant: None,
                    operation: None,
                    trace_id,
                    request_id,
                    raw,
                }
            }
        }
    }

    fn parse_json(&self, obj: &Map<String, Value>, raw: String, ctx: LineContext<'_>) -> LogEvent {
        let text = |fields: &[&str]| fields.iter().find_map(|f| field_text(obj, f));
        let at = fields_time(obj).or(ctx.at).unwrap_or(0);
        let platform = lambda::platform_event(obj);
        let mut level = LEVEL_FIELDS
            .iter()
            .find_map(|f| field_text(obj, f))
            .and_then(|l| level_of(&lambda::strip_ansi(&l)))
            .unwrap_or(Level::Info);
        let mut message =
            text(MESSAGE_FIELDS).map(|m| lambda::strip_ansi(&m).into_owned()).unwrap_or_default();
        if lambda::is_error_report(obj) {
            // An unhandled exception as the runtime reports it.
            level = Level::Error;
            if message.is_empty() {
                let t = text(&["errorType"]).unwrap_or_default();
                message = format!("{t}: {}", text(&["errorMessage"]).unwrap_or_default());
            }
        }
        let correlation_id = self.correlation_id(obj);
        let mut trace_id = text(TRACE_FIELDS).map(|t| xray_root(&t).unwrap_or(t));
        let mut request_id = text(lambda::REQUEST_ID_FIELDS);
        if let Some(p) = &platform {
            level = level.max(p.level());
            trace_id = trace_id.or_else(|| p.trace_id().map(str::to_string));
            request_id = request_id.or_else(|| p.request_id.clone());
            if message.is_empty() {
                message = platform_message(obj, p);
            }
        }
        LogEvent {
            at,
            region: ctx
                .region
                .map(str::to_string)
                .or_else(|| text(REGION_FIELDS))
                .unwrap_or_default(),
            service: text(SERVICE_FIELDS)
                .or_else(|| ctx.service.map(str::to_string))
                .unwrap_or_default(),
            level,
            message,
            correlation_id,
            tenant: text(TENANT_FIELDS),
            operation: text(OPERATION_FIELDS),
            trace_id,
            request_id,
            raw,
        }
    }

    /// The correlation id of a parsed JSON line, from the configured fields.
    pub fn correlation_id(&self, obj: &Map<String, Value>) -> Option<String> {
        self.correlation_fields.iter().find_map(|f| field_text(obj, f)).filter(|s| !s.is_empty())
    }
}

/// `platform.report 3000.1 ms timeout`: a JSON platform event in words.
fn platform_message(obj: &Map<String, Value>, p: &lambda::RuntimeLine) -> String {
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or("platform");
    match &p.kind {
        lambda::RuntimeKind::Report(r) => {
            let status = r.status.as_deref().unwrap_or("success");
            format!("{kind} {:.2} ms {status}", r.duration_ms)
        }
        lambda::RuntimeKind::Timeout { .. } => format!("{kind} timeout"),
        lambda::RuntimeKind::Crash(why) => format!("{kind} {why}"),
        _ => kind.to_string(),
    }
}

/// Cut a line to [`MAX_LINE_BYTES`] on a character boundary, saying how much was cut.
pub fn cap_line(raw: &str) -> String {
    if raw.len() <= MAX_LINE_BYTES {
        return raw.to_string();
    }
    let mut end = MAX_LINE_BYTES;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} … [line cut: {} more bytes]", &raw[..end], raw.len() - end)
}

/// A field by name, or by dotted path into nested objects (`headers.x-correlation-id`).
/// Strings as they are, numbers and booleans as text; objects and arrays are not text.
pub fn field_text(obj: &Map<String, Value>, name: &str) -> Option<String> {
    let v = match obj.get(name) {
        Some(v) => v,
        None => {
            let mut parts = name.split('.');
            let mut v = obj.get(parts.next()?)?;
            for p in parts {
                v = v.as_object()?.get(p)?;
            }
            v
        }
    };
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn fields_time(obj: &Map<String, Value>) -> Option<Millis> {
    TIME_FIELDS.iter().find_map(|f| match obj.get(*f)? {
        Value::String(s) => parse_time(s),
        Value::Number(n) => n.as_f64().map(epoch_ms),
        _ => None,
    })
}

/// Seconds or milliseconds since the epoch, told apart by size.
fn epoch_ms(n: f64) -> Millis {
    if n.abs() < 1e11 { (n * 1000.0) as Millis } else { n as Millis }
}

/// RFC 3339 (`2026-03-12T09:11:40.123Z`) or a number of seconds or milliseconds.
pub fn parse_time(s: &str) -> Option<Millis> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s.trim(), &Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as Millis);
    }
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite()).map(epoch_ms)
}

/// The leading RFC 3339 timestamp of a text line (its first or second word, as Python's
/// Lambda runtime writes `[ERROR] <time> …`), if it has one.
fn text_time(line: &str) -> Option<Millis> {
    line.split_whitespace()
        .take(2)
        .find(|w| w.len() >= 20 && w.as_bytes()[4] == b'-')
        .and_then(parse_time)
}

pub fn level_of(s: &str) -> Option<Level> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "trace" | "debug" | "dbg" | "verbose" => Level::Debug,
        "info" | "information" | "notice" => Level::Info,
        "warn" | "warning" => Level::Warn,
        "error" | "err" | "fatal" | "critical" | "crit" | "panic" | "alert" | "emerg"
        | "emergency" | "severe" => Level::Error,
        _ => return None,
    })
}

/// The level of a plain text line: the first level word among its first few words.
fn text_level(line: &str) -> Level {
    line.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .take(8)
        .find_map(|w| match w {
            "ERROR" | "FATAL" | "CRITICAL" | "Error" | "Fatal" => Some(Level::Error),
            "WARN" | "WARNING" | "Warn" | "Warning" => Some(Level::Warn),
            "INFO" | "Info" => Some(Level::Info),
            "DEBUG" | "TRACE" | "Debug" => Some(Level::Debug),
            _ => None,
        })
        .unwrap_or(Level::Info)
}

fn xray_root(header: &str) -> Option<String> {
    lambda::xray_root(header)
}

/// The fields of a JSON line other than the picked-out ones, as `key=value` pairs in the
/// order written; nested objects are flattened with dots. At most `max` pairs.
pub fn other_fields(
    obj: &Map<String, Value>,
    skip: &[String],
    max: usize,
) -> Vec<(String, String)> {
    fn walk(prefix: &str, v: &Value, out: &mut Vec<(String, String)>, max: usize) {
        if out.len() >= max {
            return;
        }
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    walk(&format!("{prefix}.{k}"), v, out, max);
                }
            }
            Value::String(s) => out.push((prefix.to_string(), s.clone())),
            Value::Null => out.push((prefix.to_string(), "null".into())),
            v => out.push((prefix.to_string(), v.to_string())),
        }
    }
    let mut out = Vec::new();
    for (k, v) in obj {
        let picked = PICKED_FIELDS.iter().any(|fs| fs.contains(&k.as_str()));
        if picked || skip.iter().any(|s| s == k) {
            continue;
        }
        walk(k, v, &mut out, max);
        if out.len() >= max {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(raw: &str) -> LogEvent {
        LineParser::default().parse(raw, LineContext::default())
    }

    #[test]
    fn json_fields_are_picked_out() {
        let e = p(
            r#"{"timestamp":"2026-03-12T09:11:40.500Z","level":"error","service":"worker","region":"eu-west-1","correlationId":"c-1","tenantId":"tenant-42","operation":"approve","message":"timed out","traceId":"1-abc"}"#,
        );
        assert_eq!(e.level, Level::Error);
        assert_eq!(e.service, "worker");
        assert_eq!(e.region, "eu-west-1");
        assert_eq!(e.correlation_id.as_deref(), Some("c-1"));
        assert_eq!(e.tenant.as_deref(), Some("tenant-42"));
        assert_eq!(e.operation.as_deref(), Some("approve"));
        assert_eq!(e.trace_id.as_deref(), Some("1-abc"));
        assert_eq!(e.message, "timed out");
        assert_eq!(crate::model::format_hms(e.at), "09:11:40");
    }

    #[test]
    fn configured_fields_and_nested_paths_carry_the_correlation_id() {
        let parser = LineParser::new(vec!["headers.x-correlation-id".into(), "rid".into()]);
        let e = parser
            .parse(r#"{"headers":{"x-correlation-id":"c-9"},"msg":"hi"}"#, LineContext::default());
        assert_eq!(e.correlation_id.as_deref(), Some("c-9"));
        let e = parser.parse(r#"{"rid":12345,"msg":"hi"}"#, LineContext::default());
        assert_eq!(e.correlation_id.as_deref(), Some("12345"));
        let e = p(r#"{"X-Amzn-Trace-Id":"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"}"#);
        assert_eq!(e.trace_id.as_deref(), Some("1-5759e988-bd862e3fe1be46a994272793"));
    }

    #[test]
    fn text_and_broken_lines_are_kept() {
        let e = p("2026-03-12T09:11:40Z WARN retrying publish");
        assert_eq!(e.level, Level::Warn);
        assert_eq!(e.message, "2026-03-12T09:11:40Z WARN retrying publish");
        assert_eq!(crate::model::format_hms(e.at), "09:11:40");
        let half = p(r#"{"level":"error","message":"cut he"#);
        assert_eq!(half.message, r#"{"level":"error","message":"cut he"#);
        let big = "x".repeat(5 << 20);
        let e = p(&big);
        assert!(e.raw.len() < MAX_LINE_BYTES + 64, "{}", e.raw.len());
        assert!(e.raw.ends_with("more bytes]"));
        let e = p(&format!("é{}", "é".repeat(MAX_LINE_BYTES)));
        assert!(e.raw.contains("line cut"));
    }

    #[test]
    fn lambda_failure_lines_are_errors_of_their_request() {
        let rid = "8f5a9b4e-1c2d-4e3f-9a8b-7c6d5e4f3a2b";
        for line in [
            format!("2026-11-19T13:42:05.106Z {rid} Task timed out after 3.00 seconds"),
            format!(
                "RequestId: {rid} Error: Runtime exited with error: exit status 1\nRuntime.ExitError"
            ),
            format!("RequestId: {rid} Process exited before completing request"),
            format!(
                "RequestId: {rid} Error: Runtime exited with error: signal: killed\nRuntime.OutOfMemory"
            ),
            format!(
                "2026-11-19T13:42:05.106Z\t{rid}\tERROR\tInvoke Error \t{{\"errorType\":\"TypeError\"}}"
            ),
        ] {
            let e = p(&line);
            assert_eq!(e.level, Level::Error, "{line}");
            assert_eq!(e.request_id.as_deref(), Some(rid), "{line}");
        }
        let e = p(&format!(
            r#"{{"errorMessage":"boom","errorType":"KeyError","requestId":"{rid}","stackTrace":[]}}"#
        ));
        assert_eq!((e.level, e.message.as_str()), (Level::Error, "KeyError: boom"));
        assert_eq!(e.request_id.as_deref(), Some(rid));
        let e = p(&format!("2026-11-19T13:42:05.106Z {rid} Task timed out after 3.00 seconds"));
        assert_eq!(e.message, "Task timed out after 3.00 seconds");
        assert_eq!(crate::model::format_hms(e.at), "13:42:05");
        let e = p(&format!(
            "REPORT RequestId: {rid}\tDuration: 1.00 ms\tBilled Duration: 2 ms\t\nXRAY TraceId: 1-6740a1b2-0123456789abcdef01234567\tSegmentId: a\tSampled: true"
        ));
        assert_eq!(e.trace_id.as_deref(), Some("1-6740a1b2-0123456789abcdef01234567"));
    }

    #[test]
    fn a_coloured_level_word_is_the_level_and_is_shown_without_the_codes() {
        let e = p("\u{1b}[1;31mERROR\u{1b}[0m bank-client: 503 (correlation_id=c-1)");
        assert_eq!(e.level, Level::Error);
        assert_eq!(e.message, "ERROR bank-client: 503 (correlation_id=c-1)");
        assert!(e.raw.contains('\u{1b}'), "the line as written is kept");
        let e = p(r#"{"level":"\u001b[33mWARN\u001b[0m","message":"\u001b[33mslow\u001b[0m"}"#);
        assert_eq!((e.level, e.message.as_str()), (Level::Warn, "slow"));
    }

    #[test]
    fn a_long_json_line_is_read_before_it_is_cut() {
        let stack = "at handler (/var/task/app.js:41:7)\\n".repeat(600);
        let raw = format!(
            r#"{{"timestamp":"2026-11-19T13:42:05.106Z","level":"error","correlationId":"c-1","region":"eu-west-1","message":"boom","stack":"{stack}"}}"#
        );
        assert!(raw.len() > MAX_LINE_BYTES);
        let e = p(&raw);
        assert_eq!(e.level, Level::Error);
        assert_eq!(e.correlation_id.as_deref(), Some("c-1"));
        assert_eq!(e.region, "eu-west-1");
        assert_eq!(crate::model::format_hms(e.at), "13:42:05");
        assert!(was_cut(&e.raw) && e.raw.len() < MAX_LINE_BYTES + 64);
        // Kept in the store, shown again with its fields.
        let mut store = crate::model::logstore::LogStore::new(10, 1 << 20, LineParser::default());
        store.push(e);
        let shown = store.event(0).unwrap();
        assert_eq!(shown.correlation_id.as_deref(), Some("c-1"));
        assert_eq!(shown.message, "boom");
        assert_eq!(shown.level, Level::Error);
    }

    #[test]
    fn numeric_times_are_seconds_or_milliseconds() {
        assert_eq!(parse_time("1773306700"), Some(1_773_306_700_000));
        assert_eq!(parse_time("1773306700123"), Some(1_773_306_700_123));
        assert_eq!(p(r#"{"ts":1773306700.5}"#).at, 1_773_306_700_500);
    }
}
