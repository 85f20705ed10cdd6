// The npm package `enlist` against Ajv (+ ajv-formats), Zod and Valibot on
// Partoo's create-user payload: bundle size, one validation, 10,000 rows.
//
//   cargo xtask bench npm        (builds crates/enlist-wasm/pkg first)
//   node --expose-gc bench/npm.mjs [--quick]
//
// Prints one markdown table; docs/benchmarks.md ("npm package (wasm)") records
// the figures. Times are medians over rounds of the process's CPU time (user +
// system), in one Node process.
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { build } from "esbuild";
import * as v from "valibot";

import { ajvValidator } from "./npm-ajv.mjs";
import { INVALID, INVALID_MANY, VALID, rows } from "./npm-data.mjs";
import { valibotSchema } from "./npm-valibot.mjs";
import { zodSchema } from "./npm-zod.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "crates/enlist-wasm/pkg");
const quick = process.argv.includes("--quick");
const enlist = await import(pathToFileURL(join(pkg, "node.js")).href);

// ---- bundle size ------------------------------------------------------------------

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

/** Minified ESM bundle of `code` for browsers; gzip size of the JS (+ wasm). */
async function bundle(code, alias = {}) {
  const out = await build({
    stdin: { contents: code, resolveDir: root, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    write: false,
    alias,
    logLevel: "silent",
  });
  return gz(out.outputFiles[0].contents);
}

const sizes = {
  enlist: await (async () => {
    const js = await bundle(
      `import init, { validate, buildRequest, parseResponse, rules } from "enlist";
       await init();
       globalThis.out = [validate, buildRequest, parseResponse, rules];`,
      { enlist: join(pkg, "browser.js") },
    );
    const wasm = gz(readFileSync(join(pkg, "enlist_bg.wasm")));
    return { total: js + wasm, detail: `wasm ${kb(wasm)} + JS ${kb(js)}` };
  })(),
  // Not a column of the table: the browser client flavour, for the record.
  enlistClient: await (async () => {
    const js = await bundle(
      `import init, { validate, createUser, rules } from "enlist/client";
       await init();
       globalThis.out = [validate, createUser, rules];`,
      { "enlist/client": join(pkg, "client.js") },
    );
    const wasm = gz(readFileSync(join(pkg, "enlist_client_bg.wasm")));
    return { total: js + wasm, detail: `wasm ${kb(wasm)} + JS ${kb(js)}` };
  })(),
  ajv: {
    total: await bundle(
      `import { ajvValidator } from "./bench/npm-ajv.mjs";
       globalThis.out = ajvValidator();`,
    ),
    detail: "runtime + formats + schema, compiled at startup",
  },
  zod: {
    total: await bundle(
      `import { zodSchema } from "./bench/npm-zod.mjs";
       globalThis.out = (x) => zodSchema().safeParse(x);`,
    ),
    detail: "zod 4 (classic API)",
  },
  valibot: {
    total: await bundle(
      `import { safeParse } from "valibot"; import { valibotSchema } from "./bench/npm-valibot.mjs";
       globalThis.out = (x) => safeParse(valibotSchema(), x);`,
    ),
    detail: "tree-shaken",
  },
};

// ---- timing -------------------------------------------------------------------------

function kb(bytes) {
  return `${(bytes / 1000).toFixed(1)} KB`;
}

function fmt(ns) {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

let sink;
/** CPU time (user + system) in ns: steadier than wall time on a shared machine. */
function cpuNow() {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

/** Median CPU time per call of `f` over `rounds` rounds of `n` calls, in ns. */
function time(f, n, rounds = quick ? 5 : 15) {
  const warm = n === 1 ? 3 : Math.max(1000, n);
  for (let i = 0; i < warm; i++) sink = f();
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    globalThis.gc?.();
    const t0 = cpuNow();
    for (let i = 0; i < n; i++) sink = f();
    samples.push((cpuNow() - t0) / n);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

const ajv = ajvValidator();
const zodPartoo = zodSchema();
const valibotPartoo = valibotSchema();

// Each returns the errors found (touching them, as a caller would).
const validators = {
  enlist: (x) => enlist.validate("partoo", x).errors.length,
  ajv: (x) => (ajv(x) ? 0 : ajv.errors.length),
  zod: (x) => {
    const r = zodPartoo.safeParse(x);
    return r.success ? 0 : r.error.issues.length;
  },
  valibot: (x) => {
    const r = v.safeParse(valibotPartoo, x);
    return r.success ? 0 : r.issues.length;
  },
};

// Sanity: every library agrees on which inputs are valid.
for (const [name, f] of Object.entries(validators)) {
  const found = [f(VALID), f(INVALID), f(INVALID_MANY)];
  if (found[0] !== 0 || found[1] === 0 || found[2] === 0) throw new Error(`${name} disagrees: ${found}`);
}

const n = quick ? 20_000 : 100_000;
const single = {};
for (const [name, f] of Object.entries(validators)) {
  single[name] = {
    valid: time(() => f(VALID), n),
    invalid: time(() => f(INVALID), n),
    many: time(() => f(INVALID_MANY), n / 2),
    errors: [f(INVALID), f(INVALID_MANY)],
  };
}
const validText = JSON.stringify(VALID);
const enlistJson = time(() => enlist.validateJson("partoo", validText).ok, n);

// ---- 10,000 rows ----------------------------------------------------------------------

const data = rows(10_000);
const text = JSON.stringify(data);
const bytes = new TextEncoder().encode(text);

/** `{ total, valid, invalid }` from a per-row validator, after `JSON.parse`. */
function manyWith(check) {
  return () => {
    const list = JSON.parse(text);
    let valid = 0;
    const invalid = [];
    for (let i = 0; i < list.length; i++) {
      const errors = check(list[i]);
      if (errors === null) valid++;
      else invalid.push({ index: i, errors });
    }
    return { total: list.length, valid, invalid };
  };
}
// Every issue, as the other libraries report them (the package's default
// keeps the first 100: `maxIssues`).
const all = { maxIssues: Infinity };
const bulk = {
  "enlist (string)": () => enlist.validateMany("partoo", text, all),
  "enlist (Uint8Array)": () => enlist.validateMany("partoo", bytes, all),
  "JSON.parse + Ajv": manyWith((x) => (ajv(x) ? null : ajv.errors)),
  "JSON.parse + Zod": manyWith((x) => {
    const r = zodPartoo.safeParse(x);
    return r.success ? null : r.error.issues;
  }),
  "JSON.parse + Valibot": manyWith((x) => {
    const r = v.safeParse(valibotPartoo, x);
    return r.success ? null : r.issues;
  }),
};
const counts = Object.fromEntries(Object.entries(bulk).map(([k, f]) => [k, f()]));
const expected = counts["enlist (string)"];
for (const [name, r] of Object.entries(counts)) {
  if (r.total !== expected.total || r.valid !== expected.valid) {
    throw new Error(`${name}: ${r.valid}/${r.total} valid, enlist says ${expected.valid}/${expected.total}`);
  }
}
const bulkTimes = Object.fromEntries(
  Object.entries(bulk).map(([k, f]) => [k, time(f, 1, quick ? 5 : 11)]),
);

// ---- report ---------------------------------------------------------------------------

const cpu = (await import("node:os")).cpus()[0]?.model ?? "unknown CPU";
console.log(`\nnpm package benchmark — Node ${process.version}, ${cpu}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`10,000 rows: ${kb(bytes.length)} of JSON, ${expected.valid} valid, ${expected.total - expected.valid} invalid\n`);
console.log("| | enlist (wasm) | Ajv + ajv-formats | Zod 4 | Valibot |");
console.log("| --- | ---: | ---: | ---: | ---: |");
const row = (label, cells) => console.log(`| ${label} | ${cells.join(" | ")} |`);
const libs = ["enlist", "ajv", "zod", "valibot"];
row("bundle, gzip (browser)", libs.map((l) => kb(sizes[l].total)));
row("validate: valid object", libs.map((l) => fmt(single[l].valid)));
row(
  `validate: invalid (${single.enlist.errors[0]} errors)`,
  libs.map((l) => `${fmt(single[l].invalid)}${single[l].errors[0] === single.enlist.errors[0] ? "" : ` (${single[l].errors[0]})`}`),
);
row(
  `validate: invalid (${single.enlist.errors[1]} errors)`,
  libs.map((l) => `${fmt(single[l].many)}${single[l].errors[1] === single.enlist.errors[1] ? "" : ` (${single[l].errors[1]})`}`),
);
row("10,000 rows (JSON text in)", [
  `${fmt(bulkTimes["enlist (string)"])} (string), ${fmt(bulkTimes["enlist (Uint8Array)"])} (bytes)`,
  fmt(bulkTimes["JSON.parse + Ajv"]),
  fmt(bulkTimes["JSON.parse + Zod"]),
  fmt(bulkTimes["JSON.parse + Valibot"]),
]);
console.log(`\nenlist validateJson (valid object as a string): ${fmt(enlistJson)}`);
console.log(`bundle details: ${libs.map((l) => `${l}: ${sizes[l].detail}`).join("; ")}`);
console.log(
  `enlist/client (validate, createUser, rules; no buildRequest/parseResponse): ${kb(sizes.enlistClient.total)} gzip (${sizes.enlistClient.detail})`,
);
console.log("(numbers in parentheses: errors that library reports where enlist reports a different number)");
