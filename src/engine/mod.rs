//! The pulse engine: one real-time thread that turns the running pattern and each channel's
//! intensity into DAC writes on time.
//!
//! Sleeps to absolute deadlines (`clock_nanosleep` ABSTIME) until a short lead before each
//! onset, spins to the onset, writes phase 1, spins the phase width, writes phase 2, spins,
//! writes zero. Onsets, widths and each pulse's share of the intensity come from the pure
//! `pulse::pattern`, so bursts, sweeps and EMS cycles are exact to the pulse. Wakes at least
//! every 10 ms for its heartbeat. Reads levels and the pattern lock-free and publishes
//! telemetry for the supervisor. Never allocates, locks or logs inside its loop; on the trip
//! flag or a board error it writes zero and stops pulsing.

pub mod rt;

use crate::board::EngineIo;
use crate::clock::{now_ns, sleep_until_ns, spin_until_ns};
use crate::model::fault::FaultCode;
use crate::model::limits::ceiling;
use crate::model::units::{MicroAmps, Micros};
use crate::pulse::Setpoint;
use crate::shared::{EnginePort, PatternCommand};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The engine wakes at least this often, pulse or not.
pub const HEARTBEAT_NS: u64 = 10_000_000;
/// Pulses in a row without current sensed before a channel counts as having lost contact.
pub const CONTACT_LOSS_PULSES: u32 = 3;
/// Below this amplitude the current-sense comparator is not expected to see a pulse.
pub const CONTACT_SENSE_MIN_UA: u32 = 1_000;

/// Engine settings.
#[derive(Debug, Clone, Copy)]
pub struct EngineSettings {
    pub lead: Micros,
    pub rt_priority: u32,
    pub channels: usize,
}

/// Starts the engine thread on its port to the shared state. It runs until `stop` is set.
pub fn spawn(
    io: EngineIo,
    port: EnginePort,
    settings: EngineSettings,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("pulse-engine".into())
        .stack_size(256 * 1024)
        .spawn(move || {
            match rt::try_sched_fifo(settings.rt_priority) {
                Ok(()) => tracing::info!(priority = settings.rt_priority, "pulse engine: SCHED_FIFO granted"),
                Err(e) => tracing::warn!("pulse engine: SCHED_FIFO not permitted ({e}); running without real-time priority"),
            }
            if let Some((cpu, _)) = rt::thread_cpus() {
                match rt::pin_to_cpu(cpu) {
                    Ok(()) => tracing::info!(cpu, "pulse engine: pinned to its own CPU"),
                    Err(e) => tracing::warn!("pulse engine: cannot pin to CPU {cpu} ({e})"),
                }
            }
            prefault_stack();
            if let Err(e) = rt::lock_own_stack() {
                tracing::warn!("pulse engine: cannot lock its stack ({e})");
            }
            Engine::new(io, port, settings).run(&stop);
        })
}

/// Touches the stack once so the loop never takes a page fault on it.
fn prefault_stack() {
    let mut buf = [0u8; 64 * 1024];
    std::hint::black_box(&mut buf);
}

struct Engine {
    io: EngineIo,
    port: EnginePort,
    settings: EngineSettings,
    /// The pattern being run (kept when a read meets a write under way).
    command: Option<PatternCommand>,
    /// Each channel's next onset (monotonic ns), once it has one.
    next_onset: [Option<u64>; ceiling::CHANNELS],
    dac_nonzero: [bool; ceiling::CHANNELS],
    halted: bool,
}

impl Engine {
    fn new(io: EngineIo, port: EnginePort, settings: EngineSettings) -> Engine {
        Engine {
            io,
            port,
            settings: EngineSettings {
                channels: settings.channels.min(ceiling::CHANNELS),
                ..settings
            },
            command: None,
            next_onset: [None; ceiling::CHANNELS],
            dac_nonzero: [false; ceiling::CHANNELS],
            halted: false,
        }
    }

