// Idempotency-Key: one upstream call per key, stored answers replayed,
// in-flight repeats refused, different requests under one key refused,
// failures not stored. The store is the IdempotencyStore Durable Object.
// Needs the Worker built (`cargo xtask test` builds it).
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { startUpstream } from "../mocks/upstream.mjs";
import { PANDADOC_USER, PARTOO_USER, startProxy } from "./helpers.mjs";

const TOKENS = ["idem-token-one", "idem-token-two"];
let up;
let pub;
let adm;
let n = 0;
const key = () => `key-${process.pid}-${++n}`;

before(async () => {
  up = await startUpstream({ partooKey: "pk", pandadocKey: "dk" });
  const common = {
    upstreams: { partoo: up.url, pandadoc: up.url },
    rateLimit: { limit: 100_000 },
  };
  [pub, adm] = await Promise.all([
    startProxy({ ...common, bindings: { PARTOO_API_KEY: "pk", PANDADOC_API_KEY: "dk", UPSTREAM_TIMEOUT_MS: "5000" } }),
    startProxy({ ...common, bindings: { PARTOO_API_KEY: "pk", PANDADOC_API_KEY: "dk", UPSTREAM_TIMEOUT_MS: "400", CLIENT_TOKENS: TOKENS.join(",") } }),
  ]);
});
after(async () => {
  await Promise.all([pub?.dispose(), adm?.dispose()]);
  await up?.close();
});
beforeEach(() => up.reset());

const create = (w, k, body = PARTOO_USER, headers = {}) =>
  w.call("/v1/partoo/users", { method: "POST", json: body, headers: { ...(k ? { "idempotency-key": k } : {}), ...headers } });
const replayed = (res) => res.headers.get("idempotent-replayed") === "true";

test("50 concurrent requests, one key, slow upstream: 1 forwarded (201), 49 × 409 in flight; then replays", async () => {
  const k = key();
  up.script({ delayMs: 2_000 });
  const answers = await Promise.all(Array.from({ length: 50 }, () => create(pub, k)));
  assert.equal(up.requests.length, 1, "exactly one upstream create");
  const fresh = answers.filter((a) => a.status === 201 && !replayed(a));
  const inFlight = answers.filter((a) => a.status === 409);
  assert.equal(fresh.length, 1);
  assert.equal(inFlight.length, 49, answers.map((a) => a.status).join());
  for (const a of inFlight) {
    assert.equal(a.body.type, "urn:enlist:problem:idempotency_in_flight");
    assert.equal(a.headers.get("retry-after"), "1");
  }
  // Once done, every repeat gets the same 201 again.
  const again = await Promise.all(Array.from({ length: 5 }, () => create(pub, k)));
  for (const a of again) {
    assert.equal(a.status, 201);
    assert.ok(replayed(a));
    assert.equal(a.text, fresh[0].text);
  }
  assert.equal(up.requests.length, 1);
});

test("50 concurrent requests, one key, fast upstream: 1 forwarded; the rest are 409 or replays of the same 201", async () => {
  const k = key();
  const answers = await Promise.all(Array.from({ length: 50 }, () => create(pub, k, { ...PARTOO_USER, email: "fast@example.com" })));
  assert.equal(up.requests.length, 1);
  const fresh = answers.filter((a) => a.status === 201 && !replayed(a));
  assert.equal(fresh.length, 1);
  for (const a of answers) {
    if (a === fresh[0]) continue;
    if (a.status === 201) {
      assert.ok(replayed(a));
      assert.equal(a.text, fresh[0].text);
    } else assert.equal(a.status, 409, a.text);
  }
});

test("same key, different request: 422 idempotency_key_reused, not forwarded", async () => {
  const k = key();
  assert.equal((await create(pub, k)).status, 201);
  for (const [path, body] of [
    ["/v1/partoo/users", { ...PARTOO_USER, first_name: "Augusta" }],
    ["/v1/partoo/users?x=1", PARTOO_USER],
  ]) {
    const res = await pub.call(path, { method: "POST", json: body, headers: { "idempotency-key": k } });
    if (path.includes("?")) {
      assert.equal(res.status, 422); // refused before forwarding (unknown query parameter)
      assert.equal(res.body.type, "urn:enlist:problem:validation");
    } else {
      assert.equal(res.status, 422);
      assert.equal(res.body.type, "urn:enlist:problem:idempotency_key_reused");
    }
  }
  assert.equal(up.requests.length, 1);
});

test("keys are scoped per provider and per client token", async () => {
  const k = key();
  assert.equal((await create(pub, k)).status, 201);
  const pd = await pub.call("/v1/pandadoc/users", { method: "POST", json: PANDADOC_USER, headers: { "idempotency-key": k } });
  assert.equal(pd.status, 201);
  assert.ok(!replayed(pd));
  for (const [i, token] of TOKENS.entries()) {
    const res = await create(adm, k, { ...PARTOO_USER, email: `t${i}@example.com` }, { authorization: `Bearer ${token}` });
    assert.equal(res.status, 201);
    assert.ok(!replayed(res));
  }
  assert.equal(up.requests.length, 4);
});

