// The import-job view of the bulk tab (admin mode): follows one job that runs
// on the server — status, counts, pace, time left, a page of per-row
// outcomes — and steers it (pause, resume, cancel, retry failed rows,
// download the results). Everything goes through the `enlist` package's
// `createImport` / `openImport` handle; loaded with `import()` by bulk.js
// only when a job is shown. The DOM helpers come from bulk.js (`util`), so
// that this chunk shares no code with the page's first load.

/** Rows shown per page of the table. */
const PAGE = 50;

const STATUS = {
  queued: "Queued",
  running: "Running",
  paused: "Paused",
  done: "Done",
  cancelled: "Cancelled",
};

const REASON = {
  requested: "paused on request",
  rate_limited: "the provider asked to slow down; it resumes by itself",
  upstream_unauthorized: "the provider refused the server's API key; fix it on the server, then resume",
  upstream_forbidden: "the provider refused the server's API key; fix it on the server, then resume",
  upstream_failing: "the provider keeps failing; resume when it is back",
};

const ROW_STATUS = {
  pending: "Pending",
  created: "Created",
  already_exists: "Already exists",
  invalid: "Invalid",
  refused: "Refused by policy",
  failed: "Failed",
};

/** "2 min", "45 s", "1 h 5 min". */
function duration(seconds) {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const min = Math.round(seconds / 60);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
}

export class JobView {
  /**
   * `api`: the enlist package; `access`: the page's client token; `util`:
   * the page's helpers; `id` (and `handle` when the page just started the
   * job), `provider`, `name` (the provider's), `close()` (the view is done).
   */
  constructor(api, access, util, { id, handle, provider, name, close }) {
    const { h } = util;
    this.api = api;
    this.access = access;
    this.util = util;
    this.id = id;
    this.provider = provider;
    this.onClose = close;
    this.cursors = [undefined];
    this.closed = false;

    this.heading = h("h3", { id: util.uid("job-title") }, `${name} import job`);
    this.live = h("p", { class: "job-status", role: "status", "aria-live": "polite" });
    this.progress = h("progress", { max: "1", value: "0", id: util.uid("job-prog") });
    this.alert = h("div", { class: "status", role: "alert" });
    const button = (label, onclick, cls = "secondary") => h("button", { type: "button", class: cls, hidden: true, onclick }, label);
    this.pauseBtn = button("Pause", () => this.act("pause"));
    this.resumeBtn = button("Resume", () => this.act("resume"));
    this.cancelBtn = button("Cancel the job", () => this.act("cancel"));
    this.retryBtn = button("Retry failed rows", () => this.act("retry"));
    this.resultsBtn = button("Download results (CSV)", () => this.results());
    this.newBtn = button("Start another import", () => this.close());
    this.openBtn = button("Show the job", () => this.open(), "primary");
    this.table = h("table", { class: "grid job-rows" });
    this.prevBtn = button("Previous rows", () => this.page(-1));
    this.nextBtn = button("Next rows", () => this.page(1));
    this.pageText = h("span", { class: "page-text" });
    this.rowsBox = h(
      "div",
      { hidden: true },
      h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Rows of the import job" }, this.table),
      h("div", { class: "actions" }, this.prevBtn, this.nextBtn, this.pageText),
    );
    this.el = h(
      "section",
      { class: "job", "aria-labelledby": this.heading.id, "data-job": id },
      this.heading,
      h("p", { class: "hint" }, "The server runs this job: you may close or reload this page; the address keeps the job. Job ", h("code", {}, id), "."),
      h("div", { class: "progress" }, h("label", { for: this.progress.id }, "Job progress"), this.progress),
      this.live,
      this.alert,
      h("div", { class: "actions" }, this.openBtn, this.pauseBtn, this.resumeBtn, this.cancelBtn, this.retryBtn, this.resultsBtn, this.newBtn),
      this.rowsBox,
    );
    if (handle) this.follow(handle);
    else this.open();
  }

  /** Reads the job (after a reload: once the client token is typed). */
  async open() {
    this.alert.replaceChildren();
    if (this.access.admin !== true) await this.access.ready;
    if (this.access.admin && !this.access.input.value.trim()) {
      this.live.textContent = "Enter your client token above, then choose “Show the job”.";
      this.openBtn.hidden = false;
      this.access.refused("Enter your client token to see the import job.");
      return;
    }
    this.openBtn.disabled = true;
    try {
      this.follow(await this.api.openImport(this.id, this.access.options()));
      this.openBtn.hidden = true;
    } catch (err) {
      this.openBtn.hidden = false;
      if (err?.kind === "unauthorized" || err instanceof TypeError) this.access.refused(err instanceof TypeError ? "The client token is not one word of visible characters." : undefined);
      else if (err?.kind === "not_found") this.fail("This import job does not exist, has been deleted, or was started with another client token.");
      else this.fail(`The import job could not be read: ${this.message(err)}`);
    } finally {
      this.openBtn.disabled = false;
    }
  }

