// Packs crates/enlist-wasm/pkg with `npm pack` and installs the tarball into a
// throwaway project under tests/.tmp/, offline, as a user would get it.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const pkgDir = join(root, "crates/enlist-wasm/pkg");

const npm = (args, cwd) =>
  execFileSync("npm", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false" },
  });

/**
 * `{ dir, tarball, files, importEnlist, cleanup }`: `dir` is a project with
 * `enlist` installed from `tarball`; `importEnlist()` imports it by its bare
 * name from inside that project (so `exports` and its conditions apply).
 */
export function packAndInstall(name) {
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  mkdirSync(join(root, "tests/.tmp"), { recursive: true });
  const dir = mkdtempSync(join(root, "tests/.tmp", `${name}-`));
  const [packed] = JSON.parse(npm(["pack", "--json", "--pack-destination", dir, pkgDir], root));
  const tarball = join(dir, packed.filename);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: `enlist-${name}-probe`, private: true, type: "module" }),
  );
  npm(["install", "--offline", "--no-audit", "--no-fund", "--no-package-lock", tarball], dir);
  writeFileSync(join(dir, "entry.mjs"), 'export * from "enlist";\nexport { default } from "enlist";\n');
  return {
    dir,
    tarball,
    version: pkg.version,
    files: packed.files.map((f) => f.path).sort(),
    importEnlist: () => import(pathToFileURL(join(dir, "entry.mjs")).href),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
