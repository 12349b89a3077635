//! System tests of the API's refusals: bad input gets a named error and changes nothing.

mod common;

use common::*;
use std::collections::HashMap;
use zbus::zvariant::{OwnedValue, Value};

/// The D-Bus error name and message of a failed call.
fn error_of<T: std::fmt::Debug>(r: Result<T, stimd::api::StimdError>) -> (String, String) {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => (e.kind().to_string(), e.message()),
    }
}

async fn assert_unchanged(c: &Client) {
    assert_eq!(c.device.state().await.unwrap(), "idle");
    assert_eq!(c.session.id().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_by_name_and_changes_nothing() {
    let bus = Bus::start();
    let dir = TempDir::new("api");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let c = Client::new(&bus).await;

    let cases: Vec<(&str, HashMap<String, OwnedValue>, &str, &str)> = vec![
        (
            "no-such-program",
            HashMap::new(),
            "UnknownProgram",
            "no-such-program",
        ),
        (
            "low-back",
            opts(vec![("duration", Value::U32(0))]),
            "InvalidArgument",
            "duration = 0 s",
        ),
        (
            "low-back",
            opts(vec![("duration", Value::U32(1_000_000))]),
            "InvalidArgument",
            "allowed: 1..=3600",
        ),
        (
            "low-back",
            opts(vec![("channels", Value::from(vec![5u32]))]),
            "InvalidArgument",
            "channel 5 is out of range",
        ),
        (
            "low-back",
            opts(vec![("channels", Value::from(vec![0u32, 0]))]),
            "InvalidArgument",
            "listed twice",
        ),
        (
            "low-back",
            opts(vec![("duration", Value::I32(60))]),
            "InvalidArgument",
            "must have type u",
        ),
        (
            "low-back",
            opts(vec![("turbo", Value::Bool(true))]),
            "InvalidArgument",
            "unknown option \"turbo\"",
        ),
        (
            "low-back",
            opts(vec![("intensity", Value::from(vec![1_000u32]))]),
            "InvalidArgument",
            "one µA value per channel",
        ),
        (
            "low-back",
            opts(vec![("profile", Value::from("nobody"))]),
            "InvalidArgument",
            "profile",
        ),
    ];
    for (program, o, kind, text) in cases {
        let (k, msg) = error_of(c.session.start(program, o).await);
        assert_eq!(k, kind, "{program}: {msg}");
        assert!(
            msg.contains(text),
            "{program}: {msg:?} should mention {text:?}"
        );
        assert_unchanged(&c).await;
    }

    // Steering without a session.
    assert_eq!(
        error_of(c.session.set_intensity(0, 1_000).await).0,
        "NotRunning"
    );
    assert_eq!(
        error_of(c.session.step_intensity(0, 1).await).0,
        "NotRunning"
    );
    assert_eq!(error_of(c.session.pause().await).0, "NotRunning");
    c.session.stop().await.expect("Stop is idempotent");
    assert_unchanged(&c).await;

    // With a session on channel 0 only: other channels are refused, the target is unchanged.
    let id = c
        .session
        .start(
            "low-back",
            opts(vec![
                ("channels", Value::from(vec![0u32])),
                ("intensity", Value::from(vec![3_000u32])),
            ]),
        )
        .await
        .unwrap();
    let (k, msg) = error_of(c.session.set_intensity(2, 1_000).await);
    assert_eq!(k, "InvalidArgument");
    assert!(
        msg.contains("channel = 2 is out of range (allowed: 0..=1)"),
        "{msg}"
    );
    assert_eq!(
        error_of(c.session.set_intensity(1, 1_000).await).0,
        "InvalidArgument"
    );
    assert_eq!(c.session.target().await.unwrap(), vec![3_000, 0]);
    assert_eq!(
        error_of(c.session.start("low-back", HashMap::new()).await).0,
        "AlreadyRunning"
    );
    assert_eq!(c.session.id().await.unwrap(), id);

    // Steps move the target by 0.5 mA and never below zero.
    assert_eq!(c.session.step_intensity(0, 2).await.unwrap(), 4_000);
    assert_eq!(c.session.step_intensity(0, -100).await.unwrap(), 0);
    c.session.stop().await.unwrap();
    assert_unchanged(&c).await;

    // The Sim interface checks its arguments too.
    assert_eq!(
        error_of(c.sim.set_contact(7, false).await).0,
        "InvalidArgument"
    );
    assert_eq!(
        error_of(c.sim.inject_fault("lightning", 10).await).0,
        "InvalidArgument"
    );
    assert_eq!(error_of(c.sim.set_battery(150).await).0, "InvalidArgument");
}

/// A client nobody on the team wrote: busctl.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busctl_reads_properties_and_gets_named_errors() {
    let bus = Bus::start();
    let dir = TempDir::new("busctl");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let busctl = |args: &[&str]| {
        run(std::process::Command::new("busctl")
            .arg(format!("--address={}", bus.address))
            .args(args))
    };
    let (ok, out) = busctl(&[
        "get-property",
        "io.stimd.Stimd1",
        "/io/stimd/Stimd1",
        "io.stimd.Stimd1.Device",
        "State",
    ]);
    assert!(ok && out.trim() == "s \"idle\"", "{out}");
    let (ok, out) = busctl(&[
        "call",
        "io.stimd.Stimd1",
        "/io/stimd/Stimd1",
        "io.stimd.Stimd1.Session",
        "SetIntensity",
        "uu",
        "0",
        "1000",
    ]);
    assert!(!ok && out.contains("no session is running"), "{out}");
    let (ok, out) = busctl(&[
        "call",
        "io.stimd.Stimd1",
        "/io/stimd/Stimd1",
        "io.stimd.Stimd1.Session",
        "Start",
        "sa{sv}",
        "low-back",
        "1",
        "duration",
        "u",
        "60",
    ]);
    assert!(ok && out.starts_with("t "), "{out}");
    let (ok, _) = busctl(&[
        "call",
        "io.stimd.Stimd1",
        "/io/stimd/Stimd1",
        "io.stimd.Stimd1.Device",
        "EmergencyStop",
    ]);
    assert!(ok);
}

/// The committed introspection file is exactly what the running daemon serves.
/// Regenerate with `scripts/gen-introspection.sh`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_matches_committed_xml() {
    let bus = Bus::start();
    let dir = TempDir::new("xml");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let conn = bus.connect().await;
    let proxy = zbus::fdo::IntrospectableProxy::builder(&conn)
        .destination(stimd::api::BUS_NAME)
        .unwrap()
        .path(stimd::api::OBJECT_PATH)
        .unwrap()
        .build()
        .await
        .unwrap();
    let served = proxy.introspect().await.unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dbus/io.stimd.Stimd1.xml");
    if std::env::var_os("STIMD_BLESS").is_some() {
        std::fs::write(&path, &served).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == served,
        "dbus/io.stimd.Stimd1.xml differs from what stimd serves; run scripts/gen-introspection.sh"
    );
}

