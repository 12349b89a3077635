//! Writing what waits: one transaction per batch (`synchronous=FULL` when a record that must
//! not be lost is in it), the status after each try, and the notice of a session row moved to
//! a fresh id.

use super::Writer;
use crate::history::{Op, Store, STATUS_OK};
use std::time::Instant;
use tokio::sync::watch;

impl Writer {
    /// Persists the next id (a failure is logged: the database's own ids still count).
    pub(super) fn store_counter(&mut self) {
        if let Err(e) = self.counter.store(self.ids.peek()) {
            tracing::warn!(
                "history: cannot store the session id counter {}: {e}",
                self.counter.path().display()
            );
        }
    }
    /// Commits `pending`, first making sure the file is still the one at the path.
    pub(super) fn commit(&mut self, now: Instant) {
        if self.store.is_some() {
            self.check_file(now);
        }
        let Some(store) = &mut self.store else {
            return;
        };
        self.healthy = try_commit(store, &mut self.pending, self.urgent, &self.status);
        self.urgent &= !self.pending.is_empty();
        self.last_try = now;
        if self.pending.is_empty() {
            self.running.retain(|_, r| !r.ended);
        }
        let moved = store.take_renumbered();
        if !moved.is_empty() {
            self.store_counter();
        }
        for (id, to) in moved {
            let text = format!(
                "session id {id} was already taken by an older session in the database (ids were handed out while the history could not be read); that older session now has id {to}"
            );
            tracing::warn!("history: {text}");
            self.status.send_modify(|s| {
                *s = if s.starts_with("recovered:") {
                    format!("{s}; {text}")
                } else {
                    format!("recovered: {text}")
                };
            });
        }
    }
}

/// Commits `pending`; keeps `status` true. Returns whether it worked.
fn try_commit(
    store: &mut Store,
    pending: &mut Vec<Op>,
    full: bool,
    status: &watch::Sender<String>,
) -> bool {
    if pending.is_empty() {
        return true;
    }
    let n = pending.len();
    match store.commit_batch(pending, full) {
        Ok(()) => {
            status.send_if_modified(|s| {
                if s.starts_with("degraded") {
                    *s = STATUS_OK.into();
                    true
                } else {
                    false
                }
            });
            true
        }
        Err(e) => {
            tracing::warn!("history: write failed, {n} record(s) kept for the next try: {e}");
            status.send_replace(format!(
                "degraded: write failed ({e}); {n} record(s) waiting, stimulation is not affected"
            ));
            false
        }
    }
}
