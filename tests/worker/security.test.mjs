// Security properties of the Worker: the API keys reach the upstream header
// and nowhere else; routing, header and body tricks never reach (or redirect)
// the upstream; CORS refusals; the body cap; client tokens; server-side
// policy; rate limiting. Each check also counts upstream calls.
// Needs the Worker built (`cargo xtask test` builds it).
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { startUpstream } from "../mocks/upstream.mjs";
import { parseDevVars, ROOT } from "./serve.mjs";
import { PANDADOC_USER, PARTOO_USER, builtFiles, startProxy } from "./helpers.mjs";

const PARTOO_KEY = "pk_live_7Qz3SECRETpartooKEY";
const PANDADOC_KEY = "pd_live_9Xy1SECRETpandadocKEY";
const TOKENS = ["tok_A_1a2b3c4d5e6f", "tok_B_6f5e4d3c2b1a"];
const ALLOWED = "https://app.example";
const PII = ["ada@example.com", "Lovelace", "new.user@example.com", "+14842634627", "Sup3r-secret!"];

let up; // the configured upstream (scripted mock)
let evil; // another server no request may ever reach
let pub; // public mode
let adm; // admin mode with a POLICY
let limited; // public mode, RATE_LIMITER limit 3
let unbound; // no RATE_LIMITER binding at all

before(async () => {
  [up, evil] = await Promise.all([
    startUpstream({ partooKey: PARTOO_KEY, pandadocKey: PANDADOC_KEY }),
    startUpstream({ partooKey: PARTOO_KEY, pandadocKey: PANDADOC_KEY }),
  ]);
  const keys = { PARTOO_API_KEY: PARTOO_KEY, PANDADOC_API_KEY: PANDADOC_KEY };
  const upstreams = { partoo: up.url, pandadoc: up.url };
  [pub, adm, limited, unbound] = await Promise.all([
    startProxy({ upstreams, bindings: { ...keys, ALLOWED_ORIGINS: `${ALLOWED}, http://localhost:3000` }, rateLimit: { limit: 10_000 } }),
    startProxy({
      upstreams,
      rateLimit: { limit: 10_000 },
      bindings: {
        ...keys,
        CLIENT_TOKENS: TOKENS.join(","),
        POLICY: JSON.stringify({
          partoo: { force: { "/send_invitation": true, "/lang": "fr" }, forbid: ["/password"], allowedEmailDomains: ["example.com"] },
          pandadoc: { allow: { "/license": ["Guest"], "/workspaces/*/workspace_id": ["Ab123"] } },
        }),
      },
    }),
    startProxy({ upstreams, bindings: keys, rateLimit: { limit: 3 } }),
    startProxy({ upstreams, bindings: keys, rateLimit: null }),
  ]);
});
after(async () => {
  await Promise.all([pub, adm, limited, unbound].map((w) => w?.dispose()));
  await Promise.all([up?.close(), evil?.close()]);
});
beforeEach(() => {
  up.reset();
  evil.reset();
});

const json = (body, headers = {}) => ({ method: "POST", json: body, headers });
const bearer = (t) => ({ authorization: `Bearer ${t}` });
const noCalls = () => {
  assert.equal(up.requests.length, 0, "no upstream call");
  assert.equal(evil.requests.length, 0, "nothing reached the other server");
};

