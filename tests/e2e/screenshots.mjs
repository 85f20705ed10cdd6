// Saves the README screenshots of the form to docs/screenshots/: desktop and
// 360 px wide, light and dark. Run by `cargo xtask screenshots` (which builds
// first); not part of `cargo xtask test`.
//
//   node tests/e2e/screenshots.mjs [--out docs/screenshots]
import { mkdirSync } from "node:fs";
import { field, openForm, startStack, until } from "./harness.mjs";
import { ROOT } from "../worker/serve.mjs";

const outArg = process.argv.indexOf("--out");
const OUT = outArg > 0 ? process.argv[outArg + 1] : `${ROOT}docs/screenshots`;
mkdirSync(OUT, { recursive: true });

const DESKTOP = { width: 1280, height: 1000 };
const PHONE = { width: 360, height: 780 };
const BULK_CSV = [
  "email,first_name,last_name,role,lang,password",
  "ada@example.com,Ada,Lovelace,BUSINESS_MANAGER,en,Sup3r#secret",
  "bob@localhost,Bob,Builder,,,",
  "cy@example.com,Cy,,,pt-BR,",
  "grace@example.com,Grace,Hopper,,fr,",
  "alan@example.com,Alan,Turing,PUBLISHER,en,",
  "",
].join("\n");

/** Partoo, typing: a bad email, a password half way through its checklist. */
async function typing(page) {
  await field(page, "Email").fill("ada@localhost");
  await field(page, "Email").blur();
  await field(page, "First name").fill("Ada");
  await field(page, "Last name").fill("Lovelace");
  await field(page, "Role").selectOption("BUSINESS_MANAGER");
  await field(page, "Language").selectOption("en");
  await field(page, "Password").fill("lovelace1");
  await field(page, "Password").blur();
  await until(async () => (await page.locator(".checklist li.done").count()) > 0, 3000, "checklist");
  await page.evaluate(() => window.scrollTo(0, 0));
}

/** PandaDoc, two workspaces, created. */
async function created(page) {
  await page.locator('form.user-form[data-provider="pandadoc"]').waitFor();
  await field(page, "Email").fill("new@acme.com");
  await field(page, "First name").fill("New");
  await field(page, "Last name").fill("User");
  await field(page, "Phone number").fill("+14842634627");
  await field(page, "License").selectOption("Full");
  await field(page, "Workspace id").fill("Ab123");
  await field(page, "Role").selectOption("Member");
  await page.getByRole("button", { name: /Add another/ }).click();
  await field(page, "Workspace id").nth(1).fill("Cd456");
  await field(page, "Role").nth(1).selectOption("Collaborator");
  await page.locator("form.user-form:visible button[type=submit]").click();
  await page.locator(".created-id").waitFor();
}

/** Bulk: a mixed file, sent. */
async function bulk(page) {
  await page.locator("section.bulk:visible").waitFor();
  await page.locator("section.bulk:visible input[type=file]").setInputFiles({ name: "users.csv", mimeType: "text/csv", buffer: Buffer.from(BULK_CSV) });
  await page.locator("table.grid tbody tr").nth(4).waitFor();
  await page.getByRole("button", { name: /^Send \d+ valid rows?$/ }).click();
  await until(async () => /Done:/.test(await page.locator(".progress-text").textContent()), 15000, "bulk sent");
  await page.evaluate(() => window.scrollTo(0, 0));
}

const SHOTS = [
  { name: "form-desktop-light", hash: "", viewport: DESKTOP, colorScheme: "light", act: typing },
  { name: "form-desktop-dark", hash: "#pandadoc", viewport: DESKTOP, colorScheme: "dark", act: created },
  { name: "bulk-desktop-light", hash: "#partoo/bulk", viewport: DESKTOP, colorScheme: "light", act: bulk },
  { name: "bulk-desktop-dark", hash: "#partoo/bulk", viewport: DESKTOP, colorScheme: "dark", act: bulk },
  { name: "form-360-light", hash: "", viewport: PHONE, colorScheme: "light", act: typing },
  { name: "form-360-dark", hash: "#pandadoc", viewport: PHONE, colorScheme: "dark", act: created },
];

const stack = await startStack({ rateLimit: { limit: 1000, period: 60 } });
try {
  for (const shot of SHOTS) {
    stack.up.reset();
    const page = await openForm(stack, shot);
    await shot.act(page);
    // Caret and focus ring blink and move: leave them out of the picture.
    await page.evaluate(() => document.activeElement?.blur());
    const path = `${OUT}/${shot.name}.png`;
    await page.screenshot({ path, fullPage: true, animations: "disabled" });
    if (page.errors.length) throw new Error(`${shot.name}: page errors: ${page.errors.join("; ")}`);
    console.log(`saved ${path}`);
    await page.context().close();
  }
} finally {
  await stack.close();
}
