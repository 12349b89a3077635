//! The history as a file a person, a therapist or a clinic's system can open: JSON (every
//! field, lists as lists), CSV (a header row, one session a row, lists joined with `;`) or a
//! FHIR R4 `Bundle` (see `fhir`). Pure formatting.

mod fhir;

use super::SessionRow;

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

/// `rows` in `format` (`json`, `csv` or `fhir`).
pub fn export(rows: &[SessionRow], format: &str) -> Result<String, ExportError> {
    match format {
        "json" => Ok(serde_json::to_string_pretty(rows)?),
        "csv" => csv_text(rows),
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
        let text = export(std::slice::from_ref(&r), "csv").unwrap();
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(rd.headers().unwrap().iter().collect::<Vec<_>>(), CSV_HEADER);
        let rec = rd.records().next().unwrap().unwrap();
        assert_eq!(&rec[3], "rug, \"links\"");
        assert_eq!(&rec[6], "1800");
        assert_eq!(&rec[9], "12000;8000");
        assert_eq!(&rec[11], "conventional;ems");
        assert_eq!((&rec[12], &rec[13]), ("7", ""));
        assert!(matches!(
            export(&[r], "xml"),
            Err(ExportError::UnknownFormat(_))
        ));
    }
}
