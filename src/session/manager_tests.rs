//! The manager task under load.

use super::*;
use crate::catalog::Catalog;
use crate::history::HistoryHandle;
use crate::session::core::Config;
use crate::session::{Event, SessionHandle, StartOptions, Status};
use crate::shared::Shared;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, oneshot, watch};

/// The manager's wiring for a test in `dir`: the supervisor's command receiver, the status
/// and the events come back for the test to play the rest of the daemon.
fn wiring(
    dir: &std::path::Path,
    shared: Arc<Shared>,
) -> (
    Wiring,
    std::sync::mpsc::Receiver<crate::safety::supervisor::Command>,
    watch::Receiver<Status>,
    broadcast::Receiver<Event>,
) {
    let (history, _) = HistoryHandle::open(dir, crate::history::Retention::default());
    let (sup_tx, sup_rx) = std::sync::mpsc::channel();
    let (status_tx, status_rx) = watch::channel(Status::default());
    let (events_tx, events) = broadcast::channel(16);
    let limits = crate::model::limits::tests::default_limits();
    let limits_copy = limits.clone();
    let wiring = Wiring {
        shared,
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
    (wiring, sup_rx, status_rx, events)
}

/// Four tasks keep the manager's request queue full; the session must still end on time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_requests_cannot_starve_the_end_of_a_session() {
    let dir = std::env::temp_dir().join(format!("stimd-flood-{}", std::process::id()));
    let shared = Arc::new(Shared::new());
    let (wiring, _sup_rx, _status_rx, mut events) = wiring(&dir, shared.clone());
    let (req_tx, req_rx) = mpsc::channel(64);
    let (_trip_tx, trip_rx) = mpsc::unbounded_channel();
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

/// While the supervisor has not answered an acknowledge, the manager goes on handling
/// requests; a second acknowledge shares the first one's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manager_keeps_working_while_the_supervisor_considers_an_acknowledge() {
    use crate::safety::fault::{FaultCode, Trip};
    use crate::safety::supervisor::Command;
    let dir = std::env::temp_dir().join(format!("stimd-ack-{}", std::process::id()));
    let shared = Arc::new(Shared::new());
    let (wiring, sup_rx, mut status, _events) = wiring(&dir, shared.clone());
    let (req_tx, req_rx) = mpsc::channel(64);
    let (trip_tx, trip_rx) = mpsc::unbounded_channel();
    tokio::spawn(Manager::run(wiring, req_rx, trip_rx));
    let handle = SessionHandle::new(req_tx, shared);
    trip_tx
        .send(Trip {
            code: FaultCode::Overcurrent,
            message: "test".into(),
        })
        .unwrap();
    status
        .wait_for(|s| s.state == crate::session::DeviceState::Fault)
        .await
        .unwrap();
    let first = tokio::spawn({
        let h = handle.clone();
        async move { h.acknowledge_fault().await }
    });
    let second = tokio::spawn({
        let h = handle.clone();
        async move { h.acknowledge_fault().await }
    });
    let question = tokio::task::spawn_blocking(move || {
        let q = sup_rx.recv_timeout(Duration::from_secs(5));
        (q, sup_rx)
    });
    let (q, sup_rx) = question.await.unwrap();
    let Ok(Command::Acknowledge(answer)) = q else {
        panic!("the supervisor was not asked");
    };
    // Unanswered, yet the manager answers other requests at once.
    let stop = tokio::time::timeout(Duration::from_millis(500), handle.stop()).await;
    assert_eq!(stop.expect("the manager waited on the supervisor"), Ok(()));
    // Both acknowledges are waiting on the one question.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(sup_rx.try_recv().is_err(), "the supervisor was asked twice");
    assert!(!first.is_finished() && !second.is_finished());
    answer.send(Ok(())).unwrap();
    assert_eq!(first.await.unwrap(), Ok(()));
    assert_eq!(second.await.unwrap(), Ok(()));
    assert_eq!(status.borrow().state, crate::session::DeviceState::Idle);
    let _ = std::fs::remove_dir_all(&dir);
}
