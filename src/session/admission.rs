//! Whether a session may start: a pure function from the request and what it needs to know
//! (the catalogue's entry, the person's profile, their recent sessions, the battery, a latched
//! fault, a running session, the configuration) to a plan or a typed refusal.
//!
//! Owns the order of the checks and their messages. Never locks, reads a file or a clock: the
//! manager gathers every input and passes it in.

use super::core::{Config, Fault};
use super::effect::Notice;
use super::{SessionError, StartOptions};
use crate::care::dose::{self, Past};
use crate::care::Profile;
use crate::model::units::{MicroAmps, SquareCm};
use crate::program::Program;
use crate::safety::armed::ArmedLimits;
use crate::safety::fault::FaultCode;
use crate::texts::{Lang, Text};

/// The longest keepalive interval a client may ask for.
pub const MAX_KEEPALIVE_S: u32 = 3_600;

/// The program as the catalogue has it.
#[derive(Debug, Clone)]
pub enum ProgramLookup {
    /// The program, preset or custom.
    Found(Program),
    /// No such program; the ids there are.
    Unknown { known: Vec<String> },
}

/// The profile as the store has it.
#[derive(Debug, Clone)]
pub enum ProfileLookup {
    /// The person's profile.
    Found(Box<Profile>),
    /// Unknown or damaged: the store's message.
    Refused(Text),
    /// The store's lock is poisoned.
    Unavailable,
}

/// Everything admission needs to know besides the request.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The catalogue's entry for the requested program.
    pub program: ProgramLookup,
    /// The store's entry for the requested profile.
    pub profile: ProfileLookup,
    /// Recent sessions per profile (the dose guidance counts the profile's own).
    pub recent: &'a [(String, Past)],
    /// Unix seconds.
    pub now_unix: i64,
    /// Unix seconds at the start of the local day that contains `now_unix`.
    pub midnight: i64,
    /// Formats a time of day for a dose refusal.
    pub clock: fn(i64) -> String,
    /// Percent, −1 unknown.
    pub battery: i32,
    /// The latched fault, if any (refuses the start).
    pub fault: Option<&'a Fault>,
    /// The running session's id, if one runs.
    pub running: Option<u64>,
}

/// An admitted start: everything the core needs to begin the session.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The program to run, checked against the configured limits.
    pub program: Program,
    /// The person's profile (their maximum, electrode area, habituation, comfort).
    pub profile: Profile,
    /// The body site, empty when not given; allowed for this person.
    pub placement: String,
    /// Device channels in use, distinct, in the order requested.
    pub channels: Vec<usize>,
    /// Length, s, in `1..=session_max_s`.
    pub duration_s: u32,
    /// Keepalive interval, s, 0 = none.
    pub keepalive_s: u32,
    /// Targets per channel in use: the request's, else what the person settled on last time
    /// with this program; reached, like any target, by ramping from zero.
    pub targets: Option<Vec<u32>>,
    /// What the person should know although the session may start.
    pub notice: Option<Notice>,
    /// What the engine and the supervisor enforce on every pulse of this session: the
    /// device's limits narrowed by this person and this program.
    pub armed: ArmedLimits,
    /// The battery reading admission judged (percent, −1 unknown): the session's first.
    pub battery: i32,
}

/// Admits `program_id` with `o`, or says why not (the first reason in the order clients have
/// always seen: the request's own faults first, then whether the device can take it).
/// Every refusal is in the profile's language when the profile is known.
pub fn admit(
    program_id: &str,
    o: StartOptions,
    facts: Facts<'_>,
    config: &Config,
) -> Result<Plan, SessionError> {
    let lang = match &facts.profile {
        ProfileLookup::Found(p) => Some(Lang::of(&p.language)),
        _ => None,
    };
    let r = admit_in(program_id, o, facts, config);
    match lang {
        Some(lang) => r.map_err(|e| e.in_lang(lang)),
        None => r,
    }
}

