//! Config and data folders (`directories::ProjectDirs`), with environment overrides.

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "warroom")
}

/// `~/.config/warroom` on Linux.
pub fn config_dir() -> Option<PathBuf> {
    project().map(|p| p.config_dir().to_path_buf())
}

/// `~/.local/share/warroom` on Linux, or `WARROOM_DATA` when set. Holds the log file,
/// snapshots and saved investigations.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WARROOM_DATA").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    project().map(|p| p.data_dir().to_path_buf())
}

/// The prompts' histories: one file a kind of prompt.
pub fn history_dir() -> Option<PathBuf> {
    data_dir().map(|d| d.join("history"))
}

/// The journal of the investigation in progress.
pub fn journal_path() -> Option<PathBuf> {
    data_dir().map(|d| d.join("investigation.jsonl"))
}

fn no_data_dir() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotFound, "no data folder (set WARROOM_DATA)")
}

/// Options that create a file in the data folder without following a symbolic link there:
/// a link planted in the data folder is refused (`ELOOP`), never written through.
fn no_follow(o: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW);
    }
    o
}

/// An error of a file warroom writes in the data folder, said plainly: the path, and what
/// to do when the folder is read-only or the file is a link.
pub fn write_error(path: &std::path::Path, e: &std::io::Error) -> String {
    let what = match e.kind() {
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            " (the data folder is read-only: set WARROOM_DATA to a writable folder)".to_string()
        }
        _ if e.raw_os_error() == Some(libc::ELOOP) => {
            " (a symbolic link: warroom does not follow links in its data folder)".to_string()
        }
        _ => String::new(),
    };
    format!("cannot write {}: {e}{what}", path.display())
}

/// The lock this cockpit holds on the data folder's journal, for as long as it runs.
static JOURNAL_LOCK: std::sync::Mutex<Option<std::fs::File>> = std::sync::Mutex::new(None);

/// Take the journal for this cockpit: an exclusive lock (`flock`) on `investigation.lock`
/// beside it, held until the process ends. A second cockpit on the same data folder is told
/// which process holds it, and saves nothing rather than interleaving its marks.
pub fn lock_journal() -> Result<(), String> {
    let mut held = JOURNAL_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if held.is_none() {
        let dir = data_dir().ok_or_else(|| no_data_dir().to_string())?;
        *held = Some(lock_journal_in(&dir)?);
    }
    Ok(())
}

/// Lock `dir/investigation.lock` (created when missing) and write this process's id in it;
/// the lock lasts as long as the file returned is open.
pub fn lock_journal_in(dir: &std::path::Path) -> Result<std::fs::File, String> {
    std::fs::create_dir_all(dir).map_err(|e| write_error(dir, &e))?;
    let path = dir.join("investigation.lock");
    let mut f = no_follow(std::fs::OpenOptions::new().read(true).write(true).create(true))
        .truncate(false)
        .open(&path)
        .map_err(|e| write_error(&path, &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on a descriptor this function owns; no memory is shared.
        let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r != 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                let pid = std::fs::read_to_string(&path).unwrap_or_default();
                let pid = pid.trim();
                let by = if pid.is_empty() { String::new() } else { format!(" (pid {pid})") };
                return Err(format!(
                    "another warroom cockpit{by} is keeping the investigation journal in {}: this one saves no marks (close the other, or set WARROOM_DATA to another folder)",
                    dir.display()
                ));
            }
            return Err(format!("cannot lock {}: {e}", path.display()));
        }
    }
    use std::io::{Seek, Write};
    let _ = f.set_len(0);
    let _ = f.seek(std::io::SeekFrom::Start(0));
    let _ = write!(f, "{}", std::process::id());
    Ok(f)
}

/// Whether this process holds the journal's lock.
pub fn journal_locked() -> bool {
    JOURNAL_LOCK.lock().map(|h| h.is_some()).unwrap_or(false)
}

/// Append one record to the journal and flush it, so a dying terminal loses nothing.
pub fn append_journal(line: &crate::model::investigation::JournalLine) -> Result<(), String> {
    lock_journal()?;
    let path = journal_path().ok_or_else(|| no_data_dir().to_string())?;
    let mut f = no_follow(std::fs::OpenOptions::new().read(true).create(true).append(true))
        .open(&path)
        .map_err(|e| write_error(&path, &e))?;
    append_record(&mut f, &crate::model::investigation::encode(line))
        .map_err(|e| write_error(&path, &e))
}

