//! The session core: a pure state machine over the running session, the latched fault, the
//! dose memory and the pad counts. Requests and ticks come in with the time as an argument;
//! what to do comes out as typed effects (`drain`), in order, for the outbox to perform.
//!
//! Owns every decision about a session after admission: targets and clamps, pause and
//! contact loss, segments, habituation, the end and what is recorded and signalled. Never
//! performs I/O, locks or reads a clock; never raises a level above a limit or starts one
//! above zero, and every end disarms first.

use super::admission::{self, Facts, Plan};
use super::effect::{Actor, Effect, Event, Notice, Now, Record};
use super::state::{EndReason, Session};
use super::{SessionError, StartOptions};
use crate::care::dose::Past;
use crate::care::habituation::Habituation;
use crate::care::pads::PadSet;
use crate::model::limits::{ceiling::CHANNELS, Limits};
use crate::model::units::MicroAmps;
use crate::safety::fault::FaultCode;
use crate::texts::{Lang, Text};

mod ack;
mod battery;
mod tick;

pub use ack::{AckAnswer, AckStep};

/// The configuration the core and admission decide by.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The device's limits (from the configuration, within the hardware ceilings).
    pub limits: Limits,
    /// Device channels, at most `CHANNELS`.
    pub channels: usize,
    /// A session's length when `Start` gives none, s.
    pub session_default_s: u32,
    /// The longest session `Start` may ask for, s.
    pub session_max_s: u32,
    /// No new session below this battery level, %.
    pub battery_low_percent: u32,
    /// A running session ends (`battery_low`) at or below this level, %.
    pub battery_critical_percent: u32,
}

/// A latched fault, as the supervisor reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// What tripped.
    pub code: FaultCode,
    /// The supervisor's description of the cause.
    pub message: String,
}

/// The pad sets' counts as last stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PadCounts {
    /// Per channel: sessions and minutes on its pad set, and when it was fitted.
    pub sets: [PadSet; CHANNELS],
    /// Uses after which a set is worn.
    pub uses: u32,
}

impl PadCounts {
    /// The counts as `pads` holds them now.
    pub fn of(pads: &crate::care::pads::Pads) -> PadCounts {
        PadCounts {
            sets: std::array::from_fn(|ch| pads.get(ch)),
            uses: pads.uses,
        }
    }
    fn get(&self, channel: usize) -> PadSet {
        self.sets.get(channel).copied().unwrap_or_default()
    }
    fn worn(&self, channel: usize) -> bool {
        self.get(channel).sessions >= self.uses
    }
}

/// What a tick needs to know besides the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TickInputs {
    /// A fresh battery reading (percent, −1 unknown), if one was taken.
    pub battery: Option<i32>,
    /// Channels the engine stopped for lost electrode contact.
    pub contact_lost: [bool; CHANNELS],
    /// Whether what the pulses sense is the electrodes' doing (`Shared::output_live`): while
    /// not, a channel that senses nothing is not taken for lost contact — a fault is never
    /// reported as pads coming off.
    pub output_live: bool,
}

/// What admission needs that the manager gathers (under locks, from files and clocks).
#[derive(Debug, Clone)]
pub struct Gathered {
    /// The catalogue's entry for the requested program.
    pub program: admission::ProgramLookup,
    /// The store's entry for the requested profile.
    pub profile: admission::ProfileLookup,
    /// Unix seconds.
    pub now_unix: i64,
    /// Unix seconds at the start of the local day containing `now_unix`.
    pub midnight: i64,
    /// Formats a Unix time as a local time of day, for a dose refusal.
    pub clock: fn(i64) -> String,
    /// Battery charge, percent, −1 unknown.
    pub battery: i32,
}

