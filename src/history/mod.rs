//! The usage history: a SQLite file (WAL, migrated by `user_version`) written by a thread of
//! its own.
//!
//! Owns every database access. Writers send records through a bounded queue and never wait:
//! when the queue is full or the database fails, the record is dropped, a warning is logged and
//! the `Status` (shown over D-Bus) says so — the safety path is never blocked or delayed by the
//! disk. Session start and end, faults, clamps and pain ratings are committed one by one with
//! `synchronous=FULL`; telemetry (intensity changes, progress) is batched, at most one commit a
//! second. A corrupt database is moved aside and a fresh one started. A database that cannot be
//! opened is tried again every few seconds while records wait in memory (bounded); a database
//! file deleted or replaced while in use is noticed and recreated. Session ids never repeat:
//! see `ids`.

pub(crate) mod export;
mod handle;
pub(crate) mod ids;
mod op;
mod rows;
mod schema;
mod store;
mod writer;

pub use handle::HistoryHandle;
pub(crate) use op::Reply;
pub use op::{HistoryError, Op};
pub use rows::{
    ChangeRow, ClampRow, FaultRow, IntensityRow, ProfileChangeRow, ProgramSummary, Retention,
    SessionFigures, SessionRow, Summary,
};
pub use store::Store;

/// The status when all is well.
pub(crate) const STATUS_OK: &str = "ok";
/// The database's file name in the state directory.
pub(crate) const DB_FILE: &str = "history.sqlite";

#[cfg(test)]
mod tests;
