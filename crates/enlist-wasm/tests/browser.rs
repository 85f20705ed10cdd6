//! The same suite as `tests/node.rs`, in headless Chromium:
//! `WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver` with
//! wasm-bindgen-test-runner (`cargo xtask test --only "wasm tests (chromium)"`).
#![forbid(unsafe_code)]
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;
