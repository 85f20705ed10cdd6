// The npm package `enlist` as a user gets it: `npm pack`ed from
// crates/enlist-wasm/pkg, installed offline into a throwaway project, imported
// by name from ESM (Node ≥ 20, no init call). Every API function, its errors and
// warnings on the providers' spec examples, and `createUser` against a local
// HTTP server. Run by `cargo xtask test` (step "node --test tests/npm").
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";

import { packAndInstall, root } from "./pack.mjs";

/** A key no file of the package may contain. */
const API_KEY = "sk_test_enlist_NEVER_SHIPPED_42";

/** Partoo's create-user example, from the examples of its OpenAPI reference. */
const PARTOO_EXAMPLE = {
  email: "perceval@example.com",
  first_name: "Perceval",
  last_name: "de Galles",
  org_id: 42,
  accesses: [
    [1, 2],
    [1, 3],
  ],
  role: "BUSINESS_MANAGER",
  custom_role: "my_custom_role",
  business_ids: ["5309c3a237bbc544d8e26737"],
  status: "active",
  lang: "fr",
};
/** PandaDoc's create-user example, from its API reference. */
const PANDADOC_EXAMPLE = {
  user: { email: "test@pandadoc.com", first_name: "New", last_name: "User", phone_number: "" },
  workspaces: [{ workspace_id: "Ab123", role: "Collaborator" }],
  license: "Guest",
};
const ADA = { email: "ada@example.com", first_name: "Ada", last_name: "Lovelace" };

const at = (issues, path, code) => issues.find((i) => i.path === path && i.code === code);

/**
 * The proxy's problems as the package's types list them (`Problems` in
 * index.d.ts, generated from enlist-core's contract by `cargo xtask gen`):
 * `[{ slug, status, title, kind, retryable }]`.
 */
function problems(types) {
  const body = /export interface Problems \{([\s\S]*?)\n\}/.exec(types)?.[1] ?? "";
  const row = /^ {2}(\w+): \{ status: (\d+); title: "([^"]*)"; kind: "(\w+)"; retryable: (true|false) \};$/gm;
  return [...body.matchAll(row)].map(([, slug, status, title, kind, retryable]) => ({
    slug,
    status: Number(status),
    title,
    kind,
    retryable: retryable === "true",
  }));
}
const codesAt = (issues) => issues.map((i) => `${i.path} ${i.code}`);

let pkg;
let enlist;

before(async () => {
  pkg = packAndInstall("npm");
  enlist = await pkg.importEnlist();
});

after(() => pkg?.cleanup());

