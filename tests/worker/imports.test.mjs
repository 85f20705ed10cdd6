// Import jobs end to end: the Worker (admin mode) and its ImportRunner
// Durable Object in Miniflare, against the mock upstream. Exactly once per
// row through faults and a restart, pacing, pause/cancel, dry runs, invalid
// rows, ownership, passwords at rest, results.csv and the event stream.
// Needs the Worker built (`cargo xtask test` builds it).
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startUpstream } from "../mocks/upstream.mjs";
import { startProxy } from "./helpers.mjs";

const TOKENS = ["imports-token-one", "imports-token-two"];
const auth = (i = 0) => ({ authorization: `Bearer ${TOKENS[i]}` });
const PASSWORD = "Zebra-Quartz-7!";
let up;
let n = 0;

before(async () => {
  up = await startUpstream({ partooKey: "pk", pandadocKey: "dk" });
});
after(async () => {
  await up?.close();
});
beforeEach(() => up.reset());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** `count` rows of a Partoo CSV with unique emails (`tag` keeps files apart). */
function partooCsv(count, { tag = `t${++n}`, extra = () => [] } = {}) {
  const lines = ["email,first_name,last_name,password"];
  for (let i = 0; i < count; i++) lines.push([`${tag}-${i}@example.com`, "Ada", `Row${i}`, PASSWORD, ...extra(i)].join(","));
  return lines.join("\n");
}
const start = (w, body, { token = 0, query = "", headers = {}, type = "text/csv" } = {}) =>
  w.call(`/v1/partoo/imports${query}`, { method: "POST", body, headers: { ...auth(token), "content-type": type, ...headers } });
const job = (w, id, token = 0) => w.call(`/v1/imports/${id}`, { headers: auth(token) });
const act = (w, id, action, token = 0) => w.call(`/v1/imports/${id}/${action}`, { method: "POST", headers: auth(token) });
const providerCalls = () => up.requests.filter((r) => r.path.endsWith("/user"));

/** Polls the job until `done(view)` or the deadline; returns the last view. */
async function until(w, id, done, { timeoutMs = 30_000, every = 100 } = {}) {
  const end = Date.now() + timeoutMs;
  let view;
  while (Date.now() < end) {
    view = (await job(w, id)).body;
    if (done(view)) return view;
    await sleep(every);
  }
  assert.fail(`job ${id} did not get there in ${timeoutMs} ms: ${JSON.stringify(view)}`);
}
const finished = (v) => v.status === "done" || v.status === "cancelled";

async function allRows(w, id, query = "") {
  const rows = [];
  let cursor;
  do {
    const q = [query, cursor !== undefined ? `cursor=${cursor}` : "", "limit=500"].filter(Boolean).join("&");
    const page = await w.call(`/v1/imports/${id}/rows?${q}`, { headers: auth() });
    assert.equal(page.status, 200, page.text);
    rows.push(...page.body.rows);
    cursor = page.body.next ?? undefined;
  } while (cursor !== undefined);
  return rows;
}

function admin(bindings = {}, options = {}) {
  return startProxy({
    upstreams: { partoo: up.url, pandadoc: up.url },
    bindings: { PARTOO_API_KEY: "pk", PANDADOC_API_KEY: "dk", CLIENT_TOKENS: TOKENS.join(","), ...bindings },
    rateLimit: { limit: 100_000 },
    ...options,
  });
}

test("public mode: the import routes do not exist", async () => {
  const pub = await startProxy({ upstreams: { partoo: up.url }, bindings: { PARTOO_API_KEY: "pk" }, rateLimit: { limit: 100_000 } });
  try {
    assert.equal((await pub.call("/v1/partoo/imports", { method: "POST", body: partooCsv(1), headers: { "content-type": "text/csv" } })).status, 404);
    assert.equal((await pub.call("/v1/imports")).status, 404);
    assert.equal((await pub.call(`/v1/imports/partoo-${"a".repeat(32)}`)).status, 404);
    assert.equal(providerCalls().length, 0);
  } finally {
    await pub.dispose();
  }
});

