//! The sections of the configuration other than `[linux]` (in `linux`): one struct per TOML
//! table, each with its built-in defaults. The allowed ranges are in `validate`.

use serde::{Deserialize, Serialize};

/// `[device]`: what the device offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceConfig {
    /// Output channels in use (1 or 2).
    pub channels: u32,
    /// Language of program names: `nl` or `en`.
    pub locale: String,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        DeviceConfig {
            channels: 2,
            locale: "nl".into(),
        }
    }
}

/// `[limits]`: the safety limits (the safety figures in docs/deploy.md §2 and docs/safety.md). Each may only be lowered below its
/// compiled-in ceiling (`model::limits::ceiling`); a value above it stops start-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Peak current per phase, µA (1..=100 000).
    pub peak_current_ua: u32,
    /// Rms current per channel, µA (1..=50 000).
    pub rms_current_ua: u32,
    /// Rms current density under the smallest electrode, µA/cm² (1..=2 000).
    pub current_density_ua_per_cm2: u32,
    /// Charge per phase, nC (1..=40 000).
    pub charge_per_phase_nc: u64,
    /// Shortest phase a program may use, µs (20..=1 000).
    pub min_phase_width_us: u32,
    /// Longest phase a program may use, µs (at least `min_phase_width_us`, at most 1 000).
    pub max_phase_width_us: u32,
    /// Lowest pulse rate a program may use, Hz (1..=200).
    pub min_rate_hz: f64,
    /// Highest pulse rate a program may use, Hz (at least `min_rate_hz`, at most 200).
    pub max_rate_hz: f64,
    /// How fast the intensity may rise, µA/s (1..=5 000); decreases are immediate.
    pub rise_rate_ua_per_s: u32,
    /// The step intensities are rounded down to, µA (at least 100 steps over the peak range).
    pub intensity_step_ua: u32,
    /// Session length when the client names none, minutes (1..=`session_max_min`).
    pub session_default_min: u32,
    /// Longest session, minutes (1..=120).
    pub session_max_min: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            peak_current_ua: 60_000,
            rms_current_ua: 50_000,
            current_density_ua_per_cm2: 2_000,
            charge_per_phase_nc: 25_000,
            min_phase_width_us: 50,
            max_phase_width_us: 400,
            min_rate_hz: 1.0,
            max_rate_hz: 150.0,
            rise_rate_ua_per_s: 2_000,
            intensity_step_ua: 500,
            session_default_min: 30,
            session_max_min: 60,
        }
    }
}

/// `[electrodes]`: the pads in use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ElectrodesConfig {
    /// Area of the smallest electrode in use, cm².
    pub area_cm2: f64,
}

impl Default for ElectrodesConfig {
    fn default() -> Self {
        ElectrodesConfig { area_cm2: 25.0 }
    }
}

/// `[engine]`: the real-time pulse engine thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// How long before a pulse onset the engine stops sleeping and starts to spin, µs.
    pub lead_us: u32,
    /// SCHED_FIFO priority of the pulse engine thread.
    pub rt_priority: u32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            lead_us: 100,
            rt_priority: 80,
        }
    }
}

/// `[supervisor]`: the real-time safety supervisor thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupervisorConfig {
    /// Loop period of the supervisor while armed; the interlock toggles once per loop, µs.
    pub period_us: u32,
    /// SCHED_FIFO priority of the supervisor thread (above the engine's).
    pub rt_priority: u32,
}

impl Default for SupervisorConfig {
    fn default() -> Self {
        SupervisorConfig {
            period_us: 500,
            rt_priority: 90,
        }
    }
}

/// `[sim]`: the simulated board (`--board sim`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Electrode load of the simulated board, Ω.
    pub load_ohms: u32,
    /// Keep the simulated hardware's registers in this shared-memory file, so another process
    /// (a test) can watch the board outlive the daemon; empty: in memory only.
    pub hardware_file: String,
    /// The modelled output stage's offset per channel, µA (the current at mid-scale); empty:
    /// none. One value per channel in use, each within ±`ANALOG_OFFSET_MAX_UA`.
    pub analog_offset_ua: Vec<i32>,
    /// The modelled output stage's gain error per channel, ppm; empty: none. One value per
    /// channel in use, each within ±`ANALOG_GAIN_MAX_PPM`.
    pub analog_gain_ppm: Vec<i32>,
}

