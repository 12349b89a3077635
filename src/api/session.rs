//! `io.stimd.Stimd1.Session`: start, stop and steer a session; its live properties.

// zbus's `#[interface]` generates, beside this file's items, a struct per signal's arguments
// (`…Args`) whose fields and accessors carry no documentation; the lint is allowed for them
// here, and every item written in this file is documented.
#![allow(missing_docs)]

use super::{options, StimdError};
use crate::session::{SessionHandle, Status};
use crate::texts::Text;
use std::collections::HashMap;
use tokio::sync::watch;
use zbus::interface;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::OwnedValue;

/// Longest program id accepted.
const MAX_ID_LEN: usize = 64;

/// The `Session` interface: translates each call into a request on the session handle and
/// each refusal into its D-Bus error; the properties read the manager's latest status.
pub struct Session {
    /// Per-sender bounds on calls (shared by every interface).
    pub limiter: std::sync::Arc<super::limiter::Limiter>,
    /// The session manager, which decides every request.
    pub session: SessionHandle,
    /// The manager's latest status, for the properties (signals come from `api::signals`).
    pub status: watch::Receiver<Status>,
}

#[interface(
    name = "io.stimd.Stimd1.Session",
    proxy(
        default_service = "io.stimd.Stimd1",
        default_path = "/io/stimd/Stimd1",
        gen_blocking = false
    )
)]
impl Session {
    /// Starts `program`. Options: `channels` au, `duration` u (s), `intensity` au (µA target per
    /// channel, reached by ramping from zero), `profile` s, `placement` s, `keepalive` u (s).
    async fn start(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        program: &str,
        options: HashMap<String, OwnedValue>,
    ) -> Result<u64, StimdError> {
        self.limiter.take(&hdr)?;
        if program.chars().count() > MAX_ID_LEN {
            return Err(StimdError::InvalidArgument(
                Text::new("program.id_too_long")
                    .arg("length", program.chars().count())
                    .arg("max", MAX_ID_LEN)
                    .into(),
            ));
        }
        let o = options::start_options(&options)?;
        let actor = super::caller(conn, &hdr).await;
        Ok(self.session.start(program.to_string(), o, actor).await?)
    }

    /// Ends the running session; does nothing when none runs.
    async fn stop(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
    ) -> Result<(), StimdError> {
        self.limiter.take(&hdr)?;
        self.session.stop().await?;
        super::log_caller(conn, &hdr, "Session.Stop").await;
        Ok(())
    }

    /// Output to zero; the session clock keeps running.
    async fn pause(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
    ) -> Result<(), StimdError> {
        self.limiter.take(&hdr)?;
        self.session.pause().await?;
        super::log_caller(conn, &hdr, "Session.Pause").await;
        Ok(())
    }

    /// Ramps back from zero to the targets.
    async fn resume(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
    ) -> Result<(), StimdError> {
        self.limiter.take(&hdr)?;
        self.session.resume().await?;
        super::log_caller(conn, &hdr, "Session.Resume").await;
        Ok(())
    }

    /// Sets a channel's target (µA); returns the target applied after every limit.
    async fn set_intensity(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        channel: u32,
        microamps: u32,
    ) -> Result<u32, StimdError> {
        self.limiter.take(&hdr)?;
        let actor = super::caller(conn, &hdr).await;
        Ok(self
            .session
            .set_intensity(channel, microamps, actor)
            .await?)
    }

    /// Moves a channel's target by whole intensity steps; returns the target applied.
    async fn step_intensity(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        channel: u32,
        steps: i32,
    ) -> Result<u32, StimdError> {
        self.limiter.take(&hdr)?;
        let actor = super::caller(conn, &hdr).await;
        Ok(self.session.step_intensity(channel, steps, actor).await?)
    }

    /// Keeps a session started with `keepalive` going.
    async fn keepalive(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
    ) -> Result<(), StimdError> {
        self.limiter.take(&hdr)?;
        Ok(self.session.keepalive().await?)
    }

    /// The running session's id, 0 when none.
    #[zbus(property)]
    fn id(&self) -> u64 {
        self.status.borrow().session_id
    }

    /// The running session's program id, empty when none.
    #[zbus(property)]
    fn program(&self) -> String {
        self.status.borrow().program.clone()
    }

    /// Whose session is running (the profile's name), empty when none.
    #[zbus(property)]
    fn profile(&self) -> String {
        self.status.borrow().profile.clone()
    }

    /// Seconds since the start.
    #[zbus(property)]
    fn elapsed(&self) -> u32 {
        self.status.borrow().elapsed_s
    }

    /// Seconds until the session ends by itself.
    #[zbus(property)]
    fn remaining(&self) -> u32 {
        self.status.borrow().remaining_s
    }

    /// The actual intensity per channel, µA.
    #[zbus(property)]
    fn intensity(&self) -> Vec<u32> {
        self.status.borrow().intensity.clone()
    }

    /// The target per channel, µA.
    #[zbus(property)]
    fn target(&self) -> Vec<u32> {
        self.status.borrow().target.clone()
    }

    /// Whether current flows through each channel's electrodes, as the pulses measured it
    /// (false while not measured since the session started or resumed).
    #[zbus(property)]
    fn contact(&self) -> Vec<bool> {
        self.status.borrow().contact.clone()
    }

    /// Each channel's contact as the pulses measured it: `on`, `off`, or `unknown` (not
    /// measured since the session started or resumed, or no pulses).
    #[zbus(property)]
    fn contact_state(&self) -> Vec<String> {
        self.status.borrow().contact_state.clone()
    }

    /// The running segment's mode.
    #[zbus(property)]
    fn segment(&self) -> String {
        self.status.borrow().segment.clone()
    }

    /// A session ended: `completed`, `stopped`, `emergency_stop`, `keepalive_lost`,
    /// `contact_lost`, `battery_low` or `fault:<code>`.
    #[zbus(signal)]
    pub async fn ended(emitter: &SignalEmitter<'_>, id: u64, reason: &str) -> zbus::Result<()>;

    /// Something about a session that was allowed but that the person should know, e.g. a
    /// placement the program does not recommend.
    #[zbus(signal)]
    pub async fn notice(emitter: &SignalEmitter<'_>, id: u64, message: &str) -> zbus::Result<()>;

    /// The same as `Notice`, sent right after it, for a client that words it itself: the
    /// notice's stable code and its arguments (docs/texts.md), e.g. `notice.battery_low`
    /// with `percent` and `critical`.
    #[zbus(signal)]
    pub async fn notice_raised(
        emitter: &SignalEmitter<'_>,
        id: u64,
        code: &str,
        args: HashMap<String, OwnedValue>,
    ) -> zbus::Result<()>;
}
