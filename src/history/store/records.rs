//! Writing records: a session row (moving an older row that holds its id), the updates of a
//! running session, intensity changes, faults, clamps, profile changes and the other changes
//! of the audit trail; each batch in one transaction, rolled back whole on failure.

use super::{list_to_json, Store};
use crate::history::{Op, SessionFigures, SessionRow};
use rusqlite::{params, OptionalExtension};

impl Store {
    /// Older rows moved to a fresh id since the last call: (id, new id).
    pub(crate) fn take_renumbered(&mut self) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.renumbered)
    }

    /// Inserts a session row. If its id is already in the database:
    /// - the same session (same start, program and profile: this run's, written again into a
    ///   new or replacement file) is left as it is;
    /// - another, older session (only possible when ids were handed out while neither the
    ///   database nor the id counter could be read) is moved to a fresh id, with its
    ///   intensity, fault, clamp and change rows, so both stay distinct and the running session keeps
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
                "UPDATE changes SET session_id = ?1 WHERE session_id = ?2",
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

    pub(super) fn set_synchronous(&self, full: bool) -> rusqlite::Result<()> {
        self.conn
            .pragma_update(None, "synchronous", if full { "FULL" } else { "NORMAL" })
    }

    fn write_figures(&self, id: u64, f: &SessionFigures) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE sessions SET max_intensity = ?2, mean_intensity = ?3, segments = ?4, stimulated_s = ?5 WHERE id = ?1",
            params![
                id as i64,
                list_to_json(&f.max_intensity),
                list_to_json(&f.mean_intensity),
                list_to_json(&f.segments),
                f.stimulated_s
            ],
        )?;
        Ok(())
    }

    /// Writes one record (a no-op for queries), inside the caller's transaction.
    pub(super) fn write(&mut self, op: &Op) -> rusqlite::Result<()> {
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
                    "INSERT INTO profile_changes (time, profile, actor, change, kind) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![c.time, c.profile, c.actor, c.change, c.kind],
                )?;
            }
            Op::Change(c) => {
                self.conn.execute(
                    "INSERT INTO changes (time_ms, session_id, actor, kind, channel, from_ua, to_ua, profile, detail)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![c.time_ms, c.session_id as i64, c.actor, c.kind, c.channel, c.from, c.to, c.profile, c.detail],
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

    /// Applies one record at once, committed with `synchronous=FULL` (benchmarks).
    pub fn apply_now(&mut self, op: Op) -> rusqlite::Result<()> {
        self.set_synchronous(true)?;
        self.apply(op)
    }

    /// Applies records in one transaction, like the writer's telemetry batches (benchmarks).
    pub fn apply_batch(&mut self, batch: &mut Vec<Op>) -> rusqlite::Result<()> {
        self.commit_batch(batch, false)
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
