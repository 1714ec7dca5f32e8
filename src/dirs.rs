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
