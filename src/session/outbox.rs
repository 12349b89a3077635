//! The outbox: the one place that performs what the session core decided — levels, patterns,
//! arming and disarming on `Shared`, records to the history, signals, the status, and the
//! files (a profile's comfortable intensity, the pad counts).
//!
//! Owns the conversion of typed records into the history's rows (strings start here), the
//! storage worker, and asking the supervisor to acknowledge a fault. Never decides anything;
//! never blocks the manager's task: history records are queued without waiting, every file is
//! written on the storage worker, a blocking thread of its own, and the supervisor's answer is
//! awaited on a task of its own. What the manager waits for comes back as a `Completion`.

use super::core::{AckAnswer, PadCounts};
use super::effect::{Actor, Effect, Figures, Record};
use super::{Event, Reply, SessionError, Status};
use crate::care::pads::Pads;
use crate::care::ProfileStore;
use crate::history::{ClampRow, FaultRow, HistoryHandle, IntensityRow, SessionFigures, SessionRow};
use crate::model::limits::ceiling::CHANNELS;
use crate::safety::supervisor::Command;
use crate::shared::Shared;
use crate::texts::Text;
use std::sync::{mpsc as std_mpsc, Arc, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// How long the supervisor has to answer an acknowledge (it answers within one of its loops,
/// a few milliseconds, while it runs).
const ACK_TIMEOUT: Duration = Duration::from_secs(2);

/// Work for the storage worker, done in the order sent.
enum Job {
    Comfort {
        profile: String,
        program: String,
        comfort: [Option<u32>; CHANNELS],
    },
    PadsUsed {
        channels: Vec<usize>,
        seconds: u32,
    },
    ReplacePads {
        channel: usize,
        now: i64,
        reply: Reply<()>,
    },
}

/// What the storage worker and the supervisor hand back to the manager for the core.
pub enum Completion {
    /// The supervisor's answer to `Outbox::ask_acknowledge`.
    Acknowledged(AckAnswer),
    /// The pad counts after a session was counted; the channels that have just become worn.
    PadsCounted {
        counts: PadCounts,
        newly_worn: Vec<usize>,
    },
    /// A fresh pad set stored (the counts after it), or why not; the client waits for it.
    PadsReplaced {
        channel: usize,
        result: Result<Option<PadCounts>, SessionError>,
        reply: Reply<()>,
    },
}

/// The outbox: the senders and channels effects go to, owned by the manager's task.
pub struct Outbox {
    shared: Arc<Shared>,
    history: HistoryHandle,
    events: broadcast::Sender<Event>,
    status: watch::Sender<Status>,
    storage: std_mpsc::Sender<Job>,
    supervisor: std_mpsc::Sender<Command>,
    /// Where answers come back to the manager (the storage worker holds another sender).
    done: mpsc::UnboundedSender<Completion>,
}

impl Outbox {
    /// The outbox and its storage worker (a blocking task: the runtime waits for it at
    /// shutdown, so a write begun is finished). Completions come back on the receiver.
    pub fn start(
        shared: Arc<Shared>,
        history: HistoryHandle,
        events: broadcast::Sender<Event>,
        status: watch::Sender<Status>,
        supervisor: std_mpsc::Sender<Command>,
        profiles: Arc<RwLock<ProfileStore>>,
        pads: Option<Pads>,
    ) -> (Outbox, mpsc::UnboundedReceiver<Completion>) {
        let (storage, jobs) = std_mpsc::channel();
        let (done, completions) = mpsc::unbounded_channel();
        let worker_done = done.clone();
        tokio::task::spawn_blocking(move || store(jobs, worker_done, profiles, pads));
        let outbox = Outbox {
            shared,
            history,
            events,
            status,
            storage,
            supervisor,
            done,
        };
        (outbox, completions)
    }

    /// Performs `effects` in order.
    pub fn perform(&self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Levels(levels) => {
                    for (ch, l) in levels.iter().enumerate() {
                        self.shared.set_level(ch, l.0);
                    }
                }
                Effect::Pattern(p) => self.shared.publish_pattern(p, crate::clock::now_ns()),
                Effect::ResetContact => self.shared.reset_contact(),
                Effect::Arm(limits) => self.shared.arm(&limits),
                Effect::Disarm => self.shared.disarm(),
                Effect::Record(r) => self.record(r),
                Effect::Signal(event) => {
                    let _ = self.events.send(event);
                }
                Effect::SaveComfort {
                    profile,
                    program,
                    comfort,
                } => self.to_storage(Job::Comfort {
                    profile,
                    program,
                    comfort,
                }),
                Effect::PadsUsed { channels, seconds } => {
                    self.to_storage(Job::PadsUsed { channels, seconds })
                }
            }
        }
    }

    /// A fresh pad set on `channel` at `now` (Unix seconds), stored before `reply` is answered
    /// (through a `Completion`).
    pub fn replace_pads(&self, channel: usize, now: i64, reply: Reply<()>) {
        self.to_storage(Job::ReplacePads {
            channel,
            now,
            reply,
        });
    }

    /// Asks the supervisor to clear its latched fault; the answer (or `Silent` after
    /// `ACK_TIMEOUT`) comes back as `Completion::Acknowledged`, awaited on a task of its own so
    /// the manager's loop goes on meanwhile.
    pub fn ask_acknowledge(&self) {
        let (reply, rx) = oneshot::channel();
        if self.supervisor.send(Command::Acknowledge(reply)).is_err() {
            let _ = self
                .done
                .send(Completion::Acknowledged(AckAnswer::NotRunning));
            return;
        }
        let done = self.done.clone();
        tokio::spawn(async move {
            let answer = match tokio::time::timeout(ACK_TIMEOUT, rx).await {
                Ok(Ok(Ok(()))) => AckAnswer::Cleared,
                Ok(Ok(Err(cause))) => AckAnswer::Refused(cause),
                _ => AckAnswer::Silent,
            };
            let _ = done.send(Completion::Acknowledged(answer));
        });
    }

    /// The status, when it changed.
    pub fn publish(&self, st: Status) {
        self.status.send_if_modified(|old| {
            if *old != st {
                *old = st;
                true
            } else {
                false
            }
        });
    }

    fn to_storage(&self, job: Job) {
        if let Err(std_mpsc::SendError(job)) = self.storage.send(job) {
            tracing::error!("the storage worker is gone: a file was not written");
            if let Job::ReplacePads { reply, .. } = job {
                let _ = reply.send(Err(SessionError::Failed(Text::new("storage.worker_gone"))));
            }
        }
    }

    /// A typed record as the history's row.
    fn record(&self, r: Record) {
        let h = &self.history;
        match r {
            Record::Started {
                id,
                program,
                profile,
                placement,
                start,
                channels,
                segments,
            } => {
                let mut row =
                    SessionRow::starting(id, &program, &profile, &placement, start, channels);
                row.segments = segments;
                h.session_started(row);
            }
            Record::Target {
                time_ms,
                session_id,
                channel,
                target,
                actor,
            } => h.intensity(IntensityRow {
                time_ms,
                session_id,
                channel: channel as u32,
                kind: "target",
                microamps: target.0,
                actor: actor.to_string(),
            }),
            Record::Level {
                time_ms,
                session_id,
                channel,
                level,
            } => h.intensity(IntensityRow {
                time_ms,
                session_id,
                channel: channel as u32,
                kind: "level",
                microamps: level.0,
                actor: Actor::Ramp.to_string(),
            }),
            Record::Clamp {
                time,
                session_id,
                clamp: c,
            } => h.clamp(ClampRow {
                time,
                session_id,
                channel: c.channel as u32,
                requested: c.requested.0,
                applied: c.applied.0,
                limit: c.limit.as_str().into(),
            }),
            Record::Progress { id, time, figures } => {
                h.session_progress(id, time, row_figures(figures))
            }
            Record::Ended {
                id,
                end,
                reason,
                figures,
            } => h.session_ended(id, end, reason.as_string(), row_figures(figures)),
            Record::Fault {
                time,
                code,
                message,
                session_id,
            } => h.fault(FaultRow {
                time,
                code: code.as_str().into(),
                message,
                session_id,
            }),
        }
    }
}

