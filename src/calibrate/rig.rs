//! The output stage under the calibration's control, fail-closed: a channel is driven with one
//! DC current at a time, the HV enable is on only while a reading is awaited, and a keeper
//! thread retriggers the interlock monostable meanwhile. It switches the output off by itself
//! (HV off, the interlock left to expire, every channel's DAC at mid-scale) on an interrupt
//! (Ctrl-C, SIGTERM, SIGHUP: [`KillSwitch`]), when a reading has been awaited too long, on the
//! overcurrent input or a GPIO error; dropping the rig switches it off too (an error, a
//! panic). If the process dies, the interlock stops and the hardware cuts the output within
//! 10 ms.

use crate::board::{BoardError, Dac, SafetyIo};
use crate::clock::now_ns;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How often the keeper retriggers the interlock (the monostable holds 10 ms).
const KEEPER_PERIOD: Duration = Duration::from_micros(500);

/// Why the output went off by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// An interrupt (Ctrl-C, SIGTERM, SIGHUP).
    Interrupted,
    /// No reading came within the hold time.
    Timeout,
    /// The overcurrent comparator tripped.
    Overcurrent,
    /// A GPIO line failed (HV enable, interlock, overcurrent input).
    Gpio(BoardError),
    /// The DAC could not be written.
    Spi(BoardError),
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Interrupted => write!(f, "interrupted"),
            Stop::Timeout => write!(f, "no reading in time"),
            Stop::Overcurrent => write!(f, "the overcurrent input tripped"),
            Stop::Gpio(e) | Stop::Spi(e) => write!(f, "{e}"),
        }
    }
}

/// The hardware and what the keeper is doing with it.
struct Stage {
    dac: Box<dyn Dac>,
    safety: SafetyIo,
    channels: usize,
    /// HV on and the interlock retriggered.
    on: bool,
    level: bool,
    /// When the output goes off if no reading has come (monotonic ns).
    deadline_ns: u64,
    /// Why the output went off by itself since the last `drive`.
    stopped: Option<Stop>,
    quit: bool,
}

impl Stage {
    /// HV off first (the stage loses its supply), then every channel to mid-scale; the
    /// interlock is no longer toggled, so the monostable expires too.
    fn switch_off(&mut self) {
        let _ = self.safety.hv_enable.set(false);
        for ch in 0..self.channels {
            let _ = self.dac.set_current(ch, 0);
        }
        self.on = false;
    }

    /// One keeper period while on: why to switch off, if anything.
    fn keep(&mut self, interrupted: bool) -> Option<Stop> {
        if interrupted {
            return Some(Stop::Interrupted);
        }
        if now_ns() >= self.deadline_ns {
            return Some(Stop::Timeout);
        }
        match self.safety.overcurrent.is_active() {
            Ok(true) => return Some(Stop::Overcurrent),
            Ok(false) => {}
            Err(e) => return Some(Stop::Gpio(e)),
        }
        self.level = !self.level;
        self.safety.interlock.set(self.level).err().map(Stop::Gpio)
    }
}

fn lock(stage: &Mutex<Stage>) -> MutexGuard<'_, Stage> {
    // A panic elsewhere must never keep the output from being switched off.
    stage.lock().unwrap_or_else(|p| p.into_inner())
}

/// Switches the output off from another thread (the signal handler), for good.
#[derive(Clone)]
pub struct KillSwitch {
    stage: Arc<Mutex<Stage>>,
    interrupted: Arc<AtomicBool>,
}

impl KillSwitch {
    /// Output off now; the rig refuses to switch on again. Returns once it is off.
    pub fn trip(&self) {
        self.interrupted.store(true, Ordering::Release);
        let mut s = lock(&self.stage);
        s.switch_off();
        s.stopped = Some(Stop::Interrupted);
    }
}

/// The output stage of the board being calibrated.
pub struct Rig {
    stage: Arc<Mutex<Stage>>,
    interrupted: Arc<AtomicBool>,
    keeper: Option<std::thread::JoinHandle<()>>,
    hold: Duration,
}

