// Alternating A/B of two wasm builds behind the same npm entry, in one Node
// process: each round times A then B, so a machine whose speed drifts
// affects both alike. Times are CPU time (user + system), medians of the
// rounds. docs/benchmarks.md records the runs it was used for.
//
//   node bench/npm-ab.mjs <entry.js> <a.wasm> <b.wasm> [rounds]
//
// <entry.js> is a browser-style entry of a built package (browser.js or
// client.js: `initSync(bytes)`); both wasm files must be builds of that
// entry's glue (same --out-name). Example, the client flavour at two
// opt-levels:
//
//   node bench/npm-ab.mjs crates/enlist-wasm/pkg/client.js s.wasm z.wasm
//
// For a change to both the JavaScript and the wasm, compare two built
// packages instead (each its own browser.js and enlist_bg.wasm), e.g. the
// package of an older commit built in a second work tree:
//
//   node bench/npm-ab.mjs --packages <old>/crates/enlist-wasm/pkg crates/enlist-wasm/pkg
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { INVALID, INVALID_MANY, VALID, rows } from "./npm-data.mjs";

const argv = process.argv.slice(2);
const packages = argv[0] === "--packages";
const [entry, wasmA, wasmB, roundsArg] = packages ? [undefined, ...argv.slice(1)] : argv;
if ((!packages && !entry) || !wasmA || !wasmB) {
  console.error(
    "usage: node bench/npm-ab.mjs <entry.js> <a.wasm> <b.wasm> [rounds]\n" +
      "       node bench/npm-ab.mjs --packages <a-pkg-dir> <b-pkg-dir> [rounds]",
  );
  process.exit(2);
}
const rounds = Number(roundsArg ?? 9);

// Two independent instances. An entry's modules (its wasm-bindgen glue
// holds the instance) are imported once per directory, so with one entry
// each build gets a copy of the entry's directory.
const copies = [];
process.on("exit", () => copies.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const builds = [];
for (const [label, wasm] of [["A", wasmA], ["B", wasmB]]) {
  let js = packages ? join(wasm, "browser.js") : entry;
  if (!packages) {
    const dir = mkdtempSync(join(tmpdir(), "npm-ab-"));
    copies.push(dir);
    cpSync(dirname(resolve(entry)), dir, { recursive: true });
    js = join(dir, basename(entry));
  }
  const bin = packages ? join(wasm, "enlist_bg.wasm") : wasm;
  const m = await import(`${pathToFileURL(resolve(js)).href}?${label}`);
  m.initSync(readFileSync(bin));
  builds.push({ label, m });
}
for (const input of [VALID, INVALID, INVALID_MANY]) {
  const [a, b] = builds.map(({ m }) => JSON.stringify(m.validate("partoo", input)));
  if (a !== b) {
    console.error("npm-ab: A and B report differently; compare speed only for the same results");
    process.exit(1);
  }
}

const text = JSON.stringify(rows(10000));
// A key of a typical length (40 visible ASCII characters).
const settings = { apiKey: "k".repeat(40), environment: "sandbox" };
const bytes = new TextEncoder().encode(text);
const csv =
  "email,first_name,last_name,role,lang,send_invitation\n" +
  Array.from({ length: 1000 }, (_, i) => `u${i}@example.com,First${i},Last,ORG_MANAGER,fr,${i % 2 ? "TRUE" : "false"}`).join("\n");

const cases = [
  // Every issue (the default keeps 100; builds without `maxIssues` ignore it).
  ["validateMany, 10,000 rows (string), ms", (m) => m.validateMany("partoo", text, { maxIssues: Infinity }), 3, 1e3],
  ["validateMany, 10,000 rows (bytes), ms", (m) => m.validateMany("partoo", bytes, { maxIssues: Infinity }), 3, 1e3],
  ["validate, valid object, µs", (m) => m.validate("partoo", VALID), 20000, 1],
  ["validate, invalid object (6 errors), µs", (m) => m.validate("partoo", INVALID), 20000, 1],
  ["validate, invalid object (12 errors), µs", (m) => m.validate("partoo", INVALID_MANY), 10000, 1],
  ["csvToRows, 1,000 rows, ms", (m) => m.csvToRows("partoo", csv), 5, 1e3],
  // The whole package only (the client flavour has no buildRequest).
  ["buildRequest, valid object, µs", (m) => m.buildRequest("partoo", VALID, settings), 20000, 1],
].filter(([name]) => !name.startsWith("buildRequest") || builds.every(({ m }) => typeof m.buildRequest === "function"));

let sink;
const cpu = () => {
  const { user, system } = process.cpuUsage();
  return user + system; // µs
};
const time = (f, n) => {
  const t0 = cpu();
  for (let i = 0; i < n; i++) sink = f();
  return (cpu() - t0) / n;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

for (const { m } of builds) for (const [, f, n] of cases) time(() => f(m), Math.min(n, 100)); // warm up
const samples = cases.map(() => builds.map(() => []));
for (let r = 0; r < rounds; r++) {
  cases.forEach(([, f, n, unit], c) => {
    builds.forEach(({ m }, b) => samples[c][b].push(time(() => f(m), n) / unit));
  });
}
console.log(`A: ${wasmA}\nB: ${wasmB}\n(medians of ${rounds} alternating rounds, CPU time)\n`);
console.log("| | A | B |\n| --- | ---: | ---: |");
cases.forEach(([name], c) => {
  const [a, b] = samples[c].map((s) => median(s).toFixed(2));
  console.log(`| ${name} | ${a} | ${b} |`);
});
