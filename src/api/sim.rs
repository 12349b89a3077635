//! `io.stimd.Stimd1.Sim` (sim board only): take a pad off, set the battery, inject faults —
//! so tests and demos exercise the safety path through the real API.

use super::StimdError;
use crate::board::sim::{SimHandle, FAULT_KINDS};
use zbus::interface;

pub struct Sim {
    pub sim: SimHandle,
    pub channels: u32,
}

/// Longest injected fault.
const MAX_FAULT_MS: u32 = 600_000;

#[interface(
    name = "io.stimd.Stimd1.Sim",
    proxy(
        default_service = "io.stimd.Stimd1",
        default_path = "/io/stimd/Stimd1",
        gen_blocking = false
    )
)]
impl Sim {
    /// Puts a channel's pads on (`true`) or takes them off.
    async fn set_contact(&self, channel: u32, present: bool) -> Result<(), StimdError> {
        if channel >= self.channels {
            return Err(StimdError::InvalidArgument(format!(
                "channel = {channel} is out of range (allowed: 0..={})",
                self.channels - 1
            )));
        }
        self.sim.set_contact(channel as usize, present);
        Ok(())
    }

    /// Sets the simulated battery level (percent, −1 = unknown).
    async fn set_battery(&self, percent: i32) -> Result<(), StimdError> {
        if !(-1..=100).contains(&percent) {
            return Err(StimdError::InvalidArgument(format!(
                "percent = {percent} is out of range (allowed: -1..=100)"
            )));
        }
        self.sim.set_battery(percent);
        Ok(())
    }

    /// Makes a fault present for `duration_ms`: `overcurrent`, `spi_error`, `gpio_error`,
    /// `engine_stall`, `supervisor_stall`.
    async fn inject_fault(&self, kind: &str, duration_ms: u32) -> Result<(), StimdError> {
        if !(1..=MAX_FAULT_MS).contains(&duration_ms) {
            return Err(StimdError::InvalidArgument(format!(
                "duration_ms = {duration_ms} is out of range (allowed: 1..={MAX_FAULT_MS})"
            )));
        }
        if !self.sim.inject(kind, duration_ms) {
            return Err(StimdError::InvalidArgument(format!(
                "kind = {:?} is unknown (allowed: {})",
                kind.chars().take(32).collect::<String>(),
                FAULT_KINDS.join(", ")
            )));
        }
        Ok(())
    }
}
