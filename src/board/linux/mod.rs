//! The real board: the DAC on spidev and the GPIO lines on gpio-cdev chips, through
//! linux-embedded-hal, wired as `[linux]` in the configuration says.
//!
//! Owns opening and configuring the device nodes. Every error names the device or line and the
//! OS error. Outputs are requested inactive (HV off, interlock low) so opening the board never
//! enables the output stage. The overcurrent comparator and the buttons are read by edge
//! events (`events`); the contact comparators are polled by the engine during each pulse.
//! Lines are driven and read by their logical value (`pin`), active-low applied by the kernel.

mod events;
mod lines;
mod pin;

use super::dac::dac8552::Dac8552;
use super::dac::mcp4922::Mcp4922;
use super::dac::Transfers;
use super::edge::EdgeInput;
use super::{Board, BoardError, Button, Dac, EngineIo, SafetyIo};
use crate::config::LinuxConfig;
use crate::model::limits::ceiling;
use lines::Lines;
use linux_embedded_hal::SpidevDevice;
use spidev::{SpiModeFlags, SpidevOptions};

/// Why the linux board could not be opened: each names the device or line, and keeps the OS
/// error as its source.
#[derive(Debug, thiserror::Error)]
pub enum LinuxError {
    /// The SPI device node could not be opened.
    #[error("SPI device {device}: {source}")]
    SpiOpen {
        /// The configured device (`[linux] spi_device`).
        device: String,
        /// Why opening it failed.
        #[source]
        source: linux_embedded_hal::SPIError,
    },
    /// The SPI device refused the mode, word size or clock the DAC needs.
    #[error("SPI device {device}: cannot configure: {source}")]
    SpiConfigure {
        /// The configured device.
        device: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The first write of zero to the DAC failed.
    #[error("DAC on {device}: cannot write zero: {source}")]
    DacZero {
        /// The SPI device the DAC is on.
        device: String,
        /// The failed transfer.
        #[source]
        source: BoardError,
    },
    /// The board asked for a line key the configuration does not describe.
    #[error("GPIO line {key}: not a line of the board")]
    NotALine {
        /// The line's key (`interlock`, `hv_enable`, …).
        key: String,
    },
    /// A line (described by `at`: its key, chip and offset or name) failed.
    #[error("{at}: {source}")]
    Line {
        /// The line's key and where it is.
        at: String,
        /// The GPIO character device's error.
        #[source]
        source: gpio_cdev::Error,
    },
    /// The GPIO chips could not be listed to look a line name up.
    #[error("GPIO line {key} ({name:?}): {source}")]
    Chips {
        /// The line's key.
        key: String,
        /// The line name being looked up.
        name: String,
        /// The GPIO character device's error.
        #[source]
        source: gpio_cdev::Error,
    },
    /// No GPIO chip has a line of the configured name.
    #[error("GPIO line {key}: no line named {name:?} on any GPIO chip (see `gpioinfo`)")]
    NoLineNamed {
        /// The line's key.
        key: String,
        /// The configured line name.
        name: String,
    },
    /// Edge events were requested outside a tokio runtime (a caller's mistake).
    #[error("{at}: edge events need the daemon's runtime ({source})")]
    NoRuntime {
        /// The line's key and where it is.
        at: String,
        /// Why no runtime was found.
        #[source]
        source: tokio::runtime::TryCurrentError,
    },
}

/// Opens the board, its DAC mapping currents through `calibration` (`[calibration]`). Fails
/// with an error naming the device or line that is missing or busy. Must run inside the
/// daemon's tokio runtime (edge events are read by its tasks).
pub fn build(cfg: &LinuxConfig, calibration: Transfers) -> Result<Board, LinuxError> {
    let mut spi = SpidevDevice::open(&cfg.spi_device).map_err(|source| LinuxError::SpiOpen {
        device: cfg.spi_device.clone(),
        source,
    })?;
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
        .map_err(|source| LinuxError::SpiConfigure {
            device: cfg.spi_device.clone(),
            source,
        })?;

    let mut dac: Box<dyn Dac> = if cfg.dac == "dac8552" {
        Box::new(Dac8552::new(spi).calibrated(calibration))
    } else {
        Box::new(Mcp4922::new(spi).calibrated(calibration))
    };
    // Both chips are write-only: a zero written without an error is all that can be checked.
    for ch in 0..ceiling::CHANNELS {
        dac.set_current(ch, 0)
            .map_err(|source| LinuxError::DacZero {
                device: cfg.spi_device.clone(),
                source,
            })?;
    }

    let mut lines = Lines::new(cfg);
    let hv_enable = lines.output("hv_enable")?;
    let interlock = lines.output("interlock")?;
    let contacts = vec![lines.input("contact0")?, lines.input("contact1")?];
    let (handle, at) = lines.events("overcurrent")?;
    let overcurrent = events::overcurrent(handle, at)?;
    let (tx, button_edges) = tokio::sync::mpsc::unbounded_channel();
    let mut any_button = false;
    for (key, button) in [
        ("button_up", Button::Up),
        ("button_down", Button::Down),
        ("button_stop", Button::Stop),
    ] {
        if lines.fitted(key) {
            let (handle, at) = lines.events(key)?;
            events::button(handle, at, button, tx.clone())?;
            any_button = true;
        }
    }
    Ok(Board {
        name: "linux",
        engine: EngineIo {
            dac,
            contacts: contacts.into_iter().map(|p| Box::new(p) as _).collect(),
        },
        safety: SafetyIo {
            interlock: Box::new(interlock),
            hv_enable: Box::new(hv_enable),
            overcurrent: Box::new(EdgeInput(overcurrent)),
        },
        buttons: any_button.then_some(button_edges),
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
        let e = build(&cfg, Transfers::IDEAL)
            .err()
            .expect("no such device")
            .to_string();
        assert!(
            e.starts_with("SPI device /dev/spidev-stimd-test-none: "),
            "{e}"
        );
        assert!(e.contains("No such file"), "{e}");
    }
}
