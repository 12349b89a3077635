use super::*;
use std::io::Write;

fn load_str(toml: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut f = tempfile();
    f.1.write_all(toml.as_bytes()).unwrap();
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    let r = Config::load(&f.0, FileRule::Required, env);
    let _ = std::fs::remove_file(&f.0);
    r
}

fn tempfile() -> (std::path::PathBuf, std::fs::File) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let p = std::env::temp_dir().join(format!(
        "stimd-cfg-{}-{}.toml",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let f = std::fs::File::create(&p).unwrap();
    (p, f)
}

#[test]
fn defaults_are_valid_and_a_missing_optional_file_is_fine() {
    let c = Config::load(
        Path::new("/nonexistent/stimd.toml"),
        FileRule::Optional,
        Vec::new(),
    )
    .unwrap();
    assert_eq!(c, Config::default());
}

#[test]
fn file_overrides_defaults_and_env_overrides_file() {
    let c = load_str(
        "[limits]\npeak_current_ua = 40000\nrise_rate_ua_per_s = 1000\n",
        &[("STIMD__LIMITS__PEAK_CURRENT_UA", "30000"), ("OTHER", "x")],
    )
    .unwrap();
    assert_eq!(c.limits.peak_current_ua, 30_000);
    assert_eq!(c.limits.rise_rate_ua_per_s, 1_000);
    assert_eq!(c.limits.rms_current_ua, 50_000);
}

#[test]
fn value_above_ceiling_names_key_value_and_range() {
    let e = load_str("[limits]\npeak_current_ua = 150000\n", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("limits.peak_current_ua = 150000"), "{e}");
    assert!(e.contains("1..=100000"), "{e}");
}

#[test]
fn env_above_ceiling_is_refused() {
    let e = load_str("", &[("STIMD__LIMITS__RISE_RATE_UA_PER_S", "9000")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("limits.rise_rate_ua_per_s = 9000"), "{e}");
    assert!(e.contains("1..=5000"), "{e}");
}

#[test]
fn every_problem_is_listed() {
    let e = load_str(
        "[limits]\ncharge_per_phase_nc = 50000\nmax_rate_hz = 250.0\nsession_max_min = 200\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    for key in [
        "limits.charge_per_phase_nc",
        "limits.max_rate_hz",
        "limits.session_max_min",
    ] {
        assert!(e.contains(key), "{key} missing in {e}");
    }
}

#[test]
fn unknown_key_is_refused_by_name() {
    let e = load_str("[limits]\npeak_curent_ua = 1\n", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("peak_curent_ua"), "{e}");
}

#[test]
fn wrong_type_is_refused() {
    let e = load_str("[limits]\npeak_current_ua = \"lots\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("peak_current_ua"), "{e}");
}

#[test]
fn nan_and_inverted_ranges_are_refused() {
    let mut c = Config::default();
    c.electrodes.area_cm2 = f64::NAN;
    c.limits.min_phase_width_us = 300;
    c.limits.max_phase_width_us = 200;
    let e = c.validate().unwrap_err().to_string();
    assert!(e.contains("electrodes.area_cm2"), "{e}");
    assert!(e.contains("limits.max_phase_width_us = 200"), "{e}");
}

#[test]
fn example_file_is_valid_and_equals_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/stimd.toml");
    let c = Config::load(&path, FileRule::Required, Vec::new()).unwrap();
    assert_eq!(c, Config::default());
}

#[test]
fn linux_board_settings_are_checked() {
    let e = load_str(
        "[linux]\nspi_mode = 1\ndac = \"ad5668\"\ncontact0 = 17\nactive_low = [\"reset\"]\nspi_device = \"spidev0.0\"\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    for want in [
        "linux.spi_mode = 1 is out of range (allowed: 0 or 3 for linux.dac = \"ad5668\")",
        "linux.dac = \"ad5668\"",
        "linux.lines = hv_enable = contact0 = 17",
        "linux.active_low = \"reset\"",
        "linux.spi_device = \"spidev0.0\"",
    ] {
        assert!(e.contains(want), "{want:?} missing in {e}");
    }
}

#[test]
fn battery_thresholds_are_checked() {
    let e = load_str(
        "[battery]\nlow_percent = 10\ncritical_percent = 20\nsupply = \"../BAT0\"\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("battery.critical_percent = 20 is out of range (allowed: 0..=10)"),
        "{e}"
    );
    assert!(e.contains("battery.supply = \"../BAT0\""), "{e}");
}

#[test]
fn watchdog_and_history_keys_are_checked() {
    let e = load_str(
        "[watchdog]\ndevice = \"watchdog\"\ntimeout_s = 1\n[history]\ndetail_days = 99999\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("watchdog.timeout_s = 1") && e.contains("2..=60"),
        "{e}"
    );
    assert!(e.contains("watchdog.device = \"watchdog\""), "{e}");
    assert!(
        e.contains("history.detail_days = 99999") && e.contains("0..=36500"),
        "{e}"
    );
}

#[test]
fn the_dac8552_needs_spi_mode_1_or_2() {
    let e = load_str("[linux]\ndac = \"dac8552\"\nspi_mode = 0\n", &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "linux.spi_mode = 0 is out of range (allowed: 1 or 2 for linux.dac = \"dac8552\")"
        ),
        "{e}"
    );
    let c = load_str("[linux]\ndac = \"dac8552\"\nspi_mode = 1\n", &[]).unwrap();
    assert_eq!((c.linux.dac.as_str(), c.linux.spi_mode), ("dac8552", 1));
}

#[test]
fn raspberry_pi_example_is_valid_and_names_its_lines() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/board-rpi4.toml");
    let c = Config::load(&path, FileRule::Required, Vec::new()).unwrap();
    assert_eq!(c.linux.hv_enable, LineSpec::Name("GPIO17".into()));
    assert!(c.linux.button_stop.is_fitted());
    assert_eq!(c.watchdog.device, "/dev/watchdog");
}

