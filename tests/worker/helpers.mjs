// Shared helpers for the Worker integration tests (not a test file itself).
//
// - `startProxy(options)`: the built Worker in Miniflare (serve.mjs) with its
//   log lines captured, plus a `call()` that checks every answer against the
//   Worker's own OpenAPI document (documented status, content type, headers
//   and body schema, validated with Ajv).
// - `raw()`: an HTTP request with full control of the request line and
//   headers (Host, absolute URLs, chunked bodies), for the security tests.
// - `sendBytes()`: exact bytes on a TCP socket (cut-off bodies, broken
//   chunked framing, duplicate headers), which no HTTP client will send.
// - `startPrism(file)`: Prism mocking a provider from tests/openapi/*.yaml.
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { readdirSync, readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import { ROOT, startWorker } from "./serve.mjs";

export { freePort, startPrism } from "../openapi/prism.mjs";

// ---- OpenAPI conformance ---------------------------------------------------

const METHODS = ["get", "head", "post", "put", "patch", "delete", "options"];

/** Compiles checks from an OpenAPI document (as served by the Worker). */
export function openApiChecker(doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(doc, "urn:enlist:openapi");
  const compiled = new Map();
  const schemaAt = (pointer) => {
    if (!compiled.has(pointer)) compiled.set(pointer, ajv.compile({ $ref: `urn:enlist:openapi#${pointer}` }));
    return compiled.get(pointer);
  };
  const esc = (s) => s.replaceAll("~", "~0").replaceAll("/", "~1");
  const deref = (obj, pointer) => {
    while (obj && obj.$ref) {
      pointer = obj.$ref.slice(1);
      obj = pointer.split("/").slice(1).reduce((o, k) => o?.[k.replaceAll("~1", "/").replaceAll("~0", "~")], doc);
    }
    return { obj, pointer };
  };
  const templates = Object.keys(doc.paths).map((t) => ({
    t,
    re: new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]+").replaceAll(".", "\\.")}$`),
  }));

  /** The documented responses for a request: {where, responses, pointer}. */
  function responsesFor(method, path) {
    const m = method.toLowerCase();
    const hit = templates.find(({ re }) => re.test(path));
    if (!hit) {
      return { where: "x-enlist-unknown-paths", responses: doc["x-enlist-unknown-paths"].responses, pointer: "/x-enlist-unknown-paths/responses" };
    }
    const item = doc.paths[hit.t];
    if (METHODS.includes(m) && item[m]) {
      return { where: `${m} ${hit.t}`, responses: item[m].responses, pointer: `/paths/${esc(hit.t)}/${m}/responses` };
    }
    return { where: `other method on ${hit.t}`, responses: item["x-enlist-other-methods"], pointer: `/paths/${esc(hit.t)}/x-enlist-other-methods` };
  }

  /** Throws unless (status, headers, body) is what the document promises. */
  function check(method, path, status, headers, text) {
    const { where, responses, pointer } = responsesFor(method, path);
    const documented = responses[String(status)];
    assert.ok(documented, `${where}: status ${status} is not documented (${Object.keys(responses).join(", ")})`);
    const { obj: response, pointer: rp } = deref(documented, `${pointer}/${status}`);
    assert.ok(headers.get("x-request-id"), `${where} ${status}: X-Request-Id missing`);
    for (const [name, h] of Object.entries(response.headers ?? {})) {
      if (deref(h).obj.required) assert.ok(headers.get(name), `${where} ${status}: header ${name} missing`);
    }
    // Every answer that documents Retry-After (every 429, the in-flight 409)
    // sends it.
    if (response.headers?.["Retry-After"]) {
      assert.match(headers.get("retry-after") ?? "", /^\d+$/, `${where} ${status}: Retry-After`);
    }
    if (!response.content || method.toUpperCase() === "HEAD") return undefined;
    const type = (headers.get("content-type") ?? "").split(";")[0].trim();
    const media = response.content[type];
    assert.ok(media, `${where} ${status}: content type ${type || "(none)"} not documented (${Object.keys(response.content)})`);
    // Non-JSON media (CSV, event streams) are documented as strings.
    if (!/json$/.test(type)) return text;
    const body = JSON.parse(text);
    const validate = schemaAt(`${rp}/content/${esc(type)}/schema`);
    assert.ok(validate(body), `${where} ${status}: body does not match the schema: ${ajv.errorsText(validate.errors)}\n${text}`);
    return body;
  }

  return { check, responsesFor };
}

