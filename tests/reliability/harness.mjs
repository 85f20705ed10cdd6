// Shared pieces of the reliability suites (tests/reliability/): the built
// Worker in Miniflare in front of the scriptable mock upstream, both on
// 127.0.0.1 ports picked at random, with distinctive fake secrets; an HTTP
// client that can never hang; payload makers; problem assertions; the
// Worker's log lines, captured.
//
//   import { startStack, FAKE } from "./harness.mjs";
//   const stack = await startStack({ bindings: { UPSTREAM_TIMEOUT_MS: "500" } });
//   const res = await stack.post("/v1/partoo/users", partooUser());
//   stack.creates("partoo")   // upstream create calls the mock recorded
//   await stack.close();
//
// Everything stays on the loopback interface; every request is bounded by a
// timeout (REQUEST_TIMEOUT_MS unless told otherwise).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { startUpstream } from "../mocks/upstream.mjs";
import { ROOT, startWorker } from "../worker/serve.mjs";

export { ROOT };

/**
 * Distinctive fake secrets and personal data: long enough that a match is
 * never a coincidence, so the leak check can search for them verbatim.
 */
export const FAKE = Object.freeze({
  partooKey: "PARTOO-KEY-LEAKCHECK-7f3a9c1e5b2d46808e1f",
  pandadocKey: "PANDADOC-KEY-LEAKCHECK-2b8e6d0f4a1c39575d7a",
  clientToken: "CLIENT-TOKEN-LEAKCHECK-5e1a7c3b9d2f4086a4c2",
  scimToken: "SCIM-TOKEN-LEAKCHECK-3c9e1f7a5b0d42e8b6f1",
  password: "Pw-LEAKCHECK-9c4e!x7Q2m",
  firstName: "Leakcheckfirstnamezq",
  lastName: "Leakchecklastnamexv",
  phone: "+16469170352", // a valid E.164 number, unlike any example in the docs; searched for as digits too
  emailDomain: "leakcheck-7f3a.example",
});

/** Upper bound for any single request a suite sends (never a hang). */
export const REQUEST_TIMEOUT_MS = 15_000;

/** A rate limit no suite reaches, for suites that are not about it. */
export const NO_RATE_LIMIT = Object.freeze({ limit: 1_000_000, period: 60 });

let serial = 0;
/** A unique email at the leak-check domain (unique per process run). */
export function uniqueEmail(tag = "user") {
  serial += 1;
  return `${tag}.${process.pid}.${serial}.${randomBytes(3).toString("hex")}@${FAKE.emailDomain}`;
}

/** A valid public-mode Partoo create-user payload. */
export function partooUser(overrides = {}) {
  return { email: uniqueEmail("partoo"), first_name: FAKE.firstName, last_name: FAKE.lastName, ...overrides };
}

/** A valid public-mode PandaDoc create-user payload. */
export function pandadocUser(overrides = {}) {
  return {
    user: { email: uniqueEmail("pandadoc"), first_name: FAKE.firstName, last_name: FAKE.lastName },
    workspaces: [{ workspace_id: "Ab123", role: "Member" }],
    license: "Guest",
    ...overrides,
  };
}

/** Per provider: the proxy route, a payload maker and the mock's create path(s). */
export const PROVIDERS = Object.freeze({
  partoo: { route: "/v1/partoo/users", user: partooUser, createPaths: ["/v2/user", "/user"] },
  pandadoc: { route: "/v1/pandadoc/users", user: pandadocUser, createPaths: ["/public/v1/users"] },
});

/**
 * Sends one request on a connection of its own and reads the whole answer,
 * giving up after `timeoutMs` (the error then says which request hung).
 * Never follows redirects.
 *
 * A fresh connection per request (node:http, no agent) rather than fetch's
 * pool, so that no request depends on the fate of another's connection:
 * these suites are about the Worker's answers. Connection reuse is tested on
 * its own (keepalive.test.mjs) and under load (load.mjs).
 * @returns {Promise<{status: number, headers: Headers, text: string, json: any, ms: number}>}
 */
