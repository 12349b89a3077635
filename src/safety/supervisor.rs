//! The safety supervisor thread: independent of every client, above the engine in priority.
//!
//! Each loop it reads what the engine actually commanded and checks it against the limits and
//! the rise envelope, watches the engine heartbeat, the stuck-phase timer, engine-reported
//! board errors and the overcurrent input, toggles the interlock while output is armed and
//! healthy, and pets systemd's watchdog only while every thread is alive. A trip cuts output
//! through the hardware path first (interlock stopped, HV off), then raises the trip flag for
//! the engine, then tells the session manager; it stays latched until acknowledged with the
//! cause gone.

use super::armed::ArmedLimits;
use super::envelope::Envelope;
use super::fault::{FaultCode, Trip};
use crate::board::{BoardError, SafetyIo};
use crate::clock::{now_ns, sleep_until_ns};
use crate::model::limits::ceiling;
use crate::model::limits::Limits;
use crate::model::units::MicroAmps;
use crate::shared::SupervisorPort;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use tokio::sync::{mpsc as tmpsc, oneshot};

/// An engine heartbeat older than this trips (the engine beats every 10 ms).
pub const ENGINE_HEARTBEAT_TIMEOUT_NS: u64 = 15_000_000;
/// Loop period while output is off.
pub const IDLE_PERIOD_NS: u64 = 5_000_000;
/// A supervisor loop later than this while output is on means the interlock monostable has
/// already cut the output in hardware (10 ms): the stall is latched rather than silently
/// re-enabling the output.
pub const SELF_STALL_NS: u64 = 10_000_000;
/// The session manager counts as alive while its heartbeat is younger than this.
pub const MANAGER_TIMEOUT_NS: u64 = 2_000_000_000;

/// Requests to the supervisor.
pub enum Command {
    /// Clear the latched fault if its cause is gone; the reply says why not otherwise.
    Acknowledge(oneshot::Sender<Result<(), AckRefusal>>),
}

