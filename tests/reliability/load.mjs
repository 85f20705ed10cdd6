// Load: wrk against the built Worker in Miniflare, in front of the mock
// upstream (answers at once), with a mix of valid, invalid and oversized
// requests (tests/reliability/load.lua). Reports requests/s, latency p50/p99,
// counts by status and by problem type, and the resident memory of workerd
// (and of this Node process, which hosts Miniflare and the mock) sampled
// every few seconds.
//
//   node tests/reliability/load.mjs                 # 60 s, 32 connections (bench)
//   node tests/reliability/load.mjs --smoke         # 10 s (cargo xtask test)
//   node tests/reliability/load.mjs --duration 180 --check-memory # memory soak (bench)
//   node tests/reliability/load.mjs --duration 180 --baseline     # same, trivial JS Worker
//   node tests/reliability/load.mjs --only partoo_valid --baseline proxy
//                                  # the JS proxy of bench/worker-baseline instead
//   node tests/reliability/load.mjs --duration 30 --connections 16 --json out.json
//
// Fails (exit 1) on any unexpected answer: a status or problem type outside
// the mix's expectations, any 5xx, any socket error (timeout, connect, or a
// connection dropped under wrk), or a Worker that no longer answers
// /v1/health afterwards. Speed is reported, never
// asserted. With --check-memory (bench), also fails when workerd's memory
// is still growing in the last third of the run (see MEMORY_GROWTH_LIMIT_MB). Traffic stays on
// 127.0.0.1; the run is bounded by --duration plus wrk's --timeout.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { COMPATIBILITY_DATE } from "../worker/serve.mjs";
import { FAKE, NO_RATE_LIMIT, report, request, startStack } from "./harness.mjs";
import { startUpstream } from "../mocks/upstream.mjs";
import { baselineOptions } from "../../bench/worker-baseline/miniflare.mjs";

const LUA = fileURLToPath(new URL("./load.lua", import.meta.url));

/** Statuses the mix may produce (see load.lua). */
const EXPECTED_STATUSES = new Set(["200", "201", "400", "403", "404", "405", "409", "413", "415", "422"]);
/** Problem types the mix may produce. */
const EXPECTED_PROBLEMS = new Set([
  "validation", // invalid_fields
  "policy", // policy_refused
  "invalid_json", // malformed_json
  "payload_too_large", // oversized
  "unsupported_media_type", // wrong_type
  "not_found", // unknown_path
  "method_not_allowed", // wrong_method
  "idempotency_in_flight", // keyed_replay meeting its first request
]);

/** Memory check (--check-memory): workerd's RSS climbs for a while under
 * load (V8 and allocator high-water marks: a trivial JavaScript Worker in the
 * same Miniflare climbs to ≈600 MB), then levels off. A leak keeps climbing:
 * the highest sample of the last third of the run may not exceed the highest
 * of the middle third by more than this. Use a run long enough to level off
 * (≥ 150 s on 2 cores; see docs/reliability.md). */
const MEMORY_GROWTH_LIMIT_MB = 64;

function parseArgs(argv) {
  const args = { duration: 60, connections: 32, threads: 2, sampleEvery: 2, json: null, checkMemory: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === "--smoke") Object.assign(args, { duration: 10, connections: 16 });
    else if (a === "--duration") args.duration = num();
    else if (a === "--connections") args.connections = num();
    else if (a === "--threads") args.threads = num();
    else if (a === "--sample-every") args.sampleEvery = num();
    else if (a === "--json") args.json = argv[++i];
    else if (a === "--check-memory") args.checkMemory = true;
    else if (a === "--baseline") {
      // A JS Worker instead (memory comparison): "trivial" (the default), or
      // "proxy", bench/worker-baseline's hand-written proxy to the same mock.
      args.baseline = argv[i + 1] === "proxy" || argv[i + 1] === "trivial" ? argv[++i] : "trivial";
    }
    else if (a === "--only") args.only = argv[++i]; // comma-separated kinds of load.lua (diagnosis)
    else throw new Error(`unknown argument ${a}`);
  }
  if (args.duration > 600) throw new Error("--duration is capped at 600 s");
  return args;
}

/** Pids of workerd processes started by this process (Miniflare's runtime). */
function workerdPids() {
  const pids = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (comm === "workerd" && ppid === process.pid) pids.push(Number(name));
    } catch {
      // the process went away
    }
  }
  return pids;
}

