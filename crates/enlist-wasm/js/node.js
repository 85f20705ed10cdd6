// `enlist` for Node.js (the `node` export condition): the wasm is read and
// compiled synchronously on first use, so no init call is needed.
import { readFileSync } from "node:fs";
import { initSync as load, reinit } from "./enlist.js";
import * as api from "./api.js";

/**
 * The bytes of enlist_bg.wasm, next to this file. A server bundle (esbuild
 * or Rollup for Node.js) moves this file but not the wasm: say how to fix it.
 */
function wasmBytes() {
  // A CommonJS bundle has no import.meta.url, so no file to look next to.
  const url = import.meta.url ? new URL("./enlist_bg.wasm", import.meta.url) : undefined;
  try {
    if (url === undefined) throw new Error("import.meta.url is not set");
    return readFileSync(url);
  } catch (cause) {
    const where =
      url === undefined
        ? "next to this file, which was bundled as CommonJS (no import.meta.url: bundle as ESM, --format=esm)"
        : `at ${url.protocol === "file:" ? decodeURIComponent(url.pathname) : url.href}`;
    throw new Error(
      `enlist: cannot read its WebAssembly file, enlist_bg.wasm, ${where}. ` +
        "When enlist is bundled into a server file (esbuild --platform=node, Rollup, webpack), either keep it " +
        "out of the bundle (esbuild --external:enlist or --packages=external) so it loads from node_modules, " +
        "or copy node_modules/enlist/enlist_bg.wasm next to the bundle.",
      { cause },
    );
  }
}

const { ready, run } = api.runtime(() => load({ module: wasmBytes() }), reinit);

/** Loads the wasm now (it is otherwise loaded on first use); resolves at once. */
export function init() {
  ready();
  return Promise.resolve();
}
/** Loads the wasm now (it is otherwise loaded on first use). */
export function initSync() {
  ready();
}
export default init;

// One named export per function, repeated in node.js, workerd.js, browser.js
// and client.js on purpose: named exports let bundlers drop what a page does
// not use (tests/npm checks the lists agree). Each runs on a live instance
// (`run`: after a trap in the wasm, the next call gets a new one).
export const validate = /* @__PURE__ */ run(api.validate);
export const validateJson = /* @__PURE__ */ run(api.validateJson);
export const validateMany = /* @__PURE__ */ run(api.validateMany);
export const buildRequest = /* @__PURE__ */ run(api.buildRequest);
export const parseResponse = /* @__PURE__ */ run(api.parseResponse);
const create = /* @__PURE__ */ run(api.createUser);
export const createUser = async (provider, input, options) => create(provider, input, options);
const startImport = /* @__PURE__ */ run(api.createImport);
export const createImport = async (provider, rows, options) => startImport(provider, rows, options);
const reopen = /* @__PURE__ */ run(api.openImport);
export const openImport = async (id, options) => reopen(id, options);
export const rules = /* @__PURE__ */ run(api.rules);
export const providers = /* @__PURE__ */ run(api.providers);
export const codes = /* @__PURE__ */ run(api.codes);
export const csvToRows = /* @__PURE__ */ run(api.csvToRows);
export const csvTemplate = /* @__PURE__ */ run(api.csvTemplate);
export const isProviderId = /* @__PURE__ */ run(api.isProviderId);
export const isRetryable = api.isRetryable;
