//! The validation engine: walks a parsed document against an [`ObjectSchema`] and
//! reports every problem in one pass.
//!
//! Providers call this through [`crate::Provider`]; it is public so the rules of a
//! schema can be checked on their own.
//!
//! ```
//! use enlist_core::validate::{check_json, Options};
//! use enlist_core::partoo::SCHEMA;
//!
//! let report = check_json(&SCHEMA, br#"{"email":"ada@example.com","first_name":"Ada","last_name":"L","lang":"pt-BR"}"#, &Options::default());
//! assert_eq!(report.errors[0].path, "/lang");
//! assert_eq!(report.errors[0].params.get_str("suggestion"), Some("pt-br"));
//! ```

use crate::formats;
use crate::json::{Document, Key, Kind, Node};
use crate::report::{push_token, Code, Issue, Param, Params, Report};
use crate::schema::{
    ArraySchema, Condition, Field, Literal, ObjectSchema, Relevance, Type, Unique,
};
use std::borrow::Cow;

/// The cap on issues the npm package applies unless told otherwise
/// ([`Options::max_issues`]): enough for any real payload, small enough that
/// a hostile one cannot make a report large.
pub const DEFAULT_MAX_ISSUES: usize = 100;

/// Options that tighten validation for one caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// When set, every email address must be at one of these domains (compared
    /// case-insensitively, exact match — subdomains are not included).
    pub allowed_email_domains: Option<Vec<String>>,
    /// When set, a report keeps at most this many errors and this many
    /// warnings (at least one of each: `0` counts as `1`); the rest are
    /// counted in [`Report::omitted`] and not built, so a payload with
    /// thousands of problems costs no more memory than the cap. For
    /// [`check_many`](crate::bulk::check_many) the cap is on the whole
    /// report, all rows together. `None` keeps every issue.
    pub max_issues: Option<usize>,
}

impl Options {
    /// Options that only accept emails at the given domains.
    ///
    /// ```
    /// let opts = enlist_core::validate::Options::allowed_domains(["example.com"]);
    /// assert_eq!(opts.allowed_email_domains.as_deref(), Some(&["example.com".to_string()][..]));
    /// ```
    pub fn allowed_domains<I, S>(domains: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Options {
            allowed_email_domains: Some(domains.into_iter().map(Into::into).collect()),
            max_issues: None,
        }
    }

    /// Checks the options themselves: a list of allowed domains must name at
    /// least one domain, and each entry must be a domain name as it appears
    /// after the `@` (see [`allowed_domain_problem`]). The error names the
    /// entry's index and what is wrong with it.
    ///
    /// ```
    /// use enlist_core::Options;
    /// assert!(Options::allowed_domains(["example.com", "Acme.CO.uk"]).check().is_ok());
    /// assert!(Options::allowed_domains(Vec::<String>::new()).check().is_err());
    /// let e = Options::allowed_domains(["example.com", "*.example.com"]).check();
    /// assert!(e.is_err_and(|m| m.starts_with("allowed email domain 1 ")));
    /// ```
    pub fn check(&self) -> Result<(), String> {
        let Some(domains) = &self.allowed_email_domains else {
            return Ok(());
        };
        if domains.is_empty() {
            return Err(
                "the allowed email domains are an empty list, which no address could match; leave the option out to allow every domain"
                    .into(),
            );
        }
        for (i, d) in domains.iter().enumerate() {
            if let Some(problem) = allowed_domain_problem(d) {
                return Err(format!("allowed email domain {i} {problem}"));
            }
        }
        Ok(())
    }

    /// The same options with a cap on the issues a report keeps (see
    /// [`Options::max_issues`]).
    ///
    /// ```
    /// use enlist_core::{partoo::Partoo, Options, Provider};
    /// let report = Partoo::check_json_with(br#"{"a":1,"b":2,"c":3}"#, &Options::default().with_max_issues(2));
    /// assert_eq!(report.errors.len(), 2);
    /// assert_eq!(report.omitted.errors, 4); // one more unknown field, three required ones
    /// ```
    pub fn with_max_issues(mut self, max: usize) -> Self {
        self.max_issues = Some(max);
        self
    }
}

