//! The hardware watchdog (`watchdog.device`, e.g. `/dev/watchdog`): opened at start-up with its
//! timeout set, petted by the supervisor only while every thread is healthy, and closed with the
//! magic `V` only on a clean shutdown — a crash or a hang leaves it armed and the board resets
//! (and comes up disarmed).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct HwWatchdog {
    file: File,
    path: PathBuf,
    interval_ns: u64,
    last_ns: u64,
}

impl HwWatchdog {
    /// Opens the device and sets its timeout. A file that is not a watchdog device (no
    /// `ioctl`) is accepted with a warning, so the behaviour can be tested without hardware.
    pub fn open(path: &Path, timeout_s: u32) -> std::io::Result<HwWatchdog> {
        let file = std::fs::OpenOptions::new().write(true).open(path)?;
        match crate::sys::watchdog_set_timeout(&file, timeout_s) {
            Ok(t) => {
                tracing::info!(path = %path.display(), timeout_s = t, "watchdog: hardware watchdog armed")
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOTTY) => {
                tracing::warn!(path = %path.display(), "watchdog: not a watchdog device; its timeout was not set");
            }
            Err(e) => return Err(e),
        }
        Ok(HwWatchdog {
            file,
            path: path.to_path_buf(),
            // Three pets per timeout.
            interval_ns: u64::from(timeout_s) * 1_000_000_000 / 3,
            last_ns: 0,
        })
    }

    /// Pets the watchdog if a pet is due at `now_ns`. Call only while every thread is healthy.
    pub fn pet(&mut self, now_ns: u64) {
        if now_ns.saturating_sub(self.last_ns) < self.interval_ns {
            return;
        }
        self.last_ns = now_ns;
        if let Err(e) = self.file.write_all(b"\0") {
            tracing::error!(path = %self.path.display(), "watchdog: cannot pet: {e}");
        }
    }

    /// Clean shutdown: the magic close disarms the watchdog.
    pub fn magic_close(mut self) {
        if let Err(e) = self.file.write_all(b"V") {
            tracing::error!(path = %self.path.display(), "watchdog: magic close failed: {e}");
        }
    }
}
