//! The audit trail (`History.Changes`): one list, newest first, read from where each change is
//! kept — the intensity changes (with the channel's previous target or level in its session),
//! the clamps (a limit held a request down), the profile changes, and the `changes` table
//! (pad sets replaced, custom programs added and removed).

use super::Store;
use crate::history::ChangeRow;
use rusqlite::params;

/// Every source in one query; `src` and `rid` only order rows of the same millisecond (the
/// later source and the later row first).
const CHANGES: &str = "
SELECT time_ms, session, actor, kind, channel, from_ua, to_ua, profile, detail FROM (
    SELECT i.time_ms AS time_ms, 1 AS src, i.id AS rid, i.session_id AS session, i.actor AS actor,
           CASE i.kind WHEN 'target' THEN 'intensity' ELSE i.kind END AS kind,
           i.channel AS channel,
           COALESCE((SELECT p.microamps FROM intensity p
                     WHERE p.session_id = i.session_id AND p.channel = i.channel AND p.kind = i.kind
                       AND (p.time_ms < i.time_ms OR (p.time_ms = i.time_ms AND p.id < i.id))
                     ORDER BY p.time_ms DESC, p.id DESC LIMIT 1), 0) AS from_ua,
           i.microamps AS to_ua, COALESCE(s.profile, '') AS profile, '' AS detail
    FROM intensity i LEFT JOIN sessions s ON s.id = i.session_id
    WHERE i.time_ms >= ?1 AND i.time_ms <= ?2
    UNION ALL
    SELECT c.time * 1000, 2, c.id, c.session_id, 'safety', 'clamp', c.channel, c.requested_ua,
           c.applied_ua, COALESCE(s.profile, ''), c.limit_name
    FROM clamps c LEFT JOIN sessions s ON s.id = c.session_id
    WHERE c.time >= ?3 AND c.time <= ?4
    UNION ALL
    SELECT time * 1000, 3, id, 0, actor, kind, 0, 0, 0, profile, change
    FROM profile_changes WHERE time >= ?3 AND time <= ?4
    UNION ALL
    SELECT time_ms, 4, id, session_id, actor, kind, channel, from_ua, to_ua, profile, detail
    FROM changes WHERE time_ms >= ?1 AND time_ms <= ?2
) ORDER BY time_ms DESC, src DESC, rid DESC LIMIT ?5";

impl Store {
    /// The audit trail over `[since, until]` (Unix s, 0 = unbounded; `until`'s whole second
    /// included), newest first, at most `limit` (0 = all).
    pub fn changes(&self, since: i64, until: i64, limit: u32) -> rusqlite::Result<Vec<ChangeRow>> {
        let until = if until <= 0 {
            i64::MAX / 1_000 - 1
        } else {
            until
        };
        let since = since.max(0);
        let limit = if limit == 0 { -1 } else { i64::from(limit) };
        let mut stmt = self.conn.prepare_cached(CHANGES)?;
        let rows = stmt.query_map(
            params![
                since.saturating_mul(1_000),
                until.saturating_mul(1_000).saturating_add(999),
                since,
                until,
                limit
            ],
            |r| {
                Ok(ChangeRow {
                    time_ms: r.get(0)?,
                    session_id: r.get::<_, i64>(1)?.max(0) as u64,
                    actor: r.get(2)?,
                    kind: r.get(3)?,
                    channel: r.get(4)?,
                    from: r.get(5)?,
                    to: r.get(6)?,
                    profile: r.get(7)?,
                    detail: r.get(8)?,
                })
            },
        )?;
        rows.collect()
    }
}

#[cfg(test)]
#[path = "changes_tests.rs"]
mod tests;
