//! Reading big line files at the speed of the disk: a file is read in pieces (never whole),
//! the pieces of a plain file on every core at once and a gzipped one streamed through its
//! decoder, and only the lines a pre-filter picks out of the raw bytes (a SIMD substring
//! search) are handed on to be parsed.
//!
//! The pre-filter only ever picks more lines than the exact filter keeps, never fewer: see
//! [`Prefilter`] for what it must pick besides the lines holding the searched text.

use crate::model::logline::MAX_LINE_BYTES;
use crate::model::logstore::Needle;
use aho_corasick::{AhoCorasick, MatchKind};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The bytes a piece of a plain file holds (more when its last line runs on).
pub const PIECE: u64 = 4 << 20;

/// Lines that join the lines of a request without naming its correlation id: Lambda's
/// START / REPORT / XRAY / INIT_START lines (and any line with colour codes, which could
/// hide those words), so that joining them to their request reads the same as when every
/// line is read.
const JOINING: &[&[u8]] =
    &[b"RequestId:", b"XRAY TraceId:", b"INIT_START", b"\x1b", "\u{9b}".as_bytes()];

/// What picks the lines worth parsing out of raw bytes.
pub struct Prefilter {
    wanted: Wanted,
    /// Lines read whatever they hold (see [`JOINING`]); `None` in a search for request ids.
    joining: Option<AhoCorasick>,
    /// Lines longer than [`MAX_LINE_BYTES`] are read too: the searched text could match the
    /// mark a cut line is kept with.
    long_lines: bool,
}

enum Wanted {
    /// Any of these literal strings (a correlation id; request ids). Patterns from `joining`
    /// may be appended to the same automaton; `n` is the number of wanted ones, and `check`
    /// searches those alone (a joining pattern's match must not hide one).
    Literals { ac: AhoCorasick, check: AhoCorasick, n: usize },
    /// Free text, with the log tail's smart case.
    Text(Box<Needle>),
}

