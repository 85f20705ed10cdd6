//! The npm package `enlist` built from `crates/enlist-wasm`, its tests and its
//! benchmark.
//!
//! Build, fully offline: `cargo rustc --target wasm32-unknown-unknown
//! --profile wasm-release -p enlist-wasm --lib --crate-type cdylib` (release
//! with opt-level "s", fat LTO), the wasm-bindgen CLI (`--target web`: one glue
//! file that the Node, browser and workerd entries share), npm binaryen's
//! `wasm-opt -Oz` — all of it twice, for the whole API and for the client
//! flavour ([`FLAVOURS`]), each glue with a `reinit` added ([`REINIT`]) —
//! then the hand-written JavaScript entries from
//! `crates/enlist-wasm/js/`, a `package.json` with the crate's version, the
//! README and the two license texts ([`PACKAGE_DOCS`]), and `index.d.ts` (its
//! provider types generated from the core's registry by
//! `js/gen-types.mjs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools::{self, Tool};
use crate::util::{self, Result};

/// The crate this module builds.
pub const CRATE_DIR: &str = "crates/enlist-wasm";
/// Where the npm package is laid out.
pub const PKG_DIR: &str = "crates/enlist-wasm/pkg";
/// The wasm target.
const TARGET: &str = "wasm32-unknown-unknown";
/// The cargo profile (root Cargo.toml: release with opt-level "s").
const PROFILE: &str = "wasm-release";
/// Hand-written JavaScript copied into the package as is.
const JS_FILES: &[&str] = &[
    "api.js",
    "imports.js",
    "node.js",
    "browser.js",
    "workerd.js",
    "client.js",
    "client.d.ts",
];
/// Files of `crates/enlist-wasm/` copied into the package as they are: the
/// README (the registry page) and the texts of the two licenses the project
/// is under (`MIT OR Apache-2.0`, the package's `license`).
pub const PACKAGE_DOCS: &[&str] = &["README.md", "LICENSE-MIT", "LICENSE-APACHE"];
/// The Node.js versions the package supports: 20.19 is the first 20.x whose
/// `require()` loads ES modules, which `require("enlist")` needs (the
/// package is ESM only).
pub const NODE_ENGINES: &str = ">=20.19.0";
/// The two wasm builds in the package: the whole API (`enlist`), and the
/// browser client flavour (`enlist/client`, the crate's `client` feature:
/// no `build_request`/`parse_response`). Each is (cargo features, the
/// wasm-bindgen `--out-name`, so `<name>.js` and `<name>_bg.wasm`, the
/// opt-level). The client flavour is for pages, where bytes count most:
/// "z" makes it 11% smaller at the same speed; the whole API keeps the
/// profile's "s" (up to ~15% faster than "z" on some operations,
/// docs/benchmarks.md).
pub const FLAVOURS: &[Flavour] = &[
    Flavour {
        features: "",
        name: "enlist",
        opt_level: None,
    },
    Flavour {
        features: "client",
        name: "enlist_client",
        opt_level: Some("z"),
    },
];

/// One wasm build of the package; see [`FLAVOURS`].
pub struct Flavour {
    /// Cargo features of enlist-wasm.
    pub features: &'static str,
    /// The wasm-bindgen `--out-name`.
    pub name: &'static str,
    /// Overrides the `wasm-release` profile's opt-level.
    pub opt_level: Option<&'static str>,
}
/// The wasm features wasm-bindgen's output uses, which npm binaryen's
/// wasm-opt must be told to enable (TOOLCHAIN notes). The Worker's build adds
/// exception handling (workers-rs) to these.
pub const WASM_OPT_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-reference-types",
    "--enable-mutable-globals",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
];
/// Tools the build needs.
pub const NEEDS: &[Tool] = &[Tool::WasmTarget, Tool::WasmBindgen, Tool::NodeModules];

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => util::root().join(dir),
        None => util::path("target"),
    }
}

fn write(path: &Path, contents: &str) -> Result {
    std::fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", util::rel(path)))
}

fn copy(from: &Path, to: &Path) -> Result {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", util::rel(from), util::rel(to)))
}

