// Partoo's payload for Ajv + ajv-formats (see npm-data.mjs).
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { LANGS, LOWER, NOT_BLANK, PAGES, ROLES, SPECIAL, STATUSES, UPPER } from "./npm-data.mjs";

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

export function ajvValidator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv, ["email"]);
  return ajv.compile(partooJsonSchema);
}

