// serve.mjs configures Miniflare by hand (fast start-up); wrangler reads
// wrangler.toml. This test asks wrangler how it would configure Miniflare for
// wrangler.toml and checks that serve.mjs agrees, so the two cannot drift.
// It needs no build. Run: node --test tests/worker/
import { test } from "node:test";
import assert from "node:assert/strict";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { COMPATIBILITY_DATE, DURABLE_OBJECTS, RATE_LIMIT, READ_RATE_LIMIT, ROOT, WORKER_FIRST, wranglerVars } from "./serve.mjs";

const configPath = `${ROOT}wrangler.toml`;
const { workerOptions } = unstable_getMiniflareWorkerOptions(configPath);
// [vars] straight from the file: workerOptions.bindings would also hold the
// values of a local .dev.vars, which must never end up in a test diff.
const { vars } = unstable_readConfig({ config: configPath });

test("wrangler.toml [vars] are the bindings serve.mjs reads", () => {
  assert.deepEqual(wranglerVars(), vars);
  for (const name of ["PARTOO_ENVIRONMENT", "ALLOWED_ORIGINS", "UPSTREAM_TIMEOUT_MS"]) {
    assert.ok(name in wranglerVars(), `[vars] has ${name}`);
  }
});

test("compatibility date matches", () => {
  assert.equal(workerOptions.compatibilityDate, COMPATIBILITY_DATE);
});

test("rate limiters match", () => {
  const rl = workerOptions.ratelimits?.RATE_LIMITER;
  assert.ok(rl, "RATE_LIMITER binding in wrangler.toml");
  assert.deepEqual(rl.simple, { ...RATE_LIMIT });
  const read = workerOptions.ratelimits?.READ_RATE_LIMITER;
  assert.ok(read, "READ_RATE_LIMITER binding in wrangler.toml");
  assert.deepEqual(read.simple, { ...READ_RATE_LIMIT });
});

test("Durable Object bindings match", () => {
  assert.deepEqual(Object.keys(workerOptions.durableObjects ?? {}).sort(), Object.keys(DURABLE_OBJECTS).sort());
  for (const [name, expected] of Object.entries(DURABLE_OBJECTS)) {
    const d = workerOptions.durableObjects[name];
    assert.equal(d.className, expected.className, name);
    assert.equal(d.useSQLite, true, `${name}: new_sqlite_classes migration`);
  }
});

test("assets: build/www/, binding ASSETS, worker first on /v1/* and /scim/*", () => {
  const a = workerOptions.assets;
  assert.ok(a, "[assets] in wrangler.toml");
  assert.equal(a.directory.replace(/\/$/, ""), `${ROOT}build/www`);
  assert.equal(a.binding, "ASSETS");
  assert.equal(a.routerConfig?.has_user_worker, true);
  assert.deepEqual(a.routerConfig?.static_routing?.user_worker, [...WORKER_FIRST]);
  assert.deepEqual(WORKER_FIRST, ["/v1/*", "/scim/*"]);
});
