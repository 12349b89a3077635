//! The report as one self-contained HTML page: the charts inline as SVG, the styles inline,
//! no scripts, no fonts, no links out — it opens the same offline, mailed or printed. Every
//! text comes from the catalogue; every value from the history is escaped.

use super::charts::Chart;
use super::data::{Figures, MIN_RATED};
use crate::i18n::Catalogue;
use std::fmt::Write;

/// A fault as the report lists it.
pub struct FaultLine {
    /// Local date and time.
    pub when: String,
    /// The fault's code.
    pub code: String,
    /// The fault's message.
    pub message: String,
}

/// A pad set replaced, as the report lists it.
pub struct PadChange {
    /// Local date and time.
    pub when: String,
    /// The channel (0-based, as `Device.Pads` counts them).
    pub channel: u32,
}

/// What the page says besides the figures.
pub struct Context<'a> {
    /// Whose report: the profile's name, or `None` for every profile.
    pub profile: Option<&'a str>,
    /// The first and last day of the period (`YYYY-MM-DD`), if there is one.
    pub period: Option<(String, String)>,
    /// When the report was made (local date and time).
    pub made: String,
    /// Faults in the period.
    pub faults: &'a [FaultLine],
    /// Per channel: sessions and minutes on its pads, and whether they are worn.
    pub pads: &'a [(u32, u32, bool)],
    /// Pad sets replaced in the period, newest first.
    pub pad_changes: &'a [PadChange],
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em;\
color:#222;line-height:1.4}h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ccc}\
figure{margin:1em 0}figure svg{max-width:100%;height:auto}table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}td.n{text-align:right}\
.best{background:#eef6ee;padding:.6em 1em;border-left:4px solid #278a4f}\
.note{color:#555;font-size:.9em}";

/// The page's title (also its `<h1>`).
pub fn title(cat: &Catalogue, profile: Option<&str>) -> String {
    match profile {
        Some(p) => cat.text_args("report-title", &[("profile", p.into())]),
        None => cat.text("report-title-everyone"),
    }
}

fn figure(out: &mut String, charts: &[Chart], name: &str) {
    if let Some(c) = charts.iter().find(|c| c.name == name) {
        let _ = writeln!(out, "<figure id=\"chart-{name}\">{}</figure>", c.svg);
    }
}

/// The whole page.
pub fn page(cat: &Catalogue, ctx: &Context<'_>, f: &Figures, charts: &[Chart]) -> String {
    let t = |id: &str| escape(&cat.text(id));
    let title = escape(&title(cat, ctx.profile));
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>",
        cat.language()
    );
    let period = match &ctx.period {
        Some((a, b)) => cat.text_args(
            "report-period",
            &[("from", a.as_str().into()), ("to", b.as_str().into())],
        ),
        None => cat.text("report-no-sessions"),
    };
    let made = cat.text_args("report-made", &[("when", ctx.made.as_str().into())]);
    let _ = writeln!(
        o,
        "<p>{} <span class=\"note\">{}</span></p>",
        escape(&period),
        escape(&made)
    );
    let s = &f.summary;
    let overview = cat.text_args(
        "report-overview",
        &[
            ("sessions", s.sessions.into()),
            ("minutes", s.minutes.into()),
            ("days", s.days.into()),
            ("perday", cat.number(s.sessions_per_day, 1).into()),
            ("rated", f.rated().into()),
        ],
    );
    let _ = writeln!(o, "<p>{}</p>", escape(&overview));

    let _ = writeln!(o, "<h2>{}</h2>", t("report-use"));
    figure(&mut o, charts, "sessions-per-day");
    figure(&mut o, charts, "minutes-per-day");

    let _ = writeln!(o, "<h2>{}</h2>", t("report-pain"));
    if f.pain.is_empty() {
        let _ = writeln!(o, "<p>{}</p>", t("report-pain-none"));
    }
    figure(&mut o, charts, "pain");

    let _ = writeln!(o, "<h2>{}</h2>", t("report-programs"));
    let best = match &f.best {
        Some(b) => cat.text_args(
            "report-best",
            &[
                ("program", b.program.as_str().into()),
                ("before", cat.number(b.mean_before, 1).into()),
                ("after", cat.number(b.mean_after, 1).into()),
                ("reduction", cat.number(b.mean_reduction, 1).into()),
                ("rated", b.rated.into()),
            ],
        ),
        None => cat.text_args("report-best-none", &[("min", MIN_RATED.into())]),
    };
    let _ = writeln!(o, "<p class=\"best\">{}</p>", escape(&best));
    figure(&mut o, charts, "programs");
    let _ = writeln!(
        o,
        "<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t("col-program"),
        t("col-sessions"),
        t("col-minutes"),
        t("col-rated"),
        t("col-before"),
        t("col-after"),
        t("col-reduction")
    );
    for p in &s.programs {
        let mean = |x: f64| {
            if p.rated == 0 {
                "–".to_string()
            } else {
                cat.number(x, 1)
            }
        };
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&p.program),
            p.sessions,
            p.minutes,
            p.rated,
            mean(p.mean_before),
            mean(p.mean_after),
            mean(p.mean_reduction)
        );
    }
    o.push_str("</table>\n");

    let _ = writeln!(o, "<h2>{}</h2>", t("report-faults"));
    if ctx.faults.is_empty() {
        let _ = writeln!(o, "<p>{}</p>", t("report-faults-none"));
    } else {
        let _ = writeln!(
            o,
            "<table>\n<tr><th>{}</th><th>{}</th><th>{}</th></tr>",
            t("col-when"),
            t("col-code"),
            t("col-message")
        );
        for x in ctx.faults {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&x.when),
                escape(&x.code),
                escape(&x.message)
            );
        }
        o.push_str("</table>\n");
    }

    let _ = writeln!(o, "<h2>{}</h2>\n<ul>", t("report-pads"));
    for (ch, (sessions, minutes, worn)) in ctx.pads.iter().enumerate() {
        let line = cat.text_args(
            if *worn {
                "report-pads-worn"
            } else {
                "report-pads-line"
            },
            &[
                ("channel", ch.into()),
                ("sessions", (*sessions).into()),
                ("minutes", (*minutes).into()),
            ],
        );
        let _ = writeln!(o, "<li>{}</li>", escape(&line));
    }
    let _ = writeln!(o, "</ul>\n<p class=\"note\">{}</p>", t("report-pads-note"));
    let _ = writeln!(o, "<h3>{}</h3>", t("report-pad-changes"));
    if ctx.pad_changes.is_empty() {
        let _ = writeln!(o, "<p>{}</p>", t("report-pad-changes-none"));
    } else {
        let _ = writeln!(
            o,
            "<table id=\"pad-changes\">\n<tr><th>{}</th><th>{}</th></tr>",
            t("col-when"),
            t("col-channel")
        );
        for x in ctx.pad_changes {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
                escape(&x.when),
                x.channel
            );
        }
        o.push_str("</table>\n");
    }
    let _ = writeln!(
        o,
        "<p class=\"note\">{}</p>\n</body>\n</html>",
        t("report-footer")
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::data::figures;

    #[test]
    fn values_from_the_history_are_escaped() {
        assert_eq!(escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
        let cat = Catalogue::new("test", "en").unwrap();
        let faults = [FaultLine {
            when: "2026-11-02 08:00".into(),
            code: "overcurrent".into(),
            message: "<script>alert(1)</script>".into(),
        }];
        let ctx = Context {
            profile: Some("<anna>"),
            period: None,
            made: "now".into(),
            faults: &faults,
            pads: &[(3, 90, false)],
            pad_changes: &[],
        };
        let page = page(&cat, &ctx, &figures(&[], None), &[]);
        assert!(
            !page.contains("<script>") && !page.contains("<anna>"),
            "{page}"
        );
        assert!(page.contains("&lt;anna&gt;"));
        assert!(!page.contains("http"), "no links out: {page}");
        assert!(page.contains("No pads replaced in this period."), "{page}");
    }

    #[test]
    fn pad_changes_are_listed_with_date_and_channel() {
        let cat = Catalogue::new("test", "nl").unwrap();
        let changes = [
            PadChange {
                when: "2026-11-20 09:15".into(),
                channel: 1,
            },
            PadChange {
                when: "2026-11-02 18:40".into(),
                channel: 0,
            },
        ];
        let ctx = Context {
            profile: None,
            period: None,
            made: "nu".into(),
            faults: &[],
            pads: &[(0, 0, false), (0, 0, false)],
            pad_changes: &changes,
        };
        let page = page(&cat, &ctx, &figures(&[], None), &[]);
        assert!(page.contains("<h3>Elektroden vervangen</h3>"), "{page}");
        assert!(
            page.contains("<tr><th>Wanneer</th><th>Kanaal</th></tr>")
                && page.contains("<tr><td>2026-11-20 09:15</td><td class=\"n\">1</td></tr>")
                && page.contains("<tr><td>2026-11-02 18:40</td><td class=\"n\">0</td></tr>"),
            "{page}"
        );
    }
}
