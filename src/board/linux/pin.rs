//! A requested GPIO line as an embedded-hal pin, by its logical value: the kernel applies the
//! request's active-low flag, so 1 is always "active" (HV on, current sensed) and 0 inactive.
//!
//! Not linux-embedded-hal's `CdevPin`: it inverts an active-low line a second time, so on a
//! line listed in `linux.active_low` its "low" drove the line *active* (HV enable on when the
//! supervisor switched it off) and an active contact read as inactive. Must never interpret
//! the active-low flag itself.

use embedded_hal::digital::{ErrorKind, ErrorType, InputPin, OutputPin};
use gpio_cdev::LineHandle;

/// Reads and writes a line's logical value (the kernel's view, active-low applied).
pub trait LogicalLine {
    /// The line's logical value: 1 active, 0 inactive.
    fn value(&self) -> Result<u8, gpio_cdev::Error>;
    /// Drives the line to a logical value: 1 active, 0 inactive.
    fn set_value(&self, value: u8) -> Result<(), gpio_cdev::Error>;
}

impl LogicalLine for LineHandle {
    fn value(&self) -> Result<u8, gpio_cdev::Error> {
        self.get_value()
    }

    fn set_value(&self, value: u8) -> Result<(), gpio_cdev::Error> {
        LineHandle::set_value(self, value)
    }
}

/// A line as an input or output pin: `high` means active, whatever the wiring's polarity.
pub struct LinePin<L = LineHandle>(pub L);

impl<L> ErrorType for LinePin<L> {
    type Error = ErrorKind;
}

impl<L: LogicalLine> InputPin for LinePin<L> {
    fn is_high(&mut self) -> Result<bool, ErrorKind> {
        self.0.value().map(|v| v != 0).map_err(|_| ErrorKind::Other)
    }

    fn is_low(&mut self) -> Result<bool, ErrorKind> {
        self.is_high().map(|h| !h)
    }
}

impl<L: LogicalLine> OutputPin for LinePin<L> {
    fn set_low(&mut self) -> Result<(), ErrorKind> {
        self.0.set_value(0).map_err(|_| ErrorKind::Other)
    }

    fn set_high(&mut self) -> Result<(), ErrorKind> {
        self.0.set_value(1).map_err(|_| ErrorKind::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::{Drive, Sense};
    use std::cell::Cell;

    /// What the kernel does with a line requested with or without `ACTIVE_LOW`: the physical
    /// level is the logical value, inverted for an active-low request.
    struct Kernel {
        active_low: bool,
        physical: Cell<u8>,
    }

    impl LogicalLine for Kernel {
        fn value(&self) -> Result<u8, gpio_cdev::Error> {
            Ok(self.physical.get() ^ u8::from(self.active_low))
        }
        fn set_value(&self, value: u8) -> Result<(), gpio_cdev::Error> {
            self.physical.set(value ^ u8::from(self.active_low));
            Ok(())
        }
    }

    fn line(active_low: bool, physical: u8) -> LinePin<Kernel> {
        LinePin(Kernel {
            active_low,
            physical: Cell::new(physical),
        })
    }

    #[test]
    fn an_active_low_output_switched_off_is_driven_high() {
        let mut hv = line(true, 1);
        hv.set(false).unwrap();
        assert_eq!(hv.0.physical.get(), 1, "off is the inactive level: high");
        hv.set(true).unwrap();
        assert_eq!(hv.0.physical.get(), 0, "on is low");
    }

    #[test]
    fn an_active_high_output_follows_the_level() {
        let mut hv = line(false, 0);
        hv.set(true).unwrap();
        assert_eq!(hv.0.physical.get(), 1);
        hv.set(false).unwrap();
        assert_eq!(hv.0.physical.get(), 0);
    }

    #[test]
    fn an_active_low_input_pulled_low_is_active() {
        assert!(line(true, 0).is_active().unwrap());
        assert!(!line(true, 1).is_active().unwrap());
        assert!(line(false, 1).is_active().unwrap());
        assert!(!line(false, 0).is_active().unwrap());
    }
}
