// Tests of the fake Partoo + PandaDoc upstream. Run: node --test tests/mocks/
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { mockKey, readProviders, startUpstream } from "./upstream.mjs";

const PARTOO = { "x-APIKey": "mock-partoo-key" };
const PANDADOC = { Authorization: "API-Key mock-pandadoc-key" };
const partooUser = { email: "perceval@example.com", first_name: "Perceval", last_name: "de Galles" };
const pandadocUser = {
  user: { email: "new.user@example.com", first_name: "New", last_name: "User" },
  workspaces: [
    { workspace_id: "Ab123", role: "Collaborator" },
    { workspace_id: "Cd456", role: "Admin" },
  ],
  license: "Guest",
};

let up;
before(async () => {
  up = await startUpstream();
});
after(() => up.close(), { timeout: 5_000 });
beforeEach(() => up.reset());

/** POSTs JSON (or a raw string) to the mock; returns status, headers and text/json body. */
async function post(path, { headers = {}, body, signal } = {}) {
  const res = await fetch(up.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, text, json };
}

describe("Partoo", () => {
  test("creates a user on /user and /v2/user: 200 {id: 24 hex, status}", async () => {
    for (const [path, email] of [["/user", "a@example.com"], ["/v2/user", "b@example.com"]]) {
      const res = await post(path, { headers: PARTOO, body: { ...partooUser, email } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type"), /^application\/json/);
      assert.deepEqual(Object.keys(res.json).sort(), ["id", "status"]);
      assert.match(res.json.id, /^[0-9a-f]{24}$/);
      assert.equal(res.json.status, "success");
    }
  });

  test("accepts every documented field, sidebar_pages null", async () => {
    const body = {
      ...partooUser,
      org_id: 42,
      accesses: [[1, 2]],
      business_ids: ["5309c3a237bbc544d8e26737"],
      role: "BUSINESS_MANAGER",
      custom_role: "my_custom_role",
      sidebar_pages: null,
      send_invitation: true,
      status: "invited",
      password: "Sup3r-secret!",
      lang: "pt-br",
      sso_only: false,
    };
    const res = await post("/v2/user", { headers: PARTOO, body });
    assert.equal(res.status, 200, res.text);
  });

  test("a repeated email (any case) -> 400 errors.json.email", async () => {
    assert.equal((await post("/v2/user", { headers: PARTOO, body: partooUser })).status, 200);
    const res = await post("/v2/user", { headers: PARTOO, body: { ...partooUser, email: "PERCEVAL@Example.com" } });
    assert.equal(res.status, 400);
    assert.deepEqual(Object.keys(res.json.errors.json), ["email"]);
    assert.match(res.json.errors.json.email[0], /already used/);
  });

  test("missing or wrong x-APIKey -> 401 errors.authentication", async () => {
    for (const headers of [{}, { "x-APIKey": "wrong" }, { "x-APIKey": "" }, PANDADOC]) {
      const res = await post("/v2/user", { headers, body: partooUser });
      assert.equal(res.status, 401);
      assert.deepEqual(res.json, { errors: { authentication: "User not authenticated" } });
    }
    assert.equal(up.requests.length, 4, "rejected calls are recorded too");
  });

  test("invalid bodies -> 400 with marshmallow-style field errors", async () => {
    const cases = [
      ["{not json", { _schema: ["Invalid JSON body."] }],
      ["[1]", { _schema: ["Invalid input type."] }],
      ["null", { _schema: ["Invalid input type."] }],
      [{ first_name: "P" }, { email: ["Missing data for required field."], last_name: ["Missing data for required field."] }],
      [{ ...partooUser, nickname: "P" }, { nickname: ["Unknown field."] }],
      [{ ...partooUser, lang: "pt-BR" }, { lang: [`Must be one of: fr, en, es, it, pt-br, de, ar, nl, pl, cs, ca, sk, pt, lv, ro, bg, hu.`] }],
      [{ ...partooUser, email: "perceval" }, { email: ["Not a valid email address."] }],
      [{ ...partooUser, role: null, org_id: "42" }, { role: ["Field may not be null."], org_id: ["Not a valid integer."] }],
      [{ ...partooUser, sidebar_pages: ["Posts"] }, { sidebar_pages: [`Must be one of: bulk_modification, diffusion, feedback_management, messages, posts, presence_analytics, review_analytics, review_invite, review_management.`] }],
      [{ ...partooUser, password: "short" }, { password: ["Shorter than minimum length 8."] }],
    ];
    for (const [body, errors] of cases) {
      const res = await post("/v2/user", { headers: PARTOO, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.json, { errors: { json: errors } }, JSON.stringify(body));
    }
  });

  test("invite: 200 for a created id (with or without /v2), 404 otherwise, 401 without key", async () => {
    const { json } = await post("/v2/user", { headers: PARTOO, body: partooUser });
    for (const prefix of ["", "/v2"]) {
      const res = await post(`${prefix}/user/${json.id}/invite`, { headers: PARTOO });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { status: "success" });
    }
    assert.equal((await post("/v2/user/5309c3a237bbc544d8e26737/invite", { headers: PARTOO })).status, 404);
    assert.equal((await post(`/v2/user/${json.id}/invite`)).status, 401);
  });
});

describe("Partoo user endpoints beyond create", () => {
  /** A call with the Partoo key; returns status and JSON. */
  async function partoo(method, path, body, headers = PARTOO) {
    const res = await fetch(up.url + path, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }
  const create = async (user) => (await post("/v2/user", { headers: PARTOO, body: user })).json.id;

  test("GET /user/{id}: the whole user as created, with Partoo's defaults; 404 {error} for an unknown id", async () => {
    const id = await create({ ...partooUser, role: "ORG_MANAGER", lang: "fr" });
    for (const prefix of ["", "/v2"]) {
      const res = await partoo("GET", `${prefix}/user/${id}`);
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.json).sort(), ["accesses", "business_ids", "created_at", "disabled", "email", "first_name", "id", "lang", "last_name", "org_id", "role", "sso_only", "status"]);
      assert.equal(res.json.id, id);
      assert.equal(res.json.email, partooUser.email);
      assert.equal(res.json.role, "ORG_MANAGER");
      assert.equal(res.json.lang, "fr");
      assert.equal(res.json.status, "active");
      assert.equal(res.json.disabled, false);
      assert.equal(res.json.org_id, 1);
      assert.deepEqual(res.json, up.partooUser(id));
    }
    assert.deepEqual(up.partooUser(partooUser.email.toUpperCase()), up.partooUser(id));
    const invited = await create({ ...partooUser, email: "i@example.com", send_invitation: true });
    assert.equal(up.partooUser(invited).status, "invited");
    assert.equal(up.partooUser(invited).role, "BUSINESS_MANAGER");
    assert.deepEqual(await partoo("GET", "/v2/user/5309c3a237bbc544d8e26737"), { status: 404, json: { error: "User not found" } });
    assert.equal((await partoo("GET", `/v2/user/${id}`, undefined, {})).status, 401);
    assert.equal(up.partooUser("5309c3a237bbc544d8e26737"), undefined);
  });

  test("integers beyond 2^53 come back as they were sent", async () => {
    const big = "9223372036854775807";
    const text = `{"email":"big@example.com","first_name":"B","last_name":"I","org_id":${big},"accesses":[[${big},1],[2]]}`;
    const { json } = await post("/v2/user", { headers: PARTOO, body: text });
    for (const path of [`/v2/user/${json.id}`, "/v2/user/search?email=big%40example.com"]) {
      const res = await fetch(up.url + path, { headers: PARTOO });
      assert.match(res.headers.get("content-type"), /^application\/json/);
      const raw = await res.text();
      assert.ok(raw.includes(`"org_id":${big}`), raw);
      assert.ok(raw.includes(`"accesses":[[${big},1],[2]]`), raw);
      JSON.parse(raw);
    }
  });

  test("GET /user/search: the documented envelope, exact email in any case, filters, pages sorted by order_by", async () => {
    const emails = ["c@example.com", "a@example.com", "b@example.com", "d@example.com", "e@example.com"];
    const ids = {};
    for (const email of emails) ids[email] = await create({ ...partooUser, email });
    await partoo("POST", `/v2/user/${ids["d@example.com"]}`, { disabled: true });
    let res = await partoo("GET", "/v2/user/search?email=B%40EXAMPLE.com");
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json).sort(), ["count", "max_page", "page", "users"]);
    assert.deepEqual(res.json.users.map((u) => u.id), [ids["b@example.com"]]);
    assert.deepEqual([res.json.page, res.json.max_page, res.json.count], [1, 1, 1]);
    res = await partoo("GET", "/v2/user/search?email=example.com");
    assert.deepEqual([res.json.count, res.json.users], [0, []], "exact match, not a substring");
    res = await partoo("GET", "/user/search?page=2&per_page=2&order_by=email");
    assert.deepEqual(res.json.users.map((u) => u.email), ["c@example.com", "d@example.com"]);
    assert.deepEqual([res.json.page, res.json.max_page, res.json.count], [2, 3, 5]);
    res = await partoo("GET", "/user/search?per_page=2&order_by=-email");
    assert.deepEqual(res.json.users.map((u) => u.email), ["e@example.com", "d@example.com"]);
    res = await partoo("GET", "/user/search?disabled=true");
    assert.deepEqual(res.json.users.map((u) => u.email), ["d@example.com"]);
    res = await partoo("GET", "/user/search?page=9&per_page=100");
    assert.deepEqual([res.json.users, res.json.page, res.json.max_page, res.json.count], [[], 9, 1, 5]);
    for (const query of ["per_page=0", "per_page=101", "page=0", "page=x", "order_by=shoe_size", "status=gone", "role=KING", "disabled=maybe", "colour=red"]) {
      res = await partoo("GET", `/user/search?${query}`);
      assert.equal(res.status, 400, query);
      assert.deepEqual(Object.keys(res.json.errors.json), [query.split("=")[0]], query);
    }
    assert.equal((await partoo("GET", "/user/search", undefined, {})).status, 401);
    assert.equal((await partoo("POST", "/user/search", {})).status, 405);
  });

  test("POST /user/{id}: only the fields sent change; {id, status}; errors as for create", async () => {
    const id = await create(partooUser);
    const other = await create({ ...partooUser, email: "other@example.com" });
    let res = await partoo("POST", `/v2/user/${id}`, { first_name: "Percy", disabled: true, lang: "de" });
    assert.deepEqual(res, { status: 200, json: { id, status: "success" } });
    const user = up.partooUser(id);
    assert.deepEqual([user.first_name, user.last_name, user.disabled, user.lang], ["Percy", partooUser.last_name, true, "de"]);
    res = await partoo("POST", `/v2/user/${id}`, { email: "New@Example.com", password: "Sup3r-secret!" });
    assert.equal(res.status, 200);
    assert.equal(up.partooUser("new@example.com").id, id);
    assert.equal(up.partooUser(partooUser.email), undefined, "the old email is free again");
    assert.ok(!("password" in up.partooUser(id)), "a password is never shown");
    res = await partoo("POST", `/v2/user/${id}`, { email: "OTHER@example.com" });
    assert.deepEqual(res, { status: 400, json: { errors: { json: { email: ["This email is already used."] } } } });
    res = await partoo("POST", `/v2/user/${id}`, { disabled: "yes", org_id: 3, nick: "x", lang: "pt-BR", first_name: null });
    assert.equal(res.status, 400);
    assert.deepEqual(Object.keys(res.json.errors.json).sort(), ["disabled", "first_name", "lang", "nick", "org_id"]);
    assert.equal((await partoo("POST", `/v2/user/${id}`, "{nope")).status, 400);
    assert.equal((await partoo("POST", `/v2/user/${id}`, [])).status, 400);
    assert.equal((await partoo("POST", "/v2/user/5309c3a237bbc544d8e26737", { disabled: true })).status, 404);
    assert.equal((await partoo("POST", `/v2/user/${other}`, { disabled: true }, {})).status, 401);
  });

  test("DELETE /user/{id}: {id, status}, then the user and its email are gone", async () => {
    const id = await create(partooUser);
    assert.deepEqual(await partoo("DELETE", `/v2/user/${id}`), { status: 200, json: { id, status: "success" } });
    assert.equal((await partoo("GET", `/v2/user/${id}`)).status, 404);
    assert.equal((await partoo("DELETE", `/v2/user/${id}`)).status, 404);
    assert.ok(await create(partooUser), "the email can be used again");
    assert.equal((await partoo("DELETE", `/v2/user/${id}`, undefined, {})).status, 401);
    assert.equal((await partoo("PUT", `/v2/user/${id}`, {})).status, 405);
  });
});

