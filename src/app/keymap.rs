//! Keys and what they mean. The default bindings are embedded from `keys.toml`; the user's
//! `[keys]` table replaces the bindings of the actions it names. A key bound to two actions
//! is an error naming both places. Help and the footer are generated from this map.

use super::Action;
use crate::config::KeyOverride;
use std::collections::BTreeMap;
use std::fmt;

const DEFAULT_KEYS: &str = include_str!("keys.toml");

/// A key press, independent of the terminal library.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

impl Key {
    pub const fn plain(code: KeyCode) -> Self {
        Key { code, ctrl: false, alt: false }
    }

    pub const fn char(c: char) -> Self {
        Key::plain(KeyCode::Char(c))
    }

    /// Parse `q`, `G`, `enter`, `ctrl-c`, `alt-x`, `f1`, `space`.
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut rest = s;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest {
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "backspace" => KeyCode::Backspace,
                "delete" => KeyCode::Delete,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "space" => KeyCode::Char(' '),
                f if f.starts_with('f')
                    && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
                {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => return Err(format!("`{s}` is not a key (try q, enter, ctrl-c, f1, space)")),
            },
        };
        Ok(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("backtab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
        }
    }
}

/// Action -> keys, and the reverse lookup.
#[derive(Clone, Debug)]
pub struct Keymap {
    bindings: BTreeMap<Action, Vec<Key>>,
    by_key: BTreeMap<Key, Action>,
}

impl Keymap {
    /// The embedded defaults with the user's overrides applied.
    pub fn load(overrides: &[KeyOverride]) -> Result<Keymap, String> {
        let defaults: BTreeMap<String, Vec<String>> =
            toml::from_str(DEFAULT_KEYS).map_err(|e| format!("built-in keys.toml: {e}"))?;
        let mut bindings: BTreeMap<Action, (Vec<Key>, String)> = BTreeMap::new();
        for (name, keys) in defaults {
            let action = Action::from_name(&name)
                .ok_or_else(|| format!("built-in keys.toml: unknown action `{name}`"))?;
            let keys = keys.iter().map(|k| Key::parse(k)).collect::<Result<Vec<_>, _>>()?;
            bindings.insert(action, (keys, "built-in keys".into()));
        }
        for o in overrides {
            let action = Action::from_name(&o.action).ok_or_else(|| {
                format!(
                    "{}: key `keys.{}`: unknown action; actions are {}",
                    o.place,
                    o.action,
                    Action::ALL.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
                )
            })?;
            let keys = o
                .keys
                .iter()
                .map(|k| {
                    Key::parse(k).map_err(|e| format!("{}: key `keys.{}`: {e}", o.place, o.action))
                })
                .collect::<Result<Vec<_>, _>>()?;
            bindings.insert(action, (keys, o.place.clone()));
        }
        let mut by_key: BTreeMap<Key, (Action, String)> = BTreeMap::new();
        for (action, (keys, place)) in &bindings {
            for k in keys {
                if let Some((other, other_place)) = by_key.get(k)
                    && other != action
                {
                    return Err(format!(
                        "key `{k}` is bound twice: to `{}` ({other_place}) and to `{}` ({place})",
                        other.name(),
                        action.name()
                    ));
                }
                by_key.insert(*k, (*action, place.clone()));
            }
        }
        if bindings.get(&Action::Quit).is_none_or(|(k, _)| k.is_empty()) {
            return Err("the `quit` action needs at least one key".into());
        }
        Ok(Keymap {
            bindings: bindings.into_iter().map(|(a, (k, _))| (a, k)).collect(),
            by_key: by_key.into_iter().map(|(k, (a, _))| (k, a)).collect(),
        })
    }

    pub fn action(&self, key: Key) -> Option<Action> {
        self.by_key.get(&key).copied()
    }

    pub fn keys(&self, action: Action) -> &[Key] {
        self.bindings.get(&action).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first key of an action, for hints (`?`).
    pub fn first(&self, action: Action) -> Option<Key> {
        self.keys(action).first().copied()
    }
}

impl Default for Keymap {
    fn default() -> Self {
        // The embedded defaults are tested; they always load.
        Keymap::load(&[]).unwrap_or(Keymap { bindings: BTreeMap::new(), by_key: BTreeMap::new() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_parse() {
        let k = Keymap::load(&[]).expect("defaults");
        assert_eq!(k.action(Key::char('q')), Some(Action::Quit));
        assert_eq!(
            k.action(Key { code: KeyCode::Char('c'), ctrl: true, alt: false }),
            Some(Action::Quit)
        );
        assert_eq!(k.action(Key::plain(KeyCode::Enter)), Some(Action::DrillIn));
        assert_eq!(k.action(Key::char(' ')), Some(Action::Pause));
        for a in Action::ALL {
            assert!(!k.keys(*a).is_empty(), "{} has no key", a.name());
        }
    }

    #[test]
    fn overrides_replace_and_duplicates_name_both_places() {
        let o = |action: &str, keys: &[&str], place: &str| KeyOverride {
            action: action.into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            place: place.into(),
        };
        let k = Keymap::load(&[o("quit", &["Q"], "c.toml:3")]).unwrap();
        assert_eq!(k.action(Key::char('Q')), Some(Action::Quit));
        assert_eq!(k.action(Key::char('q')), None);
        let err = Keymap::load(&[o("help", &["j"], "c.toml:7")]).unwrap_err();
        assert_eq!(
            err,
            "key `j` is bound twice: to `down` (built-in keys) and to `help` (c.toml:7)"
        );
        let err = Keymap::load(&[o("fly", &["x"], "c.toml:2")]).unwrap_err();
        assert!(err.starts_with("c.toml:2: key `keys.fly`: unknown action"), "{err}");
        let err = Keymap::load(&[o("help", &["ctrl-"], "c.toml:9")]).unwrap_err();
        assert!(err.starts_with("c.toml:9: key `keys.help`: `ctrl-` is not a key"), "{err}");
        assert!(Keymap::load(&[o("quit", &[], "c.toml:1")]).is_err());
    }
}
