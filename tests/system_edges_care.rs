//! Edge cases of what clients and files hand to stimd, through the real daemon and a real bus:
//! control characters (a NUL in a program name once made `Programs.List` send an invalid
//! message, and the bus disconnected the daemon), oversized input, and changes that cannot be
//! written durably (refused with `StorageFailed`; the old value stays in force, also after a
//! restart; no temporary file is left behind).

mod common;

use common::*;
use std::collections::HashMap;
use std::path::Path;
use zbus::zvariant::{OwnedValue, Value};

fn program_toml(id: &str, name_nl: &str) -> String {
    format!(
        "id = \"{id}\"\nkind = \"tens\"\n\n[name]\nnl = \"{name_nl}\"\nen = \"Test\"\n\n[summary]\nnl = \"\"\nen = \"\"\n\n[[segments]]\nmode = \"conventional\"\nrate_hz = 100\nphase_us = 150\n"
    )
}

fn ua(v: Vec<u32>) -> OwnedValue {
    Value::from(v).try_into().unwrap()
}

fn settings(pairs: Vec<(&str, OwnedValue)>) -> HashMap<String, OwnedValue> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn unlimited() -> Vec<(&'static str, OwnedValue)> {
    vec![
        ("sessions_per_day", 0u32.into()),
        ("minutes_per_day", 0u32.into()),
        ("min_gap_minutes", 0u32.into()),
    ]
}

async fn owns_its_name(c: &Client) -> bool {
    let dbus = zbus::fdo::DBusProxy::new(&c.conn).await.unwrap();
    dbus.name_has_owner("io.stimd.Stimd1".try_into().unwrap())
        .await
        .unwrap()
}

fn assert_invalid(e: &stimd::api::StimdError, says: &[&str]) {
    assert_eq!(
        error_name(e),
        "io.stimd.Stimd1.Error.InvalidArgument",
        "{e}"
    );
    for s in says {
        assert!(e.message().contains(s), "wanted {s:?} in: {}", e.message());
    }
}

fn assert_storage_failed(e: &stimd::api::StimdError) {
    assert_eq!(error_name(e), "io.stimd.Stimd1.Error.StorageFailed", "{e}");
    assert!(e.message().contains("nothing changed"), "{}", e.message());
}

