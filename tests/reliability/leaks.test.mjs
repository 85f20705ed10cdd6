// Secrets and privacy: with distinctive fake API keys and client token
// configured, and distinctive personal data (email, names, phone, password)
// sent through every route and outcome — success, replay, validation, policy,
// bad JSON, wrong type, too large, unknown path, refused origin, bad token,
// and upstream faults that echo the secrets back — nothing leaks:
//
//   - the API keys and the client token appear in no response (body or header)
//     and no log line, only in the upstream request (asserted present there,
//     so the check can fail);
//   - the password appears nowhere but the upstream body (asserted present);
//   - emails, names and phone numbers appear in no response and no log line:
//     the API's contract returns none of them (201 is {provider, status, id,
//     workspaces?, warnings});
//   - /v1/openapi.json, /v1/health, build/, www/ and the npm tarball hold none
//     of the fake values, none of the values of a local .dev.vars (reported
//     by name only), and no .dev.vars/.env file.
//
// Log lines are everything workerd logged (the Worker's console.log, uncaught
// errors) while the suite ran; the suite checks it captured one JSON line per
// request, so an empty capture cannot pass for a clean one. (Miniflare's own
// request log is off: like Cloudflare's request logs it prints the URL the
// caller chose; the API never puts personal data in URLs, see docs/security.md.)
//
// Needs the Worker built (`cargo xtask build worker`); scans the npm package
// when crates/enlist-wasm/pkg exists (`cargo xtask build npm`).
// Run: node --test tests/reliability/leaks.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { FAKE, ROOT, assertProblem, pandadocUser, partooUser, startStack, stripAnsi } from "./harness.mjs";

const TIMEOUT_MS = 500;

/** Every secret and personal value, by name. */
function needles(emails) {
  return {
    "Partoo API key": FAKE.partooKey,
    "PandaDoc API key": FAKE.pandadocKey,
    "client token": FAKE.clientToken,
    password: FAKE.password,
    "first name": FAKE.firstName,
    "last name": FAKE.lastName,
    phone: FAKE.phone,
    "phone digits": FAKE.phone.replace(/\D/g, ""),
    "email domain": FAKE.emailDomain,
    ...Object.fromEntries(emails.map((e, i) => [`email #${i}`, e])),
  };
}

/** Names of the needles found in `text` (case-insensitive). */
function found(text, table) {
  const lower = text.toLowerCase();
  return Object.entries(table)
    .filter(([, v]) => v && lower.includes(v.toLowerCase()))
    .map(([name]) => name);
}

/** Every response seen: where it came from, its headers and body as text. */
const seen = [];
/** Emails sent (all at FAKE.emailDomain). */
const emails = [];

function remember(where, res) {
  const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  seen.push({ where, text: `${headers}\n\n${res.text}` });
  return res;
}

/** Asserts at once that a response holds no secret and no personal value. */
function assertClean(where, res) {
  remember(where, res);
  const leaks = found(seen.at(-1).text, needles(emails));
  assert.deepEqual(leaks, [], `${where}: the response (${res.status}) contains ${leaks.join(", ")}:\n${seen.at(-1).text.slice(0, 600)}`);
  return res;
}

const withPii = {
  partoo: (extra = {}) => {
    const body = partooUser({ password: FAKE.password, ...extra });
    emails.push(body.email);
    return body;
  },
  pandadoc: (extra = {}) => {
    const body = pandadocUser();
    body.user.phone_number = FAKE.phone;
    emails.push(body.user.email);
    return { ...body, ...extra };
  },
};

let pub;
let admin;
let requestsSent = 0;
const count = (p) => (requestsSent++, p);

before(async () => {
  pub = await startStack({ bindings: { UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS), ALLOWED_ORIGINS: "https://allowed.example" } });
});
after(async () => {
  await pub?.close();
  await admin?.close();
});

