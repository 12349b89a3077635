//! An input the kernel reports by edge events rather than by polling (the overcurrent
//! comparator): a reader task records each edge, and the supervisor's `Sense` sees the level —
//! plus, once, any activation it did not catch in between, so a pulse shorter than the
//! supervisor's loop still trips.

use super::{BoardError, Sense};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What the reader task knows about the line.
#[derive(Debug, Default)]
pub struct EdgeState {
    active: AtomicBool,
    activated: AtomicBool,
    failed: AtomicBool,
}

impl EdgeState {
    /// A new state with the line's level when it was requested.
    pub fn new(active: bool) -> Arc<EdgeState> {
        let s = Arc::new(EdgeState::default());
        s.record(active);
        s
    }

    /// An edge: the line is now `active` (or not).
    pub fn record(&self, active: bool) {
        self.active.store(active, Ordering::Release);
        if active {
            self.activated.store(true, Ordering::Release);
        }
    }

    /// The events can no longer be read: the line counts as failed from now on.
    pub fn fail(&self) {
        self.failed.store(true, Ordering::Release);
    }
}

/// The supervisor's view of an edge-reported input.
pub struct EdgeInput(pub Arc<EdgeState>);

impl Sense for EdgeInput {
    fn is_active(&mut self) -> Result<bool, BoardError> {
        let s = &self.0;
        if s.failed.load(Ordering::Acquire) {
            return Err(BoardError::Gpio(embedded_hal::digital::ErrorKind::Other));
        }
        let activated = s.activated.swap(false, Ordering::AcqRel);
        Ok(s.active.load(Ordering::Acquire) || activated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pulse_between_two_reads_is_seen_once() {
        let s = EdgeState::new(false);
        let mut input = EdgeInput(s.clone());
        assert_eq!(input.is_active(), Ok(false));
        s.record(true);
        s.record(false);
        assert_eq!(input.is_active(), Ok(true), "the short pulse");
        assert_eq!(input.is_active(), Ok(false), "seen once only");
        s.record(true);
        assert_eq!(input.is_active(), Ok(true));
        assert_eq!(input.is_active(), Ok(true), "held: the level");
        s.fail();
        assert!(input.is_active().is_err());
    }
}