describe("PandaDoc", () => {
  test("creates a user: 201 {user_id: 22 chars, workspaces echoed with member_id}", async () => {
    const res = await post("/public/v1/users?notify_user=true&notify_ws_admins=false", { headers: PANDADOC, body: pandadocUser });
    assert.equal(res.status, 201);
    assert.match(res.json.user_id, /^[0-9A-Za-z]{22}$/);
    assert.equal(res.json.workspaces.length, 2);
    res.json.workspaces.forEach((ws, i) => {
      assert.deepEqual(Object.keys(ws).sort(), ["member_id", "role", "workspace_id"]);
      assert.equal(ws.workspace_id, pandadocUser.workspaces[i].workspace_id);
      assert.equal(ws.role, pandadocUser.workspaces[i].role);
      assert.match(ws.member_id, /^[0-9A-Za-z]{22}$/);
    });
    assert.deepEqual(up.requests[0].query, { notify_user: "true", notify_ws_admins: "false" });
  });

  test("a workspace id that is not letters and digits -> 400 request_error, workspace not found", async () => {
    for (const id of ["w 1", "é", "a/b", "x".repeat(65)]) {
      const body = structuredClone(pandadocUser);
      body.workspaces[1].workspace_id = id;
      const res = await post("/public/v1/users", { headers: PANDADOC, body });
      assert.equal(res.status, 400, id);
      assert.deepEqual(res.json, { type: "request_error", detail: { workspace_id: [`Workspace with uuid ${id} not found.`] } });
    }
  });

  test("a repeated email (any case) -> 400 request_error, email: User already exists", async () => {
    assert.equal((await post("/public/v1/users", { headers: PANDADOC, body: pandadocUser })).status, 201);
    const again = structuredClone(pandadocUser);
    again.user.email = "New.User@EXAMPLE.com";
    const res = await post("/public/v1/users", { headers: PANDADOC, body: again });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { type: "request_error", detail: { email: ["User already exists"] } });
  });

  test("Authorization must be exactly `API-Key <key>` -> else 401 authentication_error", async () => {
    const wrong = ["", "mock-pandadoc-key", "Bearer mock-pandadoc-key", "API-Key wrong", "api-key mock-pandadoc-key", "API-Key  mock-pandadoc-key"];
    for (const value of [undefined, ...wrong]) {
      const headers = value === undefined ? {} : { Authorization: value };
      const res = await post("/public/v1/users", { headers, body: pandadocUser });
      assert.equal(res.status, 401, String(value));
      assert.deepEqual(res.json, { type: "authentication_error", detail: "Authentication credentials were not provided." });
    }
  });

  test("invalid bodies -> 400 request_error with field messages", async () => {
    const bad = structuredClone(pandadocUser);
    bad.license = "guest";
    bad.workspaces[0].role = "collaborator";
    delete bad.workspaces[1].workspace_id;
    let res = await post("/public/v1/users", { headers: PANDADOC, body: bad });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, {
      type: "request_error",
      detail: {
        license: ["License is not a valid choice."],
        role: ["Role is not a valid choice."],
        workspace_id: ["This field is required."],
      },
    });
    res = await post("/public/v1/users", { headers: PANDADOC, body: { user: { email: "nope" } } });
    assert.deepEqual(res.json.detail, {
      email: ["Enter a valid email address."],
      license: ["This field is required."],
      workspaces: ["This field is required."],
    });
    res = await post("/public/v1/users", { headers: PANDADOC, body: "{oops" });
    assert.equal(res.status, 400);
    assert.equal(res.json.type, "request_error");
  });
});

