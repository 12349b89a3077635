//! Small state files (custom programs, profiles, pad counts) written durably, so that a crash
//! or a power cut leaves either the old file or the new one, never half of one, and a change
//! is confirmed only once it is on the storage.
//!
//! Callers change what they hold in memory only after a write succeeded: a change that cannot
//! be kept is refused, and the old value stays in force.

use std::io::Write;
use std::path::Path;

/// Largest state file read back at start-up (bytes); a bigger one is skipped unread.
pub const MAX_STATE_FILE_BYTES: u64 = 64 * 1024;

/// Writes `<dir>/<name>.toml` durably: a temporary file, fsync, rename over the old file,
/// fsync the directory. On any failure the temporary file is removed and the error returned;
/// the old file is then untouched, except when only the final directory fsync fails (the
/// rename is done but not known to be on the storage: the caller still reports a failure).
pub fn write_toml(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.toml.tmp"));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, dir.join(format!("{name}.toml")))
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Removes `<dir>/<name>.toml` durably (the directory is synced); a file already gone is not
/// an error.
pub fn remove_toml(dir: &Path, name: &str) -> std::io::Result<()> {
    match std::fs::remove_file(dir.join(format!("{name}.toml"))) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(()) => sync_dir(dir),
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Reads a state file of at most [`MAX_STATE_FILE_BYTES`]; a bigger one is refused unread.
pub fn read_small(path: &Path) -> std::io::Result<String> {
    let len = std::fs::metadata(path)?.len();
    if len > MAX_STATE_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{len} bytes (allowed: at most {MAX_STATE_FILE_BYTES})"),
        ));
    }
    std::fs::read_to_string(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("stimd-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write_toml(&dir, "a", "x = 1\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("a.toml")).unwrap(),
            "x = 1\n"
        );
        // A non-empty directory where the file goes: the rename fails (even for root).
        std::fs::create_dir_all(dir.join("b.toml").join("keep")).unwrap();
        assert!(write_toml(&dir, "b", "x = 2\n").is_err());
        assert!(!dir.join(".b.toml.tmp").exists(), "temporary file left");
        assert!(dir.join("b.toml").join("keep").is_dir());
        remove_toml(&dir, "a").unwrap();
        remove_toml(&dir, "a").unwrap();
        assert!(!dir.join("a.toml").exists());
        std::fs::write(dir.join("big.toml"), vec![b'#'; 70_000]).unwrap();
        assert!(read_small(&dir.join("big.toml")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
