// The SCIM 2.0 service (/scim/v2/partoo) in Miniflare against the mock
// Partoo: Okta's SPEC and CRUD test sequences step by step, Entra ID's
// request shapes, bad input, tokens, the policy, the externalId directory
// across a restart, throttling, and no key or token in any answer or log.
// Every answer is also checked against the Worker's OpenAPI document
// (helpers.mjs). Needs the Worker built.
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startUpstream } from "../mocks/upstream.mjs";
import { PARTOO_USER, startProxy } from "./helpers.mjs";

const KEY = "PARTOO-KEY-scim-test-4f1c9e2a7b";
const SCIM_TOKEN = "SCIM-TOKEN-scim-test-8d3a6c0f91";
const OTHER_SCIM_TOKEN = "SCIM-TOKEN-other-test-2b7e5d";
const CLIENT_TOKEN = "CLIENT-TOKEN-scim-test-6e2f0b8c";
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ISSUES = "urn:enlist:params:scim:api:messages:2.0:Issues";
const BASE = "/scim/v2/partoo";
const NO_LIMIT = { limit: 1_000_000 };

let up;
let w; // admin mode (client tokens), SCIM on, deactivate on DELETE
const workers = [];
/** Every answer text and log line of every Worker, for the leak check. */
const seenTexts = [];

async function start(bindings = {}, options = {}) {
  const proxy = await startProxy({
    upstreams: { partoo: up.url },
    bindings: { PARTOO_API_KEY: KEY, SCIM_TOKENS: `${SCIM_TOKEN},${OTHER_SCIM_TOKEN}`, CLIENT_TOKENS: CLIENT_TOKEN, ...bindings },
    rateLimit: NO_LIMIT,
    readRateLimit: NO_LIMIT,
    ...options,
  });
  workers.push(proxy);
  return proxy;
}

before(async () => {
  up = await startUpstream({ partooKey: KEY });
  w = await start();
});
after(async () => {
  for (const proxy of workers) {
    for (const line of proxy.logs) seenTexts.push(line.message);
  }
  await Promise.all(workers.map((proxy) => proxy.dispose()));
  await up?.close();
});
beforeEach(() => up.reset());

