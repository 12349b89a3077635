//! The session manager task (tokio): a select loop that gathers what the core needs (the
//! clock, the catalogue and profile stores under their locks, the battery, the engine's
//! contact telemetry), calls the core, and hands its effects to the outbox.
//!
//! Owns the loop's priorities (trips, then ticks, then completions, then requests) and the
//! clients waiting on an acknowledge. Decides nothing about a session itself, and never waits
//! inside the loop: the supervisor's answer to an acknowledge comes back as a completion.

use super::core::{AckStep, Core, PadCounts, TickInputs};
use super::effect::Now;
use super::gather::gather;
use super::outbox::{Completion, Outbox};
use super::{Reply, Request, SessionError, Wiring};
use crate::model::units::MicroAmps;
use crate::safety::fault::Trip;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

const TICK_RUNNING: Duration = Duration::from_millis(20);
const TICK_IDLE: Duration = Duration::from_millis(200);
/// How often the battery level is read (a sysfs read on the real board).
const BATTERY_EVERY_MS: u64 = 1_000;

/// The manager's state between turns of its loop: the core, the outbox, the wiring, its
/// clocks and the clients waiting on an acknowledge.
pub struct Manager {
    core: Core,
    outbox: Outbox,
    w: Wiring,
    epoch: Instant,
    battery_read_ms: Option<u64>,
    /// Clients waiting for the supervisor's answer to an acknowledge; all get the same reply.
    acks: Vec<Reply<()>>,
}

impl Manager {
    /// Runs until every handle is dropped; the running session, if any, then ends.
    pub async fn run(
        mut w: Wiring,
        mut requests: mpsc::Receiver<Request>,
        mut trips: mpsc::UnboundedReceiver<Trip>,
    ) {
        let counts = w.pads.as_ref().map(PadCounts::of);
        let core = Core::new(w.config.clone(), std::mem::take(&mut w.recent), counts);
        let (outbox, mut done) = Outbox::start(
            w.shared.clone(),
            w.history.clone(),
            w.events.clone(),
            w.status.clone(),
            w.supervisor.clone(),
            w.profiles.clone(),
            w.pads.take(),
        );
        let mut m = Manager {
            core,
            outbox,
            w,
            epoch: Instant::now(),
            battery_read_ms: None,
            acks: Vec::new(),
        };
        m.flush();
        let mut next_tick = Instant::now();
        loop {
            tokio::select! {
                biased;
                // Trips first, then a due tick, then requests: a client flooding requests
                // cannot starve the ramp, the session's end or the manager's heartbeat (tokio's
                // cooperative budget would force a yield anyway; this does not rely on it).
                Some(trip) = trips.recv() => m.core.trip(trip.code, trip.message, m.now()),
                _ = tokio::time::sleep_until(next_tick) => {
                    m.tick();
                    let period = if m.core.is_running() { TICK_RUNNING } else { TICK_IDLE };
                    next_tick = Instant::now() + period;
                }
                Some(c) = done.recv() => m.completed(c),
                req = requests.recv() => match req {
                    Some(req) => m.handle(req),
                    None => break,
                },
            }
            m.flush();
        }
        m.core.stop(m.now());
        m.flush();
    }

    fn now(&self) -> Now {
        Now {
            ms: self.epoch.elapsed().as_millis() as u64,
            unix_ms: crate::clock::unix_now_ms(),
        }
    }

    /// The core's effects performed, then the status as it stands.
    fn flush(&mut self) {
        self.outbox.perform(self.core.drain());
        let readings: Vec<_> = (0..self.w.config.channels)
            .map(|ch| self.w.shared.contact(ch))
            .collect();
        let contact = readings
            .iter()
            .map(|&c| c == crate::shared::Contact::On)
            .collect();
        let mut status = self.core.status(self.now().ms, contact);
        status.contact_state = readings.iter().map(|c| c.as_str().to_string()).collect();
        self.outbox.publish(status);
    }

