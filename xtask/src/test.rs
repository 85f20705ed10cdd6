//! `cargo xtask test`: every test of the project, as an ordered list of named
//! steps. To add one, add one line to [`steps`]:
//!
//! ```text
//! Step::new("wasm tests (node)", || cargo_env(&["test", "-p", "enlist-wasm", "--target", "wasm32-unknown-unknown"], &[("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", "wasm-bindgen-test-runner")])).needs(&[Tool::WasmTarget, Tool::WasmBindgen]).requires("crates/enlist-wasm/Cargo.toml"),
//! node_tests("tests/e2e").needs(&[Tool::Chromium]),
//! ```
//!
//! A step whose inputs do not exist yet is skipped with a note. The tools
//! the remaining steps need are installed first (see `tools.rs`).

use std::time::Duration;

use crate::tools::Tool;
use crate::util::{self, Result};
use crate::{reliability, wasm, worker, www};

/// The steps, in the order they run.
#[rustfmt::skip]
fn steps() -> Vec<Step> {
    vec![
        Step::new("fmt", || cargo(&["fmt", "--all", "--check"])).quick().needs(&[Tool::RustComponents]),
        Step::new("no unsafe code (#![forbid(unsafe_code)] in every crate root)", crate::forbid::check).quick(),
        Step::new("generated files (cargo xtask gen)", crate::gen::check).quick(),
        Step::new("clippy", || cargo_twice(&["clippy", "--workspace", "--all-targets"], &["--", "-D", "warnings"])).quick().needs(&[Tool::RustComponents]),
        Step::new("clippy (worker, wasm32)", || cargo_twice(&["clippy", "-p", "enlist-worker", "--target", "wasm32-unknown-unknown"], &["--", "-D", "warnings"])).needs(&[Tool::WasmTarget]).requires("crates/enlist-worker/Cargo.toml"),
        Step::new("clippy (wasm crate, wasm32)", wasm::clippy_wasm32).needs(&[Tool::WasmTarget]).requires("crates/enlist-wasm/Cargo.toml"),
        Step::new("cargo test", || cargo_twice(&["test", "--workspace"], &[])).quick(),
        Step::new("cargo doc", || cargo_env(&["doc", "--workspace", "--no-deps"], &[("RUSTDOCFLAGS", "-D warnings")]).and_then(|()| cargo_env(&["doc", "--workspace", "--no-deps", "--features", TEST_PROVIDERS], &[("RUSTDOCFLAGS", "-D warnings")]))),
        Step::new("build worker", worker::build).needs(worker::NEEDS).requires("crates/enlist-worker/Cargo.toml"),
        Step::new("build npm package", wasm::build_npm_package).needs(&[Tool::WasmTarget, Tool::WasmBindgen, Tool::NodeModules]).requires("crates/enlist-wasm/Cargo.toml"),
        Step::new("wasm tests (node)", wasm::test_node).needs(&[Tool::WasmTarget, Tool::WasmBindgen]).requires("crates/enlist-wasm/Cargo.toml"),
        Step::new("wasm tests (chromium)", wasm::test_browser).needs(&[Tool::WasmTarget, Tool::WasmBindgen, Tool::Chromium]).requires("crates/enlist-wasm/Cargo.toml"),
        Step::new("npm package lint", wasm::lint_package).needs(&[Tool::NodeModules]).requires("crates/enlist-wasm/Cargo.toml"),
        Step::new("build npm test package (test-trap)", wasm::build_test_package).needs(&[Tool::WasmTarget, Tool::WasmBindgen]).requires("crates/enlist-wasm/Cargo.toml"),
        Step::new("build www (vendor the npm package, bundle the form)", www::build).requires("crates/enlist-wasm/Cargo.toml"),
        node_tests("tests/npm").needs(&[Tool::Chromium]),
        Step::new("build worker (test-panic)", worker::build_test).needs(worker::NEEDS).requires("crates/enlist-worker/Cargo.toml"),
        node_tests("tests/worker"),
        node_tests("tests/mocks"),
        node_tests("tests/schemas"),
        node_tests("tests/openapi"),
        node_tests("tests/reliability").requires("crates/enlist-worker/Cargo.toml"),
        Step::new("load smoke (wrk, 10 s)", reliability::load_smoke).needs(&[Tool::Wrk, Tool::NodeModules]).requires("crates/enlist-worker/Cargo.toml"),
        Step::new("schemathesis smoke", reliability::schemathesis_smoke).needs(&[Tool::Schemathesis, Tool::NodeModules]).requires("crates/enlist-worker/Cargo.toml"),
        Step::new(format!("fuzz smoke ({} s per target)", crate::fuzz::SMOKE_SECONDS), crate::fuzz::smoke).requires("fuzz/Cargo.toml"),
        node_tests("tests/e2e").needs(&[Tool::Chromium]),
    ]
}

