//! Schema migrations, applied in order; `PRAGMA user_version` records how many ran.

/// Each entry migrates from version `i` to `i + 1`. Never edit a shipped entry: add one.
pub const MIGRATIONS: &[&str] = &[
    // v1: sessions, faults, clamps.
    "CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        program TEXT NOT NULL,
        profile TEXT NOT NULL,
        placement TEXT NOT NULL DEFAULT '',
        start INTEGER NOT NULL,
        end INTEGER NOT NULL DEFAULT 0,
        last_seen INTEGER NOT NULL,
        end_reason TEXT NOT NULL DEFAULT '',
        channels TEXT NOT NULL,
        max_intensity TEXT NOT NULL
    );
    CREATE INDEX sessions_start ON sessions(start);
    CREATE TABLE faults (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        session_id INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX faults_time ON faults(time);
    CREATE TABLE clamps (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        session_id INTEGER NOT NULL,
        channel INTEGER NOT NULL,
        requested_ua INTEGER NOT NULL,
        applied_ua INTEGER NOT NULL,
        limit_name TEXT NOT NULL
    );",
    // v2: what a person and their therapist need to see what helps: the segments run, the
    // mean intensity, pain before and after; every intensity change with its actor.
    "ALTER TABLE sessions ADD COLUMN segments TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE sessions ADD COLUMN mean_intensity TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE sessions ADD COLUMN pain_before INTEGER;
    ALTER TABLE sessions ADD COLUMN pain_after INTEGER;
    CREATE INDEX clamps_time ON clamps(time);
    CREATE TABLE intensity (
        id INTEGER PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        session_id INTEGER NOT NULL,
        channel INTEGER NOT NULL,
        kind TEXT NOT NULL,
        microamps INTEGER NOT NULL,
        actor TEXT NOT NULL
    );
    CREATE INDEX intensity_session ON intensity(session_id, time_ms);",
    // v3: who changed a person's limits, answers or approval, and when.
    "CREATE TABLE profile_changes (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        profile TEXT NOT NULL,
        actor TEXT NOT NULL,
        change TEXT NOT NULL
    );",
    // v4: seconds of stimulation at a non-zero level, what the dose guidance counts (NULL for
    // sessions recorded before: read as their whole duration).
    "ALTER TABLE sessions ADD COLUMN stimulated_s INTEGER;",
    // v5: the audit trail over the bus (`History.Changes`): a stable kind for each profile
    // change (rows from before: read from their text), the changes not kept elsewhere (pad
    // sets replaced, custom programs added and removed), and indexes to read them by time.
    "ALTER TABLE profile_changes ADD COLUMN kind TEXT NOT NULL DEFAULT 'profile';
    UPDATE profile_changes SET kind = CASE
        WHEN change LIKE 'created (%' THEN 'profile_created'
        WHEN change LIKE 'limits:%' THEN 'profile_limits'
        WHEN change = 'removed' THEN 'profile_removed'
        WHEN change LIKE 'contraindication check:%' THEN 'screening'
        WHEN change LIKE 'refused contraindication check%' THEN 'screening_refused'
        WHEN change LIKE 'approved despite%' THEN 'approval'
        ELSE 'profile' END;
    CREATE INDEX profile_changes_time ON profile_changes(time);
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        session_id INTEGER NOT NULL DEFAULT 0,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        channel INTEGER NOT NULL DEFAULT 0,
        from_ua INTEGER NOT NULL DEFAULT 0,
        to_ua INTEGER NOT NULL DEFAULT 0,
        profile TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX changes_time ON changes(time_ms);
    CREATE INDEX intensity_time ON intensity(time_ms);",
];

pub fn migrate(conn: &mut rusqlite::Connection) -> rusqlite::Result<()> {
    let version: usize =
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!("history: schema migrated to version {}", i + 1);
    }
    Ok(())
}
