//! The core's effects for each request and tick, without tokio, threads or files.

use super::*;
use crate::care::pads::PadSet;
use crate::care::Profile;
use crate::model::limits::LimitKind;
use crate::session::admission::tests::{anna, config, facts};
use crate::session::{DeviceState, Notice};

fn at(ms: u64) -> Now {
    Now {
        ms,
        unix_ms: 1_000_000_000 + ms as i64,
    }
}

fn pads(sessions: u32) -> PadCounts {
    PadCounts {
        sets: [PadSet {
            sessions,
            minutes: 0,
            fitted: 0,
        }; CHANNELS],
        uses: 2,
    }
}

/// A core running session 7 of `program` for anna with `o`, its start's effects drained.
fn running(program: &str, profile: Profile, o: StartOptions) -> (Core, Vec<Effect>) {
    let mut core = Core::new(config(), Vec::new(), Some(pads(0)));
    let plan = admission::admit(program, o, facts(program, profile), &config()).unwrap();
    core.begin(plan, 7, Actor::Uid(1000), at(0));
    let effects = core.drain();
    (core, effects)
}

fn with_targets(t: Vec<u32>) -> StartOptions {
    StartOptions {
        intensity: Some(t),
        ..StartOptions::default()
    }
}

fn ended(effects: &[Effect]) -> Option<EndReason> {
    effects.iter().find_map(|e| match e {
        Effect::Signal(Event::Ended { id: 7, reason }) => Some(*reason),
        _ => None,
    })
}

fn targets(effects: &[Effect]) -> Vec<(usize, u32, Actor)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Record(Record::Target {
                channel,
                target,
                actor,
                ..
            }) => Some((*channel, target.0, *actor)),
            _ => None,
        })
        .collect()
}

fn ticks(core: &mut Core, from: u64, to: u64) -> Vec<Effect> {
    let mut out = Vec::new();
    for t in (from..=to).step_by(20) {
        core.tick(at(t), TickInputs::default());
        out.extend(core.drain());
    }
    out
}

#[test]
fn start_arms_with_the_sessions_limits_only_after_zero_levels_and_the_pattern() {
    let mut p = anna();
    p.max_intensity_ua = [8_000, 8_000];
    let (_, e) = running("low-back", p, with_targets(vec![20_000, 3_000]));
    let n = e.len();
    assert_eq!(e[n - 4], Effect::ResetContact);
    assert_eq!(e[n - 3], Effect::Levels([MicroAmps::ZERO; CHANNELS]));
    assert!(matches!(e[n - 2], Effect::Pattern(_)));
    let Effect::Arm(armed) = &e[n - 1] else {
        panic!("{:?}", e[n - 1]);
    };
    assert_eq!(armed.peak, [MicroAmps(8_000); CHANNELS]);
    assert!(!e[..n - 1].iter().any(|x| matches!(x, Effect::Arm(_))));
    assert!(matches!(
        e[0],
        Effect::Record(Record::Started { id: 7, .. })
    ));
    assert_eq!(
        targets(&e),
        [(0, 8_000, Actor::Uid(1000)), (1, 3_000, Actor::Uid(1000))]
    );
    assert!(e.contains(&Effect::Signal(Event::Clamped {
        channel: 0,
        requested: MicroAmps(20_000),
        applied: MicroAmps(8_000),
        limit: LimitKind::ProfileMax,
    })));
}

#[test]
fn stop_disarms_first_records_the_end_and_remembers_comfort_and_pads() {
    let (mut core, _) = running("low-back", anna(), with_targets(vec![3_000, 2_000]));
    // Reached within two seconds, then held for a minute.
    ticks(&mut core, 20, 63_000);
    core.stop(at(63_000));
    let e = core.drain();
    assert_eq!(e[0], Effect::Disarm);
    assert_eq!(ended(&e), Some(EndReason::Stopped));
    assert!(e.iter().any(|x| matches!(
        x,
        Effect::Record(Record::Ended {
            id: 7,
            reason: EndReason::Stopped,
            ..
        })
    )));
    assert!(e.contains(&Effect::SaveComfort {
        profile: "anna".into(),
        program: "low-back".into(),
        comfort: [Some(3_000), Some(2_000)],
    }));
    assert!(e.contains(&Effect::PadsUsed {
        channels: vec![0, 1],
        seconds: 63,
    }));
    assert!(!core.is_running());
    core.stop(at(62_000));
    assert_eq!(core.drain(), [Effect::Disarm], "idempotent");
}