describe("the API keys stay server-side", () => {
  test("keys go only into the upstream credential header; never into answers, logs, health or the document", async () => {
    const answers = [];
    const keep = async (w, path, init) => answers.push(await w.call(path, init));
    await keep(pub, "/v1/partoo/users", json({ ...PARTOO_USER, password: "Sup3r-secret!" }));
    await keep(pub, "/v1/pandadoc/users", json(PANDADOC_USER));
    await keep(pub, "/v1/partoo/users", json(PARTOO_USER)); // already exists
    await keep(pub, "/v1/partoo/users", json({ ...PARTOO_USER, email: "bad", role: "ORG_ADMIN" }));
    for (const status of [401, 403, 500]) {
      up.script({ status, body: { errors: { authentication: `key ${PARTOO_KEY} rejected` }, detail: `API-Key ${PANDADOC_KEY}` } });
      await keep(pub, "/v1/pandadoc/users", json(PANDADOC_USER));
    }
    await keep(adm, "/v1/partoo/users", json(PARTOO_USER, bearer("wrong")));
    await keep(adm, "/v1/partoo/users", json({ ...PARTOO_USER, email: "x@example.com" }, bearer(TOKENS[1])));
    await keep(pub, "/v1/health");
    await keep(adm, "/v1/health");
    await keep(pub, "/v1/openapi.json");
    const secrets = [PARTOO_KEY, PANDADOC_KEY, ...TOKENS];
    for (const a of answers) {
      const everything = a.text + JSON.stringify([...a.headers]);
      for (const s of secrets) assert.ok(!everything.includes(s), `secret in an answer: ${everything}`);
    }
    // Upstream: the key is in the credential header and nowhere else.
    for (const r of up.requests) {
      const partoo = r.path.startsWith("/user");
      const { "x-apikey": xkey, authorization, ...others } = r.headers;
      if (partoo) {
        assert.equal(xkey, PARTOO_KEY);
        assert.equal(authorization, undefined, "the client's token is not forwarded");
      } else {
        assert.equal(authorization, `API-Key ${PANDADOC_KEY}`);
        assert.equal(xkey, undefined);
      }
      const rest = JSON.stringify(others) + r.body + r.path + JSON.stringify(r.query);
      for (const s of secrets) assert.ok(!rest.includes(s), `secret elsewhere in the upstream request: ${rest}`);
    }
    // Logs: no secrets, and no personal data (emails, names, phones, passwords).
    const logText = [...pub.logs, ...adm.logs].map((l) => l.message).join("\n");
    assert.ok(pub.lines().length >= 9);
    for (const s of [...secrets, ...PII, "x@example.com"]) assert.ok(!logText.includes(s), `${s} in the logs`);
  });

  test("built assets (build/, www/) contain no key", () => {
    const secrets = [PARTOO_KEY, PANDADOC_KEY];
    const devVars = `${ROOT}.dev.vars`;
    if (existsSync(devVars)) {
      for (const [name, value] of Object.entries(parseDevVars(readFileSync(devVars, "utf8")))) {
        if (/KEY|TOKEN/.test(name) && value.length >= 8) secrets.push(value);
      }
    }
    const files = builtFiles();
    assert.ok(files.some((f) => f.path.endsWith(".wasm")), "build/ holds the Worker");
    for (const f of files) for (const s of secrets) assert.ok(!f.text.includes(s), `${f.path} contains a key`);
  });
});

