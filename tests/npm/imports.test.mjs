// The npm package's import jobs (`createImport`, `openImport` and the job
// handle) as a user gets them: the packed package, imported by name, against
// the real Worker in admin mode (Miniflare) and the mock providers. Needs the
// Worker built (`cargo xtask test` builds it before this step).
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { startUpstream } from "../mocks/upstream.mjs";
import { startWorker } from "../worker/serve.mjs";
import { packAndInstall } from "./pack.mjs";

const TOKENS = ["npm-imports-token-one", "npm-imports-token-two"];
const PASSWORD = "Zebra-Quartz-7!";

let pkg;
let enlist;
let up;
let worker;
let endpoint;
let n = 0;

before(async () => {
  pkg = packAndInstall("imports");
  enlist = await pkg.importEnlist();
  up = await startUpstream({ partooKey: "pk", pandadocKey: "dk" });
  worker = await startWorker({
    upstreams: { partoo: up.url, pandadoc: up.url },
    bindings: {
      PARTOO_API_KEY: "pk",
      PANDADOC_API_KEY: "dk",
      CLIENT_TOKENS: TOKENS.join(","),
      // Partoo unpaced, so that its jobs finish at once; PandaDoc at one
      // call a second, so that its jobs are still running when steered.
      PARTOO_RATE_PER_MINUTE: "0",
      PANDADOC_RATE_PER_MINUTE: "60",
      IMPORT_MAX_ACTIVE_JOBS: "20",
    },
    rateLimit: { limit: 100_000 },
  });
  endpoint = worker.url;
});

after(async () => {
  await worker?.dispose();
  await up?.close();
  pkg?.cleanup();
});

beforeEach(() => up.reset());

/**
 * A `fetch` that, as a browser's does, refuses to be called as a method
 * (with a `this` other than undefined or the global object).
 */
function strictFetch(url, init) {
  if (this !== undefined && this !== globalThis) throw new TypeError("Illegal invocation");
  return globalThis.fetch(url, init);
}
const options = (extra = {}) => ({ endpoint, token: TOKENS[0], fetch: strictFetch, ...extra });
const providerCalls = () => up.requests.filter((r) => r.method === "POST" && /\/user$|\/users$/.test(r.path));

/** `count` rows of a Partoo CSV with unique emails. */
function partooCsv(count) {
  const tag = `npm${++n}`;
  const lines = ["email,first_name,last_name,password"];
  for (let i = 0; i < count; i++) lines.push(`${tag}-${i}@example.com,Ada,Row${i},${PASSWORD}`);
  return `${lines.join("\n")}\n`;
}

/** `count` PandaDoc payloads with unique emails. */
function pandadocRows(count) {
  const tag = `npm${++n}`;
  return Array.from({ length: count }, (_, i) => ({
    user: { email: `${tag}-${i}@example.com`, first_name: "Ada", last_name: `Row${i}` },
    workspaces: [{ workspace_id: "Ab123", role: "Member" }],
    license: "Guest",
  }));
}

/** Rejects with an EnlistError of this kind and status. */
const enlistError = (kind, status) => (e) => {
  assert.equal(e.name, "EnlistError", String(e));
  assert.equal(e.kind, kind);
  assert.equal(e.status, status);
  assert.equal(e.result.kind, kind);
  return true;
};

