//! The form (`www/`): vendors the npm package's client entry
//! (`enlist/client`: the browser API without `buildRequest`/`parseResponse`,
//! from the smaller wasm) into `www/vendor/enlist/` (git-ignored) so the page
//! loads it without a bundler, and takes the README screenshots.

use std::collections::BTreeSet;
use std::path::Path;

use crate::tools::Tool;
use crate::util::{self, Result};
use crate::{wasm, worker};

/// Where the page imports the package from (`www/app.js`: `./vendor/enlist/index.js`).
pub const VENDOR_DIR: &str = "www/vendor/enlist";

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
                || before.ends_with("import(");
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

/// Copies the package's client entry (as `index.js`), the modules it
/// imports and the wasm they load into `www/vendor/enlist/`.
pub fn build() -> Result {
    let pkg = util::path(wasm::PKG_DIR);
    let manifest = std::fs::read_to_string(pkg.join("package.json")).map_err(|e| {
        format!(
            "{}/package.json: {e} (build the npm package first: `cargo xtask build npm`)",
            wasm::PKG_DIR
        )
    })?;
    let entry = client_entry(&manifest);
    let out = util::path(VENDOR_DIR);
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| format!("{VENDOR_DIR}: {e}"))?;
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{VENDOR_DIR}: {e}"))?;

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
    let mut files: Vec<_> = std::fs::read_dir(&out)
        .map_err(|e| format!("{VENDOR_DIR}: {e}"))?
        .flatten()
        .map(|f| f.path())
        .collect();
    files.sort();
    println!("www: vendored the enlist client entry ({entry} → index.js) into {VENDOR_DIR}/");
    for f in &files {
        println!("  {:<20} {}", file_name(f), util::size_report(f));
    }
    Ok(())
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
    fn finds_sibling_imports() {
        let src = "import load from \"./enlist.js\";\nimport * as api from './api.js';\nconst u = new URL('enlist_bg.wasm', import.meta.url);\nimport x from \"./sub/x.js\";\nconst imports = { \"./enlist_bg.js\": 1 };\nawait import(\"./lazy.js\");";
        assert_eq!(
            relative_imports(src),
            vec!["enlist.js", "lazy.js", "api.js"]
        );
    }
}