describe("the tarball", () => {
  test("holds exactly the package files", () => {
    assert.deepEqual(pkg.files, [
      "LICENSE-APACHE",
      "LICENSE-MIT",
      "README.md",
      "api.js",
      "browser.js",
      "client.d.ts",
      "client.js",
      "enlist.js",
      "enlist_bg.wasm",
      "enlist_client.js",
      "enlist_client_bg.wasm",
      "imports.js",
      "index.d.ts",
      "node.js",
      "package.json",
      "workerd.js",
    ]);
  });

  test("has the npm metadata", () => {
    const meta = JSON.parse(readFileSync(join(pkg.dir, "node_modules/enlist/package.json"), "utf8"));
    assert.equal(meta.name, "enlist");
    assert.equal(meta.type, "module");
    assert.equal(meta.sideEffects, false);
    assert.equal(meta.license, "MIT OR Apache-2.0");
    assert.equal(meta.types, "./index.d.ts");
    const cargo = readFileSync(join(root, "Cargo.toml"), "utf8");
    assert.match(cargo, new RegExp(`version = "${meta.version.replace(/\./g, "\\.")}"`));
    assert.deepEqual(Object.keys(meta.exports["."]), ["types", "workerd", "node", "browser", "default"]);
    assert.deepEqual(meta.exports["./client"], { types: "./client.d.ts", default: "./client.js" });
    // `require("enlist")` of the ESM package needs require(esm): Node.js 20.19.
    assert.equal(meta.engines.node, ">=20.19.0");
  });

  test("ships the texts of both licenses", () => {
    const text = (name) => readFileSync(join(pkg.dir, "node_modules/enlist", name), "utf8");
    assert.match(text("LICENSE-MIT"), /^MIT License\n/);
    assert.match(text("LICENSE-MIT"), /Permission is hereby granted, free of charge/);
    assert.match(text("LICENSE-APACHE"), /Apache License\s+Version 2\.0, January 2004/);
    assert.match(text("LICENSE-APACHE"), /END OF TERMS AND CONDITIONS/);
    assert.match(text("README.md"), /MIT OR Apache-2\.0[\s\S]*LICENSE-MIT[\s\S]*LICENSE-APACHE/);
  });

  test("the README stands alone on the registry page", () => {
    const readme = readFileSync(join(pkg.dir, "node_modules/enlist/README.md"), "utf8");
    // Links: absolute https URLs (into the repository, or elsewhere) only.
    const targets = [...readme.matchAll(/\]\(([^)]*)\)/g)].map((m) => m[1]);
    assert.ok(targets.length > 0);
    for (const target of targets) assert.match(target, /^https:\/\//, target);
    // Nothing that assumes the repository is at hand.
    assert.doesNotMatch(readme, /cargo xtask|\bwww\/|\]\(docs\/|crates\//);
    // Every code and kind a caller can get is explained.
    const types = readFileSync(join(pkg.dir, "node_modules/enlist/index.d.ts"), "utf8");
    const union = (name) => {
      const body = new RegExp(`export type ${name} =([^;]*);`).exec(types)?.[1] ?? "";
      return [...body.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
    };
    for (const name of ["RequestErrorCode", "ProxyProblemKind", "FailureKind"]) {
      const values = union(name);
      assert.ok(values.length >= 7, name);
      for (const value of values) assert.ok(readme.includes(`\`${value}\``), `${name} ${value}`);
    }
    for (const code of union("RequestErrorCode")) {
      assert.match(readme, new RegExp(`\\| \`${code}\` \\| \\S`), `${code} has a row of its own`);
    }
    // The proxy's answer contract: every problem type the Worker sends, with
    // its status, kind and whether a retry can help.
    const contract = problems(types);
    assert.ok(contract.length >= 20, `problems in index.d.ts: ${contract.length}`);
    for (const p of contract) {
      const retry = p.retryable ? "yes" : "no";
      const row = `| ${p.status} | \`${p.slug}\` | \`${p.kind}\` | ${retry} |`;
      assert.ok(readme.includes(row), `${p.slug}: ${row}`);
    }
  });

  test("contains no API key", () => {
    const extract = join(pkg.dir, "extract");
    mkdirSync(extract);
    execFileSync("tar", ["xzf", pkg.tarball, "-C", extract]);
    // Keys the tests use, and any value of the local secrets file.
    const secrets = [API_KEY, "SECRET-KEY"];
    for (const file of [".dev.vars", ".dev.vars.example"]) {
      const path = join(root, file);
      if (!existsSync(path)) continue;
      for (const line of readFileSync(path, "utf8").split("\n")) {
        const m = /^\s*[A-Z_]*KEY[A-Z_]*\s*=\s*"?([^"\s#]{6,})/.exec(line);
        if (m) secrets.push(m[1]);
      }
    }
    const walk = (dir) =>
      readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
    for (const file of walk(extract)) {
      const text = readFileSync(file).toString("latin1");
      for (const secret of secrets) assert.ok(!text.includes(secret), `${file} contains a key`);
      assert.doesNotMatch(text, /(PARTOO|PANDADOC)_API_KEY\s*=/, file);
    }
  });
});

describe("providers and codes", () => {
  test("come from the core registry", () => {
    assert.deepEqual(enlist.providers(), ["partoo", "pandadoc"]);
    const codes = enlist.codes();
    assert.ok(codes.includes("required") && codes.includes("invalid_json") && codes.includes("ignored"));
    enlist.providers().push("x");
    assert.deepEqual(enlist.providers(), ["partoo", "pandadoc"], "a copy each time");
  });

  test("init resolves at once in Node", async () => {
    await enlist.init();
    await enlist.default();
  });
});

describe("validate", () => {
  test("accepts the PandaDoc example", () => {
    assert.deepEqual(enlist.validate("pandadoc", PANDADOC_EXAMPLE), { ok: true, errors: [], warnings: [] });
  });

  test("accepts the Partoo example, with warnings", () => {
    const r = enlist.validate("partoo", PARTOO_EXAMPLE);
    assert.equal(r.ok, true);
    assert.deepEqual(r.errors, []);
    // accesses only count for GROUP_MANAGER users.
    const w = at(r.warnings, "/accesses", "ignored");
    assert.ok(w, JSON.stringify(r.warnings));
    assert.equal(w.params.field, "role");
  });

  test("reports the deprecated field", () => {
    const r = enlist.validate("partoo", { ...ADA, sidebar_pages: ["posts"] });
    assert.equal(r.ok, true);
    assert.deepEqual(codesAt(r.warnings), ["/sidebar_pages deprecated"]);
  });

  test("applies allowedEmailDomains", () => {
    const r = enlist.validate("pandadoc", PANDADOC_EXAMPLE, { allowedEmailDomains: ["acme.com"] });
    assert.equal(r.ok, false);
    assert.deepEqual(r.errors, [
      {
        path: "/user/email",
        code: "domain",
        message: "The email address must be at acme.com.",
        params: { allowed: ["acme.com"] },
      },
    ]);
    assert.equal(enlist.validate("pandadoc", PANDADOC_EXAMPLE, { allowedEmailDomains: ["pandadoc.com"] }).ok, true);
    assert.equal(enlist.validate("pandadoc", PANDADOC_EXAMPLE).ok, true, "options do not stick");
  });

  test("reports every error at once", () => {
    const r = enlist.validate("partoo", {
      email: "nope",
      first_name: "",
      role: "admin",
      lang: "pt-BR",
      password: "abc",
      business_ids: ["a", "a"],
      sso_only: "no",
      firstname: "x",
    });
    assert.equal(r.ok, false);
    for (const [path, code] of [
      ["/email", "email"],
      ["/first_name", "empty"],
      ["/last_name", "required"],
      ["/role", "enum"],
      ["/lang", "enum"],
      ["/password", "min_length"],
      ["/password", "password_uppercase"],
      ["/password", "password_special"],
      ["/business_ids/1", "duplicate"],
      ["/sso_only", "type"],
      ["/firstname", "unknown_field"],
    ]) {
      assert.ok(at(r.errors, path, code), `${path} ${code} in ${codesAt(r.errors)}`);
    }
    assert.equal(at(r.errors, "/lang", "enum").params.suggestion, "pt-br");
    assert.equal(at(r.errors, "/firstname", "unknown_field").params.suggestion, "first_name");
    for (const issue of r.errors) {
      assert.deepEqual(Object.keys(issue).filter((k) => k !== "params"), ["path", "code", "message"]);
      assert.ok(!issue.message.includes("nope"), "messages never repeat the value");
    }
  });

  test("PandaDoc rules: phone, license, workspaces", () => {
    const r = enlist.validate("pandadoc", {
      user: { email: "test@pandadoc.com", phone_number: "0612345678" },
      license: "guest",
      workspaces: [
        { workspace_id: "Ab123", role: "Collaborator" },
        { workspace_id: "Ab123", role: "Owner" },
      ],
    });
    assert.deepEqual(codesAt(r.errors).sort(), [
      "/license enum",
      "/user/phone_number phone",
      "/workspaces/1/role enum",
      "/workspaces/1/workspace_id duplicate",
    ]);
    assert.equal(at(r.errors, "/license", "enum").params.suggestion, "Guest");
  });

  test("values JSON cannot represent are errors, not throws", () => {
    const cyclic = { ...ADA };
    cyclic.self = cyclic;
    const cases = [
      [undefined, ""],
      [() => 1, ""],
      [Symbol("x"), ""],
      [10n, ""],
      [{ ...ADA, first_name: () => "Ada" }, "/first_name"],
      [{ ...ADA, org_id: 10n }, "/org_id"],
      [{ ...ADA, org_id: Number.NaN }, "/org_id"],
      [{ ...ADA, org_id: Infinity }, "/org_id"],
      [{ ...ADA, business_ids: ["a", undefined] }, "/business_ids/1"],
      [{ ...ADA, role: Symbol("r") }, "/role"],
      [cyclic, "/self"],
    ];
    for (const [input, path] of cases) {
      const r = enlist.validate("partoo", input);
      assert.equal(r.ok, false, String(path));
      const issue = at(r.errors, path, "invalid_json");
      assert.ok(issue, `${path}: ${JSON.stringify(r.errors)}`);
      assert.equal(typeof issue.params.reason, "string");
      // No second error about the placeholder that replaced the value.
      assert.equal(r.errors.filter((i) => i.path === path).length, 1, JSON.stringify(r.errors));
    }
    // Other problems are still reported next to it.
    const r = enlist.validate("partoo", { email: "x", first_name: () => 1 });
    assert.deepEqual(codesAt(r.errors), ["/first_name invalid_json", "/email email", "/last_name required"]);
  });

  test("undefined properties are absent; toJSON and boxed values are read like JSON.stringify", () => {
    assert.equal(enlist.validate("partoo", { ...ADA, role: undefined, lang: undefined }).ok, true);
    assert.equal(enlist.validate("partoo", { ...ADA, first_name: new String("Ada") }).ok, true);
    const r = enlist.validate("partoo", { ...ADA, password: { toJSON: () => "Sh0rt!" } });
    assert.deepEqual(codesAt(r.errors), ["/password min_length"]);
    const dated = enlist.validate("partoo", { ...ADA, custom_role: new Date(0) });
    assert.equal(dated.ok, true, "a Date is its ISO string");
  });

  test("deep nesting, throwing getters and proxies do not throw", () => {
    let deep = {};
    for (let i = 0; i < 1000; i++) deep = { a: deep };
    const r = enlist.validate("partoo", deep);
    assert.equal(r.ok, false);
    assert.ok(r.errors.some((i) => i.code === "invalid_json"), JSON.stringify(r.errors.slice(0, 2)));

    const getter = { ...ADA };
    Object.defineProperty(getter, "lang", { enumerable: true, get: () => { throw new Error("no"); } });
    assert.ok(at(enlist.validate("partoo", getter).errors, "/lang", "invalid_json"));

    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    assert.ok(at(enlist.validate("partoo", proxy).errors, "", "invalid_json"));
  });

  test("caps the issues at maxIssues (100 by default) and counts the rest", () => {
    const wide = { ...ADA };
    for (let i = 0; i < 6000; i++) wide[`f${i}`] = 1;
    const r = enlist.validate("partoo", wide);
    assert.equal(r.ok, false);
    assert.equal(r.errors.length, 100);
    assert.deepEqual(r.errors.map((i) => i.path).slice(0, 2), ["/f0", "/f1"]);
    assert.deepEqual(r.omitted, { errors: 5900, warnings: 0 });
    // The JSON text path is capped alike.
    assert.deepEqual(enlist.validateJson("partoo", JSON.stringify(wide)), r);
    const five = enlist.validate("partoo", wide, { maxIssues: 5 });
    assert.equal(five.errors.length, 5);
    assert.deepEqual(five.omitted, { errors: 5995, warnings: 0 });
    const all = enlist.validate("partoo", wide, { maxIssues: Infinity });
    assert.equal(all.errors.length, 6000);
    assert.equal(all.omitted, undefined);
    // No `omitted` when nothing was left out.
    assert.equal("omitted" in enlist.validate("partoo", { email: "x" }), false);
    for (const bad of [0, -1, 1.5, "10", Number.NaN, -Infinity, true]) {
      assert.throws(() => enlist.validate("partoo", ADA, { maxIssues: bad }), /options\.maxIssues/, String(bad));
    }
    assert.equal(enlist.validate("partoo", ADA, { maxIssues: null }).ok, true);
  });

  test("bytes, a Map or a Set are one type error, not one issue per key", () => {
    const bytes = new Uint8Array(200_000).fill(0x41);
    for (const [input, found] of [
      [bytes, "bytes"],
      [bytes.buffer, "bytes"],
      [Buffer.from("{}"), "bytes"],
      [new DataView(new ArrayBuffer(8)), "bytes"],
      [new Map([["email", "ada@example.com"]]), "map"],
      [new Set(["x"]), "set"],
    ]) {
      const r = enlist.validate("partoo", input);
      assert.equal(r.ok, false);
      assert.equal(r.errors.length, 1, `${found}: ${r.errors.length} errors`);
      assert.deepEqual([r.errors[0].path, r.errors[0].code, r.errors[0].params], ["", "type", { expected: "object", found }]);
    }
    assert.match(enlist.validate("partoo", bytes).errors[0].message, /validateJson/);
    // So are buildRequest's and createUser's payloads.
    assert.equal(enlist.buildRequest("partoo", bytes, { apiKey: API_KEY }).errors[0].code, "type");
  });

  test("allowedEmailDomains that could never match are a TypeError", () => {
    for (const [domains, message] of [
      [[], /options\.allowedEmailDomains is empty/],
      [[""], /options\.allowedEmailDomains\[0\] is empty/],
      [["acme.com", "@example.com"], /options\.allowedEmailDomains\[1\] starts with @/],
      [["*.example.com"], /options\.allowedEmailDomains\[0\] has a wildcard/],
      [["example"], /is not a domain name/],
    ]) {
      assert.throws(() => enlist.validate("partoo", ADA, { allowedEmailDomains: domains }), (e) => e instanceof TypeError && message.test(e.message), JSON.stringify(domains));
      assert.throws(() => enlist.validateMany("partoo", [ADA], { allowedEmailDomains: domains }), TypeError);
    }
    // Case does not matter; the options before a refused set stay in force.
    assert.equal(enlist.validate("partoo", ADA, { allowedEmailDomains: ["Example.COM"] }).ok, true);
    assert.equal(enlist.validate("partoo", ADA).ok, true);
  });

  test("enum values a few typos away get a suggestion", () => {
    const r = enlist.validate("partoo", { ...ADA, role: "ORG_ADMN", lang: "xx" });
    assert.equal(at(r.errors, "/role", "enum").params.suggestion, "ORG_ADMIN");
    assert.match(at(r.errors, "/role", "enum").message, /Did you mean "ORG_ADMIN"\?$/);
    assert.equal(at(r.errors, "/lang", "enum").params.suggestion, undefined);
  });

  test("a wrong provider or options object is a TypeError", () => {
    for (const p of ["nope", "Partoo", undefined, null, 0, {}]) {
      assert.throws(() => enlist.validate(p, ADA), TypeError);
    }
    assert.throws(() => enlist.validate("partoo", ADA, { allowedEmailDomains: "acme.com" }), TypeError);
    assert.throws(() => enlist.validate("partoo", ADA, { allowedEmailDomains: [1] }), TypeError);
    assert.throws(() => enlist.validate("partoo", ADA, 5), TypeError);
    assert.doesNotThrow(() => enlist.validate("partoo", ADA, { allowedEmailDomains: null }));
  });

  test("non-ASCII text survives the trip", () => {
    const r = enlist.validate("partoo", { email: "用户@例子.广告", first_name: "Zoë", last_name: "Ørsted 🦀" });
    assert.equal(r.ok, true, JSON.stringify(r.errors));
    const bad = enlist.validate("partoo", { ...ADA, "prénom🦀/~": "x" });
    assert.equal(bad.errors[0].path, "/prénom🦀~1~0");
  });
});

describe("validateJson", () => {
  test("takes a string, bytes or an ArrayBuffer", () => {
    const text = JSON.stringify(PANDADOC_EXAMPLE);
    const bytes = new TextEncoder().encode(text);
    for (const json of [text, bytes, bytes.buffer, Buffer.from(text), new DataView(bytes.buffer)]) {
      assert.deepEqual(enlist.validateJson("pandadoc", json), { ok: true, errors: [], warnings: [] });
    }
    assert.equal(enlist.validateJson("partoo", JSON.stringify({ email: "x" })).errors.length, 3);
  });

  test("a leading byte-order mark is ignored, as csvToRows ignores it", () => {
    const text = JSON.stringify(PANDADOC_EXAMPLE);
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]);
    for (const json of [`\ufeff${text}`, bom, bom.buffer]) {
      assert.deepEqual(enlist.validateJson("pandadoc", json), { ok: true, errors: [], warnings: [] });
    }
    const rows = enlist.validateMany("pandadoc", `\ufeff[${text}]`);
    assert.deepEqual([rows.total, rows.valid], [1, 1]);
    assert.equal(enlist.csvToRows("partoo", "\ufeffemail\nada@example.com\n").ok, true);
    // Only at the start.
    assert.equal(enlist.validateJson("pandadoc", `${text}\ufeff`).errors[0].code, "invalid_json");
  });

  test("text that is not JSON is an invalid_json error with a position", () => {
    const r = enlist.validateJson("partoo", '{\n  "email": tru\n}');
    assert.equal(r.ok, false);
    assert.equal(r.errors[0].code, "invalid_json");
    assert.equal(r.errors[0].params.line, 2);
    assert.equal(r.errors[0].params.column, 12);
    assert.equal(enlist.validateJson("partoo", new Uint8Array([0x22, 0xff, 0x22])).errors[0].code, "invalid_json");
    for (const notText of [undefined, null, 42, { email: "x" }]) {
      const r2 = enlist.validateJson("partoo", notText);
      assert.equal(r2.errors[0].code, "invalid_json");
    }
  });
});

