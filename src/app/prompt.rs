//! The input lines (`:` commands, `c` correlation ids, `/` text, `/` in help): a line
//! editor with a shell's keys, a history per kind of prompt, and tab completion.

use super::keymap::{Key, KeyCode};
use std::collections::BTreeMap;

/// The most characters a line holds.
pub const MAX_LINE: usize = 200;
/// The most lines a prompt's history keeps.
pub const MAX_HISTORY: usize = 200;

/// What a prompt is for; each kind has its own history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PromptKind {
    /// The `:` command line.
    Command,
    /// Correlation ids for the log tail (`c`).
    Correlation,
    /// Free text for the log tail (`/`).
    Search,
    /// Text to look for in help (`/` in help).
    Help,
}

impl PromptKind {
    pub const ALL: &'static [PromptKind] =
        &[PromptKind::Command, PromptKind::Correlation, PromptKind::Search, PromptKind::Help];

    /// The history file's name in the data folder's `history/`.
    pub fn name(self) -> &'static str {
        match self {
            PromptKind::Command => "command",
            PromptKind::Correlation => "correlation",
            PromptKind::Search => "search",
            PromptKind::Help => "help",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PromptKind::Command => ":",
            PromptKind::Correlation => "correlation ids: ",
            PromptKind::Search => "/",
            PromptKind::Help => "help /",
        }
    }
}

/// A line being edited. The cursor counts characters; text put there before the user typed
/// (the current filter) is selected, so typing replaces it and a movement key keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineEditor {
    chars: Vec<char>,
    cursor: usize,
    selected: bool,
}

/// What a key did to the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    /// The text or the cursor changed.
    Changed,
    /// Backspace on an empty line: the prompt closes.
    Empty,
    /// Not an editing key.
    Ignored,
}

