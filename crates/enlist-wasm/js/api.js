// The JavaScript API of the npm package `enlist`, over the numeric exports of
// enlist_bg.wasm (crates/enlist-wasm/src/lib.rs).
//
// Every rule, message and code comes from the wasm (enlist-core). This file
// only moves bytes across the boundary: JSON text goes into buffers in wasm
// memory (`TextEncoder.encodeInto`), results come back as JSON text that is
// `JSON.parse`d, and only when there is something to report. It never names a
// provider: the ids come from the wasm registry.
//
// The entry points (node.js, browser.js, workerd.js, and client.js for the
// client flavour's wasm) load the wasm and wrap each function with `run`
// (from `runtime`), which passes the runtime `rt` (from `attach`) as its
// first argument.

/** Whether `error` is a trap in the wasm, or the stack exhausted inside it. */
const trapped = (error) => error instanceof WebAssembly.RuntimeError || error instanceof RangeError;

/**
 * Runs the API on a live wasm instance. `first()` gives the exports of the
 * first instance; `again()` (the glue's `reinit`, which `cargo xtask build`
 * adds to it) those of a fresh instance of the same compiled module. A trap
 * in the wasm (a Rust panic aborts) leaves its shared state borrowed, so
 * that every later call would trap too: the call that trapped throws its
 * error as it is, and the next call runs on a new instance.
 */
export function runtime(first, again) {
  let rt;
  let made = false;
  const ready = () => {
    if (rt === undefined) {
      rt = attach(made ? again() : first());
      made = true;
    }
    return rt;
  };
  const lost = (r, error) => {
    if (trapped(error) && rt === r) rt = undefined;
    throw error;
  };
  /** `f(rt, …)` as an API function (at most four arguments; createUser's promise too). */
  const run =
    (f) =>
    (a, b, c, d) => {
      const r = ready();
      try {
        const out = f(r, a, b, c, d);
        return out instanceof Promise ? out.catch((e) => lost(r, e)) : out;
      } catch (e) {
        return lost(r, e);
      }
    };
  return { ready, run };
}

/**
 * The loader of the browser and bundler entries (browser.js, client.js):
 * `init` fetches and instantiates the wasm once (a URL, a Response, bytes or
 * a compiled WebAssembly.Module; by default the file next to the glue),
 * `initSync` instantiates it from bytes or a module, and `run` wraps an API
 * function, which throws until one of them ran. `load`, `loadSync` and
 * `reinit` are the wasm-bindgen glue's default export, `initSync` and
 * `reinit`.
 */
