//! The history as a FHIR R4 (4.0.1) `Bundle` in JSON, for a clinic's record system: a
//! `transaction` of one `Procedure` per session and one `Observation` per pain score.
//!
//! - `Procedure`: `status` `completed` (the session ran its time), `in-progress` (running) or
//!   `stopped` (every other end, `interrupted` included); `statusReason.text` the end reason
//!   as `History.Sessions` gives it (`completed`, `stopped`, `fault:overcurrent`, …);
//!   `code.text` the program id; `bodySite[0].text` the placement (when named);
//!   `performedPeriod` start and end (UTC); a `note` with the channels and intensities.
//! - `Observation`: LOINC 72514-3 (pain severity, 0–10 verbal numeric rating, reported),
//!   category `survey`, `valueInteger` 0–10, `effectiveDateTime` the session's start (before)
//!   or end (after), `note` "before the session" / "after the session", `partOf` the
//!   session's `Procedure`.
//! - The person is named only: `subject.display` is the profile name, no `Patient` resource
//!   and no reference; the receiving system files the bundle under the patient it is for.
//! - Ids: each resource's `fullUrl` is a `urn:uuid:` made from the session (id, start, profile,
//!   program) as a name-based UUID (version 5) in a namespace of stimd's, so an export made
//!   again names the same session the same; it is also the resource's `identifier`, and each
//!   entry is a conditional create (`ifNoneExist` on that identifier), so importing the same
//!   export twice creates nothing twice.
//!
//! Pure formatting; the D-Bus method checks the format name.

use crate::history::SessionRow;
use serde_json::{json, Value};
use uuid::Uuid;

/// stimd's namespace for its name-based ids (a random UUID, fixed once).
const NAMESPACE: Uuid = uuid::uuid!("db819c06-6c28-4b91-94f2-ca50942d964f");

/// LOINC: Pain severity - 0-10 verbal numeric rating [Score] - Reported.
const PAIN_LOINC: (&str, &str) = (
    "72514-3",
    "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
);

/// An identifier system for a URI value (RFC 3986), as FHIR says for `urn:uuid:` values.
const URI_SYSTEM: &str = "urn:ietf:rfc:3986";

/// Why the bundle could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FhirError {
    /// A session time outside what a FHIR `dateTime` can hold.
    #[error("session {id}: time {seconds} is not a date")]
    Time {
        /// The session.
        id: u64,
        /// The Unix seconds.
        seconds: i64,
    },
    /// The JSON encoder failed.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}

/// `rows` as a FHIR R4 transaction `Bundle` (pretty JSON).
pub fn bundle(rows: &[SessionRow]) -> Result<String, FhirError> {
    let mut entries = Vec::new();
    for r in rows {
        entries.extend(session_entries(r)?);
    }
    let mut b = json!({ "resourceType": "Bundle", "type": "transaction" });
    // FHIR JSON has no empty arrays: no sessions, no `entry`.
    if !entries.is_empty() {
        b["entry"] = Value::Array(entries);
    }
    Ok(serde_json::to_string_pretty(&b)?)
}

/// The `urn:uuid:` of one resource of a session (`what`: `procedure`, `pain-before`, …).
fn urn(r: &SessionRow, what: &str) -> String {
    let name = format!(
        "stimd/{what}/session/{}/start/{}/profile/{}/program/{}",
        r.id, r.start, r.profile, r.program
    );
    format!("urn:uuid:{}", Uuid::new_v5(&NAMESPACE, name.as_bytes()))
}

/// A FHIR `dateTime` (UTC) for Unix seconds.
fn date(r: &SessionRow, seconds: i64) -> Result<String, FhirError> {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.to_string())
        .map_err(|_| FhirError::Time { id: r.id, seconds })
}

/// A bundle entry that creates `resource` unless one with its identifier exists.
fn entry(full_url: String, mut resource: Value) -> Value {
    let kind = resource["resourceType"].clone();
    resource["identifier"] = json!([{ "system": URI_SYSTEM, "value": full_url }]);
    json!({
        "fullUrl": full_url,
        "resource": resource,
        "request": {
            "method": "POST",
            "url": kind,
            "ifNoneExist": format!("identifier={URI_SYSTEM}|{full_url}"),
        },
    })
}

