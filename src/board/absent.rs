//! The board the daemon runs on when the configured hardware cannot be opened: it drives
//! nothing and senses nothing, so the daemon can still serve D-Bus and report
//! `hardware_unavailable` (the supervisor latches it, and sessions are refused).

use super::{Board, BoardError, Dac, Drive, EngineIo, SafetyIo, Sense};

struct Nothing;

impl Dac for Nothing {
    fn set_current(&mut self, _channel: usize, _microamps: i32) -> Result<(), BoardError> {
        Ok(())
    }
}

impl Sense for Nothing {
    fn is_active(&mut self) -> Result<bool, BoardError> {
        Ok(false)
    }
}

impl Drive for Nothing {
    fn set(&mut self, _on: bool) -> Result<(), BoardError> {
        Ok(())
    }
}

/// A board named `name` with no hardware behind it.
pub fn build(name: &'static str) -> Board {
    Board {
        name,
        engine: EngineIo {
            dac: Box::new(Nothing),
            contacts: vec![Box::new(Nothing), Box::new(Nothing)],
        },
        safety: SafetyIo {
            interlock: Box::new(Nothing),
            hv_enable: Box::new(Nothing),
            overcurrent: Box::new(Nothing),
        },
        buttons: None,
        sim: None,
    }
}
