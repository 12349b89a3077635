//! The hardware watchdog (`watchdog.device`, e.g. `/dev/watchdog`): opened at start-up with its
//! timeout set, petted by the supervisor only while every thread is healthy, and closed with the
//! magic `V` only on a clean shutdown — a crash or a hang leaves it armed and the board resets
//! (and comes up disarmed).

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// `WDIOC_SETTIMEOUT` = `_IOWR('W', 6, int)`, the same on every Linux architecture we build.
const WDIOC_SETTIMEOUT: u32 = 0xC004_5706;

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
        let mut t: libc::c_int = timeout_s as libc::c_int;
        // SAFETY: WDIOC_SETTIMEOUT reads and writes one int we own; the fd is open.
        let r = unsafe { libc::ioctl(file.as_raw_fd(), WDIOC_SETTIMEOUT as _, &mut t) };
        if r != 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::ENOTTY) {
                tracing::warn!(path = %path.display(), "watchdog: not a watchdog device; its timeout was not set");
            } else {
                return Err(e);
            }
        } else {
            tracing::info!(path = %path.display(), timeout_s = t, "watchdog: hardware watchdog armed");
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