describe("createImport", () => {
  test("starts a job from a CSV file, follows its events to the end, pages its rows and downloads its results", async () => {
    const job = await enlist.createImport("partoo", partooCsv(7), options({ idempotencyKey: `npm-key-${n}` }));
    assert.match(job.id, /^partoo-[0-9a-f]{32}$/);
    assert.equal(job.provider, "partoo");
    assert.equal(job.job.counts.total, 7);

    const seen = [];
    for await (const j of job.events()) seen.push(j);
    assert.ok(seen.length >= 1);
    const last = seen.at(-1);
    assert.equal(last.status, "done");
    assert.deepEqual(last.counts, { total: 7, pending: 0, created: 7, already_exists: 0, invalid: 0, refused: 0, failed: 0 });
    assert.equal(job.job, last, "the handle keeps the last job read");
    assert.ok(seen.every((j) => j.id === job.id));
    assert.equal(providerCalls().length, 7);

    // Pages of 3: 3 + 3 + 1, linked by `next`.
    const first = await job.rows({ limit: 3 });
    assert.deepEqual(first.rows.map((r) => r.row), [0, 1, 2]);
    assert.equal(typeof first.next, "string");
    const second = await job.rows({ limit: 3, cursor: first.next });
    assert.deepEqual(second.rows.map((r) => r.row), [3, 4, 5]);
    const all = [];
    for await (const row of job.allRows({ limit: 3 })) all.push(row);
    assert.deepEqual(all.map((r) => r.row), [0, 1, 2, 3, 4, 5, 6]);
    assert.ok(all.every((r) => r.status === "created" && typeof r.id === "string" && Array.isArray(r.errors)));
    assert.deepEqual((await job.rows({ status: "failed" })).rows, []);

    const csv = await job.results();
    const lines = csv.trim().split(/\r?\n/);
    assert.equal(lines.length, 8);
    assert.match(lines[0], /^email,first_name,last_name,password,status,id,errors$/);
    assert.ok(lines.slice(1).every((l) => l.includes(",created,")), csv);
    assert.ok(!csv.includes(PASSWORD), "no password in the results");

    // The same key gives the same job back.
    const again = await enlist.createImport("partoo", partooCsv(2), options({ idempotencyKey: `npm-key-${n - 1}` }));
    assert.equal(again.id, job.id);
  });

  test("takes an array of payloads; invalid rows are reported, not sent", async () => {
    const rows = [
      { email: "arr-1@example.com", first_name: "A", last_name: "B" },
      { email: "nope", first_name: "A" },
    ];
    const job = await enlist.createImport("partoo", rows, options());
    let last;
    for await (const j of job.events()) last = j;
    assert.deepEqual([last.counts.created, last.counts.invalid], [1, 1]);
    const [bad] = (await job.rows({ status: "invalid" })).rows;
    assert.equal(bad.row, 1);
    assert.deepEqual(bad.errors.map((e) => e.code).sort(), ["email", "required"]);
    assert.ok(bad.errors.every((e) => typeof e.path === "string" && typeof e.message === "string"));
    assert.equal(providerCalls().length, 1);
  });

  test("a dry run answers the per-row report and creates nothing", async () => {
    const csv = "email,first_name,last_name,role\nok@example.com,A,B,\nbad,A,B,\nr@example.com,A,B,PROVIDER\n";
    const report = await enlist.createImport("partoo", csv, options({ dryRun: true }));
    assert.equal(report.dry_run, true);
    assert.deepEqual(report.counts, { total: 3, pending: 1, invalid: 2, refused: 0 });
    assert.deepEqual(report.rows.map((r) => [r.row, r.status, r.errors[0].code]), [
      [1, "invalid", "email"],
      [2, "invalid", "enum"],
    ]);
    assert.equal(up.requests.length, 0);
  });

  test("the provider's options go with every row's call", async () => {
    const job = await enlist.createImport("pandadoc", pandadocRows(2), options({ notifyUser: true, notifyWorkspaceAdmins: false }));
    let last;
    for await (const j of job.events()) last = j;
    assert.equal(last.counts.created, 2, JSON.stringify(last));
    assert.deepEqual(
      providerCalls().map((r) => r.query),
      [
        { notify_user: "true", notify_ws_admins: "false" },
        { notify_user: "true", notify_ws_admins: "false" },
      ],
    );
    await assert.rejects(enlist.createImport("pandadoc", pandadocRows(1), options({ notifyUser: "yes" })), {
      name: "TypeError",
      message: "enlist: options.notifyUser must be true, false or null.",
    });
  });

  test("a misspelt or wrongly typed option is a TypeError naming it, before anything is sent", async () => {
    let calls = 0;
    const fetch = (...args) => {
      calls++;
      return globalThis.fetch(...args);
    };
    const csv = partooCsv(1);
    await assert.rejects(enlist.createImport("partoo", csv, options({ dryrun: true, fetch })), {
      name: "TypeError",
      message: "enlist: options.dryrun is not a createImport option for Partoo (did you mean options.dryRun?).",
    });
    await assert.rejects(enlist.createImport("partoo", csv, options({ dryRun: "yes", fetch })), {
      name: "TypeError",
      message: "enlist: options.dryRun must be true, false or null.",
    });
    await assert.rejects(enlist.createImport("partoo", csv, options({ idempotencyKey: "two words", fetch })), {
      name: "TypeError",
      message: /options\.idempotencyKey must be a string of 1 to 255 visible ASCII characters/,
    });
    await assert.rejects(enlist.createImport("partoo", csv, options({ notifyUser: true, fetch })), /options\.notifyUser is not a createImport option/);
    await assert.rejects(enlist.createImport("partoo", csv, { token: TOKENS[0], fetch }), /createImport needs options\.endpoint/);
    await assert.rejects(enlist.createImport("partoo", csv), { name: "TypeError" });
    await assert.rejects(enlist.createImport("nope", csv, options({ fetch })), /unknown provider "nope"/);
    await assert.rejects(enlist.createImport("partoo", 42, options({ fetch })), /createImport needs the rows/);
    await assert.rejects(enlist.createImport("partoo", [{ email: "a@example.com", org_id: () => 1 }], options({ fetch })), {
      name: "TypeError",
      message: "enlist: createImport rows/0/org_id: functions are not JSON values",
    });
    await assert.rejects(enlist.openImport("partoo-x", { endpoint, tokn: TOKENS[0], fetch }), {
      name: "TypeError",
      message: "enlist: options.tokn is not an openImport option (did you mean options.token?).",
    });
    await assert.rejects(enlist.openImport(7, { endpoint, fetch }), /openImport needs the id/);
    assert.equal(calls, 0);
    assert.equal(up.requests.length, 0);
  });

  test("problems from the proxy reject with the kinds createUser gives", async () => {
    await assert.rejects(enlist.createImport("partoo", partooCsv(1), options({ token: "not-a-token" })), enlistError("unauthorized", 401));
    await assert.rejects(enlist.createImport("partoo", "email\n\"unterminated\n", options()), (e) => {
      assert.ok(enlistError("bad_request", 400)(e));
      assert.match(e.result.type, /invalid_csv$/);
      return true;
    });
    await assert.rejects(enlist.createImport("partoo", partooCsv(1), { endpoint: "http://127.0.0.1:9", token: TOKENS[0] }), (e) => {
      assert.ok(enlistError("network", 0)(e));
      assert.equal(e.retryable, true);
      assert.ok(e.cause);
      return true;
    });
    assert.equal(providerCalls().length, 0);
  });
});