impl Rig {
    /// Takes the board's DAC (uncalibrated: codes as the ideal transfer gives them) and output
    /// path, switches the output off and starts the keeper. A reading awaited longer than
    /// `hold` switches the output off.
    pub fn new(
        dac: Box<dyn Dac>,
        safety: SafetyIo,
        channels: usize,
        hold: Duration,
    ) -> std::io::Result<Rig> {
        let mut stage = Stage {
            dac,
            safety,
            channels,
            on: false,
            level: false,
            deadline_ns: 0,
            stopped: None,
            quit: false,
        };
        stage.switch_off();
        let stage = Arc::new(Mutex::new(stage));
        let interrupted = Arc::new(AtomicBool::new(false));
        let (st, int) = (stage.clone(), interrupted.clone());
        let keeper = std::thread::Builder::new()
            .name("calibrate-keeper".into())
            .spawn(move || keeper(&st, &int))?;
        Ok(Rig {
            stage,
            interrupted,
            keeper: Some(keeper),
            hold,
        })
    }

    /// A handle that switches the output off from another thread.
    pub fn kill_switch(&self) -> KillSwitch {
        KillSwitch {
            stage: self.stage.clone(),
            interrupted: self.interrupted.clone(),
        }
    }

    /// Drives `channel` with `microamps` of DC and switches the output on (every other channel
    /// at mid-scale): DAC first, with HV still off, then HV on and the interlock retriggered.
    pub fn drive(&self, channel: usize, microamps: i32) -> Result<(), Stop> {
        let mut s = lock(&self.stage);
        s.switch_off();
        s.stopped = None;
        if self.interrupted.load(Ordering::Acquire) {
            return Err(Stop::Interrupted);
        }
        match s.safety.overcurrent.is_active() {
            Ok(false) => {}
            Ok(true) => return Err(Stop::Overcurrent),
            Err(e) => return Err(Stop::Gpio(e)),
        }
        if let Err(e) = s.dac.set_current(channel, microamps) {
            s.switch_off();
            return Err(Stop::Spi(e));
        }
        s.deadline_ns = now_ns() + self.hold.as_nanos() as u64;
        let on = s.safety.hv_enable.set(true).and_then(|()| {
            s.level = !s.level;
            let level = s.level;
            s.safety.interlock.set(level)
        });
        match on {
            Ok(()) => {
                s.on = true;
                Ok(())
            }
            Err(e) => {
                s.switch_off();
                Err(Stop::Gpio(e))
            }
        }
    }

    /// Output off (HV off, every channel at mid-scale).
    pub fn off(&self) {
        lock(&self.stage).switch_off();
    }

    /// Why the output went off by itself since the last `drive`, if it did.
    pub fn stopped(&self) -> Option<Stop> {
        lock(&self.stage).stopped
    }

    /// Whether the output is on.
    pub fn is_on(&self) -> bool {
        lock(&self.stage).on
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        {
            let mut s = lock(&self.stage);
            s.switch_off();
            s.quit = true;
        }
        if let Some(k) = self.keeper.take() {
            let _ = k.join();
        }
    }
}

fn keeper(stage: &Mutex<Stage>, interrupted: &AtomicBool) {
    if let Err(e) = crate::engine::rt::try_sched_fifo(KEEPER_PRIORITY) {
        tracing::debug!(
            "calibrate keeper: no SCHED_FIFO ({e}); the interlock may lapse under load"
        );
    }
    loop {
        {
            let mut s = lock(stage);
            if s.quit {
                s.switch_off();
                return;
            }
            if s.on {
                if let Some(why) = s.keep(interrupted.load(Ordering::Acquire)) {
                    s.switch_off();
                    s.stopped = Some(why);
                }
            }
        }
        std::thread::sleep(KEEPER_PERIOD);
    }
}

/// The keeper's SCHED_FIFO priority when it may have one (the supervisor's default).
const KEEPER_PRIORITY: u32 = 90;
