//! The fault-injection hooks' side of the shared state (`safety::inject::FaultInjection`): an
//! engine stall and a defect's level, plus what the hooks read to decide how to inject.

use super::{armed_limits_of, Shared};
use crate::shared::armed::ArmedLimits;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// What the fault-injection hooks write (and read to decide how).
#[derive(Clone)]
pub struct InjectionPort(pub(super) Arc<Shared>);

impl InjectionPort {
    /// The engine stalls for `ms` at the top of its next loop.
    pub fn stall_engine(&self, ms: u32) {
        self.0.hooks.engine_stall_ms.store(ms, Ordering::Release);
    }

    /// Puts a defect's level on `channel`.
    pub fn set_defect_level(&self, channel: usize, microamps: u32) {
        if let Some(d) = self.0.hooks.defect_level.get(channel) {
            d.store(microamps, Ordering::Release);
        }
    }

    /// Ends the defect on `channel` if it is still `microamps` (another injection may have
    /// replaced it).
    pub fn end_defect_level(&self, channel: usize, microamps: u32) {
        if let Some(d) = self.0.hooks.defect_level.get(channel) {
            let _ = d.compare_exchange(microamps, 0, Ordering::AcqRel, Ordering::Acquire);
        }
    }

    /// Whether the supervisor has tripped.
    pub fn tripped(&self) -> bool {
        self.0.supervisor.tripped.load(Ordering::Acquire)
    }

    /// Whether a session has armed output.
    pub fn armed(&self) -> bool {
        self.0.session.armed.load(Ordering::Acquire)
    }

    /// The limits output was last armed with (`None` before the first arming): an injected
    /// `over_limit` defect picks a level just above them.
    pub fn armed_limits(&self) -> Option<ArmedLimits> {
        armed_limits_of(&self.0)
    }
}
