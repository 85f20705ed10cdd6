//! `cargo xtask fuzz`: runs every cargo-fuzz (libFuzzer) target in `fuzz/`.
//!
//! ```text
//! cargo xtask fuzz [--time SECONDS] [--runs N] [--target NAME]... [--sanitizer address|none]
//! ```
//!
//! Each target runs for SECONDS (default 60) and/or N executions, starting from
//! its corpus `fuzz/corpus/<target>/` (generated, git-ignored; new inputs go
//! there) and its committed seeds `fuzz/seeds/<target>/`, with the dictionary
//! `fuzz/enlist.dict`. Any crash (panic, failed invariant), leak, timeout
//! (`-timeout=10`) or out-of-memory (`-rss_limit_mb=2048`) fails the command;
//! the input that caused it is in `fuzz/artifacts/<target>/`. Every target runs
//! even when an earlier one failed; a summary table ends the output.
//!
//! cargo-fuzz is installed with `cargo install cargo-fuzz` when missing. It
//! needs nightly: the `nightly` toolchain when `rustup toolchain list` has one,
//! else `RUSTC_BOOTSTRAP=1` on the active toolchain.
//!
//! `--sanitizer address` (the default) builds with AddressSanitizer, which
//! also detects leaks; `--sanitizer none` is about 5× faster (for long runs:
//! the core is `#![forbid(unsafe_code)]`) but cannot detect leaks. The two
//! builds use separate target directories.
//!
//! `cargo xtask test` runs [`smoke`]: every target for [`SMOKE_SECONDS`].

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::{self, Result};

/// Seconds per target in the `cargo xtask test` smoke run.
pub const SMOKE_SECONDS: u64 = 30;

/// Longest input per target (`-max_len`); others get [`DEFAULT_MAX_LEN`].
const MAX_LEN: &[(&str, usize)] = &[
    // JSON payloads and bulk arrays of them.
    ("validate", 4096),
    // Payloads that validate: small objects.
    ("round_trip", 2048),
    // Status, headers and an error body.
    ("response", 4096),
    // Key, URLs, options, user id, then an optional payload.
    ("requests", 4096),
    // A CSV import.
    ("csv", 4096),
];
const DEFAULT_MAX_LEN: usize = 4096;

const USAGE: &str =
    "usage: cargo xtask fuzz [--time SECONDS] [--runs N] [--target NAME]... [--sanitizer address|none]";

