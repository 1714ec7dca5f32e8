//! The investigation: observations marked as the incident is worked, some promoted to
//! findings, each with its time and the ids of its evidence.
//!
//! It is kept as a journal of JSON lines, one per mark or promotion, appended and flushed as
//! it happens, so nothing is lost if the terminal dies; reading the journal back replays it.

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
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "op")]
pub enum JournalLine {
    Mark {
        entry: Entry,
    },
    /// Entry number `index` became a finding.
    Promote {
        index: usize,
    },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Investigation {
    pub entries: Vec<Entry>,
}

impl Investigation {
    /// Apply one journal line.
    pub fn apply(&mut self, line: &JournalLine) {
        match line {
            JournalLine::Mark { entry } => self.entries.push(entry.clone()),
            JournalLine::Promote { index } => {
                if let Some(e) = self.entries.get_mut(*index) {
                    e.finding = true;
                }
            }
        }
    }

    /// Mark an observation (or, with `finding`, a finding). Marking the same thing again
    /// promotes it instead of repeating it. Returns the journal line to append.
    pub fn mark(&mut self, entry: Entry, finding: bool) -> Option<JournalLine> {
        let same = self
            .entries
            .iter()
            .position(|e| e.kind == entry.kind && e.at == entry.at && e.evidence == entry.evidence);
        let line = match same {
            Some(i) if finding && !self.entries[i].finding => JournalLine::Promote { index: i },
            Some(_) => return None,
            None => JournalLine::Mark { entry: Entry { finding, ..entry } },
        };
        self.apply(&line);
        Some(line)
    }

    /// Replay a journal. A line that cannot be read (the last one, cut by a crash) is
    /// skipped and counted.
    pub fn replay(text: &str) -> (Investigation, usize) {
        let mut inv = Investigation::default();
        let mut bad = 0;
        for l in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<JournalLine>(l) {
                Ok(line) => inv.apply(&line),
                Err(_) => bad += 1,
            }
        }
        (inv, bad)
    }

    pub fn findings(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.finding)
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
        assert_eq!((back, bad), (inv, 1));
    }
}
