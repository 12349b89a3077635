//! One running session as a pure state machine: targets, clamped and ramped intensities, the
//! program's segments in sequence, elapsed time and its end. Time comes in as an argument; no
//! I/O.

use super::ramp::Ramp;
use crate::model::limits::{ceiling::CHANNELS, LimitKind, Limits, Shape};
use crate::model::units::MicroAmps;
use crate::program::Program;
use crate::pulse::Setpoint;

/// The most ramp time one tick may add (the manager ticks every 20 ms).
pub const MAX_RAMP_STEP_MS: u64 = 20;

/// Why a session ended (the `Ended` reasons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    Completed,
    Stopped,
    EmergencyStop,
    KeepaliveLost,
    ContactLost,
    BatteryLow,
    /// The daemon lost its D-Bus connection: no client could stop the session any more.
    BusLost,
    Fault(String),
}

impl EndReason {
    pub fn as_string(&self) -> String {
        match self {
            EndReason::Completed => "completed".into(),
            EndReason::Stopped => "stopped".into(),
            EndReason::EmergencyStop => "emergency_stop".into(),
            EndReason::KeepaliveLost => "keepalive_lost".into(),
            EndReason::ContactLost => "contact_lost".into(),
            EndReason::BatteryLow => "battery_low".into(),
            EndReason::BusLost => "bus_lost".into(),
            EndReason::Fault(code) => format!("fault:{code}"),
        }
    }
}

/// A clamp to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clamp {
    pub channel: usize,
    pub requested: MicroAmps,
    pub applied: MicroAmps,
    pub limit: LimitKind,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: u64,
    pub program: Program,
    pub profile: String,
    pub placement: String,
    /// Channels in use.
    pub channels: Vec<usize>,
    pub start_unix: i64,
    started_ms: u64,
    last_tick_ms: u64,
    pub duration_s: u32,
    pub target: [MicroAmps; CHANNELS],
    pub actual: [MicroAmps; CHANNELS],
    pub max: [MicroAmps; CHANNELS],
    ramps: [Ramp; CHANNELS],
    pub paused: bool,
    /// Channels whose electrodes lost contact; their target is zero until `resume`.
    pub contact_lost: [bool; CHANNELS],
    pub keepalive_s: u32,
    last_keepalive_ms: u64,
    /// The running segment's index.
    pub segment: usize,
    /// Set when a new segment began; the manager publishes its pattern and clears it.
    pub segment_changed: bool,
    /// Clamps made on entering a segment, for the manager to report.
    pub segment_clamps: Vec<Clamp>,
    /// The modes of the segments entered so far.
    pub segments_run: Vec<String>,
    /// ∫ intensity dt per channel, µA·ms, for the mean.
    integral_ua_ms: [f64; CHANNELS],
    /// The person's own maximum per channel (their profile); `MicroAmps(u32::MAX)` = none.
    pub cap: [MicroAmps; CHANNELS],
    /// The person's electrode area (their profile), if smaller pads than the device's.
    pub electrode_area_cm2: Option<f64>,
    /// Habituation compensation, if the profile opted in.
    pub habituation: Option<crate::care::habituation::Habituation>,
}

