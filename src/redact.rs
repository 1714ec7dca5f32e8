//! Redaction: tenant ids, user ids, email addresses, IP addresses and secrets are masked
//! before they are shown, written to a report or printed by a headless command.
//!
//! Two rules find what to mask:
//! - **fields**: a JSON field, span annotation or evidence whose name is listed under a kind
//!   (`tenantId` → `tenant`) is masked whatever its value;
//! - **patterns**: regular expressions that find values anywhere in text (emails, IPs, AWS
//!   access keys, bearer tokens, JWTs). A pattern with a capture group masks the group only,
//!   so `password=hunter2` shows as `password=secret-#1`.
//!
//! Masks are stable: the same value always gets the same mask (`tenant-#3`), so a pattern
//! (the same tenant failing again and again) stays visible. A value learned from a field is
//! also masked where it appears in free text (`queued for tenant-42`). The correlation id
//! being investigated is never masked.
//!
//! The originals are kept; redaction happens where things are shown, so `R` reveals them.

use crate::model::{Change, Identity, LogEvent, RequestSample, Span};
use aho_corasick::{AhoCorasick, MatchKind};
use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

/// What to mask: field names and patterns by kind (the kind names the mask).
#[derive(Clone, Debug, PartialEq)]
pub struct RedactConfig {
    /// Kind → field names (compared without case, `-` or `_`).
    pub fields: Vec<(String, Vec<String>)>,
    /// Kind → regular expressions.
    pub patterns: Vec<(String, Vec<String>)>,
    /// Mask who made a change (the user or session of its identity) too.
    pub identities: bool,
    /// Redaction is on at start (it always is under `--present`).
    pub on: bool,
}

fn owned(kind: &str, items: &[&str]) -> (String, Vec<String>) {
    (kind.to_string(), items.iter().map(|s| s.to_string()).collect())
}

// Word boundaries are ASCII ones (`(?-u:\b)`): the values are ASCII, and a Unicode boundary
// keeps the regex off its fast engines on text with non-ASCII characters.

/// IPv4 with each part at most 255.
const IPV4: &str = r"(?-u:\b)(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?-u:\b)";
/// IPv6: eight groups, or a `::` with a group after it (so `09:11:40` is not one).
const IPV6: &str = r"(?-u:\b)(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})(?-u:\b)|::1(?-u:\b)";