describe("recording and control endpoints", () => {
  test("records method, path, query, headers, body text and time of each provider call", async () => {
    const t0 = Date.now();
    await post("/v2/user?x=1", { headers: { ...PARTOO, "X-Trace": "abc" }, body: '{"email": 1}' });
    assert.equal(up.requests.length, 1);
    const [r] = up.requests;
    assert.equal(r.method, "POST");
    assert.equal(r.path, "/v2/user");
    assert.deepEqual(r.query, { x: "1" });
    assert.equal(r.headers["x-apikey"], "mock-partoo-key");
    assert.equal(r.headers["x-trace"], "abc");
    assert.equal(r.body, '{"email": 1}');
    assert.ok(r.time >= t0 && r.time <= Date.now());
  });

  test("GET /__mock/requests mirrors `requests`; control calls are not recorded", async () => {
    await post("/public/v1/users", { headers: PANDADOC, body: pandadocUser });
    const res = await fetch(`${up.url}/__mock/requests`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), up.requests);
    assert.equal(up.requests.length, 1);
  });

  test("POST /__mock/reset forgets calls, users and faults", async () => {
    const kept = up.requests;
    await post("/v2/user", { headers: PARTOO, body: partooUser });
    up.script({ status: 500 });
    const res = await fetch(`${up.url}/__mock/reset`, { method: "POST" });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(kept.length, 0, "the same array is emptied");
    const again = await post("/v2/user", { headers: PARTOO, body: partooUser });
    assert.equal(again.status, 200, "no fault left and the email is free again");
  });

  test("reset() does the same from code", async () => {
    await post("/public/v1/users", { headers: PANDADOC, body: pandadocUser });
    up.script([{ status: 503 }, { status: 503 }]);
    up.reset();
    assert.equal(up.requests.length, 0);
    assert.equal((await post("/public/v1/users", { headers: PANDADOC, body: pandadocUser })).status, 201);
  });

  test("POST /__mock/script queues a list applied in order, then normal service resumes", async () => {
    const faults = [
      { status: 403, body: { errors: { authorization: "Operation not allowed" } } },
      { status: 500, body: { errors: { json: "boom" } } },
    ];
    const res = await fetch(`${up.url}/__mock/script`, { method: "POST", body: JSON.stringify(faults) });
    assert.deepEqual(await res.json(), { queued: 2 });
    assert.equal((await post("/v2/user", { headers: PARTOO, body: partooUser })).status, 403);
    assert.equal((await post("/v2/user", { headers: PARTOO, body: partooUser })).status, 500);
    assert.equal((await post("/v2/user", { headers: PARTOO, body: partooUser })).status, 200);
  });

  test("malformed scripts are refused (400 over HTTP, throw from code)", async () => {
    for (const body of ["nope", "[1]", '{"statuss": 500}', '{"status": 1000}', '{"delayMs": -1}']) {
      const res = await fetch(`${up.url}/__mock/script`, { method: "POST", body });
      assert.equal(res.status, 400, body);
      assert.equal((await res.json()).error, "bad_script");
    }
    assert.throws(() => up.script({ hang: 5 }), /unknown fault keys: hang/);
    assert.equal((await post("/v2/user", { headers: PARTOO, body: partooUser })).status, 200, "nothing was queued");
  });
});

