// The package's generic API over every provider a build registers: rules,
// validate, validateJson, validateMany, csvTemplate, buildRequest,
// parseResponse and createUser, for each provider of the package's own
// `providers()` list — with the core's test providers included. Runs on the
// package's JavaScript over the wasm built with the `test-providers` feature
// (`cargo xtask build npm-test`, which `cargo xtask test` runs first: it lays
// the package out in target/enlist-wasm-test-pkg/, outside the tarball and
// the size budgets, with the core's description of each provider in
// providers.json). Provider-specific behaviour is in package.test.mjs; no
// test here names a provider.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";

import { pkgDir, root } from "./pack.mjs";

const dir = join(root, "target/enlist-wasm-test-pkg");
const API_KEY = "sk_test_enlist_generic_suite_7";

/** A fresh copy of one of the test package's modules. */
async function load(file) {
  assert.ok(
    existsSync(join(dir, file)),
    `${dir}/${file} is missing: run \`cargo xtask build npm-test\` (cargo xtask test does)`,
  );
  return import(`${pathToFileURL(join(dir, file)).href}?${Math.random()}`);
}

let enlist;
/** The core's description of each provider (providers.json), by id. */
let described;

before(async () => {
  enlist = await load("node.js");
  const list = JSON.parse(readFileSync(join(dir, "providers.json"), "utf8"));
  described = new Map(list.map((p) => [p.id, p]));
});

/** The test build's providers with their descriptions. */
const each = () => enlist.providers().map((id) => [id, described.get(id)]);

describe("the test build", () => {
  test("registers every provider the core describes, in the same order", () => {
    assert.deepEqual(enlist.providers(), [...described.keys()]);
  });

  test("registers providers the npm package does not: they never reach its files", async () => {
    assert.ok(existsSync(join(pkgDir, "node.js")), `${pkgDir} is missing: run \`cargo xtask build npm\``);
    const release = await import(`${pathToFileURL(join(pkgDir, "node.js")).href}?${Math.random()}`);
    const released = release.providers();
    const testOnly = enlist.providers().filter((id) => !released.includes(id));
    assert.ok(testOnly.length > 0, "the test build registers the core's test providers");
    assert.deepEqual(released, enlist.providers().filter((id) => released.includes(id)));
    for (const file of readdirSync(pkgDir)) {
      const bytes = readFileSync(join(pkgDir, file));
      for (const id of testOnly) {
        // The name as the wasm's data and the JavaScript would hold it.
        assert.equal(bytes.includes(Buffer.from(`"${id}"`)) || bytes.includes(Buffer.from(id)), false, `${file} holds ${id}`);
      }
    }
  });
});