describe("unpaced", () => {
  let w;
  before(async () => {
    w = await admin({ PARTOO_RATE_PER_MINUTE: "0", IMPORT_MAX_IN_FLIGHT: "8", UPSTREAM_TIMEOUT_MS: "300", IMPORT_MAX_ACTIVE_JOBS: "20" });
  });
  after(() => w?.dispose());

  test("a 1,000-row job creates exactly 1,000 users", async () => {
    const res = await start(w, partooCsv(1_000));
    assert.equal(res.status, 202, res.text);
    assert.equal(res.headers.get("location"), `/v1/imports/${res.body.id}`);
    assert.match(res.body.id, /^partoo-[0-9a-f]{32}$/);
    const view = await until(w, res.body.id, finished, { timeoutMs: 120_000, every: 250 });
    assert.equal(view.status, "done");
    assert.deepEqual(view.counts, { total: 1000, pending: 0, created: 1000, already_exists: 0, invalid: 0, refused: 0, failed: 0 });
    assert.equal(providerCalls().length, 1000, "one call per row");
    const emails = new Set(providerCalls().map((r) => JSON.parse(r.body).email));
    assert.equal(emails.size, 1000, "no row sent twice");
    const rows = await allRows(w, res.body.id);
    assert.equal(rows.length, 1000);
    assert.ok(rows.every((r, i) => r.row === i && r.status === "created" && /^[0-9a-f]{24}$/.test(r.id)));
  });

  test("429s, 500s, answers past the timeout and resets: every row created or already_exists, none twice", async () => {
    // Faults for the first calls, spread so that no row fails four times.
    up.script([
      { status: 429, body: { errors: {} }, headers: { "Retry-After": "1" } },
      { status: 500, body: { message: "boom" } },
      { delayMs: 700 }, // created, answered after the 300 ms timeout
      {},
      { resetAfterHeaders: true }, // created, answer cut off
      { hangMs: 600 }, // never arrives at the provider logic
      { status: 502, body: "<html>bad gateway</html>", contentType: "text/html" },
      {},
      { delayMs: 700 },
      { status: 429, body: { errors: {} }, headers: { "Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT" } }, // a date in the past: the shortest wait
    ]);
    const res = await start(w, partooCsv(40));
    const view = await until(w, res.body.id, finished, { timeoutMs: 90_000, every: 200 });
    assert.equal(view.status, "done", JSON.stringify(view));
    assert.equal(view.counts.failed, 0, JSON.stringify(view.counts));
    assert.equal(view.counts.created + view.counts.already_exists, 40);
    const rows = await allRows(w, res.body.id);
    // A row whose answer was lost was sent again and found: already_exists, with a note.
    const found = rows.filter((r) => r.status === "already_exists");
    assert.ok(found.length >= 1, "the late answers' rows are found on the second send");
    assert.ok(found.every((r) => /answer that never came/.test(r.note ?? "")), JSON.stringify(found));
    assert.ok(providerCalls().length > 40, "faulty calls were sent again");
    // One user per row at the provider (it refuses a second with the same
    // email), and each created row names a different one of them.
    const emails = new Set(providerCalls().map((c) => JSON.parse(c.body).email));
    assert.equal(emails.size, 40, "every row reached the provider");
    const userIds = new Set([...emails].map((e) => up.partooUser(e)?.id));
    assert.ok(!userIds.has(undefined), "each row's user exists at the provider");
    const createdIds = rows.filter((r) => r.status === "created").map((r) => r.id);
    assert.equal(new Set(createdIds).size, createdIds.length);
    assert.ok(createdIds.every((id) => userIds.has(id)), JSON.stringify(createdIds));
    const created = await w.call("/v1/imports", { headers: auth() });
    assert.equal(created.status, 200);
  });

  test("a dry run checks every row and creates nothing", async () => {
    const csv = ["email,first_name,last_name,role", "ok@example.com,A,B,", "bad,A,B,", "x@example.com,,B,", "ok@example.com,C,D,", "r@example.com,A,B,PROVIDER"].join("\n");
    const res = await start(w, csv, { query: "?dry_run=true" });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.counts, { total: 5, pending: 1, invalid: 4, refused: 0 });
    const byRow = Object.fromEntries(res.body.rows.map((r) => [r.row, r.errors.map((e) => `${e.path} ${e.code}`)]));
    assert.deepEqual(byRow[1], ["/email email"]);
    assert.deepEqual(byRow[2], ["/first_name required"]);
    assert.deepEqual(byRow[3], ["/email duplicate"]);
    assert.deepEqual(byRow[4], ["/role enum"]);
    assert.equal(providerCalls().length, 0);
    assert.equal((await w.call("/v1/imports", { headers: auth() })).body.jobs.filter((j) => j.counts.total === 5).length, 0);
  });

  test("invalid rows are reported and never sent; JSON uploads work like CSV", async () => {
    const rows = [
      { email: "j1@example.com", first_name: "A", last_name: "B" },
      { email: "nope", first_name: "A" },
      { email: "j3@example.com", first_name: "A", last_name: "B", nickname: "x" },
      { email: "J1@EXAMPLE.COM", first_name: "A", last_name: "B" },
    ];
    const res = await start(w, JSON.stringify({ rows }), { type: "application/json" });
    assert.equal(res.status, 202, res.text);
    const view = await until(w, res.body.id, finished);
    assert.deepEqual([view.counts.created, view.counts.invalid], [1, 3]);
    const invalid = await allRows(w, res.body.id, "status=invalid");
    assert.deepEqual(invalid.map((r) => r.row), [1, 2, 3]);
    assert.deepEqual(invalid[0].errors.map((e) => e.code).sort(), ["email", "required"]);
    assert.equal(invalid[1].errors[0].code, "unknown_field");
    assert.equal(invalid[2].errors[0].code, "duplicate");
    assert.equal(providerCalls().length, 1);
  });

  test("another token cannot see or steer the job; job ids are unguessable", async () => {
    const res = await start(w, partooCsv(2));
    const id = res.body.id;
    assert.equal((await job(w, id, 1)).status, 404);
    for (const action of ["pause", "resume", "cancel", "retry"]) assert.equal((await act(w, id, action, 1)).status, 404);
    assert.equal((await w.call(`/v1/imports/${id}/rows`, { headers: auth(1) })).status, 404);
    assert.equal((await w.call(`/v1/imports/${id}/results.csv`, { headers: auth(1) })).status, 404);
    const mine = (await w.call("/v1/imports", { headers: auth(1) })).body.jobs.map((j) => j.id);
    assert.ok(!mine.includes(id));
    assert.ok((await w.call("/v1/imports", { headers: auth(0) })).body.jobs.some((j) => j.id === id));
    assert.equal((await job(w, id, 0)).status, 200);
    assert.equal((await w.call(`/v1/imports/${id}`)).status, 401);
  });

  test("the same Idempotency-Key gives the first job back", async () => {
    const key = `imp-key-${n}`;
    const a = await start(w, partooCsv(2), { headers: { "idempotency-key": key } });
    const b = await start(w, partooCsv(3), { headers: { "idempotency-key": key } });
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    assert.equal(b.body.id, a.body.id);
    assert.equal(b.headers.get("idempotent-replayed"), "true");
    assert.equal(b.body.counts.total, 2);
    // Keys are per token.
    const c = await start(w, partooCsv(1), { token: 1, headers: { "idempotency-key": key } });
    assert.notEqual(c.body.id, a.body.id);
  });

  test("results.csv: the input's columns with the password blank, then status, id and errors", async () => {
    const csv = ["email,first_name,last_name,password", `rc1@example.com,Ada,"Love, lace",${PASSWORD}`, "bad,Ada,L,"].join("\n");
    const res = await start(w, csv);
    await until(w, res.body.id, finished);
    const file = await w.call(`/v1/imports/${res.body.id}/results.csv`, { headers: auth() });
    assert.equal(file.status, 200);
    assert.match(file.headers.get("content-type"), /^text\/csv/);
    assert.match(file.headers.get("content-disposition"), /attachment; filename="partoo-[0-9a-f]{32}-results\.csv"/);
    const lines = file.text.trimEnd().split("\r\n");
    assert.equal(lines[0], "email,first_name,last_name,password,status,id,errors");
    assert.match(lines[1], /^rc1@example\.com,Ada,"Love, lace",,created,[0-9a-f]{24},$/);
    assert.match(lines[2], /^bad,Ada,L,,invalid,,\/email email: /);
    assert.ok(!file.text.includes(PASSWORD));
  });

  test("events: progress as the job changes, then end", async () => {
    const res = await start(w, partooCsv(5));
    const events = await fetch(`${w.url}/v1/imports/${res.body.id}/events`, { headers: auth() });
    assert.equal(events.status, 200);
    assert.match(events.headers.get("content-type"), /^text\/event-stream/);
    const text = await events.text();
    const frames = text.split("\n\n").filter((f) => f.startsWith("event:"));
    assert.ok(frames.length >= 1);
    const last = frames.at(-1);
    assert.match(last, /^event: end\n/);
    const view = JSON.parse(last.split("\ndata: ")[1]);
    assert.equal(view.status, "done");
    assert.equal(view.counts.created, 5);
    for (const frame of frames.slice(0, -1)) assert.match(frame, /^event: progress\n/);
  });

  test("retry sends the failed rows again", async () => {
    up.script([{ status: 400, body: { errors: { json: { email: ["Not a valid email address."] } } } }]);
    const res = await start(w, partooCsv(3));
    const first = await until(w, res.body.id, finished);
    assert.equal(first.counts.failed, 1);
    const failed = await allRows(w, res.body.id, "status=failed");
    assert.equal(failed[0].errors[0].path, "/email");
    assert.equal((await act(w, res.body.id, "retry")).status, 200);
    const second = await until(w, res.body.id, finished);
    assert.deepEqual([second.counts.created, second.counts.failed], [3, 0]);
    assert.equal((await act(w, res.body.id, "retry")).status, 409, "nothing left to retry");
  });
});

