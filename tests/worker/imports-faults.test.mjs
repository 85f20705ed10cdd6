// Import jobs when the runner itself fails mid-job, with calls in flight:
// a loop that returns an error, and a panic that resets the isolate in the
// middle of an alarm. Either way every row ends created or already_exists,
// none is created twice, and the job does not wait for an alarm that never
// comes. Runs the Worker's test build (build/test-panic/, which
// `cargo xtask test` builds first), where `TEST_IMPORT_FAULT=error@N` or
// `panic@N` makes the runner fail once, as it is about to record its N-th
// outcome. No release build reads that variable.
// Run: node --test tests/worker/
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startUpstream } from "../mocks/upstream.mjs";
import { startProxy } from "./helpers.mjs";
import { ROOT } from "./serve.mjs";

const SCRIPT = join(ROOT, "build/test-panic/index.js");
const TOKEN = "imports-fault-token";
const auth = { authorization: `Bearer ${TOKEN}` };
const ROWS = 400;
const IN_FLIGHT = 8;
let up;

before(async () => {
  up = await startUpstream({ partooKey: "pk" });
});
after(async () => {
  await up?.close();
});
beforeEach(() => up.reset());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const providerCalls = () => up.requests.filter((r) => r.path.endsWith("/user"));

function csv(tag) {
  const lines = ["email,first_name,last_name"];
  for (let i = 0; i < ROWS; i++) lines.push(`${tag}-${i}@example.com,Ada,Row${i}`);
  return lines.join("\n");
}

/** Runs one job with the fault; returns its final view, its rows and the Worker's log lines. */
async function runWithFault(fault, tag) {
  const w = await startProxy({
    scriptPath: SCRIPT,
    upstreams: { partoo: up.url },
    bindings: {
      PARTOO_API_KEY: "pk",
      CLIENT_TOKENS: TOKEN,
      PARTOO_RATE_PER_MINUTE: "0",
      IMPORT_MAX_IN_FLIGHT: String(IN_FLIGHT),
      // A short upstream timeout keeps the alarm's deadline short (its run,
      // 10 s, plus this, plus 5 s): the panic test waits for it.
      UPSTREAM_TIMEOUT_MS: "2000",
      TEST_IMPORT_FAULT: fault,
    },
    rateLimit: { limit: 100_000 },
  });
  try {
    const res = await w.call("/v1/partoo/imports", { method: "POST", body: csv(tag), headers: { ...auth, "content-type": "text/csv" } });
    assert.equal(res.status, 202, res.text);
    const id = res.body.id;
    const end = Date.now() + 60_000;
    let view;
    while (Date.now() < end) {
      view = (await w.call(`/v1/imports/${id}`, { headers: auth })).body;
      if (view.status === "done") break;
      await sleep(200);
    }
    assert.equal(view.status, "done", `the job did not finish in 60 s: ${JSON.stringify(view)}`);
    const rows = [];
    let cursor;
    do {
      const page = await w.call(`/v1/imports/${id}/rows?limit=500${cursor !== undefined ? `&cursor=${cursor}` : ""}`, { headers: auth });
      assert.equal(page.status, 200, page.text);
      rows.push(...page.body.rows);
      cursor = page.body.next ?? undefined;
    } while (cursor !== undefined);
    return { view, rows, lines: w.lines() };
  } finally {
    await w.dispose();
  }
}

/** Exactly once: every row reached the provider, none was created twice, and
 * only the calls whose outcome the fault lost were sent again. */
function assertExactlyOnce({ view, rows }) {
  assert.equal(view.counts.failed, 0, JSON.stringify(view.counts));
  assert.equal(view.counts.created + view.counts.already_exists, ROWS, JSON.stringify(view.counts));
  const emails = providerCalls().map((r) => JSON.parse(r.body).email);
  assert.equal(new Set(emails).size, ROWS, "every row reached the provider");
  const again = emails.length - ROWS;
  assert.ok(again >= 1, "the call whose outcome was being recorded is sent again");
  assert.ok(again <= IN_FLIGHT, `${again} rows sent twice: at most the ${IN_FLIGHT} in flight at the fault`);
  assert.equal(view.counts.already_exists, again, "each row sent again is found, not created twice");
  const found = rows.filter((r) => r.status === "already_exists");
  assert.ok(found.every((r) => /answer that never came/.test(r.note ?? "")), JSON.stringify(found));
}

test("a runner loop that fails mid-job reloads from storage and sends the rows in flight once more", async () => {
  const run = await runWithFault("error@100", "error");
  assertExactlyOnce(run);
  const logged = run.lines.filter((l) => l.msg === "background_error");
  assert.deepEqual(logged, [{ level: "error", msg: "background_error", task: "import_runner", kind: "internal_rust_error" }]);
});

test("a panic mid-alarm resets the isolate; the alarm fails at its deadline and the job finishes, exactly once", async () => {
  // Without the deadline the alarm's promise never settles and no later
  // alarm runs: the job would stay `running` with 100 rows created.
  const run = await runWithFault("panic@100", "panic");
  assertExactlyOnce(run);
  assert.equal(run.lines.filter((l) => l.msg === "panic").length, 1);
});
