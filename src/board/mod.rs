//! The hardware boundary: the traits the engine and the supervisor drive, and the boards that
//! implement them: `sim` (modelled hardware) and `linux` (spidev + gpio-cdev), both driving the
//! same DAC driver through `embedded_hal::spi::SpiDevice`.
//!
//! Owns device access. Only `engine` (DAC, contact sense) and `safety` (interlock, HV enable,
//! overcurrent) hold these handles; nothing else may touch the board. The push buttons arrive
//! as edges on a channel, for the `buttons` task. When the hardware cannot be opened, the
//! daemon runs on `absent`, which drives nothing, and refuses sessions.

pub mod absent;
pub mod dac;
pub mod edge;
pub mod linux;
pub mod sim;

use embedded_hal::digital::{InputPin, OutputPin};

/// A failed board operation. Carries no heap data so the engine can handle it in its loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BoardError {
    /// An SPI transfer to the DAC failed (the kind the bus driver reported).
    #[error("SPI transfer failed ({0:?})")]
    Spi(embedded_hal::spi::ErrorKind),
    /// A GPIO line could not be read or driven (the kind the line driver reported).
    #[error("GPIO line failed ({0:?})")]
    Gpio(embedded_hal::digital::ErrorKind),
}

/// The pulse DAC: a bipolar current source per channel, mid-scale = 0 mA on an ideal board;
/// the drivers map each current through the channel's calibration (`dac::Transfer`).
pub trait Dac: Send {
    /// Sets `channel` to `microamps` (sign = polarity): 0 is the code nearest 0 µA, anything
    /// else the nearest code no further from zero than the request (`dac::Transfer::code`).
    fn set_current(&mut self, channel: usize, microamps: i32) -> Result<(), BoardError>;
}

/// A digital input, `true` when active.
pub trait Sense: Send {
    /// Reads the input now: `true` while it is active (current sensed, overcurrent latched).
    fn is_active(&mut self) -> Result<bool, BoardError>;
}

/// A digital output.
pub trait Drive: Send {
    /// Drives the output high (`true`) or low; low is always the safe level.
    fn set(&mut self, on: bool) -> Result<(), BoardError>;
}

fn gpio_err(e: impl embedded_hal::digital::Error) -> BoardError {
    BoardError::Gpio(e.kind())
}

impl<P: InputPin + Send> Sense for P {
    fn is_active(&mut self) -> Result<bool, BoardError> {
        self.is_high().map_err(gpio_err)
    }
}

impl<P: OutputPin + Send> Drive for P {
    fn set(&mut self, on: bool) -> Result<(), BoardError> {
        if on { self.set_high() } else { self.set_low() }.map_err(gpio_err)
    }
}

/// The engine's part of a board.
pub struct EngineIo {
    /// The pulse DAC, written only by the engine thread.
    pub dac: Box<dyn Dac>,
    /// Current-sense comparator per channel: active while current flows during a pulse.
    pub contacts: Vec<Box<dyn Sense>>,
}

/// The supervisor's part of a board: the output-enable path and the fault inputs.
pub struct SafetyIo {
    /// Retriggerable monostable: output is cut in hardware if it stops toggling for 10 ms.
    pub interlock: Box<dyn Drive>,
    /// Boost converter for the compliance voltage.
    pub hv_enable: Box<dyn Drive>,
    /// Latched overcurrent comparator.
    pub overcurrent: Box<dyn Sense>,
}

/// A push button on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    /// Intensity up one step (once the press has settled).
    Up,
    /// Intensity down one step; held long, every channel to zero.
    Down,
    /// Emergency stop, on the first press edge.
    Stop,
}

impl Button {
    /// Every button.
    pub const ALL: [Button; 3] = [Button::Up, Button::Down, Button::Stop];

    /// The button's name in the configuration and the logs (`up`, `down`, `stop`).
    pub fn as_str(self) -> &'static str {
        match self {
            Button::Up => "up",
            Button::Down => "down",
            Button::Stop => "stop",
        }
    }
}

/// A raw edge on a button line (bounces included), stamped with the monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ButtonEdge {
    /// The button whose line changed.
    pub button: Button,
    /// Whether the line now reads pressed.
    pub pressed: bool,
    /// When the edge happened (monotonic ns).
    pub t_ns: u64,
}

/// A board, split into the parts each thread owns.
pub struct Board {
    /// The board kind (`sim`, `linux`; the configured kind when its hardware is `absent`),
    /// as the `Device` interface reports it.
    pub name: &'static str,
    /// What the engine drives; moved into the engine thread.
    pub engine: EngineIo,
    /// What the supervisor drives; moved into the supervisor thread.
    pub safety: SafetyIo,
    /// Edges of the push buttons, if the board has any.
    pub buttons: Option<tokio::sync::mpsc::UnboundedReceiver<ButtonEdge>>,
    /// Present only on the simulated board: scripted contact, battery and fault injection.
    pub sim: Option<sim::SimHandle>,
}