impl Default for RedactConfig {
    fn default() -> Self {
        RedactConfig {
            fields: vec![
                owned("tenant", &["tenantId", "tenant", "tenantName", "x-tenant-id", "orgId"]),
                owned("user", &["userId", "user", "username", "customerId", "accountEmail", "sub"]),
                owned("email", &["email", "userEmail", "mail", "emailAddress"]),
                owned(
                    "ip",
                    &[
                        "ip",
                        "clientIp",
                        "client_ip",
                        "sourceIPAddress",
                        "remoteAddr",
                        "remote_ip",
                        "ipAddress",
                        "x-forwarded-for",
                    ],
                ),
                owned(
                    "secret",
                    &[
                        "*password",
                        "passwd",
                        "*secret",
                        "*token",
                        "*apikey",
                        "authorization",
                        "cookie",
                        "*secretaccesskey",
                        "*privatekey",
                    ],
                ),
            ],
            patterns: vec![
                owned(
                    "email",
                    &[r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"],
                ),
                owned("ip", &[IPV4, IPV6]),
                owned(
                    "secret",
                    &[
                        // AWS access key ids.
                        r"(?-u:\b)(?:AKIA|ASIA|AROA|AIDA|ANPA)[A-Z0-9]{16}(?-u:\b)",
                        // JWTs.
                        r"(?-u:\b)eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",
                        // Bearer and basic credentials.
                        r"(?i:(?-u:\b)(?:bearer|basic)\s+)([A-Za-z0-9._~+/-]{8,}=*)",
                        // `password=…`, `"apiKey": "…"`, `aws_secret_access_key = …`.
                        r#"(?i:(?-u:\b)(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|aws_secret_access_key|client[_-]?secret)["']?\s*[:=]\s*["']?)([^\s"',;&]{4,})"#,
                    ],
                ),
            ],
            identities: false,
            on: false,
        }
    }
}

/// A field name as compared: lower case, no `-` or `_`.
fn norm(name: &str) -> String {
    name.chars().filter(|c| *c != '-' && *c != '_').flat_map(char::to_lowercase).collect()
}

/// Values shorter than this are masked where they are a field's value, but not looked for
/// in free text (a tenant `42` would mask every 42).
const MIN_KNOWN: usize = 3;

#[derive(Default)]
struct State {
    /// Value → its mask.
    masks: HashMap<String, String>,
    /// Kind → how many values it has masked.
    counts: HashMap<String, u32>,
    /// Values learned from fields, looked for in free text.
    known: Vec<String>,
    /// Finds `known[..n]` at once; the values learned since are looked for one by one until
    /// there are enough of them to build it again (so paging through lines full of new values
    /// does not rebuild it per value).
    finder: Option<(AhoCorasick, usize)>,
    /// Values never masked (the correlation id under investigation).
    keep: Vec<String>,
    /// Bumped whenever what `text` masks changes (a value learned, the kept ones changed),
    /// which makes the remembered lines stale.
    epoch: u64,
    /// Log lines already masked, by their raw text: the screen is redrawn far more often than
    /// its lines change.
    lines: HashMap<String, MaskedLine>,
}

/// A log line's masked parts, remembered for the epoch they were masked in.
struct MaskedLine {
    epoch: u64,
    /// The line's message and tenant as they were (a line is the same line only if these are).
    message: String,
    tenant: Option<String>,
    masked: (Option<String>, String, String),
}

/// Values learned since the finder was built that are looked for one by one.
const PENDING_MAX: usize = 16;

/// Lines remembered at most; the cache starts again when full (a screen shows far fewer).
const LINES_REMEMBERED: usize = 4096;

/// Masks sensitive values. Shared by the cockpit, reports and headless commands; masks are
/// remembered for the life of the redactor.
pub struct Redactor {
    fields: HashMap<String, String>,
    /// `*name` fields: (name, kind) matched at the end of a field's name.
    suffixes: Vec<(String, String)>,
    regex: Option<Regex>,
    /// Pattern index → kind.
    pattern_kinds: Vec<String>,
    identities: bool,
    state: Mutex<State>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor").field("kinds", &self.pattern_kinds).finish_non_exhaustive()
    }
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new(&RedactConfig::default()).expect("the default patterns compile")
    }
}