test("one alarm sends more than 10,000 rows: each call's time limit ends with the call", async () => {
  // workerd allows 10,000 active timers per alarm run. A time limit that
  // outlived its call (AbortSignal.timeout) used them up near row 10,000
  // of one run, and the runner stopped there. With a ten-minute limit every
  // such timer of this run would still be active.
  const w = await admin({ PARTOO_RATE_PER_MINUTE: "0", IMPORT_MAX_IN_FLIGHT: "8", UPSTREAM_TIMEOUT_MS: "600000" });
  try {
    const rows = 12_000;
    const lines = ["email,first_name,last_name"];
    for (let i = 0; i < rows; i++) lines.push(`timers-${i}@example.com,Ada,Row${i}`);
    const res = await start(w, lines.join("\n"));
    assert.equal(res.status, 202, res.text);
    const view = await until(w, res.body.id, finished, { timeoutMs: 180_000, every: 1_000 });
    assert.equal(view.status, "done");
    assert.deepEqual(view.counts, { total: rows, pending: 0, created: rows, already_exists: 0, invalid: 0, refused: 0, failed: 0 });
    assert.equal(providerCalls().length, rows, "one call per row");
    assert.deepEqual(w.logs.filter((l) => l.level === "error"), []);
  } finally {
    await w.dispose();
  }
});

