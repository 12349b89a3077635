//! Texas Instruments DAC8552: 16-bit dual DAC, one 24-bit frame per channel write.
//!
//! Frame: a control byte — bit 5 LDB, bit 4 LDA (load the DAC register from its buffer), bit 2
//! buffer select (0 = A, 1 = B), bits 1..0 power-down (00 = normal) — then the 16-bit code,
//! straight binary, MSB first. Each write loads its own channel at once.

use super::Transfers;
use crate::board::{BoardError, Dac};
use embedded_hal::spi::{Error as _, SpiDevice};

/// Resolution of the codes (mid-scale 32768 is 0 mA on an ideal board).
pub const BITS: u32 = 16;

const LDA: u8 = 1 << 4;
const LDB: u8 = 1 << 5;
const BUFFER_B: u8 = 1 << 2;

/// Driver errors.
#[derive(Debug, PartialEq, Eq)]
pub enum Error<SPI> {
    /// The SPI bus failed.
    Spi(SPI),
    /// The chip has channels 0 and 1 only.
    NoSuchChannel(usize),
}

/// One write-and-load command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// 0 = A, 1 = B (only the lowest bit counts).
    pub channel: u8,
    /// The 16-bit code, straight binary.
    pub code: u16,
}

impl Command {
    /// The three bytes sent on the bus.
    pub fn frame(self) -> [u8; 3] {
        let control = if self.channel & 1 == 0 {
            LDA
        } else {
            LDB | BUFFER_B
        };
        let [hi, lo] = self.code.to_be_bytes();
        [control, hi, lo]
    }

    /// Decodes a frame; `None` for anything but a normal-mode write-and-load of one channel.
    pub fn parse(frame: [u8; 3]) -> Option<Command> {
        let channel = match frame[0] {
            LDA => 0,
            c if c == LDB | BUFFER_B => 1,
            _ => return None,
        };
        Some(Command {
            channel,
            code: u16::from_be_bytes([frame[1], frame[2]]),
        })
    }
}

/// A DAC8552 on an SPI device (mode 1 on the chip; the device is configured in `[linux]`).
pub struct Dac8552<SPI> {
    spi: SPI,
    calibration: Transfers,
}

impl<SPI: SpiDevice> Dac8552<SPI> {
    /// A driver on `spi`, uncalibrated (mid-scale is 0 µA); writes nothing until told to.
    pub fn new(spi: SPI) -> Self {
        Dac8552 {
            spi,
            calibration: Transfers::IDEAL,
        }
    }

    /// The same driver mapping currents through each channel's calibration.
    pub fn calibrated(self, calibration: Transfers) -> Self {
        Dac8552 {
            calibration,
            ..self
        }
    }

    /// Writes a raw code to a channel and loads it.
    pub fn write_code(&mut self, channel: usize, code: u16) -> Result<(), Error<SPI::Error>> {
        if channel > 1 {
            return Err(Error::NoSuchChannel(channel));
        }
        let frame = Command {
            channel: channel as u8,
            code,
        }
        .frame();
        self.spi.write(&frame).map_err(Error::Spi)
    }
}

impl<SPI: SpiDevice + Send> Dac for Dac8552<SPI> {
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

    fn write(bytes: [u8; 3]) -> Vec<Transaction<u8>> {
        vec![
            Transaction::transaction_start(),
            Transaction::write_vec(bytes.to_vec()),
            Transaction::transaction_end(),
        ]
    }

    #[test]
    fn every_frame_both_channels_zero_full_scale_and_rounding() {
        let expect: Vec<Transaction<u8>> = [
            [0x10, 0x80, 0x00], // A, 0 mA: mid-scale
            [0x24, 0x80, 0x00], // B, 0 mA
            [0x10, 0xFF, 0xFF], // A, +100 mA: full scale
            [0x24, 0x00, 0x01], // B, −100 mA: the code mirrored around mid-scale
            // 1 µA is 0.33 LSB (100 mA / 32767): rounds towards zero, to mid-scale.
            [0x10, 0x80, 0x00],
            // 25 mA: 8191.75 LSB → 8191 (never above the request).
            [0x24, 0x9F, 0xFF],
        ]
        .into_iter()
        .flat_map(write)
        .collect();
        let mut spi = Mock::new(&expect);
        let mut dac = Dac8552::new(spi.clone());
        for (ch, ua) in [
            (0, 0),
            (1, 0),
            (0, 100_000),
            (1, -100_000),
            (0, 1),
            (1, 25_000),
        ] {
            dac.set_current(ch, ua).unwrap();
        }
        spi.done();
        assert_eq!(
            super::super::Transfer::IDEAL.microamps(0x9FFF, BITS),
            24_997
        );
    }

    #[test]
    fn frame_round_trips() {
        for c in [
            Command {
                channel: 0,
                code: 0x1234,
            },
            Command {
                channel: 1,
                code: 0xFEDC,
            },
        ] {
            assert_eq!(Command::parse(c.frame()), Some(c));
        }
        assert_eq!(
            Command::parse([0x01, 0, 0]),
            None,
            "power-down is not a write"
        );
    }

    #[test]
    fn bus_errors_surface_as_typed_errors() {
        let mut dac = Dac8552::new(BrokenBus(embedded_hal::spi::ErrorKind::FrameFormat));
        assert_eq!(
            dac.write_code(1, 0),
            Err(Error::Spi(embedded_hal::spi::ErrorKind::FrameFormat))
        );
        assert_eq!(
            dac.set_current(0, 0),
            Err(BoardError::Spi(embedded_hal::spi::ErrorKind::FrameFormat))
        );
        assert_eq!(dac.write_code(2, 0), Err(Error::NoSuchChannel(2)));
    }
}
