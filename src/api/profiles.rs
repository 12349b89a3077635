//! `io.stimd.Stimd1.Profiles`: the people who use the device — list, read, create, update and
//! remove profiles, record their answers to the contraindication questions, and (for an
//! administrator) a doctor's approval.
//!
//! Translates and checks the caller; `care` holds the rules and the store. A person's limits
//! (`max_intensity_ua`, `electrode_area_cm2`, dose, habituation), removing a profile,
//! approvals and clearing an earlier "yes" are for root and members of the administrators'
//! group only; each such change, every answer and every approval is recorded in the history
//! with who made it. Arguments are checked for size and control characters before anything
//! else. Every change is written durably (on a blocking thread, under the store's lock)
//! before the call answers; one that cannot be written is refused with `StorageFailed`.

use super::StimdError;
use crate::care::profile::{screening, Approval, Profile, MAX_NOTE_LEN, MAX_PREFERRED, QUESTIONS};
use crate::care::store::StoreError;
use crate::care::{admin, ProfileStore};
use crate::history::{HistoryHandle, ProfileChangeRow};
use crate::program::Catalog;
use crate::safety::limits::{ceiling, Limits};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use zbus::interface;
use zbus::zvariant::{OwnedValue, Value};

pub struct Profiles {
    pub limiter: Arc<super::limiter::Limiter>,
    pub profiles: Arc<RwLock<ProfileStore>>,
    pub catalog: Arc<RwLock<Catalog>>,
    pub limits: Limits,
    pub history: HistoryHandle,
    /// Members of this group (and root) may change limits and record approvals.
    pub admin_group: String,
}

/// Longest profile name or program id accepted as an argument (checked before anything else;
/// profile names are at most 32 characters, program ids at most 64).
const MAX_ARG_LEN: usize = 64;

impl From<StoreError> for StimdError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) | StoreError::Unknown(m) => StimdError::InvalidArgument(m),
            StoreError::NotPermitted(m) => StimdError::NotPermitted(m),
            StoreError::Io(m) => StimdError::StorageFailed(m),
        }
    }
}

fn ov(v: Value<'_>) -> OwnedValue {
    v.try_into().unwrap_or_else(|_| OwnedValue::from(0u8))
}

fn unavailable() -> StimdError {
    StimdError::Failed("the profiles are unavailable".into())
}

fn invalid(m: String) -> StimdError {
    StimdError::InvalidArgument(m)
}

/// A setting's value as the D-Bus type `signature` says it must be.
fn typed<T: TryFrom<OwnedValue>>(
    key: &str,
    v: &OwnedValue,
    signature: &str,
) -> Result<T, StimdError> {
    v.try_clone()
        .ok()
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| invalid(format!("{key}: expected {signature}")))
}

/// Settings keys that change a person's limits.
const LIMIT_KEYS: [&str; 8] = [
    "max_intensity_ua",
    "electrode_area_cm2",
    "sessions_per_day",
    "minutes_per_day",
    "min_gap_minutes",
    "habituation",
    "habituation_every_minutes",
    "habituation_margin_ua",
];

/// Every settings key of `Create` and `Update`.
const SETTINGS_KEYS: [&str; 10] = [
    "language",
    "max_intensity_ua",
    "electrode_area_cm2",
    "preferred_programs",
    "sessions_per_day",
    "minutes_per_day",
    "min_gap_minutes",
    "habituation",
    "habituation_every_minutes",
    "habituation_margin_ua",
];

fn touches_limits(settings: &HashMap<String, OwnedValue>) -> bool {
    settings.keys().any(|k| LIMIT_KEYS.contains(&k.as_str()))
}

/// A profile name argument, checked before anything else: length and control characters.
fn check_name(name: &str) -> Result<(), StimdError> {
    crate::text::check("name", name, MAX_ARG_LEN).map_err(invalid)
}

