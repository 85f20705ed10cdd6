// The Worker's start hook (`start` in crates/enlist-worker/src/lib.rs) makes
// js-sys's task queue wake its tasks with a promise's `then` instead of the
// global `queueMicrotask`, which costs more per call in workerd
// (docs/benchmarks.md, "Worker"), and puts the global back. This checks both
// on a copy of the built bundle whose wasm-bindgen glue counts the calls of
// its `queueMicrotask` import and adds what it sees to each log line: no call
// over several proxied requests, and the global still a function. Should a
// wasm-bindgen upgrade change how the queue decides, this fails instead of
// the Worker silently getting slower.
// Needs the Worker built (`cargo xtask build`; `cargo xtask test` does it).
// Run: node --test tests/worker/
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startUpstream } from "../mocks/upstream.mjs";
import { ROOT, SCRIPT_PATH, WASM_PATH, startWorker } from "./serve.mjs";

const PARTOO_KEY = "microtasks-partoo-key";
const REQUESTS = 5;

let dir;
let up;
let worker;
const lines = [];

/** The glue with its queueMicrotask import counted and the count appended to log lines. */
function instrument(glue) {
  const queue = /(__wbg_queueMicrotask_[0-9a-f]+):function\((\w)\)\{queueMicrotask\(\2\)\}/;
  const log = /(__wbg_log_[0-9a-f]+):function\((\w)\)\{console\.log\(\2\)\}/;
  assert.match(glue, queue, "the glue's queueMicrotask import has a new shape: update this test");
  assert.match(glue, log, "the glue's console.log import has a new shape: update this test");
  return glue
    .replace(queue, (_, name, e) => `${name}:function(${e}){globalThis.__enlistQueued=(globalThis.__enlistQueued|0)+1;queueMicrotask(${e})}`)
    .replace(
      log,
      (_, name, e) =>
        `${name}:function(${e}){console.log(JSON.stringify({line:JSON.parse(${e}),queued:globalThis.__enlistQueued|0,queueMicrotask:typeof queueMicrotask}))}`,
    );
}

before(async () => {
  // Inside the repository (tests/.tmp is git-ignored): workerd resolves the
  // Worker's modules below the working directory only.
  mkdirSync(join(ROOT, "tests/.tmp"), { recursive: true });
  dir = mkdtempSync(join(ROOT, "tests/.tmp/microtasks-"));
  writeFileSync(join(dir, "index.js"), instrument(readFileSync(SCRIPT_PATH, "utf8")));
  copyFileSync(WASM_PATH, join(dir, "index_bg.wasm"));
  up = await startUpstream({ partooKey: PARTOO_KEY });
  worker = await startWorker({
    scriptPath: join(dir, "index.js"),
    bindings: { PARTOO_API_KEY: PARTOO_KEY },
    upstreams: { partoo: up.url },
    onLog: ({ message }) => lines.push(message),
  });
});
after(async () => {
  await worker?.dispose();
  await up?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("proxied requests never call queueMicrotask, and the global is left in place", async () => {
  for (let i = 0; i < REQUESTS; i++) {
    const res = await fetch(`${worker.url}/v1/partoo/users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: `micro${i}@example.com`, first_name: "Ada", last_name: "Lovelace" }),
    });
    assert.equal(res.status, 201, await res.text());
  }
  // Log lines arrive through Miniflare's pipe, a little after the answers.
  for (let waited = 0; lines.length < REQUESTS && waited < 5000; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const entries = lines.map((l) => JSON.parse(l)).filter((e) => e.line?.route === "/v1/{provider}/users");
  assert.equal(entries.length, REQUESTS, lines.join("\n"));
  for (const e of entries) {
    assert.equal(e.line.status, 201);
    assert.equal(e.queued, 0, "the task queue used queueMicrotask");
    assert.equal(e.queueMicrotask, "function", "the global queueMicrotask was not put back");
  }
});
