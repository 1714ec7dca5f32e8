//! Finding a request's trace through its log lines when X-Ray has no trace annotated with its
//! correlation id (the annotation was never written, or `GetTraceSummaries` failed).
//!
//! 1. The request's lines (`FilterLogEvents` with the correlation id, as the log tail reads
//!    them) name trace ids directly: the parser's `trace_id` field, an X-Ray trace header
//!    (`X-Amzn-Trace-Id: Root=1-…;Parent=…;Sampled=1`), any `1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx`.
//! 2. Or they name the Lambda request that served them (`<time>\t<RequestId>\tINFO\t…`,
//!    `RequestId: …`): that request's own lines are read by its id, and the runtime's
//!    `XRAY TraceId: 1-… SegmentId: … Sampled: true` line (printed after `REPORT`) gives the
//!    trace id.
//!
//! The ids found are read with `BatchGetTraces`; [`FoundBy`] says which way it went. The
//! parsing here is deliberately small and free of regular expressions.

use crate::model::LogEvent;

/// How a request's trace was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FoundBy {
    /// X-Ray's summaries, by the correlation id annotation.
    Annotation,
    /// A trace id in the request's own log lines.
    LogLine,
    /// The `XRAY TraceId` line of the Lambda request (its id) that served the request.
    LambdaRequest(String),
}

impl FoundBy {
    /// For the user: how the trace was found.
    pub fn describe(&self, annotation_key: &str) -> String {
        match self {
            FoundBy::Annotation => format!("found by its X-Ray annotation {annotation_key}"),
            FoundBy::LogLine => {
                "found by the trace id in its log lines (not annotated in X-Ray)".into()
            }
            FoundBy::LambdaRequest(id) => {
                format!(
                    "found by the XRAY TraceId line of Lambda request {id} (not annotated in X-Ray)"
                )
            }
        }
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Is `s` an X-Ray trace id (`1-` 8 hex digits `-` 24 hex digits)?
pub fn is_trace_id(s: &str) -> bool {
    let mut parts = s.split('-');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("1"), Some(t), Some(r), None) if t.len() == 8 && r.len() == 24 && is_hex(t) && is_hex(r)
    )
}

/// Every X-Ray trace id in `text`, in order, without repeats.
pub fn trace_ids_in(text: &str) -> Vec<String> {
    const LEN: usize = 1 + 1 + 8 + 1 + 24;
    let bytes = text.as_bytes();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(found) = text[i..].find("1-") {
        let at = i + found;
        let before_ok = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        let end = at + LEN;
        let after_ok = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if before_ok
            && after_ok
            && let Some(candidate) = text.get(at..end)
            && is_trace_id(candidate)
            && !out.iter().any(|o| o == candidate)
        {
            out.push(candidate.to_string());
        }
        i = at + 2;
    }
    out
}

/// Is `s` a Lambda request id (a UUID)?
pub fn is_request_id(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5 && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && is_hex(p))
}

/// The Lambda request id a line names: `RequestId: <id>` (START, END, REPORT) or the second
/// field of a runtime-formatted line (`<time>\t<id>\tINFO\t…`).
pub fn request_id_in(line: &str) -> Option<&str> {
    if let Some((_, rest)) = line.split_once("RequestId: ") {
        let id = rest.split_whitespace().next()?;
        return is_request_id(id).then_some(id);
    }
    let mut words = line.split_whitespace();
    let _time = words.next()?;
    words.next().filter(|w| is_request_id(w))
}

/// The trace id of the runtime's `XRAY TraceId: 1-… SegmentId: … Sampled: true` line.
pub fn xray_line_trace_id(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("XRAY TraceId: ")?;
    let id = rest.split_whitespace().next()?;
    is_trace_id(id).then_some(id)
}

/// Trace ids named by a request's lines: the parsed field first, then the text.
pub fn trace_ids_of(events: &[LogEvent]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let named = e.trace_id.iter().filter(|t| is_trace_id(t)).cloned();
        for id in named.chain(trace_ids_in(&e.raw)) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// The Lambda request ids a request's lines name, without repeats.
pub fn request_ids_of(events: &[LogEvent]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        if let Some(id) = request_id_in(&e.raw)
            && !out.iter().any(|o| o == id)
        {
            out.push(id.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "1-6553f1e4-0123456789abcdef01234567";

    #[test]
    fn trace_ids_in_headers_and_text() {
        assert!(is_trace_id(TID));
        assert!(!is_trace_id("1-6553f1e4-0123"));
        assert!(!is_trace_id("2-6553f1e4-0123456789abcdef01234567"));
        assert_eq!(
            trace_ids_in(&format!("X-Amzn-Trace-Id: Root={TID};Parent=53995c3f42cd8ad8;Sampled=1")),
            [TID]
        );
        assert_eq!(trace_ids_in(&format!(r#"{{"traceId":"{TID}","again":"{TID}"}}"#)), [TID]);
        assert!(trace_ids_in("11-6553f1e4-0123456789abcdef01234567").is_empty());
        assert!(trace_ids_in(&format!("{TID}9")).is_empty());
        assert!(trace_ids_in("no ids here 1- 1-x").is_empty());
        assert!(trace_ids_in("é1-ü").is_empty());
    }

    #[test]
    fn lambda_lines() {
        let rid = "3f1c9a52-7e4b-4d1a-9c2e-1b2a3c4d5e6f";
        assert_eq!(request_id_in(&format!("START RequestId: {rid} Version: $LATEST")), Some(rid));
        assert_eq!(
            request_id_in(&format!(
                "REPORT RequestId: {rid}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms"
            )),
            Some(rid)
        );
        assert_eq!(
            request_id_in(&format!(
                "2026-03-12T09:11:42.120Z\t{rid}\tINFO\t{{\"correlationId\":\"c-1\"}}"
            )),
            Some(rid)
        );
        assert_eq!(request_id_in("INFO nothing"), None);
        assert_eq!(
            xray_line_trace_id(&format!(
                "XRAY TraceId: {TID}\tSegmentId: 53995c3f42cd8ad8\tSampled: true"
            )),
            Some(TID)
        );
        assert_eq!(xray_line_trace_id("XRAY TraceId: nonsense"), None);
        assert_eq!(xray_line_trace_id(&format!("REPORT {TID}")), None);
    }
}