impl Prefilter {
    /// Lines that hold the correlation id `id`. `None` when raw bytes cannot tell (an empty
    /// id, a number, which JSON may write in another form, or U+FFFD, which stands for bytes
    /// that were not UTF-8): then every line must be read.
    pub fn correlation_id(id: &str) -> Option<Prefilter> {
        let numeric = id.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c));
        if id.is_empty() || numeric || id.contains('\u{fffd}') {
            return None;
        }
        // A JSON string may write any character of the id as `\uXXXX`: such lines are read.
        let mut patterns: Vec<&[u8]> = vec![id.as_bytes()];
        patterns.extend(JOINING);
        patterns.push(b"\\u");
        let ac =
            AhoCorasick::builder().match_kind(MatchKind::LeftmostFirst).build(&patterns).ok()?;
        let check = AhoCorasick::new([id]).ok()?;
        Some(Prefilter {
            wanted: Wanted::Literals { ac, check, n: 1 },
            joining: None,
            long_lines: Needle::may_match_cut_mark(id),
        })
    }

    /// Lines that hold `text` (smart case, as the log tail's `/`).
    pub fn text(text: &str) -> Option<Prefilter> {
        if text.is_empty() || text.contains('\u{fffd}') {
            return None;
        }
        Some(Prefilter {
            wanted: Wanted::Text(Box::new(Needle::new(text))),
            // Leftmost-first lets the automaton use its SIMD prefilter; only where a match
            // starts matters.
            joining: Some(
                AhoCorasick::builder().match_kind(MatchKind::LeftmostFirst).build(JOINING).ok()?,
            ),
            long_lines: Needle::may_match_cut_mark(text),
        })
    }

    /// Lines that hold any of these request ids (the second pass, after the first found
    /// the ids: the other lines of the same requests).
    pub fn request_ids(ids: &[String]) -> Option<Prefilter> {
        if ids.is_empty() {
            return None;
        }
        let ac = AhoCorasick::builder().match_kind(MatchKind::LeftmostFirst).build(ids).ok()?;
        Some(Prefilter {
            wanted: Wanted::Literals { check: ac.clone(), ac, n: ids.len() },
            joining: None,
            long_lines: false,
        })
    }

    /// Every line (`on_line` gets each with `wanted` true).
    pub fn everything() -> Prefilter {
        Prefilter {
            wanted: Wanted::Text(Box::new(Needle::new(""))),
            joining: None,
            long_lines: false,
        }
    }

    /// Whether a line as written holds what is searched for (not just a joining line).
    pub fn wants(&self, line: &[u8]) -> bool {
        match &self.wanted {
            Wanted::Literals { check, .. } => check.is_match(line),
            Wanted::Text(t) => t.find_bytes(line, 0).is_some(),
        }
    }

    /// The picked lines of `buf` (complete lines, `\n` between them), in order: each line's
    /// offset in `buf`, its bytes (without the `\n`) and whether it is wanted (rather than
    /// picked as a joining or long line).
    pub fn lines<'a>(&self, buf: &'a [u8], mut on_line: impl FnMut(usize, &'a [u8], bool)) {
        let line_at = |p: usize| {
            let s = memchr::memrchr(b'\n', &buf[..p]).map_or(0, |i| i + 1);
            let e = memchr::memchr(b'\n', &buf[p..]).map_or(buf.len(), |i| p + i);
            (s, e)
        };
        if let Wanted::Text(t) = &self.wanted
            && t.find_bytes(b"", 0).is_some()
        {
            // Everything.
            let mut s = 0;
            while s < buf.len() {
                let e = memchr::memchr(b'\n', &buf[s..]).map_or(buf.len(), |i| s + i);
                on_line(s, &buf[s..e], true);
                s = e + 1;
            }
            return;
        }
        // (start, end, wanted) of each picked line, from each searcher in turn.
        let mut picked: Vec<(usize, usize, bool)> = Vec::new();
        let mut at = 0;
        match &self.wanted {
            Wanted::Literals { ac, n, .. } => {
                while at < buf.len() {
                    let Some(m) = ac.find(aho_corasick::Input::new(buf).span(at..buf.len())) else {
                        break;
                    };
                    let (s, e) = line_at(m.start());
                    let wanted = m.pattern().as_usize() < *n || self.wants(&buf[s..e]);
                    picked.push((s, e, wanted));
                    at = e + 1;
                }
            }
            Wanted::Text(t) => {
                while at < buf.len() {
                    let Some(p) = t.find_bytes(buf, at) else { break };
                    let (s, e) = line_at(p);
                    picked.push((s, e, true));
                    at = e + 1;
                }
            }
        }
        let mut more: Vec<(usize, usize, bool)> = Vec::new();
        if let Some(j) = &self.joining {
            at = 0;
            while at < buf.len() {
                let Some(m) = j.find(aho_corasick::Input::new(buf).span(at..buf.len())) else {
                    break;
                };
                let (s, e) = line_at(m.start());
                more.push((s, e, false));
                at = e + 1;
            }
        }
        if self.long_lines {
            let mut s = 0;
            while s < buf.len() {
                let e = memchr::memchr(b'\n', &buf[s..]).map_or(buf.len(), |i| s + i);
                if e - s > MAX_LINE_BYTES {
                    more.push((s, e, false));
                }
                s = e + 1;
            }
        }
        if !more.is_empty() {
            picked.extend(more);
            // The same line from two searchers: kept once, wanted if either says so.
            picked.sort_by_key(|&(s, _, w)| (s, !w));
            picked.dedup_by_key(|p| p.0);
        }
        for (s, e, wanted) in picked {
            on_line(s, &buf[s..e], wanted);
        }
    }
}

/// How far a scan is: bytes read of the bytes to read (compressed bytes for a gzipped file).
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub total: AtomicU64,
    /// Set to stop a scan early (the reader went away).
    pub cancel: AtomicBool,
}

