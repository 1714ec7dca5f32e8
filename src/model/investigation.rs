//! The investigation: observations marked as the incident is worked, some promoted to
//! findings, each with its time and the ids of its evidence.
//!
//! It is kept as a journal of records, one per mark or promotion, appended and flushed as
//! it happens, so nothing is lost if the terminal dies; reading the journal back replays it.
//!
//! Each record is one line: the CRC-32 of its JSON in hex, a space, the JSON
//! (`1c291ca3 {"op":"mark",...}`). A record cut by a crash or a full disk, or damaged later,
//! fails its checksum and is skipped alone (and reported by its line number); the records
//! around it still read. A mark carries its entry's number, so a promotion or an unmark
//! after a lost mark still points at the entry it meant, never at its neighbour.

use super::Millis;
use serde::{Deserialize, Serialize};

/// What an entry points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A region, service or operation leaving its baseline.
    Anomaly,
    Request,
    LogLine,
    Span,
    Change,
    /// The screen as it was, written to a file (`:snapshot`).
    Snapshot,
    /// A free-text note (`:note TEXT`), e.g. when a customer reported the problem.
    Note,
    /// The alert the investigation was opened on.
    Alert,
}

impl JournalLine {
    /// The entry a promotion, demotion, unmark or restore is about.
    fn index(&self) -> Option<usize> {
        match self {
            JournalLine::Mark { .. } => None,
            JournalLine::Promote { index }
            | JournalLine::Demote { index }
            | JournalLine::Unmark { index }
            | JournalLine::Restore { index } => Some(*index),
        }
    }
}

impl EntryKind {
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Anomaly => "anomaly",
            EntryKind::Request => "request",
            EntryKind::LogLine => "log line",
            EntryKind::Span => "span",
            EntryKind::Change => "change",
            EntryKind::Snapshot => "screen",
            EntryKind::Note => "note",
            EntryKind::Alert => "alert",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When the thing observed happened.
    pub at: Millis,
    pub kind: EntryKind,
    pub text: String,
    /// `(what, id)`: correlation id, trace id, CloudTrail event id, identity, ...
    pub evidence: Vec<(String, String)>,
    pub finding: bool,
    /// When it was marked (the cockpit's clock), for how long detection took; absent in
    /// journals written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marked: Option<Millis>,
    /// Unmarked (undone); kept so the journal's indexes stay valid.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "op")]
pub enum JournalLine {
    Mark {
        entry: Entry,
        /// The entry's number in the investigation (absent in journals written before it
        /// was kept: then the marks' order gives it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<usize>,
    },
    /// Entry number `index` became a finding.
    Promote { index: usize },
    /// Entry number `index` is an observation again (a promotion undone).
    Demote { index: usize },
    /// Entry number `index` was unmarked.
    Unmark { index: usize },
    /// Entry number `index` is marked again (an unmark undone).
    Restore { index: usize },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Investigation {
    pub entries: Vec<Entry>,
    /// Entries whose mark was lost from the journal (a damaged record): kept unmarked in
    /// their place, so the entries after them keep their numbers.
    pub lost: Vec<usize>,
}

/// The text of an entry whose mark was lost from the journal.
pub const LOST: &str = "(a record lost from the journal)";

/// One journal record as written: `crc32 json`, without the line break.
pub fn encode(line: &JournalLine) -> String {
    let json = serde_json::to_string(line).unwrap_or_default();
    format!("{:08x} {json}", crc32fast::hash(json.as_bytes()))
}

/// One journal line read back: `None` when it is damaged (cut, merged with another, or its
/// checksum does not match). Lines without a checksum (journals written before it was kept)
/// are read as plain JSON.
pub fn decode(text: &str) -> Option<JournalLine> {
    let text = text.trim_end_matches('\r');
    let framed = text.len() > 9
        && text.as_bytes()[8] == b' '
        && text.as_bytes()[..8].iter().all(u8::is_ascii_hexdigit);
    if framed {
        let crc = u32::from_str_radix(&text[..8], 16).ok()?;
        let json = &text[9..];
        if crc32fast::hash(json.as_bytes()) != crc {
            return None;
        }
        return serde_json::from_str(json).ok();
    }
    serde_json::from_str(text).ok()
}

impl Investigation {
    /// Apply one journal line.
    pub fn apply(&mut self, line: &JournalLine) {
        if line.index().is_some_and(|i| self.lost.contains(&i)) {
            // The entry it is about was lost: nothing else takes its place.
            return;
        }
        match line {
            JournalLine::Mark { entry, index } => {
                let at = index.unwrap_or(self.entries.len());
                if at < self.entries.len() {
                    // Its place was held for it (an older record was out of order): fill it.
                    if let Some(p) = self.lost.iter().position(|&l| l == at) {
                        self.lost.remove(p);
                        self.entries[at] = entry.clone();
                    }
                    return;
                }
                while self.entries.len() < at {
                    self.lost.push(self.entries.len());
                    self.entries.push(Entry {
                        at: 0,
                        kind: EntryKind::Note,
                        text: LOST.into(),
                        evidence: Vec::new(),
                        finding: false,
                        marked: None,
                        removed: true,
                    });
                }
                self.entries.push(entry.clone());
            }
            JournalLine::Promote { index } => {
                if let Some(e) = self.entries.get_mut(*index) {
                    e.finding = true;
                }
            }
            JournalLine::Demote { index } => {
                if let Some(e) = self.entries.get_mut(*index) {
                    e.finding = false;
                }
            }
            JournalLine::Unmark { index } => {
                if let Some(e) = self.entries.get_mut(*index) {
                    e.removed = true;
                }
            }
            JournalLine::Restore { index } => {
                if let Some(e) = self.entries.get_mut(*index) {
                    e.removed = false;
                }
            }
        }
    }

