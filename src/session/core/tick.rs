//! Time in the core: the tick (battery, contact, the session's own end, segments,
//! habituation, the ramp), the end of a session, what the history keeps, and the status.

use super::{Core, TickInputs};
use crate::care::dose::Past;
use crate::model::units::MicroAmps;
use crate::session::effect::{Actor, Effect, Event, Figures, Notice, Now, Record};
use crate::session::state::{Clamp, EndReason, Session};
use crate::session::{as_u32s, DeviceState, Status};

/// How often a running session's progress goes to the history: a session cut short by a
/// crash or power loss ends, as `interrupted`, at its last progress, so its end, duration,
/// maximum and stimulation time are at most this far behind what was delivered. Each progress
/// is a commit (the writer commits at most once a second); see the README's history figures
/// for what it costs an SD card.
const PROGRESS_EVERY_MS: u64 = 5_000;
/// A new maximum goes to the history this soon (it changes only while a ramp rises).
const PROGRESS_NEW_MAX_MS: u64 = 1_000;
/// The level a ramp reached is recorded at most this often (intensity changes only: a steady
/// session writes nothing).
const LEVEL_EVERY_MS: u64 = 1_000;
/// How long the dose guidance remembers sessions.
const RECENT_S: i64 = 2 * 86_400;

impl Core {
    /// The low-battery notice for session `id`, once, when the level is at or below
    /// `battery.low_percent` and above `battery.critical_percent` (at the start, or later).
    pub(super) fn watch_battery(&mut self, id: u64, now: Now) {
        let (low, critical) = (
            self.config.battery_low_percent,
            self.config.battery_critical_percent,
        );
        if let Some(notice) = self
            .battery_watch
            .observe(now.ms, self.battery, low, critical)
        {
            self.notice(id, notice);
        }
    }

    /// Time passes: the battery, contact, the session's own end, segments, habituation, the
    /// ramp, and what the history keeps of it.
    pub fn tick(&mut self, now: Now, inputs: TickInputs) {
        if let Some(level) = inputs.battery {
            self.battery = level;
        }
        let critical = self.config.battery_critical_percent;
        if self.session.is_some() && self.battery >= 0 && self.battery as u32 <= critical {
            tracing::warn!(
                level = self.battery,
                critical,
                "battery critically low: ending the session"
            );
            self.end(EndReason::BatteryLow, now);
        }
        if let Some(id) = self.session.as_ref().map(Session::id) {
            self.watch_battery(id, now);
        }
        let limits = self.limits_for(self.session.as_ref());
        let Some(s) = self.session.as_mut() else {
            return;
        };
        let id = s.id();
        let mut lost = Vec::new();
        for ch in s.channels().to_vec() {
            if inputs.output_live && inputs.contact_lost[ch] && !s.contact_lost(ch) {
                tracing::warn!(
                    id,
                    channel = ch,
                    "electrode contact lost: channel to zero, target reset, session paused"
                );
                s.lose_contact(ch);
                lost.push(ch);
            }
        }
        for ch in lost {
            self.record_target(now, id, ch, MicroAmps::ZERO, Actor::ContactLost);
            if let Some(p) = self.pads.filter(|p| p.worn(ch)) {
                let notice = Notice::WornPadsLostContact {
                    channel: ch,
                    sessions: p.get(ch).sessions,
                    uses: p.uses,
                };
                self.notice(id, notice);
            }
        }
        let Some(s) = self.session.as_mut() else {
            return;
        };
        if let Some(reason) = s.tick(now.ms, &limits) {
            self.end(reason, now);
            return;
        }
        let changed = s.take_segment_change();
        let raised = s.habituate(now.ms, &limits);
        let mut clamps = changed.clone().unwrap_or_default();
        for (ch, applied, clamp) in raised {
            tracing::info!(channel = ch, target = applied.0, "habituation: one step up");
            self.record_target(now, id, ch, applied, Actor::Habituation);
            clamps.extend(clamp);
        }
        self.push_levels();
        if changed.is_some() {
            self.entered_segment(now);
        }
        self.record_levels(now, false);
        for c in clamps {
            self.report_clamp(now, id, c);
        }
        let since = now.ms.saturating_sub(self.last_progress_ms);
        if let Some(s) = &self.session {
            let new_max = s.max_levels() != self.progress_max;
            if since >= PROGRESS_EVERY_MS || (new_max && since >= PROGRESS_NEW_MAX_MS) {
                self.last_progress_ms = now.ms;
                let figures = figures(s, now.ms);
                self.progress_max.clone_from(&figures.max_intensity);
                self.record(Record::Progress {
                    id,
                    time: now.unix(),
                    figures,
                });
            }
        }
    }

