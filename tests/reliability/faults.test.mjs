// Fault matrix: the scripted mock upstream misbehaves (slow past
// UPSTREAM_TIMEOUT_MS, hangs, resets mid-body, 5xx and 429 storms, HTML, huge
// and mislabelled bodies, redirects, refused credentials, unreachable) for
// both providers. Every case must give the documented problem (status + type
// slug), within a bound (no hang), never a 500, never text from the upstream
// body, and never a second user for one Idempotency-Key: each case is sent
// with a key, retried with the same key once the fault is gone, then replayed.
//
// The documented mapping (crates/enlist-worker/src/forward.rs, docs/security.md):
//   no answer in time → 504 upstream_timeout; 5xx, 401/403, redirect,
//   unreadable or oversized answer, connection failure → 502 upstream_error;
//   429 → 429 rate_limited with the provider's Retry-After (default 30 s).
//   5xx/429/timeouts are not stored: a retry with the same key is forwarded.
//
// Needs the Worker built (`cargo xtask build worker`).
// Run: node --test tests/reliability/faults.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { FAKE, PROVIDERS, assertProblem, partooUser, startStack } from "./harness.mjs";

/** The Worker's upstream timeout in these tests. */
const TIMEOUT_MS = 1_000;
/** Bound on any one request to the Worker: the timeout plus generous slack. */
const BOUND_MS = TIMEOUT_MS + 9_000;
/** Text planted in upstream bodies; it must never reach the caller. */
const MARKER = "UPSTREAM-BODY-MARKER-31d5";
const KiB = 1024;

const HTML = `<!doctype html><html><head><title>502 Bad Gateway ${MARKER}</title></head><body><h1>${MARKER}</h1></body></html>`;

/**
 * Each case: the fault for the next upstream call, the expected answer, and
 * whether the mock still ran its provider logic (created the user) before
 * misbehaving — then a retry with the same key must find the user there.
 */
const CASES = [
  { name: "slow: answers after UPSTREAM_TIMEOUT_MS", fault: { delayMs: TIMEOUT_MS + 1_500 }, expect: [504, "upstream_timeout"], created: true },
  { name: "hangs: never answers, then drops the connection", fault: { hangMs: TIMEOUT_MS + 2_000 }, expect: [504, "upstream_timeout"], created: true },
  { name: "connection reset mid-body", fault: { resetAfterHeaders: true }, expect: [502, "upstream_error"], created: true },
  { name: "500 with a JSON body", fault: { status: 500, body: { error: MARKER } }, expect: [502, "upstream_error"] },
  { name: "502 with an HTML body", fault: { status: 502, body: HTML, contentType: "text/html" }, expect: [502, "upstream_error"] },
  { name: "503 with Retry-After and an empty body", fault: { status: 503, body: "", headers: { "Retry-After": "5" } }, expect: [502, "upstream_error"] },
  { name: "429 with Retry-After: 7", fault: { status: 429, body: { detail: MARKER }, headers: { "Retry-After": "7" } }, expect: [429, "rate_limited"], retryAfter: "7" },
  { name: "429 without Retry-After", fault: { status: 429, body: "" }, expect: [429, "rate_limited"], retryAfter: "30" },
  { name: "200 with an HTML body", fault: { status: 200, body: HTML, contentType: "text/html" }, expect: [502, "upstream_error"] },
  { name: "success status with text/plain 'Created'", fault: { status: 201, body: `Created ${MARKER}`, contentType: "text/plain" }, expect: [502, "upstream_error"] },
  // The label is not what decides: a body that is the provider's JSON is read
  // as such whatever its Content-Type (see docs/reliability.md); anything else
  // is a 502 (the two text/html and text/plain cases above and below).
  { name: "wrong content type: the provider's JSON success labelled text/html", fault: { contentType: "text/html" }, expect: [201], created: true },
  { name: "wrong content type: the provider's JSON field error labelled text/plain", fault: { status: 400, body: JSON.stringify({ errors: { json: { first_name: ["Not a valid string."] } } }), contentType: "text/plain" }, expect: [422, "validation"] },
  { name: "400 with an HTML body", fault: { status: 400, body: HTML, contentType: "text/html" }, expect: [502, "upstream_error"] },
  { name: "huge success body (300 KiB of JSON)", fault: { status: 200, bodyBytes: 300 * KiB }, expect: [502, "upstream_error"] },
  { name: "huge error body (8 MiB of JSON)", fault: { status: 400, bodyBytes: 8 * KiB * KiB }, expect: [502, "upstream_error"] },
  { name: "credentials refused (401)", fault: { status: 401, body: { errors: { authentication: MARKER } } }, expect: [502, "upstream_error"] },
  { name: "forbidden (403)", fault: { status: 403, body: { detail: MARKER } }, expect: [502, "upstream_error"] },
];

