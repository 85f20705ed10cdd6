// The Worker's OpenAPI document against the Worker itself, both ways:
// - every answer in every test file is checked against the document
//   (helpers.mjs: documented status, content type, headers, Ajv schema);
// - this file produces every documented (operation, status, problem type)
//   at least once, so nothing is documented that the code cannot answer.
// It also throws a few hundred odd requests at the Worker: none may give a
// 500 or an undocumented answer. Needs the Worker built.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import Ajv2020 from "ajv/dist/2020.js";
import { startUpstream } from "../mocks/upstream.mjs";
import { PANDADOC_USER, PARTOO_USER, startProxy } from "./helpers.mjs";

/** A request whose body stops before its Content-Length (then half-close). */
const cutOff = (w, path, extra = "") => `POST ${path} HTTP/1.1\r\nHost: ${new URL(w.url).host}\r\nContent-Type: application/json\r\n${extra}Content-Length: 500\r\n\r\n{"email":`;

const TOKEN = "openapi-test-token";
const auth = { authorization: `Bearer ${TOKEN}` };
const SCIM_TOKEN = "openapi-test-scim-token";
const scimAuth = { authorization: `Bearer ${SCIM_TOKEN}` };
const ORIGIN = "https://app.example";
let up;
let pub; // public mode, both providers configured
let adm; // admin mode, Partoo only
let bare; // nothing configured
let limited; // rate limit 1
let upstreams;

before(async () => {
  up = await startUpstream({ partooKey: "pk", pandadocKey: "dk" });
  upstreams = { partoo: up.url, pandadoc: up.url };
  [pub, adm, bare, limited] = await Promise.all([
    startProxy({ upstreams, bindings: { PARTOO_API_KEY: "pk", PANDADOC_API_KEY: "dk", ALLOWED_ORIGINS: ORIGIN, UPSTREAM_TIMEOUT_MS: "300", SCIM_TOKENS: SCIM_TOKEN }, rateLimit: { limit: 100_000 } }),
    startProxy({ upstreams, bindings: { PARTOO_API_KEY: "pk", CLIENT_TOKENS: TOKEN, UPSTREAM_TIMEOUT_MS: "300" }, rateLimit: { limit: 100_000 } }),
    startProxy({ rateLimit: { limit: 100_000 }, bindings: { SCIM_TOKENS: SCIM_TOKEN } }),
    startProxy({ upstreams, bindings: { PARTOO_API_KEY: "pk", SCIM_TOKENS: SCIM_TOKEN }, rateLimit: { limit: 1 } }),
  ]);
});
after(async () => {
  await Promise.all([pub, adm, bare, limited].map((w) => w?.dispose()));
  await up?.close();
});

test("the document is served as JSON and is an OpenAPI 3.1 document", async () => {
  const res = await pub.call("/v1/openapi.json");
  assert.match(res.headers.get("content-type"), /^application\/json/);
  const doc = res.body;
  assert.equal(doc.openapi, "3.1.0");
  assert.ok(doc.info.title && doc.info.version);
  for (const [path, item] of Object.entries(doc.paths)) {
    assert.ok(path.startsWith("/v1/") || path.startsWith("/scim/v2/partoo/"), path);
    for (const m of ["get", "head", "post", "put", "patch", "delete", "options"]) {
      if (item[m]) assert.ok(Object.keys(item[m].responses).length > 0, `${m} ${path}`);
    }
  }
  // One create path per registered provider, with a body schema generated
  // from enlist-core; invite paths only for providers that have the call.
  const imports = ["", "/{id}", "/{id}/cancel", "/{id}/events", "/{id}/pause", "/{id}/results.csv", "/{id}/resume", "/{id}/retry", "/{id}/rows"].map((p) => `/v1/imports${p}`);
  // SCIM paths only for providers with a SCIM service.
  const scimPaths = ["/ResourceTypes", "/ResourceTypes/{id}", "/Schemas", "/Schemas/{id}", "/ServiceProviderConfig", "/Users", "/Users/{id}"].map((p) => `/scim/v2/partoo${p}`);
  assert.deepEqual(Object.keys(doc.paths).sort(), [...scimPaths, "/v1/health", ...imports, "/v1/openapi.json", "/v1/pandadoc/imports", "/v1/pandadoc/users", "/v1/partoo/imports", "/v1/partoo/users", "/v1/partoo/users/{id}/invite"]);
  const params = (p) => doc.paths[p].post.parameters.filter((x) => x.in === "query").map((x) => x.name);
  assert.deepEqual(params("/v1/partoo/users"), []);
  assert.deepEqual(params("/v1/pandadoc/users"), ["notify_user", "notify_ws_admins"]);
});

