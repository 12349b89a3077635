//! The configuration's values: defaults, layering, ranges, the example files and the lines of
//! `[linux]`. Fail-closed reading and strict typing are tested in `strict`.

use super::*;
use std::io::Write;
use std::path::Path;

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

#[test]
fn calibration_is_one_value_per_channel_or_none() {
    // Absent: no correction.
    let c = load_str("", &[]).unwrap();
    assert!(c.calibration.offset_ua.is_empty() && c.calibration.gain_ppm.is_empty());
    let c = load_str(
        "[calibration]\noffset_ua = [300, -450]\ngain_ppm = [20000, -15000]\n\
         [sim]\nanalog_offset_ua = [-10000, 10000]\nanalog_gain_ppm = [200000, 0]\n",
        &[],
    )
    .unwrap();
    assert_eq!(c.calibration.offset_ua, [300, -450]);
    assert_eq!(c.calibration.gain_ppm, [20_000, -15_000]);
    assert_eq!(c.sim.analog_gain_ppm, [200_000, 0]);
    let c = load_str(
        "[device]\nchannels = 1\n[calibration]\noffset_ua = [12]\ngain_ppm = [-3]\n",
        &[],
    )
    .unwrap();
    assert_eq!(
        (c.calibration.offset_ua[0], c.calibration.gain_ppm[0]),
        (12, -3)
    );
}

#[test]
fn calibration_out_of_range_or_of_the_wrong_length_names_key_value_and_range() {
    let e = load_str(
        "[calibration]\noffset_ua = [2001, -2000]\ngain_ppm = [0, 0, 0]\n\
         [sim]\nanalog_offset_ua = [0]\nanalog_gain_ppm = [0, -200001]\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    for want in [
        "calibration.offset_ua = 2001 (channel 0) is out of range (allowed: -2000..=2000)",
        "calibration.gain_ppm = [0, 0, 0] is out of range (allowed: 2 values, one per channel \
         in use (device.channels = 2), or [] for none)",
        "sim.analog_offset_ua = [0] is out of range (allowed: 2 values",
        "sim.analog_gain_ppm = -200001 (channel 1) is out of range (allowed: -200000..=200000)",
    ] {
        assert!(e.contains(want), "missing {want:?} in:\n{e}");
    }
    assert!(!e.contains("-2000 (channel 1)"), "{e}");
    let e = load_str(
        "[device]\nchannels = 1\n[calibration]\ngain_ppm = [50001, 0]\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains(
            "calibration.gain_ppm = [50001, 0] is out of range (allowed: 1 value, one per \
             channel in use (device.channels = 1), or [] for none)"
        ),
        "{e}"
    );
    assert!(
        e.contains(
            "calibration.gain_ppm = 50001 (channel 0) is out of range (allowed: -50000..=50000)"
        ),
        "{e}"
    );
}

#[test]
fn calibration_takes_integers_in_the_file_only() {
    let e = load_str("[calibration]\noffset_ua = [1.5, 0]\n", &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("calibration.offset_ua = [1.5, 0]") && e.contains("is not accepted"),
        "{e}"
    );
    let e = load_str("[calibration]\ngain_ppm = 300\n", &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("calibration.gain_ppm = 300") && e.contains("wrong type (expected: a list)"),
        "{e}"
    );
    let e = load_str("", &[("STIMD__CALIBRATION__OFFSET_UA", "300")])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "calibration.offset_ua = 300 (from STIMD__CALIBRATION__OFFSET_UA) cannot be set \
             from the environment"
        ),
        "{e}"
    );
}

mod strict;
