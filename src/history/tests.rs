//! The handle: a flush waits for earlier records, and a database that cannot be opened never
//! makes a writer wait.

use super::*;
use std::path::Path;
use std::time::{Duration, Instant};

#[tokio::test]
async fn flush_returns_once_earlier_records_are_written() {
    let dir = std::env::temp_dir().join(format!("stimd-flush-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (h, _) = HistoryHandle::open(&dir, Retention::default());
    for id in 1..=50 {
        h.session_started(SessionRow::starting(
            id,
            "low-back",
            "default",
            "",
            id as i64,
            vec![0],
        ));
        h.session_ended(
            id,
            id as i64 + 1,
            "stopped".into(),
            SessionFigures::default(),
        );
    }
    assert!(h.flush(Duration::from_secs(10)).await);
    // Read the file directly, not through the same queue.
    let rows = Store::open(&dir.join("history.sqlite"))
        .unwrap()
        .sessions(0, 0, 0)
        .unwrap();
    assert_eq!(rows.len(), 50);
    assert!(rows.iter().all(|r| r.end_reason == "stopped"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A database that cannot be opened costs the history, never the caller's time: records are
/// accepted (and dropped) without waiting, and queries fail with a named reason.
#[tokio::test]
async fn unavailable_database_never_blocks_writers() {
    let (h, max) = HistoryHandle::open(Path::new("/proc/stimd-no-such-dir"), Retention::default());
    assert_eq!(max, 0);
    let start = Instant::now();
    for id in 0..5_000 {
        h.session_progress(id, 0, SessionFigures::default());
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "writers waited on the history"
    );
    let e = h.sessions(0, 0, 0).await.unwrap_err();
    assert!(
        matches!(e, HistoryError::Closed { .. } | HistoryError::Busy),
        "{e}"
    );
    assert!(e.to_string().contains("unavailable"), "{e}");
    assert!(h.status().borrow().starts_with("unavailable: cannot open"));
}
