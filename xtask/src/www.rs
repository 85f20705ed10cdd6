//! The form: `www/` holds its sources, `build/www/` (git-ignored) what the
//! Worker serves. [`build`] vendors the npm package's client entry
//! (`enlist/client`: the browser API without `buildRequest`/`parseResponse`,
//! from the smaller wasm) into `www/vendor/enlist/` (git-ignored), then
//! bundles and minifies the page with esbuild into `build/www/`: its module
//! (with the chunks it loads with `import()` beside it: the bulk tab and the
//! import-job view load only when shown), one stylesheet, the HTML with a
//! preload of the wasm, and the wasm itself.
//! `www/` itself stays loadable without any build step but the vendoring,
//! for debugging with unminified sources. Also takes the README screenshots.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::tools::{self, Tool};
use crate::util::{self, Result};
use crate::{wasm, worker};

/// Where the page imports the package from (`www/app.js`: `./vendor/enlist/index.js`).
pub const VENDOR_DIR: &str = "www/vendor/enlist";
/// The form's sources.
const SOURCE_DIR: &str = "www";
/// What the Worker serves (wrangler.toml `[assets]`, tests/worker/serve.mjs).
pub const SITE_DIR: &str = "build/www";
/// The page's module and stylesheet, bundled under the same names.
const BUNDLED: &[&str] = &["app.js", "style.css"];

/// The `./client` export's `default` entry named in the package's
/// `package.json` (`./client.js`).
fn client_entry(package_json: &str) -> String {
    let key = "\"default\"";
    package_json
        .find("\"./client\"")
        .map(|at| &package_json[at..])
        .and_then(|rest| rest.find(key).map(|i| &rest[i + key.len()..]))
        .and_then(|rest| rest.trim_start().strip_prefix(':'))
        .and_then(|rest| rest.trim_start().strip_prefix('"'))
        .and_then(|rest| rest.split('"').next())
        .map(|s| s.trim_start_matches("./").to_string())
        .filter(|s| s.ends_with(".js") && !s.contains('/'))
        .unwrap_or_else(|| "client.js".to_string())
}

/// Sibling modules a JavaScript file imports: `"./name.js"` string literals
/// right after `from`, `import` or `import(`.
fn relative_imports(source: &str) -> Vec<String> {
    sibling_imports(source, true)
}

/// The same, without what it loads with `import()` (what a browser fetches
/// with the module itself).
fn static_imports(source: &str) -> Vec<String> {
    sibling_imports(source, false)
}

fn sibling_imports(source: &str, dynamic: bool) -> Vec<String> {
    let mut out = Vec::new();
    for quote in ['"', '\''] {
        let open = format!("{quote}./");
        let mut from = 0;
        while let Some(i) = source[from..].find(&open) {
            let start = from + i;
            from = start + open.len();
            let before = source[..start].trim_end();
            let imports = before.ends_with("from")
                || before.ends_with("import")
                || (dynamic && before.ends_with("import("));
            let rest = &source[from..];
            if let Some(end) = rest.find(quote) {
                let name = &rest[..end];
                if imports && name.ends_with(".js") && !name.contains('/') {
                    out.push(name.to_string());
                }
            }
        }
    }
    out
}

/// The wasm files a JavaScript file loads: quoted names ending in `.wasm`
/// (`new URL('enlist_client_bg.wasm', import.meta.url)`).
fn wasm_files(source: &str) -> Vec<String> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.';
    let quoted = |c: Option<char>| matches!(c, Some('"' | '\''));
    let mut out: Vec<String> = Vec::new();
    for (at, _) in source.match_indices(".wasm") {
        let end = at + ".wasm".len();
        let start = source[..at].trim_end_matches(is_name).len();
        let name = &source[start..end];
        if start < at
            && quoted(source[..start].chars().next_back())
            && quoted(source[end..].chars().next())
            && !out.iter().any(|o| o == name)
        {
            out.push(name.to_string());
        }
    }
    out
}

/// Vendors the package's client entry, then bundles the page into
/// [`SITE_DIR`]. Needs the built npm package and node_modules (esbuild).
pub fn build() -> Result {
    let wasm = vendor()?;
    bundle(&wasm)
}

/// Builds the npm package and the form unless [`SITE_DIR`] already holds
/// one: for commands that start the Worker after building only the Worker
/// (the Worker and reliability benchmarks), which serves the form's assets
/// in front of its API as in production.
pub fn ensure_built() -> Result {
    if util::path(SITE_DIR).join("index.html").is_file() {
        return Ok(());
    }
    for &tool in wasm::NEEDS {
        println!("{}: {}", tool.name(), tool.ensure()?);
    }
    wasm::build_npm_package()?;
    build()
}

