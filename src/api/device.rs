//! `io.stimd.Stimd1.Device`: state, fault, board facts, effective limits, emergency stop.

// zbus's `#[interface]` generates, beside this file's items, a struct per signal's arguments
// (`…Args`) whose fields and accessors carry no documentation; the lint is allowed for them
// here, and every item written in this file is documented.
#![allow(missing_docs)]

use super::StimdError;
use crate::model::limits::Limits;
use crate::session::{SessionHandle, Status};
use std::collections::HashMap;
use tokio::sync::watch;
use zbus::interface;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedValue, Value};

/// The `Device` interface: what the daemon wiring hands it to answer with. Built once at
/// start-up; it holds no state of its own.
pub struct Device {
    /// Per-sender bounds on calls (shared by every interface).
    pub limiter: std::sync::Arc<super::limiter::Limiter>,
    /// The session manager, for the emergency stop, fault acknowledgement and pad changes.
    pub session: SessionHandle,
    /// The session's latest status (state, fault, battery, pads), for the properties.
    pub status: watch::Receiver<Status>,
    /// Which board drives the output: `sim` or `linux`.
    pub board: String,
    /// How many output channels the device has.
    pub channels: u32,
    /// The effective limits the device enforces.
    pub limits: Limits,
    /// The longest session allowed (s).
    pub session_max_s: u32,
    /// Where a pad set replaced is recorded, with who said so (`History.Changes`).
    pub history: crate::history::HistoryHandle,
}

fn owned(v: Value<'_>) -> OwnedValue {
    // Plain numbers always convert; fall back to a zero rather than fail a property read.
    v.try_into().unwrap_or_else(|_| OwnedValue::from(0u32))
}

/// The effective limits as `a{sv}`.
fn limits_dict(l: &Limits, session_max_s: u32) -> HashMap<String, OwnedValue> {
    HashMap::from([
        (
            "peak_current_ua".into(),
            owned(Value::U32(l.peak_current.0)),
        ),
        ("rms_current_ua".into(), owned(Value::U32(l.rms_current.0))),
        (
            "current_density_ua_per_cm2".into(),
            owned(Value::U32(l.current_density_ua_per_cm2)),
        ),
        (
            "charge_per_phase_nc".into(),
            owned(Value::U64(l.charge_per_phase.0)),
        ),
        (
            "min_phase_width_us".into(),
            owned(Value::U32(l.min_phase_width.0)),
        ),
        (
            "max_phase_width_us".into(),
            owned(Value::U32(l.max_phase_width.0)),
        ),
        ("min_rate_hz".into(), owned(Value::F64(l.min_rate.0))),
        ("max_rate_hz".into(), owned(Value::F64(l.max_rate.0))),
        (
            "rise_rate_ua_per_s".into(),
            owned(Value::U32(l.rise_rate_ua_per_s)),
        ),
        (
            "intensity_step_ua".into(),
            owned(Value::U32(l.intensity_step.0)),
        ),
        (
            "electrode_area_cm2".into(),
            owned(Value::F64(l.electrode_area.0)),
        ),
        ("session_max_s".into(), owned(Value::U32(session_max_s))),
    ])
}

#[interface(
    name = "io.stimd.Stimd1.Device",
    proxy(
        default_service = "io.stimd.Stimd1",
        default_path = "/io/stimd/Stimd1",
        gen_blocking = false
    )
)]
impl Device {
    /// Output to zero at once and end any session. Always allowed, idempotent.
    async fn emergency_stop(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
    ) -> Result<(), StimdError> {
        // The stop first; who asked is looked up afterwards and never delays it.
        self.session.emergency_stop().await?;
        super::log_caller(conn, &hdr, "Device.EmergencyStop").await;
        Ok(())
    }

    /// Clears a latched fault; succeeds only once its cause is gone.
    async fn acknowledge_fault(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
    ) -> Result<(), StimdError> {
        self.limiter.take(&hdr)?;
        self.session.acknowledge_fault().await?;
        super::log_caller(conn, &hdr, "Device.AcknowledgeFault").await;
        Ok(())
    }

    /// `idle`, `running`, `paused` or `fault`.
    #[zbus(property)]
    fn state(&self) -> String {
        self.status.borrow().state.as_str().to_string()
    }

    /// The latched fault: code and message; empty strings when none.
    #[zbus(property)]
    fn fault(&self) -> (String, String) {
        self.status.borrow().fault.clone()
    }

    /// `sim` or `linux`.
    #[zbus(property(emits_changed_signal = "const"))]
    fn board(&self) -> String {
        self.board.clone()
    }

    /// stimd's version (the crate's, e.g. `0.1.0`).
    #[zbus(property(emits_changed_signal = "const"))]
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    /// How many output channels the device has.
    #[zbus(property(emits_changed_signal = "const"))]
    fn channels(&self) -> u32 {
        self.channels
    }

    /// The effective limits (µA, µs, Hz, nC, cm², s).
    #[zbus(property(emits_changed_signal = "const"))]
    fn limits(&self) -> HashMap<String, OwnedValue> {
        limits_dict(&self.limits, self.session_max_s)
    }

    /// Battery charge in percent, −1 when unknown.
    #[zbus(property)]
    fn battery(&self) -> i32 {
        self.status.borrow().battery
    }

    /// Per channel: sessions and minutes on its pad set since it was fitted, and whether it
    /// is worn (`care.pad_uses` sessions).
    #[zbus(property)]
    fn pads(&self) -> Vec<(u32, u32, bool)> {
        self.status.borrow().pads.clone()
    }

    /// A fresh pad set was fitted on `channel`: its counts start again.
    async fn pads_replaced(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        channel: u32,
    ) -> Result<(), StimdError> {
        self.limiter.take(&hdr)?;
        // The old set's use, for the record (read before the counts start again).
        let (sessions, minutes, session_id) = {
            let st = self.status.borrow();
            let (n, m, _) = st.pads.get(channel as usize).copied().unwrap_or_default();
            (n, m, st.session_id)
        };
        self.session.pads_replaced(channel).await?;
        let actor = super::caller(conn, &hdr).await;
        tracing::info!(actor, "Device.PadsReplaced {channel}");
        self.history.change(crate::history::ChangeRow {
            time_ms: crate::clock::unix_now_ms(),
            session_id,
            actor,
            kind: "pads_replaced".into(),
            channel,
            from: 0,
            to: 0,
            profile: String::new(),
            detail: format!("old set: {sessions} sessions, {minutes} minutes"),
        });
        Ok(())
    }

    /// A channel's pad set has been used `sessions` times: replace it.
    #[zbus(signal)]
    pub async fn pads_worn(
        emitter: &SignalEmitter<'_>,
        channel: u32,
        sessions: u32,
    ) -> zbus::Result<()>;

    /// A safety fault tripped: output is off and the fault is latched.
    #[zbus(signal)]
    pub async fn fault_raised(
        emitter: &SignalEmitter<'_>,
        code: &str,
        message: &str,
    ) -> zbus::Result<()>;

    /// A requested intensity was reduced to a limit (µA; limit name).
    #[zbus(signal)]
    pub async fn clamped(
        emitter: &SignalEmitter<'_>,
        channel: u32,
        requested_ua: u32,
        applied_ua: u32,
        limit: &str,
    ) -> zbus::Result<()>;
}
