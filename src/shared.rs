//! The lock-free state shared by the session manager, the pulse engine and the supervisor.
//!
//! Owns nothing but atomics: intensity levels and the running pattern flow down, telemetry and
//! the trip flag flow up. No locks, so no thread can block another through it.
//!
//! Every field is private and grouped by the one side that writes it (`SessionOwned`,
//! `EngineOwned`, `SupervisorOwned`, `DaemonOwned`, `HookOwned`); each side gets only its own
//! calls: the session side the methods on `Shared` itself, the engine an `EnginePort`, the
//! supervisor a `SupervisorPort`, the fault-injection hooks an `InjectionPort`, benches and
//! tests a read-only `Observer`. The ports own their `Arc`, so a thread given one cannot reach
//! the session side's calls (the engine cannot `set_level`). The two places where a second side
//! writes a field are named on the field and are the only calls that do it.

use crate::engine::stats::TimingStats;
use crate::model::limits::ceiling::CHANNELS;
use crate::pulse::pattern::{self, Pattern};
use crate::pulse::Setpoint;
use crate::safety::armed::{self, ArmedLimits};
use crate::safety::fault::FaultCode;
use std::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// Per-channel telemetry the engine publishes after each pulse.
#[derive(Default)]
struct ChannelTelemetry {
    /// Packed setpoint of the most recent pulse. Never reset, so the supervisor always checks
    /// the parameters the pulse really had, however soon the channel goes idle after it.
    commanded: AtomicU64,
    /// Pulses delivered so far; a change tells the supervisor a new pulse went out.
    pulses: AtomicU64,
    /// Monotonic ns since the DAC code became non-zero, 0 while it is zero.
    nonzero_since_ns: AtomicU64,
    /// Consecutive pulses without current sensed. Also reset by the session side
    /// (`reset_contact`, at session start and resume).
    contact_misses: AtomicU32,
    /// Set by the engine after `CONTACT_LOSS_PULSES` misses: it stops pulsing the channel until
    /// the session manager clears this on `Resume` (`reset_contact`).
    contact_lost: AtomicBool,
    /// Packed setpoint of the last pulse the engine refused to write because it broke the
    /// armed limits (0 = none): what the supervisor's `over_limit` trip reports. Also cleared
    /// by the supervisor's acknowledge (`SupervisorPort::clear_faults`).
    refused: AtomicU64,
    /// When the engine refused that pulse (monotonic ns, 0 = none): the moment the
    /// over-limit output would have begun, from which `bench faults` measures the trip.
    refused_at_ns: AtomicU64,
}

/// Written by the session side only: the session manager (or a bench standing in for it), and
/// `disarm`/`zero_all`, which any thread may call to go safe.
#[derive(Default)]
struct SessionOwned {
    /// Each channel's intensity (µA; 0 = no pulses): the person's level, rise-limited by the
    /// session manager.
    levels: [AtomicU32; CHANNELS],
    /// The waveform every channel runs and when it began.
    pattern: PatternCell,
    /// A session wants output: the supervisor may enable the output stage, and the engine may
    /// write non-zero codes. Set only through `arm`, cleared through `disarm`.
    armed: AtomicBool,
    /// The limits the running session was armed with (`arm`): the engine checks every pulse
    /// against them before writing it, the supervisor every pulse the engine delivered.
    armed_limits: WordCell<{ armed::WORDS }>,
    manager_heartbeat_ns: AtomicU64,
}

/// Written by the pulse engine only (`EnginePort`), except where a field says otherwise.
#[derive(Default)]
struct EngineOwned {
    heartbeat_ns: AtomicU64,
    /// Engine-detected fault (a `FaultCode` as u32, 0 = none). Cleared by the supervisor's
    /// acknowledge (`SupervisorPort::clear_faults`).
    fault: AtomicU32,
    /// Whether the last DAC write succeeded.
    dac_ok: AtomicBool,
    telemetry: [ChannelTelemetry; CHANNELS],
    /// Timing statistics (a bench may reset them between its phases).
    stats: TimingStats,
}

/// Written by the supervisor only (`SupervisorPort`).
#[derive(Default)]
struct SupervisorOwned {
    /// Set on a trip; the engine then writes zero and stops pulsing. Cleared on an acknowledge
    /// with the cause gone.
    tripped: AtomicBool,
}

