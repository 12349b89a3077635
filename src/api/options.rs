//! Type checking of `a{sv}` options at the boundary: every key known, every value of the
//! documented type, or a named error that says which.

use super::StimdError;
use crate::session::StartOptions;
use crate::texts::Text;
use std::collections::HashMap;
use zbus::zvariant::{OwnedValue, Value};

/// At most this many options in one call.
const MAX_OPTIONS: usize = 16;
/// At most this many entries in a list option.
const MAX_LIST: usize = 16;

fn wrong_type(key: &str, want: &str, got: &OwnedValue) -> StimdError {
    StimdError::InvalidArgument(
        Text::new("option.wrong_type")
            .quoted("option", key)
            .arg("want", want)
            .arg("got", got.value_signature().to_string())
            .into(),
    )
}

fn as_u32(key: &str, v: &OwnedValue) -> Result<u32, StimdError> {
    match &**v {
        Value::U32(n) => Ok(*n),
        _ => Err(wrong_type(key, "u", v)),
    }
}

fn as_string(key: &str, v: &OwnedValue) -> Result<String, StimdError> {
    match &**v {
        Value::Str(s) => Ok(s.to_string()),
        _ => Err(wrong_type(key, "s", v)),
    }
}

fn as_u32_list(key: &str, v: &OwnedValue) -> Result<Vec<u32>, StimdError> {
    let list: Vec<u32> = match &**v {
        Value::Array(a) if a.element_signature() == "u" => a
            .iter()
            .filter_map(|x| {
                if let Value::U32(n) = x {
                    Some(*n)
                } else {
                    None
                }
            })
            .collect(),
        _ => return Err(wrong_type(key, "au", v)),
    };
    if list.len() > MAX_LIST {
        return Err(StimdError::InvalidArgument(
            Text::new("option.too_many_entries")
                .quoted("option", key)
                .arg("given", list.len())
                .arg("max", MAX_LIST)
                .into(),
        ));
    }
    Ok(list)
}

/// Parses the options of `Session.Start`.
pub fn start_options(options: &HashMap<String, OwnedValue>) -> Result<StartOptions, StimdError> {
    if options.len() > MAX_OPTIONS {
        return Err(StimdError::InvalidArgument(
            Text::new("option.too_many")
                .arg("given", options.len())
                .arg("max", MAX_OPTIONS)
                .into(),
        ));
    }
    let mut o = StartOptions::default();
    for (key, v) in options {
        match key.as_str() {
            "channels" => o.channels = Some(as_u32_list(key, v)?),
            "duration" => o.duration_s = Some(as_u32(key, v)?),
            "intensity" => o.intensity = Some(as_u32_list(key, v)?),
            "profile" => o.profile = Some(as_string(key, v)?),
            "placement" => o.placement = Some(as_string(key, v)?),
            "keepalive" => o.keepalive_s = Some(as_u32(key, v)?),
            other => {
                return Err(StimdError::InvalidArgument(
                    Text::new("option.unknown").quoted("option", other).into(),
                ))
            }
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: Vec<(&str, Value<'static>)>) -> HashMap<String, OwnedValue> {
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.try_into().unwrap()))
            .collect()
    }

    #[test]
    fn parses_known_options() {
        let o = start_options(&opts(vec![
            ("channels", Value::from(vec![0u32, 1])),
            ("duration", Value::U32(600)),
            ("intensity", Value::from(vec![5_000u32, 6_000])),
            ("placement", Value::from("low back")),
        ]))
        .unwrap();
        assert_eq!(o.channels, Some(vec![0, 1]));
        assert_eq!(o.duration_s, Some(600));
        assert_eq!(o.intensity, Some(vec![5_000, 6_000]));
        assert_eq!(o.placement.as_deref(), Some("low back"));
    }

    #[test]
    fn wrong_type_and_unknown_key_are_named() {
        let e = start_options(&opts(vec![("duration", Value::I32(5))])).unwrap_err();
        assert!(
            matches!(&e, StimdError::InvalidArgument(m) if m.message.contains("\"duration\"") && m.message.contains("type u")),
            "{e:?}"
        );
        let e = start_options(&opts(vec![("speed", Value::U32(5))])).unwrap_err();
        assert!(
            matches!(&e, StimdError::InvalidArgument(m) if m.message.contains("unknown option \"speed\"")),
            "{e:?}"
        );
    }
}
