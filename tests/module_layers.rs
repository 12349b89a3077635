//! The crate's top modules form layers: `model` at the bottom imports nothing of the crate,
//! `pulse` and `program` import only `model`, and no two top modules import each other,
//! directly or round a longer loop. Read from the source (`crate::…` paths outside test code:
//! after a `#[cfg(test)]`, and in `tests.rs` or `*_tests.rs` files), so a new import that makes
//! a cycle fails here with the files and lines that make it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// Top module → imported top module → where (file:line).
fn imports() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = Graph::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable").flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(&src).expect("under src").to_path_buf();
            let rel_s = rel.to_string_lossy().to_string();
            if path.is_dir() {
                if rel_s != "bin" && !rel_s.ends_with("/tests") && rel_s != "tests" {
                    stack.push(path);
                }
                continue;
            }
            let name = path.file_name().map(|n| n.to_string_lossy().to_string());
            if path.extension().is_none_or(|e| e != "rs")
                || rel_s == "lib.rs"
                || name
                    .as_deref()
                    .is_some_and(|n| n == "tests.rs" || n.ends_with("_tests.rs"))
            {
                continue;
            }
            let top = rel_s
                .split('/')
                .next()
                .unwrap_or_default()
                .trim_end_matches(".rs")
                .to_string();
            let text = std::fs::read_to_string(&path).expect("source is readable");
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let node = graph.entry(top.clone()).or_default();
            for (n, line) in code.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for target in crate_paths(line) {
                    if target != top {
                        node.entry(target)
                            .or_default()
                            .push(format!("src/{rel_s}:{}", n + 1));
                    }
                }
            }
        }
    }
    graph
}

/// The top modules a line names as `crate::name` or `crate::{a, b::c}`.
fn crate_paths(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(graph: &Graph) -> Vec<BTreeSet<String>> {
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        out: Vec<BTreeSet<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flat_map(|m| m.keys()) {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(lw));
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.insert(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// The edges inside a component, with where each import is, for the failure message.
fn evidence(graph: &Graph, component: &BTreeSet<String>) -> String {
    let mut lines = Vec::new();
    for a in component {
        for (b, at) in graph.get(a).into_iter().flatten() {
            if component.contains(b) {
                lines.push(format!("  {a} → {b}: {}", at.join(", ")));
            }
        }
    }
    lines.join("\n")
}

/// The top modules `module` imports besides those in `allowed`.
fn imports_besides(graph: &Graph, module: &str, allowed: &[&str]) -> Vec<String> {
    graph
        .get(module)
        .into_iter()
        .flatten()
        .filter(|(t, _)| !allowed.contains(&t.as_str()))
        .map(|(t, at)| format!("{t} ({})", at.join(", ")))
        .collect()
}

#[test]
fn model_imports_nothing_and_pulse_only_model() {
    let graph = imports();
    let model = imports_besides(&graph, "model", &[]);
    assert!(
        model.is_empty(),
        "model must import nothing of the crate; it imports {model:?}"
    );
    let pulse = imports_besides(&graph, "pulse", &["model"]);
    assert!(pulse.is_empty(), "pulse imports {pulse:?} besides model");
}

#[test]
fn program_imports_only_model() {
    let graph = imports();
    let program = imports_besides(&graph, "program", &["model"]);
    assert!(
        program.is_empty(),
        "program imports {program:?} besides model"
    );
}

#[test]
fn no_cycle_between_top_modules() {
    let graph = imports();
    // The reader must have found the crate's modules and their imports, or "no cycle" means
    // nothing.
    assert!(
        graph.len() >= 15
            && graph
                .get("session")
                .is_some_and(|m| m.contains_key("model")),
        "the import reader found too little: {:?}",
        graph.keys().collect::<Vec<_>>()
    );
    let found = cycles(&graph);
    let report: Vec<String> = found
        .iter()
        .map(|c| format!("{c:?}\n{}", evidence(&graph, c)))
        .collect();
    assert!(
        found.is_empty(),
        "modules import each other in a cycle:\n{}",
        report.join("\n")
    );
}

#[test]
fn the_parser_sees_grouped_and_plain_paths() {
    assert_eq!(
        crate_paths("use crate::{model::units, pulse::Setpoint}; let x = crate::clock::now();"),
        ["model", "pulse", "clock"]
    );
}
