// A minimal hand-written JavaScript Worker doing the same proxying as the Rust
// Worker (crates/enlist-worker), with hand-coded checks: the baseline that
// `bench/worker.mjs` measures the Rust Worker against. Not production code:
// its checks are deliberately shallow (required fields, types of a few
// fields), so it is an upper bound on what a JS proxy costs.
//
// Same bindings as the Rust Worker: PARTOO_API_KEY, PANDADOC_API_KEY,
// PARTOO_BASE_URL, PANDADOC_BASE_URL, ALLOWED_ORIGINS, UPSTREAM_TIMEOUT_MS,
// RATE_LIMITER.

const MAX_BODY = 64 * 1024;

const PROVIDERS = {
  partoo: {
    path: "/user",
    header: (key) => ["x-APIKey", key],
    check(body) {
      const errors = [];
      if (typeof body !== "object" || body === null || Array.isArray(body)) return [{ path: "", code: "type" }];
      for (const f of ["email", "first_name", "last_name"]) {
        if (typeof body[f] !== "string" || body[f].trim() === "") errors.push({ path: `/${f}`, code: "required" });
      }
      if (typeof body.email === "string" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(body.email)) errors.push({ path: "/email", code: "email" });
      if (body.role !== undefined && !["BUSINESS_MANAGER"].includes(body.role)) errors.push({ path: "/role", code: "policy" });
      return errors;
    },
    id: (json) => json && json.id,
  },
  pandadoc: {
    path: "/public/v1/users",
    header: (key) => ["Authorization", `API-Key ${key}`],
    check(body) {
      const errors = [];
      if (typeof body !== "object" || body === null || Array.isArray(body)) return [{ path: "", code: "type" }];
      if (typeof body.user?.email !== "string") errors.push({ path: "/user/email", code: "required" });
      if (typeof body.license !== "string") errors.push({ path: "/license", code: "required" });
      if (!Array.isArray(body.workspaces) || body.workspaces.length === 0) errors.push({ path: "/workspaces", code: "required" });
      return errors;
    },
    id: (json) => json && json.user_id,
  },
};

function problem(status, slug, detail, extra = {}, headers = {}) {
  return new Response(JSON.stringify({ type: `urn:enlist:problem:${slug}`, title: slug, status, detail, request_id: crypto.randomUUID(), ...extra }), {
    status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store", vary: "Origin", ...headers },
  });
}

export default {
  async fetch(request, env) {
    const started = Date.now();
    const response = await handle(request, env);
    // One JSON log line per request, like the Rust Worker.
    console.log(JSON.stringify({ level: "info", method: request.method, status: response.status, duration_ms: Date.now() - started }));
    return response;
  },
};

async function handle(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/v1/health") return Response.json({ status: "ok" });
    const m = /^\/v1\/([a-z0-9]+)\/users$/.exec(url.pathname);
    const provider = m && PROVIDERS[m[1]];
    if (!provider) return problem(404, "not_found", "There is no such endpoint.");
    if (request.method !== "POST") return problem(405, "method_not_allowed", "POST only", {}, { allow: "POST" });
    const origin = request.headers.get("origin");
    const allowed = (env.ALLOWED_ORIGINS ?? "").split(",").map((o) => o.trim()).filter(Boolean);
    if (origin && origin !== url.origin && !allowed.includes(origin)) return problem(403, "origin_not_allowed", "origin");
    const ip = request.headers.get("cf-connecting-ip") ?? "unknown";
    if (env.RATE_LIMITER) {
      const { success } = await env.RATE_LIMITER.limit({ key: `ip:${ip}` });
      if (!success) return problem(429, "rate_limited", "slow down", {}, { "retry-after": "60" });
    }
    const key = env[`${m[1].toUpperCase()}_API_KEY`];
    if (!key) return problem(503, "provider_not_configured", "no key");
    if (!(request.headers.get("content-type") ?? "").startsWith("application/json")) return problem(415, "unsupported_media_type", "json only");
    if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY) return problem(413, "payload_too_large", "too large");
    const text = await request.text();
    if (text.length > MAX_BODY) return problem(413, "payload_too_large", "too large");
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return problem(400, "invalid_json", "not JSON");
    }
    const errors = provider.check(body);
    if (errors.length) return problem(422, "validation", "invalid", { errors });
    const [name, value] = provider.header(key);
    const base = env[`${m[1].toUpperCase()}_BASE_URL`];
    let upstream;
    try {
      upstream = await fetch(`${base}${provider.path}`, {
        method: "POST",
        headers: { [name]: value, "content-type": "application/json", accept: "application/json", "user-agent": "enlist-baseline" },
        body: JSON.stringify(body),
        redirect: "manual",
        signal: AbortSignal.timeout(Number(env.UPSTREAM_TIMEOUT_MS ?? 10000)),
      });
    } catch (e) {
      return e?.name === "TimeoutError" ? problem(504, "upstream_timeout", "timeout") : problem(502, "upstream_error", "failed");
    }
    let json;
    try {
      json = await upstream.json();
    } catch {
      return problem(502, "upstream_error", "unreadable");
    }
    if (upstream.status >= 200 && upstream.status < 300 && provider.id(json)) {
      return new Response(JSON.stringify({ provider: m[1], status: upstream.status, id: String(provider.id(json)), warnings: [] }), {
        status: 201,
        headers: { "content-type": "application/json", "cache-control": "no-store", vary: "Origin", "x-request-id": crypto.randomUUID() },
      });
    }
    if (upstream.status === 429) return problem(429, "rate_limited", "upstream", {}, { "retry-after": upstream.headers.get("retry-after") ?? "30" });
    if (upstream.status === 400 || upstream.status === 422) return problem(422, "validation", "upstream");
    return problem(502, "upstream_error", "failed");
}
