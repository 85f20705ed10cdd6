//! The `cargo xtask test` step "no unsafe code": every crate root that cargo
//! builds — each target (library, binary, test, bench, example, build
//! script) of the workspace's packages and of the fuzz targets' own
//! workspace (`fuzz/`), as `cargo metadata` lists them — must carry
//! `#![forbid(unsafe_code)]`, so that no `unsafe` can come back unnoticed,
//! not even behind an `#[allow]`.

use std::path::Path;

use crate::util::{self, Result};

/// The attribute every crate root carries.
pub const FORBID: &str = "#![forbid(unsafe_code)]";

/// The manifests whose targets are checked: the workspace's, and the fuzz
/// targets' workspace (built by the step "fuzz smoke").
const MANIFESTS: &[&str] = &["Cargo.toml", "fuzz/Cargo.toml"];

/// Runs the check: lists the crate roots lacking [`FORBID`] and fails if
/// there is one.
pub fn check() -> Result {
    let mut roots = Vec::new();
    for manifest in MANIFESTS {
        if !util::path(manifest).is_file() {
            continue;
        }
        let mut cmd = util::cargo();
        cmd.args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(util::path(manifest));
        let json = util::probe(&mut cmd)
            .ok_or_else(|| format!("`cargo metadata --manifest-path {manifest}` failed"))?;
        roots.extend(src_paths(&json));
    }
    if roots.is_empty() {
        return Err("`cargo metadata` listed no crate roots".into());
    }
    let mut missing = Vec::new();
    for root in &roots {
        let text = std::fs::read_to_string(root)
            .map_err(|e| format!("cannot read {}: {e}", util::rel(Path::new(root))))?;
        if !forbids_unsafe_code(&text) {
            missing.push(util::rel(Path::new(root)));
        }
    }
    println!("{} crate roots checked for {FORBID}", roots.len());
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "these crate roots lack `{FORBID}`: {}",
            missing.join(", ")
        ))
    }
}

/// Whether a crate root's source has `#![forbid(…)]` naming `unsafe_code`
/// (alone or among other lints) as an inner attribute of its own line.
fn forbids_unsafe_code(source: &str) -> bool {
    source.lines().any(|line| {
        let line = line.trim();
        line.starts_with("#![forbid(")
            && line
                .trim_start_matches("#![forbid(")
                .trim_end_matches(")]")
                .split(',')
                .any(|lint| lint.trim() == "unsafe_code")
    })
}

/// The `src_path` of every target in `cargo metadata`'s JSON, deduplicated
/// (a file can be the root of two targets).
fn src_paths(metadata: &str) -> Vec<String> {
    const KEY: &str = "\"src_path\":\"";
    let mut paths: Vec<String> = Vec::new();
    let mut rest = metadata;
    while let Some(at) = rest.find(KEY) {
        rest = &rest[at + KEY.len()..];
        let mut path = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                // JSON escapes a path can hold: `\\`, `\"`, `\/`.
                '\\' => path.extend(chars.next()),
                c => path.push(c),
            }
        }
        rest = chars.as_str();
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attribute_is_found_alone_or_among_others() {
        assert!(forbids_unsafe_code(
            "//! Doc.\n#![forbid(unsafe_code)]\nmod a;\n"
        ));
        assert!(forbids_unsafe_code(
            "#![forbid(missing_docs, unsafe_code)]\n"
        ));
        assert!(forbids_unsafe_code("  #![forbid( unsafe_code )]\n"));
    }

    #[test]
    fn anything_else_is_missing_it() {
        assert!(!forbids_unsafe_code("//! Doc.\nmod a;\n"));
        assert!(!forbids_unsafe_code("#![deny(unsafe_code)]\n"));
        assert!(!forbids_unsafe_code(
            "// #![forbid(unsafe_code)] in a comment\n"
        ));
        assert!(!forbids_unsafe_code("#![forbid(unsafe_op_in_unsafe_fn)]\n"));
        assert!(!forbids_unsafe_code("#[forbid(unsafe_code)]\nfn f() {}\n"));
    }

    #[test]
    fn reads_every_src_path_once() {
        let json = r#"{"packages":[{"targets":[{"kind":["lib"],"src_path":"/r/a/src/lib.rs"},{"kind":["test"],"src_path":"/r/a/tests/t.rs"},{"kind":["bench"],"src_path":"/r/a/src/lib.rs"}]},{"targets":[{"src_path":"C:\\r\\b\\src\\main.rs"}]}]}"#;
        assert_eq!(
            src_paths(json),
            ["/r/a/src/lib.rs", "/r/a/tests/t.rs", r"C:\r\b\src\main.rs"]
        );
        assert!(src_paths("{}").is_empty());
    }
}