describe("routing, header and body tricks never reach or redirect the upstream", () => {
  test("path traversal and odd paths: 404 (or refused by the runtime), zero calls", async () => {
    for (const path of [
      "/v1/partoo/users/..%2F..",
      "/v1/partoo/users/..%2F..%2Fv2%2Fuser/invite",
      "/v1/partoo/users/%2e%2e/invite",
      "/v1/partoo/users/..%2f..%2fuser/invite",
      "/v1/../admin",
      "/v1/%2e%2e/v2/user",
      "/v1/partoo/../pandadoc/users/x/invite",
      "/v1/partoo%2Fusers",
      "/v1//partoo/users",
      "/v1/partoo/users;x=1",
      "/v1/partoo/users/5309c3a237bbc544d8e26737%00/invite",
    ]) {
      const res = await pub.raw(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(PARTOO_USER) });
      assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status} ${res.text}`);
    }
    noCalls();
  });

  test("absolute-URL request targets never make the Worker call elsewhere", async () => {
    for (const target of [`${evil.url}/user`, `http://evil.example/v1/partoo/users`]) {
      const res = await pub.raw(target, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(PARTOO_USER) });
      // workerd itself refuses a foreign absolute URL before the Worker runs.
      assert.ok(res.error || res.status >= 400, `${target}: ${res.status}`);
    }
    noCalls();
  });

  test("Host / X-Forwarded-* / rewrite headers do not change where the call goes", async () => {
    const tricks = {
      "x-forwarded-host": new URL(evil.url).host,
      "x-forwarded-proto": "http",
      "x-forwarded-for": "10.0.0.1",
      "x-forwarded-port": new URL(evil.url).port,
      forwarded: `host=${new URL(evil.url).host};proto=http`,
      "x-original-url": "/v2/user",
      "x-rewrite-url": "/v2/user",
      "x-http-method-override": "DELETE",
      "x-apikey": "attacker-key",
      "content-type": "application/json",
    };
    const res = await pub.raw("/v1/partoo/users", { method: "POST", headers: { ...tricks, host: new URL(evil.url).host }, body: JSON.stringify(PARTOO_USER) });
    assert.equal(res.status, 201, res.text);
    assert.equal(evil.requests.length, 0);
    assert.equal(up.requests.length, 1);
    const [r] = up.requests;
    assert.equal(r.path, "/user");
    assert.equal(r.headers.host, new URL(up.url).host);
    assert.equal(r.headers["x-apikey"], PARTOO_KEY);
    for (const h of ["x-forwarded-host", "x-original-url", "x-rewrite-url", "x-http-method-override", "forwarded"]) {
      assert.equal(r.headers[h], undefined, `${h} forwarded`);
    }
    // The same tricks with an invalid body, or from a refused origin: nothing at all.
    up.reset();
    const bad = await pub.raw("/v1/partoo/users", { method: "POST", headers: tricks, body: JSON.stringify({ ...PARTOO_USER, url: evil.url }) });
    assert.equal(bad.status, 422);
    const foreign = await pub.raw("/v1/partoo/users", { method: "POST", headers: { ...tricks, origin: "https://evil.example" }, body: JSON.stringify(PARTOO_USER) });
    assert.equal(foreign.status, 403);
    noCalls();
  });

  test("fields the provider does not define are refused, at any depth", async () => {
    for (const [provider, body] of [
      ["partoo", { ...PARTOO_USER, is_admin: true }],
      ["partoo", JSON.parse(`{"email":"ada@example.com","first_name":"A","last_name":"L","__proto__":{"x":1}}`)],
      ["partoo", { ...PARTOO_USER, callback_url: evil.url }],
      ["pandadoc", { ...PANDADOC_USER, user: { ...PANDADOC_USER.user, role: "Admin" } }],
      ["pandadoc", { ...PANDADOC_USER, workspaces: [{ workspace_id: "Ab123", role: "Member", member_id: "x" }] }],
      ["pandadoc", { ...PANDADOC_USER, notify_user: true }],
    ]) {
      const res = await pub.call(`/v1/${provider}/users`, json(body));
      assert.ok([403, 422].includes(res.status), `${res.status} ${res.text}`);
    }
    const dup = await pub.call("/v1/partoo/users", { method: "POST", json: '{"email":"ada@example.com","first_name":"A","last_name":"L","role":"BUSINESS_MANAGER","role":"ORG_ADMIN"}' });
    assert.ok([403, 422].includes(dup.status), dup.text);
    noCalls();
  });
});

describe("CORS", () => {
  test("preflight from an allowed origin: 204 with the CORS headers", async () => {
    const res = await pub.call("/v1/pandadoc/users", {
      method: "OPTIONS",
      headers: { origin: ALLOWED, "access-control-request-method": "POST", "access-control-request-headers": "content-type, idempotency-key" },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), ALLOWED);
    assert.equal(res.headers.get("access-control-allow-methods"), "POST, OPTIONS");
    assert.equal(res.headers.get("access-control-allow-headers"), "Content-Type, Authorization, Idempotency-Key");
    assert.match(res.headers.get("vary"), /Origin/);
  });

  test("a call from an allowed origin echoes it and exposes our headers", async () => {
    const res = await pub.call("/v1/partoo/users", json(PARTOO_USER, { origin: "http://localhost:3000" }));
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("access-control-allow-origin"), "http://localhost:3000");
    assert.equal(res.headers.get("access-control-expose-headers"), "Retry-After, Idempotent-Replayed, X-Request-Id");
    assert.match(res.headers.get("vary"), /Origin/);
  });

  test("any other origin: 403 origin_not_allowed, no CORS headers, zero calls", async () => {
    for (const origin of ["https://evil.example", "null", "https://app.example.evil.example", "http://app.example", `${ALLOWED}:8443`]) {
      for (const init of [json(PARTOO_USER, { origin }), { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } }]) {
        const res = await pub.call("/v1/partoo/users", init);
        assert.equal(res.status, 403, origin);
        assert.equal(res.body.type, "urn:enlist:problem:origin_not_allowed");
        assert.equal(res.headers.get("access-control-allow-origin"), null);
      }
    }
    noCalls();
  });

  test("same-origin calls (no Origin, or the Worker's own) need no listing", async () => {
    assert.equal((await pub.call("/v1/partoo/users", json(PARTOO_USER, { origin: pub.url }))).status, 201);
    const res = await pub.call("/v1/pandadoc/users", json(PANDADOC_USER));
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  });
});

