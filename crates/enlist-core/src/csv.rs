//! Bulk onboarding from CSV: turns a spreadsheet into the JSON rows a provider
//! expects, using the provider's schema to type each cell — so a form never
//! re-implements a provider's field rules in JavaScript.
//!
//! Format (RFC 4180: commas, `"` quoting with `""` escapes, LF or CRLF, optional
//! UTF-8 BOM):
//! - The header row names fields by their path, with dots for nesting and
//!   numbers for list positions: `email`, `user.email`, `workspaces.0.role`.
//! - An empty cell leaves the field out.
//! - Booleans are `true`/`false` (any case); integers are plain digits.
//! - A list of simple values is one cell separated by `;` (`posts;messages`).
//! - A cell starting with `[` or `{` is read as JSON (`[[1,2],[1,3]]`).
//! - Anything that does not convert stays a string, so validation reports it
//!   at the right path instead of the import failing.
//!
//! ```
//! use enlist_core::{csv, partoo::Partoo, Options, Provider};
//!
//! let table = csv::to_rows(&enlist_core::partoo::SCHEMA, "email,first_name,last_name,send_invitation\nada@example.com,Ada,Lovelace,TRUE\n")?;
//! assert_eq!(table.rows, r#"[{"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace","send_invitation":true}]"#);
//! let report = Partoo::check_many(table.rows.as_bytes(), &Options::default());
//! assert_eq!(report.valid, 1);
//! # Ok::<(), enlist_core::csv::CsvError>(())
//! ```

use crate::json::{self, parse_i64, parse_u64, Document, Kind, Node};
use crate::report::push_token;
use crate::schema::{ObjectSchema, Type};
use serde::Serialize;
use std::fmt;

/// Most data rows one import may have.
pub const MAX_ROWS: usize = 50_000;
/// Most columns one import may have.
pub const MAX_COLUMNS: usize = 100;
/// Most dotted parts a column name is split into (`workspaces.0.role` has 3);
/// a longer name is one field name, which validation reports as unknown.
const MAX_COLUMN_DEPTH: usize = 16;
/// Deepest JSON a cell may hold and still be read as JSON (deeper stays a
/// string). With [`MAX_COLUMN_DEPTH`] this keeps the rows within
/// [`crate::json::MAX_DEPTH`], so bulk validation can read them.
const MAX_CELL_DEPTH: usize = 32;
/// Most keys an object in a JSON cell may have and still be read as JSON
/// (more stays a string): far more than any schema's objects have fields.
const MAX_CELL_MEMBERS: usize = 256;

/// A CSV import turned into JSON rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// The header cells, as written.
    pub columns: Vec<String>,
    /// Each column as an RFC 6901 JSON Pointer into a row (`workspaces.0.role`
    /// → `/workspaces/0/role`): an issue whose path starts with it belongs to
    /// that column's cell.
    pub pointers: Vec<String>,
    /// A JSON array with one object per data row, ready for bulk validation.
    pub rows: String,
    /// The 1-based line on which each row starts, for messages.
    pub lines: Vec<usize>,
}

/// Why a CSV text could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvError {
    /// 1-based line of the problem.
    pub line: usize,
    /// Stable snake_case code: `unterminated_quote`, `empty`, `too_many_rows`,
    /// `too_many_columns`, `duplicate_column`, `empty_column_name`.
    pub code: &'static str,
    /// English description.
    pub message: String,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for CsvError {}

fn error(line: usize, code: &'static str, message: impl Into<String>) -> CsvError {
    CsvError {
        line,
        code,
        message: message.into(),
    }
}

