//! The supervisor's side of the shared state: it reads the engine's telemetry, the heartbeats,
//! levels, armed state and limits, the bus and readiness, and writes only the trip flag (and,
//! on an acknowledge, clears the engine's faults).

use super::{armed_limits_of, effective_level, Shared};
use crate::model::fault::FaultCode;
use crate::pulse::Setpoint;
use crate::shared::armed::ArmedLimits;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// What the supervisor reads (telemetry, heartbeats, levels, armed state and limits, the bus
/// and readiness) and writes (the trip flag; clearing the engine's faults on an acknowledge).
pub struct SupervisorPort(pub(super) Arc<Shared>);

impl SupervisorPort {
    /// When the engine last beat (monotonic ns; 0 = never): older than 15 ms trips.
    pub fn engine_heartbeat_ns(&self) -> u64 {
        self.0.engine.heartbeat_ns.load(Ordering::Acquire)
    }

    /// When the session manager last beat (monotonic ns; 0 = never): the watchdogs are petted
    /// only while it is recent.
    pub fn manager_heartbeat_ns(&self) -> u64 {
        self.0.session.manager_heartbeat_ns.load(Ordering::Acquire)
    }

    /// The fault the engine reported, if any.
    pub fn engine_fault(&self) -> Option<FaultCode> {
        FaultCode::from_u32(self.0.engine.fault.load(Ordering::Acquire))
    }

    /// Whether the engine's last DAC write succeeded.
    pub fn dac_ok(&self) -> bool {
        self.0.engine.dac_ok.load(Ordering::Acquire)
    }

    /// Whether a session has armed output: the supervisor enables the output stage only then.
    pub fn armed(&self) -> bool {
        self.0.session.armed.load(Ordering::Acquire)
    }

    /// The limits output was last armed with (`None` before the first arming or while they
    /// are being replaced); the supervisor checks delivered pulses against them while armed.
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

    /// Pulses the engine delivered on `channel` so far; a change means a new pulse to check.
    pub fn pulses(&self, channel: usize) -> u64 {
        self.0.observe().pulses(channel)
    }

    /// The setpoint of the most recent pulse delivered on `channel` (all zero before the
    /// first).
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

    /// Whether the daemon's D-Bus connection is alive (always true in benches).
    pub fn bus_alive(&self) -> bool {
        self.0.daemon.bus_alive.load(Ordering::Acquire)
    }

    /// Whether the daemon has told systemd READY=1: the watchdogs are petted only from then on.
    pub fn ready(&self) -> bool {
        self.0.daemon.ready.load(Ordering::Acquire)
    }

    /// Raises the trip flag: the engine writes zero and stops pulsing.
    pub fn trip(&self) {
        self.0.supervisor.tripped.store(true, Ordering::Release);
    }

    /// The supervisor completed a cycle at `now_ns` (after any trip it made in it).
    pub fn beat(&self, now_ns: u64) {
        self.0
            .supervisor
            .heartbeat_ns
            .store(now_ns, Ordering::Release);
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
