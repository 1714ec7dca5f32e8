//! The screen as a file: plain text, or SVG or HTML with its colours, rendered from the same
//! buffer the terminal gets. Screenshots in the README and `:snapshot` come from here.

use super::Theme;
use crate::app::{App, ScreenFormat};
use crate::model::Millis;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

/// The cockpit drawn off-screen on `width` x `height` cells, as the terminal would show it.
pub fn screen(app: &App, theme: &Theme, width: u16, height: u16, wall_now: Millis) -> Buffer {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        // The test backend cannot fail; an empty screen is the honest answer if it did.
        Err(_) => return Buffer::empty(ratatui::layout::Rect::new(0, 0, width, height)),
    };
    let _ = terminal.draw(|f| super::draw(app, theme, f, wall_now));
    terminal.backend().buffer().clone()
}

/// The screen in a file's format, on the theme's terminal colours.
pub fn write(buf: &Buffer, format: ScreenFormat, theme: &Theme) -> String {
    let canvas = theme.canvas();
    match format {
        ScreenFormat::Svg => to_svg(buf, &canvas),
        ScreenFormat::Html => to_html(buf, &canvas),
        ScreenFormat::Text => to_text(buf),
    }
}

/// The terminal's own colours (what `Color::Reset` stands for) as `#rrggbb`.
#[derive(Clone, Debug, PartialEq)]
pub struct Canvas {
    pub bg: String,
    pub fg: String,
}

impl Default for Canvas {
    fn default() -> Self {
        Canvas { bg: BG.into(), fg: FG.into() }
    }
}

impl Canvas {
    pub fn new(bg: Color, fg: Color) -> Canvas {
        Canvas { bg: hex(bg, BG), fg: hex(fg, FG) }
    }
}

/// The screen's text, one line per row, trailing spaces trimmed.
pub fn to_text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

const BG: &str = "#1b1d23";
const FG: &str = "#d4d4d4";

fn hex(c: Color, default: &str) -> String {
    let named = match c {
        Color::Reset => default,
        Color::Black => "#1b1d23",
        Color::Red => "#cd3131",
        Color::Green => "#0dbc79",
        Color::Yellow => "#e5e510",
        Color::Blue => "#2472c8",
        Color::Magenta => "#bc3fbc",
        Color::Cyan => "#11a8cd",
        Color::Gray => "#b0b0b0",
        Color::DarkGray => "#767676",
        Color::LightRed => "#f14c4c",
        Color::LightGreen => "#23d18b",
        Color::LightYellow => "#f5f543",
        Color::LightBlue => "#3b8eea",
        Color::LightMagenta => "#d670d6",
        Color::LightCyan => "#29b8db",
        Color::White => "#e5e5e5",
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => {
            let v = i as u32 * 255 / 255;
            return format!("#{v:02x}{v:02x}{v:02x}");
        }
    };
    named.to_string()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A run of cells of one style on one row.
struct Run {
    start: u16,
    len: u16,
    fg: String,
    bg: String,
    bold: bool,
    text: String,
}

/// The rows of the screen as runs of one style (reverse video resolved).
fn runs(buf: &Buffer, canvas: &Canvas) -> Vec<Vec<Run>> {
    let (bg, fg) = (canvas.bg.as_str(), canvas.fg.as_str());
    let style = |x: u16, y: u16| {
        let c = &buf[(x, y)];
        let r = c.modifier.contains(Modifier::REVERSED);
        let (f, b) = if r { (c.bg, c.fg) } else { (c.fg, c.bg) };
        (
            hex(f, if r { bg } else { fg }),
            hex(b, if r { fg } else { bg }),
            c.modifier.contains(Modifier::BOLD),
        )
    };
    (0..buf.area.height)
        .map(|y| {
            let mut row = Vec::new();
            let mut x = 0;
            while x < buf.area.width {
                let (fg, bg, bold) = style(x, y);
                let start = x;
                let mut text = String::new();
                while x < buf.area.width && style(x, y) == (fg.clone(), bg.clone(), bold) {
                    text.push_str(buf[(x, y)].symbol());
                    x += 1;
                }
                row.push(Run { start, len: x - start, fg, bg, bold, text });
            }
            row
        })
        .collect()
}

/// An SVG picture of the screen: a background rectangle per coloured run, a text element per
/// run of one style.
pub fn to_svg(buf: &Buffer, canvas: &Canvas) -> String {
    const CW: f64 = 8.4;
    const LH: f64 = 18.0;
    let (w, h) = (buf.area.width as f64 * CW, buf.area.height as f64 * LH);
    let bg = &canvas.bg;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"{bg}\"/>\n\
         <g font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\" xml:space=\"preserve\">\n"
    );
    for (y, row) in runs(buf, canvas).into_iter().enumerate() {
        for r in row {
            let (px, py) = (r.start as f64 * CW, y as f64 * LH);
            if r.bg != *bg {
                out.push_str(&format!(
                    "<rect x=\"{px:.1}\" y=\"{py:.1}\" width=\"{:.1}\" height=\"{LH}\" fill=\"{}\"/>\n",
                    r.len as f64 * CW,
                    r.bg
                ));
            }
            if !r.text.trim().is_empty() {
                let weight = if r.bold { " font-weight=\"bold\"" } else { "" };
                out.push_str(&format!(
                    "<text x=\"{px:.1}\" y=\"{:.1}\" fill=\"{}\"{weight} textLength=\"{:.1}\" lengthAdjust=\"spacingAndGlyphs\">{}</text>\n",
                    py + LH * 0.75,
                    r.fg,
                    r.len as f64 * CW,
                    escape(&r.text)
                ));
            }
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

/// A standalone HTML page of the screen: a `<pre>` with a styled `<span>` per run.
pub fn to_html(buf: &Buffer, canvas: &Canvas) -> String {
    let Canvas { bg, fg } = canvas;
    let mut out = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>warroom</title></head>\n\
         <body style=\"margin:0;background:{bg}\"><pre style=\"margin:0;padding:8px;color:{fg};\
         font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:14px;line-height:18px\">"
    );
    for row in runs(buf, canvas) {
        for r in row {
            let weight = if r.bold { ";font-weight:bold" } else { "" };
            out.push_str(&format!(
                "<span style=\"color:{};background:{}{weight}\">{}</span>",
                r.fg,
                r.bg,
                escape(&r.text)
            ));
        }
        out.push('\n');
    }
    out.push_str("</pre></body></html>\n");
    out
}