/// Splits CSV text into records of cells, with each record's starting line.
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut line = 1;
    let mut start_line = 1;
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut quote_line = 0;
    let mut touched = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    cell.push('\n');
                }
                c => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.is_empty() => {
                quoted = true;
                quote_line = line;
                touched = true;
            }
            ',' => {
                record.push(std::mem::take(&mut cell));
                touched = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                if touched || !cell.is_empty() {
                    record.push(std::mem::take(&mut cell));
                    out.push((start_line, std::mem::take(&mut record)));
                }
                touched = false;
                line += 1;
                start_line = line;
                if out.len() > MAX_ROWS + 1 {
                    return Err(error(
                        line,
                        "too_many_rows",
                        [
                            "An import may have at most ",
                            &json::decimal(MAX_ROWS as u64),
                            " rows.",
                        ]
                        .concat(),
                    ));
                }
            }
            c => {
                cell.push(c);
                touched = true;
            }
        }
    }
    if quoted {
        return Err(error(
            quote_line,
            "unterminated_quote",
            "A quoted cell is never closed.",
        ));
    }
    if touched || !cell.is_empty() {
        record.push(cell);
        out.push((start_line, record));
    }
    Ok(out)
}

/// The schema type at a dotted column path, if the schema has one.
fn type_at(schema: &ObjectSchema, path: &[&str]) -> Option<&'static Type> {
    let (first, rest) = path.split_first()?;
    let field = schema.field(first)?;
    let mut ty: &'static Type = &field.ty;
    let mut rest = rest;
    while let Some((segment, tail)) = rest.split_first() {
        ty = match ty {
            Type::Array(a) if parse_u64(segment).is_some() => &a.items,
            Type::Object(o) => &o.field(segment)?.ty,
            _ => return None,
        };
        rest = tail;
    }
    Some(ty)
}

/// A row being assembled: just enough of a JSON tree to nest columns
/// (`workspaces.0.role`) into JSON cells, written out once at the end.
/// Object keys stay sorted and unique, a later value replacing an earlier one.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    /// A scalar, as JSON text (`true`, `42`, `"Ada"`, `null`).
    Scalar(String),
    Array(Vec<Cell>),
    Object(Vec<(String, Cell)>),
}

impl Cell {
    fn string(text: &str) -> Cell {
        let mut out = Vec::with_capacity(text.len() + 2);
        json::write_string(&mut out, text);
        Cell::Scalar(String::from_utf8(out).unwrap_or_default())
    }

    fn null() -> Cell {
        Cell::Scalar("null".into())
    }

    /// Copies a parsed JSON value; `None` when it nests more than `budget`
    /// containers deep (a scalar needs none, `[]` one).
    fn from_node(node: Node<'_, '_>, budget: usize) -> Option<Cell> {
        Some(match node.kind() {
            Kind::Array => {
                let inner = budget.checked_sub(1)?;
                // A plain loop: `collect` into `Option` costs the wasm its
                // own iterator code.
                let mut items = Vec::new();
                for e in node.elements() {
                    items.push(Cell::from_node(e, inner)?);
                }
                Cell::Array(items)
            }
            Kind::Object => {
                let inner = budget.checked_sub(1)?;
                // Kept sorted by inserting each key in place: bounded work,
                // as no cell object may have more than MAX_CELL_MEMBERS keys.
                let mut members = Vec::new();
                for (n, (key, value)) in node.members().enumerate() {
                    if n == MAX_CELL_MEMBERS {
                        return None;
                    }
                    set_member(&mut members, &key.as_str(), Cell::from_node(value, inner)?);
                }
                Cell::Object(members)
            }
            Kind::String => Cell::string(&node.as_str().unwrap_or_default()),
            Kind::Number => Cell::Scalar(node.number_text().unwrap_or("0").to_string()),
            Kind::Bool => Cell::Scalar(
                if node.as_bool() == Some(true) {
                    "true"
                } else {
                    "false"
                }
                .to_string(),
            ),
            Kind::Null => Cell::null(),
        })
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Cell::Scalar(text) => out.extend_from_slice(text.as_bytes()),
            Cell::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Cell::Object(members) => {
                out.push(b'{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json::write_string(out, key);
                    out.push(b':');
                    value.write(out);
                }
                out.push(b'}');
            }
        }
    }
}

