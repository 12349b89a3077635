//! `io.stimd.Stimd1.Programs`: list, read, add and remove therapy programs.
//!
//! Translates only: the catalogue (`catalog::Catalog`) validates and stores. File writes run
//! on a blocking thread so no D-Bus or session work waits for the disk.

use super::StimdError;
use crate::catalog::Catalog;
use crate::catalog::CatalogError;
use crate::program::text::{check_file_text, to_toml};
use crate::program::{Param, Program};
use crate::texts::Text;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use zbus::interface;
use zbus::zvariant::{OwnedValue, Value};

/// Longest program id accepted as an argument.
const MAX_ID_LEN: usize = 64;

/// The `Programs` interface: what the daemon wiring hands it. The catalogue holds the rules.
pub struct Programs {
    /// Per-sender bounds on calls (shared by every interface).
    pub limiter: std::sync::Arc<super::limiter::Limiter>,
    /// The program catalogue (built-in, presets and custom), shared with the session manager.
    pub catalog: Arc<RwLock<Catalog>>,
    /// `nl` or `en`: the language of names and summaries in `List` and `Get`.
    pub locale: String,
    /// Where a custom program added or removed is recorded, with who did it
    /// (`History.Changes`).
    pub history: crate::history::HistoryHandle,
}

impl Programs {
    /// Records a program added or removed (`kind`), with who did it.
    async fn record(
        &self,
        conn: &zbus::Connection,
        hdr: &zbus::message::Header<'_>,
        kind: &str,
        id: &str,
    ) {
        let actor = super::caller(conn, hdr).await;
        tracing::info!(actor, "Programs.{kind} {id}");
        self.history.change(crate::history::ChangeRow {
            time_ms: crate::clock::unix_now_ms(),
            session_id: 0,
            actor,
            kind: kind.into(),
            channel: 0,
            from: 0,
            to: 0,
            profile: String::new(),
            detail: id.into(),
        });
    }
}

/// A catalogue refusal as a text: a code per kind, the ids as arguments, the English
/// description (a program file's problems name its keys) as `detail`.
fn catalog_text(e: &CatalogError) -> Text {
    let t = |code| Text::new(code).arg("detail", e.to_string());
    match e {
        CatalogError::Refused(problems) => {
            t("program.refused").arg("problems", problems.join("; "))
        }
        CatalogError::Preset(id) => t("program.is_preset").quoted("program", id),
        CatalogError::Exists(id) => t("program.exists").quoted("program", id),
        CatalogError::Full { count } => t("program.full")
            .arg("count", *count)
            .arg("max", crate::catalog::MAX_CUSTOM),
        CatalogError::BuiltIn(id) => t("program.built_in").quoted("program", id),
        CatalogError::Unknown { id, custom } => t("program.not_custom")
            .quoted("program", id)
            .arg("custom", custom.as_str()),
        CatalogError::Write { id, .. } => t("program.not_stored").quoted("program", id),
        CatalogError::Remove { id, .. } => t("program.not_removed").quoted("program", id),
    }
}

impl From<CatalogError> for StimdError {
    fn from(e: CatalogError) -> Self {
        let m = catalog_text(&e).into();
        match e {
            CatalogError::Refused(_) | CatalogError::Exists(_) => StimdError::InvalidArgument(m),
            CatalogError::Unknown { .. } => StimdError::UnknownProgram(m),
            CatalogError::Preset(_) | CatalogError::Full { .. } | CatalogError::BuiltIn(_) => {
                StimdError::NotPermitted(m)
            }
            CatalogError::Write { .. } | CatalogError::Remove { .. } => {
                StimdError::StorageFailed(m)
            }
        }
    }
}

fn ov(v: Value<'_>) -> OwnedValue {
    // Plain values (numbers, strings, arrays and dictionaries of them) always convert.
    v.try_into().unwrap_or_else(|_| OwnedValue::from(0u8))
}

fn unavailable() -> StimdError {
    StimdError::Failed(Text::new("programs.unavailable").into())
}

/// An internal failure (a task gone).
fn failed(e: impl std::fmt::Display) -> StimdError {
    StimdError::Failed(
        Text::new("internal.failed")
            .arg("detail", e.to_string())
            .into(),
    )
}