/// The crate's version (`cargo pkgid`: `path+file:///…#0.1.0` or `…#name@0.1.0`).
fn version() -> Result<String> {
    let mut cmd = util::cargo();
    cmd.args(["pkgid", "-p", "enlist-wasm"]);
    let id = util::probe(&mut cmd).ok_or("`cargo pkgid -p enlist-wasm` failed")?;
    let tail = id.rsplit('#').next().unwrap_or_default();
    let version = tail.rsplit('@').next().unwrap_or_default();
    if version.is_empty() || !version.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("cannot read a version from `{id}`"));
    }
    Ok(version.to_string())
}

fn package_json(version: &str) -> String {
    format!(
        r#"{{
  "name": "enlist",
  "version": "{version}",
  "description": "Validate, build and parse create-user calls for Partoo and PandaDoc: one Rust core compiled to WebAssembly, for Node.js, browsers, bundlers and Cloudflare Workers.",
  "keywords": ["validation", "partoo", "pandadoc", "users", "wasm", "webassembly"],
  "license": "MIT OR Apache-2.0",
  "repository": {{
    "type": "git",
    "url": "git+https://github.com/enlist-dev/enlist.git",
    "directory": "crates/enlist-wasm"
  }},
  "type": "module",
  "sideEffects": false,
  "engines": {{
    "node": "{NODE_ENGINES}"
  }},
  "main": "./node.js",
  "types": "./index.d.ts",
  "exports": {{
    ".": {{
      "types": "./index.d.ts",
      "workerd": "./workerd.js",
      "node": "./node.js",
      "browser": "./browser.js",
      "default": "./browser.js"
    }},
    "./client": {{
      "types": "./client.d.ts",
      "default": "./client.js"
    }},
    "./enlist_bg.wasm": "./enlist_bg.wasm",
    "./enlist_client_bg.wasm": "./enlist_client_bg.wasm",
    "./package.json": "./package.json"
  }},
  "files": [
    "index.d.ts",
    "api.js",
    "imports.js",
    "enlist.js",
    "enlist_bg.wasm",
    "node.js",
    "browser.js",
    "workerd.js",
    "client.js",
    "client.d.ts",
    "enlist_client.js",
    "enlist_client_bg.wasm",
    "README.md",
    "LICENSE-MIT",
    "LICENSE-APACHE"
  ]
}}
"#
    )
}

/// Builds the npm package into `crates/enlist-wasm/pkg/`.
pub fn build_npm_package() -> Result {
    if !util::path(CRATE_DIR).join("Cargo.toml").is_file() {
        println!("enlist-wasm not present yet ({CRATE_DIR}/Cargo.toml missing); skipping the npm package");
        return Ok(());
    }
    for &tool in NEEDS {
        tool.ensure()?;
    }
    let (built, took) = util::timed(build);
    built?;
    println!(
        "npm package built in {} ({PKG_DIR}/)",
        util::fmt_duration(took)
    );
    Ok(())
}

fn build() -> Result {
    // Lay the package out next to pkg/, then move it into place in one
    // rename: a test reading pkg/ meanwhile never sees half of it. (In the
    // repository's target/, so that the rename stays on one file system even
    // when CARGO_TARGET_DIR points elsewhere.)
    let pkg = util::path("target/enlist-wasm-pkg");
    let _ = std::fs::remove_dir_all(&pkg);
    std::fs::create_dir_all(&pkg).map_err(|e| format!("cannot create {}: {e}", util::rel(&pkg)))?;
    for flavour in FLAVOURS {
        build_wasm(flavour, &pkg)?;
    }

    let js = util::path(CRATE_DIR).join("js");
    for file in JS_FILES {
        copy(&js.join(file), &pkg.join(file))?;
    }
    for file in PACKAGE_DOCS {
        copy(&util::path(CRATE_DIR).join(file), &pkg.join(file))?;
    }
    write(&pkg.join("package.json"), &package_json(&version()?))?;

    let mut types = util::command("node");
    types.arg(js.join("gen-types.mjs")).arg(&pkg);
    util::run(types)?;

    let dest = util::path(PKG_DIR);
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::rename(&pkg, &dest)
        .map_err(|e| format!("cannot move {} to {PKG_DIR}: {e}", util::rel(&pkg)))?;
    for file in [
        "enlist_bg.wasm",
        "enlist_client_bg.wasm",
        "enlist.js",
        "api.js",
        "browser.js",
    ] {
        println!("  {file}: {}", util::size_report(&dest.join(file)));
    }
    Ok(())
}

