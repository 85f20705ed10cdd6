//! The npm package `enlist` built from `crates/enlist-wasm`.
//!
//! To be written by the enlist-wasm engineer: build the crate for
//! wasm32-unknown-unknown, run the wasm-bindgen CLI (`tools::wasm_bindgen_bin`)
//! and npm binaryen's wasm-opt (`tools::node_bin("wasm-opt")`), and lay out
//! `crates/enlist-wasm/pkg/`.

use crate::util::{self, Result};

/// The crate this module builds.
pub const CRATE_DIR: &str = "crates/enlist-wasm";

/// Builds the npm package into `crates/enlist-wasm/pkg/`.
pub fn build_npm_package() -> Result {
    if !util::path(CRATE_DIR).join("Cargo.toml").is_file() {
        println!("enlist-wasm not present yet ({CRATE_DIR}/Cargo.toml missing); skipping the npm package");
        return Ok(());
    }
    println!("enlist-wasm: the npm package build is not written yet (xtask/src/wasm.rs)");
    Ok(())
}
