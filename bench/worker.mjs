// Worker benchmark: bundle size, Miniflare start-up, throughput and added
// latency of the Rust Worker (build/) against a minimal hand-written
// JavaScript Worker doing the same proxying (bench/worker-baseline/), both in
// Miniflare on 127.0.0.1 in the same run, in front of the same fast local
// upstream. `cargo xtask bench` runs it; results go to docs/benchmarks.md.
//
//   node bench/worker.mjs [--duration 10] [--connections 4] [--rounds 3]
//       [--rust-baseline build/bench-rust-baseline/index.js]
//
// Needs the Worker built (`cargo xtask build worker`) and `wrk` on PATH.
// Rounds alternate between the Workers; the table shows medians.
// `--rust-baseline` adds a third Worker: the JavaScript baseline written in
// Rust on workers-rs (bench/worker-rust-baseline/, which `cargo xtask bench
// worker` builds and passes), to tell what any Rust Worker costs on this
// runtime from what enlist's own work adds.
import { spawnSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { SCRIPT_PATH, WASM_PATH } from "../tests/worker/serve.mjs";
import { BODY, WRK_POST_LUA, startBenchWorker, startFastUpstream, timedRequest } from "./worker-harness.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const DURATION = opt("duration", 10);
const CONNECTIONS = opt("connections", 4);
const ROUNDS = opt("rounds", 3);
const flag = args.indexOf("--rust-baseline");
const RUST_BASELINE = flag >= 0 ? args[flag + 1] : undefined;

if (spawnSync("wrk", ["--version"]).error) {
  console.error("bench/worker.mjs: wrk not found (apt-get install -y wrk)");
  process.exit(1);
}

const startBaseline = (upstream) => startBenchWorker("js", upstream.url);
const startRust = (upstream) => startBenchWorker("rust", upstream.url);

/** Runs wrk; returns {rps, p50, p90, p99} (ms). */
async function wrk(url, { connections = CONNECTIONS, duration = DURATION, post = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "enlist-wrk-"));
  const script = join(dir, "post.lua");
  writeFileSync(script, post ? WRK_POST_LUA : "");
  // Not spawnSync: the upstream runs in this process and must keep answering.
  const scriptArgs = post ? ["-s", script] : [];
  const child = spawn("wrk", ["-t1", `-c${connections}`, `-d${duration}s`, "--latency", ...scriptArgs, url]);
  let out = "";
  let err = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (err += c));
  const code = await new Promise((resolve) => child.on("close", resolve));
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`wrk failed (${code}): ${err}${out}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const ms = (label) => {
    const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
  };
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p50: ms(50), p90: ms(90), p99: ms(99), non2xx };
}

/**
 * Latency without queueing: one keep-alive connection, one request at a time,
 * for `seconds`, each timed on its own (hrtime, from the first byte written to
 * the last byte read). wrk's latency figures at -c1 are not used: they do not
 * add up with its own request count (e.g. 32,489 requests in 10.0 s on one
 * connection, so 0.31 ms each on average, reported as "avg 2.33 ms, p99
 * 42 ms"; see wg/wrk#438).
 */
async function sequential(url, { post = true, seconds = Math.max(3, DURATION / 2) } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = () => timedRequest(agent, url, post);
  for (let i = 0; i < 200; i++) await once();
  const times = [];
  let non2xx = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const [status, ms] = await once();
    if (status < 200 || status > 299) non2xx++;
    times.push(ms);
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(times.length * p))];
  return { n: times.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), non2xx };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function checkOnce(url) {
  const res = await fetch(`${url}/v1/partoo/users`, { method: "POST", headers: { "content-type": "application/json" }, body: BODY });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`${url}: expected 201, got ${res.status} ${text}`);
}

async function main() {
  // Sizes.
  const wasm = readFileSync(WASM_PATH);
  const js = readFileSync(SCRIPT_PATH);
  const kib = (n) => (n / 1024).toFixed(1);
  const sizes = {
    wasmRaw: wasm.length, wasmGz: gzipSync(wasm, { level: 9 }).length,
    jsRaw: js.length, jsGz: gzipSync(js, { level: 9 }).length,
  };

  const upstream = await startFastUpstream();
  // Start-up: median of 5 cold starts (new Miniflare → first 201).
  const startups = [];
  const firsts = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const w = await startRust(upstream);
    const t1 = performance.now();
    await checkOnce(w.url);
    const t2 = performance.now();
    startups.push(t1 - t0);
    firsts.push(t2 - t1);
    await w.dispose();
  }

  const rust = await startRust(upstream);
  const base = await startBaseline(upstream);
  const rbase = RUST_BASELINE ? await startBenchWorker("rust", upstream.url, { scriptPath: RUST_BASELINE }) : undefined;
  const measured = [rust, base, rbase].filter(Boolean);
  for (const w of measured) await checkOnce(w.url);
  // Warm up each.
  for (const w of measured) await wrk(`${w.url}/v1/partoo/users`, { duration: 2 });

  const health = { post: false, duration: Math.max(2, Math.round(DURATION / 2)) };
  const results = { rbase: [], rbaseHealth: [], rust: [], base: [], rustHealth: [], baseHealth: [], rustLat: [], baseLat: [], direct: [] };
  for (let round = 0; round < ROUNDS; round++) {
    results.rust.push(await wrk(`${rust.url}/v1/partoo/users`));
    results.base.push(await wrk(`${base.url}/v1/partoo/users`));
    if (rbase) results.rbase.push(await wrk(`${rbase.url}/v1/partoo/users`));
    results.rustHealth.push(await wrk(`${rust.url}/v1/health`, health));
    results.baseHealth.push(await wrk(`${base.url}/v1/health`, health));
    if (rbase) results.rbaseHealth.push(await wrk(`${rbase.url}/v1/health`, health));
    // Latency: one request at a time, so no queueing.
    results.direct.push(await sequential(`${upstream.url}/user`));
    results.rustLat.push(await sequential(`${rust.url}/v1/partoo/users`));
    results.baseLat.push(await sequential(`${base.url}/v1/partoo/users`));
  }
  for (const w of measured) await w.dispose();
  await upstream.close();

  const med = (list, k) => median(list.map((r) => r[k]));
  const errors = Object.values(results).flat().reduce((n, r) => n + r.non2xx, 0);
  const rustRps = med(results.rust, "rps");
  const baseRps = med(results.base, "rps");
  const rbaseRps = med(results.rbase, "rps");
  const added = (k) => med(results.rustLat, k) - med(results.direct, k);
  const addedBase = (k) => med(results.baseLat, k) - med(results.direct, k);
  const lat = (list) => ["p50", "p90", "p99", "p999"].map((k) => med(list, k).toFixed(2)).join(" / ") + ` ms (${med(list, "n")} requests)`;

  const rows = [
    ["Worker bundle: wasm", `${kib(sizes.wasmRaw)} KiB raw, ${kib(sizes.wasmGz)} KiB gzip`],
    ["Worker bundle: JS glue", `${kib(sizes.jsRaw)} KiB raw, ${kib(sizes.jsGz)} KiB gzip`],
    ["Worker bundle: total gzip", `${kib(sizes.wasmGz + sizes.jsGz)} KiB (target ≤ 400 KiB)`],
    ["Miniflare start-up (new Miniflare → ready), median of 5", `${median(startups).toFixed(0)} ms`],
    ["first request after ready (cold isolate), median of 5", `${median(firsts).toFixed(1)} ms`],
    [`POST create user, wrk -c${CONNECTIONS}: Rust Worker`, `${rustRps.toFixed(0)} req/s`],
    [`POST create user, wrk -c${CONNECTIONS}: JS baseline`, `${baseRps.toFixed(0)} req/s`],
    ["ratio Rust / JS (target ≥ 0.90)", (rustRps / baseRps).toFixed(2)],
    ...(rbase
      ? [
          [`POST create user, wrk -c${CONNECTIONS}: Rust baseline`, `${rbaseRps.toFixed(0)} req/s`],
          ["ratio Rust baseline / JS", (rbaseRps / baseRps).toFixed(2)],
          [`GET /v1/health, wrk -c${CONNECTIONS}: Rust baseline`, `${med(results.rbaseHealth, "rps").toFixed(0)} req/s`],
        ]
      : []),
    [`GET /v1/health, wrk -c${CONNECTIONS}: Rust / JS`, `${med(results.rustHealth, "rps").toFixed(0)} / ${med(results.baseHealth, "rps").toFixed(0)} req/s`],
    ["latency, sequential, direct to upstream p50 / p90 / p99 / p99.9", lat(results.direct)],
    ["latency, sequential, via Rust Worker p50 / p90 / p99 / p99.9", lat(results.rustLat)],
    ["latency, sequential, via JS baseline p50 / p90 / p99 / p99.9", lat(results.baseLat)],
    ["added latency, Rust Worker p50 / p90 / p99 (target p99 ≤ 2 ms)", `${added("p50").toFixed(2)} / ${added("p90").toFixed(2)} / ${added("p99").toFixed(2)} ms`],
    ["added latency, JS baseline p50 / p90 / p99", `${addedBase("p50").toFixed(2)} / ${addedBase("p90").toFixed(2)} / ${addedBase("p99").toFixed(2)} ms`],
    ["non-2xx answers during the runs", String(errors)],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  const load = (await import("node:os")).loadavg()[0].toFixed(2);
  console.log(`\nWorker benchmark (${ROUNDS} rounds × ${DURATION} s, medians; Node ${process.version}; load average at the end ${load})`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log("\nper round (req/s): Rust", results.rust.map((r) => r.rps.toFixed(0)).join(", "), "| JS", results.base.map((r) => r.rps.toFixed(0)).join(", "));
  // Each round runs the Workers back to back, so a round's own ratio is
  // the least exposed to the machine's speed drifting between rounds.
  const perRound = (label, list) => {
    const paired = list.map((r, i) => r.rps / results.base[i].rps);
    console.log(`per round ratio ${label} / JS: ${paired.map((x) => x.toFixed(2)).join(", ")} (median ${median(paired).toFixed(2)})`);
  };
  perRound("Rust", results.rust);
  if (rbase) {
    console.log("per round (req/s): Rust baseline", results.rbase.map((r) => r.rps.toFixed(0)).join(", "));
    perRound("Rust baseline", results.rbase);
  }
  if (errors) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
