// Runs the built enlist Worker (build/index.js + build/index_bg.wasm) and the
// form (build/www/, the bundled www/) in Miniflare, the local workerd simulator, as a library.
//
// Library use (integration tests):
//   import { startWorker } from "./serve.mjs";
//   const worker = await startWorker({ upstreams: { partoo: url1, pandadoc: url2 } });
//   await fetch(`${worker.url}/v1/health`);   // url: "http://127.0.0.1:<port>"
//   await worker.dispose();
//
// CLI use (`cargo xtask dev` runs this; build the Worker first):
//   node tests/worker/serve.mjs [--port 8787] [--host 127.0.0.1] [--mocks|--real]
// Without .dev.vars (or with --mocks) the upstreams are local mock servers
// with throw-away keys; with .dev.vars (or --real) its keys and the real
// provider APIs are used. Ctrl-C stops everything.
//
// Keep this configuration in step with wrangler.toml: config.test.mjs compares
// the two through wrangler's own reading of wrangler.toml.

import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Log, LogLevel, Miniflare } from "miniflare";

/** Repository root (this file is tests/worker/serve.mjs). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The worker-build output that Miniflare runs. */
export const SCRIPT_PATH = `${ROOT}build/index.js`;
export const WASM_PATH = `${ROOT}build/index_bg.wasm`;
/** The form as the Worker serves it (`cargo xtask build www` writes it). */
export const ASSETS_DIR = `${ROOT}build/www`;
/** Same as `compatibility_date` in wrangler.toml. */
export const COMPATIBILITY_DATE = "2026-04-01";
/** Same as `[[ratelimits]] simple` in wrangler.toml. */
export const RATE_LIMIT = Object.freeze({ limit: 30, period: 60 });
/** Same as the READ_RATE_LIMITER `[[ratelimits]]` in wrangler.toml: reading and steering import jobs. */
export const READ_RATE_LIMIT = Object.freeze({ limit: 600, period: 60 });
/** Same as `[durable_objects]` (with `new_sqlite_classes`) in wrangler.toml. */
export const DURABLE_OBJECTS = Object.freeze({
  IDEMPOTENCY: Object.freeze({ className: "IdempotencyStore", useSQLite: true }),
  IMPORTS: Object.freeze({ className: "ImportRunner", useSQLite: true }),
  SCIM: Object.freeze({ className: "ScimDirectory", useSQLite: true }),
});
/** Same as `run_worker_first` under `[assets]` in wrangler.toml. */
export const WORKER_FIRST = Object.freeze(["/v1/*", "/scim/*"]);

/**
 * Reads the `[vars]` table of wrangler.toml (string values only, which is all
 * that table may hold here), so there is one place to change a default.
 * @returns {Record<string, string>}
 */
export function wranglerVars(path = `${ROOT}wrangler.toml`) {
  const vars = {};
  let inVars = false;
  for (const raw of readFileSync(path, "utf8").split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("[")) {
      inVars = line === "[vars]";
      continue;
    }
    if (!inVars) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:#.*)?$/.exec(line);
    if (!m) throw new Error(`wrangler.toml [vars]: cannot read line ${JSON.stringify(raw)} (only NAME = "string" is supported)`);
    vars[m[1]] = JSON.parse(`"${m[2]}"`);
  }
  return vars;
}

/**
 * Parses a .dev.vars file (dotenv syntax: NAME=value, optional quotes,
 * '#' comment lines). Values are never printed.
 * @returns {Record<string, string>}
 */
export function parseDevVars(text) {
  const vars = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`.dev.vars line ${i + 1}: expected NAME=value`);
    let value = m[2].trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
      value = value.slice(1, -1);
    } else {
      value = value.replace(/\s+#.*$/, "");
    }
    vars[m[1]] = value;
  }
  return vars;
}

