//! Wiring: builds the board, starts the safety core (engine and supervisor, through
//! `SafetyCore::start`), the history and the session manager in a safe order, serves D-Bus,
//! tells systemd when it is ready, and shuts down with the output off (`SafetyCore::stop`).
//!
//! Owns start-up order and shutdown. Never decides anything about stimulation itself.

pub mod bench;
mod bus;

pub use bus::BusLost;
pub mod fault_bench;
pub mod history_bench;

use crate::api::{self, Bus};
use crate::board::dac::Transfers;
use crate::board::{self, Board};
use crate::catalog::Catalog;
use crate::config::Config;
use crate::engine::EngineSettings;
use crate::history::HistoryHandle;
use crate::model::units::Micros;
use crate::safety::core::{CoreConfig, CoreLinks, SafetyCore, StartError};
use crate::safety::supervisor::SupervisorSettings;
use crate::session::{Manager, SessionHandle, Status, Wiring};
use crate::shared::Shared;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};

/// Which board to drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BoardKind {
    /// The simulated board (development, tests, benches; serves the `Sim` interface).
    Sim,
    /// The real hardware through Linux's SPI and GPIO character devices.
    Linux,
}

/// What the daemon needs to start (from `stimd`'s command line and configuration file).
pub struct Options {
    /// The validated configuration.
    pub config: Config,
    /// Which board drives the output.
    pub board: BoardKind,
    /// Which bus to serve on.
    pub bus: Bus,
    /// Where the history, profiles, custom programs and pad counts are kept.
    pub state_dir: PathBuf,
    /// A trace file for every DAC code with its time, CSV or VCD by its extension (sim board
    /// only; `None` = no trace).
    pub trace: Option<PathBuf>,
}