#[test]
fn resume_of_a_session_that_is_not_paused_clears_no_contact_loss() {
    let (mut core, _) = running("low-back", anna(), with_targets(vec![3_000, 3_000]));
    ticks(&mut core, 20, 1_000);
    // The engine latched a loss after this tick; a Resume arrives before the next one.
    core.resume().unwrap();
    assert!(
        !core.drain().contains(&Effect::ResetContact),
        "the engine's latch stays until the tick pauses the session"
    );
    let mut lost = TickInputs {
        output_live: true,
        ..TickInputs::default()
    };
    lost.contact_lost[0] = true;
    core.tick(at(1_020), lost);
    assert_eq!(targets(&core.drain()), [(0, 0, Actor::ContactLost)]);
    core.resume().unwrap();
    assert!(core.drain().contains(&Effect::ResetContact));
}

#[test]
fn a_target_asked_for_but_not_held_for_a_minute_is_not_remembered() {
    let (mut core, _) = running("low-back", anna(), with_targets(vec![8_000, 8_000]));
    ticks(&mut core, 20, 3_000);
    assert!(core.status(3_000, vec![true, true]).intensity[0] < 8_000);
    core.stop(at(3_000));
    let e = core.drain();
    assert!(
        !e.iter().any(|x| matches!(x, Effect::SaveComfort { .. })),
        "{e:?}"
    );
}

#[test]
fn emergency_stop_and_bus_lost_disarm_first_and_keep_no_comfort() {
    for (bus, reason) in [
        (false, EndReason::EmergencyStop),
        (true, EndReason::BusLost),
    ] {
        let (mut core, _) = running("low-back", anna(), with_targets(vec![3_000, 2_000]));
        if bus {
            core.bus_lost(at(100));
        } else {
            core.emergency_stop(at(100));
        }
        let e = core.drain();
        assert_eq!(e[0], Effect::Disarm);
        assert_eq!(ended(&e), Some(reason));
        assert!(!e.iter().any(|x| matches!(x, Effect::SaveComfort { .. })));
    }
}

#[test]
fn a_trip_disarms_ends_with_the_fault_latches_and_blocks_a_start() {
    let (mut core, _) = running("low-back", anna(), StartOptions::default());
    core.trip(FaultCode::StuckPhase, "held".into(), at(500));
    let e = core.drain();
    assert_eq!(e[0], Effect::Disarm);
    assert_eq!(ended(&e), Some(EndReason::Fault(FaultCode::StuckPhase)));
    assert!(e.contains(&Effect::Record(Record::Fault {
        time: 1_000_000,
        code: FaultCode::StuckPhase,
        message: "held".into(),
        session_id: 7,
    })));
    assert_eq!(
        e.last(),
        Some(&Effect::Signal(Event::FaultRaised {
            code: FaultCode::StuckPhase,
            message: "held".into()
        }))
    );
    let st = core.status(500, vec![true, true]);
    assert_eq!(
        (st.state, st.fault.0.as_str()),
        (DeviceState::Fault, "stuck_phase")
    );
    let g = Gathered {
        program: admission::ProgramLookup::Found(crate::program::find_preset("neck").unwrap()),
        profile: admission::ProfileLookup::Found(Box::new(anna())),
        // Past the dose guidance's gap after the session the trip ended.
        now_unix: 1_000_000 + 3 * 3_600,
        midnight: 0,
        clock: |t| t.to_string(),
        battery: 90,
    };
    assert!(matches!(
        core.admit("neck", StartOptions::default(), g.clone()),
        Err(SessionError::FaultActive(_))
    ));
    assert_eq!(core.acknowledge(), AckStep::Ask);
    assert_eq!(core.acknowledged(AckAnswer::Cleared), Ok(()));
    assert!(core.admit("neck", StartOptions::default(), g).is_ok());
}

