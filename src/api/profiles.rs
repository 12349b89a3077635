//! `io.stimd.Stimd1.Profiles`: the people who use the device — list, read, create, update and
//! remove profiles, record their answers to the contraindication questions, and (for an
//! administrator) a doctor's approval.
//!
//! Translates and checks the caller; `care` holds the rules and the store. A person's limits
//! (`max_intensity_ua`, `electrode_area_cm2`), removing a profile and approvals are for root
//! and members of the administrators' group only; each such change is recorded in the
//! history. File writes run on a blocking thread.

use super::StimdError;
use crate::care::profile::{screening, Approval, Profile, QUESTIONS};
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

/// Most preferred programs a profile lists.
const MAX_PREFERRED: usize = 10;

impl From<StoreError> for StimdError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) | StoreError::Unknown(m) => StimdError::InvalidArgument(m),
            StoreError::NotPermitted(m) => StimdError::NotPermitted(m),
            StoreError::Io(m) => StimdError::Failed(m),
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

fn touches_limits(settings: &HashMap<String, OwnedValue>) -> bool {
    settings.keys().any(|k| LIMIT_KEYS.contains(&k.as_str()))
}

impl Profiles {
    /// `settings` applied to `p`, each key checked; nothing is applied on error.
    fn apply(
        &self,
        p: &mut Profile,
        settings: &HashMap<String, OwnedValue>,
    ) -> Result<(), StimdError> {
        let mut next = p.clone();
        for (key, v) in settings {
            match key.as_str() {
                "language" => {
                    let l = typed::<String>(key, v, "s")?;
                    if l != "nl" && l != "en" {
                        return Err(invalid(format!("language = {l:?} (allowed: nl, en)")));
                    }
                    next.language = l;
                }
                "max_intensity_ua" => {
                    let max = typed::<Vec<u32>>(key, v, "au")?;
                    let peak = self.limits.peak_current.0;
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
                    let catalog = self.catalog.read().map_err(|_| unavailable())?;
                    if ids.len() > MAX_PREFERRED {
                        return Err(invalid(format!(
                            "preferred_programs: {} programs (allowed: at most {MAX_PREFERRED})",
                            ids.len()
                        )));
                    }
                    if let Some(bad) = ids.iter().find(|id| catalog.get(id).is_none()) {
                        return Err(invalid(format!(
                            "preferred_programs: program {:?} does not exist",
                            bad.chars().take(64).collect::<String>()
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
                        "unknown setting {:?} (allowed: language, max_intensity_ua, electrode_area_cm2, preferred_programs, sessions_per_day, minutes_per_day, min_gap_minutes, habituation, habituation_every_minutes, habituation_margin_ua)",
                        other.chars().take(32).collect::<String>()
                    )))
                }
            }
        }
        *p = next;
        Ok(())
    }

    /// Refuses a caller who is neither root nor an administrator.
    async fn require_admin(
        &self,
        conn: &zbus::Connection,
        hdr: &zbus::message::Header<'_>,
        what: &str,
    ) -> Result<String, StimdError> {
        let uid = super::caller_uid(conn, hdr).await;
        let group = self.admin_group.clone();
        let ok = match uid {
            Some(u) => tokio::task::spawn_blocking(move || admin::is_admin(u, &group))
                .await
                .unwrap_or(false),
            None => false,
        };
        if !ok {
            return Err(StimdError::NotPermitted(format!(
                "{what} is for root and members of the group {:?} only",
                self.admin_group
            )));
        }
        Ok(uid.map_or("client".into(), |u| format!("uid:{u}")))
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
        self.limiter.take(&hdr)?;
        let actor = self.actor_for(conn, &hdr, &settings).await?;
        let language = self.existing(crate::care::store::DEFAULT)?.language;
        let mut p = Profile::new(name, &language);
        self.apply(&mut p, &settings)?;
        let (max, area) = (p.max_intensity_ua, p.electrode_area_cm2);
        self.store(move |s| s.create(p)).await?;
        self.record(
            name,
            &actor,
            format!("created (max_intensity_ua {max:?}, electrode_area_cm2 {area})"),
        );
        Ok(())
    }

    /// Changes settings of a profile (the same keys as `Create`).
    async fn update(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        name: &str,
        settings: HashMap<String, OwnedValue>,
    ) -> Result<(), StimdError> {
        self.limiter.take(&hdr)?;
        let actor = self.actor_for(conn, &hdr, &settings).await?;
        let limits = touches_limits(&settings);
        let mut p = self.existing(name)?;
        self.apply(&mut p, &settings)?;
        let (max, area, dose, hab) = (
            p.max_intensity_ua,
            p.electrode_area_cm2,
            p.dose,
            p.habituation,
        );
        self.store(move |s| s.put(p)).await?;
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
    /// stays.
    async fn remove(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        name: &str,
    ) -> Result<(), StimdError> {
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
    /// sessions until an administrator records a doctor's approval; new answers clear an
    /// earlier approval.
    async fn record_screening(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        name: &str,
        answers: HashMap<String, bool>,
    ) -> Result<(), StimdError> {
        self.limiter.take(&hdr)?;
        let mut p = self.existing(name)?;
        let answers: BTreeMap<String, bool> = answers.into_iter().collect();
        let s = screening(&answers, crate::clock::unix_now()).map_err(invalid)?;
        let yes = s.yes().join(", ");
        p.screening = Some(s);
        p.approval = None;
        self.store(move |st| st.put(p)).await?;
        let actor = super::caller(conn, &hdr).await;
        self.record(
            name,
            &actor,
            format!("contraindication check: yes to [{yes}]"),
        );
        Ok(())
    }

    /// Records that a doctor approved use despite the "yes" answers (administrators only).
    async fn approve(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        name: &str,
        note: &str,
    ) -> Result<(), StimdError> {
        self.limiter.take(&hdr)?;
        let actor = self
            .require_admin(conn, &hdr, "recording a doctor's approval")
            .await?;
        let mut p = self.existing(name)?;
        let yes = p
            .screening
            .as_ref()
            .map(|s| s.yes().join(", "))
            .unwrap_or_default();
        if yes.is_empty() {
            return Err(invalid(format!(
                "profile {name:?} has no \"yes\" answer to approve"
            )));
        }
        if note.chars().count() > 200 {
            return Err(invalid("note: at most 200 characters".into()));
        }
        p.approval = Some(Approval {
            date: crate::clock::unix_now(),
            by: actor.clone(),
            note: note.into(),
        });
        self.store(move |s| s.put(p)).await?;
        self.record(name, &actor, format!("approved despite [{yes}]: {note}"));
        Ok(())
    }
}