    /// The entries still marked, with their index in the journal.
    pub fn marked(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries.iter().enumerate().filter(|(_, e)| !e.removed)
    }

    /// Unmark entry `index`; the journal line to append, `None` when there is none to unmark.
    pub fn unmark(&mut self, index: usize) -> Option<JournalLine> {
        self.entries.get(index).filter(|e| !e.removed)?;
        let line = JournalLine::Unmark { index };
        self.apply(&line);
        Some(line)
    }

    /// Undo the last of `history` (the journal lines of this session, newest last): the
    /// journal line that undoes it, applied.
    pub fn undo(&mut self, history: &mut Vec<JournalLine>) -> Option<JournalLine> {
        let line = match history.pop()? {
            JournalLine::Mark { entry, .. } => {
                // Undone in the reverse order they were done: the newest entry marked so.
                let index = self.entries.iter().rposition(|e| {
                    e.kind == entry.kind
                        && e.at == entry.at
                        && e.evidence == entry.evidence
                        && e.text == entry.text
                })?;
                JournalLine::Unmark { index }
            }
            JournalLine::Promote { index } => JournalLine::Demote { index },
            JournalLine::Demote { index } => JournalLine::Promote { index },
            JournalLine::Unmark { index } => JournalLine::Restore { index },
            JournalLine::Restore { index } => JournalLine::Unmark { index },
        };
        self.apply(&line);
        Some(line)
    }

    /// Mark an observation (or, with `finding`, a finding). Marking the same thing again
    /// promotes it instead of repeating it. Returns the journal line to append.
    pub fn mark(&mut self, entry: Entry, finding: bool) -> Option<JournalLine> {
        let same = self.entries.iter().position(|e| {
            !e.removed
                && e.kind == entry.kind
                && e.at == entry.at
                && e.evidence == entry.evidence
                && (e.kind != EntryKind::Note || e.text == entry.text)
        });
        let line = match same {
            Some(i) if finding && !self.entries[i].finding => JournalLine::Promote { index: i },
            Some(_) => return None,
            None => JournalLine::Mark {
                entry: Entry { finding, ..entry },
                index: Some(self.entries.len()),
            },
        };
        self.apply(&line);
        Some(line)
    }

    /// Replay a journal. A record that cannot be read (cut by a crash or a full disk, or
    /// damaged) is skipped alone; the line numbers of those skipped are returned.
    pub fn replay(text: &str) -> (Investigation, Vec<usize>) {
        let mut inv = Investigation::default();
        let mut bad = Vec::new();
        for (n, l) in text.split('\n').enumerate() {
            if l.trim().is_empty() {
                continue;
            }
            match decode(l) {
                Some(line) => inv.apply(&line),
                None => bad.push(n + 1),
            }
        }
        (inv, bad)
    }

    pub fn findings(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.finding && !e.removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: Millis, text: &str) -> Entry {
        Entry {
            at,
            kind: EntryKind::LogLine,
            text: text.into(),
            evidence: vec![("correlation id".into(), "c-1".into())],
            finding: false,
            marked: Some(at + 60_000),
            removed: false,
        }
    }

