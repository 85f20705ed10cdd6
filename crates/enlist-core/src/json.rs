//! A small, strict, borrowing JSON reader.
//!
//! [`Document::parse`] checks RFC 8259 syntax and records every value on a flat
//! *tape* (one `Vec` for the whole document, no per-value allocation); strings are
//! borrowed from the input and only unescaped when read through [`Node::as_str`].
//! The validators walk this tape, so validating JSON bytes never builds a
//! `serde_json::Value` tree. Nesting is limited to [`MAX_DEPTH`] levels and the
//! parser is iterative, so no input can overflow the stack.
//!
//! ```
//! use enlist_core::json::{Document, Kind};
//!
//! let doc = Document::parse(r#"{"name":"Ada","tags":["a","b"]}"#)?;
//! let root = doc.root();
//! assert_eq!(root.kind(), Kind::Object);
//! assert_eq!(root.get("name").and_then(|n| n.as_str()).as_deref(), Some("Ada"));
//! assert_eq!(root.get("tags").map(|t| t.elements().count()), Some(2));
//! # Ok::<(), enlist_core::json::SyntaxError>(())
//! ```

use std::borrow::Cow;
use std::fmt;

/// Deepest nesting of arrays and objects the parser accepts.
pub const MAX_DEPTH: usize = 64;

/// The JSON type of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `null`
    Null,
    /// `true` or `false`
    Bool,
    /// Any JSON number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl Kind {
    /// The lowercase name used in messages and `params.found`.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "boolean",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Null,
    True,
    False,
    /// Integer syntax: no fraction, no exponent.
    Int,
    /// Fraction or exponent.
    Float,
    /// String without escapes: the span is the text itself.
    Str,
    /// String with backslash escapes: the span is the raw text.
    StrEscaped,
    Array,
    Object,
}

/// One value on the tape. For strings and numbers `start..end` is the byte span of
/// the text (strings without their quotes). For arrays and objects `end` is the
/// tape index just past the container's last value, so a container is skipped in
/// one step.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: Tag,
    start: u32,
    end: u32,
}

/// Why a text is not JSON, with the 1-based line and column of the problem.
///
/// The message names the position and what was expected, never the input text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What went wrong, e.g. `"expected ',' or '}'"`.
    pub reason: &'static str,
}

impl SyntaxError {
    /// `invalid JSON at line L, column C: reason`, what `Display` writes
    /// (built without `format!`, whose machinery the wasm would link only
    /// for this).
    ///
    /// ```
    /// let e = enlist_core::json::Document::parse("[1,]").err().ok_or("parsed")?;
    /// assert_eq!(e.message(), e.to_string());
    /// # Ok::<(), &str>(())
    /// ```
    pub fn message(&self) -> String {
        [
            "invalid JSON at line ",
            Digits::new(self.line as u64, false).as_str(),
            ", column ",
            Digits::new(self.column as u64, false).as_str(),
            ": ",
            self.reason,
        ]
        .concat()
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for SyntaxError {}

/// A parsed JSON text: the input plus its tape.
#[derive(Clone)]
pub struct Document<'a> {
    src: &'a str,
    tape: Vec<Entry>,
}

impl fmt::Debug for Document<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The text may hold personal data: show its shape only.
        f.debug_struct("Document")
            .field("bytes", &self.src.len())
            .field("values", &self.tape.len())
            .finish()
    }
}

impl<'a> Document<'a> {
    /// Parses a JSON text (exactly one value, surrounded by optional whitespace).
    ///
    /// ```
    /// use enlist_core::json::Document;
    /// assert!(Document::parse("[1, 2, 3]").is_ok());
    /// assert!(Document::parse("[1, 2,]").is_err());
    /// ```
    pub fn parse(src: &'a str) -> Result<Self, SyntaxError> {
        let mut doc = Document {
            src,
            tape: Vec::new(),
        };
        doc.fill(src)?;
        Ok(doc)
    }

    /// Parses UTF-8 bytes; invalid UTF-8 is reported as a [`SyntaxError`].
    ///
    /// ```
    /// use enlist_core::json::Document;
    /// assert!(Document::parse_bytes(b"{\"a\":true}").is_ok());
    /// assert!(Document::parse_bytes(b"\"\xff\"").is_err());
    /// ```
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<Self, SyntaxError> {
        match std::str::from_utf8(bytes) {
            Ok(src) => Self::parse(src),
            Err(e) => Err(position(bytes, e.valid_up_to(), "text is not valid UTF-8")),
        }
    }

    /// The top-level value.
    pub fn root(&self) -> Node<'_, 'a> {
        Node { doc: self, idx: 0 }
    }

    /// The text this document was parsed from.
    pub fn source(&self) -> &'a str {
        self.src
    }

    fn fill(&mut self, src: &'a str) -> Result<(), SyntaxError> {
        if src.len() > u32::MAX as usize {
            return Err(position(src.as_bytes(), 0, "text is larger than 4 GiB"));
        }
        let mut parser = Parser {
            bytes: src.as_bytes(),
            pos: 0,
            tape: std::mem::take(&mut self.tape),
            stack: Vec::new(),
        };
        parser.tape.clear();
        // A rough guess that avoids most regrowth: one value per 8 bytes.
        parser.tape.reserve(src.len() / 8 + 1);
        let result = parser
            .run()
            .map_err(|reason| position(parser.bytes, parser.pos, reason));
        self.tape = parser.tape;
        result
    }
}

