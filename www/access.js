// Access to the enlist server. A server in admin mode (its /v1/health says
// `"mode": "admin"`) wants a client token with every call: it is typed here,
// kept in this page's memory only (a reload forgets it) and sent by
// `createUser` as `Authorization: Bearer …`. It is not a provider's API key:
// those never leave the server.

import { messages } from "./controls.js";
import { h } from "./util.js";

export class Access {
  constructor() {
    this.input = h("input", {
      type: "password",
      id: "client-token",
      name: "client-token",
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": "client-token-hint client-token-msgs",
      oninput: () => this.clear(),
    });
    [this.msgs, this.render] = messages("client-token-msgs");
    this.el = h(
      "fieldset",
      { class: "access group", hidden: true },
      h("legend", {}, "Access"),
      h(
        "div",
        { class: "field" },
        h("label", { for: "client-token" }, "Client token"),
        this.input,
        h(
          "p",
          { class: "hint", id: "client-token-hint" },
          "This server only accepts calls with a client token from whoever runs it. It stays in this page; it is not your provider's API key.",
        ),
        this.msgs,
      ),
    );
  }

  /**
   * Shows the token field when the server says it is in admin mode (then
   * `admin` is true: the bulk tab runs import jobs on the server).
   */
  detect() {
    this.ready = this.check();
  }

  async check() {
    try {
      const res = await fetch("/v1/health", { headers: { accept: "application/json" } });
      if ((await res.json())?.mode === "admin") {
        this.admin = true;
        this.el.hidden = false;
      }
    } catch {
      // Unknown: a 401 on the first call shows the field then.
    }
  }

  /** Options for this server (createUser, createImport, openImport): the endpoint, the token when one is typed, and `extra`. */
  options(extra) {
    const token = this.input.value.trim();
    return { endpoint: location.origin, ...(token ? { token } : {}), ...extra };
  }

  /** The server refused the token (401), or `createUser` refused its form (`message`). */
  refused(message) {
    this.el.hidden = false;
    const text =
      message ?? (this.input.value.trim() ? "This client token was not accepted." : "This server needs a client token.");
    this.render([{ message: text }], []);
    this.input.setAttribute("aria-invalid", "true");
    this.input.focus();
  }

  clear() {
    this.render([], []);
    this.input.removeAttribute("aria-invalid");
  }
}

/** Whether `createUser` threw because of its `token` option (a TypeError naming it). */
export const badToken = (err) => err instanceof TypeError && /options\.token/.test(err.message);
