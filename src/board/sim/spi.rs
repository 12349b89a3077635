//! The simulated SPI bus with an MCP4922 on it: decodes each frame into the DAC model.

use super::SimState;
use crate::board::dac::mcp4922::Command;
use crate::clock::now_ns;
use embedded_hal::spi::{ErrorKind, ErrorType, Operation, SpiDevice};
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub struct SimSpi(pub Arc<SimState>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimSpiError;

impl embedded_hal::spi::Error for SimSpiError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

impl ErrorType for SimSpi {
    type Error = SimSpiError;
}

impl SpiDevice for SimSpi {
    fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), SimSpiError> {
        let s = &self.0;
        if SimState::active_until(&s.regs().spi_error_until_ns) {
            let _ = s.regs().spi_failed_ns.compare_exchange(
                0,
                now_ns(),
                Ordering::AcqRel,
                Ordering::Acquire,
            );
            return Err(SimSpiError);
        }
        let mut phase_latched = false;
        for op in operations {
            if let Operation::Write(bytes) = op {
                for frame in bytes.chunks_exact(2) {
                    if let Some(cmd) = Command::parse([frame[0], frame[1]]) {
                        phase_latched |= self.latch(cmd);
                    }
                }
            }
        }
        if phase_latched && s.regs().phase_stall_ms.load(Ordering::Acquire) > 0 {
            // The engine stalls with the phase on: the code stays where it is.
            let stall = s.regs().phase_stall_ms.swap(0, Ordering::AcqRel);
            if stall > 0 {
                s.regs().phase_stalled_ns.store(now_ns(), Ordering::Release);
                std::thread::sleep(std::time::Duration::from_millis(u64::from(stall)));
            }
        }
        Ok(())
    }
}

impl SimSpi {
    /// Latches a code; true if it drives a current.
    fn latch(&self, cmd: Command) -> bool {
        let s = &self.0;
        let ch = usize::from(cmd.channel);
        let prev = s.regs().codes[ch].swap(cmd.code, Ordering::AcqRel);
        if prev != cmd.code {
            let now = now_ns();
            let ua = s.analog_microamps(ch, cmd.code);
            if let Some(t) = &s.trace {
                t.push(super::trace::Event::dac(now, cmd.channel, cmd.code, ua));
            }
            let probe = s.regs().probe_ua.load(Ordering::Acquire);
            if probe > 0 && ua.unsigned_abs() >= probe {
                let _ = s.regs().probe_hit_ns.compare_exchange(
                    0,
                    now,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                );
            }
        }
        s.drives_current(ch, cmd.code)
    }
}
