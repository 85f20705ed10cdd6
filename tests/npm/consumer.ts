// A typed consumer of the npm package `enlist`, checked with
// `tsc --noEmit --strict` against the built package (crates/enlist-wasm/pkg)
// by `cargo xtask test` (step "npm package lint"). It is never run: it only
// has to type-check, and the `@ts-expect-error` lines have to fail to.
import init, {
  buildRequest,
  codes,
  createImport,
  createUser,
  initSync,
  isProviderId,
  isRetryable,
  openImport,
  parseResponse,
  providers,
  rules,
  validate,
  validateJson,
  validateMany,
  type BuildRequestSettings,
  type Code,
  type CreateUserResult,
  type EnlistError,
  type ImportDryRun,
  type ImportHandle,
  type ImportJob,
  type ImportRow,
  type Issue,
  type Outcome,
  type Payload,
  type ProviderId,
  type Rules,
  type ValidationResult,
} from "enlist";
import initClient, * as client from "enlist/client";

export async function main(form: unknown, body: Uint8Array): Promise<string[]> {
  await init();
  const seen: string[] = [];

  // validate: discriminated on `ok`.
  const result: ValidationResult = validate("partoo", form, { allowedEmailDomains: ["acme.com"] });
  if (result.ok) {
    const none: [] = result.errors;
    seen.push(`valid, ${none.length} errors, ${result.warnings.length} warnings`);
  } else {
    const first: Issue = result.errors[0];
    const code: Code = first.code;
    seen.push(`${first.path} ${code} ${first.message} ${first.params?.allowed?.join(",") ?? ""}`);
  }
  // @ts-expect-error: not a registered provider
  validate("salesforce", form);
  // Capped results say what they left out.
  const capped = validate("partoo", form, { maxIssues: 10 });
  seen.push(`${capped.omitted?.errors ?? 0} ${capped.omitted?.warnings ?? 0}`);
  validate("partoo", form, { maxIssues: Infinity, allowedEmailDomains: null });
  // A provider id from outside (a URL), narrowed by the guard.
  const fromUrl: string = new URL("https://x.example/v1/partoo/users").pathname.split("/")[2] ?? "";
  if (isProviderId(fromUrl)) {
    const id: ProviderId = fromUrl;
    validate(id, form);
  }
  // @ts-expect-error: a plain string is not a ProviderId
  validate(fromUrl, form);
  // @ts-expect-error: initSync needs the wasm (its bytes or a module)
  initSync();
  validateJson("pandadoc", body);
  validateJson("pandadoc", '{"license":"Guest"}');

  // validateMany: the core's BulkReport.
  const bulk = validateMany("partoo", [form, form]);
  for (const row of bulk.invalid) seen.push(`${row.index}: ${row.errors[0].code} ${row.omitted?.errors ?? 0}`);
  seen.push(`${bulk.valid}/${bulk.total} ${bulk.errors?.[0].message ?? ""} ${bulk.omitted?.rows ?? 0}`);

  // buildRequest: settings typed per provider.
  const settings: BuildRequestSettings<"pandadoc"> = { apiKey: "k", notifyUser: true };
  const built = buildRequest("pandadoc", form, settings);
  if (built.ok) {
    const method: "POST" = built.request.method;
    seen.push(`${method} ${built.request.url} ${built.request.headers["Content-Type"]}`);
  } else {
    seen.push(built.errors[0].code);
  }
  buildRequest("partoo", form, { apiKey: "k", environment: "sandbox" });
  // @ts-expect-error: Partoo has no such environment
  buildRequest("partoo", form, { apiKey: "k", environment: "staging" });
  // @ts-expect-error: Partoo has no notifyUser option
  buildRequest("partoo", form, { apiKey: "k", notifyUser: true });
  // @ts-expect-error: the API key is required
  buildRequest("partoo", form, {});

  // parseResponse: the core's Outcome, discriminated on `kind`.
  const outcome: Outcome<"pandadoc"> = parseResponse("pandadoc", 201, [["content-type", "application/json"]], body);
  switch (outcome.kind) {
    case "created":
      seen.push(`${outcome.provider} ${outcome.id} ${outcome.workspaces?.[0]?.member_id ?? ""}`);
      break;
    case "invited":
      seen.push(`${outcome.status}`);
      break;
    case "rate_limited":
      seen.push(`retry in ${outcome.retry_after ?? 60}s: ${outcome.message}`);
      break;
    default: {
      const kind: "validation" | "already_exists" | "unauthorized" | "forbidden" | "not_found" | "upstream" | "malformed" =
        outcome.kind;
      seen.push(`${kind} ${outcome.errors?.length ?? 0}`);
    }
  }
  parseResponse("partoo", 200, { "retry-after": "5" }, "{}");
  parseResponse("partoo", 200, undefined, null);

  // rules: typed per provider.
  const partooRules: Rules<"partoo"> = rules("partoo");
  for (const field of partooRules.fields) {
    if (field.type === "enum") seen.push(`${field.name}: ${field.values.join("|")}`);
    if (field.type === "array" && field.items.type === "string") seen.push(`${field.name}: ${field.items.maxLength}`);
    if (field.onlyWhen) seen.push(`${field.name} only when ${field.onlyWhen.field}=${String(field.onlyWhen.equals)}`);
  }
  const envs: Array<"production" | "sandbox"> = partooRules.environments.map((e) => e.name);
  const flags: Array<"notifyUser" | "notifyWorkspaceAdmins"> = rules("pandadoc").options.map((o) => o.option);
  seen.push(...envs, ...flags, String(partooRules.passwordPolicy?.minLength));

  // providers, codes.
  const ids: ProviderId[] = providers();
  const all: Code[] = codes();
  seen.push(ids.join(","), String(all.length));

  // Payload types, from the rules.
  const partooUser: Payload<"partoo"> = {
    email: "ada@example.com",
    first_name: "Ada",
    last_name: "Lovelace",
    role: "BUSINESS_MANAGER",
    lang: "pt-br",
    sidebar_pages: null,
  };
  // @ts-expect-error: "pt-BR" is not one of Partoo's languages
  const wrongLang: Payload<"partoo"> = { email: "a@b.co", first_name: "A", last_name: "B", lang: "pt-BR" };
  const pandadocUser: Payload<"pandadoc"> = {
    user: { email: "test@pandadoc.com", first_name: "New", last_name: "User", phone_number: "" },
    workspaces: [{ workspace_id: "Ab123", role: "Collaborator" }],
    license: "Guest",
  };
  seen.push(String(validate("partoo", partooUser).ok), String(wrongLang), pandadocUser.license);
  const noWorkspace: Payload<"pandadoc"> = {
    user: { email: "test@pandadoc.com" },
    // @ts-expect-error: at least one workspace, as validation requires
    workspaces: [],
    license: "Guest",
  };
  seen.push(String(noWorkspace));

  // createUser: a precise union.
  const controller = new AbortController();
  const created: CreateUserResult<"partoo"> = await createUser("partoo", partooUser, {
    endpoint: new URL("https://enlist.example.com"),
    idempotencyKey: "7b0c1f2e",
    token: "client-token-1",
    signal: controller.signal,
    fetch: globalThis.fetch,
  });
  // The provider's flags, typed per provider.
  await createUser("pandadoc", {}, { endpoint: "https://enlist.example.com", notifyUser: true, notifyWorkspaceAdmins: null });
  // @ts-expect-error: Partoo has no notifyUser option
  await createUser("partoo", {}, { endpoint: "https://enlist.example.com", notifyUser: true });
  switch (created.kind) {
    case "created":
      seen.push(`${created.id} ${created.request_id ?? ""} ${created.warnings.length}`);
      break;
    case "invalid":
      seen.push(created.errors[0].path);
      break;
    case "network":
      seen.push(`${created.message} ${String(created.cause)}`);
      break;
    case "validation":
      seen.push(`${created.errors.length} ${created.request_id ?? ""}`);
      break;
    case "rate_limited": {
      // The contract's types: a rate limit is always worth retrying.
      const retry: true = created.retryable;
      seen.push(`${created.retry_after ?? 0} ${created.title} ${created.type} ${retry}`);
      break;
    }
    default:
      seen.push(`${created.kind} ${created.status} ${created.message} ${created.truncated ?? false}`);
  }
  if (created.kind === "already_exists") {
    // @ts-expect-error: a user who exists is never worth retrying
    const retry: true = created.retryable;
    seen.push(String(retry));
  }
  const kind: string = created.kind;
  if (isRetryable(kind)) {
    const retryable: "network" | "conflict" | "rate_limited" | "upstream" | "timeout" | "server_error" = kind;
    seen.push(retryable);
  }
  // @ts-expect-error: the endpoint is required
  await createUser("partoo", partooUser, {});
  return seen;
}