/// Copies the package's client entry (as `index.js`), the modules it
/// imports and the wasm they load into `www/vendor/enlist/`; returns the
/// wasm files' names.
fn vendor() -> Result<BTreeSet<String>> {
    let pkg = util::path(wasm::PKG_DIR);
    let manifest = std::fs::read_to_string(pkg.join("package.json")).map_err(|e| {
        format!(
            "{}/package.json: {e} (build the npm package first: `cargo xtask build npm`)",
            wasm::PKG_DIR
        )
    })?;
    let entry = client_entry(&manifest);
    let out = empty_dir(VENDOR_DIR)?;

    let mut seen = BTreeSet::new();
    let mut wasm = BTreeSet::new();
    let mut todo = vec![entry.clone()];
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let source = std::fs::read_to_string(pkg.join(&name))
            .map_err(|e| format!("{}/{name}: {e}", wasm::PKG_DIR))?;
        todo.extend(relative_imports(&source));
        wasm.extend(wasm_files(&source));
        let target = if name == entry {
            "index.js".to_string()
        } else {
            name
        };
        std::fs::write(out.join(&target), source)
            .map_err(|e| format!("{VENDOR_DIR}/{target}: {e}"))?;
    }
    if wasm.is_empty() {
        return Err(format!("{entry} and its imports load no .wasm file"));
    }
    for name in &wasm {
        std::fs::copy(pkg.join(name), out.join(name))
            .map_err(|e| format!("{}/{name} to {VENDOR_DIR}: {e}", wasm::PKG_DIR))?;
    }
    println!("www: vendored the enlist client entry ({entry} → index.js) into {VENDOR_DIR}/");
    list_sizes(VENDOR_DIR)?;
    Ok(wasm)
}

/// Writes [`SITE_DIR`]: `app.js` bundled with everything it imports (what it
/// imports with `import()` split into chunks beside it) and `style.css`,
/// both minified by esbuild (with source maps, which browsers
/// fetch only for their developer tools); the vendored `wasm` files beside
/// them (the glue finds its wasm next to itself: `import.meta.url`); and
/// `index.html` with a preload of each wasm file, so the browser fetches it
/// while it parses the script.
fn bundle(wasm: &BTreeSet<String>) -> Result {
    let esbuild = tools::node_bin("esbuild")?;
    let site = empty_dir(SITE_DIR)?;
    for name in BUNDLED {
        let mut cmd = util::command(&esbuild);
        cmd.arg(format!("{SOURCE_DIR}/{name}")).args([
            "--minify",
            "--sourcemap=linked",
            "--legal-comments=none",
            "--log-level=warning",
        ]);
        if name.ends_with(".js") {
            // Code splitting: what the page loads with `import()` (the bulk
            // tab, the import-job view, the package's job handles) is a
            // chunk of its own, fetched only when needed; code shared by
            // the page and a chunk is a chunk both import.
            cmd.arg(format!("--outdir={SITE_DIR}")).args([
                "--bundle",
                "--splitting",
                "--format=esm",
                "--target=es2022",
                "--entry-names=[name]",
                "--chunk-names=[name]-[hash]",
            ]);
        } else {
            cmd.arg(format!("--outfile={SITE_DIR}/{name}"));
        }
        util::run(cmd)?;
    }
    for name in wasm {
        let from = util::path(VENDOR_DIR).join(name);
        std::fs::copy(&from, site.join(name))
            .map_err(|e| format!("{VENDOR_DIR}/{name} to {SITE_DIR}: {e}"))?;
    }
    let html_path = util::path(SOURCE_DIR).join("index.html");
    let html =
        std::fs::read_to_string(&html_path).map_err(|e| format!("{SOURCE_DIR}/index.html: {e}"))?;
    let app = std::fs::read_to_string(site.join("app.js"))
        .map_err(|e| format!("{SITE_DIR}/app.js: {e}"))?;
    let html = with_preloads(&html, wasm, &static_imports(&app))?;
    std::fs::write(site.join("index.html"), html)
        .map_err(|e| format!("{SITE_DIR}/index.html: {e}"))?;

    println!("www: bundled the form into {SITE_DIR}/ (source maps beside each file)");
    list_sizes(SITE_DIR)
}

/// `rel` (from the repository root), emptied: removed if present, created.
fn empty_dir(rel: &str) -> Result<PathBuf> {
    let dir = util::path(rel);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{rel}: {e}"))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{rel}: {e}"))?;
    Ok(dir)
}

