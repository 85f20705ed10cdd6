// SCIM benchmark: the latency the Worker's SCIM service adds over the Partoo
// calls it makes, and how many Partoo calls each SCIM operation costs. The
// built Worker runs in Miniflare on 127.0.0.1 (as deployed: the form's assets
// in front, /scim/* to the Worker) in front of a fast local Partoo that
// answers at once from memory. `cargo xtask bench scim` runs it (and so does
// `cargo xtask bench`); results go to docs/benchmarks.md.
//
//   node bench/worker-scim.mjs [--seconds 4] [--rounds 3]
//
// For each operation, in each round: requests one at a time on one
// keep-alive connection for `--seconds`, each timed from Node (first byte
// written to last byte read), then the same Partoo calls made directly from
// Node for as long; the added latency is the difference of the medians of
// the rounds' p50 and p99. The Partoo calls are counted per SCIM request, in
// public mode (the built-in policy is set, so a DELETE first reads the user),
// and for a DELETE also in admin mode without a policy.
import http, { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { startWorker } from "../tests/worker/serve.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const SECONDS = opt("seconds", 4);
const ROUNDS = opt("rounds", 3);
const KEY = "bench-partoo-key";
const TOKEN = "bench-scim-token";
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/**
 * A fast Partoo: create, read, search by email or page, update, delete,
 * all from memory; counts the calls.
 */
async function startFastPartoo() {
  const users = new Map();
  const byEmail = new Map();
  let calls = 0;
  const send = (res, status, value) => {
    const body = JSON.stringify(value);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      calls++;
      const url = new URL(req.url, "http://x");
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
      const id = /^\/user\/([0-9a-f]{24})$/.exec(url.pathname)?.[1];
      if (req.method === "POST" && url.pathname === "/user") {
        if (byEmail.has(body.email.toLowerCase())) return send(res, 400, { errors: { json: { email: ["This email is already used."] } } });
        const user = { id: randomBytes(12).toString("hex"), org_id: 1, email: body.email, first_name: body.first_name, last_name: body.last_name, lang: body.lang ?? "en", role: body.role ?? "BUSINESS_MANAGER", status: "active", disabled: false, sso_only: false, business_ids: [], accesses: [] };
        users.set(user.id, user);
        byEmail.set(user.email.toLowerCase(), user.id);
        return send(res, 200, { id: user.id, status: "success" });
      }
      if (req.method === "GET" && url.pathname === "/user/search") {
        const email = url.searchParams.get("email");
        const all = email ? [users.get(byEmail.get(email.toLowerCase()))].filter(Boolean) : [...users.values()];
        const page = Number(url.searchParams.get("page") ?? 1);
        const per = Number(url.searchParams.get("per_page") ?? 30);
        return send(res, 200, { users: all.slice((page - 1) * per, page * per), page, max_page: Math.ceil(all.length / per), count: all.length });
      }
      const user = id && users.get(id);
      if (!user) return send(res, 404, { error: "User not found" });
      if (req.method === "GET") return send(res, 200, user);
      if (req.method === "POST") {
        Object.assign(user, body);
        return send(res, 200, { id, status: "success" });
      }
      users.delete(id);
      byEmail.delete(user.email.toLowerCase());
      return send(res, 200, { id, status: "success" });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    calls: () => calls,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
  };
}

/** One request on `agent`; resolves with [status, ms, text]. */
function timed(agent, url, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const t0 = process.hrtime.bigint();
    const req = http.request(url, { agent, method, headers: { ...headers, ...(data ? { "content-type": "application/scim+json", "content-length": Buffer.byteLength(data) } : {}) } }, (res) => {
      const parts = [];
      res.on("data", (c) => parts.push(c));
      res.on("end", () => resolve([res.statusCode, Number(process.hrtime.bigint() - t0) / 1e6, Buffer.concat(parts).toString()]));
    });
    req.on("error", reject);
    req.end(data);
  });
}

const quantile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs `step(i)` (which returns the ms of one sample and throws on a wrong
 * answer) one at a time for `seconds` after a warm-up; p50 and p99.
 */
