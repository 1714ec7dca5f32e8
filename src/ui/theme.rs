//! Themes: TOML files with names that say what a colour means (`health.critical`,
//! `pane.border-focused`), parsed into plain strings and turned into ratatui styles here.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::path::Path;
use std::str::FromStr;

/// The built-in themes, embedded.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ThemeFile {
    name: String,
    text: TextColors,
    pane: PaneColors,
    header: HeaderColors,
    health: HealthColors,
    severity: SeverityColors,
    selection: SelectionColors,
    verdict: VerdictColors,
    /// The terminal colours the theme is made for; snapshots are drawn on them.
    screen: Option<ScreenColors>,
}

macro_rules! colors {
    ($name:ident { $($field:ident),* }) => {
        #[derive(Clone, Debug, Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        struct $name { $(#[serde(deserialize_with = "de_color")] $field: Color),* }
    };
}
colors!(TextColors { normal, muted, accent });
colors!(PaneColors { border, border_focused, title });
colors!(HeaderColors { fg, bg, demo_fg, demo_bg });
colors!(HealthColors { normal, degraded, critical, no_data });
colors!(SeverityColors { error, warn, info, debug });
colors!(SelectionColors { fg, bg });
colors!(VerdictColors { normal, regional, global, unknown });
colors!(ScreenColors { bg, fg });

fn de_color<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Color, D::Error> {
    let s = String::deserialize(d)?;
    Color::from_str(&s).map_err(|_| {
        serde::de::Error::custom(format!("`{s}` is not a colour (a name, #rrggbb or 0-255)"))
    })
}

/// Styles by meaning. With `NO_COLOR` every style is plain and meaning is carried by
/// text marks, bold and reverse video.
#[derive(Clone, Debug)]
pub struct Theme {
    pub name: String,
    file: ThemeFile,
    pub no_color: bool,
}

impl Theme {
    /// A built-in theme by name, or `NAME.toml` from the user's theme folder.
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Theme, String> {
        let text = match BUILT_IN.iter().find(|(n, _)| *n == name) {
            Some((_, t)) => t.to_string(),
            None => {
                // A name, never a path: nothing outside the themes folder is read.
                let plain = !name.is_empty()
                    && name != "."
                    && name != ".."
                    && !name.contains(['/', '\\', '\0'])
                    && !name.chars().any(char::is_control);
                if !plain {
                    return Err(format!(
                        "`{}` is not a theme name: a theme is named as its file in the config folder's themes/, without a path or `..`",
                        crate::model::text::sanitize(name)
                    ));
                }
                let path = user_dir.map(|d| d.join(format!("{name}.toml")));
                match path.filter(|p| p.exists()) {
                    Some(p) => std::fs::read_to_string(&p)
                        .map_err(|e| format!("cannot read theme {}: {e}", p.display()))
                        .and_then(|t| {
                            Theme::parse(&t)
                                .map(|_| t)
                                .map_err(|e| format!("invalid theme file {}:\n{e}", p.display()))
                        })?,
                    None => {
                        let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
                        return Err(format!(
                            "no theme `{name}`: built-in themes are {}; user themes go in the config folder's themes/",
                            names.join(", ")
                        ));
                    }
                }
            }
        };
        Theme::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.to_string())?;
        Ok(Theme { name: file.name.clone(), file, no_color: no_color_env() })
    }

    /// The default theme; cannot fail (the built-ins are tested).
    pub fn fallback() -> Theme {
        Theme::load("dark", None).expect("the built-in dark theme parses")
    }

    pub fn with_no_color(mut self, no_color: bool) -> Self {
        self.no_color = no_color;
        self
    }

    /// The terminal's background and text colours, for a picture of the screen.
    pub fn canvas(&self) -> super::export::Canvas {
        match &self.file.screen {
            Some(s) => super::export::Canvas::new(s.bg, s.fg),
            None => super::export::Canvas::default(),
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.no_color { Style::default() } else { Style::default().fg(c) }
    }

    pub fn text(&self) -> Style {
        self.fg(self.file.text.normal)
    }
    pub fn muted(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            self.fg(self.file.text.muted)
        }
    }
    pub fn accent(&self) -> Style {
        self.fg(self.file.text.accent).add_modifier(Modifier::BOLD)
    }
    pub fn border(&self, focused: bool) -> Style {
        self.fg(if focused { self.file.pane.border_focused } else { self.file.pane.border })
    }
    pub fn title(&self) -> Style {
        self.fg(self.file.pane.title).add_modifier(Modifier::BOLD)
    }
    pub fn header(&self, demo: bool) -> Style {
        if self.no_color {
            return Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD);
        }
        let h = &self.file.header;
        let (fg, bg) = if demo { (h.demo_fg, h.demo_bg) } else { (h.fg, h.bg) };
        Style::default().fg(fg).bg(bg).add_modifier(Modifier::BOLD)
    }
    pub fn health(&self, h: crate::analysis::Health) -> Style {
        use crate::analysis::Health;
        let c = &self.file.health;
        let s = self.fg(match h {
            Health::NoData => c.no_data,
            Health::Normal => c.normal,
            Health::Degraded => c.degraded,
            Health::Critical => c.critical,
        });
        if h >= Health::Degraded { s.add_modifier(Modifier::BOLD) } else { s }
    }
    pub fn error(&self) -> Style {
        self.fg(self.file.severity.error).add_modifier(Modifier::BOLD)
    }
    /// Colour of a log level.
    pub fn severity(&self, level: crate::model::Level) -> Style {
        use crate::model::Level;
        let c = &self.file.severity;
        match level {
            Level::Error => self.error(),
            Level::Warn => self.fg(c.warn),
            Level::Info => self.fg(c.info),
            Level::Debug => self.fg(c.debug),
        }
    }
    pub fn warn(&self) -> Style {
        self.fg(self.file.severity.warn)
    }
    pub fn selection(&self) -> Style {
        if self.no_color {
            return Style::default().add_modifier(Modifier::REVERSED);
        }
        Style::default().fg(self.file.selection.fg).bg(self.file.selection.bg)
    }
    pub fn verdict(&self, kind: &crate::analysis::VerdictKind) -> Style {
        use crate::analysis::VerdictKind;
        let v = &self.file.verdict;
        self.fg(match kind {
            VerdictKind::Unknown => v.unknown,
            VerdictKind::Normal | VerdictKind::Recovered => v.normal,
            VerdictKind::Regional => v.regional,
            VerdictKind::Global => v.global,
        })
        .add_modifier(Modifier::BOLD)
    }
}

