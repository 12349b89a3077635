//! What goes through the history's queue: the records to write, the queries with their reply
//! channels, and why a query could not be answered.

use super::{
    ChangeRow, ClampRow, FaultRow, IntensityRow, ProfileChangeRow, SessionFigures, SessionRow,
    Summary,
};
use tokio::sync::oneshot;

/// Why the history could not answer a query or take a rating.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The queue is full or the history thread is gone.
    #[error("the history is busy or unavailable")]
    Busy,
    /// The database is not open; `status` is the history's status (`unavailable: …`).
    #[error("history {status}")]
    Closed {
        /// The history's status when the query came, e.g. `unavailable: cannot open …`.
        status: String,
    },
    /// A pain rating for a session the history does not have.
    #[error("id = {0} is not a session in the history")]
    NoSuchSession(u64),
    /// The database failed (the SQLite error).
    #[error("{0}")]
    Database(#[from] rusqlite::Error),
}

/// Where the history thread sends a query's answer.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, HistoryError>>;

/// A record or a query for the history thread (public for the history benchmark and
/// [`Store::apply_now`](super::Store::apply_now); clients use `HistoryHandle`).
///
/// Records (`Started` … `Change`) are written in the order sent; `Progress` and
/// `Intensity` are telemetry, batched (at most one commit a second), the others are committed
/// at once with `synchronous=FULL`. Queries are answered on their `reply`; records sent before
/// them are committed first (unless the last commit failed).
pub enum Op {
    /// A session started: its row, with no end yet.
    Started(SessionRow),
    /// A running session is still running (telemetry).
    Progress {
        /// The session id.
        id: u64,
        /// Now, Unix seconds: where a crash would end it (`interrupted`).
        time: i64,
        /// Its figures so far.
        figures: SessionFigures,
    },
    /// An intensity target or level (telemetry).
    Intensity(IntensityRow),
    /// A session ended.
    Ended {
        /// The session id.
        id: u64,
        /// When, Unix seconds.
        end: i64,
        /// Why (`completed`, `stopped`, `fault:<code>`, …).
        reason: String,
        /// Its final figures.
        figures: SessionFigures,
    },
    /// A fault was raised.
    Fault(FaultRow),
    /// A limit held an intensity down.
    Clamp(ClampRow),
    /// A profile's limits, answers or approval changed (or a change was refused).
    ProfileChange(ProfileChangeRow),
    /// A change kept only in the audit trail: a pad set replaced, a custom program added or
    /// removed.
    Change(ChangeRow),
    /// Pain scores for a session; answered `NoSuchSession` when the id is not in the history.
    RatePain {
        /// The session id.
        id: u64,
        /// Pain before, 0–10 (checked by the caller).
        before: u8,
        /// Pain after, 0–10 (checked by the caller).
        after: u8,
        /// Where the answer goes.
        reply: Reply<()>,
    },
    /// The sessions started in `[since, until]`, newest first.
    Sessions {
        /// Unix seconds; 0 = unbounded.
        since: i64,
        /// Unix seconds; 0 = unbounded.
        until: i64,
        /// At most this many rows; 0 = all.
        limit: u32,
        /// Where the answer goes.
        reply: Reply<Vec<SessionRow>>,
    },
    /// The faults since `since`, newest first.
    Faults {
        /// Unix seconds; 0 = unbounded.
        since: i64,
        /// At most this many rows; 0 = all.
        limit: u32,
        /// Where the answer goes.
        reply: Reply<Vec<FaultRow>>,
    },
    /// The audit trail over `[since, until]`, newest first.
    Changes {
        /// Unix seconds; 0 = unbounded.
        since: i64,
        /// Unix seconds (the whole second included); 0 = unbounded.
        until: i64,
        /// At most this many rows; 0 = all.
        limit: u32,
        /// Where the answer goes.
        reply: Reply<Vec<ChangeRow>>,
    },
    /// The use over `[since, until]`, per program.
    Summary {
        /// Unix seconds; 0 = unbounded.
        since: i64,
        /// Unix seconds; 0 = unbounded (up to now).
        until: i64,
        /// Only this profile's sessions.
        profile: Option<String>,
        /// Where the answer goes.
        reply: Reply<Summary>,
    },
    /// Answered once every record queued before it has been applied.
    Flush {
        /// Sent `()` when all is written; dropped when records still wait.
        reply: oneshot::Sender<()>,
    },
}

impl Op {
    /// Telemetry is batched; everything else is committed at once.
    pub(crate) fn is_telemetry(&self) -> bool {
        matches!(self, Op::Progress { .. } | Op::Intensity(_))
    }

    /// A record to write (not a query or a flush).
    pub(crate) fn is_record(&self) -> bool {
        matches!(
            self,
            Op::Started(_)
                | Op::Progress { .. }
                | Op::Intensity(_)
                | Op::Ended { .. }
                | Op::Fault(_)
                | Op::Clamp(_)
                | Op::ProfileChange(_)
                | Op::Change(_)
        )
    }
}