/// Where `key` is in sorted `members` (`Ok`), or where it would go (`Err`).
fn find_member(members: &[(String, Cell)], key: &str) -> Result<usize, usize> {
    members.binary_search_by(|(k, _)| k.as_str().cmp(key))
}

/// Sets `key` in sorted `members`, replacing an existing value.
fn set_member(members: &mut Vec<(String, Cell)>, key: &str, value: Cell) {
    match find_member(members, key) {
        Ok(at) => members[at].1 = value,
        Err(at) => members.insert(at, (key.to_string(), value)),
    }
}

/// The value at `key` in sorted `members`, inserted from `make` if missing.
fn member_or_insert<'m>(
    members: &'m mut Vec<(String, Cell)>,
    key: &str,
    make: impl FnOnce() -> Cell,
) -> &'m mut Cell {
    let at = match find_member(members, key) {
        Ok(at) => at,
        Err(at) => {
            members.insert(at, (key.to_string(), make()));
            at
        }
    };
    &mut members[at].1
}

/// Converts one cell by the type the schema expects there.
fn convert(cell: &str, ty: Option<&Type>) -> Cell {
    let trimmed = cell.trim();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        if let Ok(doc) = Document::parse(trimmed) {
            if let Some(value) = Cell::from_node(doc.root(), MAX_CELL_DEPTH) {
                return value;
            }
        }
    }
    match ty {
        Some(Type::Boolean) => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Cell::Scalar("true".into()),
            "false" => Cell::Scalar("false".into()),
            _ => Cell::string(cell),
        },
        Some(Type::Integer) => match parse_i64(trimmed) {
            Some(n) => Cell::Scalar(
                json::Digits::new(n.unsigned_abs(), n < 0)
                    .as_str()
                    .to_string(),
            ),
            None => Cell::string(cell),
        },
        Some(Type::Array(a)) => Cell::Array(
            trimmed
                .split(';')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(|part| convert(part, Some(&a.items)))
                .collect(),
        ),
        // Passwords keep their spaces; other text is trimmed.
        Some(Type::Password(_)) => Cell::string(cell),
        _ => Cell::string(trimmed),
    }
}

/// Puts `value` at the dotted `path` in `row`, creating objects and arrays.
fn insert(row: &mut Vec<(String, Cell)>, path: &[&str], value: Cell) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    match rest.first() {
        None => set_member(row, first, value),
        Some(next) => {
            let slot = member_or_insert(row, first, || container_for(next));
            insert_into(slot, rest, value);
        }
    }
}

fn container_for(segment: &str) -> Cell {
    if parse_u64(segment).is_some() {
        Cell::Array(Vec::new())
    } else {
        Cell::Object(Vec::new())
    }
}

fn insert_into(slot: &mut Cell, path: &[&str], value: Cell) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    match slot {
        Cell::Object(members) => insert(members, path, value),
        Cell::Array(items) => {
            let Some(index) = parse_u64(first) else {
                return;
            };
            // Column indices are bounded by MAX_COLUMNS, so this stays small.
            let index = usize::try_from(index)
                .unwrap_or(MAX_COLUMNS)
                .min(MAX_COLUMNS);
            while items.len() <= index {
                items.push(match rest.first() {
                    None => Cell::null(),
                    Some(next) => container_for(next),
                });
            }
            if rest.is_empty() {
                items[index] = value;
            } else {
                insert_into(&mut items[index], rest, value);
            }
        }
        Cell::Scalar(_) => {}
    }
}

