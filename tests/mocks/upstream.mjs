// A fake Partoo + PandaDoc on one local port, for tests of the enlist proxy,
// plus any provider the core describes (see "Providers from the core").
// Node 20, no dependencies.
//
//   import { startUpstream } from "./upstream.mjs";
//   const up = await startUpstream();           // random free port on 127.0.0.1
//   up.url                                      // "http://127.0.0.1:<port>"
//   up.script({ status: 429, headers: { "Retry-After": "3" } });
//   ... call it ... up.requests ... up.reset() ... await up.close();
//
// CLI: node tests/mocks/upstream.mjs --port 8788 [--host H] [--partoo-key K]
//      [--pandadoc-key K] [--providers FILE]
//      (prints the URL; Ctrl-C or SIGTERM stops it)
//
// Provider routes (what the real APIs answer, as far as their references tell):
//   POST /user, /v2/user                  Partoo create user (header x-APIKey)
//   POST /user/{id}/invite, /v2/…         Partoo send invitation
//   GET  /user/{id}, /v2/…                Partoo read a user
//   GET  /user/search, /v2/…              Partoo search users: email (exact,
//                                         any case), status, disabled, role,
//                                         page (from 1), per_page (1–100),
//                                         order_by ([-]email, first_name, …);
//                                         {users, page, max_page, count}
//   POST /user/{id}, /v2/…                Partoo update (only sent fields change)
//   DELETE /user/{id}, /v2/…              Partoo delete
//   POST /public/v1/users                 PandaDoc create user
//                                         (header Authorization: API-Key <key>)
// Providers from the core: `startUpstream({ providers })` also serves each
// provider described in a test build's providers.json (`cargo xtask build
// npm-test|worker-test` writes it from the core's registry: each provider's
// create-user path, method and credential header, and the answer its API
// gives to a creation) on its create path, unless a route above has it:
// a wrong or missing credential gets a 401, a body that is not JSON a 400,
// anything else the provider's own creation answer. Its key is
// `keys[id]`, by default `mock-<id>-key` (`mockKey(id)`); `keys` sets the
// keys of Partoo and PandaDoc too, unless partooKey or pandadocKey does.
// Partoo's users are kept whole (id, org_id, names, email, lang, role, status,
// disabled, created_at, sso_only, business_ids, accesses): `partooUser(id or
// email)` returns a copy of one, as `GET /user/{id}` would.
// Control routes (never recorded, never scripted):
//   GET  /__mock/requests   every provider call so far, as JSON
//   POST /__mock/reset      forget calls, users and pending faults
//   POST /__mock/script     JSON fault or list of faults, see `script()` below
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { randomBytes, randomInt } from "node:crypto";
import { pathToFileURL } from "node:url";

const MAX_BODY_BYTES = 10 * 1024 * 1024; // larger request bodies get a 413
const FAULT_KEYS = ["status", "body", "bodyBytes", "headers", "contentType", "delayMs", "resetAfterHeaders", "hangMs"];

const PARTOO_ROLES = ["ORG_ADMIN", "ORG_MANAGER", "GROUP_MANAGER", "BUSINESS_MANAGER", "PUBLISHER"];
const PARTOO_STATUSES = ["active", "invited"];
const PARTOO_LANGS = ["fr", "en", "es", "it", "pt-br", "de", "ar", "nl", "pl", "cs", "ca", "sk", "pt", "lv", "ro", "bg", "hu"];
const PARTOO_SIDEBAR = [
  "bulk_modification", "diffusion", "feedback_management", "messages", "posts",
  "presence_analytics", "review_analytics", "review_invite", "review_management",
];
const PANDADOC_ROLES = ["Admin", "Manager", "Member", "Collaborator"];
const PANDADOC_LICENSES = ["Full", "eSign", "Read-only", "Creator", "Guest"];
const SHORTUUID = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const WORKSPACE_ID = /^[A-Za-z0-9]{1,64}$/;