/// `bytes` without a leading UTF-8 byte-order mark (`EF BB BF`), which
/// editors and spreadsheet exports on Windows often write. RFC 8259 (§8.1)
/// lets a parser ignore it; enlist's text inputs do — JSON for the npm
/// package's `validateJson` and `validateMany`, and CSV imports — so a file
/// reads the same whichever way it was saved. [`Document::parse_bytes`]
/// itself stays strict.
///
/// ```
/// use enlist_core::json::{strip_bom, Document};
/// let saved = b"\xEF\xBB\xBF{\"a\":1}";
/// assert!(Document::parse_bytes(saved).is_err());
/// assert!(Document::parse_bytes(strip_bom(saved)).is_ok());
/// assert_eq!(strip_bom(b"{}"), b"{}");
/// ```
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// The bytes a JSON string cannot hold as they are: `"`, `\\` and the
/// controls below 0x20. The reader stops a plain run of string bytes at them;
/// a JSON writer must escape them.
///
/// ```
/// use enlist_core::json::NEEDS_ESCAPE;
///
/// assert!(NEEDS_ESCAPE[usize::from(b'"')] && NEEDS_ESCAPE[0x0a]);
/// assert!(!NEEDS_ESCAPE[usize::from(b'a')] && !NEEDS_ESCAPE[0xc3]);
/// ```
pub static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Appends `s` to `out` as a JSON string, escaped exactly as `serde_json`
/// escapes it (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, other controls
/// as `\u00XX`; everything else as it is). A string with nothing to escape is
/// copied in one go.
///
/// ```
/// let mut out = Vec::new();
/// enlist_core::json::write_string(&mut out, "say \"hi\"\n");
/// assert_eq!(out, br#""say \"hi\"\n""#);
/// ```
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Most strings (paths, codes, messages) need no escape: copy them at once.
    let first = plain_end(bytes, 0);
    if first == bytes.len() {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate().skip(first) {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends the decimal digits of `n` (with a `-` when `negative`) to `out`.
///
/// ```
/// let mut out = Vec::new();
/// enlist_core::json::write_int(&mut out, 42, true);
/// assert_eq!(out, b"-42");
/// ```
pub fn write_int(out: &mut Vec<u8>, n: u64, negative: bool) {
    out.extend_from_slice(Digits::new(n, negative).as_bytes());
}

/// The value of `text` when it is ASCII digits only (no sign, at least one)
/// that fit a `u64`.
///
/// One small routine for every integer the crate reads (JSON numbers, CSV
/// cells and column indices, `Retry-After`): each `str::parse` instantiation
/// would add its own copy to the wasm.
///
/// ```
/// use enlist_core::json::parse_u64;
/// assert_eq!(parse_u64("007"), Some(7));
/// assert_eq!(parse_u64("18446744073709551616"), None);
/// assert_eq!(parse_u64("+1"), None);
/// assert_eq!(parse_u64(""), None);
/// ```
pub fn parse_u64(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// The value of `text` when it is a decimal integer that fits an `i64`: an
/// optional `+` or `-`, then ASCII digits (what `str::parse::<i64>` reads).
///
/// ```
/// use enlist_core::json::parse_i64;
/// assert_eq!(parse_i64("-9223372036854775808"), Some(i64::MIN));
/// assert_eq!(parse_i64("+42"), Some(42));
/// assert_eq!(parse_i64("9223372036854775808"), None);
/// assert_eq!(parse_i64("-"), None);
/// ```
pub fn parse_i64(text: &str) -> Option<i64> {
    match text.strip_prefix('-') {
        // `2^63` is `i64::MIN`'s magnitude; `wrapping_neg` keeps it there.
        Some(digits) => parse_u64(digits)
            .filter(|&m| m <= 1 << 63)
            .map(|m| (m as i64).wrapping_neg()),
        None => {
            parse_u64(text.strip_prefix('+').unwrap_or(text)).and_then(|m| i64::try_from(m).ok())
        }
    }
}

/// `n` in decimal, for messages: what `n.to_string()` gives, without the
/// formatting machinery that `to_string` and `format!` would link into the
/// wasm.
///
/// ```
/// assert_eq!(enlist_core::json::decimal(50_000), "50000");
/// ```
pub fn decimal(n: u64) -> String {
    Digits::new(n, false).as_str().to_string()
}

/// An integer's decimal text in a stack buffer, for writers that must not
/// allocate (JSON output, JSON Pointer indices, messages).
pub(crate) struct Digits {
    bytes: [u8; 21],
    start: usize,
}

impl Digits {
    /// The digits of `n`, after a `-` when `negative`.
    pub(crate) fn new(mut n: u64, negative: bool) -> Self {
        let mut d = Digits {
            bytes: [0; 21],
            start: 21,
        };
        loop {
            d.start -= 1;
            d.bytes[d.start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if negative {
            d.start -= 1;
            d.bytes[d.start] = b'-';
        }
        d
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("0")
    }
}

/// A small JSON writer over a byte buffer, for the results enlist writes
/// without serde (the wasm build links no serializer): compact output,
/// strings escaped as [`write_string`] escapes them, commas placed by the
/// writer. Members appear in the order written.
///
/// ```
/// use enlist_core::json::Writer;
/// let mut out = Vec::new();
/// let mut w = Writer::new(&mut out);
/// w.begin_object();
/// w.key("ok").bool(true);
/// w.key("ids").begin_array();
/// w.string("a").int(-1).null();
/// w.end_array();
/// w.end_object();
/// assert_eq!(out, br#"{"ok":true,"ids":["a",-1,null]}"#);
/// ```
pub struct Writer<'o> {
    out: &'o mut Vec<u8>,
    /// A value was just completed at this level: the next needs a comma.
    comma: bool,
}

impl<'o> Writer<'o> {
    /// A writer appending to `out`.
    pub fn new(out: &'o mut Vec<u8>) -> Self {
        Writer { out, comma: false }
    }

    fn separate(&mut self) {
        if self.comma {
            self.out.push(b',');
        }
    }

    fn open(&mut self, bracket: u8) -> &mut Self {
        self.separate();
        self.out.push(bracket);
        self.comma = false;
        self
    }

    fn close(&mut self, bracket: u8) -> &mut Self {
        self.out.push(bracket);
        self.comma = true;
        self
    }

    /// `{`
    pub fn begin_object(&mut self) -> &mut Self {
        self.open(b'{')
    }

    /// `}`
    pub fn end_object(&mut self) -> &mut Self {
        self.close(b'}')
    }

    /// `[`
    pub fn begin_array(&mut self) -> &mut Self {
        self.open(b'[')
    }

    /// `]`
    pub fn end_array(&mut self) -> &mut Self {
        self.close(b']')
    }

    /// A member name; the next call writes its value.
    pub fn key(&mut self, name: &str) -> &mut Self {
        self.separate();
        write_string(self.out, name);
        self.out.push(b':');
        self.comma = false;
        self
    }

    /// A string.
    pub fn string(&mut self, s: &str) -> &mut Self {
        self.separate();
        write_string(self.out, s);
        self.comma = true;
        self
    }

    /// An integer.
    pub fn int(&mut self, n: i64) -> &mut Self {
        self.separate();
        write_int(self.out, n.unsigned_abs(), n < 0);
        self.comma = true;
        self
    }

    /// An unsigned integer.
    pub fn uint(&mut self, n: u64) -> &mut Self {
        self.separate();
        write_int(self.out, n, false);
        self.comma = true;
        self
    }

    /// `true` or `false`.
    pub fn bool(&mut self, b: bool) -> &mut Self {
        self.raw(if b { "true" } else { "false" })
    }

    /// `null`.
    pub fn null(&mut self) -> &mut Self {
        self.raw("null")
    }

    /// A value that is already JSON text, copied as it is.
    pub fn raw(&mut self, json: &str) -> &mut Self {
        self.separate();
        self.out.extend_from_slice(json.as_bytes());
        self.comma = true;
        self
    }

    /// A value written by `write` straight into the buffer (which must
    /// receive exactly one JSON value).
    pub fn value_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> &mut Self {
        self.separate();
        write(self.out);
        self.comma = true;
        self
    }

    /// An array of strings.
    pub fn strings<'s>(&mut self, list: impl IntoIterator<Item = &'s str>) -> &mut Self {
        self.begin_array();
        for s in list {
            self.string(s);
        }
        self.end_array()
    }
}

struct Parser<'b> {
    bytes: &'b [u8],
    pos: usize,
    tape: Vec<Entry>,
    /// Tape indices of the open containers.
    stack: Vec<u32>,
}

/// Why the parser stopped: the reason of a [`SyntaxError`], whose position
/// is the parser's `pos` at that moment (it is not moved after a failure).
/// A bare `&str` travels back through `?` in registers, where the whole
/// error would be written to memory at every return.
type Failure = &'static str;

impl Parser<'_> {
    #[inline]
    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn push(&mut self, tag: Tag, start: usize, end: usize) {
        self.tape.push(Entry {
            tag,
            start: start as u32,
            end: end as u32,
        });
    }

    fn run(&mut self) -> Result<(), Failure> {
        self.skip_ws();
        // One call site for `value`, so that it is inlined here.
        loop {
            if self.value()? {
                // Into the container just opened: its first value (an
                // object's first key is already read).
                continue;
            }
            // After a value: close containers until a separator.
            loop {
                let Some(&open) = self.stack.last() else {
                    self.skip_ws();
                    if self.pos != self.bytes.len() {
                        return Err("unexpected text after the JSON value");
                    }
                    return Ok(());
                };
                self.skip_ws();
                let in_object = self.tape[open as usize].tag == Tag::Object;
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_ws();
                        if in_object {
                            self.key()?;
                        }
                        break;
                    }
                    Some(b']') if !in_object => self.close(open),
                    Some(b'}') if in_object => self.close(open),
                    None => return Err("unexpected end of text"),
                    _ if in_object => return Err("expected ',' or '}'"),
                    _ => return Err("expected ',' or ']'"),
                }
            }
        }
    }

    fn close(&mut self, open: u32) {
        self.pos += 1;
        self.stack.pop();
        let end = self.tape.len() as u32;
        self.tape[open as usize].end = end;
    }

    /// Parses an object key and the following `:`. Always inlined, like
    /// [`Parser::string`]: with either one left as a call the bulk benchmark
    /// ran up to 1.9 M more instructions (docs/benchmarks.md), for some 200 bytes
    /// of wasm.
    #[inline(always)]
    fn key(&mut self) -> Result<(), Failure> {
        match self.peek() {
            Some(b'"') => self.string()?,
            None => return Err("unexpected end of text"),
            _ => return Err("expected a string key"),
        }
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err("expected ':'");
        }
        self.pos += 1;
        self.skip_ws();
        Ok(())
    }

    /// Parses one value. A container is opened (and closed at once when
    /// empty); `Ok(true)` means one was opened and its first value comes next
    /// (after an object's first key, which is read here).
    fn value(&mut self) -> Result<bool, Failure> {
        match self.peek() {
            Some(b'{') | Some(b'[') => {
                let is_object = self.peek() == Some(b'{');
                if self.stack.len() >= MAX_DEPTH {
                    return Err("nesting is deeper than 64 levels");
                }
                let idx = self.tape.len() as u32;
                let tag = if is_object { Tag::Object } else { Tag::Array };
                self.push(tag, self.pos, self.pos);
                self.pos += 1;
                self.stack.push(idx);
                self.skip_ws();
                let closer = if is_object { b'}' } else { b']' };
                if self.peek() == Some(closer) {
                    self.close(idx);
                    return Ok(false);
                }
                if is_object {
                    self.key()?;
                }
                Ok(true)
            }
            Some(b'"') => self.string().map(|()| false),
            Some(b't') => self.literal(b"true", Tag::True).map(|()| false),
            Some(b'f') => self.literal(b"false", Tag::False).map(|()| false),
            Some(b'n') => self.literal(b"null", Tag::Null).map(|()| false),
            Some(b'-' | b'0'..=b'9') => self.number().map(|()| false),
            None => Err("unexpected end of text"),
            _ => Err("expected a JSON value"),
        }
    }

    #[inline]
    fn literal<const N: usize>(&mut self, word: &[u8; N], tag: Tag) -> Result<(), Failure> {
        if self.bytes.get(self.pos..self.pos + N) == Some(&word[..]) {
            self.push(tag, self.pos, self.pos + N);
            self.pos += N;
            Ok(())
        } else {
            Err("expected a JSON value")
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - from
    }

    fn number(&mut self) -> Result<(), Failure> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err("numbers must not have leading zeros");
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err("expected a digit"),
        }
        let mut tag = Tag::Int;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err("expected a digit after '.'");
            }
            tag = Tag::Float;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err("expected a digit in the exponent");
            }
            tag = Tag::Float;
        }
        self.push(tag, start, self.pos);
        Ok(())
    }

    /// Parses a string; the common case (no escape, not in the last eight
    /// bytes of the text) is inlined, the rest is [`Parser::string_slow`].
    #[inline(always)]
    fn string(&mut self) -> Result<(), Failure> {
        self.pos += 1; // opening quote
        let start = self.pos;
        // Usually exact; near the end of the text `string_slow` finishes.
        let end = plain_run(self.bytes, start);
        if self.bytes.get(end) == Some(&b'"') {
            self.push(Tag::Str, start, end);
            self.pos = end + 1;
            return Ok(());
        }
        self.pos = end;
        self.string_slow(start)
    }

    /// The rest of a string that began at `start`, from `self.pos`.
    #[inline(never)]
    fn string_slow(&mut self, start: usize) -> Result<(), Failure> {
        let mut escaped = false;
        loop {
            self.pos = plain_end(self.bytes, self.pos);
            match self.peek() {
                Some(b'"') => {
                    let tag = if escaped { Tag::StrEscaped } else { Tag::Str };
                    self.push(tag, start, self.pos);
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            self.pos += 1;
                            let unit = self.hex4()?;
                            if (0xD800..0xDC00).contains(&unit) {
                                // A high surrogate must be followed by a low one.
                                if self.bytes[self.pos..].starts_with(b"\\u") {
                                    self.pos += 2;
                                    let low = self.hex4()?;
                                    if !(0xDC00..0xE000).contains(&low) {
                                        return Err("unpaired UTF-16 surrogate");
                                    }
                                } else {
                                    return Err("unpaired UTF-16 surrogate");
                                }
                            } else if (0xDC00..0xE000).contains(&unit) {
                                return Err("unpaired UTF-16 surrogate");
                            }
                        }
                        None => return Err("unexpected end of text"),
                        _ => return Err("invalid escape sequence"),
                    }
                }
                None => return Err("unterminated string"),
                Some(_) => return Err("control character in string"),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Failure> {
        let Some(digits) = self.bytes.get(self.pos..self.pos + 4) else {
            return Err("expected four hex digits");
        };
        let mut value = 0u32;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err("expected four hex digits"),
            };
            value = value * 16 + u32::from(v);
        }
        self.pos += 4;
        Ok(value)
    }
}

