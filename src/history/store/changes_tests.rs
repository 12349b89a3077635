//! The audit trail on a real SQLite file: every source in one list, newest first, with the
//! previous level as `from`, the period and limit honoured, and the kinds of profile changes
//! recorded before v5 read from their text.

use super::super::schema;
use super::Store;
use crate::history::{
    ChangeRow, ClampRow, IntensityRow, Op, ProfileChangeRow, Retention, SessionRow,
};
use rusqlite::Connection;

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("stimd-changes-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("history.sqlite")
}

fn intensity(time_ms: i64, kind: &'static str, ua: u32, actor: &str) -> Op {
    Op::Intensity(IntensityRow {
        time_ms,
        session_id: 1,
        channel: 0,
        kind,
        microamps: ua,
        actor: actor.into(),
    })
}

fn pads(time_ms: i64, channel: u32) -> Op {
    Op::Change(ChangeRow {
        time_ms,
        session_id: 0,
        actor: "uid:1000".into(),
        kind: "pads_replaced".into(),
        channel,
        from: 0,
        to: 0,
        profile: String::new(),
        detail: "12 sessions, 360 minutes".into(),
    })
}

fn summary(rows: &[ChangeRow]) -> Vec<(i64, &str, &str, u32, u32)> {
    rows.iter()
        .map(|r| (r.time_ms, r.kind.as_str(), r.actor.as_str(), r.from, r.to))
        .collect()
}

#[test]
fn every_change_newest_first_with_the_previous_level() {
    let path = temp_db("all");
    let mut s = Store::open(&path).unwrap();
    s.apply(Op::Started(SessionRow::starting(
        1,
        "low-back",
        "oma",
        "",
        100,
        vec![0],
    )))
    .unwrap();
    for op in [
        intensity(100_000, "target", 3_000, "uid:1000"),
        intensity(101_000, "level", 1_000, "ramp"),
        intensity(102_000, "level", 3_000, "ramp"),
        intensity(103_500, "target", 3_500, "button"),
        pads(104_000, 1),
        Op::Clamp(ClampRow {
            time: 105,
            session_id: 1,
            channel: 0,
            requested: 90_000,
            applied: 40_000,
            limit: "profile_max".into(),
        }),
        Op::ProfileChange(ProfileChangeRow {
            time: 106,
            profile: "oma".into(),
            actor: "uid:0".into(),
            kind: "profile_limits",
            change: "limits: max_intensity_ua [40000]".into(),
        }),
    ] {
        s.apply(op).unwrap();
    }
    let all = s.changes(0, 0, 0).unwrap();
    assert_eq!(
        summary(&all),
        vec![
            (106_000, "profile_limits", "uid:0", 0, 0),
            (105_000, "clamp", "safety", 90_000, 40_000),
            (104_000, "pads_replaced", "uid:1000", 0, 0),
            (103_500, "intensity", "button", 3_000, 3_500),
            (102_000, "level", "ramp", 1_000, 3_000),
            (101_000, "level", "ramp", 0, 1_000),
            (100_000, "intensity", "uid:1000", 0, 3_000),
        ]
    );
    assert_eq!((all[0].profile.as_str(), all[0].session_id), ("oma", 0));
    assert_eq!(all[0].detail, "limits: max_intensity_ua [40000]");
    assert_eq!(
        (all[1].detail.as_str(), all[1].session_id),
        ("profile_max", 1)
    );
    assert_eq!((all[2].channel, all[2].time()), (1, 104));
    assert_eq!((all[3].profile.as_str(), all[3].session_id), ("oma", 1));

    // The period is in whole seconds, both ends included; the limit keeps the newest.
    let mid = s.changes(102, 104, 0).unwrap();
    assert_eq!(
        mid.iter().map(|r| r.time_ms).collect::<Vec<_>>(),
        vec![104_000, 103_500, 102_000]
    );
    assert_eq!(summary(&s.changes(0, 0, 2).unwrap()), summary(&all[..2]));
    assert_eq!(s.changes(101, 0, 1).unwrap()[0].time_ms, 106_000);
    assert!(s.changes(107, 0, 0).unwrap().is_empty());
    // The previous level comes from before the period too.
    assert_eq!(s.changes(103, 103, 0).unwrap()[0].from, 3_000);

    // Kept across a reopen; pruned with the sessions.
    drop(s);
    let mut s = Store::open(&path).unwrap();
    assert_eq!(s.changes(0, 0, 0).unwrap(), all);
    s.prune(
        Retention {
            keep_days: 1,
            detail_days: 0,
        },
        86_400 + 104,
    )
    .unwrap();
    let kept = s.changes(0, 0, 0).unwrap();
    assert!(
        kept.iter().all(|r| r.time_ms >= 104_000) && kept.len() == 3,
        "{kept:?}"
    );
}

/// A v4 database's profile changes get their kind from their text; new changes can be
/// written beside them.
#[test]
fn profile_changes_of_a_v4_database_get_their_kinds() {
    let path = temp_db("v4");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        let c = Connection::open(&path).unwrap();
        for m in &schema::MIGRATIONS[..4] {
            c.execute_batch(m).unwrap();
        }
        c.pragma_update(None, "user_version", 4).unwrap();
        c.execute_batch(
            "INSERT INTO profile_changes (time, profile, actor, change) VALUES
               (1, 'oma', 'uid:0', 'created (max_intensity_ua [20000], electrode_area_cm2 16)'),
               (2, 'oma', 'uid:0', 'limits: max_intensity_ua [30000]'),
               (3, 'oma', 'uid:1000', 'contraindication check: yes to [pacemaker]'),
               (4, 'oma', 'uid:1000', 'refused contraindication check: NotPermitted'),
               (5, 'oma', 'uid:0', 'approved despite [pacemaker]: dr. Jansen'),
               (6, 'oma', 'uid:0', 'removed'),
               (7, 'oma', 'uid:0', 'something else');",
        )
        .unwrap();
    }
    let mut s = Store::open(&path).unwrap();
    s.apply(pads(8_000, 0)).unwrap();
    let kinds: Vec<String> = s
        .changes(0, 0, 0)
        .unwrap()
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            "pads_replaced",
            "profile",
            "profile_removed",
            "approval",
            "screening_refused",
            "screening",
            "profile_limits",
            "profile_created"
        ]
    );
}

/// A session row moved to a fresh id takes its changes with it.
#[test]
fn a_renumbered_session_keeps_its_changes() {
    let mut s = Store::open(&temp_db("renumber")).unwrap();
    s.apply(Op::Started(SessionRow::starting(
        1,
        "a",
        "x",
        "",
        10,
        vec![0],
    )))
    .unwrap();
    let mut c = match pads(11_000, 0) {
        Op::Change(c) => c,
        _ => unreachable!(),
    };
    c.session_id = 1;
    s.apply(Op::Change(c)).unwrap();
    s.apply(Op::Started(SessionRow::starting(
        1,
        "b",
        "y",
        "",
        20,
        vec![0],
    )))
    .unwrap();
    let moved = s.take_renumbered();
    assert_eq!(moved.len(), 1);
    assert_eq!(s.changes(0, 0, 0).unwrap()[0].session_id, moved[0].1);
}
