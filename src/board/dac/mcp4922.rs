//! Microchip MCP4922: 12-bit dual DAC, one 16-bit frame per channel write.
//!
//! Frame: bit 15 channel (0 = A, 1 = B), bit 14 BUF, bit 13 GA (1 = 1×), bit 12 SHDN
//! (1 = active), bits 11..0 the code.

use super::Transfers;
use crate::board::{BoardError, Dac};
use embedded_hal::spi::{Error as _, SpiDevice};

/// Resolution of the codes (mid-scale 2048 is 0 mA on an ideal board).
pub const BITS: u32 = 12;

/// Driver errors.
#[derive(Debug, PartialEq, Eq)]
pub enum Error<SPI> {
    /// The SPI bus failed.
    Spi(SPI),
    /// The chip has channels 0 and 1 only.
    NoSuchChannel(usize),
}

/// One write command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// 0 = A, 1 = B (only the lowest bit is sent).
    pub channel: u8,
    /// Whether the reference input is buffered (BUF).
    pub buffered: bool,
    /// The 12-bit code (higher bits are dropped).
    pub code: u16,
}

impl Command {
    /// The two bytes sent on the bus, MSB first.
    pub fn frame(self) -> [u8; 2] {
        let word = u16::from(self.channel & 1) << 15
            | u16::from(self.buffered) << 14
            | 1 << 13 // gain 1×
            | 1 << 12 // output active
            | (self.code & 0x0FFF);
        word.to_be_bytes()
    }

    /// Decodes a frame (as the simulated board does).
    pub fn parse(frame: [u8; 2]) -> Option<Command> {
        let word = u16::from_be_bytes(frame);
        let active = word & (1 << 12) != 0;
        active.then_some(Command {
            channel: (word >> 15) as u8,
            buffered: word & (1 << 14) != 0,
            code: word & 0x0FFF,
        })
    }
}

/// An MCP4922 on an SPI device.
pub struct Mcp4922<SPI> {
    spi: SPI,
    buffered: bool,
    calibration: Transfers,
}

impl<SPI: SpiDevice> Mcp4922<SPI> {
    /// A driver on `spi`, reference unbuffered, uncalibrated (mid-scale is 0 µA); writes
    /// nothing until told to.
    pub fn new(spi: SPI) -> Self {
        Mcp4922 {
            spi,
            buffered: false,
            calibration: Transfers::IDEAL,
        }
    }

    /// The same driver mapping currents through each channel's calibration.
    pub fn calibrated(self, calibration: Transfers) -> Self {
        Mcp4922 {
            calibration,
            ..self
        }
    }

    /// Writes a raw code to a channel.
    pub fn write_code(&mut self, channel: usize, code: u16) -> Result<(), Error<SPI::Error>> {
        if channel > 1 {
            return Err(Error::NoSuchChannel(channel));
        }
        let frame = Command {
            channel: channel as u8,
            buffered: self.buffered,
            code,
        }
        .frame();
        self.spi.write(&frame).map_err(Error::Spi)
    }
}

impl<SPI: SpiDevice + Send> Dac for Mcp4922<SPI> {
    fn set_current(&mut self, channel: usize, microamps: i32) -> Result<(), BoardError> {
        let code = self.calibration.get(channel).code(microamps, BITS);
        self.write_code(channel, code).map_err(|e| match e {
            Error::Spi(e) => BoardError::Spi(e.kind()),
            Error::NoSuchChannel(_) => BoardError::Spi(embedded_hal::spi::ErrorKind::Other),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::BrokenBus;
    use super::*;
    use embedded_hal_mock::eh1::spi::{Mock, Transaction};

    #[test]
    fn writes_one_frame_per_channel_in_a_transaction() {
        let expect = [
            Transaction::transaction_start(),
            Transaction::write_vec(vec![0x38, 0x00]), // A, gain 1×, active, 2048
            Transaction::transaction_end(),
            Transaction::transaction_start(),
            Transaction::write_vec(vec![0xBF, 0xFF]), // B, full scale
            Transaction::transaction_end(),
        ];
        let mut spi = Mock::new(&expect);
        let mut dac = Mcp4922::new(spi.clone());
        dac.set_current(0, 0).unwrap();
        dac.set_current(1, 100_000).unwrap();
        spi.done();
    }

    #[test]
    fn a_calibrated_driver_writes_the_code_of_the_current() {
        use crate::board::dac::{Transfer, Transfers};
        // Channel A: +300 µA at mid-scale; channel B: 2 % too strong.
        let cal = Transfers::from_lists(&[300, 0], &[0, 20_000]);
        let expect = [
            Transaction::transaction_start(),
            Transaction::write_vec(vec![0x37, 0xFA]), // A at rest: 2042, not 2048
            Transaction::transaction_end(),
            Transaction::transaction_start(),
            Transaction::write_vec(vec![0xB8, 0xC8]), // B, 10 mA: 2048 + 200 (not 204)
            Transaction::transaction_end(),
        ];
        let mut spi = Mock::new(&expect);
        let mut dac = Mcp4922::new(spi.clone()).calibrated(cal);
        dac.set_current(0, 0).unwrap();
        dac.set_current(1, 10_000).unwrap();
        spi.done();
        assert_eq!(cal.get(0).rest_code(BITS), 2042);
        assert_eq!(Transfer::IDEAL.code(10_000, BITS), 2048 + 204);
    }

    #[test]
    fn frame_round_trips() {
        let c = Command {
            channel: 1,
            buffered: true,
            code: 0x0ABC,
        };
        assert_eq!(Command::parse(c.frame()), Some(c));
    }

    #[test]
    fn bus_error_surfaces() {
        let mut dac = Mcp4922::new(BrokenBus(embedded_hal::spi::ErrorKind::ModeFault));
        assert_eq!(
            dac.write_code(0, 0),
            Err(Error::Spi(embedded_hal::spi::ErrorKind::ModeFault))
        );
        assert_eq!(
            dac.set_current(0, 0),
            Err(BoardError::Spi(embedded_hal::spi::ErrorKind::ModeFault))
        );
        assert_eq!(dac.write_code(2, 0), Err(Error::NoSuchChannel(2)));
    }
}
