//! Arbitrary bytes through every provider's validators (`REGISTRY`):
//! `check_json`, `check_many`, and the typed `build_create_user`.
//!
//! Invariants: no panic; every issue has an RFC 6901 path and a snake_case
//! code; a payload `check_json` accepts also builds (the schema and the typed
//! model agree); each row of `check_many` gets exactly the report `check_node`
//! gives that row alone, plus a `duplicate` for an email address an earlier
//! row has; with `max_issues`, `check_many` keeps at most that many issues
//! and counts the same rows; the tape JSON parser accepts exactly what
//! serde_json accepts (up to the depth limit and numbers out of `f64` range)
//! and reads the same values.
#![forbid(unsafe_code)]
#![no_main]

use enlist_core::json::{Document, MAX_DEPTH};
use enlist_core::{Code, Options, Settings, REGISTRY};
use enlist_fuzz::{check_report, depth, same_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ours = Document::parse_bytes(data);
    let theirs = serde_json::from_slice::<serde_json::Value>(data);
    match (&ours, &theirs) {
        (Ok(doc), Ok(value)) => assert!(
            same_json(&doc.root().to_value(), value),
            "the tape and serde_json read different values"
        ),
        (Ok(_), Err(e)) => assert!(
            e.to_string().contains("number out of range"),
            "only the tape parser accepted the input: {e}"
        ),
        (Err(e), Ok(value)) => assert!(
            depth(value) > MAX_DEPTH,
            "only serde_json accepted the input: {e}"
        ),
        (Err(_), Err(_)) => {}
    }

    let settings = Settings {
        api_key: "fuzz-key-0123456789".into(),
        ..Settings::default()
    };
    let options = [
        Options::default(),
        Options::allowed_domains(["example.com", "Acme.COM"]),
    ];
    for provider in REGISTRY {
        for opts in &options {
            let report = provider.check_json(data, opts);
            check_report(&report);
            let built = provider.build_create_user(data, opts, &settings);
            assert_eq!(
                report.is_ok(),
                built.is_ok(),
                "{}: check_json and build_create_user disagree: {:?}",
                provider.id(),
                built.err()
            );

            let bulk = provider.check_many(data, opts);
            assert!(serde_json::to_string(&bulk).is_ok());
            // Capped: the same rows counted, at most 3 issues of each kind kept.
            let capped = provider.check_many(data, &opts.clone().with_max_issues(3));
            assert_eq!((capped.total, capped.valid), (bulk.total, bulk.valid));
            assert_eq!(
                capped.invalid.len() + capped.omitted.rows,
                bulk.invalid.len()
            );
            let kept = |f: fn(&enlist_core::RowReport) -> usize| {
                capped.invalid.iter().map(f).sum::<usize>()
            };
            assert!(kept(|r| r.errors.len()) <= 3 && kept(|r| r.warnings.len()) <= 3);
            let all =
                |f: fn(&enlist_core::RowReport) -> usize| bulk.invalid.iter().map(f).sum::<usize>();
            assert_eq!(
                kept(|r| r.errors.len()) + capped.omitted.errors,
                all(|r| r.errors.len())
            );
            bulk.errors.iter().for_each(enlist_fuzz::check_issue);
            assert_eq!(bulk.valid + bulk.invalid.len(), bulk.total);
            assert!(bulk.errors.is_empty() || bulk.total == 0);
            let Ok(doc) = &ours else {
                assert!(
                    !bulk.errors.is_empty(),
                    "non-JSON bulk input without an error"
                );
                continue;
            };
            let mut rows = bulk.invalid.iter().peekable();
            let mut total = 0;
            for (index, row) in doc.root().elements().enumerate() {
                total += 1;
                let alone = provider.check_node(row, opts);
                check_report(&alone);
                match rows.next_if(|r| r.index == index) {
                    Some(r) => {
                        // What only the batch knows: the row's email address
                        // is an earlier row's.
                        let own: Vec<_> = r
                            .errors
                            .iter()
                            .filter(|i| {
                                !(i.code == Code::Duplicate
                                    && i.params.get_int("first").is_some_and(|f| f < index as i64)
                                    && !alone.errors.contains(i))
                            })
                            .cloned()
                            .collect();
                        assert_eq!(own, alone.errors, "row {index}");
                        assert!(r.errors.len() - own.len() <= 1, "row {index}");
                        assert_eq!(r.warnings, alone.warnings, "row {index}");
                    }
                    None => assert!(alone.is_ok(), "row {index} valid in bulk only"),
                }
            }
            assert!(
                rows.next().is_none(),
                "bulk reported rows that do not exist"
            );
            assert_eq!(bulk.total, total);
        }
    }
});
