// Form controls rendered from a provider's rules (`rules(provider).fields`).
// A field's `type` picks the control; nothing here names a provider's field.
//
// Every control is a node:
//   { field, el, target, touched, read(), walk(base, visit), show(errors, warnings) }
// `read()` returns the JSON value (undefined = leave the field out), `walk`
// visits `(pointer, node)` for the node and its children so that an issue's
// `path` can be routed to the closest control, `show` renders its messages.

import { h, uid, token, under } from "./util.js";

const SCALAR = new Set(["string", "email", "password", "phone", "integer", "boolean", "enum"]);

/** The JSON value of one typed scalar written as text. */
function scalar(text, rule) {
  const s = rule.type === "password" ? text : text.trim();
  if (s === "") return undefined;
  if (rule.type === "integer" && /^-?\d+$/.test(s)) {
    const v = Number(s);
    return Number.isSafeInteger(v) ? v : s;
  }
  if (rule.type === "boolean" && /^(true|false)$/i.test(s)) return s.toLowerCase() === "true";
  return s;
}

/** Reads JSON if the text is JSON, else the text (validation reports it). */
function jsonOrText(text) {
  const s = text.trim();
  if (s === "") return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/**
 * The label block of a field: label text, required mark, deprecated badge.
 * Inputs carry `required` (announced by screen readers); a group's legend
 * says it in words.
 */
function labelText(field, group = false) {
  return [
    field.label,
    field.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null,
    field.required && group ? h("span", { class: "vh" }, " (required)") : null,
    field.deprecated ? h("span", { class: "badge" }, "deprecated") : null,
  ];
}

/** A message list below a control; returns [element, render(errors, warnings)]. */
export function messages(id) {
  const el = h("div", { class: "msgs", id });
  const render = (errors, warnings) => {
    el.replaceChildren(
      ...errors.map((i) => h("p", { class: "err" }, h("span", { class: "vh" }, "Error: "), i.message)),
      ...warnings.map((i) => h("p", { class: "warn" }, h("span", { class: "vh" }, "Warning: "), i.message)),
    );
  };
  return [el, render];
}

/** Sets aria-invalid and aria-describedby (hint + messages) on `targets`. */
function describe(targets, invalid, ids) {
  for (const t of targets) {
    if (invalid) t.setAttribute("aria-invalid", "true");
    else t.removeAttribute("aria-invalid");
    const d = ids.filter(Boolean).join(" ");
    if (d) t.setAttribute("aria-describedby", d);
    else t.removeAttribute("aria-describedby");
  }
}

/** Password checklist items from a policy: [code, text]. */
function checklistItems(policy) {
  const items = [["min_length", `At least ${policy.minLength} characters`]];
  if (policy.uppercase) items.push(["password_uppercase", "An uppercase letter"]);
  if (policy.lowercase) items.push(["password_lowercase", "A lowercase letter"]);
  if (policy.special) items.push(["password_special", "A special character (not a letter, digit or space)"]);
  return items;
}

/**
 * A control for `field`. `ctx.changed(now)` is called on every edit (now =
 * validate at once, e.g. on blur); `ctx.policy` is the provider's password
 * policy.
 */
export function control(field, ctx) {
  if (field.type === "object") return objectGroup(field, ctx);
  if (field.type === "array") {
    const items = field.items ?? {};
    if (items.type === "enum") return checkboxGroup(field, ctx);
    if (items.type === "object") return repeatGroup(field, ctx);
    if (SCALAR.has(items.type)) return textList(field, ctx, false);
    if (items.type === "array" && SCALAR.has(items.items?.type)) return textList(field, ctx, true);
    return jsonArea(field, ctx);
  }
  if (field.type === "boolean") return checkbox(field, ctx);
  if (field.type === "enum") return select(field, ctx);
  return input(field, ctx);
}

/** Wires touch tracking and change notification on a node's inputs. */
function track(node, ctx, el, { blur = true } = {}) {
  el.addEventListener("input", () => {
    node.touched = true;
    ctx.changed(false);
  });
  el.addEventListener("change", () => {
    node.touched = true;
    ctx.changed(true);
  });
  if (blur) {
    el.addEventListener("focusout", () => {
      node.touched = true;
      ctx.changed(true);
    });
  }
}

/** Shared plumbing of a single-target control. */
function leaf(field, ctx, target, wrap, hintId, extra = {}) {
  const msgId = uid("msg");
  const [msgs, render] = messages(msgId);
  wrap.append(msgs);
  const node = {
    field,
    el: wrap,
    target,
    touched: false,
    walk: (base, visit) => visit(base, node),
    show(errors, warnings) {
      const shown = extra.filter ? errors.filter(extra.filter) : errors;
      render(shown, warnings);
      describe([target], errors.length > 0, [hintId, extra.describedBy, shown.length || warnings.length ? msgId : null]);
    },
    ...extra.node,
  };
  track(node, ctx, target);
  return node;
}

function hint(field) {
  if (!field.description) return [null, null];
  const id = uid("hint");
  return [id, h("p", { class: "hint", id }, field.description)];
}

function input(field, ctx) {
  const id = uid("f");
  const [hintId, hintEl] = hint(field);
  // The form describes someone else (an admin creates the account): the
  // browser must not fill in the admin's own details.
  const attrs = { id, name: field.name, type: "text", required: field.required, spellcheck: "false", autocomplete: "off" };
  if (field.type === "email") Object.assign(attrs, { type: "email", autocapitalize: "off" });
  if (field.type === "phone") Object.assign(attrs, { type: "tel" });
  if (field.type === "integer") Object.assign(attrs, { inputmode: "numeric" });
  if (field.type === "password") Object.assign(attrs, { type: "password", autocomplete: "new-password" });
  const target = h("input", attrs);
  const wrap = h("div", { class: `field t-${field.type}` }, h("label", { for: id }, labelText(field)), target, hintEl);
  if (field.type !== "password") {
    return leaf(field, ctx, target, wrap, hintId, { node: { read: () => scalar(target.value, field) } });
  }
  // Password: a live checklist driven by the policy and by which of its codes
  // the core reports. The value itself is never copied anywhere.
  const policy = field.password ?? ctx.policy;
  const items = policy ? checklistItems(policy) : [];
  const listId = uid("pw");
  const lis = items.map(([code, text]) =>
    h("li", { "data-code": code, class: "todo" }, h("span", { class: "vh state" }, "Not yet: "), text),
  );
  const list = items.length ? h("ul", { class: "checklist", id: listId, "aria-label": "Password requirements" }, lis) : null;
  if (list) wrap.insertBefore(list, target.nextSibling);
  const covered = new Set(items.map(([code]) => code));
  const node = leaf(field, ctx, target, wrap, hintId, {
    describedBy: list ? listId : null,
    filter: (i) => !covered.has(i.code),
    node: { read: () => scalar(target.value, field) },
  });
  const show = node.show;
  node.show = (errors, warnings, all = errors) => {
    show(errors, warnings);
    const empty = target.value === "";
    for (const li of lis) {
      const ok = !empty && !all.some((i) => i.code === li.dataset.code);
      li.className = ok ? "done" : empty ? "todo" : "miss";
      li.querySelector(".state").textContent = ok ? "Done: " : "Not yet: ";
    }
  };
  return node;
}

function select(field, ctx) {
  const id = uid("f");
  const [hintId, hintEl] = hint(field);
  const none = field.required ? "Choose…" : field.default !== undefined ? `Default (${field.default})` : "Not set";
  const target = h(
    "select",
    { id, name: field.name, required: field.required },
    h("option", { value: "" }, none),
    (field.values ?? []).map((v) => h("option", { value: v }, v)),
  );
  const wrap = h("div", { class: "field t-enum" }, h("label", { for: id }, labelText(field)), target, hintEl);
  return leaf(field, ctx, target, wrap, hintId, { node: { read: () => (target.value === "" ? undefined : target.value) } });
}

function checkbox(field, ctx) {
  const id = uid("f");
  const [hintId, hintEl] = hint(field);
  const def = field.default === true;
  const target = h("input", { id, name: field.name, type: "checkbox", checked: def });
  const wrap = h("div", { class: "field t-boolean" }, h("div", { class: "check" }, target, h("label", { for: id }, labelText(field))), hintEl);
  // Left out when it equals the provider's default, so the provider decides.
  return leaf(field, ctx, target, wrap, hintId, {
    node: { read: () => (target.checked === def ? undefined : target.checked) },
  });
}

/** A fieldset whose legend is the field's label, with hint and messages. */
function group(field, cls) {
  const [hintId, hintEl] = hint(field);
  const msgId = uid("msg");
  const [msgs, render] = messages(msgId);
  const fs = h("fieldset", { class: `field group ${cls}` }, h("legend", {}, labelText(field, true)), hintEl);
  return { fs, msgs, render, hintId, msgId };
}

function checkboxGroup(field, ctx) {
  const g = group(field, "t-checks");
  const boxes = (field.items.values ?? []).map((v) => h("input", { type: "checkbox", value: v, id: uid("c") }));
  g.fs.append(h("div", { class: "checks" }, boxes.map((b) => h("div", { class: "check" }, b, h("label", { for: b.id }, b.value)))), g.msgs);
  const node = {
    field,
    el: g.fs,
    target: boxes[0],
    touched: false,
    read() {
      const on = boxes.filter((b) => b.checked).map((b) => b.value);
      return on.length ? on : undefined;
    },
    walk: (base, visit) => visit(base, node),
    show(errors, warnings) {
      g.render(errors, warnings);
      describe(boxes, errors.length > 0, [errors.length || warnings.length ? g.msgId : null]);
      g.fs.classList.toggle("invalid", errors.length > 0);
    },
  };
  for (const b of boxes) track(node, ctx, b, { blur: false });
  return node;
}

function textList(field, ctx, nested) {
  const id = uid("f");
  const [hintId, hintEl] = hint(field);
  const item = nested ? field.items.items : field.items;
  const how = nested
    ? "One list per line, values separated by commas (e.g. 1, 2)."
    : "One per line.";
  const howId = uid("how");
  const target = h("textarea", { id, name: field.name, rows: "3", spellcheck: "false" });
  const wrap = h(
    "div",
    { class: "field t-list" },
    h("label", { for: id }, labelText(field)),
    target,
    h("p", { class: "hint", id: howId }, how),
    hintEl,
  );
  const lines = () => target.value.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const read = () => {
    const ls = lines();
    if (!ls.length) return undefined;
    if (!nested) return ls.map((l) => scalar(l, item));
    return ls.map((l) => l.split(/[\s,;]+/).filter(Boolean).map((v) => scalar(v, item)));
  };
  return leaf(field, ctx, target, wrap, hintId, { describedBy: howId, node: { read } });
}

function jsonArea(field, ctx) {
  const id = uid("f");
  const [hintId, hintEl] = hint(field);
  const target = h("textarea", { id, name: field.name, rows: "3", spellcheck: "false" });
  const wrap = h("div", { class: "field t-json" }, h("label", { for: id }, labelText(field), " (JSON)"), target, hintEl);
  return leaf(field, ctx, target, wrap, hintId, { node: { read: () => jsonOrText(target.value) } });
}

/** The controls of an object's fields, with `onlyWhen` relevance. */
/**
 * The provider's request options (`rules(provider).options`: PandaDoc's
 * notification flags), one select each: the provider's default (not sent),
 * yes or no. `values()` gives them as `createUser` options. Null when the
 * provider has none.
 */
export function requestOptions(options, providerName) {
  if (!options?.length) return null;
  const selects = options.map((o) => {
    const id = uid("opt");
    const sel = h(
      "select",
      { id, name: o.option },
      h("option", { value: "" }, `${providerName}'s default`),
      h("option", { value: "true" }, "Yes"),
      h("option", { value: "false" }, "No"),
    );
    return [o.option, sel, h("div", { class: "field" }, h("label", { for: id }, o.description), sel)];
  });
  return {
    el: h(
      "fieldset",
      { class: "group request-options" },
      h("legend", {}, "Options"),
      h("div", { class: "fields" }, selects.map(([, , el]) => el)),
    ),
    values: () => Object.fromEntries(selects.filter(([, sel]) => sel.value !== "").map(([name, sel]) => [name, sel.value === "true"])),
  };
}

export class ObjectView {
  constructor(fields, ctx) {
    this.nodes = fields.map((f) => control(f, ctx));
    this.el = h("div", { class: "fields" }, this.nodes.map((n) => n.el));
    this.byName = new Map(this.nodes.map((n) => [n.field.name, n]));
  }

  /** Whether the provider uses `node`'s field given its siblings' values. */
  relevant(node) {
    const cond = node.field.onlyWhen;
    if (!cond) return true;
    const other = this.byName.get(cond.field);
    return other !== undefined && this.relevant(other) && other.read() === cond.equals;
  }

  /** Shows only relevant fields. */
  refresh() {
    for (const n of this.nodes) {
      n.el.hidden = !this.relevant(n);
      n.refresh?.();
    }
  }

  read() {
    const out = {};
    for (const n of this.nodes) {
      if (!this.relevant(n)) continue;
      const v = n.read();
      if (v !== undefined) out[n.field.name] = v;
    }
    return out;
  }

  walk(base, visit) {
    for (const n of this.nodes) if (this.relevant(n)) n.walk(`${base}/${token(n.field.name)}`, visit);
  }
}

function objectGroup(field, ctx) {
  const g = group(field, "t-object");
  const view = new ObjectView(field.fields ?? [], ctx);
  g.fs.append(view.el, g.msgs);
  const node = nestedNode(view, {
    field,
    el: g.fs,
    read: () => {
      // A required object is sent even when empty, so that the core reports
      // the missing fields inside it, next to their inputs.
      const v = view.read();
      return Object.keys(v).length || field.required ? v : undefined;
    },
    refresh: () => view.refresh(),
    walk(base, visit) {
      visit(base, node);
      view.walk(base, visit);
    },
    show(errors, warnings) {
      g.render(errors, warnings);
    },
  });
  return node;
}

/**
 * Gives a control made of a nested view (an object group, one item of a
 * repeatable group) the `target` (its first input, for focus) and `touched`
 * (any of its inputs) of that view's nodes.
 */
function nestedNode(view, node) {
  return Object.defineProperties(node, {
    target: { get: () => view.nodes[0]?.target, enumerable: true },
    touched: {
      get: () => view.nodes.some((n) => n.touched),
      set: (v) => {
        for (const n of view.nodes) n.touched = v;
      },
      enumerable: true,
    },
  });
}

function repeatGroup(field, ctx) {
  const g = group(field, "t-repeat");
  const list = h("div", { class: "items" });
  const items = [];
  const min = Math.max(1, field.minItems ?? 0);
  const add = h("button", { type: "button", class: "secondary add" }, "Add another ", h("span", { class: "vh" }, field.label));
  g.fs.append(list, add, g.msgs);
  const node = {
    field,
    el: g.fs,
    get target() {
      return items[0]?.view.nodes[0]?.target ?? add;
    },
    get touched() {
      return items.some((it) => it.node.touched);
    },
    set touched(v) {
      for (const it of items) it.node.touched = v;
    },
    read() {
      const v = items.map((it) => it.view.read());
      return v.length ? v : undefined;
    },
    refresh() {
      items.forEach((it, i) => {
        it.legend.textContent = `${field.label} #${i + 1}`;
        it.remove.querySelector(".vh").textContent = ` ${field.label} #${i + 1}`;
        it.remove.disabled = items.length <= (field.minItems ?? 0);
        it.view.refresh();
      });
    },
    walk(base, visit) {
      visit(base, node);
      items.forEach((it, i) => {
        visit(`${base}/${i}`, it.node);
        it.view.walk(`${base}/${i}`, visit);
      });
    },
    show(errors, warnings) {
      g.render(errors, warnings);
      g.fs.classList.toggle("invalid", errors.length > 0);
    },
  };
  const addItem = (focus) => {
    const view = new ObjectView(field.items.fields ?? [], ctx);
    const legend = h("legend", {});
    const remove = h("button", { type: "button", class: "secondary remove" }, "Remove", h("span", { class: "vh" }));
    const msgId = uid("msg");
    const [msgs, render] = messages(msgId);
    const fs = h("fieldset", { class: "item" }, legend, view.el, msgs, remove);
    const it = { view, legend, remove, fs };
    it.node = nestedNode(view, { field, el: fs, show: (errors, warnings) => render(errors, warnings) });
    remove.addEventListener("click", () => {
      const i = items.indexOf(it);
      items.splice(i, 1);
      fs.remove();
      node.refresh();
      ctx.changed(true);
      (items[Math.min(i, items.length - 1)]?.view.nodes[0]?.target ?? add).focus();
    });
    items.push(it);
    list.append(fs);
    node.refresh();
    if (focus) view.nodes[0]?.target?.focus();
  };
  add.addEventListener("click", () => {
    addItem(true);
    ctx.changed(false);
  });
  for (let i = 0; i < min; i++) addItem(false);
  node.reset = () => {
    items.splice(0).forEach((it) => it.fs.remove());
    for (let i = 0; i < min; i++) addItem(false);
  };
  return node;
}

/** Routes issues to the nodes that own their paths; returns the unrouted ones. */
export function route(view, base, issues) {
  const nodes = new Map();
  view.walk(base, (path, node) => nodes.set(path, node));
  const paths = [...nodes.keys()];
  const per = new Map();
  const rest = [];
  for (const i of issues) {
    let best;
    for (const p of paths) if (under(p, i.path) && (best === undefined || p.length > best.length)) best = p;
    if (best === undefined) rest.push(i);
    else {
      const n = nodes.get(best);
      if (!per.has(n)) per.set(n, []);
      per.get(n).push(i);
    }
  }
  return { nodes, per, rest };
}
