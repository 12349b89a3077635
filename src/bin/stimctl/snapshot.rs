//! What the `Device` and `Session` properties say at one moment, read with `GetAll` and kept
//! up to date from `PropertiesChanged` (`watch`); why a session is paused, derived from
//! `State` and `ContactState` (a latched contact loss reads `off` until `Resume`); and the
//! JSON `status` and `watch` print (keys documented in the README).

use serde_json::{json, Value as J};
use std::collections::HashMap;
use zbus::fdo::PropertiesProxy;
use zbus::names::InterfaceName;
use zbus::zvariant::OwnedValue;

/// The two interfaces whose properties a snapshot holds.
pub const DEVICE: &str = "io.stimd.Stimd1.Device";
pub const SESSION: &str = "io.stimd.Stimd1.Session";

/// Property values by name, per interface.
#[derive(Default)]
pub struct Snapshot {
    pub device: HashMap<String, OwnedValue>,
    pub session: HashMap<String, OwnedValue>,
}

/// Why a session is paused.
#[derive(Debug, PartialEq)]
pub enum Paused {
    /// The pulses found no contact on these channels: stimd paused the session.
    ContactLost(Vec<usize>),
    /// Someone paused it (stimctl, an app, the device's button).
    ByHand,
}

fn get<T: TryFrom<OwnedValue>>(d: &HashMap<String, OwnedValue>, key: &str) -> Option<T> {
    d.get(key)
        .and_then(|v| T::try_from(v.try_clone().ok()?).ok())
}

impl Snapshot {
    /// Reads every property of both interfaces.
    pub async fn read(props: &PropertiesProxy<'_>) -> zbus::Result<Snapshot> {
        let mut s = Snapshot::default();
        for (name, into) in [(DEVICE, &mut s.device), (SESSION, &mut s.session)] {
            let iface = InterfaceName::try_from(name)?;
            *into = props.get_all(iface).await?;
        }
        Ok(s)
    }

    /// Applies one `PropertiesChanged`; returns whether it was for one of the two interfaces.
    pub fn apply(&mut self, interface: &str, changed: HashMap<String, OwnedValue>) -> bool {
        let into = match interface {
            DEVICE => &mut self.device,
            SESSION => &mut self.session,
            _ => return false,
        };
        into.extend(changed);
        true
    }

    pub fn state(&self) -> String {
        get(&self.device, "State").unwrap_or_default()
    }
    pub fn fault(&self) -> (String, String) {
        get(&self.device, "Fault").unwrap_or_default()
    }
    pub fn battery(&self) -> i32 {
        get(&self.device, "Battery").unwrap_or(-1)
    }
    pub fn pads(&self) -> Vec<(u32, u32, bool)> {
        get(&self.device, "Pads").unwrap_or_default()
    }
    pub fn device_text(&self, key: &str) -> String {
        get(&self.device, key).unwrap_or_default()
    }
    pub fn id(&self) -> u64 {
        get(&self.session, "Id").unwrap_or(0)
    }
    pub fn session_text(&self, key: &str) -> String {
        get(&self.session, key).unwrap_or_default()
    }
    pub fn seconds(&self, key: &str) -> u32 {
        get(&self.session, key).unwrap_or(0)
    }
    pub fn levels(&self, key: &str) -> Vec<u32> {
        get(&self.session, key).unwrap_or_default()
    }
    pub fn contact(&self) -> Vec<String> {
        get(&self.session, "ContactState").unwrap_or_default()
    }

    /// Why the session is paused, `None` unless it is.
    pub fn paused(&self) -> Option<Paused> {
        if self.state() != "paused" {
            return None;
        }
        let off: Vec<usize> = self
            .contact()
            .iter()
            .enumerate()
            .filter(|(_, c)| *c == "off")
            .map(|(ch, _)| ch)
            .collect();
        Some(if off.is_empty() {
            Paused::ByHand
        } else {
            Paused::ContactLost(off)
        })
    }

    /// The running session as JSON, null when none runs.
    pub fn session_json(&self) -> J {
        if self.id() == 0 {
            return J::Null;
        }
        let (intensity, target, contact) = (
            self.levels("Intensity"),
            self.levels("Target"),
            self.contact(),
        );
        let channels: Vec<J> = intensity
            .iter()
            .enumerate()
            .map(|(ch, a)| {
                json!({
                    "channel": ch,
                    "intensity_ua": a,
                    "target_ua": target.get(ch).copied().unwrap_or(0),
                    "contact": contact.get(ch).map(String::as_str).unwrap_or("unknown"),
                })
            })
            .collect();
        let (paused, lost) = match self.paused() {
            None => (J::Null, vec![]),
            Some(Paused::ByHand) => (json!("by_hand"), vec![]),
            Some(Paused::ContactLost(chs)) => (json!("contact_lost"), chs),
        };
        json!({
            "id": self.id(),
            "program": self.session_text("Program"),
            "profile": self.session_text("Profile"),
            "segment": self.session_text("Segment"),
            "elapsed_s": self.seconds("Elapsed"),
            "remaining_s": self.seconds("Remaining"),
            "paused": paused,
            "contact_lost_channels": lost,
            "channels": channels,
        })
    }

    /// Battery as JSON: percent, null when unknown.
    pub fn battery_json(&self) -> J {
        match self.battery() {
            b if b < 0 => J::Null,
            b => json!(b),
        }
    }

    /// Pads as JSON.
    pub fn pads_json(&self) -> J {
        pads_json(&self.pads())
    }
}

/// Each channel's pad set as JSON.
pub fn pads_json(pads: &[(u32, u32, bool)]) -> J {
    J::Array(
        pads.iter()
            .enumerate()
            .map(|(ch, (sessions, minutes, worn))| {
                json!({"channel": ch, "sessions": sessions, "minutes": minutes, "worn": worn})
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zbus::zvariant::Value;

    fn snapshot(state: &str, contact: &[&str]) -> Snapshot {
        let owned = |v: Value<'_>| OwnedValue::try_from(v).unwrap();
        let mut s = Snapshot::default();
        s.device.insert("State".into(), owned(Value::from(state)));
        s.session.insert("Id".into(), OwnedValue::from(3u64));
        let contact: Vec<String> = contact.iter().map(|c| c.to_string()).collect();
        s.session
            .insert("ContactState".into(), owned(Value::from(contact)));
        s
    }

    #[test]
    fn a_pause_is_contact_loss_only_where_a_channel_reads_off() {
        assert_eq!(snapshot("running", &["off", "on"]).paused(), None);
        assert_eq!(
            snapshot("paused", &["on", "off"]).paused(),
            Some(Paused::ContactLost(vec![1]))
        );
        assert_eq!(
            snapshot("paused", &["on", "unknown"]).paused(),
            Some(Paused::ByHand)
        );
        let json = snapshot("paused", &["off", "off"]).session_json();
        assert_eq!(json["paused"], "contact_lost");
        assert_eq!(json["contact_lost_channels"], serde_json::json!([0, 1]));
    }

    #[test]
    fn changes_apply_to_their_interface_only() {
        let mut s = snapshot("running", &["on", "on"]);
        let battery = HashMap::from([("Battery".to_string(), OwnedValue::from(42i32))]);
        assert!(s.apply(DEVICE, battery.clone()));
        assert_eq!(s.battery(), 42);
        assert!(!s.apply("org.example.Other", battery));
        assert!(s.apply(
            SESSION,
            HashMap::from([("Id".to_string(), OwnedValue::from(0u64))])
        ));
        assert_eq!(s.session_json(), J::Null);
    }
}
