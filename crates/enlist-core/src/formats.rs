//! Format checks shared by every provider: email addresses and phone numbers.
//!
//! Each check returns `Err(reason)` with a stable snake_case reason that ends up
//! in `params.reason`, so a UI can say precisely what is wrong without enlist
//! ever repeating the value.

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
            (1..=63).contains(&label.chars().count())
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