describe("validateMany", () => {
  const rows = [ADA, { email: "x" }, PARTOO_EXAMPLE, [], { ...ADA, email: "grace@example.com", lang: "EN" }];

  test("gives the core's bulk report for arrays, strings and bytes", () => {
    const text = JSON.stringify(rows);
    for (const input of [rows, text, new TextEncoder().encode(text)]) {
      const r = enlist.validateMany("partoo", input);
      assert.equal(r.total, 5);
      assert.equal(r.valid, 2);
      assert.deepEqual(r.invalid.map((row) => row.index), [1, 3, 4]);
      assert.equal(r.errors, undefined);
    }
  });

  test("agrees with validate row by row", () => {
    // Single reports and bulk reports cross the wasm boundary in different
    // forms (crates/enlist-wasm/src/write.rs): the issues must come out the
    // same, params (strings, integers, lists) and their absence included.
    const varied = [
      ...rows,
      {
        email: "nope@",
        first_name: "",
        role: "admin",
        lang: "pt-BR",
        password: "abc",
        business_ids: ["a", "a"],
        org_id: 1.5,
        sso_only: "no",
        firstname: "x",
        "odd/~key": 1,
        sidebar_pages: ["posts"],
      },
      { ...ADA, email: "alan@example.com", role: "GROUP_MANAGER", business_ids: ["b"], "prénom \"x\"\t🦀": "Ada" },
    ];
    const r = enlist.validateMany("partoo", varied);
    assert.equal(r.invalid.length, 5);
    let params = 0;
    for (const row of r.invalid) {
      const one = enlist.validate("partoo", varied[row.index]);
      assert.deepEqual(row.errors, one.errors);
      assert.deepEqual(row.warnings, one.warnings);
      for (const issue of [...one.errors, ...one.warnings]) {
        if ("params" in issue) params += 1;
        else assert.deepEqual(Object.keys(issue), ["path", "code", "message"]);
      }
    }
    assert.ok(params >= 5, "issues with params were compared");
  });

  test("reports a document that is not an array of rows", () => {
    for (const input of ["{}", "[", ADA, 5]) {
      const r = enlist.validateMany("partoo", input);
      assert.equal(r.total, 0);
      assert.ok(r.errors?.length === 1, JSON.stringify(r));
    }
  });

  test("puts values JSON cannot represent in their rows", () => {
    const other = (email) => ({ ...ADA, email });
    const r = enlist.validateMany("partoo", [ADA, { ...other("b@example.com"), first_name: () => 1 }, undefined, other("c@example.com")]);
    assert.equal(r.total, 4);
    assert.equal(r.valid, 2);
    assert.deepEqual(r.invalid.map((row) => [row.index, codesAt(row.errors)]), [
      [1, ["/first_name invalid_json"]],
      [2, [" invalid_json"]],
    ]);
  });

  test("flags the same email twice in one batch on the later row", () => {
    const other = (email) => ({ ...ADA, email });
    const batch = [other("a@b.co"), other("c@b.co"), other("A@B.CO"), other("nope"), other("c@b.co")];
    for (const input of [batch, JSON.stringify(batch)]) {
      const r = enlist.validateMany("partoo", input);
      assert.deepEqual([r.total, r.valid], [5, 2]);
      assert.deepEqual(
        r.invalid.map((row) => [row.index, codesAt(row.errors), row.errors[0].params]),
        [
          [2, ["/email duplicate"], { first: 0 }],
          [3, ["/email email"], { reason: "missing_at" }],
          [4, ["/email duplicate"], { first: 1 }],
        ],
      );
    }
    // PandaDoc's address is nested; each call starts afresh.
    const p = (email) => ({ ...PANDADOC_EXAMPLE, user: { ...PANDADOC_EXAMPLE.user, email } });
    const r = enlist.validateMany("pandadoc", [p("x@acme.com"), p("X@acme.com")]);
    assert.deepEqual(codesAt(r.invalid[0].errors), ["/user/email duplicate"]);
    assert.equal(enlist.validateMany("pandadoc", [p("x@acme.com")]).valid, 1);
  });

  test("stays bounded on a million empty rows", () => {
    const empty = new Array(1_000_000).fill({});
    for (const input of [empty, `[${new Array(1_000_000).fill("{}").join(",")}]`]) {
      const r = enlist.validateMany("partoo", input);
      assert.deepEqual([r.total, r.valid], [1_000_000, 0]);
      // 100 errors kept: 33 rows of 3, and one of the fourth row's.
      assert.equal(r.invalid.length, 34);
      assert.equal(r.invalid.reduce((n, row) => n + row.errors.length, 0), 100);
      assert.deepEqual(r.invalid[33].omitted, { errors: 2, warnings: 0 });
      assert.deepEqual(r.omitted, { rows: 1_000_000 - 34, errors: 3_000_000 - 100, warnings: 0 });
      assert.ok(JSON.stringify(r).length < 20_000);
    }
    const few = enlist.validateMany("partoo", [{}, {}, {}], { maxIssues: 4 });
    assert.deepEqual([few.invalid.length, few.omitted], [2, { rows: 1, errors: 5, warnings: 0 }]);
    const all = enlist.validateMany("partoo", [{}, {}, {}], { maxIssues: Infinity });
    assert.deepEqual([all.invalid.length, all.omitted], [3, undefined]);
  });
});