fn milliamps(v: &[u32]) -> String {
    v.iter()
        .map(|ua| format!("{:.1} mA", f64::from(*ua) / 1000.0))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The session's `Procedure` and its pain `Observation`s.
fn session_entries(r: &SessionRow) -> Result<Vec<Value>, FhirError> {
    let procedure_urn = urn(r, "procedure");
    let mut period = json!({ "start": date(r, r.start)? });
    let status = if r.end == 0 {
        "in-progress"
    } else {
        period["end"] = Value::from(date(r, r.end)?);
        if r.end_reason == "completed" {
            "completed"
        } else {
            "stopped"
        }
    };
    let channels = r.channels.iter().map(u32::to_string).collect::<Vec<_>>();
    let mut note = format!(
        "stimd TENS/EMS session {}: channels {}; highest intensity {}; mean intensity {}",
        r.id,
        channels.join(", "),
        milliamps(&r.max_intensity),
        milliamps(&r.mean_intensity)
    );
    if !r.segments.is_empty() {
        note += &format!("; segments {}", r.segments.join(", "));
    }
    let mut procedure = json!({
        "resourceType": "Procedure",
        "status": status,
        "code": { "text": r.program },
        "subject": { "display": r.profile },
        "performedPeriod": period,
        "note": [{ "text": note }],
    });
    if !r.end_reason.is_empty() {
        procedure["statusReason"] = json!({ "text": r.end_reason });
    }
    if !r.placement.is_empty() {
        procedure["bodySite"] = json!([{ "text": r.placement }]);
    }
    let mut out = vec![entry(procedure_urn.clone(), procedure)];
    let after_time = if r.end == 0 { r.start } else { r.end };
    for (what, score, seconds) in [
        ("before", r.pain_before, r.start),
        ("after", r.pain_after, after_time),
    ] {
        let Some(score) = score else { continue };
        let observation = json!({
            "resourceType": "Observation",
            "status": "final",
            "category": [{ "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "survey",
                "display": "Survey",
            }] }],
            "code": {
                "coding": [{ "system": "http://loinc.org", "code": PAIN_LOINC.0, "display": PAIN_LOINC.1 }],
                "text": format!("Pain {what} the session (0-10)"),
            },
            "subject": { "display": r.profile },
            "partOf": [{ "reference": procedure_urn }],
            "effectiveDateTime": date(r, seconds)?,
            "valueInteger": score,
            "note": [{ "text": format!("{what} the session") }],
        });
        out.push(entry(urn(r, &format!("pain-{what}")), observation));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rated() -> SessionRow {
        let mut r =
            SessionRow::starting(7, "low-back", "anna", "lower back", 1_800_000_000, vec![0]);
        r.end = r.start + 1_800;
        r.end_reason = "completed".into();
        r.max_intensity = vec![12_500];
        r.mean_intensity = vec![10_000];
        r.segments = vec!["conventional".into()];
        r.pain_before = Some(7);
        r.pain_after = Some(3);
        r
    }

    #[test]
    fn a_rated_session_is_a_procedure_with_two_linked_pain_scores() {
        let b: Value = serde_json::from_str(&bundle(&[rated()]).unwrap()).unwrap();
        assert_eq!(
            (b["resourceType"].as_str(), b["type"].as_str()),
            (Some("Bundle"), Some("transaction"))
        );
        let e = b["entry"].as_array().unwrap();
        assert_eq!(e.len(), 3);
        let p = &e[0]["resource"];
        assert_eq!(p["status"], "completed");
        assert_eq!(p["performedPeriod"]["start"], "2027-01-15T08:00:00Z");
        assert_eq!(p["performedPeriod"]["end"], "2027-01-15T08:30:00Z");
        assert_eq!(p["bodySite"][0]["text"], "lower back");
        assert_eq!(p["subject"], json!({ "display": "anna" }));
        assert!(p["note"][0]["text"]
            .as_str()
            .unwrap()
            .contains("highest intensity 12.5 mA"));
        let (before, after) = (&e[1]["resource"], &e[2]["resource"]);
        assert_eq!(before["code"]["coding"][0]["code"], "72514-3");
        assert_eq!(
            (
                before["valueInteger"].as_u64(),
                after["valueInteger"].as_u64()
            ),
            (Some(7), Some(3))
        );
        assert_eq!(after["effectiveDateTime"], "2027-01-15T08:30:00Z");
        assert_eq!(before["partOf"][0]["reference"], e[0]["fullUrl"]);
        assert_eq!(e[1]["request"]["url"], "Observation");
        // Stable: the same session gets the same ids in the next export; others differ.
        let again: Value = serde_json::from_str(&bundle(&[rated()]).unwrap()).unwrap();
        assert_eq!(again, b);
        let urls: std::collections::HashSet<&str> =
            e.iter().map(|x| x["fullUrl"].as_str().unwrap()).collect();
        assert_eq!(urls.len(), 3);
        assert!(urls
            .iter()
            .all(|u| u.starts_with("urn:uuid:") && u.len() == 45));
    }

    #[test]
    fn unrated_stopped_running_and_empty() {
        let mut r = rated();
        r.pain_before = None;
        r.pain_after = None;
        r.end_reason = "fault:overcurrent".into();
        r.placement.clear();
        let mut running = rated();
        running.id = 8;
        running.end = 0;
        running.end_reason.clear();
        let b: Value = serde_json::from_str(&bundle(&[running, r]).unwrap()).unwrap();
        let e = b["entry"].as_array().unwrap();
        let procs: Vec<&Value> = e
            .iter()
            .map(|x| &x["resource"])
            .filter(|x| x["resourceType"] == "Procedure")
            .collect();
        assert_eq!(procs[0]["status"], "in-progress");
        assert!(
            procs[0]["performedPeriod"].get("end").is_none()
                && procs[0].get("statusReason").is_none()
        );
        assert_eq!(procs[1]["status"], "stopped");
        assert_eq!(procs[1]["statusReason"]["text"], "fault:overcurrent");
        assert!(procs[1].get("bodySite").is_none());
        assert_eq!(
            e.len(),
            4,
            "the running one's two scores, none for the unrated one"
        );
        let empty: Value = serde_json::from_str(&bundle(&[]).unwrap()).unwrap();
        assert!(empty.get("entry").is_none());
    }
}
