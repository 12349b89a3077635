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
//!
//! It also owns the data the real-time side exchanges through it: the limits a session is
//! armed with and their pure per-pulse check (`armed`, which the engine applies before each
//! write and the supervisor after), and the engine's timing statistics (`stats`).

pub mod armed;
mod cell;
mod engine_port;
mod injection_port;
mod observer;
pub mod stats;
mod supervisor_port;

pub use cell::PatternCommand;
pub use engine_port::EnginePort;
pub use injection_port::InjectionPort;
pub use observer::Observer;
pub use supervisor_port::SupervisorPort;

use crate::model::limits::ceiling::CHANNELS;
use crate::pulse::pattern::Pattern;
use crate::pulse::Setpoint;
use armed::ArmedLimits;
use cell::{PatternCell, WordCell};
use stats::TimingStats;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// A channel's electrode contact as its pulses measured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact {
    /// Not measured since contact was judged afresh (session start, resume), or no pulses.
    Unknown,
    /// The last pulses sensed current.
    On,
    /// The last pulse sensed none although it should have.
    Off,
}

impl Contact {
    /// `unknown`, `on` or `off` (the `ContactState` property).
    pub fn as_str(self) -> &'static str {
        match self {
            Contact::Unknown => "unknown",
            Contact::On => "on",
            Contact::Off => "off",
        }
    }
}

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
    /// A pulse sensed current since contact was last judged afresh (`reset_contact`): until
    /// then contact is unknown, not assumed.
    contact_measured: AtomicBool,
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
    /// When the supervisor last completed a cycle (monotonic ns; 0 = never), after any trip
    /// that cycle made.
    heartbeat_ns: AtomicU64,
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
    /// Fresh state: disarmed, every level zero, no pattern, no fault, the DAC assumed working
    /// and the bus alive (benches have no bus); not yet ready for the watchdogs.
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
            tel.contact_measured.store(false, Ordering::Release);
        }
    }

    /// Whether the engine stopped `channel` for lost contact.
    pub fn contact_lost(&self, channel: usize) -> bool {
        self.engine
            .telemetry
            .get(channel)
            .is_some_and(|t| t.contact_lost.load(Ordering::Acquire))
    }

    /// Whether the last pulses on `channel` sensed current (one did since contact was judged
    /// afresh, and none missed since).
    pub fn contact_sensed(&self, channel: usize) -> bool {
        self.contact(channel) == Contact::On
    }

    /// What the pulses on `channel` have measured of its contact.
    pub fn contact(&self, channel: usize) -> Contact {
        let Some(t) = self.engine.telemetry.get(channel) else {
            return Contact::Unknown;
        };
        if t.contact_lost.load(Ordering::Acquire) || t.contact_misses.load(Ordering::Acquire) > 0 {
            Contact::Off
        } else if t.contact_measured.load(Ordering::Acquire) {
            Contact::On
        } else {
            Contact::Unknown
        }
    }

    /// Whether what the pulses sense is the electrodes' doing: output is armed, the supervisor
    /// has not tripped, and it completed a cycle within `within_ns` of `now_ns` (a stalled
    /// supervisor stops driving the interlock, which cuts the output stage: pulses then sense
    /// nothing, and that is a fault, not pads coming off).
    pub fn output_live(&self, now_ns: u64, within_ns: u64) -> bool {
        self.session.armed.load(Ordering::Acquire)
            && !self.supervisor.tripped.load(Ordering::Acquire)
            && now_ns.saturating_sub(self.supervisor.heartbeat_ns.load(Ordering::Acquire))
                <= within_ns
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