/// Where the run of bytes a JSON string holds as they are (no `"`, `\` or
/// control character) that starts at `pos` ends: [`plain_run`] eight bytes
/// at a time, then byte by byte for the last few.
#[inline]
fn plain_end(bytes: &[u8], pos: usize) -> usize {
    let mut pos = plain_run(bytes, pos);
    while let Some(&b) = bytes.get(pos) {
        if NEEDS_ESCAPE[usize::from(b)] {
            break;
        }
        pos += 1;
    }
    pos
}

/// Where the run of plain string bytes (no `"`, `\` or control character)
/// starting at `pos` ends, looking at eight bytes at a time; stops early,
/// never late, so the caller finishes byte by byte. Each 8-byte word is
/// tested with the "has a zero byte" trick: `(x - 0x01..) & !x & 0x80..`
/// flags the bytes of `x` that are 0, and its lowest flag is exact.
#[inline]
fn plain_run(bytes: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
        // Below 0x20: `w - 0x20..` borrows into the high bit only for those
        // bytes (bytes >= 0x80 are excluded by `!w`).
        let hits = zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if hits != 0 {
            return pos + (hits.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    pos
}

fn position(bytes: &[u8], offset: usize, reason: &'static str) -> SyntaxError {
    let offset = offset.min(bytes.len());
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    // Count characters, not bytes (continuation bytes are 0b10xxxxxx).
    let column = before[line_start..]
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count()
        + 1;
    SyntaxError {
        offset,
        line,
        column,
        reason,
    }
}

/// Decodes the raw text of a string that contains escapes. The parser already
/// checked every escape, so this cannot fail.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('u') => {
                let hi = hex_value(&mut chars);
                let code = if (0xD800..0xDC00).contains(&hi) {
                    chars.next(); // '\'
                    chars.next(); // 'u'
                    let lo = hex_value(&mut chars);
                    0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                } else {
                    hi
                };
                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

fn hex_value(chars: &mut std::str::Chars<'_>) -> u32 {
    (0..4).fold(0, |acc, _| {
        acc * 16 + chars.next().and_then(|c| c.to_digit(16)).unwrap_or(0)
    })
}

/// A value inside a [`Document`]. Cheap to copy.
#[derive(Clone, Copy)]
pub struct Node<'d, 'a> {
    doc: &'d Document<'a>,
    idx: u32,
}

impl fmt::Debug for Node<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Node({})", self.kind().name())
    }
}