test("a job's query flags go with every row's call; a flag the provider lacks is refused", async () => {
  const w = await admin({ PANDADOC_RATE_PER_MINUTE: "0" });
  try {
    const rows = [0, 1, 2].map((i) => ({
      user: { email: `flags-${i}@example.com`, first_name: "Ada", last_name: `Row${i}` },
      workspaces: [{ workspace_id: "Ab123", role: "Member" }],
      license: "Guest",
    }));
    const res = await w.call("/v1/pandadoc/imports?notify_user=true&notify_ws_admins=false", {
      method: "POST",
      json: { rows },
      headers: auth(),
    });
    assert.equal(res.status, 202, res.text);
    const view = await until(w, res.body.id, finished);
    assert.equal(view.counts.created, 3, JSON.stringify(view));
    const calls = up.requests.filter((r) => r.path === "/public/v1/users");
    assert.equal(calls.length, 3);
    for (const c of calls) assert.deepEqual(c.query, { notify_user: "true", notify_ws_admins: "false" });

    // Partoo has no flags; a bad value is named; nothing is created.
    const before = up.requests.length;
    const partoo = await start(w, partooCsv(1), { query: "?notify_user=true" });
    assert.equal(partoo.status, 422, partoo.text);
    assert.deepEqual(partoo.body.errors.map((e) => [e.path, e.code]), [["", "unknown_field"]]);
    assert.match(partoo.body.errors[0].message, /takes: dry_run\.$/);
    const bad = await w.call("/v1/pandadoc/imports?notify_user=yes&dry_run=true", { method: "POST", json: { rows }, headers: auth() });
    assert.equal(bad.status, 422, bad.text);
    assert.deepEqual(bad.body.errors.map((e) => e.code), ["type"]);
    assert.equal(up.requests.length, before);
  } finally {
    await w.dispose();
  }
});