test("the generated request body schemas accept valid payloads and refuse structural errors", async () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const { body: doc } = await pub.call("/v1/openapi.json");
  const schema = (p) => ajv.compile(doc.paths[`/v1/${p}/users`].post.requestBody.content["application/json"].schema);
  const partoo = schema("partoo");
  const pandadoc = schema("pandadoc");
  const fullPartoo = { ...PARTOO_USER, org_id: 42, accesses: [[1, 2]], business_ids: ["b"], role: "GROUP_MANAGER", custom_role: "r", sidebar_pages: null, send_invitation: false, status: "invited", password: "Sup3r-secret!", lang: "pt-br", sso_only: false };
  for (const body of [PARTOO_USER, fullPartoo, { ...fullPartoo, sidebar_pages: ["posts"] }]) assert.ok(partoo(body), ajv.errorsText(partoo.errors));
  for (const body of [PANDADOC_USER, { ...PANDADOC_USER, user: { email: "a@b.co", phone_number: "" } }]) assert.ok(pandadoc(body), ajv.errorsText(pandadoc.errors));
  for (const bad of [{}, { ...PARTOO_USER, nick: "x" }, { ...PARTOO_USER, lang: "pt-BR" }, { ...PARTOO_USER, first_name: " " }, { ...PARTOO_USER, password: "short" }, { ...PARTOO_USER, accesses: [1] }]) {
    assert.ok(!partoo(bad), JSON.stringify(bad));
  }
  for (const bad of [{ ...PANDADOC_USER, workspaces: [] }, { ...PANDADOC_USER, license: "full" }, { ...PANDADOC_USER, user: { email: "a@b.co", phone_number: "0612" } }]) {
    assert.ok(!pandadoc(bad), JSON.stringify(bad));
  }
});

