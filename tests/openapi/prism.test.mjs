// Runs Prism on both OpenAPI documents and checks that the mocks accept a valid
// request and reject invalid ones the way Prism really does:
//   - a body/query/header that breaks the schema -> the document's own 400
//     example (Prism prefers a defined 422, then 400; only when neither exists
//     does it invent a 422 application/problem+json), plus an `sl-violations`
//     header listing every violation;
//   - a missing API-key header -> the document's 401 example, `sl-violations`
//     with code 401;
//   - where the operation documents neither 422 nor 400 (Partoo's invite),
//     Prism's own 422 application/problem+json with the violations in its
//     `validation` field and NO sl-violations header;
//   - a body that is not JSON -> Prism's own 400 {"error":{"code":"invalid_json"}};
//   - `--errors` makes Prism answer 500 when one of *our* response examples
//     breaks its schema, so every example we ask for is checked too.
// Run: node --test tests/openapi/
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startPrism as startMock } from "./prism.mjs";

const doc = (name) => fileURLToPath(new URL(name, import.meta.url));

/** Prism with `--errors` (see above). */
const startPrism = (file) => startMock(file, { timeoutMs: 20_000, errors: true });

/** POSTs JSON (or a raw string) and returns status, headers, parsed body, violations. */
async function post(url, { headers = {}, body, contentType = "application/json" } = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": contentType, ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const sl = res.headers.get("sl-violations");
  return {
    status: res.status,
    headers: res.headers,
    body: text ? JSON.parse(text) : undefined,
    violations: sl ? JSON.parse(sl) : [],
  };
}

/** Asserts Prism rejected the request with the spec's 400 and a violation of this kind. */
function assertRejected(res, { code, location }, bodyCheck) {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  const hit = res.violations.find((v) => v.code === code && (!location || v.location.join("/") === location));
  assert.ok(hit, `expected a ${code} violation at ${location}, got ${JSON.stringify(res.violations)}`);
  assert.equal(hit.severity, "Error");
  bodyCheck(res.body);
}

const prisms = {};
const stopAll = () => Promise.all(Object.values(prisms).map((p) => p.stop()));
// Last resort if the runner dies between before() and after().
process.once("exit", () => Object.values(prisms).forEach((p) => p.child.kill("SIGKILL")));

before(async () => {
  const started = await Promise.allSettled([startPrism(doc("partoo.yaml")), startPrism(doc("pandadoc.yaml"))]);
  [prisms.partoo, prisms.pandadoc] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined));
  for (const key of Object.keys(prisms)) if (!prisms[key]) delete prisms[key];
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
});

after(async () => {
  await stopAll();
  for (const p of Object.values(prisms)) assert.ok(p.child.exitCode !== null || p.child.signalCode !== null);
});

test("both Prism mocks start", (t) => {
  for (const [name, p] of Object.entries(prisms)) t.diagnostic(`${name}: ready in ${p.startupMs} ms at ${p.url}`);
  assert.ok(prisms.partoo && prisms.pandadoc);
});

