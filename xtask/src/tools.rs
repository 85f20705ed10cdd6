//! Tools the steps need, installed when missing and skipped when present with
//! the right version. Only package registries are used (crates.io, npm,
//! Debian); nothing is downloaded from anywhere else.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{self, Result};

/// The wasm-bindgen CLI version used when Cargo.lock has no `wasm-bindgen`.
pub const WASM_BINDGEN_FALLBACK: &str = "0.2.130";
/// worker-build, matching the `worker` crate (0.8.x).
pub const WORKER_BUILD_VERSION: &str = "0.8.7";

/// Something a step needs before it can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `rustup component add rustfmt clippy` when `cargo fmt`/`cargo clippy`
    /// do not run.
    RustComponents,
    /// `rustup target add wasm32-unknown-unknown`.
    WasmTarget,
    /// `cargo install wasm-bindgen-cli --version <Cargo.lock's wasm-bindgen>`.
    WasmBindgen,
    /// `cargo install worker-build --version 0.8.7`.
    WorkerBuild,
    /// `npm ci` (node_modules/ missing or older than package-lock.json).
    NodeModules,
    /// Debian `chromium` + `chromium-driver` (headless browser tests).
    #[allow(dead_code)] // for the browser steps (wasm tests in Chromium, Playwright)
    Chromium,
    /// Debian `wrk` (HTTP load, tests/reliability/load.mjs).
    Wrk,
    /// schemathesis from PyPI in `.venv-schemathesis/` (API fuzzing).
    Schemathesis,
}

impl Tool {
    /// Short name for the summary.
    pub fn name(self) -> &'static str {
        match self {
            Tool::RustComponents => "rustfmt + clippy",
            Tool::WasmTarget => "wasm32-unknown-unknown target",
            Tool::WasmBindgen => "wasm-bindgen-cli",
            Tool::WorkerBuild => "worker-build",
            Tool::NodeModules => "node_modules (npm ci)",
            Tool::Chromium => "chromium + chromedriver",
            Tool::Wrk => "wrk",
            Tool::Schemathesis => "schemathesis (.venv-schemathesis)",
        }
    }

    /// Installs the tool if needed; returns what was found or done.
    pub fn ensure(self) -> Result<String> {
        match self {
            Tool::RustComponents => ensure_rust_components(),
            Tool::WasmTarget => ensure_wasm_target(),
            Tool::WasmBindgen => ensure_wasm_bindgen(),
            Tool::WorkerBuild => ensure_worker_build(),
            Tool::NodeModules => ensure_node_modules(),
            Tool::Chromium => ensure_chromium(),
            Tool::Wrk => ensure_wrk(),
            Tool::Schemathesis => ensure_schemathesis(),
        }
    }
}

fn ensure_rust_components() -> Result<String> {
    let missing: Vec<&str> = [("fmt", "rustfmt"), ("clippy", "clippy")]
        .into_iter()
        .filter(|(sub, _)| util::probe(util::cargo().args([*sub, "--version"])).is_none())
        .map(|(_, component)| component)
        .collect();
    if missing.is_empty() {
        return Ok("present".into());
    }
    let mut add = Command::new("rustup");
    add.args(["component", "add"]).args(&missing);
    util::run(add)?;
    Ok(format!("installed {}", missing.join(", ")))
}

fn ensure_wasm_target() -> Result<String> {
    const TARGET: &str = "wasm32-unknown-unknown";
    match util::probe(Command::new("rustup").args(["target", "list", "--installed"])) {
        Some(out) if out.lines().any(|l| l.trim() == TARGET) => Ok("present".into()),
        Some(_) => {
            let mut add = Command::new("rustup");
            add.args(["target", "add", TARGET]);
            util::run(add)?;
            Ok("installed".into())
        }
        None => Err(format!(
            "cannot run `rustup target list --installed`; install rustup, or add the {TARGET} target to your toolchain by hand"
        )),
    }
}

/// The `wasm-bindgen` version in Cargo.lock (the crate and the CLI must match).
pub fn wasm_bindgen_version() -> String {
    let lock = std::fs::read_to_string(util::path("Cargo.lock")).unwrap_or_default();
    let versions = lock_versions(&lock, "wasm-bindgen");
    match versions.as_slice() {
        [] => WASM_BINDGEN_FALLBACK.to_string(),
        [one] => one.clone(),
        [first, ..] => {
            eprintln!(
                "warning: Cargo.lock has several wasm-bindgen versions ({}); using {first}",
                versions.join(", ")
            );
            first.clone()
        }
    }
}