/** VmRSS of a pid in MB, or NaN. */
function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Runs wrk; resolves to its parsed LOAD-RESULT and raw output. */
function runWrk(url, { duration, connections, threads, only }) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${duration}s`, "--timeout", "10s", "--latency", "-s", LUA, url, ...(only ? ["--", only] : [])];
  return new Promise((resolve, reject) => {
    const wrk = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    wrk.stdout.on("data", (d) => (out += d));
    wrk.stderr.on("data", (d) => (err += d));
    // wrk stops by itself after --duration; this is a safety net.
    const kill = setTimeout(() => wrk.kill("SIGKILL"), (duration + 30) * 1000);
    wrk.on("error", (e) => reject(new Error(`could not start wrk (${e.message}); install it: apt-get install -y wrk`)));
    wrk.on("close", (code) => {
      clearTimeout(kill);
      const line = out.split("\n").find((l) => l.startsWith("LOAD-RESULT "));
      if (code !== 0 || !line) return reject(new Error(`wrk exited ${code}:\n${out}\n${err}`));
      resolve({ result: JSON.parse(line.slice("LOAD-RESULT ".length)), text: out });
    });
  });
}

const fmtMs = (us) => `${(us / 1000).toFixed(1)} ms`;

/**
 * --baseline: the same Miniflare options with a trivial JavaScript Worker
 * (reads the body, answers 200 {"status":"ok"}) instead of enlist's, to tell
 * workerd's own memory behaviour from the Worker's.
 */
async function startBaseline(kind) {
  const { Miniflare } = await import("miniflare");
  const upstream =
    kind === "proxy" ? await startUpstream({ partooKey: FAKE.partooKey, pandadocKey: FAKE.pandadocKey }) : { reset() {}, close() {} };
  const worker =
    kind === "proxy"
      ? baselineOptions({ upstreamUrl: upstream.url, partooKey: FAKE.partooKey, pandadocKey: FAKE.pandadocKey })
      : { script: 'export default { async fetch(req) { await req.arrayBuffer(); return Response.json({ status: "ok" }); } };' };
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, modules: true, compatibilityDate: COMPATIBILITY_DATE, cf: false, ...worker });
  const url = (await mf.ready).origin;
  return {
    url,
    upstream,
    get: (path, _body, opts) => request(`${url}${path}`, opts),
    close: async () => {
      await mf.dispose();
      await upstream.close();
    },
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (spawnSync("wrk", ["--version"]).error) throw new Error("wrk is not installed: apt-get install -y wrk (cargo xtask bench installs it)");

  const stack = args.baseline ? await startBaseline(args.baseline) : await startStack({ rateLimit: NO_RATE_LIMIT, captureLogs: false });
  const samples = [];
  const failures = [];
  let wrk;
  try {
    const [pid] = workerdPids();
    const sample = () => samples.push({ t: performance.now(), workerd: pid ? rssMb(pid) : NaN, node: process.memoryUsage().rss / 2 ** 20 });
    // The mock keeps every call in memory; forget them now and then so that
    // the Node figure measures Miniflare, not the mock's record.
    const sampler = setInterval(() => {
      sample();
      stack.upstream.reset();
    }, args.sampleEvery * 1000);
    sample();
    const started = performance.now();
    try {
      wrk = await runWrk(stack.url, args);
    } finally {
      clearInterval(sampler);
    }
    sample();
    for (const s of samples) s.t = (s.t - started) / 1000;

    const health = await stack.get("/v1/health", undefined, { timeoutMs: 10_000 }).catch((e) => ({ status: e.message }));
    if (health.status !== 200) failures.push(`after the run /v1/health answered ${health.status}`);
  } finally {
    await stack.close();
  }

  const r = wrk.result;
  const seconds = r.duration_us / 1e6;
  const unexpectedStatuses = Object.entries(r.statuses).filter(([s]) => !EXPECTED_STATUSES.has(s));
  const unexpectedProblems = Object.entries(r.problems).filter(([p]) => !EXPECTED_PROBLEMS.has(p));
  const fivexx = Object.entries(r.statuses).filter(([s]) => s >= "500");
  // Any socket error is a failure: a timeout is a hang; a read or write error
  // is a connection dropped under the client. (workerd drops a keep-alive
  // connection whose request body was left unread; the Worker drains such
  // bodies — tests/reliability/keepalive.test.mjs.)
  if (unexpectedStatuses.length) failures.push(`unexpected statuses: ${JSON.stringify(Object.fromEntries(unexpectedStatuses))}`);
  if (unexpectedProblems.length) failures.push(`unexpected problem types: ${JSON.stringify(Object.fromEntries(unexpectedProblems))}`);
  if (fivexx.length) failures.push(`5xx answers: ${JSON.stringify(Object.fromEntries(fivexx))}`);
  const socketErrors = r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout;
  if (socketErrors) failures.push(`socket errors (timeouts, dropped connections): ${JSON.stringify(r.errors)}`);
  const answered = Object.values(r.statuses).reduce((a, b) => a + b, 0);
  if (answered === 0) failures.push("no answer at all");

  const workerd = samples.map((s) => s.workerd).filter(Number.isFinite);
  const warm = samples.filter((s) => s.t >= seconds / 4 && Number.isFinite(s.workerd));
  const maxIn = (from, to) => Math.max(...samples.filter((s) => s.t >= from && s.t < to && Number.isFinite(s.workerd)).map((s) => s.workerd));
  const lastThirdGrowth = maxIn((2 * seconds) / 3, Infinity) - maxIn(seconds / 3, (2 * seconds) / 3);
  const memory = workerd.length
    ? {
        workerd_mb: {
          start: round(workerd[0]),
          after_warmup: warm.length ? round(warm[0].workerd) : null,
          end: round(workerd.at(-1)),
          max: round(Math.max(...workerd)),
          growth_after_warmup: warm.length ? round(workerd.at(-1) - warm[0].workerd) : null,
          last_third_growth: round(lastThirdGrowth),
        },
        node_mb: { start: round(samples[0].node), end: round(samples.at(-1).node), max: round(Math.max(...samples.map((s) => s.node))) },
        samples: samples.map((s) => ({ t: round(s.t), workerd: round(s.workerd), node: round(s.node) })),
      }
    : { note: "workerd process not found; memory not sampled" };
  if (args.checkMemory && !(memory.workerd_mb?.last_third_growth <= MEMORY_GROWTH_LIMIT_MB)) {
    failures.push(`workerd RSS still growing: last third peaked ${memory.workerd_mb?.last_third_growth} MB above the middle third (limit ${MEMORY_GROWTH_LIMIT_MB} MB)`);
  }

  const summary = {
    date: new Date().toISOString(),
    conditions: { duration_s: args.duration, connections: args.connections, threads: args.threads, cores: (await import("node:os")).cpus().length, load_avg: (await import("node:os")).loadavg().map(round) },
    requests: r.requests,
    requests_per_s: round(r.requests / seconds),
    latency_ms: { p50: round(r.latency_us.p50 / 1000), p90: round(r.latency_us.p90 / 1000), p99: round(r.latency_us.p99 / 1000), max: round(r.latency_us.max / 1000) },
    statuses: sortKeys(r.statuses),
    problems: sortKeys(r.problems),
    sent: sortKeys(r.sent),
    errors: r.errors,
    memory,
    failures,
  };
  if (args.json) writeFileSync(args.json, `${JSON.stringify(summary, null, 2)}\n`);

  report(`load: ${args.duration} s, ${args.connections} connections, ${args.threads} wrk threads, ${summary.conditions.cores} cores (load ${summary.conditions.load_avg.join(" ")})`);
  report(`  ${r.requests} requests, ${summary.requests_per_s} req/s; latency p50 ${fmtMs(r.latency_us.p50)}, p90 ${fmtMs(r.latency_us.p90)}, p99 ${fmtMs(r.latency_us.p99)}, max ${fmtMs(r.latency_us.max)}`);
  report(`  statuses ${JSON.stringify(summary.statuses)}`);
  report(`  problems ${JSON.stringify(summary.problems)}`);
  report(`  sent     ${JSON.stringify(summary.sent)}`);
  report(`  socket errors ${JSON.stringify(r.errors)} ("status" counts non-2xx answers, which the mix expects)`);
  if (memory.workerd_mb) {
    const m = memory.workerd_mb;
    report(`  workerd RSS MB: start ${m.start}, after warm-up ${m.after_warmup}, end ${m.end}, max ${m.max}; last third peaked ${m.last_third_growth} MB above the middle third; node RSS MB: ${memory.node_mb.start} → ${memory.node_mb.end}, max ${memory.node_mb.max}`);
    report(`  workerd RSS samples (s:MB): ${memory.samples.map((s) => `${s.t}:${s.workerd}`).join(" ")}`);
  } else report(`  ${memory.note}`);
  if (failures.length) {
    report(`load: FAILED\n  - ${failures.join("\n  - ")}`);
    process.exitCode = 1;
  } else report("load: ok (zero unexpected statuses, zero 5xx, zero socket errors)");
}

function round(x) {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : x;
}

function sortKeys(o) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

main().catch((err) => {
  console.error(`load.mjs: ${err?.stack ?? err}`);
  process.exit(1);
});
