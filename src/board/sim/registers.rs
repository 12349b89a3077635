//! The sim board's hardware state as plain atomics ("registers"), in process memory or in a
//! shared-memory file.
//!
//! In a file (`[sim] hardware_file`), the simulated hardware outlives the daemon: another
//! process maps the same file and sees what a scope on the real board would see after the
//! daemon is killed — the DAC holding its last code, the HV enable still on, and the interlock
//! monostable running out 10 ms after its last toggle. Timestamps are `CLOCK_MONOTONIC`, which
//! every process on the machine shares.

use crate::sys::SharedWords;
use std::fs::OpenOptions;
use std::io;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The first word of a register file: the layout's name and version ("STIMSIM" + 2: one
/// 64-bit word per register, in the order of `word`).
const MAGIC: u64 = u64::from_le_bytes(*b"STIMSIM2");

/// Mid-scale of the modelled 12-bit DAC, its power-on code: 0 mA on an ideal board (with a
/// modelled analog offset, that offset).
pub const MID: u16 = 2048;

/// How long the interlock monostable holds the output enabled after its last toggle.
pub const INTERLOCK_TIMEOUT_NS: u64 = 10_000_000;

/// Where each register lives in the file: its word index (arrays take consecutive words).
mod word {
    pub const MAGIC: usize = 0;
    pub const CODES: usize = 1;
    pub const PADS_ON: usize = 3;
    pub const HV_ENABLE: usize = 5;
    pub const INTERLOCK_LEVEL: usize = 6;
    pub const HV_CUT_NS: usize = 7;
    pub const INTERLOCK_TOGGLED_NS: usize = 8;
    pub const OVERCURRENT_UNTIL_NS: usize = 9;
    pub const SPI_ERROR_UNTIL_NS: usize = 10;
    pub const SPI_FAILED_NS: usize = 11;
    pub const GPIO_ERROR_UNTIL_NS: usize = 12;
    pub const PHASE_STALL_MS: usize = 13;
    pub const SUPERVISOR_STALL_MS: usize = 14;
    pub const BATTERY: usize = 15;
    pub const PHASE_STALLED_NS: usize = 16;
    pub const PROBE_UA: usize = 17;
    pub const PROBE_HIT_NS: usize = 18;
}

/// Words in a register file (8 bytes each).
pub const WORDS: usize = 19;

/// The raw register file: `WORDS` atomic words, in memory or mapped from a file.
type Words = [AtomicU64; WORDS];

/// A register's value type, stored in the low bits of its word. Any word reads as a valid
/// value (a `bool` is any non-zero word), so a word another process scribbled on is never
/// undefined behaviour, only a strange register.
pub trait RegValue: Copy {
    /// The value as its word.
    fn to_word(self) -> u64;
    /// The value a word holds.
    fn from_word(w: u64) -> Self;
}

impl RegValue for u64 {
    fn to_word(self) -> u64 {
        self
    }
    fn from_word(w: u64) -> u64 {
        w
    }
}

impl RegValue for u32 {
    fn to_word(self) -> u64 {
        u64::from(self)
    }
    fn from_word(w: u64) -> u32 {
        w as u32
    }
}

impl RegValue for u16 {
    fn to_word(self) -> u64 {
        u64::from(self)
    }
    fn from_word(w: u64) -> u16 {
        w as u16
    }
}

impl RegValue for i32 {
    fn to_word(self) -> u64 {
        u64::from(self as u32)
    }
    fn from_word(w: u64) -> i32 {
        w as u32 as i32
    }
}

impl RegValue for bool {
    fn to_word(self) -> u64 {
        u64::from(self)
    }
    fn from_word(w: u64) -> bool {
        w != 0
    }
}

/// One register: a word of the register file read and written atomically as a `T`, with the
/// same calls (and orderings) as the standard atomics.
pub struct Reg<'a, T> {
    word: &'a AtomicU64,
    value: PhantomData<T>,
}

impl<T> Clone for Reg<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Reg<'_, T> {}

