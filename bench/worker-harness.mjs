// What the Worker benchmarks (bench/worker.mjs, bench/worker-tail.mjs) share:
// the fast local upstream and the timed request.
import http, { createServer } from "node:http";

/** The payload both benchmarks send: a valid Partoo user of five fields. */
export const BODY = JSON.stringify({ email: "ada@example.com", first_name: "Ada", last_name: "Lovelace", role: "BUSINESS_MANAGER", lang: "en" });

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
