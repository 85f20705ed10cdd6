// Smoke test of the built Worker in Miniflare: the health route, a problem+json
// 404 under /v1/, and the form served from www/ by the assets binding.
// Needs the Worker built (`cargo xtask build`; `cargo xtask test` does it).
// Run: node --test tests/worker/
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ROOT, startWorker } from "./serve.mjs";

let worker;
before(async () => {
  worker = await startWorker();
});
after(async () => {
  await worker?.dispose();
});

const get = (path, init) => fetch(`${worker.url}${path}`, init);

test("GET /v1/health answers 200 {status: ok, …}", async () => {
  const res = await get("/v1/health");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json\b/);
  const body = await res.json();
  assert.equal(body.status, "ok");
  assert.ok(Array.isArray(body.providers));
});

test("an unknown /v1/ path is an RFC 9457 problem 404", async () => {
  const res = await get("/v1/nope");
  assert.equal(res.status, 404);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const body = await res.json();
  assert.equal(body.status, 404);
  assert.equal(body.title, "Not Found");
  assert.equal(typeof body.type, "string");
});

test("a wrong method on a known path is a problem 405 with Allow", async () => {
  const res = await get("/v1/health", { method: "POST", body: "{}" });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  assert.match(res.headers.get("allow") ?? "", /\bGET\b/);
  assert.equal((await res.json()).status, 405);
});

test("/ serves the bundled form, build/www/index.html", async () => {
  const res = await get("/");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/html\b/);
  assert.equal(await res.text(), readFileSync(`${ROOT}build/www/index.html`, "utf8"));
});

// Proves the binding and the exported class are wired up (the store's
// behaviour is in idempotency.test.mjs): it refuses a malformed message.
test("the IDEMPOTENCY Durable Object is bound", async () => {
  const ns = await worker.mf.getDurableObjectNamespace("IDEMPOTENCY");
  const res = await ns.get(ns.idFromName("smoke")).fetch("http://do/", { method: "POST", body: "{}" });
  assert.equal(res.status, 400);
  await res.arrayBuffer();
});
