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
        let stall = s.engine_stall_ms.swap(0, Ordering::AcqRel);
        if stall > 0 {
            std::thread::sleep(std::time::Duration::from_millis(u64::from(stall)));
        }
        if SimState::active_until(&s.spi_error_until_ns) {
            let _ =
                s.spi_failed_ns
                    .compare_exchange(0, now_ns(), Ordering::AcqRel, Ordering::Acquire);
            return Err(SimSpiError);
        }
        for op in operations {
            if let Operation::Write(bytes) = op {
                for frame in bytes.chunks_exact(2) {
                    if let Some(cmd) = Command::parse([frame[0], frame[1]]) {
                        self.latch(cmd);
                    }
                }
            }
        }
        Ok(())
    }
}

impl SimSpi {
    fn latch(&self, cmd: Command) {
        let s = &self.0;
        let ch = usize::from(cmd.channel);
        let prev = s.codes[ch].swap(cmd.code, Ordering::AcqRel);
        if prev != cmd.code {
            if let Some(t) = &s.trace {
                t.push(super::trace::Event::dac(now_ns(), cmd.channel, cmd.code));
            }
        }
    }
}