/// Written by the daemon's wiring only.
#[derive(Default)]
struct DaemonOwned {
    /// The daemon's D-Bus connection is alive (no bus in benches: always true there). The
    /// supervisor pets the watchdogs only while it is.
    bus_alive: AtomicBool,
    /// Set once the daemon has told systemd READY=1; the supervisor pets the watchdog only
    /// from then on (systemd arms the watchdog when start-up completes).
    ready: AtomicBool,
}

/// Written by the fault-injection hooks only (`InjectionPort`, used by
/// `safety::inject::FaultInjection`): the software faults the sim board's `Sim` interface and
/// the fault bench inject. Always zero in a daemon on real hardware.
#[derive(Default)]
struct HookOwned {
    /// The engine stops for this many ms at the top of its next loop (between pulses, every
    /// DAC at zero), so its heartbeat goes missing.
    engine_stall_ms: AtomicU32,
    /// A level written past the session manager, as a defect between session and engine
    /// would (0 = none): while set, the engine and the supervisor see it as the channel's
    /// level.
    defect_level: [AtomicU32; CHANNELS],
}

/// Shared between the threads; create once and hand out `Arc`s.
#[derive(Default)]
pub struct Shared {
    session: SessionOwned,
    engine: EngineOwned,
    supervisor: SupervisorOwned,
    daemon: DaemonOwned,
    hooks: HookOwned,
}

/// The level a real-time reader sees on `channel`: an injected defect's, else the session's.
fn effective_level(s: &Shared, channel: usize) -> u32 {
    match s.hooks.defect_level.get(channel) {
        Some(d) if d.load(Ordering::Relaxed) != 0 => d.load(Ordering::Acquire),
        _ => s.level(channel),
    }
}

fn armed_limits_of(s: &Shared) -> Option<ArmedLimits> {
    s.session
        .armed_limits
        .read()
        .map(|(w, _)| ArmedLimits::from_words(w))
}

/// The session side: every method here is the session manager's (and, for `disarm` and
/// `zero_all`, anyone's who must go safe).
impl Shared {
    pub fn new() -> Shared {
        let s = Shared::default();
        s.engine.dac_ok.store(true, Ordering::Release);
        s.daemon.bus_alive.store(true, Ordering::Release);
        s
    }

    /// Arms output for a session with its effective limits: the limits first, then the flag,
    /// so neither the engine nor the supervisor ever sees the flag without them.
    pub fn arm(&self, limits: &ArmedLimits) {
        self.session.armed_limits.publish(limits.to_words());
        self.session.armed.store(true, Ordering::Release);
    }

    /// The one way to go safe: every level to zero (no new pulse starts), then output disarmed
    /// (the supervisor cuts the output stage on its next loop, the engine writes only zero
    /// codes). Idempotent; lock-free, so any thread may call it.
    pub fn disarm(&self) {
        self.zero_all();
        self.session.armed.store(false, Ordering::Release);
    }

    /// Publishes the waveform every channel runs from `start_ns` on (session side only; call
    /// it while every level is zero, so no pulse mixes two patterns).
    pub fn publish_pattern(&self, pattern: Pattern, start_ns: u64) {
        self.session.pattern.publish(pattern, start_ns);
    }

    /// Contact is judged afresh on every channel (session start, resume).
    pub fn reset_contact(&self) {
        for tel in &self.engine.telemetry {
            tel.contact_misses.store(0, Ordering::Release);
            tel.contact_lost.store(false, Ordering::Release);
        }
    }

    /// Whether the engine stopped `channel` for lost contact.
    pub fn contact_lost(&self, channel: usize) -> bool {
        self.engine
            .telemetry
            .get(channel)
            .is_some_and(|t| t.contact_lost.load(Ordering::Acquire))
    }

    /// Whether the last pulses on `channel` sensed current (no miss since the last one did).
    pub fn contact_sensed(&self, channel: usize) -> bool {
        self.engine.telemetry.get(channel).is_some_and(|t| {
            t.contact_misses.load(Ordering::Acquire) == 0 && !t.contact_lost.load(Ordering::Acquire)
        })
    }

    /// The session manager is alive at `now_ns` (the supervisor pets the watchdogs only while
    /// it beats).
    pub fn beat_manager(&self, now_ns: u64) {
        self.session
            .manager_heartbeat_ns
            .store(now_ns, Ordering::Release);
    }

