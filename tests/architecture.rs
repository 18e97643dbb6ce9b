//! The invariants ARCHITECTURE.md states that a machine can check, read off the
//! source (comments left out): which files may use which crates, `unsafe`, the
//! async runtime, the file system and the wire.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every `.rs` file under `dir` (relative to the repository), as (path, code without
/// comment lines).
fn sources(dir: &str) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&Path::new(ROOT).join(dir), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let code: String = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .map(|line| format!("{line}\n"))
                .collect();
            let relative = path.strip_prefix(ROOT).unwrap().display().to_string();
            (relative, code)
        })
        .collect()
}

/// The files under `dir` whose code contains `needle`.
fn users(dir: &str, needle: &str) -> BTreeSet<String> {
    sources(dir)
        .into_iter()
        .filter(|(_, code)| code.contains(needle))
        .map(|(path, _)| path)
        .collect()
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| p.to_string()).collect()
}

#[test]
fn only_the_good_lp_backends_speak_good_lp() {
    assert_eq!(
        users("solvers/src", "good_lp::"),
        set(&[
            "solvers/src/solve/backend/clarabel.rs",
            "solvers/src/solve/backend/good_lp_program.rs",
            "solvers/src/solve/backend/microlp.rs",
        ])
    );
    assert_eq!(users("src", "good_lp::"), set(&[]));
}

#[test]
fn only_the_highs_backend_speaks_highs() {
    // The crate's paths start `highs::`; our own module's are `backend::highs::`.
    let mut speakers: BTreeSet<String> = sources("solvers/src")
        .into_iter()
        .filter(|(_, code)| {
            code.match_indices("highs::").any(|(k, _)| {
                !code[..k].ends_with(|c: char| c == ':' || c == '_' || c.is_alphanumeric())
            })
        })
        .map(|(path, _)| path)
        .collect();
    speakers.extend(users("solvers/src", "highs_sys"));
    assert_eq!(speakers, set(&["solvers/src/solve/backend/highs.rs"]));
}

#[test]
fn only_the_solver_bindings_use_unsafe() {
    let mut users_of_unsafe = users("solvers/src", "unsafe ");
    users_of_unsafe.extend(users("src", "unsafe "));
    assert_eq!(
        users_of_unsafe,
        set(&[
            "solvers/src/solve/backend/highs.rs",
            "solvers/src/solve/backend/lpsolve_api.rs"
        ])
    );
}

#[test]
fn the_core_does_no_io_and_knows_nothing_of_the_wire() {
    for needle in [
        "std::fs",
        "std::net",
        "std::io::stdin",
        "std::io::stdout",
        "println!",
        "eprintln!",
        "tokio",
        "tonic",
        "prost",
    ] {
        assert_eq!(
            users("solvers/src", needle),
            set(&[]),
            "{needle} in solvers/"
        );
    }
}

#[test]
fn only_the_wire_modules_know_protobuf() {
    // The generated code, the conversions, the codec, the server and the client; the
    // command line and batch runs see only the core's types.
    for (path, code) in sources("src") {
        let knows = ["wire::proto", "prost::", "tonic::"]
            .iter()
            .any(|needle| code.contains(needle));
        if knows {
            assert!(
                path.starts_with("src/wire/")
                    || path.starts_with("src/server/")
                    || path.starts_with("src/client/")
                    || path == "src/fuzzing.rs",
                "{path} uses protobuf or gRPC types"
            );
        }
    }
}

#[test]
fn html_is_written_by_the_template_engine_and_escaped_by_hand_only_in_the_charts() {
    // The report's markup lives in templates/ (askama escapes every value); the SVG
    // charts are the one hand-written markup, and escape their own text.
    assert_eq!(users("src", "escape("), set(&["src/batch/svg.rs"]));
    for needle in ["<table", "<tr>", "<h2", "<p>"] {
        assert_eq!(users("src", needle), set(&[]), "{needle}");
    }
}

#[test]
fn the_async_runtime_is_the_servers_the_clients_and_the_stores() {
    // Batch runs use threads; the core never sees tokio (checked above).
    for path in users("src", "tokio") {
        assert!(
            path.starts_with("src/server/")
                || path.starts_with("src/store/")
                || path.starts_with("src/client/")
                || [
                    "src/cli/main.rs",
                    "src/cli/commands/health.rs",
                    "src/cli/commands/serve.rs",
                    "src/cli/commands/store.rs",
                ]
                .contains(&path.as_str()),
            "{path} uses tokio"
        );
    }
}

#[test]
fn only_the_edges_touch_the_file_system() {
    assert_eq!(
        users("src", "std::fs"),
        set(&[
            "src/batch/mod.rs",
            "src/cli/commands/batch.rs",
            "src/cli/commands/serve.rs",
            "src/cli/commands/store.rs",
            "src/cli/input.rs",
            "src/client/mod.rs",
            "src/files.rs",
            "src/server/auth.rs",
        ]),
        "reading scenarios, batch folders, certificates and token files; the default store's folder; writing only through files.rs"
    );
}

#[test]
fn output_files_are_written_only_atomically_through_files() {
    for needle in ["File::create", "fs::write", "OpenOptions"] {
        let writers = users("src", needle);
        assert!(
            writers.is_subset(&set(&["src/files.rs"])),
            "{needle}: {writers:?}"
        );
    }
}

