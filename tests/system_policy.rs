//! The system-bus policy, enforced by a real `dbus-daemon` that includes the project's policy
//! file: a user outside the operators' group may read properties, introspect and call
//! `EmergencyStop`, and nothing else; a member may call every method. Clients are `busctl`,
//! run as user `nobody` through `setpriv`.
//!
//! This machine has no `stimd` group, and dbus-daemon ignores a rule for a group that does not
//! exist, so the copy of the policy the test bus reads names an existing group (`users`)
//! instead; nothing else is changed.
//!
//! The contraindication gate: a member may answer a profile's questions and add a "yes", but
//! only root and a member of `stimd-admin` may change an earlier "yes" to "no". The test makes
//! the group `stimd-admin` and a user `stimd-test-admin` in it if they are missing
//! (idempotently), since stimd asks the user database, not the caller's process, who is in it.

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
        ("History", vec!["Changes", "xxu", "0", "0", "0"]),
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
    // … and read the history, the audit trail with it: the intensity it just set, by its user.
    let (ok, out) = as_user(
        Some(&gid),
        &args(&call("History", &["Changes", "xxu", "0", "0", "0"])),
    );
    assert!(
        ok && out.starts_with("aa{sv}")
            && out.contains("\"kind\" s \"intensity\"")
            && out.contains("\"to\" u 1000"),
        "{out}"
    );

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

/// A test bus with the project's policy (its `stimd` group read as `users`) on a system-bus
/// base, its socket reachable for unprivileged clients.
fn policy_bus(dir: &std::path::Path) -> Bus {
    let policy = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dbus/io.stimd.Stimd1.conf"),
    )
    .expect("policy file");
    let copy = write_file(
        dir,
        "policy.conf",
        &policy.replace("group=\"stimd\"", "group=\"users\""),
    );
    let bus = Bus::start_with_policy(&format!(
        "{SYSTEM_BUS_BASE}<include>{}</include>",
        copy.display()
    ));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bus.dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        bus.dir.0.join("bus"),
        std::fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    bus
}

