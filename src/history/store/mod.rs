//! The SQLite store behind the history thread: opening (with recovery from a corrupt file),
//! closing what a crash left open, retention, and the WAL checkpoint. The records and
//! transactions are in `records`, the queries in `queries` (the audit trail in `changes`),
//! and knowing whether the file open is still the one at its path in `file`.

mod changes;
mod file;
mod queries;
mod records;

use super::ids::SessionIds;
use super::{schema, Retention};
pub(crate) use file::FileState;
use file::{companion, FileId, Files};
use rusqlite::{Connection, ErrorCode, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Telemetry is committed at most this often.
pub const BATCH_EVERY: Duration = Duration::from_secs(1);

/// The history database, open: one SQLite connection (WAL, `synchronous=FULL` for records
/// committed one by one). Owned by the history thread; benchmarks and tests open their own on
/// a file of their own.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    files: Files,
    /// Where a session row that takes the id of an older row moves that row (the writer's
    /// allocator, so the moved row never takes an id handed out to a session).
    ids: Option<Arc<SessionIds>>,
    /// Older rows moved to a fresh id by the last writes: (id, new id). Rolled back with
    /// them: cleared before each batch.
    renumbered: Vec<(u64, u64)>,
}

fn list_to_json<T: serde::Serialize>(v: &[T]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn json_to_list<T: serde::de::DeserializeOwned>(s: &str) -> Vec<T> {
    serde_json::from_str(s).unwrap_or_default()
}

/// Whether an error means the file is not a usable database.
fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

impl Store {
    /// Opens (creating it and its directory if need be) the database at `path`: WAL,
    /// `synchronous=FULL`, 1 KiB pages for a new file, a quick integrity check, then the
    /// migrations. A corrupt file is an error (`SQLITE_CORRUPT`); see `open_or_recover`.
    pub fn open(path: &Path) -> rusqlite::Result<Store> {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_millis(200))?;
        // Small pages for small rows: every commit writes whole pages to the WAL, and an SD
        // card wears by the bytes written. Takes effect only on a new, empty database.
        conn.pragma_update(None, "page_size", 1024)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(format!("quick_check: {check}")),
            ));
        }
        schema::migrate(&mut conn)?;
        // The WAL and its index exist once the first read (the check above) has run.
        let files = Files {
            db: FileId::of(path).ok(),
            wal: FileId::of(&companion(path, "-wal")).ok(),
            shm: FileId::of(&companion(path, "-shm")).ok(),
        };
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            files,
            ids: None,
            renumbered: Vec::new(),
        })
    }

    /// Takes fresh ids for moved rows from `ids`.
    pub(crate) fn set_ids(&mut self, ids: Arc<SessionIds>) {
        self.ids = Some(ids);
    }

    /// Opens the database; if it is corrupt, moves it (and its WAL files) aside and starts a
    /// fresh one. Returns where the old one went, if it was moved.
    pub(crate) fn open_or_recover(path: &Path) -> rusqlite::Result<(Store, Option<PathBuf>)> {
        match Store::open(path) {
            Ok(s) => Ok((s, None)),
            Err(e) if is_corrupt(&e) => {
                let stamp = crate::clock::unix_now();
                let aside = path.with_extension(format!("sqlite.corrupt-{stamp}"));
                std::fs::rename(path, &aside).map_err(|_| e)?;
                for ext in ["-wal", "-shm"] {
                    let mut from = path.as_os_str().to_owned();
                    from.push(ext);
                    let mut to = aside.as_os_str().to_owned();
                    to.push(ext);
                    let _ = std::fs::rename(from, to);
                }
                Ok((Store::open(path)?, Some(aside)))
            }
            Err(e) => Err(e),
        }
    }

    /// Marks sessions left open by a crash as `interrupted`, ending them when last seen.
    pub(crate) fn close_interrupted(&mut self) -> rusqlite::Result<usize> {
        self.conn.execute(
            "UPDATE sessions SET end = MAX(last_seen, start), end_reason = 'interrupted' WHERE end = 0",
            [],
        )
    }

    /// Like `close_interrupted`, but leaves the sessions in `running` open (they are this
    /// run's, re-written into a new or replacement file).
    pub(crate) fn close_interrupted_except(&mut self, running: &[u64]) -> rusqlite::Result<usize> {
        let mut n = 0;
        let open: Vec<i64> = {
            let mut stmt = self.conn.prepare("SELECT id FROM sessions WHERE end = 0")?;
            let ids = stmt.query_map([], |r| r.get(0))?;
            ids.collect::<rusqlite::Result<_>>()?
        };
        for id in open {
            if running.contains(&(id as u64)) {
                continue;
            }
            n += self.conn.execute(
                "UPDATE sessions SET end = MAX(last_seen, start), end_reason = 'interrupted' WHERE id = ?1",
                [id],
            )?;
        }
        Ok(n)
    }

    /// The highest session id in the database; 0 when it has none.
    pub(crate) fn max_session_id(&self) -> rusqlite::Result<u64> {
        let id: Option<i64> = self
            .conn
            .query_row("SELECT MAX(id) FROM sessions", [], |r| r.get(0))
            .optional()?
            .flatten();
        Ok(id.unwrap_or(0) as u64)
    }

    /// Deletes what the retention no longer keeps.
    pub(crate) fn prune(&mut self, r: Retention, now: i64) -> rusqlite::Result<()> {
        let day = 86_400i64;
        if r.detail_days > 0 {
            let before_ms = (now - i64::from(r.detail_days) * day) * 1_000;
            self.conn
                .execute("DELETE FROM intensity WHERE time_ms < ?1", [before_ms])?;
        }
        if r.keep_days > 0 {
            let before = now - i64::from(r.keep_days) * day;
            self.conn.execute(
                "DELETE FROM sessions WHERE start < ?1 AND end != 0",
                [before],
            )?;
            self.conn
                .execute("DELETE FROM faults WHERE time < ?1", [before])?;
            self.conn
                .execute("DELETE FROM clamps WHERE time < ?1", [before])?;
            self.conn
                .execute("DELETE FROM changes WHERE time_ms < ?1", [before * 1_000])?;
            self.conn
                .execute("DELETE FROM intensity WHERE time_ms < ?1", [before * 1_000])?;
        }
        Ok(())
    }

    /// Moves the WAL into the database file.
    pub fn checkpoint(&self) -> rusqlite::Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
    }
}

#[cfg(test)]
mod tests;
