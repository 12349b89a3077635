//! The profiles, kept as TOML files in `<state dir>/profiles/`, written durably (temporary
//! file, fsync, rename, directory fsync) before a change takes effect: a change that cannot be
//! written is refused and the old profile stays in force. A `default` profile always exists
//! unless its file is damaged; it cannot be removed.
//!
//! A file that does not parse, or holds a text with control characters, an unknown language,
//! incomplete answers or values out of range, is never served: the profile is reported
//! damaged (sessions for it are refused with the reason) until an administrator removes the
//! file, and no one can create a fresh profile over it (that would drop the person's limits).

use super::profile::{valid_name, AnswersError, ApprovalError, Profile};
use super::settings::SettingError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Most profiles one device keeps (a family, a practice's few regulars).
pub const MAX_PROFILES: usize = 16;
/// The profile used when a session names none; it always exists unless its file is damaged,
/// and cannot be removed.
pub const DEFAULT: &str = "default";

/// Why a profile change or look-up is refused. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A name that is not a valid profile name (see `profile::valid_name`); it holds the name.
    #[error(
        "name = {} is not a profile name (1 to 32 of a-z, 0-9, - and _, starting with a letter)",
        crate::model::text::shown(.0)
    )]
    BadName(String),
    /// A profile of this name (the one it holds) is already stored.
    #[error("profile {0:?} already exists; use Update")]
    Exists(String),
    /// No such profile.
    #[error("profile = {} does not exist (profiles: {known})", crate::model::text::shown(.name))]
    Unknown {
        /// The name asked for, cut to 40 characters.
        name: String,
        /// The profiles there are, joined with `, `.
        known: String,
    },
    /// The profile's file is damaged: not served, not replaced until an administrator removes
    /// it.
    #[error(
        "profile = {name:?} is not available: its file is damaged ({why}); an \
         administrator may remove it (Profiles.Remove) and create the profile again"
    )]
    Damaged {
        /// The profile's name.
        name: String,
        /// The file and its problems, as found when loading.
        why: String,
    },
    /// The device keeps [`MAX_PROFILES`] already.
    #[error("{count} profiles are stored (allowed: at most {MAX_PROFILES}); remove one first")]
    Full {
        /// How many are stored.
        count: usize,
    },
    /// The `default` profile may not be removed.
    #[error("the default profile cannot be removed")]
    DefaultStays,
    /// A setting the profile's rules refuse.
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// Answers the profile's rules refuse (including a "yes" cleared by someone who may not).
    #[error(transparent)]
    Answers(#[from] AnswersError),
    /// An approval the profile's rules refuse.
    #[error(transparent)]
    Approval(#[from] ApprovalError),
    /// The profile could not be written as TOML.
    #[error("cannot write profile {name:?}: {source}")]
    Serialize {
        /// The profile's name.
        name: String,
        /// What the TOML writer refused.
        #[source]
        source: toml::ser::Error,
    },
    /// The change could not be written durably; the old profile stays in force.
    #[error(
        "cannot store profile {name:?} in {}: {source}; nothing changed (the old values stay in force)",
        .dir.display()
    )]
    Write {
        /// The profile's name.
        name: String,
        /// The profiles' directory.
        dir: PathBuf,
        /// Why the write failed.
        #[source]
        source: std::io::Error,
    },
    /// The file could not be removed durably; the profile is still there.
    #[error("cannot remove profile {name:?} from {}: {source}; it is still there", .dir.display())]
    Remove {
        /// The profile's name.
        name: String,
        /// The profiles' directory.
        dir: PathBuf,
        /// Why the removal failed.
        #[source]
        source: std::io::Error,
    },
}

/// Every profile, in memory and in `<state dir>/profiles/`, and the ones whose file is
/// damaged. Shared behind a lock by the session side (which reads a profile before a session,
/// and whose outbox writes the comfort levels) and the `Profiles` interface (which edits
/// them).
#[derive(Debug)]
pub struct ProfileStore {
    dir: PathBuf,
    profiles: BTreeMap<String, Profile>,
    /// Profiles whose file is damaged: name → why (not served, not replaced by `create`).
    damaged: BTreeMap<String, String>,
    /// The language of a `default` made afresh.
    locale: String,
}