/// What is wrong with `domain` as an entry of
/// [`Options::allowed_email_domains`], as the end of a sentence, or `None`
/// when it is a domain name (`example.com`, any case). Entries are compared
/// whole with the part of each address after the `@`, so an empty string, a
/// leading `@` or a wildcard (`*.example.com`) would silently match nothing:
/// they are refused instead. Subdomains are not matched; list each one.
///
/// ```
/// use enlist_core::validate::allowed_domain_problem;
/// assert_eq!(allowed_domain_problem("example.com"), None);
/// assert_eq!(allowed_domain_problem("@example.com"), Some("starts with @ (write example.com)"));
/// assert!(allowed_domain_problem("*.example.com").is_some_and(|p| p.contains("wildcard")));
/// assert!(allowed_domain_problem("").is_some());
/// assert!(allowed_domain_problem("example").is_some());
/// ```
pub fn allowed_domain_problem(domain: &str) -> Option<&'static str> {
    if domain.trim().is_empty() {
        return Some("is empty");
    }
    if domain.starts_with('@') {
        return Some("starts with @ (write example.com)");
    }
    if domain.contains('*') {
        return Some("has a wildcard; list each subdomain instead");
    }
    // Not a full host-name check (which would cost the wasm its own copy):
    // what could never be the part of an address after the `@`.
    let dotted = domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.');
    (!dotted || domain.bytes().any(|b| b == b'@' || b <= b' ' || b == 0x7f))
        .then_some("is not a domain name such as example.com")
}

/// Validates JSON bytes against `schema`.
pub fn check_json(schema: &ObjectSchema, json: &[u8], options: &Options) -> Report {
    match Document::parse_bytes(json) {
        Ok(doc) => check_node(schema, doc.root(), options),
        Err(e) => syntax_report(&e),
    }
}

/// Validates an already parsed value against `schema`.
pub fn check_node(schema: &ObjectSchema, node: Node<'_, '_>, options: &Options) -> Report {
    let mut walker = Walker::new(options);
    walker.object(schema, node);
    walker.report
}

/// The report for text that is not JSON.
pub(crate) fn syntax_report(e: &crate::json::SyntaxError) -> Report {
    Report {
        errors: vec![Issue::new(
            "",
            Code::InvalidJson,
            ["The body is not valid JSON: ", &e.message(), "."].concat(),
            Params::new()
                .with("line", Param::Int(e.line as i64))
                .with("column", Param::Int(e.column as i64))
                .with("reason", Param::Str(Cow::Borrowed(e.reason))),
        )],
        ..Report::default()
    }
}

/// Walks values, keeping the current JSON Pointer in one reused buffer.
pub(crate) struct Walker<'o> {
    options: &'o Options,
    /// Where the walk is; rendered into a JSON Pointer only when reporting.
    path: Vec<Segment>,
    pub(crate) report: Report,
    /// How many more errors, and warnings, the report may keep; past that
    /// they are only counted ([`Options::max_issues`]).
    room: (usize, usize),
    /// In a bulk check: the addresses of earlier rows, this row's index, and
    /// whether its address was compared yet ([`Walker::compare_emails`]).
    emails: Option<(crate::bulk::Emails, usize, bool)>,
}

/// Most fields an object schema may have.
pub const MAX_FIELDS: usize = 32;
const NOT_SEEN: u32 = u32::MAX;

/// One step of the current path (`Copy`: leaving a level drops nothing).
#[derive(Clone, Copy)]
enum Segment {
    Key(&'static str),
    Index(usize),
}

impl<'o> Walker<'o> {
    pub(crate) fn new(options: &'o Options) -> Self {
        let cap = options.max_issues.map_or(usize::MAX, |n| n.max(1));
        Walker {
            options,
            path: Vec::new(),
            report: Report::default(),
            room: (cap, cap),
            emails: None,
        }
    }

    /// Compares each row's email address with the earlier rows' from now on
    /// (see [`crate::bulk::check_many`]); `row` starts each row.
    pub(crate) fn compare_emails(&mut self) {
        self.emails = Some((crate::bulk::Emails::default(), 0, false));
    }

    /// Starts row `index` of a bulk check.
    pub(crate) fn start_row(&mut self, index: usize) {
        if let Some((_, row, compared)) = &mut self.emails {
            *row = index;
            *compared = false;
        }
    }

    /// Sets how many more errors and warnings the report may keep.
    pub(crate) fn set_room(&mut self, errors: usize, warnings: usize) {
        self.room = (errors, warnings);
    }

    /// Takes the report gathered so far and starts a new one.
    pub(crate) fn take_report(&mut self) -> Report {
        self.path.clear();
        std::mem::take(&mut self.report)
    }

    /// Whether the next error is kept; when it is not, counts it as omitted.
    /// Callers ask before building the error, so one past the cap costs
    /// nothing but the count.
    fn keep_error(&mut self) -> bool {
        if self.room.0 == 0 {
            self.report.omitted.errors += 1;
            return false;
        }
        self.room.0 -= 1;
        true
    }

    /// [`Walker::keep_error`] for warnings.
    fn keep_warning(&mut self) -> bool {
        if self.room.1 == 0 {
            self.report.omitted.warnings += 1;
            return false;
        }
        self.room.1 -= 1;
        true
    }

