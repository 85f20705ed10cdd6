// Where the Worker benchmark's latency tail comes from: times each of a run
// of sequential requests through one Worker in Miniflare and lists the slow
// ones by their position in the run. The load client and the fast upstream
// each run in a process of their own (this file, re-run with `--client` or
// `--upstream`), so neither's garbage collection pauses the other or
// Miniflare's Node side.
//
//   node bench/worker-tail.mjs [--worker rust|js|direct] [--requests 4000] [--no-assets]
//
// `rust` is the built Worker (build/), `js` the baseline of
// bench/worker-baseline/, `direct` the upstream without a Worker. Slow
// requests that fall on the same positions for both Workers come from the
// runtime's own per-request work, not from either Worker's code
// (docs/benchmarks.md, "Worker").
import { spawn } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { startBenchWorker, startFastUpstream, timedRequest } from "./worker-harness.mjs";

const WARM_UP = 300;
const SLOW_MS = 3;
const SLOWEST = 12;
const SELF = fileURLToPath(import.meta.url);

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

/** The fast upstream, in this process; prints its port. */
async function upstream() {
  const { url } = await startFastUpstream();
  process.stdout.write(`${new URL(url).port}\n`);
}

/** Sends `count` requests one after the other on one connection; prints a JSON summary. */
async function client(url, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = async () => (await timedRequest(agent, url))[1];
  for (let i = 0; i < WARM_UP; i++) await once();
  const times = [];
  for (let i = 0; i < count; i++) times.push(await once());
  agent.destroy();
  process.stdout.write(JSON.stringify(times));
}

/** Runs this file as a child with `args`; resolves with its standard output (first line only when `line`). */
function child(childArgs, { line = false } = {}) {
  const c = spawn(process.execPath, [SELF, ...childArgs], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const done = new Promise((resolve, reject) => {
    c.stdout.on("data", (d) => {
      out += d;
      if (line && out.includes("\n")) resolve(out.split("\n")[0]);
    });
    // After its first line, a `line` child's exit (it is killed at the end)
    // settles nothing; before it, it is a failure like any other.
    c.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited with ${code}`))));
  });
  return { done, kill: () => c.kill() };
}

async function main() {
  const worker = opt("worker", "rust");
  const count = Number(opt("requests", 4000));
  const withAssets = !args.includes("--no-assets");
  const up = child(["--upstream"], { line: true });
  const upUrl = `http://127.0.0.1:${(await up.done).trim()}`;
  let target;
  let dispose = async () => {};
  if (worker === "rust") {
    if (!withAssets) throw new Error("--no-assets applies to the JS baseline only (the Rust Worker is started as deployed)");
    const w = await startBenchWorker("rust", upUrl);
    target = `${w.url}/v1/partoo/users`;
    dispose = w.dispose;
  } else if (worker === "js") {
    const w = await startBenchWorker("js", upUrl, { withAssets });
    target = `${w.url}/v1/partoo/users`;
    dispose = w.dispose;
  } else if (worker === "direct") {
    target = `${upUrl}/v2/user`;
  } else {
    throw new Error(`--worker must be rust, js or direct, not ${worker}`);
  }
  try {
    const times = JSON.parse(await child(["--client", target, String(count)]).done);
    const sorted = [...times].sort((a, b) => a - b);
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))].toFixed(2);
    const slow = times.filter((t) => t > SLOW_MS).length;
    const slowest = times
      .map((t, i) => [i, t])
      .sort((a, b) => b[1] - a[1])
      .slice(0, SLOWEST)
      .sort((a, b) => a[0] - b[0])
      .map(([i, t]) => `${i}:${t.toFixed(1)}`);
    console.log(`${worker}${withAssets ? "" : " (no assets)"}: ${times.length} requests after ${WARM_UP} to warm up`);
    console.log(`  p50 / p90 / p99 / p99.9: ${q(0.5)} / ${q(0.9)} / ${q(0.99)} / ${q(0.999)} ms; ${slow} slower than ${SLOW_MS} ms`);
    console.log(`  the ${SLOWEST} slowest, in order (position:ms): ${slowest.join(" ")}`);
  } finally {
    await dispose();
    up.kill();
  }
}

if (args[0] === "--upstream") await upstream();
else if (args[0] === "--client") await client(args[1], Number(args[2]));
else await main();