describe("every registered provider", () => {
  test("has rules: fields, environments, and its example's members are fields", () => {
    for (const [id, p] of each()) {
      const r = enlist.rules(id);
      assert.equal(r.provider, id);
      assert.equal(r.name, p.name);
      assert.ok(r.fields.length > 0, id);
      assert.ok(r.environments.length > 0, id);
      const names = r.fields.map((f) => f.name);
      for (const key of Object.keys(p.example)) assert.ok(names.includes(key), `${id}: ${key}`);
      // The CSV template's header row starts with the fields, in order.
      const header = enlist.csvTemplate(id).split("\n")[0].split(",");
      assert.equal(header[0].split(".")[0], names[0], id);
    }
  });

  test("validates its example clean, as a value, as JSON text and in a batch", () => {
    for (const [id, p] of each()) {
      assert.deepEqual(enlist.validate(id, p.example), { ok: true, errors: [], warnings: [] }, id);
      assert.equal(enlist.validateJson(id, JSON.stringify(p.example)).ok, true, id);
      // (The same example twice would be a duplicate in a batch.)
      const many = enlist.validateMany(id, [{}, p.example]);
      assert.deepEqual(
        many.invalid.map((row) => row.index),
        [0],
        id,
      );
    }
  });

  test("reports every required field of an empty payload, and unknown members", () => {
    for (const [id] of each()) {
      const required = enlist.rules(id).fields.filter((f) => f.required).map((f) => `/${f.name} required`);
      const report = enlist.validate(id, { enlist_unknown_member: 1 });
      assert.equal(report.ok, false, id);
      const issues = report.errors.map((i) => `${i.path} ${i.code}`);
      for (const want of required) assert.ok(issues.includes(want), `${id}: ${want} in ${issues}`);
      assert.ok(issues.includes("/enlist_unknown_member unknown_field"), `${id}: ${issues}`);
      for (const i of report.errors) assert.equal(typeof i.message, "string");
    }
  });

  test("builds its request: the core's method, path and credential, the example as body", () => {
    for (const [id, p] of each()) {
      const r = enlist.buildRequest(id, p.example, { apiKey: API_KEY });
      assert.equal(r.ok, true, `${id}: ${JSON.stringify(r.errors)}`);
      const base = enlist.rules(id).environments[0].base_url;
      const query = p.create.query ? `?${p.create.query}` : "";
      assert.equal(r.request.method, p.create.method, id);
      assert.equal(r.request.url, `${base}${p.create.path}${query}`, id);
      assert.equal(r.request.headers[p.create.credential.name], p.create.credential.value.replace("{key}", API_KEY), id);
      assert.deepEqual(JSON.parse(r.request.body), p.example, id);
      // Against a custom base URL, and never for an invalid payload.
      const local = enlist.buildRequest(id, p.example, { apiKey: API_KEY, baseUrl: "http://127.0.0.1:4010/" });
      assert.equal(local.request.url, `http://127.0.0.1:4010${p.create.path}${query}`, id);
      const invalid = enlist.buildRequest(id, {}, { apiKey: API_KEY });
      assert.deepEqual([invalid.ok, invalid.request], [false, undefined], id);
    }
  });

  test("reads its API's answers: the creation, a refused key, a rate limit", () => {
    for (const [id, p] of each()) {
      const created = enlist.parseResponse(id, p.created.status, {}, p.created.body);
      assert.equal(created.kind, "created", `${id}: ${JSON.stringify(created)}`);
      assert.equal(created.provider, id);
      assert.equal(typeof created.id, "string");
      assert.equal(enlist.parseResponse(id, 401, {}, "").kind, "unauthorized", id);
      const limited = enlist.parseResponse(id, 429, { "retry-after": "7" }, "");
      assert.deepEqual([limited.kind, limited.retry_after], ["rate_limited", 7], id);
      assert.equal(enlist.parseResponse(id, p.created.status, {}, "<html>").kind, "malformed", id);
    }
  });

  test("createUser posts the example to the proxy's route for it", async () => {
    for (const [id, p] of each()) {
      const sent = [];
      const fetch = async (url, init) => {
        sent.push({ url: String(url), body: init.body });
        return new Response(JSON.stringify({ provider: id, id: "u1" }), {
          status: 201,
          headers: { "content-type": "application/json" },
        });
      };
      const r = await enlist.createUser(id, p.example, { endpoint: "http://127.0.0.1:9", fetch });
      assert.deepEqual([r.kind, r.id], ["created", "u1"], id);
      assert.equal(sent.length, 1);
      assert.equal(sent[0].url, `http://127.0.0.1:9/v1/${id}/users`);
      assert.deepEqual(JSON.parse(sent[0].body), p.example, id);
      const invalid = await enlist.createUser(id, {}, { endpoint: "http://127.0.0.1:9", fetch });
      assert.equal(invalid.kind, "invalid", id);
      assert.equal(sent.length, 1, "nothing is sent for an invalid payload");
    }
  });

  test("the client flavour has the same providers, rules and validation", async () => {
    const client = await load("client.js");
    client.initSync(readFileSync(join(dir, "enlist_client_bg.wasm")));
    assert.deepEqual(client.providers(), enlist.providers());
    for (const [id, p] of each()) {
      assert.deepEqual(client.rules(id), enlist.rules(id));
      assert.deepEqual(client.validate(id, p.example), enlist.validate(id, p.example));
      assert.deepEqual(client.validate(id, {}), enlist.validate(id, {}));
    }
  });
});