describe("public mode: every outcome, no secret or personal value in any answer", () => {
  test("health and the OpenAPI document", async () => {
    assertClean("GET /v1/health", await count(pub.get("/v1/health")));
    const doc = assertClean("GET /v1/openapi.json", await count(pub.get("/v1/openapi.json")));
    assert.equal(doc.status, 200);
    assertClean("HEAD /v1/health", await count(pub.send("HEAD", "/v1/health")));
  });

  test("created (both providers), with and without Idempotency-Key; replay; key reuse", async () => {
    for (const provider of ["partoo", "pandadoc"]) {
      const route = `/v1/${provider}/users`;
      const created = assertClean(`${provider} create`, await count(pub.post(route, withPii[provider]())));
      assert.equal(created.status, 201, created.text);
      const body = withPii[provider]();
      const headers = { "idempotency-key": `leak-${provider}-${FAKE.firstName}` };
      assertClean(`${provider} create with key`, await count(pub.post(route, body, { headers })));
      const replay = assertClean(`${provider} replay`, await count(pub.post(route, body, { headers })));
      assert.equal(replay.headers.get("idempotent-replayed"), "true");
      const reuse = assertClean(`${provider} key reuse`, await count(pub.post(route, withPii[provider](), { headers })));
      assert.equal(reuse.status, 422);
    }
  });

  test("validation errors do not echo the invalid values", async () => {
    const badEmail = `${FAKE.firstName}.no-at-sign.${FAKE.emailDomain}`;
    const res = assertClean(
      "partoo invalid values",
      await count(pub.post("/v1/partoo/users", { email: badEmail, first_name: FAKE.firstName, last_name: 42, password: FAKE.password.slice(0, 6), lang: FAKE.lastName })),
    );
    assert.equal(res.status, 422, res.text);
    const pd = withPii.pandadoc();
    pd.user.phone_number = `+1-${FAKE.lastName}`;
    pd.license = FAKE.password;
    assert.equal(assertClean("pandadoc invalid values", await count(pub.post("/v1/pandadoc/users", pd))).status, 422);
  });

  test("policy refusals do not echo the refused values", async () => {
    const res = assertClean("partoo policy", await count(pub.post("/v1/partoo/users", withPii.partoo({ role: "ORG_ADMIN", org_id: 7 }))));
    assert.equal(res.status, 403, res.text);
    const pd = withPii.pandadoc({ workspaces: [{ workspace_id: "Ab123", role: "Admin" }] });
    assert.equal(assertClean("pandadoc policy", await count(pub.post("/v1/pandadoc/users", pd))).status, 403);
  });

  test("broken JSON, wrong content type, oversized body, bad query flag, bad Idempotency-Key", async () => {
    const text = JSON.stringify(withPii.partoo());
    const broken = assertClean("invalid JSON", await count(pub.post("/v1/partoo/users", text.slice(0, -3), { raw: true })));
    assert.equal(broken.status, 400, broken.text);
    const typed = assertClean("text/plain", await count(pub.post("/v1/partoo/users", text, { raw: true, headers: { "content-type": `text/plain; x=${FAKE.lastName}` } })));
    assert.equal(typed.status, 415, typed.text);
    const big = JSON.stringify(withPii.partoo({ custom_role: `${FAKE.password} `.repeat(4000) }));
    assert.equal(assertClean("oversized", await count(pub.post("/v1/partoo/users", big, { raw: true }))).status, 413);
    const flag = assertClean("query flag", await count(pub.post(`/v1/pandadoc/users?notify_user=${FAKE.lastName}`, withPii.pandadoc())));
    assert.ok(flag.status === 422 || flag.status === 201, flag.text);
    const key = assertClean("bad key", await count(pub.post("/v1/partoo/users", withPii.partoo(), { headers: { "idempotency-key": `${FAKE.firstName} ${FAKE.password}` } })));
    assert.equal(key.status, 422, key.text);
  });

  test("unknown path, wrong method, refused origin, invite refused in public mode", async () => {
    assert.equal(assertClean("404", await count(pub.get(`/v1/${FAKE.firstName}/users`))).status, 404);
    assert.equal(assertClean("405", await count(pub.send("DELETE", "/v1/partoo/users"))).status, 405);
    const origin = `https://${FAKE.emailDomain}`;
    const refused = assertClean("refused origin", await count(pub.post("/v1/partoo/users", withPii.partoo(), { headers: { origin } })));
    assert.equal(refused.status, 403, refused.text);
    const pre = assertClean("refused preflight", await count(pub.send("OPTIONS", "/v1/partoo/users", undefined, { headers: { origin, "access-control-request-method": "POST" } })));
    assert.equal(pre.status, 403, pre.text);
    const inv = assertClean("public invite", await count(pub.post(`/v1/partoo/users/${"a".repeat(24)}/invite`, undefined)));
    assert.equal(inv.status, 403, inv.text);
  });

  test("upstream answers that echo the keys and the personal data are not relayed", async () => {
    const echo = `${FAKE.partooKey} ${FAKE.pandadocKey} ${FAKE.password} ${FAKE.firstName} ${FAKE.phone}`;
    const faults = [
      ["401 echoing the key", { status: 401, body: { errors: { authentication: `Invalid API key ${echo}` }, type: "authentication_error", detail: echo } }],
      ["500 HTML echoing", { status: 500, body: `<html>${echo}</html>`, contentType: "text/html" }],
      ["field errors echoing", { status: 400, body: { errors: { json: { first_name: [`${echo} is not allowed`] } }, type: "request_error", detail: { first_name: [`${echo} is not allowed`] } } }],
      ["already exists echoing", { status: 400, body: { errors: { json: { email: [`This email is already used: ${echo}`] } }, type: "request_error", detail: { email: [`User already exists ${echo}`] } } }],
      ["429 echoing", { status: 429, body: { detail: echo }, headers: { "Retry-After": "2" } }],
      ["slow (timeout)", { delayMs: TIMEOUT_MS + 1_000 }],
      ["success with secrets in headers", { headers: { "Set-Cookie": `session=${FAKE.partooKey}`, "X-Debug": echo } }],
    ];
    const failures = [];
    for (const provider of ["partoo", "pandadoc"]) {
      for (const [name, fault] of faults) {
        pub.upstream.script(fault);
        const res = await count(pub.post(`/v1/${provider}/users`, withPii[provider]()));
        try {
          assertClean(`${provider}: upstream ${name}`, res);
        } catch (err) {
          failures.push(err.message.split("\n").slice(0, 1).join("") + `\n    ${res.text.slice(0, 400)}`);
        }
      }
    }
    assert.equal(failures.length, 0, `upstream text relayed to the caller:\n${failures.join("\n")}`);
  });

  // Issue 17, item 2: success fields were relayed as sent — a 10,000-character
  // id, or the API key echoed as an id, came back in a 201 and was stored
  // for 24 hours as the idempotent answer.
  test("success answers with an id that is not one, or echoing a key, are 502, logged, never stored", async () => {
    const success = (fields) => ({ status: 201, body: { status: "success", user_id: "KwahvjapLm4RDf6pfyYdjA", id: "5309c3a237bbc544d8e26737", ...fields } });
    const workspace = (field, value) => ({ workspaces: [{ workspace_id: "Ab123", role: "Collaborator", member_id: "VQDH2hdAPJBhSWmMrYa3zu", [field]: value }] });
    const cases = [
      ["a 10,000-character id", { id: "a".repeat(10_000), user_id: "a".repeat(10_000) }, "upstream_malformed"],
      ["the key as the id", { id: FAKE.partooKey, user_id: FAKE.pandadocKey }, "upstream_echoed_secret"],
      ["the other provider's key inside the id", { id: `u-${FAKE.pandadocKey}`, user_id: `u-${FAKE.partooKey}` }, "upstream_echoed_secret"],
      ["a credential header as the id", { id: `x-APIKey: ${FAKE.partooKey}`, user_id: `API-Key ${FAKE.pandadocKey}` }, "upstream_malformed"],
    ];
    for (const provider of ["partoo", "pandadoc"]) {
      const more = provider === "pandadoc"
        ? [
            ["the key as a member id", workspace("member_id", FAKE.pandadocKey), "upstream_echoed_secret"],
            ["markup as a role", workspace("role", "<img src=x onerror=alert(1)>"), "upstream_malformed"],
            ["a 129-character workspace id", workspace("workspace_id", "w".repeat(129)), "upstream_malformed"],
          ]
        : [];
      for (const [name, fields, note] of [...cases, ...more]) {
        const where = `${provider}: ${name}`;
        const body = withPii[provider]();
        const headers = { "idempotency-key": `leak-success-${provider}-${name.replaceAll(" ", "-")}` };
        pub.upstream.script(success(fields));
        const res = assertClean(where, await count(pub.post(`/v1/${provider}/users`, body, { headers })));
        assertProblem(res, 502, "upstream_error", where);
        assert.ok(res.text.length < 1_000, `${where}: ${res.text.length} bytes`);
        const line = pub.jsonLogs().find((l) => l.request_id === res.headers.get("x-request-id"));
        assert.ok(line?.notes?.includes(note), `${where}: log line ${JSON.stringify(line)}`);
        // Not stored: the retry is forwarded again and answered afresh.
        const creates = pub.creates(provider).length;
        const retry = assertClean(`${where}, retried`, await count(pub.post(`/v1/${provider}/users`, body, { headers })));
        assert.equal(pub.creates(provider).length, creates + 1, `${where}: the retry was not forwarded`);
        assert.notEqual(retry.headers.get("idempotent-replayed"), "true", where);
      }
    }
  });
});