    fn tick(&mut self) {
        let now = self.now();
        self.w.shared.beat_manager(crate::clock::now_ns());
        let battery = match self.battery_read_ms {
            Some(t) if now.ms.saturating_sub(t) < BATTERY_EVERY_MS => None,
            _ => {
                self.battery_read_ms = Some(now.ms);
                Some((self.w.battery)())
            }
        };
        let contact_lost = std::array::from_fn(|ch| self.w.shared.contact_lost(ch));
        let inputs = TickInputs {
            battery,
            contact_lost,
            output_live: self.w.shared.output_live(
                crate::clock::now_ns(),
                crate::safety::supervisor::SELF_STALL_NS,
            ),
        };
        self.core.tick(now, inputs);
    }

    fn handle(&mut self, req: Request) {
        let now = self.now();
        match req {
            Request::Start {
                program,
                options,
                actor,
                reply,
            } => {
                let r = gather(&self.w, &program, options.profile.as_deref()).and_then(|g| {
                    let plan = self.core.admit(&program, options, g)?;
                    // From the history: above every id in the database and the persisted
                    // counter, so ids never repeat; taken only once the start is admitted.
                    let id = self.w.history.next_session_id();
                    self.core.begin(plan, id, actor, now);
                    Ok(id)
                });
                self.answer(reply, r);
            }
            Request::Stop { reply } => {
                self.core.stop(now);
                self.answer(reply, Ok(()));
            }
            Request::Pause { reply } => {
                let r = self.core.pause();
                self.answer(reply, r);
            }
            Request::Resume { reply } => {
                let r = self.core.resume();
                self.answer(reply, r);
            }
            Request::SetIntensity {
                channel,
                microamps,
                actor,
                reply,
            } => {
                let r = self
                    .core
                    .set_intensity(channel, MicroAmps(microamps), actor, now);
                self.answer(reply, r);
            }
            Request::StepIntensity {
                channel,
                steps,
                actor,
                reply,
            } => {
                let r = self.core.step_intensity(channel, steps, actor, now);
                self.answer(reply, r);
            }
            Request::Keepalive { reply } => {
                let r = self.core.keepalive(now);
                self.answer(reply, r);
            }
            Request::EmergencyStop { reply } => {
                // The handle already disarmed, lock-free; the core disarms first again.
                self.core.emergency_stop(now);
                self.answer(reply, Ok(()));
            }
            Request::BusLost { reply } => {
                self.core.bus_lost(now);
                self.answer(reply, Ok(()));
            }
            Request::AcknowledgeFault { reply } => match self.core.acknowledge() {
                AckStep::Done => self.answer(reply, Ok(())),
                AckStep::Ask => {
                    self.acks.push(reply);
                    self.outbox.ask_acknowledge();
                }
                AckStep::Join => self.acks.push(reply),
            },
            Request::PadsReplaced { channel, reply } => match self.core.pads_channel(channel) {
                Ok(ch) => self.outbox.replace_pads(ch, now.unix(), reply),
                Err(e) => {
                    self.answer(reply, Err(e));
                }
            },
        }
    }

    /// Answers a client once the outbox has performed what its request decided and the
    /// status shows it.
    fn answer<T>(&mut self, reply: Reply<T>, r: Result<T, SessionError>) {
        self.flush();
        // A refusal in the running session's language (a start's is in its profile's).
        let r = match self.core.language() {
            Some(lang) => r.map_err(|e| e.in_lang(lang)),
            None => r,
        };
        let _ = reply.send(r);
    }

    /// The storage worker or the supervisor finished something the core or a client waits
    /// for.
    fn completed(&mut self, c: Completion) {
        match c {
            Completion::Acknowledged(answer) => {
                let r = self.core.acknowledged(answer);
                self.flush();
                for reply in self.acks.drain(..) {
                    let _ = reply.send(r.clone());
                }
            }
            Completion::PadsCounted { counts, newly_worn } => {
                self.core.pads_counted(counts, &newly_worn)
            }
            Completion::PadsReplaced {
                channel,
                result,
                reply,
            } => {
                let r = result.map(|counts| {
                    if let Some(counts) = counts {
                        self.core.pads_replaced(channel, counts);
                    }
                });
                // The status shows the new counts before the client hears it is done.
                self.answer(reply, r);
            }
        }
    }
}

#[cfg(test)]
#[path = "manager_tests.rs"]
mod tests;