const looksLikeEmail = (v) => typeof v === "string" && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v);
const partooId = () => randomBytes(12).toString("hex");
const pandadocId = () => Array.from({ length: 22 }, () => SHORTUUID[randomInt(SHORTUUID.length)]).join("");

// Partoo validates with marshmallow: one list of messages per field. Each
// checker returns a message for a bad value, or undefined.
const isString = (v) => (typeof v === "string" ? undefined : "Not a valid string.");
const oneOf = (choices) => (v) => (choices.includes(v) ? undefined : `Must be one of: ${choices.join(", ")}.`);
const listOf = (item) => (v) => (Array.isArray(v) ? v.map(item).find(Boolean) : "Not a valid list.");
const isInteger = (v) => (Number.isInteger(v) ? undefined : "Not a valid integer.");
const isBoolean = (v) => (typeof v === "boolean" ? undefined : "Not a valid boolean.");
const PARTOO_FIELDS = {
  email: (v) => isString(v) ?? (looksLikeEmail(v) ? undefined : "Not a valid email address."),
  first_name: isString,
  last_name: isString,
  org_id: isInteger,
  accesses: listOf(listOf(isInteger)),
  business_ids: listOf(isString),
  role: oneOf(PARTOO_ROLES),
  custom_role: isString,
  sidebar_pages: listOf(oneOf(PARTOO_SIDEBAR)), // null is allowed, see below
  send_invitation: isBoolean,
  status: oneOf(PARTOO_STATUSES),
  password: (v) => isString(v) ?? (v.length >= 8 ? undefined : "Shorter than minimum length 8."),
  lang: oneOf(PARTOO_LANGS),
  sso_only: isBoolean,
};
const PARTOO_REQUIRED = ["email", "first_name", "last_name"];
// What POST /user/{id} may change (patch behaviour): the rest is refused.
const PARTOO_UPDATABLE = ["email", "first_name", "last_name", "role", "custom_role", "status", "disabled", "password", "sso_only", "lang"];
const PARTOO_ORDERS = ["email", "first_name", "last_name", "role", "org_id", "group_id", "status"];
/** The organization of the mock's Partoo key. */
const PARTOO_ORG_ID = 1;

/** Field errors of a Partoo create-user body, marshmallow style; {} when fine. */
function partooErrors(body) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return { _schema: ["Invalid input type."] };
  const errors = {};
  for (const field of PARTOO_REQUIRED) if (!(field in body)) errors[field] = ["Missing data for required field."];
  for (const [field, value] of Object.entries(body)) {
    const check = PARTOO_FIELDS[field];
    if (!check) errors[field] = ["Unknown field."];
    else if (value === null) {
      if (field !== "sidebar_pages") errors[field] = ["Field may not be null."];
    } else {
      const message = check(value);
      if (message) errors[field] = [message];
    }
  }
  return errors;
}

/**
 * Field errors of a PandaDoc create-user body, with the flat keys and messages
 * PandaDoc uses ({"email": [...], "role": [...]}); {} when fine. Like the real
 * API (Django REST framework), unknown fields are ignored.
 */
function pandadocErrors(body) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { non_field_errors: ["Invalid data. Expected a dictionary."] };
  }
  const errors = {};
  const add = (field, message) => (errors[field] ??= []).includes(message) || errors[field].push(message);
  const { user, workspaces, license } = body;
  if (user === undefined) add("user", "This field is required.");
  else if (user === null || typeof user !== "object") add("user", "Invalid data. Expected a dictionary.");
  else if (user.email === undefined) add("email", "This field is required.");
  else if (!looksLikeEmail(user.email)) add("email", "Enter a valid email address.");
  if (license === undefined) add("license", "This field is required.");
  else if (!PANDADOC_LICENSES.includes(license)) add("license", "License is not a valid choice.");
  if (workspaces === undefined) add("workspaces", "This field is required.");
  else if (!Array.isArray(workspaces)) add("workspaces", "Expected a list of items.");
  else {
    for (const ws of workspaces) {
      if (ws === null || typeof ws !== "object") add("workspaces", "Invalid data. Expected a dictionary.");
      else {
        if (ws.workspace_id === undefined) add("workspace_id", "This field is required.");
        else if (typeof ws.workspace_id !== "string") add("workspace_id", "Not a valid string.");
        else if (ws.workspace_id.trim() === "") add("workspace_id", "This field may not be blank.");
        // PandaDoc's workspace ids are short letter-and-digit uuids; the mock
        // treats every such id as an existing workspace, and no other
        // (PandaDoc's own "not found" message), so that it never echoes back
        // an id no PandaDoc workspace could have.
        else if (!WORKSPACE_ID.test(ws.workspace_id)) add("workspace_id", `Workspace with uuid ${ws.workspace_id} not found.`);
        if (ws.role === undefined) add("role", "This field is required.");
        else if (!PANDADOC_ROLES.includes(ws.role)) add("role", "Role is not a valid choice.");
      }
    }
  }
  return errors;
}