impl<'d, 'a> Node<'d, 'a> {
    /// The value at tape index `idx` of the same document.
    pub(crate) fn sibling_at(&self, idx: u32) -> Node<'d, 'a> {
        Node { doc: self.doc, idx }
    }

    /// This value's tape index.
    pub(crate) fn index(&self) -> u32 {
        self.idx
    }

    #[inline]
    fn entry(&self) -> Entry {
        self.doc.tape[self.idx as usize]
    }

    #[inline]
    fn raw(&self) -> &'a str {
        let e = self.entry();
        // Always in bounds and on char boundaries (the parser's spans);
        // `get` keeps the panic machinery out of the wasm build.
        self.doc
            .src
            .get(e.start as usize..e.end as usize)
            .unwrap_or_default()
    }

    /// The JSON type of this value.
    #[inline]
    pub fn kind(&self) -> Kind {
        match self.entry().tag {
            Tag::Null => Kind::Null,
            Tag::True | Tag::False => Kind::Bool,
            Tag::Int | Tag::Float => Kind::Number,
            Tag::Str | Tag::StrEscaped => Kind::String,
            Tag::Array => Kind::Array,
            Tag::Object => Kind::Object,
        }
    }

    /// `true` for `null`.
    #[inline]
    pub fn is_null(&self) -> bool {
        self.entry().tag == Tag::Null
    }

    /// The boolean, if this is `true` or `false`.
    #[inline]
    pub fn as_bool(&self) -> Option<bool> {
        match self.entry().tag {
            Tag::True => Some(true),
            Tag::False => Some(false),
            _ => None,
        }
    }

    /// `true` when this is a number written without fraction or exponent.
    #[inline]
    pub fn is_integer(&self) -> bool {
        self.entry().tag == Tag::Int
    }

    /// The number as an `i64`, if it is written as an integer and fits.
    pub fn as_i64(&self) -> Option<i64> {
        if self.is_integer() {
            parse_i64(self.raw())
        } else {
            None
        }
    }

    /// The number as an `f64`, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self.entry().tag {
            Tag::Int | Tag::Float => self.raw().parse().ok(),
            _ => None,
        }
    }

    /// The number's text exactly as written, if this is a number.
    pub fn number_text(&self) -> Option<&'a str> {
        match self.entry().tag {
            Tag::Int | Tag::Float => Some(self.raw()),
            _ => None,
        }
    }

    /// The string's value (borrowed unless it contains escapes), if this is a string.
    // Inlined natively (the bulk walk calls it for every string); in wasm,
    // inlined at its many call sites it would cost 3 KB gzip.
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        match self.entry().tag {
            Tag::Str => Some(Cow::Borrowed(self.raw())),
            Tag::StrEscaped => Some(Cow::Owned(self.unescaped())),
            _ => None,
        }
    }

    /// The rare case of [`as_str`](Self::as_str), kept out of line so that
    /// the common one inlines.
    #[inline(never)]
    fn unescaped(&self) -> String {
        unescape(self.raw())
    }

    /// Whether this is a string equal to `text` (compared after unescaping).
    #[inline]
    pub fn str_eq(&self, text: &str) -> bool {
        let e = self.entry();
        match e.tag {
            Tag::Str => {
                e.end - e.start == text.len() as u32
                    && self.doc.src.as_bytes()[e.start as usize..e.end as usize] == *text.as_bytes()
            }
            Tag::StrEscaped => unescape(self.raw()) == text,
            _ => false,
        }
    }

    /// The byte span of this value's text in the source (strings without quotes,
    /// containers from their opening bracket only).
    pub fn span(&self) -> std::ops::Range<usize> {
        let e = self.entry();
        e.start as usize..e.end as usize
    }

    /// The index just past this value and everything inside it.
    fn next_sibling(&self) -> u32 {
        let e = self.entry();
        match e.tag {
            Tag::Array | Tag::Object => e.end,
            _ => self.idx + 1,
        }
    }

    /// The elements of an array (empty for other kinds).
    pub fn elements(&self) -> Elements<'d, 'a> {
        let (next, end) = match self.entry().tag {
            Tag::Array => (self.idx + 1, self.entry().end),
            _ => (0, 0),
        };
        Elements {
            doc: self.doc,
            next,
            end,
        }
    }

    /// The members of an object, in document order (empty for other kinds).
    pub fn members(&self) -> Members<'d, 'a> {
        let (next, end) = match self.entry().tag {
            Tag::Object => (self.idx + 1, self.entry().end),
            _ => (0, 0),
        };
        Members {
            doc: self.doc,
            next,
            end,
        }
    }

    /// The last member named `key`, if this is an object that has one.
    pub fn get(&self, key: &str) -> Option<Node<'d, 'a>> {
        self.members()
            .filter(|(k, _)| k.str_eq(key))
            .last()
            .map(|(_, v)| v)
    }

    /// Number of elements (array) or members (object); 0 otherwise.
    pub fn len(&self) -> usize {
        match self.kind() {
            Kind::Array => self.elements().count(),
            Kind::Object => self.members().count(),
            _ => 0,
        }
    }

    /// `true` when [`len`](Self::len) is 0.
    pub fn is_empty(&self) -> bool {
        let e = self.entry();
        !matches!(e.tag, Tag::Array | Tag::Object) || e.end == self.idx + 1
    }

    /// Copies this value into a `serde_json::Value` (through its
    /// `Serialize` impl).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// A node serializes as the JSON value it holds, members in document order
