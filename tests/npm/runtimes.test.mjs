// The packed `enlist` in the other runtimes and setups its `exports` serve:
// - headless Chromium, unbundled ESM through an import map (the `browser`
//   condition: `await init()` fetches enlist_bg.wasm next to the module);
// - workerd through Miniflare, bundled by wrangler itself (`wrangler deploy
//   --dry-run`: the `workerd` condition, the .wasm import kept as a compiled
//   module);
// - Node.js from CommonJS (`require("enlist")`, Node.js ≥ 20.19) and from a
//   server bundle made by esbuild (`--platform=node`).
// Servers listen on 127.0.0.1 only and are stopped by the tests.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";

import { CHROMIUM, CHROMIUM_ARGS } from "../e2e/harness.mjs";
import { packAndInstall, root } from "./pack.mjs";


/** What each runtime computes with the package; the same checks apply to both. */
const PROBE = `
  const ada = { email: "ada@example.com", first_name: "Ada", last_name: "Lovelace" };
  const result = {
    providers: providers(),
    valid: validate("partoo", ada),
    invalid: validate("partoo", { email: "x", first_name: () => 1 }),
    domain: validate("pandadoc", {
      user: { email: "test@pandadoc.com" },
      workspaces: [{ workspace_id: "Ab123", role: "Collaborator" }],
      license: "Guest",
    }, { allowedEmailDomains: ["acme.com"] }),
    built: buildRequest("partoo", ada, { apiKey: "k", environment: "sandbox" }),
    outcome: parseResponse("partoo", 429, new Headers({ "Retry-After": "3" }), ""),
    fields: rules("pandadoc").fields.map((f) => f.name),
  };
`;

function check(result) {
  assert.deepEqual(result.providers, ["partoo", "pandadoc"]);
  assert.deepEqual(result.valid, { ok: true, errors: [], warnings: [] });
  assert.deepEqual(
    result.invalid.errors.map((i) => `${i.path} ${i.code}`),
    ["/first_name invalid_json", "/email email", "/last_name required"],
  );
  assert.equal(result.domain.errors[0].code, "domain");
  assert.equal(result.built.request.url, "https://api.sandbox.partoo.co/v2/user");
  assert.equal(result.outcome.kind, "rate_limited");
  assert.equal(result.outcome.retry_after, 3);
  assert.deepEqual(result.fields, ["user", "license", "workspaces"]);
}

let pkg;

before(() => {
  pkg = packAndInstall("runtimes");
});

after(() => pkg?.cleanup());

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm" };

test("browser: unbundled ESM with an import map and `await init()`", async (t) => {
  const { chromium } = await import("playwright-core");
  await writeFile(
    join(pkg.dir, "index.html"),
    `<!doctype html><meta charset="utf-8"><title>enlist</title>
<script type="importmap">{ "imports": { "enlist": "/node_modules/enlist/browser.js" } }</script>
<script type="module">
  import init, { validate, buildRequest, parseResponse, rules, providers } from "enlist";
  try {
    let early = "no error";
    try { validate("partoo", {}); } catch (e) { early = e.message; }
    await init();
    ${PROBE}
    result.early = early;
    window.result = result;
  } catch (e) { window.result = { failed: String(e && e.stack || e) }; }
</script>`,
  );
  const server = createServer(async (req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    if (path === "/") path = "/index.html";
    try {
      const body = await readFile(join(pkg.dir, path));
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const result = await page.waitForFunction(() => window.result, null, { timeout: 15000 }).then((h) => h.jsonValue());
  assert.equal(result.failed, undefined, result.failed);
  assert.deepEqual(errors, []);
  assert.match(result.early, /init/);
  check(result);
});

test("workerd: bundled by wrangler, run in Miniflare", async (t) => {
  const { Miniflare } = await import("miniflare");
  await writeFile(
    join(pkg.dir, "worker.js"),
    `import { validate, buildRequest, parseResponse, rules, providers } from "enlist";
export default {
  async fetch() {
    ${PROBE}
    return Response.json(result);
  },
};`,
  );
  await writeFile(join(pkg.dir, "wrangler.toml"), 'name = "enlist-probe"\nmain = "worker.js"\ncompatibility_date = "2026-04-01"\n');
  // wrangler's own bundling (the `workerd` condition, the .wasm import kept as
  // a CompiledWasm module), offline: a dry run writes the upload to dist/.
  execFileSync(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", "dist"], {
    cwd: pkg.dir,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  const out = join(pkg.dir, "dist");
  assert.ok(readdirSync(out).some((f) => f.endsWith("enlist_bg.wasm")), "the wasm is a separate module");
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(out, "worker.js"),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-01",
    cf: false,
  });
  t.after(() => mf.dispose());
  const response = await mf.dispatchFetch("http://localhost/");
  assert.equal(response.status, 200);
  check(await response.json());
});

test("node: require() from CommonJS", () => {
  writeFileSync(
    join(pkg.dir, "probe.cjs"),
    `const { validate, buildRequest, parseResponse, rules, providers } = require("enlist");
${PROBE}
process.stdout.write(JSON.stringify(result));`,
  );
  // This machine's Node.js is at least 20.19 (the package's engines), where
  // require() loads an ES module.
  const out = execFileSync(process.execPath, ["probe.cjs"], { cwd: pkg.dir, encoding: "utf8" });
  check(JSON.parse(out));
});

test("node: a server bundle (esbuild --platform=node) says where the wasm must be", () => {
  const esbuild = join(root, "node_modules/.bin/esbuild");
  writeFileSync(
    join(pkg.dir, "server.mjs"),
    'import { validate } from "enlist";\nprocess.stdout.write(String(validate("partoo", {}).errors.length));\n',
  );
  // .mjs and .cjs: the probe project's package.json says "type": "module".
  const bundle = (name, ...flags) => {
    mkdirSync(join(pkg.dir, name), { recursive: true });
    const out = join(pkg.dir, name, flags.includes("--format=cjs") ? "server.cjs" : "server.mjs");
    execFileSync(esbuild, ["server.mjs", "--bundle", "--platform=node", `--outfile=${out}`, "--log-level=error", ...flags], {
      cwd: pkg.dir,
    });
    return out;
  };
  const run = (file) => spawnSync(process.execPath, [file], { cwd: pkg.dir, encoding: "utf8" });

  // ESM: the wasm is looked for next to the bundle.
  const esm = bundle("esm", "--format=esm");
  let r = run(esm);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /enlist: cannot read its WebAssembly file, enlist_bg\.wasm, at .*esm\/enlist_bg\.wasm/);
  assert.match(r.stderr, /--external:enlist/);
  assert.match(r.stderr, /copy node_modules\/enlist\/enlist_bg\.wasm next to the bundle/);
  assert.match(r.stderr, /ENOENT/, "the file system error is the cause");
  // Either fix the message gives works.
  copyFileSync(join(pkg.dir, "node_modules/enlist/enlist_bg.wasm"), join(pkg.dir, "esm/enlist_bg.wasm"));
  r = run(esm);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "3");
  r = run(bundle("external", "--format=esm", "--external:enlist"));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "3");

  // CommonJS (esbuild's default for Node.js): no import.meta.url at all.
  r = run(bundle("cjs", "--format=cjs"));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /bundled as CommonJS \(no import\.meta\.url: bundle as ESM, --format=esm\)/);
  assert.match(r.stderr, /--external:enlist/);
});
