//! Configuration: built-in defaults → the TOML file → `STIMD__…` environment variables, then
//! validation of every value against the compiled-in ceilings.
//!
//! Owns the configuration schema and its checks. Never raises a limit above a ceiling: a value
//! out of range stops start-up with the key, the value and the allowed range.
//!
//! Fails closed: a file named with `--config` must be a readable regular file, and every key has
//! exactly one type, in the file and in the environment (see `strict`).

mod linux;
mod load;
mod sections;
mod strict;
mod validate;

use crate::model::limits::Limits;
pub use linux::{LineSpec, LinuxConfig, BUTTON_LINES, REQUIRED_LINES};
pub use load::{ConfigError, FileRule, ReadProblem};
pub use sections::{
    BatteryConfig, ButtonsConfig, CalibrationConfig, CareConfig, DeviceConfig, ElectrodesConfig,
    EngineConfig, HistoryConfig, LimitsConfig, SimConfig, SupervisorConfig, WatchdogConfig,
};
use serde::{Deserialize, Serialize};
pub use strict::{KeyProblem, ENV_PREFIX};
pub use validate::Problem;

/// The default configuration file.
pub const DEFAULT_PATH: &str = "/etc/stimd/stimd.toml";

/// The whole configuration, as read from the file and the environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[device]`: channels in use and the language of program names.
    pub device: DeviceConfig,
    /// `[limits]`: the safety limits, each at or below its compiled-in ceiling.
    pub limits: LimitsConfig,
    /// `[electrodes]`: the pad area the current density limit is computed from.
    pub electrodes: ElectrodesConfig,
    /// `[engine]`: the pulse engine thread's timing and priority.
    pub engine: EngineConfig,
    /// `[supervisor]`: the safety supervisor thread's period and priority.
    pub supervisor: SupervisorConfig,
    /// `[sim]`: the simulated board.
    pub sim: SimConfig,
    /// `[linux]`: the real board's DAC and GPIO lines.
    pub linux: LinuxConfig,
    /// `[calibration]`: each channel's measured offset and gain error, corrected by the DAC
    /// mapping (`stimd calibrate` prints it).
    pub calibration: CalibrationConfig,
    /// `[buttons]`: debouncing and what the push buttons step.
    pub buttons: ButtonsConfig,
    /// `[care]`: who administers profiles, and pad wear.
    pub care: CareConfig,
    /// `[battery]`: where the level is read and the thresholds that refuse or end sessions.
    pub battery: BatteryConfig,
    /// `[history]`: how long the usage history keeps what.
    pub history: HistoryConfig,
    /// `[watchdog]`: the hardware watchdog.
    pub watchdog: WatchdogConfig,
}

impl Config {
    /// Checks every value against its allowed range; reports all problems at once.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let problems = validate::problems(self);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// The effective limits this configuration sets.
    pub fn limits(&self) -> Result<Limits, ConfigError> {
        self.validate()?;
        Ok(validate::limits_of(self))
    }

    /// The configuration as TOML, as `--check-config` prints it.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }
}

#[cfg(test)]
mod tests;