/// `cargo ARGS` from the repository root.
fn cargo(args: &[&str]) -> Result {
    cargo_env(args, &[])
}

/// The cargo feature that registers the core's test providers (the demo
/// provider that proves a provider costs one module). Release builds never
/// enable it; the test steps run with and without it, so that the generic
/// suites cover every provider a build can register.
pub const TEST_PROVIDERS: &str = "enlist-core/test-providers";

/// `cargo ARGS TAIL`, then the same with [`TEST_PROVIDERS`] enabled (`TAIL`
/// is what goes after the options, such as `-- -D warnings`).
fn cargo_twice(args: &[&str], tail: &[&str]) -> Result {
    cargo(&[args, tail].concat())?;
    cargo(&[args, &["--features", TEST_PROVIDERS], tail].concat())
}

/// `cargo ARGS` with extra environment variables.
fn cargo_env(args: &[&str], env: &[(&str, &str)]) -> Result {
    let mut cmd = util::cargo();
    cmd.args(args).envs(env.iter().copied());
    util::run(cmd)
}

/// Test files `node --test` runs.
const NODE_TEST_SUFFIXES: &[&str] = &[".test.mjs", ".test.js", ".test.cjs"];

/// `node --test` on the `*.test.{mjs,js,cjs}` files under `dir`; skipped when
/// there are none.
fn node_tests(dir: &'static str) -> Step {
    let mut step = Step::new(format!("node --test {dir}"), move || {
        let files = util::find_files(&util::path(dir), NODE_TEST_SUFFIXES);
        let mut cmd = util::command("node");
        // --test-force-exit: a handle left open after the last test (a
        // failure the tests report themselves) must not stall the run.
        cmd.args(["--test", "--test-force-exit"]);
        for f in &files {
            cmd.arg(util::rel(f));
        }
        util::run(cmd)
    })
    .needs(&[Tool::NodeModules]);
    step.node_dir = Some(dir);
    step.skip_when(move || {
        util::find_files(&util::path(dir), NODE_TEST_SUFFIXES)
            .is_empty()
            .then(|| format!("no *.test.mjs files in {dir}/"))
    })
}

/// One named step of `cargo xtask test`.
pub struct Step {
    name: String,
    run: Box<dyn Fn() -> Result>,
    /// Part of `cargo xtask test --quick`.
    quick: bool,
    /// Tools installed before the first step that needs them runs.
    needs: Vec<Tool>,
    /// Returns why to skip the step, if it should be skipped.
    skip: Vec<Box<dyn Fn() -> Option<String>>>,
    /// For `node_tests` steps: the directory they cover.
    node_dir: Option<&'static str>,
}

impl Step {
    pub fn new(name: impl Into<String>, run: impl Fn() -> Result + 'static) -> Self {
        Step {
            name: name.into(),
            run: Box::new(run),
            quick: false,
            needs: Vec::new(),
            skip: Vec::new(),
            node_dir: None,
        }
    }

    /// Also run by `--quick`.
    pub fn quick(mut self) -> Self {
        self.quick = true;
        self
    }

    /// Tools to ensure before running (adds to those already listed).
    pub fn needs(mut self, tools: &[Tool]) -> Self {
        self.needs.extend_from_slice(tools);
        self
    }

    /// Skip (with a note) while `rel_path` does not exist.
    pub fn requires(self, rel_path: &'static str) -> Self {
        self.skip_when(move || {
            (!util::path(rel_path).exists()).then(|| format!("{rel_path} not present yet"))
        })
    }

    /// Skip (with the returned note) when `why` returns `Some`.
    pub fn skip_when(mut self, why: impl Fn() -> Option<String> + 'static) -> Self {
        self.skip.push(Box::new(why));
        self
    }

    fn skip_reason(&self) -> Option<String> {
        self.skip.iter().find_map(|f| f())
    }
}

enum Outcome {
    Ok,
    Skipped(String),
    Failed,
}

struct Line {
    name: String,
    outcome: Outcome,
    took: Duration,
}