impl Redactor {
    pub fn new(cfg: &RedactConfig) -> Result<Redactor, String> {
        let mut fields = HashMap::new();
        let mut suffixes = Vec::new();
        for (kind, names) in &cfg.fields {
            for n in names {
                match n.strip_prefix('*') {
                    Some(end) => suffixes.push((norm(end), kind.clone())),
                    None => {
                        fields.insert(norm(n), kind.clone());
                    }
                }
            }
        }
        let mut pats = Vec::new();
        let mut pattern_kinds = Vec::new();
        for (kind, list) in &cfg.patterns {
            for p in list {
                pats.push(p.as_str());
                pattern_kinds.push(kind.clone());
            }
        }
        let regex = if pats.is_empty() {
            None
        } else {
            Some(Regex::new_many(&pats).map_err(|e| format!("redaction pattern: {e}"))?)
        };
        Ok(Redactor {
            fields,
            suffixes,
            regex,
            pattern_kinds,
            identities: cfg.identities,
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Never mask these values (the correlation ids under investigation). Called on every
    /// frame: it allocates only when they change.
    pub fn keep<I, S>(&self, values: I)
    where
        I: IntoIterator<Item = S>,
        I::IntoIter: Clone,
        S: AsRef<str>,
    {
        let values = values.into_iter();
        let mut st = self.state();
        let mut it = values.clone();
        let same = st.keep.iter().all(|k| it.next().is_some_and(|v| v.as_ref() == k))
            && it.next().is_none();
        if !same {
            st.keep = values.map(|v| v.as_ref().to_string()).collect();
            st.epoch += 1;
        }
    }

    /// The kind of a field by its name (`tenantId` → `tenant`), if it is sensitive.
    pub fn kind_of(&self, field: &str) -> Option<&str> {
        let name = norm(field);
        if let Some(kind) = self.fields.get(&name) {
            return Some(kind);
        }
        self.suffixes.iter().find(|(end, _)| name.ends_with(end.as_str())).map(|(_, k)| k.as_str())
    }

    /// The kind a JSON object's field gives its value: its own, or the enclosing one. Who
    /// made a change (CloudTrail's `userIdentity`) is masked by patterns only, unless
    /// identities are to be masked.
    fn kind_in<'a>(&'a self, field: &str, outer: Option<&'a str>) -> Result<Option<&'a str>, ()> {
        if field == "userIdentity" && !self.identities {
            return Err(());
        }
        Ok(self.kind_of(field).or(outer))
    }

    /// The stable mask of `value`, learning it for free text when `learn`.
    fn mask_in(st: &mut State, kind: &str, value: &str, learn: bool) -> String {
        if let Some(m) = st.masks.get(value) {
            return m.clone();
        }
        let n = st.counts.entry(kind.to_string()).or_default();
        *n += 1;
        let m = format!("{kind}-#{n}");
        st.masks.insert(value.to_string(), m.clone());
        if learn && value.chars().count() >= MIN_KNOWN {
            st.known.push(value.to_string());
            st.epoch += 1;
        }
        m
    }

    /// The mask of a value of the given kind; kept values come back as they are.
    pub fn mask(&self, kind: &str, value: &str) -> String {
        let value = value.trim();
        let mut st = self.state();
        if value.is_empty() || st.keep.iter().any(|k| k == value) {
            return value.to_string();
        }
        Self::mask_in(&mut st, kind, value, true)
    }

    /// A named value (a JSON field, an annotation, evidence): masked when the name is
    /// sensitive, else its text redacted.
    pub fn field<'a>(&self, name: &str, value: &'a str) -> Cow<'a, str> {
        match self.kind_of(name) {
            Some(kind) => Cow::Owned(self.mask(kind, value)),
            None => self.text(value),
        }
    }

    /// Free text with every pattern match and every learned value masked.
    pub fn text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if s.is_empty() {
            return Cow::Borrowed(s);
        }
        // (start, end, kind) of what to mask; kind None: a learned value.
        let mut found: Vec<(usize, usize, Option<usize>)> = Vec::new();
        if let Some(re) = &self.regex {
            // Find with the fast engines; only a match of a pattern with a group is searched
            // again, anchored on it, for the group.
            let mut caps = None;
            for m in re.find_iter(s) {
                let pid = m.pattern();
                let mut span = m.span();
                if re.group_info().group_len(pid) > 1 {
                    let caps = caps.get_or_insert_with(|| re.create_captures());
                    let input = Input::new(s).range(m.range()).anchored(Anchored::Pattern(pid));
                    re.search_captures(&input, caps);
                    span = caps.get_group(1).unwrap_or(span);
                }
                if span.start < span.end {
                    found.push((span.start, span.end, Some(pid.as_usize())));
                }
            }
        }
        let mut st = self.state();
        if !st.known.is_empty() {
            let built = st.finder.as_ref().map_or(0, |(_, n)| *n);
            if st.known.len() - built > PENDING_MAX {
                st.finder = AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&st.known)
                    .ok()
                    .map(|ac| (ac, st.known.len()));
            }
            let built = st.finder.as_ref().map_or(0, |(_, n)| *n);
            // A learned value counts where it stands as a word of its own.
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            let mut add = |a: usize, b: usize| {
                if !word(s[..a].chars().next_back()) && !word(s[b..].chars().next()) {
                    found.push((a, b, None));
                }
            };
            if let Some((ac, _)) = &st.finder {
                ac.find_iter(s).for_each(|m| add(m.start(), m.end()));
            }
            for v in &st.known[built..] {
                s.match_indices(v.as_str()).for_each(|(a, m)| add(a, a + m.len()));
            }
        }
        if found.is_empty() {
            return Cow::Borrowed(s);
        }
        // Earliest first, the longest of those starting together; overlaps are dropped.
        found.sort_by_key(|&(a, b, _)| (a, std::cmp::Reverse(b)));
        let mut out = String::with_capacity(s.len());
        let mut at = 0;
        for (a, b, kind) in found {
            if a < at {
                continue;
            }
            let value = &s[a..b];
            out.push_str(&s[at..a]);
            if st.keep.iter().any(|k| k == value) {
                out.push_str(value);
            } else {
                let m = match kind {
                    Some(k) => Self::mask_in(&mut st, &self.pattern_kinds[k], value, false),
                    None => st.masks.get(value).cloned().unwrap_or_else(|| value.to_string()),
                };
                out.push_str(&m);
            }
            at = b;
        }
        out.push_str(&s[at..]);
        Cow::Owned(out)
    }

    /// Learn the masks of a JSON value's sensitive fields (so free text elsewhere in the same
    /// document is masked too).
    fn learn_json(&self, v: &Value, kind: Option<&str>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if let Ok(kind) = self.kind_in(k, kind) {
                        self.learn_json(v, kind);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| self.learn_json(v, kind)),
            Value::String(s) => {
                if let Some(k) = kind {
                    self.mask(k, s);
                }
            }
            Value::Number(n) => {
                if let Some(k) = kind {
                    self.mask(k, &n.to_string());
                }
            }
            _ => {}
        }
    }

    fn redact_json(&self, v: &mut Value, kind: Option<&str>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m.iter_mut() {
                    match self.kind_in(k, kind) {
                        Ok(kind) => self.redact_json(v, kind),
                        Err(()) => self.redact_text_json(v),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|v| self.redact_json(v, kind)),
            Value::String(s) => {
                let new = match kind {
                    Some(k) => self.mask(k, s),
                    None => match self.text(s) {
                        Cow::Borrowed(_) => return,
                        Cow::Owned(o) => o,
                    },
                };
                *s = new;
            }
            Value::Number(n) => {
                if let Some(k) = kind {
                    *v = Value::String(self.mask(k, &n.to_string()));
                }
            }
            _ => {}
        }
    }

    /// Every string inside `v` redacted as text (patterns and learned values only).
    fn redact_text_json(&self, v: &mut Value) {
        match v {
            Value::Object(m) => m.values_mut().for_each(|v| self.redact_text_json(v)),
            Value::Array(a) => a.iter_mut().for_each(|v| self.redact_text_json(v)),
            Value::String(s) => {
                if let Cow::Owned(o) = self.text(s) {
                    *s = o;
                }
            }
            _ => {}
        }
    }

    /// A JSON document with its sensitive fields masked and its text redacted.
    pub fn json(&self, v: &mut Value) {
        self.learn_json(v, None);
        self.redact_json(v, None);
    }

    /// A line of text that may be a JSON object: masked field by field when it is, as text
    /// when it is not.
    pub fn document(&self, raw: &str) -> String {
        let t = raw.trim();
        if t.starts_with('{')
            && let Ok(mut v) = serde_json::from_str::<Value>(t)
        {
            self.json(&mut v);
            return v.to_string();
        }
        self.text(raw).into_owned()
    }

    /// A log line as it may be shown.
    pub fn event(&self, e: &LogEvent) -> LogEvent {
        let mut out = e.clone();
        let remembered = {
            let st = self.state();
            st.lines
                .get(&e.raw)
                .filter(|m| m.epoch == st.epoch && m.message == e.message && m.tenant == e.tenant)
                .map(|m| m.masked.clone())
        };
        let (tenant, raw, message) = match remembered {
            Some(m) => m,
            None => {
                // Learn from the fields first so the message's mentions are masked too.
                let tenant = e.tenant.as_deref().map(|t| self.mask("tenant", t));
                let raw = self.document(&e.raw);
                let message = self.text(&e.message).into_owned();
                let mut st = self.state();
                if st.lines.len() >= LINES_REMEMBERED {
                    st.lines.clear();
                }
                let masked = (tenant, raw, message);
                let line = MaskedLine {
                    epoch: st.epoch,
                    message: e.message.clone(),
                    tenant: e.tenant.clone(),
                    masked: masked.clone(),
                };
                st.lines.insert(e.raw.clone(), line);
                masked
            }
        };
        (out.tenant, out.raw, out.message) = (tenant, raw, message);
        out
    }

    /// A span as it may be shown: annotations and metadata by name, text by pattern.
    pub fn span(&self, s: &Span) -> Span {
        let mut out = s.clone();
        let pairs = |v: &[(String, String)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(k, val)| {
                    // Metadata paths (`request.user.email`): the innermost sensitive name.
                    let kind = k.rsplit('.').find_map(|seg| self.kind_of(seg));
                    let val = match kind {
                        Some(kind) => self.mask(kind, val.trim_matches('"')),
                        None => self.text(val).into_owned(),
                    };
                    (k.clone(), val)
                })
                .collect()
        };
        out.annotations = pairs(&s.annotations);
        out.metadata = pairs(&s.metadata);
        out.aws = pairs(&s.aws);
        if let Some(h) = &mut out.http {
            h.client_ip = h.client_ip.as_deref().map(|ip| self.mask("ip", ip));
            h.url = h.url.as_deref().map(|u| self.text(u).into_owned());
            h.user_agent = h.user_agent.as_deref().map(|u| self.text(u).into_owned());
        }
        out.error = s.error.as_deref().map(|e| self.text(e).into_owned());
        for x in &mut out.exceptions {
            x.message = self.text(&x.message).into_owned();
        }
        out.problems = s.problems.iter().map(|p| self.text(p).into_owned()).collect();
        out
    }

    /// Who made a change, masked when identities are to be masked.
    pub fn identity(&self, i: &Identity) -> Identity {
        if !self.identities {
            return i.clone();
        }
        let mut out = i.clone();
        // The name after the last `/` of the ARN: a user or a role session.
        if let Some((head, name)) = i.principal.rsplit_once('/') {
            out.principal = format!("{head}/{}", self.mask("user", name));
        } else if let Some((head, name)) = i.principal.rsplit_once(':') {
            out.principal = format!("{head}:{}", self.mask("user", name));
        }
        out.session = i.session.as_deref().map(|s| self.mask("user", s));
        out
    }

    /// A change as it may be shown.
    pub fn change(&self, c: &Change) -> Change {
        let mut out = self.change_row(c);
        if !c.raw.is_empty() {
            out.raw = match serde_json::from_str::<Value>(&c.raw) {
                Ok(mut v) => {
                    self.json(&mut v);
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                }
                Err(_) => self.text(&c.raw).into_owned(),
            };
        }
        out
    }

    /// A change as a row of the feed shows it: without its record (which is left empty), so
    /// drawing the feed parses no JSON.
    pub fn change_row(&self, c: &Change) -> Change {
        Change {
            id: c.id.clone(),
            at: c.at,
            region: c.region.clone(),
            event: c.event.clone(),
            event_source: c.event_source.clone(),
            resource: self.text(&c.resource).into_owned(),
            service: c.service.clone(),
            identity: self.identity(&c.identity),
            read_only: c.read_only,
            summary: self.text(&c.summary).into_owned(),
            raw: String::new(),
        }
    }

    /// A failing request as it may be shown.
    pub fn request(&self, r: &RequestSample) -> RequestSample {
        let mut out = r.clone();
        out.tenant = self.mask("tenant", &r.tenant);
        out.message = self.text(&r.message).into_owned();
        out
    }

    /// Evidence pairs: by name, then as text.
    pub fn pairs(&self, v: &[(String, String)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, val)| {
                let val = if k == "identity" {
                    let i = Identity { principal: val.clone(), ..Default::default() };
                    self.identity(&i).principal
                } else {
                    self.field(k, val).into_owned()
                };
                (k.clone(), val)
            })
            .collect()
    }
}

