// `enlist` for Cloudflare Workers (the `workerd` export condition): the wasm
// is imported as a compiled `WebAssembly.Module` (wrangler's default rule for
// `.wasm` imports) and instantiated on first use, so no init call is needed.
import wasmModule from "./enlist_bg.wasm";
import { initSync as load, reinit } from "./enlist.js";
import * as api from "./api.js";

const { ready, run } = api.runtime(() => load({ module: wasmModule }), reinit);

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