describe("admin mode: the client token never comes back", () => {
  const auth = { authorization: `Bearer ${FAKE.clientToken}` };
  before(async () => {
    admin = await startStack({ bindings: { CLIENT_TOKENS: `other-token-for-leakcheck,${FAKE.clientToken}` } });
  });

  test("no token, wrong tokens, right token, invite", async () => {
    const none = assertClean("no token", await count(admin.post("/v1/partoo/users", withPii.partoo())));
    assert.equal(none.status, 401, none.text);
    for (const wrong of [`Bearer ${FAKE.clientToken}x`, `Basic ${FAKE.clientToken}`, FAKE.clientToken]) {
      const res = assertClean("wrong token", await count(admin.post("/v1/partoo/users", withPii.partoo(), { headers: { authorization: wrong } })));
      assert.equal(res.status, 401, res.text);
    }
    const created = assertClean("admin create", await count(admin.post("/v1/partoo/users", withPii.partoo(), { headers: auth })));
    assert.equal(created.status, 201, created.text);
    const invited = assertClean("admin invite", await count(admin.post(`/v1/partoo/users/${created.json.id}/invite`, undefined, { headers: auth })));
    assert.equal(invited.status, 200, invited.text);
    assertClean("admin health", await count(admin.get("/v1/health", undefined, { headers: auth })));
  });

  test("a success echoing a client token is 502, the token in no answer", async () => {
    for (const [provider, body] of [
      ["partoo", { id: FAKE.clientToken, status: "success" }],
      ["pandadoc", { user_id: "KwahvjapLm4RDf6pfyYdjA", workspaces: [{ workspace_id: "Ab123", role: "Member", member_id: `m-${FAKE.clientToken}` }] }],
    ]) {
      admin.upstream.script({ status: 201, body });
      const res = assertClean(`${provider}: token echoed`, await count(admin.post(`/v1/${provider}/users`, withPii[provider](), { headers: auth })));
      assertProblem(res, 502, "upstream_error", provider);
    }
  });
});

