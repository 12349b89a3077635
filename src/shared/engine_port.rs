//! The pulse engine's side of the shared state: what it publishes (heartbeat, telemetry,
//! faults, DAC state, timing statistics) and what it reads (levels, pattern, armed state and
//! limits, the trip flag, its stall hook).

use super::{armed_limits_of, effective_level, PatternCommand, Shared};
use crate::model::fault::FaultCode;
use crate::pulse::Setpoint;
use crate::shared::armed::ArmedLimits;
use crate::shared::stats::TimingStats;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// What the pulse engine writes (its heartbeat, telemetry, faults, DAC state, statistics) and
/// reads (levels, pattern, armed state and limits, the trip flag, its stall hook). Every call
/// is one or two atomic operations: no allocation, no lock.
pub struct EnginePort(pub(super) Arc<Shared>);

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

    /// Whether a session has armed output: only then may the engine write a non-zero code.
    pub fn armed(&self) -> bool {
        self.0.session.armed.load(Ordering::Acquire)
    }

    /// Whether the supervisor has tripped: the engine then writes zero and stops pulsing.
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

    /// The published pattern, or `None` before the first one or while one is being written
    /// (the engine then keeps the one it has).
    pub fn pattern(&self) -> Option<PatternCommand> {
        self.0.session.pattern.read()
    }

    /// The limits output is armed with, which every pulse is checked against before it is
    /// written; `None` before the first arming or while they are being replaced (the engine
    /// then writes no pulse).
    pub fn armed_limits(&self) -> Option<ArmedLimits> {
        armed_limits_of(&self.0)
    }

    /// Whether `channel` lost contact: the engine does not pulse it until the session side
    /// resets contact.
    pub fn contact_lost(&self, channel: usize) -> bool {
        self.0.contact_lost(channel)
    }

    /// Whether the engine's last DAC write succeeded, as it last reported.
    pub fn dac_ok(&self) -> bool {
        self.0.engine.dac_ok.load(Ordering::Acquire)
    }

    /// Reports whether the last DAC write succeeded (the supervisor refuses an acknowledge
    /// while it fails).
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
            t.contact_measured.store(true, Ordering::Release);
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

    /// The engine's timing statistics, which it records every pulse into.
    pub fn stats(&self) -> &TimingStats {
        &self.0.engine.stats
    }
}