    /// The limits output was last armed with, or `None` before the first arming (or, rarely,
    /// while they are being replaced).
    pub fn armed_limits(&self) -> Option<ArmedLimits> {
        armed_limits_of(self)
    }

    /// A channel's intensity level, as the session side set it.
    pub fn level(&self, channel: usize) -> u32 {
        self.session
            .levels
            .get(channel)
            .map_or(0, |l| l.load(Ordering::Acquire))
    }

    /// Sets a channel's intensity level (µA).
    pub fn set_level(&self, channel: usize, microamps: u32) {
        if let Some(slot) = self.session.levels.get(channel) {
            slot.store(microamps, Ordering::Release);
        }
    }

    /// Every level to zero: no new pulse starts.
    pub fn zero_all(&self) {
        for slot in &self.session.levels {
            slot.store(0, Ordering::Release);
        }
    }

    /// Runs a steady train of `sp` on `channel` (benches and tests, standing in for the
    /// session manager). The pattern is shared by all channels, so every channel gets `sp`'s
    /// shape.
    pub(crate) fn set_setpoint(&self, channel: usize, sp: Setpoint) {
        let p = Pattern::steady(sp.period.0, sp.phase.0);
        if self.session.pattern.read().map(|c| c.pattern) != Some(p) {
            self.session.pattern.publish(p, crate::clock::now_ns());
        }
        self.set_level(channel, sp.amplitude.0);
    }
}

/// The daemon's wiring.
impl Shared {
    /// The daemon has told systemd READY=1: the watchdogs may be petted from now on.
    pub(crate) fn mark_ready(&self) {
        self.daemon.ready.store(true, Ordering::Release);
    }

    /// The D-Bus connection is lost: output off at once, and the watchdogs are no longer
    /// petted.
    pub(crate) fn mark_bus_lost(&self) {
        self.disarm();
        self.daemon.bus_alive.store(false, Ordering::Release);
    }

    /// The pulse engine's view; given to the engine thread only.
    pub(crate) fn engine_port(self: &Arc<Self>) -> EnginePort {
        EnginePort(Arc::clone(self))
    }

    /// The supervisor's view; given to the supervisor only.
    pub(crate) fn supervisor_port(self: &Arc<Self>) -> SupervisorPort {
        SupervisorPort(Arc::clone(self))
    }

    /// The fault-injection hooks' view (`safety::inject::FaultInjection`).
    pub(crate) fn injection_port(self: &Arc<Self>) -> InjectionPort {
        InjectionPort(Arc::clone(self))
    }

    /// A read-only view of what the real-time side publishes (benches and tests).
    pub(crate) fn observe(&self) -> Observer<'_> {
        Observer(self)
    }
}

/// What the pulse engine writes (its heartbeat, telemetry, faults, DAC state, statistics) and
/// reads (levels, pattern, armed state and limits, the trip flag, its stall hook). Every call
/// is one or two atomic operations: no allocation, no lock.
pub struct EnginePort(Arc<Shared>);

impl EnginePort {
    /// The engine is alive at `now_ns`.
    pub fn beat(&self, now_ns: u64) {
        self.0.engine.heartbeat_ns.store(now_ns, Ordering::Release);
    }

    /// An injected stall (ms) to take now, consumed by the call; 0 = none.
    pub fn take_stall_ms(&self) -> u32 {
        let hook = &self.0.hooks.engine_stall_ms;
        if hook.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        hook.swap(0, Ordering::AcqRel)
    }

    pub fn armed(&self) -> bool {
        self.0.session.armed.load(Ordering::Acquire)
    }

    pub fn tripped(&self) -> bool {
        self.0.supervisor.tripped.load(Ordering::Acquire)
    }

    /// Whether an engine fault is still reported (only the supervisor clears it).
    pub fn fault_pending(&self) -> bool {
        self.0.engine.fault.load(Ordering::Acquire) != 0
    }

    /// A channel's level (µA).
    pub fn level(&self, channel: usize) -> u32 {
        effective_level(&self.0, channel)
    }

    pub fn pattern(&self) -> Option<PatternCommand> {
        self.0.session.pattern.read()
    }

    pub fn armed_limits(&self) -> Option<ArmedLimits> {
        armed_limits_of(&self.0)
    }