/// Why an acknowledge was refused: the fault's cause is not gone. The texts are what
/// `AcknowledgeFault` answers (after "cannot acknowledge: ").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckRefusal {
    /// The latched fault is `hardware_unavailable`, which only a restart clears.
    #[error(
        "the hardware could not be opened at start-up; fix it or the [linux] \
         configuration, then restart stimd"
    )]
    HardwareUnavailable,
    /// The engine's heartbeat is older than `ENGINE_HEARTBEAT_TIMEOUT_NS`.
    #[error("the pulse engine is not running")]
    EngineNotRunning,
    /// The engine's last DAC write failed.
    #[error("the DAC does not accept writes")]
    DacFailing,
    /// A channel's DAC code is still non-zero.
    #[error("the DAC is not at zero yet")]
    DacNotZero,
    /// A channel's level (as the engine sees it) is above the device's peak current.
    #[error("channel {channel}'s level {level} is still above the peak limit {peak}")]
    LevelAbovePeak {
        /// The channel (0-based).
        channel: usize,
        /// Its level.
        level: MicroAmps,
        /// The device's peak-current limit.
        peak: MicroAmps,
    },
    /// The overcurrent comparator still fires.
    #[error("the overcurrent input is still active")]
    OvercurrentActive,
    /// The overcurrent input's line could not be read.
    #[error("the overcurrent input cannot be read: {0}")]
    OvercurrentUnreadable(#[source] BoardError),
    /// The interlock line could not be driven low before clearing.
    #[error("the interlock line cannot be driven: {0}")]
    InterlockFailing(#[source] BoardError),
}

/// The output stage could not be put in its safe state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MakeSafeError {
    /// The interlock line could not be driven low (the HV enable was still tried).
    #[error("interlock: {0}")]
    Interlock(#[source] BoardError),
    /// The HV enable line could not be driven low.
    #[error("hv_enable: {0}")]
    HvEnable(#[source] BoardError),
}

/// Supervisor settings, from the configuration (or a bench).
#[derive(Debug, Clone, Copy)]
pub struct SupervisorSettings {
    /// Loop period while output is on (ns; `[supervisor] period_us`): the interlock toggles
    /// once per loop, so it must be well within the monostable's 10 ms. While output is off
    /// the loop runs every `IDLE_PERIOD_NS`.
    pub period_ns: u64,
    /// The SCHED_FIFO priority the supervisor thread asks for, above the engine's.
    pub rt_priority: u32,
    /// Channels to supervise (`[device] channels`, validated against the board's
    /// `CHANNELS`).
    pub channels: usize,
}

/// The supervisor's state: its side of the shared state, the output-stage lines, the latched
/// fault, each channel's rise envelope and the watchdogs. Built and run by `SafetyCore`.
pub(crate) struct Supervisor {
    io: SafetyIo,
    port: SupervisorPort,
    limits: Limits,
    settings: SupervisorSettings,
    trips: tmpsc::UnboundedSender<Trip>,
    commands: mpsc::Receiver<Command>,
    output_on: bool,
    interlock_level: bool,
    latched: Option<FaultCode>,
    envelopes: [Envelope; ceiling::CHANNELS],
    seen_pulses: [u64; ceiling::CHANNELS],
    watchdog: Option<(u64, u64)>,
    /// The hardware watchdog, if configured.
    hw_watchdog: Option<super::hw_watchdog::HwWatchdog>,
    last_step_ns: u64,
}

impl Supervisor {
    pub fn new(
        io: SafetyIo,
        port: SupervisorPort,
        limits: Limits,
        settings: SupervisorSettings,
        trips: tmpsc::UnboundedSender<Trip>,
        commands: mpsc::Receiver<Command>,
    ) -> Supervisor {
        let rate = limits.rise_rate_ua_per_s;
        let watchdog = sd_notify::watchdog_enabled().map(|d| ((d.as_nanos() / 2) as u64, 0u64));
        Supervisor {
            io,
            port,
            limits,
            settings,
            trips,
            commands,
            output_on: false,
            interlock_level: false,
            latched: None,
            envelopes: [Envelope::armed(0, rate); ceiling::CHANNELS],
            seen_pulses: [0; ceiling::CHANNELS],
            watchdog,
            hw_watchdog: None,
            last_step_ns: 0,
        }
    }

    /// Hands the supervisor the hardware watchdog to pet (only it does, only while healthy).
    pub fn with_hw_watchdog(mut self, w: Option<super::hw_watchdog::HwWatchdog>) -> Supervisor {
        self.hw_watchdog = w;
        self
    }

    /// Latches `hardware_unavailable` (the board could not be opened): sessions are refused
    /// and no acknowledgement clears it; the daemon must be restarted once it is fixed.
    pub fn hardware_unavailable(&mut self, message: String) {
        self.trip(FaultCode::HardwareUnavailable, message);
    }

    /// Puts the output stage in its safe state. Called before anything else can run. Both
    /// lines are driven even if the first fails.
    pub fn make_safe(&mut self) -> Result<(), MakeSafeError> {
        let a = self.io.interlock.set(false);
        let b = self.io.hv_enable.set(false);
        self.output_on = false;
        a.map_err(MakeSafeError::Interlock)?;
        b.map_err(MakeSafeError::HvEnable)
    }

    /// Runs the loop on a new thread until `stop` is set; output is off when it returns.
    pub fn spawn(mut self, stop: Arc<AtomicBool>) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("safety-supervisor".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                match crate::engine::rt::try_sched_fifo(self.settings.rt_priority) {
                    Ok(()) => tracing::info!(priority = self.settings.rt_priority, "safety supervisor: SCHED_FIFO granted"),
                    Err(e) => tracing::warn!("safety supervisor: SCHED_FIFO not permitted ({e}); running without real-time priority"),
                }
                if let Some((_, cpu)) = crate::engine::rt::thread_cpus() {
                    if let Err(e) = crate::engine::rt::pin_to_cpu(cpu) {
                        tracing::warn!("safety supervisor: cannot pin to CPU {cpu} ({e})");
                    }
                }
                let mut touch = [0u8; 32 * 1024];
                std::hint::black_box(&mut touch);
                if let Err(e) = crate::engine::rt::lock_own_stack() {
                    tracing::warn!("safety supervisor: cannot lock its stack ({e})");
                }
                let mut next = now_ns();
                while !stop.load(Ordering::Acquire) {
                    let now = now_ns();
                    self.step(now);
                    let period = if self.output_on { self.settings.period_ns } else { IDLE_PERIOD_NS };
                    next = (next + period).max(now);
                    sleep_until_ns(next);
                }
                self.cut_output();
                let _ = self.make_safe();
                // A clean shutdown only: a crash never gets here, and the watchdog stays armed.
                if let Some(w) = self.hw_watchdog.take() {
                    w.magic_close();
                }
            })
    }

    /// One supervision cycle at monotonic time `now`.
    pub fn step(&mut self, now: u64) {
        while let Ok(cmd) = self.commands.try_recv() {
            match cmd {
                Command::Acknowledge(reply) => {
                    let _ = reply.send(self.acknowledge(now));
                }
            }
        }
        let gap = now.saturating_sub(self.last_step_ns);
        self.last_step_ns = now;
        if self.output_on && gap > SELF_STALL_NS && self.latched.is_none() {
            let ms = gap / 1_000_000;
            self.trip(
                FaultCode::SupervisorStall,
                format!(
                    "the safety supervisor stalled for {ms} ms; the interlock had cut the output"
                ),
            );
        }
        if self.latched.is_none() {
            if let Some((code, message)) = self.check(now) {
                self.trip(code, message);
            }
        }
        self.drive_output(now);
        self.pet_watchdog(now);
        self.port.beat(now);
    }

    fn drive_output(&mut self, now: u64) {
        let want = self.port.armed() && self.latched.is_none();
        if want && !self.output_on {
            if let Err(e) = self.io.hv_enable.set(true) {
                return self.trip(FaultCode::GpioError, format!("hv_enable: {e}"));
            }
            for env in &mut self.envelopes {
                *env = Envelope::armed(now, self.limits.rise_rate_ua_per_s);
            }
            self.output_on = true;
        } else if !want && self.output_on {
            self.cut_output();
        }
        if self.output_on {
            self.interlock_level = !self.interlock_level;
            if let Err(e) = self.io.interlock.set(self.interlock_level) {
                self.trip(FaultCode::GpioError, format!("interlock: {e}"));
            }
        }
    }

    /// Finds the first violated rule, if any.
    fn check(&mut self, now: u64) -> Option<(FaultCode, String)> {
        let hb = self.port.engine_heartbeat_ns();
        if now.saturating_sub(hb) > ENGINE_HEARTBEAT_TIMEOUT_NS {
            let ms = now.saturating_sub(hb) / 1_000_000;
            return Some((
                FaultCode::EngineHeartbeat,
                format!("no engine heartbeat for {ms} ms (limit 15 ms)"),
            ));
        }
        if let Some(code) = self.port.engine_fault() {
            return Some((code, self.engine_fault_message(code)));
        }
        match self.io.overcurrent.is_active() {
            Ok(true) => return Some((FaultCode::Overcurrent, "overcurrent input active".into())),
            Ok(false) => {}
            Err(e) => return Some((FaultCode::GpioError, format!("overcurrent input: {e}"))),
        }
        let stuck_ns = self.limits.max_phase_width.as_nanos() + 1_000_000;
        for ch in 0..self.settings.channels {
            let since = self.port.nonzero_since_ns(ch);
            if since != 0 && now.saturating_sub(since) > stuck_ns {
                let us = now.saturating_sub(since) / 1_000;
                return Some((
                    FaultCode::StuckPhase,
                    format!(
                        "channel {ch}: non-zero DAC code held {us} µs (limit {} µs)",
                        stuck_ns / 1_000
                    ),
                ));
            }
            self.envelopes[ch].follow_level(MicroAmps(self.port.level(ch)), now);
            let pulses = self.port.pulses(ch);
            if pulses == self.seen_pulses[ch] {
                continue;
            }
            self.seen_pulses[ch] = pulses;
            let sp = self.port.commanded(ch);
            if let Some(v) = self.pulse_violation(ch, sp, now) {
                return Some(v);
            }
        }
        None
    }

    /// What the engine reported, in words; for a refused pulse, which pulse and which limit.
    fn engine_fault_message(&self, code: FaultCode) -> String {
        if code == FaultCode::OverLimit {
            for ch in 0..self.settings.channels {
                let Some(sp) = self.port.refused(ch) else {
                    continue;
                };
                let why = self
                    .limits_in_force()
                    .check(ch, sp)
                    .err()
                    .map_or_else(|| "above the armed limits".to_string(), |v| v.to_string());
                return format!(
                    "channel {ch}: the engine refused a pulse of {} ({} phase, {} period): {why}; \
                     nothing was written",
                    sp.amplitude, sp.phase, sp.period
                );
            }
        }
        format!("engine reported {}", code.as_str())
    }

    /// The limits pulses are checked against: the session's while output is armed (the device
    /// limits narrowed by the person and the program), else the device's.
    fn limits_in_force(&self) -> ArmedLimits {
        let armed = self.port.armed();
        match self.port.armed_limits().filter(|_| armed) {
            Some(l) => l,
            None => ArmedLimits::device(&self.limits),
        }
    }

    fn pulse_violation(
        &mut self,
        ch: usize,
        sp: crate::pulse::Setpoint,
        now: u64,
    ) -> Option<(FaultCode, String)> {
        if let Err(v) = self.limits_in_force().check(ch, sp) {
            return Some((FaultCode::OverLimit, format!("channel {ch}: {v}")));
        }
        let l = &self.limits;
        if self.output_on {
            if let Err(bound) = self.envelopes[ch].check(sp.amplitude, now) {
                return Some((
                    FaultCode::RiseRate,
                    format!(
                        "channel {ch}: amplitude {} rose above the ramp bound {bound} ({} µA/s)",
                        sp.amplitude, l.rise_rate_ua_per_s
                    ),
                ));
            }
        }
        None
    }

    fn cut_output(&mut self) {
        let _ = self.io.interlock.set(false);
        let _ = self.io.hv_enable.set(false);
        self.output_on = false;
    }

    fn trip(&mut self, code: FaultCode, message: String) {
        self.cut_output();
        self.port.trip();
        self.latched = Some(code);
        tracing::error!(code = code.as_str(), "safety trip: {message}");
        let _ = self.trips.send(Trip { code, message });
    }

    fn acknowledge(&mut self, now: u64) -> Result<(), AckRefusal> {
        let Some(code) = self.latched else {
            return Ok(());
        };
        if code == FaultCode::HardwareUnavailable {
            return Err(AckRefusal::HardwareUnavailable);
        }
        let p = &self.port;
        if now.saturating_sub(p.engine_heartbeat_ns()) > ENGINE_HEARTBEAT_TIMEOUT_NS {
            return Err(AckRefusal::EngineNotRunning);
        }
        if !p.dac_ok() {
            return Err(AckRefusal::DacFailing);
        }
        if (0..self.settings.channels).any(|ch| p.nonzero_since_ns(ch) != 0) {
            return Err(AckRefusal::DacNotZero);
        }
        let peak = self.limits.peak_current;
        if let Some(ch) = (0..self.settings.channels).find(|&ch| p.level(ch) > peak.0) {
            return Err(AckRefusal::LevelAbovePeak {
                channel: ch,
                level: MicroAmps(p.level(ch)),
                peak,
            });
        }
        match self.io.overcurrent.is_active() {
            Ok(true) => return Err(AckRefusal::OvercurrentActive),
            Err(e) => return Err(AckRefusal::OvercurrentUnreadable(e)),
            Ok(false) => {}
        }
        if let Err(e) = self.io.interlock.set(false) {
            return Err(AckRefusal::InterlockFailing(e));
        }
        tracing::info!(code = code.as_str(), "fault acknowledged, cause gone");
        self.latched = None;
        self.port.clear_faults();
        Ok(())
    }

    /// Pets systemd's watchdog and the hardware one, each when due, only while the engine, the
    /// session manager and the D-Bus connection are alive and the daemon has said READY.
    fn pet_watchdog(&mut self, now: u64) {
        let p = &self.port;
        let engine_alive = now.saturating_sub(p.engine_heartbeat_ns()) < MANAGER_TIMEOUT_NS;
        let manager_alive = now.saturating_sub(p.manager_heartbeat_ns()) < MANAGER_TIMEOUT_NS;
        if !(engine_alive && manager_alive && p.bus_alive() && p.ready()) {
            return;
        }
        if let Some(w) = self.hw_watchdog.as_mut() {
            w.pet(now);
        }
        let Some((interval, last)) = self.watchdog else {
            return;
        };
        if now.saturating_sub(last) >= interval {
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
            self.watchdog = Some((interval, now));
        }
    }
}

#[cfg(test)]
#[path = "supervisor_tests.rs"]
mod tests;
