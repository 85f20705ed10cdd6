// One user at a time: a form rendered from `rules(provider)`, validated by the
// core as you type, sent through `createUser` to the enlist Worker.

import { badToken } from "./access.js";
import { ObjectView, requestOptions, route } from "./controls.js";
import { debounce, h, newKey, uid } from "./util.js";

export class UserForm {
  /**
   * @param {object} api the `enlist` module (validate, createUser, …)
   * @param {string} provider a provider id from `providers()`
   * @param {import("./access.js").Access} access the server's endpoint and client token
   */
  constructor(api, provider, access) {
    this.api = api;
    this.access = access;
    this.provider = provider;
    this.rules = api.rules(provider);
    this.submitted = false;
    this.busy = false;
    this.cooldown = 0;
    this.key = null;
    this.keyBody = null;

    const validateSoon = debounce(() => this.validate(), 200);
    const ctx = {
      policy: this.rules.passwordPolicy,
      changed: (now) => {
        this.view?.refresh();
        if (now) validateSoon.flush();
        else validateSoon();
      },
    };
    this.view = new ObjectView(this.rules.fields, ctx);
    this.options = requestOptions(this.rules.options, this.rules.name);
    this.summary = h("div", { class: "summary", tabindex: "-1", hidden: true });
    this.status = h("div", { class: "status", role: "status", "aria-live": "polite" });
    this.button = h("button", { type: "submit", class: "primary" }, `Create ${this.rules.name} user`);
    const note = h(
      "p",
      { class: "note" },
      h("span", { class: "req", "aria-hidden": "true" }, "*"),
      " required. The account is created by the enlist server, which holds the API key.",
    );
    this.el = h(
      "form",
      { class: "user-form", novalidate: true, "aria-label": `New ${this.rules.name} user`, "data-provider": provider },
      note,
      this.summary,
      this.view.el,
      this.options?.el,
      h("div", { class: "actions" }, this.button),
      this.status,
    );
    this.el.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.view.refresh();
    this.validate();
  }

  /** The payload the form describes now. */
  read() {
    return this.view.read();
  }

  /** Validates with the core and shows the result; returns it. */
  validate() {
    const r = this.api.validate(this.provider, this.read());
    this.show(r.errors, r.warnings);
    return r;
  }

  /** Puts issues on their fields (errors only on touched fields until submit). */
  show(errors, warnings, { all = this.submitted } = {}) {
    const e = route(this.view, "", errors);
    const w = route(this.view, "", warnings);
    for (const [, node] of e.nodes) {
      const errs = e.per.get(node) ?? [];
      node.show(all || node.touched ? errs : [], w.per.get(node) ?? [], errs);
    }
    const rest = [...(all ? e.rest : []), ...w.rest];
    this.firstError = null;
    if (all) {
      for (const [, node] of e.nodes) {
        if (e.per.has(node) && node.target && !node.el.closest("[hidden]")) {
          this.firstError = node;
          break;
        }
      }
    }
    return { count: errors.length, rest };
  }

  /** An error summary above the form, linking to the fields. */
  summarize(errors, title) {
    const e = route(this.view, "", errors);
    const links = [];
    for (const [, node] of e.nodes) {
      for (const i of e.per.get(node) ?? []) {
        const t = node.target;
        if (!t) continue;
        if (!t.id) t.id = uid("f");
        links.push(
          h("li", {}, h("a", { href: `#${t.id}`, onclick: (ev) => (ev.preventDefault(), t.focus()) }, `${node.field.label}: ${i.message}`)),
        );
      }
    }
    for (const i of e.rest) links.push(h("li", {}, i.message));
    this.summary.replaceChildren(h("h3", {}, title), h("ul", {}, links));
    this.summary.hidden = links.length === 0;
  }

  clearSummary() {
    this.summary.hidden = true;
    this.summary.replaceChildren();
  }

  focusFirstError() {
    (this.firstError?.target ?? this.summary).focus();
  }

  setBusy(busy) {
    this.busy = busy;
    this.button.disabled = busy || this.cooldown > 0;
    this.button.setAttribute("aria-busy", String(busy));
    this.el.classList.toggle("busy", busy);
  }

  say(kind, ...content) {
    this.status.className = `status ${kind}`;
    this.status.replaceChildren(...content);
  }

