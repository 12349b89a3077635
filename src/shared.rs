//! The lock-free state shared by the session manager, the pulse engine and the supervisor.
//!
//! Owns nothing but atomics: intensity levels and the running pattern flow down, telemetry and
//! the trip flag flow up. No locks, so no thread can block another through it.

use crate::model::limits::ceiling::CHANNELS;
use crate::pulse::pattern::{self, Pattern};
use crate::pulse::Setpoint;
use crate::safety::armed::{self, ArmedLimits};
use std::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU64, Ordering};

/// Per-channel telemetry the engine publishes after each pulse.
#[derive(Default)]
pub struct ChannelTelemetry {
    /// Packed setpoint of the most recent pulse. Never reset, so the supervisor always checks
    /// the parameters the pulse really had, however soon the channel goes idle after it.
    pub commanded: AtomicU64,
    /// Pulses delivered so far; a change tells the supervisor a new pulse went out.
    pub pulses: AtomicU64,
    /// Monotonic ns since the DAC code became non-zero, 0 while it is zero.
    pub nonzero_since_ns: AtomicU64,
    /// Consecutive pulses without current sensed.
    pub contact_misses: AtomicU32,
    /// Set by the engine after `CONTACT_LOSS_PULSES` misses: it stops pulsing the channel until
    /// the session manager clears this on `Resume`.
    pub contact_lost: AtomicBool,
    /// Packed setpoint of the last pulse the engine refused to write because it broke the
    /// armed limits (0 = none): what the supervisor's `over_limit` trip reports.
    pub refused: AtomicU64,
}

/// Shared between the threads; create once and hand out `Arc`s.
#[derive(Default)]
pub struct Shared {
    /// Each channel's intensity (µA; 0 = no pulses): the person's level, rise-limited by the
    /// session manager. Anyone may lower it to zero at once (`zero_all`).
    pub levels: [AtomicU32; CHANNELS],
    /// The waveform every channel runs and when it began. Written by one thread only (the
    /// session manager, or a bench that replaces it).
    pub pattern: PatternCell,
    /// A session wants output: the supervisor may enable the output stage, and the engine may
    /// write non-zero codes. Set only through `arm`, cleared through `disarm`.
    pub armed: AtomicBool,
    /// The limits the running session was armed with (`arm`): the engine checks every pulse
    /// against them before writing it, the supervisor every pulse the engine delivered.
    pub armed_limits: WordCell<{ armed::WORDS }>,
    /// The daemon's D-Bus connection is alive (no bus in benches: always true there). The
    /// supervisor pets the watchdogs only while it is.
    pub bus_alive: AtomicBool,
    /// Set by the supervisor on a trip; the engine then writes zero and stops pulsing.
    pub tripped: AtomicBool,
    pub engine_heartbeat_ns: AtomicU64,
    /// Engine-detected fault (a `FaultCode` as u32, 0 = none).
    pub engine_fault: AtomicU32,
    /// Whether the last DAC write succeeded.
    pub dac_ok: AtomicBool,
    pub telemetry: [ChannelTelemetry; CHANNELS],
    pub manager_heartbeat_ns: AtomicU64,
    /// Set once the daemon has told systemd READY=1; the supervisor pings the watchdog only
    /// from then on (systemd arms the watchdog when start-up completes).
    pub ready: AtomicBool,
    pub stats: crate::engine::stats::TimingStats,
    /// Fault injection, set only through the sim board's `Sim.InjectFault("engine_stall")`:
    /// the engine stops for this many ms at the top of its next loop (between pulses, every
    /// DAC at zero), so its heartbeat goes missing.
    pub injected_stall_ms: AtomicU32,
}

impl Shared {
    pub fn new() -> Shared {
        let s = Shared::default();
        s.dac_ok.store(true, Ordering::Release);
        s.bus_alive.store(true, Ordering::Release);
        s
    }

    /// Arms output for a session with its effective limits: the limits first, then the flag,
    /// so neither the engine nor the supervisor ever sees the flag without them.
    pub fn arm(&self, limits: &ArmedLimits) {
        self.armed_limits.publish(limits.to_words());
        self.armed.store(true, Ordering::Release);
    }

