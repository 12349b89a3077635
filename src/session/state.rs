//! One running session as a pure state machine: targets, clamped and ramped intensities, the
//! program's segments in sequence, elapsed time and its end. Time comes in as an argument; no
//! I/O.

use super::delivered::Delivered;
pub use super::end_reason::EndReason;
use super::ramp::Ramp;
use crate::care::habituation::Habituation;
use crate::model::limits::{ceiling::CHANNELS, LimitKind, Limits, Shape};
use crate::model::units::MicroAmps;
use crate::program::Program;
use crate::pulse::pattern::Pattern;
use crate::pulse::Setpoint;

/// The most ramp time one tick may add (the manager ticks every 20 ms).
pub const MAX_RAMP_STEP_MS: u64 = 20;

/// A clamp to report: a target lowered to fit a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clamp {
    /// Device channel.
    pub channel: usize,
    /// The target asked for, µA.
    pub requested: MicroAmps,
    /// The target applied, µA.
    pub applied: MicroAmps,
    /// The limit that bound it.
    pub limit: LimitKind,
}

/// The running session: its program and person, targets and levels per channel, segment,
/// keepalive and figures. Owned by the core; changed only through its methods.
#[derive(Debug, Clone)]
pub struct Session {
    id: u64,
    program: Program,
    profile: String,
    placement: String,
    /// Channels in use.
    channels: Vec<usize>,
    start_unix: i64,
    started_ms: u64,
    last_tick_ms: u64,
    duration_s: u32,
    target: [MicroAmps; CHANNELS],
    actual: [MicroAmps; CHANNELS],
    max: [MicroAmps; CHANNELS],
    ramps: [Ramp; CHANNELS],
    paused: bool,
    /// Channels whose electrodes lost contact; their target is zero until `resume`.
    contact_lost: [bool; CHANNELS],
    keepalive_s: u32,
    last_keepalive_ms: u64,
    /// The running segment's index.
    segment: usize,
    /// Set when a new segment began; the manager publishes its pattern and clears it.
    segment_changed: bool,
    /// Clamps made on entering a segment, for the manager to report.
    segment_clamps: Vec<Clamp>,
    /// The modes of the segments entered so far.
    segments_run: Vec<String>,
    /// ∫ intensity dt per channel, µA·ms, for the mean.
    integral_ua_ms: [f64; CHANNELS],
    /// The person's own maximum per channel (their profile); `MicroAmps(u32::MAX)` = none.
    cap: [MicroAmps; CHANNELS],
    /// The person's electrode area (their profile), if smaller pads than the device's.
    electrode_area_cm2: Option<f64>,
    /// Habituation compensation, if the profile opted in.
    habituation: Option<Habituation>,
    /// Stimulation time and the levels held, for the dose guidance and the comfort level.
    delivered: Delivered,
}