// Issue 17, item 5: in public mode every caller shared one key space, so a
// caller on another IP sending the same key got the first caller's answer
// (its user id), or a 422 telling it the key was in use.
test("public mode: keys are scoped per caller (client IP); another caller never gets a replay", async () => {
  const k = key();
  const a = { "cf-connecting-ip": "192.0.2.10" };
  const first = await create(pub, k, { ...PARTOO_USER, email: "scope-a@example.com" }, a);
  assert.equal(first.status, 201);
  // Same key, same body, another caller: forwarded as its own request.
  const same = await create(pub, k, { ...PARTOO_USER, email: "scope-a@example.com" }, { "cf-connecting-ip": "198.51.100.20" });
  assert.ok(!replayed(same), same.text);
  assert.notEqual(same.body?.id, first.body.id, same.text);
  assert.equal(up.requests.length, 2);
  // Same key, another body, another caller: no "key in use" for it.
  const other = await create(pub, k, { ...PARTOO_USER, email: "scope-b@example.com" }, { "cf-connecting-ip": "203.0.113.30" });
  assert.equal(other.status, 201, other.text);
  assert.ok(!replayed(other));
  assert.equal(up.requests.length, 3);
  // The first caller still gets its own answer back.
  const again = await create(pub, k, { ...PARTOO_USER, email: "scope-a@example.com" }, a);
  assert.equal(again.status, 201);
  assert.ok(replayed(again));
  assert.equal(again.text, first.text);
  // And its other request under that key is still a reuse of its key.
  const reused = await create(pub, k, { ...PARTOO_USER, email: "scope-c@example.com" }, a);
  assert.equal(reused.body.type, "urn:enlist:problem:idempotency_key_reused");
  assert.equal(up.requests.length, 3);
});

test("failures are not stored (5xx, timeout): a retry is forwarded again", async () => {
  const k = key();
  up.script({ status: 500, body: { message: "down" } });
  assert.equal((await create(pub, k)).status, 502);
  const retry = await create(pub, k);
  assert.equal(retry.status, 201);
  assert.ok(!replayed(retry));
  assert.equal(up.requests.length, 2);

  const t = key();
  up.script({ delayMs: 1_000 });
  assert.equal((await create(adm, t, { ...PARTOO_USER, email: "slow@example.com" }, { authorization: `Bearer ${TOKENS[0]}` })).status, 504);
  // The provider did create the user before answering late: the retry says so.
  await new Promise((r) => setTimeout(r, 700));
  const again = await create(adm, t, { ...PARTOO_USER, email: "slow@example.com" }, { authorization: `Bearer ${TOKENS[0]}` });
  assert.equal(again.status, 422);
  assert.equal(again.body.type, "urn:enlist:problem:already_exists");
  assert.equal(up.requests.length, 4);
});

test("final refusals from the provider (4xx) are stored and replayed", async () => {
  const k = key();
  up.script({ status: 400, body: { errors: { json: { custom_role: ["Unknown role."] } } } });
  const first = await create(pub, k);
  assert.equal(first.status, 422);
  const second = await create(pub, k);
  assert.equal(second.status, 422);
  assert.ok(replayed(second));
  assert.equal(second.text, first.text);
  assert.equal(up.requests.length, 1);
});

test("requests refused before forwarding do not use up the key", async () => {
  const k = key();
  const bad = await create(pub, k, { ...PARTOO_USER, email: "nope" });
  assert.equal(bad.status, 422);
  const good = await create(pub, k);
  assert.equal(good.status, 201);
  assert.ok(!replayed(good));
  assert.equal(up.requests.length, 1);
});

test("an unusable Idempotency-Key header: 422 validation at path \"\"", async () => {
  for (const k of ["k".repeat(256), "has space", "é"]) {
    const res = await pub.call("/v1/partoo/users", { method: "POST", json: PARTOO_USER, headers: { "idempotency-key": k } }).catch(() => null);
    if (!res) continue; // fetch itself refuses non-ByteString header values
    assert.equal(res.status, 422, k);
    assert.deepEqual(res.body.errors.map((i) => [i.path, i.code, i.params.header]), [["", "type", "Idempotency-Key"]]);
  }
  assert.equal(up.requests.length, 0);
});

test("invitations are idempotent too", async () => {
  const auth = { authorization: `Bearer ${TOKENS[1]}` };
  const created = await create(adm, undefined, { ...PARTOO_USER, email: "invite@example.com", status: "invited" }, auth);
  assert.equal(created.status, 201);
  const k = key();
  const path = `/v1/partoo/users/${created.body.id}/invite`;
  const first = await adm.call(path, { method: "POST", headers: { ...auth, "idempotency-key": k } });
  const second = await adm.call(path, { method: "POST", headers: { ...auth, "idempotency-key": k } });
  assert.equal(first.status, 200);
  assert.equal(second.status, 200);
  assert.ok(replayed(second));
  assert.equal(up.requests.filter((r) => r.path.endsWith("/invite")).length, 1);
  const log = adm.lines().find((l) => l.request_id === second.headers.get("x-request-id"));
  assert.equal(log.idempotency, "replayed");
});
