// `enlist` for browsers and bundlers (the `browser` and `default` export
// conditions): call `await init()` once before anything else. It fetches
// enlist_bg.wasm next to this file (`new URL(…, import.meta.url)`, which
// bundlers understand), or takes a URL, a Response, bytes or a compiled
// WebAssembly.Module.
import load, { initSync as loadSync } from "./enlist.js";
import * as api from "./api.js";

let rt;
let pending;

const ready = () => {
  if (rt === undefined) throw new Error("enlist: call `await init()` before using the API");
  return rt;
};

/** Loads and instantiates the wasm; later calls return the same promise. */
export function init(input) {
  if (rt !== undefined) return Promise.resolve();
  pending ??= load(input === undefined ? undefined : { module_or_path: input }).then(
    (exports) => {
      rt ??= api.attach(exports);
    },
    (error) => {
      pending = undefined;
      throw error;
    },
  );
  return pending;
}

/** Instantiates the wasm synchronously from bytes or a compiled module. */
export function initSync(module) {
  rt ??= api.attach(loadSync({ module }));
}
export default init;

// One named export per function, repeated in node.js, workerd.js and
// browser.js on purpose: only `ready` differs, and named exports let bundlers
// drop what a page does not use (tests/npm checks the three lists agree).
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