describe("scripted faults", () => {
  test("provider error bodies pass through with status and headers", async () => {
    const cases = [
      [400, { errors: { json: { email: ["This email is already used."] } } }],
      [401, { type: "authentication_error", detail: "Authentication credentials were not provided." }],
      [403, { type: "permission_error", detail: "You do not have permission to perform this action." }],
      [404, { type: "request_error", detail: "Not found" }],
      [429, { type: "throttled", detail: "Request was throttled." }, { "Retry-After": "2" }],
      [500, { errors: { json: "Internal error" } }],
    ];
    up.script(cases.map(([status, body, headers]) => ({ status, body, headers })));
    for (const [status, body, headers] of cases) {
      const res = await post("/public/v1/users", { headers: PANDADOC, body: pandadocUser });
      assert.equal(res.status, status);
      assert.deepEqual(res.json, body);
      assert.match(res.headers.get("content-type"), /^application\/json/);
      if (headers) assert.equal(res.headers.get("retry-after"), "2");
    }
    assert.equal(up.requests.length, cases.length, "scripted calls are recorded");
  });

  test("an HTML 502 page and a wrong content type", async () => {
    const html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    up.script([
      { status: 502, body: html, contentType: "text/html" },
      { status: 200, body: { id: "5309c3a237bbc544d8e26737", status: "success" }, contentType: "text/plain" },
    ]);
    let res = await post("/v2/user", { headers: PARTOO, body: partooUser });
    assert.equal(res.status, 502);
    assert.equal(res.headers.get("content-type"), "text/html");
    assert.equal(res.text, html);
    res = await post("/v2/user", { headers: PARTOO, body: partooUser });
    assert.equal(res.headers.get("content-type"), "text/plain");
    assert.equal(res.json.status, "success");
  });

  test("a huge body of exactly bodyBytes bytes of valid JSON", async () => {
    const size = 5 * 1024 * 1024;
    up.script({ status: 200, bodyBytes: size });
    const res = await post("/v2/user", { headers: PARTOO, body: partooUser });
    assert.equal(Buffer.byteLength(res.text), size);
    assert.equal(res.headers.get("content-length"), String(size));
    assert.equal(res.json.pad.length, size - '{"pad":""}'.length);
  });

  test("delayMs: a client timeout fires first; a patient client gets the real answer", async () => {
    up.script([{ delayMs: 300 }, { delayMs: 100 }]);
    await assert.rejects(
      post("/v2/user", { headers: PARTOO, body: partooUser, signal: AbortSignal.timeout(50) }),
      { name: "TimeoutError" },
    );
    const res = await post("/v2/user", { headers: PARTOO, body: { ...partooUser, email: "other@example.com" } });
    assert.equal(res.status, 200);
  });

  test("without status/body the provider still acts: a delayed create did create the user", async () => {
    up.script({ delayMs: 10_000 });
    const abort = new AbortController();
    const first = post("/v2/user", { headers: PARTOO, body: partooUser, signal: abort.signal });
    while (up.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    abort.abort(); // the client gives up while the mock is still "working"
    await assert.rejects(first, { name: "AbortError" });
    const res = await post("/v2/user", { headers: PARTOO, body: partooUser });
    assert.equal(res.status, 400, "the email is taken by the first, timed-out call");
  });

  test("resetAfterHeaders: status and headers arrive, the body read fails", async () => {
    up.script([{ resetAfterHeaders: true }, { status: 200, body: { type: "x" }, resetAfterHeaders: true }]);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${up.url}/public/v1/users`, {
        method: "POST",
        headers: PANDADOC,
        body: JSON.stringify(pandadocUser),
      });
      assert.equal(res.status, i === 0 ? 201 : 200);
      await assert.rejects(res.text(), /terminated/);
    }
  });

  test("hangMs: no answer at all, then the connection closes", { timeout: 5_000 }, async () => {
    up.script([{ hangMs: 5_000 }, { hangMs: 50 }]);
    await assert.rejects(
      post("/v2/user", { headers: PARTOO, body: partooUser, signal: AbortSignal.timeout(100) }),
      { name: "TimeoutError" },
    );
    await assert.rejects(post("/v2/user", { headers: PARTOO, body: partooUser }), { name: "TypeError" });
  });
});

describe("lifecycle", () => {
  test("close() frees the port, even with a hanging call in flight", { timeout: 5_000 }, async () => {
    const own = await startUpstream();
    own.script({ hangMs: 60_000 });
    const pending = fetch(`${own.url}/v2/user`, { method: "POST", headers: PARTOO, body: "{}" }).catch((e) => e);
    while (own.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    await own.close();
    assert.ok((await pending) instanceof Error);
    const probe = createServer();
    await new Promise((resolve, reject) => probe.once("error", reject).listen(own.port, "127.0.0.1", resolve));
    await new Promise((r) => probe.close(r));
  });

  test("startUpstream on a busy port rejects", async () => {
    await assert.rejects(startUpstream({ port: up.port }), { code: "EADDRINUSE" });
  });

  test("custom keys are honoured", async () => {
    const own = await startUpstream({ partooKey: "p", pandadocKey: "d" });
    try {
      assert.equal((await fetch(`${own.url}/user`, { method: "POST", headers: { "x-APIKey": "p" }, body: JSON.stringify(partooUser) })).status, 200);
      assert.equal((await fetch(`${own.url}/user`, { method: "POST", headers: PARTOO, body: JSON.stringify(partooUser) })).status, 401);
      assert.equal((await fetch(`${own.url}/public/v1/users`, { method: "POST", headers: { Authorization: "API-Key d" }, body: JSON.stringify(pandadocUser) })).status, 201);
    } finally {
      await own.close();
    }
  });

  test("CLI prints its URL, serves, and exits on SIGTERM", { timeout: 5_000 }, async () => {
    const script = fileURLToPath(new URL("./upstream.mjs", import.meta.url));
    const child = spawn(process.execPath, [script, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    try {
      const url = await new Promise((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d) => {
          out += d;
          const m = /^(http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once("exit", () => reject(new Error(`CLI exited early: ${out}`)));
      });
      const res = await fetch(`${url}/v2/user`, { method: "POST", headers: PARTOO, body: JSON.stringify(partooUser) });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    } finally {
      child.kill("SIGTERM");
    }
    assert.deepEqual(await exited, { code: 0, signal: null });
  });
});

// Every provider the Worker's test build registers (its providers.json,
// written from the core's registry by `cargo xtask build worker-test`,
// which `cargo xtask test` runs first), served from the core's description
// alone: the Partoo and PandaDoc routes above win on their paths.
describe("providers described by the core", () => {
  const file = fileURLToPath(new URL("../../build/test-panic/providers.json", import.meta.url));
  let providers;
  let described;
  before(async () => {
    providers = readProviders(file);
    described = await startUpstream({ providers, keys: { [providers.at(-1).id]: "a-key-of-its-own" } });
  });
  after(() => described?.close(), { timeout: 5_000 });

  const call = (p, { method = p.create.method, key = mockKey(p.id), body = JSON.stringify(p.example) } = {}) =>
    fetch(described.url + p.create.path, {
      method,
      headers: { "content-type": "application/json", [p.create.credential.name]: p.create.credential.value.replace("{key}", key) },
      body,
    });

  test("each provider's creation answer, on its own path, with its own credential", async () => {
    assert.ok(providers.length >= 3, "the test build registers the core's test providers");
    const keyOf = (p) => (p === providers.at(-1) ? "a-key-of-its-own" : mockKey(p.id));
    for (const p of providers) {
      const res = await call(p, { key: keyOf(p) });
      const text = await res.text();
      assert.equal(res.status, p.created.status, `${p.id}: ${text}`);
      assert.match(res.headers.get("content-type"), /^application\/json/);
      // Partoo and PandaDoc answer from their hand-written models (fresh
      // ids); every other provider with the answer the core describes.
      assert.deepEqual(Object.keys(JSON.parse(text)).sort(), Object.keys(JSON.parse(p.created.body)).sort(), p.id);
    }
    const last = providers.at(-1);
    const seen = described.requests.at(-1);
    assert.equal(seen.path, last.create.path);
    assert.equal(seen.body, JSON.stringify(last.example));
  });

  test("a wrong key is a 401, a body that is not JSON a 400, another method a 405", async () => {
    for (const p of providers) {
      assert.equal((await call(p, { key: "wrong" })).status, 401, p.id);
    }
    const last = providers.at(-1);
    assert.equal((await call(last, { key: mockKey(last.id) })).status, 401, "its own key, not the default");
    assert.equal((await call(last, { key: "a-key-of-its-own", body: "{" })).status, 400);
    assert.equal((await call(last, { key: "a-key-of-its-own", method: "PUT" })).status, 405);
  });

  test("without descriptions, the path is unknown", async () => {
    const last = providers.at(-1);
    const res = await fetch(up.url + last.create.path, { method: last.create.method, body: "{}" });
    assert.equal(res.status, 404);
  });
});
