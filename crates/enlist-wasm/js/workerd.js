// `enlist` for Cloudflare Workers (the `workerd` export condition): the wasm
// is imported as a compiled `WebAssembly.Module` (wrangler's default rule for
// `.wasm` imports) and instantiated on first use, so no init call is needed.
import wasmModule from "./enlist_bg.wasm";
import { initSync as load } from "./enlist.js";
import * as api from "./api.js";

let rt;
const ready = () => (rt ??= api.attach(load({ module: wasmModule })));

/** Instantiates the wasm now (it is otherwise instantiated on first use). */
export function init() {
  ready();
  return Promise.resolve();
}
/** Instantiates the wasm now (it is otherwise instantiated on first use). */
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
