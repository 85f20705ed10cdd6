// The form renders every provider a build registers from its rules, the
// core's test providers included: www/'s own modules (unbundled, as the
// page is without a build step but the vendoring) over the npm test
// package's client entry (`cargo xtask build npm-test`, which `cargo xtask
// test` runs first: target/enlist-wasm-test-pkg/, built with the core's test
// providers), served on 127.0.0.1 and opened in Chromium. No test here names
// a provider. Run by `cargo xtask test` (step `node --test tests/e2e`).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, field } from "./harness.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const PKG = join(ROOT, "target/enlist-wasm-test-pkg");
const WWW = join(ROOT, "www");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };

const skip = !existsSync(CHROMIUM) ? `${CHROMIUM} is missing (apt-get install chromium)` : false;

/** The file a path of the page maps to: the test package under vendor/enlist/, www/ otherwise. */
function fileFor(pathname) {
  const rel = normalize(decodeURIComponent(pathname)).replace(/^\/+/, "");
  if (rel.startsWith("..")) return undefined;
  if (rel.startsWith("vendor/enlist/")) {
    const name = rel.slice("vendor/enlist/".length);
    return join(PKG, name === "index.js" ? "client.js" : name);
  }
  return join(WWW, rel === "" ? "index.html" : rel);
}

describe("the form over the test package", { skip }, () => {
  let server;
  let url;
  let browser;
  let enlist;

  before(async () => {
    assert.ok(existsSync(join(PKG, "client.js")), `${PKG} is missing: run \`cargo xtask build npm-test\` (cargo xtask test does)`);
    enlist = await import(pathToFileURL(join(PKG, "node.js")).href);
    server = createServer((req, res) => {
      const file = fileFor(new URL(req.url, "http://x").pathname);
      if (!file || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(readFileSync(file));
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${server.address().port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });
  after(async () => {
    await browser?.close().catch(() => {});
    await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  });

  test("offers every registered provider and renders each one's fields from rules()", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: "reduce" });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector("form.user-form", { state: "attached" });

    const ids = enlist.providers();
    assert.ok(ids.length >= 3, "the test package registers the core's test providers");
    assert.deepEqual(await page.getByRole("radio").evaluateAll((rs) => rs.map((r) => r.value)), ids);
    for (const id of ids) {
      const r = enlist.rules(id);
      await page.getByRole("radio", { name: r.name }).check();
      const scope = `form.user-form[data-provider="${id}"]`;
      await page.locator(scope).waitFor();
      for (const f of r.fields) {
        if (f.onlyWhen) continue;
        if (f.type === "object" || f.type === "array") {
          const legend = page.locator(scope).locator("legend", { hasText: f.label }).first();
          assert.equal(await legend.isVisible(), true, `${id}: group ${f.label}`);
          continue;
        }
        const control = field(page, f.label, scope).first();
        assert.equal(await control.isVisible(), true, `${id}: ${f.label}`);
        if (f.type === "enum") {
          const values = await control.locator("option").evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
          assert.deepEqual(values, f.values, `${id}: ${f.label} options`);
        }
      }
      // Never a field for an API key.
      assert.equal(await page.locator(scope).getByLabel(/api.?key/i).count(), 0, id);
    }
    assert.deepEqual(errors, []);
    await context.close();
  });
});
