// The bulk tab in admin mode (CLIENT_TOKENS set): a CSV file becomes one
// import job on the server (through the package's createImport), whose
// progress the page shows; the job's id is in the URL, so a reload (which
// forgets the token) asks for the token again, then shows the same job to
// its end; the results download from the server. In public mode the bulk tab
// sends rows one by one as before (tests/e2e/bulk.test.mjs).
// Run by `cargo xtask test` (step `node --test tests/e2e`).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, beforeEach, describe, test } from "node:test";
import * as enlist from "../../crates/enlist-wasm/pkg/node.js";
import { axe, missing, openForm, partooCreates, startStack, tokenField, until } from "./harness.mjs";

const TOKEN = "e2e-imports-token-5c1d";
const PASSWORD = "Zebra-Quartz-7!";
const skip = missing();
let stack;

describe("import jobs from the form (admin mode)", { skip: skip ?? false }, () => {
  before(async () => {
    stack = await startStack({
      rateLimit: { limit: 1000, period: 60 },
      // A slow pace, so that the job is still running when the page reloads.
      bindings: { CLIENT_TOKENS: TOKEN, PARTOO_RATE_PER_MINUTE: "40", PANDADOC_RATE_PER_MINUTE: "0" },
    });
  });
  after(async () => {
    await stack?.close();
  });
  beforeEach(() => stack.up.reset());

  const creates = () => partooCreates(stack);
  const live = (page) => page.locator("section.job .job-status");

  test("starts a job from a CSV file, survives a reload, finishes and downloads its results", async () => {
    const page = await openForm(stack, { hash: "#partoo/bulk", acceptDownloads: true });
    await page.locator('section.bulk[data-provider="partoo"]').waitFor();
    await tokenField(page).waitFor({ state: "visible" });
    await tokenField(page).fill(TOKEN);
    const csv = [
      "email,first_name,last_name,password",
      ...[1, 2, 3, 4].map((i) => `form-job-${i}@example.com,Ada,Row${i},${PASSWORD}`),
      "not-an-email,Bob,,",
    ].join("\n");
    await page.locator("section.bulk:visible input[type=file]").setInputFiles({ name: "u.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.locator("table.grid tbody tr").nth(4).waitFor();
    await page.getByRole("button", { name: "Start an import job (4 valid rows)" }).click();

    // The job view, with the job's id in the URL.
    await page.locator("section.job").waitFor();
    await until(async () => /#partoo\/bulk\/import=partoo-[0-9a-f]{32}$/.test(page.url()), 10_000, "job id in the URL");
    const id = decodeURIComponent(page.url().split("import=")[1]);
    assert.equal(await page.locator("section.job").getAttribute("data-job"), id);
    await until(async () => /of 5 rows done/.test(await live(page).innerText()), 10_000, "progress");
    assert.equal(await live(page).getAttribute("role"), "status");
    const violations = await axe(page);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));

    // A reload forgets the token: the page asks for it, then shows the same job.
    await page.reload();
    await page.locator("section.job").waitFor();
    await until(async () => (await tokenField(page).getAttribute("aria-invalid")) === "true", 10_000, "token asked for");
    assert.match(await page.locator("#client-token-msgs").innerText(), /client token/);
    await tokenField(page).fill(TOKEN);
    await page.getByRole("button", { name: "Show the job" }).click();
    await until(async () => /^Done: 5 of 5 rows done — 4 created, 1 invalid\./.test(await live(page).innerText()), 60_000, "the job to finish");
    assert.equal(await page.locator("section.job").getAttribute("data-job"), id);
    assert.equal(creates().length, 4, "each valid row created once");

    // The per-row table: every row with its outcome.
    await until(async () => (await page.locator("table.job-rows tbody tr").count()) === 5, 10_000, "rows");
    const statuses = await page.locator("table.job-rows tbody td.st").allInnerTexts();
    assert.deepEqual(statuses, ["Created", "Created", "Created", "Created", "Invalid"]);
    assert.match(await page.locator("table.job-rows tbody tr").nth(4).innerText(), /\/email/);
    assert.deepEqual(await axe(page), []);

    // The results, from the server: the input's columns (password blank), then status, id, errors.
    const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download results (CSV)" }).click()]);
    assert.equal(file.suggestedFilename(), `partoo-import-${id}-results.csv`);
    const text = readFileSync(await file.path(), "utf8");
    const lines = text.trim().split(/\r?\n/);
    assert.equal(lines[0], "email,first_name,last_name,password,status,id,errors");
    assert.equal(lines.length, 6);
    assert.equal(lines.filter((l) => l.includes(",created,")).length, 4);
    assert.ok(!text.includes(PASSWORD), "no password in the results");

    // Another import: the view closes and the URL forgets the job.
    await page.getByRole("button", { name: "Start another import" }).click();
    await until(async () => page.url().endsWith("#partoo/bulk"), 5000, "job gone from the URL");
    assert.deepEqual(page.errors, []);
  });

  test("pause, resume and cancel from the page", async () => {
    const page = await openForm(stack, { hash: "#partoo/bulk" });
    await tokenField(page).waitFor({ state: "visible" });
    await tokenField(page).fill(TOKEN);
    const csv = ["email,first_name,last_name", ...Array.from({ length: 20 }, (_, i) => `steer-${i}@example.com,Ada,Row${i}`)].join("\n");
    await page.locator("section.bulk:visible input[type=file]").setInputFiles({ name: "u.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByRole("button", { name: "Start an import job (20 valid rows)" }).click();
    await page.getByRole("button", { name: "Pause" }).click();
    await until(async () => /^Paused \(paused on request\)/.test(await live(page).innerText()), 10_000, "paused");
    await page.getByRole("button", { name: "Resume" }).click();
    await until(async () => /^(Running|Queued)/.test(await live(page).innerText()), 10_000, "resumed");
    await page.getByRole("button", { name: "Cancel the job" }).click();
    await until(async () => /^Cancelled/.test(await live(page).innerText()), 10_000, "cancelled");
    assert.ok(creates().length < 20, "the cancelled job left rows unsent");
    assert.deepEqual(page.errors, []);
  });

  test("the provider's options, as chosen on the page, go with every row of the job", async () => {
    const page = await openForm(stack, { hash: "#pandadoc/bulk" });
    await tokenField(page).waitFor({ state: "visible" });
    await tokenField(page).fill(TOKEN);
    const csv = [
      "user.email,license,workspaces.0.workspace_id,workspaces.0.role",
      ...[1, 2].map((i) => `notify-${i}@example.com,Full,Ab123,Member`),
    ].join("\n");
    await page.locator("section.bulk:visible input[type=file]").setInputFiles({ name: "u.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    const [notifyUser] = enlist.rules("pandadoc").options;
    await page.locator("section.bulk:visible").getByLabel(notifyUser.description).selectOption("true");
    await page.getByRole("button", { name: "Start an import job (2 valid rows)" }).click();
    await until(async () => /^Done: 2 of 2 rows done — 2 created\./.test(await live(page).innerText()), 30_000, "the job to finish");
    const calls = stack.up.requests.filter((r) => r.method === "POST" && r.path === "/public/v1/users");
    assert.deepEqual(
      calls.map((r) => r.query),
      [{ [notifyUser.query]: "true" }, { [notifyUser.query]: "true" }],
    );
    assert.deepEqual(page.errors, []);
  });
});