/// Every `busctl` example in docs/dbus-api.md works as written (in order, on a fresh daemon;
/// `--system` becomes the test bus; examples that read a file of the reader's are left out).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_busctl_examples_in_the_api_docs_work() {
    let bus = Bus::start();
    let dir = TempDir::new("api-docs");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dbus-api.md"),
    )
    .expect("docs/dbus-api.md");
    let mut commands: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in doc.lines() {
        let line = line.trim_end();
        if current.is_empty() && !line.starts_with("busctl --system") {
            continue;
        }
        current.push_str(line.trim_end_matches('\\'));
        current.push(' ');
        if !line.ends_with('\\') {
            commands.push(std::mem::take(&mut current));
        }
    }
    let runnable: Vec<&String> = commands.iter().filter(|c| !c.contains("$(")).collect();
    assert!(runnable.len() >= 12, "{} examples found", runnable.len());
    for cmd in runnable {
        let cmd = cmd.replace(
            "busctl --system",
            &format!("busctl --address={}", bus.address),
        );
        let (ok, out) = run(std::process::Command::new("sh").args(["-c", &cmd]));
        assert!(ok, "{cmd}\n{out}");
    }
}

/// A client flooding calls is refused by name (`RateLimited`) after its burst, while another
/// client is served and `EmergencyStop` is never refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_client_is_rate_limited_and_others_are_not() {
    let bus = Bus::start();
    let dir = TempDir::new("ratelimit");
    let d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let flooder = Client::new(&bus).await;
    let other = Client::new(&bus).await;
    let mut limited = None;
    for _ in 0..200 {
        if let Err(e) = flooder.session.keepalive().await {
            let (name, message) = error_of::<()>(Err(e));
            if name.ends_with("RateLimited") {
                limited = Some(message);
                break;
            }
            assert!(name.ends_with("NotRunning"), "{name}: {message}");
        }
    }
    let message = limited.expect("200 calls in a row were never limited");
    assert!(message.contains("allowed: 50 a second"), "{message}");
    flooder
        .device
        .emergency_stop()
        .await
        .expect("EmergencyStop is never rate-limited");
    let id = other
        .session
        .start("low-back", opts(vec![("duration", Value::U32(60))]))
        .await
        .expect("another client is served");
    assert!(id > 0);
    other.session.stop().await.unwrap();
    // Who stopped is in the journal, looked up from the bus, not claimed by the client.
    let uid = unsafe { libc::getuid() };
    let log = d.log_text();
    for what in ["Device.EmergencyStop", "Session.Stop"] {
        assert!(
            log.lines()
                .any(|l| l.contains(what) && l.contains(&format!("actor=\"uid:{uid}\""))),
            "{what} without its actor in:\n{log}"
        );
    }
}
