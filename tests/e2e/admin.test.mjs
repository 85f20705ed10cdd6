// The form against a Worker in admin mode (CLIENT_TOKENS set): the page asks
// for a client token, sends it as a bearer token, and a wrong or missing
// token lands on the token field with nothing created.
// Run by `cargo xtask test` (step `node --test tests/e2e`).
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { axe, field, missing, openForm, partooCreates, startStack, tokenField, until } from "./harness.mjs";

const TOKEN = "e2e-admin-token-7f3a";
const skip = missing();
let stack;

describe("the form in admin mode", { skip: skip ?? false }, () => {
  before(async () => {
    stack = await startStack({ rateLimit: { limit: 1000, period: 60 }, bindings: { CLIENT_TOKENS: `other-token,${TOKEN}` } });
  });
  after(async () => {
    await stack?.close();
  });
  beforeEach(() => stack.up.reset());

  const creates = () => partooCreates(stack);
  const status = (page) => page.locator("form.user-form:visible .status");

  async function fill(page) {
    await field(page, "Email").fill("grace@example.com");
    await field(page, "First name").fill("Grace");
    await field(page, "Last name").fill("Hopper");
    // Admin mode: the default policy allows an org admin.
    await field(page, "Role").selectOption("ORG_ADMIN");
    await field(page, "Language").selectOption("en");
    await field(page, "Password").fill("Sup3r#secret");
  }

  test("shows the token field, refuses without a valid token, creates with it", async () => {
    const page = await openForm(stack);
    await tokenField(page).waitFor({ state: "visible" });
    assert.equal(await tokenField(page).getAttribute("type"), "password");
    await fill(page);

    // No token: the Worker answers 401; the page sends nothing upstream and
    // points at the token field.
    await page.locator("form.user-form:visible button[type=submit]").click();
    await until(async () => /client token/.test(await status(page).innerText()), 10_000, "401 message");
    assert.equal(await tokenField(page).getAttribute("aria-invalid"), "true");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "client-token");
    assert.equal(creates().length, 0);

    // A wrong token: the same.
    await tokenField(page).fill("not-the-token");
    assert.equal(await tokenField(page).getAttribute("aria-invalid"), null, "typing clears the error");
    await page.locator("form.user-form:visible button[type=submit]").click();
    await until(async () => (await tokenField(page).getAttribute("aria-invalid")) === "true", 10_000, "second 401");
    assert.match(await page.locator("#client-token-msgs").innerText(), /not accepted/);
    assert.equal(creates().length, 0);

    // The right token: created, once, and the token went only to the Worker.
    await tokenField(page).fill(TOKEN);
    await page.locator("form.user-form:visible button[type=submit]").click();
    await until(async () => (await page.locator(".created-id").count()) === 1, 10_000, "created");
    assert.equal(creates().length, 1);
    const [sent] = creates();
    assert.ok(!JSON.stringify(sent).includes(TOKEN), "the client token is not forwarded upstream");
    assert.deepEqual(page.errors, []);
  });

  test("a token with a space is refused in the page, before any call", async () => {
    const page = await openForm(stack);
    await fill(page);
    await tokenField(page).fill("two words");
    await page.locator("form.user-form:visible button[type=submit]").click();
    await until(async () => (await tokenField(page).getAttribute("aria-invalid")) === "true", 10_000, "refused");
    assert.match(await page.locator("#client-token-msgs").innerText(), /one word/);
    assert.equal(stack.up.requests.length, 0);
  });

  test("axe: no serious or critical violations with the token field in error", async () => {
    const page = await openForm(stack);
    await tokenField(page).waitFor({ state: "visible" });
    await fill(page);
    await page.locator("form.user-form:visible button[type=submit]").click();
    await until(async () => (await tokenField(page).getAttribute("aria-invalid")) === "true", 10_000, "401");
    const bad = (await axe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.help}`), []);
  });
});