#[test]
fn lines_by_offset_or_name_buttons_optional_and_checked() {
    let c = load_str(
        "[linux]\nhv_enable = \"GPIO17\"\nbutton_up = 5\nbutton_stop = \"GPIO13\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(c.linux.hv_enable, LineSpec::Name("GPIO17".into()));
    assert_eq!(c.linux.button_up, LineSpec::Offset(5));
    assert!(!c.linux.button_down.is_fitted());
    let c = load_str(
        "[linux]\nhv_enable = { chip = \"/dev/gpiochip1\", offset = 17 }\n",
        &[],
    )
    .unwrap();
    let at = LineSpec::At {
        chip: "/dev/gpiochip1".into(),
        offset: 17,
    };
    assert_eq!(c.linux.hv_enable, at);
    assert!(at.same_line(&LineSpec::Offset(17), "/dev/gpiochip1"));
    assert!(!at.same_line(&LineSpec::Offset(17), "/dev/gpiochip0"));
    // From the environment, a number is an offset.
    let c = load_str("", &[("STIMD__LINUX__INTERLOCK", "4")]).unwrap();
    assert_eq!(c.linux.interlock, LineSpec::Offset(4));

    let e = load_str(
        "[linux]\nhv_enable = \"\"\nbutton_up = \"GPIO5\"\nbutton_down = \"GPIO5\"\n\
         button_stop = 27\ncontact1 = { chip = \"/dev/gpiochip0\", offset = 24 }\n[buttons]\ndebounce_ms = 1\nchannels = [2]\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    for want in [
        "linux.hv_enable = \"\" is out of range (allowed: a line offset or name (this line is required))",
        "linux.lines = button_up = button_down = \"GPIO5\"",
        "linux.lines = interlock = button_stop = 27",
        "linux.lines = contact1 = overcurrent = /dev/gpiochip0 offset 24",
        "buttons.debounce_ms = 1 is out of range (allowed: 5..=200)",
        "buttons.channels = 2 is out of range (allowed: 0..=1)",
    ] {
        assert!(e.contains(want), "missing {want:?} in:\n{e}");
    }
}

fn env_err(var: &str, value: &str) -> String {
    load_str("", &[(var, value)]).unwrap_err().to_string()
}

#[test]
fn a_missing_required_file_is_refused_naming_path_and_os_error() {
    let e = Config::load(
        Path::new("/nonexistent/stimd.toml"),
        FileRule::Required,
        Vec::new(),
    )
    .unwrap_err();
    assert!(matches!(e, ConfigError::Read { .. }), "{e:?}");
    let e = e.to_string();
    assert!(e.contains("/nonexistent/stimd.toml"), "{e}");
    assert!(e.contains("No such file or directory"), "{e}");
}

#[test]
fn a_directory_as_config_file_is_refused_required_or_not() {
    let dir = std::env::temp_dir();
    for rule in [FileRule::Required, FileRule::Optional] {
        let e = Config::load(&dir, rule, Vec::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&dir.display().to_string())
                && e.contains("not a regular file (a directory)"),
            "{e}"
        );
    }
}

