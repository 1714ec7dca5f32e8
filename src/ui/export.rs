//! The screen as a file: plain text, or SVG with its colours, rendered from the same buffer
//! the terminal gets. Screenshots in the README come from here.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

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

fn hex(c: Color, default: &'static str) -> String {
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

/// An SVG picture of the screen: a background rectangle per coloured run, a text element per
/// run of one style.
pub fn to_svg(buf: &Buffer) -> String {
    const CW: f64 = 8.4;
    const LH: f64 = 18.0;
    let (w, h) = (buf.area.width as f64 * CW, buf.area.height as f64 * LH);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"{BG}\"/>\n\
         <g font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\" xml:space=\"preserve\">\n"
    );
    for y in 0..buf.area.height {
        let mut x = 0;
        while x < buf.area.width {
            let cell = &buf[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (fg, bg) = if reversed { (cell.bg, cell.fg) } else { (cell.fg, cell.bg) };
            let (fg, bg) =
                (hex(fg, if reversed { BG } else { FG }), hex(bg, if reversed { FG } else { BG }));
            let bold = cell.modifier.contains(Modifier::BOLD);
            let start = x;
            let mut text = String::new();
            while x < buf.area.width {
                let c = &buf[(x, y)];
                let r = c.modifier.contains(Modifier::REVERSED);
                let (f2, b2) = if r { (c.bg, c.fg) } else { (c.fg, c.bg) };
                if hex(f2, if r { BG } else { FG }) != fg
                    || hex(b2, if r { FG } else { BG }) != bg
                    || c.modifier.contains(Modifier::BOLD) != bold
                    || r != reversed
                {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            let (px, py) = (start as f64 * CW, y as f64 * LH);
            if bg != BG {
                out.push_str(&format!(
                    "<rect x=\"{px:.1}\" y=\"{py:.1}\" width=\"{:.1}\" height=\"{LH}\" fill=\"{bg}\"/>\n",
                    (x - start) as f64 * CW
                ));
            }
            if !text.trim().is_empty() {
                let weight = if bold { " font-weight=\"bold\"" } else { "" };
                out.push_str(&format!(
                    "<text x=\"{px:.1}\" y=\"{:.1}\" fill=\"{fg}\"{weight} textLength=\"{:.1}\" lengthAdjust=\"spacingAndGlyphs\">{}</text>\n",
                    py + LH * 0.75,
                    (x - start) as f64 * CW,
                    escape(&text)
                ));
            }
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}