impl ProfileStore {
    /// Loads every profile in `dir`; a file with a problem is left alone, skipped, and
    /// reported (file and key). `default` is made (in `locale`) if it has no file at all.
    pub fn load(dir: &Path, locale: &str) -> (ProfileStore, Vec<String>) {
        let mut store = ProfileStore {
            dir: dir.to_path_buf(),
            profiles: BTreeMap::new(),
            damaged: BTreeMap::new(),
            locale: locale.into(),
        };
        let mut warnings = Vec::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for path in files {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let parsed = crate::files::read_small(&path)
                .map_err(|e| e.to_string())
                .and_then(|t| {
                    toml::from_str::<Profile>(&t).map_err(|e| {
                        crate::model::text::escape_refused(&e.to_string().replace('\n', " "))
                    })
                })
                .and_then(|p| {
                    let mut problems = p.problems();
                    if p.name != stem {
                        problems.push(format!(
                            "name = {} does not match the file name",
                            crate::model::text::shown(&p.name)
                        ));
                    }
                    if problems.is_empty() {
                        Ok(p)
                    } else {
                        Err(problems.join("; "))
                    }
                });
            match parsed {
                Ok(p) if store.profiles.len() < MAX_PROFILES => {
                    store.profiles.insert(p.name.clone(), p);
                }
                Ok(p) => warnings.push(format!(
                    "{}: more than {MAX_PROFILES} profiles; profile {:?} skipped",
                    path.display(),
                    p.name
                )),
                Err(why) => {
                    warnings.push(format!("{}: skipped, not served: {why}", path.display()));
                    if valid_name(&stem) {
                        store
                            .damaged
                            .insert(stem, format!("{}: {why}", path.display()));
                    }
                }
            }
        }
        if !store.damaged.contains_key(DEFAULT) {
            store
                .profiles
                .entry(DEFAULT.into())
                .or_insert_with(|| Profile::new(DEFAULT, locale));
        }
        (store, warnings)
    }

    /// A new profile `name` with every setting at its default, in the `default` profile's
    /// language (the device's language when there is no `default`). Not stored: see
    /// [`ProfileStore::create`].
    pub fn fresh(&self, name: &str) -> Profile {
        let language = self
            .get(DEFAULT)
            .map_or(self.locale.as_str(), |d| d.language.as_str());
        Profile::new(name, language)
    }

    /// The profile `name`, if it is served (`None` for an unknown or damaged one; see
    /// [`ProfileStore::existing`] for the reason).
    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// Every profile served, by name.
    pub fn list(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values()
    }

    /// The names of the profiles served, joined with `, ` (for messages).
    pub fn names(&self) -> String {
        self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
    }

    /// The profile `name`, or an error naming the ones there are (or why it is damaged).
    pub fn existing(&self, name: &str) -> Result<&Profile, StoreError> {
        if let Some(why) = self.damaged.get(name) {
            return Err(StoreError::Damaged {
                name: name.into(),
                why: why.clone(),
            });
        }
        self.profiles.get(name).ok_or_else(|| StoreError::Unknown {
            name: name.chars().take(40).collect(),
            known: self.names(),
        })
    }

    /// Stores a new profile durably. Nothing changes on error.
    pub fn create(&mut self, p: Profile) -> Result<(), StoreError> {
        if !valid_name(&p.name) {
            return Err(StoreError::BadName(p.name));
        }
        if self.damaged.contains_key(&p.name) {
            self.existing(&p.name)?;
        }
        if self.profiles.contains_key(&p.name) {
            return Err(StoreError::Exists(p.name));
        }
        if self.profiles.len() >= MAX_PROFILES {
            return Err(StoreError::Full {
                count: self.profiles.len(),
            });
        }
        self.put(p)
    }