describe("buildRequest", () => {
  test("builds Partoo's request", () => {
    const r = enlist.buildRequest("partoo", ADA, { apiKey: API_KEY, environment: "sandbox" });
    assert.equal(r.ok, true);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.request.method, "POST");
    assert.equal(r.request.url, "https://api.sandbox.partoo.co/v2/user");
    assert.equal(r.request.headers["x-APIKey"], API_KEY);
    assert.equal(r.request.headers["Content-Type"], "application/json");
    assert.deepEqual(JSON.parse(r.request.body), ADA);
  });

  test("builds PandaDoc's request with its options", () => {
    const r = enlist.buildRequest("pandadoc", PANDADOC_EXAMPLE, {
      apiKey: API_KEY,
      notifyUser: true,
      notifyWorkspaceAdmins: false,
    });
    assert.equal(r.ok, true);
    assert.equal(r.request.url, "https://api.pandadoc.com/public/v1/users?notify_user=true&notify_ws_admins=false");
    assert.equal(r.request.headers.Authorization, `API-Key ${API_KEY}`);
    assert.deepEqual(JSON.parse(r.request.body), PANDADOC_EXAMPLE);
  });

  test("keeps the warnings", () => {
    const r = enlist.buildRequest("partoo", PARTOO_EXAMPLE, { apiKey: API_KEY, baseUrl: "http://127.0.0.1:4010/" });
    assert.equal(r.ok, true);
    assert.equal(r.request.url, "http://127.0.0.1:4010/user");
    assert.ok(at(r.warnings, "/accesses", "ignored"));
  });

  test("leaves no copy of the API key in wasm memory (the built package's wasm)", async () => {
    // The installed package's own files, on an instance of their own whose
    // memory the test can read.
    const dir = join(pkg.dir, "node_modules/enlist");
    const glue = await import(`${pathToFileURL(join(dir, "enlist.js")).href}?memory-scan`);
    const api = await import(pathToFileURL(join(dir, "api.js")).href);
    const exports = glue.initSync({ module: readFileSync(join(dir, "enlist_bg.wasm")) });
    const rt = api.attach(exports);
    const letters = "abcdefghijklmnopqrstuvwxyz";
    const random = Array.from({ length: 40 }, () => letters[Math.floor(Math.random() * letters.length)]).join("");
    // The second key has a character JSON escapes: the wasm unescapes it.
    const keys = [random, `${random.slice(0, 20)}"${random.slice(21)}`];
    for (const apiKey of keys) {
      for (const [provider, payload] of [["partoo", ADA], ["pandadoc", PANDADOC_EXAMPLE], ["partoo", {}]]) {
        for (const more of [{}, { baseUrl: "ftp://x" }, { environment: "mars" }]) {
          const r = api.buildRequest(rt, provider, payload, { apiKey, ...more });
          const built = Object.keys(payload).length > 0 && Object.keys(more).length === 0;
          assert.equal(r.ok, built, `${provider} ${JSON.stringify(more)}`);
          if (built) assert.ok(Object.values(r.request.headers).some((v) => v.endsWith(apiKey)), provider);
        }
      }
    }
    const memory = new Uint8Array(exports.memory.buffer);
    const text = Buffer.from(memory.buffer, memory.byteOffset, memory.byteLength);
    for (const apiKey of keys) {
      // Past the first 8 characters (a freed block's first words may hold
      // the allocator's own data), as it is and as JSON escapes it.
      for (const needle of [apiKey.slice(8), JSON.stringify(apiKey).slice(9, -1)]) {
        assert.equal(text.indexOf(needle, 0, "latin1"), -1, `a copy of the key at ${text.indexOf(needle, 0, "latin1")}`);
      }
    }
  });

  test("unusable settings values are results with the core's codes", () => {
    const cases = [
      [{ apiKey: "" }, "empty_api_key"],
      [{}, "empty_api_key"],
      [{ apiKey: undefined }, "empty_api_key"],
      [{ apiKey: null }, "empty_api_key"],
      [{ apiKey: "has space" }, "invalid_api_key"],
      [{ apiKey: "x".repeat(600) }, "api_key_too_long"],
      [{ apiKey: "k", environment: "staging" }, "unknown_environment"],
      [{ apiKey: "k", baseUrl: "javascript:alert(1)" }, "invalid_base_url"],
      [{ apiKey: "k", baseUrl: "https://user:pw@example.com" }, "invalid_base_url"],
    ];
    for (const [settings, code] of cases) {
      const r = enlist.buildRequest("partoo", ADA, settings);
      const shown = Object.keys(settings).join();
      assert.equal(r.ok, false, shown);
      assert.deepEqual(r.errors.map((i) => [i.path, i.code]), [["", code]], `${shown}: ${JSON.stringify(r.errors)}`);
      assert.ok(!r.errors[0].message.includes("has space"));
    }
  });

  test("settings of the wrong shape are a TypeError, worded as createUser's options", async () => {
    const shape = /buildRequest needs settings: an object/;
    for (const settings of ["key", undefined, null, 5, ["k"]]) {
      assert.throws(() => enlist.buildRequest("partoo", ADA, settings), (e) => e instanceof TypeError && shape.test(e.message), String(settings));
    }
    for (const [settings, message] of [
      [{ apiKey: 42 }, "enlist: settings.apiKey must be a string."],
      [{ apiKey: 10n }, "enlist: settings.apiKey must be a string."],
      [{ apiKey: "k", environment: 1 }, "enlist: settings.environment must be a string."],
      [{ apiKey: "k", baseUrl: false }, "enlist: settings.baseUrl must be a string."],
      [{ apiKey: "k", notifyUser: true }, "enlist: settings.notifyUser is not a buildRequest setting for Partoo."],
      [{ apikey: "k" }, "enlist: settings.apikey is not a buildRequest setting for Partoo (did you mean settings.apiKey?)."],
      [{ apiKey: "k", onError: () => 1 }, "enlist: settings.onError is not a buildRequest setting for Partoo."],
    ]) {
      assert.throws(() => enlist.buildRequest("partoo", ADA, settings), { name: "TypeError", message }, message);
      // Even with an invalid payload: the settings are checked first.
      assert.throws(() => enlist.buildRequest("partoo", { email: "x" }, settings), TypeError);
    }
    // The same mistakes read the same in both functions.
    assert.throws(() => enlist.buildRequest("pandadoc", PANDADOC_EXAMPLE, { apiKey: "k", notifyUser: "yes" }), {
      message: "enlist: settings.notifyUser must be true, false or null.",
    });
    await assert.rejects(enlist.createUser("pandadoc", PANDADOC_EXAMPLE, { endpoint: "http://127.0.0.1:9", notifyUser: "yes" }), {
      message: "enlist: options.notifyUser must be true, false or null.",
    });
    assert.throws(() => enlist.buildRequest("pandadoc", PANDADOC_EXAMPLE, { apiKey: "k", notify_user: true }), {
      message: "enlist: settings.notify_user is not a buildRequest setting for PandaDoc (did you mean settings.notifyUser?).",
    });
    await assert.rejects(enlist.createUser("pandadoc", PANDADOC_EXAMPLE, { endpoint: "http://127.0.0.1:9", notify_user: true }), {
      message: "enlist: options.notify_user is not a createUser option for PandaDoc (did you mean options.notifyUser?).",
    });
  });

  test("an invalid payload builds nothing", () => {
    const r = enlist.buildRequest("partoo", { email: "x" }, { apiKey: API_KEY });
    assert.equal(r.ok, false);
    assert.equal(r.request, undefined);
    assert.deepEqual(codesAt(r.errors), ["/email email", "/first_name required", "/last_name required"]);
    const bad = enlist.buildRequest("partoo", { ...ADA, org_id: 1n }, { apiKey: API_KEY });
    assert.deepEqual(codesAt(bad.errors), ["/org_id invalid_json"]);
  });
});

