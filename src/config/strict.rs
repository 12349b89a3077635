//! Strict typing of the configuration file and of the `STIMD__…` variables, before the `config`
//! crate layers them.
//!
//! The `config` crate converts loosely (`"60000"` or `50000.5` into an integer, `1e3` from the
//! environment), so every key is first checked here against its one type, taken from the
//! serialised defaults: an integer key takes only a TOML integer, a string key only a string,
//! a list only a list. A number key (`f64`) also takes an integer (`area_cm2 = 25`). The lines
//! of `[linux]` take an offset, a name or `{ chip, offset }`. Each value is then deserialised
//! on its own (serde, `deny_unknown_fields`), so a refusal names the dotted key, the value and
//! what is expected.

use super::{Config, ConfigError, LinuxConfig, ReadProblem};
use std::collections::BTreeMap;
use std::fmt;
use toml::{Table, Value};

/// The environment prefix; the rest of the name is `SECTION__KEY`.
pub const ENV_PREFIX: &str = "STIMD__";

/// One key that cannot be used: unknown, of the wrong type or not accepted by its type.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyProblem {
    /// Dotted, e.g. `limits.peak_current_ua`.
    pub key: String,
    /// As written in the file or the variable.
    pub value: String,
    /// `in FILE` or `from STIMD__…`.
    pub origin: String,
    /// What is wrong and what is expected.
    pub issue: String,
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {} ({}) {}",
            self.key, self.value, self.origin, self.issue
        )
    }
}

/// Every key and its default value: the schema the file and the environment are checked against.
pub(super) fn schema() -> Result<Table, ConfigError> {
    Table::try_from(Config::default()).map_err(ConfigError::Defaults)
}

/// A `[linux]` GPIO line: an offset, a name or `{ chip, offset }`.
fn is_line(path: &[&str]) -> bool {
    matches!(path, ["linux", name] if LinuxConfig::line_names().any(|n| n == *name))
}

fn expected(path: &[&str], default: &Value) -> &'static str {
    if is_line(path) {
        return "a line offset (an integer), a line name (a string) or { chip = \"…\", offset = N }";
    }
    match default {
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::String(_) => "a string",
        Value::Boolean(_) => "true or false",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
        Value::Datetime(_) => "a date",
    }
}

/// Whether `v` is of the one type of the key whose default is `default`.
fn kind_ok(path: &[&str], default: &Value, v: &Value) -> bool {
    if is_line(path) {
        return matches!(v, Value::Integer(_) | Value::String(_) | Value::Table(_));
    }
    matches!(
        (default, v),
        (Value::Integer(_), Value::Integer(_))
            // TOML authors write `area_cm2 = 25`: an integer is a number too.
            | (Value::Float(_), Value::Float(_) | Value::Integer(_))
            | (Value::String(_), Value::String(_))
            | (Value::Boolean(_), Value::Boolean(_))
            | (Value::Array(_), Value::Array(_))
            | (Value::Table(_), Value::Table(_))
            | (Value::Datetime(_), Value::Datetime(_))
    )
}

fn set(table: &mut Table, path: &[&str], v: Value) {
    match path {
        [] => {}
        [last] => {
            table.insert((*last).to_string(), v);
        }
        [first, rest @ ..] => {
            let entry = table
                .entry((*first).to_string())
                .or_insert_with(|| Value::Table(Table::new()));
            if !entry.is_table() {
                *entry = Value::Table(Table::new());
            }
            if let Value::Table(t) = entry {
                set(t, rest, v);
            }
        }
    }
}

/// Deserialises the defaults with only this key replaced by `v`: the key's own serde check
/// (integer width and sign, list elements, the forms of a line).
fn accepted(schema: &Table, path: &[&str], v: &Value) -> Result<(), toml::de::Error> {
    let mut all = schema.clone();
    set(&mut all, path, v.clone());
    Value::Table(all).try_into::<Config>().map(|_| ())
}

/// The issue of a value its type's deserialiser refuses, in words.
fn not_accepted(e: toml::de::Error) -> String {
    format!("is not accepted ({})", plain(&e.to_string()))
}