/// Reads a CSV text into JSON rows for `schema`.
pub fn to_rows(schema: &ObjectSchema, text: &str) -> Result<Table, CsvError> {
    let mut records = records(text)?.into_iter();
    let Some((header_line, header)) = records.next() else {
        return Err(error(1, "empty", "The file has no header row."));
    };
    if header.len() > MAX_COLUMNS {
        return Err(error(
            header_line,
            "too_many_columns",
            [
                "An import may have at most ",
                &json::decimal(MAX_COLUMNS as u64),
                " columns.",
            ]
            .concat(),
        ));
    }
    let columns: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let mut paths: Vec<Vec<&str>> = Vec::with_capacity(columns.len());
    for (i, column) in columns.iter().enumerate() {
        if column.is_empty() {
            return Err(error(
                header_line,
                "empty_column_name",
                ["Column ", &json::decimal(i as u64 + 1), " has no name."].concat(),
            ));
        }
        if columns[..i].contains(column) {
            return Err(error(
                header_line,
                "duplicate_column",
                ["The column \"", column, "\" appears twice."].concat(),
            ));
        }
        let mut path: Vec<&str> = column.split('.').collect();
        if path.len() > MAX_COLUMN_DEPTH {
            // Deeper than any schema: one (unknown) field, not a nesting.
            path = vec![column.as_str()];
        }
        paths.push(path);
    }
    let types: Vec<Option<&Type>> = paths.iter().map(|p| type_at(schema, p)).collect();
    let pointers = paths
        .iter()
        .map(|p| {
            let mut pointer = String::new();
            for segment in p {
                push_token(&mut pointer, segment);
            }
            pointer
        })
        .collect();
    let mut rows = Vec::with_capacity(text.len() + 2);
    rows.push(b'[');
    let mut lines = Vec::new();
    for (line, record) in records {
        let mut row = Vec::new();
        for (i, cell) in record.iter().enumerate().take(columns.len()) {
            if cell.trim().is_empty() {
                continue;
            }
            insert(&mut row, &paths[i], convert(cell, types[i]));
        }
        if !lines.is_empty() {
            rows.push(b',');
        }
        Cell::Object(row).write(&mut rows);
        lines.push(line);
    }
    rows.push(b']');
    Ok(Table {
        columns,
        pointers,
        // Built from `&str` pieces and escaped strings only.
        rows: String::from_utf8(rows).unwrap_or_default(),
        lines,
    })
}

/// The header row of a CSV template for `schema`: every field, nested ones
/// dotted, lists of objects with two numbered entries.
///
/// ```
/// let header = enlist_core::csv::template(&enlist_core::pandadoc::SCHEMA);
/// assert!(header.starts_with("user.email,user.first_name,"));
/// assert!(header.contains("workspaces.1.role"));
/// ```
pub fn template(schema: &ObjectSchema) -> String {
    let mut columns = Vec::new();
    collect_columns(schema, "", &mut columns);
    // By hand: `join` would link its own code into the wasm.
    let mut header = String::new();
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            header.push(',');
        }
        header.push_str(column);
    }
    header.push('\n');
    header
}