/**
 * Starts the built Worker in Miniflare on 127.0.0.1.
 *
 * @param {object} [options]
 * @param {number} [options.port=0] TCP port; 0 picks a free one.
 * @param {string} [options.host="127.0.0.1"]
 * @param {Record<string, string>} [options.bindings] vars and secrets; they
 *   override wrangler.toml's [vars] (e.g. PARTOO_API_KEY, ALLOWED_ORIGINS).
 * @param {Record<string, string>} [options.upstreams] base URLs by provider
 *   id that replace the providers' API roots (e.g. `{partoo, pandadoc}` for
 *   https://api.partoo.co/v2, https://api.pandadoc.com): the Worker appends
 *   each provider's path (/user for Partoo, /public/v1/users for PandaDoc);
 *   passed as `<ID>_BASE_URL` (PARTOO_BASE_URL, PANDADOC_BASE_URL).
 * @param {{limit?: number, period?: 10 | 60} | null} [options.rateLimit]
 *   overrides the RATE_LIMITER binding (default: wrangler.toml's 30 per
 *   60 s); `null` leaves the binding out.
 * @param {{limit?: number, period?: 10 | 60} | null} [options.readRateLimit]
 *   overrides the READ_RATE_LIMITER binding likewise.
 * @param {string} [options.persist] a directory where Durable Objects keep
 *   their storage (default: memory), so that a Worker started again on it
 *   finds them, as after a restart.
 * @param {boolean} [options.verbose=false] print Miniflare's and the
 *   Worker's logs.
 * @param {(entry: {level: string, message: string}) => void} [options.onLog]
 *   receives every line the Worker logs (console.log…) instead of stdout;
 *   without it and without `verbose`, only warnings and errors are printed.
 * @param {string} [options.scriptPath] another build of the Worker's entry
 *   (default: build/index.js), e.g. one that keeps its wasm names for
 *   bench/worker-profile.mjs.
 * @param {number} [options.inspectorPort] opens the V8 inspector on this
 *   port (the Worker's isolate is `core:user:`).
 * @returns {Promise<{url: string, mf: Miniflare, dispose: () => Promise<void>}>}
 *   `url` is the origin without a trailing slash ("http://127.0.0.1:<port>"),
 *   like tests/mocks/upstream.mjs; `mf` is the Miniflare instance.
 */
export async function startWorker({
  port = 0,
  host = "127.0.0.1",
  bindings = {},
  upstreams = {},
  rateLimit = {},
  readRateLimit = {},
  persist,
  verbose = false,
  onLog,
  scriptPath = SCRIPT_PATH,
  inspectorPort,
} = {}) {
  for (const path of [scriptPath, join(dirname(scriptPath), "index_bg.wasm"), ASSETS_DIR]) {
    if (!existsSync(path)) {
      throw new Error(
        `The Worker is not built: ${path} is missing. Run \`cargo xtask build\` ` +
          "(`cargo xtask test` builds it before running these tests).",
      );
    }
  }
  const upstreamBindings = {};
  for (const [id, url] of Object.entries(upstreams)) {
    if (url) upstreamBindings[`${id.toUpperCase()}_BASE_URL`] = String(url);
  }

  const mf = new Miniflare({
    host,
    port,
    log: verbose ? new Log(LogLevel.INFO) : undefined,
    handleStructuredLogs: onLog
      ? ({ level, message }) => {
          onLog({ level, message });
        }
      : (verbose
        ? undefined
        : ({ level, message }) => {
            if (level === "warn" || level === "error") process.stderr.write(`${message}\n`);
          }),
    inspectorPort,
    modules: true,
    scriptPath,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: COMPATIBILITY_DATE,
    cf: false,
    assets: {
      directory: ASSETS_DIR,
      binding: "ASSETS",
      // Without has_user_worker Miniflare never calls the Worker; static
      // routing sends /v1/* and /scim/* straight to it (wrangler:
      // run_worker_first).
      routerConfig: { has_user_worker: true, static_routing: { user_worker: [...WORKER_FIRST] } },
    },
    durableObjects: Object.fromEntries(Object.entries(DURABLE_OBJECTS).map(([k, v]) => [k, { ...v }])),
    durableObjectsPersist: persist ?? false,
    ratelimits: {
      ...(rateLimit === null
        ? {}
        : {
            RATE_LIMITER: {
              namespace_id: "1001",
              simple: { limit: rateLimit.limit ?? RATE_LIMIT.limit, period: rateLimit.period ?? RATE_LIMIT.period },
            },
          }),
      ...(readRateLimit === null
        ? {}
        : {
            READ_RATE_LIMITER: {
              namespace_id: "1002",
              simple: {
                limit: readRateLimit.limit ?? READ_RATE_LIMIT.limit,
                period: readRateLimit.period ?? READ_RATE_LIMIT.period,
              },
            },
          }),
    },
    bindings: { ...wranglerVars(), ...upstreamBindings, ...bindings },
  });
  let ready;
  try {
    ready = await mf.ready;
  } catch (err) {
    await mf.dispose().catch(() => {});
    throw err;
  }
  return { url: ready.origin, mf, dispose: () => mf.dispose() };
}

// ---------------------------------------------------------------------------
// CLI: `node tests/worker/serve.mjs --port 8787`

const MOCKS_MODULE = new URL("../mocks/upstream.mjs", import.meta.url);