impl Progress {
    /// `0.0..=1.0`.
    pub fn fraction(&self) -> f64 {
        let total = self.total.load(Ordering::Relaxed);
        if total == 0 {
            return 1.0;
        }
        (self.done.load(Ordering::Relaxed) as f64 / total as f64).min(1.0)
    }
}

/// The gzip magic number.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Open an evidence file: a regular file (a FIFO or a device would be read forever), and
/// whether it is gzipped (told by its magic number).
pub fn open(path: &Path) -> Result<(File, u64, bool), String> {
    let f = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let meta = f.metadata().map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{}: not a regular file", path.display()));
    }
    let mut head = [0u8; 2];
    let gz = f.read_exact_at(&mut head, 0).is_ok() && head == GZIP_MAGIC;
    Ok((f, meta.len(), gz))
}

/// Scan one file: `on_line(acc, offset, line, wanted)` for every line the pre-filter picks,
/// `offset` being where the line starts in the (decompressed) file. The lines of a piece go to
/// one accumulator; the accumulators come back in the file's order. Plain files are read on
/// every core; gzipped ones are decompressed on one thread while another scans. A file of
/// more than `limit` bytes (decompressed) is refused.
pub fn scan<A, F>(
    path: &Path,
    pre: &Prefilter,
    progress: &Progress,
    limit: u64,
    on_line: &F,
) -> Result<Vec<A>, String>
where
    A: Default + Send,
    F: Fn(&mut A, u64, &[u8], bool) + Sync,
{
    let (f, len, gz) = open(path)?;
    let too_big = || {
        format!(
            "{}: more than {} GiB (decompressed): split it, or filter it before reading",
            path.display(),
            limit >> 30
        )
    };
    if !gz && len > limit {
        return Err(too_big());
    }
    let err = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::FileTooLarge => too_big(),
        _ => format!("cannot read {}: {e}", path.display()),
    };
    if gz {
        scan_gzip(f, len, pre, progress, limit, on_line).map_err(err)
    } else {
        scan_plain(&f, len, pre, progress, on_line).map_err(err)
    }
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 16)
}

fn scan_plain<A, F>(
    f: &File,
    len: u64,
    pre: &Prefilter,
    progress: &Progress,
    on_line: &F,
) -> std::io::Result<Vec<A>>
where
    A: Default + Send,
    F: Fn(&mut A, u64, &[u8], bool) + Sync,
{
    let pieces = len.div_ceil(PIECE);
    progress.total.fetch_add(len, Ordering::Relaxed);
    let next = AtomicU64::new(0);
    let work = || -> std::io::Result<Vec<(u64, A)>> {
        let mut out = Vec::new();
        let mut buf = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= pieces || progress.cancel.load(Ordering::Relaxed) {
                return Ok(out);
            }
            let start = i * PIECE;
            let end = (start + PIECE).min(len);
            let mut acc = A::default();
            if let Some(first) = read_piece(f, start, end, len, &mut buf)? {
                let base = start.saturating_sub(1);
                pre.lines(&buf[first..], |at, line, wanted| {
                    on_line(&mut acc, base + (first + at) as u64, line, wanted)
                });
            }
            progress.done.fetch_add(end - start, Ordering::Relaxed);
            out.push((i, acc));
        }
    };
    let n = threads().min(pieces as usize).max(1);
    let mut all: Vec<(u64, A)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n).map(|_| s.spawn(work)).collect();
        let mut all = Vec::new();
        let mut failed = None;
        for h in handles {
            match h.join() {
                Ok(Ok(v)) => all.extend(v),
                Ok(Err(e)) => failed = Some(e),
                Err(p) => std::panic::resume_unwind(p),
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(all),
        }
    })?;
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, a)| a).collect())
}