/** A SCIM call with the SCIM token; returns {status, headers, body, text}. */
async function scim(worker, method, path, json, { token = SCIM_TOKEN, headers = {} } = {}) {
  const res = await worker.call(`${BASE}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(json === undefined ? {} : { "content-type": "application/scim+json" }), ...headers },
    ...(json === undefined ? {} : { json }),
  });
  seenTexts.push(res.text);
  if (res.status !== 204) assert.match(res.headers.get("content-type") ?? "", /^application\/scim\+json/, `${method} ${path}`);
  return res;
}

/** Asserts a SCIM error: status (a string in the body), scimType, a detail. */
function assertError(res, status, scimType) {
  assert.equal(res.status, status, res.text);
  assert.ok(res.body.schemas.includes(ERROR_SCHEMA), res.text);
  assert.equal(res.body.status, String(status));
  assert.equal(res.body.scimType, scimType);
  assert.equal(typeof res.body.detail, "string");
  assert.ok(res.body.detail.length > 0);
  return res.body;
}

const issuesOf = (body) => (body[ISSUES]?.issues ?? []).map((i) => `${i.path} ${i.code}`).sort();
const calls = (method, pattern) => up.requests.filter((r) => r.method === method && pattern.test(r.path));
const filterQuery = (text) => `?filter=${encodeURIComponent(text)}`;

/** A Partoo user made directly in the mock (one an admin created by hand). */
async function partooUser(fields = {}) {
  const res = await fetch(`${up.url}/v2/user`, {
    method: "POST",
    headers: { "x-APIKey": KEY, "content-type": "application/json" },
    body: JSON.stringify({ ...PARTOO_USER, ...fields }),
  });
  const { id } = await res.json();
  return id;
}

/** The body Okta's SCIM 2.0 test suite sends to create a user. */
const oktaUser = (userName, given = "John", family = "Doe") => ({
  schemas: [USER_SCHEMA],
  userName,
  name: { givenName: given, familyName: family },
  emails: [{ primary: true, value: userName, type: "work" }],
  displayName: `${given} ${family}`,
  locale: "en-US",
  externalId: `00u${Math.random().toString(36).slice(2, 12)}`,
  groups: [],
  password: "1mOkta!Pass",
  active: true,
});

/** The body Entra ID's provisioning sends with its default mappings. */
const entraUser = (userName, objectId) => ({
  schemas: [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  externalId: objectId,
  userName,
  active: true,
  displayName: "Grace Hopper",
  title: "Rear Admiral",
  emails: [{ primary: true, type: "work", value: userName }],
  meta: { resourceType: "User" },
  name: { formatted: "Grace Hopper", familyName: "Hopper", givenName: "Grace" },
  preferredLanguage: "en-US",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "Navy", manager: { value: "x" } },
});

describe("Okta's SCIM 2.0 SPEC test, step by step", () => {
  test("list, get, filters, unknown id, create, duplicate", async () => {
    const existing = await partooUser({ email: "existing.okta@example.com", first_name: "Ada", last_name: "Lovelace" });

    // 1. GET /Users?count=1&startIndex=1: a ListResponse whose first resource has what Okta reads.
    let res = await scim(w, "GET", "/Users?count=1&startIndex=1");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.schemas, [LIST_SCHEMA]);
    assert.equal(res.body.totalResults, 1);
    assert.equal(res.body.itemsPerPage, 1);
    assert.equal(res.body.startIndex, 1);
    const [first] = res.body.Resources;
    assert.equal(first.id, existing);
    assert.equal(first.userName, "existing.okta@example.com");
    assert.equal(first.name.givenName, "Ada");
    assert.equal(first.name.familyName, "Lovelace");
    assert.equal(first.active, true);
    assert.equal(first.emails[0].value, "existing.okta@example.com");
    assert.deepEqual(calls("GET", /\/user\/search$/).map((r) => r.query), [{ page: "1", per_page: "1", order_by: "email" }]);

    // 2. GET /Users/{id} of that user.
    res = await scim(w, "GET", `/Users/${first.id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.schemas, [USER_SCHEMA]);
    assert.equal(res.body.id, first.id);
    assert.equal(res.body.userName, first.userName);
    assert.equal(res.body.meta.location, `${w.url}${BASE}/Users/${first.id}`);

    // 3. userName eq a random name: none; the same filter upper-cased: none.
    const random = `okta.${Math.random().toString(36).slice(2)}@example.com`;
    up.reset();
    for (const name of [random, random.toUpperCase()]) {
      res = await scim(w, "GET", `/Users${filterQuery(`userName eq "${name}"`)}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.totalResults, 0);
      assert.deepEqual(res.body.Resources, []);
    }
    assert.equal(up.requests.length, 2, "one search call per filter, no scan");
    assert.deepEqual(up.requests.map((r) => r.query.email), [random, random.toUpperCase()]);

    // 4. An unknown id: 404 in the Error schema, with a detail.
    for (const id of ["010101010101010101010101", "a6a7b2ea-1b5f-4dd3-9b39-4b2c5e9d4b16"]) {
      assertError(await scim(w, "GET", `/Users/${id}`), 404, undefined);
    }

    // 5. Create: 201 with the resource and meta.location.
    const userName = `okta.create.${Date.now()}@example.com`;
    res = await scim(w, "POST", "/Users", oktaUser(userName));
    assert.equal(res.status, 201, res.text);
    assert.match(res.body.id, /^[0-9a-f]{24}$/);
    assert.equal(res.body.userName, userName);
    assert.equal(res.body.active, true);
    assert.equal(res.body.name.givenName, "John");
    assert.equal(res.headers.get("location"), res.body.meta.location);
    assert.equal(res.body.meta.location, `${w.url}${BASE}/Users/${res.body.id}`);
    const created = up.partooUser(res.body.id);
    assert.deepEqual([created.email, created.first_name, created.last_name, created.lang, created.disabled], [userName, "John", "Doe", "en", false]);

    // 6. The user is there, and found by userName in any case.
    res = await scim(w, "GET", `/Users/${created.id}`);
    assert.equal(res.body.userName, userName);
    res = await scim(w, "GET", `/Users${filterQuery(`userName eq "${userName.toUpperCase()}"`)}`);
    assert.equal(res.body.totalResults, 1);
    assert.equal(res.body.Resources[0].id, created.id);

    // 7. The same user again: 409 uniqueness.
    const body = assertError(await scim(w, "POST", "/Users", oktaUser(userName)), 409, "uniqueness");
    assert.deepEqual(issuesOf(body), ["/userName already_exists"]);
  });
});

describe("Okta's CRUD test", () => {
  test("create → PUT a new first name → PATCH active false (no path) → PATCH active true; the mock shows each change", async () => {
    const userName = "okta.crud@example.com";
    let res = await scim(w, "POST", "/Users", oktaUser(userName, "Jane", "Roe"));
    assert.equal(res.status, 201, res.text);
    const id = res.body.id;
    const resource = res.body;

    res = await scim(w, "PUT", `/Users/${id}`, { ...resource, name: { givenName: "Janet", familyName: "Roe" } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.name.givenName, "Janet");
    assert.equal(up.partooUser(id).first_name, "Janet");
    assert.equal(up.partooUser(id).last_name, "Roe");
    assert.deepEqual(JSON.parse(calls("POST", new RegExp(`/user/${id}$`)).at(-1).body), { first_name: "Janet" }, "only what changed is sent");

    const patch = (active) => ({ schemas: [PATCH_SCHEMA], Operations: [{ op: "replace", value: { active } }] });
    res = await scim(w, "PATCH", `/Users/${id}`, patch(false));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.active, false);
    assert.equal(up.partooUser(id).disabled, true);
    res = await scim(w, "GET", `/Users/${id}`);
    assert.equal(res.body.active, false);

    res = await scim(w, "PATCH", `/Users/${id}`, patch(true));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.active, true);
    assert.equal(up.partooUser(id).disabled, false);
    assert.equal(up.partooUser(id).first_name, "Janet", "other fields untouched");
    assert.equal(calls("DELETE", /.*/).length, 0);
  });

  test("a create with active false is a create and an update; PATCH that changes nothing sends nothing", async () => {
    let res = await scim(w, "POST", "/Users", { ...oktaUser("inactive@example.com"), active: false });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.active, false);
    assert.equal(up.partooUser(res.body.id).disabled, true);
    assert.deepEqual(up.requests.map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{24}/, "{id}")}`), ["POST /user", "POST /user/{id}"]);
    up.requests.length = 0;
    res = await scim(w, "PATCH", `/Users/${res.body.id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: "replace", value: { active: false } }] });
    assert.equal(res.status, 200);
    assert.deepEqual(up.requests.map((r) => r.method), ["GET"], "a read, no update");
  });
});

describe("Entra ID's patterns", () => {
  test("filter by externalId and userName, PATCH path active \"False\", Title-case ops, DELETE → 204", async () => {
    const objectId = "2819c223-7f76-453a-919d-413861904646";
    const userName = "grace.hopper@example.com";
    // Entra first looks the user up, then creates it.
    let res = await scim(w, "GET", `/Users${filterQuery(`userName eq "${userName}"`)}`);
    assert.equal(res.body.totalResults, 0);
    res = await scim(w, "POST", "/Users", entraUser(userName, objectId));
    assert.equal(res.status, 201, res.text);
    const id = res.body.id;
    assert.equal(res.body.externalId, objectId);
    assert.equal(res.body.preferredLanguage, "en");
    assert.equal(up.partooUser(id).lang, "en");

    up.requests.length = 0;
    res = await scim(w, "GET", `/Users${filterQuery(`externalId eq "${objectId}"`)}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.totalResults, 1);
    assert.equal(res.body.Resources[0].id, id);
    assert.equal(res.body.Resources[0].externalId, objectId);
    assert.deepEqual(up.requests.map((r) => `${r.method} ${r.path}`), [`GET /user/${id}`], "one read, no search");
    res = await scim(w, "GET", `/Users${filterQuery(`externalId eq "${objectId.toUpperCase()}"`)}`);
    assert.equal(res.body.totalResults, 0, "externalId is case-exact");
    res = await scim(w, "GET", `/Users${filterQuery(`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "${userName}"`)}`);
    assert.equal(res.body.Resources[0].externalId, objectId, "a search's users get their externalId too");
    res = await scim(w, "GET", `/Users/${id}`);
    assert.equal(res.body.externalId, objectId);

    // Title-case ops, string booleans, paths.
    res = await scim(w, "PATCH", `/Users/${id}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [
        { op: "Replace", path: "active", value: "False" },
        { op: "Add", path: "name.givenName", value: "Amazing Grace" },
        { op: "Replace", path: 'emails[type eq "work"].value', value: userName },
        { op: "Replace", path: "title", value: "Commodore" },
        { op: "Replace", path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", value: "Computing" },
      ],
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.active, false);
    assert.equal(res.body.name.givenName, "Amazing Grace");
    const partoo = up.partooUser(id);
    assert.deepEqual([partoo.disabled, partoo.first_name], [true, "Amazing Grace"]);
    res = await scim(w, "PATCH", `/Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: "Replace", path: "active", value: "True" }] });
    assert.equal(up.partooUser(id).disabled, false);

    // A new externalId replaces the old one; removing it forgets it.
    res = await scim(w, "PATCH", `/Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: "Replace", path: "externalId", value: "new-object-id" }] });
    assert.equal(res.body.externalId, "new-object-id");
    assert.equal((await scim(w, "GET", `/Users${filterQuery(`externalId eq "${objectId}"`)}`)).body.totalResults, 0);
    assert.equal((await scim(w, "GET", `/Users${filterQuery('externalId eq "new-object-id"')}`)).body.totalResults, 1);
    res = await scim(w, "PATCH", `/Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: "Remove", path: "externalId" }] });
    assert.equal(res.body.externalId, undefined);
    assert.equal((await scim(w, "GET", `/Users${filterQuery('externalId eq "new-object-id"')}`)).body.totalResults, 0);

    // DELETE deactivates by default: 204, the user kept and disabled.
    res = await scim(w, "DELETE", `/Users/${id}`);
    assert.equal(res.status, 204);
    assert.equal(res.text, "");
    assert.equal(up.partooUser(id).disabled, true);
    assert.equal(calls("DELETE", /.*/).length, 0);
    assertError(await scim(w, "DELETE", "/Users/000000000000000000000000"), 404, undefined);
  });

  test("SCIM_DELETE=delete deletes the Partoo user and forgets its externalId", async () => {
    const deleting = await start({ SCIM_DELETE: "delete" });
    let res = await scim(deleting, "POST", "/Users", entraUser("deleted@example.com", "obj-del-1"));
    const id = res.body.id;
    res = await scim(deleting, "DELETE", `/Users/${id}`);
    assert.equal(res.status, 204);
    assert.equal(up.partooUser(id), undefined);
    assert.deepEqual(calls("DELETE", /\/user\//).map((r) => r.path), [`/user/${id}`]);
    assertError(await scim(deleting, "GET", `/Users/${id}`), 404, undefined);
    assert.equal((await scim(deleting, "GET", `/Users${filterQuery('externalId eq "obj-del-1"')}`)).body.totalResults, 0);
  });

  test("PUT keeps what it does not mention and changes userName (the Partoo email)", async () => {
    let res = await scim(w, "POST", "/Users", entraUser("put.me@example.com", "obj-put"));
    const id = res.body.id;
    res = await scim(w, "PUT", `/Users/${id}`, { schemas: [USER_SCHEMA], userName: "Put.Renamed@example.com", locale: "de-AT" });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.userName, "Put.Renamed@example.com");
    assert.equal(res.body.name.givenName, "Grace");
    assert.equal(res.body.externalId, "obj-put");
    const partoo = up.partooUser(id);
    // preferredLanguage shows Partoo's lang; a locale the identity provider changes is its word on the language.
    assert.deepEqual([partoo.email, partoo.lang, partoo.first_name], ["Put.Renamed@example.com", "de", "Grace"]);
    await partooUser({ email: "taken@example.com" });
    const body = assertError(await scim(w, "PUT", `/Users/${id}`, { userName: "taken@example.com" }), 409, "uniqueness");
    assert.deepEqual(issuesOf(body), ["/userName already_exists"]);
    assert.equal(up.partooUser(id).email, "Put.Renamed@example.com");
  });
});

