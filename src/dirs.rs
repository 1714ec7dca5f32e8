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

/// Append one line to the journal and flush it, so a dying terminal loses nothing.
pub fn append_journal(line: &crate::model::investigation::JournalLine) -> std::io::Result<()> {
    use std::io::Write;
    let path = journal_path().ok_or_else(no_data_dir)?;
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
    let text = serde_json::to_string(line).map_err(std::io::Error::other)?;
    writeln!(f, "{text}")?;
    f.sync_data()
}

/// The journal's investigation, when there is one; `(investigation, unreadable lines)`.
pub fn load_journal() -> std::io::Result<Option<(crate::model::investigation::Investigation, usize)>>
{
    let Some(path) = journal_path() else { return Ok(None) };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(crate::model::investigation::Investigation::replay(&text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Start a new investigation: the journal in progress is kept under the time it was set
/// aside (`investigation-2026-03-12T0930Z.jsonl`).
pub fn archive_journal(wall_now: crate::model::Millis) -> std::io::Result<Option<PathBuf>> {
    let Some(path) = journal_path() else { return Ok(None) };
    if !path.exists() {
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
    while path.exists() {
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
    std::fs::write(&path, text)?;
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
}