    /// The one way to go safe from the session side: every level to zero (no new pulse
    /// starts), then output disarmed (the supervisor cuts the output stage on its next loop,
    /// the engine writes only zero codes). Idempotent; lock-free, so any thread may call it.
    pub fn disarm(&self) {
        self.zero_all();
        self.armed.store(false, Ordering::Release);
    }

    /// Publishes the waveform every channel runs from `start_ns` on (session side only; call
    /// it while every level is zero, so no pulse mixes two patterns).
    pub fn publish_pattern(&self, pattern: Pattern, start_ns: u64) {
        self.pattern.publish(pattern, start_ns);
    }

    /// Contact is judged afresh on every channel (session start, resume).
    pub fn reset_contact(&self) {
        for tel in &self.telemetry {
            tel.contact_misses.store(0, Ordering::Release);
            tel.contact_lost.store(false, Ordering::Release);
        }
    }

    /// Whether the engine stopped `channel` for lost contact.
    pub fn contact_lost(&self, channel: usize) -> bool {
        self.telemetry
            .get(channel)
            .is_some_and(|t| t.contact_lost.load(Ordering::Acquire))
    }

    /// Whether the last pulses on `channel` sensed current (no miss since the last one did).
    pub fn contact_sensed(&self, channel: usize) -> bool {
        self.telemetry.get(channel).is_some_and(|t| {
            t.contact_misses.load(Ordering::Acquire) == 0 && !t.contact_lost.load(Ordering::Acquire)
        })
    }

    /// The session manager is alive at `now_ns` (the supervisor pets the watchdogs only while
    /// it beats).
    pub fn beat_manager(&self, now_ns: u64) {
        self.manager_heartbeat_ns.store(now_ns, Ordering::Release);
    }

    /// The limits output was last armed with, or `None` before the first arming (or, rarely,
    /// while they are being replaced).
    pub fn armed_limits(&self) -> Option<ArmedLimits> {
        self.armed_limits
            .read()
            .map(|(w, _)| ArmedLimits::from_words(w))
    }

    /// A channel's intensity level.
    pub fn level(&self, channel: usize) -> u32 {
        self.levels
            .get(channel)
            .map_or(0, |l| l.load(Ordering::Acquire))
    }

    pub fn set_level(&self, channel: usize, microamps: u32) {
        if let Some(slot) = self.levels.get(channel) {
            slot.store(microamps, Ordering::Release);
        }
    }

    /// Runs a steady train of `sp` on `channel` (benches and tests). The pattern is shared by
    /// all channels, so every channel gets `sp`'s shape.
    pub fn set_setpoint(&self, channel: usize, sp: Setpoint) {
        let p = Pattern::steady(sp.period.0, sp.phase.0);
        if self.pattern.read().map(|c| c.pattern) != Some(p) {
            self.pattern.publish(p, crate::clock::now_ns());
        }
        self.set_level(channel, sp.amplitude.0);
    }

    /// Every level to zero: no new pulse starts.
    pub fn zero_all(&self) {
        for slot in &self.levels {
            slot.store(0, Ordering::Release);
        }
    }

    pub fn commanded(&self, channel: usize) -> Setpoint {
        Setpoint::unpack(self.telemetry[channel].commanded.load(Ordering::Acquire))
    }
}

/// The pattern as published: the waveform, when its time 0 is (monotonic ns), and a generation
/// that changes with every publication (the engine restarts its schedule on a change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternCommand {
    pub pattern: Pattern,
    pub start_ns: u64,
    pub generation: u32,
}

const CELL_WORDS: usize = pattern::WORDS + 2;

/// The running pattern, published through a `WordCell`.
#[derive(Default)]
pub struct PatternCell(WordCell<CELL_WORDS>);

impl PatternCell {
    /// Publishes a new pattern starting at `start_ns`. Single writer only.
    pub fn publish(&self, p: Pattern, start_ns: u64) {
        let mut w = [0u32; CELL_WORDS];
        for (slot, v) in w.iter_mut().zip(
            p.to_words()
                .into_iter()
                .chain([start_ns as u32, (start_ns >> 32) as u32]),
        ) {
            *slot = v;
        }
        self.0.publish(w);
    }

