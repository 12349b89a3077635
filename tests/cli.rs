//! The command lines of `stimd` and `stimctl`, run as a person or an integrator would.

mod common;

use common::*;
use std::process::Command;

fn stimd(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stimd"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run stimd");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn check_config_prints_the_effective_configuration() {
    let dir = TempDir::new("cli");
    let file = write_file(&dir.0, "stimd.toml", "[limits]\npeak_current_ua = 40000\n");
    let (code, out, err) = stimd(
        &["--config", file.to_str().unwrap(), "--check-config"],
        &[("STIMD__LIMITS__RISE_RATE_UA_PER_S", "1000")],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("peak_current_ua = 40000"), "{out}");
    assert!(out.contains("rise_rate_ua_per_s = 1000"), "{out}");
    assert!(out.contains("rms_current_ua = 50000"), "{out}");
}

#[test]
fn bad_config_stops_start_up_with_key_value_and_range() {
    let dir = TempDir::new("cli");
    let file = write_file(&dir.0, "stimd.toml", "[limits]\npeak_current_ua = 250000\n");
    let (code, _, err) = stimd(
        &[
            "--config",
            file.to_str().unwrap(),
            "--board",
            "sim",
            "--bus",
            "session",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("limits.peak_current_ua = 250000") && err.contains("1..=100000"),
        "{err}"
    );

    let empty = write_file(&dir.0, "empty.toml", "");
    let (code, _, err) = stimd(
        &["--config", empty.to_str().unwrap(), "--check-config"],
        &[("STIMD__ENGINE__LEAD_US", "soon")],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("engine.lead_us = soon") && err.contains("expected: an integer"),
        "{err}"
    );
}

#[test]
fn a_missing_config_file_named_on_the_command_line_stops_start_up() {
    for extra in [
        &["--check-config"][..],
        &["--board", "sim", "--bus", "session"][..],
    ] {
        let mut args = vec!["--config", "/nonexistent/stimd.toml"];
        args.extend_from_slice(extra);
        let (code, out, err) = stimd(&args, &[]);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.contains("configuration file /nonexistent/stimd.toml cannot be read")
                && err.contains("No such file or directory"),
            "{err}"
        );
    }
}

#[test]
fn a_directory_as_config_file_stops_start_up() {
    let dir = TempDir::new("cli");
    let (code, _, err) = stimd(
        &["--config", dir.0.to_str().unwrap(), "--check-config"],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(dir.0.to_str().unwrap())
            && err.contains("is not a regular file (a directory)"),
        "{err}"
    );
}

/// Runs as `nobody` (tests run as root): a root-only file must stop start-up, not be skipped.
#[test]
fn an_unreadable_config_file_stops_start_up() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let bin = env!("CARGO_BIN_EXE_stimd");
    let as_nobody = |args: &[&str]| {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", bin])
            .args(args)
            .env("STIMD_LOG", "info")
            .output()
    };
    // /proc/self belongs to the effective user.
    let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0);
    if root.ok() != Some(true) {
        eprintln!("SKIPPED an_unreadable_config_file_stops_start_up: not running as root");
        return;
    }
    match as_nobody(&["--version"]) {
        Ok(o) if o.status.success() => {}
        other => {
            eprintln!(
                "SKIPPED an_unreadable_config_file_stops_start_up: nobody cannot run {bin} \
                 through setpriv: {other:?}"
            );
            return;
        }
    }
    let dir = TempDir::new("cli-unreadable");
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = write_file(&dir.0, "stimd.toml", "[limits]\npeak_current_ua = 30000\n");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = as_nobody(&["--config", file.to_str().unwrap(), "--check-config"]).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(file.to_str().unwrap()) && err.contains("Permission denied"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn without_config_an_absent_default_file_means_defaults_and_says_so() {
    if std::path::Path::new("/etc/stimd/stimd.toml").exists() {
        eprintln!(
            "SKIPPED without_config_an_absent_default_file_means_defaults_and_says_so: \
             /etc/stimd/stimd.toml exists on this machine"
        );
        return;
    }
    let (code, out, err) = stimd(&["--check-config"], &[("STIMD_LOG", "info")]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("/etc/stimd/stimd.toml does not exist: using the built-in defaults"),
        "{err}"
    );
    assert!(
        out.contains("(no file: /etc/stimd/stimd.toml does not exist)")
            && out.contains("peak_current_ua = 60000"),
        "{out}"
    );
}

#[test]
fn a_string_for_an_integer_key_stops_start_up() {
    let dir = TempDir::new("cli");
    let file = write_file(
        &dir.0,
        "stimd.toml",
        "[limits]\npeak_current_ua = \"60000\"\n",
    );
    let (code, out, err) = stimd(&["--config", file.to_str().unwrap(), "--check-config"], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("limits.peak_current_ua = \"60000\"") && err.contains("expected: an integer"),
        "{err}"
    );
}

#[test]
fn an_exponent_from_the_environment_stops_start_up() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/stimd.toml");
    let (code, out, err) = stimd(
        &["--config", example, "--check-config"],
        &[("STIMD__LIMITS__PEAK_CURRENT_UA", "1e3")],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("limits.peak_current_ua = 1e3 (from STIMD__LIMITS__PEAK_CURRENT_UA)")
            && err.contains("expected: an integer"),
        "{err}"
    );
}

