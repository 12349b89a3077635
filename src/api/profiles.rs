//! `io.stimd.Stimd1.Profiles`: the people who use the device — list, read, create, update and
//! remove profiles, record their answers to the contraindication questions, and (for an
//! administrator) a doctor's approval.
//!
//! Translates only: `a{sv}` to and from `care::settings` values, and care's typed errors to
//! D-Bus errors. `care` holds the rules (which settings exist, their types and ranges, which
//! are an administrator's, who may clear a "yes") and the store. Each change to a person's
//! limits, every answer and every approval is recorded in the history with who made it.
//! Arguments are checked for size and control characters before anything else. Every change
//! is written durably (on a blocking thread, under the store's lock) before the call answers;
//! one that cannot be written is refused with `StorageFailed`.

use super::StimdError;
use crate::care::admin::{self, Action, AdminOnly};
use crate::care::profile::{self, AnswersError, Profile};
use crate::care::settings::{self, Changes, Context, SettingValue, MAX_LIST_LEN};
use crate::care::store::StoreError;
use crate::care::texts;
use crate::care::ProfileStore;
use crate::catalog::Catalog;
use crate::history::{HistoryHandle, ProfileChangeRow};
use crate::model::limits::Limits;
use crate::texts::Text;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use zbus::interface;
use zbus::zvariant::{OwnedValue, Signature, Value};

/// The `Profiles` interface: what the daemon wiring hands it. Care holds the rules.
pub struct Profiles {
    /// Per-sender bounds on calls (shared by every interface).
    pub limiter: Arc<super::limiter::Limiter>,
    /// The profiles, shared with the session side.
    pub profiles: Arc<RwLock<ProfileStore>>,
    /// The program catalogue, for the ids `preferred_programs` may name.
    pub catalog: Arc<RwLock<Catalog>>,
    /// The device's effective limits: a person's own maximum may not exceed its peak current.
    pub limits: Limits,
    /// Where each change to a person's limits, answers and approvals is recorded.
    pub history: HistoryHandle,
    /// Members of this group (and root) may change limits and record approvals.
    pub admin_group: String,
}

impl From<StoreError> for StimdError {
    fn from(e: StoreError) -> Self {
        let m = e.text().into();
        match e {
            StoreError::Full { .. }
            | StoreError::DefaultStays
            | StoreError::Answers(AnswersError::ClearsYes { .. }) => StimdError::NotPermitted(m),
            StoreError::Serialize { .. } | StoreError::Write { .. } | StoreError::Remove { .. } => {
                StimdError::StorageFailed(m)
            }
            _ => StimdError::InvalidArgument(m),
        }
    }
}

fn invalid(t: Text) -> StimdError {
    StimdError::InvalidArgument(t.into())
}

fn unavailable() -> StimdError {
    StimdError::Failed(Text::new("profiles.unavailable").into())
}

/// An internal failure (a task gone, a value that cannot be sent).
fn failed(e: impl std::fmt::Display) -> StimdError {
    StimdError::Failed(
        Text::new("internal.failed")
            .arg("detail", e.to_string())
            .into(),
    )
}

