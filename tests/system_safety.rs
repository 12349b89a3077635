//! System tests of the safety path through the real API: faults injected on the sim board
//! trip the supervisor, cut the output, latch, refuse sessions, and clear only once the cause
//! is gone.

mod common;

use common::*;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use zbus::zvariant::{OwnedValue, Value};

fn running_opts() -> HashMap<String, OwnedValue> {
    [(
        "intensity".to_string(),
        Value::from(vec![5_000u32, 5_000])
            .try_into()
            .expect("owned"),
    )]
    .into()
}

/// Injects `kind` for `ms` during a session and checks the whole reaction.
async fn trips_and_latches(
    dir: std::path::PathBuf,
    kind: &'static str,
    ms: u32,
    code: &'static str,
) {
    let bus = Bus::start();
    let trace = dir.join("t.csv");
    let _d = Daemon::start(&bus, &dir.join("state"), &trace).await;
    let c = Client::new(&bus).await;
    let mut faults = c.device.receive_fault_raised().await.unwrap();
    let mut ended = c.session.receive_ended().await.unwrap();
    let mut notices = c.session.receive_notice().await.unwrap();
    let id = c.session.start("low-back", running_opts()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;

    let injected = monotonic_ns();
    c.sim.inject_fault(kind, ms).await.unwrap();
    let sig = tokio::time::timeout(DEADLINE, faults.next())
        .await
        .expect("FaultRaised")
        .expect("stream");
    assert_eq!(*sig.args().unwrap().code(), code);
    let sig = tokio::time::timeout(DEADLINE, ended.next())
        .await
        .expect("Ended")
        .expect("stream");
    let a = sig.args().unwrap();
    assert_eq!(
        (*a.id(), a.reason().to_string()),
        (id, format!("fault:{code}"))
    );
    c.wait_state("fault").await;
    assert_eq!(c.device.fault().await.unwrap().0, code);
    // A fault is never told as contact loss (an output stage cut by the interlock senses no
    // current, as pads taken off would).
    if let Ok(Some(n)) = tokio::time::timeout(Duration::from_millis(300), notices.next()).await {
        panic!(
            "{kind}: a notice after the fault: {}",
            n.args().unwrap().message()
        );
    }

    // Latched: no new session; acknowledging fails while the cause is present.
    let e = c
        .session
        .start("low-back", HashMap::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "FaultActive");
    if ms >= 5_000 {
        // The cause lasts 5 s from the injection; this runs well within that.
        let e = c.device.acknowledge_fault().await.unwrap_err();
        assert_eq!(
            e.kind(),
            "FaultActive",
            "acknowledged while the cause was present"
        );
    }

    // Output off in the trace: the output stage cut after the injection, DAC back at zero.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rows = read_trace(&trace);
    assert!(
        rows.iter()
            .any(|r| matches!(*r, Row::Enable { t_ns, on: false } if t_ns >= injected)),
        "output stage not cut after {kind}"
    );
    let dac_at_zero = |when: &str| {
        let rows = read_trace(&trace);
        for ch in 0..2 {
            let last = last_dac_code(&rows, ch);
            assert!(
                matches!(last, Some(2048) | None),
                "channel {ch} left non-zero {when}"
            );
        }
    };
    // A broken SPI bus cannot take the zero: an error that began between a pulse's phases
    // leaves the DAC holding one (behind the cut output stage) until the bus works again.
    if kind != "spi_error" {
        dac_at_zero("after the trip");
    }

    // Once the cause is gone, acknowledging works and a session may start again.
    let start = Instant::now();
    loop {
        match c.device.acknowledge_fault().await {
            Ok(()) => break,
            Err(e) => {
                assert_eq!(e.kind(), "FaultActive");
                assert!(start.elapsed() < DEADLINE, "fault never cleared");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    c.wait_state("idle").await;
    assert_eq!(
        c.device.fault().await.unwrap(),
        (String::new(), String::new())
    );
    dac_at_zero("after the acknowledge");

    // The fault is in the history.
    let f = c.history.faults(0, 0).await.unwrap();
    assert_eq!(f.len(), 1);
    let got: String = f[0]
        .get("code")
        .unwrap()
        .try_clone()
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(got, code);
    let id2 = c.session.start("low-back", HashMap::new()).await.unwrap();
    assert!(id2 > id);
    c.session.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overcurrent_trips_and_latches_until_gone() {
    retry_on_timing_trip("oc", |d| {
        trips_and_latches(d, "overcurrent", 5_000, "overcurrent")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spi_error_trips_and_latches_until_gone() {
    retry_on_timing_trip("spi", |d| {
        trips_and_latches(d, "spi_error", 5_000, "spi_error")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_stall_trips_on_missing_heartbeat() {
    retry_on_timing_trip("stall", |d| {
        trips_and_latches(d, "engine_stall", 100, "engine_heartbeat")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisor_stall_is_cut_by_the_interlock_and_latched() {
    retry_on_timing_trip("sstall", |d| {
        trips_and_latches(d, "supervisor_stall", 50, "supervisor_stall")
    })
    .await;
}

/// A defect that bypasses the session manager and commands the ceiling's 100 mA: the
/// supervisor's check of the delivered pulse trips `over_limit` (the default peak is 60 mA).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_above_a_limit_trips_over_limit() {
    retry_on_timing_trip("over", |d| {
        trips_and_latches(d, "over_limit", 1_000, "over_limit")
    })
    .await;
}

/// The engine stalls with a phase latched in the DAC: DC on the skin unless the supervisor
/// cuts it, which it must do on the stuck-phase timer (max phase + 1 ms), well before the
/// engine heartbeat (15 ms) would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phase_held_by_a_stalled_engine_trips_stuck_phase() {
    retry_on_timing_trip("stuck", |d| {
        trips_and_latches(d, "phase_stall", 100, "stuck_phase")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpio_error_trips_and_latches_until_gone() {
    retry_on_timing_trip("gpio", |d| {
        trips_and_latches(d, "gpio_error", 5_000, "gpio_error")
    })
    .await;
}

/// SIGKILL mid-pulse. The daemon dies with the DAC holding a phase and the HV enable on; the
/// board, whose registers this test maps from a shared file so that it outlives the daemon,
/// cuts the output by itself when the interlock monostable runs out: within 10 ms of the
/// death. The next daemon comes up disarmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_pulse_is_cut_by_the_interlock_within_10_ms() {
    retry_on_timing_trip("sigkill", sigkill_scenario).await;
}

async fn sigkill_scenario(dir: std::path::PathBuf) {
    use std::sync::atomic::Ordering::Acquire;
    use stimd::board::sim::registers::Mapping;
    use stimd::board::sim::{INTERLOCK_TIMEOUT_NS, MID};
    let bus = Bus::start();
    let hw = dir.join("hardware");
    let env = [("STIMD__SIM__HARDWARE_FILE", hw.to_str().unwrap())];
    let state = dir.join("state");
    let mut killed_mid_pulse = false;
    for attempt in 1..=10 {
        let trace = dir.join(format!("t{attempt}.csv"));
        let mut daemon = Daemon::start_with(&bus, &state, &trace, &env).await;
        let board = Mapping::open(&hw).expect("the daemon's register file");
        let r = board.registers();
        let c = Client::new(&bus).await;
        c.session.start("low-back", running_opts()).await.unwrap();

        // Wait for a phase on the DAC with the output stage on, then kill at once.
        let deadline = Instant::now() + DEADLINE;
        let holding = || r.codes.iter().any(|c| c.load(Acquire) != MID);
        while !(holding() && r.output_enabled(monotonic_ns())) {
            assert!(Instant::now() < deadline, "no pulse with the output on");
            std::hint::spin_loop();
        }
        daemon.kill();
        let dead_ns = monotonic_ns();

        // Nothing of the daemon's shutdown ran: the HV enable is still on.
        assert!(
            r.hv_enable.load(Acquire),
            "the HV enable went off: not a crash"
        );
        killed_mid_pulse |= holding();
        // The board cuts the output by itself, 10 ms after the last interlock toggle, which
        // the dead daemon made before it died.
        let deadline = Instant::now() + DEADLINE;
        while r.output_enabled(monotonic_ns()) {
            assert!(
                Instant::now() < deadline,
                "the output stayed on after the kill"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let cut_ns = r.interlock_expiry_ns();
        let after_death = cut_ns as i64 - dead_ns as i64;
        eprintln!(
            "attempt {attempt}: killed {} pulse, output cut {:.2} ms after the death",
            if holding() { "mid" } else { "between" },
            after_death as f64 / 1e6
        );
        assert!(
            after_death <= INTERLOCK_TIMEOUT_NS as i64,
            "output cut {after_death} ns after the death (limit 10 ms)"
        );
        drop(board);
        if killed_mid_pulse {
            break;
        }
    }
    assert!(
        killed_mid_pulse,
        "no kill landed during a phase in 10 attempts"
    );

    // A restart comes up disarmed: DAC at zero, HV off, idle.
    let _daemon = Daemon::start_with(&bus, &state, &dir.join("after.csv"), &env).await;
    let board = Mapping::open(&hw).unwrap();
    let r = board.registers();
    assert!(!r.hv_enable.load(Acquire));
    assert!(r.codes.iter().all(|c| c.load(Acquire) == MID));
    let c = Client::new(&bus).await;
    assert_eq!(c.device.state().await.unwrap(), "idle");
}

/// systemd notification: `READY=1` only once the name is owned (and the output is off), and
/// `WATCHDOG=1` pings only while the engine is alive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_after_name_owned_and_watchdog_only_while_engine_alive() {
    retry_on_timing_trip("notify", |dir| async move {
        use std::os::unix::net::UnixDatagram;
        let sock_path = dir.join("notify.sock");
        let sock = UnixDatagram::bind(&sock_path).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let bus = Bus::start();
        let env = [
            ("NOTIFY_SOCKET", sock_path.to_str().unwrap()),
            ("WATCHDOG_USEC", "200000"),
        ];
        let _d = Daemon::start_with(&bus, &dir.join("state"), &dir.join("t.csv"), &env).await;
        let c = Client::new(&bus).await;
        let dbus = zbus::fdo::DBusProxy::new(&c.conn).await.unwrap();

        // Datagrams queue up; the first one with READY=1 must come after the name was owned.
        let mut buf = [0u8; 512];
        let start = Instant::now();
        let mut ready = false;
        let mut pings = Vec::new();
        while start.elapsed() < Duration::from_secs(2) {
            if let Ok(n) = sock.recv(&mut buf) {
                let msg = String::from_utf8_lossy(&buf[..n]).to_string();
                if msg.contains("READY=1") {
                    ready = true;
                    let owned = dbus
                        .name_has_owner(stimd::api::BUS_NAME.try_into().unwrap())
                        .await
                        .unwrap();
                    assert!(owned, "READY=1 before the bus name was owned");
                    assert_eq!(c.device.state().await.unwrap(), "idle");
                }
                if msg.contains("WATCHDOG=1") {
                    assert!(ready, "WATCHDOG=1 before READY=1");
                    pings.push(Instant::now());
                }
            }
        }
        assert!(ready, "no READY=1");
        assert!(
            pings.len() >= 3,
            "only {} watchdog pings in 2 s at a 200 ms watchdog",
            pings.len()
        );

        // Stall the engine for 4 s: the pings stop once it has been silent for 2 s.
        let opts: HashMap<String, OwnedValue> = HashMap::new();
        c.session.start("low-back", opts).await.unwrap();
        c.session.set_intensity(0, 2_000).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        while sock.recv(&mut buf).is_ok() {}
        c.sim.inject_fault("engine_stall", 4_000).await.unwrap();
        let injected = Instant::now();
        let mut late_pings = 0;
        while injected.elapsed() < Duration::from_millis(3_800) {
            if let Ok(n) = sock.recv(&mut buf) {
                let at = injected.elapsed();
                if String::from_utf8_lossy(&buf[..n]).contains("WATCHDOG=1")
                    && at > Duration::from_millis(2_600)
                {
                    late_pings += 1;
                }
            }
        }
        assert_eq!(
            late_pings, 0,
            "watchdog pinged while the engine was stalled"
        );
        c.wait_state("fault").await;
    })
    .await;
}

/// A pad comes off: within 3 pulses that channel stops, its target resets to zero, the session
/// pauses; raising it is refused until Resume, which ramps from zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_loss_stops_the_channel_and_pauses() {
    retry_on_timing_trip("contact", |dir| async move {
        let bus = Bus::start();
        let trace = dir.join("t.csv");
        let _d = Daemon::start(&bus, &dir.join("state"), &trace).await;
        let c = Client::new(&bus).await;
        c.session.start("low-back", running_opts()).await.unwrap();
        let start = Instant::now();
        while c.session.intensity().await.unwrap()[0] < 2_000 {
            assert!(start.elapsed() < DEADLINE, "intensity never reached 2 mA");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(c.session.contact().await.unwrap(), vec![true, true]);

        c.sim.set_contact(0, false).await.unwrap();
        c.wait_state("paused").await;
        assert_eq!(c.session.contact().await.unwrap(), vec![false, true]);
        assert_eq!(
            c.session.target().await.unwrap(),
            vec![0, 5_000],
            "lost channel's target resets"
        );
        assert_eq!(c.session.intensity().await.unwrap(), vec![0, 0]);
        let e = c.session.set_intensity(0, 3_000).await.unwrap_err();
        assert_eq!(e.kind(), "NotPermitted", "{}", e.message());
        assert!(
            e.message().contains("no electrode contact"),
            "{}",
            e.message()
        );

        // At most 3 pulses on channel 0 after the pad came off (as the sim board recorded it).
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rows = read_trace(&trace);
        let removed = rows
            .iter()
            .find_map(|r| match *r {
                Row::Contact {
                    t_ns,
                    channel: 0,
                    present: false,
                } => Some(t_ns),
                _ => None,
            })
            .expect("the trace records the pad coming off");
        let after = pulses(&rows, 0)
            .iter()
            .filter(|p| p.onset_ns > removed)
            .count();
        assert!(after <= 3, "{after} pulses on channel 0 after contact loss");

        // Resume with the pad still off: contact is unknown, not assumed, until pulses measure
        // it; raised again, the channel stops again within 3 pulses and the session pauses.
        c.session.resume().await.unwrap();
        c.wait_state("running").await;
        let resumed = monotonic_ns();
        assert_eq!(c.session.contact_state().await.unwrap()[0], "unknown");
        assert!(!c.session.contact().await.unwrap()[0]);
        assert_eq!(c.session.set_intensity(0, 3_000).await.unwrap(), 3_000);
        c.wait_state("paused").await;
        assert_eq!(c.session.contact_state().await.unwrap()[0], "off");
        assert!(!c.session.contact().await.unwrap()[0]);
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Sensed pulses: those strong enough for contact to be judged (1 mA, the engine's
        // CONTACT_SENSE_MIN_UA; the ramp from zero passes through weaker ones first).
        let sensed = pulses(&read_trace(&trace), 0)
            .iter()
            .filter(|p| p.onset_ns > resumed && p.phase1_ua.unsigned_abs() >= 1_000)
            .count();
        assert!(
            sensed <= 3,
            "{sensed} sensed pulses on channel 0 after resuming with the pad off"
        );

        // Pads back on, resume: ramps from zero, channel 0 from a zero target.
        c.sim.set_contact(0, true).await.unwrap();
        c.session.resume().await.unwrap();
        c.wait_state("running").await;
        let i = c.session.intensity().await.unwrap();
        assert!(i[1] < 2_000, "resume ramps from zero, got {i:?}");
        assert_eq!(c.session.set_intensity(0, 3_000).await.unwrap(), 3_000);
        let start = Instant::now();
        while c.session.contact_state().await.unwrap() != ["on", "on"] {
            assert!(
                start.elapsed() < DEADLINE,
                "contact never measured on both channels"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(c.session.contact().await.unwrap(), vec![true, true]);
        c.session.stop().await.unwrap();
    })
    .await;
}

/// A session started with a keepalive stops with `keepalive_lost` when the client goes quiet,
/// and keeps running while it calls `Keepalive`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_lost_stops_the_session() {
    retry_on_timing_trip("keepalive", |dir| async move {
        let bus = Bus::start();
        let _d = Daemon::start(&bus, &dir.join("state"), &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        let mut ended = c.session.receive_ended().await.unwrap();
        let opts: HashMap<String, OwnedValue> =
            [("keepalive".to_string(), OwnedValue::from(1u32))].into();
        let id = c.session.start("low-back", opts).await.unwrap();

        // Kept alive for 4 s: still running.
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            c.session.keepalive().await.unwrap();
        }
        assert_eq!(c.device.state().await.unwrap(), "running");

        // Quiet: stopped after keepalive + 1 s.
        let quiet = Instant::now();
        let sig = tokio::time::timeout(DEADLINE, ended.next())
            .await
            .expect("Ended")
            .expect("stream");
        let a = sig.args().unwrap();
        assert_eq!((*a.id(), *a.reason()), (id, "keepalive_lost"));
        // Due 2 s after the last Keepalive; 1.5 s leaves room for the reply's own latency.
        assert!(
            quiet.elapsed() >= Duration::from_millis(1_500),
            "stopped long before keepalive + 1 s"
        );
        c.wait_state("idle").await;
        assert_eq!(
            c.session.keepalive().await.unwrap_err().kind(),
            "NotRunning"
        );
    })
    .await;
}

/// At or below `battery.critical_percent` no session starts; a running session that falls to
/// `battery.low_percent` is told (a `Notice`) before `battery.critical_percent` ends it with
/// `battery_low`; one started between the two is told at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_battery_refuses_a_low_one_warns_and_critical_ends_the_session() {
    retry_on_timing_trip("battery", |dir| async move {
        let bus = Bus::start();
        let _d = Daemon::start(&bus, &dir.join("state"), &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        let mut ended = c.session.receive_ended().await.unwrap();
        c.sim.set_battery(5).await.unwrap();
        let start = Instant::now();
        while c.device.battery().await.unwrap() != 5 {
            assert!(start.elapsed() < DEADLINE, "Battery never showed 5 %");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let e = c
            .session
            .start("low-back", HashMap::new())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), "NotPermitted");
        assert!(
            e.message().contains("battery at 5 %, at or below 5 %"),
            "{}",
            e.message()
        );
        assert_eq!(c.session.id().await.unwrap(), 0);

        c.sim.set_battery(50).await.unwrap();
        while c.device.battery().await.unwrap() != 50 {
            assert!(start.elapsed() < DEADLINE, "Battery never showed 50 %");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut notices = c.session.receive_notice().await.unwrap();
        let id = c.session.start("low-back", running_opts()).await.unwrap();
        c.sim.set_battery(12).await.unwrap();
        let sig = tokio::time::timeout(DEADLINE, notices.next())
            .await
            .expect("Notice")
            .expect("stream");
        let a = sig.args().unwrap();
        assert_eq!(*a.id(), id);
        assert!(
            a.message()
                .starts_with("battery at 12 %: the session ends at 5 %"),
            "{}",
            a.message()
        );
        assert_eq!(c.device.state().await.unwrap(), "running");
        c.sim.set_battery(4).await.unwrap();
        let sig = tokio::time::timeout(DEADLINE, ended.next())
            .await
            .expect("Ended")
            .expect("stream");
        let a = sig.args().unwrap();
        assert_eq!((*a.id(), *a.reason()), (id, "battery_low"));
        c.wait_state("idle").await;

        // Started between critical (5 %) and low (15 %): allowed, and told at once.
        c.sim.set_battery(10).await.unwrap();
        while c.device.battery().await.unwrap() != 10 {
            assert!(start.elapsed() < DEADLINE, "Battery never showed 10 %");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let id = c.session.start("low-back", running_opts()).await.unwrap();
        let sig = tokio::time::timeout(DEADLINE, notices.next())
            .await
            .expect("Notice at start")
            .expect("stream");
        let a = sig.args().unwrap();
        assert_eq!(*a.id(), id);
        assert!(
            a.message()
                .starts_with("battery at 10 %: the session ends at 5 %"),
            "{}",
            a.message()
        );
        c.session.stop().await.unwrap();
    })
    .await;
}

/// The hardware watchdog (a plain file stands in for `/dev/watchdog`): petted after start-up,
/// not while the engine is stalled, closed with the magic `V` on SIGTERM — and left armed (no
/// `V`) when the daemon is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardware_watchdog_is_petted_only_while_healthy_and_closed_only_cleanly() {
    retry_on_timing_trip("hwwd", |dir| async move {
        let bus = Bus::start();
        let wd = dir.join("watchdog");
        std::fs::write(&wd, b"").unwrap();
        let env = [
            ("STIMD__WATCHDOG__DEVICE", wd.to_str().unwrap()),
            ("STIMD__WATCHDOG__TIMEOUT_S", "2"),
        ];
        let mut d = Daemon::start_with(&bus, &dir.join("state"), &dir.join("t.csv"), &env).await;
        let c = Client::new(&bus).await;
        let len = || std::fs::metadata(&wd).map(|m| m.len()).unwrap_or(0);
        let start = Instant::now();
        while len() < 3 {
            assert!(
                start.elapsed() < DEADLINE,
                "the hardware watchdog was never petted"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Stall the engine for 5 s (at its next DAC transfer, so while it pulses): the pets
        // stop once it has been silent for 2 s.
        c.session.start("low-back", running_opts()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.sim.inject_fault("engine_stall", 5_000).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2_700)).await;
        let during = len();
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_eq!(len(), during, "petted while the engine was stalled");
        // Healthy again: pets resume.
        let start = Instant::now();
        while len() == during {
            assert!(start.elapsed() < DEADLINE, "pets never resumed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(d.terminate().success());
        let bytes = std::fs::read(&wd).unwrap();
        assert_eq!(
            bytes.last(),
            Some(&b'V'),
            "no magic close on a clean shutdown"
        );
        assert!(bytes[..bytes.len() - 1].iter().all(|&b| b == 0));

        // Killed: no magic close, the watchdog stays armed.
        std::fs::write(&wd, b"").unwrap();
        let mut d = Daemon::start_with(&bus, &dir.join("state"), &dir.join("t2.csv"), &env).await;
        let start = Instant::now();
        while len() < 1 {
            assert!(start.elapsed() < DEADLINE, "never petted after the restart");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        d.kill();
        let bytes = std::fs::read(&wd).unwrap();
        assert!(!bytes.contains(&b'V'), "magic close after SIGKILL");
    })
    .await;
}
