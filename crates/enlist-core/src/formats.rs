//! Format checks shared by every provider: email addresses and phone numbers.
//!
//! Each check returns `Err(reason)` with a stable snake_case reason that ends up
//! in `params.reason`, so a UI can say precisely what is wrong without enlist
//! ever repeating the value.

/// The number of characters (Unicode scalar values) in `s`: a plain count of
/// the bytes that start one. The npm package's wasm links this loop in a
/// fraction of the bytes of `str::chars().count()`'s word-at-a-time one
/// (which pays off only on strings far longer than those validation counts).
///
/// ```
/// assert_eq!(enlist_core::formats::char_count("bücher"), 6);
/// ```
pub fn char_count(s: &str) -> usize {
    let mut n = 0;
    for b in s.bytes() {
        // Continuation bytes are 0b10xx_xxxx.
        if (b as i8) >= -0x40 {
            n += 1;
        }
    }
    n
}

/// Practical RFC 5321/5322 email check (dot-atom local part, dotted domain of
/// valid labels). Internationalized domains and UTF-8 local parts are accepted;
/// quoted local parts and IP-literal domains are not.
///
/// ```
/// use enlist_core::formats::check_email;
/// assert!(check_email("ada.lovelace+news@example.co.uk").is_ok());
/// assert!(check_email("josé@bücher.de").is_ok());
/// assert_eq!(check_email("ada@localhost"), Err("domain_not_dotted"));
/// assert_eq!(check_email("ada example.com"), Err("whitespace"));
/// ```
pub fn check_email(email: &str) -> Result<(), &'static str> {
    if email.is_empty() {
        return Err("empty");
    }
    let bytes = email.as_bytes();
    // One pass over the bytes: find the @s and anything that is never
    // allowed, and check the local part (before the first @) on the way.
    let mut at = None;
    let mut ats = 0;
    let mut ascii = true;
    let mut control = false;
    let mut local_character = false;
    let mut double_dot = false;
    let mut after_dot = false;
    for (i, &b) in bytes.iter().enumerate() {
        let class = EMAIL_BYTE[usize::from(b)];
        if class == ATOM {
            // Most bytes: one well-predicted branch.
            after_dot = false;
            continue;
        }
        let in_local = at.is_none();
        match class {
            DOT => double_dot |= in_local && after_dot,
            AT => {
                ats += 1;
                at.get_or_insert(i);
            }
            SPACE => return Err("whitespace"),
            CONTROL => control = true,
            NON_ASCII => ascii = false,
            _ => local_character |= in_local,
        }
        after_dot = class == DOT;
    }
    if !ascii {
        if email.chars().any(char::is_whitespace) {
            return Err("whitespace");
        }
        control |= email.chars().any(char::is_control);
    }
    if control {
        return Err("control_character");
    }
    let Some(at) = at else {
        return Err("missing_at");
    };
    if ats > 1 {
        return Err("multiple_at");
    }
    if email.len() > 254 {
        return Err("too_long");
    }
    // `at` is the '@', so `at + 1` is a char boundary; `get` keeps the
    // panic machinery out of the wasm build.
    let (local, domain) = (&bytes[..at], email.get(at + 1..).unwrap_or_default());
    if local.is_empty() {
        return Err("local_part_empty");
    }
    if local.len() > 64 {
        return Err("local_part_too_long");
    }
    if local[0] == b'.' || local[local.len() - 1] == b'.' || double_dot {
        return Err("local_part_dots");
    }
    // Non-ASCII bytes are UTF-8 letters of an internationalized address.
    if local_character {
        return Err("local_part_character");
    }
    check_domain(domain)
}

// Classes of bytes in an address, for `check_email`'s one pass.
/// RFC 5322 `atext`: allowed anywhere in a local part.
const ATOM: u8 = 0;
const DOT: u8 = 1;
const AT: u8 = 2;
/// ASCII whitespace (space, tab, line feed, carriage return, form feed).
const SPACE: u8 = 3;
/// Other ASCII control characters and DEL.
const CONTROL: u8 = 4;
/// A byte of a UTF-8 sequence.
const NON_ASCII: u8 = 5;
/// Any other ASCII character (`(`, `,`, `"`, `[`, …): not in a local part.
const OTHER: u8 = 6;

