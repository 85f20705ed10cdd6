// Third-party oracle: Prism mocks each provider from tests/openapi/*.yaml
// (strict copies of the providers' documents). Valid inputs covering every
// field and every enum value of both providers go through the Worker, and
// every request the Worker forwards must pass Prism's validation: a 2xx and
// no `sl-violations` header (recorded by a small proxy between the Worker and
// Prism). Needs the Worker built (`cargo xtask test` builds it).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ROOT } from "./serve.mjs";
import { startPrism, startProxy, startRecorder } from "./helpers.mjs";

const TOKEN = "prism-test-token";
const auth = { authorization: `Bearer ${TOKEN}` };
const ROLES = ["ORG_ADMIN", "ORG_MANAGER", "GROUP_MANAGER", "BUSINESS_MANAGER", "PUBLISHER"];
const LANGS = ["fr", "en", "es", "it", "pt-br", "de", "ar", "nl", "pl", "cs", "ca", "sk", "pt", "lv", "ro", "bg", "hu"];
const STATUSES = ["active", "invited"];
const SIDEBAR = ["bulk_modification", "diffusion", "feedback_management", "messages", "posts", "presence_analytics", "review_analytics", "review_invite", "review_management"];
const LICENSES = ["Full", "eSign", "Read-only", "Creator", "Guest"];
const WS_ROLES = ["Admin", "Manager", "Member", "Collaborator"];

let prisms = [];
let rec = {};
let w;

before(async () => {
  prisms = await Promise.all([startPrism(`${ROOT}tests/openapi/partoo.yaml`), startPrism(`${ROOT}tests/openapi/pandadoc.yaml`)]);
  const [partoo, pandadoc] = await Promise.all(prisms.map((p) => startRecorder(p.url)));
  rec = { partoo, pandadoc };
  // Admin mode: every role may be sent (public mode would refuse some).
  w = await startProxy({
    upstreams: { partoo: partoo.url, pandadoc: pandadoc.url },
    bindings: { PARTOO_API_KEY: "prism-partoo-key", PANDADOC_API_KEY: "prism-pandadoc-key", CLIENT_TOKENS: TOKEN, UPSTREAM_TIMEOUT_MS: "10000" },
    rateLimit: { limit: 100_000 },
  });
});
after(async () => {
  await w?.dispose();
  await Promise.all(Object.values(rec).map((r) => r.close()));
  await Promise.all(prisms.map((p) => p.stop()));
});

function assertAllAccepted(recorder, expected) {
  assert.equal(recorder.seen.length, expected);
  for (const s of recorder.seen) {
    assert.deepEqual(s.violations, [], `${s.method} ${s.url} ${s.body}`);
    assert.ok(s.status >= 200 && s.status < 300, `${s.status} for ${s.url} ${s.body}: ${s.answer}`);
  }
}

test("Partoo: every field and every enum value, forwarded as Prism accepts", async () => {
  const bodies = [
    {
      email: "karadoc@example.com",
      first_name: "Karadoc",
      last_name: "de Vannes",
      org_id: 42,
      accesses: [[1, 2], [1, 3]],
      business_ids: ["5309c3a237bbc544d8e26737"],
      role: "GROUP_MANAGER",
      custom_role: "my_custom_role",
      sidebar_pages: SIDEBAR,
      send_invitation: false,
      status: "invited",
      password: "Sup3r-secret!",
      lang: "pt-br",
      sso_only: true,
    },
    { email: "perceval@example.com", first_name: "Perceval", last_name: "de Galles", sidebar_pages: null, send_invitation: true, sso_only: false },
  ];
  for (const [i, lang] of LANGS.entries()) {
    bodies.push({
      email: `user${i}@example.com`,
      first_name: "Ada",
      last_name: "Lovelace",
      role: ROLES[i % ROLES.length],
      status: STATUSES[i % STATUSES.length],
      lang,
      sidebar_pages: [SIDEBAR[i % SIDEBAR.length]],
      ...(ROLES[i % ROLES.length] === "BUSINESS_MANAGER" ? { business_ids: [`b${i}`] } : {}),
      ...(ROLES[i % ROLES.length] === "GROUP_MANAGER" ? { accesses: [[i]] } : {}),
    });
  }
  for (const body of bodies) {
    const res = await w.call("/v1/partoo/users", { method: "POST", json: body, headers: auth });
    assert.equal(res.status, 201, `${JSON.stringify(body)} → ${res.text}`);
    assert.equal(res.body.id, "5309c3a237bbc544d8e26737");
  }
  const invite = await w.call("/v1/partoo/users/5309c3a237bbc544d8e26737/invite", { method: "POST", headers: auth });
  assert.equal(invite.status, 200, invite.text);
  assertAllAccepted(rec.partoo, bodies.length + 1);
  assert.ok(rec.partoo.seen.every((s) => s.headers["x-apikey"] === "prism-partoo-key"));
});

test("PandaDoc: every license, every workspace role, both query flags, forwarded as Prism accepts", async () => {
  const requests = [];
  for (const [i, license] of LICENSES.entries()) {
    for (const [j, role] of WS_ROLES.entries()) {
      const flags = [
        "",
        "?notify_user=true",
        "?notify_ws_admins=false",
        "?notify_user=false&notify_ws_admins=true",
      ][(i + j) % 4];
      requests.push([
        `/v1/pandadoc/users${flags}`,
        {
          user: { email: `u${i}${j}@example.com`, first_name: "New", last_name: "User", phone_number: (i + j) % 2 ? "" : "+14842634627" },
          workspaces: [{ workspace_id: "Ab123", role }, ...(j % 2 ? [{ workspace_id: "Cd456", role: WS_ROLES[(j + 1) % 4] }] : [])],
          license,
        },
      ]);
    }
  }
  requests.push(["/v1/pandadoc/users", { user: { email: "only.email@example.com" }, workspaces: [{ workspace_id: "W", role: "Member" }], license: "Guest" }]);
  for (const [path, body] of requests) {
    const res = await w.call(path, { method: "POST", json: body, headers: auth });
    assert.equal(res.status, 201, `${path} ${JSON.stringify(body)} → ${res.text}`);
    assert.equal(typeof res.body.id, "string");
  }
  assertAllAccepted(rec.pandadoc, requests.length);
  const queries = rec.pandadoc.seen.map((s) => new URL(s.url, "http://x").search);
  assert.ok(queries.includes("?notify_user=false&notify_ws_admins=true"), queries.join());
});