fn collect_columns(schema: &ObjectSchema, prefix: &str, out: &mut Vec<String>) {
    for field in schema.fields {
        let name = [prefix, field.name].concat();
        match &field.ty {
            Type::Object(inner) => collect_columns(inner, &[&name, "."].concat(), out),
            Type::Array(a) => match &a.items {
                Type::Object(inner) => {
                    for i in ["0", "1"] {
                        collect_columns(inner, &[&name, ".", i, "."].concat(), out);
                    }
                }
                _ => out.push(name),
            },
            _ => out.push(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{pandadoc, partoo};
    use serde_json::{json, Value};

    fn rows(schema: &ObjectSchema, text: &str) -> Value {
        let table = to_rows(schema, text).expect("readable");
        serde_json::from_str(&table.rows).expect("json")
    }

    #[test]
    fn partoo_cells_are_typed_by_the_schema() {
        let text = "email,first_name,last_name,org_id,send_invitation,sidebar_pages,business_ids,accesses,password\r\n\
                    ada@example.com, Ada ,\"Lovelace, Countess\",42,False,posts; messages,a;b,\"[[1,2],[1,3]]\", pass word \r\n\
                    bob@example.com,Bob,,forty,maybe,,,,\n";
        assert_eq!(
            rows(&partoo::SCHEMA, text),
            json!([
                {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace, Countess",
                 "org_id": 42, "send_invitation": false, "sidebar_pages": ["posts", "messages"],
                 "business_ids": ["a", "b"], "accesses": [[1, 2], [1, 3]], "password": " pass word "},
                {"email": "bob@example.com", "first_name": "Bob", "org_id": "forty", "send_invitation": "maybe"}
            ])
        );
    }

    #[test]
    fn pandadoc_nested_columns() {
        let text = "user.email,user.phone_number,license,workspaces.0.workspace_id,workspaces.0.role,workspaces.1.workspace_id,workspaces.1.role\n\
                    new@acme.com,+14842634627,Guest,Ab123,Collaborator,,\n";
        let table = to_rows(&pandadoc::SCHEMA, text).expect("readable");
        assert_eq!(
            serde_json::from_str::<Value>(&table.rows).expect("json"),
            json!([{"user": {"email": "new@acme.com", "phone_number": "+14842634627"}, "license": "Guest",
                    "workspaces": [{"workspace_id": "Ab123", "role": "Collaborator"}]}])
        );
        assert_eq!(table.pointers[4], "/workspaces/0/role");
        assert_eq!(table.lines, vec![2]);
    }

    #[test]
    fn quoted_newlines_and_escaped_quotes() {
        let text =
            "email,first_name,last_name\n\"a@b.co\",\"Ann \"\"The\"\"\nSecond\",B\nc@d.co,C,D";
        let table = to_rows(&partoo::SCHEMA, text).expect("readable");
        assert_eq!(table.lines, vec![2, 4]);
        let v: Value = serde_json::from_str(&table.rows).expect("json");
        assert_eq!(v[0]["first_name"], json!("Ann \"The\"\nSecond"));
    }

    #[test]
    fn unreadable_files_are_errors_with_lines() {
        assert_eq!(
            to_rows(&partoo::SCHEMA, "").map_err(|e| e.code),
            Err("empty")
        );
        assert_eq!(
            to_rows(&partoo::SCHEMA, "email\n\"open").map_err(|e| (e.code, e.line)),
            Err(("unterminated_quote", 2))
        );
        assert_eq!(
            to_rows(&partoo::SCHEMA, "email,email\n").map_err(|e| e.code),
            Err("duplicate_column")
        );
        assert_eq!(
            to_rows(&partoo::SCHEMA, "email,,x\n").map_err(|e| e.code),
            Err("empty_column_name")
        );
    }

    #[test]
    fn unknown_columns_reach_validation() {
        let v = rows(&partoo::SCHEMA, "email,nickname\na@b.co,Al\n");
        assert_eq!(v, json!([{"email": "a@b.co", "nickname": "Al"}]));
    }

    #[test]
    fn templates_list_every_field() {
        let partoo = template(&partoo::SCHEMA);
        for field in partoo::SCHEMA.fields {
            assert!(partoo.contains(field.name), "{}", field.name);
        }
        assert!(template(&pandadoc::SCHEMA).contains("workspaces.0.workspace_id"));
    }

    /// Found by `fuzz/` (target `csv`): a column with many dots, or a cell with
    /// deeply nested JSON, gave rows nested deeper than the JSON reader's limit,
    /// so bulk validation rejected the whole import as invalid JSON.
    #[test]
    fn rows_stay_within_the_json_depth_limit() {
        let name = format!("la{}swork", ".".repeat(100));
        let text = format!("email,first_name,{name}\na@b.co,A,x\n");
        let table = to_rows(&partoo::SCHEMA, &text).expect("readable");
        let report = crate::bulk::check_many(
            &partoo::SCHEMA,
            table.rows.as_bytes(),
            &crate::Options::default(),
        );
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let paths: Vec<&str> = report.invalid[0]
            .errors
            .iter()
            .map(|i| i.path.as_str())
            .collect();
        assert_eq!(paths, [&format!("/{name}"), "/last_name"]);
        assert_eq!(table.pointers[2], format!("/{name}"));
        let cell = "[".repeat(100) + &"]".repeat(100);
        let text = format!("user.email,workspaces\na@b.co,{cell}\n");
        let table = to_rows(&pandadoc::SCHEMA, &text).expect("readable");
        let report = crate::bulk::check_many(
            &pandadoc::SCHEMA,
            table.rows.as_bytes(),
            &crate::Options::default(),
        );
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.total, 1);
        assert_eq!(report.invalid[0].errors[0].path, "/workspaces/0");
        // The deepest column and cell that are allowed still fit.
        let column = vec!["a"; MAX_COLUMN_DEPTH].join(".");
        let cell = "[".repeat(MAX_CELL_DEPTH) + &"]".repeat(MAX_CELL_DEPTH);
        let table = to_rows(&partoo::SCHEMA, &format!("{column}\n{cell}\n")).expect("readable");
        assert!(crate::json::Document::parse(&table.rows).is_ok());
    }

    #[test]
    fn json_cells_are_copied_as_written_and_columns_nest_into_them() {
        // Keys sorted, a repeated key's last value kept, numbers as written,
        // strings re-escaped.
        let table = to_rows(
            &partoo::SCHEMA,
            "accesses\n\"{\"\"b\"\":1,\"\"a\"\":[1.50,2e3,-0],\"\"b\"\":\"\"x\\n\\u00e9\"\"}\"\n",
        )
        .expect("readable");
        assert_eq!(
            table.rows,
            r#"[{"accesses":{"a":[1.50,2e3,-0],"b":"x\né"}}]"#
        );
        // A column nested into a JSON cell given in an earlier column.
        let v = rows(
            &pandadoc::SCHEMA,
            "workspaces,workspaces.0.role,user.email\n\"[{\"\"workspace_id\"\":\"\"w1\"\"}]\",Member,a@b.co\n",
        );
        assert_eq!(
            v,
            json!([{"user": {"email": "a@b.co"}, "workspaces": [{"role": "Member", "workspace_id": "w1"}]}])
        );
        // One level deeper than allowed stays text, for validation to report.
        let cell = "[".repeat(MAX_CELL_DEPTH + 1) + &"]".repeat(MAX_CELL_DEPTH + 1);
        let v = rows(&partoo::SCHEMA, &format!("first_name\n{cell}\n"));
        assert_eq!(v[0]["first_name"], json!(cell));
        let cell = "[".repeat(MAX_CELL_DEPTH) + &"]".repeat(MAX_CELL_DEPTH);
        let v = rows(&partoo::SCHEMA, &format!("first_name\n{cell}\n"));
        assert!(v[0]["first_name"].is_array());
        // So does an object with more keys than any schema has fields.
        let object = |n: usize| {
            let keys: Vec<String> = (0..n).rev().map(|i| format!("\"\"k{i}\"\":{i}")).collect();
            format!("\"{{{}}}\"", keys.join(","))
        };
        let v = rows(
            &partoo::SCHEMA,
            &format!("first_name\n{}\n", object(MAX_CELL_MEMBERS)),
        );
        assert_eq!(
            v[0]["first_name"].as_object().map(|o| o.len()),
            Some(MAX_CELL_MEMBERS)
        );
        let v = rows(
            &partoo::SCHEMA,
            &format!("first_name\n{}\n", object(MAX_CELL_MEMBERS + 1)),
        );
        assert!(v[0]["first_name"].is_string());
    }

    #[test]
    fn huge_list_indices_are_bounded() {
        let v = rows(&pandadoc::SCHEMA, "workspaces.99999999.role\nAdmin\n");
        assert!(v[0]["workspaces"].as_array().map_or(0, Vec::len) <= MAX_COLUMNS + 1);
    }
}
