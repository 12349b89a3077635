//! Configuration: built-in defaults → the TOML file → `STIMD__…` environment variables, then
//! validation of every value against the compiled-in ceilings.
//!
//! Owns the configuration schema and its checks. Never raises a limit above a ceiling: a value
//! out of range stops start-up with the key, the value and the allowed range.
//!
//! Fails closed: a file named with `--config` must be a readable regular file, and every key has
//! exactly one type, in the file and in the environment (see `strict`).

#![warn(missing_docs)]

mod strict;
mod validate;

use crate::model::limits::Limits;
use serde::{Deserialize, Serialize};
use std::path::Path;
pub use strict::{KeyProblem, ENV_PREFIX};
pub use validate::Problem;

/// The default configuration file.
pub const DEFAULT_PATH: &str = "/etc/stimd/stimd.toml";

/// The whole configuration, as read from the file and the environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub device: DeviceConfig,
    pub limits: LimitsConfig,
    pub electrodes: ElectrodesConfig,
    pub engine: EngineConfig,
    pub supervisor: SupervisorConfig,
    pub sim: SimConfig,
    pub linux: LinuxConfig,
    pub buttons: ButtonsConfig,
    pub care: CareConfig,
    pub battery: BatteryConfig,
    pub history: HistoryConfig,
    pub watchdog: WatchdogConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceConfig {
    /// Output channels in use (1 or 2).
    pub channels: u32,
    /// Language of program names: `nl` or `en`.
    pub locale: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    pub peak_current_ua: u32,
    pub rms_current_ua: u32,
    pub current_density_ua_per_cm2: u32,
    pub charge_per_phase_nc: u64,
    pub min_phase_width_us: u32,
    pub max_phase_width_us: u32,
    pub min_rate_hz: f64,
    pub max_rate_hz: f64,
    pub rise_rate_ua_per_s: u32,
    pub intensity_step_ua: u32,
    pub session_default_min: u32,
    pub session_max_min: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ElectrodesConfig {
    /// Area of the smallest electrode in use, cm².
    pub area_cm2: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// How long before a pulse onset the engine stops sleeping and starts to spin, µs.
    pub lead_us: u32,
    /// SCHED_FIFO priority of the pulse engine thread.
    pub rt_priority: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupervisorConfig {
    /// Loop period of the supervisor while armed; the interlock toggles once per loop, µs.
    pub period_us: u32,
    /// SCHED_FIFO priority of the supervisor thread (above the engine's).
    pub rt_priority: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Electrode load of the simulated board, Ω.
    pub load_ohms: u32,
    /// Keep the simulated hardware's registers in this shared-memory file, so another process
    /// (a test) can watch the board outlive the daemon; empty: in memory only.
    pub hardware_file: String,
}

/// Battery thresholds (ignored while the level is unknown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatteryConfig {
    /// `/sys/class/power_supply/<supply>/capacity` on the linux board; empty: no battery.
    pub supply: String,
    /// No new session below this level, %.
    pub low_percent: u32,
    /// A running session ends (`battery_low`) at or below this level, %.
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

/// The real board (`--board linux`): where the DAC and the GPIO lines are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinuxConfig {
    /// spidev node of the DAC.
    pub spi_device: String,
    pub spi_speed_hz: u32,
    /// SPI mode: 0 or 3 (the MCP4922 accepts both).
    pub spi_mode: u8,
    /// DAC chip: `mcp4922` (12-bit) or `dac8552` (16-bit).
    pub dac: String,
    /// GPIO character device holding the lines given by offset.
    pub gpio_chip: String,
    /// Each line: an offset on `gpio_chip`, or a line name looked up on every chip.
    pub hv_enable: LineSpec,
    pub interlock: LineSpec,
    pub contact0: LineSpec,
    pub contact1: LineSpec,
    pub overcurrent: LineSpec,
    /// Push buttons; an empty name means not fitted.
    pub button_up: LineSpec,
    pub button_down: LineSpec,
    pub button_stop: LineSpec,
    /// Names of the lines above that are active-low, e.g. `["overcurrent"]`.
    pub active_low: Vec<String>,
}

/// Where a GPIO line is: an offset on `linux.gpio_chip` (`17`), an offset on another chip
/// (`{ chip = "/dev/gpiochip1", offset = 5 }`), or the line's name as the kernel knows it
/// (`"GPIO17"`), looked up on every chip as `gpiofind` does. An empty name means the line is
/// not fitted (allowed for buttons only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LineSpec {
    Offset(u32),
    Name(String),
    At { chip: String, offset: u32 },
}

