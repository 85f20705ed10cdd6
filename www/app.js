// The enlist form: loads the `enlist` package (the Rust core as WebAssembly),
// lists its providers, and renders each one's form and bulk import from
// `rules(provider)`. No provider, field or rule is named in this page. The
// bulk tab (bulk.js) is loaded with `import()` when it is first shown.

import init, * as enlist from "./vendor/enlist/index.js";
import { Access } from "./access.js";
import { UserForm } from "./form.js";
import { h } from "./util.js";

// What the page uses of the package, named (a namespace object would keep
// every export and, with code splitting, a helper chunk of its own).
const api = {
  createImport: enlist.createImport,
  createUser: enlist.createUser,
  csvTemplate: enlist.csvTemplate,
  csvToRows: enlist.csvToRows,
  isRetryable: enlist.isRetryable,
  openImport: enlist.openImport,
  providers: enlist.providers,
  rules: enlist.rules,
  validate: enlist.validate,
  validateMany: enlist.validateMany,
};

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

function tabs(panels, onSelect) {
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
    onSelect?.(i);
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

// The URL's hash: `#provider`, `#provider/bulk`, and with an import job on
// the bulk tab `#provider/bulk/import=<id>` (a reload or another browser
// shows the same job).
const state = { provider: null, mode: "single", job: null };
function saveState() {
  const bulk = state.mode === "bulk" ? `/bulk${state.job ? `/import=${encodeURIComponent(state.job)}` : ""}` : "";
  history.replaceState(null, "", `#${state.provider}${bulk}`);
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
  const [wantProvider, wantMode, wantJob] = decodeURIComponent(location.hash.slice(1)).split("/");
  state.provider = ids.includes(wantProvider) ? wantProvider : ids[0];
  const job = wantMode === "bulk" && wantProvider === state.provider && wantJob?.startsWith("import=") ? wantJob.slice(7) : null;

  const access = new Access();
  access.detect();
  const views = new Map();
  const bulkReady = typeof api.csvToRows === "function" && typeof api.csvTemplate === "function";
  let bulkCode;
  /** Shows the bulk tab of provider `id`, loading its code the first time. */
  const showBulk = async (id) => {
    const v = views.get(id);
    if (!v.bulk && bulkReady) {
      try {
        bulkCode ??= import("./bulk.js");
        const { BulkImport } = await bulkCode;
        v.bulk ??= new BulkImport(api, id, access, {
          job: id === state.provider ? job : null,
          onJob: (jobId) => {
            if (state.provider !== id) return;
            state.job = jobId;
            saveState();
          },
        });
      } catch {
        bulkCode = undefined;
      }
    }
    if (state.provider !== id) return;
    state.job = v.bulk?.jobId ?? null;
    saveState();
    t.bodies[1].replaceChildren(
      v.bulk?.el ??
        h("p", { class: "status error" }, bulkReady ? "The bulk import could not be loaded. Reload the page to try again." : "Bulk import needs a newer build of the enlist package (csvToRows)."),
    );
  };
  const t = tabs(
    [
      { id: "single", label: "One user" },
      { id: "bulk", label: "Bulk import (CSV)" },
    ],
    (i) => {
      if (i === 1) showBulk(state.provider);
      else {
        state.job = null;
        saveState();
      }
    },
  );
  const heading = h("h2", { class: "vh", id: "form-title" });
  const show = (id) => {
    state.provider = id;
    let v = views.get(id);
    if (!v) {
      v = { form: new UserForm(api, id, access), bulk: null };
      views.set(id, v);
    }
    heading.textContent = `Create ${names.get(id)} users`;
    t.bodies[0].replaceChildren(v.form.el);
    t.bodies[1].replaceChildren(v.bulk?.el ?? h("p", { class: "loading" }, "Loading the bulk import…"));
    state.job = v.bulk?.jobId ?? null;
    saveState();
    if (state.mode === "bulk") showBulk(id);
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