describe("listing", () => {
  test("startIndex and count over Partoo's pages, sorted by email, with totals", async () => {
    const emails = ["e@example.com", "a@example.com", "c@example.com", "b@example.com", "d@example.com"];
    for (const email of emails) await partooUser({ email });
    up.requests.length = 0;
    let res = await scim(w, "GET", "/Users?startIndex=2&count=2");
    assert.deepEqual(res.body.Resources.map((u) => u.userName), ["b@example.com", "c@example.com"]);
    assert.deepEqual([res.body.totalResults, res.body.itemsPerPage, res.body.startIndex], [5, 2, 2]);
    assert.equal(up.requests.length, 1);
    res = await scim(w, "GET", "/Users");
    assert.deepEqual(res.body.Resources.map((u) => u.userName), [...emails].sort());
    res = await scim(w, "GET", "/Users?startIndex=5&count=100");
    assert.deepEqual([res.body.Resources.length, res.body.totalResults, res.body.startIndex], [1, 5, 5]);
    // Pages 1 and 2 of 100 are planned, but the first is the last: one search.
    up.requests.length = 0;
    res = await scim(w, "GET", "/Users?startIndex=50&count=100");
    assert.deepEqual([res.body.Resources.length, res.body.totalResults, up.requests.length], [0, 5, 1]);
    res = await scim(w, "GET", "/Users?count=0");
    assert.deepEqual([res.body.Resources.length, res.body.totalResults], [0, 5]);
    res = await scim(w, "GET", "/Users?startIndex=-3&count=1000");
    assert.deepEqual([res.body.Resources.length, res.body.startIndex], [5, 1]);
    res = await scim(w, "GET", `/Users${filterQuery('userName eq "c@example.com"')}&startIndex=2`);
    assert.deepEqual([res.body.totalResults, res.body.Resources.length], [1, 0]);
    res = await scim(w, "GET", `/Users${filterQuery('userName eq "not an email"')}`);
    assert.equal(res.body.totalResults, 0);
  });

  test("a window across two pages of 100 is two searches", async () => {
    for (let i = 0; i < 120; i++) await partooUser({ email: `u${String(i).padStart(3, "0")}@example.com` });
    up.requests.length = 0;
    // Users 91–110 fit in one page of 22 (the 5th): one search.
    let res = await scim(w, "GET", "/Users?startIndex=91&count=20");
    assert.deepEqual(res.body.Resources.map((u) => u.userName), Array.from({ length: 20 }, (_, i) => `u${String(90 + i).padStart(3, "0")}@example.com`));
    assert.deepEqual(up.requests.map((r) => [r.query.page, r.query.per_page]), [["5", "22"]]);
    // Users 91–190 fit in no single page: pages 1 and 2 of 100.
    up.requests.length = 0;
    res = await scim(w, "GET", "/Users?startIndex=91&count=100");
    assert.deepEqual(res.body.Resources.map((u) => u.userName), Array.from({ length: 30 }, (_, i) => `u${String(90 + i).padStart(3, "0")}@example.com`));
    assert.deepEqual(up.requests.map((r) => [r.query.page, r.query.per_page]), [["1", "100"], ["2", "100"]]);
    assert.deepEqual([res.body.totalResults, res.body.itemsPerPage, res.body.startIndex], [120, 30, 91]);

  });

  test("a search answer of another shape fails closed (502, nothing relayed)", async () => {
    for (const body of [{ results: [] }, { users: [{ id: "short", email: "a@b.co" }], page: 1, max_page: 1, count: 1 }, []]) {
      up.script({ status: 200, body });
      const res = await scim(w, "GET", "/Users");
      assertError(res, 502, undefined);
      assert.ok(!res.text.includes("short"));
    }
  });
});

