// Bulk onboarding (www/bulk.js) end to end: a CSV file → csvToRows +
// validateMany in the page → editable preview → rows sent through the Worker
// to the mock providers → results file.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { after, before, beforeEach, describe, test } from "node:test";
import * as enlist from "../../crates/enlist-wasm/pkg/node.js";
import { missing, openForm, startStack, until } from "./harness.mjs";
import { ROOT } from "../worker/serve.mjs";

const skip = missing();
let stack;

/** Splits CSV text into rows of cells (RFC 4180), for reading the results file. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(cell), (cell = "");
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

async function openBulk(provider) {
  const page = await openForm(stack, { hash: `#${provider}/bulk`, acceptDownloads: true });
  await page.locator(`section.bulk[data-provider="${provider}"]`).waitFor();
  return page;
}

async function importCsv(page, text, name = "users.csv") {
  await page.locator("section.bulk:visible input[type=file]").setInputFiles({ name, mimeType: "text/csv", buffer: Buffer.from(text) });
  await page.locator("section.bulk:visible table.grid tbody tr").first().waitFor();
}

const row = (page, line) => page.locator("table.grid tbody tr", { has: page.locator(`th:text-is("${line}")`) });
const cell = (page, line, column) => page.getByLabel(`Line ${line}, ${column}`, { exact: true });
const statusOf = async (page, line) => (await row(page, line).locator("td.st").textContent()).trim();

async function download(page, button) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: button }).click()]);
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), "utf8") };
}

const MIXED = [
  "email,first_name,last_name,role,lang,password",
  "ada@example.com,Ada,Lovelace,BUSINESS_MANAGER,en,Sup3r#secret",
  "bob@localhost,Bob,Builder,,,",
  "cy@example.com,Cy,,,pt-BR,",
  "dup@example.com,Dup,Licate,,,",
  "eve@example.com,Eve,Online,,fr,",
  "",
].join("\n");

describe("bulk onboarding", { skip: skip ?? false }, () => {
  before(async () => {
    stack = await startStack({ rateLimit: { limit: 1000, period: 60 } });
  });
  after(async () => {
    await stack?.close();
  });
  beforeEach(() => stack.up.reset());

  test("offers each provider's template from csvTemplate()", async () => {
    for (const id of enlist.providers()) {
      const page = await openBulk(id);
      const file = await download(page, new RegExp(`Download the ${enlist.rules(id).name} template`));
      assert.equal(file.name, `${id}-users-template.csv`);
      assert.equal(file.text, enlist.csvTemplate(id));
      await page.context().close();
    }
  });

  test("a mixed file: per-cell errors, live re-validation, sending, statuses and a results file", async () => {
    // A user that already exists at the provider.
    const res = await fetch(`${stack.up.url}/v2/user`, {
      method: "POST",
      headers: { "x-apikey": "e2e-partoo-key", "content-type": "application/json" },
      body: JSON.stringify({ email: "dup@example.com", first_name: "D", last_name: "L" }),
    });
    assert.equal(res.status, 200);
    stack.up.requests.length = 0;

    const page = await openBulk("partoo");
    await importCsv(page, MIXED);
    assert.match(await page.locator(".bulk-summary").textContent(), /5 rows: 3 ready, 2 with problems/);
    assert.equal(await statusOf(page, 2), "Ready");
    assert.match(await statusOf(page, 3), /^Invalid: 1 problem$/);
    assert.match(await statusOf(page, 4), /^Invalid: 2 problems$/);

    // Each issue sits on its cell, described by the core's message.
    const email3 = cell(page, 3, "email");
    assert.equal(await email3.getAttribute("aria-invalid"), "true");
    assert.match(await page.locator(`[id="${await email3.getAttribute("aria-describedby")}"]`).textContent(), /valid email/);
    const lang4 = cell(page, 4, "lang");
    assert.equal(await lang4.getAttribute("aria-invalid"), "true");
    assert.match(await page.locator(`[id="${await lang4.getAttribute("aria-describedby")}"]`).textContent(), /Did you mean "pt-br"/);
    assert.equal(await cell(page, 4, "last_name").getAttribute("aria-invalid"), "true");
    assert.equal(await cell(page, 4, "email").getAttribute("aria-invalid"), null);
    // Passwords are masked in the table.
    assert.equal(await cell(page, 2, "password").getAttribute("type"), "password");

    // Fixing a cell re-validates that row at once.
    await email3.fill("bob@example.com");
    await until(async () => (await statusOf(page, 3)) === "Ready", 3000, "row 3 ready");
    assert.equal(await cell(page, 3, "email").getAttribute("aria-invalid"), null);
    assert.match(await page.locator(".bulk-summary").textContent(), /4 ready, 1 with problems/);

    // Send the 4 valid rows.
    await page.getByRole("button", { name: "Send 4 valid rows" }).click();
    await until(async () => /Done:/.test(await page.locator(".progress-text").textContent()), 15000, "sending done");
    assert.match(await page.locator(".progress-text").textContent(), /3 created, 1 failed/);
    assert.equal(await page.locator("progress").evaluate((p) => p.value / p.max), 1);
    for (const line of [2, 3, 6]) assert.match(await statusOf(page, line), /^Created: [0-9a-f]{24}$/);
    assert.match(await statusOf(page, 5), /^Failed: .*already/i);
    assert.match(await statusOf(page, 4), /^Invalid/);
    assert.equal(stack.up.requests.length, 4);
    // Created rows are locked.
    assert.equal(await cell(page, 2, "email").getAttribute("readonly"), "");

    const results = await download(page, /Download results/);
    assert.equal(results.name, "partoo-users-results.csv");
    const rows = parseCsv(results.text);
    assert.deepEqual(rows[0], ["line", "status", "id", "message", "email", "first_name", "last_name", "role", "lang"]);
    const byLine = new Map(rows.slice(1).map((r) => [r[0], r]));
    assert.deepEqual([...byLine.keys()], ["2", "3", "4", "5", "6"]);
    assert.equal(byLine.get("2")[1], "created");
    assert.match(byLine.get("2")[2], /^[0-9a-f]{24}$/);
    assert.equal(byLine.get("3")[1], "created");
    assert.equal(byLine.get("3")[4], "bob@example.com");
    assert.equal(byLine.get("4")[1], "invalid");
    assert.match(byLine.get("4")[3], /last_name: .*required/i);
    assert.equal(byLine.get("5")[1], "failed");
    assert.equal(byLine.get("6")[1], "created");
    assert.equal(results.text.includes("Sup3r#secret"), false, "no password in the results file");
    assert.deepEqual(page.errors, []);
  });

  test("PandaDoc: nested columns, and issues no column owns", async () => {
    const page = await openBulk("pandadoc");
    await importCsv(
      page,
      [
        "user.email,license,workspaces.0.workspace_id,workspaces.0.role,workspaces.1.workspace_id,workspaces.1.role",
        "new@acme.com,Full,Ab123,Member,Cd456,Collaborator",
        "dup@acme.com,Guest,Ab123,Collaborator,Ab123,Member",
        "x@acme.com,Gold,,,,",
        "",
      ].join("\n"),
    );
    assert.equal(await statusOf(page, 2), "Ready");
    // The duplicate workspace is reported on its cell, the missing list in "Other problems".
    assert.equal(await cell(page, 3, "workspaces.1.workspace_id").getAttribute("aria-invalid"), "true");
    assert.equal(await cell(page, 4, "license").getAttribute("aria-invalid"), "true");
    assert.match(await row(page, 4).locator("td.other").textContent(), /\S/);
    // The provider's request options apply to every row sent.
    const [notifyUser] = enlist.rules("pandadoc").options;
    await page.locator("section.bulk:visible").getByLabel(notifyUser.description).selectOption("false");
    await page.getByRole("button", { name: "Send 1 valid row" }).click();
    await until(async () => /^Created/.test(await statusOf(page, 2)), 10000, "created");
    assert.deepEqual(stack.up.requests[0].query, { [notifyUser.query]: "false" });
    const body = JSON.parse(stack.up.requests[0].body);
    assert.deepEqual(body.workspaces, [
      { workspace_id: "Ab123", role: "Member" },
      { workspace_id: "Cd456", role: "Collaborator" },
    ]);
  });

  test("backs off on 429 (Retry-After) and retries failed rows with the same keys", async () => {
    const page = await openBulk("partoo");
    const keys = new Map();
    page.on("request", (r) => {
      if (!r.url().includes("/v1/")) return;
      const email = JSON.parse(r.postData()).email;
      keys.set(email, [...(keys.get(email) ?? []), r.headers()["idempotency-key"]]);
    });
    const lines = ["email,first_name,last_name"];
    for (let i = 0; i < 6; i++) lines.push(`u${i}@example.com,U${i},Test`);
    stack.up.script([{ status: 429, headers: { "Retry-After": "1" }, body: {} }, { status: 500, body: "down" }]);
    await importCsv(page, `${lines.join("\n")}\n`);
    const started = Date.now();
    await page.getByRole("button", { name: "Send 6 valid rows" }).click();
    await until(async () => /Done:/.test(await page.locator(".progress-text").textContent()), 20000, "done");
    // The 429 paused everyone for about a second.
    assert.ok(Date.now() - started >= 900, "honoured Retry-After");
    assert.match(await page.locator(".progress-text").textContent(), /5 created, 1 failed/);
    // The 429'd row was resent with its key.
    const resent = [...keys.values()].filter((ks) => ks.length === 2);
    assert.equal(resent.length, 1);
    assert.equal(resent[0][0], resent[0][1]);
    // Retry the failed row: same key again.
    const failedLine = await page.locator("table.grid tbody tr", { has: page.locator("td.st-failed") }).locator("th").textContent();
    const email = `u${Number(failedLine) - 2}@example.com`;
    const before = keys.get(email).slice();
    await page.getByRole("button", { name: "Retry failed rows" }).click();
    await until(async () => /^Created/.test(await statusOf(page, failedLine)), 10000, "retried row created");
    const after = keys.get(email);
    assert.equal(after.length, before.length + 1);
    assert.equal(after.at(-1), before[0]);
    assert.match(await page.locator(".progress-text").textContent(), /6 created, 0 failed/);
  });

  test("1,000 rows are read and validated in the page (benchmark, recorded)", async (t) => {
    const page = await openBulk("partoo");
    const roles = ["ORG_ADMIN", "ORG_MANAGER", "BUSINESS_MANAGER", "PUBLISHER"]; // validated, not sent
    const lines = ["email,first_name,last_name,role,business_ids,lang,send_invitation,password"];
    for (let i = 0; i < 1000; i++) {
      const bad = i % 4 === 3;
      lines.push(
        [
          bad ? `user${i}@localhost` : `user${i}@example.com`,
          `First${i}`,
          bad ? "" : `Last${i}`,
          roles[i % 4],
          i % 4 === 2 ? `b-${i};b-${i + 1}` : "",
          ["en", "fr", "de", bad ? "pt-BR" : "es"][i % 4],
          i % 2 ? "true" : "false",
          i % 2 ? "" : "Sup3r#secret",
        ].join(","),
      );
    }
    const csv = `${lines.join("\n")}\n`;
    const runs = [];
    for (let run = 0; run < 5; run++) {
      await page.evaluate(() => performance.clearMeasures());
      await importCsv(page, csv, `run${run}.csv`);
      await until(async () => /1,000 rows/.test(await page.locator(".bulk-summary").textContent()), 10000, "summary");
      await page.locator('table.grid[data-rendered="1000"]').waitFor({ state: "attached" });
      runs.push(
        await page.evaluate(() => {
          const get = (n) => performance.getEntriesByName(n, "measure").at(-1)?.duration;
          return {
            read: get("enlist:csv-read"),
            validate: get("enlist:validate-many"),
            render: get("enlist:render"),
            renderAll: get("enlist:render-all"),
          };
        }),
      );
      // Re-select the same input for the next run.
      await page.locator("section.bulk:visible input[type=file]").setInputFiles([]);
    }
    assert.match(await page.locator(".bulk-summary").textContent(), /1,000 rows: 750 ready, 250 with problems/);
    assert.equal(await page.locator("table.grid tbody tr").count(), 1000);
    const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const result = {
      rows: 1000,
      bytes: csv.length,
      readMs: median(runs.map((r) => r.read)),
      validateMs: median(runs.map((r) => r.validate)),
      renderMs: median(runs.map((r) => r.render)),
      renderAllMs: median(runs.map((r) => r.renderAll)),
      runs,
    };
    result.readAndValidateMs = median(runs.map((r) => r.read + r.validate));
    t.diagnostic(
      `1,000 rows (${csv.length} bytes CSV): csvToRows ${result.readMs.toFixed(1)} ms + validateMany ${result.validateMs.toFixed(1)} ms ` +
        `(median of 5: ${result.readAndValidateMs.toFixed(1)} ms read+validate; first, cold run ` +
        `${(runs[0].read + runs[0].validate).toFixed(1)} ms); first ${100} rows shown after ` +
        `${result.renderMs.toFixed(1)} ms, all 1,000 after ${result.renderAllMs.toFixed(1)} ms`,
    );
    mkdirSync(`${ROOT}tests/.tmp`, { recursive: true });
    writeFileSync(`${ROOT}tests/.tmp/form-bulk-bench.json`, `${JSON.stringify(result, null, 2)}\n`);
  });
});