/// Read the lines that start in `[start, end)` into `buf`, with the byte before `start` (to
/// tell whether a line starts there) and the rest of the last line. Returns where the first
/// such line starts in `buf`, or `None` when no line starts in the piece.
fn read_piece(
    f: &File,
    start: u64,
    end: u64,
    len: u64,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<usize>> {
    let from = start.saturating_sub(1);
    buf.clear();
    buf.resize((end - from) as usize, 0);
    read_at(f, buf, from)?;
    let first = if start == 0 {
        0
    } else {
        match memchr::memchr(b'\n', buf) {
            Some(i) => i + 1,
            None => return Ok(None),
        }
    };
    if first >= buf.len() {
        return Ok(None);
    }
    // The last line runs on past the piece: read on to its end.
    let mut pos = end;
    let mut step = 64 << 10;
    while buf.last() != Some(&b'\n') && pos < len {
        let n = step.min(len - pos) as usize;
        let old = buf.len();
        buf.resize(old + n, 0);
        read_at(f, &mut buf[old..], pos)?;
        pos += n as u64;
        if let Some(i) = memchr::memchr(b'\n', &buf[old..]) {
            buf.truncate(old + i + 1);
            break;
        }
        step = (step * 2).min(64 << 20);
    }
    Ok(Some(first))
}

/// Fill `buf` from `at`; a file that shrank while read is an error, not a hang.
fn read_at(f: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    f.read_exact_at(buf, at)
}

/// A reader that counts what it reads (a gzipped file's progress is in compressed bytes).
struct Counting<'a, R> {
    inner: R,
    progress: &'a Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.done.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn scan_gzip<A, F>(
    f: File,
    len: u64,
    pre: &Prefilter,
    progress: &Progress,
    limit: u64,
    on_line: &F,
) -> std::io::Result<Vec<A>>
where
    A: Default + Send,
    F: Fn(&mut A, u64, &[u8], bool) + Sync,
{
    progress.total.fetch_add(len, Ordering::Relaxed);
    let reader = Counting { inner: std::io::BufReader::with_capacity(256 << 10, f), progress };
    let mut gz = flate2::read::MultiGzDecoder::new(reader);
    // Two buffers in flight: one being scanned while the next is decompressed.
    let (to_scan, scanning) = std::sync::mpsc::sync_channel::<(u64, Vec<u8>)>(1);
    let (to_reuse, reuse) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::scope(|s| {
        let scanner = s.spawn(move || {
            let mut out = Vec::new();
            for (base, buf) in scanning {
                let mut acc = A::default();
                pre.lines(&buf, |at, line, wanted| {
                    on_line(&mut acc, base + at as u64, line, wanted)
                });
                out.push(acc);
                let _ = to_reuse.send(buf);
            }
            out
        });
        let mut carry: Vec<u8> = Vec::new();
        let mut base = 0u64;
        let piece = PIECE as usize;
        let result = loop {
            if progress.cancel.load(Ordering::Relaxed) {
                break Ok(());
            }
            let mut buf = reuse.try_recv().unwrap_or_default();
            buf.clear();
            buf.append(&mut carry);
            let old = buf.len();
            buf.resize(old + piece, 0);
            let mut got = old;
            let mut eof = false;
            while got < buf.len() {
                match gz.read(&mut buf[got..]) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => got += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        drop(to_scan);
                        let _ = scanner.join();
                        return Err(e);
                    }
                }
            }
            buf.truncate(got);
            if base + got as u64 > limit {
                drop(to_scan);
                let _ = scanner.join();
                return Err(std::io::ErrorKind::FileTooLarge.into());
            }
            if !eof {
                // Keep the unfinished last line for the next piece (a line longer than a
                // piece grows the buffer until it ends).
                match memchr::memrchr(b'\n', &buf) {
                    Some(i) => {
                        carry.extend_from_slice(&buf[i + 1..]);
                        buf.truncate(i + 1);
                    }
                    None => {
                        carry = buf;
                        continue;
                    }
                }
            }
            let n = buf.len() as u64;
            if n > 0 && to_scan.send((base, buf)).is_err() {
                break Ok(());
            }
            base += n;
            if eof {
                break Ok(());
            }
        };
        drop(to_scan);
        let out = match scanner.join() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p),
        };
        result.map(|()| out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picked(pre: &Prefilter, buf: &[u8]) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        pre.lines(buf, |_, l, w| out.push((String::from_utf8_lossy(l).into_owned(), w)));
        out
    }

    #[test]
    fn the_prefilter_picks_the_lines_holding_the_id_and_the_joining_lines() {
        let buf = b"{\"correlationId\":\"c-1\"}\n{\"x\":1}\nREPORT RequestId: r\tDuration: 1 ms\nc-1 in text\n{\"correlationId\":\"\\u0063-1\"}";
        let pre = Prefilter::correlation_id("c-1").unwrap();
        let got = picked(&pre, buf);
        assert_eq!(
            got,
            vec![
                ("{\"correlationId\":\"c-1\"}".to_string(), true),
                ("REPORT RequestId: r\tDuration: 1 ms".to_string(), false),
                ("c-1 in text".to_string(), true),
                ("{\"correlationId\":\"\\u0063-1\"}".to_string(), false),
            ]
        );
        assert!(Prefilter::correlation_id("").is_none());
        assert!(Prefilter::correlation_id("12345").is_none(), "JSON may write a number otherwise");
    }

    #[test]
    fn text_is_smart_case_and_cut_lines_are_read_when_the_mark_could_match() {
        let buf = b"Timed OUT\nfine\nSTART RequestId: r Version: 1\ntimed out again";
        let got = picked(&Prefilter::text("timed out").unwrap(), buf);
        let lines: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(lines, ["Timed OUT", "START RequestId: r Version: 1", "timed out again"]);
        assert!(
            picked(&Prefilter::text("Timed out").unwrap(), buf)
                .iter()
                .all(|(l, _)| { l != "Timed OUT" && l != "timed out again" })
        );
        let long = format!("{}\nshort\n", "x".repeat(MAX_LINE_BYTES + 10));
        let got = picked(&Prefilter::text("line cut").unwrap(), long.as_bytes());
        assert_eq!(got.len(), 1, "the long line, which is kept with the mark");
        assert!(picked(&Prefilter::text("zzz").unwrap(), long.as_bytes()).is_empty());
    }

    fn lines_of(path: &Path, pre: &Prefilter) -> Vec<(u64, String)> {
        let got: Vec<Vec<(u64, String)>> = scan(
            path,
            pre,
            &Progress::default(),
            u64::MAX,
            &|acc: &mut Vec<_>, at, l: &[u8], _| {
                acc.push((at, String::from_utf8_lossy(l).into_owned()))
            },
        )
        .unwrap();
        got.into_iter().flatten().collect()
    }

    #[test]
    fn pieces_split_on_line_boundaries_plain_and_gzipped() {
        // Lines of varied length across several pieces, one longer than a piece.
        let mut text = String::new();
        let mut want = Vec::new();
        for i in 0..300_000u64 {
            let at = text.len() as u64;
            let line = if i == 150_000 {
                format!("line {i} {}", "y".repeat(PIECE as usize + 7))
            } else {
                format!("line {i} {}", "z".repeat((i % 37) as usize))
            };
            text.push_str(&line);
            text.push('\n');
            want.push((at, line));
        }
        text.push_str("last without newline");
        want.push((text.len() as u64 - 20, "last without newline".to_string()));
        let dir = std::env::temp_dir().join(format!("warroom-scan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plain = dir.join("plain.log");
        std::fs::write(&plain, &text).unwrap();
        assert_eq!(lines_of(&plain, &Prefilter::everything()), want);
        let gz = dir.join("lines.log.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, text.as_bytes()).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        assert_eq!(lines_of(&gz, &Prefilter::everything()), want);
        let pre = Prefilter::request_ids(&["line 299999 ".into(), "line 7 ".into()]).unwrap();
        let got: Vec<u64> = lines_of(&plain, &pre).into_iter().map(|(at, _)| at).collect();
        assert_eq!(got, [want[7].0, want[299_999].0]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