describe("openImport and steering", () => {
  test("reattaches to a job; another token's job is not_found", async () => {
    const job = await enlist.createImport("partoo", partooCsv(2), options());
    const again = await enlist.openImport(job.id, options());
    assert.equal(again.id, job.id);
    assert.equal(again.provider, "partoo");
    assert.equal(again.job.counts.total, 2);
    assert.equal((await again.status()).id, job.id);
    await assert.rejects(enlist.openImport(job.id, options({ token: TOKENS[1] })), enlistError("not_found", 404));
    await assert.rejects(enlist.openImport(`partoo-${"0".repeat(32)}`, options()), enlistError("not_found", 404));
  });

  test("pause, resume and cancel a running job; an action that does not apply is import_state", async () => {
    const job = await enlist.createImport("pandadoc", pandadocRows(30), options());
    const paused = await job.pause();
    assert.equal(paused.status, "paused");
    assert.equal(paused.reason, "requested");
    assert.equal(job.job, paused);
    const held = providerCalls().length;
    assert.ok(held < 30);
    assert.equal((await job.status()).status, "paused");
    const resumed = await job.resume();
    assert.ok(["running", "queued"].includes(resumed.status), resumed.status);
    // Resuming a job that is not paused does not apply.
    await assert.rejects(job.resume(), (e) => {
      assert.ok(enlistError("bad_request", 409)(e));
      assert.match(e.result.type, /import_state$/);
      return true;
    });
    const cancelled = await job.cancel();
    assert.equal(cancelled.status, "cancelled");
    assert.ok(cancelled.counts.pending > 0, "rows left unsent");
    // The event stream of a finished job ends at once with it.
    const seen = [];
    for await (const j of job.events()) seen.push(j.status);
    assert.equal(seen.at(-1), "cancelled");
    await assert.rejects(job.retry(), enlistError("bad_request", 409));
  });

  test("events() opens a dropped stream again and follows the job to its end", async () => {
    let cut = 0;
    // The first event stream is cut after its first chunk.
    const fetch = async (url, init) => {
      const response = await globalThis.fetch(url, init);
      if (!String(url).endsWith("/events") || cut++ > 0) return response;
      const reader = response.body.getReader();
      const { value } = await reader.read();
      await reader.cancel();
      const body = new ReadableStream({
        start(c) {
          c.enqueue(value);
          c.close();
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const job = await enlist.createImport("pandadoc", pandadocRows(3), options({ fetch }));
    const seen = [];
    for await (const j of job.events()) seen.push(j);
    assert.equal(cut, 2, "the stream was opened twice");
    assert.equal(seen.at(-1).status, "done");
    assert.equal(seen.at(-1).counts.created, 3);
  });
});
