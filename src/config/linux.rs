//! The `[linux]` section: where the real board's DAC and GPIO lines are, and how a line is
//! written (an offset, a name, or a chip and an offset).

use serde::{Deserialize, Serialize};

/// The real board (`--board linux`): where the DAC and the GPIO lines are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinuxConfig {
    /// spidev node of the DAC.
    pub spi_device: String,
    /// SPI clock, Hz (100 000..=20 000 000).
    pub spi_speed_hz: u32,
    /// SPI mode: 0 or 3 for the MCP4922, 1 or 2 for the DAC8552.
    pub spi_mode: u8,
    /// DAC chip: `mcp4922` (12-bit) or `dac8552` (16-bit).
    pub dac: String,
    /// GPIO character device holding the lines given by offset.
    pub gpio_chip: String,
    /// Each line is a [`LineSpec`]. Output: enables the output stage's high-voltage supply
    /// (the supervisor owns it).
    pub hv_enable: LineSpec,
    /// Output: toggled by the supervisor every loop to keep the hardware monostable (and the
    /// output) alive.
    pub interlock: LineSpec,
    /// Input: electrode contact on channel 0.
    pub contact0: LineSpec,
    /// Input: electrode contact on channel 1.
    pub contact1: LineSpec,
    /// Input: the hardware overcurrent detector (an edge trips the supervisor).
    pub overcurrent: LineSpec,
    /// Input: the intensity-up push button; an empty name means not fitted.
    pub button_up: LineSpec,
    /// Input: the intensity-down push button; an empty name means not fitted.
    pub button_down: LineSpec,
    /// Input: the stop push button; an empty name means not fitted.
    pub button_stop: LineSpec,
    /// Names of the lines above that are active-low, e.g. `["overcurrent"]`.
    pub active_low: Vec<String>,
}

/// Where a GPIO line is: an offset on `linux.gpio_chip` (`17`), an offset on another chip
/// (`{ chip = "/dev/gpiochip1", offset = 5 }`), or the line's name as the kernel knows it
/// (`"GPIO17"`), looked up on every chip as `gpiofind` does. An empty name means the line is
/// not fitted (allowed for buttons only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LineSpec {
    /// An offset on `linux.gpio_chip`.
    Offset(u32),
    /// The line's name as the kernel knows it; empty: not fitted.
    Name(String),
    /// An offset on another chip.
    At {
        /// The GPIO character device, e.g. `/dev/gpiochip1`.
        chip: String,
        /// The line's offset on that chip.
        offset: u32,
    },
}

impl LineSpec {
    /// Whether the line is there (anything but an empty name).
    pub fn is_fitted(&self) -> bool {
        !matches!(self, LineSpec::Name(n) if n.is_empty())
    }

    /// The same physical line compares equal however it is written (`default_chip` for a bare
    /// offset).
    pub fn same_line(&self, other: &LineSpec, default_chip: &str) -> bool {
        let at = |s: &LineSpec| match s {
            LineSpec::Offset(o) => Some((default_chip.to_string(), *o)),
            LineSpec::At { chip, offset } => Some((chip.clone(), *offset)),
            LineSpec::Name(_) => None,
        };
        match (at(self), at(other)) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self == other,
            _ => false,
        }
    }
}

impl std::fmt::Display for LineSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineSpec::Offset(o) => write!(f, "{o}"),
            LineSpec::Name(n) => write!(f, "{n:?}"),
            LineSpec::At { chip, offset } => write!(f, "{chip} offset {offset}"),
        }
    }
}

/// The lines the board must have, in the order it wires them.
pub const REQUIRED_LINES: [&str; 5] = [
    "hv_enable",
    "interlock",
    "contact0",
    "contact1",
    "overcurrent",
];
/// The optional push buttons.
pub const BUTTON_LINES: [&str; 3] = ["button_up", "button_down", "button_stop"];

impl LinuxConfig {
    /// A line's place by its key name.
    pub fn line(&self, name: &str) -> Option<&LineSpec> {
        Some(match name {
            "hv_enable" => &self.hv_enable,
            "interlock" => &self.interlock,
            "contact0" => &self.contact0,
            "contact1" => &self.contact1,
            "overcurrent" => &self.overcurrent,
            "button_up" => &self.button_up,
            "button_down" => &self.button_down,
            "button_stop" => &self.button_stop,
            _ => return None,
        })
    }

    /// Every line key, required first.
    pub fn line_names() -> impl Iterator<Item = &'static str> {
        REQUIRED_LINES.into_iter().chain(BUTTON_LINES)
    }
}

impl Default for LinuxConfig {
    fn default() -> Self {
        LinuxConfig {
            spi_device: "/dev/spidev0.0".into(),
            spi_speed_hz: 8_000_000,
            spi_mode: 0,
            dac: "mcp4922".into(),
            gpio_chip: "/dev/gpiochip0".into(),
            hv_enable: LineSpec::Offset(17),
            interlock: LineSpec::Offset(27),
            contact0: LineSpec::Offset(22),
            contact1: LineSpec::Offset(23),
            overcurrent: LineSpec::Offset(24),
            // Not fitted unless configured: a floating input must never press "up".
            button_up: LineSpec::Name(String::new()),
            button_down: LineSpec::Name(String::new()),
            button_stop: LineSpec::Name(String::new()),
            active_low: Vec::new(),
        }
    }
}