impl Session {
    /// Session `id` of `program` on `channels` for `duration_s`, started at `now_ms` (the
    /// manager's clock) and `start_unix`: every target and level zero, the first segment
    /// entered, no personal limits yet (`with_person`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: u64,
        program: Program,
        channels: Vec<usize>,
        duration_s: u32,
        now_ms: u64,
        start_unix: i64,
        profile: String,
        placement: String,
        keepalive_s: u32,
    ) -> Session {
        Session {
            id,
            program,
            profile,
            placement,
            channels,
            start_unix,
            started_ms: now_ms,
            last_tick_ms: now_ms,
            duration_s,
            target: [MicroAmps::ZERO; CHANNELS],
            actual: [MicroAmps::ZERO; CHANNELS],
            max: [MicroAmps::ZERO; CHANNELS],
            ramps: [Ramp::default(); CHANNELS],
            paused: false,
            contact_lost: [false; CHANNELS],
            keepalive_s,
            last_keepalive_ms: now_ms,
            segment: 0,
            segment_changed: false,
            segment_clamps: Vec::new(),
            segments_run: Vec::new(),
            integral_ua_ms: [0.0; CHANNELS],
            cap: [MicroAmps(u32::MAX); CHANNELS],
            electrode_area_cm2: None,
            habituation: None,
            delivered: Delivered::default(),
        }
        .with_first_segment()
    }

    fn with_first_segment(mut self) -> Session {
        let name = self.segment_name().to_string();
        self.segments_run.push(name);
        self
    }

    /// The person's own limits: their maximum per channel (`None` = the device's), the
    /// electrode area of their pads if smaller, and habituation compensation if they opted in.
    pub fn with_person(
        mut self,
        cap: [Option<MicroAmps>; CHANNELS],
        electrode_area_cm2: Option<f64>,
        habituation: Option<Habituation>,
    ) -> Session {
        self.cap = cap.map(|c| c.unwrap_or(MicroAmps(u32::MAX)));
        self.electrode_area_cm2 = electrode_area_cm2;
        self.habituation = habituation;
        self
    }

    pub fn id(&self) -> u64 {
        self.id
    }
    pub fn program(&self) -> &Program {
        &self.program
    }
    pub fn profile(&self) -> &str {
        &self.profile
    }
    pub fn placement(&self) -> &str {
        &self.placement
    }
    pub fn channels(&self) -> &[usize] {
        &self.channels
    }
    pub fn start_unix(&self) -> i64 {
        self.start_unix
    }
    pub fn paused(&self) -> bool {
        self.paused
    }
    pub fn targets(&self) -> &[MicroAmps; CHANNELS] {
        &self.target
    }
    /// Each channel's level as the ramp has it.
    pub fn levels(&self) -> &[MicroAmps; CHANNELS] {
        &self.actual
    }
    /// The highest level each channel in use reached.
    pub fn max_levels(&self) -> Vec<u32> {
        self.channels.iter().map(|&c| self.max[c].0).collect()
    }
    /// Whether `channel` lost electrode contact (its target stays at zero until `resume`).
    pub fn contact_lost(&self, channel: usize) -> bool {
        self.contact_lost.get(channel).copied().unwrap_or(false)
    }
    /// The modes of the segments entered so far.
    pub fn segments_run(&self) -> &[String] {
        &self.segments_run
    }
    /// The running segment's index.
    pub fn segment(&self) -> usize {
        self.segment
    }
    pub fn electrode_area_cm2(&self) -> Option<f64> {
        self.electrode_area_cm2
    }
    /// The running segment's waveform.
    pub fn pattern(&self) -> Option<Pattern> {
        self.program.segments.get(self.segment).map(|s| s.pattern())
    }

    /// Whether a new segment began since the last call, with the clamps made entering it.
    pub fn take_segment_change(&mut self) -> Option<Vec<Clamp>> {
        let clamps = std::mem::take(&mut self.segment_clamps);
        std::mem::take(&mut self.segment_changed).then_some(clamps)
    }

    /// The person lowered a channel: habituation compensation stops for the session. True if
    /// it was running until now.
    pub fn lowered(&mut self) -> bool {
        match self.habituation.as_mut().filter(|h| !h.is_stopped()) {
            Some(h) => {
                h.stop();
                true
            }
            None => false,
        }
    }

    /// What the session delivered: stimulation time and the levels held.
    pub fn delivered(&self) -> &Delivered {
        &self.delivered
    }

    /// Whole seconds since the start.
    pub fn elapsed_s(&self, now_ms: u64) -> u32 {
        (now_ms.saturating_sub(self.started_ms) / 1_000).min(u64::from(u32::MAX)) as u32
    }

    /// Whole seconds until the session ends by itself.
    pub fn remaining_s(&self, now_ms: u64) -> u32 {
        self.duration_s.saturating_sub(self.elapsed_s(now_ms))
    }

    /// The most demanding pulse shape of the running segment: targets are clamped for it, so
    /// no pulse of the segment can break a limit.
    pub fn shape(&self) -> Shape {
        self.program.segments.get(self.segment).map_or(
            Shape {
                phase: crate::model::units::Micros(0),
                rate: crate::model::units::Hertz(0.0),
            },
            |seg| seg.mode.worst_shape(),
        )
    }

    /// The running segment's name (its mode).
    pub fn segment_name(&self) -> &'static str {
        self.program
            .segments
            .get(self.segment)
            .map_or("", |seg| seg.mode.name())
    }

    /// What each channel may deliver now at most: its level with the segment's worst shape.
    fn setpoint_for(&self, amplitude: MicroAmps) -> Setpoint {
        if self.program.segments.is_empty() {
            Setpoint::OFF
        } else {
            Setpoint::new(amplitude, self.shape())
        }
    }

    /// Enters segment `index`: every channel's level restarts from zero and ramps; the target
    /// carries over scaled down for a wider phase (equal charge per phase) and by the segment's
    /// `intensity_percent`, then clamped to every limit for the new shape. A new segment never
    /// inherits the previous level blindly.
    fn enter_segment(&mut self, index: usize, limits: &Limits) {
        let old = self.shape();
        self.segment = index;
        self.segment_changed = true;
        let name = self.segment_name().to_string();
        self.segments_run.push(name);
        let new = self.shape();
        let percent = self
            .program
            .segments
            .get(index)
            .map_or(0, |seg| seg.intensity_percent.min(100));
        let charge_scale = (f64::from(old.phase.0) / f64::from(new.phase.0.max(1))).min(1.0);
        for &ch in &self.channels {
            let carried = (f64::from(self.target[ch].0) * charge_scale * f64::from(percent) / 100.0)
                .floor() as u32;
            let (applied, limit) = self.bound(ch, MicroAmps(carried), limits, new);
            self.target[ch] = applied;
            self.actual[ch] = MicroAmps::ZERO;
            self.ramps[ch] = Ramp::default();
            if let Some(limit) = limit {
                self.segment_clamps.push(Clamp {
                    channel: ch,
                    requested: MicroAmps(carried),
                    applied,
                    limit,
                });
            }
        }
    }

    /// `requested` clamped to every limit for `shape`, then to the person's own maximum.
    fn bound(
        &self,
        channel: usize,
        requested: MicroAmps,
        limits: &Limits,
        shape: crate::model::limits::Shape,
    ) -> (MicroAmps, Option<crate::model::limits::LimitKind>) {
        let (applied, limit) = limits.clamp(requested, shape);
        let cap = self.cap[channel];
        if applied > cap {
            (cap, Some(crate::model::limits::LimitKind::ProfileMax))
        } else {
            (applied, limit)
        }
    }

    /// Sets a channel's target, clamped to every limit for the running segment's shape. A lower
    /// target takes effect at once; a higher one is reached by the ramp.
    pub fn set_target(
        &mut self,
        channel: usize,
        requested: MicroAmps,
        limits: &Limits,
    ) -> (MicroAmps, Option<Clamp>) {
        let (applied, limit) = self.bound(channel, requested, limits, self.shape());
        self.target[channel] = applied;
        if applied < self.actual[channel] {
            self.actual[channel] = applied;
        }
        let clamp = limit.map(|limit| Clamp {
            channel,
            requested,
            applied,
            limit,
        });
        (applied, clamp)
    }

    /// The habituation steps due at `now_ms` (none while paused), applied through
    /// `set_target` so every limit and the person's maximum still bound them.
    pub fn habituate(
        &mut self,
        now_ms: u64,
        limits: &Limits,
    ) -> Vec<(usize, MicroAmps, Option<Clamp>)> {
        if self.paused {
            return Vec::new();
        }
        let Some(h) = self.habituation.as_mut() else {
            return Vec::new();
        };
        let raises = h.due(now_ms, &self.target, &self.channels, limits.intensity_step);
        raises
            .into_iter()
            .map(|(ch, ua)| {
                let (applied, clamp) = self.set_target(ch, ua, limits);
                (ch, applied, clamp)
            })
            .collect()
    }

    /// The client is still there at `now_ms`.
    pub fn keepalive(&mut self, now_ms: u64) {
        self.last_keepalive_ms = now_ms;
    }

    /// Advances the ramp to `now_ms`; returns the end reason once the session is over.
    ///
    /// A late tick adds at most `MAX_RAMP_STEP_MS` of rise: the ramp slows down when the
    /// manager is delayed instead of catching up in one jump faster than the rise limit.
    pub fn tick(&mut self, now_ms: u64, limits: &Limits) -> Option<EndReason> {
        let elapsed = now_ms.saturating_sub(self.last_tick_ms);
        for &ch in &self.channels {
            self.integral_ua_ms[ch] += f64::from(self.actual[ch].0) * elapsed as f64;
        }
        self.delivered.ran(elapsed, &self.actual, &self.channels);
        let dt = elapsed.min(MAX_RAMP_STEP_MS);
        self.last_tick_ms = now_ms;
        if self.elapsed_s(now_ms) >= self.duration_s {
            return Some(EndReason::Completed);
        }
        if self.keepalive_s > 0
            && now_ms.saturating_sub(self.last_keepalive_ms)
                > u64::from(self.keepalive_s) * 1_000 + 1_000
        {
            return Some(EndReason::KeepaliveLost);
        }
        let (index, _) = self
            .program
            .segment_at_ms(now_ms.saturating_sub(self.started_ms));
        if index != self.segment {
            // Levels stay at zero for this tick: the manager publishes the new pattern while
            // every level is zero, and the ramp starts on the next tick.
            self.enter_segment(index, limits);
            return None;
        }
        for &ch in &self.channels {
            let target = if self.paused {
                MicroAmps::ZERO
            } else {
                self.target[ch]
            };
            self.actual[ch] =
                self.ramps[ch].advance(self.actual[ch], target, limits.rise_rate_ua_per_s, dt);
            self.max[ch] = self.max[ch].max(self.actual[ch]);
        }
        self.delivered.reached(now_ms, &self.actual, &self.channels);
        None
    }

    /// The time-weighted mean intensity of each channel in use since the start, µA.
    pub fn mean_intensity(&self, now_ms: u64) -> Vec<u32> {
        let span = now_ms.saturating_sub(self.started_ms).max(1) as f64;
        self.channels
            .iter()
            .map(|&ch| (self.integral_ua_ms[ch] / span).round() as u32)
            .collect()
    }

    /// The setpoint each channel should have now (OFF for channels not in use).
    pub fn setpoints(&self) -> [Setpoint; CHANNELS] {
        let mut out = [Setpoint::OFF; CHANNELS];
        for &ch in &self.channels {
            out[ch] = self.setpoint_for(self.actual[ch]);
        }
        out
    }

    /// Pauses: intensity drops to zero at once; targets are kept.
    pub fn pause(&mut self) {
        self.paused = true;
        for &ch in &self.channels {
            self.actual[ch] = MicroAmps::ZERO;
        }
    }

    /// Resumes: intensity ramps again from zero; channels that lost contact start from a
    /// target of zero.
    pub fn resume(&mut self) {
        self.paused = false;
        self.contact_lost = [false; CHANNELS];
    }

    /// A channel lost electrode contact: its target resets to zero and the session pauses.
    pub fn lose_contact(&mut self, channel: usize) {
        if let Some(lost) = self.contact_lost.get_mut(channel) {
            *lost = true;
            self.delivered.lost_contact(channel);
            self.target[channel] = MicroAmps::ZERO;
            if let Some(h) = self.habituation.as_mut() {
                h.stop();
            }
            self.pause();
        }
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