export function request(url, { method = "GET", headers = {}, body, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  const started = performance.now();
  const data = body === undefined ? undefined : Buffer.from(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method,
      agent: false,
      headers: { ...headers, ...(data ? { "content-length": data.length } : {}) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${method} ${url}: no complete answer within ${timeoutMs} ms (a hang)`));
    }, timeoutMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`${method} ${url}: ${err.message}`));
    });
    req.on("response", (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`${method} ${url}: ${err.message}`));
      });
      res.on("end", () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString("utf8");
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) h.set(k, Array.isArray(v) ? v.join(", ") : v);
        resolve({ status: res.statusCode, headers: h, text, json, ms: performance.now() - started });
      });
    });
    req.end(data);
  });
}

/**
 * Asserts an RFC 9457 problem answer with this status and `type` slug.
 * Returns the parsed body.
 */
export function assertProblem(res, status, slug, what = "") {
  const where = what ? `${what}: ` : "";
  const shown = `${res.status} ${res.headers.get("content-type")} ${res.text.slice(0, 300)}`;
  assert.equal(res.status, status, `${where}expected ${status} ${slug}, got ${shown}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json\b/, `${where}content type of ${shown}`);
  assert.ok(res.json && typeof res.json === "object", `${where}problem body is not JSON: ${shown}`);
  assert.equal(res.json.type, `urn:enlist:problem:${slug}`, `${where}problem type of ${shown}`);
  assert.equal(res.json.status, status, `${where}"status" member of ${shown}`);
  assert.equal(typeof res.json.title, "string", `${where}"title" member of ${shown}`);
  return res.json;
}

/** Strips ANSI colour codes (Miniflare colours stderr lines). */
export const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");

/**
 * Starts the mock upstream and the Worker in front of it.
 *
 * @param {object} [o]
 * @param {Record<string,string>} [o.bindings] extra vars/secrets (override the defaults below)
 * @param {{limit:number, period:10|60}} [o.rateLimit] default: NO_RATE_LIMIT
 * @param {{limit:number, period:10|60}} [o.readRateLimit] READ_RATE_LIMITER
 *   (import reads, SCIM calls); default: NO_RATE_LIMIT
 * @param {boolean} [o.keys=true] configure both providers' API keys
 * @param {boolean} [o.captureLogs=true] keep every line workerd logs (the
 *   Worker's console.log, uncaught errors) in `logs` instead of printing it
 *   (RELIABILITY_VERBOSE=1 prints them too).
 * @param {{partooKey?: string, pandadocKey?: string}} [o.mockKeys] the keys
 *   the mock upstream accepts (default: FAKE's, the ones the Worker gets)
 */
export async function startStack({ bindings = {}, rateLimit = NO_RATE_LIMIT, readRateLimit = NO_RATE_LIMIT, keys = true, captureLogs = true, mockKeys = {} } = {}) {
  const upstream = await startUpstream({ partooKey: FAKE.partooKey, pandadocKey: FAKE.pandadocKey, ...mockKeys });
  const logs = [];
  const verbose = process.env.RELIABILITY_VERBOSE === "1";
  const onLog = captureLogs
    ? ({ level, message }) => {
        for (const line of String(message).split("\n")) logs.push({ level, line });
        if (verbose) process.stderr.write(`[worker ${level}] ${message}\n`);
      }
    : undefined;
  let worker;
  try {
    worker = await startWorker({
      upstreams: { partoo: upstream.url, pandadoc: upstream.url },
      bindings: {
        ...(keys ? { PARTOO_API_KEY: FAKE.partooKey, PANDADOC_API_KEY: FAKE.pandadocKey } : {}),
        ...bindings,
      },
      rateLimit,
      readRateLimit,
      onLog,
    });
  } catch (err) {
    await upstream.close();
    throw err;
  }
  const url = worker.url;
  const send = (method) => (path, body, { headers = {}, raw = false, ...rest } = {}) =>
    request(`${url}${path}`, {
      method,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
      ...rest,
    });
  return {
    url,
    worker,
    upstream,
    providers: PROVIDERS,
    /** Lines workerd logged ({level, line}), when captureLogs. */
    logs,
    /** The Worker's JSON log lines, parsed (lines that are JSON objects). */
    jsonLogs() {
      const out = [];
      for (const { line } of logs) {
        const t = stripAnsi(line).trim();
        if (!t.startsWith("{")) continue;
        try {
          out.push(JSON.parse(t));
        } catch {}
      }
      return out;
    },
    get: send("GET"),
    post: send("POST"),
    send: (method, path, body, opts) => send(method)(path, body, opts),
    /** Upstream create calls recorded for a provider (optionally for one email). */
    creates(provider, email) {
      const paths = PROVIDERS[provider].createPaths;
      return upstream.requests.filter((r) => {
        if (r.method !== "POST" || !paths.includes(r.path)) return false;
        if (email === undefined) return true;
        return r.body.includes(JSON.stringify(email));
      });
    },
    async close() {
      try {
        await worker.dispose();
      } finally {
        await upstream.close();
      }
    },
  };
}

/** Prints a result line on stdout. */
export function report(line) {
  process.stdout.write(`${line}\n`);
}

/** `n` promises at once, results in order (no limit on concurrency). */
export const all = (n, fn) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));

/** Counts of values, as a plain object sorted by key ({"201": 3, "409": 47}). */
export function tally(values) {
  const counts = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}