/// Options of `cargo xtask fuzz`.
#[derive(Debug, Clone)]
struct Options {
    /// `-max_total_time` per target.
    time: Option<u64>,
    /// `-runs` per target.
    runs: Option<u64>,
    /// Only these targets (all when empty).
    targets: Vec<String>,
    /// `address` or `none`.
    sanitizer: String,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut opts = Options {
        time: None,
        runs: None,
        targets: Vec::new(),
        sanitizer: "address".into(),
    };
    let mut it = args.iter();
    let number = |flag: &str, value: Option<&String>| -> Result<u64> {
        let value = value.ok_or_else(|| format!("{flag} needs a number\n{USAGE}"))?;
        value
            .parse()
            .map_err(|_| format!("{flag} needs a number, got `{value}`\n{USAGE}"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--time" => opts.time = Some(number("--time", it.next())?),
            "--runs" => opts.runs = Some(number("--runs", it.next())?),
            "--target" => opts.targets.push(
                it.next()
                    .ok_or_else(|| format!("--target needs a name\n{USAGE}"))?
                    .clone(),
            ),
            "--sanitizer" => match it.next().map(String::as_str) {
                Some(s @ ("address" | "none")) => opts.sanitizer = s.to_string(),
                other => {
                    return Err(format!(
                        "--sanitizer must be address or none, got {other:?}\n{USAGE}"
                    ))
                }
            },
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    if opts.time.is_none() && opts.runs.is_none() {
        opts.time = Some(60);
    }
    Ok(opts)
}

/// `cargo xtask fuzz ARGS`.
pub fn run(args: &[String]) -> Result {
    fuzz(&parse(args)?)
}

/// The short run of every target that `cargo xtask test` does.
pub fn smoke() -> Result {
    fuzz(&Options {
        time: Some(SMOKE_SECONDS),
        runs: None,
        targets: Vec::new(),
        sanitizer: "address".into(),
    })
}

/// What libFuzzer reported for one target.
#[derive(Default)]
struct Stats {
    runs: Option<u64>,
    exec_per_sec: Option<u64>,
    peak_rss_mb: Option<u64>,
    cov: Option<u64>,
    /// Instrumented edges in the binary (`Loaded 1 modules (N inline 8-bit counters)`).
    edges: Option<u64>,
    features: Option<u64>,
    corpus: Option<String>,
    took: Duration,
    ok: bool,
}

fn fuzz(opts: &Options) -> Result {
    if !util::path("fuzz/Cargo.toml").is_file() {
        println!("note: fuzz/Cargo.toml not present; no fuzz targets to run");
        return Ok(());
    }
    ensure_cargo_fuzz()?;
    let nightly = has_nightly();
    if !nightly {
        println!("note: no nightly toolchain; using RUSTC_BOOTSTRAP=1 on the active one");
    }
    let targets = list_targets(nightly)?;
    for wanted in &opts.targets {
        if !targets.contains(wanted) {
            return Err(format!(
                "no fuzz target `{wanted}`; there are: {}",
                targets.join(", ")
            ));
        }
    }
    let selected: Vec<&String> = targets
        .iter()
        .filter(|t| opts.targets.is_empty() || opts.targets.contains(t))
        .collect();

    // Build every target once, so the time limits are spent fuzzing.
    let mut build = cargo_fuzz(nightly);
    build.args([
        "build",
        "--fuzz-dir",
        "fuzz",
        "--sanitizer",
        &opts.sanitizer,
    ]);
    build.args(FEATURES);
    build.args(target_dir(opts));
    let (built, took) = util::timed(|| util::run(build));
    built?;
    println!("fuzz targets built in {}", util::fmt_duration(took));

    let mut results = Vec::new();
    for target in selected {
        let stats = run_target(nightly, opts, target)?;
        results.push((target.clone(), stats));
    }
    print_summary(opts, &results);
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, s)| !s.ok)
        .map(|(t, _)| t.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz target(s) failed: {} (the inputs are in fuzz/artifacts/<target>/; \
             reproduce with `cargo +nightly fuzz run <target> <file>`)",
            failed.join(", ")
        ))
    }
}

/// The fuzz crate's features for every build and run: the core's test
/// providers too, so that the targets (which take every provider of the
/// registry, each with its `Provider::EXAMPLE`) cover them.
const FEATURES: &[&str] = &["--features", "test-providers"];

/// `--target-dir` for builds without a sanitizer, so that switching does not
/// rebuild everything.
fn target_dir(opts: &Options) -> Vec<String> {
    if opts.sanitizer == "none" {
        vec!["--target-dir".into(), "fuzz/target/no-sanitizer".into()]
    } else {
        Vec::new()
    }
}