    fn error(&mut self, code: Code, message: impl Into<String>, params: Params) {
        if self.keep_error() {
            self.push_error(self.pointer(), code, message, params);
        }
    }

    /// Adds an error that [`Walker::keep_error`] let through.
    fn push_error(
        &mut self,
        pointer: String,
        code: Code,
        message: impl Into<String>,
        params: Params,
    ) {
        let issue = Issue::new(pointer, code, message, params);
        self.report.errors.push(issue);
    }

    fn warning(&mut self, code: Code, message: impl Into<String>, params: Params) {
        if self.keep_warning() {
            let issue = Issue::new(self.pointer(), code, message, params);
            self.report.warnings.push(issue);
        }
    }

    /// The current path as an RFC 6901 JSON Pointer.
    fn pointer(&self) -> String {
        // Room for typical paths (`/workspaces/3/workspace_id`) at once.
        let mut pointer = String::with_capacity(32);
        for segment in &self.path {
            match segment {
                Segment::Key(k) => push_token(&mut pointer, k),
                Segment::Index(i) => {
                    pointer.push('/');
                    pointer.push_str(itoa(*i).as_str());
                }
            }
        }
        pointer
    }

    fn enter_key(&mut self, key: &'static str) -> usize {
        let len = self.path.len();
        self.path.push(Segment::Key(key));
        len
    }

    fn enter_index(&mut self, index: usize) -> usize {
        let len = self.path.len();
        self.path.push(Segment::Index(index));
        len
    }

    fn leave(&mut self, len: usize) {
        self.path.truncate(len);
    }

    pub(crate) fn object(&mut self, schema: &ObjectSchema, node: Node<'_, '_>) {
        if node.kind() != Kind::Object {
            self.type_error("object", node.kind());
            return;
        }
        let fields = &schema.fields[..schema.fields.len().min(MAX_FIELDS)];
        let n = fields.len();
        // The tape index of each field's value, by field index.
        let mut values = [NOT_SEEN; MAX_FIELDS];
        // The fields present that may need a warning (deprecated, or relevant
        // only in some combinations), in document order: checked once every
        // sibling is known.
        let mut to_check = [0u8; MAX_FIELDS];
        let mut count = 0;
        // Payloads usually list fields in schema order: search from the field
        // after the last one found, wrapping around.
        let mut hint = 0;
        for (key, value) in node.members() {
            let found = match key.plain_bytes() {
                Some(bytes) => find_field(fields, hint, |name| name.as_bytes() == bytes),
                None => find_field(fields, hint, |name| key.str_eq(name)),
            };
            match found {
                Some(i) => {
                    hint = i + 1;
                    let field = &fields[i];
                    let mark = self.enter_key(field.name);
                    if values[i] != NOT_SEEN {
                        self.error(
                            Code::Duplicate,
                            "This field appears more than once in the object.",
                            Params::new(),
                        );
                    } else {
                        values[i] = value.index();
                        if field.deprecated || !matches!(field.relevance, Relevance::Always) {
                            to_check[count] = i as u8;
                            count += 1;
                        }
                        self.field(field, value);
                    }
                    self.leave(mark);
                }
                None => self.unknown_field(schema, key),
            }
        }
        for (i, field) in fields.iter().enumerate().take(n) {
            if field.required && values[i] == NOT_SEEN {
                let mark = self.enter_key(field.name);
                self.error(Code::Required, "This field is required.", Params::new());
                self.leave(mark);
            }
        }
        // Warnings, in document order.
        for &i in &to_check[..count] {
            let field = &fields[usize::from(i)];
            let mark = self.enter_key(field.name);
            if field.deprecated {
                self.warning(
                    Code::Deprecated,
                    "This field is deprecated by the provider and may stop working.",
                    Params::new(),
                );
            }
            let sibling = |c: Condition| {
                fields
                    .iter()
                    .position(|f| f.name == c.field)
                    .map(|j| values[j])
                    .filter(|&at| at != NOT_SEEN)
                    .map(|at| node.sibling_at(at))
            };
            match field.relevance {
                Relevance::Always => {}
                Relevance::OnlyWhen(c) if !holds(sibling(c), c) => self.ignored(c, false),
                Relevance::IgnoredWhen(c) if holds(sibling(c), c) => self.ignored(c, true),
                Relevance::OnlyWhen(_) | Relevance::IgnoredWhen(_) => {}
            }
            self.leave(mark);
        }
    }

