//! Whether the database file open is still the one at its path: file identities (device and
//! inode), and letting go of a database whose file was deleted or replaced without touching
//! what is at its path now.

use super::Store;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A file's identity: its device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId {
    /// The device holding the file (`st_dev`).
    pub dev: u64,
    /// The file's inode number on that device (`st_ino`).
    pub ino: u64,
}

impl FileId {
    /// The identity of what is at `path` now (following symlinks, as SQLite does).
    pub fn of(path: &Path) -> std::io::Result<FileId> {
        let m = std::fs::metadata(path)?;
        Ok(FileId {
            dev: m.dev(),
            ino: m.ino(),
        })
    }
}

/// What is at the database's path, compared with the file the store has open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileState {
    /// The same file.
    Same,
    /// Nothing (the file or its directory was deleted, or the directory is now a file).
    Gone,
    /// Another file.
    Replaced,
    /// The path cannot be examined (the error): no conclusion, look again later.
    Unknown(String),
}

/// Compares the file opened (`opened`) with what is at the path now (`now`).
pub(crate) fn compare(opened: FileId, now: std::io::Result<FileId>) -> FileState {
    match now {
        Ok(id) if id == opened => FileState::Same,
        Ok(_) => FileState::Replaced,
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || e.raw_os_error() == Some(libc::ENOTDIR) =>
        {
            FileState::Gone
        }
        Err(e) => FileState::Unknown(e.to_string()),
    }
}

/// The database file and its WAL companions as they were when opened.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Files {
    /// The database file.
    pub(super) db: Option<FileId>,
    /// Its write-ahead log (`-wal`).
    pub(super) wal: Option<FileId>,
    /// Its WAL index (`-shm`).
    pub(super) shm: Option<FileId>,
}

/// `path` with `suffix` appended (`-wal`, `-shm`).
pub(super) fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

impl Store {
    /// Whether the file at the path is still the one this store has open.
    pub(crate) fn file_state(&self) -> FileState {
        match self.files.db {
            Some(opened) => compare(opened, FileId::of(&self.path)),
            None => FileState::Unknown("its identity was not known when it was opened".into()),
        }
    }

    /// Lets go of a database whose file was deleted or replaced, without touching whatever is
    /// at its path now: its WAL is checkpointed and emptied through the open descriptors, kept
    /// on close (SQLite would otherwise delete the WAL *by name*, which may now be another
    /// database's), and its own WAL and index files are removed only if they are still at the
    /// path.
    pub(crate) fn abandon(self) {
        if let Err(e) = self.checkpoint() {
            tracing::debug!("history: checkpoint of the abandoned database: {e}");
        }
        let rc = crate::sys::sqlite_persist_wal(&self.conn, true);
        if rc != rusqlite::ffi::SQLITE_OK {
            tracing::debug!("history: cannot keep the abandoned WAL on close (rc {rc})");
        }
        let Store {
            conn, path, files, ..
        } = self;
        if let Err((_, e)) = conn.close() {
            tracing::warn!("history: closing the abandoned database: {e}");
        }
        for (suffix, id) in [("-wal", files.wal), ("-shm", files.shm)] {
            let p = companion(&path, suffix);
            if id.is_some() && FileId::of(&p).ok() == id {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
}