static EMAIL_BYTE: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = if b >= 0x80 {
            NON_ASCII
        } else if b == b'.' as usize {
            DOT
        } else if b == b'@' as usize {
            AT
        } else if matches!(b as u8, b' ' | b'\t' | b'\n' | b'\r' | 0x0c) {
            SPACE
        } else if b < 0x20 || b == 0x7f {
            CONTROL
        } else if ATEXT[b] {
            ATOM
        } else {
            OTHER
        };
        b += 1;
    }
    table
};

/// RFC 5322 `atext` plus `.`: the ASCII characters of a dot-atom local part.
static ATEXT: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric();
        b += 1;
    }
    let extra = b"!#$%&'*+/=?^_`{|}~-.";
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
};

/// A DNS host name with at least two labels, each 1–63 characters of letters,
/// digits and inner hyphens (non-ASCII letters allowed), and a top-level label
/// that is not all digits.
///
/// ```
/// use enlist_core::formats::check_domain;
/// assert!(check_domain("xn--bcher-kva.example").is_ok());
/// assert_eq!(check_domain("-bad.example"), Err("domain_label"));
/// ```
pub fn check_domain(domain: &str) -> Result<(), &'static str> {
    if domain.is_empty() {
        return Err("domain_empty");
    }
    if domain.len() > 253 {
        return Err("domain_too_long");
    }
    // Nearly every name is ASCII: one pass decides it.
    if let Some(result) = check_ascii_domain(domain.as_bytes()) {
        return result;
    }
    if !domain.contains('.') {
        return Err("domain_not_dotted");
    }
    let mut last = "";
    for label in domain.split('.') {
        let valid = if label.is_ascii() {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        } else {
            (1..=63).contains(&char_count(label))
                && label.chars().all(|c| {
                    c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric())
                })
        };
        if !valid || label.starts_with('-') || label.ends_with('-') {
            return Err("domain_label");
        }
        last = label;
    }
    if last.chars().all(|c| c.is_ascii_digit()) {
        return Err("domain_tld");
    }
    Ok(())
}

/// [`check_domain`] for an ASCII name (already known to be 1–253 bytes), in
/// one pass: `None` when the name is not ASCII; else the result, with the
/// same precedence as the general path: not dotted, then any label that is
/// not 1–63 letters, digits and inner hyphens, then an all-digit top-level
/// label.
fn check_ascii_domain(domain: &[u8]) -> Option<Result<(), &'static str>> {
    let mut start = 0;
    let mut dotted = false;
    let mut bad_label = false;
    let mut digits_only = true;
    for (i, &b) in domain.iter().enumerate() {
        let class = DOMAIN_BYTE[usize::from(b)];
        if class == LETTER {
            // Most bytes: one well-predicted branch.
            digits_only = false;
            continue;
        }
        match class {
            DIGIT | HYPHEN => digits_only &= b != b'-',
            LABEL_END => {
                bad_label |= check_ascii_label(&domain[start..i]).is_err();
                dotted = true;
                start = i + 1;
                digits_only = true;
            }
            NOT_IN_NAME => bad_label = true,
            _ => return None,
        }
    }
    bad_label |= check_ascii_label(&domain[start..]).is_err();
    Some(if !dotted {
        Err("domain_not_dotted")
    } else if bad_label {
        Err("domain_label")
    } else if digits_only {
        Err("domain_tld")
    } else {
        Ok(())
    })
}

// Classes of bytes in a host name, for `check_ascii_domain`'s one pass.
const LETTER: u8 = 0;
const DIGIT: u8 = 1;
const HYPHEN: u8 = 2;
const LABEL_END: u8 = 3;
/// Any other ASCII character.
const NOT_IN_NAME: u8 = 4;
/// A byte of a UTF-8 sequence.
const UTF8: u8 = 5;

static DOMAIN_BYTE: [u8; 256] = {
    let mut table = [UTF8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphabetic() {
            LETTER
        } else if c.is_ascii_digit() {
            DIGIT
        } else if c == b'-' {
            HYPHEN
        } else if c == b'.' {
            LABEL_END
        } else {
            NOT_IN_NAME
        };
        b += 1;
    }
    table
};

fn check_ascii_label(label: &[u8]) -> Result<(), &'static str> {
    match (label.first(), label.last()) {
        (Some(&first), Some(&last)) if label.len() <= 63 && first != b'-' && last != b'-' => Ok(()),
        _ => Err("domain_label"),
    }
}