impl LineSpec {
    pub fn is_fitted(&self) -> bool {
        !matches!(self, LineSpec::Name(n) if n.is_empty())
    }

    /// The same physical line compares equal however it is written (`default_chip` for a bare
    /// offset).
    pub fn same_line(&self, other: &LineSpec, default_chip: &str) -> bool {
        let at = |s: &LineSpec| match s {
            LineSpec::Offset(o) => Some((default_chip.to_string(), *o)),
            LineSpec::At { chip, offset } => Some((chip.clone(), *offset)),
            LineSpec::Name(_) => None,
        };
        match (at(self), at(other)) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self == other,
            _ => false,
        }
    }
}

impl std::fmt::Display for LineSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineSpec::Offset(o) => write!(f, "{o}"),
            LineSpec::Name(n) => write!(f, "{n:?}"),
            LineSpec::At { chip, offset } => write!(f, "{chip} offset {offset}"),
        }
    }
}

/// The lines the board must have, in the order it wires them.
pub const REQUIRED_LINES: [&str; 5] = [
    "hv_enable",
    "interlock",
    "contact0",
    "contact1",
    "overcurrent",
];
/// The optional push buttons.
pub const BUTTON_LINES: [&str; 3] = ["button_up", "button_down", "button_stop"];

impl LinuxConfig {
    /// A line's place by its key name.
    pub fn line(&self, name: &str) -> Option<&LineSpec> {
        Some(match name {
            "hv_enable" => &self.hv_enable,
            "interlock" => &self.interlock,
            "contact0" => &self.contact0,
            "contact1" => &self.contact1,
            "overcurrent" => &self.overcurrent,
            "button_up" => &self.button_up,
            "button_down" => &self.button_down,
            "button_stop" => &self.button_stop,
            _ => return None,
        })
    }

