//! The history as a file a person, a therapist or a clinic's system can open: JSON (an object:
//! `sessions` and the audit trail's `changes`, every field, lists as lists), CSV (two tables
//! separated by an empty line, each with its header row: the sessions, one a row, lists joined
//! with `;`; then the changes) or a FHIR R4 `Bundle` of the sessions (see `fhir`; the changes
//! are not in it). Pure formatting.

mod fhir;

use super::{ChangeRow, SessionRow};

/// The export formats.
pub const FORMATS: [&str; 3] = ["json", "csv", "fhir"];

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 15] = [
    "id",
    "program",
    "profile",
    "placement",
    "start",
    "end",
    "duration_s",
    "end_reason",
    "channels",
    "max_intensity_ua",
    "mean_intensity_ua",
    "segments",
    "pain_before",
    "pain_after",
    "stimulated_s",
];

/// The CSV columns of the changes (the second table), in order.
pub const CHANGES_CSV_HEADER: [&str; 10] = [
    "time", "time_ms", "session", "actor", "kind", "channel", "from_ua", "to_ua", "profile",
    "detail",
];

/// What `json` exports.
#[derive(serde::Serialize)]
struct Json<'a> {
    sessions: &'a [SessionRow],
    changes: Vec<JsonChange<'a>>,
}

/// A change with its time in Unix seconds too, as `History.Changes` gives it.
#[derive(serde::Serialize)]
struct JsonChange<'a> {
    time: i64,
    #[serde(flatten)]
    row: &'a ChangeRow,
}

fn joined<T: ToString>(v: &[T]) -> String {
    v.iter().map(T::to_string).collect::<Vec<_>>().join(";")
}

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A format other than `json`, `csv` or `fhir` (the name asked for).
    #[error("format {0:?}")]
    UnknownFormat(String),
    /// The FHIR bundle could not be made.
    #[error("{0}")]
    Fhir(#[from] fhir::FhirError),
    /// The JSON encoder failed.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// The CSV writer failed.
    #[error("{0}")]
    Csv(#[from] csv::Error),
    /// Taking the CSV writer's buffer failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The CSV text is not UTF-8 (it always is: every field is a Rust string).
    #[error("{0}")]
    Utf8(#[from] std::string::FromUtf8Error),
}

/// The sessions `rows` and the audit trail `changes` (newest first, both) in `format`
/// (`json`, `csv` or `fhir`; FHIR holds the sessions only).
pub fn export(
    rows: &[SessionRow],
    changes: &[ChangeRow],
    format: &str,
) -> Result<String, ExportError> {
    match format {
        "json" => Ok(serde_json::to_string_pretty(&Json {
            sessions: rows,
            changes: changes
                .iter()
                .map(|row| JsonChange {
                    time: row.time(),
                    row,
                })
                .collect(),
        })?),
        "csv" => Ok(csv_text(rows)? + "\n" + &changes_csv(changes)?),
        "fhir" => Ok(fhir::bundle(rows)?),
        _ => Err(ExportError::UnknownFormat(format.into())),
    }
}

fn csv_text(rows: &[SessionRow]) -> Result<String, ExportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    let opt = |v: Option<u8>| v.map_or(String::new(), |x| x.to_string());
    for r in rows {
        w.write_record([
            r.id.to_string(),
            r.program.clone(),
            r.profile.clone(),
            r.placement.clone(),
            r.start.to_string(),
            r.end.to_string(),
            r.duration_s().to_string(),
            r.end_reason.clone(),
            joined(&r.channels),
            joined(&r.max_intensity),
            joined(&r.mean_intensity),
            joined(&r.segments),
            opt(r.pain_before),
            opt(r.pain_after),
            r.stimulated_s.to_string(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes)?)
}

fn changes_csv(changes: &[ChangeRow]) -> Result<String, ExportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CHANGES_CSV_HEADER)?;
    for c in changes {
        w.write_record([
            c.time().to_string(),
            c.time_ms.to_string(),
            c.session_id.to_string(),
            c.actor.clone(),
            c.kind.clone(),
            c.channel.to_string(),
            c.from.to_string(),
            c.to.to_string(),
            c.profile.clone(),
            c.detail.clone(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting_and_round_trips() {
        let mut r =
            SessionRow::starting(7, "low-back", "default", "rug, \"links\"", 100, vec![0, 1]);
        r.end = 1_900;
        r.end_reason = "completed".into();
        r.max_intensity = vec![12_000, 8_000];
        r.segments = vec!["conventional".into(), "ems".into()];
        r.pain_before = Some(7);
        let change = ChangeRow {
            time_ms: 1_234_567,
            session_id: 0,
            actor: "uid:1000".into(),
            kind: "pads_replaced".into(),
            channel: 1,
            from: 0,
            to: 0,
            profile: String::new(),
            detail: "old set: 3 sessions, 90 minutes".into(),
        };
        let text = export(
            std::slice::from_ref(&r),
            std::slice::from_ref(&change),
            "csv",
        )
        .unwrap();
        let (sessions, changes) = text.split_once("\n\n").unwrap();
        let mut rd = csv::Reader::from_reader(sessions.as_bytes());
        assert_eq!(rd.headers().unwrap().iter().collect::<Vec<_>>(), CSV_HEADER);
        let rec = rd.records().next().unwrap().unwrap();
        assert_eq!(&rec[3], "rug, \"links\"");
        assert_eq!(&rec[6], "1800");
        assert_eq!(&rec[9], "12000;8000");
        assert_eq!(&rec[11], "conventional;ems");
        assert_eq!((&rec[12], &rec[13]), ("7", ""));
        let mut rd = csv::Reader::from_reader(changes.as_bytes());
        assert_eq!(
            rd.headers().unwrap().iter().collect::<Vec<_>>(),
            CHANGES_CSV_HEADER
        );
        let recs: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        assert_eq!(recs.len(), 1);
        assert_eq!(
            recs[0].iter().collect::<Vec<_>>(),
            [
                "1234",
                "1234567",
                "0",
                "uid:1000",
                "pads_replaced",
                "1",
                "0",
                "0",
                "",
                "old set: 3 sessions, 90 minutes"
            ]
        );
        let json: serde_json::Value =
            serde_json::from_str(&export(std::slice::from_ref(&r), &[change], "json").unwrap())
                .unwrap();
        assert_eq!(json["sessions"][0]["id"], 7);
        assert_eq!(json["changes"][0]["kind"], "pads_replaced");
        assert_eq!(json["changes"][0]["session"], 0);
        assert_eq!(json["changes"][0]["time"], 1_234);
        assert!(matches!(
            export(&[r], &[], "xml"),
            Err(ExportError::UnknownFormat(_))
        ));
    }
}