// Import jobs: a handle (or a dry run's report), with precise types.
export async function importMain(csv: string, token: string): Promise<string[]> {
  const seen: string[] = [];
  const endpoint = "https://enlist.example";
  const job: ImportHandle<"partoo"> = await createImport("partoo", csv, { endpoint, token, idempotencyKey: "k-1" });
  for await (const j of job.events()) {
    const status: "queued" | "running" | "paused" | "done" | "cancelled" = j.status;
    const eta: number | null = j.eta_seconds;
    seen.push(`${status} ${j.counts.created}/${j.counts.total} ${eta ?? "-"} ${j.reason ?? ""}`);
    if (j.status === "paused" && j.reason === "upstream_unauthorized") await job.resume();
  }
  const page = await job.rows({ status: "failed", limit: 50 });
  const next: string | null = page.next;
  for (const row of page.rows) {
    const issues: Issue[] = row.errors;
    seen.push(`${row.row} ${row.status} ${row.id ?? ""} ${issues.length} ${next}`);
  }
  for await (const row of job.allRows({ status: "created" })) {
    const r: ImportRow = row;
    seen.push(r.note ?? "");
  }
  const results: string = await job.results();
  const cancelled: ImportJob<"partoo"> = await job.cancel();
  seen.push(results, cancelled.status);
  // @ts-expect-error: not a row status
  await job.rows({ status: "lost" });
  // @ts-expect-error: not a pause reason
  if (cancelled.reason === "tired") seen.push("never");

  const report: ImportDryRun<"pandadoc"> = await createImport("pandadoc", [{}], { endpoint, dryRun: true, notifyUser: true });
  // @ts-expect-error: Partoo has no notification flags
  await createImport("partoo", csv, { endpoint, notifyUser: true });
  seen.push(`${report.counts.pending} ${report.rows[0]?.status}`);
  // @ts-expect-error: a dry run's report is not a handle
  const notAJob: ImportHandle = await createImport("partoo", csv, { endpoint, dryRun: true });
  seen.push(notAJob.id);
  // @ts-expect-error: the endpoint is required
  await createImport("partoo", csv, { token });
  // @ts-expect-error: openImport takes no idempotencyKey
  await openImport(job.id, { endpoint, idempotencyKey: "k" });
  try {
    const again: ImportHandle = await openImport(job.id, { endpoint, token });
    seen.push(again.job.status);
  } catch (e) {
    const error = e as EnlistError;
    const kind: "not_found" | "unauthorized" | "network" | string = error.kind;
    seen.push(`${kind} ${error.status} ${error.retryable} ${error.result.message}`);
  }
  return seen;
}

// `enlist/client`: the same functions and types, without the two that build
// and read provider requests.
export async function clientMain(form: unknown, csv: string): Promise<number> {
  await initClient(new URL("https://cdn.example/enlist_client_bg.wasm"));
  client.initSync(new Uint8Array(0));
  const result: client.ValidationResult = client.validate("pandadoc", form);
  const rules: client.Rules<"partoo"> = client.rules("partoo");
  const table = client.csvToRows("partoo", csv);
  const outcome: client.CreateUserResult<"partoo"> = await client.createUser("partoo", form, {
    endpoint: "https://enlist.example",
  });
  // @ts-expect-error: no buildRequest in the client flavour
  client.buildRequest("partoo", form, { apiKey: "k" });
  // @ts-expect-error: no parseResponse in the client flavour
  client.parseResponse("partoo", 201, {}, "");
  const again = client.isRetryable(outcome.kind) === outcome.retryable;
  const job: client.ImportHandle = await client.openImport("partoo-x", { endpoint: "https://enlist.example" });
  await job.pause();
  return (result.ok ? 1 : 0) + rules.fields.length + (table.ok ? 1 : 0) + (outcome.kind === "created" || again ? 1 : 0);
}
