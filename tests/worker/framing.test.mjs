// Request bodies the runtime cannot deliver whole, and requests workerd
// refuses before the Worker runs. Each case is sent as exact bytes on a TCP
// socket (helpers.mjs `sendBytes`): no HTTP client sends them.
//
// - A body cut off before its Content-Length, chunked without the final
//   `0` chunk, or with a chunk size that is not hexadecimal reaches the
//   Worker as a body stream that fails: 400 `bad_request`, one log line,
//   zero upstream calls — on the create route, in admin mode, and on the
//   invite route (issue 17, item 1; it was a 500 `internal`).
// - An absolute-URL request target, two Host headers and a malformed or
//   doubled Content-Length are answered by workerd itself, in plain text,
//   before any Worker code runs (issue 17, item 8; docs/security.md).
// Needs the Worker built (`cargo xtask test` builds it).
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startUpstream } from "../mocks/upstream.mjs";
import { PARTOO_USER, sendBytes, startProxy } from "./helpers.mjs";

const PARTOO_KEY = "pk_live_framing_partoo_KEY";
const PANDADOC_KEY = "pd_live_framing_pandadoc_KEY";
const TOKEN = "framing-test-token-0123456789";

let up;
let pub; // public mode
let adm; // admin mode
let quiet; // public mode, only for requests workerd refuses (so any log line is theirs)

before(async () => {
  up = await startUpstream({ partooKey: PARTOO_KEY, pandadocKey: PANDADOC_KEY });
  const upstreams = { partoo: up.url, pandadoc: up.url };
  const keys = { PARTOO_API_KEY: PARTOO_KEY, PANDADOC_API_KEY: PANDADOC_KEY };
  [pub, adm, quiet] = await Promise.all([
    startProxy({ upstreams, bindings: keys, rateLimit: { limit: 10_000 } }),
    startProxy({ upstreams, bindings: { ...keys, CLIENT_TOKENS: TOKEN }, rateLimit: { limit: 10_000 } }),
    startProxy({ upstreams, bindings: keys, rateLimit: { limit: 10_000 } }),
  ]);
});
after(async () => {
  await Promise.all([pub, adm, quiet].map((w) => w?.dispose()));
  await up?.close();
});
beforeEach(() => up.reset());

const BODY = JSON.stringify({ ...PARTOO_USER, email: "framing@example.com" });

/** The request head for `path` on `w`, with `extra` header lines. */
function head(w, path, extra, { token = false } = {}) {
  const auth = token ? `Authorization: Bearer ${TOKEN}\r\n` : "";
  return `POST ${path} HTTP/1.1\r\nHost: ${new URL(w.url).host}\r\nContent-Type: application/json\r\n${auth}${extra}\r\n`;
}

/** The three broken bodies of issue 17, for a request head maker. */
const broken = (h) => ({
  "Content-Length 500, a 60-byte body, then half-close": h("Content-Length: 500\r\n") + BODY,
  "chunked without the final 0 chunk": h("Transfer-Encoding: chunked\r\n") + `${Buffer.byteLength(BODY).toString(16)}\r\n${BODY}\r\n`,
  "chunk size zz": h("Transfer-Encoding: chunked\r\n") + `zz\r\n${BODY}\r\n0\r\n\r\n`,
});

