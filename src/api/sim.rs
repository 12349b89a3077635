//! `io.stimd.Stimd1.Sim` (sim board only): take a pad off, set the battery, inject faults —
//! so tests and demos exercise the safety path through the real API.
//!
//! Board faults go to the simulated hardware. Two faults are software ones, injected into the
//! safety core through its named hooks (`safety::inject::FaultInjection`), never by writing
//! the shared state: `engine_stall` stops the pulse engine between pulses (its heartbeat goes
//! missing), and `over_limit` is a defect that bypasses the session manager and puts a level
//! one step above the armed limit (the person's maximum, or the device's peak) on channel 0,
//! as a defect between session and engine would.

use super::StimdError;
use crate::board::sim::{SimHandle, FAULT_KINDS};
use crate::board::Button;
use crate::safety::inject::FaultInjection;
use crate::texts::Text;
use zbus::interface;

/// The `Sim` interface, served only with the simulated board.
pub struct Sim {
    /// The simulated board: pads, battery, buttons and board faults.
    pub sim: SimHandle,
    /// How many output channels the device has (a channel argument must be below it).
    pub channels: u32,
    /// The safety core's software-fault hooks.
    pub faults: FaultInjection,
}

/// The software faults (the rest are the board's `FAULT_KINDS`).
const OVER_LIMIT: &str = "over_limit";
const ENGINE_STALL: &str = "engine_stall";

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
            return Err(StimdError::InvalidArgument(
                Text::new("channel.out_of_range")
                    .arg("channel", channel)
                    .arg("max", self.channels - 1)
                    .into(),
            ));
        }
        self.sim.set_contact(channel as usize, present);
        Ok(())
    }

    /// Presses (`true`) or releases a push button: `up`, `down` or `stop`. Each call is one
    /// raw edge, so a test can also bounce the line.
    async fn set_button(&self, button: &str, pressed: bool) -> Result<(), StimdError> {
        let Some(b) = Button::ALL.into_iter().find(|b| b.as_str() == button) else {
            return Err(StimdError::InvalidArgument(
                Text::new("sim.unknown_button")
                    .quoted("button", button)
                    .into(),
            ));
        };
        self.sim.set_button(b, pressed);
        Ok(())
    }

    /// Sets the simulated battery level (percent, −1 = unknown).
    async fn set_battery(&self, percent: i32) -> Result<(), StimdError> {
        if !(-1..=100).contains(&percent) {
            return Err(StimdError::InvalidArgument(
                Text::new("sim.battery_out_of_range")
                    .arg("percent", percent)
                    .into(),
            ));
        }
        self.sim.set_battery(percent);
        Ok(())
    }

    /// Makes a fault present for `duration_ms`: `overcurrent`, `spi_error`, `gpio_error`,
    /// `engine_stall`, `phase_stall`, `supervisor_stall`, `over_limit`.
    async fn inject_fault(&self, kind: &str, duration_ms: u32) -> Result<(), StimdError> {
        if !(1..=MAX_FAULT_MS).contains(&duration_ms) {
            return Err(StimdError::InvalidArgument(
                Text::new("sim.fault_duration_out_of_range")
                    .arg("duration_ms", duration_ms)
                    .arg("max", MAX_FAULT_MS)
                    .into(),
            ));
        }
        match kind {
            OVER_LIMIT => {
                return self
                    .faults
                    .over_limit(duration_ms)
                    .map(|_| ())
                    .map_err(|e| {
                        StimdError::Failed(
                            Text::new("sim.inject_failed")
                                .arg("kind", OVER_LIMIT)
                                .arg("detail", e.to_string())
                                .into(),
                        )
                    });
            }
            ENGINE_STALL => {
                self.faults.engine_stall(duration_ms);
                return Ok(());
            }
            _ => {}
        }
        if !self.sim.inject(kind, duration_ms) {
            let mut allowed = FAULT_KINDS.map(String::from).to_vec();
            allowed.extend([ENGINE_STALL.to_string(), OVER_LIMIT.to_string()]);
            return Err(StimdError::InvalidArgument(
                Text::new("sim.unknown_fault")
                    .quoted("kind", kind)
                    .arg("allowed", allowed)
                    .into(),
            ));
        }
        Ok(())
    }
}