/// A serde message in words: `expected u32` → `expected an integer 0..=4294967295`.
fn plain(message: &str) -> String {
    let message = message.trim();
    let message = message
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(message);
    for (rust, words) in [
        ("u8", format!("an integer 0..={}", u8::MAX)),
        ("i32", format!("an integer {}..={}", i32::MIN, i32::MAX)),
        ("u32", format!("an integer 0..={}", u32::MAX)),
        ("u64", format!("an integer 0..={}", u64::MAX)),
        ("f64", "a number".to_string()),
    ] {
        if let Some(head) = message.strip_suffix(&format!("expected {rust}")) {
            return format!("{head}expected {words}");
        }
    }
    message.to_string()
}

fn keys_of(table: &Table) -> String {
    table
        .keys()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn unknown(path: &[&str], parent: &Table) -> String {
    if path.len() <= 1 {
        format!("is not a configuration key (sections: {})", keys_of(parent))
    } else {
        format!(
            "is not a configuration key (keys of [{}]: {})",
            path[..path.len() - 1].join("."),
            keys_of(parent)
        )
    }
}

/// Checks the file's text against the schema; returns its table when every key is known and of
/// its type. A TOML syntax error is a read error of the file.
pub(super) fn check_file(
    text: &str,
    path: &str,
    schema: &Table,
    problems: &mut Vec<KeyProblem>,
) -> Result<Table, ConfigError> {
    let table: Table = toml::from_str(text).map_err(|e| ConfigError::Read {
        path: path.to_string(),
        problem: ReadProblem::Toml(e),
    })?;
    let spans = toml::de::DeTable::parse(text).ok();
    let file = FileText {
        text,
        spans: spans.as_ref().map(|s| s.get_ref()),
        origin: format!("in {path}"),
    };
    let before = problems.len();
    file.walk(&table, schema, schema, &mut Vec::new(), problems);
    if problems.len() == before {
        // Every key passed on its own; the whole file must too (belt and braces).
        if let Err(e) = toml::from_str::<Config>(text) {
            problems.push(KeyProblem {
                key: "(file)".into(),
                value: "…".into(),
                origin: file.origin.clone(),
                issue: format!("is not accepted: {}", e.to_string().trim_end()),
            });
        }
    }
    Ok(table)
}

struct FileText<'a, 'i> {
    text: &'a str,
    spans: Option<&'a toml::de::DeTable<'i>>,
    origin: String,
}

impl FileText<'_, '_> {
    /// The value as written in the file (`1e3`, not `1000.0`), else its TOML form.
    fn written(&self, path: &[&str], v: &Value) -> String {
        let raw = self.spans.and_then(|root| {
            let (first, rest) = path.split_first()?;
            let mut node = root.iter().find(|(k, _)| k.get_ref() == first)?.1;
            for seg in rest {
                node = node.get_ref().get(*seg)?;
            }
            self.text.get(node.span())
        });
        match raw {
            Some(r) if !r.is_empty() && !r.starts_with('[') => r.trim().to_string(),
            _ => shown(v),
        }
    }

    fn walk<'k>(
        &self,
        table: &'k Table,
        schema: &Table,
        root: &Table,
        path: &mut Vec<&'k str>,
        problems: &mut Vec<KeyProblem>,
    ) {
        for (k, v) in table {
            path.push(k.as_str());
            match schema.get(k) {
                None => problems.push(KeyProblem {
                    key: path.join("."),
                    value: self.written(path, v),
                    origin: self.origin.clone(),
                    issue: unknown(path, schema),
                }),
                Some(Value::Table(sub)) if !is_line(path) => match v {
                    Value::Table(t) => self.walk(t, sub, root, path, problems),
                    _ => problems.push(KeyProblem {
                        key: path.join("."),
                        value: self.written(path, v),
                        origin: self.origin.clone(),
                        issue: "has the wrong type (expected: a table)".into(),
                    }),
                },
                Some(default) => {
                    let issue = if !kind_ok(path, default, v) {
                        Some(format!(
                            "has the wrong type (expected: {})",
                            expected(path, default)
                        ))
                    } else {
                        accepted(root, path, v).err().map(not_accepted)
                    };
                    if let Some(issue) = issue {
                        problems.push(KeyProblem {
                            key: path.join("."),
                            value: self.written(path, v),
                            origin: self.origin.clone(),
                            issue,
                        });
                    }
                }
            }
            path.pop();
        }
    }
}

/// A value in its TOML form, tables shortened.
fn shown(v: &Value) -> String {
    match v {
        Value::Table(_) => "{ … }".into(),
        other => other.to_string(),
    }
}

