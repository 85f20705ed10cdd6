// `enlist` for Node.js (the `node` export condition): the wasm is read and
// compiled synchronously on first use, so no init call is needed.
import { readFileSync } from "node:fs";
import { initSync as load } from "./enlist.js";
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

let rt;
const ready = () => (rt ??= api.attach(load({ module: wasmBytes() })));

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
// and client.js on purpose: only `ready` differs, and named exports let
// bundlers drop what a page does not use (tests/npm checks the lists agree).
export const validate = (provider, input, options) => api.validate(ready(), provider, input, options);
export const validateJson = (provider, json, options) => api.validateJson(ready(), provider, json, options);
export const validateMany = (provider, rows, options) => api.validateMany(ready(), provider, rows, options);
export const buildRequest = (provider, input, settings, options) =>
  api.buildRequest(ready(), provider, input, settings, options);
export const parseResponse = (provider, status, headers, body) =>
  api.parseResponse(ready(), provider, status, headers, body);
export const createUser = async (provider, input, options) => api.createUser(ready(), provider, input, options);
export const rules = (provider) => api.rules(ready(), provider);
export const providers = () => api.providers(ready());
export const codes = () => api.codes(ready());
export const csvToRows = (provider, text) => api.csvToRows(ready(), provider, text);
export const csvTemplate = (provider) => api.csvTemplate(ready(), provider);
export const isProviderId = (value) => api.isProviderId(ready(), value);
export const isRetryable = api.isRetryable;