/// The session core: the running session, the latched fault, the dose memory, the pad counts
/// and the effects decided but not yet drained. Owned by the manager's task.
pub struct Core {
    config: Config,
    session: Option<Session>,
    fault: Option<Fault>,
    /// Counts the trips latched, so an acknowledge clears only the fault it asked about.
    fault_seq: u64,
    /// The `fault_seq` the supervisor is being asked to acknowledge, while it is.
    ack_asked: Option<u64>,
    /// Sessions of the last two days per profile, for the dose guidance.
    recent: Vec<(String, Past)>,
    pads: Option<PadCounts>,
    battery: i32,
    /// The running session's view of the battery (the low-battery notice).
    battery_watch: battery::BatteryWatch,
    last_progress_ms: u64,
    /// The session's maxima at its last progress.
    progress_max: Vec<u32>,
    /// The levels last recorded, and when.
    logged_levels: Vec<u32>,
    last_level_ms: u64,
    effects: Vec<Effect>,
    /// The running session's language (its profile's), for its refusals and notices.
    lang: Lang,
}

impl Core {
    /// An idle core; `recent` seeds the dose guidance (so a restart does not reset a day's
    /// count), `pads` the pad counts (none in tests that do not need them).
    pub fn new(config: Config, recent: Vec<(String, Past)>, pads: Option<PadCounts>) -> Core {
        Core {
            config,
            session: None,
            fault: None,
            fault_seq: 0,
            ack_asked: None,
            recent,
            pads,
            battery: -1,
            battery_watch: battery::BatteryWatch::default(),
            last_progress_ms: 0,
            progress_max: Vec::new(),
            logged_levels: Vec::new(),
            last_level_ms: 0,
            effects: Vec::new(),
            lang: crate::texts::default(),
        }
    }

    /// The running session's language, if a session runs.
    pub fn language(&self) -> Option<Lang> {
        self.session.as_ref().map(|_| self.lang)
    }

    /// Tells the person something about session `id`, in its language.
    fn notice(&mut self, id: u64, notice: Notice) {
        tracing::warn!(id, "{notice}");
        let lang = self.lang;
        self.effects
            .push(Effect::Signal(Event::Notice { id, notice, lang }));
    }

