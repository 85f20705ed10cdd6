// The Worker's behaviour in front of the scripted mock upstream
// (tests/mocks/upstream.mjs): successes, our own refusals, and every
// provider failure mode, each mapped to the documented problem. Every answer
// is checked against the Worker's OpenAPI document (helpers.mjs).
// Needs the Worker built (`cargo xtask test` builds it).
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startUpstream } from "../mocks/upstream.mjs";
import { PANDADOC_USER, PARTOO_USER, freePort, startProxy } from "./helpers.mjs";

const PARTOO_KEY = "partoo-key-1f0e";
const PANDADOC_KEY = "pandadoc-key-9c2d";
const TOKEN = "client-token-proxy-test";

let up;
let w; // public mode, both providers on the mock
let admin; // admin mode: partoo on the mock, pandadoc on a closed port
let broken; // invalid POLICY, no PandaDoc key

before(async () => {
  up = await startUpstream({ partooKey: PARTOO_KEY, pandadocKey: PANDADOC_KEY });
  const closed = await freePort();
  [w, admin, broken] = await Promise.all([
    startProxy({
      upstreams: { partoo: up.url, pandadoc: up.url },
      bindings: { PARTOO_API_KEY: PARTOO_KEY, PANDADOC_API_KEY: PANDADOC_KEY, UPSTREAM_TIMEOUT_MS: "400" },
      rateLimit: { limit: 10_000 },
    }),
    startProxy({
      upstreams: { partoo: up.url, pandadoc: `http://127.0.0.1:${closed}` },
      bindings: { PARTOO_API_KEY: PARTOO_KEY, PANDADOC_API_KEY: PANDADOC_KEY, CLIENT_TOKENS: TOKEN, UPSTREAM_TIMEOUT_MS: "400" },
      rateLimit: { limit: 10_000 },
    }),
    startProxy({
      upstreams: { partoo: up.url },
      bindings: { PARTOO_API_KEY: PARTOO_KEY, POLICY: '{"partoo": {"alow": {}}}' },
    }),
  ]);
});
after(async () => {
  await Promise.all([w?.dispose(), admin?.dispose(), broken?.dispose()]);
  await up?.close();
});
beforeEach(() => up.reset());

const post = (worker, path, json, headers = {}) => worker.call(path, { method: "POST", json, headers });
const auth = { authorization: `Bearer ${TOKEN}` };

describe("health and document", () => {
  test("GET /v1/health: mode and providers, no secrets", async () => {
    const res = await w.call("/v1/health");
    assert.equal(res.status, 200);
    assert.equal(res.body.status, "ok");
    assert.equal(res.body.mode, "public");
    assert.deepEqual(
      res.body.providers.map((p) => [p.id, p.configured, p.environment]),
      [["partoo", true, "custom"], ["pandadoc", true, "custom"]],
    );
    assert.ok(!res.text.includes(PARTOO_KEY) && !res.text.includes(up.url));
    const b = await broken.call("/v1/health");
    assert.deepEqual(
      b.body.providers.map((p) => [p.id, p.configured, p.reason]),
      [["partoo", false, "invalid_policy"], ["pandadoc", false, "missing_api_key"]],
    );
    assert.equal((await admin.call("/v1/health")).body.mode, "admin");
  });

  test("GET /v1/openapi.json is OpenAPI 3.1 served as JSON, with the registry filled in", async () => {
    const res = await w.call("/v1/openapi.json");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^application\/json/);
    assert.equal(res.body.openapi, "3.1.0");
    assert.ok(res.body.paths["/v1/partoo/users"] && res.body.paths["/v1/pandadoc/users"]);
    const head = await w.call("/v1/openapi.json", { method: "HEAD" });
    assert.equal(head.status, 200);
  });
});

