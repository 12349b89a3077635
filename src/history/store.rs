//! The SQLite store behind the history thread: opening (with recovery from a corrupt file),
//! the records, the queries, and knowing whether the file it has open is still the one at its
//! path.

use super::ids::SessionIds;
use super::{
    schema, FaultRow, HistoryError, Op, ProgramSummary, Retention, SessionFigures, SessionRow,
    Summary,
};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Telemetry is committed at most this often.
pub const BATCH_EVERY: Duration = Duration::from_secs(1);

/// A file's identity: its device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    pub dev: u64,
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
pub enum FileState {
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
pub fn compare(opened: FileId, now: std::io::Result<FileId>) -> FileState {
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
struct Files {
    db: Option<FileId>,
    wal: Option<FileId>,
    shm: Option<FileId>,
}

/// `path` with `suffix` appended (`-wal`, `-shm`).
fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

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

    /// Whether the file at the path is still the one this store has open.
    pub fn file_state(&self) -> FileState {
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

    /// Opens the database; if it is corrupt, moves it (and its WAL files) aside and starts a
    /// fresh one. Returns where the old one went, if it was moved.
    pub fn open_or_recover(path: &Path) -> rusqlite::Result<(Store, Option<PathBuf>)> {
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
    pub fn close_interrupted(&mut self) -> rusqlite::Result<usize> {
        self.conn.execute(
            "UPDATE sessions SET end = MAX(last_seen, start), end_reason = 'interrupted' WHERE end = 0",
            [],
        )
    }

    /// Like `close_interrupted`, but leaves the sessions in `running` open (they are this
    /// run's, re-written into a new or replacement file).
    pub fn close_interrupted_except(&mut self, running: &[u64]) -> rusqlite::Result<usize> {
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

    /// Older rows moved to a fresh id since the last call: (id, new id).
    pub(crate) fn take_renumbered(&mut self) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.renumbered)
    }

    /// Inserts a session row. If its id is already in the database:
    /// - the same session (same start, program and profile: this run's, written again into a
    ///   new or replacement file) is left as it is;
    /// - another, older session (only possible when ids were handed out while neither the
    ///   database nor the id counter could be read) is moved to a fresh id, with its
    ///   intensity, fault and clamp rows, so both stay distinct and the running session keeps
    ///   the id its clients were told (`Start`'s answer, `Ended`, `RatePain`).
    fn insert_session(&mut self, r: &SessionRow) -> rusqlite::Result<()> {
        let held: Option<(i64, String, String)> = self
            .conn
            .query_row(
                "SELECT start, program, profile FROM sessions WHERE id = ?1",
                [r.id as i64],
                |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?)),
            )
            .optional()?;
        if let Some((start, program, profile)) = held {
            if start == r.start && program == r.program && profile == r.profile {
                return Ok(());
            }
            let after_db = self.max_session_id()?.saturating_add(1);
            let to = match &self.ids {
                Some(ids) => {
                    ids.at_least(after_db);
                    ids.take()
                }
                None => after_db,
            };
            for sql in [
                "UPDATE sessions SET id = ?1 WHERE id = ?2",
                "UPDATE intensity SET session_id = ?1 WHERE session_id = ?2",
                "UPDATE faults SET session_id = ?1 WHERE session_id = ?2",
                "UPDATE clamps SET session_id = ?1 WHERE session_id = ?2",
            ] {
                self.conn.execute(sql, params![to as i64, r.id as i64])?;
            }
            self.renumbered.push((r.id, to));
        }
        self.conn.execute(
            "INSERT INTO sessions (id, program, profile, placement, start, last_seen, channels, max_intensity, mean_intensity, segments)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9)",
            params![r.id as i64, r.program, r.profile, r.placement, r.start, list_to_json(&r.channels),
                list_to_json(&r.max_intensity), list_to_json(&r.mean_intensity), list_to_json(&r.segments)],
        )?;
        Ok(())
    }

    pub fn max_session_id(&self) -> rusqlite::Result<u64> {
        let id: Option<i64> = self
            .conn
            .query_row("SELECT MAX(id) FROM sessions", [], |r| r.get(0))
            .optional()?
            .flatten();
        Ok(id.unwrap_or(0) as u64)
    }