fn run_target(nightly: bool, opts: &Options, target: &str) -> Result<Stats> {
    let corpus = util::path(&format!("fuzz/corpus/{target}"));
    std::fs::create_dir_all(&corpus)
        .map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
    let seeds = util::path(&format!("fuzz/seeds/{target}"));
    let max_len = MAX_LEN
        .iter()
        .find(|(t, _)| *t == target)
        .map_or(DEFAULT_MAX_LEN, |(_, n)| *n);

    let mut cmd = cargo_fuzz(nightly);
    cmd.args(["run", "--fuzz-dir", "fuzz", "--sanitizer", &opts.sanitizer]);
    cmd.args(FEATURES);
    cmd.args(target_dir(opts));
    cmd.arg(target).arg(&corpus);
    if seeds.is_dir() {
        cmd.arg(&seeds);
    }
    cmd.arg("--");
    if let Some(t) = opts.time {
        cmd.arg(format!("-max_total_time={t}"));
    }
    if let Some(n) = opts.runs {
        cmd.arg(format!("-runs={n}"));
    }
    cmd.args([
        format!("-max_len={max_len}"),
        "-rss_limit_mb=2048".into(),
        "-timeout=10".into(),
        "-print_final_stats=1".into(),
    ]);
    let dict = util::path("fuzz/enlist.dict");
    if dict.is_file() {
        cmd.arg(format!("-dict={}", dict.display()));
    }

    println!("\n==> fuzz {target}\n$ {}", util::describe(&cmd));
    cmd.stdin(Stdio::null()).stderr(Stdio::piped());
    let (result, took) = util::timed(|| -> Result<(Stats, bool)> {
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("could not start cargo fuzz: {e}"))?;
        let mut stats = Stats::default();
        if let Some(stderr) = child.stderr.take() {
            let mut out = std::io::stderr();
            let mut in_dictionary = false;
            for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
                read_stats(&line, &mut stats);
                // Progress lines (`#123 NEW …`) and the dictionary libFuzzer
                // recommends at exit are many lines of little use; keep the rest.
                let progress = line.starts_with('#')
                    && (line.contains("\tNEW ") || line.contains("\tREDUCE "));
                if line.starts_with("###### Recommended dictionary") {
                    in_dictionary = true;
                }
                if !progress && !in_dictionary {
                    let _ = writeln!(out, "{line}");
                }
                if line.starts_with("###### End of recommended dictionary") {
                    in_dictionary = false;
                }
            }
        }
        let status = child
            .wait()
            .map_err(|e| format!("cargo fuzz did not finish: {e}"))?;
        Ok((stats, status.success()))
    });
    let (mut stats, ok) = result?;
    stats.took = took;
    stats.ok = ok;
    Ok(stats)
}

/// Picks numbers out of libFuzzer's output.
fn read_stats(line: &str, stats: &mut Stats) {
    let value = |prefix: &str| -> Option<u64> {
        line.strip_prefix(prefix)
            .and_then(|rest| rest.trim().parse().ok())
    };
    if let Some(n) = value("stat::number_of_executed_units:") {
        stats.runs = Some(n);
    } else if let Some(n) = value("stat::average_exec_per_sec:") {
        stats.exec_per_sec = Some(n);
    } else if let Some(n) = value("stat::peak_rss_mb:") {
        stats.peak_rss_mb = Some(n);
    } else if let Some(rest) = line.strip_prefix("INFO: Loaded 1 modules") {
        // `INFO: Loaded 1 modules   (11113 inline 8-bit counters): …`
        stats.edges = rest
            .trim_start()
            .strip_prefix('(')
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok());
    } else if line.starts_with('#') {
        // `#4096 pulse  cov: 2964 ft: 9012 corp: 455/61Kb lim: 4096 exec/s: …`
        let mut words = line.split_whitespace();
        while let Some(word) = words.next() {
            match word {
                "cov:" => stats.cov = words.next().and_then(|w| w.parse().ok()),
                "ft:" => stats.features = words.next().and_then(|w| w.parse().ok()),
                "corp:" => stats.corpus = words.next().map(str::to_string),
                _ => {}
            }
        }
    }
}

fn print_summary(opts: &Options, results: &[(String, Stats)]) {
    let limit = match (opts.time, opts.runs) {
        (Some(t), Some(n)) => format!("{t} s or {n} runs per target"),
        (Some(t), None) => format!("{t} s per target"),
        (None, Some(n)) => format!("{n} runs per target"),
        (None, None) => String::new(),
    };
    println!(
        "\nsummary (cargo xtask fuzz, {limit}, sanitizer {}):",
        opts.sanitizer
    );
    println!(
        "  {:<8} {:<12} {:>12} {:>8} {:>12} {:>7} {:>12} {:>7} {:>8}",
        "result", "target", "runs", "exec/s", "cov/edges", "ft", "corpus", "rss MB", "time"
    );
    let show = |n: Option<u64>| n.map_or_else(|| "?".to_string(), |n| n.to_string());
    for (target, s) in results {
        println!(
            "  {:<8} {:<12} {:>12} {:>8} {:>12} {:>7} {:>12} {:>7} {:>8}",
            if s.ok { "ok" } else { "FAILED" },
            target,
            show(s.runs),
            show(s.exec_per_sec),
            format!("{}/{}", show(s.cov), show(s.edges)),
            show(s.features),
            s.corpus.as_deref().unwrap_or("?"),
            show(s.peak_rss_mb),
            util::fmt_duration(s.took)
        );
    }
}