describe("create user: success", () => {
  test("Partoo: 201, the validated body and the key go upstream, nothing else", async () => {
    const res = await post(w, "/v1/partoo/users", { ...PARTOO_USER, lang: "en" });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.provider, "partoo");
    assert.equal(res.body.status, 200);
    assert.match(res.body.id, /^[0-9a-f]{24}$/);
    assert.deepEqual(res.body.warnings, []);
    assert.equal(up.requests.length, 1);
    const [r] = up.requests;
    assert.equal(r.method, "POST");
    assert.equal(r.path, "/user");
    assert.equal(r.headers["x-apikey"], PARTOO_KEY);
    assert.equal(r.headers["content-type"], "application/json");
    // Public mode's built-in policy sets the role when it is absent.
    assert.deepEqual(JSON.parse(r.body), { ...PARTOO_USER, lang: "en", role: "BUSINESS_MANAGER" });
  });

  test("PandaDoc: 201 with workspaces; query flags pass through", async () => {
    const res = await post(w, "/v1/pandadoc/users?notify_user=true&notify_ws_admins=false", PANDADOC_USER);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.provider, "pandadoc");
    assert.equal(res.body.workspaces[0].workspace_id, "Ab123");
    const [r] = up.requests;
    assert.equal(r.path, "/public/v1/users");
    assert.deepEqual(r.query, { notify_user: "true", notify_ws_admins: "false" });
    assert.equal(r.headers.authorization, `API-Key ${PANDADOC_KEY}`);
    assert.deepEqual(JSON.parse(r.body), PANDADOC_USER);
  });

  test("validation warnings come back with the 201", async () => {
    const res = await post(w, "/v1/partoo/users", { ...PARTOO_USER, sidebar_pages: ["posts"] });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.warnings.map((i) => [i.path, i.code]), [["/sidebar_pages", "deprecated"]]);
  });
});

describe("create user: refused by the proxy, nothing forwarded", () => {
  test("every validation problem at once: 422 validation", async () => {
    const res = await post(w, "/v1/partoo/users", { email: "not-an-email", first_name: " ", nickname: "x", lang: "pt-BR" });
    assert.equal(res.status, 422);
    assert.equal(res.body.type, "urn:enlist:problem:validation");
    const got = res.body.errors.map((i) => `${i.path} ${i.code}`).sort();
    assert.deepEqual(got, ["/email email", "/first_name empty", "/lang enum", "/last_name required", "/nickname unknown_field"]);
    assert.equal(res.body.errors.find((i) => i.path === "/lang").params.suggestion, "pt-br");
    assert.equal(up.requests.length, 0);
  });

  test("not JSON: 400 invalid_json with line and column", async () => {
    const res = await post(w, "/v1/pandadoc/users", '{"user": ');
    assert.equal(res.status, 400);
    assert.equal(res.body.type, "urn:enlist:problem:invalid_json");
    assert.equal(res.body.errors[0].code, "invalid_json");
    assert.equal(typeof res.body.errors[0].params.line, "number");
    assert.equal(up.requests.length, 0);
  });

  test("query parameters a provider does not take: 422 at path \"\"", async () => {
    for (const [path, body] of [
      ["/v1/partoo/users?notify_user=true", PARTOO_USER],
      ["/v1/pandadoc/users?notify_user=yes", PANDADOC_USER],
      ["/v1/pandadoc/users?redirect=http://evil.example", PANDADOC_USER],
    ]) {
      const res = await post(w, path, body);
      assert.equal(res.status, 422, path);
      assert.equal(res.body.errors[0].path, "");
    }
    assert.equal(up.requests.length, 0);
  });

  test("not declared as JSON: 415", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", ""]) {
      const res = await w.call("/v1/partoo/users", { method: "POST", body: JSON.stringify(PARTOO_USER), headers: { "content-type": type } });
      assert.equal(res.status, 415, type);
    }
    assert.equal(up.requests.length, 0);
  });

  test("wrong method: 405 with Allow; unknown paths and providers: 404", async () => {
    const res = await w.call("/v1/partoo/users", { method: "GET" });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "POST");
    const h = await w.call("/v1/health", { method: "DELETE" });
    assert.equal(h.headers.get("allow"), "GET, HEAD");
    for (const path of ["/v1/nope/users", "/v1/partoo/users/", "/v1/pandadoc/users/abc/invite", "/v1/nope", "/v1/partoo"]) {
      const r = await w.call(path, { method: "POST", json: PARTOO_USER });
      assert.equal(r.status, 404, path);
      assert.equal(r.body.type, "urn:enlist:problem:not_found");
    }
    assert.equal(up.requests.length, 0);
  });

  test("a provider that is not configured: 503", async () => {
    const a = await post(broken, "/v1/pandadoc/users", PANDADOC_USER);
    assert.equal(a.status, 503);
    assert.equal(a.body.type, "urn:enlist:problem:provider_not_configured");
    const b = await post(broken, "/v1/partoo/users", PARTOO_USER);
    assert.equal(b.status, 503);
    assert.match(b.body.detail, /POLICY/);
    assert.equal(up.requests.length, 0);
  });
});