/// Where [`build_test_package`] lays out the package built with the
/// `test-trap` feature (kept out of `pkg/`, of the tarball and of the size
/// budgets).
pub const TEST_PKG_DIR: &str = "target/enlist-wasm-test-pkg";
/// The cargo features of enlist-wasm that [`build_test_package`] adds to
/// each flavour's.
const TEST_FEATURES: &str = "test-trap,test-providers";

/// `cargo xtask build npm-test`: the package's JavaScript over both flavours
/// of the wasm built with the `test-trap` feature (any call whose input holds
/// `enlist:test-trap` traps), for `tests/npm/recovery.test.mjs`, and the
/// `test-providers` feature (the core's test providers are registered), for
/// the generic suites of `tests/npm`, which find every provider in the
/// build's `providers.json` ([`crate::registry`]). A debug build, not
/// optimized: only its behaviour is tested.
pub fn build_test_package() -> Result {
    for tool in [Tool::WasmTarget, Tool::WasmBindgen] {
        tool.ensure()?;
    }
    let pkg = util::path(TEST_PKG_DIR);
    let _ = std::fs::remove_dir_all(&pkg);
    std::fs::create_dir_all(&pkg).map_err(|e| format!("cannot create {TEST_PKG_DIR}: {e}"))?;
    for flavour in FLAVOURS {
        let features = match flavour.features {
            "" => TEST_FEATURES.to_string(),
            other => format!("{other},{TEST_FEATURES}"),
        };
        let mut cargo = util::cargo();
        cargo
            .args(["rustc", "--target", TARGET, "-p", "enlist-wasm", "--lib"])
            .args(["--crate-type", "cdylib", "--features", &features]);
        util::run(cargo)?;
        let raw = target_dir()
            .join(TARGET)
            .join("debug")
            .join("enlist_wasm.wasm");
        let scratch = target_dir()
            .join("enlist-wasm-bindgen-test")
            .join(flavour.name);
        let _ = std::fs::remove_dir_all(&scratch);
        let mut bindgen = Command::new(tools::wasm_bindgen_bin());
        bindgen
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                flavour.name,
            ])
            .arg("--out-dir")
            .arg(&scratch)
            .arg(&raw);
        util::run(bindgen)?;
        let wasm = format!("{}_bg.wasm", flavour.name);
        copy(&scratch.join(&wasm), &pkg.join(&wasm))?;
        let glue = format!("{}.js", flavour.name);
        let text = std::fs::read_to_string(scratch.join(&glue))
            .map_err(|e| format!("cannot read the glue {glue}: {e}"))?;
        write(&pkg.join(&glue), &with_reinit(&text)?)?;
    }
    let js = util::path(CRATE_DIR).join("js");
    for file in JS_FILES {
        copy(&js.join(file), &pkg.join(file))?;
    }
    crate::registry::write(&pkg)?;
    println!("test package ({TEST_FEATURES}) built in {TEST_PKG_DIR}/");
    Ok(())
}

/// One wasm build into `pkg`: `<name>_bg.wasm` (wasm-opt'd) and its glue
/// `<name>.js` (with [`REINIT`]).
fn build_wasm(flavour: &Flavour, pkg: &Path) -> Result {
    let Flavour { features, name, .. } = *flavour;
    // `cargo rustc --crate-type cdylib`: the crate is also an rlib (for its
    // tests), and cargo skips LTO for a crate built as an rlib too — which
    // costs about 7% of the gzipped wasm and some speed.
    let mut cargo = util::cargo();
    cargo
        .args(["rustc", "--profile", PROFILE, "--target", TARGET])
        .args(["-p", "enlist-wasm", "--lib", "--crate-type", "cdylib"]);
    if !features.is_empty() {
        cargo.args(["--features", features]);
    }
    if let Some(level) = flavour.opt_level {
        cargo.env("CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL", level);
    }
    util::run(cargo)?;
    let raw = target_dir()
        .join(TARGET)
        .join(PROFILE)
        .join("enlist_wasm.wasm");

    // wasm-bindgen writes into a scratch directory; only what we keep goes to pkg/.
    let scratch = target_dir().join("enlist-wasm-bindgen").join(name);
    let _ = std::fs::remove_dir_all(&scratch);
    let mut bindgen = Command::new(tools::wasm_bindgen_bin());
    bindgen
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            name,
            "--out-dir",
        ])
        .arg(&scratch)
        .arg(&raw);
    util::run(bindgen)?;

    let wasm = format!("{name}_bg.wasm");
    let mut opt = Command::new(tools::node_bin("wasm-opt")?);
    opt.args([
        "-Oz",
        "--strip-debug",
        "--strip-producers",
        "--strip-target-features",
    ])
    .args(WASM_OPT_FEATURES)
    .arg(scratch.join(&wasm))
    .arg("-o")
    .arg(pkg.join(&wasm));
    util::run(opt)?;
    let glue = format!("{name}.js");
    let text = std::fs::read_to_string(scratch.join(&glue))
        .map_err(|e| format!("cannot read the glue {glue}: {e}"))?;
    write(&pkg.join(&glue), &with_reinit(&text)?)
}