#[test]
fn a_fifo_as_config_file_is_refused_without_blocking() {
    let (p, f) = tempfile();
    drop(f);
    let _ = std::fs::remove_file(&p);
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    assert!(crate::sys::mkfifo(&c).is_ok());
    let e = Config::load(&p, FileRule::Required, Vec::new())
        .unwrap_err()
        .to_string();
    let _ = std::fs::remove_file(&p);
    assert!(e.contains("not a regular file (a FIFO)"), "{e}");
}

#[test]
fn a_string_for_an_integer_key_in_the_file_is_refused() {
    let e = load_str("[limits]\npeak_current_ua = \"60000\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("limits.peak_current_ua = \"60000\"")
            && e.contains("wrong type (expected: an integer)"),
        "{e}"
    );
}

#[test]
fn a_float_for_an_integer_key_in_the_file_is_refused() {
    let e = load_str("[limits]\npeak_current_ua = 50000.5\n", &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("limits.peak_current_ua = 50000.5") && e.contains("expected: an integer"),
        "{e}"
    );
}

#[test]
fn an_exponent_for_an_integer_key_in_the_file_is_refused() {
    let e = load_str("[limits]\npeak_current_ua = 3e4\n", &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("limits.peak_current_ua = 3e4") && e.contains("expected: an integer"),
        "{e}"
    );
}

#[test]
fn a_negative_or_too_large_integer_is_refused_with_its_range() {
    let e = load_str(
        "[limits]\npeak_current_ua = -5\n[linux]\nspi_mode = 256\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("limits.peak_current_ua = -5") && e.contains("an integer 0..=4294967295"),
        "{e}"
    );
    assert!(
        e.contains("linux.spi_mode = 256") && e.contains("an integer 0..=255"),
        "{e}"
    );
}

#[test]
fn a_number_for_a_string_key_is_refused() {
    let e = load_str("[device]\nlocale = 5\n", &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("device.locale = 5") && e.contains("expected: a string"),
        "{e}"
    );
}

#[test]
fn an_integer_for_a_number_key_is_accepted() {
    let c = load_str(
        "[electrodes]\narea_cm2 = 30\n[limits]\nmax_rate_hz = 100\n",
        &[],
    )
    .unwrap();
    assert_eq!(c.electrodes.area_cm2, 30.0);
    assert_eq!(c.limits.max_rate_hz, 100.0);
    let c = load_str("", &[("STIMD__ELECTRODES__AREA_CM2", "30")]).unwrap();
    assert_eq!(c.electrodes.area_cm2, 30.0);
}

