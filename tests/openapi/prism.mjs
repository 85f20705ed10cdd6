// Prism (`@stoplight/prism-cli`) mocking a provider from one of the OpenAPI
// documents next to this file. Shared by tests/openapi (the documents
// themselves) and tests/worker (the proxy in front of them); not a test file.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer().once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `prism mock FILE` on a free port and resolves once it listens, with
 * `{ url, startupMs, stop, child }`; `stop()` ends it (SIGTERM, then SIGKILL
 * after 2 s). `errors: true` passes `--errors`: Prism then answers with an
 * error instead of a mock when the request, or the response example it would
 * send, breaks the document.
 */
export async function startPrism(file, { timeoutMs = 30_000, errors = false } = {}) {
  const port = await freePort();
  const started = Date.now();
  const args = ["mock", file, ...(errors ? ["--errors"] : []), "-p", String(port), "-h", "127.0.0.1"];
  const child = spawn(`${ROOT}node_modules/.bin/prism`, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
    await exited;
    clearTimeout(timer);
  };
  let log = "";
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Prism not ready after ${timeoutMs} ms:\n${log}`)), timeoutMs);
      const onData = (chunk) => {
        log += chunk;
        if (log.includes("Prism is listening on")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("error", (err) => (clearTimeout(timer), reject(err)));
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`Prism exited early (${code ?? signal}):\n${log}`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  // Keep draining the pipes so a chatty Prism never blocks on a full buffer.
  child.stdout.resume();
  child.stderr.resume();
  process.once("exit", () => child.kill("SIGKILL"));
  return { url: `http://127.0.0.1:${port}`, startupMs: Date.now() - started, stop, child };
}
