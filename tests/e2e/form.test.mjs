// The one-user form (www/) end to end: Chromium → the Worker (Miniflare) →
// the mock providers. Run by `cargo xtask test` (step `node --test tests/e2e`).
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import * as enlist from "../../crates/enlist-wasm/pkg/node.js";
import { field, missing, openForm, startStack, until } from "./harness.mjs";

const skip = missing();
let stack;

describe("the one-user form", { skip: skip ?? false }, () => {
  before(async () => {
    // A large budget: these tests are not about the Worker's own rate limit.
    stack = await startStack({ rateLimit: { limit: 1000, period: 60 } });
  });
  after(async () => {
    await stack?.close();
  });
  beforeEach(() => stack.up.reset());

  /** The provider calls the mock received for one provider. */
  const calls = (path) => stack.up.requests.filter((r) => r.path.endsWith(path));

  const submit = (page) => page.locator("form.user-form:visible button[type=submit]");
  const status = (page) => page.locator("form.user-form:visible .status");

  async function fillPartoo(page, { email = "ada@example.com", password = "Sup3r#secret" } = {}) {
    await field(page, "Email").fill(email);
    await field(page, "First name").fill("Ada");
    await field(page, "Last name").fill("Lovelace");
    // The Worker runs in public mode here: its built-in policy allows only
    // business managers, and no business ids (see the policy test below).
    await field(page, "Role").selectOption("BUSINESS_MANAGER");
    await field(page, "Language").selectOption("en");
    await field(page, "Password").fill(password);
  }

  test("renders every field of every provider from rules(), and only those", async () => {
    const page = await openForm(stack);
    const ids = enlist.providers();
    const radios = page.getByRole("radio");
    assert.deepEqual(await radios.evaluateAll((rs) => rs.map((r) => r.value)), ids);
    for (const id of ids) {
      const r = enlist.rules(id);
      await page.getByRole("radio", { name: r.name }).check();
      const form = page.locator(`form.user-form[data-provider="${id}"]`);
      await form.waitFor();
      // (Fields shown only under a condition: next test.)
      const visit = async (fields, scope) => {
        for (const f of fields) {
          if (f.onlyWhen) continue;
          if (f.type === "object" || (f.type === "array" && (f.items.type === "enum" || f.items.type === "object"))) {
            const legend = scope.locator("legend", { hasText: f.label }).first();
            assert.equal(await legend.isVisible(), true, `${id}: group ${f.label}`);
            if (f.type === "array" && f.items.type === "enum") {
              const boxes = legend.locator("xpath=..").getByRole("checkbox");
              assert.deepEqual(await boxes.evaluateAll((bs) => bs.map((b) => b.value)), f.items.values, `${id}: ${f.label} boxes`);
            }
            if (f.type === "object") await visit(f.fields, scope);
            if (f.type === "array" && f.items.type === "object") await visit(f.items.fields, scope);
            continue;
          }
          const control = field(page, f.label, `form.user-form[data-provider="${id}"]`).first();
          assert.equal(await control.isVisible(), true, `${id}: ${f.label}`);
          if (f.type === "enum") {
            const values = await control.locator("option").evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
            assert.deepEqual(values, f.values, `${id}: ${f.label} options`);
          }
        }
      };
      await visit(r.fields, form);
      // Never a field for an API key.
      assert.equal(await form.getByLabel(/api.?key/i).count(), 0);
      assert.equal(await form.locator("[name*=key i]").count(), 0);
    }
    assert.deepEqual(page.errors, []);
  });

  test("fields that apply only under a condition appear only then", async () => {
    const page = await openForm(stack);
    const rules = enlist.rules("partoo");
    const conditional = rules.fields.filter((f) => f.onlyWhen);
    assert.ok(conditional.length >= 2);
    for (const f of conditional) assert.equal(await field(page, f.label).isVisible(), false, f.label);
    for (const f of conditional) {
      const trigger = rules.fields.find((x) => x.name === f.onlyWhen.field);
      await field(page, trigger.label).selectOption(String(f.onlyWhen.equals));
      for (const g of conditional) {
        assert.equal(await field(page, g.label).isVisible(), g === f, `${g.label} when ${f.onlyWhen.field}=${f.onlyWhen.equals}`);
      }
    }
  });

  test("creates a valid Partoo user through the Worker", async () => {
    const page = await openForm(stack);
    await fillPartoo(page);
    await submit(page).click();
    await page.locator(".created-id").waitFor();
    const id = await page.locator(".created-id").textContent();
    const sent = calls("/user");
    assert.equal(sent.length, 1);
    assert.deepEqual(JSON.parse(sent[0].body), {
      email: "ada@example.com",
      first_name: "Ada",
      last_name: "Lovelace",
      role: "BUSINESS_MANAGER",
      lang: "en",
      password: "Sup3r#secret",
    });
    assert.equal(sent[0].headers["x-apikey"], "e2e-partoo-key");
    assert.match(id, /^[0-9a-f]{24}$/);
    // The page never sees the key.
    assert.equal((await page.content()).includes("e2e-partoo-key"), false);
    assert.deepEqual(page.errors, []);
  });

  test("creates a valid PandaDoc user with two workspaces", async () => {
    const page = await openForm(stack, { hash: "#pandadoc" });
    await page.locator('form.user-form[data-provider="pandadoc"]').waitFor();
    await field(page, "Email").fill("new@acme.com");
    await field(page, "Phone number").fill("+14842634627");
    await field(page, "License").selectOption("Full");
    await field(page, "Workspace id").fill("Ab123");
    await field(page, "Role").selectOption("Member");
    await page.getByRole("button", { name: /Add another/ }).click();
    // The new entry's first field has focus.
    assert.equal(await page.evaluate(() => document.activeElement.name), "workspace_id");
    await page.keyboard.type("Cd456");
    await field(page, "Role").nth(1).selectOption("Collaborator");
    // The provider's request options (query flags), from rules().options.
    const [notifyUser, notifyAdmins] = enlist.rules("pandadoc").options;
    await page.locator("form.user-form:visible").getByLabel(notifyUser.description).selectOption("true");
    await page.locator("form.user-form:visible").getByLabel(notifyAdmins.description).selectOption("false");
    await submit(page).click();
    await page.locator(".created-id").waitFor();
    const sent = calls("/public/v1/users");
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0].query, { [notifyUser.query]: "true", [notifyAdmins.query]: "false" });
    assert.deepEqual(JSON.parse(sent[0].body), {
      user: { email: "new@acme.com", phone_number: "+14842634627" },
      license: "Full",
      workspaces: [
        { workspace_id: "Ab123", role: "Member" },
        { workspace_id: "Cd456", role: "Collaborator" },
      ],
    });
    assert.match(await page.locator(".created-id").textContent(), /^[2-9A-Za-z]{22}$/);
    // Left at the provider's default, an option is not sent at all.
    await page.getByRole("button", { name: "Create another user" }).click();
    await field(page, "Email").fill("other@acme.com");
    await field(page, "License").selectOption("Full");
    await field(page, "Workspace id").fill("Ab123");
    await field(page, "Role").selectOption("Member");
    await submit(page).click();
    await until(async () => calls("/public/v1/users").length === 2, 10_000, "second create");
    assert.deepEqual(calls("/public/v1/users")[1].query, {});
    assert.deepEqual(page.errors, []);
  });

  test("shows the core's messages next to the fields as you type, with a password checklist", async () => {
    const page = await openForm(stack);
    const email = field(page, "Email");
    await email.fill("ada@localhost");
    await email.blur();
    const describedBy = async (el) => {
      const ids = ((await el.getAttribute("aria-describedby")) ?? "").split(" ").filter(Boolean);
      return (await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()))).join(" | ");
    };
    await until(async () => (await email.getAttribute("aria-invalid")) === "true", 2000, "email marked invalid");
    const expected = enlist.validate("partoo", { email: "ada@localhost" }).errors.find((i) => i.path === "/email");
    assert.ok((await describedBy(email)).includes(expected.message));
    // Untouched fields show nothing yet.
    assert.equal(await field(page, "Last name").getAttribute("aria-invalid"), null);

    // Password: the checklist follows the codes the core returns; the value
    // is never echoed into the page.
    const password = field(page, "Password");
    await password.pressSequentially("abc", { delay: 20 });
    const items = page.locator(".checklist li");
    await until(async () => (await items.evaluateAll((ls) => ls.map((l) => l.className))).join() === "miss,miss,done,miss", 2000, "checklist");
    await password.fill("abcdefgH!");
    await until(async () => (await items.evaluateAll((ls) => ls.map((l) => l.className))).join() === "done,done,done,done", 2000, "checklist done");
    assert.equal((await page.content()).includes("abcdefgH!"), false);

    // Warnings are shown as warnings: a deprecated field, a password that the
    // provider ignores when an invitation is sent.
    await page.getByRole("checkbox", { name: "posts" }).check();
    await field(page, "Send invitation").check();
    await until(async () => (await page.locator(".warn").count()) === 2, 2000, "two warnings");
    const warnings = await page.locator(".warn").allTextContents();
    assert.ok(warnings.some((w) => /deprecated/i.test(w)));
    assert.ok(warnings.some((w) => /ignores/i.test(w)));

    // Submit: every error shows, focus moves to the first one, nothing is sent.
    await submit(page).click();
    assert.equal(await page.evaluate(() => document.activeElement.name), "email");
    assert.equal(await field(page, "Last name").getAttribute("aria-invalid"), "true");
    assert.match(await describedBy(field(page, "Last name")), /required/i);
    assert.equal(stack.up.requests.length, 0);
    assert.deepEqual(page.errors, []);
  });

  test("a missing required choice (enum) is reported on its select", async () => {
    const page = await openForm(stack, { hash: "#pandadoc" });
    await page.locator('form.user-form[data-provider="pandadoc"]').waitFor();
    await field(page, "Email").fill("new@acme.com");
    await field(page, "Workspace id").fill("Ab123");
    await submit(page).click();
    const license = field(page, "License");
    assert.equal(await license.getAttribute("aria-invalid"), "true");
    assert.equal(await page.evaluate(() => document.activeElement.name), "license");
    assert.equal(await field(page, "Role").getAttribute("aria-invalid"), "true");
    assert.equal(stack.up.requests.length, 0);
  });

  test("the provider's field errors (422 from the Worker) land on their fields", async () => {
    const page = await openForm(stack);
    await fillPartoo(page);
    // Rules only the provider knows: its 400 becomes the Worker's 422 with
    // issues at the payload's paths.
    stack.up.script({
      status: 400,
      body: { errors: { json: { first_name: ["Shorter than minimum length 3."], lang: ["Language not enabled for this organization."] } } },
    });
    await submit(page).click();
    await until(async () => (await field(page, "First name").getAttribute("aria-invalid")) === "true", 5000, "server error on first name");
    assert.equal(await page.evaluate(() => document.activeElement.name), "first_name");
    assert.equal(await field(page, "Language").getAttribute("aria-invalid"), "true");
    assert.equal(await field(page, "Email").getAttribute("aria-invalid"), null);
    const text = await page.locator("form.user-form:visible").textContent();
    // The Worker words provider errors itself (it never relays upstream text).
    assert.match(text, /The provider finds this value too short/);
    assert.equal(await page.locator(".created-id").count(), 0);

    // An existing user: the Worker's already_exists problem, on the email.
    stack.up.script({ status: 400, body: { errors: { json: { email: ["This email is already used."] } } } });
    await field(page, "First name").fill("Adaline");
    await submit(page).click();
    await until(async () => (await field(page, "Email").getAttribute("aria-invalid")) === "true", 5000, "already exists on email");
    assert.match(await status(page).textContent(), /already exists/i);
    assert.equal(await field(page, "First name").getAttribute("aria-invalid"), null);
  });

  test("the Worker's policy refusals (403 with errors) land on their fields", async () => {
    const page = await openForm(stack);
    await fillPartoo(page);
    await field(page, "Business ids").fill("b-101\nb-102\n");
    await submit(page).click();
    const ids = field(page, "Business ids");
    await until(async () => (await ids.getAttribute("aria-invalid")) === "true", 5000, "policy error on business ids");
    assert.equal(await page.evaluate(() => document.activeElement.name), "business_ids");
    assert.match(await page.locator("form.user-form:visible .summary").textContent(), /This service refused/);
    assert.equal(stack.up.requests.length, 0);
  });

  test("429 shows a countdown from Retry-After, then allows a retry", async () => {
    const page = await openForm(stack);
    await fillPartoo(page);
    stack.up.script({ status: 429, headers: { "Retry-After": "3" }, body: { errors: { json: {} } } });
    await submit(page).click();
    const countdown = page.locator(".countdown");
    await countdown.waitFor();
    const first = Number(await countdown.textContent());
    assert.ok(first >= 2 && first <= 3, `countdown starts at ${first}`);
    assert.equal(await submit(page).isDisabled(), true);
    await until(async () => Number(await countdown.textContent()) < first, 2500, "countdown ticks");
    await until(async () => !(await submit(page).isDisabled()), 5000, "button enabled again");
    assert.match(await status(page).textContent(), /send again now/i);
    await submit(page).click();
    await page.locator(".created-id").waitFor();
  });

  test("a double click creates one account; a retry after success gets the same one", async () => {
    const page = await openForm(stack);
    await fillPartoo(page);
    const keys = [];
    page.on("request", (r) => r.url().includes("/v1/") && keys.push(r.headers()["idempotency-key"]));
    stack.up.script({ delayMs: 300 });
    await submit(page).dblclick();
    await page.locator(".created-id").waitFor();
    const id = await page.locator(".created-id").textContent();
    assert.equal(calls("/user").length, 1);
    assert.equal(keys.length, 1);
    // Same form, sent again: same key, so the Worker answers with the same user.
    await submit(page).click();
    await until(async () => keys.length === 2, 5000, "second request");
    await until(async () => (await page.locator(".created-id").textContent()) === id, 5000, "same id");
    assert.equal(keys[1], keys[0]);
    assert.equal(calls("/user").length, 1);
  });

  test("502/503/504 show a clear retry message; the retry reuses the key", async () => {
    const page = await openForm(stack);
    await fillPartoo(page);
    const keys = [];
    page.on("request", (r) => r.url().includes("/v1/") && keys.push(r.headers()["idempotency-key"]));
    stack.up.script({ status: 500, body: "<html>oops</html>" });
    await submit(page).click();
    await until(async () => /did not answer properly/i.test(await status(page).textContent()), 5000, "retry message");
    assert.match(await status(page).textContent(), /5\d\d/);
    await submit(page).click();
    await page.locator(".created-id").waitFor();
    assert.equal(keys.length, 2);
    assert.equal(keys[0], keys[1]);
  });

  test("offline is detected and nothing is sent", async () => {
    const page = await openForm(stack);
    await fillPartoo(page);
    await page.context().setOffline(true);
    await page.locator("#offline").waitFor();
    await submit(page).click();
    assert.match(await status(page).textContent(), /offline/i);
    assert.equal(stack.up.requests.length, 0);
    await page.context().setOffline(false);
    await page.locator("#offline").waitFor({ state: "hidden" });
    await submit(page).click();
    await page.locator(".created-id").waitFor();
  });

  test("works with the keyboard alone, with a visible focus", async () => {
    const page = await openForm(stack);
    await page.keyboard.press("Tab"); // theme toggle
    await page.keyboard.press("Tab"); // provider radio
    assert.equal(await page.evaluate(() => document.activeElement.name), "provider");
    await page.keyboard.press("ArrowRight");
    await page.locator('form.user-form[data-provider="pandadoc"]').waitFor();
    assert.match(page.url(), /#pandadoc$/);
    await page.keyboard.press("Tab"); // the selected tab
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("role")), "tab");
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "Bulk import (CSV)");
    assert.equal(await page.locator("#panel-bulk").isVisible(), true);
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.press("Tab"); // into the form
    await page.keyboard.press("Tab");
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, "none");
    // Enter in a text field submits; focus lands on the first error.
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-invalid")), "true");
  });

  test("fits a 360 px wide screen without horizontal scrolling", async () => {
    for (const hash of ["", "#pandadoc", "#partoo/bulk"]) {
      const page = await openForm(stack, { hash, viewport: { width: 360, height: 740 } });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `${hash || "#partoo"}: page is ${width} px wide`);
      await page.context().close();
    }
  });

  test("light and dark themes: prefers-color-scheme, then the toggle", async () => {
    const page = await openForm(stack, { colorScheme: "dark" });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
    const toggle = page.getByRole("button", { name: /Dark theme/ });
    assert.equal(await toggle.getAttribute("aria-pressed"), "true");
    await toggle.click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "light");
    await page.reload();
    await page.waitForSelector("form.user-form", { state: "attached" });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "light");
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, "rgb(244, 246, 248)");
  });
});