fn row_figures(f: Figures) -> SessionFigures {
    SessionFigures {
        max_intensity: f.max_intensity,
        mean_intensity: f.mean_intensity,
        segments: f.segments,
        stimulated_s: f.stimulated_s,
    }
}

/// The storage worker: runs until the outbox is dropped, then finishes what was sent.
fn store(
    jobs: std_mpsc::Receiver<Job>,
    done: mpsc::UnboundedSender<Completion>,
    profiles: Arc<RwLock<ProfileStore>>,
    mut pads: Option<Pads>,
) {
    for job in jobs {
        match job {
            Job::Comfort {
                profile,
                program,
                comfort,
            } => {
                let Ok(mut store) = profiles.write() else {
                    continue;
                };
                let Some(mut p) = store.get(&profile).cloned() else {
                    continue;
                };
                let mut kept = p.comfort.get(&program).copied().unwrap_or_default();
                for (k, c) in kept.iter_mut().zip(comfort) {
                    if let Some(c) = c {
                        *k = c;
                    }
                }
                p.comfort.insert(program, kept);
                if let Err(e) = store.put(p) {
                    tracing::warn!("{e}");
                }
            }
            Job::PadsUsed { channels, seconds } => {
                if let Some(p) = pads.as_mut() {
                    // Best effort: a count that cannot be stored stays in memory (logged).
                    let newly_worn = p.used(&channels, seconds);
                    let counts = PadCounts::of(p);
                    let _ = done.send(Completion::PadsCounted { counts, newly_worn });
                }
            }
            Job::ReplacePads {
                channel,
                now,
                reply,
            } => {
                // Stored durably first; if it cannot be, refused and the old counts stay.
                let result = match pads.as_mut().map(|p| (p.replaced(channel, now), p)) {
                    None => Ok(None),
                    Some((Ok(()), p)) => Ok(Some(PadCounts::of(p))),
                    Some((Err(e), _)) => {
                        tracing::error!(channel, "new pads not recorded: {e}");
                        Err(SessionError::StorageFailed(
                            Text::new("pads.not_stored")
                                .arg("channel", channel)
                                .arg("detail", e.to_string()),
                        ))
                    }
                };
                let _ = done.send(Completion::PadsReplaced {
                    channel,
                    result,
                    reply,
                });
            }
        }
    }
}