describe("partoo.yaml", () => {
  const KEY = { "x-APIKey": "any-key" };
  const minimal = { email: "perceval@example.com", first_name: "Perceval", last_name: "de Galles" };
  const createUser = (body, headers = KEY, contentType) =>
    post(`${prisms.partoo.url}/user`, { headers, body, contentType });
  const partoo400 = (body) => assert.equal(typeof body.errors.json, "object");

  test("valid minimal request -> 200 {id, status}", async () => {
    const res = await createUser(minimal);
    assert.equal(res.status, 200);
    assert.deepEqual(res.violations, []);
    assert.match(res.body.id, /^[0-9a-f]{24}$/);
    assert.equal(res.body.status, "success");
  });

  test("valid request with every field -> 200", async () => {
    const full = {
      ...minimal,
      org_id: 42,
      accesses: [[1, 2], [1, 3]],
      business_ids: ["5309c3a237bbc544d8e26737"],
      role: "GROUP_MANAGER",
      custom_role: "my_custom_role",
      sidebar_pages: ["posts", "review_management"],
      send_invitation: false,
      status: "invited",
      password: "Sup3r-secret!",
      lang: "pt-br",
      sso_only: false,
    };
    for (const body of [full, { ...full, sidebar_pages: null }]) {
      const res = await createUser(body);
      assert.equal(res.status, 200, JSON.stringify(res.violations));
      assert.deepEqual(res.violations, []);
    }
  });

  const invalid = [
    ["unknown field", { ...minimal, nickname: "P" }, { code: "additionalProperties", location: "request/body" }],
    ["lang in the wrong case", { ...minimal, lang: "pt-BR" }, { code: "enum", location: "request/body/lang" }],
    ["role in the wrong case", { ...minimal, role: "org_admin" }, { code: "enum", location: "request/body/role" }],
    ["status not in the enum", { ...minimal, status: "Active" }, { code: "enum", location: "request/body/status" }],
    ["unknown sidebar page", { ...minimal, sidebar_pages: ["Posts"] }, { code: "enum", location: "request/body/sidebar_pages/0" }],
    ["sidebar_pages not a list", { ...minimal, sidebar_pages: "posts" }, { code: "type", location: "request/body/sidebar_pages" }],
    ["missing last_name", { email: minimal.email, first_name: "P" }, { code: "required", location: "request/body" }],
    ["email not an email", { ...minimal, email: "perceval" }, { code: "format", location: "request/body/email" }],
    ["password too short", { ...minimal, password: "Short!1" }, { code: "minLength", location: "request/body/password" }],
    ["org_id as a string", { ...minimal, org_id: "42" }, { code: "type", location: "request/body/org_id" }],
    ["accesses not nested", { ...minimal, accesses: [1, 2] }, { code: "type", location: "request/body/accesses/0" }],
    ["null lang", { ...minimal, lang: null }, { code: "type", location: "request/body/lang" }],
  ];
  for (const [name, body, violation] of invalid) {
    test(`${name} -> 400 + sl-violations (${violation.code})`, async () => {
      assertRejected(await createUser(body), violation, partoo400);
    });
  }

  test("wrong content type -> 400 + sl-violations (415)", async () => {
    const res = await createUser(JSON.stringify(minimal), KEY, "text/plain");
    assertRejected(res, { code: 415, location: "request" }, partoo400);
  });

  test("missing x-APIKey -> 401 with Partoo's body", async () => {
    const res = await createUser(minimal, {});
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { errors: { authentication: "User not authenticated" } });
    assert.ok(res.violations.some((v) => v.code === 401), JSON.stringify(res.violations));
  });

  test("every documented error example is served (Prefer: code=…)", async () => {
    for (const code of [400, 401, 403]) {
      const res = await createUser(minimal, { ...KEY, Prefer: `code=${code}` });
      assert.equal(res.status, code);
      assert.equal(typeof res.body.errors, "object");
    }
  });

  test("invite a user id -> 200 {status: success}", async () => {
    const res = await post(`${prisms.partoo.url}/user/5309c3a237bbc544d8e26737/invite`, { headers: KEY });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: "success" });
  });

  test("invite a malformed id -> Prism's own 422 (no 400 documented there)", async () => {
    const res = await post(`${prisms.partoo.url}/user/not-an-id/invite`, { headers: KEY });
    assert.equal(res.status, 422);
    assert.match(res.headers.get("content-type"), /^application\/problem\+json/);
    assert.equal(res.body.type, "https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY");
    // Here the violations travel in the body, not in an sl-violations header.
    assert.deepEqual(res.violations, []);
    assert.ok(res.body.validation.some((v) => v.code === "pattern" && v.location.join("/") === "path/user_id"));
  });

  test("a body that is not JSON -> Prism's own 400 invalid_json (no sl-violations)", async () => {
    const res = await createUser("{not json");
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { error: { code: "invalid_json", message: "Invalid JSON" } });
    assert.deepEqual(res.violations, []);
  });

  test("a path outside the document -> 404 problem+json", async () => {
    const res = await post(`${prisms.partoo.url}/v2/user`, { headers: KEY, body: minimal });
    assert.equal(res.status, 404);
    assert.equal(res.body.type, "https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR");
  });
});

