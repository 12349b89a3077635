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
         SRC_URI += \"\\\n{uris}\"\n\n{sums}"
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

const YOCTO_RECIPE_DIR: &str = "yocto/meta-stimd/recipes-support/stimd";

/// The value of the BitBake assignment `name = "…"` in `text`, continuation lines joined.
fn bb_value(text: &str, name: &str) -> String {
    let pat = format!("\n{name} = \"");
    let start = text
        .find(&pat)
        .unwrap_or_else(|| panic!("{name} is not set"))
        + pat.len();
    let rest = &text[start..];
    rest[..rest.find('"').expect("closing quote")].replace("\\\n", " ")
}

/// Words as a shell splits them, with '…' and "…" quoting (no escapes).
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    for c in s.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (_, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// A system account: name, home, comment, and every group it is in (the primary one too).
type Account = (String, String, String, std::collections::BTreeSet<String>);

/// The groups and users systemd/stimd.sysusers creates.
fn sysusers_accounts() -> (std::collections::BTreeSet<String>, Vec<Account>) {
    let text = read("systemd/stimd.sysusers");
    let mut groups = std::collections::BTreeSet::new();
    let mut users: Vec<Account> = Vec::new();
    let mut members = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let w = shell_words(line);
        match w.first().map(String::as_str) {
            Some("g") => {
                groups.insert(w[1].clone());
            }
            Some("u") => {
                // u NAME ID GECOS HOME: the primary group is the user's name.
                groups.insert(w[1].clone());
                let primary = [w[1].clone()].into_iter().collect();
                users.push((w[1].clone(), w[4].clone(), w[3].clone(), primary));
            }
            Some("m") => members.push((w[1].clone(), w[2].clone())),
            Some(other) => panic!("stimd.sysusers: unexpected line type {other}"),
            None => {}
        }
    }
    for (user, group) in members {
        let u = users
            .iter_mut()
            .find(|u| u.0 == user)
            .unwrap_or_else(|| panic!("m {user} {group}: no such user"));
        u.3.insert(group);
    }
    (groups, users)
}

/// The groups and users the recipe's GROUPADD_PARAM and USERADD_PARAM create.
fn yocto_accounts() -> (std::collections::BTreeSet<String>, Vec<Account>) {
    let recipe = read(&format!("{YOCTO_RECIPE_DIR}/stimd_git.bb"));
    let groups = bb_value(&recipe, "GROUPADD_PARAM:${PN}")
        .split(';')
        .filter_map(|cmd| shell_words(cmd).pop())
        .collect();
    let mut users = Vec::new();
    for cmd in bb_value(&recipe, "USERADD_PARAM:${PN}").split(';') {
        let mut w = shell_words(cmd);
        let Some(name) = w.pop() else { continue };
        let opt = |o: &str| {
            w.iter()
                .position(|x| x == o)
                .map(|i| w[i + 1].clone())
                .unwrap_or_else(|| panic!("useradd {name}: no {o}"))
        };
        assert!(
            opt("--shell").ends_with("/nologin"),
            "{name} gets a login shell"
        );
        let mut member_of: std::collections::BTreeSet<String> =
            opt("--groups").split(',').map(String::from).collect();
        member_of.insert(opt("--gid"));
        let (home, comment) = (opt("--home-dir"), opt("--comment"));
        let home = home.replace("${localstatedir}", "/var");
        users.push((name, home, comment, member_of));
    }
    (groups, users)
}

/// An image built with the layer has the accounts a sysusers-installed system has.
#[test]
fn yocto_recipe_creates_the_users_and_groups_of_sysusers() {
    let (groups, users) = sysusers_accounts();
    assert!(
        groups.contains("stimd-admin") && users.len() == 1,
        "{groups:?} {users:?}"
    );
    assert_eq!(yocto_accounts(), (groups, users));
}

/// SRCREV is a pinned commit (stimd-srcrev.inc, written by scripts/gen-yocto-crates.sh), and,
/// where the history is at hand, that commit locks exactly the crates stimd-crates.inc lists.
#[test]
fn yocto_srcrev_is_pinned_to_the_locked_crates() {
    let recipe = read(&format!("{YOCTO_RECIPE_DIR}/stimd_git.bb"));
    assert!(!recipe.contains("AUTOREV"), "the recipe follows a branch");
    assert!(recipe.contains("require ${BPN}-srcrev.inc"));
    assert!(
        !recipe.lines().any(|l| l.starts_with("SRCREV")),
        "SRCREV belongs in stimd-srcrev.inc"
    );
    let inc = read(&format!("{YOCTO_RECIPE_DIR}/stimd-srcrev.inc"));
    let revs: Vec<&str> = inc.lines().filter(|l| l.starts_with("SRCREV")).collect();
    let [line] = revs[..] else {
        panic!("stimd-srcrev.inc: {revs:?}")
    };
    let rev = line
        .strip_prefix("SRCREV = \"")
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or_else(|| panic!("stimd-srcrev.inc: {line}"));
    assert!(
        rev.len() == 40 && rev.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "SRCREV {rev} is not a commit id"
    );
    let pinned_lock = std::process::Command::new("git")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["show", &format!("{rev}:Cargo.lock")])
        .output();
    match pinned_lock {
        Ok(out) if out.status.success() => assert!(
            out.stdout == read("Cargo.lock").as_bytes(),
            "Cargo.lock differs from that of SRCREV {rev}: commit it, then run scripts/gen-yocto-crates.sh \
             and commit stimd-srcrev.inc"
        ),
        _ => eprintln!("commit {rev} not in a git history here; checked its form only"),
    }
}

/// Wrynose: S is the default (the git fetcher unpacks there), and cargo leaves the binaries
/// unstripped for the build system to strip and split.
#[test]
fn yocto_recipe_leaves_source_dir_and_stripping_to_the_build_system() {
    let recipe = read(&format!("{YOCTO_RECIPE_DIR}/stimd_git.bb"));
    assert!(
        !recipe
            .lines()
            .any(|l| l.starts_with("S =") || l.starts_with("S ?=")),
        "S is set"
    );
    assert!(
        !recipe.contains("${WORKDIR}"),
        "WORKDIR: use UNPACKDIR or S"
    );
    let cargo: toml::Table = toml::from_str(&read("Cargo.toml")).unwrap();
    if cargo["profile"]["release"].get("strip") != Some(&toml::Value::Boolean(false)) {
        assert!(
            recipe.contains("profile.release.strip=false"),
            "cargo strips the binaries"
        );
    }
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
    // Globs (completions, man pages: installed when the tree has them) name no file.
    let files: Vec<&str> = recipe
        .split("${S}/")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|f| !f.contains('*'))
        .collect();
    assert!(files.len() >= 6, "recipe installs {files:?}");
    for f in files {
        assert!(guide.contains(f), "docs/deploy.md does not install {f}");
    }
}