impl SimConfig {
    /// The largest modelled offset, µA: wider than a calibration may correct, so the sim board
    /// can also be a board that needs repair.
    pub const ANALOG_OFFSET_MAX_UA: i32 = 10_000;
    /// The largest modelled gain error, ppm (±20 %).
    pub const ANALOG_GAIN_MAX_PPM: i32 = 200_000;
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            load_ohms: 1_000,
            hardware_file: String::new(),
            analog_offset_ua: Vec::new(),
            analog_gain_ppm: Vec::new(),
        }
    }
}

/// `[calibration]`: each channel's measured output-stage errors, which the DAC mapping corrects
/// so that the current is what was asked (the rest level 0 µA, the phases of a pulse balanced).
/// Printed by `stimd calibrate`. Absent or empty: no correction (mid-scale is taken as 0 µA and
/// full scale as ±100 mA).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalibrationConfig {
    /// The current at mid-scale per channel, µA: one value per channel in use, each within
    /// ±`OFFSET_MAX_UA`.
    pub offset_ua: Vec<i32>,
    /// The gain error per channel, ppm (+20 000: 2 % more current than ideal): one value per
    /// channel in use, each within ±`GAIN_MAX_PPM`.
    pub gain_ppm: Vec<i32>,
}

impl CalibrationConfig {
    /// The largest offset a calibration corrects, µA: 2 % of full scale (about 41 codes of
    /// the MCP4922). A Howland source with a sound op-amp and matched resistors is well inside
    /// it; a board beyond it is faulty and is repaired, not calibrated.
    pub const OFFSET_MAX_UA: i32 = 2_000;
    /// The largest gain error a calibration corrects, ppm (±5 %: a wrong sense resistor or
    /// reference is beyond it).
    pub const GAIN_MAX_PPM: i32 = 50_000;
}

/// Battery thresholds (ignored while the level is unknown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatteryConfig {
    /// `/sys/class/power_supply/<supply>/capacity` on the linux board; empty: no battery.
    pub supply: String,
    /// A session is told the battery is low (a `Notice`) when it starts below this level or
    /// falls to it, %.
    pub low_percent: u32,
    /// No new session at or below this level, and a running one ends (`battery_low`), %.
    pub critical_percent: u32,
}

impl Default for BatteryConfig {
    fn default() -> Self {
        BatteryConfig {
            supply: String::new(),
            low_percent: 15,
            critical_percent: 5,
        }
    }
}

/// The hardware watchdog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchdogConfig {
    /// The device, e.g. `/dev/watchdog`; empty: none (systemd's watchdog still applies).
    pub device: String,
    /// Seconds without a pet before the board resets.
    pub timeout_s: u32,
}

impl Default for WatchdogConfig {
    fn default() -> Self {
        WatchdogConfig {
            device: String::new(),
            timeout_s: 10,
        }
    }
}

/// How long the usage history keeps what, in days (0 = for ever).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistoryConfig {
    /// Sessions, faults and clamps.
    pub keep_days: u32,
    /// Every intensity change within a session.
    pub detail_days: u32,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            keep_days: 0,
            detail_days: 730,
        }
    }
}

/// People and their care.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CareConfig {
    /// Members of this group (and root) may change a person's limits, remove profiles and
    /// record a doctor's approval.
    pub admin_group: String,
    /// Sessions after which a pad set counts as worn.
    pub pad_uses: u32,
}

impl Default for CareConfig {
    fn default() -> Self {
        CareConfig {
            admin_group: "stimd-admin".into(),
            pad_uses: 20,
        }
    }
}

/// The board's push buttons (`[linux] button_*` lines; `Sim.SetButton` on the sim board).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ButtonsConfig {
    /// A line must hold still this long before a press or release counts, ms.
    pub debounce_ms: u32,
    /// Holding down this long brings every channel to zero, ms.
    pub long_press_ms: u32,
    /// The channels up and down step.
    pub channels: Vec<u32>,
}

impl Default for ButtonsConfig {
    fn default() -> Self {
        ButtonsConfig {
            debounce_ms: 30,
            long_press_ms: 1_500,
            channels: vec![0, 1],
        }
    }
}
