//! Care for the person on the other end of the electrodes: profiles (their own limits, the
//! intensity they settled on, their answers to the contraindication questions and any
//! doctor's approval), where electrodes may go, and who may change a person's limits.
//!
//! Owns the rules about people rather than about current. The session manager asks it before
//! a session starts; the `Profiles` D-Bus interface edits it.

pub mod admin;
pub mod advice;
pub mod dose;
pub mod habituation;
pub mod pads;
pub mod placement;
pub mod profile;
pub mod settings;
pub mod store;
pub mod texts;

pub use profile::Profile;
pub use store::ProfileStore;