/// Prints each file in `rel` but source maps, sorted, with its raw and
/// gzip size.
fn list_sizes(rel: &str) -> Result {
    let mut files: Vec<_> = std::fs::read_dir(util::path(rel))
        .map_err(|e| format!("{rel}: {e}"))?
        .flatten()
        .map(|f| f.path())
        .filter(|f| !f.to_string_lossy().ends_with(".map"))
        .collect();
    files.sort();
    for f in &files {
        println!("  {:<24} {}", file_name(f), util::size_report(f));
    }
    Ok(())
}

/// `html` with `<link rel="preload">` for each wasm file and `<link
/// rel="modulepreload">` for each chunk the page's module imports inserted
/// before its module script, so that they download with it. The wasm's
/// preload matches the glue's `fetch` (same URL, CORS mode, same-origin
/// credentials), so the browser uses the preloaded response.
fn with_preloads(html: &str, wasm: &BTreeSet<String>, chunks: &[String]) -> Result<String> {
    let script = "<script type=\"module\"";
    let at = html.find(script).ok_or_else(|| {
        format!("{SOURCE_DIR}/index.html has no `{script}` to insert the wasm preload before")
    })?;
    let (head, tail) = html.split_at(at);
    let indent = &head[head.trim_end_matches([' ', '\t']).len()..];
    let mut out = head.trim_end_matches([' ', '\t']).to_string();
    for name in wasm {
        out.push_str(&format!(
            "{indent}<link rel=\"preload\" href=\"{name}\" as=\"fetch\" type=\"application/wasm\" crossorigin>\n"
        ));
    }
    for name in chunks {
        out.push_str(&format!(
            "{indent}<link rel=\"modulepreload\" href=\"{name}\">\n"
        ));
    }
    out.push_str(indent);
    out.push_str(tail);
    Ok(out)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `cargo xtask screenshots`: builds everything, then saves the form's
/// screenshots (desktop and 360 px, light and dark) to `docs/screenshots/`.
pub fn screenshots() -> Result {
    for &tool in worker::NEEDS.iter().chain(&[Tool::Chromium]) {
        println!("{}: {}", tool.name(), tool.ensure()?);
    }
    worker::build()?;
    wasm::build_npm_package()?;
    build()?;
    let mut cmd = util::command("node");
    cmd.arg("tests/e2e/screenshots.mjs");
    util::run(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_client_entry() {
        let json = r#"{"exports":{".":{"node":"./node.js","default":"./browser.js"},"./client": {"types":"./client.d.ts","default": "./web-client.js"}}}"#;
        assert_eq!(client_entry(json), "web-client.js");
        assert_eq!(client_entry("{}"), "client.js");
    }

    #[test]
    fn finds_the_wasm_a_glue_file_loads() {
        let src = "// don't\nmodule_or_path = new URL('enlist_client_bg.wasm', import.meta.url);\nconst a = \"x.wasm is\"; const b = \"enlist_client_bg.wasm\"; const c = '.wasm';";
        assert_eq!(wasm_files(src), vec!["enlist_client_bg.wasm"]);
    }

    #[test]
    fn preloads_each_wasm_before_the_module_script() {
        let html = "<head>\n  <link rel=\"stylesheet\" href=\"style.css\">\n  <script type=\"module\" src=\"app.js\"></script>\n</head>";
        let wasm: BTreeSet<String> = ["a_bg.wasm".to_string()].into();
        assert_eq!(
            with_preloads(html, &wasm, &["chunk-A.js".to_string()]).unwrap(),
            "<head>\n  <link rel=\"stylesheet\" href=\"style.css\">\n  <link rel=\"preload\" href=\"a_bg.wasm\" as=\"fetch\" type=\"application/wasm\" crossorigin>\n  <link rel=\"modulepreload\" href=\"chunk-A.js\">\n  <script type=\"module\" src=\"app.js\"></script>\n</head>"
        );
        assert!(with_preloads("<head></head>", &wasm, &[]).is_err());
    }

    #[test]
    fn static_imports_leave_out_dynamic_ones() {
        let src = r#"import{a as l}from"./chunk-X.js";const b=()=>import("./bulk-Y.js");"#;
        assert_eq!(static_imports(src), vec!["chunk-X.js"]);
        assert_eq!(relative_imports(src), vec!["chunk-X.js", "bulk-Y.js"]);
    }

    #[test]
    fn finds_sibling_imports() {
        let src = "import load from \"./enlist.js\";\nimport * as api from './api.js';\nconst u = new URL('enlist_bg.wasm', import.meta.url);\nimport x from \"./sub/x.js\";\nconst imports = { \"./enlist_bg.js\": 1 };\nawait import(\"./lazy.js\");";
        assert_eq!(
            relative_imports(src),
            vec!["enlist.js", "lazy.js", "api.js"]
        );
    }
}
