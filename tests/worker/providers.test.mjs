// The Worker's generic routes over every provider a build registers: the
// health report, the OpenAPI document, POST /v1/{provider}/users against the
// mock upstream and its validation problem — for each provider of the
// Worker's test build (`cargo xtask build worker-test`, which `cargo xtask
// test` runs first: build/test-panic/, built with the core's test
// providers), found in the core's description of that build
// (build/test-panic/providers.json). The mock upstream serves each from that
// description too. Provider-specific behaviour is in proxy.test.mjs; no test
// here names a provider. Every answer is checked against the Worker's OpenAPI
// document (helpers.mjs).
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mockKey, readProviders, startUpstream } from "../mocks/upstream.mjs";
import { startProxy } from "./helpers.mjs";
import { ROOT } from "./serve.mjs";

const BUILD = join(ROOT, "build/test-panic");
const TOKEN = "client-token-providers-test";
const auth = { authorization: `Bearer ${TOKEN}` };

let providers;
let up;
let w;

/** The Worker's test build, admin mode (every field of each example may be sent), each provider on `upstream` with the mock's key for it. */
const proxyOptions = (upstream) => ({
  scriptPath: join(BUILD, "index.js"),
  upstreams: Object.fromEntries(providers.map((p) => [p.id, upstream])),
  bindings: {
    ...Object.fromEntries(providers.map((p) => [`${p.id.toUpperCase()}_API_KEY`, mockKey(p.id)])),
    CLIENT_TOKENS: TOKEN,
    UPSTREAM_TIMEOUT_MS: "2000",
  },
  rateLimit: { limit: 10_000 },
});

before(async () => {
  providers = readProviders(join(BUILD, "providers.json"));
  // Every provider's key is the mock's default for it (mockKey).
  up = await startUpstream({ providers });
  w = await startProxy(proxyOptions(up.url));
});
after(async () => {
  await w?.dispose();
  await up?.close();
});
beforeEach(() => up.reset());

test("the test build registers the core's test providers", () => {
  assert.ok(providers.length >= 3, providers.map((p) => p.id).join(", "));
});

test("the release build serves none of the test providers, and its files never name them", async () => {
  const release = await startProxy({ rateLimit: { limit: 10_000 } });
  let served;
  try {
    served = (await release.call("/v1/health")).body.providers.map((p) => p.id);
  } finally {
    await release.dispose();
  }
  const testOnly = providers.map((p) => p.id).filter((id) => !served.includes(id));
  assert.ok(testOnly.length > 0, `the release build serves ${served}`);
  for (const file of ["index.js", "index_bg.wasm"]) {
    const bytes = readFileSync(join(ROOT, "build", file));
    for (const id of testOnly) assert.equal(bytes.includes(Buffer.from(id)), false, `build/${file} holds ${id}`);
  }
});

test("GET /v1/health: every provider, configured", async () => {
  const res = await w.call("/v1/health");
  assert.equal(res.status, 200);
  assert.deepEqual(
    res.body.providers.map((p) => [p.id, p.configured]),
    providers.map((p) => [p.id, true]),
  );
});

test("GET /v1/openapi.json: a path for each provider, with its example", async () => {
  const res = await w.call("/v1/openapi.json");
  assert.equal(res.status, 200);
  for (const p of providers) {
    const op = res.body.paths[`/v1/${p.id}/users`]?.post;
    assert.ok(op, `/v1/${p.id}/users is documented`);
    assert.deepEqual(op.requestBody.content["application/json"].example, p.example, p.id);
  }
});

describe("POST /v1/{provider}/users", () => {
  test("201 from each provider's API; the example and the key go upstream, nothing else", async () => {
    for (const p of providers) {
      up.reset();
      const res = await w.call(`/v1/${p.id}/users`, { method: "POST", json: p.example, headers: auth });
      assert.equal(res.status, 201, `${p.id}: ${res.text}`);
      assert.equal(res.body.provider, p.id);
      assert.equal(res.body.status, p.created.status);
      assert.equal(typeof res.body.id, "string");
      assert.equal(up.requests.length, 1, p.id);
      const [r] = up.requests;
      assert.equal(r.method, p.create.method);
      assert.equal(r.path, p.create.path);
      assert.equal(r.headers[p.create.credential.name.toLowerCase()], p.create.credential.value.replace("{key}", mockKey(p.id)));
      assert.deepEqual(JSON.parse(r.body), p.example, p.id);
      assert.ok(!res.text.includes(mockKey(p.id)), "the key never comes back");
    }
  });

  test("an invalid payload: 422 validation with every issue, nothing sent", async () => {
    for (const p of providers) {
      const res = await w.call(`/v1/${p.id}/users`, { method: "POST", json: { enlist_unknown_member: 1 }, headers: auth });
      assert.equal(res.status, 422, `${p.id}: ${res.text}`);
      assert.equal(res.body.type, "urn:enlist:problem:validation");
      const issues = res.body.errors.map((e) => `${e.path} ${e.code}`);
      assert.ok(issues.includes("/enlist_unknown_member unknown_field"), `${p.id}: ${issues}`);
      assert.ok(issues.some((i) => i.endsWith(" required")), `${p.id}: ${issues}`);
    }
    assert.equal(up.requests.length, 0);
  });

  test("not JSON: 400 invalid_json; a query parameter it does not take: 422 at path \"\"; nothing sent", async () => {
    for (const p of providers) {
      const bad = await w.call(`/v1/${p.id}/users`, { method: "POST", json: "{", headers: auth });
      assert.deepEqual([bad.status, bad.body.type], [400, "urn:enlist:problem:invalid_json"], `${p.id}: ${bad.text}`);
      const query = await w.call(`/v1/${p.id}/users?enlist_unknown=true`, { method: "POST", json: p.example, headers: auth });
      assert.equal(query.status, 422, `${p.id}: ${query.text}`);
      assert.equal(query.body.errors[0].path, "");
    }
    assert.equal(up.requests.length, 0);
  });

  test("the provider's 429: 429 rate_limited with its Retry-After", async () => {
    for (const p of providers) {
      up.script({ status: 429, body: {}, headers: { "Retry-After": "7" } });
      const res = await w.call(`/v1/${p.id}/users`, { method: "POST", json: p.example, headers: auth });
      assert.deepEqual([res.status, res.body.type], [429, "urn:enlist:problem:rate_limited"], `${p.id}: ${res.text}`);
      assert.equal(res.headers.get("retry-after"), "7", p.id);
    }
  });

  test("a key the provider refuses: 502 upstream_error, never a 201", async () => {
    const keys = Object.fromEntries(providers.map((p) => [p.id, "another-key"]));
    const refusing = await startUpstream({ providers, keys });
    const proxy = await startProxy(proxyOptions(refusing.url)).catch(async (err) => {
      await refusing.close();
      throw err;
    });
    try {
      for (const p of providers) {
        const res = await proxy.call(`/v1/${p.id}/users`, { method: "POST", json: p.example, headers: auth });
        assert.deepEqual([res.status, res.body.type], [502, "urn:enlist:problem:upstream_error"], `${p.id}: ${res.text}`);
      }
      assert.equal(refusing.requests.length, providers.length);
    } finally {
      await proxy.dispose();
      await refusing.close();
    }
  });
});