    pub fn contact_lost(&self, channel: usize) -> bool {
        self.0.contact_lost(channel)
    }

    pub fn dac_ok(&self) -> bool {
        self.0.engine.dac_ok.load(Ordering::Acquire)
    }

    pub fn set_dac_ok(&self, ok: bool) {
        self.0.engine.dac_ok.store(ok, Ordering::Release);
    }

    /// Reports a fault for the supervisor to trip on.
    pub fn report_fault(&self, code: FaultCode) {
        self.0.engine.fault.store(code as u32, Ordering::Release);
    }

    /// Records the pulse refused on `channel` for being above the armed limits.
    pub fn report_refused(&self, channel: usize, sp: Setpoint) {
        if let Some(t) = self.0.engine.telemetry.get(channel) {
            t.refused_at_ns
                .store(crate::clock::now_ns(), Ordering::Release);
            t.refused.store(sp.pack().max(1), Ordering::Release);
        }
    }

    /// A pulse of `sp` goes out on `channel` now.
    pub fn record_pulse(&self, channel: usize, sp: Setpoint) {
        if let Some(t) = self.0.engine.telemetry.get(channel) {
            t.commanded.store(sp.pack(), Ordering::Release);
            t.pulses.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// The DAC code on `channel` became non-zero at `now_ns` (0: it is zero again).
    pub fn set_nonzero_since(&self, channel: usize, now_ns: u64) {
        if let Some(t) = self.0.engine.telemetry.get(channel) {
            t.nonzero_since_ns.store(now_ns, Ordering::Release);
        }
    }

    /// Current was sensed during a pulse on `channel`.
    pub fn contact_sensed(&self, channel: usize) {
        if let Some(t) = self.0.engine.telemetry.get(channel) {
            t.contact_misses.store(0, Ordering::Release);
        }
    }

    /// No current was sensed during a pulse on `channel` that should have had some; after
    /// `loss_after` misses in a row the channel counts as having lost contact.
    pub fn contact_missed(&self, channel: usize, loss_after: u32) {
        if let Some(t) = self.0.engine.telemetry.get(channel) {
            let misses = t.contact_misses.fetch_add(1, Ordering::AcqRel) + 1;
            t.contact_lost
                .fetch_or(misses >= loss_after, Ordering::AcqRel);
        }
    }

    pub fn stats(&self) -> &TimingStats {
        &self.0.engine.stats
    }
}

/// What the supervisor reads (telemetry, heartbeats, levels, armed state and limits, the bus
/// and readiness) and writes (the trip flag; clearing the engine's faults on an acknowledge).
pub struct SupervisorPort(Arc<Shared>);

impl SupervisorPort {
    pub fn engine_heartbeat_ns(&self) -> u64 {
        self.0.engine.heartbeat_ns.load(Ordering::Acquire)
    }

    pub fn manager_heartbeat_ns(&self) -> u64 {
        self.0.session.manager_heartbeat_ns.load(Ordering::Acquire)
    }

    /// The fault the engine reported, if any.
    pub fn engine_fault(&self) -> Option<FaultCode> {
        FaultCode::from_u32(self.0.engine.fault.load(Ordering::Acquire))
    }

    pub fn dac_ok(&self) -> bool {
        self.0.engine.dac_ok.load(Ordering::Acquire)
    }

    pub fn armed(&self) -> bool {
        self.0.session.armed.load(Ordering::Acquire)
    }

    pub fn armed_limits(&self) -> Option<ArmedLimits> {
        armed_limits_of(&self.0)
    }

    /// A channel's level (µA), as the engine sees it.
    pub fn level(&self, channel: usize) -> u32 {
        effective_level(&self.0, channel)
    }

    /// Since when `channel`'s DAC code has been non-zero (monotonic ns; 0 = it is zero).
    pub fn nonzero_since_ns(&self, channel: usize) -> u64 {
        self.0
            .engine
            .telemetry
            .get(channel)
            .map_or(0, |t| t.nonzero_since_ns.load(Ordering::Acquire))
    }

    pub fn pulses(&self, channel: usize) -> u64 {
        self.0.observe().pulses(channel)
    }

    pub fn commanded(&self, channel: usize) -> Setpoint {
        self.0.observe().commanded(channel)
    }

    /// The pulse the engine refused on `channel`, if any.
    pub fn refused(&self, channel: usize) -> Option<Setpoint> {
        let word = self
            .0
            .engine
            .telemetry
            .get(channel)
            .map_or(0, |t| t.refused.load(Ordering::Acquire));
        (word != 0).then(|| Setpoint::unpack(word))
    }

    pub fn bus_alive(&self) -> bool {
        self.0.daemon.bus_alive.load(Ordering::Acquire)
    }

    pub fn ready(&self) -> bool {
        self.0.daemon.ready.load(Ordering::Acquire)
    }

    /// Raises the trip flag: the engine writes zero and stops pulsing.
    pub fn trip(&self) {
        self.0.supervisor.tripped.store(true, Ordering::Release);
    }

    /// An acknowledge with the cause gone: the engine's refused pulses and fault are cleared,
    /// then the trip flag.
    pub fn clear_faults(&self) {
        for tel in &self.0.engine.telemetry {
            tel.refused.store(0, Ordering::Release);
            tel.refused_at_ns.store(0, Ordering::Release);
        }
        self.0.engine.fault.store(0, Ordering::Release);
        self.0.supervisor.tripped.store(false, Ordering::Release);
    }
}

/// What the fault-injection hooks write (and read to decide how).
#[derive(Clone)]
pub struct InjectionPort(Arc<Shared>);

impl InjectionPort {
    /// The engine stalls for `ms` at the top of its next loop.
    pub fn stall_engine(&self, ms: u32) {
        self.0.hooks.engine_stall_ms.store(ms, Ordering::Release);
    }

    /// Puts a defect's level on `channel`.
    pub fn set_defect_level(&self, channel: usize, microamps: u32) {
        if let Some(d) = self.0.hooks.defect_level.get(channel) {
            d.store(microamps, Ordering::Release);
        }
    }

    /// Ends the defect on `channel` if it is still `microamps` (another injection may have
    /// replaced it).
    pub fn end_defect_level(&self, channel: usize, microamps: u32) {
        if let Some(d) = self.0.hooks.defect_level.get(channel) {
            let _ = d.compare_exchange(microamps, 0, Ordering::AcqRel, Ordering::Acquire);
        }
    }

    pub fn tripped(&self) -> bool {
        self.0.supervisor.tripped.load(Ordering::Acquire)
    }

    pub fn armed(&self) -> bool {
        self.0.session.armed.load(Ordering::Acquire)
    }

    pub fn armed_limits(&self) -> Option<ArmedLimits> {
        armed_limits_of(&self.0)
    }
}

/// A read-only view of what the real-time side publishes.
#[derive(Clone, Copy)]
pub struct Observer<'a>(&'a Shared);

impl<'a> Observer<'a> {
    /// When the engine last refused a pulse on `channel` for the armed limits (0 = none).
    pub fn refused_at_ns(&self, channel: usize) -> u64 {
        self.0
            .engine
            .telemetry
            .get(channel)
            .map_or(0, |t| t.refused_at_ns.load(Ordering::Acquire))
    }

