//! What the session core hands back: typed effects for the outbox to perform, and the typed
//! values they carry (who acted, what happened, what the history records). No strings here
//! that the edges would have to parse back: the outbox and `api::signals` turn these into
//! history rows and D-Bus texts.

use super::state::{Clamp, EndReason};
use crate::model::limits::{ceiling::CHANNELS, LimitKind};
use crate::model::units::MicroAmps;
use crate::pulse::pattern::Pattern;
use crate::safety::armed::ArmedLimits;
use crate::safety::fault::FaultCode;
use std::fmt;

/// The time a request or tick happens at: the monotonic clock the session runs on, and the
/// wall clock the history stamps records with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Milliseconds on the manager's monotonic clock.
    pub ms: u64,
    /// Unix time in milliseconds.
    pub unix_ms: i64,
}

impl Now {
    /// Unix seconds.
    pub fn unix(&self) -> i64 {
        self.unix_ms.div_euclid(1_000)
    }
}

/// Who changed an intensity (recorded with every change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A D-Bus client, by its Unix user id.
    Uid(u32),
    /// A D-Bus client whose user the bus did not tell.
    Client,
    /// The device's push buttons.
    Button,
    /// The ramp limiter, moving a level towards its target.
    Ramp,
    /// Habituation compensation, one step up.
    Habituation,
    /// The program, entering a segment.
    Program,
    /// The session manager after the engine reported lost electrode contact.
    ContactLost,
}

impl Actor {
    /// Reads the edges' spelling (`uid:<n>`, `button`); anything else is an unnamed client.
    pub fn parse(text: &str) -> Actor {
        match text {
            "button" => Actor::Button,
            _ => text
                .strip_prefix("uid:")
                .and_then(|n| n.parse().ok())
                .map_or(Actor::Client, Actor::Uid),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Uid(uid) => write!(f, "uid:{uid}"),
            Actor::Client => f.write_str("client"),
            Actor::Button => f.write_str("button"),
            Actor::Ramp => f.write_str("ramp"),
            Actor::Habituation => f.write_str("habituation"),
            Actor::Program => f.write_str("program"),
            Actor::ContactLost => f.write_str("safety:contact_lost"),
        }
    }
}

/// Something a person should know about a session that was allowed anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The program recommends other placements.
    PlacementNotMeant {
        program: String,
        meant_for: Vec<String>,
        placement: String,
    },
    /// Contact lost on a channel whose pads are worn.
    WornPadsLostContact {
        channel: usize,
        sessions: u32,
        uses: u32,
    },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::PlacementNotMeant {
                program,
                meant_for,
                placement,
            } => write!(
                f,
                "program {program:?} is meant for {}, not for the {placement}",
                meant_for.join(", ")
            ),
            Notice::WornPadsLostContact {
                channel,
                sessions,
                uses,
            } => write!(
                f,
                "channel {channel} lost contact; its pads have had {sessions} sessions (worn after \
                 {uses}): fit new pads, then Device.PadsReplaced({channel})"
            ),
        }
    }
}

/// Things that happened, for signals.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Clamped {
        channel: u32,
        requested: MicroAmps,
        applied: MicroAmps,
        limit: LimitKind,
    },
    Ended {
        id: u64,
        reason: EndReason,
    },
    /// A channel's pad set has reached `care.pad_uses` sessions.
    PadsWorn {
        channel: u32,
        sessions: u32,
    },
    Notice {
        id: u64,
        notice: Notice,
    },
    FaultRaised {
        code: FaultCode,
        message: String,
    },
}

/// A session's figures so far: per channel in use its highest and mean level, and the modes of
/// the segments entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    pub max_intensity: Vec<u32>,
    pub mean_intensity: Vec<u32>,
    pub segments: Vec<String>,
}

/// What the history keeps, typed; the outbox turns each into the history's row.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Started {
        id: u64,
        program: String,
        profile: String,
        placement: String,
        start: i64,
        channels: Vec<u32>,
        segments: Vec<String>,
    },
    /// A channel's new target, and who set it.
    Target {
        time_ms: i64,
        session_id: u64,
        channel: usize,
        target: MicroAmps,
        actor: Actor,
    },
    /// The level the ramp reached.
    Level {
        time_ms: i64,
        session_id: u64,
        channel: usize,
        level: MicroAmps,
    },
    Clamp {
        time: i64,
        session_id: u64,
        clamp: Clamp,
    },
    Progress {
        id: u64,
        time: i64,
        figures: Figures,
    },
    Ended {
        id: u64,
        end: i64,
        reason: EndReason,
        figures: Figures,
    },
    Fault {
        time: i64,
        code: FaultCode,
        message: String,
        session_id: u64,
    },
}

/// What the outbox does for the core, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Every channel's level to the engine (zero for channels not in use).
    Levels([MicroAmps; CHANNELS]),
    /// The running segment's waveform, from now on (only ever while every level is zero).
    Pattern(Pattern),
    /// Contact is judged afresh on every channel.
    ResetContact,
    /// Output enabled with the session's own limits.
    Arm(ArmedLimits),
    /// The one way to go safe: every level to zero, output disarmed.
    Disarm,
    Record(Record),
    Signal(Event),
    /// The targets a session ended with, as its profile's comfortable intensity for the
    /// program (a file write, off the manager's task).
    SaveComfort {
        profile: String,
        program: String,
        comfort: [u32; CHANNELS],
    },
    /// A session of `seconds` used the pads of `channels` (a file write, off the manager's
    /// task; the counts come back to the core with `Core::pads_counted`).
    PadsUsed {
        channels: Vec<usize>,
        seconds: u32,
    },
}