/// Write one record at the end of `f` in a single write, on a line of its own: when the
/// file does not end with a line break (a record cut by a crash or a full disk) one is
/// written first, so the cut record is lost alone and never merges with this one.
pub fn append_record<F>(f: &mut F, record: &str) -> std::io::Result<()>
where
    F: std::io::Read + std::io::Write + std::io::Seek + AsSync,
{
    use std::io::SeekFrom;
    let len = f.seek(SeekFrom::End(0))?;
    let mut text = String::with_capacity(record.len() + 2);
    if len > 0 {
        let mut last = [0u8];
        f.seek(SeekFrom::End(-1))?;
        f.read_exact(&mut last)?;
        if last[0] != b'\n' {
            text.push('\n');
        }
    }
    text.push_str(record);
    text.push('\n');
    f.write_all(text.as_bytes())?;
    f.flush()?;
    f.sync()
}

/// Something that can be made durable (a file: `sync_data`).
pub trait AsSync {
    fn sync(&mut self) -> std::io::Result<()>;
}

impl AsSync for std::fs::File {
    fn sync(&mut self) -> std::io::Result<()> {
        self.sync_data()
    }
}

/// The journal's investigation, when there is one; `(investigation, line numbers of the
/// damaged records skipped)`.
pub fn load_journal()
-> std::io::Result<Option<(crate::model::investigation::Investigation, Vec<usize>)>> {
    let Some(path) = journal_path() else { return Ok(None) };
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if meta.file_type().is_symlink() {
        return Err(std::io::Error::other(format!(
            "{} is a symbolic link: warroom does not follow links in its data folder",
            path.display()
        )));
    }
    let bytes = std::fs::read(&path)?;
    Ok(Some(crate::model::investigation::Investigation::replay(&String::from_utf8_lossy(&bytes))))
}

/// Start a new investigation: the journal in progress is kept under the time it was set
/// aside (`investigation-2026-03-12T0930Z.jsonl`).
pub fn archive_journal(wall_now: crate::model::Millis) -> std::io::Result<Option<PathBuf>> {
    let Some(path) = journal_path() else { return Ok(None) };
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    let to = free_name(
        path.parent().unwrap_or(std::path::Path::new(".")),
        &format!("investigation-{}", crate::model::text::file_time(wall_now)),
        "jsonl",
    );
    std::fs::rename(&path, &to)?;
    Ok(Some(to))
}

/// `dir/stem.ext`, or `dir/stem-2.ext`, `-3`, … when that is taken: nothing is overwritten.
pub fn free_name(dir: &std::path::Path, stem: &str, ext: &str) -> PathBuf {
    let mut path = dir.join(format!("{stem}.{ext}"));
    let mut n = 2;
    // `symlink_metadata`: a dangling link counts as taken, never as free.
    while std::fs::symlink_metadata(&path).is_ok() {
        path = dir.join(format!("{stem}-{n}.{ext}"));
        n += 1;
    }
    path
}

/// Write `text` to `folder/stem.ext` in the data folder (a free name); returns its path.
fn write_data(folder: &str, stem: &str, ext: &str, text: &str) -> std::io::Result<PathBuf> {
    let dir = data_dir().ok_or_else(no_data_dir)?.join(folder);
    std::fs::create_dir_all(&dir)?;
    let path = free_name(&dir, stem, ext);
    // A new file only: never through a link, never over a file created meanwhile.
    let mut f = no_follow(std::fs::OpenOptions::new().write(true).create_new(true)).open(&path)?;
    std::io::Write::write_all(&mut f, text.as_bytes())?;
    Ok(path)
}

/// Write a report to `reports/` in the data folder, named by the time it is about
/// (`report-2026-03-12T0930Z.md`, the cockpit's clock); returns its path.
pub fn write_report(text: &str, at: crate::model::Millis) -> std::io::Result<PathBuf> {
    write_data("reports", &format!("report-{}", crate::model::text::file_time(at)), "md", text)
}

