// `enlist` for browsers and bundlers (the `browser` and `default` export
// conditions): call `await init()` once before anything else. It fetches
// enlist_bg.wasm next to this file (`new URL(…, import.meta.url)`, which
// bundlers understand), or takes a URL, a Response, bytes or a compiled
// WebAssembly.Module.
import load, { initSync as loadSync } from "./enlist.js";
import * as api from "./api.js";

const { init, initSync, ready } = api.webLoader(load, loadSync);
export { init, initSync };
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