let stack;
before(async () => {
  stack = await startStack({ bindings: { UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) } });
});
after(() => stack?.close());

/** The email of a payload, whatever the provider. */
const emailOf = (provider, payload) => (provider === "partoo" ? payload.email : payload.user.email);

/** Asserts that a problem body says nothing the upstream said. */
function assertNoUpstreamText(res, what) {
  assert.ok(!res.text.includes(MARKER), `${what}: the answer repeats the upstream body: ${res.text.slice(0, 300)}`);
  assert.ok(!/<html|<!doctype/i.test(res.text), `${what}: the answer contains HTML: ${res.text.slice(0, 300)}`);
}

/** Whether the Worker stores an answer for replays (2xx, 4xx but 429). */
const isFinal = (status) => status < 500 && status !== 429;

/** Faults still queued in the mock (each case must consume exactly its own). */
const pendingFaults = () => stack.upstream.script([]);

for (const provider of Object.keys(PROVIDERS)) {
  describe(`${provider}: upstream faults`, () => {
    for (const c of CASES) {
      test(c.name, { timeout: 3 * BOUND_MS }, async () => {
        const { route, user } = PROVIDERS[provider];
        const payload = user();
        const email = emailOf(provider, payload);
        const key = `faults-${randomUUID()}`;
        const send = () => stack.post(route, payload, { headers: { "idempotency-key": key }, timeoutMs: BOUND_MS });
        const what = `${provider} / ${c.name}`;

        stack.upstream.script(c.fault);
        const first = await send();
        const [status, slug] = c.expect;
        if (slug) assertProblem(first, status, slug, what);
        else assert.equal(first.status, status, `${what}: ${first.status} ${first.text.slice(0, 300)}`);
        assertNoUpstreamText(first, what);
        if (c.retryAfter) assert.equal(first.headers.get("retry-after"), c.retryAfter, `${what}: Retry-After`);
        assert.equal(pendingFaults(), 0, `${what}: the fault was not consumed by exactly one upstream call`);
        assert.equal(stack.creates(provider, email).length, 1, `${what}: the Worker called the upstream more than once`);

        if (isFinal(status)) {
          // A final answer is stored: the same key replays it, no new call.
          const replay = await send();
          assert.equal(replay.status, status, `${what}, replay status`);
          assert.equal(replay.headers.get("idempotent-replayed"), "true", `${what}: second call was not a replay`);
          assert.equal(stack.creates(provider, email).length, 1, `${what}: a replay reached the upstream`);
          return;
        }

        // The fault is gone; the same key is forwarded again (nothing was
        // stored), and finds the user if the provider had created it.
        const retry = await send();
        if (c.created) {
          assertProblem(retry, 422, "already_exists", `${what}, retry`);
        } else {
          assert.equal(retry.status, 201, `${what}, retry: ${retry.status} ${retry.text.slice(0, 300)}`);
        }
        assert.equal(stack.creates(provider, email).length, 2, `${what}: upstream calls after the retry`);

        // Now it is final and stored: a replay, no third upstream call.
        const replay = await send();
        assert.equal(replay.status, retry.status, `${what}, replay status`);
        assert.equal(replay.headers.get("idempotent-replayed"), "true", `${what}: third call was not a replay`);
        assert.equal(stack.creates(provider, email).length, 2, `${what}: a replay reached the upstream`);
      });
    }

    test("5xx storm: 20 calls in a row, each one 502, one upstream call each", { timeout: 60_000 }, async () => {
      const { route, user } = PROVIDERS[provider];
      const statuses = [500, 502, 503, 504];
      stack.upstream.script(Array.from({ length: 20 }, (_, i) => ({ status: statuses[i % 4], body: i % 2 ? HTML : { error: MARKER }, contentType: i % 2 ? "text/html" : undefined })));
      const before = stack.creates(provider).length;
      for (let i = 0; i < 20; i++) {
        const res = await stack.post(route, user(), { timeoutMs: BOUND_MS });
        assertProblem(res, 502, "upstream_error", `storm call ${i}`);
        assertNoUpstreamText(res, `storm call ${i}`);
      }
      assert.equal(pendingFaults(), 0);
      assert.equal(stack.creates(provider).length - before, 20, "upstream calls (the Worker must not retry by itself)");
    });

    test("429 storm: 20 concurrent calls, each 429 with the provider's Retry-After", { timeout: 60_000 }, async () => {
      const { route, user } = PROVIDERS[provider];
      stack.upstream.script(Array.from({ length: 20 }, () => ({ status: 429, body: { detail: MARKER }, headers: { "Retry-After": "12" } })));
      const before = stack.creates(provider).length;
      const answers = await Promise.all(Array.from({ length: 20 }, () => stack.post(route, user(), { timeoutMs: BOUND_MS })));
      for (const [i, res] of answers.entries()) {
        assertProblem(res, 429, "rate_limited", `storm call ${i}`);
        assert.equal(res.headers.get("retry-after"), "12", `storm call ${i}: Retry-After`);
        assertNoUpstreamText(res, `storm call ${i}`);
      }
      assert.equal(pendingFaults(), 0);
      assert.equal(stack.creates(provider).length - before, 20, "upstream calls");
    });

    test("a redirect is not followed (the key never goes to the Location)", { timeout: BOUND_MS }, async () => {
      const { route, user } = PROVIDERS[provider];
      const stolen = `/stolen-${randomUUID()}`;
      stack.upstream.script({ status: 307, body: "", headers: { Location: `${stack.upstream.url}${stolen}` } });
      const res = await stack.post(route, user(), { timeoutMs: BOUND_MS });
      assertProblem(res, 502, "upstream_error");
      assert.equal(stack.upstream.requests.filter((r) => r.path === stolen).length, 0, "the Worker followed the redirect");
    });
  });
}

