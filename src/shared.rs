//! The lock-free state shared by the session manager, the pulse engine and the supervisor.
//!
//! Owns nothing but atomics: setpoints flow down, telemetry and the trip flag flow up. No
//! locks, so no thread can block another through it.

use crate::pulse::Setpoint;
use crate::safety::limits::ceiling::CHANNELS;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

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
}

/// Shared between the threads; create once and hand out `Arc`s.
#[derive(Default)]
pub struct Shared {
    /// Written by the session manager, read by the engine each wake.
    pub setpoints: [AtomicU64; CHANNELS],
    /// A session wants output: the supervisor may enable the output stage.
    pub armed: AtomicBool,
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
}

impl Shared {
    pub fn new() -> Shared {
        let s = Shared::default();
        s.dac_ok.store(true, Ordering::Release);
        s
    }

    pub fn setpoint(&self, channel: usize) -> Setpoint {
        Setpoint::unpack(self.setpoints[channel].load(Ordering::Acquire))
    }

    pub fn set_setpoint(&self, channel: usize, sp: Setpoint) {
        if let Some(slot) = self.setpoints.get(channel) {
            slot.store(sp.pack(), Ordering::Release);
        }
    }

    /// Sets every setpoint to OFF.
    pub fn zero_all(&self) {
        for slot in &self.setpoints {
            slot.store(0, Ordering::Release);
        }
    }

    pub fn commanded(&self, channel: usize) -> Setpoint {
        Setpoint::unpack(self.telemetry[channel].commanded.load(Ordering::Acquire))
    }
}
