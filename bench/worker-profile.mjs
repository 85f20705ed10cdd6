// Where a Worker's CPU time goes per proxied request: runs one Worker in
// Miniflare as bench/worker.mjs runs it, with its V8 inspector open, samples
// the isolate with the CPU profiler while `wrk -c4` posts the benchmark's
// payload for a few seconds, and prints the self time per request by
// category (wasm, the JS glue or the Worker's own JS, runtime built-ins,
// garbage collection, idle) and by function.
//
//   node bench/worker-profile.mjs [--worker rust|js] [--seconds 5] [--script build/index.js]
//       [--top 40] [--wasm-only] [--save out.cpuprofile]
//
// `rust` is the built Worker (build/), `js` the baseline of
// bench/worker-baseline/. Function names of the Rust Worker's wasm need a
// build that keeps its name section (`cargo xtask build worker` strips it):
// build one with worker-build into another directory and pass its
// index.js with --script (docs/benchmarks.md, "Worker", shows how). The
// figures are the profile's samples, each worth the run's time divided by
// their number, divided by the requests served: they add up to the
// isolate's busy time per request. The profiler itself slows the Worker a
// little. Needs `wrk` on PATH.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import WebSocket from "ws";
import { freePort } from "../tests/openapi/prism.mjs";
import { SCRIPT_PATH } from "../tests/worker/serve.mjs";
import { BODY, WRK_POST_LUA, startBenchWorker, startFastUpstream } from "./worker-harness.mjs";
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const worker = opt("worker", "rust");
const seconds = Number(opt("seconds", 5));
const script = resolve(opt("script", SCRIPT_PATH));
const top = Number(opt("top", 40));
const wasmOnly = args.includes("--wasm-only");
const save = opt("save", undefined);
if (!["rust", "js"].includes(worker)) {
  console.error("usage: node bench/worker-profile.mjs [--worker rust|js] [--seconds 5] [--script build/index.js] [--top 40] [--wasm-only] [--save file]");
  process.exit(2);
}

/** Runs wrk against `url`; resolves with the number of requests it completed. */
async function load(url) {
  const dir = mkdtempSync(join(tmpdir(), "enlist-profile-"));
  const lua = join(dir, "post.lua");
  writeFileSync(lua, WRK_POST_LUA);
  const child = spawn("wrk", ["-t1", "-c4", `-d${seconds}s`, "-s", lua, url]);
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  const code = await new Promise((r) => child.on("close", r));
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`wrk exited with ${code}`);
  if (/Non-2xx/.test(out)) throw new Error(`wrk saw answers other than 2xx:\n${out}`);
  return Number(/(\d+) requests in/.exec(out)?.[1]);
}

/** Self time per request (µs) by category and by function name. */
function summarize(profile, requests) {
  const perSample = (profile.endTime - profile.startTime) / profile.samples.length;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byCategory = new Map();
  const byFunction = new Map();
  const add = (map, key, n) => map.set(key, (map.get(key) ?? 0) + n);
  for (const [id, n] of hits) {
    const f = nodes.get(id);
    const wasm = f.url.startsWith("wasm");
    const category = wasm
      ? "wasm"
      : f.functionName.startsWith("(")
        ? f.functionName
        : f.url === ""
          ? "runtime built-ins"
          : `js: ${f.url.split("/").pop()}`;
    add(byCategory, category, n);
    if (wasmOnly && !wasm) continue;
    // Rust symbols end in a hash (`::h0123…`): drop it.
    const name = (f.functionName || "(anonymous)").replace(/::h[0-9a-f]{16}$/, "");
    add(byFunction, wasm ? name : `${name} [${category}]`, n);
  }
  const us = (n) => (n * perSample) / requests;
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, us(n)]);
  return { categories: sorted(byCategory), functions: sorted(byFunction), samples: profile.samples.length };
}

const upstream = await startFastUpstream();
const inspectorPort = await freePort();
const running = await startBenchWorker(worker, upstream.url, { scriptPath: script, inspectorPort });
try {
  const url = `${running.url}/v1/partoo/users`;
  for (let i = 0; i < 300; i++) {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: BODY });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`warm-up: expected 201, got ${res.status}`);
  }
  // The user Worker's isolate (Miniflare names it core:user:<worker name>, "" here).
  const ws = new WebSocket(`ws://127.0.0.1:${inspectorPort}/core:user:`);
  await new Promise((res, rej) => (ws.on("open", res), ws.on("error", rej)));
  let lastId = 0;
  const pending = new Map();
  ws.on("message", (m) => {
    const msg = JSON.parse(m);
    pending.get(msg.id)?.(msg);
    pending.delete(msg.id);
  });
  const send = (method, params = {}) =>
    new Promise((res) => {
      const id = ++lastId;
      pending.set(id, res);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 50 });
  await send("Profiler.start");
  const requests = await load(url);
  const { result } = await send("Profiler.stop");
  ws.close();
  if (save) writeFileSync(save, JSON.stringify(result.profile));
  const { categories, functions, samples } = summarize(result.profile, requests);
  const busy = categories.filter(([k]) => k !== "(idle)").reduce((s, [, v]) => s + v, 0);
  console.log(`${worker} Worker: ${requests} requests in ${seconds} s (${(requests / seconds).toFixed(0)} req/s), ${samples} samples`);
  console.log(`busy time per request: ${busy.toFixed(1)} µs`);
  console.log("\nby category (µs per request):");
  for (const [k, v] of categories) console.log(`  ${v.toFixed(1).padStart(7)}  ${k}`);
  console.log(`\n${wasmOnly ? "wasm functions" : "functions"} (self µs per request, top ${top}):`);
  for (const [k, v] of functions.slice(0, top)) console.log(`  ${v.toFixed(2).padStart(7)}  ${k.slice(0, 140)}`);
} finally {
  await running.dispose();
  await upstream.close();
}
