//! The session state machine: ramp, clamps, contact, segments, habituation.
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
    proptest::collection::vec((0..modes.len(), 1u32..=3, 1u32..=100), 1..5).prop_map(move |segs| {
        Program {
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
        }
    })
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