    /// A consistent copy, or `None` if nothing was published yet or a write was under way
    /// (after a few tries).
    pub fn read(&self) -> Option<PatternCommand> {
        let (w, generation) = self.0.read()?;
        let mut pw = [0u32; pattern::WORDS];
        pw.copy_from_slice(&w[..pattern::WORDS]);
        Some(PatternCommand {
            pattern: Pattern::from_words(pw),
            start_ns: u64::from(w[pattern::WORDS]) | u64::from(w[pattern::WORDS + 1]) << 32,
            generation,
        })
    }
}

/// A sequence lock over plain atomic words: one writer, readers that never wait. A reader that
/// meets a write in progress gets `None` and keeps what it had; it never blocks the engine.
pub struct WordCell<const N: usize> {
    seq: AtomicU32,
    words: [AtomicU32; N],
}

impl<const N: usize> Default for WordCell<N> {
    fn default() -> Self {
        WordCell {
            seq: AtomicU32::new(0),
            words: std::array::from_fn(|_| AtomicU32::new(0)),
        }
    }
}

impl<const N: usize> WordCell<N> {
    /// Publishes new words. Single writer only.
    pub fn publish(&self, w: [u32; N]) {
        let s = self.seq.load(Ordering::Relaxed);
        self.seq.store(s.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        for (slot, v) in self.words.iter().zip(w) {
            slot.store(v, Ordering::Relaxed);
        }
        self.seq.store(s.wrapping_add(2), Ordering::Release);
    }

    /// A consistent copy and its generation (1 for the first publication), or `None` if
    /// nothing was published yet or a write was under way (after a few tries).
    pub fn read(&self) -> Option<([u32; N], u32)> {
        for _ in 0..4 {
            let s1 = self.seq.load(Ordering::Acquire);
            if s1 % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let mut w = [0u32; N];
            for (v, slot) in w.iter_mut().zip(&self.words) {
                *v = slot.load(Ordering::Relaxed);
            }
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) != s1 {
                continue;
            }
            if s1 == 0 {
                return None;
            }
            return Some((w, s1 / 2));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_cell_round_trips_and_counts_generations() {
        let c = PatternCell::default();
        assert_eq!(c.read(), None);
        let p = Pattern {
            burst_pulses: 8,
            train_us: 500_000,
            ..Pattern::steady(10_000, 200)
        };
        c.publish(p, 5_000_000_000_123);
        let r = c.read().unwrap();
        assert_eq!(
            (r.pattern, r.start_ns, r.generation),
            (p, 5_000_000_000_123, 1)
        );
        c.publish(p, 7);
        assert_eq!(c.read().unwrap().generation, 2);
    }

    #[test]
    fn readers_never_see_a_torn_pattern() {
        let c = std::sync::Arc::new(PatternCell::default());
        let a = Pattern::steady(12_500, 200);
        let b = Pattern {
            burst_pulses: 10,
            train_us: 250_000,
            ..Pattern::steady(10_000, 100)
        };
        let w = c.clone();
        let writer = std::thread::spawn(move || {
            for i in 0..20_000u64 {
                w.publish(if i % 2 == 0 { a } else { b }, i);
                // Back to back (reads overlap writes), and now and then a pause (the manager
                // publishes rarely) so readers get windows even under an emulator.
                if i % 16 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(50));
                } else {
                    for _ in 0..200 {
                        std::hint::spin_loop();
                    }
                }
            }
        });
        let mut seen = 0;
        while !writer.is_finished() {
            if let Some(r) = c.read() {
                assert!(r.pattern == a || r.pattern == b, "torn: {:?}", r.pattern);
                assert_eq!(
                    r.pattern == a,
                    r.start_ns % 2 == 0,
                    "pattern and start torn"
                );
                seen += 1;
            }
        }
        writer.join().unwrap();
        assert!(seen > 0, "a reader never got a consistent copy");
        assert_eq!(c.read().map(|r| r.start_ns), Some(19_999));
    }
}
