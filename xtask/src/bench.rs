//! `cargo xtask bench [-- <criterion args>]`: the benchmarks whose results are
//! recorded in docs/benchmarks.md. Extend with more suites (wasm in Node,
//! Worker load with wrk) as they appear.

use crate::util::{self, Result};

pub fn run(extra: &[String]) -> Result {
    // `cargo xtask bench npm`: only the npm package's benchmark.
    if extra == ["npm"] {
        return crate::wasm::bench();
    }
    // `cargo xtask bench reliability`: only the Worker's load, soak and API fuzzing.
    if extra == ["reliability"] {
        return crate::reliability::bench();
    }
    // `cargo xtask bench worker`: only the Worker against the JS baseline.
    if extra == ["worker"] {
        return worker_bench();
    }
    // `cargo xtask bench imports`: only import jobs (throughput, cost per
    // row, the pace).
    if extra == ["imports"] {
        return imports_bench();
    }
    // `cargo xtask bench scim`: only the Worker's SCIM service.
    if extra == ["scim"] {
        return scim_bench();
    }
    let mut ran = false;
    if util::path("crates/enlist-core/benches").is_dir() {
        let mut cmd = util::cargo();
        cmd.args(["bench", "-p", "enlist-core"]);
        if !extra.is_empty() {
            cmd.arg("--").args(extra);
        }
        util::run(cmd)?;
        ran = true;
    } else {
        println!("note: crates/enlist-core/benches/ not present; skipping the core benchmarks");
    }
    if util::path("crates/enlist-wasm/Cargo.toml").is_file() {
        crate::wasm::bench()?;
        ran = true;
    }
    if util::path("crates/enlist-worker/Cargo.toml").is_file() {
        worker_bench()?;
        imports_bench()?;
        scim_bench()?;
        crate::reliability::bench()?;
        ran = true;
    }
    if !ran {
        println!("note: no benchmarks to run yet");
    }
    Ok(())
}

/// Size, start-up, throughput and added latency of the Worker against the
/// hand-written JavaScript baseline, with the same baseline written in Rust
/// alongside (bench/worker.mjs; docs/benchmarks.md "## Worker").
fn worker_bench() -> Result {
    use crate::tools::Tool;
    for &tool in crate::worker::NEEDS.iter().chain(&[Tool::Wrk]) {
        println!("{}: {}", tool.name(), tool.ensure()?);
    }
    crate::worker::build()?;
    crate::worker::build_rust_baseline()?;
    crate::www::ensure_built()?;
    let mut cmd = util::command("node");
    cmd.arg("bench/worker.mjs").args([
        "--rust-baseline",
        &format!("{}/index.js", crate::worker::RUST_BASELINE_OUT_DIR),
    ]);
    util::run(cmd)
}

/// Import jobs: rows per second, workerd CPU and storage per row for growing
/// jobs, and the arrival rate at Partoo's default pace (bench/imports.mjs;
/// docs/benchmarks.md "## Import jobs").
fn imports_bench() -> Result {
    node_bench("bench/imports.mjs")
}

/// The latency the SCIM service adds over the Partoo calls it makes, and the
/// Partoo calls per SCIM operation (bench/worker-scim.mjs;
/// docs/benchmarks.md "## SCIM").
fn scim_bench() -> Result {
    node_bench("bench/worker-scim.mjs")
}

/// Builds the Worker and the form, then runs a Node benchmark script.
fn node_bench(script: &str) -> Result {
    for &tool in crate::worker::NEEDS {
        println!("{}: {}", tool.name(), tool.ensure()?);
    }
    crate::worker::build()?;
    crate::www::ensure_built()?;
    let mut cmd = util::command("node");
    cmd.arg(script);
    util::run(cmd)
}