/// Runs `cmd` until it succeeds or reports `ok_codes`, a few times (another test may hold the
/// user database's lock for a moment).
fn admin_tool(args: &[&str], ok_codes: &[i32]) {
    for _ in 0..20 {
        let st = Command::new(args[0])
            .args(&args[1..])
            .status()
            .unwrap_or_else(|e| panic!("{}: {e}", args[0]));
        if st.success() || st.code().is_some_and(|c| ok_codes.contains(&c)) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    panic!("{args:?} failed");
}

const ADMIN_USER: &str = "stimd-test-admin";

/// The uid of `stimd-test-admin`, a user whose primary group is `users` and who is in
/// `stimd-admin`; both made if missing.
fn admin_user() -> String {
    admin_tool(&["groupadd", "-f", "stimd-admin"], &[]);
    // useradd: 9 = the user exists already.
    admin_tool(
        &[
            "useradd",
            "--no-create-home",
            "--gid",
            "users",
            "--groups",
            "stimd-admin",
            "--shell",
            "/usr/sbin/nologin",
            ADMIN_USER,
        ],
        &[9],
    );
    admin_tool(&["usermod", "-a", "-G", "stimd-admin", ADMIN_USER], &[]);
    let out = Command::new("id")
        .args(["-u", ADMIN_USER])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_root_and_administrators_may_change_an_earlier_yes_to_no() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run clients as other users and to add a user");
        return;
    }
    let users = gid_of("users").expect("group users exists on Debian");
    let admin_uid = admin_user();
    let dir = TempDir::new("policy-gate");
    let bus = policy_bus(&dir.0);
    let state = dir.0.join("state");
    let mut daemon = Daemon::start(&bus, &state, &dir.0.join("t.csv")).await;
    // A member of the operators' group (nobody, in `users` for this call), or the
    // administrator (in `users` and `stimd-admin` by the user database).
    let busctl = |admin: bool, rest: &[&str]| {
        let mut cmd = Command::new("setpriv");
        if admin {
            cmd.args(["--reuid", &admin_uid, "--regid", &users, "--init-groups"]);
        } else {
            cmd.args(["--reuid", NOBODY, "--regid", NOBODY, "--groups", &users]);
        }
        cmd.arg("busctl")
            .arg(format!("--address={}", bus.address))
            .args(["call", "io.stimd.Stimd1", "/io/stimd/Stimd1"])
            .args(rest);
        run(&mut cmd)
    };
    let answers = |yes: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "io.stimd.Stimd1.Profiles",
            "RecordScreening",
            "sa{sb}",
            "kim",
            "5",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for q in ["implant", "epilepsy", "pregnancy", "heart_disease", "skin"] {
            v.push(q.into());
            v.push(yes.contains(&q).to_string());
        }
        v
    };
    let start = ["io.stimd.Stimd1.Session", "Start", "sa{sv}", "neck", "2"];
    let start_kim = [&start[..], &["profile", "s", "kim", "duration", "u", "60"]].concat();
    let stop = ["io.stimd.Stimd1.Session", "Stop"];

    // A member makes the profile and answers for the first time: a pacemaker.
    let (ok, out) = busctl(
        false,
        &["io.stimd.Stimd1.Profiles", "Create", "sa{sv}", "kim", "3"]
            .into_iter()
            .chain([
                "sessions_per_day",
                "u",
                "0",
                "minutes_per_day",
                "u",
                "0",
                "min_gap_minutes",
                "u",
                "0",
            ])
            .collect::<Vec<_>>(),
    );
    assert!(
        !ok && out.contains("stimd-admin"),
        "dose guidance is an administrator's: {out}"
    );
    let (ok, out) = busctl(
        false,
        &["io.stimd.Stimd1.Profiles", "Create", "sa{sv}", "kim", "0"],
    );
    assert!(ok, "{out}");
    let (ok, out) = busctl(false, &args(&answers(&["implant"])));
    assert!(ok, "first answers by a member: {out}");
    let (ok, out) = busctl(false, &start_kim);
    assert!(!ok && out.contains("a doctor must approve"), "{out}");

    // Re-answering "no" as a member: refused by stimd, and sessions stay refused.
    let (ok, out) = busctl(false, &args(&answers(&[])));
    assert!(
        !ok && out.contains("only an administrator may change a \"yes\" to \"no\""),
        "{out}"
    );
    let (ok, out) = busctl(false, &start_kim);
    assert!(!ok && out.contains("a doctor must approve"), "{out}");
    // Adding a "yes" is anyone's.
    let (ok, out) = busctl(false, &args(&answers(&["implant", "epilepsy"])));
    assert!(ok, "{out}");

    // An administrator may clear them: then a member may start a session for kim.
    let (ok, out) = busctl(true, &args(&answers(&["epilepsy"])));
    assert!(ok, "administrator clears implant: {out}");
    let (ok, out) = busctl(false, &args(&answers(&[])));
    assert!(!ok, "epilepsy is still a member's to keep: {out}");
    // Root too.
    let c = Client::new(&bus).await;
    c.profiles
        .record_screening("kim", no_contraindications())
        .await
        .expect("root clears epilepsy");
    let (ok, out) = busctl(false, &start_kim);
    assert!(ok && out.starts_with("t "), "{out}");
    let (ok, out) = busctl(false, &stop);
    assert!(ok, "{out}");

    // Every answer, with who gave it, and the refusals are in the history.
    assert!(daemon.terminate().success());
    let db = rusqlite::Connection::open_with_flags(
        state.join("history.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let rows: Vec<(String, String)> = db
        .prepare("SELECT actor, change FROM profile_changes WHERE profile = 'kim' ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let has = |actor: &str, says: &str| rows.iter().any(|(a, ch)| a == actor && ch.contains(says));
    let nobody = format!("uid:{NOBODY}");
    let admin = format!("uid:{admin_uid}");
    assert!(
        has(&nobody, "contraindication check: yes to [implant]"),
        "{rows:?}"
    );
    assert!(has(&nobody, "refused contraindication check"), "{rows:?}");
    assert!(has(&nobody, "added yes [epilepsy]"), "{rows:?}");
    assert!(has(&admin, "cleared yes [implant]"), "{rows:?}");
    assert!(has("uid:0", "cleared yes [epilepsy]"), "{rows:?}");
    assert_eq!(
        rows.iter()
            .filter(|(_, ch)| ch.starts_with("refused"))
            .count(),
        2,
        "{rows:?}"
    );
}

const ADMIN_ONLY_USER: &str = "stimd-test-admonly";

/// The uid and gid of `stimd-test-admonly`, a user in `stimd-admin` only (the therapist of
/// docs/deploy.md, not an operator); made if missing.
fn admin_only_user() -> (String, String) {
    admin_tool(&["groupadd", "-f", "stimd-admin"], &[]);
    admin_tool(
        &[
            "useradd",
            "--no-create-home",
            "--gid",
            "stimd-admin",
            "--shell",
            "/usr/sbin/nologin",
            ADMIN_ONLY_USER,
        ],
        &[9],
    );
    let id = |flag: &str| {
        let out = Command::new("id")
            .args([flag, ADMIN_ONLY_USER])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let groups = id("-Gn");
    assert_eq!(
        groups, "stimd-admin",
        "{ADMIN_ONLY_USER} must be in stimd-admin only"
    );
    (id("-u"), id("-g"))
}

/// The four roles through the shipped policy and stimd's own check, on the same profile: a
/// stranger is refused by the bus; a member (operators' group only) by stimd, naming the
/// group; an administrator who is not an operator, and one who is both, change its limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_outside_the_operators_group_may_change_a_persons_limits() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run clients as other users and to add a user");
        return;
    }
    let users = gid_of("users").expect("group users exists on Debian");
    let (admin_only_uid, admin_only_gid) = admin_only_user();
    let both_uid = admin_user();
    let dir = TempDir::new("policy-roles");
    let bus = policy_bus(&dir.0);
    let _daemon = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    enum Role {
        Stranger,
        Member,
        AdminOnly,
        Both,
    }
    let busctl = |role: Role, rest: &[&str]| {
        let mut cmd = Command::new("setpriv");
        match role {
            Role::Stranger => cmd.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups"]),
            Role::Member => cmd.args(["--reuid", NOBODY, "--regid", NOBODY, "--groups", &users]),
            Role::AdminOnly => cmd.args([
                "--reuid",
                &admin_only_uid,
                "--regid",
                &admin_only_gid,
                "--init-groups",
            ]),
            Role::Both => cmd.args(["--reuid", &both_uid, "--regid", &users, "--init-groups"]),
        };
        cmd.arg("busctl")
            .arg(format!("--address={}", bus.address))
            .args(["call", "io.stimd.Stimd1", "/io/stimd/Stimd1"])
            .args(rest);
        run(&mut cmd)
    };
    let set_max = |ua: &'static str| -> Vec<&'static str> {
        vec![
            "io.stimd.Stimd1.Profiles",
            "Update",
            "sa{sv}",
            "kim",
            "1",
            "max_intensity_ua",
            "au",
            "2",
            ua,
            ua,
        ]
    };
    let (ok, out) = busctl(
        Role::AdminOnly,
        &["io.stimd.Stimd1.Profiles", "Create", "sa{sv}", "kim", "0"],
    );
    assert!(ok, "an administrator creates a profile: {out}");

    let (ok, out) = busctl(Role::Stranger, &set_max("9000"));
    assert!(!ok && out.contains("Access denied"), "stranger: {out}");
    let (ok, out) = busctl(Role::Member, &set_max("9000"));
    assert!(
        !ok && out.contains("stimd-admin"),
        "member: refused by stimd, naming the group: {out}"
    );
    let (ok, out) = busctl(Role::AdminOnly, &set_max("8000"));
    assert!(ok, "administrator only: {out}");
    let get = ["io.stimd.Stimd1.Profiles", "Get", "s", "kim"];
    let (ok, out) = busctl(Role::AdminOnly, &get);
    assert!(ok && out.contains("8000"), "the new maximum is kept: {out}");
    let (ok, out) = busctl(Role::Both, &set_max("7000"));
    assert!(ok, "member and administrator: {out}");
    let (ok, out) = busctl(Role::Member, &get);
    assert!(
        ok && out.contains("7000") && !out.contains("9000"),
        "a member reads it, and the refused changes changed nothing: {out}"
    );
}