    fn unknown_field(&mut self, schema: &ObjectSchema, key: Key<'_, '_>) {
        if !self.keep_error() {
            return;
        }
        let name = key.as_str();
        let mut params = Params::new();
        let mut message = String::from("Unknown field: the provider does not accept it.");
        if let Some(suggestion) = suggest_field(schema, &name) {
            message.push_str(" Did you mean \"");
            message.push_str(suggestion);
            message.push_str("\"?");
            params = params.with("suggestion", Param::Str(Cow::Borrowed(suggestion)));
        }
        // The only path segment that is not a schema name or an index: added
        // here rather than kept in `path`, so segments stay `Copy`.
        let mut pointer = self.pointer();
        push_token(&mut pointer, &name);
        self.push_error(pointer, Code::UnknownField, message, params);
    }

    fn field(&mut self, field: &Field, value: Node<'_, '_>) {
        if value.is_null() {
            if !field.nullable {
                self.type_error(expected_name(&field.ty), Kind::Null);
            }
            return;
        }
        self.value(&field.ty, value);
    }

    fn ignored(&mut self, c: Condition, condition_holds: bool) {
        let value = match c.equals {
            Literal::Bool(true) => "true",
            Literal::Bool(false) => "false",
            Literal::Str(s) => s,
        };
        let (message, when) = if condition_holds {
            (
                [
                    "The provider ignores this field when ",
                    c.field,
                    " is ",
                    value,
                    ".",
                ]
                .concat(),
                "equals",
            )
        } else {
            (
                [
                    "The provider ignores this field unless ",
                    c.field,
                    " is ",
                    value,
                    ".",
                ]
                .concat(),
                "differs",
            )
        };
        let params = Params::new()
            .with("field", Param::Str(Cow::Borrowed(c.field)))
            .with("value", Param::Str(Cow::Borrowed(value)))
            .with("because", Param::Str(Cow::Borrowed(when)));
        self.warning(Code::Ignored, message, params);
    }

    fn type_error(&mut self, expected: &'static str, found: Kind) {
        self.error(
            Code::Type,
            if found == Kind::Null {
                ["Must be ", article(expected), " ", expected, ", not null."].concat()
            } else {
                [
                    "Must be ",
                    article(expected),
                    " ",
                    expected,
                    ", not ",
                    article(found.name()),
                    " ",
                    found.name(),
                    ".",
                ]
                .concat()
            },
            Params::new()
                .with("expected", Param::Str(Cow::Borrowed(expected)))
                .with("found", Param::Str(Cow::Borrowed(found.name()))),
        );
    }

    /// Checks one value against its type. Inlined into its two callers
    /// natively (2.7 M fewer instructions on the bulk benchmark, 4 %: no call
    /// per field); not in the wasm, where the copy cost 0.5 KB gzip.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn value(&mut self, ty: &Type, node: Node<'_, '_>) {
        if node.kind() != ty.json_kind() {
            self.type_error(expected_name(ty), node.kind());
            return;
        }
        match ty {
            Type::Text(rule) => {
                let text = node.as_str().unwrap_or_default();
                if rule.non_empty && is_blank(&text) {
                    self.error(Code::Empty, "Must not be empty.", Params::new());
                } else {
                    self.max_chars(&text, rule.max_length);
                }
            }
            Type::Email => self.email(&node.as_str().unwrap_or_default(), node),
            Type::Password(policy) => {
                let password = node.as_str().unwrap_or_default();
                self.password(policy, &password);
            }
            Type::Phone { allow_empty } => {
                let phone = node.as_str().unwrap_or_default();
                if !(phone.is_empty() && *allow_empty) {
                    if let Err(reason) = formats::check_phone(&phone) {
                        self.error(
                            Code::Phone,
                            [
                                "Must be an international phone number: a plus sign, the country code, then the number (",
                                phone_reason(reason),
                                ").",
                            ]
                            .concat(),
                            Params::new().with("reason", Param::Str(Cow::Borrowed(reason))),
                        );
                    }
                }
            }
            Type::Boolean => {}
            Type::Integer => {
                if !node.is_integer() {
                    self.error(
                        Code::Type,
                        "Must be a whole number written without a fraction or exponent.",
                        Params::new()
                            .with("expected", Param::Str(Cow::Borrowed("integer")))
                            .with("found", Param::Str(Cow::Borrowed("number"))),
                    );
                } else if node.as_i64().is_none() {
                    self.error(
                        Code::OutOfRange,
                        "Must be a whole number between -9223372036854775808 and 9223372036854775807.",
                        Params::new()
                            .with("min", Param::Int(i64::MIN))
                            .with("max", Param::Int(i64::MAX)),
                    );
                }
            }
            Type::Enum(allowed) => {
                let text = node.as_str().unwrap_or_default();
                if !one_of(allowed, &text) {
                    self.enum_error(allowed, &text);
                }
            }
            Type::Array(schema) => self.array(schema, node),
            Type::Object(schema) => self.object(schema, node),
        }
    }