describe("parseResponse", () => {
  test("reads Partoo's success example", () => {
    const o = enlist.parseResponse("partoo", 200, {}, '{"id":"5309c3a237bbc544d8e26737","status":"success"}');
    assert.deepEqual(o, { kind: "created", provider: "partoo", status: 200, id: "5309c3a237bbc544d8e26737" });
  });

  test("reads PandaDoc's success example from bytes", () => {
    const body = new TextEncoder().encode(
      '{"workspaces":[{"workspace_id":"MwZbjUVD5C3srSSxkpF4Aj","role":"Member","member_id":"VQDH2hdAPJBhSWmMrYa3zu"}],"user_id":"KwahvjapLm4RDf6pfyYdjA"}',
    );
    const o = enlist.parseResponse("pandadoc", 201, new Headers(), body);
    assert.equal(o.kind, "created");
    assert.equal(o.id, "KwahvjapLm4RDf6pfyYdjA");
    assert.deepEqual(o.workspaces, [
      { workspace_id: "MwZbjUVD5C3srSSxkpF4Aj", role: "Member", member_id: "VQDH2hdAPJBhSWmMrYa3zu" },
    ]);
  });

  test("reads Retry-After from any kind of headers", () => {
    for (const headers of [
      new Headers({ "Retry-After": "12" }),
      { "retry-after": "12" },
      [["Retry-After", "12"]],
      new Map([["retry-after", "12"]]),
    ]) {
      const o = enlist.parseResponse("pandadoc", 429, headers, '{"type":"throttled","detail":"Slow down"}');
      assert.equal(o.kind, "rate_limited");
      assert.equal(o.retry_after, 12);
    }
  });

  test("maps provider errors to issues", () => {
    const o = enlist.parseResponse(
      "partoo",
      400,
      undefined,
      JSON.stringify({ errors: { json: { email: ["Not a valid email address."], lang: ["Must be one of: fr, en."] } } }),
    );
    assert.equal(o.kind, "validation");
    assert.deepEqual(codesAt(o.errors), ["/email email", "/lang enum"]);
    const exists = enlist.parseResponse("partoo", 400, null, '{"errors":{"json":{"email":["User already exists"]}}}');
    assert.equal(exists.kind, "already_exists");
    const auth = enlist.parseResponse("partoo", 401, null, '{"errors":{"authentication":"User not authenticated"}}');
    assert.deepEqual([auth.kind, auth.message], ["unauthorized", "User not authenticated"]);
    assert.equal(enlist.parseResponse("pandadoc", 502, null, "<html>").kind, "malformed");
  });

  test("a bad status or body type is a TypeError", () => {
    assert.throws(() => enlist.parseResponse("partoo", "200", null, ""), TypeError);
    assert.throws(() => enlist.parseResponse("partoo", 200.5, null, ""), TypeError);
    assert.throws(() => enlist.parseResponse("partoo", 200, null, 42), TypeError);
    assert.throws(() => enlist.parseResponse("nope", 200, null, ""), TypeError);
  });
});

describe("rules", () => {
  test("describe every registered provider", () => {
    for (const id of enlist.providers()) {
      const r = enlist.rules(id);
      assert.equal(r.provider, id);
      assert.ok(r.fields.length > 0);
      assert.ok(r.environments.length > 0);
      for (const f of r.fields) {
        assert.equal(typeof f.name, "string");
        assert.equal(typeof f.required, "boolean");
        assert.equal(typeof f.type, "string");
      }
    }
  });

  test("carry Partoo's relevance, password policy and deprecations", () => {
    const r = enlist.rules("partoo");
    const field = (name) => r.fields.find((f) => f.name === name);
    assert.deepEqual(r.fields.filter((f) => f.required).map((f) => f.name), ["email", "first_name", "last_name"]);
    assert.deepEqual(field("business_ids").onlyWhen, { field: "role", equals: "BUSINESS_MANAGER" });
    assert.deepEqual(field("password").ignoredWhen, { field: "send_invitation", equals: true });
    assert.deepEqual(r.passwordPolicy, { minLength: 8, maxLength: 128, uppercase: true, lowercase: true, special: true });
    assert.deepEqual(r.deprecated, ["sidebar_pages"]);
    assert.ok(field("lang").values.includes("pt-br"));
    assert.deepEqual(r.environments.map((e) => e.name), ["production", "sandbox"]);
  });

  test("carry PandaDoc's options", () => {
    const r = enlist.rules("pandadoc");
    assert.deepEqual(r.options.map((o) => [o.option, o.query]), [
      ["notifyUser", "notify_user"],
      ["notifyWorkspaceAdmins", "notify_ws_admins"],
    ]);
  });

  test("are a fresh copy each time", () => {
    enlist.rules("partoo").fields.length = 0;
    assert.ok(enlist.rules("partoo").fields.length > 0);
  });
});