impl LineEditor {
    /// A line holding `text`, selected, with the cursor at its end.
    pub fn prefilled(text: &str) -> Self {
        let mut e = LineEditor::default();
        e.set(text);
        e.selected = !e.chars.is_empty();
        e
    }

    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Whether the whole line is selected (typing replaces it).
    pub fn is_selected(&self) -> bool {
        self.selected
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// Replace the text (no control characters, at most [`MAX_LINE`]); cursor at the end.
    pub fn set(&mut self, text: &str) {
        self.chars = text.chars().filter(|c| !c.is_control()).take(MAX_LINE).collect();
        self.cursor = self.chars.len();
        self.selected = false;
    }

    /// The text left of the cursor.
    pub fn before_cursor(&self) -> String {
        self.chars[..self.cursor].iter().collect()
    }

    /// Insert text at the cursor (replacing a selection); control characters are dropped and
    /// newlines become spaces.
    pub fn insert(&mut self, text: &str) {
        if self.selected {
            self.chars.clear();
            self.cursor = 0;
            self.selected = false;
        }
        for c in text.chars() {
            let c = if c == '\n' || c == '\r' || c == '\t' { ' ' } else { c };
            if c.is_control() || self.chars.len() >= MAX_LINE {
                continue;
            }
            self.chars.insert(self.cursor, c);
            self.cursor += 1;
        }
    }

    /// Replace the text left of the cursor from character `from` with `with`.
    pub fn replace_before_cursor(&mut self, from: usize, with: &str) {
        let from = from.min(self.cursor);
        self.chars.drain(from..self.cursor);
        self.cursor = from;
        self.selected = false;
        self.insert(with);
    }

    /// Apply an editing key: characters, backspace, delete, left/right, home/end, ctrl-a/e
    /// (start/end), ctrl-b/f (left/right), ctrl-u (delete to the start), ctrl-k (delete to
    /// the end), ctrl-w and alt-backspace (delete the word before the cursor), alt-b/f (word
    /// left/right).
    pub fn edit(&mut self, key: Key) -> Edit {
        let n = self.chars.len();
        match (key.code, key.ctrl, key.alt) {
            (KeyCode::Char(c), false, false) => self.insert(&c.to_string()),
            (KeyCode::Backspace, false, false) if n == 0 => return Edit::Empty,
            (KeyCode::Backspace, false, false) | (KeyCode::Char('h'), true, false) => {
                if self.selected {
                    self.chars.clear();
                    self.cursor = 0;
                } else if self.cursor > 0 {
                    self.cursor -= 1;
                    self.chars.remove(self.cursor);
                }
            }
            (KeyCode::Delete, _, _) | (KeyCode::Char('d'), true, false) => {
                if self.selected {
                    self.chars.clear();
                    self.cursor = 0;
                } else if self.cursor < n {
                    self.chars.remove(self.cursor);
                }
            }
            (KeyCode::Left, false, false) | (KeyCode::Char('b'), true, false) => {
                self.cursor = self.cursor.saturating_sub(1)
            }
            (KeyCode::Right, false, false) | (KeyCode::Char('f'), true, false) => {
                self.cursor = (self.cursor + 1).min(n)
            }
            (KeyCode::Home, _, _) | (KeyCode::Char('a'), true, false) => self.cursor = 0,
            (KeyCode::End, _, _) | (KeyCode::Char('e'), true, false) => self.cursor = n,
            (KeyCode::Char('u'), true, false) => {
                self.chars.drain(..self.cursor);
                self.cursor = 0;
            }
            (KeyCode::Char('k'), true, false) => self.chars.truncate(self.cursor),
            (KeyCode::Char('w'), true, false) | (KeyCode::Backspace, false, true) => {
                let start = self.word_start();
                self.chars.drain(start..self.cursor);
                self.cursor = start;
            }
            (KeyCode::Left, _, true) | (KeyCode::Char('b'), false, true) => {
                self.cursor = self.word_start()
            }
            (KeyCode::Right, _, true) | (KeyCode::Char('f'), false, true) => {
                let mut i = self.cursor;
                while i < n && self.chars[i].is_whitespace() {
                    i += 1;
                }
                while i < n && !self.chars[i].is_whitespace() {
                    i += 1;
                }
                self.cursor = i;
            }
            _ => return Edit::Ignored,
        }
        self.selected = false;
        Edit::Changed
    }

    /// Where the word before the cursor starts (spaces before it belong to it).
    fn word_start(&self) -> usize {
        let mut i = self.cursor;
        while i > 0 && self.chars[i - 1].is_whitespace() {
            i -= 1;
        }
        while i > 0 && !self.chars[i - 1].is_whitespace() {
            i -= 1;
        }
        i
    }
}

/// An open prompt: its kind, its line, and where in the history ↑/↓ are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub line: LineEditor,
    /// How many entries back ↑ went (`None`: the line being typed).
    recall: Option<usize>,
    /// The line being typed while browsing the history.
    draft: String,
}

impl Prompt {
    pub fn new(kind: PromptKind, prefill: &str) -> Self {
        Prompt { kind, line: LineEditor::prefilled(prefill), recall: None, draft: String::new() }
    }

    /// ↑ (`back`) or ↓ through `history` (oldest first). Returns whether the line changed.
    pub fn recall(&mut self, history: &[String], back: bool) -> bool {
        let next = match (self.recall, back) {
            (None, true) if !history.is_empty() => Some(0),
            (None, _) => return false,
            (Some(i), true) => Some((i + 1).min(history.len().saturating_sub(1))),
            (Some(0), false) => None,
            (Some(i), false) => Some(i - 1),
        };
        if self.recall.is_none() {
            self.draft = self.line.text();
        }
        self.recall = next;
        match next {
            Some(i) => self.line.set(&history[history.len() - 1 - i]),
            None => {
                let draft = std::mem::take(&mut self.draft);
                self.line.set(&draft);
            }
        }
        true
    }
}

/// Every prompt's history, oldest first, as kept in the data folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    lines: BTreeMap<PromptKind, Vec<String>>,
}

