// The enlist form: loads the `enlist` package (the Rust core as WebAssembly),
// lists its providers, and renders each one's form and bulk import from
// `rules(provider)`. No provider, field or rule is named in this page.

import init, * as api from "./vendor/enlist/index.js";
import { Access } from "./access.js";
import { BulkImport } from "./bulk.js";
import { UserForm } from "./form.js";
import { h } from "./util.js";

// ---- theme: prefers-color-scheme, overridden by the toggle (remembered) ----

const root = document.documentElement;
const themeButton = document.getElementById("theme");
const dark = matchMedia("(prefers-color-scheme: dark)");
const stored = () => {
  try {
    return localStorage.getItem("enlist-theme");
  } catch {
    return null;
  }
};
function applyTheme() {
  const theme = stored() ?? (dark.matches ? "dark" : "light");
  root.dataset.theme = theme;
  themeButton.setAttribute("aria-pressed", String(theme === "dark"));
}
themeButton.addEventListener("click", () => {
  const next = root.dataset.theme === "dark" ? "light" : "dark";
  try {
    localStorage.setItem("enlist-theme", next);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  root.dataset.theme = next;
  themeButton.setAttribute("aria-pressed", String(next === "dark"));
});
dark.addEventListener("change", applyTheme);
applyTheme();

// ---- online / offline ------------------------------------------------------

const offline = document.getElementById("offline");
const onlineState = () => {
  offline.hidden = navigator.onLine !== false;
};
addEventListener("online", onlineState);
addEventListener("offline", onlineState);
onlineState();

// ---- the app -----------------------------------------------------------------

const app = document.getElementById("app");

function tabs(panels) {
  const list = h("div", { role: "tablist", "aria-label": "Mode", class: "tabs" });
  const buttons = panels.map(({ id, label }, i) =>
    h(
      "button",
      { type: "button", role: "tab", id: `tab-${id}`, "aria-controls": `panel-${id}`, "aria-selected": String(i === 0), tabindex: i === 0 ? "0" : "-1" },
      label,
    ),
  );
  const bodies = panels.map(({ id }, i) =>
    h("section", { role: "tabpanel", id: `panel-${id}`, "aria-labelledby": `tab-${id}`, hidden: i !== 0, tabindex: "-1" }),
  );
  const select = (i, focus) => {
    buttons.forEach((b, j) => {
      b.setAttribute("aria-selected", String(i === j));
      b.tabIndex = i === j ? 0 : -1;
      bodies[j].hidden = i !== j;
    });
    if (focus) buttons[i].focus();
    state.mode = panels[i].id;
    saveState();
  };
  buttons.forEach((b, i) => {
    b.addEventListener("click", () => select(i, false));
    b.addEventListener("keydown", (e) => {
      const k = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity }[e.key];
      if (k === undefined) return;
      e.preventDefault();
      const j = k === -Infinity ? 0 : k === Infinity ? buttons.length - 1 : (i + k + buttons.length) % buttons.length;
      select(j, true);
    });
  });
  list.append(...buttons);
  return { list, bodies, select };
}

const state = { provider: null, mode: "single" };
function saveState() {
  history.replaceState(null, "", `#${state.provider}${state.mode === "bulk" ? "/bulk" : ""}`);
}

async function main() {
  try {
    await init();
  } catch {
    app.replaceChildren(h("p", { class: "status error", role: "alert" }, "The validation engine could not be loaded. Reload the page to try again."));
    return;
  }
  const ids = api.providers();
  const names = new Map(ids.map((id) => [id, api.rules(id).name]));
  const [wantProvider, wantMode] = decodeURIComponent(location.hash.slice(1)).split("/");
  state.provider = ids.includes(wantProvider) ? wantProvider : ids[0];

  const access = new Access();
  access.detect();
  const views = new Map();
  const bulkReady = typeof api.csvToRows === "function" && typeof api.csvTemplate === "function";
  const t = tabs([
    { id: "single", label: "One user" },
    { id: "bulk", label: "Bulk import (CSV)" },
  ]);
  const heading = h("h2", { class: "vh", id: "form-title" });
  const show = (id) => {
    state.provider = id;
    let v = views.get(id);
    if (!v) {
      v = {
        form: new UserForm(api, id, access),
        bulk: bulkReady ? new BulkImport(api, id, access) : null,
      };
      views.set(id, v);
    }
    heading.textContent = `Create ${names.get(id)} users`;
    t.bodies[0].replaceChildren(v.form.el);
    t.bodies[1].replaceChildren(
      v.bulk?.el ?? h("p", { class: "status error" }, "Bulk import needs a newer build of the enlist package (csvToRows)."),
    );
    saveState();
  };

  const switcher = h(
    "fieldset",
    { class: "providers" },
    h("legend", {}, "Provider"),
    h(
      "div",
      { class: "seg" },
      ids.map((id) =>
        h(
          "label",
          {},
          h("input", { type: "radio", name: "provider", value: id, checked: id === state.provider, onchange: () => show(id) }),
          h("span", {}, names.get(id)),
        ),
      ),
    ),
  );
  app.replaceChildren(heading, h("div", { class: "bar" }, switcher, t.list), access.el, ...t.bodies);
  show(state.provider);
  if (wantMode === "bulk") t.select(1, false);
  app.removeAttribute("aria-busy");
}

main();