describe("create user: provider failures", () => {
  const cases = [
    // [name, provider, fault, status, slug, check]
    ["Partoo 400 field errors", "partoo", { status: 400, body: { errors: { json: { lang: ["Must be one of: fr, en."], custom_role: ["Unknown custom role."] } } } }, 422, "validation",
      (b) => assert.deepEqual(b.errors.map((i) => `${i.path} ${i.code}`).sort(), ["/custom_role rejected", "/lang enum"])],
    ["PandaDoc 400 field errors", "pandadoc", { status: 400, body: { type: "request_error", detail: { license: ["Unable to add more licenses."], workspace_id: ["Workspace with uuid Ab123 not found."] } } }, 422, "validation",
      (b) => assert.deepEqual(b.errors.map((i) => i.path).sort(), ["/license", "/workspaces"])],
    ["Partoo 401", "partoo", { status: 401, body: { errors: { authentication: "User not authenticated" } } }, 502, "upstream_error"],
    ["PandaDoc 401", "pandadoc", { status: 401, body: { type: "authentication_error", detail: "Authentication credentials were not provided." } }, 502, "upstream_error"],
    ["Partoo 403", "partoo", { status: 403, body: { errors: { authorization: "Operation not allowed" } } }, 502, "upstream_error"],
    ["PandaDoc 403", "pandadoc", { status: 403, body: { type: "permission_error", detail: "You do not have permission to perform this action." } }, 502, "upstream_error"],
    ["Partoo 404", "partoo", { status: 404, body: { errors: {} } }, 502, "upstream_error"],
    ["PandaDoc 404", "pandadoc", { status: 404, body: { type: "request_error", detail: "Not found" } }, 502, "upstream_error"],
    ["Partoo 429 with Retry-After", "partoo", { status: 429, body: { errors: {} }, headers: { "Retry-After": "7" } }, 429, "rate_limited"],
    ["Partoo 429 with an HTTP-date Retry-After 2 minutes ahead", "partoo", { status: 429, body: { errors: {} }, headers: { "Retry-After": new Date(Date.now() + 120_000).toUTCString() } }, 429, "rate_limited",
      undefined, (seconds) => assert.ok(seconds >= 110 && seconds <= 120, `Retry-After ${seconds}`)],
    ["PandaDoc 429 with a date in the past", "pandadoc", { status: 429, body: { type: "throttled" }, headers: { "Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT" } }, 429, "rate_limited",
      undefined, (seconds) => assert.equal(seconds, 1)],
    ["Partoo 429 with a negative Retry-After", "partoo", { status: 429, body: { errors: {} }, headers: { "Retry-After": "-30" } }, 429, "rate_limited",
      undefined, (seconds) => assert.equal(seconds, 1)],
    ["PandaDoc 429 with an overflowing Retry-After", "pandadoc", { status: 429, body: { type: "throttled" }, headers: { "Retry-After": "99999999999999999999999" } }, 429, "rate_limited",
      undefined, (seconds) => assert.equal(seconds, 86_400)],
    ["PandaDoc 429 without Retry-After", "pandadoc", { status: 429, body: { type: "throttled", detail: "Request was throttled." } }, 429, "rate_limited"],
    ["Partoo 500", "partoo", { status: 500, body: { message: "Internal error" } }, 502, "upstream_error"],
    ["PandaDoc 500", "pandadoc", { status: 500, body: "oops" }, 502, "upstream_error"],
    ["HTML 502 page", "partoo", { status: 502, body: "<html><body>Bad Gateway</body></html>", contentType: "text/html" }, 502, "upstream_error"],
    ["HTML 502 page", "pandadoc", { status: 502, body: "<html><body>Bad Gateway</body></html>", contentType: "text/html" }, 502, "upstream_error"],
    ["200 without an id", "partoo", { status: 200, body: { status: "success" } }, 502, "upstream_error"],
    ["201 that is not JSON", "pandadoc", { status: 201, body: "created!" }, 502, "upstream_error"],
    ["a redirect (not followed)", "partoo", { status: 302, body: "", headers: { Location: "http://127.0.0.1:1/steal" } }, 502, "upstream_error"],
    ["an answer over 256 KiB", "pandadoc", { status: 201, bodyBytes: 300_000 }, 502, "upstream_error"],
    ["slow answer past UPSTREAM_TIMEOUT_MS", "partoo", { delayMs: 1_500 }, 504, "upstream_timeout"],
    ["no answer at all", "pandadoc", { hangMs: 1_500 }, 504, "upstream_timeout"],
    ["connection reset mid-body", "partoo", { resetAfterHeaders: true }, 502, "upstream_error"],
    ["connection reset mid-body", "pandadoc", { resetAfterHeaders: true }, 502, "upstream_error"],
  ];
  for (const [name, provider, fault, status, slug, check, checkRetryAfter] of cases) {
    test(`${name} (${provider}) → ${status} ${slug}`, async () => {
      up.script(fault);
      const res = await post(w, `/v1/${provider}/users`, provider === "partoo" ? PARTOO_USER : PANDADOC_USER);
      assert.equal(res.status, status, res.text);
      assert.equal(res.body.type, `urn:enlist:problem:${slug}`);
      assert.equal(up.requests.length, 1);
      // Never the provider's own words for 5xx problems.
      if (status >= 500) {
        for (const word of ["authenticat", "permission", "Bad Gateway", "oops", "Internal error", "Not found", "steal"]) {
          assert.ok(!res.text.includes(word), `${word} leaked: ${res.text}`);
        }
      }
      if (checkRetryAfter) {
        assert.match(res.headers.get("retry-after") ?? "", /^\d+$/);
        checkRetryAfter(Number(res.headers.get("retry-after")));
      } else if (status === 429) assert.equal(res.headers.get("retry-after"), fault.headers?.["Retry-After"] ?? "30");
      check?.(res.body);
      const line = w.lines().find((l) => l.request_id === res.headers.get("x-request-id"));
      assert.ok(line, "one log line for the request");
      const failure = status === 504 ? "timeout" : fault.bodyBytes ? "too_large" : fault.resetAfterHeaders ? "network" : undefined;
      if (failure) assert.equal(line.upstream_failure, failure);
      else assert.equal(line.upstream_status, fault.status ?? 200);
    });
  }

  test("the email is taken: 422 already_exists pointing at the email (both providers)", async () => {
    for (const [provider, body, path] of [["partoo", PARTOO_USER, "/email"], ["pandadoc", PANDADOC_USER, "/user/email"]]) {
      assert.equal((await post(w, `/v1/${provider}/users`, body)).status, 201);
      const res = await post(w, `/v1/${provider}/users`, body);
      assert.equal(res.status, 422, res.text);
      assert.equal(res.body.type, "urn:enlist:problem:already_exists");
      assert.deepEqual(res.body.errors.map((i) => [i.path, i.code]), [[path, "already_exists"]]);
      assert.ok(!res.text.includes("@"), "the email is not echoed");
    }
  });

  test("the provider cannot be reached: 502", async () => {
    const res = await post(admin, "/v1/pandadoc/users", PANDADOC_USER, auth);
    assert.equal(res.status, 502);
    assert.equal(res.body.type, "urn:enlist:problem:upstream_error");
    const line = admin.lines().find((l) => l.request_id === res.headers.get("x-request-id"));
    assert.equal(line.upstream_failure, "network");
  });
});