impl History {
    pub fn of(&self, kind: PromptKind) -> &[String] {
        self.lines.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Add a line run from a prompt: blank lines are not kept and a line already in the
    /// history moves to its end. Returns whether it was added.
    pub fn push(&mut self, kind: PromptKind, line: &str) -> bool {
        let line = line.trim();
        if line.is_empty() {
            return false;
        }
        let v = self.lines.entry(kind).or_default();
        v.retain(|l| l != line);
        v.push(line.to_string());
        let extra = v.len().saturating_sub(MAX_HISTORY);
        v.drain(..extra);
        true
    }

    /// The history of a file's text: one line an entry.
    pub fn parse_into(&mut self, kind: PromptKind, text: &str) {
        for l in text.lines() {
            let l: String = l.chars().filter(|c| !c.is_control()).take(MAX_LINE).collect();
            self.push(kind, &l);
        }
    }

    /// A kind's file text.
    pub fn text(&self, kind: PromptKind) -> String {
        let mut s = self.of(kind).join("\n");
        s.push('\n');
        s
    }

    /// Read the histories from `dir` (files that are missing or unreadable are empty).
    pub fn load(dir: &std::path::Path) -> History {
        let mut h = History::default();
        for k in PromptKind::ALL {
            if let Ok(text) = std::fs::read_to_string(dir.join(k.name())) {
                h.parse_into(*k, &text);
            }
        }
        h
    }

    /// Write one kind's history to `dir` (written whole, it stays bounded).
    pub fn save(&self, dir: &std::path::Path, kind: PromptKind) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(kind.name());
        let tmp = dir.join(format!(".{}.tmp", kind.name()));
        std::fs::write(&tmp, self.text(kind))?;
        std::fs::rename(tmp, path)
    }
}

/// The longest common prefix of some names.
pub fn common_prefix(names: &[String]) -> String {
    let Some(first) = names.first() else { return String::new() };
    let mut len = first.chars().count();
    for n in &names[1..] {
        len = first.chars().zip(n.chars()).take_while(|(a, b)| a == b).count().min(len);
    }
    first.chars().take(len).collect()
}

