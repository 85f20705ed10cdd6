// What the Worker benchmarks (bench/worker.mjs, bench/worker-tail.mjs,
// bench/worker-profile.mjs) share: the payload, the Workers started as they
// are measured, the fast local upstream and the timed request.
import http, { createServer } from "node:http";
import { Miniflare } from "miniflare";
import { startWorker } from "../tests/worker/serve.mjs";
import { baselineOptions } from "./worker-baseline/miniflare.mjs";

/** The payload both benchmarks send: a valid Partoo user of five fields. */
export const BODY = JSON.stringify({ email: "ada@example.com", first_name: "Ada", last_name: "Lovelace", role: "BUSINESS_MANAGER", lang: "en" });

/** The wrk script that POSTs `BODY` as JSON. */
export const WRK_POST_LUA = `wrk.method = "POST"\nwrk.body = ${JSON.stringify(BODY)}\nwrk.headers["Content-Type"] = "application/json"\n`;

/** The Partoo key the benchmarked Workers hold (the fast upstream ignores it). */
const KEY = "bench-partoo-key";

/**
 * Starts a Worker in Miniflare in front of `upstreamUrl` as the benchmarks
 * measure it: `"rust"`, the built Worker (build/, or `scriptPath`), as
 * deployed (the form's assets in front, `/v1/*` to the Worker), or `"js"`,
 * the baseline of bench/worker-baseline/ (assets in front unless
 * `withAssets` is false); both with a rate limit too high to trigger and
 * their log lines dropped. `inspectorPort` opens the V8 inspector. Resolves
 * with `{ url, dispose }`.
 */
export async function startBenchWorker(kind, upstreamUrl, { withAssets = true, scriptPath, inspectorPort } = {}) {
  if (kind === "rust") {
    return startWorker({
      scriptPath,
      inspectorPort,
      bindings: { PARTOO_API_KEY: KEY, PARTOO_BASE_URL: upstreamUrl, ALLOWED_ORIGINS: "", UPSTREAM_TIMEOUT_MS: "10000" },
      rateLimit: { limit: 1_000_000_000, period: 60 },
      onLog: () => {},
    });
  }
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    inspectorPort,
    ...baselineOptions({ upstreamUrl, partooKey: KEY, withAssets }),
  });
  return { url: (await mf.ready).origin, dispose: () => mf.dispose() };
}

/**
 * One request on `agent` (a keep-alive agent with one socket): a POST of
 * `BODY`, or a GET. Resolves with `[status, ms]`, the time from sending to
 * the last byte read.
 */
export function timedRequest(agent, url, post = true) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const headers = post ? { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) } : {};
    const req = http.request(url, { agent, method: post ? "POST" : "GET", headers }, (res) => {
      res.resume();
      res.on("end", () => resolve([res.statusCode, Number(process.hrtime.bigint() - t0) / 1e6]));
    });
    req.on("error", reject);
    req.end(post ? BODY : undefined);
  });
}

/**
 * The fast upstream: answers every request at once like Partoo's create-user
 * (`200 {id, status}`), on 127.0.0.1 and a free port.
 */
export async function startFastUpstream() {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const body = JSON.stringify({ id: (++n).toString(16).padStart(24, "0"), status: "success" });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
  };
}