    /// Replaces an existing profile (validated by the caller), durably: the file is written
    /// (and synced) first, and only then the profile in memory. If the file cannot be written
    /// (a read-only or full state directory), the change is refused (`Io`) and the old
    /// profile stays in force.
    pub fn put(&mut self, p: Profile) -> Result<(), StoreError> {
        let text = toml::to_string(&p).map_err(|source| StoreError::Serialize {
            name: p.name.clone(),
            source,
        })?;
        crate::files::write_toml(&self.dir, &p.name, &text).map_err(|source| {
            tracing::error!(
                "cannot store profile {:?} in {}: {source}; the change is refused",
                p.name,
                self.dir.display()
            );
            StoreError::Write {
                name: p.name.clone(),
                dir: self.dir.clone(),
                source,
            }
        })?;
        self.profiles.insert(p.name.clone(), p);
        Ok(())
    }

    /// Changes the profile `name` with `f` and stores it durably, all under the caller's lock
    /// (no other change can come between reading and writing). Nothing changes if `f` or the
    /// write fails.
    pub fn modify<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Profile) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut p = self.existing(name)?.clone();
        let out = f(&mut p)?;
        self.put(p)?;
        Ok(out)
    }

    /// Removes a profile's file durably, then the profile. A damaged profile's file can be
    /// removed too (a damaged `default` is then made afresh, unanswered and without limits of
    /// its own).
    pub fn remove(&mut self, name: &str) -> Result<(), StoreError> {
        if let Some(why) = self.damaged.get(name).cloned() {
            crate::files::remove_toml(&self.dir, name)
                .map_err(|source| self.remove_error(name, source))?;
            tracing::warn!("removed the damaged profile file of {name:?} ({why})");
            self.damaged.remove(name);
            if name == DEFAULT {
                self.profiles
                    .insert(DEFAULT.into(), Profile::new(DEFAULT, &self.locale));
            }
            return Ok(());
        }
        if name == DEFAULT {
            return Err(StoreError::DefaultStays);
        }
        self.existing(name)?;
        crate::files::remove_toml(&self.dir, name)
            .map_err(|source| self.remove_error(name, source))?;
        self.profiles.remove(name);
        Ok(())
    }

    fn remove_error(&self, name: &str, source: std::io::Error) -> StoreError {
        StoreError::Remove {
            name: name.into(),
            dir: self.dir.clone(),
            source,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A store whose `default` profile answered "no" to every question and has no dose limit
    /// (tests run many sessions in a row).
    pub(crate) fn screened(dir: &Path) -> ProfileStore {
        let (mut s, _) = ProfileStore::load(dir, "en");
        let mut p = s.get(DEFAULT).unwrap().clone();
        let no = crate::care::profile::QUESTIONS
            .iter()
            .map(|q| (q.to_string(), false))
            .collect();
        p.screening = Some(crate::care::profile::screening(&no, 0).unwrap());
        p.dose = crate::care::dose::Dose {
            sessions_per_day: 0,
            minutes_per_day: 0,
            min_gap_minutes: 0,
            counts_after_minutes: 0,
        };
        s.profiles.insert(DEFAULT.into(), p);
        s
    }

    #[test]
    fn profiles_survive_a_reload_and_default_always_exists() {
        let dir = std::env::temp_dir().join(format!("stimd-profiles-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (mut s, w) = ProfileStore::load(&dir, "en");
        assert!(w.is_empty());
        assert_eq!(s.get(DEFAULT).unwrap().language, "en");
        let mut anna = Profile::new("anna", "nl");
        anna.max_intensity_ua = [20_000, 15_000];
        anna.comfort.insert("neck".into(), [8_000, 8_000]);
        s.create(anna.clone()).unwrap();
        assert!(matches!(s.create(anna.clone()), Err(StoreError::Exists(_))));
        assert!(matches!(
            s.create(Profile::new("../etc", "nl")),
            Err(StoreError::BadName(_))
        ));
        assert!(matches!(s.remove(DEFAULT), Err(StoreError::DefaultStays)));
        // An unwritable directory: the change is refused, nothing changes.
        let mut ro = ProfileStore::load(Path::new("/proc/stimd-no-such-dir"), "en").0;
        let e = ro.create(Profile::new("kim", "en")).unwrap_err();
        assert!(matches!(&e, StoreError::Write { .. }), "{e}");
        assert!(
            std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()),
            "the io::Error is kept"
        );
        assert!(ro.get("kim").is_none());
        std::fs::write(dir.join("broken.toml"), "name = 3").unwrap();
        let (s2, w) = ProfileStore::load(&dir, "en");
        assert_eq!(s2.get("anna"), Some(&anna));
        assert_eq!(w.len(), 1, "{w:?}");
        let mut s2 = s2;
        s2.remove("anna").unwrap();
        assert!(ProfileStore::load(&dir, "en").0.get("anna").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
    #[test]
    fn a_change_that_cannot_be_written_is_refused_and_the_old_value_stays() {
        let dir = std::env::temp_dir().join(format!("stimd-profiles-fail-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (mut s, _) = ProfileStore::load(&dir, "en");
        let mut anna = Profile::new("anna", "nl");
        anna.max_intensity_ua = [20_000, 20_000];
        s.create(anna).unwrap();
        // The file's place taken by a non-empty directory: the rename fails, even for root.
        std::fs::remove_file(dir.join("anna.toml")).unwrap();
        std::fs::create_dir_all(dir.join("anna.toml").join("x")).unwrap();
        let e = s
            .modify("anna", |p| {
                p.max_intensity_ua = [40_000, 40_000];
                Ok(())
            })
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Write { .. }) && e.to_string().contains("nothing changed"),
            "{e}"
        );
        assert_eq!(s.get("anna").unwrap().max_intensity_ua, [20_000, 20_000]);
        assert!(!dir.join(".anna.toml.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_file_is_not_served_nor_replaced_until_removed() {
        let dir = std::env::temp_dir().join(format!("stimd-profiles-bad-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("anna.toml"),
            "name = \"anna\"\nlanguage = \"nl\"\nmax_intensity_ua = [9000, 9000]\n[approval]\ndate = 1\nby = \"uid:0\"\nnote = \"a\\u0000b\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("default.toml"),
            "name = \"default\"\nlanguage = \"x\"\n",
        )
        .unwrap();
        let (mut s, w) = ProfileStore::load(&dir, "en");
        let w = w.join("\n");
        assert!(
            w.contains("anna.toml: skipped, not served: approval.note = \"a\\0b\""),
            "{w}"
        );
        assert!(
            w.contains("default.toml: skipped, not served: language = \"x\""),
            "{w}"
        );
        assert!(s.get("anna").is_none() && s.get(DEFAULT).is_none());
        let e = s.existing("anna").unwrap_err().to_string();
        assert!(e.contains("damaged"), "{e}");
        // A fresh profile over it would drop her limits: refused.
        assert!(s.create(Profile::new("anna", "nl")).is_err());
        assert!(dir.join("anna.toml").exists());
        s.remove("anna").unwrap();
        s.create(Profile::new("anna", "nl")).unwrap();
        s.remove(DEFAULT).unwrap();
        assert_eq!(s.get(DEFAULT).unwrap().language, "en");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_fresh_profile_takes_the_default_profiles_language() {
        let dir = std::env::temp_dir().join(format!("stimd-profiles-lang-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (mut s, _) = ProfileStore::load(&dir, "en");
        assert_eq!(s.fresh("kim"), Profile::new("kim", "en"));
        s.modify(DEFAULT, |p| {
            p.language = "nl".into();
            Ok(())
        })
        .unwrap();
        assert_eq!(s.fresh("kim"), Profile::new("kim", "nl"));
        assert!(s.get("kim").is_none(), "not stored");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