/**
 * Starts a mock upstream: the shared one from tests/mocks/upstream.mjs when it
 * exists, else the minimal stand-in below.
 */
async function startMockUpstream(opts) {
  if (existsSync(fileURLToPath(MOCKS_MODULE))) {
    const { startUpstream } = await import(MOCKS_MODULE.href);
    return startUpstream(opts);
  }
  return startStandInUpstream(opts);
}

/**
 * STAND-IN for tests/mocks/upstream.mjs (used only while that module does not
 * exist): accepts Partoo `POST /v2/user` and PandaDoc `POST /public/v1/users`
 * when the right key is sent, echoing a plausible body.
 */
async function startStandInUpstream({ port = 0, host = "127.0.0.1", partooKey, pandadocKey } = {}) {
  const requests = [];
  let nextId = 1;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      const send = (status, value) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      const path = (req.url ?? "").split("?")[0];
      if (req.method === "POST" && path === "/v2/user") {
        if (req.headers["x-apikey"] !== partooKey) return send(401, { errors: { authentication: "Invalid API key" } });
        return send(200, { id: `stand-in-${nextId++}` });
      }
      if (req.method === "POST" && path === "/public/v1/users") {
        if (req.headers.authorization !== `API-Key ${pandadocKey}`) return send(401, { type: "authentication_error", detail: "Invalid API key" });
        return send(201, { id: `stand-in-${nextId++}` });
      }
      return send(404, { detail: "stand-in upstream: no such route" });
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const { port: actual } = server.address();
  return {
    url: `http://${host}:${actual}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Fails with a clear message when host:port is taken (before workerd does, noisily). */
async function assertPortFree(host, port) {
  if (port === 0) return;
  const probe = createTcpServer();
  await new Promise((resolve, reject) => {
    probe.once("error", (err) =>
      reject(err.code === "EADDRINUSE" ? new Error(`${host}:${port} is already in use; stop that server or pass --port N`) : err),
    );
    probe.listen(port, host, () => probe.close(resolve));
  });
}

function parseArgs(argv) {
  const args = { port: 8787, host: "127.0.0.1", mode: "auto" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--port") args.port = Number(value());
    else if (a === "--host") args.host = value();
    else if (a === "--mocks") args.mode = "mocks";
    else if (a === "--real") args.mode = "real";
    else if (a === "--help" || a === "-h") args.help = true;
    else throw new Error(`unknown argument ${a} (try --help)`);
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error("--port must be 0-65535");
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log("usage: node tests/worker/serve.mjs [--port 8787] [--host 127.0.0.1] [--mocks|--real]");
    return;
  }
  const devVarsPath = `${ROOT}.dev.vars`;
  const haveDevVars = existsSync(devVarsPath);
  if (args.mode === "real" && !haveDevVars) throw new Error("--real needs a .dev.vars file (see .dev.vars.example)");
  const real = args.mode === "real" || (args.mode === "auto" && haveDevVars);

  await assertPortFree(args.host, args.port);
  const cleanups = [];
  const stop = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((e) => console.error(e));
  };
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log("\nstopping…");
    stop().then(() => process.exit(0));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    let bindings;
    let upstreams = {};
    if (real) {
      bindings = parseDevVars(readFileSync(devVarsPath, "utf8"));
      console.log(`upstreams: real provider APIs, keys from .dev.vars (${Object.keys(bindings).join(", ") || "no entries"})`);
    } else {
      const partooKey = "dev-partoo-key";
      const pandadocKey = "dev-pandadoc-key";
      const usingStandIn = !existsSync(fileURLToPath(MOCKS_MODULE));
      // One mock serves both providers' paths (/v2/user, /public/v1/users).
      const mock = await startMockUpstream({ port: 0, host: "127.0.0.1", partooKey, pandadocKey });
      cleanups.push(() => mock.close());
      upstreams = { partoo: mock.url, pandadoc: mock.url };
      bindings = { PARTOO_API_KEY: partooKey, PANDADOC_API_KEY: pandadocKey };
      console.log(`upstreams: mock${usingStandIn ? " (stand-in; tests/mocks/upstream.mjs not found)" : ""} at ${mock.url}`);
    }
    const started = performance.now();
    const worker = await startWorker({ port: args.port, host: args.host, bindings, upstreams, verbose: true });
    cleanups.push(() => worker.dispose());
    console.log(`Miniflare ready in ${Math.round(performance.now() - started)} ms`);
    console.log(`enlist: form ${worker.url}/  ·  API ${worker.url}/v1/health  (Ctrl-C to stop)`);
  } catch (err) {
    await stop();
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`serve.mjs: ${err?.message ?? err}`);
    process.exit(1);
  });
}