/// What [`with_reinit`] appends to wasm-bindgen's glue.
const REINIT: &str = "
// Added by `cargo xtask build` (xtask/src/wasm.rs, `REINIT`): a new instance
// of the compiled module, for api.js to replace one that trapped (a Rust
// panic aborts and leaves the instance's state borrowed).
export function reinit() {
    wasm = undefined;
    return initSync({ module: wasmModule });
}
";

/// The glue `--target web` writes, plus a `reinit` export: `initSync`
/// instantiates once and then returns the same instance, and the compiled
/// module is private to the glue. Fails if the glue no longer has the
/// names `reinit` relies on (a wasm-bindgen upgrade): the npm package's
/// recovery test would fail otherwise.
fn with_reinit(glue: &str) -> Result<String> {
    for needed in [
        "let wasmModule, wasmInstance, wasm;",
        "function initSync(module) {\n    if (wasm !== undefined) return wasm;",
        "wasmModule = module;",
    ] {
        if !glue.contains(needed) {
            return Err(format!(
                "the wasm-bindgen glue has no `{needed}`; update `REINIT` in xtask/src/wasm.rs"
            ));
        }
    }
    Ok(format!("{glue}{REINIT}"))
}

// ---- test steps ------------------------------------------------------------------

/// `cargo clippy` on the wasm crate for wasm32 (its tests included), then on
/// the library of each other flavour ([`FLAVOURS`]), then on each flavour's
/// library with the test build's features.
pub fn clippy_wasm32() -> Result {
    let mut cmd = util::cargo();
    cmd.args([
        "clippy",
        "-p",
        "enlist-wasm",
        "--all-targets",
        "--target",
        TARGET,
    ])
    .args(["--", "-D", "warnings"]);
    util::run(cmd)?;
    for flavour in FLAVOURS.iter().filter(|f| !f.features.is_empty()) {
        let mut cmd = util::cargo();
        cmd.args(["clippy", "-p", "enlist-wasm", "--lib", "--target", TARGET])
            .args(["--features", flavour.features, "--", "-D", "warnings"]);
        util::run(cmd)?;
    }
    // Each flavour as `build_test_package` builds it.
    for flavour in FLAVOURS {
        let features = match flavour.features {
            "" => TEST_FEATURES.to_string(),
            other => format!("{other},{TEST_FEATURES}"),
        };
        let mut cmd = util::cargo();
        cmd.args(["clippy", "-p", "enlist-wasm", "--lib", "--target", TARGET])
            .args(["--features", &features, "--", "-D", "warnings"]);
        util::run(cmd)?;
    }
    Ok(())
}

/// Runs `cmd`, echoing its output, and returns stdout + stderr.
fn run_capture(mut cmd: Command) -> Result<String> {
    let shown = util::describe(&cmd);
    println!("$ {shown}");
    let out = cmd
        .output()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{text}");
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("`{shown}` failed ({})", out.status))
    }
}

/// The number of passed tests in libtest / wasm-bindgen-test output.
fn passed(output: &str) -> usize {
    output
        .lines()
        .filter_map(|l| l.trim().strip_prefix("test result: ok. "))
        .filter_map(|rest| rest.split(' ').next()?.parse::<usize>().ok())
        .sum()
}