describe("partoo invitations (admin mode): upstream faults", () => {
  let admin;
  before(async () => {
    admin = await startStack({ bindings: { UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS), CLIENT_TOKENS: FAKE.clientToken } });
  });
  after(() => admin?.close());
  const auth = { authorization: `Bearer ${FAKE.clientToken}` };
  const invite = (id) => admin.post(`/v1/partoo/users/${id}/invite`, undefined, { headers: auth, timeoutMs: BOUND_MS });

  test("a created user can be invited (baseline)", { timeout: BOUND_MS }, async () => {
    const created = await admin.post("/v1/partoo/users", partooUser(), { headers: auth });
    assert.equal(created.status, 201, created.text);
    const res = await invite(created.json.id);
    assert.equal(res.status, 200, res.text);
  });

  for (const [name, fault, status, slug] of [
    ["slow", { delayMs: TIMEOUT_MS + 1_500, status: 200, body: { status: "success" } }, 504, "upstream_timeout"],
    ["reset mid-body", { resetAfterHeaders: true, status: 200, body: { status: "success" } }, 502, "upstream_error"],
    ["500", { status: 500, body: HTML, contentType: "text/html" }, 502, "upstream_error"],
    ["429", { status: 429, body: "", headers: { "Retry-After": "3" } }, 429, "rate_limited"],
    ["unknown user (404)", { status: 404, body: { errors: { json: { user_id: ["User not found."] } } } }, 404, "not_found"],
    ["huge body", { status: 200, bodyBytes: 1024 * KiB }, 502, "upstream_error"],
  ]) {
    test(`invite: ${name} → ${status} ${slug}`, { timeout: BOUND_MS }, async () => {
      admin.upstream.script(fault);
      const res = await invite("5309c3a237bbc544d8e26737");
      assertProblem(res, status, slug, `invite / ${name}`);
      assertNoUpstreamText(res, `invite / ${name}`);
      assert.equal(admin.upstream.script([]), 0, "fault consumed by exactly one call");
    });
  }
});

describe("unreachable upstream", () => {
  let down;
  let closedPort;
  before(async () => {
    // A port that was free a moment ago and has nothing listening now.
    const probe = createServer();
    await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
    closedPort = probe.address().port;
    await new Promise((resolve) => probe.close(resolve));
    down = await startStack({
      bindings: {
        UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
        PARTOO_BASE_URL: `http://127.0.0.1:${closedPort}`,
        PANDADOC_BASE_URL: `http://127.0.0.1:${closedPort}`,
      },
    });
  });
  after(() => down?.close());

  for (const provider of Object.keys(PROVIDERS)) {
    test(`${provider}: connection refused → 502 upstream_error`, { timeout: BOUND_MS }, async () => {
      const res = await down.post(PROVIDERS[provider].route, PROVIDERS[provider].user(), { timeoutMs: BOUND_MS });
      assertProblem(res, 502, "upstream_error");
    });
  }
});

test("the Worker logged no error (no panic, no uncaught exception) through all of the above", () => {
  const errors = stack.logs.filter((l) => l.level === "error" || /panicked|RuntimeError|Uncaught/i.test(l.line));
  assert.deepEqual(errors.map((l) => l.line), []);
  assert.ok(stack.jsonLogs().length > 0, "no log line captured: the capture is not working");
});