describe("createUser", () => {
  let server;
  let base;
  const received = [];
  /** What the next request gets: [status, headers, body]. */
  let reply = [201, {}, "{}"];

  before(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body });
        const [status, headers, text] = reply;
        res.writeHead(status, headers);
        res.end(text);
      });
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${server.address().port}`;
  });

  after(() => new Promise((resolve) => server.close(resolve)));

  const problem = (status, title, extra = {}) =>
    JSON.stringify({ type: "about:blank", title, status, detail: `${title}.`, request_id: "req-1", ...extra });

  test("POSTs the validated JSON and reads the 201", async () => {
    received.length = 0;
    reply = [201, { "content-type": "application/json" }, '{"provider":"partoo","id":"u-123","request_id":"req-9"}'];
    const r = await enlist.createUser("partoo", PARTOO_EXAMPLE, { endpoint: `${base}/`, idempotencyKey: "idem-1" });
    assert.equal(r.kind, "created");
    assert.equal(r.id, "u-123");
    assert.equal(r.provider, "partoo");
    assert.equal(r.status, 201);
    assert.equal(r.request_id, "req-9");
    assert.ok(at(r.warnings, "/accesses", "ignored"));
    assert.equal(received.length, 1);
    const [req] = received;
    assert.equal(req.method, "POST");
    assert.equal(req.url, "/v1/partoo/users");
    assert.equal(req.headers["content-type"], "application/json");
    assert.equal(req.headers["idempotency-key"], "idem-1");
    assert.deepEqual(JSON.parse(req.body), PARTOO_EXAMPLE);
  });

  test("passes the provider's flags as query parameters", async () => {
    received.length = 0;
    reply = [201, { "content-type": "application/json" }, '{"provider":"pandadoc","id":"p-1"}'];
    const opts = { endpoint: base, notifyUser: false, notifyWorkspaceAdmins: true, signal: new AbortController().signal };
    assert.equal((await enlist.createUser("pandadoc", PANDADOC_EXAMPLE, opts)).kind, "created");
    assert.equal((await enlist.createUser("pandadoc", PANDADOC_EXAMPLE, { endpoint: base, notifyUser: null })).kind, "created");
    assert.deepEqual(
      received.map((r) => r.url),
      ["/v1/pandadoc/users?notify_user=false&notify_ws_admins=true", "/v1/pandadoc/users"],
    );
    await assert.rejects(enlist.createUser("pandadoc", PANDADOC_EXAMPLE, { endpoint: base, notifyUser: "yes" }), /notifyUser/);
    await assert.rejects(enlist.createUser("pandadoc", PANDADOC_EXAMPLE, { endpoint: base, notifyUser: 1n }), TypeError);
    assert.equal(received.length, 2);
  });

  test("sends a client token as a bearer token, only when given", async () => {
    received.length = 0;
    reply = [201, { "content-type": "application/json" }, '{"provider":"partoo","id":"u-1"}'];
    assert.equal((await enlist.createUser("partoo", ADA, { endpoint: base, token: "admin-tok_1" })).kind, "created");
    assert.equal((await enlist.createUser("partoo", ADA, { endpoint: base })).kind, "created");
    assert.equal(received[0].headers.authorization, "Bearer admin-tok_1");
    assert.equal(received[1].headers.authorization, undefined);
    reply = [401, { "content-type": "application/problem+json" }, problem(401, "Unauthorized")];
    const r = await enlist.createUser("partoo", ADA, { endpoint: base, token: "wrong" });
    assert.equal(r.kind, "unauthorized");
    assert.doesNotMatch(JSON.stringify(r), /wrong/);
  });

  test("reads what the Worker relays: the provider's status, its warnings, replays", async () => {
    reply = [
      201,
      { "content-type": "application/json", "idempotent-replayed": "true", "x-request-id": "req-h" },
      '{"provider":"partoo","status":200,"id":"u-7","warnings":[{"path":"/accesses","code":"ignored","message":"m"}]}',
    ];
    const r = await enlist.createUser("partoo", ADA, { endpoint: base, idempotencyKey: "k-2" });
    assert.deepEqual([r.kind, r.status, r.id, r.replayed, r.request_id], ["created", 200, "u-7", true, "req-h"]);
    assert.deepEqual(r.warnings, [{ path: "/accesses", code: "ignored", message: "m" }]);
  });

  test("every problem type of the proxy's contract maps to its kind", async () => {
    // The contract's problems, as the package's types list them.
    const types = readFileSync(join(pkg.dir, "node_modules/enlist/index.d.ts"), "utf8");
    const found = new Map(problems(types).map((p) => [p.slug, p]));
    assert.ok(found.size >= 20, `problems in index.d.ts: ${[...found.keys()]}`);
    const kinds = new Set(["bad_request", "unauthorized", "forbidden", "not_found", "timeout", "conflict", "already_exists", "too_large", "validation", "rate_limited", "upstream", "unavailable", "server_error"]);
    for (const [slug, { status, kind, retryable }] of found) {
      reply = [status, { "content-type": "application/problem+json" }, problem(status, "T", { type: `urn:enlist:problem:${slug}` })];
      const r = await enlist.createUser("partoo", ADA, { endpoint: base });
      assert.ok(kinds.has(r.kind), `${slug} (${status}) -> ${r.kind}`);
      assert.equal(r.type, `urn:enlist:problem:${slug}`);
      assert.deepEqual([r.kind, r.retryable], [kind, retryable], slug);
      assert.equal(enlist.isRetryable(r.kind), retryable, slug);
    }
    const expected = { already_exists: "already_exists", idempotency_in_flight: "conflict", idempotency_key_reused: "bad_request", policy: "forbidden" };
    for (const [slug, kind] of Object.entries(expected)) {
      assert.ok(found.has(slug), slug);
      const { status } = found.get(slug);
      reply = [status, {}, problem(status, "T", { type: `urn:enlist:problem:${slug}` })];
      assert.equal((await enlist.createUser("partoo", ADA, { endpoint: base })).kind, kind, slug);
    }
  });

  test("sends nothing when validation fails", async () => {
    received.length = 0;
    const r = await enlist.createUser("partoo", { email: "nope", org_id: () => 1 }, { endpoint: base });
    assert.equal(r.kind, "invalid");
    assert.deepEqual(codesAt(r.errors), [
      "/org_id invalid_json",
      "/email email",
      "/first_name required",
      "/last_name required",
    ]);
    const d = await enlist.createUser("pandadoc", PANDADOC_EXAMPLE, { endpoint: base, allowedEmailDomains: ["acme.com"] });
    assert.equal(d.kind, "invalid");
    assert.equal(received.length, 0);
  });

  test("reads the proxy's problems", async () => {
    const cases = [
      [422, {}, problem(422, "Unprocessable Content", { errors: [{ path: "/email", code: "email", message: "m", params: { reason: "x" } }] }), "validation"],
      [409, {}, problem(409, "Conflict", { errors: [{ path: "/email", code: "already_exists", message: "m" }] }), "already_exists"],
      [409, {}, problem(409, "Conflict"), "conflict"],
      [429, { "retry-after": "17" }, problem(429, "Too Many Requests"), "rate_limited"],
      [401, {}, problem(401, "Unauthorized"), "unauthorized"],
      [413, {}, problem(413, "Content Too Large"), "too_large"],
      [502, {}, "<html>Bad gateway</html>", "upstream"],
      [503, {}, problem(503, "Service Unavailable"), "unavailable"],
      [504, {}, problem(504, "Gateway Timeout"), "timeout"],
      [500, {}, problem(500, "Internal Server Error"), "server_error"],
      [200, {}, "{}", "malformed"],
    ];
    for (const [status, headers, body, kind] of cases) {
      reply = [status, { "content-type": "application/problem+json", ...headers }, body];
      const r = await enlist.createUser("partoo", ADA, { endpoint: base });
      assert.equal(r.kind, kind, `${status}: ${JSON.stringify(r)}`);
      assert.equal(r.status, status);
      assert.equal(typeof r.message, "string");
    }
    reply = [422, {}, problem(422, "Unprocessable Content", { errors: [{ path: "/email", code: "email", message: "m" }] })];
    const v = await enlist.createUser("partoo", ADA, { endpoint: base });
    assert.deepEqual([v.type, v.title, v.detail, v.request_id], ["about:blank", "Unprocessable Content", "Unprocessable Content.", "req-1"]);
    assert.deepEqual(v.errors, [{ path: "/email", code: "email", message: "m" }]);
    reply = [429, { "retry-after": "17" }, problem(429, "Too Many Requests")];
    assert.equal((await enlist.createUser("partoo", ADA, { endpoint: base })).retry_after, 17);
  });

  test("every result says whether a retry can help, as isRetryable does for its kind", async () => {
    const results = [];
    for (const [status, body] of [
      [201, '{"provider":"partoo","id":"u-1"}'],
      [200, "{}"],
      [409, problem(409, "Conflict")],
      [429, problem(429, "Too Many Requests")],
      [422, problem(422, "Unprocessable Content", { errors: [{ path: "/email", code: "email", message: "m" }] })],
      [500, "oops"],
      [502, "<html>Bad gateway</html>"],
      [503, ""],
      [504, ""],
    ]) {
      reply = [status, { "content-type": "application/problem+json" }, body];
      results.push(await enlist.createUser("partoo", ADA, { endpoint: base }));
    }
    results.push(await enlist.createUser("partoo", { email: "nope" }, { endpoint: base }));
    results.push(await enlist.createUser("partoo", { ...ADA, org_id: () => 1 }, { endpoint: base }));
    const closed = createServer();
    await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = closed.address().port;
    await new Promise((resolve) => closed.close(resolve));
    results.push(await enlist.createUser("partoo", ADA, { endpoint: `http://127.0.0.1:${port}` }));
    assert.deepEqual(
      results.map((r) => [r.kind, r.retryable]),
      [
        ["created", false],
        ["malformed", false],
        ["conflict", true],
        ["rate_limited", true],
        ["validation", false],
        ["server_error", true],
        ["upstream", true],
        ["unavailable", false],
        ["timeout", true],
        ["invalid", false],
        ["invalid", false],
        ["network", true],
      ],
    );
    for (const r of results) assert.equal(enlist.isRetryable(r.kind), r.retryable, r.kind);
    for (const other of ["RATE_LIMITED", "", "__proto__", "toString", null, undefined, 429, {}, ["network"]]) {
      assert.equal(enlist.isRetryable(other), false, String(other));
    }
  });

  test("a problem's issues cut to the first 100 say how many there were", async () => {
    const issue = { path: "/x", code: "unknown_field", message: "Unknown field." };
    const errors = Array.from({ length: 100 }, () => issue);
    reply = [422, {}, problem(422, "Validation failed", { type: "urn:enlist:problem:validation", errors, truncated: true, total_errors: 6000 })];
    const r = await enlist.createUser("partoo", ADA, { endpoint: base });
    assert.deepEqual([r.kind, r.errors.length, r.truncated, r.total_errors], ["validation", 100, true, 6000]);
    reply = [422, {}, problem(422, "Validation failed", { type: "urn:enlist:problem:validation", errors: [issue] })];
    const one = await enlist.createUser("partoo", ADA, { endpoint: base });
    assert.equal(one.truncated, undefined);
    assert.equal(one.total_errors, undefined);
  });

  test("a proxy that cannot be reached is a network result that keeps the cause", async () => {
    const closed = createServer();
    await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = closed.address().port;
    await new Promise((resolve) => closed.close(resolve));
    const r = await enlist.createUser("partoo", ADA, { endpoint: `http://127.0.0.1:${port}` });
    assert.equal(r.kind, "network");
    assert.equal(r.status, 0);
    // Node's fetch: a TypeError whose own cause is the system error.
    assert.ok(r.cause instanceof TypeError, String(r.cause));
    assert.equal(r.cause.cause?.code, "ECONNREFUSED");
    const thrown = new Error("offline");
    const failing = async () => {
      throw thrown;
    };
    const f = await enlist.createUser("partoo", ADA, { endpoint: "https://enlist.example", fetch: failing });
    assert.equal(f.cause, thrown);
    assert.equal(f.message, "The enlist proxy could not be reached: offline");
  });

  test("a misspelt option is a TypeError that names it, and nothing is sent", async () => {
    received.length = 0;
    for (const [provider, input, options, message] of [
      ["partoo", ADA, { endpoint: base, idempotencykey: "k" }, "enlist: options.idempotencykey is not a createUser option for Partoo (did you mean options.idempotencyKey?)."],
      ["partoo", ADA, { endpoint: base, notifyUser: true }, "enlist: options.notifyUser is not a createUser option for Partoo."],
      ["partoo", ADA, { endpoint: base, idempotencykey: undefined }, "enlist: options.idempotencykey is not a createUser option for Partoo (did you mean options.idempotencyKey?)."],
      ["partoo", ADA, { endpoint: base, onProgress: () => {} }, "enlist: options.onProgress is not a createUser option for Partoo."],
      ["pandadoc", PANDADOC_EXAMPLE, { endpoint: base, notifyuser: true }, "enlist: options.notifyuser is not a createUser option for PandaDoc (did you mean options.notifyUser?)."],
      // Checked before the payload: an invalid one does not hide the mistake.
      ["partoo", { email: "x" }, { endpoint: base, idempotencykey: "k" }, "enlist: options.idempotencykey is not a createUser option for Partoo (did you mean options.idempotencyKey?)."],
    ]) {
      await assert.rejects(enlist.createUser(provider, input, options), { name: "TypeError", message }, message);
    }
    assert.equal(received.length, 0);
    // Every documented option is accepted (undefined ones count as absent).
    reply = [201, { "content-type": "application/json" }, '{"provider":"partoo","id":"u-1"}'];
    const r = await enlist.createUser("partoo", ADA, {
      endpoint: base,
      idempotencyKey: "k-3",
      token: undefined,
      signal: new AbortController().signal,
      fetch: globalThis.fetch,
      allowedEmailDomains: ["example.com"],
      maxIssues: 10,
    });
    assert.equal(r.kind, "created");
    assert.equal(received.length, 1);
  });

  test("an abort rejects like fetch", async () => {
    received.length = 0;
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      enlist.createUser("partoo", ADA, { endpoint: base, signal: controller.signal }),
      (e) => e.name === "AbortError",
    );
  });

  test("bad options reject with a TypeError and send nothing", async () => {
    received.length = 0;
    for (const options of [
      undefined,
      {},
      { endpoint: "ftp://example.com" },
      { endpoint: "https://user:pw@example.com" },
      { endpoint: base, idempotencyKey: "" },
      { endpoint: base, idempotencyKey: "has space" },
      { endpoint: base, fetch: 42 },
      { endpoint: base, token: "" },
      { endpoint: base, token: "two words" },
      { endpoint: base, token: 12345 },
    ]) {
      await assert.rejects(enlist.createUser("partoo", ADA, options), TypeError, JSON.stringify(options));
    }
    // The message names the option, never the token.
    await assert.rejects(enlist.createUser("partoo", ADA, { endpoint: base, token: "s3cr3t tok" }), (e) => {
      assert.match(e.message, /options\.token/);
      assert.doesNotMatch(e.message, /s3cr3t/);
      return true;
    });
    await assert.rejects(enlist.createUser("nope", ADA, { endpoint: base }), TypeError);
    assert.equal(received.length, 0);
  });

  test("uses the given fetch", async () => {
    const calls = [];
    const fake = async (url, init) => {
      calls.push([url, init.method, init.headers, init.body]);
      return new Response('{"provider":"pandadoc","id":"p-1"}', { status: 201 });
    };
    const r = await enlist.createUser("pandadoc", PANDADOC_EXAMPLE, { endpoint: "https://enlist.example", fetch: fake });
    assert.equal(r.kind, "created");
    assert.equal(calls[0][0], "https://enlist.example/v1/pandadoc/users");
    assert.deepEqual(JSON.parse(calls[0][3]), PANDADOC_EXAMPLE);
  });
});