    #[test]
    fn marks_promote_and_replay() {
        let mut inv = Investigation::default();
        let mut journal = String::new();
        for (e, f) in [(entry(1, "a"), false), (entry(2, "b"), false), (entry(1, "a"), true)] {
            if let Some(l) = inv.mark(e, f) {
                journal.push_str(&serde_json::to_string(&l).unwrap());
                journal.push('\n');
            }
        }
        assert_eq!(inv.entries.len(), 2);
        assert!(inv.entries[0].finding && !inv.entries[1].finding);
        assert!(inv.mark(entry(2, "b"), false).is_none(), "marked twice is marked once");
        // A crash cut the last line in half.
        journal.push_str(r#"{"op":"mark","entry":{"at":3,"#);
        let (back, bad) = Investigation::replay(&journal);
        assert_eq!((back, bad), (inv, vec![4]));
    }

    #[test]
    fn unmark_and_undo_replay_too() {
        let mut inv = Investigation::default();
        let mut history = Vec::new();
        history.extend(inv.mark(entry(1, "a"), false));
        history.extend(inv.mark(entry(2, "b"), false));
        history.extend(inv.mark(entry(1, "a"), true)); // promoted
        let mut journal: Vec<JournalLine> = history.clone();
        // Undo the promotion, then the second mark.
        journal.extend(inv.undo(&mut history));
        assert!(!inv.entries[0].finding);
        journal.extend(inv.undo(&mut history));
        assert!(inv.entries[1].removed);
        assert_eq!(inv.marked().map(|(i, _)| i).collect::<Vec<_>>(), [0]);
        // Marking it again is a new mark, not "already marked".
        assert!(inv.mark(entry(2, "b"), false).is_some());
        journal.extend(inv.unmark(0));
        assert!(inv.unmark(0).is_none(), "unmarked once");
        assert_eq!(inv.findings().count(), 0);
        let text: String =
            journal.iter().map(|l| serde_json::to_string(l).unwrap() + "\n").collect();
        let (back, _) = Investigation::replay(&text);
        assert_eq!(back.entries[..2], inv.entries[..2]);
        // Old journals without the new fields still read.
        let old = r#"{"op":"mark","entry":{"at":1,"kind":"log-line","text":"x","evidence":[],"finding":false}}"#;
        assert_eq!(Investigation::replay(old).0.entries[0].marked, None);
    }

    /// Records as the journal writes them: checksummed, each on its own line.
    fn journal_of(lines: &[JournalLine]) -> String {
        lines.iter().map(|l| encode(l) + "\n").collect()
    }

    #[test]
    fn a_damaged_record_is_skipped_alone_and_never_shifts_the_others() {
        let mut inv = Investigation::default();
        let mut lines = Vec::new();
        for (at, t) in [(1, "a"), (2, "b"), (3, "c")] {
            lines.extend(inv.mark(entry(at, t), false));
        }
        lines.extend(inv.mark(entry(3, "c"), true)); // "c" promoted: index 2
        assert_eq!(lines.last(), Some(&JournalLine::Promote { index: 2 }));
        let good = journal_of(&lines);
        assert_eq!(Investigation::replay(&good), (inv.clone(), vec![]));

        // A corrupted middle record (one byte changed): "b" is lost, "c" stays the finding.
        let mut rows: Vec<String> = good.lines().map(str::to_string).collect();
        rows[1] = rows[1].replacen("\"b\"", "\"x\"", 1);
        let (back, bad) = Investigation::replay(&(rows.join("\n") + "\n"));
        assert_eq!(bad, vec![2]);
        assert_eq!(back.findings().map(|e| e.text.as_str()).collect::<Vec<_>>(), ["c"]);
        assert_eq!(back.marked().map(|(_, e)| e.text.as_str()).collect::<Vec<_>>(), ["a", "c"]);
        // Garbage in the middle.
        rows[1] = "\u{0}\u{0}garbage{{".into();
        let (back, bad) = Investigation::replay(&(rows.join("\n") + "\n"));
        assert_eq!((bad, back.findings().count()), (vec![2], 1));

        // A crash between a record and its line break: the next append starts on a new line
        // (the writer adds one), so only the torn record is lost.
        let torn = &good[..good.find('\n').unwrap() + 20];
        let text = format!("{torn}\n{}", &good[good.find('\n').unwrap() + 1..]);
        let (back, bad) = Investigation::replay(&text);
        assert_eq!(bad, vec![2]);
        assert_eq!(back.marked().count(), 3, "{back:?}");

        // A promotion of the lost entry is not applied to another one.
        let promote_b = encode(&JournalLine::Promote { index: 1 });
        let lost_b = [encode(&lines[0]), encode(&lines[2]), promote_b].join("\n");
        let (back, bad) = Investigation::replay(&lost_b);
        assert_eq!((back.findings().count(), back.lost.clone(), bad), (0, vec![1], vec![]));
        assert_eq!(back.marked().map(|(_, e)| e.text.as_str()).collect::<Vec<_>>(), ["a", "c"]);
    }
}