    /// Every line key, required first.
    pub fn line_names() -> impl Iterator<Item = &'static str> {
        REQUIRED_LINES.into_iter().chain(BUTTON_LINES)
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

impl Default for LinuxConfig {
    fn default() -> Self {
        LinuxConfig {
            spi_device: "/dev/spidev0.0".into(),
            spi_speed_hz: 8_000_000,
            spi_mode: 0,
            dac: "mcp4922".into(),
            gpio_chip: "/dev/gpiochip0".into(),
            hv_enable: LineSpec::Offset(17),
            interlock: LineSpec::Offset(27),
            contact0: LineSpec::Offset(22),
            contact1: LineSpec::Offset(23),
            overcurrent: LineSpec::Offset(24),
            // Not fitted unless configured: a floating input must never press "up".
            button_up: LineSpec::Name(String::new()),
            button_down: LineSpec::Name(String::new()),
            button_stop: LineSpec::Name(String::new()),
            active_low: Vec::new(),
        }
    }
}

impl Default for DeviceConfig {
    fn default() -> Self {
        DeviceConfig {
            channels: 2,
            locale: "nl".into(),
        }
    }
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

impl Default for ElectrodesConfig {
    fn default() -> Self {
        ElectrodesConfig { area_cm2: 25.0 }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            lead_us: 100,
            rt_priority: 80,
        }
    }
}

impl Default for SupervisorConfig {
    fn default() -> Self {
        SupervisorConfig {
            period_us: 500,
            rt_priority: 90,
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            load_ohms: 1_000,
            hardware_file: String::new(),
        }
    }
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be used at all: missing, not a regular file, unreadable, not TOML.
    #[error("configuration file {path} {problem}")]
    Read {
        path: String,
        #[source]
        problem: ReadProblem,
    },
    /// Keys that are unknown or of the wrong type, in the file or the environment.
    #[error("invalid configuration:\n{}", format_problems(.0))]
    Keys(Vec<KeyProblem>),
    /// Values out of their allowed range.
    #[error("invalid configuration:\n{}", format_problems(.0))]
    Invalid(Vec<Problem>),
    /// The layering itself failed (a defect; start-up stops).
    #[error("configuration: {0}")]
    Layering(#[from] config::ConfigError),
    /// The defaults cannot be serialised into the schema (a defect).
    #[error("configuration: cannot serialise the defaults: {0}")]
    Defaults(#[source] toml::ser::Error),
    /// The strictly merged layers do not deserialise (a defect).
    #[error("configuration: strict layering failed: {0}")]
    Strict(#[source] toml::de::Error),
    /// The `config` crate's layering and the strict one disagree (a defect).
    #[error("configuration: the layered configuration differs from the strictly typed one")]
    Differs,
}

/// What is wrong with the configuration file itself.
#[derive(Debug, thiserror::Error)]
pub enum ReadProblem {
    /// A directory, FIFO, device or socket (its kind).
    #[error("is not a regular file ({0})")]
    NotRegular(&'static str),
    #[error("cannot be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("is not valid TOML: {}", .0.to_string().trim_end())]
    Toml(#[source] toml::de::Error),
}

fn format_problems(problems: &[impl std::fmt::Display]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the configuration file must be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRule {
    /// Named by the operator (`--config FILE`): missing, not a regular file or unreadable is an
    /// error.
    Required,
    /// The default path: may be absent (built-in defaults, logged); present but not a readable
    /// regular file is still an error.
    Optional,
}

impl Config {
    /// Loads defaults, then `path` (must exist if `rule` is [`FileRule::Required`]), then
    /// `STIMD__SECTION__KEY` variables from `env` (all variables; others are ignored), strictly
    /// typed, and validates the result.
    pub fn load(
        path: &Path,
        rule: FileRule,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let text = Config::read_file(path, rule)?;
        Config::from_layers(text.as_deref().map(|t| (path, t)), env)
    }

    /// The text of the configuration file; `None` only when `rule` is [`FileRule::Optional`]
    /// and the file does not exist (logged: built-in defaults are used). A directory, FIFO,
    /// device or socket is refused without being opened.
    pub fn read_file(path: &Path, rule: FileRule) -> Result<Option<String>, ConfigError> {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        let fail = |problem: ReadProblem| ConfigError::Read {
            path: path.display().to_string(),
            problem,
        };
        let regular = |meta: &std::fs::Metadata| {
            if meta.is_file() {
                Ok(())
            } else {
                Err(fail(ReadProblem::NotRegular(file_kind(meta))))
            }
        };
        match std::fs::metadata(path) {
            Ok(meta) => regular(&meta)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && rule == FileRule::Optional => {
                tracing::warn!(
                    "configuration file {} does not exist: using the built-in defaults \
                     (and any STIMD__* variables)",
                    path.display()
                );
                return Ok(None);
            }
            Err(e) => return Err(fail(e.into())),
        }
        // Non-blocking: should it have become a FIFO since, opening must not hang.
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .map_err(|e| fail(e.into()))?;
        let meta = file.metadata().map_err(|e| fail(e.into()))?;
        regular(&meta)?;
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(|e| fail(e.into()))?;
        Ok(Some(text))
    }

    /// Layers defaults → `file` (its path and text, if any) → the `STIMD__…` variables of `env`
    /// with the `config` crate, after checking every key's type strictly; then validates.
    pub fn from_layers(
        file: Option<(&Path, &str)>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let schema = strict::schema()?;
        let mut problems = Vec::new();
        let file_table = match file {
            Some((path, text)) => Some(strict::check_file(
                text,
                &path.display().to_string(),
                &schema,
                &mut problems,
            )?),
            None => None,
        };
        let env_table = strict::env_layer(env, &schema, &mut problems);
        if !problems.is_empty() {
            return Err(ConfigError::Keys(problems));
        }
        let mut builder =
            config::Config::builder().add_source(config::Config::try_from(&Config::default())?);
        if let Some((_, text)) = file {
            builder = builder.add_source(config::File::from_str(text, config::FileFormat::Toml));
        }
        // The variables, already typed: the crate's own string guessing never sees them.
        let built = builder
            .add_source(config::Config::try_from(&env_table)?)
            .build()?;
        let cfg: Config = built.try_deserialize()?;
        cfg.validate()?;
        // The same layers merged strictly must give the same configuration.
        let mut merged = schema;
        if let Some(t) = &file_table {
            strict::merge(&mut merged, t);
        }
        strict::merge(&mut merged, &env_table);
        let strict: Config = toml::Value::Table(merged)
            .try_into()
            .map_err(ConfigError::Strict)?;
        if strict != cfg {
            return Err(ConfigError::Differs);
        }
        Ok(cfg)
    }

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

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "not a plain file"
    }
}

#[cfg(test)]
mod tests;