/**
 * The JSON text of an integer (or list of lists of integers) member at the
 * top of a JSON object text, as sent: JavaScript numbers round integers
 * beyond 2^53, and the mock answers them back as it got them.
 */
function rawIntegers(text, name) {
  return new RegExp(`"${name}"\\s*:\\s*(-?\\d+|\\[[-\\d\\s,\\[\\]]*\\])`).exec(text)?.[1];
}

/** A stored Partoo user as JSON text, its integers as they were sent. */
function partooUserJson(user, raw = {}) {
  const marks = {};
  const copy = { ...user };
  for (const [name, text] of Object.entries(raw)) {
    if (text === undefined || !(name in copy)) continue;
    marks[name] = text;
    copy[name] = `\u0000${name}`;
  }
  let json = JSON.stringify(copy);
  for (const [name, text] of Object.entries(marks)) json = json.replace(JSON.stringify(`\u0000${name}`), text);
  return json;
}

/** Parses JSON text; `undefined` when it is not JSON. */
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Throws a readable error unless `fault` is a well-formed fault object. */
function checkFault(fault) {
  if (fault === null || typeof fault !== "object" || Array.isArray(fault)) throw new Error("a fault must be an object");
  const unknown = Object.keys(fault).filter((k) => !FAULT_KEYS.includes(k));
  if (unknown.length) throw new Error(`unknown fault keys: ${unknown.join(", ")} (known: ${FAULT_KEYS.join(", ")})`);
  const { status, delayMs, hangMs, bodyBytes, headers, contentType } = fault;
  if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 599)) throw new Error("status must be an HTTP status code");
  for (const [k, v] of Object.entries({ delayMs, hangMs, bodyBytes })) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new Error(`${k} must be a non-negative integer`);
  }
  if (bodyBytes !== undefined && fault.body !== undefined) throw new Error("give body or bodyBytes, not both");
  if (headers !== undefined && (headers === null || typeof headers !== "object")) throw new Error("headers must be an object");
  if (contentType !== undefined && typeof contentType !== "string") throw new Error("contentType must be a string");
}

/** A JSON document of exactly `n` bytes (at least 10): {"pad":"xxx…"}. */
function jsonOfSize(n) {
  const frame = '{"pad":""}';
  return n <= frame.length ? frame : `{"pad":"${"x".repeat(n - frame.length)}"}`;
}

/** The key the mock expects of a provider described by the core, by default. */
export const mockKey = (id) => `mock-${id}-key`;

/**
 * The providers a test build registers, from its providers.json (see
 * "Providers from the core" above); throws a readable error when the file is
 * missing.
 */
export function readProviders(file) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${file} is missing (${err.code}): run \`cargo xtask build npm-test\` or \`worker-test\` (cargo xtask test does)`);
  }
  const providers = JSON.parse(text);
  if (!Array.isArray(providers) || providers.length === 0) throw new Error(`${file}: expected a non-empty list of providers`);
  return providers;
}

/**
 * Starts the fake providers. Resolves to
 * `{ url, port, requests, reset(), script(fault | faults), partooUser(idOrEmail), close() }`.
 */
