// Bulk onboarding: a CSV file read by the core (`csvToRows`), validated in one
// call (`validateMany`), shown as an editable table with per-cell errors, and
// sent row by row through the Worker with bounded concurrency. On a server in
// admin mode (a client token), the rows go to the server as one import job
// instead, which the job view (job.js, loaded with `import()`) follows.

import { badToken } from "./access.js";
import { requestOptions } from "./controls.js";
import { csvLine, debounce, download, h, n, newKey, owner, uid } from "./util.js";

/** Requests in flight at once. */
const CONCURRENCY = 4;
/** Automatic retries of one row whose answer is worth retrying and says when (429, an attempt still in flight). */
const MAX_WAITS = 8;
/** Rows rendered in the table (all rows are validated and sent). */
const MAX_SHOWN = 2000;
/** Rows rendered at once; the rest follow in chunks, so the page stays responsive. */
const FIRST_ROWS = 100;
const CHUNK_ROWS = 250;

const esc = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A cell's text for a value the core read from CSV (round-trips through csvToRows). */
function cellText(v) {
  if (v === undefined || v === null) return "";
  if (Array.isArray(v)) return v.every((x) => x === null || typeof x !== "object") ? v.join(";") : JSON.stringify(v);
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** The value at a pointer into a row. */
function valueAt(row, pointer) {
  let v = row;
  for (const t of pointer.slice(1).split("/")) {
    if (v == null || typeof v !== "object") return undefined;
    v = v[t.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return v;
}

/** The rule of the field at a pointer into a payload (undefined when none). */
function ruleAt(rules, pointer) {
  let fields = rules.fields;
  let rule;
  for (const t of pointer.slice(1).split("/")) {
    if (rule?.type === "array" && /^\d+$/.test(t)) {
      rule = rule.items;
      fields = rule?.fields;
      continue;
    }
    rule = fields?.find((f) => f.name === t);
    if (!rule) return undefined;
    fields = rule.fields;
  }
  return rule;
}

/** A CSV cell safe to open in a spreadsheet (no formula injection). */
function safeCell(s) {
  return /^[=@\t\r]|^[+-][^\d\s.]/.test(s) ? `'${s}` : s;
}

const STATUS_TEXT = {
  invalid: "Invalid",
  ready: "Ready",
  queued: "Queued",
  sending: "Sending…",
  waiting: "Waiting (rate limited)",
  created: "Created",
  failed: "Failed",
};

export class BulkImport {
  /**
   * `job`: the id of an import job to show (from the URL); `onJob(id)` is
   * called with the job shown, `null` when none is.
   */
  constructor(api, provider, access, { job = null, onJob = () => {} } = {}) {
    this.api = api;
    this.access = access;
    this.provider = provider;
    this.onJob = onJob;
    this.jobId = null;
    this.rules = api.rules(provider);
    this.rows = [];
    this.running = false;
    this.pauseUntil = 0;

    const name = this.rules.name;
    const fileId = uid("file");
    this.file = h("input", { type: "file", id: fileId, accept: ".csv,text/csv", class: "file" });
    this.file.addEventListener("change", () => this.readFile());
    this.alert = h("div", { class: "status", role: "alert" });
    this.summary = h("p", { class: "bulk-summary", role: "status" });
    this.table = h("table", { class: "grid" });
    this.wrap = h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Imported rows", hidden: true }, this.table);
    this.sendBtn = h("button", { type: "button", class: "primary", disabled: true, onclick: () => this.send(false) }, "Send valid rows");
    this.retryBtn = h("button", { type: "button", class: "secondary", hidden: true, onclick: () => this.send(true) }, "Retry failed rows");
    this.resultsBtn = h("button", { type: "button", class: "secondary", hidden: true, onclick: () => this.results() }, "Download results (CSV)");
    this.progress = h("progress", { max: "1", value: "0", id: uid("prog") });
    this.progressText = h("span", { class: "progress-text" });
    this.progressBox = h(
      "div",
      { class: "progress", hidden: true },
      h("label", { for: this.progress.id }, "Progress"),
      this.progress,
      this.progressText,
    );
    this.options = requestOptions(this.rules.options, name);
    this.el = h(
      "section",
      { class: "bulk", "aria-label": `Bulk import of ${name} users`, "data-provider": provider },
      h(
        "div",
        { class: "bulk-intro" },
        h(
          "p",
          {},
          "One user per row. The header row names the fields, dotted for nesting. ",
          h("a", { href: "https://github.com/enlist-dev/enlist/blob/main/docs/csv.md" }, "CSV format"),
          ".",
        ),
        h("div", { class: "bulk-pick" },
          h("button", { type: "button", class: "secondary", onclick: () => this.template() }, `Download the ${name} template`),
          h("div", { class: "file-field" }, h("label", { for: fileId }, "CSV file to import"), this.file),
        ),
      ),
      this.alert,
      this.summary,
      this.wrap,
      this.options?.el,
      h("div", { class: "actions" }, this.sendBtn, this.retryBtn, this.resultsBtn),
      this.progressBox,
    );
    this.jobBox = h("div", { class: "job-box" });
    this.el.append(this.jobBox);
    this.revalidate = new Map();
    this.table.addEventListener("input", (e) => this.edited(e.target));
    if (job) this.showJob(job);
  }

  /** Shows import job `id` (or `handle`) in the job view, loaded on first use. */
  async showJob(id, handle) {
    this.jobId = id;
    this.onJob(id);
    this.sendBtn.disabled = true;
    let JobView;
    try {
      ({ JobView } = await import("./job.js"));
    } catch {
      this.jobId = null;
      this.onJob(null);
      this.fail("The import job view could not be loaded. Reload the page to try again.");
      return;
    }
    // A view shown before stops following its job, without closing.
    if (this.job) this.job.closed = true;
    this.job = new JobView(this.api, this.access, { h, n, uid, download }, {
      id,
      handle,
      provider: this.provider,
      name: this.rules.name,
      close: () => {
        this.job = null;
        this.jobId = null;
        this.onJob(null);
        this.jobBox.replaceChildren();
        this.updateSummary();
      },
    });
    this.jobBox.replaceChildren(this.job.el);
  }

  fail(message) {
    this.alert.className = "status error";
    this.alert.textContent = message;
  }

  /** Admin mode: every row goes to the server as one import job (the server checks each row again). */
  async startJob() {
    this.running = true;
    this.sendBtn.disabled = true;
    this.alert.replaceChildren();
    const csv = `${this.header}\n${this.rows.map((r) => csvLine(r.cells)).join("\n")}\n`;
    try {
      // The provider's options go with every row's call, as in a single create.
      const handle = await this.api.createImport(this.provider, csv, this.access.options({ ...this.options?.values(), idempotencyKey: newKey() }));
      await this.showJob(handle.id, handle);
    } catch (err) {
      if (err?.kind === "unauthorized") this.access.refused();
      else if (badToken(err)) this.access.refused("The client token is not one word of visible characters.");
      else this.fail(`The import job could not be started: ${err?.message?.replace(/^enlist: /, "") ?? err}`);
    } finally {
      this.running = false;
      this.updateSummary();
    }
  }

  template() {
    download(`${this.provider}-users-template.csv`, this.api.csvTemplate(this.provider));
  }

  async readFile() {
    const f = this.file.files?.[0];
    if (!f) return;
    this.load(await f.text());
  }

  /** Imports CSV text: read by the core, validated in one call, rendered. */
  load(text) {
    if (this.running) return;
    this.alert.replaceChildren();
    const t0 = performance.now();
    const read = this.api.csvToRows(this.provider, text);
    const t1 = performance.now();
    if (!read.ok) {
      this.rows = [];
      this.render();
      this.fail(`Could not read the file (line ${read.error.line}): ${read.error.message}`);
      return;
    }
    const { columns, pointers, lines } = read.table;
    const rowsJson = typeof read.table.rows === "string" ? read.table.rows : JSON.stringify(read.table.rows);
    // Every row's problems, not the first 100: each row needs its status, and
    // an import is at most 50,000 rows (csvToRows refuses more).
    const report = this.api.validateMany(this.provider, rowsJson, { maxIssues: Infinity });
    const t2 = performance.now();
    const values = typeof read.table.rows === "string" ? JSON.parse(read.table.rows) : read.table.rows;
    this.columns = columns;
    this.pointers = pointers;
    this.header = csvLine(columns);
    this.secret = pointers.map((p) => ruleAt(this.rules, p)?.type === "password");
    const bad = new Map(report.invalid.map((r) => [r.index, r]));
    this.rows = values.map((value, i) => {
      const r = bad.get(i);
      return {
        line: lines[i],
        cells: pointers.map((p) => cellText(valueAt(value, p))),
        value,
        errors: r?.errors ?? [],
        warnings: r?.warnings ?? [],
        status: r?.errors?.length ? "invalid" : "ready",
      };
    });
    performance.measure("enlist:csv-read", { start: t0, end: t1 });
    performance.measure("enlist:validate-many", { start: t1, end: t2 });
    this.render();
    const t3 = performance.now();
    performance.measure("enlist:render", { start: t2, end: t3 });
    this.timing = { read: t1 - t0, validate: t2 - t1, render: t3 - t2 };
    this.updateSummary();
  }

  /** Column index of an issue (the column whose pointer owns its path), or -1. */
  column(path) {
    const p = owner(this.pointers, path);
    return p === undefined ? -1 : this.pointers.indexOf(p);
  }

  cellsHtml(row, r) {
    const per = this.columns.map(() => []);
    const other = [];
    for (const i of row.errors) {
      const c = this.column(i.path);
      (c < 0 ? other : per[c]).push(i.message);
    }
    for (const i of row.warnings) {
      const c = this.column(i.path);
      (c < 0 ? other : per[c]).push(`Warning: ${i.message}`);
    }
    const locked = row.status === "created" || this.running;
    let html = `<th scope="row">${row.line}</th><td class="st st-${row.status}">${esc(this.statusText(row))}</td>`;
    this.columns.forEach((col, c) => {
      const msgs = per[c];
      const errs = row.errors.some((i) => this.column(i.path) === c);
      const id = `b${this.uid}-${r}-${c}`;
      const type = this.secret[c] ? "password" : "text";
      html +=
        `<td${errs ? ' class="bad"' : ""}><input type="${type}" data-c="${c}" id="${id}" value="${esc(row.cells[c])}"` +
        ` aria-label="Line ${row.line}, ${esc(col)}" spellcheck="false" autocomplete="off"` +
        `${errs ? ` aria-invalid="true"` : ""}${msgs.length ? ` aria-describedby="${id}-m"` : ""}${locked ? " readonly" : ""}>` +
        (msgs.length ? `<div class="cellmsg" id="${id}-m">${msgs.map(esc).join("<br>")}</div>` : "") +
        `</td>`;
    });
    html += `<td class="other">${other.map(esc).join("<br>")}</td>`;
    return html;
  }

  statusText(row) {
    if (row.status === "invalid") return `${STATUS_TEXT.invalid}: ${n("problem", row.errors.length)}`;
    if (row.status === "created") return `${STATUS_TEXT.created}: ${row.id}`;
    if (row.status === "failed") return `${STATUS_TEXT.failed}: ${row.message}`;
    return STATUS_TEXT[row.status];
  }

  render() {
    this.uid = uid("t").slice(2);
    if (!this.rows.length) {
      this.table.replaceChildren();
      this.wrap.hidden = true;
      this.updateSummary();
      return;
    }
    const head =
      `<caption class="vh">Imported rows: each cell can be edited; problems are shown under the cell.</caption>` +
      `<thead><tr><th scope="col">Line</th><th scope="col">Status</th>${this.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join("")}` +
      `<th scope="col">Other problems</th></tr></thead>`;
    const shown = Math.min(this.rows.length, MAX_SHOWN);
    const rowsHtml = (from, to) => {
      let html = "";
      for (let r = from; r < to; r++) html += `<tr data-r="${r}">${this.cellsHtml(this.rows[r], r)}</tr>`;
      return html;
    };
    const first = Math.min(shown, FIRST_ROWS);
    this.table.innerHTML = `${head}<tbody>${rowsHtml(0, first)}</tbody>`;
    this.wrap.hidden = false;
    // The rest in chunks, each in its own task; a newer render cancels them.
    const generation = (this.generation = (this.generation ?? 0) + 1);
    const tbody = this.table.tBodies[0];
    const start = performance.now();
    const more = (from) => {
      if (generation !== this.generation) return;
      if (from >= shown) {
        this.table.dataset.rendered = String(shown);
        performance.measure("enlist:render-all", { start, end: performance.now() });
        return;
      }
      const to = Math.min(shown, from + CHUNK_ROWS);
      tbody.insertAdjacentHTML("beforeend", rowsHtml(from, to));
      setTimeout(() => more(to), 0);
    };
    this.table.dataset.rendered = "";
    more(first);
  }

  /** Re-renders one row's cells, keeping the focused cell's caret. */
  paint(r) {
    const tr = this.table.tBodies[0]?.rows[r];
    if (!tr) return;
    const active = document.activeElement;
    const c = tr.contains(active) ? active.dataset.c : undefined;
    const sel = c !== undefined ? [active.selectionStart, active.selectionEnd] : null;
    tr.innerHTML = this.cellsHtml(this.rows[r], r);
    if (c !== undefined) {
      const input = tr.querySelector(`input[data-c="${c}"]`);
      input.focus();
      if (sel && input.type === "text") input.setSelectionRange(...sel);
    }
  }

  /** A cell was edited: re-read the row through the core and re-validate it. */
  edited(input) {
    const tr = input.closest("tr[data-r]");
    if (!tr || input.dataset.c === undefined) return;
    const r = Number(tr.dataset.r);
    const row = this.rows[r];
    row.cells[Number(input.dataset.c)] = input.value;
    let later = this.revalidate.get(r);
    if (!later) {
      later = debounce(() => this.recheck(r), 150);
      this.revalidate.set(r, later);
    }
    later();
  }

  recheck(r) {
    const row = this.rows[r];
    if (row.status === "created" || this.running) return;
    const read = this.api.csvToRows(this.provider, `${this.header}\n${csvLine(row.cells)}\n`);
    if (!read.ok) {
      row.errors = [{ path: "", code: "invalid_json", message: read.error.message }];
      row.warnings = [];
    } else {
      const rows = typeof read.table.rows === "string" ? JSON.parse(read.table.rows) : read.table.rows;
      row.value = rows[0] ?? {};
      const v = this.api.validate(this.provider, row.value);
      row.errors = v.errors;
      row.warnings = v.warnings;
    }
    row.status = row.errors.length ? "invalid" : "ready";
    row.message = undefined;
    this.paint(r);
    this.updateSummary();
  }

  counts() {
    const c = { invalid: 0, ready: 0, created: 0, failed: 0, other: 0, retry: 0 };
    for (const r of this.rows) {
      c[r.status in c ? r.status : "other"]++;
      if (r.status === "failed" && r.retryable) c.retry++;
    }
    return c;
  }

  updateSummary() {
    const c = this.counts();
    const total = this.rows.length;
    if (!total) {
      this.summary.textContent = "";
      this.sendBtn.disabled = true;
      return;
    }
    const parts = [`${n("row", total)}: ${c.ready} ready`, `${c.invalid} with problems`];
    if (c.created) parts.push(`${c.created} created`);
    if (c.failed) parts.push(`${c.failed} failed`);
    let text = `${parts.join(", ")}.`;
    if (this.timing) text += ` Read and validated in ${Math.max(1, Math.round(this.timing.read + this.timing.validate))} ms.`;
    if (total > MAX_SHOWN) text += ` The table shows the first ${n("row", MAX_SHOWN)}; all rows are sent.`;
    this.summary.textContent = text;
    const admin = this.access.admin;
    this.sendBtn.disabled = this.running || c.ready === 0 || Boolean(this.jobId);
    this.sendBtn.textContent = admin
      ? `Start an import job (${n("valid row", c.ready)})`
      : c.ready
        ? `Send ${n("valid row", c.ready)}`
        : "Send valid rows";
    this.retryBtn.hidden = c.retry === 0;
    this.retryBtn.disabled = this.running;
    this.resultsBtn.hidden = c.created + c.failed === 0;
  }

  setProgress(done, total) {
    this.progress.max = Math.max(1, total);
    this.progress.value = done;
    this.progressText.textContent = `${done} of ${total} sent`;
  }

  /** Sends ready rows (or failed ones worth retrying) through the Worker, CONCURRENCY at a time. */
  async send(retry) {
    if (this.running) return;
    if (this.access.admin && !retry) return this.startJob();
    const queue = this.rows
      .map((row, r) => ({ row, r }))
      .filter(({ row }) => (retry ? row.status === "failed" && row.retryable : row.status === "ready"));
    if (!queue.length) return;
    this.running = true;
    this.file.disabled = true;
    for (const q of queue) q.row.status = "queued";
    this.render();
    this.updateSummary();
    let done = 0;
    const total = queue.length;
    this.progressBox.hidden = false;
    this.setProgress(0, total);
    const worker = async () => {
      while (queue.length) {
        const { row, r } = queue.shift();
        await this.sendRow(row, r);
        this.setProgress(++done, total);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
    this.running = false;
    this.file.disabled = false;
    this.render();
    this.updateSummary();
    const c = this.counts();
    this.progressText.textContent = `Done: ${c.created} created, ${c.failed} failed.`;
  }

  async sendRow(row, r) {
    const body = JSON.stringify([row.value, this.options?.values()]);
    // One key per row content (and options): a retry of the same row is the same request.
    if (body !== row.keyBody) {
      row.key = newKey();
      row.keyBody = body;
    }
    let out;
    for (let waits = 0; ; waits++) {
      const wait = this.pauseUntil - Date.now();
      if (wait > 0) {
        row.status = "waiting";
        this.paint(r);
        await sleep(wait);
      }
      row.status = "sending";
      this.paint(r);
      try {
        out = await this.api.createUser(this.provider, row.value, this.access.options({ ...this.options?.values(), idempotencyKey: row.key }));
      } catch (err) {
        out = badToken(err)
          ? { kind: "unauthorized", status: 0, message: "The client token is not one word of visible characters." }
          : { kind: "network", status: 0, message: err instanceof Error ? err.message : String(err) };
      }
      if (out.kind === "unauthorized") this.access.refused();
      // The package says whether the same request can succeed; the answer says when.
      row.retryable = this.api.isRetryable(out.kind);
      if (row.retryable && out.retry_after && waits < MAX_WAITS) {
        // Everyone waits: the budget is the client's, not the row's.
        this.pauseUntil = Math.max(this.pauseUntil, Date.now() + Math.max(1, out.retry_after) * 1000);
        continue;
      }
      break;
    }
    if (out.kind === "created") {
      row.status = "created";
      row.id = out.id;
      row.message = undefined;
    } else {
      row.status = "failed";
      if (out.errors?.length) row.errors = out.errors;
      row.message =
        out.kind === "network"
          ? navigator.onLine === false
            ? "offline"
            : "the server could not be reached"
          : out.errors?.length
            ? out.errors.map((i) => i.message).join(" ")
            : out.message;
      if (out.status) row.message = `${row.message} (HTTP ${out.status})`;
    }
    this.paint(r);
    this.updateSummary();
  }

  /** The results file: line, status, id, message, then the imported columns (passwords left out). */
  results() {
    const keep = this.columns.map((_, c) => c).filter((c) => !this.secret[c]);
    const lines = [csvLine(["line", "status", "id", "message", ...keep.map((c) => this.columns[c])])];
    for (const row of this.rows) {
      const status = row.status === "ready" || row.status === "queued" ? "not_sent" : row.status;
      const msg =
        row.status === "invalid"
          ? row.errors.map((i) => `${this.columns[this.column(i.path)] ?? (i.path || "row")}: ${i.message}`).join(" ")
          : (row.message ?? "");
      lines.push(csvLine([row.line, status, row.id ?? "", msg, ...keep.map((c) => row.cells[c])].map((v) => safeCell(String(v)))));
    }
    download(`${this.provider}-users-results.csv`, `${lines.join("\r\n")}\r\n`);
  }
}
