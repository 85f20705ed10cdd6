//! `cargo xtask …`: build, dev, test, bench and fuzz for the enlist workspace.
//! Its one dependency is enlist-core (for `gen`), so it compiles in seconds.
#![forbid(unsafe_code)]

mod bench;
mod dev;
mod forbid;
mod fuzz;
mod gen;
mod registry;
mod reliability;
mod test;
mod tools;
mod util;
mod wasm;
mod worker;
mod www;

use std::process::ExitCode;

use util::Result;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test [--quick] [--only NAME]… [--skip NAME]… [--list]
                     every test (installs missing tools first); --quick: fmt,
                     clippy and cargo test only; --only / --skip: the step
                     named NAME, else those whose name contains NAME;
                     --list: print the steps
  dev [--port N] [--host H] [--mocks|--real]
                     build the Worker and serve it with www/ at
                     http://127.0.0.1:8787 (mock upstreams unless .dev.vars)
  build [worker|npm|www|npm-test|worker-test]
                     build the Worker (build/) and/or the npm package
                     (both by default; the package is then vendored into
                     www/vendor/ and the form bundled into build/www/, which
                     `www` alone redoes); wrangler.toml runs `build`;
                     `npm-test`: the package with a wasm that traps on
                     purpose and registers the core's test providers
                     (target/enlist-wasm-test-pkg/, for tests/npm);
                     `worker-test`: the Worker with a header that panics,
                     serving the test providers too (build/test-panic/,
                     for tests/worker); both with a providers.json
  gen                write the files generated from enlist-core's proxy
                     contract (crates/enlist-wasm/js/contract.d.ts, the npm
                     README's problem table); `test` fails when they are stale
  screenshots        build, then save the form's screenshots (desktop and
                     360 px, light and dark) to docs/screenshots/
  bench [-- ARGS]    every benchmark (core: ARGS go to criterion); `bench worker`,
                     `bench npm`, `bench imports`, `bench scim`, `bench
                     reliability`: only that suite
  fuzz [--time N] [--runs N] [--target NAME]… [--sanitizer address|none]
                     run each cargo-fuzz target in fuzz/ for N seconds
                     (default 60) and/or N runs; fails on any crash, leak or
                     timeout (inputs in fuzz/artifacts/)
  help               this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nerror: {e}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> Result {
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => ("help", &[][..]),
    };
    match command {
        "test" => test::run(&parse_test_options(rest)?),
        "dev" => dev::run(rest),
        "build" => build(rest),
        "gen" => gen::run(),
        "screenshots" => www::screenshots(),
        "bench" => bench::run(rest.strip_prefix(&["--".to_string()][..]).unwrap_or(rest)),
        "fuzz" => fuzz::run(rest),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}

/// `cargo xtask build [worker|npm|www]`: the Worker and the npm package (then
/// vendored into `www/` and the form bundled into `build/www/`) by default;
/// `www` only vendors the built package and bundles the form.
fn build(rest: &[String]) -> Result {
    let (worker, npm) = match rest {
        [] => (true, true),
        [what] if what == "worker" => (true, false),
        [what] if what == "npm" => (false, true),
        [what] if what == "www" => return www::build(),
        [what] if what == "npm-test" => return wasm::build_test_package(),
        [what] if what == "worker-test" => return worker::build_test(),
        _ => {
            return Err(format!(
                "usage: cargo xtask build [worker|npm|www|npm-test|worker-test]\n\n{USAGE}"
            ))
        }
    };
    if worker {
        for &tool in worker::NEEDS {
            println!("{}: {}", tool.name(), tool.ensure()?);
        }
        let (built, took) = util::timed(worker::build);
        built?;
        println!("worker built in {}", util::fmt_duration(took));
    }
    if npm {
        wasm::build_npm_package()?;
        www::build()?;
    }
    Ok(())
}

fn parse_test_options(args: &[String]) -> Result<test::Options> {
    let mut opts = test::Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => opts.quick = true,
            "--list" => opts.list = true,
            "--only" => opts
                .only
                .push(it.next().ok_or("--only needs a step name")?.clone()),
            "--skip" => opts
                .skip
                .push(it.next().ok_or("--skip needs a step name")?.clone()),
            other => return Err(format!("unknown option `{other}` for `test`\n\n{USAGE}")),
        }
    }
    Ok(opts)
}
