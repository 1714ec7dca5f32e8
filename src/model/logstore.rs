//! The log tail's memory: a bounded ring of lines with the filtered view over it.
//!
//! Lines are kept compactly (time, level, interned region and service, a hash of the
//! correlation id and the line as written) and the view is a list of sequence numbers of the
//! lines that pass the filter. New lines are filtered as they arrive; changing the filter
//! scans the ring once. When the ring is full the oldest lines go and are counted as dropped,
//! so memory stays bounded whatever a source sends.

use super::logline::{LineContext, LineParser};
use super::{Level, LogEvent, Millis};
use std::collections::{HashMap, VecDeque};

/// The default number of lines kept.
pub const DEFAULT_CAPACITY: usize = 200_000;
/// The default bound on the bytes the lines kept take: their text, what is kept beside it
/// (a joined line's ids) and each line's bookkeeping ([`LINE_OVERHEAD`]).
pub const DEFAULT_MAX_BYTES: usize = 256 << 20;

/// What the tail shows. Every part is optional; an empty filter shows everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub region: Option<String>,
    pub service: Option<String>,
    /// Exact correlation id (as the line's correlation field says, or anywhere in a line
    /// without one).
    pub correlation_id: Option<String>,
    /// More correlation ids: a line of any of them passes.
    pub more_correlation_ids: Vec<String>,
    /// Free text, smart case: case-insensitive unless it contains a capital; `a|b` for
    /// either, `re:EXPR` for a regular expression (see [`Needle`]).
    pub text: Option<String>,
    /// Only lines in `[from, to)` (a span's time, from the waterfall).
    pub range: Option<(Millis, Millis)>,
}

impl LogFilter {
    /// The terms to highlight in shown lines.
    pub fn terms(&self) -> Vec<&str> {
        self.correlation_ids().chain(self.text.as_deref()).collect()
    }

    /// Every correlation id of the filter, in order.
    pub fn correlation_ids(&self) -> impl Iterator<Item = &str> {
        self.correlation_id.iter().chain(&self.more_correlation_ids).map(String::as_str)
    }

    /// Whether one event passes, with the same rules as the store's view.
    pub fn matches(&self, e: &LogEvent) -> bool {
        let m = Matcher::new(self);
        m.region_ok(&e.region)
            && m.service_ok(&e.service)
            && m.time_ok(e.at)
            && m.line_ok(e.correlation_id.as_deref().map_or(0, cid_hash), &e.raw)
    }
}

/// A stored line. The text is the line as written (cut at
/// [`super::logline::MAX_LINE_BYTES`]); its fields are parsed again when it is shown.
#[derive(Clone, Debug)]
pub struct StoredLine {
    pub at: Millis,
    /// Hash of the correlation id; 0 when the line has none.
    cid: u64,
    raw: Box<str>,
    region: u16,
    service: u16,
    pub level: Level,
    /// What the source knew about a plain-text line that its text does not say (a Lambda
    /// runtime line joined to its request): kept so that showing it again keeps it.
    joined: Option<Box<Joined>>,
}

#[derive(Clone, Debug, PartialEq)]
struct Joined {
    /// The message of a JSON line read whole and kept cut.
    message: Option<String>,
    correlation_id: Option<String>,
    trace_id: Option<String>,
    request_id: Option<String>,
    tenant: Option<String>,
}

impl StoredLine {
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The bytes this line takes in the ring, all told: what the byte cap counts.
    fn cost(&self) -> usize {
        let len = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
        let joined = self.joined.as_ref().map_or(0, |j| {
            std::mem::size_of::<Joined>()
                + len(&j.message)
                + len(&j.correlation_id)
                + len(&j.trace_id)
                + len(&j.request_id)
                + len(&j.tenant)
        });
        self.raw.len() + LINE_OVERHEAD + joined
    }
}

/// FNV-1a, never 0 (0 means "no correlation id").
pub fn cid_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h.max(1)
}

