// Partoo's create-user payload written for Ajv (JSON Schema + ajv-formats),
// Zod 4 and Valibot, as close as each library allows to enlist's rules
// (crates/enlist-core/src/partoo/mod.rs), for `bench/npm.mjs` only. These are
// benchmark fixtures, not a second source of truth: the package never uses them.
//
// Same checks everywhere: required email/first_name/last_name, no unknown keys,
// email format, non-blank names of at most 255 characters, the enums, integer
// ids, unique business_ids and sidebar_pages (nullable), the password policy
// (8–128 characters, an uppercase and a lowercase letter, a special character),
// every error reported (Ajv `allErrors`, Zod and Valibot by default).
// Not expressible as schema data and left out: the `ignored`/`deprecated`
// warnings, the enum and field-name suggestions.

const ROLES = ["ORG_ADMIN", "ORG_MANAGER", "GROUP_MANAGER", "BUSINESS_MANAGER", "PUBLISHER"];
const LANGS = ["fr", "en", "es", "it", "pt-br", "de", "ar", "nl", "pl", "cs", "ca", "sk", "pt", "lv", "ro", "bg", "hu"];
const STATUSES = ["active", "invited"];
const PAGES = [
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
const UPPER = /\p{Lu}/u;
const LOWER = /\p{Ll}/u;
const SPECIAL = /[^\p{L}\p{N}\s]/u;
const NOT_BLANK = /\S/u;

/** JSON Schema (draft 2020-12 subset Ajv 8 compiles by default). */
export const partooJsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["email", "first_name", "last_name"],
  properties: {
    email: { type: "string", format: "email", maxLength: 254 },
    first_name: { type: "string", pattern: "\\S", maxLength: 255 },
    last_name: { type: "string", pattern: "\\S", maxLength: 255 },
    role: { enum: ROLES },
    custom_role: { type: "string", pattern: "\\S", maxLength: 255 },
    business_ids: {
      type: "array",
      uniqueItems: true,
      items: { type: "string", pattern: "\\S", maxLength: 255 },
    },
    accesses: { type: "array", items: { type: "array", items: { type: "integer" } } },
    org_id: { type: "integer" },
    lang: { enum: LANGS },
    status: { enum: STATUSES },
    send_invitation: { type: "boolean" },
    password: {
      type: "string",
      minLength: 8,
      maxLength: 128,
      allOf: [{ pattern: "\\p{Lu}" }, { pattern: "\\p{Ll}" }, { pattern: "[^\\p{L}\\p{N}\\s]" }],
    },
    sso_only: { type: "boolean" },
    sidebar_pages: {
      type: ["array", "null"],
      uniqueItems: true,
      items: { enum: PAGES },
    },
  },
};

export function ajvValidator(Ajv, addFormats) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv, ["email"]);
  return ajv.compile(partooJsonSchema);
}

const unique = (list) => new Set(list).size === list.length;

export function zodSchema(z) {
  const text = z.string().max(255).regex(NOT_BLANK);
  return z.strictObject({
    email: z.string().max(254).email(),
    first_name: text,
    last_name: text,
    role: z.enum(ROLES).optional(),
    custom_role: text.optional(),
    business_ids: z.array(text).refine(unique, "duplicate").optional(),
    accesses: z.array(z.array(z.number().int())).optional(),
    org_id: z.number().int().optional(),
    lang: z.enum(LANGS).optional(),
    status: z.enum(STATUSES).optional(),
    send_invitation: z.boolean().optional(),
    password: z.string().min(8).max(128).regex(UPPER).regex(LOWER).regex(SPECIAL).optional(),
    sso_only: z.boolean().optional(),
    sidebar_pages: z.array(z.enum(PAGES)).refine(unique, "duplicate").nullable().optional(),
  });
}

export function valibotSchema(v) {
  const text = v.pipe(v.string(), v.maxLength(255), v.regex(NOT_BLANK));
  return v.strictObject({
    email: v.pipe(v.string(), v.maxLength(254), v.email()),
    first_name: text,
    last_name: text,
    role: v.optional(v.picklist(ROLES)),
    custom_role: v.optional(text),
    business_ids: v.optional(v.pipe(v.array(text), v.check(unique, "duplicate"))),
    accesses: v.optional(v.array(v.array(v.pipe(v.number(), v.integer())))),
    org_id: v.optional(v.pipe(v.number(), v.integer())),
    lang: v.optional(v.picklist(LANGS)),
    status: v.optional(v.picklist(STATUSES)),
    send_invitation: v.optional(v.boolean()),
    password: v.optional(
      v.pipe(v.string(), v.minLength(8), v.maxLength(128), v.regex(UPPER), v.regex(LOWER), v.regex(SPECIAL)),
    ),
    sso_only: v.optional(v.boolean()),
    sidebar_pages: v.optional(v.nullable(v.pipe(v.array(v.picklist(PAGES)), v.check(unique, "duplicate")))),
  });
}

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
