// Import jobs of the npm package `enlist`: the handle `createImport` and
// `openImport` resolve to (api.js). Loaded by a dynamic import on the first
// import call, so that a page that never starts a job does not load it.
//
// `call` comes from api.js: `send` (the fetch), `signal`, `url` (where to
// POST a new job), `imports` (the jobs' URL, `<endpoint>/v1/imports`),
// `headers` (the plan's `[name, value]` pairs: Accept, Idempotency-Key,
// Authorization), `problem(response, bytes)` (the wasm's reading of a problem
// answer, as `createUser` reads one) and `unreachable(error)` (the result
// for a proxy that could not be reached).

/** The names `rows()` takes. */
const ROW_QUERY = ["status", "cursor", "limit", "signal"];

/** An `Error` carrying a `createUser`-style result that is not a success. */
function failure(result) {
  const error = new Error(`enlist: ${result.message}`, result.cause === undefined ? undefined : { cause: result.cause });
  error.name = "EnlistError";
  for (const k of ["kind", "retryable", "status", "errors", "retry_after", "request_id"]) {
    if (result[k] !== undefined) error[k] = result[k];
  }
  error.result = result;
  return error;
}

const aborted = (error, signal) => signal?.aborted || error?.name === "AbortError";

/**
 * Sends one request; resolves to the response when it is a success, else
 * rejects with an `EnlistError` (a problem, or the proxy unreachable) or the
 * abort.
 */
async function request(call, method, url, { body, type, accept, signal = call.signal } = {}) {
  const headers = call.headers.filter(([name]) => name !== "Accept" && (url === call.url || name !== "Idempotency-Key"));
  headers.push(["Accept", accept ?? "application/json, application/problem+json"]);
  if (type) headers.push(["Content-Type", type]);
  // Called as a plain function: a browser's fetch refuses any other `this`.
  const send = call.send;
  let response;
  try {
    response = await send(url, { method, headers, body, signal });
    if (response.ok) return response;
    const bytes = new Uint8Array(await response.arrayBuffer());
    throw failure(call.problem(response, bytes));
  } catch (error) {
    if (error?.name === "EnlistError" || aborted(error, signal)) throw error;
    throw failure(call.unreachable(error));
  }
}

async function json(call, method, url, options) {
  return (await request(call, method, url, options)).json();
}

/** The options bag of a handle's method: `undefined` or an object. */
function bag(value, name) {
  if (value == null) return {};
  if (typeof value !== "object") throw new TypeError(`enlist: ${name} takes an options object`);
  return value;
}

/** `?status=…&cursor=…&limit=…` from `rows()`'s query, checked by name and type. */
function rowQuery(query) {
  const q = bag(query, "rows()");
  const params = new URLSearchParams();
  for (const k of Object.keys(q)) {
    if (!ROW_QUERY.includes(k)) {
      throw new TypeError(`enlist: ${k} is not a rows() option; expected one of: ${ROW_QUERY.join(", ")}`);
    }
    const v = q[k];
    if (v == null || k === "signal") continue;
    const ok = k === "status" ? typeof v === "string" : k === "limit" ? Number.isInteger(v) : typeof v === "string" || Number.isInteger(v);
    if (!ok) throw new TypeError(`enlist: rows() option ${k} must be ${k === "status" ? "a string" : k === "limit" ? "an integer" : "a string or an integer"}`);
    params.set(k, String(v));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/**
 * The events of one `text/event-stream` response: `{event, data}` for each
 * message (comments and fields other than `event` and `data` skipped).
 */
async function* messages(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value, { stream: !done });
      let at;
      while ((at = buffer.search(/\r?\n\r?\n|\r\r/)) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at).replace(/^(\r?\n\r?\n|\r\r)/, "");
        let event = "message";
        const data = [];
        for (const line of block.split(/\r?\n|\r/)) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") event = value;
          else if (field === "data") data.push(value);
        }
        if (data.length) yield { event, data: data.join("\n") };
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock?.();
    response.body.cancel?.().catch(() => {});
  }
}

/** A handle on the job `job` (its JSON as the proxy answered it). */
function handle(call, job) {
  const base = `${call.imports}/${encodeURIComponent(job.id)}`;
  const act = (action) => async (options) => {
    const { signal } = bag(options, `${action}()`);
    return (self.job = await json(call, "POST", `${base}/${action}`, { signal }));
  };
  const self = {
    id: job.id,
    provider: job.provider,
    job,
    async status(options) {
      const { signal } = bag(options, "status()");
      return (self.job = await json(call, "GET", base, { signal }));
    },
    rows(query) {
      const q = rowQuery(query);
      return json(call, "GET", `${base}/rows${q}`, { signal: query?.signal });
    },
    async *allRows(query) {
      // Checked by rows(), before the first request.
      const q = { ...bag(query, "allRows()") };
      for (;;) {
        const page = await self.rows(q);
        yield* page.rows;
        if (page.next == null) return;
        q.cursor = page.next;
      }
    },
    async results(options) {
      const { signal } = bag(options, "results()");
      return (await request(call, "GET", `${base}/results.csv`, { accept: "text/csv, application/problem+json", signal })).text();
    },
    async *events(options) {
      const { signal } = bag(options, "events()");
      // A dropped stream is opened again; twice in a row without a
      // message in between is a failure.
      let quiet = 0;
      for (;;) {
        let seen = false;
        let dropped;
        try {
          const response = await request(call, "GET", `${base}/events`, { accept: "text/event-stream, application/problem+json", signal });
          for await (const m of messages(response)) {
            if (m.event !== "progress" && m.event !== "end") continue;
            // Parsed before it counts as seen: a malformed event is a
            // dropped stream, not progress that resets the reconnect count.
            self.job = JSON.parse(m.data);
            seen = true;
            yield self.job;
            if (m.event === "end") return;
          }
        } catch (error) {
          if (aborted(error, signal) || error?.name === "EnlistError" && error.kind !== "network") throw error;
          dropped = error;
        }
        if (seen) quiet = 0;
        else if (++quiet > 1) {
          if (dropped?.name === "EnlistError") throw dropped;
          throw failure(call.unreachable(dropped ?? new Error("the event stream closed twice without an event")));
        }
      }
    },
    pause: act("pause"),
    resume: act("resume"),
    cancel: act("cancel"),
    retry: act("retry"),
  };
  return self;
}

/** `POST`s the rows: the job's handle, or the report of a dry run. */
export async function start(call, body, type) {
  const answer = await json(call, "POST", call.url, { body, type });
  return answer.dry_run === true ? answer : handle(call, answer);
}

/** The handle of an existing job, after reading it (a 404 rejects). */
export async function open(call, id) {
  return handle(call, await json(call, "GET", `${call.imports}/${encodeURIComponent(id)}`));
}
