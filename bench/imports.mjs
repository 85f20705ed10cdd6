// Import jobs: throughput and cost per row, and the pace.
//
//   node bench/imports.mjs [--sizes 1000,10000,50000] [--pace-rows 700] [--no-pace]
//
// 1. Unpaced (`PARTOO_RATE_PER_MINUTE=0`, 8 calls in flight) against the
//    local mock upstream, one job per size: the submit time (POST until the
//    202), rows per second from the 202 to `done`, workerd's CPU time per
//    row (user + system time of the workerd processes, which run the Worker
//    and its Durable Objects, over the whole job), and storage bytes per row
//    (the runner's SQLite files on disk when the job is done). Per-row costs
//    should stay flat as jobs grow.
// 2. Partoo's default pace: one job of `--pace-rows` rows; the upstream
//    arrival rate over the run and the most calls in any 60-second window.
//
// Needs the Worker built (`cargo xtask bench imports` builds it).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startUpstream } from "../tests/mocks/upstream.mjs";
import { startWorker } from "../tests/worker/serve.mjs";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const SIZES = opt("sizes", "1000,10000,50000").split(",").map(Number);
const PACE_ROWS = Number(opt("pace-rows", "700"));
const TOKEN = "bench-token";
const auth = { authorization: `Bearer ${TOKEN}` };
const CLK_TCK = 100;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) of the workerd processes started by this
 * process (its descendants only: other workerd processes on the machine,
 * such as a test run beside the benchmark, are not counted). */
function workerdCpu() {
  const procs = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      procs.set(Number(name), { comm, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended.
    }
  }
  const mine = (pid) => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      if (p === process.pid) return true;
      p = procs.get(p)?.ppid ?? 0;
    }
    return false;
  };
  let ticks = 0;
  for (const [pid, p] of procs) if (p.comm.startsWith("workerd") && mine(pid)) ticks += p.ticks;
  return ticks / CLK_TCK;
}

function bytesUnder(dir) {
  return readdirSync(dir).reduce((sum, name) => {
    const path = join(dir, name);
    const s = statSync(path);
    return sum + (s.isDirectory() ? bytesUnder(path) : s.size);
  }, 0);
}

function csv(rows, tag) {
  const lines = ["email,first_name,last_name,role,lang"];
  for (let i = 0; i < rows; i++) lines.push(`${tag}-${i}@example.com,Ada,Lovelace${i},BUSINESS_MANAGER,en`);
  return lines.join("\n");
}

async function waitDone(url, id, every = 200) {
  for (;;) {
    const res = await fetch(`${url}/v1/imports/${id}`, { headers: auth });
    const view = await res.json();
    if (view.status === "done" || view.status === "cancelled") return view;
    await sleep(every);
  }
}

