// Partoo's payload for Zod 4 (see npm-data.mjs).
import * as z from "zod";
import { LANGS, LOWER, NOT_BLANK, PAGES, ROLES, SPECIAL, STATUSES, UPPER } from "./npm-data.mjs";

const unique = (list) => new Set(list).size === list.length;

export function zodSchema() {
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