  /** Follows the job's events until it ends, refreshing the rows shown. */
  async follow(handle) {
    this.handle = handle;
    this.show(handle.job);
    this.rowsBox.hidden = false;
    this.load();
    this.following = true;
    try {
      for await (const job of handle.events()) {
        if (this.closed) return;
        this.show(job);
        this.load();
      }
    } catch (err) {
      if (!this.closed) this.fail(`Lost the job's progress: ${this.message(err)} Reload the page to follow it again.`);
    } finally {
      this.following = false;
    }
  }

  message(err) {
    return String(err?.message ?? err).replace(/^enlist: /, "");
  }

  fail(text) {
    this.alert.className = "status error";
    this.alert.textContent = text;
  }

  /** Renders the job's status, counts, pace and time left, and which actions apply. */
  show(job) {
    const { n } = this.util;
    const c = job.counts;
    const settled = c.total - c.pending;
    this.progress.max = Math.max(1, c.total);
    this.progress.value = settled;
    let text = `${STATUS[job.status] ?? job.status}${job.reason ? ` (${REASON[job.reason] ?? job.reason})` : ""}: ${settled.toLocaleString("en")} of ${n("row", c.total)} done — ${c.created.toLocaleString("en")} created`;
    for (const [k, label] of [["already_exists", "already existed"], ["invalid", "invalid"], ["refused", "refused"], ["failed", "failed"]]) {
      if (c[k]) text += `, ${c[k].toLocaleString("en")} ${label}`;
    }
    text += ".";
    if (job.status === "running" && job.rate_per_minute) text += ` ${job.rate_per_minute.toLocaleString("en")} a minute.`;
    if (job.eta_seconds != null && job.status !== "done" && job.status !== "cancelled") text += ` About ${duration(job.eta_seconds)} left.`;
    this.live.textContent = text;
    const finished = job.status === "done" || job.status === "cancelled";
    this.pauseBtn.hidden = !(job.status === "running" || job.status === "queued");
    this.resumeBtn.hidden = job.status !== "paused";
    this.cancelBtn.hidden = finished;
    this.retryBtn.hidden = !(c.failed > 0 && job.status !== "cancelled");
    this.resultsBtn.hidden = false;
    this.newBtn.hidden = !finished;
  }

  async act(action) {
    this.alert.replaceChildren();
    try {
      this.show(await this.handle[action]());
      this.load();
      // A retried job that had ended runs again: follow it again.
      if (action === "retry" && !this.following) this.follow(this.handle);
    } catch (err) {
      this.fail(`Could not ${action} the job: ${this.message(err)}`);
    }
  }

  async results() {
    try {
      this.util.download(`${this.provider}-import-${this.id}-results.csv`, await this.handle.results());
    } catch (err) {
      this.fail(`Could not download the results: ${this.message(err)}`);
    }
  }

  /** Moves a page back or forth. */
  page(step) {
    this.at = Math.max(0, (this.at ?? 0) + step);
    this.load();
  }

  /** Loads and renders the current page of rows (one load at a time; a newer request waits for it). */
  async load() {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    try {
      const at = (this.at ??= 0);
      const page = await this.handle.rows({ limit: PAGE, cursor: this.cursors[at] });
      if (page.next != null) this.cursors[at + 1] = page.next;
      this.render(page, at);
    } catch (err) {
      this.fail(`Could not read the rows: ${this.message(err)}`);
    } finally {
      this.loading = false;
      if (this.again) {
        this.again = false;
        this.load();
      }
    }
  }

  render(page, at) {
    const { h } = this.util;
    const rows = page.rows.map((r) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, String(r.row + 1)),
        h("td", { class: `st st-${r.status}` }, ROW_STATUS[r.status] ?? r.status),
        h("td", {}, r.id ?? ""),
        h("td", {}, [...r.errors.map((i) => `${i.path || "row"}: ${i.message}`), r.note ?? ""].filter(Boolean).join(" ")),
      ),
    );
    this.table.replaceChildren(
      h("caption", { class: "vh" }, "Each row of the import job with its outcome."),
      h("thead", {}, h("tr", {}, ["Row", "Status", "User id", "Problems"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows),
    );
    const first = at * PAGE + 1;
    this.pageText.textContent = rows.length ? `Rows ${first}–${first + rows.length - 1}` : "No rows";
    this.prevBtn.hidden = at === 0;
    this.nextBtn.hidden = page.next == null;
  }

  close() {
    this.closed = true;
    this.onClose();
  }
}
