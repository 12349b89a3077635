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

/// Engine settings, from the configuration (or a bench).
#[derive(Debug, Clone, Copy)]
pub struct EngineSettings {
    /// How long before an onset the engine stops sleeping and spins, to absorb wake-up
    /// latency.
    pub lead: Micros,
    /// The SCHED_FIFO priority the engine thread asks for (`[engine] rt_priority`; without
    /// the privilege it runs at normal priority and logs so).
    pub rt_priority: u32,
    /// Channels to drive (`[device] channels`; the engine drives at most the board's
    /// `CHANNELS`).
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
mod tests;
