//! Unit tests of the safety supervisor on the sim board: trips (overcurrent, a pulse above the
//! person's maximum), acknowledge refusals, and when the watchdogs are petted.

use super::*;
use crate::config::Config;
use crate::shared::Shared;

fn supervisor() -> (Supervisor, Arc<Shared>) {
    let (sup, shared, _) = supervisor_with(None);
    (sup, shared)
}

/// On the sim board's output path; with `overcurrent`, that input instead of the sim's.
fn supervisor_with(
    overcurrent: Option<Box<dyn crate::board::Sense>>,
) -> (Supervisor, Arc<Shared>, tmpsc::UnboundedReceiver<Trip>) {
    let mut board = crate::board::sim::build(1_000, Default::default()).unwrap();
    if let Some(o) = overcurrent {
        board.safety.overcurrent = o;
    }
    let shared = Arc::new(Shared::new());
    let (trips, trip_rx) = tmpsc::unbounded_channel();
    let (_, commands) = mpsc::channel();
    let settings = SupervisorSettings {
        period_ns: 500_000,
        rt_priority: 1,
        channels: 2,
    };
    let limits = Config::default().limits().unwrap();
    let sup = Supervisor::new(
        board.safety,
        shared.supervisor_port(),
        limits,
        settings,
        trips,
        commands,
    );
    (sup, shared, trip_rx)
}

/// The overcurrent comparator as the linux board reads it, by edge events: a pulse that
/// came and went between two supervisor loops still trips, and the trip is reported.
#[test]
fn an_overcurrent_edge_between_two_loops_trips() {
    let edges = crate::board::edge::EdgeState::new(false);
    let input = crate::board::edge::EdgeInput(edges.clone());
    let (mut sup, shared, mut trips) = supervisor_with(Some(Box::new(input)));
    let now = now_ns();
    shared.engine_port().beat(now);
    sup.step(now);
    assert_eq!(sup.latched, None);
    edges.record(true);
    edges.record(false);
    sup.step(now + 100_000);
    assert_eq!(sup.latched, Some(FaultCode::Overcurrent));
    assert!(shared.observe().tripped());
    assert_eq!(trips.try_recv().unwrap().code, FaultCode::Overcurrent);
    // The line is quiet again: the cause is gone.
    sup.acknowledge(now + 200_000).unwrap();
    assert_eq!(sup.latched, None);
}

/// Without its D-Bus connection no client can stop a session: the watchdogs are no longer
/// petted, so a daemon that does not exit is reset.
#[test]
fn the_watchdog_is_not_petted_once_the_bus_is_lost() {
    let dir = std::env::temp_dir().join(format!("stimd-wd-bus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("watchdog");
    std::fs::write(&file, b"").unwrap();
    let (sup, shared) = supervisor();
    let hw = match crate::safety::hw_watchdog::HwWatchdog::open(&file, 3) {
        Ok(hw) => hw,
        // qemu-user answers the watchdog ioctl with ENOSYS (a real kernel says ENOTTY for
        // a plain file, which is accepted); the native run of this test covers it.
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
            eprintln!("skipped: the watchdog ioctl is not emulated here ({e})");
            return;
        }
        Err(e) => panic!("open the stand-in watchdog file: {e}"),
    };
    let mut sup = sup.with_hw_watchdog(Some(hw));
    shared.mark_ready();
    let len = || std::fs::metadata(&file).unwrap().len();
    let mut now = 10_000_000_000;
    for _ in 0..3 {
        now += 2_000_000_000;
        shared.engine_port().beat(now);
        shared.beat_manager(now);
        sup.pet_watchdog(now);
    }
    assert_eq!(len(), 3, "petted while healthy");
    shared.mark_bus_lost();
    for _ in 0..3 {
        now += 2_000_000_000;
        shared.engine_port().beat(now);
        shared.beat_manager(now);
        sup.pet_watchdog(now);
    }
    assert_eq!(len(), 3, "petted after the bus was lost");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A pulse the engine delivered above the session's armed limits (a person's own maximum,
/// below the device's peak) trips `over_limit`, naming the limit.
#[test]
fn a_pulse_above_the_person_s_maximum_trips() {
    use crate::model::units::{Hertz, Micros};
    use crate::pulse::Setpoint;
    let (mut sup, shared, mut trips) = supervisor_with(None);
    let device = Config::default().limits().unwrap();
    let shape = crate::model::limits::Shape {
        phase: Micros(200),
        rate: Hertz(80.0),
    };
    shared.arm(&ArmedLimits::for_session(
        &device,
        &[Some(MicroAmps(8_000))],
        None,
        [shape],
    ));
    let now = now_ns();
    shared.engine_port().beat(now);
    sup.step(now);
    let sp = Setpoint::new(MicroAmps(9_000), shape);
    shared.engine_port().record_pulse(0, sp);
    sup.step(now + 100_000);
    let t = trips.try_recv().expect("a trip");
    assert_eq!(t.code, FaultCode::OverLimit);
    assert!(t.message.contains("profile_max"), "{}", t.message);
}

#[test]
fn hardware_unavailable_is_never_acknowledged() {
    let (mut sup, shared, mut trips) = supervisor_with(None);
    sup.hardware_unavailable("SPI device /dev/spidev0.0: No such file".into());
    let t = trips.try_recv().unwrap();
    assert_eq!(t.code, FaultCode::HardwareUnavailable);
    assert!(t.message.contains("/dev/spidev0.0"));
    let now = now_ns();
    shared.engine_port().beat(now);
    let e = sup.acknowledge(now).unwrap_err();
    assert_eq!(e, AckRefusal::HardwareUnavailable);
    assert!(e.to_string().contains("restart stimd"), "{e}");
    assert_eq!(sup.latched, Some(FaultCode::HardwareUnavailable));
}

#[test]
fn acknowledge_refuses_while_a_level_is_above_the_peak_limit() {
    let (mut sup, shared) = supervisor();
    sup.trip(FaultCode::OverLimit, "test".into());
    let now = now_ns();
    shared.engine_port().beat(now);
    shared.set_level(1, 60_001);
    let e = sup.acknowledge(now).unwrap_err().to_string();
    assert!(e.contains("channel 1") && e.contains("60001"), "{e}");
    assert_eq!(sup.latched, Some(FaultCode::OverLimit));
    shared.set_level(1, 60_000);
    sup.acknowledge(now).unwrap();
    assert_eq!(sup.latched, None);
    assert!(!shared.observe().tripped());
}
