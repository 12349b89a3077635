//! Program names as a person types them: `stimctl start rug` finds `low-back` by its Dutch or
//! English name (`Programs.List` and `Programs.Get`), matched whole and ignoring case. No
//! match or more than one is a usage error that names the argument and lists what exists.

use crate::fail::{describe, unreachable};
use crate::say::{clean, s, text_args};
use stimd::api::programs::ProgramsProxy;

/// The program id `given` (an id or a name in either language) stands for.
pub async fn program_id(conn: &zbus::Connection, given: &str) -> Result<String, String> {
    let programs = ProgramsProxy::new(conn).await.map_err(unreachable)?;
    let list = programs.list().await.map_err(describe)?;
    let wanted = given.trim().to_lowercase();
    if let Some((id, ..)) = list.iter().find(|(id, ..)| id.to_lowercase() == wanted) {
        return Ok(id.clone());
    }
    let mut found: Vec<String> = Vec::new();
    let mut known: Vec<String> = Vec::new();
    for (id, name, ..) in &list {
        let d = programs.get(id).await.map_err(describe)?;
        let mut names: Vec<String> = Vec::new();
        for n in ["name_nl", "name_en"]
            .iter()
            .map(|k| crate::programs::text_of(&d, k))
            .chain([name.clone()])
        {
            if !n.is_empty() && !names.contains(&n) {
                names.push(n);
            }
        }
        if names.iter().any(|n| n.to_lowercase() == wanted) {
            found.push(id.clone());
        }
        known.push(format!("{} ({})", clean(id), clean(&names.join(", "))));
    }
    found.dedup();
    match found.as_slice() {
        [id] => Ok(id.clone()),
        [] => Err(text_args(
            "error-program-unknown",
            &[("value", s(&clean(given))), ("known", s(&known.join("; ")))],
        )),
        many => Err(text_args(
            "error-program-ambiguous",
            &[
                ("value", s(&clean(given))),
                ("ids", s(&clean(&many.join(", ")))),
            ],
        )),
    }
}