export function webLoader(load, loadSync, reinit) {
  let exports;
  let pending;
  const { ready, run } = runtime(() => {
    if (exports === undefined) throw new Error("enlist: call `await init()` before using the API");
    return exports;
  }, reinit);
  /** Loads and instantiates the wasm; later calls return the same promise. */
  const init = (input) => {
    if (exports !== undefined) return Promise.resolve();
    pending ??= load(input === undefined ? undefined : { module_or_path: input }).then(
      (loaded) => {
        exports ??= loaded;
        ready();
      },
      (error) => {
        pending = undefined;
        // Node.js cannot fetch a file: say what works there.
        throw typeof process === "object" && typeof input !== "object"
          ? new Error("enlist: init() cannot fetch the wasm in Node.js; pass its bytes to initSync()", { cause: error })
          : error;
      },
    );
    return pending;
  };
  /** Instantiates the wasm synchronously from bytes or a compiled module. */
  const initSync = (module) => {
    if (exports !== undefined) return;
    if (!asBytes(module) && !(module instanceof WebAssembly.Module)) {
      throw new TypeError("enlist: initSync needs the wasm's bytes or a WebAssembly.Module");
    }
    exports = loadSync({ module });
    ready();
  };
  return { init, initSync, run };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The state of one loaded wasm instance. */
export function attach(exports) {
  const rt = {
    w: exports,
    u8: new Uint8Array(exports.memory.buffer),
    inPtr: 0,
    inCap: 0,
    exPtr: 0,
    exCap: 0,
    optKey: "null",
    names: [],
    ids: new Map(),
    rulesText: [],
    codes: null,
  };
  rt.names = readJson(rt, exports.providers() >>> 0);
  rt.names.forEach((id, i) => rt.ids.set(id, i));
  return rt;
}

// ---- memory -------------------------------------------------------------------

/** A view of wasm memory (renewed after the memory grew). */
function mem(rt) {
  let u8 = rt.u8;
  if (u8.byteLength === 0) u8 = rt.u8 = new Uint8Array(rt.w.memory.buffer);
  return u8;
}

/** Where `need` bytes of input go in wasm memory (the buffer is reused and grown). */
function inputAt(rt, need) {
  if (need > rt.inCap) {
    rt.inPtr = rt.w.input_buffer(need) >>> 0;
    rt.inCap = need;
  }
  return rt.inPtr;
}

/** The same for the second buffer (options, headers). */
function extraAt(rt, need) {
  if (need > rt.exCap) {
    rt.exPtr = rt.w.extra_buffer(need) >>> 0;
    rt.exCap = need;
  }
  return rt.exPtr;
}

/** Writes `text` as UTF-8 through `at(rt, need)`; returns the byte count. */
function encodeText(rt, text, at) {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  const need = text.length * 3;
  const p = at(rt, need);
  return encoder.encodeInto(text, mem(rt).subarray(p, p + need)).written;
}

const writeInput = (rt, text) => encodeText(rt, text, inputAt);
const writeExtra = (rt, text) => encodeText(rt, text, extraAt);

function writeInputBytes(rt, bytes) {
  const p = inputAt(rt, bytes.length); // first: growing the buffer renews mem(rt)
  mem(rt).set(bytes, p);
  return bytes.length;
}

function readText(rt, n) {
  const p = rt.w.output_ptr() >>> 0;
  return decoder.decode(mem(rt).subarray(p, p + n));
}

function readJson(rt, n) {
  return JSON.parse(readText(rt, n));
}

/** Bytes of a string or binary value, or `undefined` for anything else. */
function asBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer || Object.prototype.toString.call(value) === "[object ArrayBuffer]") {
    return new Uint8Array(value);
  }
  return undefined;
}

/** Writes JSON text (string or bytes) to the input buffer; `-1` if it is neither. */
function writeText(rt, json) {
  if (typeof json === "string") return writeInput(rt, json);
  const bytes = asBytes(json);
  return bytes === undefined ? -1 : writeInputBytes(rt, bytes);
}

// ---- arguments ----------------------------------------------------------------

function describe(value) {
  return typeof value === "string" ? JSON.stringify(value) : typeof value;
}

function index(rt, provider) {
  const i = rt.ids.get(provider);
  if (i === undefined) {
    throw new TypeError(
      `enlist: unknown provider ${describe(provider)}; expected one of: ${rt.names.join(", ")}`,
    );
  }
  return i;
}

/**
 * Sends `options.allowedEmailDomains` and `options.maxIssues` to the wasm
 * when they changed (the wasm checks them both; its default cap is 100).
 */
function setOptions(rt, options) {
  let key = "null";
  if (options != null) {
    const max = options.maxIssues;
    if (typeof options !== "object") throw new TypeError("enlist: options must be an object");
    const domains = options.allowedEmailDomains;
    if (domains != null && (!Array.isArray(domains) || !domains.every((d) => typeof d === "string"))) {
      throw new TypeError("enlist: options.allowedEmailDomains must be an array of strings");
    }
    // Infinity (no cap) is more than memory could hold; NaN and negative
    // numbers become 0, which the wasm refuses with the other bad values.
    key = JSON.stringify({
      allowedEmailDomains: domains,
      maxIssues: typeof max === "number" ? Math.max(Math.min(max, 2 ** 53 - 1), 0) || 0 : max,
    });
  }
  if (key !== rt.optKey) {
    const n = rt.w.set_options(writeInput(rt, key)) >>> 0;
    if (n !== 0) throw new TypeError(`enlist: ${readJson(rt, n)}`);
    rt.optKey = key;
  }
}

// ---- JavaScript values to JSON ------------------------------------------------

