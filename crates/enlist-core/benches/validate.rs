//! Native validation benchmarks (`cargo xtask bench`, or
//! `cargo bench -p enlist-core --bench validate`). Figures are recorded in
//! docs/benchmarks.md.
#![forbid(unsafe_code)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use enlist_core::{pandadoc::PandaDoc, partoo::Partoo, Options, Provider};
use std::hint::black_box;

const TYPICAL_PARTOO: &str = r#"{"email":"perceval.degalles@example.com","first_name":"Perceval","last_name":"de Galles","role":"BUSINESS_MANAGER","business_ids":["5409c35a97bbc544d8e26737","5409c35a97bbc544d8e26738"],"lang":"fr","status":"active","send_invitation":false,"password":"Sup3r-secret!","sso_only":false}"#;

const INVALID_PARTOO: &str = r#"{"email":"perceval@localhost","first_name":"","role":"PROVIDER","lang":"pt-BR","password":"weak","send_invitation":"yes","firstname":"x"}"#;

const PANDADOC_EXAMPLE: &str = r#"{"user":{"email":"test@pandadoc.com","first_name":"New","last_name":"User","phone_number":""},"workspaces":[{"workspace_id":"Ab123","role":"Collaborator"}],"license":"Guest"}"#;

#[path = "data.rs"]
mod data;
use data::{bulk_rows, bulk_rows_short};

fn single(c: &mut Criterion) {
    let opts = Options::default();
    let mut g = c.benchmark_group("single");
    g.bench_function("partoo_typical_valid_check_json", |b| {
        b.iter(|| Partoo::check_json_with(black_box(TYPICAL_PARTOO.as_bytes()), &opts))
    });
    g.bench_function("partoo_typical_valid_to_typed_model", |b| {
        b.iter(|| Partoo::validate_json_with(black_box(TYPICAL_PARTOO.as_bytes()), &opts))
    });
    g.bench_function("partoo_invalid_all_errors", |b| {
        b.iter(|| Partoo::check_json_with(black_box(INVALID_PARTOO.as_bytes()), &opts))
    });
    g.bench_function("pandadoc_example_check_json", |b| {
        b.iter(|| PandaDoc::check_json_with(black_box(PANDADOC_EXAMPLE.as_bytes()), &opts))
    });
    g.finish();
}

fn bulk(c: &mut Criterion) {
    let rows = bulk_rows(10_000);
    let opts = Options::default();
    let mut g = c.benchmark_group("bulk");
    g.throughput(Throughput::Bytes(rows.len() as u64));
    g.sample_size(30);
    g.bench_with_input(
        BenchmarkId::new("partoo_check_many", "10k rows"),
        &rows,
        |b, rows| b.iter(|| Partoo::check_many(black_box(rows.as_bytes()), &opts)),
    );
    // The rows the target is stated for: 10,000 of them in ~2.3 MB.
    let short = bulk_rows_short(10_000);
    g.throughput(Throughput::Bytes(short.len() as u64));
    g.bench_with_input(
        BenchmarkId::new("partoo_check_many", "10k rows, 2.3 MB"),
        &short,
        |b, rows| b.iter(|| Partoo::check_many(black_box(rows.as_bytes()), &opts)),
    );
    g.throughput(Throughput::Bytes(rows.len() as u64));
    g.bench_with_input(
        BenchmarkId::new("json_parse_only", "10k rows"),
        &rows,
        |b, rows| {
            b.iter(|| enlist_core::json::Document::parse(black_box(rows)).map(|d| d.root().len()))
        },
    );
    g.finish();
}

criterion_group!(benches, single, bulk);
criterion_main!(benches);
