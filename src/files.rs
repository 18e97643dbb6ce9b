//! Writing files whole or not at all: a temporary file beside the target, synced,
//! then renamed over it, so a reader (or a killed run) never sees half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The suffix of temporary files; a batch removes stale ones left by a killed run.
pub const TEMP_SUFFIX: &str = ".fluidity-tmp";

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = temp_path(path)?;
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Writes the (`name`, `bytes`) files into the folder `dir` (created if needed), each
/// atomically, and removes the files named in `stale` that are not among them, so the
/// folder holds exactly what was written of those names (a CSV scenario folder).
///
/// # Errors
/// The first file that cannot be written or removed.
pub fn write_folder(
    dir: &Path,
    files: &[(String, Vec<u8>)],
    stale: &[String],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, bytes) in files {
        write_atomic(&dir.join(name), bytes)?;
    }
    for name in stale {
        let path = dir.join(name);
        if !files.iter().any(|(n, _)| n == name) && path.exists() {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

fn temp_path(path: &Path) -> std::io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} is not a file name", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok(dir.join(format!(
        ".{}.{}{TEMP_SUFFIX}",
        name.to_string_lossy(),
        std::process::id()
    )))
}
