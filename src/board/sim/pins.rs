//! The simulated GPIO lines, as `embedded_hal` pins.

use super::SimState;
use crate::clock::now_ns;
use embedded_hal::digital::{ErrorKind, ErrorType, InputPin, OutputPin};
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimGpioError;

impl embedded_hal::digital::Error for SimGpioError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

fn gpio_ok(s: &SimState) -> Result<(), SimGpioError> {
    if SimState::active_until(&s.regs().gpio_error_until_ns) {
        Err(SimGpioError)
    } else {
        Ok(())
    }
}

/// Current-sense comparator: high while current flows, i.e. the pads are on, the output stage
/// is enabled and the DAC is away from the code nearest 0 µA.
pub struct ContactPin(pub Arc<SimState>, pub usize);
/// The retriggerable monostable's input.
pub struct InterlockPin(pub Arc<SimState>);
pub struct HvEnablePin(pub Arc<SimState>);
pub struct OvercurrentPin(pub Arc<SimState>);

macro_rules! gpio_error_type {
    ($($t:ty),*) => { $(impl ErrorType for $t { type Error = SimGpioError; })* };
}
gpio_error_type!(ContactPin, InterlockPin, HvEnablePin, OvercurrentPin);

impl InputPin for ContactPin {
    fn is_high(&mut self) -> Result<bool, SimGpioError> {
        let s = &self.0;
        gpio_ok(s)?;
        let code = s.regs().codes[self.1].load(Ordering::Acquire);
        let flowing = s.drives_current(self.1, code) && s.regs().output_enabled(now_ns());
        Ok(flowing && s.regs().pads_on[self.1].load(Ordering::Acquire))
    }
    fn is_low(&mut self) -> Result<bool, SimGpioError> {
        self.is_high().map(|h| !h)
    }
}

impl InputPin for OvercurrentPin {
    fn is_high(&mut self) -> Result<bool, SimGpioError> {
        gpio_ok(&self.0)?;
        Ok(SimState::active_until(&self.0.regs().overcurrent_until_ns))
    }
    fn is_low(&mut self) -> Result<bool, SimGpioError> {
        self.is_high().map(|h| !h)
    }
}

impl InterlockPin {
    fn drive(&mut self, level: bool) -> Result<(), SimGpioError> {
        let s = &self.0;
        let stall = s.regs().supervisor_stall_ms.swap(0, Ordering::AcqRel);
        if stall > 0 {
            std::thread::sleep(std::time::Duration::from_millis(u64::from(stall)));
        }
        gpio_ok(s)?;
        if s.regs().interlock_level.swap(level, Ordering::AcqRel) != level {
            s.regs()
                .interlock_toggled_ns
                .store(now_ns(), Ordering::Release);
        }
        Ok(())
    }
}

impl OutputPin for InterlockPin {
    fn set_high(&mut self) -> Result<(), SimGpioError> {
        self.drive(true)
    }
    fn set_low(&mut self) -> Result<(), SimGpioError> {
        self.drive(false)
    }
}

impl OutputPin for HvEnablePin {
    fn set_high(&mut self) -> Result<(), SimGpioError> {
        gpio_ok(&self.0)?;
        self.0.regs().hv_enable.store(true, Ordering::Release);
        Ok(())
    }
    fn set_low(&mut self) -> Result<(), SimGpioError> {
        // Switching off always works: the boost converter has a pull-down.
        if self.0.regs().hv_enable.swap(false, Ordering::AcqRel) {
            self.0.regs().hv_cut_ns.store(now_ns(), Ordering::Release);
        }
        Ok(())
    }
}