    fn max_chars(&mut self, text: &str, max: u32) {
        // Byte length bounds the character count from above: skip counting when short.
        if text.len() > max as usize && formats::char_count(text) > max as usize {
            self.too_long(max);
        }
    }

    /// A `max_length` error: longer than `max` characters.
    fn too_long(&mut self, max: u32) {
        self.error(
            Code::MaxLength,
            [
                "Must be at most ",
                itoa(max as usize).as_str(),
                " characters long.",
            ]
            .concat(),
            Params::new().with("max", Param::Int(i64::from(max))),
        );
    }

    fn email(&mut self, email: &str, node: Node<'_, '_>) {
        if is_blank(email) {
            self.error(Code::Empty, "Must not be empty.", Params::new());
            return;
        }
        if let Err(reason) = formats::check_email(email) {
            self.error(
                Code::Email,
                [
                    "Must be a valid email address (",
                    email_reason(reason),
                    ").",
                ]
                .concat(),
                Params::new().with("reason", Param::Str(Cow::Borrowed(reason))),
            );
            return;
        }
        if let Some(allowed) = &self.options.allowed_email_domains {
            let domain = formats::email_domain(email).unwrap_or_default();
            if !allowed.iter().any(|d| d.eq_ignore_ascii_case(&domain)) {
                // Joined by hand: `join` and `format!` would each link more code
                // into the wasm for this one message.
                let mut message = String::from(if allowed.len() == 1 {
                    "The email address must be at "
                } else {
                    "The email address must be at one of: "
                });
                for (i, d) in allowed.iter().enumerate() {
                    if i > 0 {
                        message.push_str(", ");
                    }
                    message.push_str(d);
                }
                message += ".";
                self.error(
                    Code::Domain,
                    message,
                    Params::new().with("allowed", Param::Strings(allowed.clone())),
                );
                return;
            }
        }
        // In a bulk check, the row's first address outside a list is its
        // account's: the providers refuse a second account for it.
        let in_list = self.path.iter().any(|s| matches!(s, Segment::Index(_)));
        if let Some((seen, row, compared @ false)) = &mut self.emails {
            if !in_list {
                *compared = true;
                if let Some(first) = seen.insert(node, email, *row) {
                    self.error(
                        Code::Duplicate,
                        [
                            "This email address is already in row ",
                            itoa(first).as_str(),
                            " of the batch.",
                        ]
                        .concat(),
                        Params::new().with("first", Param::Int(first as i64)),
                    );
                }
            }
        }
    }

    fn password(&mut self, policy: &crate::schema::PasswordPolicy, password: &str) {
        let chars = formats::char_count(password);
        if chars < policy.min_length as usize {
            self.error(
                Code::MinLength,
                [
                    "Must be at least ",
                    itoa(policy.min_length as usize).as_str(),
                    " characters long.",
                ]
                .concat(),
                Params::new().with("min", Param::Int(i64::from(policy.min_length))),
            );
        }
        if chars > policy.max_length as usize {
            self.too_long(policy.max_length);
        }
        if policy.uppercase && !password.chars().any(char::is_uppercase) {
            self.error(
                Code::PasswordUppercase,
                "Must contain at least one uppercase letter.",
                Params::new(),
            );
        }
        if policy.lowercase && !password.chars().any(char::is_lowercase) {
            self.error(
                Code::PasswordLowercase,
                "Must contain at least one lowercase letter.",
                Params::new(),
            );
        }
        if policy.special && !password.chars().any(is_special) {
            self.error(
                Code::PasswordSpecial,
                "Must contain at least one special character (not a letter, digit or space).",
                Params::new(),
            );
        }
    }

