//! The reliability suites of `tests/reliability/` that are scripts rather than
//! `node --test` files: load (wrk) and API fuzzing (schemathesis). Short runs
//! are steps of `cargo xtask test`; long ones run in `cargo xtask bench`.
//! Results and how to read them: docs/reliability.md.

use crate::tools::Tool;
use crate::util::{self, Result};
use crate::worker;

/// Where the long runs write their JSON summaries (git-ignored).
const OUT_DIR: &str = "tests/.tmp/reliability";

/// `node tests/reliability/SCRIPT ARGS…` from the repository root.
fn node_script(script: &str, args: &[&str]) -> Result {
    let mut cmd = util::command("node");
    cmd.arg(format!("tests/reliability/{script}")).args(args);
    util::run(cmd)
}

/// `cargo xtask test` step: 10 s of mixed load; fails on any unexpected
/// status, 5xx, timeout or dropped answer (never on speed).
pub fn load_smoke() -> Result {
    node_script("load.mjs", &["--smoke"])
}

/// `cargo xtask test` step: schemathesis on every operation, all checks,
/// public and admin mode, a bounded number of examples.
pub fn schemathesis_smoke() -> Result {
    node_script("schemathesis.mjs", &["--max-examples", "40"])
}

/// `cargo xtask bench` (or `cargo xtask bench reliability` alone): builds the
/// Worker, then 60 s of load at 32 connections (the figures), a 180 s memory
/// soak, and a long schemathesis run (about 6 minutes in all).
pub fn bench() -> Result {
    for &tool in worker::NEEDS.iter().chain(&[Tool::Wrk, Tool::Schemathesis]) {
        println!("{}: {}", tool.name(), tool.ensure()?);
    }
    worker::build()?;
    crate::www::ensure_built()?;
    std::fs::create_dir_all(util::path(OUT_DIR))
        .map_err(|e| format!("could not create {OUT_DIR}: {e}"))?;
    let json = |name: &str| format!("{OUT_DIR}/{name}.json");
    node_script(
        "load.mjs",
        &[
            "--duration",
            "60",
            "--connections",
            "32",
            "--json",
            &json("load-60s"),
        ],
    )?;
    node_script(
        "load.mjs",
        &[
            "--duration",
            "180",
            "--sample-every",
            "5",
            "--check-memory",
            "--json",
            &json("soak-180s"),
        ],
    )?;
    node_script(
        "schemathesis.mjs",
        &["--max-examples", "500", "--kill-after", "1200"],
    )?;
    println!("reliability results: {OUT_DIR}/*.json; record them in docs/reliability.md");
    Ok(())
}
