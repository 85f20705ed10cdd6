//! Deterministic bulk data shared by the benchmark and the profiling example.
#![forbid(unsafe_code)]

/// `n` Partoo rows (10,000 make about 2.6 MB), about one in four invalid
/// (a wrong-case language, a dotless email domain or a weak password), built
/// deterministically.
#[allow(dead_code)]
pub fn bulk_rows(n: usize) -> String {
    rows(n, false)
}

/// The same rows with shorter values (emails, last names, custom roles):
/// 10,000 make about 2.3 MB, the size the bulk target names.
#[allow(dead_code)]
pub fn bulk_rows_short(n: usize) -> String {
    rows(n, true)
}

fn rows(n: usize, short: bool) -> String {
    let langs = ["fr", "en", "es", "it", "pt-br", "de"];
    let roles = [
        "ORG_ADMIN",
        "ORG_MANAGER",
        "GROUP_MANAGER",
        "BUSINESS_MANAGER",
        "PUBLISHER",
    ];
    let mut out = String::from("[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let role = roles[i % roles.len()];
        let lang = if i % 7 == 3 {
            "pt-BR"
        } else {
            langs[i % langs.len()]
        };
        let email = if i % 11 == 5 {
            format!("user{i}@localhost")
        } else if short {
            format!("user.{i}@example.com")
        } else {
            format!("user.number{i}@example-company.com")
        };
        let (last_name, custom_role) = if short {
            (format!("Last{i}"), format!("cr_{}", i % 5))
        } else {
            (format!("Last name {i}"), format!("custom_role_{}", i % 5))
        };
        let password = if i % 13 == 7 {
            "weakpassword"
        } else {
            "Str0ng-Passw0rd!"
        };
        // Business ids only where Partoo uses them (BUSINESS_MANAGER).
        let business = if role == "BUSINESS_MANAGER" {
            format!(r#","business_ids":["5409c35a97bbc544d8e2{i:04}"]"#)
        } else {
            String::new()
        };
        out.push_str(&format!(
            r#"{{"email":"{email}","first_name":"First{i}","last_name":"{last_name}","role":"{role}","lang":"{lang}","status":"active","send_invitation":false,"password":"{password}"{business},"sso_only":false,"custom_role":"{custom_role}"}}"#
        ));
    }
    out.push(']');
    out
}
