//! `--json`: D-Bus values as JSON (a dictionary `a{sv}` becomes an object with the daemon's
//! own keys, structures become arrays) and printing one document. Strings are passed on as
//! stimd sent them; JSON escapes control characters itself.

use serde_json::{json, Map, Value as J};
use std::collections::HashMap;
use zbus::zvariant::{OwnedValue, Value};

/// A D-Bus value as JSON (file descriptors, which stimd never sends, as null).
pub fn value(v: &Value<'_>) -> J {
    match v {
        Value::U8(x) => json!(x),
        Value::Bool(x) => json!(x),
        Value::I16(x) => json!(x),
        Value::U16(x) => json!(x),
        Value::I32(x) => json!(x),
        Value::U32(x) => json!(x),
        Value::I64(x) => json!(x),
        Value::U64(x) => json!(x),
        Value::F64(x) => json!(x),
        Value::Str(x) => json!(x.as_str()),
        Value::Signature(x) => json!(x.to_string()),
        Value::ObjectPath(x) => json!(x.as_str()),
        Value::Value(x) => value(x),
        Value::Array(a) => J::Array(a.iter().map(value).collect()),
        Value::Dict(d) => {
            let mut m = Map::new();
            for (k, v) in d.iter() {
                let key = match k {
                    Value::Str(s) => s.to_string(),
                    other => value(other).to_string(),
                };
                m.insert(key, value(v));
            }
            J::Object(m)
        }
        Value::Structure(s) => J::Array(s.fields().iter().map(value).collect()),
        #[allow(unreachable_patterns)]
        _ => J::Null,
    }
}

/// An `a{sv}` dictionary as a JSON object, keys sorted.
pub fn dict(d: &HashMap<String, OwnedValue>) -> J {
    let sorted: std::collections::BTreeMap<_, _> =
        d.iter().map(|(k, v)| (k.clone(), value(v))).collect();
    J::Object(sorted.into_iter().collect())
}

/// Prints `doc` on standard output, pretty when `pretty`, else on one line.
pub fn print(doc: &J, pretty: bool) {
    let text = if pretty {
        serde_json::to_string_pretty(doc)
    } else {
        serde_json::to_string(doc)
    };
    // Serialising a `serde_json::Value` cannot fail.
    println!("{}", text.unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionaries_become_objects_with_the_daemon_s_keys() {
        let d = HashMap::from([
            ("sessions".to_string(), OwnedValue::from(3u32)),
            ("name".to_string(), Value::from("rug").try_into().unwrap()),
            (
                "max".to_string(),
                Value::from(vec![8_000u32, 9_000]).try_into().unwrap(),
            ),
        ]);
        assert_eq!(
            dict(&d),
            json!({"sessions": 3, "name": "rug", "max": [8000, 9000]})
        );
    }
}
