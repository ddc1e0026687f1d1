//! Where cordon keeps its own files. All of them are hidden from every sandbox.
//!
//! | what | path |
//! | --- | --- |
//! | user config | `$XDG_CONFIG_HOME/cordon/config.toml`, else `~/.config/cordon/config.toml` |
//! | data (journal, session state, pins, keys) | `$CORDON_DATA_DIR`, else `$XDG_DATA_HOME/cordon`, else `~/.local/share/cordon` |
//! | runtime sockets of running sessions | `<data dir>/run/` |
use std::path::PathBuf;

/// cordon's data directory (not created here).
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CORDON_DATA_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("cordon");
    }
    crate::config::home_dir()
        .unwrap_or_else(|| PathBuf::from("/var/lib"))
        .join(".local/share/cordon")
}

/// Directory of control sockets of running `cordon run` sessions.
pub fn run_dir() -> PathBuf {
    data_dir().join("run")
}

/// cordon's user config directory.
pub fn config_dir() -> Option<PathBuf> {
    crate::config::user_config_path().and_then(|p| p.parent().map(|d| d.to_path_buf()))
}