test("limits: too many rows is a 413; a token's active jobs are capped", async () => {
  const w = await admin({ IMPORT_MAX_ROWS: "3", IMPORT_MAX_ACTIVE_JOBS: "1", PARTOO_RATE_PER_MINUTE: "1" });
  try {
    const big = await start(w, partooCsv(4));
    assert.equal(big.status, 413, big.text);
    assert.match(big.body.detail, /at most 3 rows/);
    const first = await start(w, partooCsv(2));
    assert.equal(first.status, 202);
    const second = await start(w, partooCsv(1));
    assert.equal(second.status, 409);
    assert.equal(second.body.type, "urn:enlist:problem:too_many_imports");
    // Another token has its own allowance.
    assert.equal((await start(w, partooCsv(1), { token: 1 })).status, 202);
    assert.equal((await act(w, first.body.id, "cancel")).status, 200);
    assert.equal((await start(w, partooCsv(1))).status, 202, "a cancelled job no longer counts");
  } finally {
    await w.dispose();
  }
});

test("the pace: calls never come closer than the interval; pause and cancel stop sending within one", async () => {
  // 120 a minute: about 505 ms apart.
  const w = await admin({ PARTOO_RATE_PER_MINUTE: "120" });
  try {
    const res = await start(w, partooCsv(50));
    const id = res.body.id;
    while (providerCalls().length < 4) await sleep(50);
    assert.equal((await act(w, id, "pause")).status, 200);
    const atPause = providerCalls().length;
    await sleep(1_600);
    assert.ok(providerCalls().length <= atPause + 1, `${providerCalls().length - atPause} calls after the pause`);
    const paused = (await job(w, id)).body;
    assert.deepEqual([paused.status, paused.reason], ["paused", "requested"]);
    assert.equal(paused.eta_seconds, null);
    assert.equal((await act(w, id, "resume")).status, 200);
    const atResume = providerCalls().length;
    while (providerCalls().length < atResume + 2) await sleep(50);
    assert.equal((await act(w, id, "cancel")).status, 200);
    const atCancel = providerCalls().length;
    await sleep(1_600);
    assert.ok(providerCalls().length <= atCancel + 1);
    const view = await until(w, id, (v) => v.status === "cancelled" && v.counts.pending + v.counts.created === 50);
    assert.ok(view.counts.pending > 30, JSON.stringify(view.counts));
    const times = providerCalls().map((r) => r.time);
    for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 480, `calls ${times[i] - times[i - 1]} ms apart`);
  } finally {
    await w.dispose();
  }
});