// ---- the Worker under test -------------------------------------------------

/**
 * Starts the Worker; returns {url, logs, call, raw, dispose, checker}.
 * `call(path, init)` fetches and checks the answer against the OpenAPI
 * document, returning {status, headers, body (parsed JSON or undefined), text}.
 */
export async function startProxy(options = {}) {
  const logs = [];
  const worker = await startWorker({ ...options, onLog: (e) => logs.push(e) });
  let checker;
  try {
    const res = await fetch(`${worker.url}/v1/openapi.json`);
    checker = openApiChecker(await res.json());
  } catch (err) {
    await worker.dispose();
    throw err;
  }
  const seen = [];
  async function call(path, { method = "GET", headers = {}, body, json } = {}) {
    const init = { method, headers: { ...headers } };
    if (json !== undefined) {
      init.body = typeof json === "string" ? json : JSON.stringify(json);
      init.headers["content-type"] ??= "application/json";
    } else if (body !== undefined) init.body = body;
    const res = await fetch(`${worker.url}${path}`, init);
    const text = await res.text();
    const pathname = new URL(path, "http://x").pathname;
    const parsed = checker.check(method, pathname, res.status, res.headers, text);
    seen.push({ where: checker.responsesFor(method, pathname).where, status: res.status, slug: parsed?.type?.split(":").pop() });
    return { status: res.status, headers: res.headers, body: parsed, text };
  }
  /** Request log lines (parsed JSON) so far. */
  const lines = () =>
    logs.flatMap((l) => {
      try {
        return [JSON.parse(l.message)];
      } catch {
        return [];
      }
    });
  return {
    url: worker.url,
    mf: worker.mf,
    logs,
    lines,
    call,
    checker,
    /** {where, status, slug} of every answer `call()` got. */
    seen,
    raw: (path, opts) => raw(worker.url, path, opts),
    /**
     * `sendBytes()` to this Worker; an answer from the Worker itself (one
     * with X-Request-Id) is checked against the document like `call()`'s.
     * `method` and `path` say which operation the bytes address.
     */
    async socket(method, path, bytes, opts) {
      const res = await sendBytes(worker.url, bytes, opts);
      if (res.status !== undefined && res.headers.get("x-request-id")) {
        const parsed = checker.check(method, path, res.status, res.headers, res.text);
        seen.push({ where: checker.responsesFor(method, path).where, status: res.status, slug: parsed?.type?.split(":").pop() });
        res.body = parsed;
      }
      return res;
    },
    dispose: () => worker.dispose(),
  };
}

/**
 * One HTTP/1.1 request on a fresh connection, exactly as given (path may be
 * an absolute URL; headers may include Host). `chunked: true` sends the body
 * without Content-Length. Resolves to {status, headers, text} or {error}.
 */
export function raw(origin, path, { method = "GET", headers = {}, body, chunked = false } = {}) {
  const u = new URL(origin);
  return new Promise((resolve) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method, headers, agent: false, setHost: !("host" in headers) }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text }));
      res.on("error", (e) => resolve({ error: e.message }));
    });
    req.on("error", (e) => resolve({ error: e.message }));
    if (chunked) req.setHeader("transfer-encoding", "chunked");
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Writes `bytes` (a whole HTTP/1.1 request as text: request line, headers,
 * and any body, well-formed or not) on a fresh TCP connection, then, with
 * `halfClose` (the default), ends the sending side as a client that stops
 * mid-body would. Reads the answer until the server closes the connection,
 * it is complete, or `timeoutMs` passes. Resolves to {status, headers (a
 * Headers), text, raw} when an answer came, else {error, raw}.
 */
