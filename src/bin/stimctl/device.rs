//! `stimctl status`, `pads`, `estop` and `ack`: the device's state and what a person should
//! know about it (why a session is paused, battery, pads, whose session).

use crate::fail::{describe, exit, set_class, unreachable};
use crate::json;
use crate::say::{clean, milliamps, n, s, text, text_args};
use crate::snapshot::{pads_json, Paused, Snapshot};
use serde_json::json;
use stimd::api::device::DeviceProxy;
use zbus::fdo::PropertiesProxy;

/// The proxy on stimd's one object that reads and follows every property.
pub async fn properties(conn: &zbus::Connection) -> Result<PropertiesProxy<'static>, String> {
    PropertiesProxy::builder(conn)
        .destination("io.stimd.Stimd1")
        .and_then(|b| b.path("/io/stimd/Stimd1"))
        .map_err(unreachable)?
        .build()
        .await
        .map_err(unreachable)
}

/// A device state in words (`idle`, `running`, `paused`, `fault`).
pub fn state_word(state: &str) -> String {
    match state {
        "idle" | "running" | "paused" | "fault" => text(&format!("state-{state}")),
        other => clean(other),
    }
}

/// Battery in words.
pub fn battery_word(percent: i32) -> String {
    if percent < 0 {
        text("battery-unknown")
    } else {
        text_args("battery-percent", &[("percent", n(percent))])
    }
}

/// Why the session is paused, in words.
pub fn paused_line(p: &Paused) -> String {
    match p {
        Paused::ByHand => text("paused-by-hand"),
        Paused::ContactLost(chs) => {
            let list: Vec<String> = chs.iter().map(|c| c.to_string()).collect();
            text_args(
                "paused-contact-lost",
                &[
                    ("channels", s(&list.join(", "))),
                    ("count", n(chs.len() as u32)),
                ],
            )
        }
    }
}

/// A channel's contact in words (`on`, `off`, `unknown`).
pub fn contact_word(c: &str) -> String {
    match c {
        "on" | "off" | "unknown" => text(&format!("contact-{c}")),
        other => clean(other),
    }
}

pub async fn status(conn: &zbus::Connection, as_json: bool) -> Result<(), String> {
    let snap = Snapshot::read(&properties(conn).await?)
        .await
        .map_err(describe)?;
    let state = snap.state();
    let (code, message) = snap.fault();
    if state == "fault" {
        set_class(exit::FAULT);
    }
    if as_json {
        let fault = if code.is_empty() {
            serde_json::Value::Null
        } else {
            json!({"code": code, "message": message})
        };
        let doc = json!({
            "state": state,
            "fault": fault,
            "board": snap.device_text("Board"),
            "version": snap.device_text("Version"),
            "battery_percent": snap.battery_json(),
            "pads": snap.pads_json(),
            "session": snap.session_json(),
        });
        json::print(&doc, true);
        return Ok(());
    }
    let line = |label: &str, value: String| println!("{:<11}{value}", text(label) + ":");
    line("label-state", state_word(&state));
    if !code.is_empty() {
        line(
            "label-fault",
            format!("{}: {}", clean(&code), clean(&message)),
        );
    }
    line(
        "label-board",
        format!(
            "{} (stimd {})",
            clean(&snap.device_text("Board")),
            clean(&snap.device_text("Version"))
        ),
    );
    line("label-battery", battery_word(snap.battery()));
    for (ch, p) in snap.pads().iter().enumerate() {
        line("label-pads", pads_line(ch, p));
    }
    let id = snap.id();
    if id == 0 {
        return Ok(());
    }
    line(
        "label-session",
        text_args(
            "status-session",
            &[
                ("id", n(id as f64)),
                ("program", s(&clean(&snap.session_text("Program")))),
                ("segment", s(&clean(&snap.session_text("Segment")))),
            ],
        ),
    );
    line("label-profile", clean(&snap.session_text("Profile")));
    if let Some(p) = snap.paused() {
        line("label-paused", paused_line(&p));
    }
    line(
        "label-elapsed",
        text_args(
            "status-elapsed",
            &[
                ("elapsed", n(snap.seconds("Elapsed"))),
                ("remaining", n(snap.seconds("Remaining"))),
            ],
        ),
    );
    let (actual, target, contact) = (
        snap.levels("Intensity"),
        snap.levels("Target"),
        snap.contact(),
    );
    for (ch, a) in actual.iter().enumerate() {
        println!(
            "{}",
            text_args(
                "status-channel",
                &[
                    ("channel", n(ch as u32)),
                    ("level", s(&milliamps(*a))),
                    (
                        "target",
                        s(&milliamps(target.get(ch).copied().unwrap_or(0)))
                    ),
                    (
                        "contact",
                        s(&contact_word(contact.get(ch).map_or("unknown", |c| c))),
                    ),
                ],
            )
        );
    }
    Ok(())
}

/// One channel's pad set in words.
fn pads_line(ch: usize, (sessions, minutes, worn): &(u32, u32, bool)) -> String {
    text_args(
        if *worn { "pads-worn" } else { "pads-line" },
        &[
            ("channel", n(ch as u32)),
            ("sessions", n(*sessions)),
            ("minutes", n(*minutes)),
        ],
    )
}

pub async fn pads(
    conn: &zbus::Connection,
    replaced: Option<u32>,
    as_json: bool,
) -> Result<(), String> {
    let device = DeviceProxy::new(conn).await.map_err(unreachable)?;
    if let Some(ch) = replaced {
        device.pads_replaced(ch).await.map_err(describe)?;
        if !as_json {
            println!("{}", text_args("pads-replaced", &[("channel", n(ch))]));
        }
    }
    let pads = device.pads().await.map_err(describe)?;
    if as_json {
        json::print(&pads_json(&pads), true);
        return Ok(());
    }
    for (ch, p) in pads.iter().enumerate() {
        println!("{}", pads_line(ch, p));
    }
    Ok(())
}

pub async fn estop(conn: &zbus::Connection) -> Result<(), String> {
    let device = DeviceProxy::new(conn).await.map_err(unreachable)?;
    device.emergency_stop().await.map_err(describe)?;
    println!("{}", text("estop-done"));
    Ok(())
}

pub async fn ack(conn: &zbus::Connection) -> Result<(), String> {
    let device = DeviceProxy::new(conn).await.map_err(unreachable)?;
    device.acknowledge_fault().await.map_err(describe)?;
    println!("{}", text("ack-done"));
    Ok(())
}
