//! Checks the data files against the code: the D-Bus policy and activation files, the systemd
//! unit and the sysusers file name what exists and say what the design requires.

use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every value of `attr="…"` in `text`.
fn attr_values<'a>(text: &'a str, attr: &str) -> Vec<&'a str> {
    let pat = format!("{attr}=\"");
    text.match_indices(&pat)
        .filter_map(|(i, _)| {
            let rest = &text[i + pat.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

#[test]
fn policy_names_only_the_bus_and_interfaces_that_exist() {
    let policy = read("dbus/io.stimd.Stimd1.conf");
    let xml = read("dbus/io.stimd.Stimd1.xml");
    let served: Vec<&str> = attr_values(&xml, "interface name");
    assert!(
        served.contains(&"io.stimd.Stimd1.Device"),
        "introspection lists the Device interface"
    );
    for name in attr_values(&policy, "own")
        .into_iter()
        .chain(attr_values(&policy, "send_destination"))
    {
        assert_eq!(name, stimd::api::BUS_NAME);
    }
    for iface in attr_values(&policy, "send_interface") {
        assert!(
            served.contains(&iface),
            "policy names {iface}, which the daemon does not serve"
        );
    }
    // Everyone may call EmergencyStop; the sim-only interface is never allowed on the system bus.
    assert!(
        policy.contains(r#"send_interface="io.stimd.Stimd1.Device" send_member="EmergencyStop""#)
    );
    assert!(!policy.contains("io.stimd.Stimd1.Sim"));
    assert!(
        policy.contains(r#"<deny send_destination="io.stimd.Stimd1"/>"#),
        "deny by default"
    );
}

#[test]
fn activation_file_hands_over_to_the_unit() {
    let svc = read("dbus/io.stimd.Stimd1.service");
    assert!(svc.contains("Name=io.stimd.Stimd1"));
    assert!(svc.contains("SystemdService=stimd.service"));
}

#[test]
fn unit_has_the_required_keys_and_none_of_the_forbidden() {
    let unit = read("systemd/stimd.service");
    for key in [
        "Type=notify",
        "BusName=io.stimd.Stimd1",
        "WatchdogSec=",
        "Restart=on-failure",
        "User=stimd",
        "Group=stimd",
        "StateDirectory=stimd",
        "DevicePolicy=closed",
        "DeviceAllow=",
        "LimitRTPRIO=",
        "LimitMEMLOCK=",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "RestrictAddressFamilies=AF_UNIX",
        "IPAddressDeny=any",
        "SystemCallFilter=@system-service",
    ] {
        assert!(unit.lines().any(|l| l.starts_with(key)), "unit lacks {key}");
    }
    for key in ["RestrictRealtime=", "PrivateDevices="] {
        assert!(
            !unit.lines().any(|l| l.starts_with(key)),
            "unit must not set {key}"
        );
    }
}

#[test]
fn sysusers_creates_the_unit_user() {
    let users = read("systemd/stimd.sysusers");
    assert!(users.lines().any(|l| l.starts_with("u stimd ")));
    assert!(users.lines().any(|l| l.starts_with("g stimd ")));
    let admin = stimd::config::Config::default().care.admin_group;
    assert!(users.lines().any(|l| l.starts_with(&format!("g {admin} "))));
}

#[test]
fn unit_passes_systemd_analyze_verify_where_available() {
    let Ok(out) = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
    else {
        eprintln!("systemd-analyze not installed; skipping");
        return;
    };
    assert!(out.status.success());
    // verify wants ExecStart to exist: check a copy pointing at a binary that does.
    let dir = std::env::temp_dir().join(format!("stimd-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let unit = read("systemd/stimd.service").replace("/usr/bin/stimd", env!("CARGO_BIN_EXE_stimd"));
    let path = dir.join("stimd.service");
    std::fs::write(&path, unit).unwrap();
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.trim().is_empty(),
        "systemd-analyze verify: {err}"
    );
}

/// The shipped hardening scores an exposure of at most 1.0 in `systemd-analyze security
/// --offline=yes` (the VM test, scripts/vm-test.sh, shows the daemon still runs SCHED_FIFO
/// with locked memory under it).
#[test]
fn unit_exposure_is_at_most_one() {
    let version = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output();
    let Ok(version) = version else {
        eprintln!("systemd-analyze not installed; skipping");
        return;
    };
    let text = String::from_utf8_lossy(&version.stdout);
    let major: u32 = text
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        .unwrap_or(0);
    if major < 250 {
        eprintln!("systemd {major} has no `security --offline`; skipping");
        return;
    }
    let out = std::process::Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/stimd.service"))
        .output()
        .expect("systemd-analyze runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let exposure: f64 = text
        .lines()
        .find_map(|l| l.split("Overall exposure level for stimd.service:").nth(1))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no exposure in: {text}"));
    assert!(exposure <= 1.0, "exposure {exposure} > 1.0:\n{text}");
}

/// The Yocto crates include, as oe-core's cargo-update-recipe-crates writes it, from Cargo.lock.
fn yocto_crates_from_lock() -> String {
    let lock: toml::Table = toml::from_str(&read("Cargo.lock")).expect("Cargo.lock parses");
    let packages = lock
        .get("package")
        .and_then(|p| p.as_array())
        .expect("packages");
    let mut uris = String::new();
    let mut sums = String::new();
    for p in packages {
        let (Some(name), Some(version)) = (
            p.get("name").and_then(|v| v.as_str()),
            p.get("version").and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        let Some(sum) = p.get("checksum").and_then(|v| v.as_str()) else {
            continue; // the local package itself
        };
        uris.push_str(&format!("    crate://crates.io/{name}/{version} \\\n"));
        sums.push_str(&format!(
            "SRC_URI[{name}-{version}.sha256sum] = \"{sum}\"\n"
        ));
    }
    format!(
        "# Autogenerated from Cargo.lock by scripts/gen-yocto-crates.sh; do not edit.\n\n\
         SRC_URI += \" \\\n{uris}\"\n\n{sums}"
    )
}

#[test]
fn yocto_crates_include_matches_cargo_lock() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("yocto/meta-stimd/recipes-support/stimd/stimd-crates.inc");
    let want = yocto_crates_from_lock();
    if std::env::var_os("STIMD_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "stimd-crates.inc is stale: run scripts/gen-yocto-crates.sh"
    );
}

#[test]
fn yocto_recipe_installs_every_file_the_unit_and_policy_need() {
    let recipe = read("yocto/meta-stimd/recipes-support/stimd/stimd_git.bb");
    for f in [
        "systemd/stimd.service",
        "systemd/stimd.sysusers",
        "dbus/io.stimd.Stimd1.conf",
        "dbus/io.stimd.Stimd1.service",
        "dbus/io.stimd.Stimd1.xml",
        "examples/stimd.toml",
        "systemd/60-stimd.rules",
    ] {
        assert!(
            recipe.contains(&format!("${{S}}/{f}")),
            "recipe does not install {f}"
        );
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(f).exists(),
            "{f} missing"
        );
    }
    assert!(recipe.contains("inherit cargo"));
    assert!(recipe.contains("require ${BPN}-crates.inc"));
    let md5_line = recipe
        .lines()
        .find(|l| l.starts_with("LIC_FILES_CHKSUM"))
        .expect("LIC_FILES_CHKSUM");
    assert!(md5_line.contains("file://LICENSE;md5="), "{md5_line}");
}

/// The udev rule gives the device nodes to the groups the stimd user joins, and only those.
#[test]
fn udev_rule_grants_the_nodes_to_the_stimd_users_groups() {
    let rules = read("systemd/60-stimd.rules");
    let sysusers = read("systemd/stimd.sysusers");
    let groups: Vec<&str> = attr_values(&rules, "GROUP");
    assert_eq!(groups, ["spi", "gpio", "root"]);
    for g in &groups[..2] {
        assert!(
            sysusers.contains(&format!("m stimd {g}")),
            "stimd is not in {g}"
        );
    }
    assert!(rules.contains("KERNEL==\"spidev*\"") && rules.contains("KERNEL==\"gpiochip*\""));
    for line in rules
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        if line.contains("KERNEL==\"watchdog*\"") {
            // The watchdog is the stimd user's alone: not its operators' group.
            assert!(
                line.contains("OWNER=\"stimd\"") && line.contains("MODE=\"0600\""),
                "{line}"
            );
        } else {
            assert!(line.contains("MODE=\"0660\""), "{line}");
        }
    }
}

/// Every program example in docs/programs.md is accepted as written: whole files as they are,
/// single segments inside a minimal program.
#[test]
fn program_examples_in_the_docs_parse() {
    let doc = read("docs/programs.md");
    let limits = stimd::config::Config::default()
        .limits()
        .expect("default limits");
    let header = "id = \"doc\"\nkind = \"tens\"\n[name]\nnl = \"x\"\nen = \"x\"\n[summary]\nnl = \"\"\nen = \"\"\n";
    let mut checked = 0;
    for block in doc.split("```toml\n").skip(1) {
        let block = block.split("```").next().unwrap_or_default();
        let text = if block.contains("[name]") {
            block.to_string()
        } else {
            format!("{header}{block}")
        };
        if let Err(problems) = stimd::program::text::parse(&text, &limits) {
            panic!("docs/programs.md example does not parse: {problems:?}\n{block}");
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} examples found");
}

/// docs/deploy.md installs by hand what the Yocto recipe installs: every repository file the
/// recipe copies appears in the guide.
#[test]
fn deploy_guide_names_every_file_the_recipe_installs() {
    let recipe = read("yocto/meta-stimd/recipes-support/stimd/stimd_git.bb");
    let guide = read("docs/deploy.md");
    let files: Vec<&str> = recipe
        .split("${S}/")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    assert!(files.len() >= 6, "recipe installs {files:?}");
    for f in files {
        assert!(guide.contains(f), "docs/deploy.md does not install {f}");
    }
}
