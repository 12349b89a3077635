//! Finding and requesting the configured GPIO lines: by offset on `linux.gpio_chip`, or by name
//! on any chip (as `gpiofind` does), active-low where the configuration says. Outputs are
//! requested inactive; inputs either plainly or for edge events. Lines are driven and read by
//! their logical value (`pin::LinePin`: the kernel applies active-low). Every error names the
//! line, where it was looked for, and the OS error.

use super::pin::LinePin;
use super::LinuxError;
use crate::config::{LineSpec, LinuxConfig};
use gpio_cdev::{Chip, EventRequestFlags, Line, LineEventHandle, LineRequestFlags};
use std::collections::hash_map::{Entry, HashMap};

const CONSUMER: &str = "stimd";

/// The configured lines, requested one by one.
pub struct Lines<'a> {
    cfg: &'a LinuxConfig,
    /// The chips opened so far, by path.
    chips: HashMap<String, Chip>,
}

impl<'a> Lines<'a> {
    pub fn new(cfg: &'a LinuxConfig) -> Lines<'a> {
        Lines {
            cfg,
            chips: HashMap::new(),
        }
    }

    /// Whether the line `key` is wired (buttons may be absent).
    pub fn fitted(&self, key: &str) -> bool {
        self.cfg.line(key).is_some_and(LineSpec::is_fitted)
    }

    /// An output, requested inactive.
    pub fn output(&mut self, key: &str) -> Result<LinePin, LinuxError> {
        let (line, at) = self.find(key)?;
        let handle = line
            .request(self.flags(key, LineRequestFlags::OUTPUT), 0, CONSUMER)
            .map_err(|source| line_error(&at, source))?;
        tracing::info!("{at}: output, inactive");
        Ok(LinePin(handle))
    }

    /// An input read by polling.
    pub fn input(&mut self, key: &str) -> Result<LinePin, LinuxError> {
        let (line, at) = self.find(key)?;
        let handle = line
            .request(self.flags(key, LineRequestFlags::INPUT), 0, CONSUMER)
            .map_err(|source| line_error(&at, source))?;
        tracing::info!("{at}: input");
        Ok(LinePin(handle))
    }

    /// An input that reports both edges, and where it is (for messages).
    pub fn events(&mut self, key: &str) -> Result<(LineEventHandle, String), LinuxError> {
        let (line, at) = self.find(key)?;
        let handle = line
            .events(
                self.flags(key, LineRequestFlags::INPUT),
                EventRequestFlags::BOTH_EDGES,
                CONSUMER,
            )
            .map_err(|source| line_error(&at, source))?;
        tracing::info!("{at}: input, edge events");
        Ok((handle, at))
    }

    fn flags(&self, key: &str, base: LineRequestFlags) -> LineRequestFlags {
        if self.cfg.active_low.iter().any(|n| n == key) {
            base | LineRequestFlags::ACTIVE_LOW
        } else {
            base
        }
    }

    /// The line for `key`, and a description of where it is.
    fn find(&mut self, key: &str) -> Result<(Line, String), LinuxError> {
        let spec = self.cfg.line(key).ok_or_else(|| LinuxError::NotALine {
            key: key.to_string(),
        })?;
        let (path, offset) = match spec {
            LineSpec::Offset(offset) => (&self.cfg.gpio_chip, *offset),
            LineSpec::At { chip, offset } => (chip, *offset),
            LineSpec::Name(name) => return by_name(key, name),
        };
        let at = format!("GPIO line {key} ({path} offset {offset})");
        let chip = match self.chips.entry(path.clone()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                e.insert(Chip::new(path).map_err(|source| line_error(&at, source))?)
            }
        };
        let line = chip
            .get_line(offset)
            .map_err(|source| line_error(&at, source))?;
        Ok((line, at))
    }
}

/// Looks a line name up on every GPIO chip.
fn by_name(key: &str, name: &str) -> Result<(Line, String), LinuxError> {
    let chips = gpio_cdev::chips().map_err(|source| LinuxError::Chips {
        key: key.to_string(),
        name: name.to_string(),
        source,
    })?;
    for chip in chips.flatten() {
        for line in chip.lines() {
            if line.info().is_ok_and(|i| i.name() == Some(name)) {
                let at = format!(
                    "GPIO line {key} ({name:?}, {} offset {})",
                    chip.path().display(),
                    line.offset()
                );
                return Ok((line, at));
            }
        }
    }
    Err(LinuxError::NoLineNamed {
        key: key.to_string(),
        name: name.to_string(),
    })
}

fn line_error(at: &str, source: gpio_cdev::Error) -> LinuxError {
    LinuxError::Line {
        at: at.to_string(),
        source,
    }
}
