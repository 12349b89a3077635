//! `io.stimd.Stimd1.History`: the usage history, newest first.

use super::StimdError;
use crate::history::HistoryHandle;
use std::collections::HashMap;
use zbus::interface;
use zbus::zvariant::{OwnedValue, Value};

pub struct History {
    pub history: HistoryHandle,
}

fn entry(v: Value<'_>) -> Result<OwnedValue, StimdError> {
    v.try_into()
        .map_err(|e: zbus::zvariant::Error| StimdError::Failed(e.to_string()))
}

#[interface(
    name = "io.stimd.Stimd1.History",
    proxy(
        default_service = "io.stimd.Stimd1",
        default_path = "/io/stimd/Stimd1",
        gen_blocking = false
    )
)]
impl History {
    /// Sessions started between `since` and `until` (Unix s, 0 = unbounded), at most `limit`
    /// (0 = all). Keys: id t, program s, profile s, placement s, start x, end x (0 while
    /// running), end_reason s, channels au, max_intensity au.
    async fn sessions(
        &self,
        since: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<HashMap<String, OwnedValue>>, StimdError> {
        let rows = self
            .history
            .sessions(since, until, limit)
            .await
            .map_err(StimdError::HistoryUnavailable)?;
        rows.into_iter()
            .map(|r| {
                Ok(HashMap::from([
                    ("id".to_string(), entry(Value::U64(r.id))?),
                    ("program".to_string(), entry(Value::from(r.program))?),
                    ("profile".to_string(), entry(Value::from(r.profile))?),
                    ("placement".to_string(), entry(Value::from(r.placement))?),
                    ("start".to_string(), entry(Value::I64(r.start))?),
                    ("end".to_string(), entry(Value::I64(r.end))?),
                    ("end_reason".to_string(), entry(Value::from(r.end_reason))?),
                    ("channels".to_string(), entry(Value::from(r.channels))?),
                    (
                        "max_intensity".to_string(),
                        entry(Value::from(r.max_intensity))?,
                    ),
                ]))
            })
            .collect()
    }

    /// Faults since `since` (Unix s, 0 = unbounded), at most `limit` (0 = all). Keys: time x,
    /// code s, message s, session t (0 when none ran).
    async fn faults(
        &self,
        since: i64,
        limit: u32,
    ) -> Result<Vec<HashMap<String, OwnedValue>>, StimdError> {
        let rows = self
            .history
            .faults(since, limit)
            .await
            .map_err(StimdError::HistoryUnavailable)?;
        rows.into_iter()
            .map(|r| {
                Ok(HashMap::from([
                    ("time".to_string(), entry(Value::I64(r.time))?),
                    ("code".to_string(), entry(Value::from(r.code))?),
                    ("message".to_string(), entry(Value::from(r.message))?),
                    ("session".to_string(), entry(Value::U64(r.session_id))?),
                ]))
            })
            .collect()
    }
}
