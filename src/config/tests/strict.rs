//! Fail-closed reading of the file (missing, a directory, a FIFO) and strict typing of every
//! key in the file and in the environment.

use super::*;

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
