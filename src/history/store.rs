//! The SQLite store behind the history thread.

use super::{schema, FaultRow, Op, SessionRow};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::mpsc;

pub struct Store {
    conn: Connection,
}

fn list_to_json(v: &[u32]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn json_to_list(s: &str) -> Vec<u32> {
    serde_json::from_str(s).unwrap_or_default()
}

impl Store {
    pub fn open(path: &Path) -> rusqlite::Result<Store> {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_millis(200))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        schema::migrate(&mut conn)?;
        Ok(Store { conn })
    }

    /// Marks sessions left open by a crash as `interrupted`, ending them when last seen.
    pub fn close_interrupted(&mut self) -> rusqlite::Result<usize> {
        self.conn.execute(
            "UPDATE sessions SET end = MAX(last_seen, start), end_reason = 'interrupted' WHERE end = 0",
            [],
        )
    }

    pub fn max_session_id(&self) -> rusqlite::Result<u64> {
        let id: Option<i64> = self
            .conn
            .query_row("SELECT MAX(id) FROM sessions", [], |r| r.get(0))
            .optional()?
            .flatten();
        Ok(id.unwrap_or(0) as u64)
    }

    pub(crate) fn apply(&mut self, op: Op) -> rusqlite::Result<()> {
        match op {
            Op::Started(r) => {
                self.conn.execute(
                    "INSERT INTO sessions (id, program, profile, placement, start, last_seen, channels, max_intensity)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7)",
                    params![r.id as i64, r.program, r.profile, r.placement, r.start, list_to_json(&r.channels), list_to_json(&r.max_intensity)],
                )?;
            }
            Op::Progress {
                id,
                time,
                max_intensity,
            } => {
                self.conn.execute(
                    "UPDATE sessions SET last_seen = ?2, max_intensity = ?3 WHERE id = ?1 AND end = 0",
                    params![id as i64, time, list_to_json(&max_intensity)],
                )?;
            }
            Op::Ended {
                id,
                end,
                reason,
                max_intensity,
            } => {
                self.conn.execute(
                    "UPDATE sessions SET end = ?2, last_seen = ?2, end_reason = ?3, max_intensity = ?4 WHERE id = ?1",
                    params![id as i64, end, reason, list_to_json(&max_intensity)],
                )?;
            }
            Op::Fault(f) => {
                self.conn.execute(
                    "INSERT INTO faults (time, code, message, session_id) VALUES (?1, ?2, ?3, ?4)",
                    params![f.time, f.code, f.message, f.session_id as i64],
                )?;
            }
            Op::Clamp(c) => {
                self.conn.execute(
                    "INSERT INTO clamps (time, session_id, channel, requested_ua, applied_ua, limit_name)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![c.time, c.session_id as i64, c.channel, c.requested, c.applied, c.limit],
                )?;
            }
            Op::Sessions {
                since,
                until,
                limit,
                reply,
            } => {
                let _ = reply.send(
                    self.sessions(since, until, limit)
                        .map_err(|e| e.to_string()),
                );
            }
            Op::Faults {
                since,
                limit,
                reply,
            } => {
                let _ = reply.send(self.faults(since, limit).map_err(|e| e.to_string()));
            }
            Op::Flush { reply } => {
                let _ = reply.send(());
            }
        }
        Ok(())
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
            "SELECT id, program, profile, placement, start, end, end_reason, channels, max_intensity
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
}

/// The history thread: applies records until every handle is gone.
pub(super) fn serve(store: Result<Store, String>, rx: mpsc::Receiver<Op>) {
    let mut store = store;
    for op in rx {
        match &mut store {
            Ok(s) => {
                if let Err(e) = s.apply(op) {
                    tracing::warn!("history: write failed: {e}");
                }
            }
            Err(reason) => match op {
                Op::Sessions { reply, .. } => {
                    let _ = reply.send(Err(format!("history unavailable: {reason}")));
                }
                Op::Faults { reply, .. } => {
                    let _ = reply.send(Err(format!("history unavailable: {reason}")));
                }
                _ => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        SessionRow {
            id,
            program: "low-back".into(),
            profile: "default".into(),
            placement: String::new(),
            start,
            end: 0,
            end_reason: String::new(),
            channels: vec![0, 1],
            max_intensity: vec![0, 0],
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
                max_intensity: vec![5_000, 0],
            })
            .unwrap();
            s.apply(Op::Started(row(2, 200))).unwrap();
            s.apply(Op::Progress {
                id: 2,
                time: 230,
                max_intensity: vec![1_000, 2_000],
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
}
