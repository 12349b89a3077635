//! Reading the configuration: the file (fail-closed: a named file must be a readable regular
//! file), the layering defaults → file → `STIMD__…` variables, strictly typed (see `strict`),
//! and why it could not be used.

use super::{strict, Config, KeyProblem, Problem};
use std::path::Path;

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be used at all: missing, not a regular file, unreadable, not TOML.
    #[error("configuration file {path} {problem}")]
    Read {
        /// The file's path, as given.
        path: String,
        /// What is wrong with it.
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
    /// Its metadata or its text cannot be read (the OS error).
    #[error("cannot be read: {0}")]
    Io(#[from] std::io::Error),
    /// Its text does not parse as TOML (the parser's error, with the line).
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
