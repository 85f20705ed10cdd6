// Checks the hand-written JSON Schemas against cases.json with Ajv (draft
// 2020-12, formats on). The same cases can feed the Rust differential test.
// Run: node --test tests/schemas/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import Ajv2020Module from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const addFormats = addFormatsModule.default ?? addFormatsModule;
const here = new URL(".", import.meta.url);
const readJson = (name) => JSON.parse(readFileSync(new URL(name, here), "utf8"));
const cases = readJson("cases.json");

for (const provider of ["partoo", "pandadoc"]) {
  const { schema: file, cases: list, format_only: formatOnly } = cases[provider];

  test(`${file} compiles in strict mode`, () => {
    const ajv = addFormats(new Ajv2020({ strict: true, allowUnionTypes: true }));
    ajv.compile(readJson(file));
  });

  test(`${file} decides every case of cases.json.${provider}`, () => {
    const withFormats = addFormats(new Ajv2020({ allErrors: true, allowUnionTypes: true }));
    const noFormats = new Ajv2020({ allErrors: true, allowUnionTypes: true, validateFormats: false });
    const check = withFormats.compile(readJson(file));
    const checkNoFormats = noFormats.compile(readJson(file));
    assert.ok(list.some((c) => c.valid) && list.some((c) => !c.valid), "cases cover both outcomes");
    for (const { valid, why, data } of list) {
      assert.equal(check(data), valid, `${why}: ${JSON.stringify(check.errors)}`);
      assert.equal(checkNoFormats(data), valid, `${why} (formats off)`);
    }
    for (const { valid, why, data } of formatOnly) {
      assert.equal(check(data), valid, why);
      assert.equal(checkNoFormats(data), true, `${why} must pass when formats are off`);
    }
  });
}
