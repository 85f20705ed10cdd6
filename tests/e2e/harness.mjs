// End-to-end harness for the form (www/): the built Worker in Miniflare
// (tests/worker/serve.mjs) serving www/ and /v1/*, the mock providers
// (tests/mocks/upstream.mjs), and Debian's Chromium driven by playwright-core.
// Everything listens on 127.0.0.1 on free ports and is stopped by close().

import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { startUpstream } from "../mocks/upstream.mjs";
import { ROOT, startWorker } from "../worker/serve.mjs";

/** Debian's Chromium (`npx playwright install` cannot download one here). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Flags from the project's toolchain notes. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const KEYS = { partoo: "e2e-partoo-key", pandadoc: "e2e-pandadoc-key" };

/** Why the stack cannot start (missing build outputs), or null. */
export function missing() {
  for (const f of ["build/www/index.html", "build/index.js"]) {
    if (!existsSync(`${ROOT}${f}`)) return `${f} is missing: run \`cargo xtask build\` first`;
  }
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium)`;
  return null;
}

/**
 * Starts mock providers, the Worker and Chromium.
 * @param {{ rateLimit?: { limit?: number, period?: 10 | 60 }, bindings?: Record<string, string> }} [options]
 *   `bindings`: more vars and secrets for the Worker (e.g. `CLIENT_TOKENS`).
 */
export async function startStack({ rateLimit, bindings = {} } = {}) {
  const why = missing();
  if (why) throw new Error(why);
  const up = await startUpstream({ partooKey: KEYS.partoo, pandadocKey: KEYS.pandadoc });
  let worker;
  let browser;
  try {
    worker = await startWorker({
      bindings: { PARTOO_API_KEY: KEYS.partoo, PANDADOC_API_KEY: KEYS.pandadoc, ...bindings },
      upstreams: { partoo: up.url, pandadoc: up.url },
      rateLimit,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  } catch (err) {
    await worker?.dispose().catch(() => {});
    await up.close();
    throw err;
  }
  return {
    up,
    worker,
    browser,
    url: worker.url,
    async close() {
      await browser.close().catch(() => {});
      await worker.dispose().catch(() => {});
      await up.close();
    },
  };
}

/**
 * Opens the form in a fresh context and waits until it is rendered. Page
 * errors are collected in `page.errors` (tests assert there are none).
 */
export async function openForm(stack, { hash = "", viewport = { width: 1280, height: 900 }, colorScheme = "light", acceptDownloads = false } = {}) {
  const context = await stack.browser.newContext({ viewport, colorScheme, acceptDownloads, reducedMotion: "reduce" });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => {
    // Chromium logs every HTTP error status; the tests check those themselves.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) page.errors.push(m.text());
  });
  await page.goto(`${stack.url}/${hash}`);
  await page.waitForSelector("form.user-form", { state: "attached" });
  return page;
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The calls that created a Partoo user at the stack's mock upstream. */
export const partooCreates = (stack) => stack.up.requests.filter((r) => r.method === "POST" && r.path.endsWith("/user"));

/** The admin mode's client token field. */
export const tokenField = (page) => page.getByLabel("Client token");

/** The control labelled `label` (a required field's " *" allowed) in the visible form. */
export const field = (page, label, within = "form.user-form:visible") =>
  page.locator(within).getByLabel(new RegExp(`^\\s*${escapeRe(label)}(\\s*\\*)?\\s*$`));

/** Runs axe-core in the page; returns violations of impact serious or critical. */
export async function axe(page) {
  const has = await page.evaluate(() => typeof window.axe !== "undefined");
  if (!has) await page.addScriptTag({ path: `${ROOT}node_modules/axe-core/axe.min.js` });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
}

/** Waits until `fn()` is true (polling), or throws after `ms`. */
export async function until(fn, ms = 5000, what = "condition") {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
