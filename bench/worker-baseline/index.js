// A minimal hand-written JavaScript Worker doing the same proxying as the Rust
// Worker (crates/enlist-worker) with hand-coded checks: the baseline that
// bench/worker.mjs measures the Rust Worker against. Not production code: its
// payload checks are deliberately shallow (required fields and a few types),
// so it is a lower bound on what a JS proxy with real validation would cost.
//
// What it does like the Rust Worker, per request: route by path, origin
// check, rate limit (RATE_LIMITER binding, per IP), key lookup, media type
// and size checks, JSON parse and checks, upstream fetch with the key, a
// timeout and no redirects, answer mapping (201 / problem+json), the same
// response headers (X-Request-Id, Vary, Cache-Control, nosniff) and one JSON
// log line with the same fields.
//
// Bindings: PARTOO_API_KEY, PANDADOC_API_KEY, PARTOO_BASE_URL,
// PANDADOC_BASE_URL, ALLOWED_ORIGINS, UPSTREAM_TIMEOUT_MS, RATE_LIMITER.

const MAX_BODY = 64 * 1024;

const PROVIDERS = {
  partoo: {
    path: "/user",
    credential: (key) => ["x-APIKey", key],
    check(body) {
      const errors = [];
      for (const f of ["email", "first_name", "last_name"]) {
        if (typeof body[f] !== "string" || body[f].trim() === "") errors.push({ path: `/${f}`, code: "required" });
      }
      if (typeof body.email === "string" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(body.email)) errors.push({ path: "/email", code: "email" });
      if (body.role !== undefined && body.role !== "BUSINESS_MANAGER") errors.push({ path: "/role", code: "policy" });
      return errors;
    },
    id: (json) => json?.id,
  },
  pandadoc: {
    path: "/public/v1/users",
    credential: (key) => ["Authorization", `API-Key ${key}`],
    check(body) {
      const errors = [];
      if (typeof body.user?.email !== "string") errors.push({ path: "/user/email", code: "required" });
      if (typeof body.license !== "string") errors.push({ path: "/license", code: "required" });
      if (!Array.isArray(body.workspaces) || body.workspaces.length === 0) errors.push({ path: "/workspaces", code: "required" });
      return errors;
    },
    id: (json) => json?.user_id,
  },
};

const headers = (id, type, extra = {}) => ({
  "content-type": type,
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-request-id": id,
  vary: "Origin",
  ...extra,
});

export default {
  async fetch(request, env) {
    const started = Date.now();
    const log = { request_id: crypto.randomUUID(), method: request.method, route: "other", status: 0, duration_ms: 0 };
    const problem = (status, slug, detail, extra = {}, more = {}) => {
      log.problem = slug;
      const body = { type: `urn:enlist:problem:${slug}`, title: slug, status, detail, request_id: log.request_id, ...extra };
      return new Response(JSON.stringify(body), { status, headers: headers(log.request_id, "application/problem+json", more) });
    };
    const response = await handle(request, env, log, problem);
    log.status = response.status;
    log.duration_ms = Date.now() - started;
    console.log(JSON.stringify(log));
    return response;
  },
};

async function handle(request, env, log, problem) {
  const url = new URL(request.url);
  if (url.pathname === "/v1/health") {
    log.route = "/v1/health";
    return new Response(JSON.stringify({ status: "ok" }), { headers: headers(log.request_id, "application/json") });
  }
  const m = /^\/v1\/([a-z0-9]+)\/users$/.exec(url.pathname);
  const provider = m && PROVIDERS[m[1]];
  if (!provider) return problem(404, "not_found", "There is no such endpoint.");
  log.route = "/v1/{provider}/users";
  log.provider = m[1];
  const origin = request.headers.get("origin");
  const allowed = (env.ALLOWED_ORIGINS ?? "").split(",").map((o) => o.trim()).filter(Boolean);
  if (origin && origin !== url.origin && !allowed.includes(origin)) return problem(403, "origin_not_allowed", "Calls from this origin are not allowed.");
  if (request.method !== "POST") return problem(405, "method_not_allowed", "This endpoint accepts POST.", {}, { allow: "POST" });
  if (env.RATE_LIMITER) {
    const { success } = await env.RATE_LIMITER.limit({ key: `ip:${request.headers.get("cf-connecting-ip") ?? "unknown"}` });
    if (!success) return problem(429, "rate_limited", "Too many requests.", {}, { "retry-after": "60" });
  }
  const key = env[`${m[1].toUpperCase()}_API_KEY`];
  if (!key) return problem(503, "provider_not_configured", "No API key.");
  if (!/^application\/json\b/i.test(request.headers.get("content-type") ?? "")) return problem(415, "unsupported_media_type", "JSON only.");
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY) return problem(413, "payload_too_large", "Too large.");
  const text = await request.text();
  if (text.length > MAX_BODY) return problem(413, "payload_too_large", "Too large.");
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return problem(400, "invalid_json", "Not JSON.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return problem(422, "validation", "Not an object.");
  const errors = provider.check(body);
  if (errors.length) return problem(422, "validation", "Invalid.", { errors });
  const [name, value] = provider.credential(key);
  const upStarted = Date.now();
  let upstream;
  let json;
  try {
    upstream = await fetch(`${env[`${m[1].toUpperCase()}_BASE_URL`]}${provider.path}${url.search}`, {
      method: "POST",
      headers: { [name]: value, "content-type": "application/json", accept: "application/json", "user-agent": "enlist-baseline" },
      body: JSON.stringify(body),
      redirect: "manual",
      signal: AbortSignal.timeout(Number(env.UPSTREAM_TIMEOUT_MS ?? 10000)),
    });
    log.upstream_status = upstream.status;
    json = await upstream.json().catch(() => undefined);
  } catch (e) {
    log.upstream_ms = Date.now() - upStarted;
    return e?.name === "TimeoutError" ? problem(504, "upstream_timeout", "Timeout.") : problem(502, "upstream_error", "Failed.");
  }
  log.upstream_ms = Date.now() - upStarted;
  if (upstream.status >= 200 && upstream.status < 300 && provider.id(json)) {
    const created = { provider: m[1], status: upstream.status, id: String(provider.id(json)), warnings: [] };
    return new Response(JSON.stringify(created), { status: 201, headers: headers(log.request_id, "application/json") });
  }
  if (upstream.status === 429) return problem(429, "rate_limited", "Upstream.", {}, { "retry-after": upstream.headers.get("retry-after") ?? "30" });
  if (upstream.status === 400 || upstream.status === 422) return problem(422, "validation", "Upstream.");
  return problem(502, "upstream_error", "Failed.");
}