/// Write a snapshot of the screen to `snapshots/` in the data folder
/// (`snapshot-2026-03-12T0930Z.svg`); returns its path.
pub fn write_snapshot(
    text: &str,
    extension: &str,
    at: crate::model::Millis,
) -> std::io::Result<PathBuf> {
    let stem = format!("snapshot-{}", crate::model::text::file_time(at));
    write_data("snapshots", &stem, extension, text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_readable_and_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("warroom-dirs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let stem = format!("report-{}", crate::model::text::file_time(1_773_307_805_000));
        let a = super::free_name(&dir, &stem, "md");
        assert_eq!(a.file_name().unwrap(), "report-2026-03-12T0930Z.md");
        std::fs::write(&a, "x").unwrap();
        let b = super::free_name(&dir, &stem, "md");
        assert_eq!(b.file_name().unwrap(), "report-2026-03-12T0930Z-2.md");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A file that takes `room` bytes and then fails as a full disk does.
    struct Disk {
        data: std::io::Cursor<Vec<u8>>,
        room: usize,
    }

    impl std::io::Read for Disk {
        fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
            self.data.read(b)
        }
    }
    impl std::io::Seek for Disk {
        fn seek(&mut self, p: std::io::SeekFrom) -> std::io::Result<u64> {
            self.data.seek(p)
        }
    }
    impl std::io::Write for Disk {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            let n = b.len().min(self.room);
            if n == 0 && !b.is_empty() {
                return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
            }
            self.room -= n;
            self.data.write(&b[..n])
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl super::AsSync for Disk {
        fn sync(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_loses_only_the_record_it_cut() {
        use crate::model::investigation::{Entry, EntryKind, Investigation, encode};
        let mut inv = Investigation::default();
        let mut disk = Disk { data: Default::default(), room: usize::MAX };
        let mark = |inv: &mut Investigation, at, text: &str| {
            let e = Entry {
                at,
                kind: EntryKind::Note,
                text: text.into(),
                evidence: Vec::new(),
                finding: false,
                marked: Some(at),
                removed: false,
            };
            encode(&inv.mark(e, false).unwrap())
        };
        let a = mark(&mut inv, 1, "first");
        super::append_record(&mut disk, &a).unwrap();
        // The disk fills in the middle of the second record: the writer says so.
        disk.room = 20;
        let b = mark(&mut inv, 2, "second");
        assert!(super::append_record(&mut disk, &b).is_err());
        // Room again: the next record is written on a line of its own.
        disk.room = usize::MAX;
        let c = mark(&mut inv, 3, "third");
        super::append_record(&mut disk, &c).unwrap();
        let text = String::from_utf8(disk.data.into_inner()).unwrap();
        let (back, bad) = Investigation::replay(&text);
        assert_eq!(bad, vec![2], "{text}");
        let kept: Vec<&str> = back.marked().map(|(_, e)| e.text.as_str()).collect();
        assert_eq!(kept, ["first", "third"], "{text}");
        assert_eq!(back.lost, vec![1]);
    }

    #[test]
    fn a_second_cockpit_is_refused_the_journal() {
        let dir = std::env::temp_dir().join(format!("warroom-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let held = super::lock_journal_in(&dir).expect("the first takes it");
        let e = super::lock_journal_in(&dir).expect_err("the second is refused");
        assert!(e.contains("another warroom cockpit"), "{e}");
        assert!(e.contains(&format!("(pid {})", std::process::id())), "{e}");
        drop(held);
        assert!(super::lock_journal_in(&dir).is_ok(), "free again once the first is gone");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_read_only_data_folder_is_said_plainly() {
        let p = std::path::Path::new("/data/warroom/investigation.lock");
        for kind in [std::io::ErrorKind::PermissionDenied, std::io::ErrorKind::ReadOnlyFilesystem] {
            let e = super::write_error(p, &std::io::Error::from(kind));
            assert!(e.contains("/data/warroom/investigation.lock"), "{e}");
            assert!(e.contains("read-only") && e.contains("WARROOM_DATA"), "{e}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_in_the_data_folder_are_not_followed() {
        let dir = std::env::temp_dir().join(format!("warroom-link-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("elsewhere");
        std::os::unix::fs::symlink(&target, dir.join("report.md")).unwrap();
        // A dangling link is a taken name, not a free one.
        assert_eq!(super::free_name(&dir, "report", "md").file_name().unwrap(), "report-2.md");
        let e = super::no_follow(std::fs::OpenOptions::new().append(true).create(true))
            .open(dir.join("report.md"))
            .expect_err("not through the link");
        assert!(super::write_error(&dir.join("report.md"), &e).contains("symbolic link"), "{e}");
        assert!(!target.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