/// The number of elements of an array value, without copying it.
fn array_len(v: &OwnedValue) -> Option<usize> {
    match &**v {
        Value::Array(a) => Some(a.len()),
        _ => None,
    }
}

/// Checks a settings dictionary before anything is copied from it: no more entries than there
/// are keys, every key known, arrays no longer than allowed, texts without control characters.
fn check_settings(settings: &HashMap<String, OwnedValue>) -> Result<(), StimdError> {
    if settings.len() > SETTINGS_KEYS.len() {
        return Err(invalid(format!(
            "settings has {} entries (allowed: at most {}, one per key: {})",
            settings.len(),
            SETTINGS_KEYS.len(),
            SETTINGS_KEYS.join(", ")
        )));
    }
    for (key, v) in settings {
        if !SETTINGS_KEYS.contains(&key.as_str()) {
            return Err(invalid(format!(
                "unknown setting {} (allowed: {})",
                crate::text::shown(key),
                SETTINGS_KEYS.join(", ")
            )));
        }
        let (max, what) = match key.as_str() {
            "max_intensity_ua" => (ceiling::CHANNELS, "one per channel"),
            "preferred_programs" => (MAX_PREFERRED, "program ids"),
            _ => continue,
        };
        if let Some(n) = array_len(v).filter(|&n| n > max) {
            return Err(invalid(format!(
                "{key} has {n} values (allowed: at most {max}, {what})"
            )));
        }
    }
    if let Some(v) = settings.get("language") {
        if let Value::Str(l) = &**v {
            crate::text::check("language", l.as_str(), 8).map_err(invalid)?;
        }
    }
    if let Some(Value::Array(a)) = settings.get("preferred_programs").map(|v| &**v) {
        for (i, item) in a.iter().enumerate() {
            if let Value::Str(id) = item {
                crate::text::check(
                    &format!("preferred_programs[{i}]"),
                    id.as_str(),
                    MAX_ARG_LEN,
                )
                .map_err(invalid)?;
            }
        }
    }
    Ok(())
}

