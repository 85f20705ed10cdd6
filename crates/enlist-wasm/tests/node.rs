//! The wasm exports, run in Node.js by wasm-bindgen-test-runner:
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test --target wasm32-unknown-unknown -p enlist-wasm --test node`
//! (`cargo xtask test --only "wasm tests (node)"`).
#![forbid(unsafe_code)]
#![cfg(target_arch = "wasm32")]

mod common;