/// Every temporary file left in `dir` (none may be).
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_in_a_program_name_is_refused_with_the_key_and_the_daemon_stays_on_the_bus() {
    let dir = TempDir::new("edge-nul");
    let bus = Bus::start();
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let c = Client::new(&bus).await;

    let e = c
        .programs
        .add(&program_toml("evil", "a\\u0000b"))
        .await
        .unwrap_err();
    assert_invalid(&e, &["name.nl = \"a\\0b\" contains U+0000", "allowed:"]);
    // Other control characters, as TOML escapes and raw in the text.
    let e = c
        .programs
        .add(&program_toml("evil", "a\\u001b[2Jb"))
        .await
        .unwrap_err();
    assert_invalid(&e, &["name.nl = \"a\\u{1b}[2Jb\" contains U+001B"]);
    let e = c
        .programs
        .add(&program_toml("evil", "a\u{1}b"))
        .await
        .unwrap_err();
    assert_invalid(
        &e,
        &["program_toml: program text contains U+0001 on line 5"],
    );
    let e = c
        .programs
        .add(&program_toml("evil", &"k".repeat(65)))
        .await
        .unwrap_err();
    assert_invalid(&e, &["name.nl = ", "longer than 64 characters"]);

    // Nothing was stored; the list is served and stimd still owns its name.
    for _ in 0..3 {
        assert_eq!(c.programs.list().await.unwrap().len(), 10);
    }
    assert!(owns_its_name(&c).await);
    assert_eq!(c.device.state().await.unwrap(), "idle");
    assert!(!dir.0.join("state/programs/evil.toml").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_program_file_with_a_nul_is_skipped_at_start_up_and_never_served() {
    let dir = TempDir::new("edge-planted");
    let state = dir.0.join("state");
    std::fs::create_dir_all(state.join("programs")).unwrap();
    write_file(
        &state.join("programs"),
        "evil.toml",
        &program_toml("evil", "a\\u0000b"),
    );
    write_file(
        &state.join("programs"),
        "fine.toml",
        &program_toml("fine", "Prima"),
    );
    let bus = Bus::start();
    let d = Daemon::start(&bus, &state, &dir.0.join("t.csv")).await;
    let c = Client::new(&bus).await;

    let list = c.programs.list().await.unwrap();
    let ids: Vec<&str> = list.iter().map(|p| p.0.as_str()).collect();
    assert!(ids.contains(&"fine") && !ids.contains(&"evil"), "{ids:?}");
    let e = c.programs.get("evil").await.unwrap_err();
    assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.UnknownProgram");
    let e = c
        .session
        .start("evil", Default::default())
        .await
        .unwrap_err();
    assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.UnknownProgram");
    assert!(owns_its_name(&c).await);
    assert_eq!(c.programs.list().await.unwrap().len(), 11);
    let log = d.log_text();
    let warning = log
        .lines()
        .find(|l| l.contains("evil.toml"))
        .unwrap_or_else(|| panic!("no warning naming the file:\n{log}"));
    assert!(
        warning.contains("WARN") && warning.contains("name.nl = \"a\\0b\" contains U+0000"),
        "{warning}"
    );
    // The file stays for inspection; it is not served after another restart either.
    assert!(state.join("programs/evil.toml").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_and_oversized_arguments_of_profiles_are_refused_with_the_key() {
    let dir = TempDir::new("edge-profile-text");
    let bus = Bus::start();
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let c = Client::new(&bus).await;

    let e = c
        .profiles
        .create("an\u{1}na", HashMap::new())
        .await
        .unwrap_err();
    assert_invalid(&e, &["name = \"an\\u{1}na\" contains U+0001"]);
    let e = c
        .profiles
        .create("anna\u{1b}[31m", HashMap::new())
        .await
        .unwrap_err();
    assert_invalid(&e, &["name = \"anna\\u{1b}[31m\" contains U+001B"]);
    let e = c
        .profiles
        .create(&"a".repeat(100), HashMap::new())
        .await
        .unwrap_err();
    assert_invalid(&e, &["name = ", "longer than 64 characters"]);
    let e = c
        .profiles
        .create(
            "anna",
            settings(vec![(
                "language",
                Value::from("n\u{7}l").try_into().unwrap(),
            )]),
        )
        .await
        .unwrap_err();
    assert_invalid(&e, &["language = \"n\\u{7}l\""]);
    let e = c
        .profiles
        .create(
            "anna",
            settings(vec![("max_intensity_ua", ua(vec![1_000, 1_000, 1_000]))]),
        )
        .await
        .unwrap_err();
    assert_invalid(&e, &["max_intensity_ua has 3 values (allowed: at most 2"]);
    let many: HashMap<String, OwnedValue> = (0..12)
        .map(|i| (format!("k{i}"), OwnedValue::from(0u32)))
        .collect();
    let e = c.profiles.create("anna", many).await.unwrap_err();
    assert_invalid(&e, &["settings has 12 entries (allowed: at most 11"]);
    let e = c
        .profiles
        .create(
            "anna",
            settings(vec![("bogus\u{1}key", OwnedValue::from(0u32))]),
        )
        .await
        .unwrap_err();
    assert_invalid(&e, &["unknown setting \"bogus\\u{1}key\""]);
    let mut answers = no_contraindications();
    answers.insert("extra".into(), false);
    let e = c
        .profiles
        .record_screening("default", answers)
        .await
        .unwrap_err();
    assert_invalid(&e, &["answers has 6 entries (allowed: at most 5"]);

    c.profiles.create("anna", HashMap::new()).await.unwrap();
    let mut answers = no_contraindications();
    answers.insert("implant".into(), true);
    c.profiles.record_screening("anna", answers).await.unwrap();
    let e = c
        .profiles
        .approve("anna", "dr. X\u{1b}]0;owned\u{7}")
        .await
        .unwrap_err();
    assert_invalid(
        &e,
        &["note = \"dr. X\\u{1b}]0;owned\\u{7}\" contains U+001B"],
    );
    let e = c
        .profiles
        .approve("anna", "dr. X\nsecond line")
        .await
        .unwrap_err();
    assert_invalid(&e, &["note = ", "contains U+000A"]);
    let e = c
        .profiles
        .approve("anna", &"x".repeat(201))
        .await
        .unwrap_err();
    assert_invalid(&e, &["longer than 200 characters"]);
    let got = c.profiles.get("anna").await.unwrap();
    assert!(!get::<bool>(&got, "approved"), "nothing changed");
    let names: Vec<String> = c
        .profiles
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.0)
        .collect();
    assert_eq!(names, ["anna", "default"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_program_file_is_refused_with_its_size() {
    let dir = TempDir::new("edge-big");
    let bus = Bus::start();
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let c = Client::new(&bus).await;
    let big = format!(
        "{}# {}\n",
        program_toml("big", "Groot"),
        "x".repeat(100 * 1024)
    );
    let e = c.programs.add(&big).await.unwrap_err();
    assert_invalid(
        &e,
        &[&format!(
            "program text is {} bytes (allowed: at most 16384 bytes)",
            big.len()
        )],
    );
    assert_eq!(c.programs.list().await.unwrap().len(), 10);
}

/// Changes whose file cannot be written: the call fails with `StorageFailed`, nothing changes,
/// and the old values are what a restart finds. Root is not stopped by file modes, so the
/// writes are made to fail by what stands where the files go: a non-empty directory in place
/// of the temporary file (the old file stays untouched), or in place of a new file (the rename
/// fails; the temporary file is removed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_that_cannot_be_stored_are_refused_and_the_old_values_stay() {
    retry_on_timing_trip("edge-storage", |dir| async move {
        let bus = Bus::start();
        let state = dir.join("state");
        let profiles = state.join("profiles");
        let mut daemon = Daemon::start(&bus, &state, &dir.join("t1.csv")).await;
        let c = Client::new(&bus).await;
        let mut s = unlimited();
        s.push(("max_intensity_ua", ua(vec![20_000, 20_000])));
        c.profiles.create("anna", settings(s)).await.unwrap();
        c.profiles
            .record_screening("anna", no_contraindications())
            .await
            .unwrap();
        // One session, so the pads have a count to keep.
        c.session.start("neck", Default::default()).await.unwrap();
        c.session.stop().await.unwrap();
        let deadline = std::time::Instant::now() + DEADLINE;
        while c.device.pads().await.unwrap()[0].0 != 1 {
            assert!(std::time::Instant::now() < deadline, "pads not counted");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }

        let block = |path: &Path| std::fs::create_dir_all(path.join("blocker")).unwrap();
        block(&profiles.join(".anna.toml.tmp"));
        block(&profiles.join("lou.toml"));
        block(&state.join("programs").join("mine.toml"));
        block(&state.join(".pads.toml.tmp"));

        // A person's maximum: refused, still 20 mA in Get and in a session.
        let e = c
            .profiles
            .update(
                "anna",
                settings(vec![("max_intensity_ua", ua(vec![40_000, 40_000]))]),
            )
            .await
            .unwrap_err();
        assert_storage_failed(&e);
        let got = c.profiles.get("anna").await.unwrap();
        assert_eq!(get::<Vec<u32>>(&got, "max_intensity_ua"), [20_000, 20_000]);
        c.session
            .start(
                "neck",
                opts(vec![
                    ("profile", Value::from("anna")),
                    ("intensity", Value::from(vec![30_000u32, 30_000])),
                ]),
            )
            .await
            .unwrap();
        assert_eq!(c.session.target().await.unwrap(), [20_000, 20_000]);
        c.device.emergency_stop().await.unwrap();

        // Answers and approvals likewise.
        let mut answers = no_contraindications();
        answers.insert("implant".into(), true);
        let e = c
            .profiles
            .record_screening("anna", answers)
            .await
            .unwrap_err();
        assert_storage_failed(&e);
        let got = c.profiles.get("anna").await.unwrap();
        assert!(get::<Vec<String>>(&got, "answered_yes").is_empty());

        // A new profile and a new program: refused, not served, no temporary file left.
        let e = c.profiles.create("lou", HashMap::new()).await.unwrap_err();
        assert_storage_failed(&e);
        assert!(c.profiles.get("lou").await.is_err());
        let e = c
            .programs
            .add(&program_toml("mine", "Mijn"))
            .await
            .unwrap_err();
        assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.StorageFailed", "{e}");
        assert!(e.message().contains("it was not added"), "{e}");
        assert!(c.programs.get("mine").await.is_err());
        assert_eq!(c.programs.list().await.unwrap().len(), 10);
        assert_eq!(temporaries(&state.join("programs")), Vec::<String>::new());
        assert_eq!(
            temporaries(&profiles),
            [".anna.toml.tmp"],
            "only the blocker"
        );

        // New pads: refused, the old counts stay. (The session just ended was counted in
        // memory only: counting at a session's end is best effort, logged when not stored.)
        let before = c.device.pads().await.unwrap()[0].0;
        assert!(before >= 1);
        let e = c.device.pads_replaced(0).await.unwrap_err();
        assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.StorageFailed", "{e}");
        assert!(
            e.message()
                .contains("pad counts of channel 0 are unchanged"),
            "{e}"
        );
        assert_eq!(c.device.pads().await.unwrap()[0].0, before);

        // After a restart: the old values.
        assert!(daemon.terminate().success());
        let _d = Daemon::start(&bus, &state, &dir.join("t2.csv")).await;
        let c = Client::new(&bus).await;
        let got = c.profiles.get("anna").await.unwrap();
        assert_eq!(get::<Vec<u32>>(&got, "max_intensity_ua"), [20_000, 20_000]);
        assert!(get::<Vec<String>>(&got, "answered_yes").is_empty());
        assert!(c.profiles.get("lou").await.is_err());
        assert!(c.programs.get("mine").await.is_err());
        assert_eq!(c.device.pads().await.unwrap()[0].0, 1);
    })
    .await;
}

/// Unmounts a tmpfs on drop.
struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// The case found on the board: a person's maximum updated on a full disk. Needs root with
/// the right to mount a tmpfs; skipped (saying so) elsewhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maximum_set_on_a_full_disk_is_refused_and_the_old_one_holds_after_a_restart() {
    retry_on_timing_trip("edge-full", |dir| async move {
        let state = dir.join("state");
        let profiles = state.join("profiles");
        std::fs::create_dir_all(&profiles).unwrap();
        let (ok, out) = run(std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(&profiles));
        if !ok {
            eprintln!("skipped: cannot mount a small tmpfs here: {out}");
            return;
        }
        let _mount = Mount(profiles.clone());
        let bus = Bus::start();
        let mut daemon = Daemon::start(&bus, &state, &dir.join("t1.csv")).await;
        let c = Client::new(&bus).await;
        let mut s = unlimited();
        s.push(("max_intensity_ua", ua(vec![20_000, 20_000])));
        c.profiles.create("anna", settings(s)).await.unwrap();
        c.profiles
            .record_screening("anna", no_contraindications())
            .await
            .unwrap();
        // Fill the disk.
        let filler = profiles.join("filler");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&filler).unwrap();
            while f.write_all(&[0u8; 4096]).is_ok() {}
        }
        let e = c
            .profiles
            .update(
                "anna",
                settings(vec![("max_intensity_ua", ua(vec![45_000, 45_000]))]),
            )
            .await
            .unwrap_err();
        assert_storage_failed(&e);
        assert!(e.message().contains("No space left"), "{e}");
        assert_eq!(temporaries(&profiles), Vec::<String>::new());
        let got = c.profiles.get("anna").await.unwrap();
        assert_eq!(get::<Vec<u32>>(&got, "max_intensity_ua"), [20_000, 20_000]);
        c.session
            .start(
                "neck",
                opts(vec![
                    ("profile", Value::from("anna")),
                    ("intensity", Value::from(vec![30_000u32, 30_000])),
                ]),
            )
            .await
            .unwrap();
        assert_eq!(c.session.target().await.unwrap(), [20_000, 20_000]);
        c.device.emergency_stop().await.unwrap();

        // Space again, a restart: the old maximum.
        assert!(daemon.terminate().success());
        std::fs::remove_file(&filler).unwrap();
        let _d = Daemon::start(&bus, &state, &dir.join("t2.csv")).await;
        let c = Client::new(&bus).await;
        let got = c.profiles.get("anna").await.unwrap();
        assert_eq!(get::<Vec<u32>>(&got, "max_intensity_ua"), [20_000, 20_000]);
    })
    .await;
}