/// (numbers as `i64`, else `u64`, else `f64`).
///
/// ```
/// let doc = enlist_core::json::Document::parse(r#"{"b":[1,true],"a":"x"}"#)?;
/// assert_eq!(serde_json::to_string(&doc.root()).map_err(|_| "json")?, r#"{"b":[1,true],"a":"x"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl serde::Serialize for Node<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.kind() {
            Kind::Null => s.serialize_unit(),
            Kind::Bool => s.serialize_bool(self.as_bool() == Some(true)),
            Kind::Number => {
                let text = self.raw();
                if let Ok(i) = text.parse::<i64>() {
                    s.serialize_i64(i)
                } else if let Ok(u) = text.parse::<u64>() {
                    s.serialize_u64(u)
                } else {
                    s.serialize_f64(text.parse().unwrap_or(0.0))
                }
            }
            Kind::String => s.serialize_str(&self.as_str().unwrap_or_default()),
            Kind::Array => {
                let mut seq = s.serialize_seq(Some(self.len()))?;
                for e in self.elements() {
                    seq.serialize_element(&e)?;
                }
                seq.end()
            }
            Kind::Object => {
                let mut map = s.serialize_map(None)?;
                for (k, v) in self.members() {
                    map.serialize_entry(&*k.as_str(), &v)?;
                }
                map.end()
            }
        }
    }
}