describe("body cap: 64 KiB", () => {
  const big = JSON.stringify({ ...PARTOO_USER, last_name: "x".repeat(65 * 1024) });

  test("65 KiB with Content-Length: 413, zero calls", async () => {
    const res = await pub.call("/v1/partoo/users", { method: "POST", json: big });
    assert.equal(res.status, 413);
    assert.equal(res.body.type, "urn:enlist:problem:payload_too_large");
    noCalls();
  });

  test("65 KiB chunked (no Content-Length): 413 from the bytes read, zero calls", async () => {
    const res = await pub.raw("/v1/partoo/users", { method: "POST", headers: { "content-type": "application/json" }, body: big, chunked: true });
    assert.equal(res.status, 413);
    noCalls();
  });

  test("exactly 64 KiB is read (and validated)", async () => {
    const base = JSON.stringify(PARTOO_USER);
    const body = base.slice(0, -1) + " ".repeat(64 * 1024 - base.length) + "}";
    assert.equal(Buffer.byteLength(body), 64 * 1024);
    const res = await pub.call("/v1/partoo/users", { method: "POST", json: body });
    assert.equal(res.status, 201, res.text);
  });

  // Issue 17, item 3: 6,000 unknown fields in 59 KB gave a 605 KB answer.
  test("thousands of problems get a bounded answer: the first 100, truncated, counted", async () => {
    const fields = Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`f${i}`, 0]));
    const body = JSON.stringify({ ...PARTOO_USER, ...fields });
    assert.ok(Buffer.byteLength(body) < 64 * 1024);
    const res = await pub.call("/v1/partoo/users", { method: "POST", json: body });
    assert.equal(res.status, 422, res.text.slice(0, 300));
    assert.equal(res.body.type, "urn:enlist:problem:validation");
    assert.equal(res.body.errors.length, 100);
    assert.deepEqual(res.body.errors.slice(0, 2).map((i) => [i.path, i.code]), [["/f0", "unknown_field"], ["/f1", "unknown_field"]]);
    assert.equal(res.body.truncated, true);
    assert.equal(res.body.total_errors, 6000);
    assert.match(res.body.detail, /^6000 problem/);
    assert.ok(res.text.length < 30_000, `${res.text.length} bytes`);
    const line = pub.lines().find((l) => l.request_id === res.headers.get("x-request-id"));
    assert.equal(line.issues.length, 50, "the log line keeps its own cap");
    noCalls();
  });
});

describe("client tokens (admin mode)", () => {
  test("missing or wrong token: 401 with WWW-Authenticate, zero calls", async () => {
    for (const headers of [{}, bearer("wrong"), bearer(`${TOKENS[0]}x`), bearer(TOKENS[0].slice(0, -1)), { authorization: `Basic ${TOKENS[0]}` }, { authorization: TOKENS[0] }]) {
      const res = await adm.call("/v1/partoo/users", json(PARTOO_USER, headers));
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.body.type, "urn:enlist:problem:unauthorized");
      assert.equal(res.headers.get("www-authenticate"), "Bearer");
    }
    const invite = await adm.call("/v1/partoo/users/5309c3a237bbc544d8e26737/invite", { method: "POST" });
    assert.equal(invite.status, 401);
    noCalls();
  });

  test("a right token: forwarded, and roles public mode forbids are allowed", async () => {
    for (const token of TOKENS) {
      const res = await adm.call("/v1/partoo/users", json({ ...PARTOO_USER, email: `${token}@example.com`, role: "ORG_ADMIN" }, bearer(token)));
      assert.equal(res.status, 201, res.text);
    }
    assert.equal(up.requests.length, 2);
  });
});

