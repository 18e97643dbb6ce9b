//! Writing results: to stdout, or atomically to a file so that a reader never sees
//! half a plan.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Writes `text` to `path` atomically, or to stdout when no path is given.
pub fn write(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(path) => fluidity::files::write_atomic(path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .context("cannot write to standard output")
        }
    }
}

/// Writes a binary result (a workbook) to `path` atomically; `OutputArgs::check` has
/// made sure there is one.
pub fn write_bytes(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    let path = path.context("a workbook needs --out FILE.xlsx")?;
    fluidity::files::write_atomic(path, bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}
