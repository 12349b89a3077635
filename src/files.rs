//! Small state files (custom programs, profiles) written so that a crash or a power cut
//! leaves either the old file or the new one, never half of one.

use std::io::Write;
use std::path::Path;

/// Writes `<dir>/<name>.toml` atomically: a temporary file, fsync, rename, fsync the directory.
pub fn write_toml(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.toml.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, dir.join(format!("{name}.toml")))?;
    std::fs::File::open(dir)?.sync_all()
}

/// Removes `<dir>/<name>.toml`; a file already gone is not an error.
pub fn remove_toml(dir: &Path, name: &str) -> std::io::Result<()> {
    match std::fs::remove_file(dir.join(format!("{name}.toml"))) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