/// A compiled filter.
struct Matcher {
    region: Option<String>,
    service: Option<String>,
    cids: Vec<(u64, memchr::memmem::Finder<'static>)>,
    text: Option<Needle>,
    range: Option<(Millis, Millis)>,
}

impl Matcher {
    fn new(f: &LogFilter) -> Self {
        Matcher {
            region: f.region.clone(),
            service: f.service.clone(),
            cids: f
                .correlation_ids()
                .map(|c| (cid_hash(c), memchr::memmem::Finder::new(c.as_bytes()).into_owned()))
                .collect(),
            text: f.text.as_deref().filter(|t| !t.is_empty()).map(Needle::new),
            range: f.range,
        }
    }
    fn time_ok(&self, at: Millis) -> bool {
        self.range.is_none_or(|(from, to)| at >= from && at < to)
    }
    /// A line that names no region (a plain file line) is in every region.
    fn region_ok(&self, r: &str) -> bool {
        r.is_empty() || self.region.as_deref().is_none_or(|x| x == r)
    }
    fn service_ok(&self, s: &str) -> bool {
        self.service.as_deref().is_none_or(|x| x == s)
    }
    fn line_ok(&self, cid: u64, raw: &str) -> bool {
        if !self.cids.is_empty() {
            let ok = self.cids.iter().any(|(h, finder)| {
                if cid == 0 { finder.find(raw.as_bytes()).is_some() } else { cid == *h }
            });
            if !ok {
                return false;
            }
        }
        self.text.as_ref().is_none_or(|n| n.find(raw).is_some())
    }
}

/// A free-text term, searched with smart case: case-insensitive unless it has a capital.
/// `a|b` finds either term (each trimmed); `re:EXPR` is a regular expression, smart case too.
/// An expression that does not compile finds nothing ([`Needle::check`] says why).
#[derive(Clone, Debug)]
pub struct Needle {
    len: usize,
    /// Case-sensitive terms use memchr's substring search; the others a case-insensitive
    /// literal search (SIMD prefilters), which is far quicker than folding every line.
    exact: Option<memchr::memmem::Finder<'static>>,
    folded: Option<regex_automata::meta::Regex>,
}

/// A literal term as a regular expression.
fn escape(term: &str) -> String {
    term.chars()
        .flat_map(|c| {
            let esc = c.is_ascii_punctuation() || c.is_whitespace();
            esc.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

/// The regular expression of a filter with `|` or `re:`; `None` for one literal term.
fn pattern(term: &str) -> Option<String> {
    if let Some(re) = term.strip_prefix("re:") {
        return Some(re.to_string());
    }
    if !term.contains('|') {
        return None;
    }
    let parts: Vec<String> =
        term.split('|').map(str::trim).filter(|t| !t.is_empty()).map(escape).collect();
    Some(if parts.is_empty() { escape(term) } else { parts.join("|") })
}

fn build(expr: &str, ignore_case: bool) -> Result<regex_automata::meta::Regex, String> {
    regex_automata::meta::Regex::builder()
        .syntax(regex_automata::util::syntax::Config::new().case_insensitive(ignore_case))
        .build(expr)
        .map_err(|e| {
            // The innermost error's last line says what is wrong (`error: unclosed group`).
            let mut inner: &dyn std::error::Error = &e;
            while let Some(next) = inner.source() {
                inner = next;
            }
            let text = inner.to_string();
            let last = text.lines().last().unwrap_or_default();
            last.strip_prefix("error: ").unwrap_or(last).to_string()
        })
}

impl Needle {
    pub fn new(term: &str) -> Self {
        let ignore_case = !term.chars().any(char::is_uppercase);
        if let Some(expr) = pattern(term) {
            let re = build(&expr, ignore_case).ok();
            // An expression that matches the empty string would mark nothing and find all.
            let len = if re.is_some() { usize::MAX } else { 1 };
            return Needle { len, exact: None, folded: re };
        }
        let folded = ignore_case.then(|| build(&escape(term), true).ok()).flatten();
        let exact =
            folded.is_none().then(|| memchr::memmem::Finder::new(term.as_bytes()).into_owned());
        Needle { len: term.len(), exact, folded }
    }

    /// Whether a filter's text is usable: a `re:` expression must compile.
    pub fn check(term: &str) -> Result<(), String> {
        match term.strip_prefix("re:") {
            Some("") => Err("re: needs a regular expression after it".into()),
            Some(re) => build(re, !term.chars().any(char::is_uppercase)).map(|_| ()).map_err(|e| {
                format!("re:{re} is not a regular expression: {}", e.lines().last().unwrap_or(""))
            }),
            None => Ok(()),
        }
    }

    /// Byte range of the first match in `hay`.
    fn find_range(&self, hay: &str) -> Option<(usize, usize)> {
        if self.len == 0 {
            return Some((0, 0));
        }
        match (&self.folded, &self.exact) {
            (Some(re), _) => re.find(hay).map(|m| (m.start(), m.end())),
            (None, Some(f)) => f.find(hay.as_bytes()).map(|i| (i, i + self.len)),
            (None, None) => None,
        }
    }

    /// Byte offset of the first match in `hay`.
    pub fn find(&self, hay: &str) -> Option<usize> {
        self.find_range(hay).map(|(s, _)| s)
    }

    /// Byte offset of the first match in `hay[from..]` (raw bytes, which need not be UTF-8:
    /// a match is made of whole characters, as in the text the bytes decode to), from the
    /// start of `hay`. `from` must be a character boundary (a line's start).
    pub fn find_bytes(&self, hay: &[u8], from: usize) -> Option<usize> {
        if from > hay.len() {
            return None;
        }
        if self.len == 0 {
            return Some(from);
        }
        match (&self.folded, &self.exact) {
            (Some(re), _) => {
                re.find(regex_automata::Input::new(hay).span(from..hay.len())).map(|m| m.start())
            }
            (None, Some(f)) => f.find(&hay[from..]).map(|i| from + i),
            (None, None) => None,
        }
    }

    /// The term could match the mark [`super::logline::cap_line`] puts at the end of a cut
    /// line (` … [line cut: N more bytes]`), which the bytes as written do not hold.
    pub fn may_match_cut_mark(term: &str) -> bool {
        const MARK: &str = " … [line cut: 0123456789 more bytes]";
        term.ends_with(char::is_whitespace)
            || !term.is_ascii()
            || term.chars().all(|c| MARK.contains(c.to_ascii_lowercase()))
            || Needle::new(term).find(MARK).is_some()
    }

    /// Every match in `hay` as byte ranges, not overlapping.
    pub fn ranges(&self, hay: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < hay.len() {
            let Some((s, e)) = self.find_range(&hay[at..]) else { break };
            if e == s {
                break;
            }
            out.push((at + s, at + e));
            at += e;
        }
        out
    }
}

/// The ring of lines and the filtered view over it.
pub struct LogStore {
    lines: VecDeque<StoredLine>,
    /// Sequence number of `lines[0]`.
    first_seq: u64,
    capacity: usize,
    max_bytes: usize,
    bytes: usize,
    dropped: u64,
    names: Vec<String>,
    ids: HashMap<String, u16>,
    filter: LogFilter,
    matcher: Matcher,
    /// Compiled region and service of the filter: `None` = any, `Some(None)` = a name no
    /// line has.
    region_id: Option<Option<u16>>,
    service_id: Option<Option<u16>>,
    /// Sequence numbers of the lines that pass the filter, ascending.
    view: VecDeque<u64>,
    parser: LineParser,
}

impl LogStore {
    pub fn new(capacity: usize, max_bytes: usize, parser: LineParser) -> Self {
        LogStore {
            lines: VecDeque::new(),
            first_seq: 0,
            capacity: capacity.max(1),
            max_bytes: max_bytes.max(1),
            bytes: 0,
            dropped: 0,
            names: vec![String::new()],
            ids: HashMap::from([(String::new(), 0)]),
            filter: LogFilter::default(),
            matcher: Matcher::new(&LogFilter::default()),
            region_id: None,
            service_id: None,
            view: VecDeque::new(),
            parser,
        }
    }

    pub fn parser(&self) -> &LineParser {
        &self.parser
    }

    /// Forget every line (a new query); the filter stays.
    pub fn clear(&mut self) {
        self.first_seq += self.lines.len() as u64;
        self.lines.clear();
        self.view.clear();
        self.bytes = 0;
        self.dropped = 0;
    }

    fn intern(&mut self, name: &str) -> u16 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        // Names come from sources and config, not from line text; still, bound them.
        if self.names.len() >= u16::MAX as usize {
            return 0;
        }
        let id = self.names.len() as u16;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// Add a line, evicting the oldest if the ring is full.
    pub fn push(&mut self, e: LogEvent) {
        let region = self.intern(&e.region);
        let service = self.intern(&e.service);
        let cid = e.correlation_id.as_deref().map_or(0, cid_hash);
        let raw = if e.raw.len() > super::logline::MAX_LINE_BYTES {
            super::logline::cap_line(&e.raw)
        } else {
            e.raw
        };
        // JSON lines say their fields again when parsed; text lines may not.
        let cut = super::logline::was_cut(&raw);
        let joined = ((cut || !raw.trim_start().starts_with('{'))
            && (cut
                || e.correlation_id.is_some()
                || e.trace_id.is_some()
                || e.request_id.is_some()
                || e.tenant.is_some()))
        .then(|| {
            Box::new(Joined {
                message: cut.then_some(e.message),
                correlation_id: e.correlation_id,
                trace_id: e.trace_id,
                request_id: e.request_id,
                tenant: e.tenant,
            })
        });
        let line = StoredLine {
            at: e.at,
            cid,
            raw: raw.into_boxed_str(),
            region,
            service,
            level: e.level,
            joined,
        };
        self.bytes += line.cost();
        let seq = self.first_seq + self.lines.len() as u64;
        let pass = self.passes(&line);
        self.lines.push_back(line);
        if pass {
            self.view.push_back(seq);
        }
        while self.lines.len() > self.capacity
            || (self.bytes > self.max_bytes && self.lines.len() > 1)
        {
            self.evict();
        }
    }

    /// Parse and add a line as written.
    pub fn push_raw(&mut self, raw: &str, ctx: LineContext<'_>) {
        let e = self.parser.parse(raw, ctx);
        self.push(e);
    }

    fn evict(&mut self) {
        if let Some(old) = self.lines.pop_front() {
            self.bytes -= old.cost();
            if self.view.front() == Some(&self.first_seq) {
                self.view.pop_front();
            }
            self.first_seq += 1;
            self.dropped += 1;
        }
    }

    pub fn extend(&mut self, events: impl IntoIterator<Item = LogEvent>) {
        for e in events {
            self.push(e);
        }
    }

    fn passes(&self, l: &StoredLine) -> bool {
        let id_ok = |want: Option<Option<u16>>, have: u16| match want {
            None => true,
            Some(w) => w == Some(have),
        };
        (l.region == 0 || id_ok(self.region_id, l.region))
            && id_ok(self.service_id, l.service)
            && self.matcher.time_ok(l.at)
            && self.matcher.line_ok(l.cid, &l.raw)
    }

    pub fn filter(&self) -> &LogFilter {
        &self.filter
    }

    /// Change the filter and rebuild the view.
    pub fn set_filter(&mut self, filter: LogFilter) {
        let lookup = |ids: &HashMap<String, u16>, n: &Option<String>| {
            n.as_ref().map(|n| ids.get(n.as_str()).copied())
        };
        self.region_id = lookup(&self.ids, &filter.region);
        self.service_id = lookup(&self.ids, &filter.service);
        self.matcher = Matcher::new(&filter);
        self.filter = filter;
        let first = self.first_seq;
        self.view = self
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| self.passes(l))
            .map(|(i, _)| first + i as u64)
            .collect();
        // A name first seen after the filter was set must still match: re-intern lazily.
        if self.region_id == Some(None) {
            self.region_id = None;
            if let Some(r) = self.filter.region.clone() {
                let id = self.intern(&r);
                self.region_id = Some(Some(id));
            }
        }
        if self.service_id == Some(None) {
            self.service_id = None;
            if let Some(s) = self.filter.service.clone() {
                let id = self.intern(&s);
                self.service_id = Some(Some(id));
            }
        }
    }

    /// Lines kept.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Lines that pass the filter.
    pub fn shown(&self) -> usize {
        self.view.len()
    }

    /// Lines kept that the filter hides.
    pub fn filtered_out(&self) -> usize {
        self.lines.len() - self.view.len()
    }

    /// Lines evicted since the last clear because the ring was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Bytes the lines kept take (their text and bookkeeping), as the byte cap counts them.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Sequence number of the `i`-th shown line.
    pub fn seq(&self, i: usize) -> Option<u64> {
        self.view.get(i).copied()
    }

    /// Index in the view of a sequence number, or of the first shown line after it.
    pub fn index_of(&self, seq: u64) -> usize {
        self.view.partition_point(|&s| s < seq)
    }

    /// The `i`-th shown line.
    pub fn line(&self, i: usize) -> Option<&StoredLine> {
        let seq = self.seq(i)?;
        self.lines.get((seq - self.first_seq) as usize)
    }

    pub fn region_of(&self, l: &StoredLine) -> &str {
        &self.names[l.region as usize]
    }

    pub fn service_of(&self, l: &StoredLine) -> &str {
        &self.names[l.service as usize]
    }

    /// The `i`-th shown line as an event, its fields parsed again from its text.
    pub fn event(&self, i: usize) -> Option<LogEvent> {
        let l = self.line(i)?;
        let mut e = self.parser.parse(
            &l.raw,
            LineContext {
                at: Some(l.at),
                region: Some(self.region_of(l)),
                service: Some(self.service_of(l)),
            },
        );
        e.at = l.at;
        e.level = l.level;
        e.region = self.region_of(l).to_string();
        e.service = self.service_of(l).to_string();
        if let Some(j) = &l.joined {
            if let Some(m) = &j.message {
                e.message.clone_from(m);
            }
            e.correlation_id = e.correlation_id.or_else(|| j.correlation_id.clone());
            e.trace_id = e.trace_id.or_else(|| j.trace_id.clone());
            e.request_id = e.request_id.or_else(|| j.request_id.clone());
            e.tenant = e.tenant.or_else(|| j.tenant.clone());
        }
        Some(e)
    }

    /// The first shown line after (`forward`) or before `from` that `pred` accepts.
    pub fn find(
        &self,
        from: usize,
        forward: bool,
        pred: impl Fn(&StoredLine) -> bool,
    ) -> Option<usize> {
        if forward {
            (from + 1..self.view.len()).find(|&i| self.line(i).is_some_and(&pred))
        } else {
            (0..from.min(self.view.len())).rev().find(|&i| self.line(i).is_some_and(&pred))
        }
    }

    /// The shown lines, oldest first.
    pub fn events(&self) -> impl Iterator<Item = LogEvent> + '_ {
        (0..self.view.len()).filter_map(|i| self.event(i))
    }
}

/// Approximate bytes one stored line costs besides its text.
pub const LINE_OVERHEAD: usize = std::mem::size_of::<StoredLine>() + std::mem::size_of::<u64>();

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::logline::LineContext;

    fn line(at: Millis, region: &str, service: &str, cid: &str, msg: &str) -> String {
        format!(
            r#"{{"timestamp":{at},"level":"{}","service":"{service}","region":"{region}","correlationId":"{cid}","message":"{msg}"}}"#,
            if msg.contains("fail") { "ERROR" } else { "INFO" }
        )
    }

    const BASE: Millis = 1_773_306_700_000;

    fn store(cap: usize) -> LogStore {
        let mut s = LogStore::new(cap, DEFAULT_MAX_BYTES, LineParser::default());
        for i in 0..10 {
            let region = if i % 2 == 0 { "eu-west-1" } else { "us-east-1" };
            let msg = if i == 7 { "publish failed" } else { "handled" };
            s.push_raw(
                &line(BASE + i, region, "api", &format!("c-{}", i % 3), msg),
                LineContext::default(),
            );
        }
        s
    }

    #[test]
    fn several_correlation_ids_and_text_with_or_and_regex() {
        let mut s = store(100);
        let ids = |a: &str, more: &[&str]| LogFilter {
            correlation_id: Some(a.into()),
            more_correlation_ids: more.iter().map(|m| m.to_string()).collect(),
            ..Default::default()
        };
        s.set_filter(ids("c-1", &["c-2"]));
        assert_eq!(s.shown(), 6, "lines of either request"); // 1,2,4,5,7,8
        s.set_filter(ids("c-1", &["c-nope"]));
        assert_eq!(s.shown(), 3);
        let text = |t: &str| LogFilter { text: Some(t.into()), ..Default::default() };
        s.push_raw(&line(BASE + 20, "eu-west-1", "api", "c-5", "timeout"), LineContext::default());
        s.set_filter(text("failed|timeout"));
        assert_eq!(s.shown(), 2, "either term");
        s.set_filter(text(" failed | | "));
        assert_eq!(s.shown(), 1, "terms are trimmed and blanks dropped");
        s.set_filter(text("re:^\\{.*\"c-[12]\".*handled"));
        assert_eq!(s.shown(), 5, "a regular expression over the line");
        s.set_filter(text("re:PUBLISH"));
        assert_eq!(s.shown(), 0, "smart case in expressions too");
        s.set_filter(text("re:(?i)PUBLISH"));
        assert_eq!(s.shown(), 1);
        s.set_filter(text("re:(unclosed"));
        assert_eq!(s.shown(), 0, "a bad expression finds nothing");
        let e = Needle::check("re:(unclosed").unwrap_err();
        assert!(e.contains("not a regular expression: unclosed group"), "{e}");
        assert!(Needle::check("re:").is_err());
        assert!(Needle::check("a|b").is_ok());
        assert_eq!(Needle::new("fail|time").ranges("it failed: timeout"), [(3, 7), (11, 15)]);
        assert!(Needle::new("re:x*").ranges("abc").is_empty(), "empty matches mark nothing");
        let f = ids("c-1", &["c-2"]);
        assert_eq!(f.terms(), ["c-1", "c-2"]);
    }

    #[test]
    fn filters_by_correlation_id_region_and_text() {
        let mut s = store(100);
        assert_eq!(s.shown(), 10);
        s.set_filter(LogFilter { correlation_id: Some("c-1".into()), ..Default::default() });
        assert_eq!(s.shown(), 3); // 1, 4, 7
        s.set_filter(LogFilter {
            correlation_id: Some("c-1".into()),
            region: Some("us-east-1".into()),
            ..Default::default()
        });
        assert_eq!(s.shown(), 2); // 1, 7
        s.set_filter(LogFilter { text: Some("FAILED".into()), ..Default::default() });
        assert_eq!(s.shown(), 0, "a capital makes the search case-sensitive");
        s.set_filter(LogFilter { text: Some("failed".into()), ..Default::default() });
        assert_eq!(s.shown(), 1);
        assert_eq!(s.event(0).unwrap().message, "publish failed");
        // New lines are filtered as they arrive.
        s.push_raw(
            &line(2_000_000, "eu-west-1", "worker", "c-9", "it failed"),
            LineContext::default(),
        );
        assert_eq!(s.shown(), 2);
        assert_eq!(s.filtered_out(), 9);
        // A service first seen after the filter was set still matches.
        s.set_filter(LogFilter { service: Some("late".into()), ..Default::default() });
        assert_eq!(s.shown(), 0);
        s.push_raw(&line(3_000_000, "eu-west-1", "late", "c-9", "x"), LineContext::default());
        assert_eq!(s.shown(), 1);
    }

    #[test]
    fn a_full_ring_drops_the_oldest_and_counts_them() {
        let mut s = store(4);
        assert_eq!(s.len(), 4);
        assert_eq!(s.dropped(), 6);
        assert_eq!(s.event(0).unwrap().at, BASE + 6);
        s.set_filter(LogFilter { correlation_id: Some("c-0".into()), ..Default::default() });
        assert_eq!(s.shown(), 2); // 6 and 9
        let seq = s.seq(0).unwrap();
        s.push_raw(&line(9, "eu-west-1", "api", "c-5", "x"), LineContext::default());
        assert_eq!(s.shown(), 1, "the evicted line left the view");
        assert!(s.index_of(seq) == 0);
        let mut b = LogStore::new(100, 1000, LineParser::default());
        for i in 0..50 {
            b.push_raw(&"y".repeat(100 + i), LineContext::default());
        }
        assert!(b.bytes() <= 1000 && b.len() < 10 && b.dropped() > 40);
    }

    #[test]
    fn the_byte_cap_counts_what_a_line_costs_not_only_its_text() {
        // A flood of short lines: their bookkeeping is most of what they cost.
        let cap = 64 * 1024;
        let mut s = LogStore::new(1_000_000, cap, LineParser::default());
        for i in 0..20_000 {
            s.push_raw(&format!("short line {i}"), LineContext::default());
        }
        let text: usize = (0..s.len()).filter_map(|i| s.line(i)).map(|l| l.raw().len()).sum();
        assert!(s.bytes() <= cap, "{} > {cap}", s.bytes());
        assert!(s.len() * LINE_OVERHEAD + text <= cap, "{} lines", s.len());
        assert!(s.len() < cap / LINE_OVERHEAD, "{} lines kept", s.len());
    }

    #[test]
    fn plain_lines_match_the_id_in_their_text() {
        let mut s = LogStore::new(10, DEFAULT_MAX_BYTES, LineParser::default());
        s.push_raw("ERROR request c-77 timed out", LineContext::default());
        s.push_raw("INFO request c-78 ok", LineContext::default());
        s.set_filter(LogFilter { correlation_id: Some("c-77".into()), ..Default::default() });
        assert_eq!(s.shown(), 1);
        assert_eq!(s.find(0, true, |l| l.level == Level::Error), None);
        s.set_filter(LogFilter::default());
        assert_eq!(s.find(0, true, |l| l.level == Level::Info), Some(1));
        assert_eq!(s.find(1, false, |l| l.level == Level::Error), Some(0));
    }

    #[test]
    fn needle_ranges_respect_case_and_characters() {
        let n = Needle::new("ab");
        assert_eq!(n.ranges("xABxab"), vec![(1, 3), (4, 6)]);
        assert_eq!(Needle::new("AB").ranges("xABxab"), vec![(1, 3)]);
        assert_eq!(Needle::new("é").ranges("aéb"), vec![(1, 3)]);
    }
}