describe("discovery documents", () => {
  test("ServiceProviderConfig, ResourceTypes and Schemas say what is supported", async () => {
    let res = await scim(w, "GET", "/ServiceProviderConfig");
    assert.equal(res.body.patch.supported, true);
    for (const feature of ["bulk", "sort", "etag", "changePassword"]) assert.equal(res.body[feature].supported, false);
    assert.equal(res.body.filter.maxResults, 100);
    res = await scim(w, "GET", "/ResourceTypes");
    assert.deepEqual(res.body.Resources.map((r) => r.id), ["User"]);
    res = await scim(w, "GET", "/ResourceTypes/User");
    assert.equal(res.body.endpoint, "/Users");
    res = await scim(w, "GET", "/Schemas");
    assert.deepEqual(res.body.Resources.map((r) => r.id), [USER_SCHEMA]);
    res = await scim(w, "GET", `/Schemas/${USER_SCHEMA}`);
    assert.ok(res.body.attributes.some((a) => a.name === "userName"));
    assertError(await scim(w, "GET", "/ResourceTypes/Group"), 404, undefined);
    assertError(await scim(w, "GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group"), 404, undefined);
    assert.equal(up.requests.length, 0);
  });

  test("groups, bulk and other paths are SCIM 404s; wrong methods SCIM 405s with Allow", async () => {
    for (const path of ["/Groups", "/Bulk", "/Me", "/users", "/Users/"]) assertError(await scim(w, "GET", path), 404, undefined);
    const res = await scim(w, "POST", "/Users/000000000000000000000000", {});
    assertError(res, 405, undefined);
    assert.equal(res.headers.get("allow"), "GET, PUT, PATCH, DELETE");
    assertError(await scim(w, "DELETE", "/Users"), 405, undefined);
    assertError(await scim(w, "PUT", "/Schemas", {}), 405, undefined);
  });
});