    /// Deletes what the retention no longer keeps.
    pub fn prune(&mut self, r: Retention, now: i64) -> rusqlite::Result<()> {
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
                .execute("DELETE FROM intensity WHERE time_ms < ?1", [before * 1_000])?;
        }
        Ok(())
    }

    fn set_synchronous(&self, full: bool) -> rusqlite::Result<()> {
        self.conn
            .pragma_update(None, "synchronous", if full { "FULL" } else { "NORMAL" })
    }

    fn write_figures(&self, id: u64, f: &SessionFigures) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE sessions SET max_intensity = ?2, mean_intensity = ?3, segments = ?4 WHERE id = ?1",
            params![
                id as i64,
                list_to_json(&f.max_intensity),
                list_to_json(&f.mean_intensity),
                list_to_json(&f.segments)
            ],
        )?;
        Ok(())
    }

    /// Applies one record or answers one query.
    /// Writes one record (a no-op for queries).
    fn write(&mut self, op: &Op) -> rusqlite::Result<()> {
        match op {
            Op::Started(r) => self.insert_session(r)?,
            Op::Progress { id, time, figures } => {
                self.conn.execute(
                    "UPDATE sessions SET last_seen = ?2 WHERE id = ?1 AND end = 0",
                    params![*id as i64, time],
                )?;
                self.write_figures(*id, figures)?;
            }
            Op::Intensity(i) => {
                self.conn.execute(
                    "INSERT INTO intensity (time_ms, session_id, channel, kind, microamps, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![i.time_ms, i.session_id as i64, i.channel, i.kind, i.microamps, i.actor],
                )?;
            }
            Op::Ended {
                id,
                end,
                reason,
                figures,
            } => {
                self.conn.execute(
                    "UPDATE sessions SET end = ?2, last_seen = ?2, end_reason = ?3 WHERE id = ?1",
                    params![*id as i64, end, reason],
                )?;
                self.write_figures(*id, figures)?;
            }
            Op::Fault(f) => {
                self.conn.execute(
                    "INSERT INTO faults (time, code, message, session_id) VALUES (?1, ?2, ?3, ?4)",
                    params![f.time, f.code, f.message, f.session_id as i64],
                )?;
            }
            Op::ProfileChange(c) => {
                self.conn.execute(
                    "INSERT INTO profile_changes (time, profile, actor, change) VALUES (?1, ?2, ?3, ?4)",
                    params![c.time, c.profile, c.actor, c.change],
                )?;
            }
            Op::Clamp(c) => {
                self.conn.execute(
                    "INSERT INTO clamps (time, session_id, channel, requested_ua, applied_ua, limit_name)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![c.time, c.session_id as i64, c.channel, c.requested, c.applied, c.limit],
                )?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Applies one record or answers one query.
    pub(crate) fn apply(&mut self, op: Op) -> rusqlite::Result<()> {
        if op.is_record() {
            return self.write(&op);
        }
        match op {
            Op::RatePain {
                id,
                before,
                after,
                reply,
            } => {
                let answer = match self.rate_pain(id, before, after) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(HistoryError::NoSuchSession(id)),
                    Err(e) => {
                        tracing::warn!("history: query failed: {e}");
                        Err(HistoryError::Database(e))
                    }
                };
                let _ = reply.send(answer);
            }
            Op::Sessions {
                since,
                until,
                limit,
                reply,
            } => {
                let _ = reply.send(
                    self.sessions(since, until, limit)
                        .map_err(HistoryError::from),
                );
            }
            Op::Faults {
                since,
                limit,
                reply,
            } => {
                let _ = reply.send(self.faults(since, limit).map_err(HistoryError::from));
            }
            Op::Summary {
                since,
                until,
                profile,
                reply,
            } => {
                let now = crate::clock::unix_now();
                let s = self.summary_of(since, until, now, profile.as_deref());
                let _ = reply.send(s.map_err(HistoryError::from));
            }
            Op::Flush { reply } => {
                let _ = reply.send(());
            }
            _ => {}
        }
        Ok(())
    }

    /// Records pain scores; false when no such session exists.
    pub fn rate_pain(&mut self, id: u64, before: u8, after: u8) -> rusqlite::Result<bool> {
        let n = self.conn.execute(
            "UPDATE sessions SET pain_before = ?2, pain_after = ?3 WHERE id = ?1",
            params![id as i64, before, after],
        )?;
        Ok(n > 0)
    }

    pub fn sessions(
        &self,
        since: i64,
        until: i64,
        limit: u32,
    ) -> rusqlite::Result<Vec<SessionRow>> {
        let until = if until == 0 { i64::MAX } else { until };
        let limit = if limit == 0 { -1 } else { i64::from(limit) };
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, program, profile, placement, start, end, end_reason, channels, max_intensity,
                    mean_intensity, segments, pain_before, pain_after
             FROM sessions WHERE start >= ?1 AND start <= ?2 ORDER BY start DESC, id DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![since, until, limit], |r| {
            Ok(SessionRow {
                id: r.get::<_, i64>(0)? as u64,
                program: r.get(1)?,
                profile: r.get(2)?,
                placement: r.get(3)?,
                start: r.get(4)?,
                end: r.get(5)?,
                end_reason: r.get(6)?,
                channels: json_to_list(&r.get::<_, String>(7)?),
                max_intensity: json_to_list(&r.get::<_, String>(8)?),
                mean_intensity: json_to_list(&r.get::<_, String>(9)?),
                segments: json_to_list(&r.get::<_, String>(10)?),
                pain_before: r.get(11)?,
                pain_after: r.get(12)?,
            })
        })?;
        rows.collect()
    }

    pub fn faults(&self, since: i64, limit: u32) -> rusqlite::Result<Vec<FaultRow>> {
        let limit = if limit == 0 { -1 } else { i64::from(limit) };
        let mut stmt = self.conn.prepare_cached(
            "SELECT time, code, message, session_id FROM faults WHERE time >= ?1 ORDER BY time DESC, id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![since, limit], |r| {
            Ok(FaultRow {
                time: r.get(0)?,
                code: r.get(1)?,
                message: r.get(2)?,
                session_id: r.get::<_, i64>(3)? as u64,
            })
        })?;
        rows.collect()
    }

    /// Use over `[since, until]` (0 = unbounded; `now` ends an unbounded period).
    pub fn summary(&self, since: i64, until: i64, now: i64) -> rusqlite::Result<Summary> {
        self.summary_of(since, until, now, None)
    }

    /// The summary of one profile's sessions (`None`: everyone's).
    pub fn summary_of(
        &self,
        since: i64,
        until: i64,
        now: i64,
        profile: Option<&str>,
    ) -> rusqlite::Result<Summary> {
        let until_q = if until == 0 { i64::MAX } else { until };
        let mut stmt = self.conn.prepare_cached(
            "SELECT program, COUNT(*),
                    COALESCE(SUM(CASE WHEN end > start THEN end - start ELSE 0 END), 0),
                    COUNT(pain_before IS NOT NULL AND pain_after IS NOT NULL OR NULL),
                    AVG(CASE WHEN pain_after IS NOT NULL THEN pain_before END),
                    AVG(CASE WHEN pain_before IS NOT NULL THEN pain_after END),
                    MIN(start)
             FROM sessions WHERE start >= ?1 AND start <= ?2 AND (?3 IS NULL OR profile = ?3)
             GROUP BY program ORDER BY COUNT(*) DESC, program",
        )?;
        let mut first = i64::MAX;
        let mut programs = Vec::new();
        let rows = stmt.query_map(params![since, until_q, profile], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<f64>>(4)?,
                r.get::<_, Option<f64>>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        let (mut sessions, mut seconds) = (0u32, 0i64);
        for row in rows {
            let (program, n, secs, rated, before, after, min_start) = row?;
            first = first.min(min_start);
            sessions += n as u32;
            seconds += secs;
            let (b, a) = (before.unwrap_or(0.0), after.unwrap_or(0.0));
            programs.push(ProgramSummary {
                program,
                sessions: n as u32,
                minutes: (secs / 60) as u32,
                rated: rated as u32,
                mean_before: b,
                mean_after: a,
                mean_reduction: if rated > 0 { b - a } else { 0.0 },
            });
        }
        let from = if since > 0 { since } else { first.min(now) };
        let to = if until > 0 { until } else { now };
        let days = if sessions == 0 {
            0
        } else {
            ((to - from).max(0) / 86_400 + 1) as u32
        };
        Ok(Summary {
            sessions,
            minutes: (seconds / 60) as u32,
            days,
            sessions_per_day: if days > 0 {
                f64::from(sessions) / f64::from(days)
            } else {
                0.0
            },
            programs,
        })
    }

    /// Applies one record at once, committed with `synchronous=FULL` (benchmarks).
    pub fn apply_now(&mut self, op: super::Op) -> rusqlite::Result<()> {
        self.set_synchronous(true)?;
        self.apply(op)
    }

    /// Applies records in one transaction, like the writer's telemetry batches (benchmarks).
    pub fn apply_batch(&mut self, batch: &mut Vec<super::Op>) -> rusqlite::Result<()> {
        self.commit_batch(batch, false)
    }

    /// Moves the WAL into the database file.
    pub fn checkpoint(&self) -> rusqlite::Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
    }

    /// Writes records in one transaction (`synchronous=FULL` when `full`). On failure nothing
    /// of it is kept and `batch` is left as it was, to be tried again; on success it is empty.
    pub(crate) fn commit_batch(&mut self, batch: &mut Vec<Op>, full: bool) -> rusqlite::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.set_synchronous(full)?;
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let moved = self.renumbered.len();
        for op in batch.iter() {
            if let Err(e) = self.write(op) {
                let _ = self.conn.execute_batch("ROLLBACK");
                self.renumbered.truncate(moved);
                return Err(e);
            }
        }
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            let _ = self.conn.execute_batch("ROLLBACK");
            self.renumbered.truncate(moved);
            return Err(e);
        }
        batch.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::IntensityRow;

    fn temp_db() -> std::path::PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "stimd-hist-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("history.sqlite")
    }

    fn row(id: u64, start: i64) -> SessionRow {
        SessionRow::starting(id, "low-back", "default", "", start, vec![0, 1])
    }

    fn figures(max: Vec<u32>) -> SessionFigures {
        SessionFigures {
            mean_intensity: max.iter().map(|m| m / 2).collect(),
            max_intensity: max,
            segments: vec!["conventional".into()],
        }
    }

    #[test]
    fn session_round_trip_and_interrupted_on_reopen() {
        let path = temp_db();
        {
            let mut s = Store::open(&path).unwrap();
            s.apply(Op::Started(row(1, 100))).unwrap();
            s.apply(Op::Ended {
                id: 1,
                end: 160,
                reason: "completed".into(),
                figures: figures(vec![5_000, 0]),
            })
            .unwrap();
            s.apply(Op::Started(row(2, 200))).unwrap();
            s.apply(Op::Progress {
                id: 2,
                time: 230,
                figures: figures(vec![1_000, 2_000]),
            })
            .unwrap();
        }
        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.close_interrupted().unwrap(), 1);
        let rows = s.sessions(0, 0, 0).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].id, rows[0].end, rows[0].end_reason.as_str()),
            (2, 230, "interrupted")
        );
        assert_eq!(rows[0].max_intensity, vec![1_000, 2_000]);
        assert_eq!(rows[0].mean_intensity, vec![500, 1_000]);
        assert_eq!(rows[0].segments, vec!["conventional"]);
        assert_eq!((rows[1].id, rows[1].end_reason.as_str()), (1, "completed"));
        assert_eq!(s.max_session_id().unwrap(), 2);
        assert_eq!(s.sessions(150, 0, 0).unwrap().len(), 1);
        assert_eq!(s.sessions(0, 0, 1).unwrap()[0].id, 2);
        let v: i64 = s
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, schema::MIGRATIONS.len());
    }

    #[test]
    fn clamps_are_recorded() {
        let mut s = Store::open(&temp_db()).unwrap();
        s.apply(Op::Clamp(crate::history::ClampRow {
            time: 5,
            session_id: 1,
            channel: 1,
            requested: 80_000,
            applied: 60_000,
            limit: "peak_current".into(),
        }))
        .unwrap();
        let row: (i64, u32, u32, String) = s
            .conn
            .query_row(
                "SELECT session_id, requested_ua, applied_ua, limit_name FROM clamps",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(row, (1, 80_000, 60_000, "peak_current".to_string()));
    }

    #[test]
    fn faults_newest_first() {
        let mut s = Store::open(&temp_db()).unwrap();
        for t in [10, 30, 20] {
            s.apply(Op::Fault(FaultRow {
                time: t,
                code: "overcurrent".into(),
                message: "m".into(),
                session_id: 0,
            }))
            .unwrap();
        }
        let f = s.faults(0, 2).unwrap();
        assert_eq!(f.iter().map(|f| f.time).collect::<Vec<_>>(), vec![30, 20]);
    }

    /// A v1 database with sessions, faults and clamps in it migrates to the current schema
    /// with every row kept, and new columns empty.
    #[test]
    fn migrates_a_populated_v1_database() {
        let path = temp_db();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(schema::MIGRATIONS[0]).unwrap();
            c.pragma_update(None, "user_version", 1).unwrap();
            c.execute_batch(
                "INSERT INTO sessions (id, program, profile, placement, start, end, last_seen, end_reason, channels, max_intensity)
                 VALUES (1, 'low-back', 'default', 'low back', 100, 1900, 1900, 'completed', '[0,1]', '[12000,8000]'),
                        (2, 'low-back', 'default', '', 5000, 0, 5060, '', '[0]', '[3000]');
                 INSERT INTO faults (time, code, message, session_id) VALUES (150, 'overcurrent', 'x', 1);
                 INSERT INTO clamps (time, session_id, channel, requested_ua, applied_ua, limit_name) VALUES (120, 1, 0, 80000, 60000, 'peak_current');",
            )
            .unwrap();
        }
        let mut s = Store::open(&path).unwrap();
        let v: i64 = s
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, schema::MIGRATIONS.len());
        assert_eq!(s.close_interrupted().unwrap(), 1);
        let rows = s.sessions(0, 0, 0).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].id, rows[1].placement.as_str()), (1, "low back"));
        assert_eq!(rows[1].max_intensity, vec![12_000, 8_000]);
        assert_eq!(
            (rows[1].pain_before, rows[1].mean_intensity.len()),
            (None, 0)
        );
        assert_eq!(
            (rows[0].end, rows[0].end_reason.as_str()),
            (5060, "interrupted")
        );
        assert_eq!(s.faults(0, 0).unwrap().len(), 1);
        assert!(s.rate_pain(1, 7, 3).unwrap());
        assert_eq!(s.sessions(0, 0, 0).unwrap()[1].pain_after, Some(3));
    }

    #[test]
    fn a_corrupt_database_is_moved_aside_and_a_fresh_one_started() {
        let path = temp_db();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, vec![0x5au8; 8192]).unwrap();
        let (mut s, aside) = Store::open_or_recover(&path).unwrap();
        let aside = aside.expect("moved aside");
        assert!(aside.exists(), "{}", aside.display());
        assert_eq!(
            std::fs::read(&aside).unwrap(),
            vec![0x5au8; 8192],
            "kept as it was"
        );
        s.apply(Op::Started(row(1, 10))).unwrap();
        assert_eq!(s.sessions(0, 0, 0).unwrap().len(), 1);
    }

    #[test]
    fn summary_counts_minutes_and_pain_reduction_per_program() {
        let mut s = Store::open(&temp_db()).unwrap();
        let day = 86_400;
        for (id, program, start, minutes, pain) in [
            (1, "low-back", 0, 30, Some((7, 3))),
            (2, "low-back", day, 20, Some((6, 4))),
            (3, "massage", day + 3_600, 30, None),
            (4, "massage", 2 * day, 10, Some((5, 5))),
        ] {
            let mut r = row(id, start);
            r.program = program.into();
            s.apply(Op::Started(r)).unwrap();
            s.apply(Op::Ended {
                id,
                end: start + minutes * 60,
                reason: "completed".into(),
                figures: figures(vec![1, 1]),
            })
            .unwrap();
            if let Some((b, a)) = pain {
                assert!(s.rate_pain(id, b, a).unwrap());
            }
        }
        assert!(!s.rate_pain(99, 1, 1).unwrap());
        let sum = s.summary(0, 0, 2 * day + 7_200).unwrap();
        assert_eq!((sum.sessions, sum.minutes, sum.days), (4, 90, 3));
        assert!((sum.sessions_per_day - 4.0 / 3.0).abs() < 1e-9);
        let lb = &sum.programs[0];
        assert_eq!(
            (lb.program.as_str(), lb.sessions, lb.minutes, lb.rated),
            ("low-back", 2, 50, 2)
        );
        assert!((lb.mean_reduction - 3.0).abs() < 1e-9, "{lb:?}");
        let m = &sum.programs[1];
        assert_eq!((m.program.as_str(), m.sessions, m.rated), ("massage", 2, 1));
        assert!(m.mean_reduction.abs() < 1e-9);
        let first_day = s.summary(0, day - 1, 0).unwrap();
        assert_eq!((first_day.sessions, first_day.days), (1, 1));
    }

    #[test]
    fn retention_drops_old_detail_first_and_old_sessions_when_asked() {
        let mut s = Store::open(&temp_db()).unwrap();
        let day = 86_400i64;
        let now = 1_000 * day;
        for (id, start) in [(1, now - 900 * day), (2, now - 10 * day)] {
            s.apply(Op::Started(row(id, start))).unwrap();
            s.apply(Op::Ended {
                id,
                end: start + 60,
                reason: "completed".into(),
                figures: figures(vec![1, 1]),
            })
            .unwrap();
            s.apply(Op::Intensity(IntensityRow {
                time_ms: start * 1_000,
                session_id: id,
                channel: 0,
                kind: "target",
                microamps: 5_000,
                actor: "uid:1000".into(),
            }))
            .unwrap();
        }
        let count = |s: &Store, t: &str| -> i64 {
            s.conn
                .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                .unwrap()
        };
        s.prune(Retention::default(), now).unwrap();
        assert_eq!(
            (count(&s, "sessions"), count(&s, "intensity")),
            (2, 1),
            "sessions kept, 2-year-old detail gone"
        );
        s.prune(
            Retention {
                keep_days: 365,
                detail_days: 730,
            },
            now,
        )
        .unwrap();
        assert_eq!(count(&s, "sessions"), 1);
    }

    #[test]
    fn the_file_at_the_path_is_compared_with_the_one_open() {
        let a = FileId { dev: 1, ino: 10 };
        assert_eq!(compare(a, Ok(a)), FileState::Same);
        assert_eq!(
            compare(a, Ok(FileId { dev: 1, ino: 11 })),
            FileState::Replaced
        );
        assert_eq!(
            compare(a, Ok(FileId { dev: 2, ino: 10 })),
            FileState::Replaced
        );
        let gone = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(compare(a, Err(gone)), FileState::Gone);
        let not_dir = std::io::Error::from_raw_os_error(libc::ENOTDIR);
        assert_eq!(
            compare(a, Err(not_dir)),
            FileState::Gone,
            "dir became a file"
        );
        let denied = std::io::Error::from_raw_os_error(libc::EACCES);
        assert!(matches!(compare(a, Err(denied)), FileState::Unknown(_)));
    }

    #[test]
    fn a_store_knows_when_its_file_is_deleted_or_replaced() {
        let path = temp_db();
        let s = Store::open(&path).unwrap();
        assert_eq!(s.file_state(), FileState::Same);
        let other = path.with_file_name("other.sqlite");
        drop(Store::open(&other).unwrap());
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(s.file_state(), FileState::Replaced);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
        assert_eq!(s.file_state(), FileState::Gone);
        s.abandon();
    }

    /// The same session written again (into a new file after the old one was lost) is left as
    /// it is; only sessions of an earlier run are closed as interrupted on a reopen.
    #[test]
    fn writing_a_session_again_is_harmless_and_running_ones_stay_open() {
        let mut s = Store::open(&temp_db()).unwrap();
        s.apply(Op::Started(row(1, 100))).unwrap();
        s.apply(Op::Started(row(2, 200))).unwrap();
        s.apply(Op::Started(row(2, 200))).unwrap();
        assert!(s.take_renumbered().is_empty());
        assert_eq!(s.sessions(0, 0, 0).unwrap().len(), 2);
        assert_eq!(s.close_interrupted_except(&[2]).unwrap(), 1);
        let rows = s.sessions(0, 0, 0).unwrap();
        assert_eq!(
            (rows[0].end_reason.as_str(), rows[1].end_reason.as_str()),
            ("", "interrupted")
        );
    }
}