#[test]
fn set_and_step_intensity_clamp_record_the_actor_and_lower_at_once() {
    let (mut core, _) = running("low-back", anna(), StartOptions::default());
    assert_eq!(
        core.set_intensity(1, MicroAmps(90_000), Actor::Button, at(20)),
        Ok(60_000)
    );
    let e = core.drain();
    assert_eq!(targets(&e), [(1, 60_000, Actor::Button)]);
    assert!(e.contains(&Effect::Signal(Event::Clamped {
        channel: 1,
        requested: MicroAmps(90_000),
        applied: MicroAmps(60_000),
        limit: LimitKind::PeakCurrent,
    })));
    assert!(matches!(e.last(), Some(Effect::Levels(_))));
    ticks(&mut core, 40, 1_000);
    assert_eq!(
        core.step_intensity(1, -3, Actor::Uid(5), at(1_020)),
        Ok(58_500)
    );
    let e = core.drain();
    assert_eq!(targets(&e), [(1, 58_500, Actor::Uid(5))]);
    // The ramp reached 1.94 mA in 0.98 s; a lower target takes effect at once.
    assert_eq!(
        core.set_intensity(1, MicroAmps(500), Actor::Client, at(1_040)),
        Ok(500)
    );
    let mut levels = [MicroAmps::ZERO; CHANNELS];
    levels[1] = MicroAmps(500);
    assert_eq!(core.drain().last(), Some(&Effect::Levels(levels)));
    assert!(matches!(
        core.set_intensity(2, MicroAmps(1), Actor::Client, at(1_060)),
        Err(SessionError::InvalidArgument(_))
    ));
    core.stop(at(1_100));
    assert!(matches!(
        core.step_intensity(0, 1, Actor::Client, at(1_120)),
        Err(SessionError::NotRunning(_))
    ));
}

#[test]
fn contact_loss_zeroes_the_target_pauses_refuses_raising_and_mentions_worn_pads() {
    let (mut core, _) = running("low-back", anna(), with_targets(vec![3_000, 3_000]));
    core.pads_counted(pads(2), &[]);
    ticks(&mut core, 20, 1_000);
    let mut lost = TickInputs::default();
    lost.contact_lost[1] = true;
    // Output cut by a fault (not armed, tripped, or the supervisor stalled): pulses sensing
    // nothing are not the pads' doing, and nothing is said about them.
    core.tick(at(1_000), lost);
    let e = core.drain();
    assert!(targets(&e).is_empty(), "{e:?}");
    assert!(!e
        .iter()
        .any(|x| matches!(x, Effect::Signal(Event::Notice { .. }))));
    lost.output_live = true;
    core.tick(at(1_020), lost);
    let e = core.drain();
    assert_eq!(targets(&e), [(1, 0, Actor::ContactLost)]);
    assert!(e.contains(&Effect::Signal(Event::Notice {
        id: 7,
        notice: Notice::WornPadsLostContact {
            channel: 1,
            sessions: 2,
            uses: 2
        },
        lang: crate::texts::Lang::En,
    })));
    assert!(e.contains(&Effect::Levels([MicroAmps::ZERO; CHANNELS])));
    assert_eq!(
        core.status(1_020, vec![true, false]).state,
        DeviceState::Paused
    );
    assert!(matches!(
        core.set_intensity(1, MicroAmps(1_000), Actor::Client, at(1_040)),
        Err(SessionError::NotPermitted(_))
    ));
    assert_eq!(core.resume(), Ok(()));
    assert_eq!(core.drain(), [Effect::ResetContact]);
}

#[test]
fn a_new_segment_publishes_its_pattern_at_zero_and_records_the_programs_targets() {
    let program = crate::program::find_preset("combi-low-back").unwrap();
    let boundary = u64::from(program.segments[0].seconds.unwrap()) * 1_000;
    let (mut core, _) = running("combi-low-back", anna(), with_targets(vec![4_000, 4_000]));
    ticks(&mut core, 20, boundary - 20);
    core.tick(at(boundary), TickInputs::default());
    let e = core.drain();
    let t = targets(&e);
    assert_eq!(t.len(), 2);
    assert!(t.iter().all(|(_, _, a)| *a == Actor::Program), "{t:?}");
    let levels = e
        .iter()
        .position(|x| *x == Effect::Levels([MicroAmps::ZERO; CHANNELS]));
    let pattern = e.iter().position(|x| matches!(x, Effect::Pattern(_)));
    assert!(levels.unwrap() < pattern.unwrap(), "{e:?}");
    assert!(!e
        .iter()
        .any(|x| matches!(x, Effect::Arm(_) | Effect::Disarm)));
}