/// An object key. Compare with [`Key::str_eq`]; read with [`Key::as_str`].
#[derive(Clone, Copy)]
pub struct Key<'d, 'a>(Node<'d, 'a>);

impl fmt::Debug for Key<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys are field names, not data.
        write!(f, "{:?}", self.as_str())
    }
}

impl<'a> Key<'_, 'a> {
    /// The key's text, unescaped.
    pub fn as_str(&self) -> Cow<'a, str> {
        self.0.as_str().unwrap_or_default()
    }

    /// Whether the key equals `text`.
    pub fn str_eq(&self, text: &str) -> bool {
        self.0.str_eq(text)
    }

    /// The key's bytes as written, when it has no escape (so they are its
    /// value); `None` for a key with escapes.
    #[inline]
    pub(crate) fn plain_bytes(&self) -> Option<&'a [u8]> {
        let e = self.0.entry();
        if e.tag == Tag::Str {
            self.0
                .doc
                .src
                .as_bytes()
                .get(e.start as usize..e.end as usize)
        } else {
            None
        }
    }
}

/// Iterator over an array's elements; see [`Node::elements`].
#[derive(Clone)]
pub struct Elements<'d, 'a> {
    doc: &'d Document<'a>,
    next: u32,
    end: u32,
}

impl<'d, 'a> Iterator for Elements<'d, 'a> {
    type Item = Node<'d, 'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let node = Node {
            doc: self.doc,
            idx: self.next,
        };
        self.next = node.next_sibling();
        Some(node)
    }
}

