// Writes <pkg>/index.d.ts from index.d.ts.in, filling in the types that come
// from the core's provider registry: provider ids, issue codes, each
// provider's payload (from its rules), environments and boolean options; and
// the proxy contract's types from contract.d.ts (written by `cargo xtask gen`).
// Run by `cargo xtask build` after the wasm is built:
//
//   node crates/enlist-wasm/js/gen-types.mjs crates/enlist-wasm/pkg
//
// Nothing here names a provider: adding one to the core registry adds it here.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const pkg = resolve(process.argv[2] ?? "crates/enlist-wasm/pkg");
const enlist = await import(pathToFileURL(join(pkg, "node.js")).href);

const lit = (s) => JSON.stringify(s);
const union = (values) => (values.length === 0 ? "never" : values.map(lit).join(" | "));
const ident = (id) => /^[A-Za-z_$][\w$]*$/.test(id) ? id : lit(id);
const comment = (text, indent) =>
  text ? `${indent}/** ${text.replace(/\*\//g, "*\\/")} */\n` : "";

function typeOf(rule, indent) {
  switch (rule.type) {
    case "string":
    case "email":
    case "password":
    case "phone":
      return "string";
    case "boolean":
      return "boolean";
    case "integer":
      return "number";
    case "enum":
      return `(${union(rule.values)})`;
    case "array": {
      // A list that must not be empty is a non-empty tuple type, so that
      // `[]` fails to type-check as it fails validation.
      const item = typeOf(rule.items, indent);
      return rule.minItems >= 1 ? `[${item}, ...Array<${item}>]` : `Array<${item}>`;
    }
    case "object":
      return objectOf(rule.fields, indent);
    default:
      throw new Error(`gen-types: unknown rule type ${lit(rule.type)}`);
  }
}

function objectOf(fields, indent) {
  const inner = `${indent}  `;
  const lines = fields.map((f) => {
    let doc = f.description || f.label;
    if (f.deprecated) doc = `@deprecated ${doc}`;
    const type = typeOf(f, inner) + (f.nullable ? " | null" : "");
    return `${comment(doc, inner)}${inner}${ident(f.name)}${f.required ? "" : "?"}: ${type};`;
  });
  return `{\n${lines.join("\n")}\n${indent}}`;
}

const ids = enlist.providers();
const all = ids.map((id) => enlist.rules(id));
const perProvider = (name, doc, body) =>
  `${comment(doc, "")}export interface ${name} {\n${all
    .map((r) => `  ${ident(r.provider)}: ${body(r)};`)
    .join("\n")}\n}`;

const generated = [
  `/** The id of a registered provider. */\nexport type ProviderId = ${union(ids)};`,
  `/** Every issue code (enlist-core's \`Code\`). */\nexport type Code = ${union(enlist.codes())};`,
  perProvider("Payloads", "Each provider's create-user payload, from its rules.", (r) => objectOf(r.fields, "  ")),
  perProvider("Environments", "Each provider's environment names.", (r) => union(r.environments.map((e) => e.name))),
  perProvider("Flags", "Each provider's boolean request options.", (r) => union(r.options.map((o) => o.option))),
].join("\n\n");

// The proxy contract's types, generated from enlist-core by `cargo xtask gen`
// (committed), without their file header.
const contract = readFileSync(new URL("./contract.d.ts", import.meta.url), "utf8").replace(/^(\/\/.*\n)+\n/, "");

const template = readFileSync(new URL("./index.d.ts.in", import.meta.url), "utf8");
for (const marker of ["/*@GENERATED@*/", "/*@CONTRACT@*/"]) {
  if (!template.includes(marker)) throw new Error(`gen-types: marker ${marker} missing in index.d.ts.in`);
}
writeFileSync(
  join(pkg, "index.d.ts"),
  template.replace("/*@GENERATED@*/", () => generated).replace("/*@CONTRACT@*/", () => contract.trimEnd()),
);
console.log(`gen-types: ${join(pkg, "index.d.ts")} (${ids.join(", ")})`);
