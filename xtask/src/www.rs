//! The form (`www/`): vendors the npm package's browser entry into
//! `www/vendor/enlist/` (git-ignored) so the page loads it without a bundler,
//! and takes the README screenshots.

use std::collections::BTreeSet;
use std::path::Path;

use crate::tools::Tool;
use crate::util::{self, Result};
use crate::{wasm, worker};

/// Where the page imports the package from (`www/app.js`: `./vendor/enlist/index.js`).
pub const VENDOR_DIR: &str = "www/vendor/enlist";

/// The `browser` entry named in the package's `package.json` (`./browser.js`).
fn browser_entry(package_json: &str) -> String {
    let key = "\"browser\"";
    package_json
        .find(key)
        .map(|i| &package_json[i + key.len()..])
        .and_then(|rest| rest.trim_start().strip_prefix(':'))
        .and_then(|rest| rest.trim_start().strip_prefix('"'))
        .and_then(|rest| rest.split('"').next())
        .map(|s| s.trim_start_matches("./").to_string())
        .filter(|s| s.ends_with(".js") && !s.contains('/'))
        .unwrap_or_else(|| "browser.js".to_string())
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

/// Copies the package's browser entry (as `index.js`), the modules it
/// imports and the wasm into `www/vendor/enlist/`.
pub fn build() -> Result {
    let pkg = util::path(wasm::PKG_DIR);
    let manifest = std::fs::read_to_string(pkg.join("package.json")).map_err(|e| {
        format!(
            "{}/package.json: {e} (build the npm package first: `cargo xtask build npm`)",
            wasm::PKG_DIR
        )
    })?;
    let entry = browser_entry(&manifest);
    let out = util::path(VENDOR_DIR);
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| format!("{VENDOR_DIR}: {e}"))?;
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{VENDOR_DIR}: {e}"))?;

    let mut seen = BTreeSet::new();
    let mut todo = vec![entry.clone()];
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let source = std::fs::read_to_string(pkg.join(&name))
            .map_err(|e| format!("{}/{name}: {e}", wasm::PKG_DIR))?;
        todo.extend(relative_imports(&source));
        let target = if name == entry {
            "index.js".to_string()
        } else {
            name
        };
        std::fs::write(out.join(&target), source)
            .map_err(|e| format!("{VENDOR_DIR}/{target}: {e}"))?;
    }
    let mut wasm_files = 0;
    for file in std::fs::read_dir(&pkg)
        .map_err(|e| format!("{}: {e}", wasm::PKG_DIR))?
        .flatten()
    {
        let name = file.file_name().to_string_lossy().into_owned();
        if name.ends_with(".wasm") {
            std::fs::copy(file.path(), out.join(&name))
                .map_err(|e| format!("{VENDOR_DIR}/{name}: {e}"))?;
            wasm_files += 1;
        }
    }
    if wasm_files == 0 {
        return Err(format!("no .wasm file in {}", wasm::PKG_DIR));
    }
    let mut files: Vec<_> = std::fs::read_dir(&out)
        .map_err(|e| format!("{VENDOR_DIR}: {e}"))?
        .flatten()
        .map(|f| f.path())
        .collect();
    files.sort();
    println!("www: vendored the enlist browser entry ({entry} → index.js) into {VENDOR_DIR}/");
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
    fn finds_the_browser_entry() {
        let json = r#"{"exports":{".":{"node":"./node.js","browser": "./browser.js","default":"./browser.js"}}}"#;
        assert_eq!(browser_entry(json), "browser.js");
        assert_eq!(browser_entry("{}"), "browser.js");
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