/// An integer as an integer: an optional sign and decimal digits, nothing else.
fn strict_integer(raw: &str) -> Option<i64> {
    let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

/// A finite decimal number (`25`, `2.5`, `-0.5`, `1e3`); no `inf`, `nan` or hex.
fn strict_float(raw: &str) -> Option<f64> {
    if !raw.bytes().any(|b| b.is_ascii_digit())
        || !raw
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    raw.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Why a variable's value cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum EnvIssue {
    #[error("has the wrong type (expected: {0})")]
    WrongType(&'static str),
    /// A `[linux]` line given as something that is neither an offset nor a name.
    #[error(
        "has the wrong type (expected: a line offset (an integer) or a line name; \
         {{ chip, offset }} only in the file)"
    )]
    NotALine,
    #[error("cannot be set from the environment (a list: set it in the configuration file)")]
    List,
    #[error(
        "cannot be set from the environment (a table: set its keys, e.g. STIMD__SECTION__KEY)"
    )]
    Table,
}

/// The typed value of one variable, or why not.
fn parse_env(path: &[&str], default: &Value, raw: &str) -> Result<Value, EnvIssue> {
    let wrong = || EnvIssue::WrongType(expected(path, default));
    if is_line(path) {
        if let Some(i) = strict_integer(raw) {
            return Ok(Value::Integer(i));
        }
        // A name never looks like a number: `17.5`, `1e3` or `-1x` are mistakes, not names.
        if raw.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
            return Err(EnvIssue::NotALine);
        }
        return Ok(Value::String(raw.to_string()));
    }
    match default {
        Value::Integer(_) => strict_integer(raw).map(Value::Integer).ok_or_else(wrong),
        Value::Float(_) => strict_float(raw).map(Value::Float).ok_or_else(wrong),
        Value::String(_) => Ok(Value::String(raw.to_string())),
        Value::Boolean(_) => match raw {
            "true" => Ok(Value::Boolean(true)),
            "false" => Ok(Value::Boolean(false)),
            _ => Err(wrong()),
        },
        Value::Array(_) => Err(EnvIssue::List),
        Value::Table(_) => Err(EnvIssue::Table),
        Value::Datetime(_) => Err(wrong()),
    }
}

/// The `STIMD__SECTION__KEY` variables of `env` as a table of typed values (others ignored).
/// Names are case-insensitive; each must be a key of the schema, and its value of the key's type.
pub(super) fn env_layer(
    env: impl IntoIterator<Item = (String, String)>,
    schema: &Table,
    problems: &mut Vec<KeyProblem>,
) -> Table {
    let mut layer = Table::new();
    // Sorted, so problems come out in the same order every time.
    let vars: BTreeMap<String, String> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX))
        .collect();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (var, raw) in &vars {
        let lower = var[ENV_PREFIX.len()..].to_ascii_lowercase();
        let path: Vec<&str> = lower.split("__").collect();
        let key = path.join(".");
        let problem = |issue: String| KeyProblem {
            key: key.clone(),
            value: raw.clone(),
            origin: format!("from {var}"),
            issue,
        };
        let mut parent = schema;
        let mut default = None;
        let mut at = 0;
        for (i, seg) in path.iter().enumerate() {
            at = i;
            match parent.get(*seg) {
                Some(Value::Table(sub)) if i + 1 < path.len() && !is_line(&path[..=i]) => {
                    parent = sub
                }
                Some(v) if i + 1 == path.len() => default = Some(v),
                _ => break,
            }
        }
        let Some(default) = default else {
            problems.push(problem(unknown(&path[..=at], parent)));
            continue;
        };
        if let Some(other) = seen.insert(key.clone(), var.clone()) {
            problems.push(problem(format!("is set twice (also by {other})")));
            continue;
        }
        match parse_env(&path, default, raw) {
            Ok(v) => match accepted(schema, &path, &v) {
                Ok(()) => set(&mut layer, &path, v),
                Err(e) => problems.push(problem(not_accepted(e))),
            },
            Err(issue) => problems.push(problem(issue.to_string())),
        }
    }
    layer
}

/// `base` with `over` laid on top: tables merge key by key, anything else is replaced.
pub(super) fn merge(base: &mut Table, over: &Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(Value::Table(b)), Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}