test("every documented status and problem type is produced by the code", async () => {
  const post = (w, path, json, headers = {}) => w.call(path, { method: "POST", json, headers });
  const create = "/v1/partoo/users";
  const invite = (id) => `/v1/partoo/users/${id}/invite`;

  // Read-only routes.
  for (const path of ["/v1/health", "/v1/openapi.json"]) {
    await pub.call(path);
    await pub.call(path, { method: "HEAD" });
    await pub.call(path, { method: "OPTIONS", headers: { origin: ORIGIN } });
    await pub.call(path, { headers: { origin: "https://evil.example" } });
    await pub.call(path, { method: "HEAD", headers: { origin: "https://evil.example" } });
    await pub.call(path, { method: "OPTIONS", headers: { origin: "https://evil.example" } });
    await pub.call(path, { method: "POST", body: "x" });
    await pub.call(path, { method: "PUT", body: "x", headers: { origin: "https://evil.example" } });
  }
  await pub.call("/v1/nope");

  // createUser.
  await post(pub, create, PARTOO_USER); // 201
  await post(pub, create, "{"); // 400 invalid_json
  await pub.socket("POST", create, cutOff(pub, create)); // 400 bad_request
  await post(adm, create, PARTOO_USER); // 401
  await post(pub, create, PARTOO_USER, { origin: "https://evil.example" }); // 403 origin
  await post(pub, create, { ...PARTOO_USER, role: "ORG_ADMIN" }); // 403 policy
  await post(pub, "/v1/nope/users", PARTOO_USER); // 404 (unknown path)
  await pub.call("/v1/partoo/users/a%2Fb/invite", { method: "OPTIONS" }); // 404 on a provider path
  await pub.call(create, { method: "OPTIONS" }); // 204
  await pub.call(create, { method: "OPTIONS", headers: { origin: "https://evil.example" } }); // 403
  await pub.call(create, { method: "GET" }); // 405
  await pub.call(create, { method: "GET", headers: { origin: "https://evil.example" } }); // 403 other method
  up.script({ delayMs: 250 });
  const k = "openapi-inflight";
  await Promise.all([post(pub, create, { ...PARTOO_USER, email: "if@example.com" }, { "idempotency-key": k }), new Promise((r) => setTimeout(r, 80)).then(() => post(pub, create, { ...PARTOO_USER, email: "if@example.com" }, { "idempotency-key": k }))]); // 201 + 409
  await post(pub, create, { ...PARTOO_USER, email: "other@example.com" }, { "idempotency-key": k }); // 422 key reused
  await post(pub, create, { ...PARTOO_USER, last_name: "x".repeat(70_000) }); // 413
  await pub.call(create, { method: "POST", body: "{}", headers: { "content-type": "text/plain" } }); // 415
  await post(pub, create, { ...PARTOO_USER, email: "bad" }); // 422 validation
  await post(pub, create, PARTOO_USER); // 422 already_exists
  await post(limited, create, { ...PARTOO_USER, email: "l1@example.com" });
  await post(limited, create, { ...PARTOO_USER, email: "l2@example.com" });
  await post(limited, create, { ...PARTOO_USER, email: "l3@example.com" }); // 429 (ours)
  // Refusals count too: over the limit, every one of them is a 429. Each is
  // tried until it is (a fixed rate-limit window may roll over in between).
  const evil = { origin: "https://evil.example" };
  const refusals = [
    ["/v1/nope", {}],
    ["/v1/partoo/users/a%2Fb/invite", { method: "OPTIONS" }],
    ...["/v1/health", "/v1/openapi.json", create, invite("abc")].flatMap((path) => [
      [path, { method: "GET", headers: evil }],
      [path, { method: "HEAD", headers: evil }],
      [path, { method: "OPTIONS", headers: evil }],
      [path, { method: "PUT", body: "x" }],
    ]),
  ];
  for (const [path, init] of refusals) {
    let status;
    for (let i = 0; i < 3 && status !== 429; i++) status = (await limited.call(path, init)).status;
    assert.equal(status, 429, `${init.method ?? "GET"} ${path}`);
  }
  up.script({ status: 500, body: {} });
  await post(pub, create, { ...PARTOO_USER, email: "e@example.com" }); // 502
  await post(bare, create, PARTOO_USER); // 503
  up.script({ delayMs: 1_000 });
  await post(pub, create, { ...PARTOO_USER, email: "t@example.com" }); // 504

  // inviteUser.
  const made = await post(adm, create, { ...PARTOO_USER, email: "inv@example.com", status: "invited" }, auth);
  const id = made.body.id;
  await adm.call(invite(id), { method: "POST", headers: auth }); // 200
  await adm.call(invite(id), { method: "POST" }); // 401
  await adm.call(invite(id), { method: "POST", headers: { ...auth, origin: "https://evil.example" } }); // 403 origin
  await pub.call(invite(id), { method: "POST" }); // 403 policy
  await adm.call(invite("000000000000000000000000"), { method: "POST", headers: auth }); // 404
  await adm.call(invite(id), { method: "OPTIONS" }); // 204
  await adm.call(invite(id), { method: "GET" }); // 405
  up.script({ delayMs: 250 });
  await Promise.all([adm.call(invite(id), { method: "POST", headers: { ...auth, "idempotency-key": "inv-k" } }), new Promise((r) => setTimeout(r, 80)).then(() => adm.call(invite(id), { method: "POST", headers: { ...auth, "idempotency-key": "inv-k" } }))]); // 200 + 409
  await adm.call(invite(id), { method: "POST", headers: { ...auth, "content-length": "70000" }, body: "x".repeat(70_000) }); // 413
  await adm.socket("POST", invite(id), cutOff(adm, invite(id), `Authorization: Bearer ${TOKEN}\r\n`)); // 400 bad_request
  await adm.call(invite(id), { method: "POST", headers: { ...auth, "idempotency-key": "x".repeat(300) } }); // 422 validation
  await adm.call(invite(id), { method: "POST", headers: { ...auth, "idempotency-key": k } }); // fresh key for adm scope → 200
  up.script({ status: 400, body: { errors: { json: { email: ["This email is already used."] } } } });
  await adm.call(invite(id), { method: "POST", headers: auth }); // 422 already_exists
  await post(adm, create, { ...PARTOO_USER, email: "kr@example.com" }, { ...auth, "idempotency-key": "inv-k" }); // 422 key reused (create under an invite key)
  await post(adm, create, { ...PARTOO_USER, email: "k2@example.com" }, { ...auth, "idempotency-key": "create-k" });
  await adm.call(invite(id), { method: "POST", headers: { ...auth, "idempotency-key": "create-k" } }); // 422 key reused
  await adm.call(invite(id), { method: "OPTIONS", headers: { origin: "https://evil.example" } }); // 403
  await adm.call(invite(id), { method: "GET", headers: { origin: "https://evil.example" } }); // 403 other method
  up.script({ status: 429, body: {}, headers: { "Retry-After": "3" } });
  await adm.call(invite(id), { method: "POST", headers: auth }); // 429 (upstream)
  up.script({ status: 500, body: {} });
  await adm.call(invite(id), { method: "POST", headers: auth }); // 502
  await bare.call(invite(id), { method: "POST" }); // 503
  up.script({ delayMs: 1_000 });
  await adm.call(invite(id), { method: "POST", headers: auth }); // 504
  up.script({ status: 400, body: { errors: { json: { user_id: ["Not a valid id."] } } } });
  await adm.call(invite(id), { method: "POST", headers: auth }); // 422 validation (provider)

  // Import jobs (admin mode; public mode has no such routes).
  const csv = (rows) => ({ method: "POST", body: ["email,first_name,last_name", ...rows].join("\n"), headers: { ...auth, "content-type": "text/csv" } });
  const job = await adm.call("/v1/partoo/imports", csv(["imp1@example.com,A,B"])); // 202
  assert.equal(job.status, 202, job.text);
  const jid = job.body.id;
  const other = "partoo-" + "0".repeat(32);
  await adm.call("/v1/partoo/imports?dry_run=true", csv(["x,A,B"])); // 200 dry run
  await adm.call("/v1/partoo/imports", { method: "POST", body: "{", headers: { ...auth, "content-type": "application/json" } }); // 400 invalid_json
  await adm.call("/v1/partoo/imports", csv(['"open'])); // 400 invalid_csv
  await adm.socket("POST", "/v1/partoo/imports", cutOff(adm, "/v1/partoo/imports", `Authorization: Bearer ${TOKEN}\r\n`)); // 400 bad_request
  await adm.call("/v1/partoo/imports", { method: "POST", body: "x" }); // 401
  await adm.call("/v1/partoo/imports", { ...csv([]), headers: { ...auth, "content-type": "text/csv", origin: "https://evil.example" } }); // 403
  await pub.call("/v1/partoo/imports", csv([])); // 404 (public mode)
  // 413: declared over 10 MiB. Sent as bytes with a short body, so that the
  // answer never races the upload (a client still sending 11 MiB when the 413
  // comes may see a reset instead, which made this flaky on a loaded machine).
  await adm.socket("POST", "/v1/partoo/imports", `POST /v1/partoo/imports HTTP/1.1\r\nHost: ${new URL(adm.url).host}\r\nContent-Type: text/csv\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: ${11 * 1024 * 1024}\r\n\r\nemail`);
  await adm.call("/v1/partoo/imports", { method: "POST", body: "x", headers: { ...auth, "content-type": "text/plain" } }); // 415
  await adm.call("/v1/partoo/imports", { method: "POST", body: "[]", headers: { ...auth, "content-type": "application/json" } }); // 422
  await adm.call("/v1/pandadoc/imports", csv([])); // 503 (no key)
  await adm.call("/v1/partoo/imports", { method: "OPTIONS" }); // 204
  await adm.call("/v1/partoo/imports", { method: "OPTIONS", headers: { origin: "https://evil.example" } }); // 403
  await pub.call("/v1/partoo/imports", { method: "OPTIONS" }); // 404 (public mode)
  await adm.call("/v1/partoo/imports", { method: "GET" }); // 405
  await adm.call("/v1/partoo/imports", { method: "GET", headers: { origin: "https://evil.example" } }); // 403 other method
  for (const [part, method] of [["", "GET"], ["/rows", "GET"], ["/results.csv", "GET"], ["/events", "GET"], ["/pause", "POST"], ["/resume", "POST"], ["/cancel", "POST"], ["/retry", "POST"]]) {
    const path = `/v1/imports/${jid}${part}`;
    if (part !== "/events") await adm.call(path, { method, headers: auth }); // 200 (or 409 for an action that does not apply)
    await adm.call(path, { method }); // 401
    await adm.call(path, { method, headers: { ...auth, origin: "https://evil.example" } }); // 403
    await adm.call(`/v1/imports/${other}${part}`, { method, headers: auth }); // 404
    await adm.call(path, { method: "OPTIONS" }); // 204
    await adm.call(path, { method: "OPTIONS", headers: { origin: "https://evil.example" } }); // 403
    await pub.call(path, { method: "OPTIONS" }); // 404
    await adm.call(path, { method: "PUT", body: "x" }); // 405
    await adm.call(path, { method: "PUT", body: "x", headers: { origin: "https://evil.example" } }); // 403 other method
  }
  await adm.call(`/v1/imports/${jid}/rows?limit=0`, { headers: auth }); // 422
  // The job has one row: by now it is done, so these do not apply (409).
  for (let i = 0; i < 300 && (await adm.call(`/v1/imports/${jid}`, { headers: auth })).body.status !== "done"; i++) await new Promise((r) => setTimeout(r, 100));
  for (const action of ["resume", "pause", "cancel"]) await adm.call(`/v1/imports/${jid}/${action}`, { method: "POST", headers: auth }); // 409 import_state
  // A row the provider refuses is failed; retry sends it again (200).
  up.script({ status: 400, body: { errors: { json: { email: ["Not a valid email address."] } } } });
  const failing = (await adm.call("/v1/partoo/imports", csv(["imp2@example.com,A,B"]))).body.id;
  for (let i = 0; i < 300 && (await adm.call(`/v1/imports/${failing}`, { headers: auth })).body.status !== "done"; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await adm.call(`/v1/imports/${failing}/retry`, { method: "POST", headers: auth })).status, 200);
  await adm.call("/v1/imports", { headers: auth }); // 200
  await adm.call("/v1/imports"); // 401
  await adm.call("/v1/imports", { headers: { ...auth, origin: "https://evil.example" } }); // 403
  await pub.call("/v1/imports"); // 404
  await adm.call("/v1/imports", { method: "OPTIONS" }); // 204
  await adm.call("/v1/imports", { method: "OPTIONS", headers: { origin: "https://evil.example" } }); // 403
  await pub.call("/v1/imports", { method: "OPTIONS" }); // 404
  await adm.call("/v1/imports", { method: "POST", body: "x" }); // 405
  await adm.call("/v1/imports", { method: "POST", body: "x", headers: { origin: "https://evil.example" } }); // 403 other method
  // The events stream of a finished job: one `end` event.
  const events = await adm.call(`/v1/imports/${jid}/events`, { headers: auth });
  assert.match(events.text, /^event: end\ndata: \{/);
  // Too many active jobs: a paced admin Worker with a limit of one.
  {
    const paced = await startProxy({ upstreams, bindings: { PARTOO_API_KEY: "pk", CLIENT_TOKENS: TOKEN, PARTOO_RATE_PER_MINUTE: "1", IMPORT_MAX_ACTIVE_JOBS: "1" }, rateLimit: { limit: 100_000 } });
    try {
      const slow = await paced.call("/v1/partoo/imports", csv(["p1@example.com,A,B", "p2@example.com,A,B"]));
      assert.equal(slow.status, 202);
      const refused = await paced.call("/v1/partoo/imports", csv(["p3@example.com,A,B"])); // 409 too_many_imports
      assert.equal(refused.status, 409, refused.text);
      // One row a minute: the job is still running, so every action applies once.
      for (const action of ["pause", "resume", "cancel"]) {
        const res = await paced.call(`/v1/imports/${slow.body.id}/${action}`, { method: "POST", headers: auth });
        assert.equal(res.status, 200, `${action}: ${res.text}`);
      }
    } finally {
      paced.seen.forEach((s) => adm.seen.push(s));
      await paced.dispose();
    }
  }
  // Over the read budget: 429 on every import operation.
  {
    const lim = await startProxy({ upstreams, bindings: { PARTOO_API_KEY: "pk", CLIENT_TOKENS: TOKEN }, rateLimit: { limit: 1 }, readRateLimit: { limit: 1 } });
    try {
      const reads = [["/v1/partoo/imports", csv(["r@example.com,A,B"])], ["/v1/imports", { headers: auth }], ...["", "/rows", "/results.csv", "/events"].map((p) => [`/v1/imports/${other}${p}`, { headers: auth }]), ...["/pause", "/resume", "/cancel", "/retry"].map((p) => [`/v1/imports/${other}${p}`, { method: "POST", headers: auth }])];
      const evil = { origin: "https://evil.example" };
      for (const path of ["/v1/partoo/imports", "/v1/imports", ...["", "/rows", "/results.csv", "/events", "/pause", "/resume", "/cancel", "/retry"].map((p) => `/v1/imports/${other}${p}`)]) {
        reads.push([path, { method: "OPTIONS", headers: evil }], [path, { method: "PUT", body: "x" }]);
      }
      for (const [path, init] of reads) {
        let status;
        for (let i = 0; i < 3 && status !== 429; i++) status = (await lim.call(path, init)).status;
        assert.equal(status, 429, `${init.method ?? "GET"} ${path}`);
      }
    } finally {
      lim.seen.forEach((s) => adm.seen.push(s));
      await lim.dispose();
    }
  }

  // The SCIM service: every operation, every status.
  {
    const S = "/scim/v2/partoo";
    const scim = (w, method, path, { json, body, headers = {}, token = SCIM_TOKEN } = {}) =>
      w.call(`${S}${path}`, {
        method,
        ...(json !== undefined ? { json, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/scim+json", ...headers } } : { body, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } }),
      });
    const user = (n) => ({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: `scim${n}@example.com`, name: { givenName: "Ada", familyName: "Lovelace" } });
    const a = (await scim(pub, "POST", "/Users", { json: user(1) })).body.id; // 201
    const b = (await scim(pub, "POST", "/Users", { json: user(2) })).body.id;
    assert.ok(a && b);
    const unknown = "000000000000000000000000";
    const patch = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { active: false } }] };
    const documents = ["/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/User", "/Schemas", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"];
    // [method, path, a valid body, an invalid body, a body Partoo refuses as taken]
    const ops = [
      ["GET", "/Users"],
      ["POST", "/Users", user(3), { userName: 1 }, user(1)],
      ["GET", `/Users/${a}`],
      ["PUT", `/Users/${a}`, user(1), { active: "maybe" }, user(2)],
      ["PATCH", `/Users/${a}`, patch, { Operations: [] }, { Operations: [{ op: "replace", path: "userName", value: "scim2@example.com" }] }],
      ["DELETE", `/Users/${b}`],
      ...documents.map((p) => ["GET", p]),
    ];
    const evil = { origin: "https://evil.example" };
    for (const [method, path, good, bad, taken] of ops) {
      const json = good;
      await scim(pub, method, path, { json }); // 200, 201, 204
      await scim(pub, method, path, { json, token: null }); // 401
      await scim(pub, method, path, { json, token: TOKEN }); // 401: a client token
      await scim(pub, method, path, { json, headers: evil }); // 403
      await scim(adm, method, path, { json }); // 404: SCIM is off
      for (let i = 0; i < 3; i++) await scim(limited, method, path, { json, token: null }); // 401, then 429
      await scim(bare, method, path, { json }); // 503
      await scim(pub, "OPTIONS", path, { headers: { origin: ORIGIN } }); // 204
      await scim(pub, "OPTIONS", path, { headers: evil }); // 403
      await scim(adm, "OPTIONS", path); // 404
      for (let i = 0; i < 3; i++) await scim(limited, "OPTIONS", path, { headers: evil }); // 403, then 429
      await scim(pub, "HEAD", path); // 405
      await scim(pub, "HEAD", path, { headers: evil }); // 403 (other method)
      for (let i = 0; i < 3; i++) await scim(limited, "HEAD", path); // 405, then 429
      if (path.startsWith("/Users")) {
        if (method === "GET" && path === "/Users") await scim(pub, "GET", "/Users?filter=nope"); // 400
        if (bad) {
          await scim(pub, method, path, { json: bad }); // 400
          await scim(pub, method, path, { body: "{}", headers: { "content-type": "text/plain" } }); // 415
          await scim(pub, method, path, { json: { ...good, title: "x".repeat(70_000) } }); // 413
          await scim(pub, method, path, { json: taken }); // 409
        }
        if (path !== "/Users") await scim(pub, method, `/Users/${unknown}`, { json }); // 404
        up.script({ status: 500, body: {} });
        await scim(pub, method, path.replace(b, a), { json: method === "POST" ? user(4) : json }); // 502
        up.script({ delayMs: 1_000 });
        await scim(pub, method, path.replace(b, a), { json: method === "POST" ? user(5) : json }); // 504
      } else if (path.includes("/", 2)) {
        await scim(pub, method, path.replace(/\/[^/]+$/, "/Group")); // 404
      }
    }
    await scim(pub, "GET", "/Groups"); // 404 (an unknown SCIM path)
    await pub.call("/scim/v2/pandadoc/Users", { headers: scimAuth }); // 404 (no SCIM service)
  }

  // Compare with the document.
  // The code is the same for every provider: count an answer on any
  // provider's path for the operation.
  const generic = (where) => where.replace(/\/v1\/[a-z0-9]+\/(users|imports)/, (_, part) => `/v1/{provider}/${part}`).replace("/v1/{provider}/imports/", "/v1/imports/");
  const seen = new Set([pub, adm, bare, limited].flatMap((w) => w.seen.map((s) => `${generic(s.where)} ${s.status} ${s.slug ?? ""}`.trim())));
  const doc = pub.checker;
  const { body: document } = await pub.call("/v1/openapi.json");
  const expected = new Set();
  const slugsOf = (response) => {
    const text = JSON.stringify(response.$ref ? document.components.responses[response.$ref.split("/").pop()] : response);
    return [...text.matchAll(/urn:enlist:problem:([a-z_]+)/g)].map((m) => m[1]);
  };
  const add = (where, responses, method) => {
    where = generic(where);
    for (const [status, r] of Object.entries(responses)) {
      if (status === "500") continue; // last resort only: no input produces it (see the robustness test)
      const slugs = [...new Set(slugsOf(r))];
      const label = (slug) => `${where} ${status}${slug ? ` ${slug}` : ""}`;
      if (method === "head" || slugs.length === 0) expected.add(`${where} ${status}`);
      else slugs.forEach((s) => expected.add(label(s)));
    }
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const m of ["get", "head", "post", "put", "patch", "delete", "options"]) if (item[m]) add(`${m} ${path}`, item[m].responses, m);
    add(`other method on ${path}`, item["x-enlist-other-methods"]);
  }
  add("x-enlist-unknown-paths", document["x-enlist-unknown-paths"].responses);
  const missing = [...expected].filter((e) => !seen.has(e)).sort();
  assert.deepEqual(missing, [], `documented but never produced:\n${missing.join("\n")}`);
  assert.ok(doc);
});

