//! `stimctl profiles`, `stimctl profile show|add|set|rm|approve` and `stimctl check` (the
//! contraindication questions, asked in the profile's language).

use crate::{describe, ProfileCmd, ProfileSettings};
use std::collections::HashMap;
use std::io::BufRead;
use stimd::api::profiles::ProfilesProxy;
use zbus::zvariant::{OwnedValue, Value};

fn owned(v: Value<'_>) -> Result<OwnedValue, String> {
    v.try_into()
        .map_err(|e: zbus::zvariant::Error| e.to_string())
}

fn entry<T: TryFrom<OwnedValue>>(d: &HashMap<String, OwnedValue>, key: &str) -> Option<T> {
    d.get(key)
        .and_then(|v| T::try_from(v.try_clone().ok()?).ok())
}

/// `--max 20,15` (mA per channel) as µA.
fn max_ua(arg: &str) -> Result<Vec<u32>, String> {
    arg.split(',')
        .map(|m| {
            let ma: f64 = m
                .trim()
                .parse()
                .map_err(|_| format!("--max = {arg:?}: mA per channel, e.g. 20,20"))?;
            crate::milliamps_to_ua("--max", ma)
        })
        .collect()
}

fn settings(given: ProfileSettings) -> Result<HashMap<String, OwnedValue>, String> {
    let mut s = HashMap::new();
    if let Some(l) = given.language {
        s.insert("language".into(), owned(Value::from(l))?);
    }
    if let Some(m) = given.max {
        s.insert("max_intensity_ua".into(), owned(Value::from(max_ua(&m)?))?);
    }
    if let Some(a) = given.area {
        s.insert("electrode_area_cm2".into(), owned(Value::F64(a))?);
    }
    Ok(s)
}

pub async fn profile_cmd(conn: &zbus::Connection, cmd: Option<ProfileCmd>) -> Result<(), String> {
    let p = ProfilesProxy::new(conn).await.map_err(crate::unreachable)?;
    match cmd {
        None => {
            for (name, language) in p.list().await.map_err(describe)? {
                println!("{name:<16} {language}");
            }
        }
        Some(ProfileCmd::Show { name }) => {
            let d = p.get(&name).await.map_err(describe)?;
            let max: Vec<u32> = entry(&d, "max_intensity_ua").unwrap_or_default();
            let max: Vec<String> = max
                .iter()
                .map(|&m| {
                    if m == 0 {
                        "device".into()
                    } else {
                        crate::ma(m)
                    }
                })
                .collect();
            println!(
                "profile:   {name} ({})",
                entry::<String>(&d, "language").unwrap_or_default()
            );
            println!("maximum:   {}", max.join(", "));
            let area: f64 = entry(&d, "electrode_area_cm2").unwrap_or(0.0);
            if area > 0.0 {
                println!("pads:      {area} cm²");
            }
            let yes: Vec<String> = entry(&d, "answered_yes").unwrap_or_default();
            let screened: bool = entry(&d, "screened").unwrap_or(false);
            println!(
                "check:     {}",
                match (screened, yes.is_empty()) {
                    (false, _) => "not answered yet (stimctl check)".to_string(),
                    (true, true) => "no contraindications".to_string(),
                    (true, false) => format!("yes to {}", yes.join(", ")),
                }
            );
            if entry(&d, "approved").unwrap_or(false) {
                println!(
                    "approved:  by {}: {}",
                    entry::<String>(&d, "approved_by").unwrap_or_default(),
                    entry::<String>(&d, "approval_note").unwrap_or_default()
                );
            }
            let comfort: HashMap<String, Vec<u32>> = entry(&d, "comfort").unwrap_or_default();
            for (program, ua) in comfort {
                let v: Vec<String> = ua.iter().map(|&u| crate::ma(u)).collect();
                println!("settled:   {program}: {}", v.join(", "));
            }
        }
        Some(ProfileCmd::Add {
            name,
            settings: given,
        }) => {
            p.create(&name, settings(given)?).await.map_err(describe)?;
            println!(
                "profile {name} added; answer the questions with: stimctl check --profile {name}"
            );
        }
        Some(ProfileCmd::Set {
            name,
            settings: given,
        }) => {
            p.update(&name, settings(given)?).await.map_err(describe)?;
            println!("profile {name} updated");
        }
        Some(ProfileCmd::Rm { name }) => {
            p.remove(&name).await.map_err(describe)?;
            println!("profile {name} removed");
        }
        Some(ProfileCmd::Approve { name, note }) => {
            p.approve(&name, &note).await.map_err(describe)?;
            println!("approval recorded for {name}");
        }
    }
    Ok(())
}

/// Asks the questions (or takes `answers`, in question order) and records them.
pub async fn check(
    conn: &zbus::Connection,
    profile: &str,
    answers: Option<String>,
) -> Result<(), String> {
    let p = ProfilesProxy::new(conn).await.map_err(crate::unreachable)?;
    let language: String =
        entry(&p.get(profile).await.map_err(describe)?, "language").unwrap_or("en".into());
    let questions = p.questions(&language).await.map_err(describe)?;
    let nl = language == "nl";
    let given: Option<Vec<String>> =
        answers.map(|a| a.split(',').map(|s| s.trim().to_lowercase()).collect());
    if given.as_ref().is_some_and(|g| g.len() != questions.len()) {
        return Err(format!(
            "--answers: {} answers needed (yes/no, in order: {})",
            questions.len(),
            questions
                .iter()
                .map(|q| q.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut out = HashMap::new();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    for (i, (id, text)) in questions.iter().enumerate() {
        let answer = match &given {
            Some(g) => g[i].clone(),
            None => {
                println!("{text} [{}]", if nl { "j/n" } else { "y/n" });
                lines
                    .next()
                    .ok_or("no answer on standard input")?
                    .map_err(|e| e.to_string())?
                    .trim()
                    .to_lowercase()
            }
        };
        let yes = match answer.as_str() {
            "y" | "yes" | "j" | "ja" => true,
            "n" | "no" | "nee" => false,
            other => return Err(format!("{id}: answer {other:?} (allowed: yes or no)")),
        };
        out.insert(id.clone(), yes);
    }
    p.record_screening(profile, out.clone())
        .await
        .map_err(describe)?;
    if out.values().any(|&y| y) {
        println!(
            "{}",
            if nl {
                "Vastgelegd. Gebruik is pas mogelijk als een arts toestemming geeft."
            } else {
                "Recorded. Use is possible only once a doctor approves."
            }
        );
    } else {
        println!("{}", if nl { "Vastgelegd." } else { "Recorded." });
    }
    Ok(())
}
