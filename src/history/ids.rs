//! Session ids that never repeat, even across a history that could not be opened.
//!
//! Two sources say which ids are taken: the database (its highest session id) and a small
//! counter file, `next-session-id` in the state directory, holding the next id never handed out.
//! The counter is written (atomically, with fsync) by the history thread whenever a session
//! starts and whenever the database opens, so a later start whose database cannot be opened
//! still knows which ids the database holds. The allocator starts above both and only grows:
//! when a database that was unavailable opens later, it is raised above that database's ids.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The counter's file name in the state directory.
pub const COUNTER_FILE: &str = "next-session-id";

/// The first id that is in neither source (ids start at 1).
pub fn first_free(db_max: Option<u64>, counter: Option<u64>) -> u64 {
    let after_db = db_max.map_or(1, |m| m.saturating_add(1));
    after_db.max(counter.unwrap_or(1)).max(1)
}

/// The session id allocator, shared by the handle (which hands ids out) and the history
/// thread (which raises it when a database opens and persists it).
#[derive(Debug)]
pub struct SessionIds {
    next: AtomicU64,
}

impl SessionIds {
    /// An allocator whose first id is `first` (at least 1).
    pub fn new(first: u64) -> SessionIds {
        SessionIds {
            next: AtomicU64::new(first.max(1)),
        }
    }

    /// Hands out an id: never one handed out before, nor one the database held when it was
    /// last seen.
    pub fn take(&self) -> u64 {
        self.next.fetch_add(1, Ordering::AcqRel)
    }

    /// Makes sure no id below `n` is handed out from now on.
    pub fn at_least(&self, n: u64) {
        self.next.fetch_max(n, Ordering::AcqRel);
    }

    /// The next id `take` would hand out.
    pub fn peek(&self) -> u64 {
        self.next.load(Ordering::Acquire)
    }
}

/// The counter file of a state directory.
#[derive(Debug)]
pub struct Counter {
    path: PathBuf,
    /// The value last written (0: none yet).
    written: u64,
}

impl Counter {
    /// The counter `dir/next-session-id` (not read until `read`).
    pub fn new(dir: &Path) -> Counter {
        Counter {
            path: dir.join(COUNTER_FILE),
            written: 0,
        }
    }

    /// The stored next id: `Ok(None)` when there is no counter yet; an error when it cannot be
    /// read or does not hold a number (then it is not trusted, and the caller says so).
    pub fn read(&mut self) -> std::io::Result<Option<u64>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let n = text.trim().parse::<u64>().map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{} holds {:?}, not a number: {e}",
                    self.path.display(),
                    text
                ),
            )
        })?;
        self.written = self.written.max(n);
        Ok(Some(n))
    }

    /// Stores `next` unless a value at least as high is already stored: a temporary file,
    /// fsync, rename over the counter, fsync of the directory — a crash leaves the old value
    /// or the new one, never a torn one.
    pub fn store(&mut self, next: u64) -> std::io::Result<()> {
        if next <= self.written {
            return Ok(());
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let tmp = dir.join(format!("{COUNTER_FILE}.tmp"));
        {
            let mut f = std::fs::File::create(&tmp)?;
            writeln!(f, "{next}")?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        std::fs::File::open(dir)?.sync_all()?;
        self.written = next;
        Ok(())
    }

    /// Forgets what was written, so the next `store` writes (after the directory was lost).
    pub fn forget(&mut self) {
        self.written = 0;
    }

    /// The counter file's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("stimd-ids-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn first_free_is_above_the_database_and_the_counter() {
        assert_eq!(first_free(None, None), 1);
        assert_eq!(first_free(Some(0), None), 1);
        assert_eq!(first_free(Some(5), None), 6);
        assert_eq!(first_free(None, Some(6)), 6, "database unavailable");
        assert_eq!(first_free(Some(5), Some(9)), 9, "ids 6..8 were handed out");
        assert_eq!(first_free(Some(12), Some(9)), 13, "counter behind");
        assert_eq!(first_free(None, Some(0)), 1);
        assert_eq!(first_free(Some(u64::MAX), None), u64::MAX);
    }

    #[test]
    fn the_allocator_only_grows() {
        let ids = SessionIds::new(6);
        assert_eq!(ids.take(), 6);
        ids.at_least(3);
        assert_eq!(ids.take(), 7);
        ids.at_least(20);
        assert_eq!((ids.take(), ids.peek()), (20, 21));
    }

    #[test]
    fn the_counter_round_trips_and_never_goes_down() {
        let dir = temp_dir("counter");
        let mut c = Counter::new(&dir);
        assert_eq!(c.read().unwrap(), None);
        c.store(6).unwrap();
        c.store(4).unwrap();
        assert_eq!(Counter::new(&dir).read().unwrap(), Some(6));
        assert!(!dir.join(format!("{COUNTER_FILE}.tmp")).exists());
        std::fs::write(c.path(), "six\n").unwrap();
        let e = Counter::new(&dir).read().unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        // The directory lost: the counter cannot be stored until it is back.
        std::fs::remove_dir_all(&dir).unwrap();
        c.forget();
        assert!(c.store(7).is_err());
        std::fs::create_dir_all(&dir).unwrap();
        c.store(7).unwrap();
        assert_eq!(Counter::new(&dir).read().unwrap(), Some(7));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