/// Versions of package `name` in a Cargo.lock.
fn lock_versions(lock: &str, name: &str) -> Vec<String> {
    let mut versions = Vec::new();
    let mut current_name: Option<&str> = None;
    for line in lock.lines().map(str::trim) {
        if line == "[[package]]" {
            current_name = None;
        } else if let Some(v) = toml_string(line, "name") {
            current_name = Some(v);
        } else if let Some(v) = toml_string(line, "version") {
            if current_name == Some(name) {
                versions.push(v.to_string());
            }
        }
    }
    versions
}

/// `key = "value"` → `value`.
fn toml_string<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(key)?.trim_start().strip_prefix('=')?;
    rest.trim().strip_prefix('"')?.strip_suffix('"')
}

/// The wasm-bindgen CLI to use.
pub fn wasm_bindgen_bin() -> PathBuf {
    util::cargo_bin("wasm-bindgen")
}

fn ensure_wasm_bindgen() -> Result<String> {
    let want = wasm_bindgen_version();
    let have = installed_version(wasm_bindgen_bin());
    if have.as_deref() == Some(want.as_str()) {
        return Ok(format!("{want} present"));
    }
    println!(
        "wasm-bindgen-cli {} found, {want} needed (Cargo.lock); installing (about 3 min)…",
        have.as_deref().unwrap_or("not")
    );
    // Not `--locked`: wasm-bindgen-cli's own lock file fails to build here.
    let mut install = util::cargo();
    install.args(["install", "wasm-bindgen-cli", "--version", &want]);
    util::run(install)?;
    Ok(format!("{want} installed"))
}

/// The worker-build binary to use.
pub fn worker_build_bin() -> PathBuf {
    util::cargo_bin("worker-build")
}

fn ensure_worker_build() -> Result<String> {
    let have = installed_version(worker_build_bin());
    if have.as_deref() == Some(WORKER_BUILD_VERSION) {
        return Ok(format!("{WORKER_BUILD_VERSION} present"));
    }
    println!(
        "worker-build {} found, {WORKER_BUILD_VERSION} needed; installing (about 4 min)…",
        have.as_deref().unwrap_or("not")
    );
    let mut install = util::cargo();
    install.args(["install", "worker-build", "--version", WORKER_BUILD_VERSION]);
    util::run(install)?;
    Ok(format!("{WORKER_BUILD_VERSION} installed"))
}

/// The version in `tool --version` output (`wasm-bindgen 0.2.130` → `0.2.130`,
/// `0.8.7` → `0.8.7`).
pub fn installed_version(program: PathBuf) -> Option<String> {
    let out = util::probe(Command::new(program).arg("--version"))?;
    out.split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(str::to_string)
}

fn ensure_node_modules() -> Result<String> {
    let version = util::probe(Command::new("node").arg("--version"))
        .ok_or("Node.js is not installed (or `node` is not on PATH); install Node 20 or newer")?;
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        return Err(format!(
            "Node.js {version} is too old; enlist needs Node 20 or newer"
        ));
    }

    let lock = util::path("package-lock.json");
    // npm writes node_modules/.package-lock.json on every install.
    let marker = util::path("node_modules/.package-lock.json");
    let fresh = match (util::mtime(&marker), util::mtime(&lock)) {
        (Some(installed), Some(locked)) => installed >= locked,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if fresh {
        return Ok(format!("present, node {version}"));
    }
    let mut ci = util::command("npm");
    ci.args(["ci", "--no-audit", "--no-fund"]);
    util::run(ci)?;
    Ok(format!("installed, node {version}"))
}

/// `node_modules/.bin/NAME`, or an error saying to run `npm ci`.
pub fn node_bin(name: &str) -> Result<PathBuf> {
    let p = util::path("node_modules/.bin").join(name);
    if p.exists() {
        Ok(p)
    } else {
        Err(format!(
            "{} is missing; run `npm ci --no-audit --no-fund` (or `cargo xtask test`, which does)",
            util::rel(&p)
        ))
    }
}