/// `settings` applied to `p`, each key checked; nothing is applied on error. `programs` are
/// the ids of the programs there are (read before the profiles are locked).
fn apply(
    p: &mut Profile,
    settings: &HashMap<String, OwnedValue>,
    limits: &Limits,
    programs: &[String],
) -> Result<(), StimdError> {
    let mut next = p.clone();
    for (key, v) in settings {
        match key.as_str() {
            "language" => {
                let l = typed::<String>(key, v, "s")?;
                if l != "nl" && l != "en" {
                    return Err(invalid(format!(
                        "language = {} (allowed: nl, en)",
                        crate::text::shown(&l)
                    )));
                }
                next.language = l;
            }
            "max_intensity_ua" => {
                let max = typed::<Vec<u32>>(key, v, "au")?;
                let peak = limits.peak_current.0;
                if max.len() != ceiling::CHANNELS || max.iter().any(|&m| m > peak) {
                    return Err(invalid(format!(
                        "max_intensity_ua = {max:?} (allowed: {} values in 0..={peak} µA; 0 = the device's limits)",
                        ceiling::CHANNELS
                    )));
                }
                next.max_intensity_ua.copy_from_slice(&max);
            }
            "electrode_area_cm2" => {
                let a = typed::<f64>(key, v, "d")?;
                if !(a == 0.0 || (1.0..=400.0).contains(&a)) {
                    return Err(invalid(format!(
                        "electrode_area_cm2 = {a} (allowed: 0 = the device's setting, or 1..=400)"
                    )));
                }
                next.electrode_area_cm2 = a;
            }
            "preferred_programs" => {
                let ids = typed::<Vec<String>>(key, v, "as")?;
                if ids.len() > MAX_PREFERRED {
                    return Err(invalid(format!(
                        "preferred_programs: {} programs (allowed: at most {MAX_PREFERRED})",
                        ids.len()
                    )));
                }
                if let Some(bad) = ids.iter().find(|id| !programs.contains(id)) {
                    return Err(invalid(format!(
                        "preferred_programs: program {} does not exist",
                        crate::text::shown(bad)
                    )));
                }
                next.preferred_programs = ids;
            }
            "sessions_per_day"
            | "minutes_per_day"
            | "min_gap_minutes"
            | "habituation_every_minutes"
            | "habituation_margin_ua" => {
                use crate::care::dose::{MINUTES_PER_DAY, MIN_GAP_MINUTES, SESSIONS_PER_DAY};
                use crate::care::habituation::{EVERY_MINUTES, MARGIN_UA};
                let n: u32 = typed(key, v, "u")?;
                let (range, field) = match key.as_str() {
                    "sessions_per_day" => (SESSIONS_PER_DAY, &mut next.dose.sessions_per_day),
                    "minutes_per_day" => (MINUTES_PER_DAY, &mut next.dose.minutes_per_day),
                    "min_gap_minutes" => (MIN_GAP_MINUTES, &mut next.dose.min_gap_minutes),
                    "habituation_every_minutes" => {
                        (EVERY_MINUTES, &mut next.habituation.every_minutes)
                    }
                    _ => (MARGIN_UA, &mut next.habituation.margin_ua),
                };
                if !range.contains(&n) {
                    return Err(invalid(format!(
                        "{key} = {n} is out of range (allowed: {}..={})",
                        range.start(),
                        range.end()
                    )));
                }
                *field = n;
            }
            "habituation" => next.habituation.enabled = typed(key, v, "b")?,
            other => {
                return Err(invalid(format!(
                    "unknown setting {} (allowed: {})",
                    crate::text::shown(other),
                    SETTINGS_KEYS.join(", ")
                )))
            }
        }
    }
    *p = next;
    Ok(())
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

    /// Refuses a caller who is neither root nor an administrator.
    async fn require_admin(
        &self,
        conn: &zbus::Connection,
        hdr: &zbus::message::Header<'_>,
        what: &str,
    ) -> Result<String, StimdError> {
        let (ok, actor) = self.caller_is_admin(conn, hdr).await;
        if !ok {
            return Err(StimdError::NotPermitted(format!(
                "{what} is for root and members of the group {:?} only",
                self.admin_group
            )));
        }
        Ok(actor)
    }

    /// Who is making a change with `settings`; an administrator if it touches the limits.
    async fn actor_for(
        &self,
        conn: &zbus::Connection,
        hdr: &zbus::message::Header<'_>,
        settings: &HashMap<String, OwnedValue>,
    ) -> Result<String, StimdError> {
        if touches_limits(settings) {
            self.require_admin(conn, hdr, "setting a person's limits")
                .await
        } else {
            Ok(super::caller(conn, hdr).await)
        }
    }

    fn record(&self, profile: &str, actor: &str, change: String) {
        tracing::info!(profile, actor, "profile change: {change}");
        self.history.profile_change(ProfileChangeRow {
            time: crate::clock::unix_now(),
            profile: profile.into(),
            actor: actor.into(),
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
        .map_err(|e| StimdError::Failed(e.to_string()))?
    }

    fn existing(&self, name: &str) -> Result<Profile, StimdError> {
        let s = self.profiles.read().map_err(|_| unavailable())?;
        Ok(s.existing(name)?.clone())
    }

    /// The ids of every program, when `settings` names preferred programs (read before the
    /// profiles are locked, so the two locks are never held together).
    fn program_ids(
        &self,
        settings: &HashMap<String, OwnedValue>,
    ) -> Result<Vec<String>, StimdError> {
        if !settings.contains_key("preferred_programs") {
            return Ok(Vec::new());
        }
        Ok(self.catalog.read().map_err(|_| unavailable())?.ids())
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

    /// One profile: name s, language s, max_intensity_ua au, electrode_area_cm2 d,
    /// preferred_programs as, comfort a{sau}, screened b, screening_date x, answered_yes as,
    /// approved b, approved_by s, approval_date x, approval_note s.
    async fn get(&self, name: &str) -> Result<HashMap<String, OwnedValue>, StimdError> {
        check_name(name)?;
        let p = self.existing(name)?;
        let mut d: HashMap<String, OwnedValue> = HashMap::new();
        let mut put = |k: &str, v: Value<'_>| {
            d.insert(k.into(), ov(v));
        };
        put("name", Value::from(p.name.as_str()));
        put("language", Value::from(p.language.as_str()));
        put("max_intensity_ua", Value::from(p.max_intensity_ua.to_vec()));
        put("electrode_area_cm2", Value::F64(p.electrode_area_cm2));
        put(
            "preferred_programs",
            Value::from(p.preferred_programs.clone()),
        );
        let comfort: HashMap<String, Vec<u32>> = p
            .comfort
            .iter()
            .map(|(k, v)| (k.clone(), v.to_vec()))
            .collect();
        put("comfort", Value::from(comfort));
        put("sessions_per_day", Value::U32(p.dose.sessions_per_day));
        put("minutes_per_day", Value::U32(p.dose.minutes_per_day));
        put("min_gap_minutes", Value::U32(p.dose.min_gap_minutes));
        put("habituation", Value::Bool(p.habituation.enabled));
        put(
            "habituation_every_minutes",
            Value::U32(p.habituation.every_minutes),
        );
        put("habituation_margin_ua", Value::U32(p.habituation.margin_ua));
        put("screened", Value::Bool(p.screening.is_some()));
        put(
            "screening_date",
            Value::I64(p.screening.as_ref().map_or(0, |s| s.date)),
        );
        let yes: Vec<String> = p
            .screening
            .as_ref()
            .map(|s| s.yes().into_iter().map(String::from).collect())
            .unwrap_or_default();
        put("answered_yes", Value::from(yes));
        put("approved", Value::Bool(p.approval.is_some()));
        let a = p.approval.clone();
        put(
            "approved_by",
            Value::from(a.as_ref().map_or("", |a| a.by.as_str()).to_string()),
        );
        put(
            "approval_date",
            Value::I64(a.as_ref().map_or(0, |a| a.date)),
        );
        put(
            "approval_note",
            Value::from(a.map_or(String::new(), |a| a.note)),
        );
        Ok(d)
    }

    /// Creates a profile. Settings: `language` s (default the device's), `max_intensity_ua`
    /// au and `electrode_area_cm2` d (administrators only), `preferred_programs` as.
    async fn create(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        name: &str,
        settings: HashMap<String, OwnedValue>,
    ) -> Result<(), StimdError> {
        check_name(name)?;
        check_settings(&settings)?;
        self.limiter.take(&hdr)?;
        let actor = self.actor_for(conn, &hdr, &settings).await?;
        let language = {
            let s = self.profiles.read().map_err(|_| unavailable())?;
            s.get(crate::care::store::DEFAULT)
                .map_or_else(|| s.locale().to_string(), |d| d.language.clone())
        };
        let mut p = Profile::new(name, &language);
        apply(
            &mut p,
            &settings,
            &self.limits,
            &self.program_ids(&settings)?,
        )?;
        let (max, area) = (p.max_intensity_ua, p.electrode_area_cm2);
        self.store(move |s| s.create(p)).await?;
        self.record(
            name,
            &actor,
            format!("created (max_intensity_ua {max:?}, electrode_area_cm2 {area})"),
        );
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
        check_settings(&settings)?;
        self.limiter.take(&hdr)?;
        let actor = self.actor_for(conn, &hdr, &settings).await?;
        let limits = touches_limits(&settings);
        let programs = self.program_ids(&settings)?;
        // Checked on the current profile first (a bad value is named without locking), then
        // applied again to the profile as it is under the lock.
        apply(
            &mut self.existing(name)?,
            &settings,
            &self.limits,
            &programs,
        )?;
        let (owned, device) = (name.to_string(), self.limits.clone());
        let (max, area, dose, hab) = self
            .store(move |s| {
                s.modify(&owned, |p| {
                    apply(p, &settings, &device, &programs)
                        .map_err(|e| StoreError::Invalid(e.message()))?;
                    Ok((
                        p.max_intensity_ua,
                        p.electrode_area_cm2,
                        p.dose,
                        p.habituation,
                    ))
                })
            })
            .await?;
        if limits {
            self.record(
                name,
                &actor,
                format!(
                    "limits: max_intensity_ua {max:?}, electrode_area_cm2 {area}, {dose:?}, {hab:?}"
                ),
            );
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
        let actor = self.require_admin(conn, &hdr, "removing a profile").await?;
        let owned = name.to_string();
        self.store(move |s| s.remove(&owned)).await?;
        self.record(name, &actor, "removed".into());
        Ok(())
    }

    /// The contraindication questions in `language` (`nl`, `en`): (id, question).
    async fn questions(&self, language: &str) -> Result<Vec<(String, String)>, StimdError> {
        let nl = match language {
            "nl" => true,
            "en" => false,
            other => {
                return Err(invalid(format!(
                    "language = {:?} (allowed: nl, en)",
                    other.chars().take(8).collect::<String>()
                )))
            }
        };
        Ok(QUESTIONS
            .iter()
            .map(|(id, en, nl_text)| (id.to_string(), if nl { nl_text } else { en }.to_string()))
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
        if answers.len() > QUESTIONS.len() {
            return Err(invalid(format!(
                "answers has {} entries (allowed: at most {}, one per question)",
                answers.len(),
                QUESTIONS.len()
            )));
        }
        for k in answers.keys() {
            crate::text::check("answers", k, MAX_ARG_LEN).map_err(invalid)?;
        }
        self.limiter.take(&hdr)?;
        let answers: BTreeMap<String, bool> = answers.into_iter().collect();
        let s = screening(&answers, crate::clock::unix_now()).map_err(invalid)?;
        self.existing(name)?;
        let (admin, actor) = self.caller_is_admin(conn, &hdr).await;
        let owned = name.to_string();
        let change = self
            .store(move |st| {
                st.modify(&owned, |p| {
                    p.answer(s, admin).map_err(StoreError::NotPermitted)
                })
            })
            .await;
        match change {
            Ok(c) => {
                let mut what = c.describe();
                if !c.approval_kept && !c.yes.is_empty() {
                    what += "; needs a doctor's approval";
                }
                self.record(name, &actor, what);
                Ok(())
            }
            Err(e @ StimdError::NotPermitted(_)) => {
                tracing::warn!(profile = name, actor, "refused: {}", e.message());
                self.record(
                    name,
                    &actor,
                    format!("refused contraindication check: {}", e.message()),
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
        crate::text::check("note", note, MAX_NOTE_LEN).map_err(invalid)?;
        self.limiter.take(&hdr)?;
        let actor = self
            .require_admin(conn, &hdr, "recording a doctor's approval")
            .await?;
        let (owned, by, text) = (name.to_string(), actor.clone(), note.to_string());
        let yes = self
            .store(move |s| {
                s.modify(&owned, |p| {
                    let yes = p
                        .screening
                        .as_ref()
                        .map(|s| s.yes().join(", "))
                        .unwrap_or_default();
                    if yes.is_empty() {
                        return Err(StoreError::Invalid(format!(
                            "profile {owned:?} has no \"yes\" answer to approve"
                        )));
                    }
                    p.approval = Some(Approval {
                        date: crate::clock::unix_now(),
                        by,
                        note: text,
                    });
                    Ok(yes)
                })
            })
            .await?;
        self.record(name, &actor, format!("approved despite [{yes}]: {note}"));
        Ok(())
    }
}