    /// What the `Device` and `Session` properties show; `contact` is what the engine senses.
    pub fn status(&self, now_ms: u64, contact: Vec<bool>) -> Status {
        let n = self.config.channels;
        let mut st = Status {
            state: DeviceState::Idle,
            fault: self
                .fault
                .as_ref()
                .map(|f| (f.code.as_str().to_string(), f.message.clone()))
                .unwrap_or_default(),
            intensity: vec![0; n],
            target: vec![0; n],
            contact,
            battery: self.battery,
            pads: (0..n)
                .map(|ch| match &self.pads {
                    Some(p) => (p.get(ch).sessions, p.get(ch).minutes, p.worn(ch)),
                    None => (0, 0, false),
                })
                .collect(),
            ..Status::default()
        };
        if let Some(s) = &self.session {
            st.state = if s.paused() {
                DeviceState::Paused
            } else {
                DeviceState::Running
            };
            st.session_id = s.id();
            st.program = s.program().id.clone();
            st.profile = s.profile().to_string();
            st.elapsed_s = s.elapsed_s(now_ms);
            st.remaining_s = s.remaining_s(now_ms);
            st.intensity = as_u32s(&s.levels()[..n]);
            st.target = as_u32s(&s.targets()[..n]);
            st.segment = s.segment_name().to_string();
        } else if self.fault.is_some() {
            st.state = DeviceState::Fault;
        }
        st
    }

    /// A new segment began: its targets recorded, its pattern published while every level
    /// is zero.
    fn entered_segment(&mut self, now: Now) {
        let Some(s) = &self.session else {
            return;
        };
        let id = s.id();
        tracing::info!(
            id,
            segment = s.segment(),
            mode = s.segment_name(),
            "next segment: intensity ramps again from zero"
        );
        let targets: Vec<(usize, MicroAmps)> = s
            .channels()
            .iter()
            .map(|&ch| (ch, s.targets()[ch]))
            .collect();
        let pattern = s.pattern();
        for (ch, t) in targets {
            self.record_target(now, id, ch, t, Actor::Program);
        }
        self.effects.extend(pattern.map(Effect::Pattern));
    }

    /// Ends the running session (if any): output off first, then what is kept of it.
    pub(super) fn end(&mut self, reason: EndReason, now: Now) {
        self.effects.push(Effect::Disarm);
        self.record_levels(now, true);
        let Some(s) = self.session.take() else {
            return;
        };
        if reason.tells_comfort() {
            let comfort = s.delivered().comfort();
            if comfort.iter().any(Option::is_some) {
                self.effects.push(Effect::SaveComfort {
                    profile: s.profile().to_string(),
                    program: s.program().id.clone(),
                    comfort,
                });
            }
        }
        if self.pads.is_some() {
            self.effects.push(Effect::PadsUsed {
                channels: s.channels().to_vec(),
                seconds: s.elapsed_s(now.ms),
            });
        }
        let end = now.unix();
        self.recent.retain(|(_, p)| p.end > end - RECENT_S);
        self.recent.push((
            s.profile().to_string(),
            Past {
                start: s.start_unix(),
                end,
                stimulated_s: i64::from(s.delivered().stimulated_s()),
            },
        ));
        tracing::info!(id = s.id(), reason = %reason, "session ended");
        self.record(Record::Ended {
            id: s.id(),
            end,
            reason,
            figures: figures(&s, now.ms),
        });
        self.effects
            .push(Effect::Signal(Event::Ended { id: s.id(), reason }));
    }

    /// The levels the ramp reached, to the history when they changed — at most once a second
    /// unless `force` (the session's end).
    pub(super) fn record_levels(&mut self, now: Now, force: bool) {
        let Some(s) = &self.session else {
            return;
        };
        if !force && now.ms.saturating_sub(self.last_level_ms) < LEVEL_EVERY_MS {
            return;
        }
        self.last_level_ms = now.ms;
        let id = s.id();
        for &ch in s.channels() {
            let level = s.levels()[ch];
            if self.logged_levels.get(ch) != Some(&level.0) {
                self.effects.push(Effect::Record(Record::Level {
                    time_ms: now.unix_ms,
                    session_id: id,
                    channel: ch,
                    level,
                }));
                if let Some(slot) = self.logged_levels.get_mut(ch) {
                    *slot = level.0;
                }
            }
        }
    }

    pub(super) fn record(&mut self, r: Record) {
        self.effects.push(Effect::Record(r));
    }

    pub(super) fn record_target(
        &mut self,
        now: Now,
        id: u64,
        channel: usize,
        target: MicroAmps,
        actor: Actor,
    ) {
        self.record(Record::Target {
            time_ms: now.unix_ms,
            session_id: id,
            channel,
            target,
            actor,
        });
    }

    pub(super) fn report_clamp(&mut self, now: Now, session_id: u64, c: Clamp) {
        tracing::info!(
            channel = c.channel,
            requested = c.requested.0,
            applied = c.applied.0,
            limit = c.limit.as_str(),
            "intensity clamped"
        );
        self.record(Record::Clamp {
            time: now.unix(),
            session_id,
            clamp: c,
        });
        self.effects.push(Effect::Signal(Event::Clamped {
            channel: c.channel as u32,
            requested: c.requested,
            applied: c.applied,
            limit: c.limit,
        }));
    }
}

fn figures(s: &Session, now_ms: u64) -> Figures {
    Figures {
        max_intensity: s.max_levels(),
        mean_intensity: s.mean_intensity(now_ms),
        segments: s.segments_run().to_vec(),
        stimulated_s: s.delivered().stimulated_s(),
    }
}