fn wasm_test(test: &str, browser: bool) -> Result {
    let mut cmd = util::cargo();
    cmd.args([
        "test",
        "--target",
        TARGET,
        "-p",
        "enlist-wasm",
        "--test",
        test,
    ])
    .env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
        util::cargo_bin("wasm-bindgen-test-runner"),
    );
    if browser {
        // Chromium's flags are in crates/enlist-wasm/webdriver.json, which the
        // runner reads from the crate directory.
        cmd.env("WASM_BINDGEN_USE_BROWSER", "1")
            .env("CHROMEDRIVER", tools::CHROMEDRIVER)
            .env_remove("WASM_BINDGEN_USE_NODE");
    }
    let output = run_capture(cmd)?;
    match passed(&output) {
        0 => Err(format!(
            "`--test {test}` ran zero tests (wasm_bindgen_test_configure! missing?)"
        )),
        n => {
            println!(
                "{n} wasm test(s) passed in {}",
                if browser { "Chromium" } else { "Node" }
            );
            Ok(())
        }
    }
}

/// `wasm_bindgen_test` suites of enlist-wasm in Node.
pub fn test_node() -> Result {
    wasm_test("node", false)
}

/// `wasm_bindgen_test` suites of enlist-wasm in headless Chromium.
pub fn test_browser() -> Result {
    wasm_test("browser", true)
}

/// publint and @arethetypeswrong/cli on the package, and `tsc --strict` on the
/// typed consumer `tests/npm/consumer.ts` (DOM and Node.js settings).
pub fn lint_package() -> Result {
    let pkg = util::path(PKG_DIR);
    if !pkg.join("package.json").is_file() {
        return Err(format!(
            "{PKG_DIR}/package.json is missing; run `cargo xtask build npm`"
        ));
    }
    let mut publint = Command::new(tools::node_bin("publint")?);
    publint.arg("--strict").arg(&pkg).current_dir(util::root());
    util::run(publint)?;

    let mut attw = Command::new(tools::node_bin("attw")?);
    // ESM only (CommonJS gets it through `import()`); the raw .wasm subpaths
    // have no types by nature.
    attw.arg("--pack")
        .arg(&pkg)
        .args(["--profile", "esm-only", "--format", "table-flipped"])
        .args([
            "--exclude-entrypoints",
            "./enlist_bg.wasm",
            "./enlist_client_bg.wasm",
        ])
        .current_dir(util::root());
    util::run(attw)?;

    // As a browser/bundler project (DOM types), then as a Node.js one.
    for config in ["tests/npm/tsconfig.json", "tests/npm/tsconfig.node.json"] {
        let mut tsc = Command::new(tools::node_bin("tsc")?);
        tsc.args(["--noEmit", "-p", config])
            .current_dir(util::root());
        util::run(tsc)?;
    }
    Ok(())
}

/// `cargo xtask bench`: the npm package against Ajv, Zod and Valibot (bench/npm.mjs).
pub fn bench() -> Result {
    build_npm_package()?;
    let mut cmd = util::command("node");
    cmd.args(["--expose-gc", "bench/npm.mjs"]);
    util::run(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_passed_tests() {
        let out = "running 3 tests\ntest result: ok. 3 passed; 0 failed; 0 ignored\n\
                   test result: ok. 0 passed; 0 failed\n";
        assert_eq!(passed(out), 3);
        assert_eq!(passed("no tests"), 0);
    }

    #[test]
    fn reinit_is_added_to_the_glue_it_fits() {
        let glue = "let wasmModule, wasmInstance, wasm;\nfunction __wbg_finalize_init(instance, module) {\n    wasmModule = module;\n}\nfunction initSync(module) {\n    if (wasm !== undefined) return wasm;\n}\n";
        assert!(with_reinit(glue).unwrap().ends_with(REINIT));
        assert!(with_reinit("let wasm;").is_err());
    }

    #[test]
    fn package_json_is_versioned() {
        let json = package_json("1.2.3");
        assert!(json.contains(r#""version": "1.2.3""#));
        assert!(json.contains(r#""name": "enlist""#));
        assert!(json.contains(r#""node": ">=20.19.0""#));
        for file in PACKAGE_DOCS {
            assert!(json.contains(&format!("\"{file}\"")), "{file}");
        }
    }
}
