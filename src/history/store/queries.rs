//! Answering queries: the sessions and faults of a period, pain ratings, and the summary of a
//! period per program.

use super::{json_to_list, Store};
use crate::history::{FaultRow, HistoryError, Op, ProgramSummary, SessionRow, Summary};
use rusqlite::params;

impl Store {
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
            Op::Changes {
                since,
                until,
                limit,
                reply,
            } => {
                let _ = reply.send(
                    self.changes(since, until, limit)
                        .map_err(HistoryError::from),
                );
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

    /// Sessions started in `[since, until]` (Unix s, 0 = unbounded), newest first, at most
    /// `limit` (0 = all).
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
                    mean_intensity, segments, pain_before, pain_after,
                    COALESCE(stimulated_s, CASE WHEN end > 0 THEN MAX(end - start, 0) ELSE 0 END)
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
                stimulated_s: r.get(13)?,
            })
        })?;
        rows.collect()
    }

    /// Faults since `since` (Unix s, 0 = unbounded), newest first, at most `limit` (0 = all).
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
    pub(crate) fn summary_of(
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
}