    /// Pulses delivered on `channel` so far.
    pub fn pulses(&self, channel: usize) -> u64 {
        self.0
            .engine
            .telemetry
            .get(channel)
            .map_or(0, |t| t.pulses.load(Ordering::Acquire))
    }

    /// The setpoint of `channel`'s most recent pulse.
    pub fn commanded(&self, channel: usize) -> Setpoint {
        Setpoint::unpack(
            self.0
                .engine
                .telemetry
                .get(channel)
                .map_or(0, |t| t.commanded.load(Ordering::Acquire)),
        )
    }

    pub fn engine_heartbeat_ns(&self) -> u64 {
        self.0.engine.heartbeat_ns.load(Ordering::Acquire)
    }

    /// The engine's reported fault as u32 (0 = none).
    pub fn engine_fault(&self) -> u32 {
        self.0.engine.fault.load(Ordering::Acquire)
    }

    pub fn dac_ok(&self) -> bool {
        self.0.engine.dac_ok.load(Ordering::Acquire)
    }

    pub fn tripped(&self) -> bool {
        self.0.supervisor.tripped.load(Ordering::Acquire)
    }

    pub fn armed(&self) -> bool {
        self.0.session.armed.load(Ordering::Acquire)
    }

    pub fn stats(&self) -> &'a TimingStats {
        &self.0.engine.stats
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