impl Session {
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
        }
        .with_first_segment()
    }

    fn with_first_segment(mut self) -> Session {
        let name = self.segment_name().to_string();
        self.segments_run.push(name);
        self
    }

    pub fn elapsed_s(&self, now_ms: u64) -> u32 {
        (now_ms.saturating_sub(self.started_ms) / 1_000).min(u64::from(u32::MAX)) as u32
    }

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
            self.target[channel] = MicroAmps::ZERO;
            if let Some(h) = self.habituation.as_mut() {
                h.stop();
            }
            self.pause();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::limits::tests::default_limits;
    use crate::program::{find_preset, Program};

    fn session() -> Session {
        Session::new(
            1,
            find_preset("low-back").unwrap(),
            vec![0, 1],
            60,
            0,
            0,
            "default".into(),
            String::new(),
            0,
        )
    }

    #[test]
    fn starts_at_zero_and_ramps_towards_target() {
        let l = default_limits();
        let mut s = session();
        assert_eq!(s.setpoints()[0].amplitude, MicroAmps(0));
        s.set_target(0, MicroAmps(10_000), &l);
        for t in 1..=50 {
            assert_eq!(s.tick(t * 20, &l), None);
        }
        assert_eq!(s.actual[0], MicroAmps(2_000));
        assert_eq!(s.actual[1], MicroAmps(0));
    }

    #[test]
    fn target_above_limit_is_clamped_and_reported() {
        let l = default_limits();
        let mut s = session();
        let (applied, clamp) = s.set_target(1, MicroAmps(90_000), &l);
        assert_eq!(applied, MicroAmps(60_000));
        assert_eq!(
            clamp,
            Some(Clamp {
                channel: 1,
                requested: MicroAmps(90_000),
                applied,
                limit: LimitKind::PeakCurrent
            })
        );
    }

    #[test]
    fn a_lower_target_takes_effect_at_once() {
        let l = default_limits();
        let mut s = session();
        s.set_target(0, MicroAmps(5_000), &l);
        for t in 1..=100 {
            s.tick(t * 20, &l);
        }
        assert_eq!(s.actual[0], MicroAmps(4_000));
        s.set_target(0, MicroAmps(1_000), &l);
        assert_eq!(
            s.setpoints()[0].amplitude,
            MicroAmps(1_000),
            "no tick needed"
        );
    }

    #[test]
    fn late_tick_does_not_catch_up() {
        let l = default_limits();
        let mut s = session();
        s.set_target(0, MicroAmps(10_000), &l);
        s.tick(20, &l);
        assert_eq!(s.actual[0], MicroAmps(40));
        s.tick(520, &l); // 500 ms late: still one tick of rise
        assert_eq!(s.actual[0], MicroAmps(80));
    }

    #[test]
    fn contact_loss_zeroes_target_and_pauses_until_resume() {
        let l = default_limits();
        let mut s = session();
        s.set_target(0, MicroAmps(8_000), &l);
        s.set_target(1, MicroAmps(6_000), &l);
        for t in 1..=100 {
            s.tick(t * 20, &l);
        }
        s.lose_contact(0);
        assert!(s.paused && s.contact_lost[0]);
        assert_eq!(s.target, [MicroAmps(0), MicroAmps(6_000)]);
        assert_eq!(
            s.setpoints().map(|sp| sp.amplitude),
            [MicroAmps(0), MicroAmps(0)]
        );
        s.resume();
        s.tick(2_020, &l);
        assert_eq!(s.actual, [MicroAmps(0), MicroAmps(40)]);
    }

    #[test]
    fn ends_by_itself() {
        let l = default_limits();
        let mut s = session();
        assert_eq!(s.tick(59_999, &l), None);
        assert_eq!(s.tick(60_000, &l), Some(EndReason::Completed));
    }

    #[test]
    fn keepalive_lost_after_interval_plus_one_second() {
        let l = default_limits();
        let mut s = session();
        s.keepalive_s = 5;
        assert_eq!(s.tick(6_000, &l), None);
        s.keepalive(6_000);
        assert_eq!(s.tick(12_000, &l), None);
        assert_eq!(s.tick(12_001, &l), Some(EndReason::KeepaliveLost));
    }

    #[test]
    fn pause_drops_to_zero_and_resume_ramps_from_zero() {
        let l = default_limits();
        let mut s = session();
        s.set_target(0, MicroAmps(1_000), &l);
        for t in 1..=50 {
            s.tick(t * 20, &l);
        }
        assert_eq!(s.actual[0], MicroAmps(1_000));
        s.pause();
        s.tick(1_020, &l);
        assert_eq!(s.actual[0], MicroAmps(0));
        s.resume();
        for t in 1..=5 {
            s.tick(1_020 + t * 20, &l);
        }
        assert_eq!(s.actual[0], MicroAmps(200));
    }

    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        Target(usize, u32),
        Tick(u64),
        Pause,
        Resume,
        LoseContact(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0usize..2, 0u32..=200_000).prop_map(|(c, ua)| Step::Target(c, ua)),
            (0u64..2_000).prop_map(Step::Tick),
            Just(Step::Pause),
            Just(Step::Resume),
            (0usize..2).prop_map(Step::LoseContact),
        ]
    }

    /// A program of the presets' segments in any order, each 1–3 s long.
    fn any_program() -> impl Strategy<Value = Program> {
        let modes: Vec<crate::program::Mode> = crate::program::presets()
            .into_iter()
            .flat_map(|p| p.segments.into_iter().map(|s| s.mode))
            .collect();
        proptest::collection::vec((0..modes.len(), 1u32..=3, 1u32..=100), 1..5).prop_map(
            move |segs| Program {
                segments: segs
                    .into_iter()
                    .map(|(i, seconds, intensity_percent)| crate::program::Segment {
                        mode: modes[i].clone(),
                        seconds: Some(seconds),
                        intensity_percent,
                        interphase_us: 0,
                    })
                    .collect(),
                ..find_preset("combi-low-back").unwrap()
            },
        )
    }

    #[test]
    fn mean_intensity_is_time_weighted_and_segments_are_listed() {
        let l = default_limits();
        let mut s = session();
        s.set_target(0, MicroAmps(1_000), &l);
        for t in 1..=50 {
            s.tick(t * 20, &l);
        }
        for t in 51..=100 {
            s.tick(t * 20, &l);
        }
        // 0 → 1 mA in the first 0.5 s at 2 mA/s (mean 0.5 mA), then 1 mA for 1.5 s: 0.875 mA
        // (one 20 ms tick less on the ramp, as each tick counts the level it started with).
        let mean = s.mean_intensity(2_000);
        assert!((860..=880).contains(&mean[0]), "{mean:?}");
        assert_eq!(mean[1], 0);
        assert_eq!(s.segments_run, vec!["conventional"]);
    }

    #[test]
    fn a_new_segment_ramps_from_zero_to_a_charge_scaled_share_of_the_target() {
        let l = default_limits();
        let mut p = find_preset("combi-low-back").unwrap();
        p.segments[0].seconds = Some(3);
        let mut s = Session::new(1, p, vec![0], 60, 0, 0, "default".into(), String::new(), 0);
        s.set_target(0, MicroAmps(4_000), &l);
        for t in 1..=149 {
            s.tick(t * 20, &l);
        }
        assert_eq!((s.segment, s.actual[0]), (0, MicroAmps(4_000)));
        assert_eq!(s.tick(3_000, &l), None);
        assert!(s.segment_changed);
        assert_eq!(s.segment_name(), "ems");
        assert_eq!(s.segments_run, vec!["conventional", "ems"]);
        // 4 mA at 200 µs → 3.2 mA at 250 µs (same charge) → 50 % → 1.6 mA, from zero.
        assert_eq!(s.target[0], MicroAmps(1_600));
        assert_eq!(s.actual[0], MicroAmps(0));
        s.tick(3_020, &l);
        assert_eq!(s.actual[0], MicroAmps(40));
    }

    proptest! {
        /// Whatever clients ask, in whatever order, with whatever tick timing, through whatever
        /// segments: the setpoint of
        /// every channel stays within every limit, starts from zero, and rises no faster than
        /// the rise limit (a late tick adds at most 20 ms of rise; the carried fraction adds
        /// under 1 µA), while decreases take effect at once.
        #[test]
        fn setpoints_never_exceed_a_limit_or_the_rise_rate(
            steps in proptest::collection::vec(step(), 1..300),
            rise in 1u32..=5_000,
            peak in 1u32..=100_000,
            program in any_program(),
        ) {
            let mut l = default_limits();
            l.rise_rate_ua_per_s = rise;
            l.peak_current = MicroAmps(peak);
            let mut s = Session::new(1, program, vec![0, 1], 7_200, 0, 0, "default".into(), String::new(), 0);
            let mut now = 0u64;
            let mut prev = s.setpoints();
            let mut prev_t = now;
            prop_assert!(prev.iter().all(|sp| sp.amplitude == MicroAmps(0)), "starts at zero");
            for st in steps {
                match st {
                    Step::Target(ch, ua) => { s.set_target(ch, MicroAmps(ua), &l); }
                    Step::Tick(dt) => { now += dt; s.tick(now, &l); }
                    Step::Pause => s.pause(),
                    Step::Resume => s.resume(),
                    Step::LoseContact(ch) => s.lose_contact(ch),
                }
                let sps = s.setpoints();
                for (ch, sp) in sps.iter().enumerate() {
                    prop_assert!(l.permits(sp.amplitude, sp.shape()).is_ok(), "channel {ch}: {sp:?} breaks a limit");
                    prop_assert!(sp.amplitude <= s.target[ch] || sp.amplitude == MicroAmps(0));
                    let allowed = u64::from(prev[ch].amplitude.0)
                        + u64::from(rise) * (now - prev_t).min(MAX_RAMP_STEP_MS) / 1_000
                        + 1;
                    prop_assert!(u64::from(sp.amplitude.0) <= allowed,
                        "channel {ch} rose from {} to {} in {} ms", prev[ch].amplitude.0, sp.amplitude.0, now - prev_t);
                    if s.paused {
                        prop_assert_eq!(sp.amplitude, MicroAmps(0), "paused means zero");
                    }
                }
                prev = sps;
                prev_t = now;
            }
        }

        /// Habituation compensation, with whatever settings, requests and timing: a target it
        /// raises is never above the comfortable level plus the margin, the person's maximum or
        /// any limit, and once the person lowers a channel it raises nothing more.
        #[test]
        fn habituation_never_exceeds_a_bound(
            steps in proptest::collection::vec(step(), 1..200),
            comfort in (0u32..=60_000, 0u32..=60_000),
            margin in 0u32..=10_000,
            cap in 1u32..=100_000,
            every in 1u32..=3,
        ) {
            let l = default_limits();
            let program = crate::program::find_preset("low-back").unwrap();
            let mut s = Session::new(1, program, vec![0, 1], 7_200, 0, 0, "default".into(), String::new(), 0);
            s.cap = [MicroAmps(cap); CHANNELS];
            let settings = crate::care::habituation::HabituationSettings { enabled: true, every_minutes: every, margin_ua: margin };
            s.habituation = crate::care::habituation::Habituation::new(&settings, Some([comfort.0, comfort.1]), 0);
            let ceiling = [comfort.0 + margin, comfort.1 + margin];
            let mut now = 0u64;
            let mut lowered = false;
            for st in steps {
                match st {
                    Step::Target(ch, ua) => {
                        lowered |= MicroAmps(ua) < s.target[ch];
                        if MicroAmps(ua) < s.target[ch] { if let Some(h) = s.habituation.as_mut() { h.stop(); } }
                        s.set_target(ch, MicroAmps(ua), &l);
                    }
                    // Minutes, so the steps come due.
                    Step::Tick(dt) => { now += dt * 600; s.tick(now, &l); }
                    Step::Pause => s.pause(),
                    Step::Resume => s.resume(),
                    Step::LoseContact(ch) => { lowered = true; s.lose_contact(ch); }
                }
                let raised = s.habituate(now, &l);
                prop_assert!(!lowered || raised.is_empty(), "raised after a lowering: {raised:?}");
                for (ch, applied, _) in raised {
                    prop_assert!(applied.0 <= ceiling[ch], "channel {ch}: {applied:?} above {}", ceiling[ch]);
                    prop_assert!(applied.0 <= cap);
                    prop_assert!(l.permits(applied, s.shape()).is_ok());
                }
            }
        }
    }
}
