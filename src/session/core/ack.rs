//! Acknowledging the latched fault: whether the supervisor must be asked, and what its answer
//! means for the fault and for every client waiting on it.
//!
//! The supervisor's answer comes back later, as a message (the manager's loop keeps handling
//! trips, ticks and requests meanwhile). At most one question is in flight: an
//! `AcknowledgeFault` that arrives while one is pending shares its answer (`AckStep::Join`).
//! A fault latched after the one asked about is never cleared by that answer, and the waiting
//! clients are told it is latched.

use super::Core;
use crate::safety::supervisor::AckRefusal;
use crate::session::SessionError;
use crate::texts::Text;

/// Why the supervisor refused to acknowledge, as a text: a code per cause, the supervisor's
/// own (English) description as `detail`.
fn refusal(cause: &AckRefusal) -> Text {
    let code = match cause {
        AckRefusal::HardwareUnavailable => "fault.ack_hardware_unavailable",
        AckRefusal::EngineNotRunning => "fault.ack_engine_not_running",
        AckRefusal::DacFailing => "fault.ack_dac_failing",
        AckRefusal::DacNotZero => "fault.ack_dac_not_zero",
        AckRefusal::LevelAbovePeak { .. } => "fault.ack_level_above_peak",
        AckRefusal::OvercurrentActive => "fault.ack_overcurrent_active",
        AckRefusal::OvercurrentUnreadable(_) => "fault.ack_overcurrent_unreadable",
        AckRefusal::InterlockFailing(_) => "fault.ack_interlock_failing",
    };
    Text::new(code).arg("detail", cause.to_string())
}

/// What the manager does with an `AcknowledgeFault`, as the core decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckStep {
    /// No fault is latched: the client is answered `Ok` at once and the supervisor is not
    /// asked.
    Done,
    /// Ask the supervisor now; its answer goes to `Core::acknowledged`, and from there to
    /// this client.
    Ask,
    /// The supervisor is already being asked: this client waits for that answer and gets the
    /// same reply as the client who asked.
    Join,
}

/// The supervisor's answer to the question `AckStep::Ask` called for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckAnswer {
    /// The supervisor cleared its latch (or had none to clear).
    Cleared,
    /// The fault's cause is not gone; the supervisor keeps its latch.
    Refused(AckRefusal),
    /// The supervisor's command channel is closed: its thread is gone.
    NotRunning,
    /// No answer within the manager's timeout, or the supervisor dropped the question.
    Silent,
}

impl Core {
    /// A client asks to acknowledge the latched fault.
    pub fn acknowledge(&mut self) -> AckStep {
        if self.fault.is_none() {
            return AckStep::Done;
        }
        if self.ack_asked.is_some() {
            return AckStep::Join;
        }
        self.ack_asked = Some(self.fault_seq);
        AckStep::Ask
    }

    /// The supervisor answered: the reply for every client waiting since `AckStep::Ask`.
    /// Clears the latched fault only when the supervisor cleared it and no trip has latched
    /// another since the question was asked (a trip seen first must stay latched).
    pub fn acknowledged(&mut self, answer: AckAnswer) -> Result<(), SessionError> {
        let asked = self.ack_asked.take();
        match answer {
            AckAnswer::Cleared => {
                if asked.is_some() && asked == Some(self.fault_seq) {
                    self.fault = None;
                }
                // A fault latched after the question stays, and every waiting client is told
                // so: "acknowledged" would tell the caregiver the opposite of the truth.
                match &self.fault {
                    None => Ok(()),
                    Some(f) => Err(SessionError::FaultActive(
                        Text::new("fault.latched_while_acknowledging")
                            .arg("fault", f.code.as_str())
                            .arg("detail", f.message.as_str()),
                    )),
                }
            }
            AckAnswer::Refused(cause) => Err(SessionError::FaultActive(refusal(&cause))),
            AckAnswer::NotRunning => Err(SessionError::Failed(Text::new("supervisor.not_running"))),
            AckAnswer::Silent => Err(SessionError::Failed(Text::new("supervisor.silent"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safety::fault::FaultCode;
    use crate::session::admission::tests::config;
    use crate::session::effect::Now;

    const NOW: Now = Now {
        ms: 0,
        unix_ms: 1_000_000_000,
    };

    fn tripped() -> Core {
        let mut core = Core::new(config(), Vec::new(), None);
        core.trip(FaultCode::StuckPhase, "held".into(), NOW);
        core.drain();
        core
    }

    #[test]
    fn without_a_fault_the_supervisor_is_not_asked() {
        let mut core = Core::new(config(), Vec::new(), None);
        assert_eq!(core.acknowledge(), AckStep::Done);
        assert!(core.drain().is_empty());
    }

    #[test]
    fn a_cleared_answer_clears_the_fault_for_every_waiting_client() {
        let mut core = tripped();
        assert_eq!(core.acknowledge(), AckStep::Ask);
        assert_eq!(core.acknowledge(), AckStep::Join);
        assert_eq!(core.acknowledged(AckAnswer::Cleared), Ok(()));
        assert!(core.fault.as_ref().is_none());
        assert_eq!(core.acknowledge(), AckStep::Done);
    }

    #[test]
    fn a_refusal_keeps_the_fault_and_names_the_cause() {
        let mut core = tripped();
        assert_eq!(core.acknowledge(), AckStep::Ask);
        assert_eq!(
            core.acknowledged(AckAnswer::Refused(AckRefusal::OvercurrentActive)),
            Err(SessionError::FaultActive(
                Text::new("fault.ack_overcurrent_active")
                    .arg("detail", "the overcurrent input is still active")
            ))
        );
        assert_eq!(
            core.fault.as_ref().map(|f| f.code),
            Some(FaultCode::StuckPhase)
        );
        // The question is answered: the next acknowledge asks again.
        assert_eq!(core.acknowledge(), AckStep::Ask);
    }

    #[test]
    fn no_supervisor_or_no_answer_fails_and_keeps_the_fault() {
        let mut core = tripped();
        core.acknowledge();
        assert_eq!(
            core.acknowledged(AckAnswer::NotRunning),
            Err(SessionError::Failed(Text::new("supervisor.not_running")))
        );
        core.acknowledge();
        assert_eq!(
            core.acknowledged(AckAnswer::Silent),
            Err(SessionError::Failed(Text::new("supervisor.silent")))
        );
        assert!(core.fault.as_ref().is_some());
    }

    #[test]
    fn a_trip_seen_before_the_answer_stays_latched() {
        let mut core = tripped();
        assert_eq!(core.acknowledge(), AckStep::Ask);
        // The supervisor cleared the first fault, then latched another; its trip reaches the
        // core before the answer does.
        core.trip(FaultCode::Overcurrent, "again".into(), NOW);
        assert_eq!(
            core.acknowledged(AckAnswer::Cleared),
            Err(SessionError::FaultActive(
                Text::new("fault.latched_while_acknowledging")
                    .arg("fault", "overcurrent")
                    .arg("detail", "again")
            )),
            "the waiting clients are told the new fault is latched"
        );
        assert_eq!(
            core.fault.as_ref().map(|f| f.code),
            Some(FaultCode::Overcurrent)
        );
    }

    #[test]
    fn an_answer_nobody_asked_for_clears_nothing() {
        let mut core = tripped();
        assert!(core.acknowledged(AckAnswer::Cleared).is_err());
        assert!(core.fault.as_ref().is_some());
    }
}