/// Iterator over an object's members; see [`Node::members`].
#[derive(Clone)]
pub struct Members<'d, 'a> {
    doc: &'d Document<'a>,
    next: u32,
    end: u32,
}

impl<'d, 'a> Iterator for Members<'d, 'a> {
    type Item = (Key<'d, 'a>, Node<'d, 'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let key = Node {
            doc: self.doc,
            idx: self.next,
        };
        let value = Node {
            doc: self.doc,
            idx: self.next + 1,
        };
        self.next = value.next_sibling();
        Some((Key(key), value))
    }
}

/// Reads a [`Node`] into any `serde::Deserialize` type (used to build typed models
/// from a validated document without a second parser).
pub(crate) mod de {
    use super::{Kind, Node};
    use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
    use std::borrow::Cow;
    use std::fmt;

    #[derive(Debug)]
    pub struct Error(String);

    impl fmt::Display for Error {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl std::error::Error for Error {}

    // The typed models are only ever read from documents that passed
    // validation, so these errors do not occur in practice. They name the
    // problem without printing the offending value: serde's default wording
    // would format floats and bring that code into the wasm bundle.
    impl de::Error for Error {
        fn custom<T: fmt::Display>(msg: T) -> Self {
            Error(msg.to_string())
        }

        fn invalid_type(_: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
            Error(format!("invalid type, expected {expected}"))
        }

        fn invalid_value(_: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
            Error(format!("invalid value, expected {expected}"))
        }
    }

