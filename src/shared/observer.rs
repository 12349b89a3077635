//! A read-only view of what the real-time side publishes, for benches and tests: it can
//! change nothing.

use super::Shared;
use crate::pulse::Setpoint;
use crate::shared::stats::TimingStats;
use std::sync::atomic::Ordering;

/// A read-only view of what the real-time side publishes.
#[derive(Clone, Copy)]
pub struct Observer<'a>(pub(super) &'a Shared);

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

    /// When the engine last beat (monotonic ns; 0 = it has not started).
    pub fn engine_heartbeat_ns(&self) -> u64 {
        self.0.engine.heartbeat_ns.load(Ordering::Acquire)
    }

    /// The engine's reported fault as u32 (0 = none).
    pub fn engine_fault(&self) -> u32 {
        self.0.engine.fault.load(Ordering::Acquire)
    }

    /// Whether the engine's last DAC write succeeded.
    pub fn dac_ok(&self) -> bool {
        self.0.engine.dac_ok.load(Ordering::Acquire)
    }

    /// Whether the supervisor has tripped.
    pub fn tripped(&self) -> bool {
        self.0.supervisor.tripped.load(Ordering::Acquire)
    }

    /// Whether output is armed.
    pub fn armed(&self) -> bool {
        self.0.session.armed.load(Ordering::Acquire)
    }

    /// The engine's timing statistics (a bench may reset them between its phases).
    pub fn stats(&self) -> &'a TimingStats {
        &self.0.engine.stats
    }
}