describe("bad input", () => {
  test("malformed or unsupported filters are 400 invalidFilter, with no Partoo call", async () => {
    const filters = [
      "",
      "userName",
      'userName eq',
      'userName eq ada@example.com',
      'userName sw "ada"',
      'userName ne "ada@example.com"',
      'userName pr',
      'displayName eq "Ada"',
      'emails[type eq "work"] eq "x"',
      'userName eq "a@example.com" or userName eq "b@example.com"',
      '(userName eq "a@example.com")',
      'not (userName eq "a")',
      'userName eq "unterminated',
      'userName eq "bad \\q escape"',
      'userName eq 42',
      'userName eq true',
      'externalId eq "x" extra',
      "x".repeat(5000),
    ];
    for (const filter of filters) {
      const body = assertError(await scim(w, "GET", `/Users${filterQuery(filter)}`), 400, "invalidFilter");
      if (filter.includes("ada@")) assert.ok(!body.detail.includes("ada@"), "the detail never repeats the filter");
    }
    assertError(await scim(w, "GET", "/Users?filter=%ff"), 400, "invalidFilter");
    assertError(await scim(w, "GET", "/Users?count=ten"), 400, "invalidValue");
    assertError(await scim(w, "GET", "/Users?startIndex=1.5"), 400, "invalidValue");
    assert.equal(up.requests.length, 0);
  });

  test("unknown attributes and wrong types: 400 with every issue", async () => {
    let body = assertError(await scim(w, "POST", "/Users", { ...oktaUser("x@example.com"), favouriteColour: "green", nickName2: 1 }), 400, "invalidSyntax");
    assert.deepEqual(issuesOf(body), ["/favouriteColour unknown_field", "/nickName2 unknown_field"]);
    body = assertError(await scim(w, "POST", "/Users", { userName: 5, active: "maybe", name: { givenName: [], familyName: "Doe" }, emails: "x", externalId: "e".repeat(513) }), 400, "invalidValue");
    assert.deepEqual(issuesOf(body), ["/active type", "/emails type", "/externalId max_length", "/name/givenName type", "/userName type"]);
    body = assertError(await scim(w, "PATCH", "/Users/000000000000000000000000", { schemas: [PATCH_SCHEMA], Operations: [{ op: "replace", path: "nickName2", value: "x" }, { op: "replace", path: "active", value: "maybe" }, { op: "remove", path: "userName" }, { op: "launch" }] }), 400, "invalidPath");
    assert.deepEqual(issuesOf(body), ["/Operations/0/path unknown_field", "/Operations/1/value type", "/Operations/2/path rejected", "/Operations/3/op enum"].sort());
    for (const text of ["{", "[]", '"x"']) {
      assertError(await scim(w, "POST", "/Users", text), 400, "invalidSyntax");
      assertError(await scim(w, "PATCH", "/Users/000000000000000000000000", text), 400, "invalidSyntax");
    }
    assertError(await scim(w, "PATCH", "/Users/000000000000000000000000", { Operations: [] }), 400, "invalidValue");
    assert.equal(up.requests.length, 0, "nothing reached Partoo");
  });

  test("a body that breaks Partoo's rules: 400 invalidValue listing every issue at its SCIM path, nothing sent", async () => {
    const res = await scim(w, "POST", "/Users", { schemas: [USER_SCHEMA], userName: "not-an-email", name: { givenName: "x".repeat(300) }, active: true });
    const body = assertError(res, 400, "invalidValue");
    assert.deepEqual(issuesOf(body), ["/name/familyName required", "/name/givenName max_length", "/userName email"]);
    for (const path of ["/userName", "/name/givenName", "/name/familyName"]) assert.ok(body.detail.includes(path), body.detail);
    assert.equal(up.requests.length, 0);
    // An update that breaks them too.
    const id = await partooUser({ email: "rules@example.com" });
    up.requests.length = 0;
    const patched = await scim(w, "PATCH", `/Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: "replace", value: { userName: "nope", "name.familyName": "y".repeat(300) } }] });
    assert.deepEqual(issuesOf(assertError(patched, 400, "invalidValue")), ["/name/familyName max_length", "/userName email"]);
    assert.deepEqual(up.requests.map((r) => r.method), ["GET"], "read, not updated");
  });

  test("media type, size and Partoo's own refusals", async () => {
    assertError(await w.call(`${BASE}/Users`, { method: "POST", body: "x", headers: { authorization: `Bearer ${SCIM_TOKEN}`, "content-type": "text/plain" } }), 415, undefined);
    assertError(await scim(w, "POST", "/Users", { ...oktaUser("big@example.com"), title: "t".repeat(70_000) }), 413, undefined);
    up.script({ status: 400, body: { errors: { json: { first_name: ["KEY-ECHO Invalid value KEY-ECHO"] } } } });
    const res = await scim(w, "POST", "/Users", oktaUser("refused@example.com"));
    assert.deepEqual(issuesOf(assertError(res, 400, "invalidValue")), ["/name/givenName rejected"]);
    assert.ok(!res.text.includes("KEY-ECHO"), "Partoo's words are not relayed");
  });
});

describe("tokens and rate limits", () => {
  test("a client token on SCIM and a SCIM token on /v1 are both 401; no token, a wrong one too", async () => {
    for (const token of [CLIENT_TOKEN, null, "wrong", `${SCIM_TOKEN}x`]) {
      const res = await scim(w, "GET", "/Users", undefined, { token });
      assertError(res, 401, undefined);
      assert.equal(res.headers.get("www-authenticate"), "Bearer");
    }
    const res = await w.call("/v1/partoo/users", { method: "POST", json: PARTOO_USER, headers: { authorization: `Bearer ${SCIM_TOKEN}` } });
    assert.equal(res.status, 401);
    assert.equal(res.body.type, "urn:enlist:problem:unauthorized");
    assert.equal((await w.call("/v1/partoo/users", { method: "POST", json: PARTOO_USER, headers: { authorization: `Bearer ${CLIENT_TOKEN}` } })).status, 201);
    assert.equal(up.requests.length, 1, "only the client token's create reached Partoo");
  });

  test("each SCIM token has its own externalId directory", async () => {
    const res = await scim(w, "POST", "/Users", entraUser("two.tokens@example.com", "obj-two"));
    assert.equal((await scim(w, "GET", `/Users${filterQuery('externalId eq "obj-two"')}`)).body.totalResults, 1);
    assert.equal((await scim(w, "GET", `/Users${filterQuery('externalId eq "obj-two"')}`, undefined, { token: OTHER_SCIM_TOKEN })).body.totalResults, 0);
    assert.equal((await scim(w, "GET", `/Users/${res.body.id}`, undefined, { token: OTHER_SCIM_TOKEN })).body.externalId, undefined);
  });

  test("without SCIM_TOKENS there is no SCIM service; PandaDoc has none", async () => {
    const off = await start({ SCIM_TOKENS: "" });
    assertError(await scim(off, "GET", "/Users"), 404, undefined);
    assertError(await scim(off, "OPTIONS", "/Users"), 404, undefined);
    const res = await w.call("/scim/v2/pandadoc/Users", { headers: { authorization: `Bearer ${SCIM_TOKEN}` } });
    assertError(res, 404, undefined);
    assert.match(res.headers.get("content-type"), /^application\/scim\+json/);
  });

  test("SCIM calls count per SCIM token on READ_RATE_LIMITER, refused ones per IP on RATE_LIMITER: 429 with Retry-After", async () => {
    const limited = await start({}, { readRateLimit: { limit: 2, period: 60 }, rateLimit: { limit: 1, period: 60 } });
    let last;
    for (let i = 0; i < 6 && last?.status !== 429; i++) last = await scim(limited, "GET", "/ServiceProviderConfig");
    assertError(last, 429, undefined);
    assert.match(last.headers.get("retry-after"), /^\d+$/);
    let refused;
    for (let i = 0; i < 4 && refused?.status !== 429; i++) refused = await scim(limited, "GET", "/Users", undefined, { token: "guess" });
    assertError(refused, 429, undefined);
    const lines = limited.lines().filter((l) => l.route?.startsWith("/scim/"));
    assert.ok(lines.some((l) => l.problem === "rate_limited"));
  });

  test("Partoo throttling becomes a SCIM 429 with Partoo's Retry-After; no answer in time a 504", async () => {
    up.script({ status: 429, body: {}, headers: { "Retry-After": "7" } });
    const res = await scim(w, "GET", "/Users");
    assertError(res, 429, undefined);
    assert.equal(res.headers.get("retry-after"), "7");
    up.script({ status: 429, body: {} });
    assert.equal((await scim(w, "POST", "/Users", oktaUser("throttled@example.com"))).headers.get("retry-after"), "30");
    const slow = await start({ UPSTREAM_TIMEOUT_MS: "200" });
    up.script({ delayMs: 600 });
    assertError(await scim(slow, "GET", "/Users/000000000000000000000000"), 504, undefined);
    up.script({ status: 500, body: {} });
    assertError(await scim(w, "GET", "/Users/000000000000000000000000"), 502, undefined);
    const unconfigured = await start({ PARTOO_API_KEY: "" });
    assertError(await scim(unconfigured, "GET", "/Users"), 503, undefined);
  });
});

describe("the policy", () => {
  const POLICY = JSON.stringify({
    partoo: {
      default: { "/role": "PUBLISHER" },
      force: { "/org_id": 1, "/sso_only": true },
      allow: { "/role": ["BUSINESS_MANAGER", "PUBLISHER"] },
      allowedEmailDomains: ["acme.example"],
    },
  });

  test("a create takes the role and what the identity provider cannot send from the policy", async () => {
    const p = await start({ POLICY });
    const res = await scim(p, "POST", "/Users", oktaUser("new@acme.example"));
    assert.equal(res.status, 201, res.text);
    const created = up.partooUser(res.body.id);
    assert.deepEqual([created.role, created.org_id, created.sso_only], ["PUBLISHER", 1, true]);
    assert.deepEqual(JSON.parse(calls("POST", /^\/user$/)[0].body), { email: "new@acme.example", first_name: "John", last_name: "Doe", lang: "en", org_id: 1, role: "PUBLISHER", sso_only: true });
    const body = assertError(await scim(p, "POST", "/Users", oktaUser("new@elsewhere.example")), 403, undefined);
    assert.deepEqual(issuesOf(body), ["/userName policy"]);
  });

  test("no SCIM call changes a user the policy would not have let it create, nor moves one out of it", async () => {
    const p = await start({ POLICY });
    const admin = await partooUser({ email: "boss@acme.example", role: "ORG_ADMIN" });
    const other = await partooUser({ email: "guest@acme.example", org_id: 7, role: "PUBLISHER" });
    const member = await partooUser({ email: "member@acme.example", role: "BUSINESS_MANAGER" });
    up.requests.length = 0;
    const deactivate = { schemas: [PATCH_SCHEMA], Operations: [{ op: "replace", value: { active: false } }] };
    for (const id of [admin, other]) {
      let body = assertError(await scim(p, "PATCH", `/Users/${id}`, deactivate), 403, undefined);
      assert.ok(body[ISSUES].issues.every((i) => i.code === "policy"));
      body = assertError(await scim(p, "PUT", `/Users/${id}`, { userName: "attacker@acme.example" }), 403, undefined);
      assertError(await scim(p, "DELETE", `/Users/${id}`), 403, undefined);
    }
    assert.deepEqual(issuesOf((await scim(p, "DELETE", `/Users/${admin}`)).body), ["/role policy"]);
    assert.deepEqual(issuesOf((await scim(p, "DELETE", `/Users/${other}`)).body), ["/org_id policy"]);
    assert.ok(up.requests.every((r) => r.method === "GET"), "only reads");
    assert.deepEqual([up.partooUser(admin).disabled, up.partooUser(admin).email], [false, "boss@acme.example"]);
    // A user in reach can be changed, but not moved to another domain.
    assert.equal((await scim(p, "PATCH", `/Users/${member}`, deactivate)).status, 200);
    assert.equal(up.partooUser(member).disabled, true);
    const body = assertError(await scim(p, "PATCH", `/Users/${member}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: "replace", path: "userName", value: "member@evil.example" }] }), 403, undefined);
    assert.deepEqual(issuesOf(body), ["/userName policy"]);
    assert.equal(up.partooUser(member).email, "member@acme.example");
    assert.equal((await scim(p, "DELETE", `/Users/${member}`)).status, 204);
  });
});

