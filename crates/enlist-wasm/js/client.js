// `enlist/client`: the browser client flavour of `enlist`, for pages that
// validate as the user types and create users through an enlist proxy (the
// Worker). Same API as the browser entry, from a smaller wasm
// (enlist_client_bg.wasm, built with the `client` feature) that has no
// `buildRequest` or `parseResponse` — those hold a provider's API key and
// belong on a server. Call `await init()` once before anything else; in
// Node.js, `initSync(bytes)` with the wasm file's bytes.
import load, { initSync as loadSync } from "./enlist_client.js";
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
export const createUser = async (provider, input, options) => api.createUser(ready(), provider, input, options);
export const rules = (provider) => api.rules(ready(), provider);
export const providers = () => api.providers(ready());
export const codes = () => api.codes(ready());
export const csvToRows = (provider, text) => api.csvToRows(ready(), provider, text);
export const csvTemplate = (provider) => api.csvTemplate(ready(), provider);
export const isProviderId = (value) => api.isProviderId(ready(), value);
export const isRetryable = api.isRetryable;
