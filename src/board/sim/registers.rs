//! The sim board's hardware state as plain atomics ("registers"), in process memory or in a
//! shared-memory file.
//!
//! In a file (`[sim] hardware_file`), the simulated hardware outlives the daemon: another
//! process maps the same file and sees what a scope on the real board would see after the
//! daemon is killed — the DAC holding its last code, the HV enable still on, and the interlock
//! monostable running out 10 ms after its last toggle. Timestamps are `CLOCK_MONOTONIC`, which
//! every process on the machine shares.

use std::fs::OpenOptions;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU16, AtomicU32, AtomicU64, Ordering};

/// The first word of a register file: the layout's name and version ("STIMSIM" + 1).
const MAGIC: u64 = u64::from_le_bytes(*b"STIMSIM1");

/// Mid-scale of the modelled 12-bit DAC: 0 mA.
pub const MID: u16 = 2048;

/// How long the interlock monostable holds the output enabled after its last toggle.
pub const INTERLOCK_TIMEOUT_NS: u64 = 10_000_000;

/// Every register of the modelled board. `repr(C)` and atomics only, so two processes that
/// map the same file agree on it; all-zero bytes are a valid value.
#[repr(C)]
#[derive(Default)]
pub struct Registers {
    magic: AtomicU64,
    pub codes: [AtomicU16; 2],
    pub pads_on: [AtomicBool; 2],
    pub hv_enable: AtomicBool,
    pub interlock_level: AtomicBool,
    /// When the HV enable last went from on to off (monotonic ns).
    pub hv_cut_ns: AtomicU64,
    pub interlock_toggled_ns: AtomicU64,
    pub overcurrent_until_ns: AtomicU64,
    pub spi_error_until_ns: AtomicU64,
    /// When a transfer first failed since the last `clear_spi_failure` (0 = none).
    pub spi_failed_ns: AtomicU64,
    pub gpio_error_until_ns: AtomicU64,
    /// A stall of the engine right after it latched a non-zero code (a phase held too long).
    pub phase_stall_ms: AtomicU32,
    pub supervisor_stall_ms: AtomicU32,
    pub battery: AtomicI32,
    /// When the DAC latched the stalled phase's code (0 = not yet).
    pub phase_stalled_ns: AtomicU64,
    /// `|µA|` at or above which `probe_hit_ns` records its first latch (0 = probe off).
    pub probe_ua: AtomicU32,
    pub probe_hit_ns: AtomicU64,
}

impl Registers {
    /// Power-on state: DAC at mid-scale, pads on, output stage off, battery full.
    fn reset(&self) {
        for c in &self.codes {
            c.store(MID, Ordering::Release);
        }
        for p in &self.pads_on {
            p.store(true, Ordering::Release);
        }
        for b in [&self.hv_enable, &self.interlock_level] {
            b.store(false, Ordering::Release);
        }
        for t in [
            &self.hv_cut_ns,
            &self.interlock_toggled_ns,
            &self.overcurrent_until_ns,
            &self.spi_error_until_ns,
            &self.spi_failed_ns,
            &self.gpio_error_until_ns,
            &self.phase_stalled_ns,
            &self.probe_hit_ns,
        ] {
            t.store(0, Ordering::Release);
        }
        for n in [
            &self.phase_stall_ms,
            &self.supervisor_stall_ms,
            &self.probe_ua,
        ] {
            n.store(0, Ordering::Release);
        }
        self.battery.store(100, Ordering::Release);
        self.magic.store(MAGIC, Ordering::Release);
    }

    /// Whether the output stage passes current at `now`: HV on and the monostable fresh.
    pub fn output_enabled(&self, now: u64) -> bool {
        self.hv_enable.load(Ordering::Acquire)
            && now.saturating_sub(self.interlock_toggled_ns.load(Ordering::Acquire))
                < INTERLOCK_TIMEOUT_NS
    }

    /// When the monostable runs out (or ran out) unless toggled again.
    pub fn interlock_expiry_ns(&self) -> u64 {
        self.interlock_toggled_ns.load(Ordering::Acquire) + INTERLOCK_TIMEOUT_NS
    }
}

/// Where the registers live: this process's heap, or a shared mapping of a file.
pub enum Backing {
    Heap(Box<Registers>),
    Mapped(Mapping),
}

impl Backing {
    /// Fresh registers in power-on state, in memory or (with `file`) in a shared file that
    /// is created or overwritten.
    pub fn new(file: Option<&Path>) -> io::Result<Backing> {
        let b = match file {
            None => Backing::Heap(Box::default()),
            Some(path) => Backing::Mapped(Mapping::create(path)?),
        };
        b.reset();
        Ok(b)
    }
}

impl std::ops::Deref for Backing {
    type Target = Registers;
    fn deref(&self) -> &Registers {
        match self {
            Backing::Heap(b) => b,
            Backing::Mapped(m) => m.registers(),
        }
    }
}

/// A `MAP_SHARED` mapping of a register file, unmapped on drop (`sys::SharedMap`).
pub struct Mapping(crate::sys::SharedMap<Registers>);

const SIZE: usize = std::mem::size_of::<Registers>();

impl Mapping {
    /// Creates `path` (or reuses it, never shrinking it under another process's mapping)
    /// with the registers' size, and maps it.
    fn create(path: &Path) -> io::Result<Mapping> {
        let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(named)?;
        f.set_len(SIZE as u64).map_err(named)?;
        Mapping::map(&f).map_err(named)
    }

    /// Maps an existing register file another process created, checking its layout.
    pub fn open(path: &Path) -> io::Result<Mapping> {
        let f = OpenOptions::new().read(true).write(true).open(path)?;
        if f.metadata()?.len() != SIZE as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a sim register file", path.display()),
            ));
        }
        let m = Mapping::map(&f)?;
        if m.registers().magic.load(Ordering::Acquire) != MAGIC {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} has another register layout", path.display()),
            ));
        }
        Ok(m)
    }

    fn map(f: &std::fs::File) -> io::Result<Mapping> {
        crate::sys::SharedMap::map(f).map(Mapping)
    }

    /// The registers.
    pub fn registers(&self) -> &Registers {
        self.0.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_mapping_sees_the_first_ones_writes() {
        let dir = std::env::temp_dir().join(format!("stimd-regs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hw");
        let a = Backing::new(Some(&path)).unwrap();
        let b = Mapping::open(&path).unwrap();
        assert_eq!(b.registers().codes[1].load(Ordering::Acquire), MID);
        a.codes[1].store(3000, Ordering::Release);
        a.hv_enable.store(true, Ordering::Release);
        a.interlock_toggled_ns.store(1_000, Ordering::Release);
        let r = b.registers();
        assert_eq!(r.codes[1].load(Ordering::Acquire), 3000);
        assert!(r.output_enabled(1_000 + INTERLOCK_TIMEOUT_NS - 1));
        assert!(!r.output_enabled(1_000 + INTERLOCK_TIMEOUT_NS));
        drop(a);
        std::fs::write(dir.join("other"), [0u8; SIZE]).unwrap();
        assert!(Mapping::open(&dir.join("other")).is_err(), "zeroed file");
        std::fs::write(dir.join("short"), [0u8; 8]).unwrap();
        assert!(Mapping::open(&dir.join("short")).is_err(), "wrong size");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