describe("CSV import", () => {
  test("reads rows typed by the schema, ready for validateMany", () => {
    assert.ok(enlist.csvTemplate("partoo").startsWith("email,first_name,last_name,"));
    const read = enlist.csvToRows("partoo", "email,first_name,last_name,send_invitation\nada@example.com,Ada,L,TRUE\nx,,B,maybe\n");
    assert.equal(read.ok, true);
    assert.deepEqual(read.table.lines, [2, 3]);
    assert.deepEqual(read.table.rows[0], { email: "ada@example.com", first_name: "Ada", last_name: "L", send_invitation: true });
    const report = enlist.validateMany("partoo", read.table.rows);
    assert.equal(report.valid, 1);
    assert.ok(at(report.invalid[0].errors, "/send_invitation", "type"));
    const bad = enlist.csvToRows("partoo", 'email\n"unterminated\n');
    assert.equal(bad.ok, false);
    assert.equal(typeof bad.error.code, "string");
    assert.throws(() => enlist.csvToRows("partoo", 42), TypeError);
  });
});

describe("the entry points", () => {
  // node.js, workerd.js and browser.js each list the same forwarding
  // functions (named exports, so bundlers can drop the unused ones); this
  // keeps the three lists and the type declarations in step.
  const exported = (file) => {
    const text = readFileSync(join(pkg.dir, "node_modules/enlist", file), "utf8");
    const single = [...text.matchAll(/^export (?:async )?(?:const|function) (\w+)|^export (default)\b/gm)];
    const lists = [...text.matchAll(/^export \{([^}]*)\}/gm)].flatMap((m) =>
      m[1].split(",").map((n) => n.trim()).filter(Boolean),
    );
    return [...single.map((m) => m[1] ?? m[2]), ...lists].sort();
  };
  test("node, workerd and browser export the same names, all declared in the types", () => {
    const names = exported("node.js");
    assert.ok(names.includes("validate") && names.includes("createUser") && names.includes("default"));
    assert.ok(names.includes("init") && names.includes("initSync"), names.join());
    assert.deepEqual(exported("workerd.js"), names);
    assert.deepEqual(exported("browser.js"), names);
    const server = ["buildRequest", "parseResponse"];
    assert.deepEqual(exported("client.js"), names.filter((n) => !server.includes(n)));
    const types = readFileSync(join(pkg.dir, "node_modules/enlist/index.d.ts"), "utf8");
    for (const name of names.filter((n) => n !== "default")) {
      assert.match(types, new RegExp(`export (?:declare )?(?:function|const) ${name}\\b`), name);
    }
  });
});

