//! The handle on the history thread: opening the database at start-up (recovering what a
//! crash or a corrupt file left), sending records without ever waiting, and asking queries.

use super::ids;
use super::writer;
use super::{
    ChangeRow, ClampRow, FaultRow, HistoryError, IntensityRow, Op, ProfileChangeRow, Reply,
    Retention, SessionFigures, SessionRow, Store, Summary, DB_FILE, STATUS_OK,
};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use tokio::sync::{oneshot, watch};

/// Records and queries that may wait for the history thread; beyond, records are dropped and
/// queries answered `Busy`.
const QUEUE: usize = 1024;

/// A cloneable, never-blocking handle on the history thread.
#[derive(Clone)]
pub struct HistoryHandle {
    /// The queue to the history thread.
    tx: mpsc::SyncSender<Op>,
    /// Records dropped because the queue was full.
    dropped: Arc<AtomicU64>,
    /// `ok`, `degraded: …`, `recovered: …` or `unavailable: …`; written by the history thread
    /// and by `send` when it drops a record.
    status: Arc<watch::Sender<String>>,
    /// The session id allocator, shared with the history thread.
    ids: Arc<ids::SessionIds>,
}

impl HistoryHandle {
    /// Opens (or creates) `dir/history.sqlite` — moving a corrupt one aside —, closes sessions a
    /// crash left open as `interrupted`, prunes by `retention`, and starts the writer thread.
    ///
    /// Returns the handle and the highest session id taken so far: the highest in the
    /// database and below the persisted counter (`dir/next-session-id`), so `+ 1` is safe even
    /// when the database cannot be opened now. Better still, take each id from
    /// [`HistoryHandle::next_session_id`], which also stays above a database that opens later.
    ///
    /// If the database cannot be opened the daemon still runs: the error is logged and shown in
    /// `status`, queries fail with it, records wait in memory (bounded) and the history thread
    /// tries again every few seconds, writing them once it opens.
    pub fn open(dir: &Path, retention: Retention) -> (HistoryHandle, u64) {
        let path = dir.join(DB_FILE);
        let (status, _) = watch::channel(STATUS_OK.to_string());
        let status = Arc::new(status);
        let mut counter = ids::Counter::new(dir);
        let counted = match counter.read() {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(
                    "history: the session id counter {} is not used: {e}",
                    counter.path().display()
                );
                None
            }
        };
        let (store, db_max) = match Store::open_or_recover(&path) {
            Ok((mut s, recovered)) => {
                if let Some(aside) = recovered {
                    let msg = format!(
                        "recovered: the history database was unreadable and was moved aside to {}; a new one was started",
                        aside.display()
                    );
                    tracing::error!("history: {msg}");
                    status.send_replace(msg);
                }
                match s.close_interrupted() {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!("history: {n} session(s) cut short by a crash or power loss marked interrupted"),
                    Err(e) => tracing::warn!("history: cannot close interrupted sessions: {e}"),
                }
                if let Err(e) = s.prune(retention, crate::clock::unix_now()) {
                    tracing::warn!("history: cannot apply the retention: {e}");
                }
                let max = match s.max_session_id() {
                    Ok(m) => Some(m),
                    Err(e) => {
                        tracing::warn!("history: cannot read the highest session id: {e}");
                        None
                    }
                };
                (Ok(s), max)
            }
            Err(e) => {
                let msg = writer::unavailable_text(&path, &e.to_string());
                tracing::error!("history: {msg}");
                status.send_replace(msg);
                (Err(e), None)
            }
        };
        let first = ids::first_free(db_max, counted);
        if store.is_ok() {
            if let Err(e) = counter.store(first) {
                tracing::warn!(
                    "history: cannot store the session id counter {}: {e}",
                    counter.path().display()
                );
            }
        }
        let ids = Arc::new(ids::SessionIds::new(first));
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let writer = writer::Writer::new(
            path,
            store,
            ids.clone(),
            counter,
            status.clone(),
            retention,
            std::time::Instant::now(),
        );
        let spawned = std::thread::Builder::new()
            .name("history".into())
            .spawn(move || writer::serve(writer, rx));
        if let Err(e) = spawned {
            tracing::error!("history: cannot start its thread: {e}");
            status.send_replace(format!("unavailable: cannot start its thread: {e}"));
        }
        (
            HistoryHandle {
                tx,
                dropped,
                status,
                ids,
            },
            first - 1,
        )
    }

    /// A new session id, never handed out before and above every id in the database — also
    /// one that opens only later (never blocks: an atomic counter, persisted by the history
    /// thread).
    pub fn next_session_id(&self) -> u64 {
        self.ids.take()
    }

    /// `ok`, or what is wrong with the history (shown as `History.Status`).
    pub fn status(&self) -> watch::Receiver<String> {
        self.status.subscribe()
    }

    /// Queues a record without waiting; counts and reports it when dropped.
    fn send(&self, op: Op) {
        if self.tx.try_send(op).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!("history: queue full or writer gone; {n} record(s) dropped so far");
            self.status.send_if_modified(|s| {
                if s.starts_with("unavailable") {
                    return false;
                }
                *s = format!("degraded: {n} record(s) dropped (the history could not keep up)");
                true
            });
        }
    }

    /// Records that a session started (committed at once). Never blocks: when the queue is
    /// full the record is dropped and the status says so; so for every record below.
    pub fn session_started(&self, row: SessionRow) {
        self.send(Op::Started(row));
    }

    /// Records that session `id` is still running at `time` (Unix s) with `figures` so far
    /// (telemetry, batched); a crash would end it here as `interrupted`.
    pub fn session_progress(&self, id: u64, time: i64, figures: SessionFigures) {
        self.send(Op::Progress { id, time, figures });
    }

    /// Records an intensity target or level (telemetry, batched).
    pub fn intensity(&self, row: IntensityRow) {
        self.send(Op::Intensity(row));
    }

    /// Records that session `id` ended at `end` (Unix s) for `reason`, with its final
    /// `figures` (committed at once).
    pub fn session_ended(&self, id: u64, end: i64, reason: String, figures: SessionFigures) {
        self.send(Op::Ended {
            id,
            end,
            reason,
            figures,
        });
    }

    /// Records a fault (committed at once).
    pub fn fault(&self, row: FaultRow) {
        self.send(Op::Fault(row));
    }

    /// Records an intensity a limit held down (committed at once).
    pub fn clamp(&self, row: ClampRow) {
        self.send(Op::Clamp(row));
    }

    /// Records a change to a profile, with who made it (committed at once).
    pub fn profile_change(&self, row: ProfileChangeRow) {
        self.send(Op::ProfileChange(row));
    }

    /// Records a change kept only in the audit trail (a pad set replaced, a custom program
    /// added or removed), committed at once.
    pub fn change(&self, row: ChangeRow) {
        self.send(Op::Change(row));
    }

    /// Sends a query and waits for its answer; `Busy` when the queue is full or the thread
    /// is gone.
    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Op) -> Result<T, HistoryError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .try_send(make(reply))
            .map_err(|_| HistoryError::Busy)?;
        rx.await.map_err(|_| HistoryError::Busy)?
    }

    /// Records pain scores (0–10) for a session.
    pub async fn rate_pain(&self, id: u64, before: u8, after: u8) -> Result<(), HistoryError> {
        self.ask(|reply| Op::RatePain {
            id,
            before,
            after,
            reply,
        })
        .await
    }

    /// Sessions started in `[since, until]` (0 = unbounded), newest first, at most `limit`
    /// (0 = all).
    pub async fn sessions(
        &self,
        since: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<SessionRow>, HistoryError> {
        self.ask(|reply| Op::Sessions {
            since,
            until,
            limit,
            reply,
        })
        .await
    }

    /// Faults since `since` (0 = unbounded), newest first, at most `limit` (0 = all).
    pub async fn faults(&self, since: i64, limit: u32) -> Result<Vec<FaultRow>, HistoryError> {
        self.ask(|reply| Op::Faults {
            since,
            limit,
            reply,
        })
        .await
    }

    /// The audit trail over `[since, until]` (Unix s, 0 = unbounded), newest first, at most
    /// `limit` (0 = all).
    pub async fn changes(
        &self,
        since: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<ChangeRow>, HistoryError> {
        self.ask(|reply| Op::Changes {
            since,
            until,
            limit,
            reply,
        })
        .await
    }

    /// Use over `[since, until]` (0 = unbounded).
    pub async fn summary(&self, since: i64, until: i64) -> Result<Summary, HistoryError> {
        self.ask(|reply| Op::Summary {
            since,
            until,
            profile: None,
            reply,
        })
        .await
    }

    /// Every session of `profile`, summarised per program.
    pub async fn profile_summary(&self, profile: &str) -> Result<Summary, HistoryError> {
        self.ask(|reply| Op::Summary {
            since: 0,
            until: 0,
            profile: Some(profile.to_string()),
            reply,
        })
        .await
    }
}

impl HistoryHandle {
    /// Waits, at most `timeout`, until every record sent before this call is written (the
    /// queue is first in, first out). Returns false if that could not be confirmed.
    pub async fn flush(&self, timeout: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        let (reply, rx) = oneshot::channel();
        let mut op = Op::Flush { reply };
        loop {
            match self.tx.try_send(op) {
                Ok(()) => break,
                Err(mpsc::TrySendError::Full(back)) if tokio::time::Instant::now() < deadline => {
                    op = back;
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                Err(_) => return false,
            }
        }
        matches!(tokio::time::timeout_at(deadline, rx).await, Ok(Ok(())))
    }
}
