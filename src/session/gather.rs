//! What the manager reads for admission: the catalogue and profile stores under their locks,
//! the battery and the clocks. Reads only; admission decides.

use super::admission::{ProfileLookup, ProgramLookup};
use super::core::Gathered;
use super::{SessionError, Wiring};
use crate::care::dose;
use crate::texts::Text;

/// What admission needs from the stores (under their locks), the battery and the clock.
pub fn gather(w: &Wiring, program: &str, profile: Option<&str>) -> Result<Gathered, SessionError> {
    let program = {
        let catalog = w
            .catalog
            .read()
            .map_err(|_| SessionError::Failed(Text::new("programs.unavailable")))?;
        match catalog.get(program) {
            Some((p, _)) => ProgramLookup::Found(p.clone()),
            None => ProgramLookup::Unknown {
                known: catalog.ids(),
            },
        }
    };
    let name = profile.unwrap_or(crate::care::store::DEFAULT);
    let profile = match w.profiles.read() {
        Ok(store) => match store.existing(name) {
            Ok(p) => ProfileLookup::Found(Box::new(p.clone())),
            Err(e) => ProfileLookup::Refused(e.text()),
        },
        Err(_) => ProfileLookup::Unavailable,
    };
    let now_unix = crate::clock::unix_now();
    Ok(Gathered {
        program,
        profile,
        now_unix,
        midnight: dose::local_midnight(now_unix),
        clock: dose::local_clock,
        battery: (w.battery)(),
    })
}