async function unpaced() {
  console.log("## Unpaced (PARTOO_RATE_PER_MINUTE=0, IMPORT_MAX_IN_FLIGHT=8), local mock upstream\n");
  console.log("| rows | submit | rows/s | workerd CPU per row | storage per row (all files) | already_exists (resent after a timeout) |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: |");
  const stored = [];
  for (const size of SIZES) {
    const up = await startUpstream({ partooKey: "pk" });
    const persist = mkdtempSync(join(tmpdir(), "enlist-bench-imports-"));
    // Request lines are dropped; an error line (a panic, a failed alarm)
    // means the figures are not of a healthy run, and ends it.
    const errors = [];
    const w = await startWorker({
      persist,
      upstreams: { partoo: up.url },
      bindings: { PARTOO_API_KEY: "pk", CLIENT_TOKENS: TOKEN, PARTOO_RATE_PER_MINUTE: "0", IMPORT_MAX_IN_FLIGHT: "8" },
      rateLimit: { limit: 100_000 },
      onLog: ({ level, message }) => {
        if (level === "error") errors.push(message);
      },
    });
    try {
      // A small job first: compiling the isolates and creating the tables
      // is not a per-row cost.
      const warm = await fetch(`${w.url}/v1/partoo/imports`, { method: "POST", body: csv(5, `w${size}`), headers: { ...auth, "content-type": "text/csv" } });
      await waitDone(w.url, (await warm.json()).id, 50);
      const base = bytesUnder(persist);
      const body = csv(size, `s${size}`);
      const cpu0 = workerdCpu();
      const t0 = performance.now();
      const res = await fetch(`${w.url}/v1/partoo/imports`, { method: "POST", body, headers: { ...auth, "content-type": "text/csv" } });
      const job = await res.json();
      const t1 = performance.now();
      if (res.status !== 202) throw new Error(`${res.status} ${JSON.stringify(job)}`);
      const view = await waitDone(w.url, job.id, size > 10_000 ? 1_000 : 200);
      const t2 = performance.now();
      const cpu = workerdCpu() - cpu0;
      // A row whose call timed out is sent once more and may then be
      // `already_exists` (docs/imports.md, "Exactly once"); anything else
      // ends the run.
      if (view.counts.created + view.counts.already_exists !== size) {
        // Say what the other rows became, with a sample of their outcomes.
        const others = await fetch(`${w.url}/v1/imports/${job.id}/rows?limit=20&status=failed`, { headers: auth });
        const sample = others.ok ? JSON.stringify((await others.json()).rows) : `rows: ${others.status}`;
        throw new Error(`created or already existing: ${view.counts.created + view.counts.already_exists} of ${size}: ${JSON.stringify(view)}\nfailed rows: ${sample}`);
      }
      if (errors.length > 0) throw new Error(`the Worker logged ${errors.length} error(s) during the job:\n${errors.slice(0, 5).join("\n")}`);
      const storage = bytesUnder(persist) - base;
      stored.push([size, storage]);
      console.log(
        `| ${size.toLocaleString("en")} | ${((t1 - t0) / 1000).toFixed(2)} s | ${(size / ((t2 - t1) / 1000)).toFixed(0)} | ${((cpu / size) * 1e6).toFixed(0)} µs | ${(storage / size).toFixed(0)} B | ${view.counts.already_exists} |`,
      );
    } finally {
      await w.dispose();
      await up.close();
      rmSync(persist, { recursive: true, force: true });
    }
  }
  // The slope between the smallest and the largest job: what one more row
  // costs on disk, fixed overheads (pre-allocated log pages) aside.
  if (stored.length > 1) {
    const [[a, sa], [b, sb]] = [stored[0], stored.at(-1)];
    console.log(`\nmarginal storage per row (${a.toLocaleString("en")} → ${b.toLocaleString("en")} rows): ${((sb - sa) / (b - a)).toFixed(0)} B`);
  }
}

async function paced() {
  console.log(`\n## Partoo's default pace (300 a minute), ${PACE_ROWS} rows\n`);
  const up = await startUpstream({ partooKey: "pk" });
  const w = await startWorker({
    upstreams: { partoo: up.url },
    bindings: { PARTOO_API_KEY: "pk", CLIENT_TOKENS: TOKEN },
    rateLimit: { limit: 100_000 },
    onLog: () => {},
  });
  try {
    const res = await fetch(`${w.url}/v1/partoo/imports`, { method: "POST", body: csv(PACE_ROWS, "pace"), headers: { ...auth, "content-type": "text/csv" } });
    const job = await res.json();
    await waitDone(w.url, job.id, 1_000);
    const times = up.requests.map((r) => r.time).sort((a, b) => a - b);
    const span = (times.at(-1) - times[0]) / 60_000;
    const rate = (times.length - 1) / span;
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= 60_000) j++;
      most = Math.max(most, i - j + 1);
    }
    const gaps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
    console.log(`calls: ${times.length} over ${(span * 60).toFixed(1)} s`);
    console.log(`arrival rate: ${rate.toFixed(1)} a minute (${((rate / 300 - 1) * 100).toFixed(2)} % against 300)`);
    console.log(`most calls in any 60-second window: ${most}`);
    console.log(`gap between calls: min ${gaps[0]} ms, median ${gaps[gaps.length >> 1]} ms, max ${gaps.at(-1)} ms`);
  } finally {
    await w.dispose();
    await up.close();
  }
}

await unpaced();
if (!args.includes("--no-pace")) await paced();