fn admit_in(
    program_id: &str,
    o: StartOptions,
    facts: Facts<'_>,
    config: &Config,
) -> Result<Plan, SessionError> {
    let program = match facts.program {
        ProgramLookup::Found(p) => p,
        ProgramLookup::Unknown { known } => {
            return Err(SessionError::UnknownProgram(
                Text::new("program.unknown")
                    .quoted("program", program_id)
                    .arg("known", known),
            ))
        }
    };
    program.check(&config.limits).map_err(|p| {
        SessionError::InvalidArgument(
            Text::new("program.over_limits")
                .quoted("program", program_id)
                .arg("problems", p.join("; ")),
        )
    })?;
    let channels = parse_channels(o.channels, config.channels)?;
    let duration_s = o.duration_s.unwrap_or(config.session_default_s);
    if !(1..=config.session_max_s).contains(&duration_s) {
        return Err(SessionError::InvalidArgument(
            Text::new("start.duration_out_of_range")
                .arg("duration", duration_s)
                .arg("max", config.session_max_s),
        ));
    }
    if let Some(t) = &o.intensity {
        if t.len() != channels.len() {
            return Err(SessionError::InvalidArgument(
                Text::new("start.intensity_count")
                    .arg("given", t.len())
                    .arg("channels", channels.len()),
            ));
        }
    }
    let profile = match facts.profile {
        ProfileLookup::Found(p) => *p,
        ProfileLookup::Refused(m) => return Err(SessionError::InvalidArgument(m)),
        ProfileLookup::Unavailable => {
            return Err(SessionError::Failed(Text::new("profiles.unavailable")))
        }
    };

    let given = o.placement.unwrap_or_default();
    let mut placement = String::new();
    let mut notice = None;
    if !given.is_empty() {
        use crate::care::placement::{site, Refusal};
        match site(&given) {
            Err(Refusal::Forbidden(m)) => return Err(SessionError::Contraindicated(m)),
            Err(Refusal::Unknown(m)) => return Err(SessionError::InvalidArgument(m)),
            Ok(id) => placement = id.to_string(),
        }
        if !program.placements.is_empty() && !program.placements.contains(&placement) {
            notice = Some(Notice::PlacementNotMeant {
                program: program_id.to_string(),
                meant_for: program.placements.clone(),
                placement: placement.clone(),
            });
        }
    }
    if let Some(why) = profile.contraindication(&placement) {
        return Err(SessionError::Contraindicated(why));
    }
    let past: Vec<Past> = facts
        .recent
        .iter()
        .filter(|(p, _)| *p == profile.name)
        .map(|(_, s)| *s)
        .collect();
    dose::check(
        &profile.dose,
        &past,
        facts.now_unix,
        facts.midnight,
        duration_s,
        facts.clock,
    )
    .map_err(|why| SessionError::DoseLimit(why.text(&profile.name)))?;
    let keepalive_s = o.keepalive_s.unwrap_or(0);
    if keepalive_s > MAX_KEEPALIVE_S {
        return Err(SessionError::InvalidArgument(
            Text::new("start.keepalive_out_of_range")
                .arg("keepalive", keepalive_s)
                .arg("max", MAX_KEEPALIVE_S),
        ));
    }

    // The request is well-formed; now whether the device can take it.
    // At or below critical a session would end at once. Between critical and low it may
    // start: the person is told (a `Notice`) that it ends at critical.
    let critical = config.battery_critical_percent;
    if facts.battery >= 0 && (facts.battery as u32) <= critical {
        return Err(SessionError::NotPermitted(
            Text::new("battery.too_low_to_start")
                .arg("percent", facts.battery)
                .arg("critical", critical),
        ));
    }
    if let Some(f) = facts.fault {
        let code = if f.code == FaultCode::HardwareUnavailable {
            "fault.latched_hardware"
        } else {
            "fault.latched"
        };
        return Err(SessionError::FaultActive(
            Text::new(code)
                .arg("fault", f.code.as_str())
                .arg("detail", f.message.as_str()),
        ));
    }
    if let Some(id) = facts.running {
        return Err(SessionError::AlreadyRunning(
            Text::new("session.already_running").arg("session", id),
        ));
    }

    let cap = profile_cap(&profile);
    let area = (profile.electrode_area_cm2 > 0.0).then_some(profile.electrode_area_cm2);
    let armed = ArmedLimits::for_session(
        &config.limits,
        &cap,
        area.map(SquareCm),
        program.segments.iter().map(|s| s.mode.worst_shape()),
    );
    let targets = o.intensity.or_else(|| {
        profile
            .comfort
            .get(&program.id)
            .map(|c| channels.iter().map(|&ch| c[ch]).collect())
    });
    Ok(Plan {
        program,
        profile,
        placement,
        channels,
        duration_s,
        keepalive_s,
        targets,
        notice,
        armed,
        battery: facts.battery,
    })
}

/// The person's own maximum per channel; `None` where they have none (0).
pub fn profile_cap(
    profile: &Profile,
) -> [Option<MicroAmps>; crate::model::limits::ceiling::CHANNELS] {
    profile
        .max_intensity_ua
        .map(|max| (max > 0).then_some(MicroAmps(max)))
}

/// The channels a request names (all when it names none), checked.
fn parse_channels(
    requested: Option<Vec<u32>>,
    channels: usize,
) -> Result<Vec<usize>, SessionError> {
    let Some(list) = requested else {
        return Ok((0..channels).collect());
    };
    let max = channels - 1;
    if list.is_empty() || list.len() > channels {
        return Err(SessionError::InvalidArgument(
            Text::new("start.channels_count")
                .arg("given", format!("{list:?}"))
                .arg("channels", channels)
                .arg("max", max),
        ));
    }
    let mut out: Vec<usize> = Vec::with_capacity(list.len());
    for &c in &list {
        if c as usize >= channels {
            return Err(SessionError::InvalidArgument(
                Text::new("start.channel_out_of_range")
                    .arg("channel", c)
                    .arg("max", max),
            ));
        }
        if out.contains(&(c as usize)) {
            return Err(SessionError::InvalidArgument(
                Text::new("start.channel_twice").arg("channel", c),
            ));
        }
        out.push(c as usize);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "admission_tests.rs"]
pub(super) mod tests;