/// `cargo fuzz` on nightly, else with `RUSTC_BOOTSTRAP=1`.
fn cargo_fuzz(nightly: bool) -> Command {
    let mut cmd = if nightly {
        // `$CARGO` is the toolchain's own cargo, which does not read `+nightly`;
        // `rustup run` picks the toolchain for cargo-fuzz's inner builds too.
        let mut cmd = util::command("rustup");
        cmd.args(["run", "nightly", "cargo"]);
        cmd
    } else {
        let mut cmd = util::cargo();
        cmd.env("RUSTC_BOOTSTRAP", "1");
        cmd
    };
    cmd.arg("fuzz");
    cmd
}

fn list_targets(nightly: bool) -> Result<Vec<String>> {
    let mut list = cargo_fuzz(nightly);
    list.args(["list", "--fuzz-dir", "fuzz"])
        .stdin(Stdio::null());
    let out = list
        .output()
        .map_err(|e| format!("could not run `cargo fuzz list`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo fuzz list` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

fn ensure_cargo_fuzz() -> Result {
    if util::probe(util::cargo().args(["fuzz", "--version"])).is_some() {
        return Ok(());
    }
    println!("cargo-fuzz not found; installing it");
    let mut install = util::cargo();
    install.args(["install", "cargo-fuzz"]);
    util::run(install)
}

fn has_nightly() -> bool {
    util::probe(Command::new("rustup").args(["toolchain", "list"]))
        .is_some_and(|out| out.lines().any(|l| l.starts_with("nightly")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options() {
        let o = parse(&[]).expect("defaults");
        assert_eq!(
            (o.time, o.runs, o.sanitizer.as_str()),
            (Some(60), None, "address")
        );
        let o = parse(&args(&[
            "--runs",
            "10000000",
            "--sanitizer",
            "none",
            "--target",
            "csv",
        ]))
        .expect("valid");
        assert_eq!((o.time, o.runs), (None, Some(10_000_000)));
        assert_eq!(
            (o.sanitizer.as_str(), o.targets.as_slice()),
            ("none", &["csv".to_string()][..])
        );
        assert!(parse(&args(&["--time"])).is_err());
        assert!(parse(&args(&["--sanitizer", "memory"])).is_err());
        assert!(parse(&args(&["--bogus"])).is_err());
    }

    #[test]
    fn stats_from_libfuzzer_output() {
        let mut s = Stats::default();
        for line in [
            "#4096\tpulse  cov: 2964 ft: 9012 corp: 455/61Kb lim: 4096 exec/s: 2048 rss: 80Mb",
            "stat::number_of_executed_units: 1174624",
            "stat::average_exec_per_sec:     12907",
            "stat::peak_rss_mb:              512",
            "INFO: Loaded 1 modules   (11113 inline 8-bit counters): 11113 [0x5579b8a2d260, 0x5579b8a2fdc9), ",
        ] {
            read_stats(line, &mut s);
        }
        assert_eq!(
            (s.runs, s.exec_per_sec, s.peak_rss_mb),
            (Some(1_174_624), Some(12_907), Some(512))
        );
        assert_eq!(s.edges, Some(11_113));
        assert_eq!(
            (s.cov, s.features, s.corpus.as_deref()),
            (Some(2964), Some(9012), Some("455/61Kb"))
        );
    }
}
