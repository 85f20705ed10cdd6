// Types of `enlist/client`, the browser client flavour: the API of `enlist`
// without `buildRequest` and `parseResponse` (see client.js).
export type * from "./index.js";
export {
  init as default,
  init,
  initSync,
  validate,
  validateJson,
  validateMany,
  createUser,
  createImport,
  openImport,
  rules,
  providers,
  codes,
  csvToRows,
  csvTemplate,
  isProviderId,
  isRetryable,
} from "./index.js";
