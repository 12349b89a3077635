//! Unit tests of the pulse engine: the phases and gap of a pulse, writes while disarmed or
//! above the armed limits, and a transient SPI error.

use super::*;
use crate::board::{BoardError, Dac};
use crate::model::limits::tests::default_limits;
use crate::model::limits::Shape;
use crate::model::units::Hertz;
use crate::shared::armed::ArmedLimits;
use crate::shared::Shared;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

/// A DAC whose first non-zero write fails, then works again; it counts non-zero writes.
struct FlakyDac {
    failed: bool,
    nonzero_writes: Arc<AtomicU32>,
}

impl Dac for FlakyDac {
    fn set_current(&mut self, _: usize, microamps: i32) -> Result<(), BoardError> {
        if microamps != 0 {
            if !self.failed {
                self.failed = true;
                return Err(BoardError::Spi(embedded_hal::spi::ErrorKind::Other));
            }
            self.nonzero_writes.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// A DAC that records every write with its time.
struct RecordingDac(Arc<std::sync::Mutex<Vec<(u64, usize, i32)>>>);

impl Dac for RecordingDac {
    fn set_current(&mut self, ch: usize, microamps: i32) -> Result<(), BoardError> {
        if let Ok(mut v) = self.0.lock() {
            v.push((now_ns(), ch, microamps));
        }
        Ok(())
    }
}

#[test]
fn an_interphase_gap_holds_zero_between_equal_opposite_phases() {
    let shared = Arc::new(Shared::new());
    let writes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let io = EngineIo {
        dac: Box::new(RecordingDac(writes.clone())),
        contacts: Vec::new(),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let settings = EngineSettings {
        lead: Micros(100),
        rt_priority: 1,
        channels: 1,
    };
    let handle = spawn(io, shared.engine_port(), settings, stop.clone()).unwrap();
    shared.arm(&ArmedLimits::device(&default_limits()));
    let pattern = crate::pulse::pattern::Pattern {
        gap_us: 80,
        ..crate::pulse::pattern::Pattern::steady(10_000, 150)
    };
    shared.publish_pattern(pattern, now_ns());
    shared.set_level(0, 3_000);
    let start = Instant::now();
    let nonzero = || {
        writes
            .lock()
            .map(|v| v.iter().filter(|w| w.2 != 0).count())
            .unwrap_or(0)
    };
    while nonzero() < 20 {
        assert!(start.elapsed() < Duration::from_secs(10), "too few pulses");
        std::thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::Release);
    handle.join().unwrap();
    let v = writes.lock().unwrap().clone();
    let first = v.iter().position(|w| w.2 == 3_000).unwrap();
    let mut pulses = 0;
    for w in v[first..].windows(4).step_by(4) {
        if w[0].2 != 3_000 {
            break;
        }
        let amps: Vec<i32> = w.iter().map(|x| x.2).collect();
        assert_eq!(
            amps,
            [3_000, 0, -3_000, 0],
            "phase, gap at zero, opposite phase, zero"
        );
        assert!(w[1].0 - w[0].0 >= 150_000, "phase 1 shorter than 150 µs");
        assert!(w[2].0 - w[1].0 >= 80_000, "gap shorter than 80 µs");
        assert!(w[3].0 - w[2].0 >= 150_000, "phase 2 shorter than 150 µs");
        pulses += 1;
    }
    assert!(pulses >= 10, "{pulses} pulses checked");
}

/// Runs the engine on a recording DAC with `level` on channel 0 at 200 µs, 100 Hz, armed
/// with `armed` (or not at all) for a while; returns the writes and the engine's fault.
fn run_with(level: u32, armed: Option<ArmedLimits>) -> (Vec<(u64, usize, i32)>, u32) {
    let shared = Arc::new(Shared::new());
    let writes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let io = EngineIo {
        dac: Box::new(RecordingDac(writes.clone())),
        contacts: Vec::new(),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let settings = EngineSettings {
        lead: Micros(100),
        rt_priority: 1,
        channels: 1,
    };
    let handle = spawn(io, shared.engine_port(), settings, stop.clone()).unwrap();
    if let Some(a) = &armed {
        shared.arm(a);
    }
    let shape = Shape {
        phase: Micros(200),
        rate: Hertz(100.0),
    };
    shared.set_setpoint(0, Setpoint::new(MicroAmps(level), shape));
    // Long enough for dozens of onsets at 100 Hz, or for the fault.
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(300) && shared.observe().engine_fault() == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(30));
    stop.store(true, Ordering::Release);
    handle.join().unwrap();
    let v = writes.lock().unwrap().clone();
    (v, shared.observe().engine_fault())
}

#[test]
fn while_disarmed_the_engine_writes_only_zero() {
    let (writes, fault) = run_with(5_000, None);
    assert!(
        writes.iter().all(|w| w.2 == 0),
        "non-zero write while disarmed"
    );
    assert!(!writes.is_empty(), "the engine asserted zero");
    assert_eq!(fault, 0);
}

#[test]
fn a_pulse_above_the_armed_limits_is_never_written() {
    let device = default_limits();
    let shape = Shape {
        phase: Micros(200),
        rate: Hertz(100.0),
    };
    let child = ArmedLimits::for_session(&device, &[Some(MicroAmps(8_000))], None, [shape]);
    let (writes, fault) = run_with(8_500, Some(child.clone()));
    assert!(
        writes.iter().all(|w| w.2.unsigned_abs() <= 8_000),
        "a pulse above the person's 8 mA was written"
    );
    assert_eq!(fault, FaultCode::OverLimit as u32);
    // At the person's maximum, pulses go out.
    let (writes, fault) = run_with(8_000, Some(child));
    assert!(writes.iter().any(|w| w.2 == 8_000), "no pulse at 8 mA");
    assert_eq!(fault, 0);
}

#[test]
fn a_transient_spi_error_stays_reported_until_the_supervisor_clears_it() {
    let shared = Arc::new(Shared::new());
    let writes = Arc::new(AtomicU32::new(0));
    let io = EngineIo {
        dac: Box::new(FlakyDac {
            failed: false,
            nonzero_writes: writes.clone(),
        }),
        contacts: Vec::new(),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let settings = EngineSettings {
        lead: Micros(100),
        rt_priority: 1,
        channels: 1,
    };
    let handle = spawn(io, shared.engine_port(), settings, stop.clone()).unwrap();
    let shape = Shape {
        phase: Micros(200),
        rate: Hertz(100.0),
    };
    shared.arm(&ArmedLimits::device(&default_limits()));
    shared.set_setpoint(0, Setpoint::new(MicroAmps(2_000), shape));

    let start = Instant::now();
    while shared.observe().engine_fault() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the SPI error was never reported"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // No supervisor runs: the fault must stay, and the engine must not pulse again, however
    // long we wait, although the DAC answers again.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(shared.observe().engine_fault(), FaultCode::SpiError as u32);
    assert_eq!(
        writes.load(Ordering::Relaxed),
        0,
        "pulsed after an unacknowledged SPI error"
    );
    assert!(shared.observe().dac_ok(), "zero writes succeed again");

    // The supervisor's acknowledge clears it; pulses resume.
    shared.supervisor_port().clear_faults();
    let start = Instant::now();
    while writes.load(Ordering::Relaxed) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never resumed after the acknowledge"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::Release);
    handle.join().unwrap();
}
