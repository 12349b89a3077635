//! Bringing the database back: recreating it when its file was deleted or replaced while in
//! use (this run's running sessions written again first), and opening one that could not be
//! opened, with the status saying what happened meanwhile.

use super::{unavailable_text, Closed, Writer, CHECK_EVERY, MAX_PENDING_ALL, RETRY_EVERY};
use crate::history::store::FileState;
use crate::history::{Op, Store, STATUS_OK};
use std::path::PathBuf;
use std::time::Instant;

impl Writer {
    /// Recreates (or reopens) the database if its file was deleted or replaced.
    pub(super) fn check_file(&mut self, now: Instant) {
        self.next_check = now + CHECK_EVERY;
        let Some(store) = &self.store else {
            return;
        };
        let what = match store.file_state() {
            FileState::Same => return,
            FileState::Unknown(e) => {
                tracing::debug!("history: cannot check {}: {e}", self.path.display());
                return;
            }
            FileState::Gone => "deleted",
            FileState::Replaced => "replaced",
        };
        let text = format!(
            "degraded: the database file {} was {what} while in use; recreating it",
            self.path.display()
        );
        tracing::error!("history: {text}");
        self.status.send_replace(text);
        if let Some(old) = self.store.take() {
            old.abandon();
        }
        self.lost = Some(what);
        self.closed = Some(Closed::Lost(what));
        self.counter.forget();
        // This run's running sessions first, so their later records have a row to update.
        let mut again: Vec<Op> = Vec::new();
        for r in self.running.values() {
            again.push(Op::Started(r.row.clone()));
            if let Some((time, figures)) = &r.last {
                again.push(Op::Progress {
                    id: r.row.id,
                    time: *time,
                    figures: figures.clone(),
                });
            }
        }
        if !again.is_empty() {
            self.urgent = true;
            again.append(&mut self.pending);
            self.pending = again;
        }
        self.try_open(now);
    }

    /// Opens (creating the directory and the schema) the database.
    pub(super) fn try_open(&mut self, now: Instant) {
        self.next_open = now + RETRY_EVERY;
        let missing = matches!(
            std::fs::symlink_metadata(&self.path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound
        );
        if missing {
            if let Some(dir) = self.path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            // A WAL without its database belongs to no file; SQLite would replay it into
            // the new one.
            for suffix in ["-wal", "-shm"] {
                let mut p = self.path.as_os_str().to_owned();
                p.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
        }
        match Store::open_or_recover(&self.path) {
            Ok((mut store, aside)) => {
                store.set_ids(self.ids.clone());
                let running: Vec<u64> = self.running.keys().copied().collect();
                match store.close_interrupted_except(&running) {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(
                        "history: {n} session(s) cut short by a crash or power loss marked interrupted"
                    ),
                    Err(e) => tracing::warn!("history: cannot close interrupted sessions: {e}"),
                }
                if let Err(e) = store.prune(self.retention, crate::clock::unix_now()) {
                    tracing::warn!("history: cannot apply the retention: {e}");
                }
                match store.max_session_id() {
                    Ok(max) => self.ids.at_least(max.saturating_add(1)),
                    Err(e) => tracing::warn!("history: cannot read the highest session id: {e}"),
                }
                self.store = Some(store);
                self.store_counter();
                let mut parts = Vec::new();
                match (self.closed.take(), self.lost) {
                    (Some(Closed::AtStart(e)), _) if !self.opened_once => parts.push(format!(
                        "the history could not be opened at start-up ({e}); it opened later{}",
                        match self.pending.len() {
                            0 => String::new(),
                            n => format!(" and the {n} record(s) kept meanwhile are written to it"),
                        }
                    )),
                    (_, Some(what)) => parts.push(format!(
                        "the database file {} was {what} while in use; {} and the records since are written to it",
                        self.path.display(),
                        if what == "deleted" {
                            "a new one was created"
                        } else {
                            "the file now at that path was opened"
                        }
                    )),
                    _ => {}
                }
                if let Some(aside) = aside {
                    parts.push(format!(
                        "the history database was unreadable and was moved aside to {}; a new one was started",
                        aside.display()
                    ));
                }
                if self.dropped > 0 {
                    parts.push(format!(
                        "{} record(s) were dropped while it could not be written",
                        self.dropped
                    ));
                }
                let text = if parts.is_empty() {
                    STATUS_OK.to_string()
                } else {
                    format!("recovered: {}", parts.join("; "))
                };
                tracing::warn!("history: {text}");
                self.status.send_replace(text);
                self.opened_once = true;
                self.lost = None;
                self.healthy = true;
                self.urgent |= !self.pending.is_empty();
                self.last_try = now;
                if !self.pending.is_empty() {
                    self.commit(now);
                }
            }
            Err(e) => {
                let e = e.to_string();
                let text = match &self.closed {
                    Some(Closed::Lost(what)) => format!(
                        "unavailable: the database file {} was {what} while in use and cannot be recreated: {e}; trying again every {} s, keeping new records in memory (at most {MAX_PENDING_ALL})",
                        self.path.display(),
                        RETRY_EVERY.as_secs()
                    ),
                    _ => unavailable_text(&self.path, &e),
                };
                let changed = self.status.send_if_modified(|s| {
                    // Keep a "records dropped" notice; otherwise say what fails now.
                    if *s == text || (s.starts_with("unavailable:") && s.contains("dropped")) {
                        false
                    } else {
                        *s = text.clone();
                        true
                    }
                });
                if changed {
                    tracing::error!("history: {text}");
                }
            }
        }
    }
}
