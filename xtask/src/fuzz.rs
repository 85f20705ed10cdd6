//! `cargo xtask fuzz [--time SECONDS]`: runs every cargo-fuzz target in
//! `fuzz/` for SECONDS each (default 60). cargo-fuzz needs nightly: the
//! `nightly` toolchain when installed, else `RUSTC_BOOTSTRAP=1` on stable.

use std::process::Command;

use crate::util::{self, Result};

pub fn run(seconds: u64) -> Result {
    let manifest = util::path("fuzz/Cargo.toml");
    if !manifest.is_file() {
        println!("note: fuzz/Cargo.toml not present yet; no fuzz targets to run");
        return Ok(());
    }
    ensure_cargo_fuzz()?;
    let nightly = has_nightly();
    let fuzz = |args: &[&str]| {
        let mut cmd = util::cargo();
        if nightly {
            cmd.arg("+nightly");
        } else {
            cmd.env("RUSTC_BOOTSTRAP", "1");
        }
        cmd.arg("fuzz").args(args);
        cmd
    };
    let mut list = fuzz(&["list"]);
    list.stdin(std::process::Stdio::null());
    let out = list
        .output()
        .map_err(|e| format!("could not run `cargo fuzz list`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo fuzz list` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let targets: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if targets.is_empty() {
        println!("note: fuzz/ has no targets");
    }
    let max_time = format!("-max_total_time={seconds}");
    for target in &targets {
        util::run(fuzz(&["run", target, "--", &max_time]))?;
    }
    Ok(())
}

fn ensure_cargo_fuzz() -> Result {
    if util::probe(util::cargo().args(["fuzz", "--version"])).is_some() {
        return Ok(());
    }
    let mut install = util::cargo();
    install.args(["install", "cargo-fuzz"]);
    util::run(install)
}

fn has_nightly() -> bool {
    util::probe(Command::new("rustup").args(["toolchain", "list"]))
        .is_some_and(|out| out.lines().any(|l| l.starts_with("nightly")))
}
