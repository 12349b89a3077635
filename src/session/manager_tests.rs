//! The manager task under load.

use super::*;
use crate::history::HistoryHandle;
use crate::program::Catalog;
use crate::session::core::Config;
use crate::session::{Event, SessionHandle, StartOptions, Status};
use crate::shared::Shared;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// Four tasks keep the manager's request queue full; the session must still end on time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_requests_cannot_starve_the_end_of_a_session() {
    let dir = std::env::temp_dir().join(format!("stimd-flood-{}", std::process::id()));
    let (history, _) = HistoryHandle::open(&dir, crate::history::Retention::default());
    let shared = Arc::new(Shared::new());
    let (sup_tx, _sup_rx) = std::sync::mpsc::channel();
    let (status_tx, _status_rx) = watch::channel(Status::default());
    let (events_tx, mut events) = broadcast::channel(16);
    let (req_tx, req_rx) = mpsc::channel(64);
    let (_trip_tx, trip_rx) = mpsc::unbounded_channel();
    let limits = crate::model::limits::tests::default_limits();
    let limits_copy = limits.clone();
    let wiring = Wiring {
        shared: shared.clone(),
        config: Config {
            limits,
            channels: 2,
            session_default_s: 1_800,
            session_max_s: 3_600,
            battery_low_percent: 15,
            battery_critical_percent: 5,
        },
        history,
        supervisor: sup_tx,
        status: status_tx,
        events: events_tx,
        battery: Box::new(|| -1),
        catalog: Arc::new(RwLock::new(
            Catalog::load(&dir.join("programs"), limits_copy).0,
        )),
        profiles: Arc::new(RwLock::new(crate::care::store::tests::screened(
            &dir.join("profiles"),
        ))),
        recent: Vec::new(),
        pads: None,
    };
    tokio::spawn(Manager::run(wiring, req_rx, trip_rx));
    let handle = SessionHandle::new(req_tx.clone(), shared);
    let options = StartOptions {
        duration_s: Some(1),
        ..StartOptions::default()
    };
    let id = handle
        .start("low-back".into(), options, "test".into())
        .await
        .unwrap();
    for _ in 0..4 {
        let tx = req_tx.clone();
        tokio::spawn(async move {
            loop {
                let (reply, _) = oneshot::channel();
                if tx.send(Request::Keepalive { reply }).await.is_err() {
                    break;
                }
            }
        });
    }
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match events.recv().await {
                Ok(Event::Ended { id, reason }) => return (id, reason),
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("manager gone"),
            }
        }
    })
    .await
    .expect("a 1 s session did not end within 20 s under a request flood");
    assert_eq!(ended, (id, crate::session::EndReason::Completed));
    let _ = std::fs::remove_dir_all(&dir);
}
