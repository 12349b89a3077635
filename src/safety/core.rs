//! The safety core: the pulse engine and the supervisor, started and stopped as one.
//!
//! Owns the start-up order of the real-time side — the output stage off first (before anything
//! can pulse), `hardware_unavailable` latched if the board is absent, the hardware watchdog
//! handed to the supervisor, then the engine, its first heartbeat (polled, with a deadline),
//! then the supervisor, then memory locked — and its shutdown: `stop()` disarms through the
//! one `Shared::disarm()` and joins both threads, output off. The daemon and every bench start
//! the real-time side only through here.

use super::fault::Trip;
use super::hw_watchdog::HwWatchdog;
use super::inject::FaultInjection;
use super::supervisor::{Command, MakeSafeError, Supervisor, SupervisorSettings};
use crate::board::{EngineIo, SafetyIo};
use crate::engine::{self, EngineSettings};
use crate::model::limits::Limits;
use crate::shared::Shared;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::mpsc as tmpsc;

/// How long the engine may take to beat for the first time.
pub const FIRST_HEARTBEAT_DEADLINE: Duration = Duration::from_secs(1);

/// What the safety core is built from, besides the board's parts.
pub struct CoreConfig {
    /// The device's limits (from the configuration): the supervisor's rise rate, stuck-phase
    /// timer and acknowledge checks, and the limits used while no session is armed.
    pub limits: Limits,
    /// The pulse engine's settings.
    pub engine: EngineSettings,
    /// The supervisor's settings.
    pub supervisor: SupervisorSettings,
    /// The hardware watchdog device and its timeout in seconds, if one is configured.
    pub hw_watchdog: Option<(PathBuf, u32)>,
    /// Why the board could not be opened, if it could not: latched as `hardware_unavailable`.
    pub hardware_unavailable: Option<String>,
}

/// Why the safety core did not start. Nothing pulses after any of these: the output stage was
/// switched off first, and a started engine is stopped again.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The interlock or the HV enable line could not be driven low.
    #[error("board: cannot switch the output stage off: {0}")]
    MakeSafe(#[source] MakeSafeError),
    /// The configured hardware watchdog could not be opened or set up.
    #[error("board: watchdog.device = {}: {source}", path.display())]
    Watchdog {
        /// The configured watchdog device.
        path: PathBuf,
        /// Why opening it or setting its timeout failed.
        #[source]
        source: std::io::Error,
    },
    /// The operating system refused to start the engine or the supervisor thread.
    #[error("cannot start a thread ({thread}): {source}")]
    Thread {
        /// Which thread: `pulse engine` or `safety supervisor`.
        thread: &'static str,
        /// Why the thread could not be spawned.
        #[source]
        source: std::io::Error,
    },
    /// The engine started but did not beat within `FIRST_HEARTBEAT_DEADLINE`; it was stopped.
    #[error("the pulse engine did not start within 1 s")]
    EngineSilent,
}

/// The other ends of the supervisor's channels, for the session manager.
pub struct CoreLinks {
    /// Trips, as the supervisor reports them.
    pub trips: tmpsc::UnboundedReceiver<Trip>,
    /// Requests to the supervisor (acknowledge).
    pub commands: mpsc::Sender<Command>,
}

/// The running engine and supervisor.
pub struct SafetyCore {
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    engine: Option<JoinHandle<()>>,
    supervisor: Option<JoinHandle<()>>,
    faults: FaultInjection,
}

impl SafetyCore {
    /// Builds and starts the real-time side on `shared` in the safe order (see the module).
    pub fn start(
        shared: &Arc<Shared>,
        engine_io: EngineIo,
        safety_io: SafetyIo,
        config: CoreConfig,
    ) -> Result<(SafetyCore, CoreLinks), StartError> {
        // 1. Output stage off before anything can pulse.
        let (trip_tx, trips) = tmpsc::unbounded_channel();
        let (commands, command_rx) = mpsc::channel();
        let mut supervisor = Supervisor::new(
            safety_io,
            shared.supervisor_port(),
            config.limits.clone(),
            config.supervisor,
            trip_tx,
            command_rx,
        );
        supervisor.make_safe().map_err(StartError::MakeSafe)?;
        if let Some(why) = config.hardware_unavailable {
            supervisor.hardware_unavailable(why);
        }
        let hw_watchdog = match config.hw_watchdog {
            None => None,
            Some((path, timeout_s)) => Some(
                HwWatchdog::open(&path, timeout_s)
                    .map_err(|source| StartError::Watchdog { path, source })?,
            ),
        };
        let supervisor = supervisor.with_hw_watchdog(hw_watchdog);

        // 2. The engine, and its first heartbeat, before the supervisor watches it.
        let stop = Arc::new(AtomicBool::new(false));
        let engine = engine::spawn(engine_io, shared.engine_port(), config.engine, stop.clone())
            .map_err(|source| StartError::Thread {
                thread: "pulse engine",
                source,
            })?;
        let halt = |engine: JoinHandle<()>| {
            stop.store(true, Ordering::Release);
            let _ = engine.join();
        };
        if !wait_for_first_heartbeat(shared, FIRST_HEARTBEAT_DEADLINE) {
            halt(engine);
            return Err(StartError::EngineSilent);
        }

        // 3. The supervisor.
        let supervisor = match supervisor.spawn(stop.clone()) {
            Ok(s) => s,
            Err(source) => {
                halt(engine);
                return Err(StartError::Thread {
                    thread: "safety supervisor",
                    source,
                });
            }
        };

        // 4. Both real-time threads run and have touched their stacks: lock what is mapped.
        match engine::rt::lock_memory() {
            Ok(l) => tracing::info!(
                kib = l.bytes / 1024,
                ranges = l.ranges,
                refused = l.refused,
                "memory locked: code, data, heap and stacks of the real-time path"
            ),
            Err(e) => tracing::warn!("memory locking not permitted ({e}); memory may be paged out"),
        }
        let faults = FaultInjection::new(shared.injection_port(), config.limits);
        let core = SafetyCore {
            shared: Arc::clone(shared),
            stop,
            engine: Some(engine),
            supervisor: Some(supervisor),
            faults,
        };
        Ok((core, CoreLinks { trips, commands }))
    }