describe("where secrets must be: the upstream request (positive controls)", () => {
  test("the keys are in the recorded upstream headers, the password in the upstream body", () => {
    const recorded = [...pub.upstream.requests, ...admin.upstream.requests];
    const partoo = recorded.filter((r) => r.path === "/v2/user" || r.path === "/user");
    const pandadoc = recorded.filter((r) => r.path === "/public/v1/users");
    assert.ok(partoo.length > 0 && pandadoc.length > 0, "both providers were called");
    assert.ok(partoo.every((r) => r.headers["x-apikey"] === FAKE.partooKey), "every Partoo call carries x-APIKey");
    assert.ok(pandadoc.every((r) => r.headers.authorization === `API-Key ${FAKE.pandadocKey}`), "every PandaDoc call carries Authorization: API-Key");
    assert.ok(partoo.some((r) => r.body.includes(FAKE.password)), "the password reached the Partoo body");
    assert.ok(pandadoc.some((r) => r.body.includes(FAKE.phone)), "the phone number reached the PandaDoc body");
    const tokenSent = recorded.filter((r) => JSON.stringify(r).includes(FAKE.clientToken));
    assert.equal(tokenSent.length, 0, "the client token was forwarded upstream");
    const crossed = pandadoc.filter((r) => JSON.stringify(r.headers).includes(FAKE.partooKey)).length + partoo.filter((r) => JSON.stringify(r.headers).includes(FAKE.pandadocKey)).length;
    assert.equal(crossed, 0, "a provider received the other provider's key");
  });
});