impl<'a, T: RegValue> Reg<'a, T> {
    fn at(words: &'a Words, index: usize) -> Reg<'a, T> {
        Reg {
            word: &words[index],
            value: PhantomData,
        }
    }

    /// The register's value (`AtomicU64::load`).
    pub fn load(&self, order: Ordering) -> T {
        T::from_word(self.word.load(order))
    }

    /// Sets the register (`AtomicU64::store`).
    pub fn store(&self, v: T, order: Ordering) {
        self.word.store(v.to_word(), order);
    }

    /// Sets the register and returns what it held (`AtomicU64::swap`).
    pub fn swap(&self, v: T, order: Ordering) -> T {
        T::from_word(self.word.swap(v.to_word(), order))
    }

    /// Sets the register to `new` if it holds `current` (`AtomicU64::compare_exchange`): `Ok`
    /// with the old value if it did, else `Err` with what it holds.
    pub fn compare_exchange(
        &self,
        current: T,
        new: T,
        success: Ordering,
        failure: Ordering,
    ) -> Result<T, T> {
        self.word
            .compare_exchange(current.to_word(), new.to_word(), success, failure)
            .map(T::from_word)
            .map_err(T::from_word)
    }
}

/// Every register of the modelled board, named: a view of the register file's words. Two
/// processes that map the same file agree on it; all-zero words are a valid (powered-off)
/// state. Written by the sim board's pins, its SPI device and the `Sim` interface; read by
/// the model thread and by tests that map the file.
#[derive(Clone, Copy)]
pub struct Registers<'a> {
    magic: Reg<'a, u64>,
    /// Each channel's DAC code (12 bits; `MID` is mid-scale), as the DAC last latched it.
    pub codes: [Reg<'a, u16>; 2],
    /// Whether each channel's pads are on the skin (contact sense sees current only then).
    pub pads_on: [Reg<'a, bool>; 2],
    /// The HV enable line: the output stage has power.
    pub hv_enable: Reg<'a, bool>,
    /// The interlock line's level; each change retriggers the monostable.
    pub interlock_level: Reg<'a, bool>,
    /// When the HV enable last went from on to off (monotonic ns).
    pub hv_cut_ns: Reg<'a, u64>,
    /// When the interlock line last changed level (monotonic ns).
    pub interlock_toggled_ns: Reg<'a, u64>,
    /// The overcurrent comparator reads active until then (monotonic ns; injected fault).
    pub overcurrent_until_ns: Reg<'a, u64>,
    /// SPI transfers fail until then (monotonic ns; injected fault).
    pub spi_error_until_ns: Reg<'a, u64>,
    /// When a transfer first failed since the last `clear_spi_failure` (0 = none).
    pub spi_failed_ns: Reg<'a, u64>,
    /// GPIO lines fail to read or drive until then (monotonic ns; injected fault).
    pub gpio_error_until_ns: Reg<'a, u64>,
    /// A stall of the engine right after it latched a non-zero code (a phase held too long).
    pub phase_stall_ms: Reg<'a, u32>,
    /// A stall of the supervisor at its next interlock toggle (ms; injected fault).
    pub supervisor_stall_ms: Reg<'a, u32>,
    /// Battery level in percent, −1 when unknown.
    pub battery: Reg<'a, i32>,
    /// When the DAC latched the stalled phase's code (0 = not yet).
    pub phase_stalled_ns: Reg<'a, u64>,
    /// `|µA|` at or above which `probe_hit_ns` records its first latch (0 = probe off).
    pub probe_ua: Reg<'a, u32>,
    /// When the probe first saw its current latched (monotonic ns, 0 = not yet).
    pub probe_hit_ns: Reg<'a, u64>,
}

impl<'a> Registers<'a> {
    /// Names the words of a register file.
    fn of(w: &'a Words) -> Registers<'a> {
        Registers {
            magic: Reg::at(w, word::MAGIC),
            codes: [Reg::at(w, word::CODES), Reg::at(w, word::CODES + 1)],
            pads_on: [Reg::at(w, word::PADS_ON), Reg::at(w, word::PADS_ON + 1)],
            hv_enable: Reg::at(w, word::HV_ENABLE),
            interlock_level: Reg::at(w, word::INTERLOCK_LEVEL),
            hv_cut_ns: Reg::at(w, word::HV_CUT_NS),
            interlock_toggled_ns: Reg::at(w, word::INTERLOCK_TOGGLED_NS),
            overcurrent_until_ns: Reg::at(w, word::OVERCURRENT_UNTIL_NS),
            spi_error_until_ns: Reg::at(w, word::SPI_ERROR_UNTIL_NS),
            spi_failed_ns: Reg::at(w, word::SPI_FAILED_NS),
            gpio_error_until_ns: Reg::at(w, word::GPIO_ERROR_UNTIL_NS),
            phase_stall_ms: Reg::at(w, word::PHASE_STALL_MS),
            supervisor_stall_ms: Reg::at(w, word::SUPERVISOR_STALL_MS),
            battery: Reg::at(w, word::BATTERY),
            phase_stalled_ns: Reg::at(w, word::PHASE_STALLED_NS),
            probe_ua: Reg::at(w, word::PROBE_UA),
            probe_hit_ns: Reg::at(w, word::PROBE_HIT_NS),
        }
    }

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
    /// In this process only (no `[sim] hardware_file`).
    Heap(Box<Words>),
    /// In a shared-memory file other processes can map (`Mapping::open`).
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
        b.registers().reset();
        Ok(b)
    }

    /// The registers, named.
    pub fn registers(&self) -> Registers<'_> {
        match self {
            Backing::Heap(w) => Registers::of(w),
            Backing::Mapped(m) => m.registers(),
        }
    }
}

/// A `MAP_SHARED` mapping of a register file, unmapped on drop (`sys::SharedWords`).
pub struct Mapping(SharedWords<WORDS>);

/// Bytes in a register file.
const SIZE: usize = SharedWords::<WORDS>::BYTES;

impl Mapping {
    /// Creates `path` (or reuses it) with the registers' size, and maps it. A file of another
    /// size is set to this one; a file that was longer may have been mapped by another
    /// process, which would then fault on the cut-off pages — register files are the sim
    /// board's and its tests', one per run.
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

    /// Maps an existing register file another process created, checking its size and its
    /// layout's magic word (`InvalidData` if either is not this build's).
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
        SharedWords::map(f).map(Mapping)
    }

    /// The registers, named.
    pub fn registers(&self) -> Registers<'_> {
        Registers::of(self.0.words())
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
        let ra = a.registers();
        ra.codes[1].store(3000, Ordering::Release);
        ra.hv_enable.store(true, Ordering::Release);
        ra.interlock_toggled_ns.store(1_000, Ordering::Release);
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
