// A trap in the package's wasm (a Rust panic aborts the instance and leaves
// its shared state borrowed) must not leave the package unusable: the call
// that trapped throws its error, and the next call runs on a new instance.
// Runs on the package's JavaScript over a wasm built with the `test-trap`
// feature, where any call whose input holds `enlist:test-trap` traps
// (`cargo xtask build npm-test`, which `cargo xtask test` runs first).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";

import { root } from "./pack.mjs";

const dir = join(root, "target/enlist-wasm-test-pkg");
const TRAP = '"enlist:test-trap"';
const ADA = { email: "ada@example.com", first_name: "Ada", last_name: "Lovelace" };

/** A fresh copy of one of the test package's modules. */
async function load(file) {
  assert.ok(
    existsSync(join(dir, file)),
    `${dir}/${file} is missing: run \`cargo xtask build npm-test\` (cargo xtask test does)`,
  );
  return import(`${pathToFileURL(join(dir, file)).href}?${Math.random()}`);
}

/** `fetch` that answers `body` with `status`. */
const answer = (status, body) => async () =>
  new Response(body, { status, headers: { "content-type": "application/json" } });

describe("a trapped wasm instance", () => {
  test("stays broken by itself: every later call traps (why the API re-instantiates)", async () => {
    const glue = await load("enlist.js");
    const api = await load("api.js");
    const rt = api.attach(glue.initSync({ module: readFileSync(join(dir, "enlist_bg.wasm")) }));
    assert.equal(api.validate(rt, "partoo", ADA).ok, true);
    assert.throws(() => api.validateJson(rt, "partoo", TRAP), WebAssembly.RuntimeError);
    assert.throws(() => api.validate(rt, "partoo", ADA), WebAssembly.RuntimeError);
    // The glue's `reinit` gives a new instance of the same module.
    const fresh = api.attach(glue.reinit());
    assert.equal(api.validate(fresh, "partoo", ADA).ok, true);
  });

  test("the Node.js entry: the trap reaches its caller, the next call works", async () => {
    const enlist = await load("node.js");
    const before = enlist.validate("partoo", { email: "nope" });
    const providers = enlist.providers();
    assert.throws(() => enlist.validateJson("partoo", TRAP), WebAssembly.RuntimeError);
    assert.equal(enlist.validate("partoo", ADA).ok, true);
    assert.deepEqual(enlist.validate("partoo", { email: "nope" }), before);
    // The test build registers the core's test providers after these two.
    assert.deepEqual(enlist.providers(), providers);
    assert.deepEqual(providers.slice(0, 2), ["partoo", "pandadoc"]);
    // Options set before the trap are set again on the new instance.
    assert.throws(() => enlist.validateJson("partoo", TRAP), WebAssembly.RuntimeError);
    const domains = { allowedEmailDomains: ["acme.com"] };
    assert.equal(enlist.validate("partoo", ADA, domains).errors[0].code, "domain");
    assert.equal(enlist.validate("partoo", ADA).ok, true);
    // Again and again.
    for (let i = 0; i < 3; i++) {
      assert.throws(() => enlist.csvToRows("partoo", `email\n${TRAP}\n`), WebAssembly.RuntimeError);
      assert.equal(enlist.csvToRows("partoo", "email\nada@example.com\n").ok, true);
    }
  });

  test("buildRequest: the trap reaches its caller, the next call works", async () => {
    const enlist = await load("node.js");
    const settings = { apiKey: "k" };
    assert.throws(() => enlist.buildRequest("partoo", { ...ADA, last_name: TRAP }, settings), WebAssembly.RuntimeError);
    assert.equal(enlist.buildRequest("partoo", ADA, settings).ok, true);
  });

  test("createUser: a trap while reading the answer rejects that call only", async () => {
    const enlist = await load("node.js");
    const options = (fetch) => ({ endpoint: "http://127.0.0.1:9", fetch });
    await assert.rejects(
      enlist.createUser("partoo", ADA, options(answer(201, `{"id":${TRAP}}`))),
      WebAssembly.RuntimeError,
    );
    const r = await enlist.createUser("partoo", ADA, options(answer(201, '{"provider":"partoo","id":"u1"}')));
    assert.deepEqual([r.kind, r.id, r.retryable], ["created", "u1", false]);
    // A trap before anything is sent (the payload) rejects too.
    await assert.rejects(
      enlist.createUser("partoo", { ...ADA, first_name: TRAP }, options(answer(201, "{}"))),
      WebAssembly.RuntimeError,
    );
    assert.equal((await enlist.createUser("partoo", ADA, options(answer(503, "")))).kind, "unavailable");
  });

  test("a call that started on the old instance does not drop the new one", async () => {
    const enlist = await load("node.js");
    let release;
    const held = new Promise((resolve) => {
      release = resolve;
    });
    // This call plans on the first instance, then waits for its answer.
    const slow = enlist.createUser("partoo", ADA, {
      endpoint: "http://127.0.0.1:9",
      fetch: async () => {
        await held;
        return new Response('{"id":"u2"}', { status: 201 });
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.throws(() => enlist.validateJson("partoo", TRAP), WebAssembly.RuntimeError);
    assert.equal(enlist.validate("partoo", ADA).ok, true); // a new instance
    release();
    // The slow call reads its answer with the instance it started on, which
    // trapped: it fails, and the new instance is kept.
    await assert.rejects(slow, WebAssembly.RuntimeError);
    assert.equal(enlist.validate("partoo", ADA).ok, true);
  });

  test("the client entry (enlist/client) recovers too", async () => {
    const client = await load("client.js");
    client.initSync(readFileSync(join(dir, "enlist_client_bg.wasm")));
    assert.throws(() => client.validateJson("partoo", TRAP), WebAssembly.RuntimeError);
    assert.equal(client.validate("partoo", ADA).ok, true);
    assert.throws(() => client.validateMany("partoo", `[${TRAP}]`), WebAssembly.RuntimeError);
    assert.equal(client.validateMany("partoo", [ADA]).valid, 1);
  });

  test("the browser entry, loaded with init(), recovers too", async () => {
    const browser = await load("browser.js");
    await browser.init(readFileSync(join(dir, "enlist_bg.wasm")));
    assert.throws(() => browser.validateJson("partoo", TRAP), WebAssembly.RuntimeError);
    assert.equal(browser.validate("partoo", ADA).ok, true);
  });
});