export function sendBytes(origin, bytes, { halfClose = true, timeoutMs = 5000 } = {}) {
  const u = new URL(origin);
  return new Promise((resolve) => {
    const chunks = [];
    const socket = net.connect(Number(u.port), u.hostname, () => {
      socket.write(bytes);
      if (halfClose) socket.end();
    });
    const finish = (error) => {
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      const answer = parseAnswer(raw);
      resolve(answer ?? { error: error ?? "no answer", raw: raw.toString("latin1") });
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    socket.on("data", (c) => {
      chunks.push(c);
      if (parseAnswer(Buffer.concat(chunks))?.complete) finish();
    });
    socket.on("end", () => finish());
    socket.on("error", (e) => finish(e.message));
  });
}

/** An HTTP/1.1 answer read from raw bytes, or undefined before its head. */
function parseAnswer(raw) {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const [statusLine, ...lines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const headers = new Headers();
  for (const line of lines) {
    const i = line.indexOf(":");
    if (i > 0) headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  let body = raw.subarray(end + 4);
  let complete = false;
  const length = headers.get("content-length");
  if (length !== null) {
    complete = body.length >= Number(length);
    body = body.subarray(0, Number(length));
  } else if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
    const parts = [];
    let rest = body;
    for (;;) {
      const eol = rest.indexOf("\r\n");
      if (eol < 0) break;
      const size = parseInt(rest.subarray(0, eol).toString("latin1"), 16);
      if (!(size >= 0) || rest.length < eol + 2 + size) break;
      if (size === 0) {
        complete = true;
        break;
      }
      parts.push(rest.subarray(eol + 2, eol + 2 + size));
      rest = rest.subarray(eol + 4 + size);
    }
    body = Buffer.concat(parts);
  }
  return { status: Number(statusLine.split(" ")[1]), headers, text: body.toString("utf8"), raw: raw.toString("latin1"), complete };
}

/**
 * A recording HTTP proxy in front of `target`: remembers every request and
 * the status and `sl-violations` header of every answer.
 */
export async function startRecorder(target) {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const t = new URL(target);
      const out = http.request(
        { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: { ...req.headers, host: t.host }, agent: false },
        (up) => {
          const parts = [];
          up.on("data", (c) => parts.push(c));
          up.on("end", () => {
            const text = Buffer.concat(parts).toString("utf8");
            seen.push({
              method: req.method,
              url: req.url,
              headers: req.headers,
              body: body.toString("utf8"),
              status: up.statusCode,
              violations: up.headers["sl-violations"] ? JSON.parse(up.headers["sl-violations"]) : [],
              answer: text,
            });
            res.writeHead(up.statusCode, up.headers);
            res.end(text);
          });
        },
      );
      out.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      out.end(body);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
  };
}

/** Every file under build/ and www/, as text. */
export function builtFiles() {
  const files = [];
  for (const dir of ["build", "www"]) {
    const walk = (d) => {
      for (const e of readDirSafe(d)) {
        const p = `${d}/${e.name}`;
        if (e.isDirectory()) walk(p);
        else files.push({ path: p.slice(ROOT.length), text: readFileSync(p, "latin1") });
      }
    };
    walk(`${ROOT}${dir}`);
  }
  return files;
}

function readDirSafe(d) {
  try {
    return readdirSync(d, { withFileTypes: true });
  } catch {
    return [];
  }
}

export const PARTOO_USER = { email: "ada@example.com", first_name: "Ada", last_name: "Lovelace" };
export const PANDADOC_USER = {
  user: { email: "new.user@example.com", first_name: "New", last_name: "User", phone_number: "+14842634627" },
  workspaces: [{ workspace_id: "Ab123", role: "Collaborator" }],
  license: "Guest",
};