    /// The effects decided since the last call, in order.
    pub fn drain(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// Whether a session runs (paused or not).
    pub fn is_running(&self) -> bool {
        self.session.is_some()
    }

    /// Admission with what the core knows (fault, running session, recent sessions) added.
    pub fn admit(
        &self,
        program_id: &str,
        options: StartOptions,
        g: Gathered,
    ) -> Result<Plan, SessionError> {
        let facts = Facts {
            program: g.program,
            profile: g.profile,
            recent: &self.recent,
            now_unix: g.now_unix,
            midnight: g.midnight,
            clock: g.clock,
            battery: g.battery,
            fault: self.fault.as_ref(),
            running: self.session.as_ref().map(Session::id),
        };
        admission::admit(program_id, options, facts, &self.config)
    }

    /// Begins an admitted session `id`: targets set (recorded with `actor`), then levels at
    /// zero, the first pattern published, contact judged afresh, and only then armed with the
    /// session's own limits.
    pub fn begin(&mut self, plan: Plan, id: u64, actor: Actor, now: Now) {
        let Plan {
            program,
            profile,
            placement,
            channels,
            duration_s,
            keepalive_s,
            targets,
            notice,
            armed,
            battery,
        } = plan;
        self.lang = Lang::of(&profile.language);
        let habituation = Habituation::new(
            &profile.habituation,
            profile.comfort.get(&program.id).copied(),
            now.ms,
        );
        let area = (profile.electrode_area_cm2 > 0.0).then_some(profile.electrode_area_cm2);
        let mut s = Session::new(
            id,
            program,
            channels.clone(),
            duration_s,
            now.ms,
            now.unix(),
            profile.name.clone(),
            placement,
            keepalive_s,
        )
        .with_person(admission::profile_cap(&profile), area, habituation);
        let limits = self.limits_for(Some(&s));
        let mut clamps = Vec::new();
        let mut set = Vec::new();
        for (&ch, &ua) in channels.iter().zip(targets.iter().flatten()) {
            let (applied, clamp) = s.set_target(ch, MicroAmps(ua), &limits);
            set.push((ch, applied));
            clamps.extend(clamp);
        }
        self.record(Record::Started {
            id,
            program: s.program().id.clone(),
            profile: s.profile().to_string(),
            placement: s.placement().to_string(),
            start: s.start_unix(),
            channels: channels.iter().map(|&c| c as u32).collect(),
            segments: s.segments_run().to_vec(),
        });
        for (ch, applied) in set {
            self.record_target(now, id, ch, applied, actor);
        }
        tracing::info!(
            id,
            program = s.program().id,
            duration_s,
            ?channels,
            "session started"
        );
        let pattern = s.pattern();
        self.session = Some(s);
        self.last_progress_ms = now.ms;
        self.progress_max = Vec::new();
        self.battery_watch = battery::BatteryWatch::default();
        if battery >= 0 {
            self.battery = battery;
        }
        self.logged_levels = vec![0; self.config.channels];
        self.last_level_ms = now.ms;
        for c in clamps {
            self.report_clamp(now, id, c);
        }
        self.effects.push(Effect::ResetContact);
        self.push_levels();
        self.effects.extend(pattern.map(Effect::Pattern));
        self.effects.push(Effect::Arm(armed));
        if let Some(notice) = notice {
            self.notice(id, notice);
        }
        // Started between `low_percent` and `critical_percent`: told at once.
        self.watch_battery(id, now);
    }

    /// Ends the running session, if any (`Stop`, and the manager's own end).
    pub fn stop(&mut self, now: Now) {
        self.end(EndReason::Stopped, now);
    }

    /// Output to zero at once, then the session's end.
    pub fn emergency_stop(&mut self, now: Now) {
        self.effects.push(Effect::Disarm);
        self.end(EndReason::EmergencyStop, now);
    }

    /// The D-Bus connection is gone: output to zero, the session ends with `bus_lost`.
    pub fn bus_lost(&mut self, now: Now) {
        self.effects.push(Effect::Disarm);
        self.end(EndReason::BusLost, now);
    }

    /// Levels drop to zero at once; targets are kept. The engine is told even when no
    /// session runs (every level zero).
    pub fn pause(&mut self) -> Result<(), SessionError> {
        let r = self.running_mut().map(Session::pause);
        self.push_levels();
        r
    }

    /// Ramps again from zero; contact is judged afresh. Changes nothing unless the session
    /// is paused: a contact loss the engine latched since the last tick is not cleared before
    /// the tick has paused the session and zeroed that channel's target (else the channel
    /// would pulse again at its old level).
    pub fn resume(&mut self) -> Result<(), SessionError> {
        let s = self.running_mut()?;
        if s.paused() {
            s.resume();
            self.effects.push(Effect::ResetContact);
        }
        Ok(())
    }

    /// The client is still there: the keepalive interval starts again.
    pub fn keepalive(&mut self, now: Now) -> Result<(), SessionError> {
        self.running_mut()?.keepalive(now.ms);
        Ok(())
    }

    /// A channel's target set by `actor`: clamped to every limit and the person's maximum,
    /// recorded, and at once on the engine when lower. Returns the target applied.
    pub fn set_intensity(
        &mut self,
        channel: u32,
        requested: MicroAmps,
        actor: Actor,
        now: Now,
    ) -> Result<u32, SessionError> {
        let ch = self.channel_in_use(channel)?;
        let limits = self.limits_for(self.session.as_ref());
        let s = self.running_mut()?;
        if s.contact_lost(ch) && requested > s.targets()[ch] {
            return Err(SessionError::NotPermitted(
                Text::new("channel.no_contact").arg("channel", channel),
            ));
        }
        if requested < s.targets()[ch] && s.lowered() {
            tracing::info!(
                channel = ch,
                "lowered by {actor}: habituation compensation stops"
            );
        }
        let (applied, clamp) = s.set_target(ch, requested, &limits);
        let id = s.id();
        self.record_target(now, id, ch, applied, actor);
        if let Some(c) = clamp {
            self.report_clamp(now, id, c);
        }
        self.push_levels();
        Ok(applied.0)
    }

    /// A channel's target moved by whole intensity steps from its current one (rounded to a
    /// step), as `set_intensity`.
    pub fn step_intensity(
        &mut self,
        channel: u32,
        steps: i32,
        actor: Actor,
        now: Now,
    ) -> Result<u32, SessionError> {
        let ch = self.channel_in_use(channel)?;
        let current = self.running_mut()?.targets()[ch];
        let l = &self.config.limits;
        let step = i64::from(l.intensity_step.0);
        let base = i64::from(l.round_to_step(current).0);
        let want = (base + i64::from(steps) * step).clamp(0, i64::from(u32::MAX));
        self.set_intensity(channel, MicroAmps(want as u32), actor, now)
    }

    /// The supervisor tripped: the fault latches, the session ends with it.
    pub fn trip(&mut self, code: FaultCode, message: String, now: Now) {
        let session_id = self.session.as_ref().map_or(0, Session::id);
        self.fault = Some(Fault {
            code,
            message: message.clone(),
        });
        self.fault_seq += 1;
        self.end(EndReason::Fault(code), now);
        self.record(Record::Fault {
            time: now.unix(),
            code,
            message: message.clone(),
            session_id,
        });
        self.effects
            .push(Effect::Signal(Event::FaultRaised { code, message }));
    }

    /// `channel` checked for `PadsReplaced`.
    pub fn pads_channel(&self, channel: u32) -> Result<usize, SessionError> {
        self.device_channel(channel)
    }

    /// The pad counts after a session's were stored; `newly_worn` have just reached their uses.
    pub fn pads_counted(&mut self, counts: PadCounts, newly_worn: &[usize]) {
        self.pads = Some(counts);
        for &ch in newly_worn {
            let sessions = counts.get(ch).sessions;
            tracing::warn!(channel = ch, sessions, "pads worn: replace them");
            self.effects.push(Effect::Signal(Event::PadsWorn {
                channel: ch as u32,
                sessions,
            }));
        }
    }

    /// A fresh pad set was stored durably.
    pub fn pads_replaced(&mut self, channel: usize, counts: PadCounts) {
        tracing::info!(channel, "new pads fitted");
        self.pads = Some(counts);
    }

    /// Each channel's level to the engine (zero for channels not in use, or with no session).
    fn push_levels(&mut self) {
        let levels = match &self.session {
            Some(s) => s.setpoints().map(|sp| sp.amplitude),
            None => [MicroAmps::ZERO; CHANNELS],
        };
        self.effects.push(Effect::Levels(levels));
    }

    fn running_mut(&mut self) -> Result<&mut Session, SessionError> {
        self.session.as_mut().ok_or_else(not_running)
    }

    fn device_channel(&self, channel: u32) -> Result<usize, SessionError> {
        let ch = channel as usize;
        if ch >= self.config.channels {
            return Err(SessionError::InvalidArgument(
                Text::new("channel.out_of_range")
                    .arg("channel", channel)
                    .arg("max", self.config.channels - 1),
            ));
        }
        Ok(ch)
    }

    /// `channel` checked against the device and the running session.
    fn channel_in_use(&self, channel: u32) -> Result<usize, SessionError> {
        let s = self.session.as_ref().ok_or_else(not_running)?;
        let ch = self.device_channel(channel)?;
        if !s.channels().contains(&ch) {
            return Err(SessionError::InvalidArgument(
                Text::new("channel.not_in_use")
                    .arg("channel", channel)
                    .arg("in_use", format!("{:?}", s.channels())),
            ));
        }
        Ok(ch)
    }

    /// The device's limits, narrowed for a session by its profile's electrode area.
    fn limits_for(&self, s: Option<&Session>) -> Limits {
        let mut l = self.config.limits.clone();
        if let Some(area) = s.and_then(Session::electrode_area_cm2) {
            l.electrode_area.0 = l.electrode_area.0.min(area);
        }
        l
    }
}

fn not_running() -> SessionError {
    SessionError::NotRunning(Text::new("session.not_running"))
}

#[cfg(test)]
mod tests;
