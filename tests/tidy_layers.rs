//! Tidy's rules for imports (a module of tests/tidy.rs): no module of any crate reaches a
//! sibling that reaches back, and the harness's modules import only down the layers its
//! crate doc draws. Read from the sources: a `crate::` or `super::` path is an import.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Where an import was seen: `crates/harness/src/output.rs:56`.
type Witness = String;

/// A crate's modules (`""` is the root, `sandbox::launcher` a submodule) and, for each,
/// the modules it names with where it names them first.
#[derive(Default)]
pub struct Imports {
    pub modules: BTreeSet<String>,
    pub edges: BTreeMap<String, BTreeMap<String, Witness>>,
}

/// The module a file is: `lib.rs` the root, `sandbox/mod.rs` `sandbox`, `a/b.rs` `a::b`.
fn module_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

fn parent(module: &str) -> &str {
    module.rsplit_once("::").map_or("", |(parent, _)| parent)
}

fn join(base: &str, name: &str) -> String {
    match base.is_empty() {
        true => name.to_string(),
        false => format!("{base}::{name}"),
    }
}

/// The longest module `base::segments...` names.
fn resolve(modules: &BTreeSet<String>, base: &str, segments: &[&str]) -> String {
    let mut found = base.to_string();
    let mut path = base.to_string();
    for segment in segments {
        path = join(&path, segment);
        if !modules.contains(&path) {
            break;
        }
        found = path.clone();
    }
    found
}

/// Read every `.rs` file under `src` (a crate's source folder), `files` being them all.
pub fn read(src: &Path, files: &[std::path::PathBuf], shown: impl Fn(&Path) -> String) -> Imports {
    let mut imports = Imports::default();
    let sources: Vec<(String, String, String)> = files
        .iter()
        .filter_map(|file| {
            let rel = file.strip_prefix(src).ok()?;
            let text = fs::read_to_string(file).ok()?;
            Some((module_of(rel), shown(file), text))
        })
        .collect();
    imports.modules = sources.iter().map(|(m, _, _)| m.clone()).collect();
    for (module, shown, text) in &sources {
        // Unit tests sit at a file's end and see the file's module through `super`.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for (start, base) in [("crate::", ""), ("super::", parent(module))] {
                for (at, _) in code.match_indices(start) {
                    let before = code[..at].chars().next_back();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                        continue;
                    }
                    let rest = &code[at + start.len()..];
                    let path: Vec<&str> = rest
                        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                        .next()
                        .unwrap_or_default()
                        .split("::")
                        .filter(|s| !s.is_empty())
                        .collect();
                    let target = resolve(&imports.modules, base, &path);
                    imports
                        .edges
                        .entry(module.clone())
                        .or_default()
                        .entry(target)
                        .or_insert_with(|| format!("{shown}:{}", n + 1));
                }
            }
        }
    }
    imports
}

fn is_within(module: &str, ancestor: &str) -> bool {
    ancestor.is_empty() || module == ancestor || module.starts_with(&format!("{ancestor}::"))
}

/// Each import between two modules neither of which holds the other, as one between the
/// two siblings that hold them (`report::junit` naming `report::uploads` is `junit` naming
/// `uploads` under `report`): parent to sibling to sibling, with a witness.
pub fn sibling_edges(imports: &Imports) -> BTreeMap<(String, String), Witness> {
    let mut edges = BTreeMap::new();
    for (from, targets) in &imports.edges {
        for (to, witness) in targets {
            if is_within(from, to) || is_within(to, from) {
                continue;
            }
            let mut common = parent(from).to_string();
            while !is_within(to, &common) {
                common = parent(&common).to_string();
            }
            let child = |m: &str| {
                let rest = match common.is_empty() {
                    true => m,
                    false => &m[common.len() + 2..],
                };
                join(&common, rest.split("::").next().unwrap_or_default())
            };
            edges
                .entry((child(from), child(to)))
                .or_insert_with(|| witness.clone());
        }
    }
    edges
}

/// Every circle among sibling modules, each as its modules in order with the witnesses.
pub fn circles(edges: &BTreeMap<(String, String), Witness>) -> Vec<String> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        next.entry(from).or_default().push(to);
    }
    let mut found = BTreeSet::new();
    for start in next.keys().copied() {
        // A shortest way back to `start`, breadth first.
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        'search: while let Some(at) = queue.pop_front() {
            for &to in next.get(at).into_iter().flatten() {
                if to == start {
                    let mut circle = vec![at];
                    while let Some(&before) = came_from.get(circle[circle.len() - 1]) {
                        circle.push(before);
                    }
                    circle.reverse();
                    let first = circle.iter().min().copied().unwrap_or(start);
                    let turn = circle.iter().position(|m| *m == first).unwrap_or(0);
                    circle.rotate_left(turn);
                    found.insert(circle.iter().map(|m| m.to_string()).collect::<Vec<_>>());
                    break 'search;
                }
                if to != start && !came_from.contains_key(to) {
                    came_from.insert(to, at);
                    queue.push_back(to);
                }
            }
        }
    }
    found
        .into_iter()
        .map(|circle| {
            let steps: Vec<String> = circle
                .iter()
                .zip(circle.iter().cycle().skip(1))
                .map(|(a, b)| format!("{a} -> {b} ({})", edges[&(a.clone(), b.clone())]))
                .collect();
            steps.join(", ")
        })
        .collect()
}

/// The layers a crate doc draws under `# Layers`, bottom first: in its ```text block,
/// each line's modules before the first double space.
pub fn layers(crate_doc: &str) -> Vec<Vec<String>> {
    let mut lines = crate_doc
        .lines()
        .map(|line| line.trim_start_matches("//!").trim_start())
        .skip_while(|line| *line != "# Layers")
        .skip_while(|line| !line.starts_with("```"))
        .skip(1);
    let mut drawn = Vec::new();
    for line in lines.by_ref() {
        if line.starts_with("```") {
            break;
        }
        let names = line.split("  ").next().unwrap_or_default();
        drawn.push(names.split(',').map(|n| n.trim().to_string()).collect());
    }
    // Drawn top first, as a reader reads down to the leaves.
    drawn.reverse();
    drawn
}

#[test]
fn a_circle_is_found_between_siblings_and_not_with_a_parent() {
    let mut imports = Imports::default();
    for (from, to) in [
        ("report::junit", "report::uploads"),
        ("report::uploads", "report::junit"),
        ("report::junit", "report"),
        ("report", "report::junit"),
        ("output", "sandbox::limits"),
        ("sandbox", "output"),
    ] {
        imports
            .edges
            .entry(from.to_string())
            .or_default()
            .insert(to.to_string(), format!("{from}.rs:1"));
    }
    let found = circles(&sibling_edges(&imports));
    assert_eq!(
        found,
        [
            "output -> sandbox (output.rs:1), sandbox -> output (sandbox.rs:1)",
            "report::junit -> report::uploads (report::junit.rs:1), \
             report::uploads -> report::junit (report::uploads.rs:1)"
        ]
    );
    let drawn = layers("//! # Layers\n//!\n//! ```text\n//! a, b   top\n//! c  leaves\n//! ```");
    assert_eq!(drawn, [vec!["c"], vec!["a", "b"]]);
}