/// The domain part of an address with ASCII letters lowercased, if it has an
/// `@`. Letters outside ASCII are kept as written: a full Unicode case
/// mapping would cost its tables in the wasm bundle, and internationalized
/// domains are written in lowercase in practice.
///
/// ```
/// use enlist_core::formats::email_domain;
///
/// assert_eq!(email_domain("a@Example.COM").as_deref(), Some("example.com"));
/// assert_eq!(email_domain("a@ÉCOLE.fr").as_deref(), Some("École.fr"));
/// ```
pub fn email_domain(email: &str) -> Option<String> {
    let (_, domain) = email.split_once('@')?;
    Some(domain.to_ascii_lowercase())
}

/// Fewest digits (country code included) accepted in a phone number.
pub const PHONE_MIN_DIGITS: usize = 7;
/// Most digits in an E.164 number.
pub const PHONE_MAX_DIGITS: usize = 15;

/// An international (E.164) phone number: `+`, a country code that does not
/// start with 0, 7 to 15 digits in all; spaces, hyphens, dots and parentheses
/// may separate groups.
///
/// ```
/// use enlist_core::formats::check_phone;
/// assert!(check_phone("+14842634627").is_ok());
/// assert!(check_phone("+33 6 12-34-56-78").is_ok());
/// assert_eq!(check_phone("0612345678"), Err("missing_country_code"));
/// ```
pub fn check_phone(phone: &str) -> Result<(), &'static str> {
    let Some(rest) = phone.strip_prefix('+') else {
        return Err("missing_country_code");
    };
    let mut digits = 0usize;
    let mut first = None;
    let mut depth = 0i32;
    for c in rest.chars() {
        match c {
            '0'..='9' => {
                first.get_or_insert(c);
                digits += 1;
            }
            ' ' | '-' | '.' => {}
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err("parentheses");
                }
            }
            _ => return Err("character"),
        }
    }
    if depth != 0 {
        return Err("parentheses");
    }
    if first == Some('0') {
        return Err("country_code");
    }
    if digits < PHONE_MIN_DIGITS {
        return Err("too_short");
    }
    if digits > PHONE_MAX_DIGITS {
        return Err("too_long");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_count_counts_what_chars_counts() {
        for s in [
            "",
            "a",
            "bücher",
            "日本語",
            "🦀x🦀",
            "a\u{0}b",
            "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}",
        ] {
            assert_eq!(char_count(s), s.chars().count(), "{s:?}");
        }
        let long = "é🦀a".repeat(1000);
        assert_eq!(char_count(&long), 3000);
    }

    /// The check as first written, several passes, kept as the readable
    /// specification of `check_email`'s one-pass version.
    fn reference_check_email(email: &str) -> Result<(), &'static str> {
        if email.is_empty() {
            return Err("empty");
        }
        let bytes = email.as_bytes();
        // One pass over the bytes: find the @s and anything that is never allowed.
        let mut at = None;
        let mut ats = 0;
        let mut ascii = true;
        let mut control = false;
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'@' => {
                    ats += 1;
                    at.get_or_insert(i);
                }
                b' ' | b'\t' | b'\n' | b'\r' | 0x0c => return Err("whitespace"),
                0..=0x1f | 0x7f => control = true,
                0x80.. => ascii = false,
                _ => {}
            }
        }
        if !ascii {
            if email.chars().any(char::is_whitespace) {
                return Err("whitespace");
            }
            control |= email.chars().any(char::is_control);
        }
        if control {
            return Err("control_character");
        }
        let Some(at) = at else {
            return Err("missing_at");
        };
        if ats > 1 {
            return Err("multiple_at");
        }
        if email.len() > 254 {
            return Err("too_long");
        }
        let (local, domain) = (&email[..at], &email[at + 1..]);
        if local.is_empty() {
            return Err("local_part_empty");
        }
        if local.len() > 64 {
            return Err("local_part_too_long");
        }
        let lb = local.as_bytes();
        if lb[0] == b'.' || lb[lb.len() - 1] == b'.' || lb.windows(2).any(|w| w == b"..") {
            return Err("local_part_dots");
        }
        // Non-ASCII bytes are UTF-8 letters of an internationalized address.
        if !lb.iter().all(|&b| !b.is_ascii() || ATEXT[usize::from(b)]) {
            return Err("local_part_character");
        }
        check_domain(domain)
    }

    /// `check_domain` as first written (label by label, ASCII or not).
    fn reference_check_domain(domain: &str) -> Result<(), &'static str> {
        if domain.is_empty() {
            return Err("domain_empty");
        }
        if domain.len() > 253 {
            return Err("domain_too_long");
        }
        if !domain.contains('.') {
            return Err("domain_not_dotted");
        }
        let mut last = "";
        for label in domain.split('.') {
            let valid = if label.is_ascii() {
                (1..=63).contains(&label.len())
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            } else {
                (1..=63).contains(&char_count(label))
                    && label.chars().all(|c| {
                        c.is_ascii_alphanumeric()
                            || c == '-'
                            || (!c.is_ascii() && c.is_alphanumeric())
                    })
            };
            if !valid || label.starts_with('-') || label.ends_with('-') {
                return Err("domain_label");
            }
            last = label;
        }
        if last.chars().all(|c| c.is_ascii_digit()) {
            return Err("domain_tld");
        }
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn one_pass_email_check_matches_the_reference(
            email in "[a-z.@_+\\-\"(, \t\u{0}\u{7f}\u{85}\u{a0}éß0-9]{0,24}"
        ) {
            proptest::prop_assert_eq!(check_email(&email), reference_check_email(&email));
        }

        #[test]
        fn one_pass_email_check_matches_the_reference_on_long_parts(
            local in "[a-z.]{0,70}", domain in "[a-z.\\-]{0,20}"
        ) {
            let email = format!("{local}@{domain}");
            proptest::prop_assert_eq!(check_email(&email), reference_check_email(&email));
        }

        #[test]
        fn one_pass_domain_check_matches_the_reference(
            domain in "[a-z0-9.\\-_é]{0,12}|([a-z0-9\\-]{0,3}\\.){1,3}[a-z0-9\\-]{0,3}|[a-z0-9]{0,70}\\.[a-z0-9\\-]{0,70}"
        ) {
            proptest::prop_assert_eq!(check_domain(&domain), reference_check_domain(&domain));
        }
    }

    #[test]
    fn emails_table() {
        let cases: &[(&str, Result<(), &str>)] = &[
            ("test@pandadoc.com", Ok(())),
            ("email@example.com", Ok(())),
            ("a.b-c_d+e@sub.example.io", Ok(())),
            ("o'brien@example.ie", Ok(())),
            ("用户@例子.广告", Ok(())),
            ("", Err("empty")),
            ("plainaddress", Err("missing_at")),
            ("a@b@example.com", Err("multiple_at")),
            ("@example.com", Err("local_part_empty")),
            ("a@", Err("domain_empty")),
            (".a@example.com", Err("local_part_dots")),
            ("a.@example.com", Err("local_part_dots")),
            ("a..b@example.com", Err("local_part_dots")),
            ("\"quoted\"@example.com", Err("local_part_character")),
            ("a,b@example.com", Err("local_part_character")),
            ("a@example", Err("domain_not_dotted")),
            ("a@example..com", Err("domain_label")),
            ("a@example.com.", Err("domain_label")),
            ("a@-example.com", Err("domain_label")),
            ("a@example-.com", Err("domain_label")),
            ("a@exa_mple.com", Err("domain_label")),
            ("a@[127.0.0.1]", Err("domain_label")),
            ("a@1.2.3.4", Err("domain_tld")),
            ("a b@example.com", Err("whitespace")),
            ("a@example.com\n", Err("whitespace")),
            ("a\u{0}@example.com", Err("control_character")),
        ];
        for (email, expected) in cases {
            assert_eq!(check_email(email), *expected, "{email:?}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(check_email(&long_local), Err("local_part_too_long"));
        let ok_local = format!("{}@example.com", "a".repeat(64));
        assert_eq!(check_email(&ok_local), Ok(()));
        let long = format!("a@{}.com", "b".repeat(60).repeat(5));
        assert_eq!(check_email(&long), Err("too_long"));
        let label64 = format!("a@{}.com", "b".repeat(64));
        assert_eq!(check_email(&label64), Err("domain_label"));
    }

    #[test]
    fn phones_table() {
        let cases: &[(&str, Result<(), &str>)] = &[
            ("+14842634627", Ok(())),
            ("+44 20 7946 0958", Ok(())),
            ("+1 (484) 263-4627", Ok(())),
            ("+2901234", Ok(())),
            ("14842634627", Err("missing_country_code")),
            ("+0123456789", Err("country_code")),
            ("+123456", Err("too_short")),
            ("+1234567890123456", Err("too_long")),
            ("+1 484 CALL NOW", Err("character")),
            ("+1 (484 263", Err("parentheses")),
            ("+1 484) 263 4627", Err("parentheses")),
            ("+", Err("too_short")),
        ];
        for (phone, expected) in cases {
            assert_eq!(check_phone(phone), *expected, "{phone:?}");
        }
    }
}