/// Why the daemon could not start, or stopped other than on SIGTERM or SIGINT. Output is off
/// in every case.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The sim board could not be built (its trace or hardware file).
    #[error("board: sim: {0}")]
    SimBoard(#[source] std::io::Error),
    /// The safety core (engine and supervisor) could not start.
    #[error(transparent)]
    SafetyCore(#[from] StartError),
    /// The bus could not be reached or the name not taken.
    #[error("D-Bus: {0}")]
    Bus(#[from] zbus::Error),
    /// The configuration's limits are invalid.
    #[error("{0}")]
    Config(#[source] crate::config::ConfigError),
    /// The connection to the bus was lost while serving: the daemon exits non-zero so that
    /// systemd restarts it (disarmed).
    #[error("D-Bus connection lost: {0}; exiting so that systemd restarts stimd disarmed")]
    BusLost(#[source] BusLost),
}

/// The board, or — when the linux board's devices are missing or busy — the absent board and
/// why, so the daemon still serves D-Bus and reports `hardware_unavailable`.
fn build_board(o: &Options) -> Result<(Board, Option<String>), DaemonError> {
    let calibration = calibration(&o.config, o.board);
    match o.board {
        BoardKind::Sim => {
            let file = &o.config.sim.hardware_file;
            let out = board::sim::SimOutputs {
                trace: o.trace.as_deref(),
                hardware_file: (!file.is_empty()).then(|| Path::new(file)),
            };
            let sim = &o.config.sim;
            let settings = board::sim::SimSettings {
                load_ohms: sim.load_ohms,
                analog: Transfers::from_lists(&sim.analog_offset_ua, &sim.analog_gain_ppm),
                calibration,
            };
            board::sim::build_with(settings, out)
                .map(|b| (b, None))
                .map_err(DaemonError::SimBoard)
        }
        BoardKind::Linux => Ok(match board::linux::build(&o.config.linux, calibration) {
            Ok(b) => (b, None),
            Err(e) => {
                tracing::error!("hardware unavailable: {e}; serving D-Bus, refusing sessions");
                (board::absent::build("linux"), Some(e.to_string()))
            }
        }),
    }
}

/// The DAC calibration `[calibration]` sets, logged (on the linux board, its absence is a
/// warning: the rest level is then mid-scale, whatever current that is).
fn calibration(config: &Config, board: BoardKind) -> Transfers {
    let c = &config.calibration;
    let t = Transfers::from_lists(&c.offset_ua, &c.gain_ppm);
    if t.is_ideal() {
        if board == BoardKind::Linux {
            tracing::warn!(
                "no [calibration]: mid-scale is taken as 0 µA and full scale as ±100 mA; \
                 run `stimd calibrate` with a test load (docs/deploy.md §8)"
            );
        }
    } else {
        for ch in 0..config.device.channels as usize {
            let ch_t = t.get(ch);
            tracing::info!(
                channel = ch,
                offset_ua = ch_t.offset_ua,
                gain_ppm = ch_t.gain_ppm,
                "DAC calibration"
            );
        }
    }
    t
}

/// Runs the daemon until SIGTERM or SIGINT.
pub async fn run(o: Options) -> Result<(), DaemonError> {
    let limits = o.config.limits().map_err(DaemonError::Config)?;
    let channels = o.config.device.channels as usize;
    let (board, unavailable) = build_board(&o)?;
    let board_name = board.name;
    let sim = board.sim.clone();
    let trace = board.sim.clone();
    let button_edges = board.buttons;
    let shared = Arc::new(Shared::new());

    // 1–2. The safety core: output stage off before anything can pulse (and
    // `hardware_unavailable` latched if the board is absent), the hardware watchdog handed to
    // the supervisor, the engine and its first heartbeat, the supervisor, memory locked.
    let wd = &o.config.watchdog;
    let (
        core,
        CoreLinks {
            trips: trip_rx,
            commands: sup_tx,
        },
    ) = SafetyCore::start(
        &shared,
        board.engine,
        board.safety,
        CoreConfig {
            limits: limits.clone(),
            engine: EngineSettings {
                lead: Micros(o.config.engine.lead_us),
                rt_priority: o.config.engine.rt_priority,
                channels,
            },
            supervisor: SupervisorSettings {
                period_ns: u64::from(o.config.supervisor.period_us) * 1_000,
                rt_priority: o.config.supervisor.rt_priority,
                channels,
            },
            hw_watchdog: (!wd.device.is_empty()).then(|| (PathBuf::from(&wd.device), wd.timeout_s)),
            hardware_unavailable: unavailable,
        },
    )?;

    // 3. History (a failure only loses history), then the session manager. Session ids come
    // from the history's allocator, above the database and the persisted id counter.
    let (history, _) = HistoryHandle::open(&o.state_dir, (&o.config.history).into());
    let (status_tx, status_rx) = watch::channel(Status::default());
    let (events_tx, _) = broadcast::channel(256);
    let (req_tx, req_rx) = mpsc::channel(64);
    let session = SessionHandle::new(req_tx, shared.clone());
    let battery = battery_source(sim.clone(), &o.config.battery.supply);
    let (catalog, warnings) = Catalog::load(&o.state_dir.join("programs"), limits.clone());
    for w in warnings {
        tracing::warn!("custom program {w}");
    }
    let catalog = Arc::new(RwLock::new(catalog));
    let (profiles, warnings) =
        crate::care::ProfileStore::load(&o.state_dir.join("profiles"), &o.config.device.locale);
    for w in warnings {
        tracing::warn!("profile {w}");
    }
    let profiles = Arc::new(RwLock::new(profiles));
    crate::texts::set_default(crate::texts::Lang::of(&o.config.device.locale));
    crate::texts::preload();
    let language_of = {
        let profiles = profiles.clone();
        Arc::new(move |name: &str| {
            let store = profiles.read().ok();
            let language = store
                .as_ref()
                .and_then(|s| s.existing(name).ok().map(|p| p.language.clone()));
            crate::texts::Lang::of(language.as_deref().unwrap_or_default())
        })
    };
    let (pads, warning) = crate::care::pads::Pads::load(&o.state_dir, o.config.care.pad_uses);
    if let Some(w) = warning {
        tracing::warn!("pad counts start from zero: {w}");
    }
    // The last two days' sessions, so the dose guidance survives a restart.
    let since = crate::clock::unix_now() - 2 * 86_400;
    let recent = match history.sessions(since, 0, 0).await {
        Ok(rows) => rows
            .iter()
            .map(|r| {
                let past = crate::care::dose::Past {
                    start: r.start,
                    end: r.start + r.duration_s(),
                    stimulated_s: r.stimulated_s,
                };
                (r.profile.clone(), past)
            })
            .collect(),
        Err(e) => {
            tracing::warn!("dose guidance starts without the last sessions: {e}");
            Vec::new()
        }
    };
    let wiring = Wiring {
        shared: shared.clone(),
        config: crate::session::core::Config {
            limits: limits.clone(),
            channels,
            session_default_s: o.config.limits.session_default_min * 60,
            session_max_s: o.config.limits.session_max_min * 60,
            battery_low_percent: o.config.battery.low_percent,
            battery_critical_percent: o.config.battery.critical_percent,
        },
        history: history.clone(),
        supervisor: sup_tx,
        status: status_tx,
        events: events_tx.clone(),
        battery,
        catalog: catalog.clone(),
        profiles: profiles.clone(),
        recent,
        pads: Some(pads),
    };
    let manager_task = tokio::spawn(Manager::run(wiring, req_rx, trip_rx));
    if let Some(edges) = button_edges {
        let b = &o.config.buttons;
        let settings = crate::buttons::ButtonSettings {
            debounce_ns: u64::from(b.debounce_ms) * 1_000_000,
            long_press_ns: u64::from(b.long_press_ms) * 1_000_000,
        };
        tokio::spawn(crate::buttons::run(
            edges,
            session.clone(),
            settings,
            b.channels.clone(),
        ));
    }

    // 4. D-Bus.
    let limiter = Arc::new(api::limiter::Limiter::default());
    let device = api::device::Device {
        limiter: limiter.clone(),
        session: session.clone(),
        status: status_rx.clone(),
        board: board_name.to_string(),
        channels: channels as u32,
        limits: limits.clone(),
        session_max_s: o.config.limits.session_max_min * 60,
        history: history.clone(),
    };
    let mut builder = o
        .bus
        .builder()?
        .serve_at(api::OBJECT_PATH, device)?
        .serve_at(
            api::OBJECT_PATH,
            api::session::Session {
                limiter: limiter.clone(),
                session: session.clone(),
                status: status_rx.clone(),
            },
        )?
        .serve_at(
            api::OBJECT_PATH,
            api::profiles::Profiles {
                limiter: limiter.clone(),
                profiles,
                catalog: catalog.clone(),
                limits: limits.clone(),
                history: history.clone(),
                admin_group: o.config.care.admin_group.clone(),
            },
        )?
        .serve_at(
            api::OBJECT_PATH,
            api::programs::Programs {
                limiter: limiter.clone(),
                catalog,
                locale: o.config.device.locale.clone(),
                history: history.clone(),
            },
        )?
        .serve_at(
            api::OBJECT_PATH,
            api::history::History {
                limiter: limiter.clone(),
                history: history.clone(),
                status: history.status(),
                language_of,
            },
        )?;
    if let Some(sim) = sim {
        builder = builder.serve_at(
            api::OBJECT_PATH,
            api::sim::Sim {
                sim,
                channels: channels as u32,
                faults: core.faults(),
            },
        )?;
    }
    let conn = builder.name(api::BUS_NAME)?.build().await?;
    tokio::spawn(api::signals::publish_history_status(
        conn.clone(),
        history.status(),
    ));
    tokio::spawn(api::signals::publish(
        conn.clone(),
        status_rx,
        events_tx.subscribe(),
    ));

    // 5. Ready: the output is off and the name is owned.
    let _ = sd_notify::notify(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status("disarmed, ready"),
    ]);
    shared.mark_ready();
    tracing::info!(board = board_name, bus = ?o.bus, state_dir = %o.state_dir.display(), "stimd ready (disarmed)");

    let bus_lost = tokio::select! {
        _ = wait_for_signal() => None,
        why = bus::watch(conn.clone(), shared.clone()) => Some(why),
    };
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    shared.disarm();
    match &bus_lost {
        Some(why) => {
            tracing::error!("D-Bus connection lost ({why}): output off, session ended (bus_lost)");
            let _ = session.bus_lost().await;
        }
        None => {
            tracing::info!("shutting down: output off");
            let _ = session.stop().await;
        }
    }
    drop(conn);
    let _ = tokio::task::spawn_blocking(move || core.stop()).await;
    if let Some(sim) = trace {
        // The sim board's trace, to its last change (the output cut just now).
        let _ = tokio::task::spawn_blocking(move || sim.finish_trace(Duration::from_secs(1))).await;
    }
    manager_task.abort();
    // The session's end was queued before `stop` answered; wait until it is on disk.
    if !history.flush(Duration::from_secs(2)).await {
        tracing::warn!("history: could not confirm the last records were written");
    }
    match bus_lost {
        // Non-zero, so systemd restarts stimd, which comes up disarmed.
        Some(why) => Err(DaemonError::BusLost(why)),
        None => Ok(()),
    }
}

/// Where the battery level comes from: the sim board, or
/// `/sys/class/power_supply/<supply>/capacity`; −1 (unknown) when neither.
fn battery_source(sim: Option<board::sim::SimHandle>, supply: &str) -> Box<dyn Fn() -> i32 + Send> {
    if let Some(sim) = sim {
        return Box::new(move || sim.battery());
    }
    if supply.is_empty() {
        return Box::new(|| -1);
    }
    let path = PathBuf::from("/sys/class/power_supply")
        .join(supply)
        .join("capacity");
    Box::new(move || {
        std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
            .filter(|p| (0..=100).contains(p))
            .unwrap_or(-1)
    })
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
