//! `cargo xtask dev`: build the Worker and serve it plus `www/` at
//! http://127.0.0.1:8787 in Miniflare (tests/worker/serve.mjs), against local
//! mock upstreams, or the real APIs when `.dev.vars` exists.

use crate::util::{self, Result};
use crate::{wasm, worker, www};

/// `extra` goes to serve.mjs (`--port N`, `--host H`, `--mocks`, `--real`).
pub fn run(extra: &[String]) -> Result {
    for &tool in worker::NEEDS {
        println!("{}: {}", tool.name(), tool.ensure()?);
    }
    let (built, took) = util::timed(worker::build);
    built?;
    println!("worker built in {}", util::fmt_duration(took));
    wasm::build_npm_package()?;
    www::build()?;

    let mut serve = util::command("node");
    serve.arg("tests/worker/serve.mjs");
    if !extra.iter().any(|a| a == "--port") {
        serve.args(["--port", "8787"]);
    }
    serve.args(extra);
    println!("$ {}", util::describe(&serve));
    exec(serve)
}

/// Replaces this process with `cmd`, so that Ctrl-C and SIGTERM reach the
/// server directly and nothing is left running behind us.
#[cfg(unix)]
fn exec(mut cmd: std::process::Command) -> Result {
    use std::os::unix::process::CommandExt;
    let err = cmd.exec();
    Err(format!("could not start `{}`: {err}", util::describe(&cmd)))
}

#[cfg(not(unix))]
fn exec(cmd: std::process::Command) -> Result {
    util::run(cmd)
}