describe("pandadoc.yaml", () => {
  const KEY = { Authorization: "API-Key 0123456789abcdef" };
  const valid = {
    user: { email: "new.user@example.com", first_name: "New", last_name: "User", phone_number: "+14842634627" },
    workspaces: [{ workspace_id: "Ab123", role: "Collaborator" }],
    license: "Guest",
  };
  const createUser = (body, { headers = KEY, query = "", contentType } = {}) =>
    post(`${prisms.pandadoc.url}/public/v1/users${query}`, { headers, body, contentType });
  const pandadoc400 = (body) => {
    assert.equal(body.type, "request_error");
    assert.equal(typeof body.detail, "object");
  };
  const edit = (f) => {
    const copy = structuredClone(valid);
    f(copy);
    return copy;
  };

  test("valid request with both query flags -> 201 {user_id, workspaces}", async () => {
    const res = await createUser(valid, { query: "?notify_user=true&notify_ws_admins=false" });
    assert.equal(res.status, 201);
    assert.deepEqual(res.violations, []);
    assert.equal(typeof res.body.user_id, "string");
    assert.deepEqual(Object.keys(res.body.workspaces[0]).sort(), ["member_id", "role", "workspace_id"]);
  });

  const invalid = [
    ["role in the wrong case", edit((b) => (b.workspaces[0].role = "collaborator")), { code: "enum", location: "request/body/workspaces/0/role" }],
    ["license in the wrong case", edit((b) => (b.license = "read-only")), { code: "enum", location: "request/body/license" }],
    ["unknown top-level field", edit((b) => (b.notify_user = true)), { code: "additionalProperties", location: "request/body" }],
    ["unknown user field", edit((b) => (b.user.role = "Admin")), { code: "additionalProperties", location: "request/body/user" }],
    ["unknown workspace field", edit((b) => (b.workspaces[0].member_id = "x")), { code: "additionalProperties", location: "request/body/workspaces/0" }],
    ["missing license", edit((b) => delete b.license), { code: "required", location: "request/body" }],
    ["missing user.email", edit((b) => delete b.user.email), { code: "required", location: "request/body/user" }],
    ["missing workspace role", edit((b) => delete b.workspaces[0].role), { code: "required", location: "request/body/workspaces/0" }],
    ["no workspace", edit((b) => (b.workspaces = [])), { code: "minItems", location: "request/body/workspaces" }],
    ["email not an email", edit((b) => (b.user.email = "new.user")), { code: "format", location: "request/body/user/email" }],
  ];
  for (const [name, body, violation] of invalid) {
    test(`${name} -> 400 + sl-violations (${violation.code})`, async () => {
      assertRejected(await createUser(body), violation, pandadoc400);
    });
  }

  test("non-boolean query flag -> 400 + sl-violations", async () => {
    const res = await createUser(valid, { query: "?notify_user=yes" });
    assertRejected(res, { code: "type", location: "request/query/notify_user" }, pandadoc400);
  });

  test("missing Authorization -> 401 with PandaDoc's body", async () => {
    const res = await createUser(valid, { headers: {} });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { type: "authentication_error", detail: "Authentication credentials were not provided." });
    assert.ok(res.violations.some((v) => v.code === 401), JSON.stringify(res.violations));
  });

  test("Authorization without the `API-Key ` prefix -> 400 + sl-violations", async () => {
    for (const value of ["Bearer 0123456789abcdef", "0123456789abcdef", "api-key 0123"]) {
      const res = await createUser(valid, { headers: { Authorization: value } });
      assertRejected(res, { code: "pattern", location: "request/header/authorization" }, pandadoc400);
    }
  });

  test("every documented error example is served (Prefer: code=…)", async () => {
    for (const code of [400, 401, 403, 404, 429]) {
      const res = await createUser(valid, { headers: { ...KEY, Prefer: `code=${code}` } });
      assert.equal(res.status, code);
      assert.equal(typeof res.body.type, "string");
      if (code === 429) assert.equal(res.headers.get("retry-after"), "60");
    }
  });
});
