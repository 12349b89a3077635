//! Fault codes: what tripped, as reported in `Fault`, `FaultRaised`, `Ended` and the history.

/// A latched safety fault.
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

/// A trip as the supervisor reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trip {
    pub code: FaultCode,
    pub message: String,
}