    fn enum_error(&mut self, allowed: &'static [&'static str], text: &str) {
        if !self.keep_error() {
            return;
        }
        // Joined in place: `join` then `concat` would build the list twice
        // (~500 more instructions per error on the bulk path), and the
        // spare room takes the suggestion without growing.
        let mut message =
            String::with_capacity(allowed.iter().map(|a| a.len() + 2).sum::<usize>() + 64);
        message.push_str("Must be one of: ");
        for (i, a) in allowed.iter().enumerate() {
            if i > 0 {
                message.push_str(", ");
            }
            message.push_str(a);
        }
        message.push('.');
        let mut params = Params::new().with("allowed", Param::List(Cow::Borrowed(allowed)));
        if let Some(hit) = suggest(allowed, text) {
            message.push_str(" Did you mean \"");
            message.push_str(hit);
            message.push_str("\"?");
            params = params.with("suggestion", Param::Str(Cow::Borrowed(hit)));
        }
        self.push_error(self.pointer(), Code::Enum, message, params);
    }

    fn array(&mut self, schema: &ArraySchema, node: Node<'_, '_>) {
        let mut count = 0usize;
        for (i, element) in node.elements().enumerate() {
            count += 1;
            let mark = self.enter_index(i);
            if element.is_null() {
                self.type_error(expected_name(&schema.items), Kind::Null);
            } else {
                self.value(&schema.items, element);
            }
            self.leave(mark);
        }
        if count < schema.min_items as usize {
            self.error(
                Code::Empty,
                [
                    "Must contain at least ",
                    itoa(schema.min_items as usize).as_str(),
                    if schema.min_items == 1 {
                        " item."
                    } else {
                        " items."
                    },
                ]
                .concat(),
                Params::new().with("min", Param::Int(i64::from(schema.min_items))),
            );
        }
        match schema.unique {
            Unique::No => {}
            Unique::Values => self.unique(node.elements().enumerate(), None),
            Unique::Key(key) => self.unique(
                node.elements()
                    .enumerate()
                    .filter_map(|(i, e)| e.get(key).map(|v| (i, v))),
                Some(key),
            ),
        }
    }

    /// Reports the second and later occurrences of the same string. `items`
    /// yields each element's index with the string to compare. Up to
    /// [`FEW_ITEMS`] strings are compared pairwise, without allocating; more
    /// are sorted (worst case O(n log n) whatever the input, and no hash
    /// table in the wasm build).
    fn unique<'d, 'a: 'd>(
        &mut self,
        items: impl Iterator<Item = (usize, Node<'d, 'a>)> + Clone,
        key: Option<&'static str>,
    ) {
        let strings = items.clone().filter(|(_, v)| v.kind() == Kind::String);
        if strings.clone().nth(FEW_ITEMS).is_none() {
            for (n, (i, value)) in items.clone().enumerate() {
                let Some(text) = value.as_str() else { continue };
                let first = items
                    .clone()
                    .take(n)
                    .find(|(_, earlier)| earlier.str_eq(&text))
                    .map(|(at, _)| at);
                if let Some(at) = first {
                    self.duplicate(i, at, key);
                }
            }
            return;
        }
        // (text, n-th string, array index), sorted by text, then by position:
        // each run of equal texts starts with the first occurrence.
        let mut sorted: Vec<(Cow<'a, str>, usize, usize)> = strings
            .enumerate()
            .map(|(n, (i, v))| (v.as_str().unwrap_or_default(), n, i))
            .collect();
        heap_sort(&mut sorted);
        // By n: (array index, array index of the first occurrence).
        let mut repeats: Vec<Option<(usize, usize)>> = vec![None; sorted.len()];
        // The current run's text and its first occurrence.
        let mut run: Option<(&str, usize)> = None;
        for (text, n, i) in &sorted {
            match run {
                Some((t, first)) if t == text.as_ref() => repeats[*n] = Some((*i, first)),
                _ => run = Some((text, *i)),
            }
        }
        for (i, at) in repeats.into_iter().flatten() {
            self.duplicate(i, at, key);
        }
    }

    /// Reports item `i` (or its `key` member) as a repeat of item `at`.
    fn duplicate(&mut self, i: usize, at: usize, key: Option<&'static str>) {
        let mark = self.enter_index(i);
        if let Some(k) = key {
            self.path.push(Segment::Key(k));
        }
        self.error(
            Code::Duplicate,
            ["Repeats item ", itoa(at).as_str(), " of this list."].concat(),
            Params::new().with("first", Param::Int(at as i64)),
        );
        self.leave(mark);
    }
}

/// Up to this many strings, duplicates are found by comparing each with the
/// earlier ones.
const FEW_ITEMS: usize = 16;

/// Sorts `v` in place, O(n log n) whatever the input. A few lines of code
/// instead of the standard library's sorts, which would cost the wasm build
/// several kilobytes for this one rarely used path.
fn heap_sort<T: Ord>(v: &mut [T]) {
    // Moves v[root] down until both children are smaller, within v[..end].
    fn sift_down<T: Ord>(v: &mut [T], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && v[child] < v[child + 1] {
                child += 1;
            }
            if v[root] >= v[child] {
                return;
            }
            v.swap(root, child);
            root = child;
        }
    }
    for root in (0..v.len() / 2).rev() {
        sift_down(v, root, v.len());
    }
    for end in (1..v.len()).rev() {
        v.swap(0, end);
        sift_down(v, 0, end);
    }
}

/// The index of the first field whose name `matches`, searching from `hint`
/// and wrapping around.
#[inline]
fn find_field(fields: &[Field], hint: usize, matches: impl Fn(&str) -> bool) -> Option<usize> {
    let n = fields.len();
    let mut i = if hint < n { hint } else { 0 };
    for _ in 0..n {
        if matches(fields[i].name) {
            return Some(i);
        }
        i += 1;
        if i == n {
            i = 0;
        }
    }
    None
}

