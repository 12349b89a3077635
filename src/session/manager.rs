//! The session manager task (tokio): owns the running session and answers requests.

use super::state::{Clamp, EndReason, Session};
use super::{as_u32s, DeviceState, Event, Request, SessionError, StartOptions, Status};
use crate::clock::unix_now;
use crate::history::{ClampRow, FaultRow, HistoryHandle, IntensityRow, SessionFigures, SessionRow};
use crate::model::limits::Limits;
use crate::model::units::{MicroAmps, SquareCm};
use crate::program::Catalog;
use crate::safety::armed::ArmedLimits;
use crate::safety::fault::Trip;
use crate::safety::supervisor::Command as SupervisorCommand;
use crate::shared::Shared;
use std::sync::{mpsc as std_mpsc, Arc, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::Instant;

const TICK_RUNNING: Duration = Duration::from_millis(20);
const TICK_IDLE: Duration = Duration::from_millis(200);
/// How often the battery level is read (a sysfs read on the real board).
const BATTERY_EVERY_MS: u64 = 1_000;
/// How often a running session's progress goes to the history (a session cut short by a
/// crash ends, as `interrupted`, at its last progress). Each progress is a commit, and commits
/// are what wears an SD card.
const PROGRESS_EVERY_MS: u64 = 30_000;
/// The level a ramp reached is recorded at most this often (intensity changes only: a steady
/// session writes nothing).
const LEVEL_EVERY_MS: u64 = 1_000;
/// Bounds on client-supplied strings.
const MAX_KEEPALIVE_S: u32 = 3_600;

pub struct Manager {
    pub shared: Arc<Shared>,
    pub limits: Limits,
    pub channels: usize,
    pub session_default_s: u32,
    pub session_max_s: u32,
    pub history: HistoryHandle,
    pub battery_limits: crate::config::BatteryConfig,
    pub supervisor: std_mpsc::Sender<SupervisorCommand>,
    pub status: watch::Sender<Status>,
    pub events: broadcast::Sender<Event>,
    /// Reads the battery level (percent, −1 unknown).
    pub battery: Box<dyn Fn() -> i32 + Send>,
    /// Presets and custom programs (shared with the `Programs` interface).
    pub catalog: Arc<RwLock<Catalog>>,
    /// People's profiles: their own limits, settled intensities and screening.
    pub profiles: Arc<RwLock<crate::care::ProfileStore>>,
    /// Sessions of the last two days per profile, for the dose guidance (seeded from the
    /// history at start-up, so a restart does not reset a day's count).
    pub recent: Vec<(String, crate::care::dose::Past)>,
    /// The pad sets' use counts (none in unit tests).
    pub pads: Option<crate::care::pads::Pads>,
    battery_level: i32,
    battery_read_ms: u64,
    session: Option<Session>,
    fault: Option<(String, String)>,
    epoch: Instant,
    last_progress_ms: u64,
    /// The levels last recorded, and when.
    logged_levels: Vec<u32>,
    last_level_ms: u64,
}

impl Manager {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        shared: Arc<Shared>,
        limits: Limits,
        channels: usize,
        session_default_s: u32,
        session_max_s: u32,
        history: HistoryHandle,
        battery_limits: crate::config::BatteryConfig,
        supervisor: std_mpsc::Sender<SupervisorCommand>,
        status: watch::Sender<Status>,
        events: broadcast::Sender<Event>,
        battery: Box<dyn Fn() -> i32 + Send>,
        catalog: Arc<RwLock<Catalog>>,
        profiles: Arc<RwLock<crate::care::ProfileStore>>,
    ) -> Manager {
        Manager {
            shared,
            limits,
            channels,
            session_default_s,
            session_max_s,
            history,
            battery_limits,
            supervisor,
            status,
            events,
            battery,
            catalog,
            profiles,
            recent: Vec::new(),
            pads: None,
            battery_level: -1,
            battery_read_ms: 0,
            session: None,
            fault: None,
            epoch: Instant::now(),
            last_progress_ms: 0,
            logged_levels: Vec::new(),
            last_level_ms: 0,
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Runs until every handle is dropped.
    pub async fn run(
        mut self,
        mut requests: mpsc::Receiver<Request>,
        mut trips: mpsc::UnboundedReceiver<Trip>,
    ) {
        self.publish();
        let mut next_tick = Instant::now();
        loop {
            tokio::select! {
                biased;
                // Trips first, then a due tick, then requests: a client flooding requests
                // cannot starve the ramp, the session's end or the manager's heartbeat (tokio's
                // cooperative budget would force a yield anyway; this does not rely on it).
                Some(trip) = trips.recv() => self.on_trip(trip),
                _ = tokio::time::sleep_until(next_tick) => {
                    self.tick();
                    let period = if self.session.is_some() { TICK_RUNNING } else { TICK_IDLE };
                    next_tick = Instant::now() + period;
                }
                req = requests.recv() => match req {
                    Some(req) => self.handle(req).await,
                    None => break,
                },
            }
        }
        self.end(EndReason::Stopped);
    }

    async fn handle(&mut self, req: Request) {
        match req {
            Request::Start {
                program,
                options,
                actor,
                reply,
            } => {
                let _ = reply.send(self.start(&program, options, &actor));
            }
            Request::Stop { reply } => {
                self.end(EndReason::Stopped);
                let _ = reply.send(Ok(()));
            }
            Request::Pause { reply } => {
                let r = self.running_mut().map(|s| s.pause());
                self.apply_setpoints();
                let _ = reply.send(r);
            }
            Request::Resume { reply } => {
                let r = self.running_mut().map(|s| s.resume());
                if r.is_ok() {
                    self.reset_contact();
                }
                let _ = reply.send(r);
            }
            Request::SetIntensity {
                channel,
                microamps,
                actor,
                reply,
            } => {
                let _ = reply.send(self.set_intensity(channel, MicroAmps(microamps), &actor));
            }
            Request::StepIntensity {
                channel,
                steps,
                actor,
                reply,
            } => {
                let r = self.target_of(channel).and_then(|current| {
                    let step = i64::from(self.limits.intensity_step.0);
                    let base = i64::from(self.limits.round_to_step(current).0);
                    let want = (base + i64::from(steps) * step).clamp(0, i64::from(u32::MAX));
                    self.set_intensity(channel, MicroAmps(want as u32), &actor)
                });
                let _ = reply.send(r);
            }
            Request::Keepalive { reply } => {
                let now = self.now_ms();
                let _ = reply.send(self.running_mut().map(|s| s.keepalive(now)));
            }
            Request::EmergencyStop { reply } => {
                // Output to zero first, then the bookkeeping.
                self.shared.disarm();
                self.end(EndReason::EmergencyStop);
                let _ = reply.send(Ok(()));
            }
            Request::BusLost { reply } => {
                self.shared.disarm();
                self.end(EndReason::BusLost);
                let _ = reply.send(Ok(()));
            }
            Request::AcknowledgeFault { reply } => {
                let r = self.acknowledge().await;
                let _ = reply.send(r);
            }
            Request::PadsReplaced { channel, reply } => {
                let r = if channel as usize >= self.channels {
                    Err(SessionError::InvalidArgument(format!(
                        "channel = {channel} is out of range (allowed: 0..={})",
                        self.channels - 1
                    )))
                } else {
                    // Stored durably first; if it cannot be, refused and the old counts stay.
                    match self
                        .pads
                        .as_mut()
                        .map(|p| p.replaced(channel as usize, unix_now()))
                    {
                        Some(Err(e)) => {
                            tracing::error!(channel, "new pads not recorded: {e}");
                            Err(SessionError::Failed(format!(
                                "{e}; the pad counts of channel {channel} are unchanged"
                            )))
                        }
                        _ => {
                            tracing::info!(channel, "new pads fitted");
                            Ok(())
                        }
                    }
                };
                let _ = reply.send(r);
            }
        }
        self.publish();
    }

    fn running_mut(&mut self) -> Result<&mut Session, SessionError> {
        self.session
            .as_mut()
            .ok_or_else(|| SessionError::NotRunning("no session is running".into()))
    }

    fn check_channel(&self, channel: u32, session: &Session) -> Result<usize, SessionError> {
        let ch = channel as usize;
        if ch >= self.channels {
            return Err(SessionError::InvalidArgument(format!(
                "channel = {channel} is out of range (allowed: 0..={})",
                self.channels - 1
            )));
        }
        if !session.channels.contains(&ch) {
            return Err(SessionError::InvalidArgument(format!(
                "channel = {channel} is not in use by this session (in use: {:?})",
                session.channels
            )));
        }
        Ok(ch)
    }

    fn target_of(&self, channel: u32) -> Result<MicroAmps, SessionError> {
        let s = self
            .session
            .as_ref()
            .ok_or_else(|| SessionError::NotRunning("no session is running".into()))?;
        let ch = self.check_channel(channel, s)?;
        Ok(s.target[ch])
    }

    fn set_intensity(
        &mut self,
        channel: u32,
        requested: MicroAmps,
        actor: &str,
    ) -> Result<u32, SessionError> {
        let s = self
            .session
            .as_ref()
            .ok_or_else(|| SessionError::NotRunning("no session is running".into()))?;
        let ch = self.check_channel(channel, s)?;
        if s.contact_lost[ch] && requested > s.target[ch] {
            return Err(SessionError::NotPermitted(format!(
                "channel {channel} has no electrode contact: check the pads, then Resume (it ramps from zero)"
            )));
        }
        let limits = self.session_limits();
        let Some(s) = self.session.as_mut() else {
            return Err(SessionError::NotRunning("no session is running".into()));
        };
        if requested < s.target[ch] {
            if let Some(h) = s.habituation.as_mut().filter(|h| !h.is_stopped()) {
                h.stop();
                tracing::info!(
                    channel = ch,
                    "lowered by {actor}: habituation compensation stops"
                );
            }
        }
        let (applied, clamp) = s.set_target(ch, requested, &limits);
        let id = s.id;
        self.record_target(id, ch, applied, actor);
        if let Some(c) = clamp {
            self.report_clamp(id, c);
        }
        self.apply_setpoints();
        Ok(applied.0)
    }

    /// A new target to the history, with who set it.
    fn record_target(&self, session_id: u64, channel: usize, applied: MicroAmps, actor: &str) {
        self.history.intensity(IntensityRow {
            time_ms: crate::clock::unix_now_ms(),
            session_id,
            channel: channel as u32,
            kind: "target",
            microamps: applied.0,
            actor: actor.to_string(),
        });
    }

    fn report_clamp(&self, session_id: u64, c: Clamp) {
        tracing::info!(
            channel = c.channel,
            requested = c.requested.0,
            applied = c.applied.0,
            limit = c.limit.as_str(),
            "intensity clamped"
        );
        self.history.clamp(ClampRow {
            time: unix_now(),
            session_id,
            channel: c.channel as u32,
            requested: c.requested.0,
            applied: c.applied.0,
            limit: c.limit.as_str().into(),
        });
        let _ = self.events.send(Event::Clamped {
            channel: c.channel as u32,
            requested: c.requested.0,
            applied: c.applied.0,
            limit: c.limit.as_str().into(),
        });
    }

    fn start(
        &mut self,
        program_id: &str,
        o: StartOptions,
        actor: &str,
    ) -> Result<u64, SessionError> {
        let program = {
            let catalog = self
                .catalog
                .read()
                .map_err(|_| SessionError::Failed("the program catalogue is unavailable".into()))?;
            catalog
                .get(program_id)
                .map(|(p, _)| p.clone())
                .ok_or_else(|| {
                    SessionError::UnknownProgram(format!(
                        "program = {program_id:?} does not exist (known: {})",
                        catalog.ids().join(", ")
                    ))
                })?
        };
        program.check(&self.limits).map_err(|p| {
            SessionError::InvalidArgument(format!(
                "program {program_id:?} does not fit the configured limits: {}",
                p.join("; ")
            ))
        })?;
        let channels = self.parse_channels(o.channels)?;
        let duration_s = o.duration_s.unwrap_or(self.session_default_s);
        if !(1..=self.session_max_s).contains(&duration_s) {
            return Err(SessionError::InvalidArgument(format!(
                "duration = {duration_s} s is out of range (allowed: 1..={} s)",
                self.session_max_s
            )));
        }
        if let Some(t) = &o.intensity {
            if t.len() != channels.len() {
                return Err(SessionError::InvalidArgument(format!(
                    "intensity has {} value(s) but {} channel(s) are in use (one µA value per channel)",
                    t.len(), channels.len()
                )));
            }
        }
        let profile = {
            let name = o
                .profile
                .unwrap_or_else(|| crate::care::store::DEFAULT.into());
            let store = self
                .profiles
                .read()
                .map_err(|_| SessionError::Failed("the profiles are unavailable".into()))?;
            store
                .existing(&name)
                .map_err(|e| SessionError::InvalidArgument(e.to_string()))?
                .clone()
        };
        let placement = o.placement.unwrap_or_default();
        let mut notice = None;
        if !placement.is_empty() {
            use crate::care::placement::{problem, Refusal};
            match problem(&placement) {
                Some(Refusal::Forbidden(m)) => return Err(SessionError::Contraindicated(m)),
                Some(Refusal::Unknown(m)) => return Err(SessionError::InvalidArgument(m)),
                None => {}
            }
            if !program.placements.is_empty() && !program.placements.contains(&placement) {
                notice = Some(format!(
                    "program {program_id:?} is meant for {}, not for the {placement}",
                    program.placements.join(", ")
                ));
            }
        }
        if let Some(why) = profile.contraindication(&placement) {
            return Err(SessionError::Contraindicated(why));
        }
        {
            use crate::care::dose;
            let now = unix_now();
            let past: Vec<dose::Past> = self
                .recent
                .iter()
                .filter(|(p, _)| *p == profile.name)
                .map(|(_, s)| *s)
                .collect();
            let midnight = dose::local_midnight(now);
            dose::check(
                &profile.dose,
                &past,
                now,
                midnight,
                duration_s,
                dose::local_clock,
            )
            .map_err(|why| SessionError::DoseLimit(format!("profile {:?}: {why}", profile.name)))?;
        }
        let keepalive_s = o.keepalive_s.unwrap_or(0);
        if keepalive_s > MAX_KEEPALIVE_S {
            return Err(SessionError::InvalidArgument(format!(
                "keepalive = {keepalive_s} s is out of range (allowed: 0..={MAX_KEEPALIVE_S} s, 0 = none)"
            )));
        }

        // The request is well-formed; now whether the device can take it.
        let battery = (self.battery)();
        let low = self.battery_limits.low_percent;
        if battery >= 0 && (battery as u32) < low {
            return Err(SessionError::NotPermitted(format!(
                "battery at {battery} % is below {low} % (battery.low_percent): charge the device first"
            )));
        }
        if let Some((code, message)) = &self.fault {
            let what_next = if code == "hardware_unavailable" {
                "fix the hardware or the configuration, then restart stimd"
            } else {
                "acknowledge it once the cause is gone"
            };
            return Err(SessionError::FaultActive(format!(
                "fault {code} is latched ({message}); {what_next}"
            )));
        }
        if let Some(s) = &self.session {
            return Err(SessionError::AlreadyRunning(format!(
                "session {} is running; stop it first",
                s.id
            )));
        }

        // From the history: above every id in the database and the persisted counter, so
        // ids never repeat, even when the database was unavailable at start-up.
        let id = self.history.next_session_id();
        let now = self.now_ms();
        let mut session = Session::new(
            id,
            program,
            channels.clone(),
            duration_s,
            now,
            unix_now(),
            profile.name.clone(),
            placement,
            keepalive_s,
        );
        for (ch, &max) in profile.max_intensity_ua.iter().enumerate() {
            if max > 0 {
                session.cap[ch] = MicroAmps(max);
            }
        }
        if profile.electrode_area_cm2 > 0.0 {
            session.electrode_area_cm2 = Some(profile.electrode_area_cm2);
        }
        session.habituation = crate::care::habituation::Habituation::new(
            &profile.habituation,
            profile.comfort.get(&session.program.id).copied(),
            now,
        );
        let limits = Self::limits_with(&self.limits, &session);
        // What the engine and the supervisor enforce on every pulse of this session: the
        // device's limits narrowed by this person and this program.
        let armed = ArmedLimits::for_session(
            &self.limits,
            &session.cap.map(|c| (c.0 < u32::MAX).then_some(c)),
            session.electrode_area_cm2.map(SquareCm),
            session
                .program
                .segments
                .iter()
                .map(|s| s.mode.worst_shape()),
        );
        let mut clamps = Vec::new();
        let mut targets_set = Vec::new();
        // Without a target, the intensity this person settled on last time with this program
        // (reached, like any target, by ramping from zero).
        let targets = o.intensity.or_else(|| {
            profile
                .comfort
                .get(&session.program.id)
                .map(|c| channels.iter().map(|&ch| c[ch]).collect())
        });
        if let Some(targets) = targets {
            for (&ch, &ua) in channels.iter().zip(&targets) {
                let (applied, clamp) = session.set_target(ch, MicroAmps(ua), &limits);
                targets_set.push((ch, applied));
                clamps.extend(clamp);
            }
        }
        let mut row = SessionRow::starting(
            id,
            &session.program.id,
            &session.profile,
            &session.placement,
            session.start_unix,
            channels.iter().map(|&c| c as u32).collect(),
        );
        row.segments = session.segments_run.clone();
        self.history.session_started(row);
        for (ch, applied) in targets_set {
            self.record_target(id, ch, applied, actor);
        }
        tracing::info!(
            id,
            program = program_id,
            duration_s,
            ?channels,
            "session started"
        );
        self.session = Some(session);
        self.last_progress_ms = now;
        self.logged_levels = vec![0; self.channels];
        self.last_level_ms = now;
        for c in clamps {
            self.report_clamp(id, c);
        }
        // Levels start at zero; the first segment's pattern; contact is judged afresh; the
        // supervisor enables the output.
        self.reset_contact();
        self.apply_setpoints();
        self.publish_pattern();
        self.shared.arm(&armed);
        if let Some(message) = notice {
            tracing::warn!(id, "{message}");
            let _ = self.events.send(Event::Notice { id, message });
        }
        Ok(id)
    }

    fn parse_channels(&self, requested: Option<Vec<u32>>) -> Result<Vec<usize>, SessionError> {
        let Some(list) = requested else {
            return Ok((0..self.channels).collect());
        };
        let allowed = format!("0..={}", self.channels - 1);
        if list.is_empty() || list.len() > self.channels {
            return Err(SessionError::InvalidArgument(format!(
                "channels = {list:?} must list 1 to {} distinct channel(s) in {allowed}",
                self.channels
            )));
        }
        let mut out: Vec<usize> = Vec::with_capacity(list.len());
        for &c in &list {
            if c as usize >= self.channels {
                return Err(SessionError::InvalidArgument(format!(
                    "channels: channel {c} is out of range (allowed: {allowed})"
                )));
            }
            if out.contains(&(c as usize)) {
                return Err(SessionError::InvalidArgument(format!(
                    "channels: channel {c} is listed twice"
                )));
            }
            out.push(c as usize);
        }
        Ok(out)
    }

    /// Contact is judged afresh (at start and on resume).
    fn reset_contact(&self) {
        self.shared.reset_contact();
    }

    /// Each channel's level to the engine (zero for channels not in use).
    fn apply_setpoints(&self) {
        match &self.session {
            Some(s) => {
                for (ch, sp) in s.setpoints().into_iter().enumerate() {
                    self.shared.set_level(ch, sp.amplitude.0);
                }
            }
            None => self.shared.zero_all(),
        }
    }

    /// The running segment's waveform to the engine, starting now. Called only while every
    /// level is zero (session start, segment change), so no pulse mixes two segments.
    fn publish_pattern(&self) {
        if let Some(s) = &self.session {
            if let Some(seg) = s.program.segments.get(s.segment) {
                self.shared
                    .publish_pattern(seg.pattern(), crate::clock::now_ns());
            }
        }
    }

    fn tick(&mut self) {
        let now = self.now_ms();
        self.shared.beat_manager(crate::clock::now_ns());
        if self.battery_read_ms == 0 || now.saturating_sub(self.battery_read_ms) >= BATTERY_EVERY_MS
        {
            self.battery_level = (self.battery)();
            self.battery_read_ms = now.max(1);
        }
        let critical = self.battery_limits.critical_percent;
        if self.session.is_some()
            && self.battery_level >= 0
            && self.battery_level as u32 <= critical
        {
            tracing::warn!(
                level = self.battery_level,
                critical,
                "battery critically low: ending the session"
            );
            self.end(EndReason::BatteryLow);
        }
        let limits = self.session_limits();
        let Some(s) = self.session.as_mut() else {
            self.publish();
            return;
        };
        let mut lost = Vec::new();
        for &ch in &s.channels.clone() {
            if self.shared.contact_lost(ch) && !s.contact_lost[ch] {
                tracing::warn!(
                    id = s.id,
                    channel = ch,
                    "electrode contact lost: channel to zero, target reset, session paused"
                );
                s.lose_contact(ch);
                lost.push((s.id, ch));
            }
        }
        for (id, ch) in lost {
            self.record_target(id, ch, MicroAmps::ZERO, "safety:contact_lost");
            if let Some(p) = self.pads.as_ref().filter(|p| p.worn(ch)) {
                let message = format!(
                    "channel {ch} lost contact; its pads have had {} sessions (worn after {}): \
                     fit new pads, then Device.PadsReplaced({ch})",
                    p.get(ch).sessions,
                    p.uses
                );
                let _ = self.events.send(Event::Notice { id, message });
            }
        }
        let Some(s) = self.session.as_mut() else {
            self.publish();
            return;
        };
        if let Some(reason) = s.tick(now, &limits) {
            self.end(reason);
        } else {
            let changed = std::mem::take(&mut s.segment_changed);
            let mut clamps = std::mem::take(&mut s.segment_clamps);
            let id = s.id;
            for (ch, applied, clamp) in s.habituate(now, &limits) {
                tracing::info!(channel = ch, target = applied.0, "habituation: one step up");
                self.record_target(id, ch, applied, "habituation");
                clamps.extend(clamp);
            }
            self.apply_setpoints();
            if changed {
                if let Some(s) = &self.session {
                    tracing::info!(
                        id,
                        segment = s.segment,
                        mode = s.segment_name(),
                        "next segment: intensity ramps again from zero"
                    );
                    for &ch in &s.channels {
                        self.record_target(id, ch, s.target[ch], "program");
                    }
                }
                self.publish_pattern();
            }
            self.record_levels(now, false);
            for c in clamps {
                self.report_clamp(id, c);
            }
            if now.saturating_sub(self.last_progress_ms) >= PROGRESS_EVERY_MS {
                self.last_progress_ms = now;
                if let Some(s) = &self.session {
                    self.history
                        .session_progress(s.id, unix_now(), self.figures(s, now));
                }
            }
        }
        self.publish();
    }

    fn figures(&self, s: &Session, now_ms: u64) -> SessionFigures {
        SessionFigures {
            max_intensity: s.channels.iter().map(|&c| s.max[c].0).collect(),
            mean_intensity: s.mean_intensity(now_ms),
            segments: s.segments_run.clone(),
        }
    }

    /// The levels the ramp reached, to the history when they changed — at most once a second
    /// unless `force` (the session's end).
    fn record_levels(&mut self, now_ms: u64, force: bool) {
        let Some(s) = &self.session else {
            return;
        };
        if !force && now_ms.saturating_sub(self.last_level_ms) < LEVEL_EVERY_MS {
            return;
        }
        self.last_level_ms = now_ms;
        let time_ms = crate::clock::unix_now_ms();
        for &ch in &s.channels {
            let level = s.actual[ch].0;
            if self.logged_levels.get(ch) != Some(&level) {
                self.history.intensity(IntensityRow {
                    time_ms,
                    session_id: s.id,
                    channel: ch as u32,
                    kind: "level",
                    microamps: level,
                    actor: "ramp".into(),
                });
                if let Some(slot) = self.logged_levels.get_mut(ch) {
                    *slot = level;
                }
            }
        }
    }

    /// Ends the running session (if any): output to zero, disarm, record, signal.
    /// The device's limits, narrowed for a session by its profile's electrode area.
    fn limits_with(limits: &Limits, s: &Session) -> Limits {
        let mut l = limits.clone();
        if let Some(area) = s.electrode_area_cm2 {
            l.electrode_area.0 = l.electrode_area.0.min(area);
        }
        l
    }

    fn session_limits(&self) -> Limits {
        match &self.session {
            Some(s) => Self::limits_with(&self.limits, s),
            None => self.limits.clone(),
        }
    }

    /// Remembers the targets a session ended with as its profile's comfortable intensity for
    /// the program (written on a blocking thread). Called for sessions that completed or were
    /// stopped only.
    fn remember_comfort(&self, s: &Session) {
        let mut comfort = [0u32; crate::model::limits::ceiling::CHANNELS];
        for &ch in &s.channels {
            comfort[ch] = s.target[ch].0;
        }
        if comfort.iter().all(|&c| c == 0) {
            return;
        }
        let (profiles, name, program) = (
            self.profiles.clone(),
            s.profile.clone(),
            s.program.id.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let Ok(mut store) = profiles.write() else {
                return;
            };
            let Some(mut p) = store.get(&name).cloned() else {
                return;
            };
            p.comfort.insert(program, comfort);
            if let Err(e) = store.put(p) {
                tracing::warn!("{e}");
            }
        });
    }

    fn end(&mut self, reason: EndReason) {
        self.shared.disarm();
        let now = self.now_ms();
        self.record_levels(now, true);
        let Some(s) = self.session.take() else {
            return;
        };
        // Only a session that ended normally tells what was comfortable: never the level an
        // emergency stop, a fault or lost contact cut short.
        if matches!(reason, EndReason::Completed | EndReason::Stopped) {
            self.remember_comfort(&s);
        }
        if let Some(pads) = self.pads.as_mut() {
            for ch in pads.used(&s.channels, s.elapsed_s(now)) {
                let sessions = pads.get(ch).sessions;
                tracing::warn!(channel = ch, sessions, "pads worn: replace them");
                let _ = self.events.send(Event::PadsWorn {
                    channel: ch as u32,
                    sessions,
                });
            }
        }
        let end = unix_now();
        self.recent.retain(|(_, p)| p.end > end - 2 * 86_400);
        self.recent.push((
            s.profile.clone(),
            crate::care::dose::Past {
                start: s.start_unix,
                end,
            },
        ));
        let reason = reason.as_string();
        tracing::info!(id = s.id, reason, "session ended");
        let figures = self.figures(&s, now);
        self.history
            .session_ended(s.id, unix_now(), reason.clone(), figures);
        let _ = self.events.send(Event::Ended { id: s.id, reason });
        self.publish();
    }

    fn on_trip(&mut self, trip: Trip) {
        let code = trip.code.as_str().to_string();
        let session_id = self.session.as_ref().map_or(0, |s| s.id);
        self.fault = Some((code.clone(), trip.message.clone()));
        self.end(EndReason::Fault(code.clone()));
        self.history.fault(FaultRow {
            time: unix_now(),
            code: code.clone(),
            message: trip.message.clone(),
            session_id,
        });
        let _ = self.events.send(Event::FaultRaised {
            code,
            message: trip.message,
        });
        self.publish();
    }

    async fn acknowledge(&mut self) -> Result<(), SessionError> {
        if self.fault.is_none() {
            return Ok(());
        }
        let (reply, rx) = oneshot::channel();
        self.supervisor
            .send(SupervisorCommand::Acknowledge(reply))
            .map_err(|_| SessionError::Failed("the safety supervisor is not running".into()))?;
        match tokio::time::timeout(Duration::from_secs(2), rx).await {
            Ok(Ok(Ok(()))) => {
                self.fault = None;
                Ok(())
            }
            Ok(Ok(Err(cause))) => Err(SessionError::FaultActive(format!(
                "cannot acknowledge: {cause}"
            ))),
            _ => Err(SessionError::Failed(
                "the safety supervisor did not answer".into(),
            )),
        }
    }

    fn publish(&self) {
        let now = self.now_ms();
        let mut st = Status {
            state: DeviceState::Idle,
            fault: self.fault.clone().unwrap_or_default(),
            intensity: vec![0; self.channels],
            target: vec![0; self.channels],
            contact: (0..self.channels)
                .map(|ch| self.shared.contact_sensed(ch))
                .collect(),
            battery: self.battery_level,
            pads: (0..self.channels)
                .map(|ch| match &self.pads {
                    Some(p) => (p.get(ch).sessions, p.get(ch).minutes, p.worn(ch)),
                    None => (0, 0, false),
                })
                .collect(),
            ..Status::default()
        };
        if let Some(s) = &self.session {
            st.state = if s.paused {
                DeviceState::Paused
            } else {
                DeviceState::Running
            };
            st.session_id = s.id;
            st.program = s.program.id.clone();
            st.profile = s.profile.clone();
            st.elapsed_s = s.elapsed_s(now);
            st.remaining_s = s.remaining_s(now);
            st.intensity = as_u32s(&s.actual[..self.channels]);
            st.target = as_u32s(&s.target[..self.channels]);
            st.segment = s.segment_name().to_string();
        } else if self.fault.is_some() {
            st.state = DeviceState::Fault;
        }
        self.status.send_if_modified(|old| {
            if *old != st {
                *old = st;
                true
            } else {
                false
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{SessionHandle, StartOptions};
    use std::time::Duration;

    /// Four tasks keep the manager's request queue full; the session must still end on time.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flood_of_requests_cannot_starve_the_end_of_a_session() {
        let dir = std::env::temp_dir().join(format!("stimd-flood-{}", std::process::id()));
        let (history, _) = HistoryHandle::open(&dir, crate::history::Retention::default());
        let shared = Arc::new(Shared::new());
        let (sup_tx, _sup_rx) = std::sync::mpsc::channel();
        let (status_tx, _status_rx) = watch::channel(Status::default());
        let (events_tx, mut events) = broadcast::channel(16);
        let (req_tx, req_rx) = mpsc::channel(64);
        let (_trip_tx, trip_rx) = mpsc::unbounded_channel();
        let limits = crate::model::limits::tests::default_limits();
        let limits_copy = limits.clone();
        let manager = Manager::new(
            shared.clone(),
            limits,
            2,
            1_800,
            3_600,
            history,
            crate::config::BatteryConfig::default(),
            sup_tx,
            status_tx,
            events_tx,
            Box::new(|| -1),
            Arc::new(RwLock::new(
                Catalog::load(&dir.join("programs"), limits_copy).0,
            )),
            Arc::new(RwLock::new(crate::care::store::tests::screened(
                &dir.join("profiles"),
            ))),
        );
        tokio::spawn(manager.run(req_rx, trip_rx));
        let handle = SessionHandle::new(req_tx.clone(), shared);
        let options = StartOptions {
            duration_s: Some(1),
            ..StartOptions::default()
        };
        let id = handle
            .start("low-back".into(), options, "test".into())
            .await
            .unwrap();
        for _ in 0..4 {
            let tx = req_tx.clone();
            tokio::spawn(async move {
                loop {
                    let (reply, _) = oneshot::channel();
                    if tx.send(Request::Keepalive { reply }).await.is_err() {
                        break;
                    }
                }
            });
        }
        let ended = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                match events.recv().await {
                    Ok(Event::Ended { id, reason }) => return (id, reason),
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => panic!("manager gone"),
                }
            }
        })
        .await
        .expect("a 1 s session did not end within 20 s under a request flood");
        assert_eq!(ended, (id, "completed".to_string()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
