//! Fault injection into the safety core, for the sim board's `Sim.InjectFault` and the fault
//! bench: the software faults that are not the board's, one named method each.
//!
//! Owns the hooks' side of the shared state (`InjectionPort`): it never writes a level, the
//! pattern or the armed state — a defect's level goes to its own hook, which the engine and
//! the supervisor read in place of the session's. Never present on a real board's daemon
//! (only the sim board serves `Sim`).

use super::armed::ArmedLimits;
use crate::clock::now_ns;
use crate::model::limits::Limits;
use crate::shared::InjectionPort;
use std::time::Duration;

/// The software faults the safety core can be made to suffer.
#[derive(Clone)]
pub struct FaultInjection {
    port: InjectionPort,
    /// The device limits (the defect's level when output is not armed; its step).
    limits: Limits,
}

impl FaultInjection {
    pub(crate) fn new(port: InjectionPort, limits: Limits) -> FaultInjection {
        FaultInjection { port, limits }
    }

    /// `engine_stall`: the engine stops for `ms` at the top of its next loop (between pulses,
    /// every DAC at zero), so its heartbeat goes missing.
    pub fn engine_stall(&self, ms: u32) {
        self.port.stall_engine(ms);
    }

    /// `over_limit`: a defect between the session manager and the engine puts channel 0's
    /// level one intensity step above the limit output is armed with (the session's: the
    /// person's own maximum, or the device's) for `duration_ms` or until the supervisor trips.
    /// The level is in place when this returns; a thread keeps it and takes it away. Returns
    /// the defect's level (µA).
    pub fn over_limit(&self, duration_ms: u32) -> std::io::Result<u32> {
        let armed = self
            .port
            .armed_limits()
            .filter(|_| self.port.armed())
            .unwrap_or_else(|| ArmedLimits::device(&self.limits));
        let defect = armed.peak[0]
            .0
            .saturating_add(self.limits.intensity_step.0.max(1));
        let until = now_ns() + u64::from(duration_ms) * 1_000_000;
        if !self.port.tripped() {
            self.port.set_defect_level(0, defect);
        }
        let port = self.port.clone();
        let spawned = std::thread::Builder::new()
            .name("sim-defect".into())
            .spawn(move || {
                while now_ns() < until && !port.tripped() {
                    port.set_defect_level(0, defect);
                    std::thread::sleep(Duration::from_micros(200));
                }
                port.end_defect_level(0, defect);
            });
        if let Err(e) = spawned {
            self.port.end_defect_level(0, defect);
            return Err(e);
        }
        Ok(defect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::limits::tests::default_limits;
    use crate::model::limits::Shape;
    use crate::model::units::{Hertz, MicroAmps, Micros};
    use crate::pulse::Setpoint;
    use crate::shared::Shared;
    use std::sync::Arc;

    /// The defect is seen by the engine and the supervisor, never written into the session's
    /// level, and gone once the supervisor trips.
    #[test]
    fn an_over_limit_defect_is_a_hook_not_the_session_s_level() {
        let shared = Arc::new(Shared::new());
        let limits = default_limits();
        let shape = Shape {
            phase: Micros(200),
            rate: Hertz(80.0),
        };
        shared.arm(&ArmedLimits::for_session(
            &limits,
            &[Some(MicroAmps(8_000))],
            None,
            [shape],
        ));
        shared.set_setpoint(0, Setpoint::new(MicroAmps(2_000), shape));
        let faults = FaultInjection::new(shared.injection_port(), limits.clone());
        let defect = faults.over_limit(5_000).unwrap();
        assert_eq!(defect, 8_000 + limits.intensity_step.0);
        assert_eq!(shared.engine_port().level(0), defect);
        assert_eq!(shared.supervisor_port().level(0), defect);
        assert_eq!(shared.level(0), 2_000, "the session's level untouched");
        shared.supervisor_port().trip();
        let start = std::time::Instant::now();
        while shared.engine_port().level(0) != 2_000 {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "the defect outlived the trip"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// An injected stall is taken once by the engine.
    #[test]
    fn an_engine_stall_is_taken_once() {
        let shared = Arc::new(Shared::new());
        let faults = FaultInjection::new(shared.injection_port(), default_limits());
        let engine = shared.engine_port();
        assert_eq!(engine.take_stall_ms(), 0);
        faults.engine_stall(40);
        assert_eq!(engine.take_stall_ms(), 40);
        assert_eq!(engine.take_stall_ms(), 0);
    }
}
