// Threat-model checks (docs/security.md) not covered by tests/worker/: what a
// forged or stolen allowed origin gets, what a stolen client token gets and
// what still limits it, how the rate limit is keyed and that refused requests
// count against it, that callers cannot smuggle their own credentials
// upstream, and that key rotation needs no rebuild.
//
// Needs the Worker built (`cargo xtask build worker`).
// Run: node --test tests/reliability/threats.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { FAKE, assertProblem, pandadocUser, partooUser, startStack } from "./harness.mjs";

const ALLOWED = "https://app.example";

/**
 * Rate-limit windows are fixed and aligned to the clock: wait out the end of
 * a minute so that a short burst stays inside one window.
 */
async function startOfAWindow(periodS = 60) {
  const into = Date.now() % (periodS * 1000);
  if (into > (periodS - 8) * 1000) await new Promise((r) => setTimeout(r, periodS * 1000 - into + 100));
}

describe("a forged or stolen allowed origin", () => {
  let pub;
  before(async () => {
    pub = await startStack({ bindings: { ALLOWED_ORIGINS: ALLOWED } });
  });
  after(() => pub?.close());

  test("Origin is a browser guard, not authentication: a script can claim an allowed origin", async () => {
    const res = await pub.post("/v1/partoo/users", partooUser(), { headers: { origin: ALLOWED } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get("access-control-allow-origin"), ALLOWED);
  });

  test("…and gets no more than the public: the public policy still refuses an admin account", async () => {
    const before = pub.creates("partoo").length;
    const res = await pub.post("/v1/partoo/users", partooUser({ role: "ORG_ADMIN" }), { headers: { origin: ALLOWED } });
    const body = assertProblem(res, 403, "policy");
    assert.deepEqual(body.errors.map((i) => i.path), ["/role"]);
    assert.equal(pub.creates("partoo").length, before, "nothing forwarded");
  });

  test("…and cannot send invitations (public mode)", async () => {
    const res = await pub.post(`/v1/partoo/users/${"a".repeat(24)}/invite`, undefined, { headers: { origin: ALLOWED } });
    assertProblem(res, 403, "policy");
  });
});

describe("a stolen client token (admin mode)", () => {
  const OTHER = "CLIENT-TOKEN-OTHER-b81f0c";
  const BUSY = "CLIENT-TOKEN-BUSY-3e77d1";
  let adm;
  before(async () => {
    adm = await startStack({
      bindings: {
        CLIENT_TOKENS: `${FAKE.clientToken},${OTHER},${BUSY}`,
        POLICY: JSON.stringify({ partoo: { allowedEmailDomains: [FAKE.emailDomain] } }),
      },
      rateLimit: { limit: 4, period: 60 },
    });
  });
  after(() => adm?.close());
  const as = (token) => ({ authorization: `Bearer ${token}` });

  test("allows what public mode refuses (an ORG_ADMIN, invitations)…", async () => {
    const res = await adm.post("/v1/partoo/users", partooUser({ role: "ORG_ADMIN" }), { headers: as(FAKE.clientToken) });
    assert.equal(res.status, 201, res.text);
    const inv = await adm.post(`/v1/partoo/users/${res.json.id}/invite`, undefined, { headers: as(FAKE.clientToken) });
    assert.equal(inv.status, 200, inv.text);
  });

  test("…but the operator's POLICY still applies to token holders", async () => {
    const res = await adm.post("/v1/partoo/users", partooUser({ email: "someone@elsewhere.example" }), { headers: as(FAKE.clientToken) });
    const body = assertProblem(res, 403, "policy");
    assert.deepEqual(body.errors.map((i) => i.path), ["/email"]);
  });

  test("…and its rate limit is its own: the budget is per token, not shared", async () => {
    await startOfAWindow();
    for (let i = 0; i < 4; i++) {
      const res = await adm.post("/v1/partoo/users", partooUser(), { headers: as(BUSY) });
      assert.equal(res.status, 201, `call ${i} within the limit: ${res.text}`);
    }
    const over = await adm.post("/v1/partoo/users", partooUser(), { headers: as(BUSY) });
    assertProblem(over, 429, "rate_limited", "5th call with one token");
    assert.equal(over.headers.get("retry-after"), "60");
    const other = await adm.post("/v1/partoo/users", partooUser(), { headers: as(OTHER) });
    assert.equal(other.status, 201, `another token was limited too: ${other.text}`);
  });
});

describe("public rate limit", () => {
  let limited;
  before(async () => {
    limited = await startStack({ rateLimit: { limit: 3, period: 60 } });
  });
  after(() => limited?.close());
  const from = (ip) => ({ "cf-connecting-ip": ip });

  test("is keyed per client IP, and refused requests (422) count against it", async () => {
    await startOfAWindow();
    for (let i = 0; i < 3; i++) {
      const res = await limited.post("/v1/partoo/users", { email: "not-an-email" }, { headers: from("192.0.2.1") });
      assertProblem(res, 422, "validation", `invalid call ${i}`);
    }
    const before = limited.creates("partoo").length;
    const res = await limited.post("/v1/partoo/users", partooUser(), { headers: from("192.0.2.1") });
    assertProblem(res, 429, "rate_limited", "4th call from the same IP");
    assert.equal(limited.creates("partoo").length, before, "a rate-limited call was forwarded");
    const other = await limited.post("/v1/partoo/users", partooUser(), { headers: from("192.0.2.2") });
    assert.equal(other.status, 201, `another IP was limited too: ${other.text}`);
  });

  // Issue 17, item 6: refusals on path, method or origin were not counted,
  // though docs/security.md said the limit is checked before anything else.
  test("refusals on path (404), method (405) and origin (403) count against it too", async () => {
    await startOfAWindow();
    const ip = from("192.0.2.3");
    assertProblem(await limited.get("/v1/no-such-route", undefined, { headers: ip }), 404, "not_found", "unknown path");
    assertProblem(await limited.send("PUT", "/v1/partoo/users", undefined, { headers: ip }), 405, "method_not_allowed", "wrong method");
    assertProblem(await limited.post("/v1/partoo/users", partooUser(), { headers: { ...ip, origin: "https://evil.example" } }), 403, "origin_not_allowed", "foreign origin");
    const before = limited.creates("partoo").length;
    const res = await limited.post("/v1/partoo/users", partooUser(), { headers: ip });
    assertProblem(res, 429, "rate_limited", "a 4th call after three refusals");
    assert.equal(limited.creates("partoo").length, before, "a rate-limited call was forwarded");
    // Over the limit, a refusal is a 429 too.
    assertProblem(await limited.get("/v1/no-such-route", undefined, { headers: ip }), 429, "rate_limited", "a refusal over the limit");
    // Successful reads of health and the document are not counted.
    for (let i = 0; i < 5; i++) {
      assert.equal((await limited.get("/v1/health", undefined, { headers: from("192.0.2.4") })).status, 200, `health read ${i}`);
    }
  });
});

describe("credentials", () => {
  let pub;
  before(async () => {
    pub = await startStack();
  });
  after(() => pub?.close());

  test("a caller's own credential headers are never forwarded; the configured key is", async () => {
    const smuggled = { "x-apikey": "CALLER-KEY-1", authorization: "API-Key CALLER-KEY-2", cookie: "s=CALLER-3" };
    const a = await pub.post("/v1/partoo/users", partooUser(), { headers: smuggled });
    const b = await pub.post("/v1/pandadoc/users", pandadocUser(), { headers: smuggled });
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    const sent = JSON.stringify(pub.upstream.requests.map((r) => r.headers));
    assert.ok(!sent.includes("CALLER-KEY") && !sent.includes("CALLER-3"), `caller credentials reached the upstream: ${sent}`);
    assert.equal(pub.upstream.requests.at(-2).headers["x-apikey"], FAKE.partooKey);
    assert.equal(pub.upstream.requests.at(-1).headers.authorization, `API-Key ${FAKE.pandadocKey}`);
  });
});

describe("key rotation", () => {
  const NEW_KEY = "PARTOO-KEY-ROTATED-4c0e9a";

  test("a Worker still holding a revoked key fails closed: 502, the key in no answer", async () => {
    // The provider accepts only NEW_KEY; the Worker still has the old one.
    const stale = await startStack({ mockKeys: { partooKey: NEW_KEY } });
    try {
      const res = await stale.post("/v1/partoo/users", partooUser());
      assertProblem(res, 502, "upstream_error");
      assert.ok(!res.text.includes(FAKE.partooKey) && !res.text.includes(NEW_KEY), "a key leaked into the answer");
      assert.equal(stale.upstream.requests.at(-1).headers["x-apikey"], FAKE.partooKey);
    } finally {
      await stale.close();
    }
  });

  test("the key is read from the binding: the same build serves the new key (no rebuild)", async () => {
    const rotated = await startStack({ mockKeys: { partooKey: NEW_KEY }, bindings: { PARTOO_API_KEY: NEW_KEY } });
    try {
      const res = await rotated.post("/v1/partoo/users", partooUser());
      assert.equal(res.status, 201, res.text);
      assert.equal(rotated.upstream.requests.at(-1).headers["x-apikey"], NEW_KEY);
    } finally {
      await rotated.close();
    }
  });
});