#[test]
fn unknown_sections_and_wrong_shapes_are_refused_by_name() {
    let e = load_str("limits = 5\n[limitz]\npeak_current_ua = 1\n", &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("limits = 5") && e.contains("expected: a table"),
        "{e}"
    );
    assert!(
        e.contains("limitz") && e.contains("is not a configuration key (sections:"),
        "{e}"
    );
    let e = load_str(
        "[buttons]\nchannels = [\"0\"]\n[linux]\nactive_low = [1]\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("buttons.channels"), "{e}");
    assert!(e.contains("linux.active_low"), "{e}");
}

#[test]
fn a_valid_file_loads_with_its_values_lists_and_lines() {
    let c = load_str(
        "[limits]\npeak_current_ua = 30000\nmax_rate_hz = 120.5\n[device]\nlocale = \"en\"\n\
         [buttons]\nchannels = [1]\n[linux]\nactive_low = [\"overcurrent\"]\nbutton_up = 5\n\
         button_stop = \"GPIO13\"\ncontact1 = { chip = \"/dev/gpiochip1\", offset = 3 }\n",
        &[],
    )
    .unwrap();
    assert_eq!(c.limits.peak_current_ua, 30_000);
    assert_eq!(c.limits.max_rate_hz, 120.5);
    assert_eq!(c.limits.rms_current_ua, 50_000);
    assert_eq!(c.device.locale, "en");
    assert_eq!(c.buttons.channels, vec![1]);
    assert_eq!(c.linux.active_low, vec!["overcurrent".to_string()]);
    assert_eq!(c.linux.button_up, LineSpec::Offset(5));
    assert_eq!(c.linux.button_stop, LineSpec::Name("GPIO13".into()));
    assert_eq!(
        c.linux.contact1,
        LineSpec::At {
            chip: "/dev/gpiochip1".into(),
            offset: 3
        }
    );
}

#[test]
fn an_exponent_for_an_integer_key_in_the_environment_is_refused() {
    let e = env_err("STIMD__LIMITS__PEAK_CURRENT_UA", "1e3");
    assert!(
        e.contains("limits.peak_current_ua = 1e3 (from STIMD__LIMITS__PEAK_CURRENT_UA)")
            && e.contains("expected: an integer"),
        "{e}"
    );
}

#[test]
fn a_float_or_word_for_an_integer_key_in_the_environment_is_refused() {
    for value in ["50000.5", "60000 ", "0x10", "lots", ""] {
        let e = env_err("STIMD__LIMITS__PEAK_CURRENT_UA", value);
        assert!(
            e.contains("limits.peak_current_ua") && e.contains("expected: an integer"),
            "{value:?}: {e}"
        );
    }
    let c = load_str("", &[("STIMD__LIMITS__PEAK_CURRENT_UA", "+30000")]).unwrap();
    assert_eq!(c.limits.peak_current_ua, 30_000);
}

#[test]
fn a_bad_number_in_the_environment_is_refused() {
    for value in ["inf", "NaN", "fast", "1.5.2"] {
        let e = env_err("STIMD__LIMITS__MAX_RATE_HZ", value);
        assert!(
            e.contains("limits.max_rate_hz") && e.contains("expected: a number"),
            "{value:?}: {e}"
        );
    }
    let c = load_str("", &[("STIMD__LIMITS__MAX_RATE_HZ", "1.2e2")]).unwrap();
    assert_eq!(c.limits.max_rate_hz, 120.0);
}

#[test]
fn a_string_key_from_the_environment_stays_a_string() {
    let c = load_str("", &[("STIMD__CARE__ADMIN_GROUP", "007")]).unwrap();
    assert_eq!(c.care.admin_group, "007");
}

#[test]
fn an_unknown_key_in_the_environment_is_refused_by_name() {
    let e = env_err("STIMD__LIMITS__PEAK_CURENT_UA", "30000");
    assert!(
        e.contains("limits.peak_curent_ua = 30000 (from STIMD__LIMITS__PEAK_CURENT_UA)")
            && e.contains("is not a configuration key (keys of [limits]:")
            && e.contains("peak_current_ua"),
        "{e}"
    );
    let e = env_err("STIMD__LIMITZ__PEAK_CURRENT_UA", "30000");
    assert!(
        e.contains("limitz.peak_current_ua") && e.contains("sections:"),
        "{e}"
    );
    let e = env_err("STIMD__LIMITS__PEAK_CURRENT_UA__X", "1");
    assert!(e.contains("limits.peak_current_ua.x"), "{e}");
}

#[test]
fn lists_and_tables_from_the_environment_are_refused_lines_taken() {
    let e = env_err("STIMD__BUTTONS__CHANNELS", "0,1");
    assert!(
        e.contains("buttons.channels") && e.contains("cannot be set from the environment"),
        "{e}"
    );
    let e = env_err("STIMD__LIMITS", "1");
    assert!(
        e.contains("cannot be set from the environment (a table"),
        "{e}"
    );
    let e = env_err("STIMD__LINUX__HV_ENABLE", "17.5");
    assert!(e.contains("linux.hv_enable = 17.5"), "{e}");
    let c = load_str(
        "",
        &[
            ("STIMD__LINUX__HV_ENABLE", "GPIO17"),
            ("STIMD__LINUX__INTERLOCK", "4"),
        ],
    )
    .unwrap();
    assert_eq!(c.linux.hv_enable, LineSpec::Name("GPIO17".into()));
    assert_eq!(c.linux.interlock, LineSpec::Offset(4));
}

#[test]
fn every_wrong_key_is_listed_from_file_and_environment() {
    let e = load_str(
        "[limits]\npeak_current_ua = \"60000\"\n",
        &[
            ("STIMD__ENGINE__LEAD_US", "soon"),
            ("STIMD__DEVICE__CHANELS", "1"),
        ],
    )
    .unwrap_err()
    .to_string();
    for key in ["limits.peak_current_ua", "engine.lead_us", "device.chanels"] {
        assert!(e.contains(key), "{key} missing in {e}");
    }
}
