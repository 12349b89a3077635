//! Pad wear: each channel's pad set counts the sessions and minutes since it was fitted.
//! After `care.pad_uses` sessions the set is worn (poorer contact, skin irritation) and the
//! device says so; `PadsReplaced(channel)` starts a set afresh. Kept in `<state dir>/pads.toml`
//! so the counts survive restarts.

use crate::model::limits::ceiling::CHANNELS;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One channel's pad set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PadSet {
    /// Sessions run on it since it was fitted.
    pub sessions: u32,
    /// Minutes of stimulation on it since it was fitted (each session rounded up).
    pub minutes: u32,
    /// When it was fitted (Unix seconds; 0 = unknown).
    pub fitted: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct File {
    channel: [PadSet; CHANNELS],
}

/// Why new pad counts could not be stored; the old counts stay.
#[derive(Debug, thiserror::Error)]
pub enum PadsError {
    /// The counts could not be written as TOML.
    #[error("cannot write the pad counts: {0}")]
    Serialize(#[from] toml::ser::Error),
    /// The file could not be written durably.
    #[error("cannot store the pad counts in {}: {source}", .path.display())]
    Write {
        /// The file that could not be written (`<state dir>/pads.toml`).
        path: PathBuf,
        /// Why the write failed.
        #[source]
        source: std::io::Error,
    },
}

/// Every channel's pad set, as kept in `<state dir>/pads.toml`. The session side owns it and
/// counts each session on it.
#[derive(Debug)]
pub struct Pads {
    dir: PathBuf,
    sets: [PadSet; CHANNELS],
    /// Uses after which a set is worn.
    pub uses: u32,
}

impl Pads {
    /// Loads the counts in `dir` (zero if none or unreadable, with a warning).
    pub fn load(dir: &Path, uses: u32) -> (Pads, Option<String>) {
        let path = dir.join("pads.toml");
        let (sets, warning) = match crate::files::read_small(&path) {
            Ok(t) => match toml::from_str::<File>(&t) {
                Ok(f) => (f.channel, None),
                Err(e) => (Default::default(), Some(format!("{}: {e}", path.display()))),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Default::default(), None),
            Err(e) => (Default::default(), Some(format!("{}: {e}", path.display()))),
        };
        (
            Pads {
                dir: dir.to_path_buf(),
                sets,
                uses,
            },
            warning,
        )
    }

    /// The pad set on `channel` (an empty one for a channel the device does not have).
    pub fn get(&self, channel: usize) -> PadSet {
        self.sets.get(channel).copied().unwrap_or_default()
    }

    /// Whether the set on `channel` has run [`Pads::uses`] sessions or more and should be
    /// replaced.
    pub fn worn(&self, channel: usize) -> bool {
        self.get(channel).sessions >= self.uses
    }

    /// Counts a session of `seconds` on `channels`; returns the channels whose set has just
    /// become worn. Best effort on the storage: the session has already ended, so a count that
    /// cannot be written is kept in memory and the failure logged.
    pub fn used(&mut self, channels: &[usize], seconds: u32) -> Vec<usize> {
        let mut newly_worn = Vec::new();
        for &ch in channels {
            if let Some(set) = self.sets.get_mut(ch) {
                set.sessions = set.sessions.saturating_add(1);
                set.minutes = set.minutes.saturating_add(seconds.div_ceil(60));
                if set.sessions == self.uses {
                    newly_worn.push(ch);
                }
            }
        }
        if let Err(e) = Self::save(&self.dir, &self.sets) {
            tracing::error!("{e}; the counts are kept in memory until stimd restarts");
        }
        newly_worn
    }

    /// A fresh set on `channel`, fitted at `now`, written durably first: if the counts cannot
    /// be stored the change is refused (the error says why) and the old counts stay.
    pub fn replaced(&mut self, channel: usize, now: i64) -> Result<(), PadsError> {
        let mut sets = self.sets;
        if let Some(set) = sets.get_mut(channel) {
            *set = PadSet {
                sessions: 0,
                minutes: 0,
                fitted: now,
            };
        }
        Self::save(&self.dir, &sets)?;
        self.sets = sets;
        Ok(())
    }

    fn save(dir: &Path, sets: &[PadSet; CHANNELS]) -> Result<(), PadsError> {
        let text = toml::to_string(&File { channel: *sets })?;
        crate::files::write_toml(dir, "pads", &text).map_err(|source| PadsError::Write {
            path: dir.join("pads.toml"),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_wear_out_and_survive_a_reload() {
        let dir = std::env::temp_dir().join(format!("stimd-pads-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (mut p, w) = Pads::load(&dir, 3);
        assert!(w.is_none());
        assert!(p.used(&[0, 1], 90).is_empty());
        assert!(p.used(&[0], 600).is_empty());
        assert_eq!(p.used(&[0, 1], 30), vec![0], "channel 0 reaches 3 uses");
        assert!(p.worn(0) && !p.worn(1));
        assert!(p.used(&[0], 30).is_empty(), "signalled once");
        let (mut q, _) = Pads::load(&dir, 3);
        assert_eq!(
            q.get(0),
            PadSet {
                sessions: 4,
                minutes: 2 + 10 + 1 + 1,
                fitted: 0
            }
        );
        q.replaced(0, 77).unwrap();
        assert_eq!(Pads::load(&dir, 3).0.get(0).fitted, 77);
        assert!(!Pads::load(&dir, 3).0.worn(0));
        // A set that cannot be stored is not replaced.
        std::fs::remove_file(dir.join("pads.toml")).unwrap();
        std::fs::create_dir_all(dir.join("pads.toml").join("x")).unwrap();
        let (mut r, _) = Pads::load(&dir, 3);
        r.used(&[1], 60);
        let e = r.replaced(1, 99).unwrap_err().to_string();
        assert!(e.contains("pads.toml"), "{e}");
        assert_eq!(r.get(1).sessions, 1, "old counts stay");
        assert!(!dir.join(".pads.toml.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
