// A panic in the Worker is logged as one JSON line, in the format of the
// request lines, with the id of the request whose work panicked — not
// workers-rs' own multi-line report with the panic's full text — and the
// Worker answers the next request. Runs the Worker's test build
// (`cargo xtask build worker-test`, which `cargo xtask test` runs first:
// build/test-panic/), where a request with an `X-Enlist-Test-Panic: <ms>`
// header logs `{"msg":"test-panic","request_id"}`, waits that long, then
// panics. No release build has that header.
// Run: node --test tests/worker/
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, startWorker } from "./serve.mjs";

const SCRIPT = join(ROOT, "build/test-panic/index.js");

let worker;
const logs = [];

/** The log lines that are JSON objects, parsed, with their level. */
const lines = () =>
  logs.flatMap(({ level, message }) => {
    try {
      const line = JSON.parse(message);
      return line && typeof line === "object" ? [{ level, line }] : [];
    } catch {
      return [];
    }
  });

before(async () => {
  worker = await startWorker({ scriptPath: SCRIPT, onLog: (entry) => logs.push(entry) });
});
after(async () => {
  await worker?.dispose();
});

test("a panic is one JSON line with the id of the request that panicked", async () => {
  const panicking = fetch(`${worker.url}/v1/health`, { headers: { "x-enlist-test-panic": "200" } });
  // Requests that run while the panicking one waits.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const others = await Promise.all([1, 2, 3].map(() => fetch(`${worker.url}/v1/health`)));
  assert.deepEqual(
    others.map((r) => r.status),
    [200, 200, 200],
  );
  const failed = await panicking;
  assert.equal(failed.status, 500);
  await failed.arrayBuffer();

  const all = lines();
  const marked = all.filter(({ line }) => line.msg === "test-panic");
  assert.equal(marked.length, 1, JSON.stringify(all));
  const panics = all.filter(({ line }) => line.msg === "panic");
  assert.equal(panics.length, 1, JSON.stringify(logs));
  const [{ level, line }] = panics;
  assert.equal(level, "error");
  assert.equal(line.level, "error");
  assert.equal(line.request_id, marked[0].line.request_id);
  assert.match(line.request_id, /^[0-9a-f]{26}$/);
  assert.match(line.location, /^crates\/enlist-worker\/src\/lib\.rs:\d+:\d+$/);
  assert.equal(line.message, "a panic on purpose (test-panic feature)");
  // The other requests logged their own ids.
  const served = all.filter(({ line }) => line.route === "/v1/health").map(({ line }) => line.request_id);
  assert.equal(served.length, 3);
  assert.ok(!served.includes(line.request_id));
  // workers-rs' own report of the panic (its text after "Rust panic:") is
  // not written.
  assert.ok(!logs.some(({ message }) => message.includes("Rust panic")), JSON.stringify(logs));
});

test("the Worker answers after a panic", async () => {
  const res = await fetch(`${worker.url}/v1/health`);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, "ok");
});