  /** Validates, then sends through the Worker with one Idempotency-Key per filled form. */
  async submit() {
    if (this.busy || this.cooldown > 0) return;
    this.submitted = true;
    const payload = this.read();
    const local = this.api.validate(this.provider, payload);
    this.show(local.errors, local.warnings);
    if (!local.ok) {
      this.summarize(local.errors, `Fix ${local.errors.length === 1 ? "this problem" : `these ${local.errors.length} problems`} first`);
      this.say("error", "Nothing was sent: some fields need attention.");
      this.focusFirstError();
      return;
    }
    this.clearSummary();
    if (navigator.onLine === false) {
      this.say("error", "You are offline. Your entries are kept; send again when you are back online.");
      return;
    }
    // Same payload → same key: a retry or a second click is the same request
    // to the Worker, which answers it once.
    const body = JSON.stringify([payload, this.options?.values()]);
    if (body !== this.keyBody) {
      this.key = newKey();
      this.keyBody = body;
    }
    this.setBusy(true);
    this.say("info", "Sending…");
    let out;
    try {
      out = await this.api.createUser(this.provider, payload, this.access.options({ ...this.options?.values(), idempotencyKey: this.key }));
    } catch (err) {
      if (badToken(err)) out = { kind: "bad_token", message: err.message };
      else out = { kind: "network", status: 0, message: err instanceof Error ? err.message : String(err) };
    } finally {
      this.setBusy(false);
    }
    this.outcome(out);
  }

  outcome(out) {
    const ref = out.request_id ? ` (reference ${out.request_id})` : "";
    switch (out.kind) {
      case "created":
        this.say(
          "ok",
          h("strong", {}, `${this.rules.name} user created.`),
          " Id: ",
          h("code", { class: "created-id" }, out.id),
          " ",
          h("button", { type: "button", class: "secondary", onclick: () => this.reset() }, "Create another user"),
        );
        return;
      case "invalid":
      case "validation":
      case "already_exists":
      case "bad_request":
      case "forbidden":
        if (out.errors?.length) {
          // Field problems (the provider's 400, the Worker's policy): on their fields.
          const who = out.kind === "forbidden" ? "This service" : out.kind === "invalid" ? "Validation" : this.rules.name;
          this.show(out.errors, [], { all: true });
          this.summarize(out.errors, `${who} refused ${out.errors.length === 1 ? "this value" : "these values"}`);
          this.say(
            "error",
            out.kind === "already_exists" || out.errors.some((i) => i.code === "already_exists")
              ? "This user already exists."
              : "Nothing was created: see the messages next to the fields.",
            ref,
          );
          this.focusFirstError();
          return;
        }
        break;
      case "unauthorized":
      case "bad_token":
        this.say("error", "Nothing was created: this server needs a valid client token (under Access above).", ref);
        this.access.refused(out.kind === "bad_token" ? "A client token is one word of visible characters, without spaces." : undefined);
        return;
      case "rate_limited":
      case "conflict":
        this.countdown(out.retry_after ?? (out.kind === "conflict" ? 2 : 5), out.kind);
        return;
      case "network":
        if (navigator.onLine === false) this.say("error", "You are offline. Nothing was sent; your entries are kept. Send again when you are back online.");
        else this.say("error", "The enlist server could not be reached. Check your connection and send again: the same request key makes a retry safe.");
        return;
      default:
        break;
    }
    // The package says whether sending the same request again can help.
    if (out.retryable) {
      this.say(
        "error",
        h("strong", {}, `${this.rules.name} did not answer properly (${out.status || "no status"}).`),
        ` ${out.message}${ref} Send again in a moment: retries reuse the same request key, so no duplicate account can be created.`,
      );
    } else {
      this.say("error", `The request failed (${out.status}): ${out.message}${ref}`);
    }
  }

  /** 429 (or a request still in flight): wait `seconds`, showing a countdown. */
  countdown(seconds, kind) {
    clearInterval(this.timer);
    const until = Date.now() + Math.max(1, seconds) * 1000;
    const left = () => Math.max(0, Math.ceil((until - Date.now()) / 1000));
    const num = h("span", { class: "countdown", role: "timer" }, String(left()));
    const why = kind === "conflict" ? "The previous attempt is still being processed." : "Too many requests right now.";
    this.say("warn", `${why} You can send again in `, num, " s.");
    this.cooldown = left();
    this.setBusy(false);
    this.timer = setInterval(() => {
      this.cooldown = left();
      num.textContent = String(this.cooldown);
      if (this.cooldown === 0) {
        clearInterval(this.timer);
        this.setBusy(false);
        this.say("info", "You can send again now.");
      }
    }, 250);
  }

  /** Clears the form for the next user (and forgets the request key). */
  reset() {
    clearInterval(this.timer);
    this.cooldown = 0;
    this.el.reset();
    this.view.walk("", (_, n) => n.reset?.());
    this.view.walk("", (_, n) => {
      n.touched = false;
    });
    this.submitted = false;
    this.key = this.keyBody = null;
    this.clearSummary();
    this.say("", "");
    this.view.refresh();
    this.validate();
    this.view.nodes[0]?.target?.focus();
  }
}