describe("invitations", () => {
  test("admin mode: create invited, then invite → 200; unknown user → 404", async () => {
    const created = await post(admin, "/v1/partoo/users", { ...PARTOO_USER, status: "invited", send_invitation: false }, auth);
    assert.equal(created.status, 201, created.text);
    const res = await admin.call(`/v1/partoo/users/${created.body.id}/invite`, { method: "POST", headers: auth });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { provider: "partoo", status: 200, id: created.body.id });
    assert.equal(up.requests.at(-1).path, `/user/${created.body.id}/invite`);
    assert.equal(up.requests.at(-1).body, "");
    const missing = await admin.call("/v1/partoo/users/000000000000000000000000/invite", { method: "POST", headers: auth });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.type, "urn:enlist:problem:not_found");
  });

  test("public mode: invitations are refused by policy, nothing forwarded", async () => {
    const res = await w.call("/v1/partoo/users/5309c3a237bbc544d8e26737/invite", { method: "POST" });
    assert.equal(res.status, 403);
    assert.equal(res.body.type, "urn:enlist:problem:policy");
    assert.deepEqual(res.body.errors.map((i) => [i.path, i.code, i.params.rule]), [["", "policy", "invite"]]);
    assert.equal(up.requests.length, 0);
  });
});

test("one log line per request, with the request id sent as X-Request-Id", async () => {
  const res = await post(w, "/v1/partoo/users", { ...PARTOO_USER, "ada.secret@example.com": 1 });
  assert.equal(res.status, 422);
  const id = res.headers.get("x-request-id");
  assert.equal(res.body.request_id, id);
  const lines = w.lines().filter((l) => l.request_id === id);
  assert.equal(lines.length, 1);
  const [line] = lines;
  assert.equal(line.method, "POST");
  assert.equal(line.route, "/v1/{provider}/users");
  assert.equal(line.provider, "partoo");
  assert.equal(line.status, 422);
  assert.equal(line.problem, "validation");
  assert.equal(typeof line.duration_ms, "number");
  // An unknown key could be anything (here an email): it is not logged.
  assert.deepEqual(line.issues, [{ path: "/<other>", code: "unknown_field" }]);
  // Every request of this file so far logged exactly one line each.
  const ids = w.lines().map((l) => l.request_id);
  assert.equal(new Set(ids).size, ids.length);
});
