// Miniflare options for the JavaScript baseline Worker (index.js next to this
// file), shared by the Worker benchmark (bench/worker.mjs) and the load
// runner's memory comparison (tests/reliability/load.mjs --baseline proxy).
import { COMPATIBILITY_DATE, ROOT } from "../../tests/worker/serve.mjs";

/**
 * The baseline in front of `upstreamUrl`, for the providers whose key is
 * given, with a rate limit too high to trigger. `withAssets`: the form's
 * assets in front and the Worker first on /v1/*, as wrangler.toml routes the
 * Rust Worker.
 */
export function baselineOptions({ upstreamUrl, partooKey, pandadocKey, withAssets = false }) {
  const bindings = { ALLOWED_ORIGINS: "", UPSTREAM_TIMEOUT_MS: "10000" };
  if (partooKey) Object.assign(bindings, { PARTOO_API_KEY: partooKey, PARTOO_BASE_URL: upstreamUrl });
  if (pandadocKey) Object.assign(bindings, { PANDADOC_API_KEY: pandadocKey, PANDADOC_BASE_URL: upstreamUrl });
  return {
    modules: true,
    scriptPath: `${ROOT}bench/worker-baseline/index.js`,
    compatibilityDate: COMPATIBILITY_DATE,
    cf: false,
    handleStructuredLogs: () => {},
    ratelimits: { RATE_LIMITER: { namespace_id: "1001", simple: { limit: 1_000_000_000, period: 60 } } },
    bindings,
    ...(withAssets
      ? {
          assets: {
            directory: `${ROOT}www`,
            binding: "ASSETS",
            routerConfig: { has_user_worker: true, static_routing: { user_worker: ["/v1/*"] } },
          },
        }
      : {}),
  };
}
