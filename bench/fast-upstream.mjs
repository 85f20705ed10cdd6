// The fast local upstream of the Worker benchmarks (bench/worker.mjs,
// bench/worker-tail.mjs): answers every request at once like Partoo's
// create-user (`200 {id, status}`), on 127.0.0.1 and a free port.
import { createServer } from "node:http";

/** Starts the upstream; resolves with its origin URL and a `close` function. */
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