    fn run(&mut self, stop: &AtomicBool) {
        self.write_zero_all();
        while !stop.load(Ordering::Acquire) {
            let now = now_ns();
            self.port.beat(now);
            let ms = self.port.take_stall_ms();
            if ms > 0 {
                // A named test hook (`FaultInjection::engine_stall`); zero on real hardware.
                std::thread::sleep(std::time::Duration::from_millis(u64::from(ms)));
                continue;
            }
            if !self.port.armed() {
                // Disarmed: only zero codes, no schedule (a level written while disarmed, by
                // a defect or a race, never reaches the DAC).
                // While halted or after a failed write, keep asserting zero (which also tells
                // the supervisor whether the DAC answers again).
                self.next_onset = [None; ceiling::CHANNELS];
                if self.halted || !self.port.dac_ok() || self.dac_nonzero.iter().any(|&n| n) {
                    self.write_zero_all();
                    self.resume_if_cleared();
                }
                sleep_until_ns(now + HEARTBEAT_NS);
                continue;
            }
            if self.port.tripped() || self.halted {
                // Keep asserting zero. Only the supervisor clears a fault (on an acknowledge
                // with the cause gone): a transient bus error must not clear itself before
                // the supervisor has seen it and tripped.
                self.next_onset = [None; ceiling::CHANNELS];
                self.write_zero_all();
                self.resume_if_cleared();
                sleep_until_ns(now + HEARTBEAT_NS);
                continue;
            }
            self.refresh_command();
            let (channel, onset) = self.next_event(now);
            let wake = onset.min(now + HEARTBEAT_NS);
            sleep_until_ns(wake.saturating_sub(u64::from(self.settings.lead.0) * 1000));
            let Some(ch) = channel.filter(|_| wake == onset) else {
                continue;
            };
            let Some(cmd) = self.command else {
                continue;
            };
            let spin_start = now_ns();
            spin_until_ns(onset);
            // Re-read: a level lowered, a trip or a disarm while we slept wins.
            let level = self.port.level(ch);
            if level == 0 || self.port.tripped() || !self.port.armed() {
                continue;
            }
            let origin = cmd.start_ns + cmd.pattern.offset_ns(ch);
            let t = onset.saturating_sub(origin);
            let shape = cmd.pattern.pulse_at(t);
            let sp = Setpoint {
                amplitude: MicroAmps(
                    (u64::from(level) * u64::from(shape.factor_permille) / 1000) as u32,
                ),
                phase: shape.phase,
                period: shape.interval,
            };
            if sp.is_active() && self.permitted(ch, sp) {
                self.pulse(ch, sp, shape.gap, onset);
                self.port
                    .stats()
                    .spin_ns
                    .fetch_add(now_ns() - spin_start, Ordering::Relaxed);
            }
            // Absolute deadlines: a late pulse does not shift the ones after it; if the engine
            // fell behind by more than a period, the missed onsets are dropped, not bunched.
            let mut next = cmd.pattern.next_after(t);
            let late = now_ns().saturating_sub(origin);
            if next + cmd.pattern.interval_ns(next) <= late {
                next = cmd.pattern.first_at_or_after(late);
            }
            self.next_onset[ch] = Some(origin + next);
        }
        self.write_zero_all();
    }

    /// Leaves the halted state once the supervisor has cleared the fault and the DAC answers.
    fn resume_if_cleared(&mut self) {
        if !self.port.tripped() && !self.port.fault_pending() && self.port.dac_ok() {
            self.halted = false;
        }
    }

    /// Takes a newly published pattern; a new generation restarts every channel's schedule.
    fn refresh_command(&mut self) {
        if let Some(cmd) = self.port.pattern() {
            if self.command.map(|c| c.generation) != Some(cmd.generation) {
                self.next_onset = [None; ceiling::CHANNELS];
            }
            self.command = Some(cmd).filter(|c| c.pattern.is_valid());
        }
    }

    /// The next pulse due (channel, onset), or no channel and a heartbeat deadline. Channels
    /// that became active get a schedule; inactive ones lose theirs.
    fn next_event(&mut self, now: u64) -> (Option<usize>, u64) {
        let mut best: (Option<usize>, u64) = (None, now + HEARTBEAT_NS);
        let Some(cmd) = self.command else {
            return best;
        };
        for ch in 0..self.settings.channels {
            if self.port.level(ch) == 0 || self.port.contact_lost(ch) {
                self.next_onset[ch] = None;
                continue;
            }
            let onset = *self.next_onset[ch].get_or_insert_with(|| {
                let origin = cmd.start_ns + cmd.pattern.offset_ns(ch);
                origin + cmd.pattern.first_at_or_after(now.saturating_sub(origin))
            });
            if onset < best.1 {
                best = (Some(ch), onset);
            }
        }
        best
    }

