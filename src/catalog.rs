//! Which programs exist (the custom ones on disk; `program` itself is pure and does no I/O): the compiled-in presets plus the custom programs kept as TOML files in
//! `<state dir>/programs/`, which survive restarts. Presets can be neither removed nor
//! shadowed. Files are written atomically (temporary file, fsync, rename).

use crate::model::limits::Limits;
use crate::program::text::{parse, valid_id};
use crate::program::{presets, Program};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Most custom programs one device keeps (bounds what clients can make it store).
pub const MAX_CUSTOM: usize = 64;

/// Why a program cannot be added or removed. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The program fails validation: every problem, each naming the key.
    #[error("program refused: {}", .0.join("; "))]
    Refused(Vec<String>),
    /// The new program's id (given) is a preset's; presets cannot be shadowed.
    #[error("id = {0:?} is a built-in program; presets cannot be replaced (choose another id)")]
    Preset(String),
    /// A custom program with this id (given) is already stored.
    #[error("id = {0:?} is already a custom program; remove it first to replace it")]
    Exists(String),
    /// `MAX_CUSTOM` custom programs are already stored.
    #[error(
        "{count} custom programs are stored (allowed: at most {MAX_CUSTOM}); remove one first"
    )]
    Full {
        /// How many custom programs are stored.
        count: usize,
    },
    /// The program to remove (id given) is a preset; presets cannot be removed.
    #[error("program {0:?} is built in and cannot be removed")]
    BuiltIn(String),
    /// Not a custom program; `custom` lists the ones there are.
    #[error("program = {id:?} is not a custom program (custom: {custom})")]
    Unknown {
        /// The id asked for.
        id: String,
        /// The custom programs' ids, comma-separated (empty when there are none).
        custom: String,
    },
    /// The program could not be written durably; it was not added.
    #[error("cannot store program {id:?} in {}: {source}; it was not added", .dir.display())]
    Write {
        /// The program's id.
        id: String,
        /// The directory of custom programs.
        dir: PathBuf,
        /// Why the durable write failed.
        #[source]
        source: std::io::Error,
    },
    /// The file could not be removed durably; the program is still served.
    #[error("cannot remove program {id:?} from {}: {source}; it is still there", .dir.display())]
    Remove {
        /// The program's id.
        id: String,
        /// The directory of custom programs.
        dir: PathBuf,
        /// Why the durable removal failed.
        #[source]
        source: std::io::Error,
    },
}

/// Presets and custom programs.
#[derive(Debug)]
pub struct Catalog {
    presets: Vec<Program>,
    custom: BTreeMap<String, Program>,
    dir: PathBuf,
    limits: Limits,
}

impl Catalog {
    /// Loads the custom programs in `dir`; a file that does not parse, holds a control character
    /// or an overlong text, is named other than its id, or no longer fits the limits is left on
    /// disk, skipped (never served), and reported in the returned warnings with the key.
    pub fn load(dir: &Path, limits: Limits) -> (Catalog, Vec<String>) {
        let mut cat = Catalog {
            presets: presets(),
            custom: BTreeMap::new(),
            dir: dir.to_path_buf(),
            limits,
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
            let text = match crate::files::read_small(&path) {
                Ok(t) => t,
                Err(e) => {
                    warnings.push(format!("{}: skipped: {e}", path.display()));
                    continue;
                }
            };
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            match parse(&text, &cat.limits) {
                Ok(p) if p.id != stem => warnings.push(format!(
                    "{}: id = {} does not match the file name; skipped",
                    path.display(),
                    crate::model::text::shown(&p.id)
                )),
                Ok(p) if cat.is_preset(&p.id) => warnings.push(format!(
                    "{}: id {:?} is a preset; skipped",
                    path.display(),
                    p.id
                )),
                Ok(_) if cat.custom.len() >= MAX_CUSTOM => warnings.push(format!(
                    "{}: more than {MAX_CUSTOM} custom programs; skipped",
                    path.display()
                )),
                Ok(p) => {
                    cat.custom.insert(p.id.clone(), p);
                }
                Err(problems) => warnings.push(format!(
                    "{}: skipped: {}",
                    path.display(),
                    problems.join("; ")
                )),
            }
        }
        (cat, warnings)
    }

    fn is_preset(&self, id: &str) -> bool {
        self.presets.iter().any(|p| p.id == id)
    }

    /// A program by id, and whether it is built in.
    pub fn get(&self, id: &str) -> Option<(&Program, bool)> {
        self.presets
            .iter()
            .find(|p| p.id == id)
            .map(|p| (p, true))
            .or_else(|| self.custom.get(id).map(|p| (p, false)))
    }

    /// Every program, presets first, each with whether it is built in.
    pub fn list(&self) -> Vec<(&Program, bool)> {
        self.presets
            .iter()
            .map(|p| (p, true))
            .chain(self.custom.values().map(|p| (p, false)))
            .collect()
    }

    /// The effective limits programs are checked against.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The ids of every program, for error messages.
    pub fn ids(&self) -> Vec<String> {
        self.list().into_iter().map(|(p, _)| p.id.clone()).collect()
    }

    /// Validates and stores a custom program durably; returns its id. Nothing changes on
    /// error: a program whose file cannot be written is refused (`Io`) and not served.
    pub fn add(&mut self, text: &str) -> Result<String, CatalogError> {
        let program = parse(text, &self.limits).map_err(CatalogError::Refused)?;
        let id = program.id.clone();
        if self.is_preset(&id) {
            return Err(CatalogError::Preset(id));
        }
        if self.custom.contains_key(&id) {
            return Err(CatalogError::Exists(id));
        }
        if self.custom.len() >= MAX_CUSTOM {
            return Err(CatalogError::Full {
                count: self.custom.len(),
            });
        }
        crate::files::write_toml(&self.dir, &id, text).map_err(|source| CatalogError::Write {
            id: id.clone(),
            dir: self.dir.clone(),
            source,
        })?;
        self.custom.insert(id.clone(), program);
        Ok(id)
    }

    /// Removes a custom program (the file first, durably; it stays served if that fails).
    /// Presets cannot be removed.
    pub fn remove(&mut self, id: &str) -> Result<(), CatalogError> {
        if self.is_preset(id) {
            return Err(CatalogError::BuiltIn(id.into()));
        }
        if !self.custom.contains_key(id) || !valid_id(id) {
            return Err(CatalogError::Unknown {
                id: id.into(),
                custom: self.custom.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        }
        crate::files::remove_toml(&self.dir, id).map_err(|source| CatalogError::Remove {
            id: id.into(),
            dir: self.dir.clone(),
            source,
        })?;
        self.custom.remove(id);
        Ok(())
    }
}