/// The names closest to a mistyped one (at most three, closest first), for "did you mean".
pub fn closest<'a>(typed: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let typed = typed.to_lowercase();
    let mut scored: Vec<(f64, &str)> = names
        .into_iter()
        .map(|n| {
            let l = n.to_lowercase();
            let mut s = strsim::jaro_winkler(&typed, &l);
            if l.contains(&typed) || typed.contains(&l) {
                s = s.max(0.9);
            }
            (s, n)
        })
        .filter(|(s, _)| *s >= 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

/// ` (did you mean a or b?)`, or nothing when no name is close.
pub fn did_you_mean<'a>(typed: &str, names: impl IntoIterator<Item = &'a str>) -> String {
    let near = closest(typed, names);
    match near.as_slice() {
        [] => String::new(),
        [one] => format!(" (did you mean {one}?)"),
        [rest @ .., last] => format!(" (did you mean {} or {last}?)", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(e: &mut LineEditor, s: &str) {
        for c in s.chars() {
            e.edit(Key::char(c));
        }
    }

    fn ctrl(c: char) -> Key {
        Key { code: KeyCode::Char(c), ctrl: true, alt: false }
    }

    #[test]
    fn typing_replaces_a_prefilled_line_and_movement_keeps_it() {
        let mut e = LineEditor::prefilled("c-9f3a6e1d");
        assert!(e.is_selected());
        typed(&mut e, "c-1");
        assert_eq!(e.text(), "c-1");
        let mut e = LineEditor::prefilled("c-9f3a6e1d");
        e.edit(Key::plain(KeyCode::End));
        typed(&mut e, " c-2");
        assert_eq!(e.text(), "c-9f3a6e1d c-2");
        let mut e = LineEditor::prefilled("abc");
        e.edit(Key::plain(KeyCode::Backspace));
        assert_eq!(e.text(), "", "backspace deletes the selection");
    }

    #[test]
    fn shell_editing_keys() {
        let mut e = LineEditor::default();
        typed(&mut e, "region eu-west-1");
        e.edit(ctrl('w'));
        assert_eq!(e.text(), "region ");
        typed(&mut e, "us-east-1");
        e.edit(ctrl('a'));
        assert_eq!(e.cursor(), 0);
        e.edit(Key::plain(KeyCode::Delete));
        assert_eq!(e.text(), "egion us-east-1");
        typed(&mut e, "r");
        e.edit(ctrl('e'));
        assert_eq!(e.cursor(), e.text().chars().count());
        e.edit(Key::plain(KeyCode::Left));
        e.edit(Key::plain(KeyCode::Left));
        typed(&mut e, "X");
        assert_eq!(e.text(), "region us-eastX-1");
        e.edit(Key::plain(KeyCode::Home));
        e.edit(Key::plain(KeyCode::Right));
        e.edit(ctrl('k'));
        assert_eq!(e.text(), "r");
        typed(&mut e, "é ü");
        e.edit(Key::plain(KeyCode::Left));
        e.edit(ctrl('u'));
        assert_eq!(e.text(), "ü", "ctrl-u deletes to the start, multi-byte safe");
        e.edit(Key::plain(KeyCode::Backspace));
        e.edit(Key::plain(KeyCode::Delete));
        assert_eq!(e.text(), "");
        assert_eq!(e.edit(Key::plain(KeyCode::Backspace)), Edit::Empty);
        assert_eq!(e.edit(Key::plain(KeyCode::F(5))), Edit::Ignored);
    }

    #[test]
    fn pasted_text_is_one_line_without_control_characters() {
        let mut e = LineEditor::default();
        e.insert("a\nb\u{1b}[31m\tc");
        assert_eq!(e.text(), "a b[31m c");
        e.insert(&"x".repeat(500));
        assert_eq!(e.text().chars().count(), MAX_LINE);
    }

    #[test]
    fn history_recalls_newest_first_and_keeps_the_draft() {
        let mut h = History::default();
        for l in ["region eu-west-1", "cid a", "  ", "region eu-west-1", "window 1h"] {
            h.push(PromptKind::Command, l);
        }
        assert_eq!(h.of(PromptKind::Command), ["cid a", "region eu-west-1", "window 1h"]);
        assert!(h.of(PromptKind::Search).is_empty(), "each kind has its own");
        let mut p = Prompt::new(PromptKind::Command, "");
        p.line.insert("wi");
        let hist = h.of(PromptKind::Command);
        assert!(p.recall(hist, true));
        assert_eq!(p.line.text(), "window 1h");
        p.recall(hist, true);
        p.recall(hist, true);
        p.recall(hist, true);
        assert_eq!(p.line.text(), "cid a", "stops at the oldest");
        p.recall(hist, false);
        assert_eq!(p.line.text(), "region eu-west-1");
        p.recall(hist, false);
        p.recall(hist, false);
        assert_eq!(p.line.text(), "wi", "down past the newest gives the draft back");
        assert!(!p.recall(hist, false));
        assert!(!Prompt::new(PromptKind::Search, "").recall(&[], true));
    }

    #[test]
    fn history_round_trips_through_its_files_and_stays_bounded() {
        let dir = std::env::temp_dir().join(format!("warroom-history-{}", std::process::id()));
        let mut h = History::default();
        for i in 0..MAX_HISTORY + 20 {
            h.push(PromptKind::Search, &format!("term {i}"));
        }
        h.push(PromptKind::Correlation, "c-1 c-2");
        h.save(&dir, PromptKind::Search).unwrap();
        h.save(&dir, PromptKind::Correlation).unwrap();
        std::fs::write(dir.join("command"), "ok\n\u{1b}]52;c;evil\u{7}\n").unwrap();
        let back = History::load(&dir);
        assert_eq!(back.of(PromptKind::Search), h.of(PromptKind::Search));
        assert_eq!(back.of(PromptKind::Search).len(), MAX_HISTORY);
        assert_eq!(back.of(PromptKind::Search)[0], "term 20");
        assert_eq!(back.of(PromptKind::Correlation), ["c-1 c-2"]);
        assert_eq!(back.of(PromptKind::Command), ["ok", "]52;c;evil"]);
        assert!(History::load(&dir.join("missing")).of(PromptKind::Command).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn closest_names() {
        let names = ["invoice-approval-worker", "invoice-api", "payments", "ledger"];
        assert_eq!(closest("invoice-approval", names)[0], "invoice-approval-worker");
        assert_eq!(closest("ledgr", names), ["ledger"]);
        assert!(closest("zzzzzz", names).is_empty());
        assert_eq!(did_you_mean("paymnts", names), " (did you mean payments?)");
        assert_eq!(common_prefix(&["eu-west-1".into(), "eu-west-2".into()]), "eu-west-");
        assert_eq!(common_prefix(&[]), "");
    }
}
