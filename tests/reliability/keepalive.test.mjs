// Keep-alive after refusals: when the Worker answers without reading the
// request body (wrong method, wrong media type, unknown path, missing token,
// refused origin…), workerd closes the connection after the answer, without
// `Connection: close`, and a client reusing it (Node's fetch pool, browsers,
// wrk) fails with "other side closed" or a reset. So the Worker reads what is
// left of a body of declared length (up to the drain limit) before
// answering, and the connection stays usable.
//
// Each case sends a refusal and then GET /v1/health through an agent with a
// single keep-alive socket: the second request must reuse the socket and get
// its 200.
//
// Needs the Worker built (`cargo xtask build worker`).
// Run: node --test tests/reliability/keepalive.test.mjs
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { FAKE, partooUser, startStack } from "./harness.mjs";

let pub;
let adm;
before(async () => {
  [pub, adm] = await Promise.all([
    startStack({ bindings: { ALLOWED_ORIGINS: "https://app.example" } }),
    startStack({ bindings: { CLIENT_TOKENS: FAKE.clientToken } }),
  ]);
});
after(async () => {
  await pub?.close();
  await adm?.close();
});

/** One request through `agent`; resolves to {status, reused}. */
function send(agent, url, { method = "GET", headers = {}, body } = {}) {
  const data = body === undefined ? undefined : Buffer.from(body);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: { ...headers, ...(data ? { "content-length": data.length } : {}) } });
    const timer = setTimeout(() => req.destroy(new Error("no answer within 10 s")), 10_000);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode, reused: req.reusedSocket });
      });
    });
    req.end(data);
  });
}

const json = { "content-type": "application/json" };
const CASES = [
  ["405: wrong method, with a body", () => pub, { method: "PUT", path: "/v1/partoo/users", headers: json, body: JSON.stringify(partooUser()) }, 405],
  ["415: not JSON", () => pub, { method: "POST", path: "/v1/partoo/users", headers: { "content-type": "text/plain" }, body: "hello ".repeat(200) }, 415],
  ["404: unknown path, with a body", () => pub, { method: "POST", path: "/v1/nope/users", headers: json, body: "{}" }, 404],
  ["403: origin not allowed", () => pub, { method: "POST", path: "/v1/partoo/users", headers: { ...json, origin: "https://evil.example" }, body: JSON.stringify(partooUser()) }, 403],
  ["413: declared 70 KiB", () => pub, { method: "POST", path: "/v1/partoo/users", headers: json, body: `{"email":"${"x".repeat(70 * 1024)}"}` }, 413],
  ["401: admin mode, no token", () => adm, { method: "POST", path: "/v1/partoo/users", headers: json, body: JSON.stringify(partooUser()) }, 401],
  ["403: public invite", () => pub, { method: "POST", path: `/v1/partoo/users/${"a".repeat(24)}/invite`, headers: json, body: "{}" }, 403],
];

for (const [name, stack, first, status] of CASES) {
  test(`${name}: the next request reuses the connection`, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const { url } = stack();
      const a = await send(agent, `${url}${first.path}`, first);
      assert.equal(a.status, status, "the refusal");
      // Let the runtime close the socket if it is going to.
      await new Promise((r) => setTimeout(r, 50));
      const b = await send(agent, `${url}/v1/health`).catch((err) => ({ error: err.message }));
      assert.equal(b.error, undefined, `the next request on the connection failed: ${b.error}`);
      assert.equal(b.status, 200);
      assert.equal(b.reused, true, "the connection was closed after the refusal (a new one was opened)");
    } finally {
      agent.destroy();
    }
  });
}