describe("logs", () => {
  test("one JSON log line per request, none with a secret or personal value", async () => {
    await new Promise((r) => setTimeout(r, 300)); // workerd's stdout trails the answers
    const lines = [...pub.logs, ...admin.logs].map(({ line }) => stripAnsi(line));
    const json = [...pub.jsonLogs(), ...admin.jsonLogs()].filter((l) => l.request_id);
    assert.ok(json.length >= requestsSent, `captured ${json.length} JSON request log lines for ${requestsSent} requests: log capture is not working`);
    const table = needles(emails);
    const dirty = lines.map((line, i) => [i, found(line, table)]).filter(([, f]) => f.length);
    assert.deepEqual(
      dirty.map(([i, f]) => `line ${i}: ${f.join(", ")}`),
      [],
      `log lines with secrets or personal data:\n${dirty.map(([i]) => lines[i]).join("\n").slice(0, 2000)}`,
    );
  });
});

// ---- artifacts -------------------------------------------------------------

/** Every file under `dir` (recursively). */
function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...walk(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** Values of a local .dev.vars (real keys, maybe), by name; never printed. */
function devVarsValues() {
  const path = join(ROOT, ".dev.vars");
  if (!existsSync(path)) return {};
  const out = {};
  for (const raw of readFileSync(path, "utf8").split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(raw);
    if (!m || raw.trim().startsWith("#")) continue;
    let v = m[2].trim().replace(/^(['"])(.*)\1$/, "$2");
    if (v.length >= 8 && /KEY|TOKEN|SECRET/i.test(m[1])) out[`.dev.vars ${m[1]}`] = v;
  }
  return out;
}

/** Files of `dir` with a secret, a personal value, or a secrets file's name. */
function scanDir(dir, table) {
  const problems = [];
  for (const file of walk(dir)) {
    const rel = relative(ROOT, file);
    if (/(^|\/)(\.dev\.vars|\.env)(\..*)?$/.test(rel) && !rel.endsWith(".example")) problems.push(`${rel}: a secrets file`);
    const hits = found(readFileSync(file, "latin1"), table);
    if (hits.length) problems.push(`${rel}: ${hits.join(", ")}`);
  }
  return problems;
}

describe("artifacts: build/, www/, the npm tarball", () => {
  const table = () => ({ ...needles(emails), ...devVarsValues() });

  for (const dir of ["build", "www"]) {
    test(`${dir}/ holds no secret`, (t) => {
      const path = join(ROOT, dir);
      if (!existsSync(path)) return t.skip(`${dir}/ does not exist`);
      const files = walk(path);
      assert.ok(files.length > 0, `${dir}/ is empty`);
      assert.deepEqual(scanDir(path, table()), []);
    });
  }

  test("npm pack of crates/enlist-wasm/pkg holds no secret", (t) => {
    const pkg = join(ROOT, "crates/enlist-wasm/pkg");
    if (!existsSync(join(pkg, "package.json"))) return t.skip("crates/enlist-wasm/pkg not built (cargo xtask build npm)");
    const tmp = mkdtempSync(join(tmpdir(), "enlist-leaks-"));
    try {
      const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], { cwd: pkg, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
      const [{ filename, files }] = JSON.parse(out);
      assert.ok(files.length > 0, "the tarball is empty");
      execFileSync("tar", ["-xzf", join(tmp, filename), "-C", tmp], { timeout: 60_000 });
      assert.deepEqual(scanDir(join(tmp, "package"), table()), []);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