/// Redact when there is a redactor: `maybe(r, s, Redactor::text)`.
pub fn text<'a>(r: Option<&Redactor>, s: &'a str) -> Cow<'a, str> {
    match r {
        Some(r) => r.text(s),
        None => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_are_stable_and_numbered_by_kind() {
        let r = Redactor::default();
        assert_eq!(r.field("tenantId", "tenant-42"), "tenant-#1");
        assert_eq!(r.field("tenant_id", "tenant-7"), "tenant-#2");
        assert_eq!(r.field("TENANT", "tenant-42"), "tenant-#1");
        assert_eq!(
            r.text("queued for tenant-42, not tenant-420"),
            "queued for tenant-#1, not tenant-420"
        );
        assert_eq!(r.field("operation", "ApproveInvoice"), "ApproveInvoice");
    }

    #[test]
    fn patterns_find_emails_ips_and_secrets() {
        let r = Redactor::default();
        let s = "login ana.lopez@example.co.uk from 203.0.113.7 and 2001:db8::8a2e:370:7334 at 09:11:40 \
                 key AKIAIOSFODNN7EXAMPLE auth Bearer abcDEF123456.xyz password=hunter22 \
                 jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature v1.2.3";
        let out = r.text(s);
        assert_eq!(
            out,
            "login email-#1 from ip-#1 and ip-#2 at 09:11:40 key secret-#1 auth Bearer secret-#2 \
             password=secret-#3 jwt secret-#4 v1.2.3"
        );
        // The same email again: the same mask.
        assert_eq!(r.text("to ana.lopez@example.co.uk"), "to email-#1");
        assert!(matches!(r.text("nothing to see at 10.0.0"), Cow::Borrowed(_)));
    }

    #[test]
    fn values_learned_later_are_found_before_and_after_the_finder_is_rebuilt() {
        let r = Redactor::default();
        for i in 0..(3 * PENDING_MAX) {
            assert_eq!(r.field("tenantId", &format!("acme-{i:03}")), format!("tenant-#{}", i + 1));
            // Every value learned so far, whether the finder has it yet or not.
            for j in [0, i / 2, i] {
                let text = format!("notice for acme-{j:03}.");
                assert_eq!(r.text(&text), format!("notice for tenant-#{}.", j + 1), "{i} {j}");
            }
        }
        assert_eq!(r.text("acme-0001 is not acme-000"), "acme-0001 is not tenant-#1");
    }

    #[test]
    fn kept_values_stay_visible() {
        let r = Redactor::default();
        r.keep(["203.0.113.9"]);
        assert_eq!(r.text("from 203.0.113.9 and 203.0.113.10"), "from 203.0.113.9 and ip-#1");
        assert_eq!(r.field("clientIp", "203.0.113.9"), "203.0.113.9");
    }

    #[test]
    fn json_fields_are_masked_by_name_and_their_values_in_text() {
        let r = Redactor::default();
        let line = r#"{"tenantId":"tenant-42","user":{"id":17,"name":"Ana"},"message":"notice for tenant-42","correlationId":"c-9f3a6e1d","n":3}"#;
        let out = r.document(line);
        assert_eq!(
            out,
            r#"{"tenantId":"tenant-#1","user":{"id":"user-#1","name":"user-#2"},"message":"notice for tenant-#1","correlationId":"c-9f3a6e1d","n":3}"#
        );
    }

    #[test]
    fn identities_are_masked_only_when_asked() {
        let i = Identity {
            kind: "AssumedRole".into(),
            principal: "arn:aws:sts::123456789012:assumed-role/deploy-role/alice".into(),
            role: Some("deploy-role".into()),
            session: Some("alice".into()),
            account: None,
        };
        assert_eq!(Redactor::default().identity(&i), i);
        let r = Redactor::new(&RedactConfig { identities: true, ..Default::default() }).unwrap();
        let m = r.identity(&i);
        assert_eq!(m.principal, "arn:aws:sts::123456789012:assumed-role/deploy-role/user-#1");
        assert_eq!(m.session.as_deref(), Some("user-#1"));
    }
}