async function measure(step, seconds = SECONDS) {
  for (let i = 0; i < 50; i++) await step(i);
  const times = [];
  const end = performance.now() + seconds * 1000;
  for (let i = 50; performance.now() < end; i++) times.push(await step(i));
  times.sort((a, b) => a - b);
  return { n: times.length, p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
}

async function main() {
  const partoo = await startFastPartoo();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const direct = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const start = (bindings) =>
    startWorker({
      bindings: { PARTOO_API_KEY: KEY, PARTOO_BASE_URL: partoo.url, SCIM_TOKENS: TOKEN, UPSTREAM_TIMEOUT_MS: "10000", ...bindings },
      rateLimit: { limit: 1_000_000_000, period: 60 },
      readRateLimit: { limit: 1_000_000_000, period: 60 },
      onLog: () => {},
    });
  const pub = await start({});
  const admin = await start({ CLIENT_TOKENS: "bench-client-token" });
  const scim = (w, path) => `${w.url}/scim/v2/partoo${path}`;
  const ok = (status, text, want) => {
    if (status !== want) throw new Error(`expected ${want}, got ${status}: ${text.slice(0, 300)}`);
  };

  // Users to read, list, change and deactivate.
  const seed = [];
  for (let i = 0; i < 120; i++) {
    const [status, , text] = await timed(agent, scim(pub, "/Users"), { method: "POST", headers: auth, body: { schemas: [USER_SCHEMA], userName: `seed${String(i).padStart(3, "0")}@example.com`, name: { givenName: "Ada", familyName: "Lovelace" }, externalId: `ext-${i}` } });
    ok(status, text, 201);
    seed.push(JSON.parse(text));
  }
  const target = seed[7];
  const patchActive = (active) => ({ schemas: [PATCH_SCHEMA], Operations: [{ op: "replace", value: { active } }] });
  let fresh = 0;
  const newUser = () => ({ schemas: [USER_SCHEMA], userName: `bench${++fresh}.${process.pid}@example.com`, name: { givenName: "Grace", familyName: "Hopper" }, externalId: `obj-${fresh}` });
  const key = { "x-apikey": KEY };

  // Each operation: the SCIM request, and the Partoo calls it makes, made directly.
  const operations = [
    {
      name: "GET /Users/{id}",
      scim: (w) => timed(agent, scim(w, `/Users/${target.id}`), { headers: auth }),
      want: 200,
      direct: [() => timed(direct, `${partoo.url}/user/${target.id}`, { headers: key })],
    },
    {
      name: "GET /Users?filter=userName eq",
      scim: (w) => timed(agent, `${scim(w, "/Users")}?filter=${encodeURIComponent(`userName eq "${target.userName}"`)}`, { headers: auth }),
      want: 200,
      direct: [() => timed(direct, `${partoo.url}/user/search?email=${encodeURIComponent(target.userName)}&page=1&per_page=100&order_by=email`, { headers: key })],
    },
    {
      name: "GET /Users?filter=externalId eq",
      scim: (w) => timed(agent, `${scim(w, "/Users")}?filter=${encodeURIComponent(`externalId eq "${target.externalId}"`)}`, { headers: auth }),
      want: 200,
      direct: [() => timed(direct, `${partoo.url}/user/${target.id}`, { headers: key })],
    },
    {
      name: "GET /Users?startIndex=1&count=10",
      scim: (w) => timed(agent, `${scim(w, "/Users")}?startIndex=1&count=10`, { headers: auth }),
      want: 200,
      direct: [() => timed(direct, `${partoo.url}/user/search?page=1&per_page=10&order_by=email`, { headers: key })],
    },
    {
      name: "GET /Users?startIndex=91&count=100",
      scim: (w) => timed(agent, `${scim(w, "/Users")}?startIndex=91&count=100`, { headers: auth }),
      want: 200,
      direct: [1, 2].map((page) => () => timed(direct, `${partoo.url}/user/search?page=${page}&per_page=100&order_by=email`, { headers: key })),
    },
    {
      name: "POST /Users",
      scim: (w) => timed(agent, scim(w, "/Users"), { method: "POST", headers: auth, body: newUser() }),
      want: 201,
      direct: [() => timed(direct, `${partoo.url}/user`, { method: "POST", headers: key, body: { email: `direct${++fresh}.${process.pid}@example.com`, first_name: "Grace", last_name: "Hopper", lang: "en", role: "BUSINESS_MANAGER" } })],
    },
    {
      name: "PATCH /Users/{id} active",
      scim: (w, i) => timed(agent, scim(w, `/Users/${target.id}`), { method: "PATCH", headers: auth, body: patchActive(i % 2 === 0) }),
      want: 200,
      direct: [() => timed(direct, `${partoo.url}/user/${target.id}`, { headers: key }), (i) => timed(direct, `${partoo.url}/user/${target.id}`, { method: "POST", headers: key, body: { disabled: i % 2 === 0 } })],
    },
    {
      name: "PUT /Users/{id} givenName",
      scim: (w, i) => timed(agent, scim(w, `/Users/${target.id}`), { method: "PUT", headers: auth, body: { schemas: [USER_SCHEMA], userName: target.userName, name: { givenName: `Ada${i}`, familyName: "Lovelace" } } }),
      want: 200,
      direct: [() => timed(direct, `${partoo.url}/user/${target.id}`, { headers: key }), (i) => timed(direct, `${partoo.url}/user/${target.id}`, { method: "POST", headers: key, body: { first_name: `Ada${i}` } })],
    },
    {
      name: "DELETE /Users/{id} (deactivate)",
      scim: (w) => timed(agent, scim(w, `/Users/${target.id}`), { method: "DELETE", headers: auth }),
      want: 204,
      direct: [() => timed(direct, `${partoo.url}/user/${target.id}`, { headers: key }), () => timed(direct, `${partoo.url}/user/${target.id}`, { method: "POST", headers: key, body: { disabled: true } })],
    },
    {
      name: "GET /ServiceProviderConfig",
      scim: (w) => timed(agent, scim(w, "/ServiceProviderConfig"), { headers: auth }),
      want: 200,
      direct: [],
    },
  ];

  // Partoo calls per SCIM request (each one a change, where it can be), in
  // public mode (a policy: the built-in one); and a DELETE without a policy.
  const callsPer = async (op, w, i) => {
    const before = partoo.calls();
    const [status, , text] = await op.scim(w, i);
    ok(status, text, op.want);
    return partoo.calls() - before;
  };
  const counted = [];
  for (const op of operations) counted.push(await callsPer(op, pub, 1));
  const deleteWithoutPolicy = await callsPer(operations.find((op) => op.name.startsWith("DELETE")), admin, 1);

  const results = operations.map(() => ({ scim: [], direct: [] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, op] of operations.entries()) {
      results[k].scim.push(
        await measure(async (i) => {
          const [status, ms, text] = await op.scim(pub, i);
          ok(status, text, op.want);
          return ms;
        }),
      );
      if (op.direct.length) {
        results[k].direct.push(
          await measure(async (i) => {
            let total = 0;
            for (const call of op.direct) {
              const [status, ms, text] = await call(i);
              if (status >= 400) throw new Error(`direct call: ${status} ${text}`);
              total += ms;
            }
            return total;
          }),
        );
      }
    }
  }
  agent.destroy();
  direct.destroy();
  await pub.dispose();
  await admin.dispose();
  await partoo.close();

  const load = (await import("node:os")).loadavg()[0].toFixed(2);
  console.log(`\nSCIM benchmark (${ROUNDS} rounds × ${SECONDS} s per operation, medians of the rounds; Node ${process.version}; load average at the end ${load})`);
  const rows = [["operation", "Partoo calls", "SCIM p50 / p99", "direct p50 / p99", "added p50 / p99", "requests"]];
  for (const [k, op] of operations.entries()) {
    const r = results[k];
    const m = (list, key) => median(list.map((x) => x[key]));
    const s50 = m(r.scim, "p50");
    const s99 = m(r.scim, "p99");
    const d50 = r.direct.length ? m(r.direct, "p50") : 0;
    const d99 = r.direct.length ? m(r.direct, "p99") : 0;
    rows.push([
      op.name,
      String(counted[k]),
      `${s50.toFixed(2)} / ${s99.toFixed(2)} ms`,
      r.direct.length ? `${d50.toFixed(2)} / ${d99.toFixed(2)} ms` : "—",
      `${(s50 - d50).toFixed(2)} / ${(s99 - d99).toFixed(2)} ms`,
      String(m(r.scim, "n")),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) console.log("  " + row.map((cell, c) => cell.padEnd(widths[c])).join("  "));
  console.log(`\nPartoo calls of a DELETE without a policy (admin mode, no POLICY): ${deleteWithoutPolicy}; with one, the user is read first.`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