/// The theme in use and where user themes are, so `:theme NAME` switches while running.
#[derive(Clone, Debug)]
pub struct Looks {
    pub theme: Theme,
    /// The config folder's `themes/`.
    pub dir: Option<std::path::PathBuf>,
}

impl Looks {
    /// Draw with the theme `name` from now on; the error is one line, for the status bar.
    /// `NO_COLOR` carries over.
    pub fn switch(&mut self, name: &str) -> Result<(), String> {
        let theme = Theme::load(name, self.dir.as_deref()).map_err(|e| {
            // A theme file's error points at its line with a picture; keep the words.
            let words: Vec<&str> =
                e.lines().map(str::trim).filter(|l| !l.is_empty() && !l.contains('|')).collect();
            words.join(" ")
        })?;
        self.theme = theme.with_no_color(self.theme.no_color);
        Ok(())
    }
}

/// `NO_COLOR` set to anything non-empty (<https://no-color.org>).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_parse() {
        for (name, _) in BUILT_IN {
            let t = Theme::load(name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&t.name, name);
        }
    }

    #[test]
    fn bad_theme_names_line_and_key() {
        let bad = BUILT_IN[0].1.replace("critical = \"lightred\"", "critical = \"blurple\"");
        let err = Theme::parse(&bad).unwrap_err();
        assert!(err.contains("line") && err.contains("blurple"), "{err}");
        let err = Theme::load("nope", None).unwrap_err();
        assert!(err.contains("dark, light, high-contrast"), "{err}");
    }

    #[test]
    fn theme_names_never_reach_outside_the_themes_folder() {
        let dir = std::env::temp_dir().join(format!("warroom-themes-{}", std::process::id()));
        let themes = dir.join("themes");
        std::fs::create_dir_all(&themes).unwrap();
        // A valid theme beside the themes folder, reachable with `..`.
        std::fs::write(dir.join("outside.toml"), BUILT_IN[0].1).unwrap();
        for name in ["../outside", "..", "/etc/passwd", "a/b", "a\\b", "x\u{1b}]52"] {
            let err = Theme::load(name, Some(&themes)).unwrap_err();
            assert!(err.contains("is not a theme name"), "{name}: {err}");
            assert!(!err.contains('\u{1b}'), "{err}");
        }
        std::fs::write(themes.join("mine.toml"), BUILT_IN[1].1).unwrap();
        assert!(Theme::load("mine", Some(&themes)).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
