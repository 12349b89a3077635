//! The system-bus policy, enforced by a real `dbus-daemon` that includes the project's policy
//! file: a user outside the operators' group may read properties, introspect and call
//! `EmergencyStop`, and nothing else; a member may call every method. Clients are `busctl`,
//! run as user `nobody` through `setpriv`.
//!
//! This machine has no `stimd` group, and dbus-daemon ignores a rule for a group that does not
//! exist, so the copy of the policy the test bus reads names an existing group (`users`)
//! instead; nothing else is changed.

mod common;

use common::*;
use std::process::Command;

const NOBODY: &str = "65534";

/// The base policy of a system bus (dbus's own `system.conf`), on which the project's file is
/// layered in production.
const SYSTEM_BUS_BASE: &str = r#"<policy context="default">
  <allow user="*"/>
  <deny own="*"/>
  <deny send_type="method_call"/>
  <allow send_type="signal"/>
  <allow send_requested_reply="true" send_type="method_return"/>
  <allow send_requested_reply="true" send_type="error"/>
  <allow receive_type="method_call"/>
  <allow receive_type="method_return"/>
  <allow receive_type="error"/>
  <allow receive_type="signal"/>
  <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
  <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
</policy>"#;

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn gid_of(group: &str) -> Option<String> {
    let out = Command::new("getent")
        .args(["group", group])
        .output()
        .ok()?;
    let line = String::from_utf8_lossy(&out.stdout).to_string();
    line.split(':').nth(2).map(|g| g.trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outsiders_may_read_and_stop_members_may_steer() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run clients as another user (setpriv)");
        return;
    }
    let gid = gid_of("users").expect("group users exists on Debian");
    let dir = TempDir::new("policy");
    let policy = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dbus/io.stimd.Stimd1.conf"),
    )
    .expect("policy file");
    assert!(policy.contains("group=\"stimd\""));
    let copy = write_file(
        &dir.0,
        "policy.conf",
        &policy.replace("group=\"stimd\"", "group=\"users\""),
    );
    // The socket's directory must be reachable for the unprivileged clients.
    let bus = Bus::start_with_policy(&format!(
        "{SYSTEM_BUS_BASE}<include>{}</include>",
        copy.display()
    ));
    // The socket and its directory must be reachable for the unprivileged clients (a system
    // bus socket is world-writable; the policy, not the file mode, decides who may do what).
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bus.dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        bus.dir.0.join("bus"),
        std::fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let as_user = |groups: Option<&str>, args: &[&str]| {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid", NOBODY, "--regid", NOBODY]);
        match groups {
            Some(g) => cmd.args(["--groups", g]),
            None => cmd.arg("--clear-groups"),
        };
        cmd.arg("busctl")
            .arg(format!("--address={}", bus.address))
            .args(args);
        run(&mut cmd)
    };
    let target = ["io.stimd.Stimd1", "/io/stimd/Stimd1"];
    let call = |iface: &str, rest: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["call", target[0], target[1]]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.push(format!("io.stimd.Stimd1.{iface}"));
        v.extend(rest.iter().map(|s| s.to_string()));
        v
    };

    // An outsider: reads, introspects, stops; everything else is refused by the bus.
    let (ok, out) = as_user(
        None,
        &[
            "get-property",
            target[0],
            target[1],
            "io.stimd.Stimd1.Device",
            "State",
        ],
    );
    assert!(ok && out.contains("\"idle\""), "{out}");
    let (ok, out) = as_user(None, &["introspect", target[0], target[1]]);
    assert!(ok && out.contains("io.stimd.Stimd1.Session"), "{out}");
    let (ok, out) = as_user(None, &args(&call("Device", &["EmergencyStop"])));
    assert!(ok, "{out}");
    for (iface, rest) in [
        ("Session", vec!["Start", "sa{sv}", "low-back", "0"]),
        ("Session", vec!["SetIntensity", "uu", "0", "1000"]),
        ("Programs", vec!["Add", "s", "id = \"x\""]),
        ("History", vec!["Sessions", "xxu", "0", "0", "0"]),
        ("Device", vec!["AcknowledgeFault"]),
    ] {
        let (ok, out) = as_user(None, &args(&call(iface, &rest)));
        assert!(
            !ok && out.contains("Access denied"),
            "{iface}.{}: {out}",
            rest[0]
        );
    }

    // A member of the operators' group may steer.
    let (ok, out) = as_user(
        Some(&gid),
        &args(&call(
            "Session",
            &["Start", "sa{sv}", "low-back", "1", "duration", "u", "60"],
        )),
    );
    assert!(ok && out.starts_with("t "), "{out}");
    let (ok, out) = as_user(
        Some(&gid),
        &args(&call("Session", &["SetIntensity", "uu", "0", "1000"])),
    );
    assert!(ok && out.contains("u 1000"), "{out}");
    let (ok, out) = as_user(
        Some(&gid),
        &args(&call("Programs", &["Add", "s", "id = \"x\""])),
    );
    assert!(
        !ok && out.contains("missing field"),
        "refused by stimd, not by the bus: {out}"
    );
    let (ok, out) = as_user(Some(&gid), &args(&call("Session", &["Stop"])));
    assert!(ok, "{out}");

    // A member may make a profile and answer its questions, but a person's limits and a
    // doctor's approval are for administrators: refused by stimd, with the reason.
    let (ok, out) = as_user(
        Some(&gid),
        &args(&call("Profiles", &["Create", "sa{sv}", "kim", "0"])),
    );
    assert!(ok, "{out}");
    for rest in [
        vec![
            "Update",
            "sa{sv}",
            "kim",
            "1",
            "max_intensity_ua",
            "au",
            "2",
            "1000",
            "1000",
        ],
        vec![
            "Create",
            "sa{sv}",
            "lou",
            "1",
            "electrode_area_cm2",
            "d",
            "16",
        ],
        vec!["Approve", "ss", "kim", "dr. X"],
        vec!["Remove", "s", "kim"],
    ] {
        let (ok, out) = as_user(Some(&gid), &args(&call("Profiles", &rest)));
        assert!(
            !ok && out.contains("stimd-admin"),
            "Profiles.{} by a plain member: {out}",
            rest[0]
        );
    }
}