/// A file's module path inside its crate: `solve/backend/mod.rs` is `solve::backend`.
fn module_of(relative: &str) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The module paths `code` names through `crate::` and `super::` (groups in braces
/// opened), each relative to the crate root.
fn named_paths(module: &[String], is_mod_file: bool, code: &str) -> Vec<Vec<String>> {
    fn ident(s: &str) -> &str {
        let end = s
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        &s[..end]
    }
    // Expands `a::{b::c, d}` into [a::b::c, a::d], following one path's text.
    fn expand(prefix: Vec<String>, rest: &str, out: &mut Vec<Vec<String>>) {
        let mut path = prefix;
        let mut rest = rest;
        loop {
            if let Some(group) = rest.strip_prefix('{') {
                let mut depth = 0;
                let mut start = 0;
                for (k, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            expand(path.clone(), group[start..k].trim(), out);
                            return;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            expand(path.clone(), group[start..k].trim(), out);
                            start = k + 1;
                        }
                        _ => {}
                    }
                }
                return;
            }
            let name = ident(rest);
            if name.is_empty() || name == "self" {
                break;
            }
            path.push(name.to_string());
            match rest[name.len()..].strip_prefix("::") {
                Some(next) => rest = next,
                None => break,
            }
        }
        out.push(path);
    }
    let mut out = Vec::new();
    for (k, _) in code.match_indices("crate::") {
        expand(Vec::new(), &code[k + "crate::".len()..], &mut out);
    }
    for (k, _) in code.match_indices("super::") {
        // Counted from the first `super::` of a chain only.
        if code[..k].ends_with("super::") {
            continue;
        }
        let mut base: Vec<String> = module.to_vec();
        if !is_mod_file {
            base.pop();
        }
        let mut rest = &code[k..];
        while let Some(next) = rest.strip_prefix("super::") {
            rest = next;
            if rest.starts_with("super::") {
                base.pop();
            }
        }
        expand(base, rest, &mut out);
    }
    out
}

/// The dependencies between a crate's modules (one per file) that are not between a
/// module and its own ancestor (a parent declares its children and they use its
/// items: that is nesting, not a circle).
fn module_graph(
    dir: &str,
    apart: Option<&str>,
) -> std::collections::BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    // Another crate's files under `dir` (the binary's) are a graph of their own.
    let files: Vec<(String, String)> = sources(dir)
        .into_iter()
        .filter(|(path, _)| apart.is_none_or(|other| !path.starts_with(other)))
        .collect();
    let modules: BTreeSet<Vec<String>> = files
        .iter()
        .map(|(path, _)| module_of(&path[dir.len() + 1..]))
        .collect();
    let mut graph = std::collections::BTreeMap::new();
    for (path, code) in &files {
        let relative = &path[dir.len() + 1..];
        let from = module_of(relative);
        let is_mod_file = relative.ends_with("mod.rs") || relative == "lib.rs";
        let mut to = BTreeSet::new();
        for named in named_paths(&from, is_mod_file, code) {
            let target = (0..=named.len())
                .rev()
                .map(|n| named[..n].to_vec())
                .find(|prefix| modules.contains(prefix))
                .unwrap_or_default();
            let nested = target.starts_with(&from) || from.starts_with(&target);
            if !nested {
                to.insert(target);
            }
        }
        graph.insert(from, to);
    }
    graph
}

/// A circle in `graph`, as the modules along it; None when there is none.
fn circle(
    graph: &std::collections::BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
) -> Option<Vec<String>> {
    fn visit(
        node: &Vec<String>,
        graph: &std::collections::BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        done: &mut BTreeSet<Vec<String>>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<String>> {
        if let Some(k) = stack.iter().position(|n| n == node) {
            let mut found: Vec<String> = stack[k..].iter().map(|m| m.join("::")).collect();
            found.push(node.join("::"));
            return Some(found);
        }
        if !done.insert(node.clone()) {
            return None;
        }
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, done, stack) {
                return Some(found);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

#[test]
fn the_cores_modules_import_each_other_without_circles() {
    let graph = module_graph("solvers/src", None);
    assert!(graph.len() > 20, "{} modules found", graph.len());
    assert_eq!(circle(&graph), None);
}

#[test]
fn the_service_librarys_modules_import_each_other_without_circles() {
    let graph = module_graph("src", Some("src/cli/"));
    assert!(graph.len() > 15, "{} modules found", graph.len());
    assert_eq!(circle(&graph), None);
}

#[test]
fn the_command_lines_modules_import_each_other_without_circles() {
    let graph = module_graph("src/cli", None);
    assert!(graph.len() > 10, "{} modules found", graph.len());
    assert_eq!(circle(&graph), None);
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let m = |s: &str| s.split("::").map(str::to_string).collect::<Vec<_>>();
    let graph = [
        (m("a"), [m("b")].into_iter().collect()),
        (m("b"), [m("c")].into_iter().collect()),
        (m("c"), [m("a")].into_iter().collect()),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        circle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let paths = named_paths(
        &m("solve::backend::lpsolve"),
        false,
        "use super::{Search, solution::x};",
    );
    assert_eq!(
        paths,
        vec![
            m("solve::backend::Search"),
            m("solve::backend::solution::x")
        ]
    );
}
