// API fuzzing: schemathesis against the running Worker's own
// /v1/openapi.json — every operation, every check (no 500, status codes,
// content types, headers and bodies as documented, valid data accepted,
// invalid data refused…) — in public mode and in admin mode (client token
// sent), with the mock upstream behind the Worker. The SCIM service is on in
// both (SCIM_TOKENS): the hooks send its token on its paths. Zero failures
// allowed.
//
//   node tests/reliability/schemathesis.mjs                    # smoke: 25 examples per operation
//   node tests/reliability/schemathesis.mjs --max-examples 300 # bench
//   node tests/reliability/schemathesis.mjs --seed 42 --mode public
//
// schemathesis comes from PyPI into .venv-schemathesis/ (git-ignored):
// `cargo xtask test` installs it; by hand:
//   python3.13 -m venv .venv-schemathesis && .venv-schemathesis/bin/pip install schemathesis==4.32.5
// (Python ≥ 3.12: on 3.11.7 Hypothesis hits a CPython AST bug). Set
// SCHEMATHESIS=/path/to/st to use another install.
//
// schemathesis_hooks.py gives each call a fresh valid Idempotency-Key and a
// fresh email (the contract refuses a key reused for another request, and a
// second user with the same email; generators reuse values like "0@0.com"). Each run is bounded
// (--max-examples, plus a hard kill after --kill-after seconds). Reports land in tests/.tmp/schemathesis/ (git-ignored): JUnit and
// a reproduction script per failure. Traffic stays on 127.0.0.1.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { FAKE, ROOT, report, startStack } from "./harness.mjs";

function parseArgs(argv) {
  const args = { maxExamples: 25, seed: 20261123, workers: 2, mode: "both", killAfter: 300, phases: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--max-examples") args.maxExamples = Number(next());
    else if (a === "--seed") args.seed = Number(next());
    else if (a === "--workers") args.workers = Number(next());
    else if (a === "--mode") args.mode = next();
    else if (a === "--kill-after") args.killAfter = Number(next());
    else if (a === "--phases") args.phases = next();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!["public", "admin", "both"].includes(args.mode)) throw new Error("--mode is public, admin or both");
  return args;
}

function schemathesisBin() {
  const bin = process.env.SCHEMATHESIS ?? join(ROOT, ".venv-schemathesis/bin/schemathesis");
  if (!existsSync(bin)) {
    throw new Error(`${bin} not found: run \`cargo xtask test --only schemathesis\` (installs it), or see the header of this file`);
  }
  return bin;
}

/** Runs schemathesis to completion (or kills it); resolves to its exit code and output. */
function run(bin, argv, killAfterS, filterLog, clientToken = "") {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NO_COLOR: "1", SCHEMATHESIS_HOOKS: join(ROOT, "tests/reliability/schemathesis_hooks.py"), ENLIST_FILTER_LOG: filterLog, ENLIST_SCIM_TOKEN: FAKE.scimToken, ENLIST_CLIENT_TOKEN: clientToken };
    // From tests/.tmp/ (git-ignored): schemathesis keeps a cache in ./.schemathesis/.
    const cwd = join(ROOT, "tests/.tmp");
    mkdirSync(cwd, { recursive: true });
    const child = spawn(bin, argv, { cwd, stdio: ["ignore", "pipe", "pipe"], env });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on("data", (d) => {
      out += d;
      process.stderr.write(d);
    });
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, killAfterS * 1000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: killed ? `killed after ${killAfterS} s` : code, out });
    });
  });
}

async function fuzz(bin, args, mode) {
  const admin = mode === "admin";
  const stack = await startStack({
    // Import jobs run unpaced and without a cap on active jobs, so that each
    // generated job is judged on its own.
    bindings: {
      SCIM_TOKENS: FAKE.scimToken,
      ...(admin
        ? { CLIENT_TOKENS: FAKE.clientToken, PARTOO_RATE_PER_MINUTE: "0", PANDADOC_RATE_PER_MINUTE: "0", IMPORT_MAX_ACTIVE_JOBS: "100000" }
        : {}),
    },
    captureLogs: true,
  });
  const dir = join(ROOT, "tests/.tmp/schemathesis", mode);
  mkdirSync(dir, { recursive: true });
  const filterLog = join(dir, "filtered.txt");
  const argv = [
    "run",
    `${stack.url}/v1/openapi.json`,
    "--url",
    stack.url,
    "--checks",
    "all",
    // `use_after_free` (ST301) expects every operation on a deleted resource
    // to answer 404. Two do not, on purpose: SCIM's DELETE deactivates by
    // default and the user stays readable with `active: false`
    // (SCIM_DELETE, docs/scim.md; tests/worker/scim.test.mjs covers both
    // settings), and a CORS preflight (OPTIONS) answers for any path.
    "--exclude-checks",
    "use_after_free",
    "--continue-on-failure",
    "--max-examples",
    String(args.maxExamples),
    "--seed",
    String(args.seed),
    "--workers",
    String(args.workers),
    "--request-timeout",
    "15",
    "--report",
    "junit",
    "--output-sanitize",
    "false",
    "--report-dir",
    dir,
    ...(args.phases ? ["--phases", args.phases] : []),
    // Public mode serves no import routes (404 for every method), though
    // the document lists them for admin mode.
    ...(admin ? [] : ["--exclude-path-regex", "/imports"]),
  ];
  report(`\n==> schemathesis (${mode} mode) against ${stack.url}/v1/openapi.json: ${args.maxExamples} examples per operation, seed ${args.seed}`);
  let result;
  try {
    rmSync(filterLog, { force: true });
    // The hooks send the client token (admin mode) and the SCIM token.
    result = await run(bin, argv, args.killAfter, filterLog, admin ? FAKE.clientToken : "");
  } finally {
    await stack.close();
  }
  // Anything the Worker logged at error level (a panic, an uncaught error)
  // is a failure even if every answer looked fine.
  const errors = stack.logs.filter((l) => l.level === "error");
  const cases = /(\d+) generated/.exec(result.out)?.[1] ?? "?";
  const line = result.out.split("\n").reverse().find((l) => /=+ .* in [\d.]+s =+/.test(l)) ?? "";
  const dropped = {};
  if (existsSync(filterLog)) for (const reason of readFileSync(filterLog, "utf8").split("\n").filter(Boolean)) dropped[reason] = (dropped[reason] ?? 0) + 1;
  return { mode, code: result.code, cases, line: line.replace(/=+/g, "").trim(), workerErrors: errors.map((e) => e.line), dropped };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const bin = schemathesisBin();
  const modes = args.mode === "both" ? ["public", "admin"] : [args.mode];
  const results = [];
  for (const mode of modes) results.push(await fuzz(bin, args, mode));

  report("\nschemathesis summary:");
  let failed = false;
  for (const r of results) {
    const ok = r.code === 0 && r.workerErrors.length === 0;
    failed ||= !ok;
    report(`  ${ok ? "ok    " : "FAILED"} ${r.mode} mode: ${r.cases} test cases; ${r.line} (exit ${r.code})`);
    for (const [reason, n] of Object.entries(r.dropped)) report(`         dropped by schemathesis_hooks.py: ${n} × ${reason}`);
    for (const e of r.workerErrors.slice(0, 10)) report(`         worker error log: ${e}`);
  }
  if (failed) {
    report("reports: tests/.tmp/schemathesis/<mode>/ (JUnit); reproduce a failure with the curl line printed above");
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(`schemathesis.mjs: ${err?.message ?? err}`);
  process.exit(1);
});