/// A setting's value as care takes it; a list longer than any setting takes is not copied.
fn setting_value(v: &OwnedValue) -> SettingValue {
    match &**v {
        Value::Bool(b) => SettingValue::Bool(*b),
        Value::U32(n) => SettingValue::U32(*n),
        Value::F64(x) => SettingValue::F64(*x),
        Value::Str(s) => SettingValue::Text(s.to_string()),
        Value::Array(a) if a.len() > MAX_LIST_LEN => SettingValue::List(a.len()),
        Value::Array(a) => match a.element_signature() {
            Signature::U32 => SettingValue::U32s(
                a.inner()
                    .iter()
                    .filter_map(|x| u32::try_from(x).ok())
                    .collect(),
            ),
            Signature::Str => SettingValue::Texts(
                a.inner()
                    .iter()
                    .filter_map(|x| match x {
                        Value::Str(s) => Some(s.to_string()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => SettingValue::List(a.len()),
        },
        _ => SettingValue::Other,
    }
}

fn dbus_value(v: SettingValue) -> Value<'static> {
    match v {
        SettingValue::Bool(b) => Value::Bool(b),
        SettingValue::U32(n) => Value::U32(n),
        SettingValue::F64(x) => Value::F64(x),
        SettingValue::Text(s) => Value::from(s),
        SettingValue::U32s(v) => Value::from(v),
        SettingValue::Texts(v) => Value::from(v),
        SettingValue::List(_) | SettingValue::Other => Value::U8(0),
    }
}

/// The settings dictionary as care's checked changes (count, keys, list lengths, texts).
fn changes(settings: HashMap<String, OwnedValue>) -> Result<Changes, StimdError> {
    let entries = settings
        .iter()
        .map(|(k, v)| (k.clone(), setting_value(v)))
        .collect();
    Changes::new(entries).map_err(|e| invalid(texts::setting(&e)))
}

/// A profile name argument, checked before anything else (care's rule for arguments).
fn check_name(name: &str) -> Result<(), StimdError> {
    profile::check_name_arg(name).map_err(|e| invalid(texts::text_error(&e)))
}

impl Profiles {
    /// Whether the caller is root or an administrator, and who it is (`uid:<n>`, or `client`
    /// when the bus cannot say: then never an administrator).
    async fn caller_is_admin(
        &self,
        conn: &zbus::Connection,
        hdr: &zbus::message::Header<'_>,
    ) -> (bool, String) {
        let uid = super::caller_uid(conn, hdr).await;
        let group = self.admin_group.clone();
        let ok = match uid {
            Some(u) => tokio::task::spawn_blocking(move || admin::is_admin(u, &group))
                .await
                .unwrap_or(false),
            None => false,
        };
        (ok, uid.map_or("client".into(), |u| format!("uid:{u}")))
    }

    /// An administrator's action refused, naming the administrators' group.
    fn not_permitted(&self, e: AdminOnly) -> StimdError {
        let action = match e.0 {
            Action::SetLimits => "set_limits",
            Action::RemoveProfile => "remove_profile",
            Action::Approve => "approve",
        };
        StimdError::NotPermitted(
            Text::new("admin.only")
                .arg("action", action)
                .quoted("group", &self.admin_group)
                .into(),
        )
    }

    /// Who the caller is, refused unless `permitted` by care's rules given whether the
    /// caller is an administrator.
    async fn actor(
        &self,
        conn: &zbus::Connection,
        hdr: &zbus::message::Header<'_>,
        permitted: impl FnOnce(bool) -> Result<(), AdminOnly>,
    ) -> Result<String, StimdError> {
        let (admin, actor) = self.caller_is_admin(conn, hdr).await;
        permitted(admin).map_err(|e| self.not_permitted(e))?;
        Ok(actor)
    }

    /// Records a change of `kind` (the word `History.Changes` shows, see `ProfileChangeRow`).
    fn record(&self, profile: &str, actor: &str, kind: &'static str, change: String) {
        tracing::info!(profile, actor, "profile change: {change}");
        self.history.profile_change(ProfileChangeRow {
            time: crate::clock::unix_now(),
            profile: profile.into(),
            actor: actor.into(),
            kind,
            change,
        });
    }

    async fn store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut ProfileStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StimdError> {
        let profiles = self.profiles.clone();
        tokio::task::spawn_blocking(move || {
            let mut s = profiles.write().map_err(|_| unavailable())?;
            f(&mut s).map_err(StimdError::from)
        })
        .await
        .map_err(failed)?
    }

    /// `e` in the language of profile `name`, if it has one.
    fn localised(&self, name: &str, e: StimdError) -> StimdError {
        let lang = self.profiles.read().ok().and_then(|s| {
            let p = s.existing(name).ok()?;
            crate::texts::Lang::parse(&p.language)
        });
        match lang {
            Some(lang) => e.in_lang(lang),
            None => e,
        }
    }

    fn existing(&self, name: &str) -> Result<Profile, StimdError> {
        let s = self.profiles.read().map_err(|_| unavailable())?;
        Ok(s.existing(name)?.clone())
    }

    /// What settings are checked against: the device's peak current and, when `changes` name
    /// preferred programs, the ids of every program (read before the profiles are locked, so
    /// the two locks are never held together).
    fn context(&self, changes: &Changes) -> Result<Context, StimdError> {
        let programs = if changes.names_programs() {
            self.catalog.read().map_err(|_| unavailable())?.ids()
        } else {
            Vec::new()
        };
        Ok(Context {
            peak_ua: self.limits.peak_current.0,
            programs,
        })
    }
}

#[interface(
    name = "io.stimd.Stimd1.Profiles",
    proxy(
        default_service = "io.stimd.Stimd1",
        default_path = "/io/stimd/Stimd1",
        gen_blocking = false
    )
)]
impl Profiles {
    /// Every profile: (name, language).
    async fn list(&self) -> Result<Vec<(String, String)>, StimdError> {
        let s = self.profiles.read().map_err(|_| unavailable())?;
        Ok(s.list()
            .map(|p| (p.name.clone(), p.language.clone()))
            .collect())
    }

    /// One profile: every setting `Create` and `Update` take, each under its key with its
    /// type (`language` s, `max_intensity_ua` au, `electrode_area_cm2` d, `preferred_programs`
    /// as, the dose and habituation settings), and, read-only, name s, comfort a{sau},
    /// screened b, screening_date x, answered_yes as, approved b, approved_by s,
    /// approval_date x, approval_note s.
    async fn get(&self, name: &str) -> Result<HashMap<String, OwnedValue>, StimdError> {
        check_name(name)?;
        let p = self.existing(name)?;
        let comfort: HashMap<String, Vec<u32>> = p
            .comfort
            .iter()
            .map(|(k, v)| (k.clone(), v.to_vec()))
            .collect();
        let yes: Vec<String> = p.screening.as_ref().map_or_else(Vec::new, |s| {
            s.yes().into_iter().map(String::from).collect()
        });
        let a = p.approval.clone().unwrap_or_default();
        let values = settings::values(&p)
            .map(|(k, v)| (k, dbus_value(v)))
            .chain([
                ("name", Value::from(p.name.clone())),
                ("comfort", Value::from(comfort)),
                ("screened", Value::Bool(p.screening.is_some())),
                (
                    "screening_date",
                    Value::I64(p.screening.as_ref().map_or(0, |s| s.date)),
                ),
                ("answered_yes", Value::from(yes)),
                ("approved", Value::Bool(p.approval.is_some())),
                ("approved_by", Value::from(a.by)),
                ("approval_date", Value::I64(a.date)),
                ("approval_note", Value::from(a.note)),
            ]);
        values
            .map(|(k, v)| {
                let v = OwnedValue::try_from(v).map_err(failed)?;
                Ok((k.to_string(), v))
            })
            .collect()
    }

    /// Creates a profile with `settings` (any of the settings `Get` returns; `language`
    /// defaults to the `default` profile's; the settings that change a person's limits are
    /// for administrators only); the others keep their defaults.
    async fn create(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        name: &str,
        settings: HashMap<String, OwnedValue>,
    ) -> Result<(), StimdError> {
        check_name(name)?;
        let changes = changes(settings)?;
        self.limiter.take(&hdr)?;
        let actor = self.actor(conn, &hdr, |a| changes.permitted(a)).await?;
        let mut p = self.profiles.read().map_err(|_| unavailable())?.fresh(name);
        changes
            .apply(&mut p, &self.context(&changes)?)
            .map_err(|e| invalid(texts::setting(&e)))?;
        let record = p.created_record();
        self.store(move |s| s.create(p)).await?;
        self.record(name, &actor, "profile_created", record);
        Ok(())
    }

    /// Changes settings of a profile (the same keys as `Create`), durably: a change that
    /// cannot be written is refused (`StorageFailed`) and the old settings stay in force.
    async fn update(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        name: &str,
        settings: HashMap<String, OwnedValue>,
    ) -> Result<(), StimdError> {
        check_name(name)?;
        let changes = changes(settings)?;
        self.limiter.take(&hdr)?;
        let actor = self.actor(conn, &hdr, |a| changes.permitted(a)).await?;
        let ctx = self.context(&changes)?;
        // Checked on the current profile first (a bad value is named without locking), then
        // applied again to the profile as it is under the lock.
        changes
            .apply(&mut self.existing(name)?, &ctx)
            .map_err(|e| self.localised(name, invalid(texts::setting(&e))))?;
        let limits = changes.touches_limits();
        let owned = name.to_string();
        let record = self
            .store(move |s| {
                s.modify(&owned, |p| {
                    changes.apply(p, &ctx)?;
                    Ok(p.limits_record())
                })
            })
            .await
            .map_err(|e| self.localised(name, e))?;
        if limits {
            self.record(name, &actor, "profile_limits", record);
        }
        Ok(())
    }

    /// Removes a profile (administrators only: it removes that person's limits). `default`
    /// stays. A profile whose file is damaged can be removed too.
    async fn remove(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        name: &str,
    ) -> Result<(), StimdError> {
        check_name(name)?;
        self.limiter.take(&hdr)?;
        let actor = self
            .actor(conn, &hdr, |a| admin::require(a, Action::RemoveProfile))
            .await?;
        let owned = name.to_string();
        self.store(move |s| s.remove(&owned)).await?;
        self.record(name, &actor, "profile_removed", "removed".into());
        Ok(())
    }

    /// The contraindication questions in `language` (`nl`, `en`): (id, question).
    async fn questions(&self, language: &str) -> Result<Vec<(String, String)>, StimdError> {
        let questions = profile::questions(language)
            .map_err(|e| invalid(Text::new("language.unknown").quoted("language", &e.language)))?;
        Ok(questions
            .into_iter()
            .map(|(id, q)| (id.to_string(), q.to_string()))
            .collect())
    }

    /// Records a profile's answers (every question, true = yes), dated now. A "yes" refuses
    /// sessions until an administrator records a doctor's approval. Anyone allowed to call may
    /// answer for the first time or add a "yes"; changing an earlier "yes" to "no" is for
    /// root and administrators only (`NotPermitted`, recorded with who tried). An approval
    /// stays while the "yes" answers are the approved ones; any change to them clears it.
    async fn record_screening(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        name: &str,
        answers: HashMap<String, bool>,
    ) -> Result<(), StimdError> {
        check_name(name)?;
        profile::check_answer_keys(answers.keys().map(String::as_str))
            .map_err(|e| invalid(texts::answers(&e)))?;
        self.limiter.take(&hdr)?;
        let answers: BTreeMap<String, bool> = answers.into_iter().collect();
        let s = profile::screening(&answers, crate::clock::unix_now())
            .map_err(|e| invalid(texts::answers(&e)))?;
        self.existing(name)?;
        let (admin, actor) = self.caller_is_admin(conn, &hdr).await;
        let owned = name.to_string();
        let change = self
            .store(move |st| st.modify(&owned, |p| Ok(p.answer(s, admin)?)))
            .await
            .map_err(|e| self.localised(name, e));
        match change {
            Ok(c) => {
                self.record(name, &actor, "screening", c.describe());
                Ok(())
            }
            Err(e @ StimdError::NotPermitted(_)) => {
                // The audit trail in English, whatever the person's language.
                let english = e
                    .said()
                    .and_then(|s| s.text.as_ref())
                    .map_or_else(|| e.message(), |t| t.render_in(crate::texts::Lang::En));
                tracing::warn!(profile = name, actor, "refused: {english}");
                self.record(
                    name,
                    &actor,
                    "screening_refused",
                    format!("refused contraindication check: {english}"),
                );
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Records that a doctor approved use despite the "yes" answers (administrators only),
    /// durably before it takes effect.
    async fn approve(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        name: &str,
        note: &str,
    ) -> Result<(), StimdError> {
        check_name(name)?;
        profile::check_note(note).map_err(|e| invalid(texts::text_error(&e)))?;
        self.limiter.take(&hdr)?;
        let actor = self
            .actor(conn, &hdr, |a| admin::require(a, Action::Approve))
            .await?;
        let (owned, by, text) = (name.to_string(), actor.clone(), note.to_string());
        let now = crate::clock::unix_now();
        let yes = self
            .store(move |s| s.modify(&owned, |p| Ok(p.approve(now, &by, &text)?)))
            .await
            .map_err(|e| self.localised(name, e))?;
        self.record(
            name,
            &actor,
            "approval",
            format!("approved despite [{yes}]: {note}"),
        );
        Ok(())
    }
}