    /// The named fault-injection hooks (the sim board's `Sim` interface, the fault bench).
    pub fn faults(&self) -> FaultInjection {
        self.faults.clone()
    }

    /// Goes safe and stops: output disarmed (`Shared::disarm`), both threads told to stop and
    /// joined; the supervisor cuts the output stage and the engine writes zero on the way out.
    /// Blocks for at most a loop of each. Dropping the core does the same (a start-up that
    /// fails after the core started leaves the output off).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.disarm();
        self.stop.store(true, Ordering::Release);
        for t in [self.engine.take(), self.supervisor.take()]
            .into_iter()
            .flatten()
        {
            let _ = t.join();
        }
    }
}

impl Drop for SafetyCore {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Polls for the engine's first heartbeat until `deadline`; no fixed sleep.
fn wait_for_first_heartbeat(shared: &Shared, deadline: Duration) -> bool {
    let start = Instant::now();
    loop {
        if shared.observe().engine_heartbeat_ns() != 0 {
            return true;
        }
        if start.elapsed() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::limits::tests::default_limits;
    use crate::model::units::Micros;

    fn config(channels: usize) -> CoreConfig {
        CoreConfig {
            limits: default_limits(),
            engine: EngineSettings {
                lead: Micros(100),
                rt_priority: 1,
                channels,
            },
            supervisor: SupervisorSettings {
                period_ns: 500_000,
                rt_priority: 2,
                channels,
            },
            hw_watchdog: None,
            hardware_unavailable: None,
        }
    }

    /// Start returns only once the engine beats and the output stage is off; stop leaves the
    /// output disarmed.
    #[test]
    fn start_waits_for_the_engine_and_stop_goes_safe() {
        let board = crate::board::sim::build(1_000, Default::default()).unwrap();
        let sim = board.sim.clone().unwrap();
        let shared = Arc::new(Shared::new());
        let (core, _links) =
            SafetyCore::start(&shared, board.engine, board.safety, config(1)).unwrap();
        assert_ne!(shared.observe().engine_heartbeat_ns(), 0);
        assert!(!sim.output_enabled());
        shared.arm(&crate::safety::armed::ArmedLimits::device(&default_limits()));
        core.stop();
        assert!(!shared.observe().armed(), "stop disarms");
        assert!(!sim.output_enabled());
    }

    /// Dropping the core (a start-up that fails later) stops it with the output off.
    #[test]
    fn dropping_the_core_goes_safe() {
        let board = crate::board::sim::build(1_000, Default::default()).unwrap();
        let shared = Arc::new(Shared::new());
        let (core, _links) =
            SafetyCore::start(&shared, board.engine, board.safety, config(1)).unwrap();
        shared.arm(&crate::safety::armed::ArmedLimits::device(&default_limits()));
        drop(core);
        assert!(!shared.observe().armed());
        let beat = shared.observe().engine_heartbeat_ns();
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(
            shared.observe().engine_heartbeat_ns(),
            beat,
            "the engine still runs"
        );
    }

    /// An absent board latches `hardware_unavailable` before the engine runs.
    #[test]
    fn an_absent_board_latches_hardware_unavailable() {
        let board = crate::board::absent::build("linux");
        let shared = Arc::new(Shared::new());
        let mut cfg = config(2);
        cfg.hardware_unavailable = Some("SPI device /dev/spidev0.0: No such file".into());
        let (core, mut links) =
            SafetyCore::start(&shared, board.engine, board.safety, cfg).unwrap();
        let trip = links.trips.try_recv().expect("latched at start");
        assert_eq!(
            trip.code,
            crate::safety::fault::FaultCode::HardwareUnavailable
        );
        core.stop();
    }
}