/// Whether `text` is one of `allowed`. Enum values are short and mostly
/// differ in length or first byte: those are compared before the bytes.
#[inline]
fn one_of(allowed: &[&str], text: &str) -> bool {
    let text = text.as_bytes();
    allowed.iter().any(|a| {
        let a = a.as_bytes();
        a.len() == text.len() && a.first() == text.first() && a == text
    })
}

/// `true` when the sibling named by the condition has the given value.
fn holds(sibling: Option<Node<'_, '_>>, c: Condition) -> bool {
    match (sibling, c.equals) {
        (Some(v), Literal::Bool(b)) => v.as_bool() == Some(b),
        (Some(v), Literal::Str(s)) => v.str_eq(s),
        (None, _) => false,
    }
}

/// Whether `text` is empty or only whitespace (`str::trim` would leave
/// nothing); answers from the first byte when it is a visible ASCII character.
#[inline]
fn is_blank(text: &str) -> bool {
    match text.as_bytes().first() {
        Some(&b) if b.is_ascii_graphic() => false,
        _ => text.trim().is_empty(),
    }
}

/// A character that is neither a letter, a digit nor whitespace.
pub(crate) fn is_special(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control()
}

fn expected_name(ty: &Type) -> &'static str {
    match ty {
        Type::Integer => "integer",
        other => other.json_kind().name(),
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn email_reason(reason: &str) -> &'static str {
    match reason {
        "whitespace" => "it contains a space",
        "control_character" => "it contains a control character",
        "missing_at" => "it needs an @",
        "multiple_at" => "it has more than one @",
        "too_long" => "it is longer than 254 characters",
        "local_part_empty" => "nothing before the @",
        "local_part_too_long" => "the part before the @ is longer than 64 characters",
        "local_part_dots" => "dots before the @ must separate words",
        "local_part_character" => "the part before the @ has a character addresses cannot use",
        "domain_empty" => "nothing after the @",
        "domain_too_long" => "the domain is longer than 253 characters",
        "domain_not_dotted" => "the domain needs a dot, like example.com",
        "domain_tld" => "the domain must end in a name, not a number",
        _ => "the domain has an invalid part",
    }
}

fn phone_reason(reason: &str) -> &'static str {
    match reason {
        "missing_country_code" => "it must start with +",
        "country_code" => "country codes do not start with 0",
        "too_short" => "too few digits",
        "too_long" => "more than 15 digits",
        "parentheses" => "unbalanced parentheses",
        _ => "only digits, spaces, hyphens, dots and parentheses are allowed",
    }
}

/// A field name close to an unknown key (see [`suggest`]).
pub(crate) fn suggest_field(schema: &ObjectSchema, key: &str) -> Option<&'static str> {
    closest(schema.fields.len(), &|i| schema.fields[i].name, key)
}

/// The allowed value (or name) `text` most likely meant, for a "did you
/// mean" hint: compared on their letters and digits only, ignoring case
/// (`pt-BR` → `pt-br`, `firstname` → `first_name`), the first one that is
/// the same, else the first that starts or ends with the other (from four
/// characters on: `ORG_ADMINS` → `ORG_ADMIN`), else the first closest within
/// two edits — one for four characters or fewer (`ORG_ADMN` → `ORG_ADMIN`).
/// `None` when nothing is that close.
///
/// ```
/// use enlist_core::validate::suggest;
/// let roles = ["ORG_ADMIN", "GROUP_MANAGER", "BUSINESS_MANAGER"];
/// assert_eq!(suggest(&roles, "org-admin"), Some("ORG_ADMIN"));
/// assert_eq!(suggest(&roles, "ORG_ADMN"), Some("ORG_ADMIN"));
/// assert_eq!(suggest(&roles, "OWNER"), None);
/// assert_eq!(suggest(&["fr", "it"], "xx"), None);
/// ```
pub fn suggest<'c>(allowed: &[&'c str], text: &str) -> Option<&'c str> {
    closest(allowed.len(), &|i| allowed[i], text)
}

