// `enlist/client`: the browser client flavour of `enlist`, for pages that
// validate as the user types and create users through an enlist proxy (the
// Worker). Same API as the browser entry, from a smaller wasm
// (enlist_client_bg.wasm, built with the `client` feature) that has no
// `buildRequest` or `parseResponse` — those hold a provider's API key and
// belong on a server. Call `await init()` once before anything else; in
// Node.js, `initSync(bytes)` with the wasm file's bytes.
import load, { initSync as loadSync, reinit } from "./enlist_client.js";
import * as api from "./api.js";

const { init, initSync, run } = api.webLoader(load, loadSync, reinit);
export { init, initSync };
export default init;

// One named export per function, repeated in node.js, workerd.js, browser.js
// and client.js on purpose: named exports let bundlers drop what a page does
// not use (tests/npm checks the lists agree). Each runs on a live instance
// (`run`: after a trap in the wasm, the next call gets a new one).
export const validate = /* @__PURE__ */ run(api.validate);
export const validateJson = /* @__PURE__ */ run(api.validateJson);
export const validateMany = /* @__PURE__ */ run(api.validateMany);
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
