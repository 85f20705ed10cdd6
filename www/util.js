// Small DOM and JSON Pointer helpers shared by the form and the bulk import.
// Nothing here knows a provider: fields, rules and messages come from the
// `enlist` package (rules(), validate(), validateMany(), csvToRows()).

/** Creates an element: h("p", { class: "x", onclick }, "text", child…). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c);
  return el;
}

let ids = 0;
/** A document-unique id with a readable prefix. */
export const uid = (prefix) => `${prefix}-${++ids}`;

/** One RFC 6901 reference token. */
export const token = (name) => String(name).replace(/~/g, "~0").replace(/\//g, "~1");

/** Whether `prefix` is `path` or a parent of it. */
export const under = (prefix, path) =>
  prefix === path || prefix === "" || path.startsWith(`${prefix}/`);

/** The value at a JSON Pointer, or undefined. */
export function at(value, pointer) {
  if (pointer === "") return value;
  let v = value;
  for (const raw of pointer.slice(1).split("/")) {
    if (v == null || typeof v !== "object") return undefined;
    v = v[raw.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return v;
}

/** Of `paths`, the longest that is `path` or a parent of it (or undefined). */
export function owner(paths, path) {
  let best;
  for (const p of paths) if (under(p, path) && (best === undefined || p.length > best.length)) best = p;
  return best;
}

/** Calls `fn` `ms` after the last call. */
export function debounce(fn, ms) {
  let t;
  const d = (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
  d.flush = (...args) => {
    clearTimeout(t);
    fn(...args);
  };
  d.cancel = () => clearTimeout(t);
  return d;
}

/** A fresh Idempotency-Key. */
export const newKey = () =>
  globalThis.crypto?.randomUUID?.() ??
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

/** One CSV cell, quoted when needed (RFC 4180). */
export function csvCell(text) {
  const s = String(text ?? "");
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV line from cells. */
export const csvLine = (cells) => cells.map(csvCell).join(",");

/** Offers `text` as a file download. */
export function download(name, text, type = "text/csv") {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Plural helper: n("row", 2) → "2 rows". */
export const n = (word, count) => `${count.toLocaleString("en")} ${word}${count === 1 ? "" : "s"}`;