export async function startUpstream({
  port = 0,
  host = "127.0.0.1",
  partooKey,
  pandadocKey,
  providers = [],
  keys = {},
} = {}) {
  // The hand-written models' keys: by option, else by id in `keys`, else
  // the default of every provider (mock-partoo-key, mock-pandadoc-key).
  partooKey ??= keys.partoo ?? mockKey("partoo");
  pandadocKey ??= keys.pandadoc ?? mockKey("pandadoc");
  /** Provider calls: { method, path, query, headers, body (text), time (ms since epoch) }. */
  const requests = [];
  const partooUsers = new Map(); // lowercased email -> id
  const partooIds = new Map(); // id -> the whole user
  const partooRaw = new Map(); // id -> {org_id, accesses} as JSON text sent
  const pandadocEmails = new Set(); // lowercased
  const faults = [];
  const timers = new Set();

  const sleep = (ms) =>
    new Promise((resolve) => {
      const t = setTimeout(() => (timers.delete(t), resolve()), ms);
      timers.add(t);
    });

  function reset() {
    requests.length = 0; // same array: references held by tests stay live
    partooUsers.clear();
    partooIds.clear();
    partooRaw.clear();
    pandadocEmails.clear();
    faults.length = 0;
  }

  /**
   * Queues faults for the next provider calls, one per call, in order. Fields:
   *   status, body     answer this instead of the provider (nothing is created);
   *                    body is sent as is if a string, as JSON otherwise
   *   bodyBytes        instead of body: a JSON document of that many bytes
   *   contentType      Content-Type of that answer (default: JSON for objects,
   *                    text/plain for strings)
   *   headers          extra response headers, e.g. { "Retry-After": "2" }
   *   delayMs          wait this long before answering
   *   resetAfterHeaders  send the headers and half the body, then close the
   *                    connection (the client sees a truncated body)
   *   hangMs           answer nothing; close the connection after this long
   * Without status/body the provider logic runs as usual (a user may be created)
   * and the fault only changes how its answer is delivered.
   * Returns the number of faults waiting.
   */
  function script(fault) {
    const list = Array.isArray(fault) ? fault : [fault];
    list.forEach(checkFault);
    faults.push(...list.map((f) => structuredClone(f)));
    return faults.length;
  }

  // ---- providers -------------------------------------------------------

  function partooCreate(req, text) {
    if (req.headers["x-apikey"] !== partooKey) return [401, { errors: { authentication: "User not authenticated" } }];
    const body = parseJson(text);
    if (body === undefined) return [400, { errors: { json: { _schema: ["Invalid JSON body."] } } }];
    const errors = partooErrors(body);
    const key = typeof body?.email === "string" ? body.email.toLowerCase() : undefined;
    if (!errors.email && partooUsers.has(key)) errors.email = ["This email is already used."];
    if (Object.keys(errors).length) return [400, { errors: { json: errors } }];
    const id = partooId();
    partooUsers.set(key, id);
    partooIds.set(id, {
      id,
      org_id: body.org_id ?? PARTOO_ORG_ID,
      first_name: body.first_name,
      last_name: body.last_name,
      email: body.email,
      lang: body.lang ?? "en",
      role: body.role ?? "BUSINESS_MANAGER",
      status: body.status ?? (body.send_invitation ? "invited" : "active"),
      disabled: false,
      created_at: new Date().toISOString(),
      sso_only: body.sso_only ?? false,
      business_ids: body.business_ids ?? [],
      accesses: body.accesses ?? [],
    });
    partooRaw.set(id, { org_id: rawIntegers(text, "org_id"), accesses: rawIntegers(text, "accesses") });
    return [200, { id, status: "success" }];
  }

  const partooDenied = (req) => req.headers["x-apikey"] !== partooKey;
  const DENIED = [401, { errors: { authentication: "User not authenticated" } }];

  function partooRead(req, id) {
    if (partooDenied(req)) return DENIED;
    const user = partooIds.get(id);
    // Partoo's references show both {"error": …} and {"errors": …} for a 404.
    if (!user) return [404, { error: "User not found" }];
    return [200, partooUserJson(user, partooRaw.get(id)), "application/json"];
  }

  function partooSearch(req, params) {
    if (partooDenied(req)) return DENIED;
    const errors = {};
    const integer = (name, min, max, fallback) => {
      if (!params.has(name)) return fallback;
      const text = params.get(name);
      const n = Number(text);
      if (!/^\d+$/.test(text) || n < min || n > max) errors[name] = [`Must be an integer from ${min} to ${max}.`];
      return n;
    };
    const page = integer("page", 1, Number.MAX_SAFE_INTEGER, 1);
    const perPage = integer("per_page", 1, 100, 30);
    const order = params.get("order_by") ?? "email";
    if (!PARTOO_ORDERS.includes(order.replace(/^-/, ""))) errors.order_by = [`Must be one of: ${PARTOO_ORDERS.join(", ")} (- for descending).`];
    if (params.has("status") && !PARTOO_STATUSES.includes(params.get("status"))) errors.status = [`Must be one of: ${PARTOO_STATUSES.join(", ")}.`];
    if (params.has("role") && !PARTOO_ROLES.includes(params.get("role"))) errors.role = [`Must be one of: ${PARTOO_ROLES.join(", ")}.`];
    if (params.has("disabled") && !["true", "false"].includes(params.get("disabled"))) errors.disabled = ["Not a valid boolean."];
    const known = ["email", "status", "disabled", "role", "page", "per_page", "order_by"];
    for (const name of params.keys()) if (!known.includes(name)) errors[name] = ["Unknown field."];
    if (Object.keys(errors).length) return [400, { errors: { json: errors } }];
    let users = [...partooIds.values()];
    if (params.has("email")) users = users.filter((u) => u.email.toLowerCase() === params.get("email").toLowerCase());
    if (params.has("status")) users = users.filter((u) => u.status === params.get("status"));
    if (params.has("role")) users = users.filter((u) => u.role === params.get("role"));
    if (params.has("disabled")) users = users.filter((u) => String(u.disabled) === params.get("disabled"));
    const field = order.replace(/^-/, "");
    const sign = order.startsWith("-") ? -1 : 1;
    const value = (u) => String(u[field] ?? "").toLowerCase();
    users.sort((a, b) => sign * (value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : 0) || (a.id < b.id ? -1 : 1));
    const count = users.length;
    const maxPage = Math.ceil(count / perPage);
    const slice = users.slice((page - 1) * perPage, page * perPage).map((u) => partooUserJson(u, partooRaw.get(u.id)));
    return [200, `{"users":[${slice.join(",")}],"page":${page},"max_page":${maxPage},"count":${count}}`, "application/json"];
  }

  function partooUpdate(req, id, text) {
    if (partooDenied(req)) return DENIED;
    const user = partooIds.get(id);
    if (!user) return [404, { errors: { json: { user_id: ["User not found."] } } }];
    const body = parseJson(text);
    if (body === undefined) return [400, { errors: { json: { _schema: ["Invalid JSON body."] } } }];
    if (body === null || typeof body !== "object" || Array.isArray(body)) return [400, { errors: { json: { _schema: ["Invalid input type."] } } }];
    const errors = {};
    for (const [field, value] of Object.entries(body)) {
      const check = field === "disabled" ? isBoolean : PARTOO_UPDATABLE.includes(field) ? PARTOO_FIELDS[field] : undefined;
      if (!check) errors[field] = ["Unknown field."];
      else if (value === null) errors[field] = ["Field may not be null."];
      else {
        const message = check(value);
        if (message) errors[field] = [message];
      }
    }
    const key = typeof body.email === "string" ? body.email.toLowerCase() : undefined;
    if (!errors.email && key !== undefined && partooUsers.has(key) && partooUsers.get(key) !== id) errors.email = ["This email is already used."];
    if (Object.keys(errors).length) return [400, { errors: { json: errors } }];
    if (key !== undefined) {
      partooUsers.delete(user.email.toLowerCase());
      partooUsers.set(key, id);
    }
    const { password, ...visible } = body;
    Object.assign(user, visible);
    return [200, { id, status: "success" }];
  }

  function partooDelete(req, id) {
    if (partooDenied(req)) return DENIED;
    const user = partooIds.get(id);
    if (!user) return [404, { errors: { json: { user_id: ["User not found."] } } }];
    partooIds.delete(id);
    partooRaw.delete(id);
    partooUsers.delete(user.email.toLowerCase());
    return [200, { id, status: "success" }];
  }

  /** A copy of a Partoo user, by id or email (any case); undefined if none. */
  function partooUser(idOrEmail) {
    const id = partooIds.has(idOrEmail) ? idOrEmail : partooUsers.get(String(idOrEmail).toLowerCase());
    const user = partooIds.get(id);
    return user ? structuredClone(user) : undefined;
  }

  function partooInvite(req, id) {
    if (req.headers["x-apikey"] !== partooKey) return [401, { errors: { authentication: "User not authenticated" } }];
    if (!partooIds.has(id)) return [404, { errors: { json: { user_id: ["User not found."] } } }];
    return [200, { status: "success" }];
  }

  function pandadocCreate(req, text) {
    if (req.headers.authorization !== `API-Key ${pandadocKey}`) {
      return [401, { type: "authentication_error", detail: "Authentication credentials were not provided." }];
    }
    const body = parseJson(text);
    if (body === undefined) return [400, { type: "request_error", detail: "JSON parse error." }];
    const errors = pandadocErrors(body);
    const key = typeof body?.user?.email === "string" ? body.user.email.toLowerCase() : undefined;
    if (!errors.email && pandadocEmails.has(key)) errors.email = ["User already exists"];
    if (Object.keys(errors).length) return [400, { type: "request_error", detail: errors }];
    pandadocEmails.add(key);
    const workspaces = body.workspaces.map(({ workspace_id, role }) => ({ workspace_id, role, member_id: pandadocId() }));
    return [201, { user_id: pandadocId(), workspaces }];
  }

  /**
   * A provider described by the core (providers.json): the credential its
   * requests carry, then its own answer to a creation.
   */
  function describedCreate(req, described, text) {
    const { id, create, created } = described;
    const expected = create.credential.value.replace("{key}", keys[id] ?? mockKey(id));
    if (req.headers[create.credential.name.toLowerCase()] !== expected) return [401, {}];
    if (parseJson(text) === undefined) return [400, {}];
    return [created.status, created.body, "application/json"];
  }

  /** [status, json] of the provider route, or a 404/405 for anything else. */
  function provider(req, url, text) {
    const path = url.pathname;
    const invite = /^(?:\/v2)?\/user\/([^/]+)\/invite$/.exec(path);
    const search = /^(?:\/v2)?\/user\/search$/.test(path);
    const user = search ? null : /^(?:\/v2)?\/user\/([^/]+)$/.exec(path);
    const route = /^(?:\/v2)?\/user$/.test(path)
      ? "partoo"
      : invite ? "invite" : search ? "search" : user ? "user" : path === "/public/v1/users" ? "pandadoc" : null;
    const described = route ? undefined : providers.find((p) => p.create.path === path);
    if (described) {
      const { method } = described.create;
      if (req.method !== method) return [405, { error: "method_not_allowed", detail: `only ${method}` }];
      return describedCreate(req, described, text);
    }
    if (!route) return [404, { error: "not_found", detail: `no mock route for ${path}` }];
    const allowed = route === "search" ? ["GET"] : route === "user" ? ["GET", "POST", "DELETE"] : ["POST"];
    if (!allowed.includes(req.method)) return [405, { error: "method_not_allowed", detail: `only ${allowed.join(", ")}` }];
    if (route === "partoo") return partooCreate(req, text);
    if (route === "invite") return partooInvite(req, invite[1]);
    if (route === "search") return partooSearch(req, url.searchParams);
    if (route === "user") {
      const id = decodeURIComponent(user[1]);
      if (req.method === "GET") return partooRead(req, id);
      if (req.method === "POST") return partooUpdate(req, id, text);
      return partooDelete(req, id);
    }
    return pandadocCreate(req, text);
  }

  // ---- HTTP plumbing ---------------------------------------------------

  async function readBody(req) {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return undefined;
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  function send(res, status, payload, { contentType, headers = {}, cut = false } = {}) {
    if (res.destroyed) return;
    const isText = typeof payload === "string";
    const data = payload === undefined ? Buffer.alloc(0) : Buffer.from(isText ? payload : JSON.stringify(payload));
    const type = contentType ?? (payload === undefined ? undefined : isText ? "text/plain; charset=utf-8" : "application/json");
    // `cut`: promise a full body (at least 64 bytes), deliver half, then drop
    // the connection, so the client fails while reading the body.
    const length = cut ? Math.max(data.length, 64) : data.length;
    res.writeHead(status, { ...(type ? { "content-type": type } : {}), "content-length": length, ...headers });
    if (!cut) return void res.end(data);
    res.flushHeaders();
    res.write(data.subarray(0, Math.floor(data.length / 2)), () => res.socket?.destroy());
  }

  async function control(req, res, path) {
    if (req.method === "GET" && path === "/__mock/requests") return send(res, 200, requests);
    if (req.method === "POST" && path === "/__mock/reset") {
      reset();
      return send(res, 200, { ok: true });
    }
    if (req.method === "POST" && path === "/__mock/script") {
      const list = parseJson((await readBody(req)) ?? "");
      try {
        return send(res, 200, { queued: script(list) });
      } catch (err) {
        return send(res, 400, { error: "bad_script", detail: err.message });
      }
    }
    return send(res, 404, { error: "not_found", detail: `no control route ${req.method} ${path}` });
  }

  async function handle(req, res) {
    const url = new URL(req.url, "http://mock");
    if (url.pathname.startsWith("/__mock/")) return control(req, res, url.pathname);

    const text = await readBody(req);
    requests.push({
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams), // a repeated name keeps its last value
      headers: { ...req.headers },
      body: text ?? "",
      time: Date.now(),
    });
    const fault = faults.shift() ?? {};
    if (text === undefined) return send(res, 413, { error: "payload_too_large" });

    const scripted = fault.status !== undefined || fault.body !== undefined || fault.bodyBytes !== undefined;
    const [status, payload, providerType] = scripted
      ? [fault.status ?? 200, fault.bodyBytes !== undefined ? jsonOfSize(fault.bodyBytes) : fault.body]
      : provider(req, url, text);
    const contentType = fault.contentType ?? (fault.bodyBytes !== undefined ? "application/json" : providerType);

    if (fault.hangMs !== undefined) {
      await sleep(fault.hangMs);
      return void res.socket?.destroy();
    }
    if (fault.delayMs) await sleep(fault.delayMs);
    send(res, status, payload, { contentType, headers: fault.headers, cut: Boolean(fault.resetAfterHeaders) });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, { error: "mock_failure", detail: String(err) });
      else res.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => (server.off("error", reject), resolve()));
  });
  const actualPort = server.address().port;

  async function close() {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    await new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  const shownHost = host.includes(":") ? `[${host}]` : host;
  return { url: `http://${shownHost}:${actualPort}`, port: actualPort, requests, reset, script, partooUser, close };
}

// ---- CLI ---------------------------------------------------------------

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const port = Number(opt("port") ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error("usage: node tests/mocks/upstream.mjs [--port N] [--host H] [--partoo-key K] [--pandadoc-key K] [--providers FILE]");
    process.exit(2);
  }
  const up = await startUpstream({
    port,
    host: opt("host"),
    partooKey: opt("partoo-key"),
    pandadocKey: opt("pandadoc-key"),
    providers: opt("providers") ? readProviders(opt("providers")) : [],
  });
  console.log(up.url);
  const stop = () => up.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