describe("policy", () => {
  test("public mode cannot create a Partoo ORG_ADMIN or ORG_MANAGER, nor pick its organization", async () => {
    for (const extra of [{ role: "ORG_ADMIN" }, { role: "ORG_MANAGER" }, { org_id: 1 }, { custom_role: "admin" }, { business_ids: ["b1"] }]) {
      const res = await pub.call("/v1/partoo/users", json({ ...PARTOO_USER, ...extra }));
      assert.equal(res.status, 403, JSON.stringify(extra));
      assert.equal(res.body.type, "urn:enlist:problem:policy");
      assert.deepEqual(res.body.errors.map((i) => [i.path, i.code]), [[`/${Object.keys(extra)[0]}`, "policy"]]);
    }
    noCalls();
  });

  test("public mode cannot create a PandaDoc workspace Admin", async () => {
    const body = { ...PANDADOC_USER, workspaces: [{ workspace_id: "Ab123", role: "Member" }, { workspace_id: "Cd456", role: "Admin" }] };
    const res = await pub.call("/v1/pandadoc/users", json(body));
    assert.equal(res.status, 403);
    assert.deepEqual(res.body.errors.map((i) => [i.path, i.code, i.params.rule]), [["/workspaces/1/role", "policy", "allow"]]);
    noCalls();
  });

  test("refusals and validation errors are reported together", async () => {
    const res = await pub.call("/v1/partoo/users", json({ email: "nope", first_name: "A", last_name: "B", role: "ORG_ADMIN" }));
    assert.equal(res.status, 403);
    assert.deepEqual(res.body.errors.map((i) => `${i.path} ${i.code}`), ["/role policy", "/email email"]);
    noCalls();
  });

  test("POLICY: forced values are sent, forbidden fields and other domains are refused", async () => {
    const ok = await adm.call("/v1/partoo/users", json({ ...PARTOO_USER, lang: "en" }, bearer(TOKENS[0])));
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(JSON.parse(up.requests[0].body), { ...PARTOO_USER, lang: "fr", send_invitation: true });
    const res = await adm.call("/v1/partoo/users", json({ ...PARTOO_USER, email: "ada@evil.example", password: "Sup3r-secret!" }, bearer(TOKENS[0])));
    assert.equal(res.status, 403);
    assert.deepEqual(res.body.errors.map((i) => [i.path, i.params.rule]).sort(), [["/email", "allowedEmailDomains"], ["/password", "forbid"]]);
    const pd = await adm.call("/v1/pandadoc/users", json({ ...PANDADOC_USER, license: "Full", workspaces: [{ workspace_id: "Zz9", role: "Admin" }] }, bearer(TOKENS[0])));
    assert.equal(pd.status, 403);
    assert.deepEqual(pd.body.errors.map((i) => i.path), ["/license", "/workspaces/0/workspace_id"]);
    assert.deepEqual(pd.body.errors[0].params.allowed, ["Guest"]);
    assert.equal(up.requests.length, 1);
  });
});

describe("rate limiting", () => {
  test("over the limit: 429 rate_limited with Retry-After, not forwarded", async () => {
    const statuses = [];
    for (let i = 0; i < 8; i++) {
      const res = await limited.call("/v1/pandadoc/users", json({ ...PANDADOC_USER, user: { email: `u${i}@example.com` } }));
      statuses.push(res.status);
      if (res.status === 429) {
        assert.equal(res.body.type, "urn:enlist:problem:rate_limited");
        assert.equal(res.headers.get("retry-after"), "60");
      }
    }
    const created = statuses.filter((s) => s === 201).length;
    // Windows are fixed and clock-aligned: one may roll over mid-test.
    assert.ok(statuses.includes(429), statuses.join());
    assert.ok(created >= 3 && created <= 6, statuses.join());
    assert.equal(up.requests.length, created);
  });

  test("a missing RATE_LIMITER binding does not crash: unlimited, and logged", async () => {
    for (let i = 0; i < 5; i++) {
      const res = await unbound.call("/v1/partoo/users", json({ ...PARTOO_USER, email: `n${i}@example.com` }));
      assert.equal(res.status, 201, res.text);
    }
    assert.ok(unbound.lines().some((l) => l.notes?.includes("rate_limiter_unavailable")));
  });
});
