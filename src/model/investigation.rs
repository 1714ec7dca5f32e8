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
    /// A free-text note (`:note TEXT`), e.g. when a customer reported the problem.
    Note,
    /// The alert the investigation was opened on.
    Alert,
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
    },
    /// Entry number `index` became a finding.
    Promote {
        index: usize,
    },
    /// Entry number `index` is an observation again (a promotion undone).
    Demote {
        index: usize,
    },
    /// Entry number `index` was unmarked.
    Unmark {
        index: usize,
    },
    /// Entry number `index` is marked again (an unmark undone).
    Restore {
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
            JournalLine::Mark { entry } => {
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
        assert_eq!((back, bad), (inv, 1));
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
}
