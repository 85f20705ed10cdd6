//! Validates the benchmark's invalid Partoo payload (every kind of error at
//! once) a fixed number of times, for profilers that count instructions:
//!
//! ```text
//! cargo build --profile bench -p enlist-core --example profile_invalid
//! valgrind --tool=callgrind target/release/examples/profile_invalid 10000
//! ```
#![forbid(unsafe_code)]

use enlist_core::{partoo::Partoo, Options, Provider};

/// The same payload as `benches/validate.rs` ("partoo_invalid_all_errors").
const INVALID_PARTOO: &str = r#"{"email":"perceval@localhost","first_name":"","role":"PROVIDER","lang":"pt-BR","password":"weak","send_invitation":"yes","firstname":"x"}"#;

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let mut issues = 0;
    for _ in 0..runs {
        let report = Partoo::check_json_with(INVALID_PARTOO.as_bytes(), &Options::default());
        issues += report.errors.len() + report.warnings.len();
    }
    println!("{} issues per run", issues / runs.max(1));
}
