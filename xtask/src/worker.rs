//! Building the Worker bundle (`build/index.js` + `build/index_bg.wasm`) with
//! worker-build, fully offline, then stripping the wasm name section.

use std::path::Path;

use crate::tools::{self, Tool};
use crate::util::{self, Result};

/// The crate worker-build compiles.
pub const CRATE_DIR: &str = "crates/enlist-worker";
/// Output directory (`main` in wrangler.toml points into it).
pub const OUT_DIR: &str = "build";
/// The benchmark's Rust baseline Worker (bench/worker.mjs `--rust-baseline`).
pub const RUST_BASELINE_DIR: &str = "bench/worker-rust-baseline";
/// Where `cargo xtask bench worker` builds it.
pub const RUST_BASELINE_OUT_DIR: &str = "build/bench-rust-baseline";
/// Where [`build_test`] puts the test build of the Worker.
pub const TEST_OUT_DIR: &str = "build/test-panic";
/// The Worker's opt-level (overrides the release profile's).
pub const WORKER_OPT_LEVEL: &str = "3";
/// Cargo `--config` settings for the Worker's own crates: optimized for
/// size ("z"), while its dependencies (serde_json, wasm-bindgen, js-sys,
/// workers-rs) keep [`WORKER_OPT_LEVEL`]. At opt-level 3 throughout, the
/// SCIM service took the bundle from 383 to 463 KiB gzip, over its 400 KiB
/// budget; this way it is 379 KiB with it (docs/benchmarks.md, "Worker").
pub const WORKER_CRATES_CONFIG: &[&str] = &[
    "--config",
    "profile.release.package.enlist-core.opt-level=\"z\"",
    "--config",
    "profile.release.package.enlist-worker.opt-level=\"z\"",
];
/// Tools `build` needs.
pub const NEEDS: &[Tool] = &[
    Tool::WasmTarget,
    Tool::WasmBindgen,
    Tool::WorkerBuild,
    Tool::NodeModules,
];

/// Builds the Worker into `build/`. The tools in [`NEEDS`] must be present.
pub fn build() -> Result {
    build_crate(CRATE_DIR, OUT_DIR, WORKER_CRATES_CONFIG)
}

/// `cargo xtask build worker-test`: the Worker with the `test-panic` feature
/// (a request with an `X-Enlist-Test-Panic` header panics), for
/// `tests/worker/panic.test.mjs`, and the `test-providers` feature (it serves
/// the core's test providers too), for the generic suites of `tests/worker`,
/// which find every provider in the build's `providers.json`
/// ([`crate::registry`]); into [`TEST_OUT_DIR`]: a debug build, not
/// optimized, never deployed (wrangler.toml points at `build/`).
pub fn build_test() -> Result {
    for &tool in NEEDS {
        tool.ensure()?;
    }
    run_worker_build(
        CRATE_DIR,
        TEST_OUT_DIR,
        &["--dev", "--no-opt"],
        &["--features", "test-panic,test-providers"],
    )?;
    crate::registry::write(&util::path(TEST_OUT_DIR))
}

/// Builds the benchmark's Rust baseline Worker into [`RUST_BASELINE_OUT_DIR`],
/// exactly as [`build`] builds the Worker.
pub fn build_rust_baseline() -> Result {
    build_crate(RUST_BASELINE_DIR, RUST_BASELINE_OUT_DIR, &[])
}

/// Runs worker-build on the crate in `crate_dir` (relative to the
/// repository) with its output in `out_dir` (likewise) and `cargo` options
/// `extra`, then strips the wasm's name section.
fn build_crate(crate_dir: &str, out_dir: &str, extra: &[&str]) -> Result {
    run_worker_build(crate_dir, out_dir, &["--release"], extra)?;
    let wasm_opt = tools::node_bin("wasm-opt")?;
    let wasm = util::path(out_dir).join("index_bg.wasm");
    let js = util::path(out_dir).join("index.js");
    strip_debug(&wasm_opt, &wasm)?;
    println!("{crate_dir} wasm: {}", util::size_report(&wasm));
    println!("{crate_dir} js:   {}", util::size_report(&js));
    Ok(())
}

/// worker-build on the crate in `crate_dir` into `out_dir` (both relative
/// to the repository), with its `mode` flags and `cargo` options.
fn run_worker_build(crate_dir: &str, out_dir: &str, mode: &[&str], cargo: &[&str]) -> Result {
    if !util::path(crate_dir).join("Cargo.toml").is_file() {
        return Err(format!("{crate_dir}/Cargo.toml not found"));
    }
    // worker-build downloads wasm-bindgen, wasm-opt and esbuild unless told
    // where they are; point it at local ones (npm binaryen's wasm-opt, never
    // Debian's, which corrupts wasm-bindgen output).
    let wasm_bindgen = tools::wasm_bindgen_bin();
    if tools::installed_version(wasm_bindgen.clone()).is_none() {
        return Err(format!(
            "{} does not run; `cargo xtask build` installs it",
            wasm_bindgen.display()
        ));
    }
    let wasm_opt = tools::node_bin("wasm-opt")?;
    let esbuild = tools::node_bin("esbuild")?;

    let mut cmd = util::command(tools::worker_build_bin());
    // worker-build puts its output in <crate>/<out-dir>: climb back to the
    // repository first.
    let up = "../".repeat(Path::new(crate_dir).components().count());
    let out_arg = format!("{up}{out_dir}");
    cmd.args(mode)
        .args(["--out-dir", out_arg.as_str(), crate_dir])
        .args(cargo)
        // Speed over size for the Worker's dependencies, which run on every
        // request (serde_json, wasm-bindgen's glue, workers-rs): opt-level 3
        // instead of the release profile's "z". The Worker's own crates are
        // built at "z" ([`WORKER_CRATES_CONFIG`]) so that the bundle stays
        // within its budget (docs/benchmarks.md, "Worker").
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", WORKER_OPT_LEVEL)
        .env("WASM_BINDGEN_BIN", &wasm_bindgen)
        .env("WASM_OPT_BIN", &wasm_opt)
        .env("ESBUILD_BIN", &esbuild);
    util::run(cmd)?;

    let wasm = util::path(out_dir).join("index_bg.wasm");
    let js = util::path(out_dir).join("index.js");
    for file in [&wasm, &js] {
        if !file.is_file() {
            return Err(format!(
                "worker-build succeeded but {} is missing",
                util::rel(file)
            ));
        }
    }
    Ok(())
}

/// worker-build keeps the wasm name section even in release; drop it (and
/// any DWARF) with `wasm-opt --strip-debug`.
fn strip_debug(wasm_opt: &Path, wasm: &Path) -> Result {
    let tmp = wasm.with_extension("stripped.wasm");
    let mut cmd = util::command(wasm_opt);
    cmd.arg(wasm)
        .arg("-o")
        .arg(&tmp)
        .arg("--strip-debug")
        .args(crate::wasm::WASM_OPT_FEATURES)
        .arg("--enable-exception-handling");
    util::run(cmd)?;
    std::fs::rename(&tmp, wasm).map_err(|e| {
        format!(
            "could not move {} to {}: {e}",
            util::rel(&tmp),
            util::rel(wasm)
        )
    })
}