describe("isProviderId", () => {
  test("is true for registered ids only", () => {
    for (const id of enlist.providers()) assert.equal(enlist.isProviderId(id), true);
    for (const value of ["Partoo", "nope", "", "__proto__", "constructor", 5, null, undefined, {}, ["partoo"]]) {
      assert.equal(enlist.isProviderId(value), false, String(value));
    }
  });
});

describe("the client entry (enlist/client)", () => {
  const file = (name) => join(pkg.dir, "node_modules/enlist", name);

  test("resolves through the package exports", () => {
    const keys = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", 'const m = await import("enlist/client"); console.log(Object.keys(m).sort().join())'],
      { cwd: pkg.dir, encoding: "utf8" },
    ).trim();
    assert.ok(keys.split(",").includes("validate"), keys);
    assert.ok(!keys.split(",").includes("buildRequest"), keys);
  });

  test("its wasm has no request building and is smaller", async () => {
    const exports = (name) =>
      WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(file(name)))).map((e) => e.name);
    const full = exports("enlist_bg.wasm");
    const slim = exports("enlist_client_bg.wasm");
    assert.ok(full.includes("build_request") && full.includes("parse_response"));
    assert.ok(!slim.includes("build_request") && !slim.includes("parse_response"));
    assert.deepEqual(
      slim,
      full.filter((n) => n !== "build_request" && n !== "parse_response"),
    );
    assert.ok(statSync(file("enlist_client_bg.wasm")).size < statSync(file("enlist_bg.wasm")).size * 0.8);
  });

  test("in Node.js, init() says to pass the bytes, and initSync() needs them", async () => {
    // A fresh copy of the module, not loaded yet.
    const client = await import(`${pathToFileURL(file("client.js")).href}?fresh`);
    await assert.rejects(client.init(), (e) => {
      assert.equal(e.constructor, Error);
      assert.match(e.message, /init\(\) cannot fetch the wasm in Node\.js; pass its bytes to initSync\(\)/);
      assert.ok(e.cause, "the fetch failure is kept as the cause");
      return true;
    });
    for (const bad of [undefined, null, "enlist_client_bg.wasm", {}, 42]) {
      assert.throws(() => client.initSync(bad), { name: "TypeError", message: "enlist: initSync needs the wasm's bytes or a WebAssembly.Module" });
    }
    assert.throws(() => client.validate("partoo", ADA), /init/);
    // What the message says works.
    client.initSync(readFileSync(file("enlist_client_bg.wasm")));
    assert.equal(client.validate("partoo", ADA).ok, true);
    assert.equal(client.isProviderId("partoo"), true);
  });

  test("needs init, then gives the same results as the full package", async () => {
    const client = await import(pathToFileURL(file("client.js")).href);
    assert.throws(() => client.validate("partoo", ADA), /init/);
    client.initSync(readFileSync(file("enlist_client_bg.wasm")));
    await client.init();
    assert.equal(client.buildRequest, undefined);
    assert.deepEqual(client.providers(), enlist.providers());
    assert.deepEqual(client.codes(), enlist.codes());
    for (const id of enlist.providers()) {
      assert.deepEqual(client.rules(id), enlist.rules(id));
      assert.equal(client.csvTemplate(id), enlist.csvTemplate(id));
    }
    const bad = { ...ADA, email: "ada@", lang: "pt-BR", password: "short" };
    assert.deepEqual(client.validate("partoo", bad), enlist.validate("partoo", bad));
    assert.deepEqual(client.validateMany("partoo", [ADA, bad, 7]), enlist.validateMany("partoo", [ADA, bad, 7]));
    const csv = "email,first_name,last_name,send_invitation\nada@example.com,Ada,L,TRUE\nx,,,maybe\n";
    assert.deepEqual(client.csvToRows("partoo", csv), enlist.csvToRows("partoo", csv));
    // createUser validates first and sends nothing for an invalid payload.
    const outcome = await client.createUser("partoo", bad, { endpoint: "http://127.0.0.1:9" });
    assert.equal(outcome.kind, "invalid");
    assert.deepEqual(outcome.errors, enlist.validate("partoo", bad).errors);
  });
});

describe("the browser entry", () => {
  test("needs init, then works", async () => {
    const browser = await import(pathToFileURL(join(pkg.dir, "node_modules/enlist/browser.js")).href);
    assert.throws(() => browser.validate("partoo", ADA), /init/);
    await browser.init(readFileSync(join(pkg.dir, "node_modules/enlist/enlist_bg.wasm")));
    await browser.init();
    assert.equal(browser.validate("partoo", ADA).ok, true);
    assert.deepEqual(browser.providers(), enlist.providers());
  });
});
