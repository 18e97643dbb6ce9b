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
fn only_backend_speaks_good_lp() {
    assert_eq!(
        users("solvers/src", "good_lp"),
        set(&["solvers/src/solve/backend.rs"])
    );
    assert_eq!(users("src", "good_lp"), set(&[]));
}

#[test]
fn only_highs_session_speaks_highs() {
    let mut speakers = users("solvers/src", "highs::");
    speakers.extend(users("solvers/src", "highs_sys"));
    assert_eq!(speakers, set(&["solvers/src/solve/highs_session.rs"]));
}

#[test]
fn only_the_solver_bindings_use_unsafe() {
    let mut users_of_unsafe = users("solvers/src", "unsafe ");
    users_of_unsafe.extend(users("src", "unsafe "));
    assert_eq!(
        users_of_unsafe,
        set(&[
            "solvers/src/solve/highs_session.rs",
            "solvers/src/solve/lpsolve.rs"
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
    // The generated code, the conversions, the codec, the server and the client.
    for (path, code) in sources("src") {
        if code.contains("crate::proto::") || code.contains("fluidity::proto::") {
            assert!(
                path.starts_with("src/server/")
                    || [
                        "src/proto.rs",
                        "src/convert.rs",
                        "src/codec.rs",
                        "src/client.rs",
                        "src/fuzzing.rs",
                    ]
                    .contains(&path.as_str()),
                "{path} uses protobuf types"
            );
        }
    }
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

#[test]
fn the_highs_session_and_the_backends_do_not_import_each_other() {
    // Both use `solve::solution` for what a solve hands back; a circle between them
    // is what issue 15 found.
    let session = users("solvers/src/solve", "backend::");
    assert!(
        !session.contains("solvers/src/solve/highs_session.rs"),
        "{session:?}"
    );
}