/// Options of `cargo xtask test`.
#[derive(Debug, Default)]
pub struct Options {
    /// fmt + clippy + cargo test only.
    pub quick: bool,
    /// Only steps whose name contains one of these.
    pub only: Vec<String>,
    /// Not the steps whose name contains one of these.
    pub skip: Vec<String>,
    /// Print the steps and exit.
    pub list: bool,
}

pub fn run(opts: &Options) -> Result {
    let steps = steps();
    if opts.list {
        for s in &steps {
            let quick = if s.quick { "  (--quick)" } else { "" };
            println!("{}{quick}", s.name);
        }
        return Ok(());
    }
    warn_uncovered_node_tests(&steps);

    let selected: Vec<&Step> = steps
        .iter()
        .filter(|s| !opts.quick || s.quick)
        .filter(|s| opts.only.is_empty() || opts.only.iter().any(|p| selects(&steps, p, &s.name)))
        .filter(|s| !opts.skip.iter().any(|p| selects(&steps, p, &s.name)))
        .collect();
    if selected.is_empty() {
        return Err("no step selected; `cargo xtask test --list` shows them".into());
    }

    let mut summary: Vec<Line> = Vec::new();
    let mut ensured: Vec<Tool> = Vec::new();
    let mut failure = None;
    for step in selected {
        if let Some(why) = step.skip_reason() {
            println!("\n==> {}: skipped ({why})", step.name);
            summary.push(Line {
                name: step.name.clone(),
                outcome: Outcome::Skipped(why),
                took: Duration::ZERO,
            });
            continue;
        }
        for &tool in &step.needs {
            if ensured.contains(&tool) {
                continue;
            }
            ensured.push(tool);
            println!("\n==> tool: {}", tool.name());
            let (result, took) = util::timed(|| tool.ensure());
            let name = format!("tool {}", tool.name());
            match result {
                Ok(state) => {
                    println!("{}: {state}", tool.name());
                    summary.push(Line {
                        name: format!("{name}: {state}"),
                        outcome: Outcome::Ok,
                        took,
                    });
                }
                Err(e) => {
                    summary.push(Line {
                        name,
                        outcome: Outcome::Failed,
                        took,
                    });
                    failure = Some(format!(
                        "could not set up {} (needed by step `{}`): {e}",
                        tool.name(),
                        step.name
                    ));
                    break;
                }
            }
        }
        if failure.is_some() {
            break;
        }
        println!("\n==> {}", step.name);
        let (result, took) = util::timed(|| (step.run)());
        let failed = result.is_err();
        summary.push(Line {
            name: step.name.clone(),
            outcome: if failed { Outcome::Failed } else { Outcome::Ok },
            took,
        });
        if let Err(e) = result {
            failure = Some(format!("step `{}` failed: {e}", step.name));
            break;
        }
    }

    print_summary(&summary);
    match failure {
        Some(e) => Err(e),
        None => {
            println!("all steps passed");
            Ok(())
        }
    }
}

/// Whether `pattern` (from `--only`/`--skip`) names step `name`: the step
/// with exactly that name if there is one, else every step containing it.
fn selects(steps: &[Step], pattern: &str, name: &str) -> bool {
    if steps.iter().any(|s| s.name == pattern) {
        name == pattern
    } else {
        name.contains(pattern)
    }
}

fn print_summary(lines: &[Line]) {
    let width = lines.iter().map(|l| l.name.len()).max().unwrap_or(0);
    let total: Duration = lines.iter().map(|l| l.took).sum();
    println!("\nsummary (cargo xtask test):");
    for l in lines {
        match &l.outcome {
            Outcome::Ok => println!(
                "  ok       {:width$}  {:>7}",
                l.name,
                util::fmt_duration(l.took)
            ),
            Outcome::Failed => println!(
                "  FAILED   {:width$}  {:>7}",
                l.name,
                util::fmt_duration(l.took)
            ),
            Outcome::Skipped(why) => println!("  skipped  {:width$}  ({why})", l.name),
        }
    }
    println!("  total    {:width$}  {:>7}", "", util::fmt_duration(total));
}

/// Notes Node test files under tests/ that no `node_tests` step runs.
fn warn_uncovered_node_tests(steps: &[Step]) {
    let dirs: Vec<&str> = steps.iter().filter_map(|s| s.node_dir).collect();
    for file in util::find_files(&util::path("tests"), NODE_TEST_SUFFIXES) {
        let covered = dirs.iter().any(|d| file.starts_with(util::path(d)));
        if !covered {
            println!(
                "note: {} is not run by any step (add `node_tests(\"<its dir>\")` in xtask/src/test.rs)",
                util::rel(&file)
            );
        }
    }
}
