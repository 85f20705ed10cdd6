//! Runs the bulk benchmark's workload a fixed number of times, for profilers
//! that count instructions (`perf stat -e instructions`, `valgrind --tool=callgrind`):
//!
//! ```text
//! cargo build --profile bench -p enlist-core --example profile_bulk
//! perf stat -e instructions target/release/examples/profile_bulk 20
//! ```
#![forbid(unsafe_code)]

use enlist_core::{partoo::Partoo, Options, Provider};

#[path = "../benches/data.rs"]
mod data;

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let rows = data::bulk_rows(10_000);
    let mut invalid = 0;
    for _ in 0..runs {
        invalid += Partoo::check_many(rows.as_bytes(), &Options::default())
            .invalid
            .len();
    }
    println!(
        "{} bytes, {} invalid rows per run",
        rows.len(),
        invalid / runs.max(1)
    );
}