/// A one-line description of a program's segments.
fn summary_line(p: &Program) -> String {
    p.segments
        .iter()
        .map(|s| {
            let mins = s
                .seconds
                .map_or(String::new(), |sec| format!(" {} min", sec.div_ceil(60)));
            format!("{}{mins}", s.mode.name())
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

fn segment_dict(
    seg: &crate::program::Segment,
    limits: &crate::model::limits::Limits,
) -> HashMap<String, OwnedValue> {
    let mut d: HashMap<String, OwnedValue> = HashMap::new();
    let mut put = |k: &str, v: Value<'_>| {
        d.insert(k.to_string(), ov(v));
    };
    put("mode", Value::from(seg.mode.name()));
    put("seconds", Value::U32(seg.seconds.unwrap_or(0)));
    put("intensity_percent", Value::U32(seg.intensity_percent));
    put("interphase_us", Value::U32(seg.interphase_us));
    for (key, value) in seg.mode.params() {
        match value {
            Param::F64(x) => put(key, Value::F64(x)),
            Param::U32(x) => put(key, Value::U32(x)),
            Param::Str(x) => put(key, Value::from(x)),
        }
    }
    // The most any pulse of this segment may carry under the effective limits, and which
    // limit sets it (for the configured electrode area).
    let (max, limit) = limits.max_amplitude(seg.mode.worst_shape());
    put("max_intensity_ua", Value::U32(max.0));
    put("max_intensity_limit", Value::from(limit.as_str()));
    d
}

/// Checks an id argument before anything else: at most 64 characters, no control characters.
fn check_id(id: &str) -> Result<(), StimdError> {
    crate::model::text::check("id", id, MAX_ID_LEN)
        .map_err(|e| StimdError::InvalidArgument(crate::care::texts::text_error(&e).into()))
}

#[interface(
    name = "io.stimd.Stimd1.Programs",
    proxy(
        default_service = "io.stimd.Stimd1",
        default_path = "/io/stimd/Stimd1",
        gen_blocking = false
    )
)]
impl Programs {
    /// Every program: (id, name, kind, summary), names in the device's language; presets first.
    async fn list(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
    ) -> Result<Vec<(String, String, String, String)>, StimdError> {
        self.limiter.take(&hdr)?;
        let cat = self.catalog.read().map_err(|_| unavailable())?;
        Ok(cat
            .list()
            .into_iter()
            .map(|(p, _)| {
                (
                    p.id.clone(),
                    p.name.get(&self.locale).to_string(),
                    p.kind.as_str().to_string(),
                    p.summary.get(&self.locale).to_string(),
                )
            })
            .collect())
    }

    /// One program. Keys: id s, name s, name_nl s, name_en s, kind s, summary s, summary_nl s,
    /// summary_en s, builtin b, placements as, outline s, segments aa{sv} (mode s, seconds u
    /// (0 = to the end of the session), intensity_percent u, interphase_us u, the mode's
    /// parameters, and max_intensity_ua u with max_intensity_limit s: the most any pulse of the
    /// segment may carry under the effective limits), toml s (the program as a file `Add`
    /// accepts).
    async fn get(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        id: &str,
    ) -> Result<HashMap<String, OwnedValue>, StimdError> {
        check_id(id)?;
        self.limiter.take(&hdr)?;
        let cat = self.catalog.read().map_err(|_| unavailable())?;
        let (p, builtin) = cat.get(id).ok_or_else(|| {
            StimdError::UnknownProgram(
                Text::new("program.unknown")
                    .quoted("program", id)
                    .arg("known", cat.ids())
                    .into(),
            )
        })?;
        let mut d: HashMap<String, OwnedValue> = HashMap::new();
        let mut put = |k: &str, v: Value<'_>| {
            d.insert(k.to_string(), ov(v));
        };
        put("id", Value::from(p.id.as_str()));
        put("name", Value::from(p.name.get(&self.locale)));
        put("name_nl", Value::from(p.name.nl.as_str()));
        put("name_en", Value::from(p.name.en.as_str()));
        put("kind", Value::from(p.kind.as_str()));
        put("summary", Value::from(p.summary.get(&self.locale)));
        put("summary_nl", Value::from(p.summary.nl.as_str()));
        put("summary_en", Value::from(p.summary.en.as_str()));
        put("builtin", Value::Bool(builtin));
        put("placements", Value::from(p.placements.clone()));
        put("outline", Value::from(summary_line(p)));
        put(
            "segments",
            Value::from(
                p.segments
                    .iter()
                    .map(|s| segment_dict(s, cat.limits()))
                    .collect::<Vec<_>>(),
            ),
        );
        put("toml", Value::from(to_toml(p)));
        Ok(d)
    }

    /// Adds a custom program from program-file text (TOML, see docs/programs.md); returns its
    /// id. A program that fails validation is refused with every problem listed; one that
    /// cannot be stored durably is refused with `StorageFailed` and not served.
    async fn add(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        program_toml: &str,
    ) -> Result<String, StimdError> {
        // Size and control characters first: nothing big or bad is copied further.
        check_file_text(program_toml).map_err(|m| {
            StimdError::InvalidArgument(
                Text::new("program.bad_text")
                    .arg("detail", format!("program_toml: {m}"))
                    .into(),
            )
        })?;
        self.limiter.take(&hdr)?;
        let catalog = self.catalog.clone();
        let text = program_toml.to_string();
        let id = tokio::task::spawn_blocking(move || {
            catalog
                .write()
                .map_err(|_| unavailable())?
                .add(&text)
                .map_err(StimdError::from)
        })
        .await
        .map_err(failed)??;
        self.record(conn, &hdr, "program_added", &id).await;
        Ok(id)
    }

    /// Removes a custom program. Presets cannot be removed.
    async fn remove(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        id: &str,
    ) -> Result<(), StimdError> {
        check_id(id)?;
        self.limiter.take(&hdr)?;
        let catalog = self.catalog.clone();
        let owned = id.to_string();
        tokio::task::spawn_blocking(move || {
            catalog
                .write()
                .map_err(|_| unavailable())?
                .remove(&owned)
                .map_err(StimdError::from)
        })
        .await
        .map_err(failed)??;
        self.record(conn, &hdr, "program_removed", id).await;
        Ok(())
    }
}
