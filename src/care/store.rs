//! The profiles, kept as TOML files in `<state dir>/profiles/`, written atomically (temporary
//! file, fsync, rename). A `default` profile always exists; it cannot be removed.

use super::profile::{valid_name, Profile};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Most profiles one device keeps (a family, a practice's few regulars).
pub const MAX_PROFILES: usize = 16;
pub const DEFAULT: &str = "default";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unknown(String),
    #[error("{0}")]
    NotPermitted(String),
    #[error("{0}")]
    Io(String),
}

#[derive(Debug)]
pub struct ProfileStore {
    dir: PathBuf,
    profiles: BTreeMap<String, Profile>,
}

impl ProfileStore {
    /// Loads every profile in `dir`; a file that does not parse is left alone, skipped, and
    /// reported. `default` is made (in `locale`) if it is not there.
    pub fn load(dir: &Path, locale: &str) -> (ProfileStore, Vec<String>) {
        let mut store = ProfileStore {
            dir: dir.to_path_buf(),
            profiles: BTreeMap::new(),
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
            let parsed = std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|t| toml::from_str::<Profile>(&t).map_err(|e| e.to_string()));
            match parsed {
                Ok(p) if valid_name(&p.name) && store.profiles.len() < MAX_PROFILES => {
                    store.profiles.insert(p.name.clone(), p);
                }
                Ok(p) => warnings.push(format!("{}: profile {:?} skipped", path.display(), p.name)),
                Err(e) => warnings.push(format!("{}: skipped: {e}", path.display())),
            }
        }
        store
            .profiles
            .entry(DEFAULT.into())
            .or_insert_with(|| Profile::new(DEFAULT, locale));
        (store, warnings)
    }

    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    pub fn list(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values()
    }

    pub fn names(&self) -> String {
        self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
    }

    /// The profile `name`, or an error naming the ones there are.
    pub fn existing(&self, name: &str) -> Result<&Profile, StoreError> {
        self.profiles.get(name).ok_or_else(|| {
            StoreError::Unknown(format!(
                "profile = {:?} does not exist (profiles: {})",
                name.chars().take(40).collect::<String>(),
                self.names()
            ))
        })
    }

    /// Stores a new profile. Nothing changes on error.
    pub fn create(&mut self, p: Profile) -> Result<(), StoreError> {
        if !valid_name(&p.name) {
            return Err(StoreError::Invalid(format!(
                "name = {:?} is not a profile name (1 to 32 of a-z, 0-9, - and _, starting with a letter)",
                p.name.chars().take(40).collect::<String>()
            )));
        }
        if self.profiles.contains_key(&p.name) {
            return Err(StoreError::Invalid(format!(
                "profile {:?} already exists; use Update",
                p.name
            )));
        }
        if self.profiles.len() >= MAX_PROFILES {
            return Err(StoreError::NotPermitted(format!(
                "{} profiles are stored (allowed: at most {MAX_PROFILES}); remove one first",
                self.profiles.len()
            )));
        }
        self.put(p)
    }

    /// Replaces an existing profile (validated by the caller). Nothing changes on error.
    /// If the file cannot be written (a read-only or full state directory), the change is
    /// kept in memory until the daemon restarts, like the history, so a person's answers and
    /// limits still apply; the failure is logged as an error.
    pub fn put(&mut self, p: Profile) -> Result<(), StoreError> {
        let text = toml::to_string(&p)
            .map_err(|e| StoreError::Io(format!("cannot write profile {:?}: {e}", p.name)))?;
        if let Err(e) = crate::files::write_toml(&self.dir, &p.name, &text) {
            tracing::error!(
                "cannot store profile {:?} in {}: {e}; kept in memory until stimd restarts",
                p.name,
                self.dir.display()
            );
        }
        self.profiles.insert(p.name.clone(), p);
        Ok(())
    }

    pub fn remove(&mut self, name: &str) -> Result<(), StoreError> {
        if name == DEFAULT {
            return Err(StoreError::NotPermitted(
                "the default profile cannot be removed".into(),
            ));
        }
        self.existing(name)?;
        crate::files::remove_toml(&self.dir, name)
            .map_err(|e| StoreError::Io(format!("cannot remove profile {name:?}: {e}")))?;
        self.profiles.remove(name);
        Ok(())
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
            .map(|q| (q.0.to_string(), false))
            .collect();
        p.screening = Some(crate::care::profile::screening(&no, 0).unwrap());
        p.dose = crate::care::dose::Dose {
            sessions_per_day: 0,
            minutes_per_day: 0,
            min_gap_minutes: 0,
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
        assert!(matches!(
            s.create(anna.clone()),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.create(Profile::new("../etc", "nl")),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.remove(DEFAULT),
            Err(StoreError::NotPermitted(_))
        ));
        // An unwritable directory costs persistence, not the change.
        let mut ro = ProfileStore::load(Path::new("/proc/stimd-no-such-dir"), "en").0;
        ro.create(Profile::new("kim", "en")).unwrap();
        assert!(ro.get("kim").is_some());
        std::fs::write(dir.join("broken.toml"), "name = 3").unwrap();
        let (s2, w) = ProfileStore::load(&dir, "en");
        assert_eq!(s2.get("anna"), Some(&anna));
        assert_eq!(w.len(), 1, "{w:?}");
        let mut s2 = s2;
        s2.remove("anna").unwrap();
        assert!(ProfileStore::load(&dir, "en").0.get("anna").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
