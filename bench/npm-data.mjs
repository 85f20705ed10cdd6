// Inputs of `bench/npm.mjs`, and the constants of the equivalent Partoo schemas
// written for Ajv (npm-ajv.mjs), Zod 4 (npm-zod.mjs) and Valibot
// (npm-valibot.mjs), as close as each library allows to enlist's rules
// (crates/enlist-core/src/partoo/mod.rs). These are benchmark fixtures, not a
// second source of truth: the package never uses them.
//
// Same checks everywhere: required email/first_name/last_name, no unknown keys,
// email format, non-blank names of at most 255 characters, the enums, integer
// ids, unique business_ids and sidebar_pages (nullable), the password policy
// (8–128 characters, an uppercase and a lowercase letter, a special character),
// every error reported (Ajv `allErrors`, Zod and Valibot by default).
// Not expressible as schema data and left out: the `ignored`/`deprecated`
// warnings, the enum and field-name suggestions.

export const ROLES = ["ORG_ADMIN", "ORG_MANAGER", "GROUP_MANAGER", "BUSINESS_MANAGER", "PUBLISHER"];
export const LANGS = ["fr", "en", "es", "it", "pt-br", "de", "ar", "nl", "pl", "cs", "ca", "sk", "pt", "lv", "ro", "bg", "hu"];
export const STATUSES = ["active", "invited"];
export const PAGES = [
  "bulk_modification",
  "diffusion",
  "feedback_management",
  "messages",
  "posts",
  "presence_analytics",
  "review_analytics",
  "review_invite",
  "review_management",
];
export const UPPER = /\p{Lu}/u;
export const LOWER = /\p{Ll}/u;
export const SPECIAL = /[^\p{L}\p{N}\s]/u;
export const NOT_BLANK = /\S/u;


/** A typical valid Partoo user (as a form or an import would send it). */
export const VALID = {
  email: "ada.lovelace@example.com",
  first_name: "Ada",
  last_name: "Lovelace",
  role: "BUSINESS_MANAGER",
  business_ids: ["5409c35a97bbc544d8e26737", "5409c35a97bbc544d8e26738"],
  lang: "en",
  send_invitation: true,
  sso_only: false,
};

/** A typical invalid submission: four problems. */
export const INVALID = {
  email: "ada.lovelace@",
  first_name: " ",
  last_name: "Lovelace",
  role: "admin",
  password: "short",
};

/** Everything wrong at once: eleven problems. */
export const INVALID_MANY = {
  email: "nope",
  first_name: "",
  role: "admin",
  lang: "pt-BR",
  password: "abc",
  business_ids: ["a", "a"],
  org_id: 1.5,
  status: "gone",
  sso_only: "no",
};

/** `count` Partoo users, about 1 in 4 invalid, the same every run (xorshift). */
export function rows(count) {
  let state = 0x2545f491;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
  const pick = (list) => list[Math.floor(next() * list.length)];
  const hex = (n) => Array.from({ length: n }, () => "0123456789abcdef"[Math.floor(next() * 16)]).join("");
  const first = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Niklaus"];
  const last = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Wirth"];
  const out = [];
  for (let i = 0; i < count; i++) {
    const f = pick(first);
    const l = pick(last);
    const role = pick(ROLES);
    const row = {
      email: `${f.toLowerCase()}.${l.toLowerCase()}${i}@example.com`,
      first_name: f,
      last_name: l,
      role,
      lang: pick(LANGS),
      send_invitation: next() < 0.5,
      sso_only: false,
    };
    if (role === "BUSINESS_MANAGER") row.business_ids = [hex(24), hex(24)];
    if (role === "GROUP_MANAGER") row.accesses = [[1, 2], [3]];
    if (!row.send_invitation) row.password = `Pw-${hex(8)}!`;
    row.custom_role = `custom_${hex(6)}`;
    const r = next();
    if (r < 0.05) row.email = `${f}@`;
    else if (r < 0.1) row.lang = "EN";
    else if (r < 0.15) delete row.last_name;
    else if (r < 0.2) row.role = "OWNER";
    else if (r < 0.25) row.org_id = "42";
    out.push(row);
  }
  return out;
}