test("single creates take their turn in the same pace as the jobs", async () => {
  const w = await admin({ PARTOO_RATE_PER_MINUTE: "120" });
  try {
    const res = await start(w, partooCsv(6));
    while (providerCalls().length < 1) await sleep(20);
    const singles = await Promise.all(
      [0, 1, 2].map((i) =>
        w.call("/v1/partoo/users", { method: "POST", json: { email: `single-${n}-${i}@example.com`, first_name: "A", last_name: "B" }, headers: auth() }),
      ),
    );
    assert.deepEqual(singles.map((r) => r.status), [201, 201, 201]);
    await until(w, res.body.id, finished);
    const calls = providerCalls();
    assert.equal(calls.length, 9);
    const times = calls.map((r) => r.time).sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 480, `calls ${times[i] - times[i - 1]} ms apart`);
    assert.ok(w.lines().some((l) => l.route === "/v1/{provider}/users" && l.notes?.includes("paced")));
  } finally {
    await w.dispose();
  }
});

test("a provider that refuses the key pauses the job after one call", async () => {
  const w = await admin({ PARTOO_API_KEY: "wrong-key" });
  try {
    const res = await start(w, partooCsv(10));
    const view = await until(w, res.body.id, (v) => v.status === "paused");
    assert.equal(view.reason, "upstream_unauthorized");
    assert.equal(view.counts.pending, 10);
    await sleep(500);
    assert.equal(providerCalls().length, 1);
  } finally {
    await w.dispose();
  }
});

/** Every file under `dir`, recursively. */
function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

test("a restart mid-job resumes and finishes exactly once; no password is left in storage", async () => {
  const persist = mkdtempSync(join(tmpdir(), "enlist-imports-"));
  try {
    const options = { persist };
    let w = await admin({ PARTOO_RATE_PER_MINUTE: "600" }, options);
    const res = await start(w, partooCsv(30));
    const id = res.body.id;
    while (providerCalls().length < 8) await sleep(20);
    await w.dispose(); // the isolate dies mid-job
    const beforeRestart = providerCalls().length;
    assert.ok(beforeRestart < 30);
    w = await admin({ PARTOO_RATE_PER_MINUTE: "600" }, options);
    try {
      const view = await until(w, id, finished, { timeoutMs: 60_000 });
      assert.equal(view.status, "done");
      assert.equal(view.counts.created + view.counts.already_exists, 30);
      assert.equal(view.counts.failed, 0);
      const emails = providerCalls().map((r) => JSON.parse(r.body).email);
      assert.equal(new Set(emails).size, 30, "every row reached the provider");
      assert.ok(emails.length <= 30 + 1, `${emails.length} calls: at most the one in flight at the restart is repeated`);
      // Passwords went out with the calls...
      assert.ok(providerCalls().every((r) => JSON.parse(r.body).password === PASSWORD || JSON.parse(r.body).password === undefined));
      // ...and none is at rest once its row was sent.
      for (const file of files(persist)) {
        assert.ok(!readFileSync(file).includes(Buffer.from(PASSWORD)), `${file} holds a password`);
      }
      const rows = await allRows(w, id);
      assert.ok(!JSON.stringify(rows).includes(PASSWORD));
      assert.ok(!w.logs.some((l) => l.message.includes(PASSWORD)));
    } finally {
      await w.dispose();
    }
  } finally {
    rmSync(persist, { recursive: true, force: true });
  }
});