describe("the externalId directory", () => {
  test("survives a restart of the Worker", async () => {
    const dir = mkdtempSync(join(tmpdir(), "enlist-scim-"));
    try {
      const first = await start({}, { persist: dir });
      const res = await scim(first, "POST", "/Users", entraUser("restart@example.com", "obj-restart"));
      assert.equal(res.status, 201);
      await first.dispose();
      workers.splice(workers.indexOf(first), 1);
      const second = await start({}, { persist: dir });
      const found = await scim(second, "GET", `/Users${filterQuery('externalId eq "obj-restart"')}`);
      assert.equal(found.body.totalResults, 1);
      assert.equal(found.body.Resources[0].id, res.body.id);
      await second.dispose();
      workers.splice(workers.indexOf(second), 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a mapped user deleted in Partoo meanwhile is not found, and its mapping goes", async () => {
    const res = await scim(w, "POST", "/Users", entraUser("gone@example.com", "obj-gone"));
    await fetch(`${up.url}/v2/user/${res.body.id}`, { method: "DELETE", headers: { "x-APIKey": KEY } });
    assert.equal((await scim(w, "GET", `/Users${filterQuery('externalId eq "obj-gone"')}`)).body.totalResults, 0);
    up.requests.length = 0;
    assert.equal((await scim(w, "GET", `/Users${filterQuery('externalId eq "obj-gone"')}`)).body.totalResults, 0);
    assert.equal(up.requests.length, 0, "forgotten: no more reads");
  });
});

describe("secrets", () => {
  test("an answer from Partoo holding the key is not relayed", async () => {
    const id = await partooUser({ email: "echo@example.com" });
    up.script({ status: 200, body: { id, email: "echo@example.com", first_name: KEY, last_name: "x" } });
    const res = await scim(w, "GET", `/Users/${id}`);
    assertError(res, 502, undefined);
    assert.ok(!res.text.includes(KEY));
  });

  test("no key or token in any answer or log line", async () => {
    const res = await scim(w, "POST", "/Users", entraUser("secrets@example.com", "obj-secrets"));
    assert.equal(res.status, 201);
    // Nor does an upstream call carry a SCIM or client token.
    assert.ok(up.requests.length > 0);
    for (const r of up.requests) {
      for (const token of [SCIM_TOKEN, OTHER_SCIM_TOKEN, CLIENT_TOKEN]) assert.ok(!JSON.stringify(r).includes(token));
    }
    const lines = workers.flatMap((proxy) => proxy.logs.map((l) => l.message));
    for (const text of [...seenTexts, ...lines]) {
      for (const secret of [KEY, SCIM_TOKEN, OTHER_SCIM_TOKEN, CLIENT_TOKEN]) {
        assert.ok(!text.includes(secret), `a secret in: ${text.slice(0, 200)}`);
      }
    }
    assert.ok(seenTexts.length > 50 && lines.length > 50);
    // Nor personal data in a log line: no email, no name.
    for (const line of lines) {
      for (const data of ["@", "Lovelace", "Hopper", "Janet", "Grace", "Doe"]) assert.ok(!line.includes(data), `${data} in ${line}`);
    }
  });
});