    /// Whether a pulse is within the limits output was armed with; if not, it is not written:
    /// the channel stays at zero and `over_limit` is raised for the supervisor to trip on.
    /// Limits being replaced at this instant (a read that meets the writer) skip the pulse.
    fn permitted(&mut self, ch: usize, sp: Setpoint) -> bool {
        let Some(limits) = self.port.armed_limits() else {
            return false;
        };
        match limits.check(ch, sp) {
            Ok(()) => true,
            Err(_) => {
                self.port.report_refused(ch, sp);
                self.fail(FaultCode::OverLimit);
                false
            }
        }
    }

    /// One symmetric biphasic pulse, spinning through the phases (and the inter-phase gap at
    /// zero, if any).
    fn pulse(&mut self, ch: usize, sp: Setpoint, gap: Micros, onset: u64) {
        let sp = Setpoint {
            amplitude: sp.amplitude.min(ceiling::PEAK_CURRENT),
            ..sp
        };
        self.port.record_pulse(ch, sp);
        let [(a1, w1), (a2, w2)] = sp.phases();
        // Each phase starts when its frame has landed (the DAC latches at the end of the
        // transfer), so the times are taken after each write.
        if !self.write(ch, a1) {
            return;
        }
        let p1 = now_ns();
        let contact = self.io.contacts.get_mut(ch).map(|c| c.is_active());
        spin_until_ns(p1 + w1.as_nanos());
        let mut end1 = None;
        if gap.0 > 0 {
            if !self.write(ch, 0) {
                return;
            }
            let g = now_ns();
            end1 = Some(g);
            spin_until_ns(g + gap.as_nanos());
        }
        if !self.write(ch, a2) {
            return;
        }
        let p2 = now_ns();
        spin_until_ns(p2 + w2.as_nanos());
        let zeroed = self.write(ch, 0);
        let p3 = now_ns();
        let stats = self.port.stats();
        stats.onset_error.record_ns(p1.saturating_sub(onset));
        stats
            .phase_error
            .record_ns((end1.unwrap_or(p2) - p1).abs_diff(w1.as_nanos()));
        if zeroed {
            stats
                .phase_error
                .record_ns((p3 - p2).abs_diff(w2.as_nanos()));
        }
        match contact {
            Some(Ok(true)) => self.port.contact_sensed(ch),
            Some(Ok(false)) if sp.amplitude.0 >= CONTACT_SENSE_MIN_UA => {
                // No current although there should be: the pads are off. Stop this channel at
                // once (a pad touching the skin again must not get the old intensity).
                self.port.contact_missed(ch, CONTACT_LOSS_PULSES);
            }
            Some(Ok(false)) => {}
            Some(Err(_)) => self.fail(FaultCode::GpioError),
            None => {}
        }
    }

    /// Writes a current; on failure records the fault and halts. Returns success.
    fn write(&mut self, ch: usize, microamps: i32) -> bool {
        let nonzero = microamps != 0;
        if nonzero {
            // Before the write: a stall inside or right after it (the DAC already holding the
            // phase) must still count towards the stuck-phase limit.
            self.port.set_nonzero_since(ch, now_ns());
        }
        match self.io.dac.set_current(ch, microamps) {
            Ok(()) => {
                if !nonzero && self.dac_nonzero[ch] {
                    self.port.set_nonzero_since(ch, 0);
                }
                self.dac_nonzero[ch] = nonzero;
                self.port.set_dac_ok(true);
                true
            }
            Err(_) => {
                self.port.set_dac_ok(false);
                self.fail(FaultCode::SpiError);
                false
            }
        }
    }

    fn fail(&mut self, code: FaultCode) {
        self.port.report_fault(code);
        self.halted = true;
        // Best effort: if the bus still answers, the output is at zero now.
        for ch in 0..self.settings.channels {
            let _ = self.io.dac.set_current(ch, 0);
        }
    }

    fn write_zero_all(&mut self) {
        let mut ok = true;
        for ch in 0..self.settings.channels {
            ok &= self.write_quiet(ch);
        }
        self.port.set_dac_ok(ok);
    }

    fn write_quiet(&mut self, ch: usize) -> bool {
        let ok = self.io.dac.set_current(ch, 0).is_ok();
        if ok {
            self.dac_nonzero[ch] = false;
            self.port.set_nonzero_since(ch, 0);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
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
}
