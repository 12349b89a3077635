//! The real board: the DAC on spidev and the GPIO lines on a gpio-cdev chip, through
//! linux-embedded-hal, wired as `[linux]` in the configuration says.
//!
//! Owns opening and configuring the device nodes. Every error names the device or line and the
//! OS error. Outputs are requested inactive (HV off, interlock low) so opening the board never
//! enables the output stage.

use super::dac::dac8552::Dac8552;
use super::dac::mcp4922::Mcp4922;
use super::{Board, EngineIo, SafetyIo};
use crate::config::LinuxConfig;
use gpio_cdev::{Chip, LineRequestFlags};
use linux_embedded_hal::{CdevPin, SpidevDevice};
use spidev::{SpiModeFlags, SpidevOptions};

const CONSUMER: &str = "stimd";

/// Opens the board. Fails with a message naming the device or line that is missing or busy.
pub fn build(cfg: &LinuxConfig) -> Result<Board, String> {
    let mut spi = SpidevDevice::open(&cfg.spi_device)
        .map_err(|e| format!("SPI device {}: {e}", cfg.spi_device))?;
    let mode = match cfg.spi_mode {
        1 => SpiModeFlags::SPI_MODE_1,
        2 => SpiModeFlags::SPI_MODE_2,
        3 => SpiModeFlags::SPI_MODE_3,
        _ => SpiModeFlags::SPI_MODE_0,
    };
    let options = SpidevOptions::new()
        .bits_per_word(8)
        .max_speed_hz(cfg.spi_speed_hz)
        .mode(mode)
        .build();
    spi.0
        .configure(&options)
        .map_err(|e| format!("SPI device {}: cannot configure: {e}", cfg.spi_device))?;

    let mut chip =
        Chip::new(&cfg.gpio_chip).map_err(|e| format!("GPIO chip {}: {e}", cfg.gpio_chip))?;
    let mut line = |name: &str, output: bool| -> Result<CdevPin, String> {
        let offset = cfg
            .offset(name)
            .ok_or_else(|| format!("unknown line {name}"))?;
        let mut flags = if output {
            LineRequestFlags::OUTPUT
        } else {
            LineRequestFlags::INPUT
        };
        if cfg.active_low.iter().any(|n| n == name) {
            flags |= LineRequestFlags::ACTIVE_LOW;
        }
        let where_ = format!("GPIO line {name} ({} offset {offset})", cfg.gpio_chip);
        let handle = chip
            .get_line(offset)
            .and_then(|l| l.request(flags, 0, CONSUMER))
            .map_err(|e| format!("{where_}: {e}"))?;
        CdevPin::new(handle).map_err(|e| format!("{where_}: {e}"))
    };
    let hv_enable = line("hv_enable", true)?;
    let interlock = line("interlock", true)?;
    let contacts = vec![line("contact0", false)?, line("contact1", false)?];
    let overcurrent = line("overcurrent", false)?;
    Ok(Board {
        name: "linux",
        engine: EngineIo {
            dac: if cfg.dac == "dac8552" {
                Box::new(Dac8552::new(spi))
            } else {
                Box::new(Mcp4922::new(spi))
            },
            contacts: contacts.into_iter().map(|p| Box::new(p) as _).collect(),
        },
        safety: SafetyIo {
            interlock: Box::new(interlock),
            hv_enable: Box::new(hv_enable),
            overcurrent: Box::new(overcurrent),
        },
        sim: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_spi_device_is_named() {
        let cfg = LinuxConfig {
            spi_device: "/dev/spidev-stimd-test-none".into(),
            ..LinuxConfig::default()
        };
        let e = build(&cfg).err().expect("no such device");
        assert!(
            e.starts_with("SPI device /dev/spidev-stimd-test-none: "),
            "{e}"
        );
        assert!(e.contains("No such file"), "{e}");
    }
}