#[test]
fn keepalive_loss_ends_the_session_disarmed() {
    let o = StartOptions {
        keepalive_s: Some(5),
        ..StartOptions::default()
    };
    let (mut core, _) = running("low-back", anna(), o);
    assert_eq!(core.keepalive(at(4_000)), Ok(()));
    assert_eq!(ended(&ticks(&mut core, 20, 10_000)), None);
    core.tick(at(10_020), TickInputs::default());
    let e = core.drain();
    assert_eq!(e[0], Effect::Disarm);
    assert_eq!(ended(&e), Some(EndReason::KeepaliveLost));
}

#[test]
fn a_start_between_low_and_critical_is_told_at_once_and_once() {
    let mut core = Core::new(config(), Vec::new(), Some(pads(0)));
    let mut f = facts("low-back", anna());
    f.battery = 12;
    let plan = admission::admit("low-back", StartOptions::default(), f, &config()).unwrap();
    core.begin(plan, 7, Actor::Uid(1000), at(0));
    let notices = |e: &[Effect]| {
        e.iter()
            .filter_map(|x| match x {
                Effect::Signal(Event::Notice { id: 7, notice, .. }) => Some(notice.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        notices(&core.drain()),
        [Notice::BatteryLow {
            percent: 12,
            critical: 5,
            minutes_left: None
        }]
    );
    core.tick(
        at(20),
        TickInputs {
            battery: Some(11),
            ..TickInputs::default()
        },
    );
    assert_eq!(notices(&core.drain()), []);
}

#[test]
fn a_critical_battery_ends_the_session() {
    let (mut core, _) = running("low-back", anna(), StartOptions::default());
    core.tick(
        at(20),
        TickInputs {
            battery: Some(6),
            ..TickInputs::default()
        },
    );
    assert_eq!(ended(&core.drain()), None);
    core.tick(
        at(40),
        TickInputs {
            battery: Some(5),
            ..TickInputs::default()
        },
    );
    let e = core.drain();
    assert_eq!(e[0], Effect::Disarm);
    assert_eq!(ended(&e), Some(EndReason::BatteryLow));
    assert_eq!(core.status(40, vec![]).battery, 5);
}

#[test]
fn habituation_steps_up_recorded_as_habituation_until_lowered() {
    let mut p = anna();
    p.habituation.enabled = true;
    p.habituation.every_minutes = 1;
    p.comfort.insert("low-back".into(), [3_000, 3_000]);
    let (mut core, e) = running("low-back", p, StartOptions::default());
    assert_eq!(
        targets(&e),
        [(0, 3_000, Actor::Uid(1000)), (1, 3_000, Actor::Uid(1000))]
    );
    core.tick(at(60_000), TickInputs::default());
    let e = core.drain();
    assert_eq!(
        targets(&e),
        [
            (0, 3_500, Actor::Habituation),
            (1, 3_500, Actor::Habituation)
        ]
    );
    core.set_intensity(0, MicroAmps(2_000), Actor::Client, at(60_020))
        .unwrap();
    core.drain();
    core.tick(at(120_000), TickInputs::default());
    assert!(targets(&core.drain()).is_empty(), "stopped once lowered");
}

#[test]
fn pads_worn_are_signalled_and_replaced_counts_shown() {
    let mut core = Core::new(config(), Vec::new(), Some(pads(0)));
    assert!(matches!(
        core.pads_channel(2),
        Err(SessionError::InvalidArgument(_))
    ));
    assert_eq!(core.pads_channel(1), Ok(1));
    core.pads_counted(pads(2), &[0, 1]);
    let e = core.drain();
    assert_eq!(
        e,
        [
            Effect::Signal(Event::PadsWorn {
                channel: 0,
                sessions: 2
            }),
            Effect::Signal(Event::PadsWorn {
                channel: 1,
                sessions: 2
            })
        ]
    );
    assert_eq!(core.status(0, vec![]).pads, [(2, 0, true), (2, 0, true)]);
    core.pads_replaced(1, pads(0));
    assert_eq!(core.status(0, vec![]).pads[1], (0, 0, false));
}