/// [`suggest`] over the `count` names `name(0..count)`: one copy of the
/// search in the wasm for both callers, rather than one per iterator type.
fn closest<'c>(count: usize, name: &dyn Fn(usize) -> &'c str, key: &str) -> Option<&'c str> {
    // Letters and digits, lowercased, into a reused buffer. Names (and most
    // keys) are ASCII: those take a byte loop, same result.
    fn norm(s: &str, out: &mut Vec<char>) {
        out.clear();
        out.reserve(s.len());
        if s.is_ascii() {
            out.extend(
                s.bytes()
                    .filter(u8::is_ascii_alphanumeric)
                    .map(|b| char::from(b.to_ascii_lowercase())),
            );
        } else {
            out.extend(
                s.chars()
                    .filter(|c| c.is_alphanumeric())
                    .map(|c| c.to_ascii_lowercase()),
            );
        }
    }
    if key.len() > 64 {
        return None;
    }
    let mut k = Vec::new();
    norm(key, &mut k);
    if k.is_empty() {
        return None;
    }
    let k_bytes: usize = k.iter().map(|c| c.len_utf8()).sum();
    // Two edits are too many for a short word (`xx` is not `fr`).
    let max = if k.len() <= 4 { 1 } else { 2 };
    let (mut f, mut row) = (Vec::new(), Vec::new());
    let mut best: Option<(usize, &'c str)> = None;
    for name in (0..count).map(name) {
        norm(name, &mut f);
        let score = if f == k {
            // Nothing beats the same name.
            return Some(name);
        } else if k_bytes >= 4 && (f.starts_with(&k) || k.starts_with(&f) || f.ends_with(&k)) {
            1
        } else if f.len().abs_diff(k.len()) > max {
            // The distance is at least the difference in length.
            continue;
        } else {
            let d = levenshtein(&f, &k, &mut row);
            if d <= max {
                d + 1
            } else {
                continue;
            }
        };
        if best.is_none_or(|(s, _)| score < s) {
            best = Some((score, name));
        }
    }
    best.map(|(_, name)| name)
}

/// Edit distance between two character sequences, with one reused row.
fn levenshtein(a: &[char], b: &[char], row: &mut Vec<usize>) -> usize {
    row.clear();
    row.extend(0..b.len() + 1);
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = i;
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row[j + 1];
            let cost = usize::from(ca != cb);
            row[j + 1] = (diagonal + cost).min(up + 1).min(row[j] + 1);
            diagonal = up;
        }
    }
    row[b.len()]
}

/// `n`'s decimal text, without allocating.
pub(crate) fn itoa(n: usize) -> crate::json::Digits {
    crate::json::Digits::new(n as u64, false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn heap_sort_sorts() {
        let mut seed = 7u32;
        for len in 0..40 {
            let mut v: Vec<u32> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (seed >> 16) % 7
                })
                .collect();
            let mut expected = v.clone();
            expected.sort();
            super::heap_sort(&mut v);
            assert_eq!(v, expected);
        }
    }

    use super::*;

    #[test]
    fn itoa_formats() {
        for n in [0usize, 7, 10, 12345, usize::MAX] {
            assert_eq!(itoa(n).as_str(), n.to_string());
        }
    }

    #[test]
    fn levenshtein_basics() {
        let d = |a: &str, b: &str| {
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            levenshtein(&a, &b, &mut Vec::new())
        };
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("abc", ""), 3);
        assert_eq!(d("lang", "lang"), 0);
        assert_eq!(d("flaw", "lawn"), 2);
    }

    #[test]
    fn the_cap_keeps_the_first_issues_and_counts_the_rest() {
        let schema = &crate::partoo::SCHEMA;
        let mut json = String::from("{");
        for i in 0..6000 {
            json.push_str(&format!("\"f{i}\":1,"));
        }
        json.push_str(r#""sidebar_pages":["posts"]}"#);
        let capped = Options::default().with_max_issues(100);
        let report = check_json(schema, json.as_bytes(), &capped);
        assert_eq!(report.errors.len(), 100);
        assert_eq!(report.errors[99].path, "/f99");
        // 6,000 unknown fields and 3 required ones, the first 100 kept.
        assert_eq!(report.omitted.errors, 6003 - 100);
        assert_eq!(report.warnings.len(), 1, "warnings have their own room");
        assert_eq!(report.omitted.warnings, 0);
        assert!(!report.is_ok());
        let all = check_json(schema, json.as_bytes(), &Options::default());
        assert_eq!(all.errors.len(), 6003);
        assert!(all.omitted.is_none());
        assert_eq!(all.errors[..100], report.errors[..]);
        // A cap of 0 still keeps one error: `errors` is empty only when valid.
        let one = check_json(schema, b"{}", &Options::default().with_max_issues(0));
        assert_eq!((one.errors.len(), one.omitted.errors), (1, 2));
        assert!(one.to_string().contains("2 more error(s)"));
    }

    #[test]
    fn special_characters() {
        for c in ['!', '@', '#', '€', '_', '-', '.'] {
            assert!(is_special(c), "{c}");
        }
        for c in ['a', 'Z', '5', ' ', 'é', '\t'] {
            assert!(!is_special(c), "{c}");
        }
    }
}