test("the documented filter pattern is what the SCIM service accepts", async () => {
  const { body: doc } = await pub.call("/v1/openapi.json");
  const schema = doc.paths["/scim/v2/partoo/Users"].get.parameters.find((p) => p.name === "filter").schema;
  const pattern = new RegExp(schema.pattern);
  let seed = 0x9e3779b9;
  const rnd = () => ((seed ^= seed << 13), (seed ^= seed >>> 17), (seed ^= seed << 5), (seed >>> 0) / 2 ** 32);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const anyCase = (t) => [...t].map((c) => (rnd() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join("");
  const urn = "urn:ietf:params:scim:schemas:core:2.0:User:";
  // String bodies: plain text, escapes (no surrogates: the pattern leaves
  // them out, see below), raw control characters, stray quotes and backslashes.
  const chars = ["a", "@", ".", "é", " ", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\u00e9", "\\u0041", "\\q", "\\x41", "\"", "\\", "\u0001", "\t", "\n", "\\u12", "😀"];
  const spaces = ["", " ", "  ", "\t", " \t"];
  const attributes = ["userName", "externalId", "emails", "displayName", "username", "userNam", urn + "userName", urn + "externalId", urn.slice(0, -1) + "userName", "urn:other:userName", "(userName"];
  const operators = ["eq", "EQ", "Eq", "ne", "sw", "pr", "eqq", ""];
  let matched = 0;
  // Half the filters are built from valid parts only, apart from the value.
  const good = { attributes: attributes.slice(0, 2).concat(attributes.slice(5, 7)), operators: ["eq", "EQ", "Eq"], gaps: spaces.slice(1) };
  for (let i = 0; i < 250; i++) {
    const valid = rnd() < 0.5;
    const value = Array.from({ length: Math.floor(rnd() * 6) }, () => (valid && rnd() < 0.7 ? pick(chars.slice(0, 14)) : pick(chars))).join("");
    const literal = valid ? `"${value}"` : pick([`"${value}"`, value, "true", "42", `"${value}`, `"${value}" x`, `"${value}" or userName eq "x"`]);
    const gap = () => pick(valid ? good.gaps : spaces);
    const filter = pick(spaces) + anyCase(pick(valid ? good.attributes : attributes)) + gap() + pick(valid ? good.operators : operators) + gap() + literal + pick(spaces);
    const res = await pub.call(`/scim/v2/partoo/Users?filter=${encodeURIComponent(filter)}`, { headers: scimAuth });
    const documented = pattern.test(filter);
    matched += documented;
    assert.equal(res.status, documented ? 200 : 400, `${JSON.stringify(filter)}: pattern ${documented ? "matches" : "does not match"}, the Worker answered ${res.status} ${res.text.slice(0, 200)}`);
  }
  assert.ok(matched > 40 && matched < 210, `${matched} of 250 matched`);
  // The one known difference: a pair of surrogate escapes is a valid JSON
  // string the pattern does not describe (a lone one is refused by both).
  const pair = 'userName eq "\\ud83d\\ude00@example.com"';
  assert.equal(pattern.test(pair), false);
  assert.equal((await pub.call(`/scim/v2/partoo/Users?filter=${encodeURIComponent(pair)}`, { headers: scimAuth })).status, 200);
  assert.equal(schema.maxLength, 1024);
});

test("odd inputs never produce a 500 or an undocumented answer", async () => {
  const rnd = (() => {
    let x = 0x2545f491;
    return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
  })();
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const values = [null, true, 0, -1, 1e308, "", " ", "x".repeat(300), "ORG_ADMIN", "Admin", [], [[]], {}, { a: 1 }, "ada@example.com", "+1", "\u0000", "é"];
  const fields = ["email", "first_name", "last_name", "role", "lang", "org_id", "accesses", "business_ids", "sidebar_pages", "password", "user", "workspaces", "license", "status", "x", "__proto__", "constructor"];
  const bodies = ["", "null", "[]", "{}", "{", '{"a":1}garbage', "\ufeff{}", '{"email":"\\ud800"}', JSON.stringify(PARTOO_USER), JSON.stringify(PANDADOC_USER), "[".repeat(5000) + "]".repeat(5000)];
  for (let i = 0; i < 120; i++) {
    const o = {};
    for (let j = 0; j < 1 + Math.floor(rnd() * 6); j++) o[pick(fields)] = pick(values);
    if (rnd() < 0.3) o.workspaces = [{ workspace_id: pick(values), role: pick(values) }];
    if (rnd() < 0.3) o.user = { email: pick(values), phone_number: pick(values) };
    bodies.push(JSON.stringify(o));
  }
  const paths = ["/v1/partoo/users", "/v1/pandadoc/users", "/v1/pandadoc/users?notify_user=maybe", "/v1/partoo/users?%zz", "/v1/partoo/users/a.b-c_d~e/invite"];
  const types = ["application/json", "application/json; charset=utf-8", "application/problem+json", "text/plain"];
  for (const [i, body] of bodies.entries()) {
    for (const w of i % 3 === 0 ? [pub, adm] : [pub]) {
      const res = await w.call(pick(paths), { method: "POST", body, headers: { "content-type": pick(types), ...(rnd() < 0.2 ? { "idempotency-key": `odd-${i}` } : {}), ...(w === adm ? auth : {}) } });
      assert.notEqual(res.status, 500, body.slice(0, 200));
    }
  }
  // The same bodies, and PatchOps built from the same values, on the SCIM routes.
  const scimPaths = [["POST", "/scim/v2/partoo/Users"], ["PUT", "/scim/v2/partoo/Users/000000000000000000000000"], ["PATCH", "/scim/v2/partoo/Users/000000000000000000000000"]];
  const scimFields = ["userName", "name", "active", "emails", "externalId", "preferredLanguage", "locale", "schemas", "Operations", "op", "path", "value", "displayName", "urn:x"];
  for (let i = 0; i < 80; i++) {
    const o = {};
    for (let j = 0; j < 1 + Math.floor(rnd() * 5); j++) o[pick(scimFields)] = pick(values);
    if (rnd() < 0.5) o.Operations = [{ op: pick(["add", "Replace", "REMOVE", "x", 1]), path: pick(["active", "name.givenName", 'emails[type eq "work"].value', "emails[", "", "x.y"]), value: pick(values) }];
    const [method, path] = pick(scimPaths);
    const body = rnd() < 0.1 ? pick(bodies) : JSON.stringify(o);
    const res = await pub.call(path, { method, body, headers: { "content-type": pick(["application/scim+json", "application/json"]), ...scimAuth } });
    assert.notEqual(res.status, 500, body.slice(0, 200));
  }
  for (const filter of ["", "userName", 'userName eq "\\ud800"', "(", "userName eq \"a\" and", "x".repeat(5000), "%", "%ff"]) {
    const res = await pub.call(`/scim/v2/partoo/Users?filter=${filter.startsWith("%") ? filter : encodeURIComponent(filter)}`, { headers: scimAuth });
    assert.equal(res.status, 400, filter);
  }
  const lines = [...pub.lines(), ...adm.lines()];
  assert.ok(!lines.some((l) => l.problem === "internal"));
});