#[test]
fn a_lowered_peak_current_in_the_file_is_the_effective_one() {
    let dir = TempDir::new("cli");
    let file = write_file(&dir.0, "stimd.toml", "[limits]\npeak_current_ua = 30000\n");
    let (code, out, err) = stimd(&["--config", file.to_str().unwrap(), "--check-config"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("← {} ←", file.display())), "{out}");
    assert!(out.contains("peak_current_ua = 30000"), "{out}");
    assert!(!out.contains("peak_current_ua = 60000"), "{out}");
}

#[test]
fn example_config_checks_clean() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/stimd.toml");
    let (code, out, err) = stimd(&["--config", example, "--check-config"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("peak_current_ua = 60000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stimctl_drives_a_session() {
    let bus = Bus::start();
    let dir = TempDir::new("stimctl");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let stimctl = |args: &[&str]| {
        run(Command::new(env!("CARGO_BIN_EXE_stimctl"))
            .env("LC_ALL", "C.UTF-8")
            .arg("--bus")
            .arg(&bus.address)
            .args(args))
    };
    let (ok, out) = stimctl(&["status"]);
    assert!(ok && out.contains("state:     idle"), "{out}");
    let (ok, out) = stimctl(&["start", "low-back", "--intensity", "5", "--duration", "2"]);
    assert!(ok && out.contains("started"), "{out}");
    let (ok, out) = stimctl(&["set", "1", "75"]);
    assert!(
        ok && out
            .contains("target 60.0 mA (limited from 75.0 mA: the device's peak current limit)"),
        "{out}"
    );
    let (ok, out) = stimctl(&["set", "1", "150"]);
    assert!(!ok && out.contains("150 mA is out of range"), "{out}");
    let (ok, out) = stimctl(&["status"]);
    assert!(
        ok && out.contains("state:     running") && out.contains("channel 1:"),
        "{out}"
    );
    let (ok, out) = stimctl(&["start", "low-back"]);
    assert!(!ok && out.contains("AlreadyRunning"), "{out}");
    // Steps: one step is the device's intensity step (0.5 mA), down with a negative number.
    let (ok, out) = stimctl(&["set", "0", "5"]);
    assert!(ok, "{out}");
    let (ok, out) = stimctl(&["step", "0", "2"]);
    assert!(ok && out.contains("channel 0: target 6.0 mA"), "{out}");
    let (ok, out) = stimctl(&["step", "0", "-4"]);
    assert!(ok && out.contains("channel 0: target 4.0 mA"), "{out}");
    let (ok, out) = stimctl(&["pause"]);
    assert!(ok && out.contains("paused"), "{out}");
    let (ok, out) = stimctl(&["status"]);
    assert!(ok && out.contains("state:     paused"), "{out}");
    let (ok, out) = stimctl(&["resume"]);
    assert!(ok && out.contains("resumed"), "{out}");
    let (ok, out) = stimctl(&["status"]);
    assert!(ok && out.contains("state:     running"), "{out}");
    let (ok, _) = stimctl(&["stop"]);
    assert!(ok);
    let (ok, out) = stimctl(&["start", "moon-walk"]);
    assert!(
        !ok && out.contains("PROGRAM = \"moon-walk\"")
            && out.contains("known: low-back (Rug, Low back)"),
        "{out}"
    );
    let (ok, out) = stimctl(&["estop"]);
    assert!(ok && out.contains("output off"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stimctl_keeps_profiles_and_asks_the_questions() {
    let bus = Bus::start();
    let dir = TempDir::new("stimctl-profiles");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let stimctl = |args: &[&str]| {
        run(Command::new(env!("CARGO_BIN_EXE_stimctl"))
            .env("LC_ALL", "C.UTF-8")
            .arg("--bus")
            .arg(&bus.address)
            .args(args))
    };
    let (ok, out) = stimctl(&[
        "profile",
        "add",
        "anna",
        "--language",
        "nl",
        "--max",
        "20,15",
    ]);
    assert!(ok && out.contains("stimctl check --profile anna"), "{out}");
    let (ok, out) = stimctl(&["start", "low-back", "--profile", "anna"]);
    assert!(!ok && out.contains("Contraindicated"), "{out}");
    // stimctl's own words follow LANG (the questions are asked in the profile's language).
    let (ok, out) = stimctl(&["check", "--profile", "anna", "--answers", "no,ja,no,no,no"]);
    assert!(ok && out.contains("doctor approves"), "in English: {out}");
    let (ok, out) = stimctl(&["check", "--profile", "anna", "--answers", "no,no"]);
    assert!(!ok && out.contains("5 answers needed"), "{out}");
    let (ok, out) = stimctl(&["profile", "show", "anna"]);
    assert!(
        ok && out.contains("yes to epilepsy") && out.contains("20.0 mA, 15.0 mA"),
        "{out}"
    );
    let (ok, out) = stimctl(&[
        "start",
        "low-back",
        "--profile",
        "anna",
        "--placement",
        "chest",
    ]);
    // stimd answers in anna's language (nl).
    assert!(!ok && out.contains("nooit toegestaan"), "{out}");
    let (ok, out) = stimctl(&["advice", "--profile", "anna"]);
    assert!(
        ok && out.contains("nog te weinig gegevens voor anna"),
        "{out}"
    );
    let (ok, out) = stimctl(&["pads", "--replaced", "1"]);
    assert!(
        ok && out.contains("channel 1: new pads") && out.contains("channel 0: 0 sessions, 0 min"),
        "{out}"
    );
    let (ok, out) = stimctl(&["profiles"]);
    assert!(
        ok && out.contains("anna") && out.contains("default"),
        "{out}"
    );
}

/// `stimctl`'s exit codes, as its `--help` lists them: 0 done, 1 refused by stimd, 2 usage,
/// 3 `status` in fault, 4 stimd not reachable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stimctl_exit_codes_say_what_happened() {
    let bus = Bus::start();
    let dir = TempDir::new("stimctl-exit");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let code = |address: &str, args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_stimctl"))
            .env("LC_ALL", "C.UTF-8")
            .arg("--bus")
            .arg(address)
            .args(args)
            .output()
            .expect("stimctl runs");
        (
            out.status.code().expect("exited"),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let help = Command::new(env!("CARGO_BIN_EXE_stimctl"))
        .env("LC_ALL", "C.UTF-8")
        .arg("--help")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit codes: 0 done; 1 refused"));
    assert_eq!(code(&bus.address, &["status"]).0, 0);
    let (c, err) = code(&bus.address, &["stop"]);
    assert_eq!(c, 0, "stop without a session does nothing: {err}");
    let (c, err) = code(&bus.address, &["set", "0", "5"]);
    assert_eq!(c, 1, "refused by stimd (no session): {err}");
    let (c, err) = code(&bus.address, &["start", "moon-walk"]);
    assert_eq!(c, 2, "no program of that name or id: a usage error: {err}");
    let (c, err) = code(&bus.address, &["set", "0", "abc"]);
    assert_eq!(c, 2, "usage: {err}");
    let (c, err) = code(&bus.address, &["set", "0", "500"]);
    assert_eq!(c, 2, "out of range, checked before asking stimd: {err}");
    let (c, err) = code("unix:path=/nonexistent/bus", &["status"]);
    assert_eq!(c, 4, "no bus: {err}");

    // In fault: `status` prints it and exits 3.
    let client = Client::new(&bus).await;
    client.sim.inject_fault("overcurrent", 100).await.unwrap();
    client.wait_state("fault").await;
    let (c, err) = code(&bus.address, &["status"]);
    assert_eq!(c, 3, "status in fault: {err}");
}