const MAX_DEPTH = 64;
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Whether `JSON.stringify(v)` represents `v` exactly: only strings, finite
 * numbers, booleans, null, arrays and plain data objects, no `toJSON`, no
 * `undefined` in arrays, at most 64 levels (which also stops cycles).
 * `undefined` object properties are allowed: they mean "absent".
 */
function plain(v, depth) {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return v - v === 0;
    case "object": {
      if (v === null) return true;
      if (depth >= MAX_DEPTH || typeof v.toJSON === "function") return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const e = v[i];
          if (e === undefined || !plain(e, depth + 1)) return false;
        }
        return true;
      }
      for (const k in v) {
        if (!hasOwn.call(v, k)) continue;
        const e = v[k];
        if (e !== undefined && !plain(e, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** JSON text for a value `plain` accepts; `undefined` when the slow path is needed. */
function fastJson(v) {
  try {
    if (plain(v, 0)) return JSON.stringify(v);
  } catch {
    // A getter or proxy threw: the slow path reports where.
  }
  return undefined;
}

const REASONS = {
  undefined: "undefined is not a JSON value",
  function: "functions are not JSON values",
  symbol: "symbols are not JSON values",
  bigint: "BigInt values are not JSON values",
  number: "NaN and Infinity are not JSON numbers",
  cycle: "the value contains itself (a cycle)",
  deep: "nesting is deeper than 64 levels",
  unreadable: "the value could not be read",
};

function pointerToken(key) {
  return key.includes("~") || key.includes("/")
    ? key.replace(/~/g, "~0").replace(/\//g, "~1")
    : key;
}

/**
 * Copies `root` into a value JSON represents exactly, the way `JSON.stringify`
 * reads it (`toJSON`, boxed primitives, own enumerable keys), and lists what
 * JSON cannot represent: `{ value, bad: [{ path, reason }] }`. Each bad value
 * becomes a placeholder no schema accepts (an object with a key no provider
 * has), so the core counts its row as invalid; `undefined` object properties
 * are left out.
 */
function sanitize(root) {
  const bad = [];
  const open = [];
  const fail = (path, why) => {
    bad.push({ path, reason: REASONS[why] });
    return { "\u0000": 0 };
  };
  const walk = (v, path, key, inArray) => {
    try {
      if ((typeof v === "object" && v !== null) || typeof v === "bigint") {
        if (typeof v.toJSON === "function") v = v.toJSON(key);
      }
      if (v instanceof Number || v instanceof String || v instanceof Boolean) v = v.valueOf();
    } catch {
      return fail(path, "unreadable");
    }
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        return v - v === 0 ? v : fail(path, "number");
      case "undefined":
        return inArray || path === "" ? fail(path, "undefined") : undefined;
      case "function":
      case "symbol":
      case "bigint":
        return fail(path, typeof v);
      default:
        break;
    }
    if (v === null) return null;
    if (open.includes(v)) return fail(path, "cycle");
    if (open.length >= MAX_DEPTH) return fail(path, "deep");
    open.push(v);
    let out;
    try {
      if (Array.isArray(v)) {
        out = [];
        for (let i = 0; i < v.length; i++) {
          const at = `${path}/${i}`;
          let e;
          try {
            e = v[i];
          } catch {
            out.push(fail(at, "unreadable"));
            continue;
          }
          out.push(walk(e, at, String(i), true));
        }
      } else {
        out = Object.create(null);
        for (const k of Object.keys(v)) {
          const at = `${path}/${pointerToken(k)}`;
          let e;
          try {
            e = v[k];
          } catch {
            out[k] = fail(at, "unreadable");
            continue;
          }
          const r = walk(e, at, k, false);
          if (r !== undefined) out[k] = r;
        }
      }
    } catch {
      out = fail(path, "unreadable");
    }
    open.pop();
    return out;
  };
  let value;
  try {
    value = walk(root, "", "", false);
  } catch {
    value = fail("", "unreadable");
  }
  return { value, bad };
}

function boundaryIssue(path, reason) {
  return {
    path,
    code: "invalid_json",
    message: `The value is not valid JSON: ${reason}.`,
    params: { reason },
  };
}

/** Whether `path` is one of `paths` or inside one. */
function inside(paths, path) {
  return paths.some((p) => path === p || path.startsWith(`${p}/`));
}

/** Puts what JSON cannot represent first and drops the core's issues about the
 * placeholders that replaced it. (Each such value is reported: there are no
 * more of them than the caller's own value holds, whatever the cap.) */
function mergeBad(bad, report) {
  const paths = bad.map((b) => b.path);
  const errors = bad.map((b) => boundaryIssue(b.path, b.reason));
  for (const i of report.errors) if (!inside(paths, i.path)) errors.push(i);
  const warnings = report.warnings.filter((i) => !inside(paths, i.path));
  return report.omitted ? { ok: false, errors, warnings, omitted: report.omitted } : { ok: false, errors, warnings };
}

/**
 * The `type` issue for a root value `JSON.stringify` would misread: bytes
 * (read as an object with one key per byte) or a Map or a Set (read as `{}`);
 * `""` for anything else.
 */
function misread(value) {
  let found = "";
  try {
    found = asBytes(value) ? "bytes" : value instanceof Map ? "Map" : value instanceof Set ? "Set" : "";
  } catch {
    // A revoked proxy: the slow path reports it.
  }
  return (
    found && {
      path: "",
      code: "type",
      message: `Must be an object, not ${found === "bytes" ? "bytes: to validate JSON text or bytes, call validateJson" : `a ${found}`}.`,
      params: { expected: "object", found: found.toLowerCase() },
    }
  );
}

// ---- validate -------------------------------------------------------------------

const VALID = () => ({ ok: true, errors: [], warnings: [] });

/**
 * The issues of a compact report list (crates/enlist-wasm/src/write.rs,
 * `report`): four values per issue, `path, code, message, params | null`.
 */
function expand(flat) {
  const out = new Array(flat.length >> 2);
  for (let k = 0, j = 0; k < flat.length; k += 4, j++) {
    const params = flat[k + 3];
    out[j] =
      params === null
        ? { path: flat[k], code: flat[k + 1], message: flat[k + 2] }
        : { path: flat[k], code: flat[k + 1], message: flat[k + 2], params };
  }
  return out;
}

function finishCheck(rt, n) {
  if (n === 0) return VALID();
  const [errors, warnings, omitted] = readJson(rt, n);
  const out = { ok: errors.length === 0, errors: expand(errors), warnings: expand(warnings) };
  if (omitted !== undefined) out.omitted = { errors: omitted[0], warnings: omitted[1] };
  return out;
}

function checkText(rt, p, text) {
  return finishCheck(rt, rt.w.validate(p, writeInput(rt, text)) >>> 0);
}

/**
 * The JSON text of a payload given as a JavaScript value, or the result to
 * return without validating further (`{ ok: false, errors, warnings }`): a
 * misread root, or values JSON cannot represent (merged with the core's
 * report on the rest).
 */
function payloadText(rt, p, input) {
  const wrong = misread(input);
  if (wrong) return { result: { ok: false, errors: [wrong], warnings: [] } };
  const text = fastJson(input);
  if (text !== undefined) return { text };
  const { value, bad } = sanitize(input);
  const json = JSON.stringify(value);
  if (bad.length === 0) return { text: json };
  return { result: mergeBad(bad, checkText(rt, p, json)) };
}

export function validate(rt, provider, input, options) {
  const p = index(rt, provider);
  setOptions(rt, options);
  const { text, result } = payloadText(rt, p, input);
  return result ?? checkText(rt, p, text);
}

function notText(value) {
  const reason = `expected JSON text (a string or bytes), not ${value === null ? "null" : typeof value}`;
  return boundaryIssue("", reason);
}

export function validateJson(rt, provider, json, options) {
  const p = index(rt, provider);
  setOptions(rt, options);
  const len = writeText(rt, json);
  if (len < 0) return { ok: false, errors: [notText(json)], warnings: [] };
  return finishCheck(rt, rt.w.validate(p, len) >>> 0);
}

// ---- validateMany -----------------------------------------------------------

/**
 * Adds what JSON cannot represent to the rows it was found in. The core saw
 * a placeholder there that no schema accepts, so each such row is already
 * counted as invalid, and listed unless the cap left it out.
 */
function mergeBadRows(bad, report, isArray) {
  if (!isArray) {
    const paths = bad.map((b) => b.path);
    const errors = bad.map((b) => boundaryIssue(b.path, b.reason));
    for (const i of report.errors ?? []) if (!inside(paths, i.path)) errors.push(i);
    return { ...report, errors };
  }
  const byRow = new Map();
  for (const b of bad) {
    const slash = b.path.indexOf("/", 1);
    const index = Number(b.path.slice(1, slash < 0 ? undefined : slash));
    const path = slash < 0 ? "" : b.path.slice(slash);
    if (!byRow.has(index)) byRow.set(index, []);
    byRow.get(index).push({ path, reason: b.reason });
  }
  report.invalid = report.invalid.map((row) => {
    const rowBad = byRow.get(row.index);
    if (rowBad === undefined) return row;
    const { ok, ...merged } = mergeBad(rowBad, row);
    return { index: row.index, ...merged };
  });
  return report;
}

export function validateMany(rt, provider, rows, options) {
  const p = index(rt, provider);
  setOptions(rt, options);
  let len = typeof rows === "string" || asBytes(rows) !== undefined ? writeText(rt, rows) : -1;
  let bad = null;
  let isArray = true;
  if (len < 0) {
    let text = fastJson(rows);
    if (text === undefined) {
      const s = sanitize(rows);
      bad = s.bad;
      isArray = Array.isArray(s.value);
      text = JSON.stringify(s.value);
    }
    len = writeInput(rt, text);
  }
  const report = readJson(rt, rt.w.validate_many(p, len) >>> 0);
  return bad === null || bad.length === 0 ? report : mergeBadRows(bad, report, isArray);
}

// ---- buildRequest -------------------------------------------------------------

/**
 * JSON text of an options or settings object with every own enumerable key,
 * for the wasm to check by name (`jsOnly`: names read here, sent as `null`).
 * `undefined` is sent as `null` (absent), and values JSON cannot carry
 * (functions, symbols, BigInt) as `{}`, which fails the wasm's type checks
 * with a message naming the option.
 */
function optionsJson(object, jsOnly) {
  const out = Object.create(null);
  for (const k of Object.keys(object)) {
    const v = object[k];
    const t = typeof v;
    out[k] = v === undefined || jsOnly.includes(k) ? null : t === "function" || t === "symbol" || t === "bigint" ? {} : v;
  }
  // A cycle makes JSON.stringify throw a TypeError itself.
  return JSON.stringify(out);
}

export function buildRequest(rt, provider, input, settings, options) {
  const p = index(rt, provider);
  setOptions(rt, options);
  if (settings === null || typeof settings !== "object" || Array.isArray(settings)) {
    throw new TypeError(
      `enlist: buildRequest needs settings: an object { apiKey, environment?, baseUrl?, …the provider's options }, not ${settings === null ? "null" : Array.isArray(settings) ? "an array" : typeof settings}`,
    );
  }
  const settingsText = optionsJson(settings, []);
  const { text, result } = payloadText(rt, p, input);
  const extraLen = writeExtra(rt, settingsText);
  let out;
  let n = 0;
  let failure;
  try {
    if (result !== undefined) {
      // The payload is not JSON; the settings' shape is still checked first.
      n = rt.w.build_request(p, writeInput(rt, "null"), extraLen) >>> 0;
      out = readJson(rt, n);
      if (out.typeError === undefined) return result;
    } else {
      n = rt.w.build_request(p, writeInput(rt, text), extraLen) >>> 0;
      out = readJson(rt, n);
    }
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    // The key was in the settings and is in the output: leave no copy
    // behind. (An instance that trapped cannot run; it is dropped whole.)
    if (!trapped(failure)) rt.w.wipe(extraLen, n);
  }
  if (out.typeError !== undefined) throw new TypeError(`enlist: ${out.typeError}`);
  return out;
}

// ---- parseResponse ------------------------------------------------------------

/** `[[name, value], …]` from a `Headers`, a `Map`, pairs, or a plain object. */
function headerPairs(headers) {
  const out = [];
  if (headers == null) return out;
  if (typeof headers !== "object") throw new TypeError("enlist: headers must be a Headers object, a plain object or an array of pairs");
  if (typeof headers.forEach === "function" && !Array.isArray(headers)) {
    headers.forEach((value, name) => out.push([String(name), String(value)]));
  } else if (typeof headers[Symbol.iterator] === "function") {
    for (const pair of headers) {
      if (pair != null && typeof pair !== "string" && pair.length >= 2) {
        out.push([String(pair[0]), String(pair[1])]);
      }
    }
  } else {
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value === undefined || value === null) continue;
      out.push([name, Array.isArray(value) ? value.join(", ") : String(value)]);
    }
  }
  return out;
}

function checkStatus(status) {
  if (!Number.isInteger(status) || status < 0 || status > 65535) {
    throw new TypeError("enlist: status must be an integer HTTP status code");
  }
}

/** Writes the headers to the extra buffer and the body to the input buffer. */
function writeResponse(rt, headers, body) {
  const headersLen = writeExtra(rt, JSON.stringify(headerPairs(headers)));
  const bodyLen = body == null ? 0 : writeText(rt, body);
  if (bodyLen < 0) throw new TypeError("enlist: body must be a string, a Uint8Array or an ArrayBuffer");
  return [headersLen, bodyLen];
}

export function parseResponse(rt, provider, status, headers, body) {
  const p = index(rt, provider);
  checkStatus(status);
  const [headersLen, bodyLen] = writeResponse(rt, headers, body);
  return readJson(rt, rt.w.parse_response(p, status, headersLen, bodyLen, Date.now() / 1000) >>> 0);
}

// ---- rules, providers, codes --------------------------------------------------

export function rules(rt, provider) {
  const p = index(rt, provider);
  let text = rt.rulesText[p];
  if (text === undefined) text = rt.rulesText[p] = readText(rt, rt.w.rules(p) >>> 0);
  return JSON.parse(text);
}

export function providers(rt) {
  return rt.names.slice();
}

export function codes(rt) {
  if (rt.codes === null) rt.codes = readJson(rt, rt.w.codes() >>> 0);
  return rt.codes.slice();
}

// ---- CSV import ---------------------------------------------------------------

export function csvToRows(rt, provider, text) {
  const p = index(rt, provider);
  const len = writeText(rt, text);
  if (len < 0) throw new TypeError("enlist: csvToRows needs the CSV as a string or bytes");
  return readJson(rt, rt.w.csv_to_rows(p, len) >>> 0);
}

export function csvTemplate(rt, provider) {
  const p = index(rt, provider);
  return readText(rt, rt.w.csv_template(p) >>> 0);
}

// ---- createUser ---------------------------------------------------------------

/** The `createUser` options read here rather than in the wasm. */
const JS_OPTIONS = ["signal", "fetch", "allowedEmailDomains", "maxIssues"];

/** The `fetch` of a call to the proxy (`options.fetch`, else the platform's). */
function sender(options, name) {
  if (options == null || typeof options !== "object") {
    throw new TypeError(`enlist: ${name} needs options with the endpoint of an enlist proxy`);
  }
  const send = options.fetch ?? globalThis.fetch;
  if (typeof send !== "function") throw new TypeError("enlist: no fetch function; pass options.fetch");
  return send;
}

/**
 * The wasm's plan of a call to the proxy (`call`: 0 createUser, 1
 * createImport, 2 openImport) for the payload already in the input buffer
 * (`len` bytes). Every option goes to the wasm by name, so a misspelt or
 * wrongly typed one is a TypeError naming it (the provider's flags, such as
 * `notifyUser`, are known there).
 */
function plan(rt, p, options, len, call) {
  const endpoint = options.endpoint;
  const where = optionsJson(
    typeof endpoint === "object" && endpoint !== null ? { ...options, endpoint: String(endpoint) } : options,
    JS_OPTIONS,
  );
  const out = readJson(rt, rt.w.proxy_request(p, len(), writeExtra(rt, where), call) >>> 0);
  if (out.kind === "error") throw new TypeError(`enlist: ${out.message}`);
  return out;
}

/** The `createUser`-style result of a proxy's answer that is not a success. */
function answer(rt, p, response, body) {
  const [headersLen, bodyLen] = writeResponse(rt, response.headers, body);
  return readJson(rt, rt.w.proxy_response(p, response.status, headersLen, bodyLen, Date.now() / 1000) >>> 0);
}

/** The result for a proxy that could not be reached (`fetch` threw `error`). */
function unreachable(error) {
  const why = error instanceof Error ? error.message : String(error);
  // The error itself (and its own `cause`, where Node's fetch puts the
  // system error) stays available for logs and retries.
  return {
    kind: "network",
    status: 0,
    message: `The enlist proxy could not be reached: ${why}`,
    cause: error,
    retryable: isRetryable("network"),
  };
}

export async function createUser(rt, provider, input, options) {
  const p = index(rt, provider);
  const send = sender(options, "createUser");
  setOptions(rt, options);
  let text;
  let result;
  const planned = plan(rt, p, options, () => {
    ({ text, result } = payloadText(rt, p, input));
    return writeInput(rt, text ?? "{}");
  }, 0);
  if (result !== undefined) {
    const { ok, ...invalid } = result;
    return { kind: "invalid", ...invalid, retryable: isRetryable("invalid") };
  }
  if (planned.kind === "invalid") return planned;

  let response;
  let body;
  try {
    response = await send(planned.url, {
      method: planned.method,
      headers: planned.headers,
      body: text,
      signal: options.signal,
    });
    body = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    if (options.signal?.aborted || error?.name === "AbortError") throw error;
    return unreachable(error);
  }
  const outcome = answer(rt, p, response, body);
  // The proxy's warnings when it sent them (its policy may have changed the
  // payload), else local validation's.
  if (outcome.kind === "created" && outcome.warnings === undefined) outcome.warnings = planned.warnings;
  return outcome;
}

// ---- import jobs --------------------------------------------------------------

/**
 * What the job handles of imports.js need from here: the checked plan, the
 * `fetch`, and the reading of a problem answer by the wasm (as `createUser`
 * reads one). imports.js is loaded on the first import call only, so that a
 * page that never starts a job does not load it.
 */
function jobCall(rt, p, options, send, planned) {
  return {
    send,
    signal: options.signal,
    url: planned.url,
    imports: planned.imports,
    headers: planned.headers,
    problem: (response, body) => answer(rt, p, response, body),
    unreachable,
  };
}

export async function createImport(rt, provider, rows, options) {
  const p = index(rt, provider);
  const send = sender(options, "createImport");
  let body = typeof rows === "string" ? rows : asBytes(rows);
  let type = "text/csv";
  if (body === undefined) {
    if (!Array.isArray(rows)) {
      throw new TypeError("enlist: createImport needs the rows: an array of payloads, or a CSV file as a string or bytes");
    }
    body = fastJson(rows);
    if (body === undefined) {
      const { value, bad } = sanitize(rows);
      if (bad.length) throw new TypeError(`enlist: createImport rows${bad[0].path}: ${bad[0].reason}`);
      body = JSON.stringify(value);
    }
    body = `{"rows":${body}}`;
    type = "application/json";
  }
  const planned = plan(rt, p, options, () => 0, 1);
  const jobs = await import("./imports.js");
  return jobs.start(jobCall(rt, p, options, send, planned), body, type);
}

export async function openImport(rt, id, options) {
  const send = sender(options, "openImport");
  if (typeof id !== "string" || id === "") throw new TypeError("enlist: openImport needs the id of an import job (a string)");
  const planned = plan(rt, 0, options, () => 0, 2);
  const jobs = await import("./imports.js");
  return jobs.open(jobCall(rt, 0, options, send, planned), id);
}

// ---- guards -------------------------------------------------------------------

// The kinds worth sending again unchanged (enlist-core's `ClientKind::retryable`,
// which the wasm applies to each `createUser` result it reads).
// generated by `cargo xtask gen` from enlist_core::proxy: retryable kinds
const RETRYABLE = ["network", "conflict", "rate_limited", "upstream", "timeout", "server_error"];
// end of generated retryable kinds

/** Whether a `createUser` result of this kind is worth sending again unchanged. */
export const isRetryable = (kind) => RETRYABLE.includes(kind);

export function isProviderId(rt, value) {
  return typeof value === "string" && rt.ids.has(value);
}
