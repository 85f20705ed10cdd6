// Partoo's payload for Valibot (see npm-data.mjs).
import * as v from "valibot";
import { LANGS, LOWER, NOT_BLANK, PAGES, ROLES, SPECIAL, STATUSES, UPPER } from "./npm-data.mjs";

const unique = (list) => new Set(list).size === list.length;

export function valibotSchema() {
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

