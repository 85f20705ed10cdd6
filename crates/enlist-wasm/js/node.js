// `enlist` for Node.js (the `node` export condition): the wasm is read and
// compiled synchronously on first use, so no init call is needed.
import { readFileSync } from "node:fs";
import { initSync as load } from "./enlist.js";
import * as api from "./api.js";

let rt;
const ready = () =>
  (rt ??= api.attach(load({ module: readFileSync(new URL("./enlist_bg.wasm", import.meta.url)) })));

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
