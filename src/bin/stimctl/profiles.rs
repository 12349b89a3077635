//! `stimctl profiles`, `stimctl profile show|add|set|rm|approve` and `stimctl check` (the
//! contraindication questions, asked in the profile's language).

use crate::json;
use crate::say::{clean, s, text, text_args};
use crate::{describe, ProfileCmd, ProfileSettings};
use serde_json::json;
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
                .map_err(|_| text_args("error-max-format", &[("value", s(arg))]))?;
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

pub async fn profile_cmd(
    conn: &zbus::Connection,
    cmd: Option<ProfileCmd>,
    list_json: bool,
) -> Result<(), String> {
    let p = ProfilesProxy::new(conn).await.map_err(crate::unreachable)?;
    match cmd {
        None => {
            let list = p.list().await.map_err(describe)?;
            if list_json {
                let doc: Vec<_> = list
                    .iter()
                    .map(|(name, language)| json!({"name": name, "language": language}))
                    .collect();
                json::print(&json!(doc), true);
                return Ok(());
            }
            for (name, language) in list {
                println!("{:<16} {}", clean(&name), clean(&language));
            }
        }
        Some(ProfileCmd::Show { name, out }) => {
            let d = p.get(&name).await.map_err(describe)?;
            if out.json {
                json::print(&json::dict(&d), true);
                return Ok(());
            }
            show(&name, &d);
        }
        Some(ProfileCmd::Add {
            name,
            settings: given,
        }) => {
            p.create(&name, settings(given)?).await.map_err(describe)?;
            println!(
                "{}",
                text_args("profile-added", &[("name", s(&clean(&name)))])
            );
        }
        Some(ProfileCmd::Set {
            name,
            settings: given,
        }) => {
            p.update(&name, settings(given)?).await.map_err(describe)?;
            println!(
                "{}",
                text_args("profile-updated", &[("name", s(&clean(&name)))])
            );
        }
        Some(ProfileCmd::Rm { name }) => {
            p.remove(&name).await.map_err(describe)?;
            println!(
                "{}",
                text_args("profile-removed", &[("name", s(&clean(&name)))])
            );
        }
        Some(ProfileCmd::Approve { name, note }) => {
            p.approve(&name, &note).await.map_err(describe)?;
            println!(
                "{}",
                text_args("profile-approval-recorded", &[("name", s(&clean(&name)))])
            );
        }
    }
    Ok(())
}

/// `profile show` as text.
fn show(name: &str, d: &HashMap<String, OwnedValue>) {
    let line = |label: &str, value: String| println!("{:<11}{value}", text(label) + ":");
    let max: Vec<u32> = entry(d, "max_intensity_ua").unwrap_or_default();
    let max: Vec<String> = max
        .iter()
        .map(|&m| {
            if m == 0 {
                text("profile-max-device")
            } else {
                crate::ma(m)
            }
        })
        .collect();
    let language = entry::<String>(d, "language").unwrap_or_default();
    line(
        "label-profile",
        format!("{} ({})", clean(name), clean(&language)),
    );
    line("label-maximum", max.join(", "));
    let area: f64 = entry(d, "electrode_area_cm2").unwrap_or(0.0);
    if area > 0.0 {
        line(
            "label-pad-size",
            text_args("profile-area", &[("area", s(&area.to_string()))]),
        );
    }
    let yes: Vec<String> = entry(d, "answered_yes").unwrap_or_default();
    let screened: bool = entry(d, "screened").unwrap_or(false);
    line(
        "label-check",
        match (screened, yes.is_empty()) {
            (false, _) => text("profile-not-screened"),
            (true, true) => text("profile-no-contraindications"),
            (true, false) => text_args(
                "profile-answered-yes",
                &[("answers", s(&clean(&yes.join(", "))))],
            ),
        },
    );
    if entry(d, "approved").unwrap_or(false) {
        line(
            "label-approved",
            text_args(
                "profile-approved-by",
                &[
                    (
                        "who",
                        s(&clean(
                            &entry::<String>(d, "approved_by").unwrap_or_default(),
                        )),
                    ),
                    (
                        "note",
                        s(&clean(
                            &entry::<String>(d, "approval_note").unwrap_or_default(),
                        )),
                    ),
                ],
            ),
        );
    }
    let comfort: HashMap<String, Vec<u32>> = entry(d, "comfort").unwrap_or_default();
    for (program, ua) in comfort {
        let v: Vec<String> = ua.iter().map(|&u| crate::ma(u)).collect();
        line(
            "label-settled",
            format!("{}: {}", clean(&program), v.join(", ")),
        );
    }
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
        let order: Vec<String> = questions.iter().map(|q| clean(&q.0)).collect();
        return Err(text_args(
            "error-answers-count",
            &[
                ("count", crate::say::n(questions.len() as u32)),
                ("order", s(&order.join(", "))),
            ],
        ));
    }
    let mut out = HashMap::new();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    for (i, (id, question)) in questions.iter().enumerate() {
        let answer = match &given {
            Some(g) => g[i].clone(),
            None => {
                println!("{} [{}]", clean(question), if nl { "j/n" } else { "y/n" });
                lines
                    .next()
                    .ok_or(text("error-no-answer"))?
                    .map_err(|e| e.to_string())?
                    .trim()
                    .to_lowercase()
            }
        };
        let yes = match answer.as_str() {
            "y" | "yes" | "j" | "ja" => true,
            "n" | "no" | "nee" => false,
            other => {
                return Err(text_args(
                    "error-answer",
                    &[("question", s(&clean(id))), ("value", s(&clean(other)))],
                ))
            }
        };
        out.insert(id.clone(), yes);
    }
    p.record_screening(profile, out.clone())
        .await
        .map_err(describe)?;
    if out.values().any(|&y| y) {
        println!("{}", text("check-recorded-needs-approval"));
    } else {
        println!("{}", text("check-recorded"));
    }
    Ok(())
}
