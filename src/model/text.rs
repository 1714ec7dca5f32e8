//! Text helpers shared by the panes, the report and the headless commands: making outside
//! text safe to show, and the short name of a resource.

/// Control characters and escape sequences as visible symbols (`␛`), never sent to the
/// terminal; tabs as spaces. Characters that reorder or hide text (bidi overrides and
/// isolates, zero-width spaces and joiners, the byte order mark, line and paragraph
/// separators) are shown by their code point (`‹U+202E›`), so what is shown is what is there.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            '\u{1b}' => out.push('␛'),
            c if (c as u32) < 0x20 => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('�')),
            '\u{7f}' => out.push('␡'),
            c if ('\u{80}'..='\u{9f}').contains(&c) => out.push('�'),
            c if invisible(c) => {
                use std::fmt::Write;
                let _ = write!(out, "‹U+{:04X}›", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters that change how the text around them is ordered or joined without showing
/// themselves: bidi embeddings, overrides, isolates and marks, zero-width spaces and
/// joiners, the word joiner, the byte order mark, and the line and paragraph separators.
pub fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{061c}'
            | '\u{feff}'
    )
}

/// The columns `s` takes on a terminal (wide characters count two).
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// `s` made safe ([`sanitize`]) and padded with spaces to `cols` display columns, so the
/// columns after it line up whatever characters it holds.
pub fn pad(s: &str, cols: usize) -> String {
    let mut out = sanitize(s);
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', cols.saturating_sub(w)));
    out
}

/// Outside text as inert Markdown prose on one line: controls, escape sequences and
/// invisible characters shown ([`sanitize`]), line breaks collapsed to a space, HTML
/// escaped (`&lt;script&gt;`) and every character that could start Markdown structure
/// (headings, lists, emphasis, links, tables, code) backslash-escaped.
pub fn md_text(s: &str) -> String {
    let one_line = s.replace("\r\n", " ").replace(['\n', '\r'], " ");
    let mut out = String::with_capacity(one_line.len());
    let text = sanitize(&one_line);
    for (i, c) in text.char_indices() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' if i == 0 => out.push_str("&gt;"),
            // Only where it would start an entity (`&lt;`, `&#60;`): shown as written.
            '&' if entity_at(&text[i + 1..]) => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    // At the start of a line a dash, a plus or a number with a dot would begin a list.
    let digits = out.chars().take_while(char::is_ascii_digit).count();
    if out.starts_with(['-', '+']) {
        out.insert(0, '\\');
    } else if digits > 0 && out[digits..].starts_with(['.', ')']) {
        out.insert(digits, '\\');
    }
    out
}

/// Whether `s` (what follows a `&`) begins like an HTML entity: `lt;`, `#60;`, `#x3c;`.
fn entity_at(s: &str) -> bool {
    let name = s.bytes().take(32).take_while(|b| b.is_ascii_alphanumeric() || *b == b'#').count();
    name > 0 && s.as_bytes().get(name) == Some(&b';')
}

/// Outside text for a Markdown code span (`` `…` ``): one line, controls shown, the
/// backtick that would close the span replaced. HTML and Markdown inside a code span are
/// shown as written, never interpreted.
pub fn md_code(s: &str) -> String {
    sanitize(&s.replace("\r\n", " ").replace(['\n', '\r'], " ")).replace('`', "'")
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

/// 2000-01-01T00:00:00Z: no telemetry warroom reads is older.
pub const EARLIEST: super::Millis = 946_684_800_000;

/// Why `t` (from a file) cannot be a real event's time, when it cannot: before 2000, or more
/// than a day ahead of `now` (a clock can be off, not by days). A time in seconds read as
/// milliseconds, or the other way round, lands far outside.
pub fn implausible_time(t: super::Millis, now: super::Millis) -> Option<String> {
    let day = 86_400_000;
    if t < EARLIEST {
        Some(format!("{} is before 2000", iso(t)))
    } else if t > now.saturating_add(day) {
        Some(format!("{} is more than a day ahead of the clock ({})", iso(t), iso(now)))
    } else {
        None
    }
}

/// The wall clock in Unix milliseconds.
pub fn wall_now() -> super::Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as super::Millis)
        .unwrap_or(0)
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

    #[test]
    fn hidden_characters_are_shown_and_columns_pad_by_width() {
        assert_eq!(sanitize("ab\u{202e}cd\u{200b}e\u{feff}"), "ab‹U+202E›cd‹U+200B›e‹U+FEFF›");
        for c in ['\u{202a}', '\u{2066}', '\u{2069}', '\u{200d}', '\u{2060}', '\u{2028}'] {
            assert!(!sanitize(&format!("x{c}y")).contains(c), "{:04X}", c as u32);
        }
        assert_eq!(sanitize("a\u{9b}31m"), "a�31m");
        assert_eq!(width("請求"), 4);
        assert_eq!(pad("請求", 6), "請求  ");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("a\nb", 4), "a␊b ");
    }

    #[test]
    fn implausible_times_are_named() {
        let now = 1_773_307_805_000; // 2026-03-12
        assert_eq!(implausible_time(now, now), None);
        assert_eq!(implausible_time(now + 3_600_000, now), None);
        assert!(implausible_time(1_000_000_000_000_000, now).unwrap().contains("ahead"));
        assert!(implausible_time(1_000_000_000, now).unwrap().contains("before 2000"));
        assert!(implausible_time(-5, now).unwrap().contains("before 2000"));
    }

    #[test]
    fn markdown_text_is_inert() {
        let hostile =
            "\u{1b}]52;c;ZWNobw==\u{7}\n\n## Findings\n<script>alert(1)</script> *x* [a](b)";
        let t = md_text(hostile);
        assert!(!t.contains('\u{1b}') && !t.contains('\u{7}') && !t.contains('\n'), "{t}");
        assert!(!t.contains("<script>") && t.contains("&lt;script>"), "{t}");
        assert!(
            t.contains("\\#\\# Findings") && t.contains("\\*x\\*") && t.contains("\\[a\\]"),
            "{t}"
        );
        assert_eq!(md_text("- x"), "\\- x");
        assert_eq!(md_text("> quote a -> b"), "&gt; quote a -> b");
        assert_eq!(md_text("S&P &lt; &#60;"), "S&P &amp;lt; &amp;\\#60;");
        assert_eq!(md_text("12. x"), "12\\. x");
        assert_eq!(md_text("a-b 1. c"), "a-b 1. c");
        let c = md_code("a`b\nc\u{1b}");
        assert_eq!(c, "a'b c␛");
    }
}