/** The Worker's log line for an answer, once it is written. */
async function logLine(w, res) {
  const id = res.headers.get("x-request-id");
  for (let i = 0; i < 50; i++) {
    const line = w.lines().find((l) => l.request_id === id);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

async function assertBadRequest(w, method, path, bytes, label) {
  const res = await w.socket(method, path, bytes);
  assert.equal(res.status, 400, `${label}: ${res.raw ?? res.error}`);
  assert.equal(res.headers.get("content-type"), "application/problem+json", label);
  assert.equal(res.body.type, "urn:enlist:problem:bad_request", label);
  assert.match(res.body.detail, /ended early|framing/, label);
  const line = await logLine(w, res);
  assert.ok(line, `${label}: no log line`);
  assert.equal(line.status, 400, label);
  assert.equal(line.problem, "bad_request", label);
  assert.ok(line.notes?.includes("request_body_unreadable"), `${label}: ${JSON.stringify(line)}`);
  assert.equal(up.requests.length, 0, `${label}: forwarded`);
}

describe("a cut-off or mis-framed request body is 400 bad_request, logged, never forwarded", () => {
  test("the same bytes, well framed, are forwarded (the sockets and the mock work)", async () => {
    const chunked = head(pub, "/v1/partoo/users", "Transfer-Encoding: chunked\r\n") + `${Buffer.byteLength(BODY).toString(16)}\r\n${BODY}\r\n0\r\n\r\n`;
    const res = await pub.socket("POST", "/v1/partoo/users", chunked, { halfClose: false });
    assert.equal(res.status, 201, res.raw);
    assert.equal(up.requests.length, 1);
    up.reset();
    const invite = `${head(adm, "/v1/partoo/users/5309c3a237bbc544d8e26737/invite", "Content-Length: 2\r\n", { token: true })}{}`;
    const answer = await adm.socket("POST", "/v1/partoo/users/5309c3a237bbc544d8e26737/invite", invite, { halfClose: false });
    assert.equal(answer.status, 404, answer.raw); // the mock knows no such user: it was asked
    assert.equal(up.requests.length, 1);
  });

  test("create, public mode", async () => {
    for (const [label, bytes] of Object.entries(broken((extra) => head(pub, "/v1/partoo/users", extra)))) {
      await assertBadRequest(pub, "POST", "/v1/partoo/users", bytes, label);
    }
  });

  test("create, admin mode (with a valid token)", async () => {
    for (const [label, bytes] of Object.entries(broken((extra) => head(adm, "/v1/partoo/users", extra, { token: true })))) {
      await assertBadRequest(adm, "POST", "/v1/partoo/users", bytes, label);
    }
  });

  test("invite, admin mode: the ignored body must still arrive whole", async () => {
    const path = "/v1/partoo/users/5309c3a237bbc544d8e26737/invite";
    for (const [label, bytes] of Object.entries(broken((extra) => head(adm, path, extra, { token: true })))) {
      await assertBadRequest(adm, "POST", path, bytes, label);
    }
  });

  test("with an Idempotency-Key, a broken body records nothing: the key stays free", async () => {
    const key = "Idempotency-Key: framing-key-1\r\n";
    const cut = head(pub, "/v1/partoo/users", `${key}Content-Length: 500\r\n`) + BODY;
    await assertBadRequest(pub, "POST", "/v1/partoo/users", cut, "cut off, with a key");
    const whole = head(pub, "/v1/partoo/users", `${key}Content-Length: ${Buffer.byteLength(BODY)}\r\n`) + BODY;
    const res = await pub.socket("POST", "/v1/partoo/users", whole, { halfClose: false });
    assert.equal(res.status, 201, res.raw);
    assert.equal(res.headers.get("idempotent-replayed"), null);
    assert.equal(up.requests.length, 1);
  });
});

describe("workerd answers some malformed requests itself, before the Worker runs", () => {
  // Plain text, no X-Request-Id, no log line, nothing forwarded: these are
  // not enlist's answers (docs/security.md, "Requests the runtime refuses").
  const cases = (host) => ({
    "an absolute-URL request target": `POST http://evil.example/v1/partoo/users HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`,
    "two Host headers": `GET /v1/health HTTP/1.1\r\nHost: ${host}\r\nHost: other.example\r\n\r\n`,
    "a malformed Content-Length": `POST /v1/partoo/users HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 12abc\r\n\r\n${BODY}`,
    "two different Content-Lengths": `POST /v1/partoo/users HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n${BODY}`,
  });

  for (const label of Object.keys(cases("x"))) {
    test(label, async () => {
      const before = quiet.lines().length;
      const res = await sendBytes(quiet.url, cases(new URL(quiet.url).host)[label]);
      assert.ok([400, 500].includes(res.status), `${label}: ${res.raw ?? res.error}`);
      assert.equal(res.headers.get("x-request-id"), null, res.raw);
      assert.notEqual(res.headers.get("content-type"), "application/problem+json", res.raw);
      assert.match(res.text, /^(Internal Server Error|Bad Request)$/, res.raw);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(quiet.lines().length, before, "the Worker logged a line: it ran");
      assert.equal(up.requests.length, 0);
    });
  }

  test("control: a well-formed request sent the same way is the Worker's (X-Request-Id, a log line)", async () => {
    const res = await sendBytes(quiet.url, `GET /v1/health HTTP/1.1\r\nHost: ${new URL(quiet.url).host}\r\n\r\n`);
    assert.equal(res.status, 200, res.raw);
    assert.ok(await logLine(quiet, res), "no log line for the Worker's own answer");
  });
});