    impl<'de> de::Deserializer<'de> for Node<'_, 'de> {
        type Error = Error;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.kind() {
                Kind::Null => visitor.visit_unit(),
                Kind::Bool => visitor.visit_bool(self.as_bool() == Some(true)),
                Kind::Number => {
                    let text = self.number_text().unwrap_or("0");
                    if let Ok(i) = text.parse::<i64>() {
                        visitor.visit_i64(i)
                    } else if let Ok(u) = text.parse::<u64>() {
                        visitor.visit_u64(u)
                    } else {
                        // No model has a fractional field.
                        Err(de::Error::custom("expected an integer"))
                    }
                }
                Kind::String => match self.as_str().unwrap_or_default() {
                    Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
                    Cow::Owned(s) => visitor.visit_string(s),
                },
                Kind::Array => visitor.visit_seq(Seq(self.elements())),
                Kind::Object => visitor.visit_map(Map {
                    members: self.members(),
                    value: None,
                }),
            }
        }

        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            if self.is_null() {
                visitor.visit_none()
            } else {
                visitor.visit_some(self)
            }
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf unit unit_struct newtype_struct seq tuple
            tuple_struct map struct enum identifier ignored_any
        }
    }

    struct Seq<'d, 'a>(super::Elements<'d, 'a>);

    impl<'de> SeqAccess<'de> for Seq<'_, 'de> {
        type Error = Error;

        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, Error> {
            self.0.next().map(|n| seed.deserialize(n)).transpose()
        }
    }

    struct Map<'d, 'a> {
        members: super::Members<'d, 'a>,
        value: Option<Node<'d, 'a>>,
    }

    impl<'de> MapAccess<'de> for Map<'_, 'de> {
        type Error = Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Error> {
            match self.members.next() {
                Some((key, value)) => {
                    self.value = Some(value);
                    let key: Cow<'de, str> = key.as_str();
                    match key {
                        Cow::Borrowed(s) => seed
                            .deserialize(de::value::BorrowedStrDeserializer::new(s))
                            .map(Some),
                        Cow::Owned(s) => seed.deserialize(s.into_deserializer()).map(Some),
                    }
                }
                None => Ok(None),
            }
        }

        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
            match self.value.take() {
                Some(v) => seed.deserialize(v),
                None => Err(de::Error::custom("value requested before key")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn writer_matches_serde_json() {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out);
        w.begin_object();
        w.key("empty").begin_object().end_object();
        w.key("list").begin_array();
        w.begin_array().end_array();
        w.int(i64::MIN).uint(u64::MAX).int(0).bool(false).null();
        w.begin_object().key("k\u{1}").string("\"é\n").end_object();
        w.strings(["a", ""]);
        w.value_with(|o| o.extend_from_slice(b"{}"));
        w.end_array();
        w.key("raw").raw("[1]");
        w.end_object();
        let expected = serde_json::json!({
            "empty": {},
            "list": [[], i64::MIN, u64::MAX, 0, false, null, {"k\u{1}": "\"é\n"}, ["a", ""], {}],
            "raw": [1],
        });
        assert_eq!(String::from_utf8(out).unwrap(), expected.to_string());
    }

    use super::*;

    fn kinds(src: &str) -> Vec<Kind> {
        let doc = Document::parse(src).expect("valid test JSON");
        doc.root().elements().map(|n| n.kind()).collect()
    }

    /// `plain_run` agrees with a byte-by-byte scan: it stops exactly at the
    /// first `"`, `\\` or control byte, or within the last 7 bytes;
    /// `plain_end` always stops exactly there.
    #[test]
    fn plain_run_stops_at_the_first_special_byte() {
        let naive = |b: &[u8], from: usize| {
            from + b[from..]
                .iter()
                .position(|&c| NEEDS_ESCAPE[usize::from(c)])
                .unwrap_or(b.len() - from)
        };
        let alphabet = [
            b'a', b'"', b'\\', 0x00, 0x1f, 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xc3, 0xff,
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|k| {
                    let r = (seed >> (k % 50)) as usize;
                    // Mostly plain bytes, so that long runs occur.
                    if r % 5 == 0 {
                        alphabet[(r / 5) % alphabet.len()]
                    } else {
                        b'a' + (r % 26) as u8
                    }
                })
                .collect();
            for from in 0..=len {
                let end = naive(&bytes, from);
                assert_eq!(plain_end(&bytes, from), end, "{bytes:?} from {from}");
                let got = plain_run(&bytes, from);
                assert!(got <= end, "{bytes:?} from {from}: {got} > {end}");
                assert!(
                    got == end || len - got < 8,
                    "{bytes:?} from {from}: {got} < {end}"
                );
            }
        }
    }

    #[test]
    fn parses_every_kind() {
        assert_eq!(
            kinds(r#"[null, true, false, 0, -1.5e3, "x", [], {}]"#),
            vec![
                Kind::Null,
                Kind::Bool,
                Kind::Bool,
                Kind::Number,
                Kind::Number,
                Kind::String,
                Kind::Array,
                Kind::Object
            ]
        );
    }

    #[test]
    fn rejects_what_rfc_8259_rejects() {
        for bad in [
            "",
            " ",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "1e",
            "-",
            "+1",
            "'a'",
            "\"\\x\"",
            "[1 2]",
            "{\"a\" 1}",
            "{1:2}",
            "nul",
            "truex",
            "\"a",
            "\"\u{1}\"",
            "[",
            "{",
            "]",
            "1 2",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "NaN",
            "Infinity",
            ".5",
        ] {
            assert!(Document::parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn failures_name_the_offset_and_reason() {
        for (bad, offset, reason) in [
            ("[1,]", 3, "expected a JSON value"),
            ("{\"a\":1,}", 7, "expected a string key"),
            ("[1 2]", 3, "expected ',' or ']'"),
            ("{\"a\":1 2}", 7, "expected ',' or '}'"),
            ("{\"a\" 1}", 5, "expected ':'"),
            ("01", 1, "numbers must not have leading zeros"),
            ("1.x", 2, "expected a digit after '.'"),
            ("\"a", 2, "unterminated string"),
            ("1 2", 2, "unexpected text after the JSON value"),
            ("[", 1, "unexpected end of text"),
            ("[[{}]", 5, "unexpected end of text"),
            ("\"\\ud800\\u0041\"", 13, "unpaired UTF-16 surrogate"),
            ("nul", 0, "expected a JSON value"),
        ] {
            let err = Document::parse(bad).expect_err(bad);
            assert_eq!((err.offset, err.reason), (offset, reason), "{bad:?}");
        }
    }

    #[test]
    fn agrees_with_serde_json_on_values() {
        let src = r#"{"a":[1,-2,3.5,1e2],"b":"\u00e9\ud83d\ude00\n\"","c":{"d":null,"e":false},"f":18446744073709551615}"#;
        let doc = Document::parse(src).expect("valid");
        let ours = doc.root().to_value();
        let theirs: serde_json::Value = serde_json::from_str(src).expect("valid");
        assert_eq!(ours, theirs);
    }

    #[test]
    fn reports_line_and_column() {
        let err = Document::parse("{\n  \"é\": tru\n}").expect_err("invalid");
        assert_eq!((err.line, err.column), (2, 8));
        assert_eq!(
            err.to_string(),
            "invalid JSON at line 2, column 8: expected a JSON value"
        );
    }

    #[test]
    fn depth_is_limited_without_recursion() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(Document::parse(&deep).is_err());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(Document::parse(&ok).is_ok());
    }

    #[test]
    fn get_returns_last_duplicate_and_skips_nested() {
        let doc = Document::parse(r#"{"a":{"b":1},"b":2,"b":3}"#).expect("valid");
        assert_eq!(doc.root().get("b").and_then(|n| n.as_i64()), Some(3));
        assert_eq!(doc.root().len(), 3);
    }

    #[test]
    fn integers_and_floats_are_distinguished() {
        let doc = Document::parse("[1, 1.0, 1e0, 9223372036854775808]").expect("valid");
        let ints: Vec<Option<i64>> = doc.root().elements().map(|n| n.as_i64()).collect();
        assert_eq!(ints, vec![Some(1), None, None, None]);
    }
}