/// Debian's Chromium, for headless-browser steps.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver (wasm-bindgen-test-runner in a browser).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn ensure_chromium() -> Result<String> {
    if std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists() {
        return Ok("present".into());
    }
    if !util::is_root() {
        return Err(format!(
            "{CHROMIUM} or {CHROMEDRIVER} is missing and installing them needs root: \
             run `apt-get update && apt-get install -y chromium chromium-driver` as root, then retry"
        ));
    }
    apt_install(&["chromium", "chromium-driver"])?;
    Ok("installed".into())
}

/// `apt-get update`, then `apt-get install -y PACKAGES` (as root), waiting for
/// another apt/dpkg run instead of failing on its lock.
fn apt_install(packages: &[&str]) -> Result {
    let lock_wait = "DPkg::Lock::Timeout=600";
    let mut update = Command::new("apt-get");
    update.args(["-o", lock_wait, "update"]);
    util::run(update)?;
    let mut install = Command::new("apt-get");
    install
        .args(["-o", lock_wait, "install", "-y"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive");
    util::run(install)
}

/// `NAME` on `PATH`, if there.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn ensure_wrk() -> Result<String> {
    if let Some(p) = on_path("wrk") {
        return Ok(format!("present ({})", p.display()));
    }
    if !util::is_root() {
        return Err(
            "wrk is missing and installing it needs root: run `apt-get update && apt-get install -y wrk` as root, then retry"
                .into(),
        );
    }
    apt_install(&["wrk"])?;
    Ok("installed".into())
}

/// schemathesis from PyPI, pinned.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// The project-local virtual environment it lives in (git-ignored).
pub const SCHEMATHESIS_VENV: &str = ".venv-schemathesis";

/// A Python for the schemathesis venv: the newest 3.9+ found, preferring
/// 3.12+ (Hypothesis trips over an AST bug of CPython 3.11.7). Returns the
/// interpreter, its minor version and its full version.
fn find_python() -> Option<(PathBuf, u32, String)> {
    let version = |p: &PathBuf| {
        let out = util::probe(Command::new(p).arg("--version"))?;
        let full = out.strip_prefix("Python ")?.trim().to_string();
        let mut parts = full.split('.');
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next()?.parse().ok()?;
        (major == 3 && minor >= 9).then_some((minor, full))
    };
    let mut candidates: Vec<PathBuf> = ["python3.14", "python3.13", "python3.12"]
        .iter()
        .filter_map(|n| on_path(n))
        .collect();
    // pyenv keeps its other versions off PATH.
    if let Some(root) = util::probe(Command::new("pyenv").arg("root")) {
        if let Ok(entries) = std::fs::read_dir(PathBuf::from(root).join("versions")) {
            candidates.extend(entries.flatten().map(|e| e.path().join("bin/python3")));
        }
    }
    candidates.push(PathBuf::from("python3"));
    candidates
        .into_iter()
        .filter_map(|p| version(&p).map(|(minor, full)| (p, minor, full)))
        .max_by_key(|(_, minor, _)| *minor)
}

fn ensure_schemathesis() -> Result<String> {
    let venv = util::path(SCHEMATHESIS_VENV);
    let bin = venv.join("bin/schemathesis");
    if installed_version(bin).as_deref() == Some(SCHEMATHESIS_VERSION) {
        return Ok(format!("{SCHEMATHESIS_VERSION} present"));
    }
    let (python, minor, version) = find_python()
        .ok_or("no Python 3.9+ found; install python3 and python3-venv (Debian), then retry")?;
    if minor < 12 {
        println!("note: using Python {version}; with Python < 3.12 schemathesis may hit a CPython AST bug");
    }
    if !venv.join("bin/pip").is_file() {
        let mut create = util::command(&python);
        create.args(["-m", "venv", SCHEMATHESIS_VENV]);
        util::run(create)?;
    }
    let mut install = util::command(venv.join("bin/pip"));
    install.args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
    ]);
    util::run(install)?;
    Ok(format!(
        "{SCHEMATHESIS_VERSION} installed (Python {version})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_from_a_lock_file() {
        let lock = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.999"
"#;
        assert_eq!(lock_versions(lock, "wasm-bindgen"), ["0.2.130"]);
        assert!(lock_versions(lock, "worker").is_empty());
    }

    #[test]
    fn toml_strings() {
        assert_eq!(toml_string(r#"name = "x""#, "name"), Some("x"));
        assert_eq!(toml_string(r#"names = "x""#, "name"), None);
        assert_eq!(toml_string("version = 4", "version"), None);
    }
}
