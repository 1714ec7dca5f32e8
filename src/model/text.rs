//! Text helpers shared by the panes, the report and the headless commands: making outside
//! text safe to show, and the short name of a resource.

/// Control characters and escape sequences as visible symbols (`␛`), never sent to the
/// terminal; tabs as spaces.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' => ' ',
            '\u{1b}' => '␛',
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('�'),
            '\u{7f}' => '␡',
            c if ('\u{80}'..='\u{9f}').contains(&c) => '�',
            c => c,
        })
        .collect()
}

/// The name in an ARN or path: `…:function:invoice-approval-worker` → the function,
/// `…:repository/message-processor:2.8.0` → `message-processor:2.8.0`.
pub fn short_resource(r: &str) -> &str {
    let tail = |sep: char| r.rsplit(sep).find(|p| !p.is_empty());
    if r.contains('/') { tail('/') } else { tail(':') }.unwrap_or(r)
}

/// An ISO 8601 UTC time to the second: `2026-03-12T09:04:37Z`.
pub fn iso(t: super::Millis) -> String {
    match time::OffsetDateTime::from_unix_timestamp_nanos(t as i128 * 1_000_000) {
        Ok(d) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            d.year(),
            d.month() as u8,
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        ),
        Err(_) => format!("{t} ms"),
    }
}

/// A UTC time for a file name, to the minute: `2026-03-12T0930Z`.
pub fn file_time(t: super::Millis) -> String {
    let s = iso(t);
    match (s.get(..13), s.get(14..16)) {
        (Some(day_hour), Some(min)) if s.ends_with('Z') => format!("{day_hour}{min}Z"),
        _ => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_resources_and_sanitized_text() {
        assert_eq!(
            short_resource("arn:aws:lambda:eu-west-1:1:function:invoice-approval-worker"),
            "invoice-approval-worker"
        );
        assert_eq!(
            short_resource("arn:aws:ecr:us-east-1:1:repository/message-processor:2.8.0"),
            "message-processor:2.8.0"
        );
        assert_eq!(short_resource(""), "");
        assert_eq!(sanitize("a\u{1b}[2J\tb\n"), "a␛[2J b␊");
        // 2026-03-12T09:30:05Z
        let t = 1_773_307_805_000;
        assert_eq!(iso(t), "2026-03-12T09:30:05Z");
        assert_eq!(file_time(t), "2026-03-12T0930Z");
        assert_eq!(iso(i64::MAX), format!("{} ms", i64::MAX));
    }
}
