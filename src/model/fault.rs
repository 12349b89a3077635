//! Fault codes: the vocabulary of what tripped, as reported in `Fault`, `FaultRaised`, `Ended`
//! and the history. The supervisor (`safety`) decides when to latch one; the engine reports the
//! ones it detects through the real-time port as `code as u32`.

/// A latched safety fault. The discriminants are the values the engine publishes through the
/// real-time port (0 means no fault) and must not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum FaultCode {
    /// A pulse above a limit (peak, rms, current density, charge per phase).
    OverLimit = 1,
    /// Output rose faster than the rise-rate limit, or did not start from zero.
    RiseRate = 2,
    /// A non-zero DAC code held longer than the longest phase plus 1 ms.
    StuckPhase = 3,
    /// The pulse engine stopped beating.
    EngineHeartbeat = 4,
    /// The overcurrent comparator fired.
    Overcurrent = 5,
    /// The DAC did not accept a write.
    SpiError = 6,
    /// A GPIO line could not be read or driven.
    GpioError = 7,
    /// The supervisor itself missed its deadlines long enough for the interlock to cut output.
    SupervisorStall = 8,
    /// The configured hardware could not be opened at start-up; only a restart clears it.
    HardwareUnavailable = 9,
}

impl FaultCode {
    /// The code's name on D-Bus and in the history (`over_limit`, `rise_rate`, …): stable,
    /// snake_case, never translated.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultCode::OverLimit => "over_limit",
            FaultCode::RiseRate => "rise_rate",
            FaultCode::StuckPhase => "stuck_phase",
            FaultCode::EngineHeartbeat => "engine_heartbeat",
            FaultCode::Overcurrent => "overcurrent",
            FaultCode::SpiError => "spi_error",
            FaultCode::GpioError => "gpio_error",
            FaultCode::SupervisorStall => "supervisor_stall",
            FaultCode::HardwareUnavailable => "hardware_unavailable",
        }
    }

    /// The fault an engine-published value stands for: only the codes the engine itself
    /// reports (`OverLimit` to `GpioError`); 0 and every other value are `None`.
    pub fn from_u32(v: u32) -> Option<FaultCode> {
        use FaultCode::*;
        [
            OverLimit,
            RiseRate,
            StuckPhase,
            EngineHeartbeat,
            Overcurrent,
            SpiError,
            GpioError,
        ]
        .into_iter()
        .find(|c| *c as u32 == v)
    }
}
