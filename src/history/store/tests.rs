//! The store on real files: round trips, migration of a v1 database, recovery from a corrupt
//! file, summaries, retention, and knowing when its file was deleted or replaced.

use super::file::{compare, FileId};
use super::*;
use crate::history::{ClampRow, FaultRow, IntensityRow, Op, SessionFigures, SessionRow};
use rusqlite::Connection;

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
        stimulated_s: 0,
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
fn stimulation_time_is_kept_and_older_rows_count_their_whole_duration() {
    let mut s = Store::open(&temp_db()).unwrap();
    s.apply(Op::Started(row(1, 100))).unwrap();
    let mut f = figures(vec![4_000, 4_000]);
    f.stimulated_s = 42;
    s.apply(Op::Progress {
        id: 1,
        time: 150,
        figures: f,
    })
    .unwrap();
    assert_eq!(s.sessions(0, 0, 0).unwrap()[0].stimulated_s, 42);
    // A session recorded before stimulation time was kept counts as stimulating throughout.
    s.conn
        .execute("UPDATE sessions SET stimulated_s = NULL, end = 400", [])
        .unwrap();
    assert_eq!(s.sessions(0, 0, 0).unwrap()[0].stimulated_s, 300);
}

#[test]
fn clamps_are_recorded() {
    let mut s = Store::open(&temp_db()).unwrap();
    s.apply(Op::Clamp(ClampRow {
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
