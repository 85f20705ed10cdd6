//! Declarative description of a provider's create-user payload.
//!
//! Each provider module states its rules once, as a static [`ObjectSchema`]. The
//! same table drives validation ([`crate::validate`]), the machine-readable
//! metadata a form renders from ([`crate::ProviderRules::rules`]), and the CSV column
//! mapping for bulk imports. Rules that are not about one value alone (which field
//! is ignored when, which email domains are allowed) are data here too.
//!
//! ```
//! use enlist_core::schema::{Field, ObjectSchema, Type};
//!
//! static PERSON: ObjectSchema = ObjectSchema {
//!     fields: &[
//!         Field::required("email", Type::Email),
//!         Field::optional("nickname", Type::text()),
//!     ],
//! };
//! let report = enlist_core::validate::check_json(&PERSON, br#"{"email":"a@b.co"}"#, &Default::default());
//! assert!(report.is_ok());
//! ```

use crate::json::Writer;

/// An object: its fields, in the order a form shows them.
#[derive(Debug)]
pub struct ObjectSchema {
    /// The fields; any other key is an `unknown_field` error.
    pub fields: &'static [Field],
}

impl ObjectSchema {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// One field of an object.
#[derive(Debug)]
pub struct Field {
    /// The JSON key, exactly as the provider spells it.
    pub name: &'static str,
    /// A short human label for forms.
    pub label: &'static str,
    /// What the field means (enlist's words).
    pub description: &'static str,
    /// Missing is an error.
    pub required: bool,
    /// `null` is allowed (otherwise it is a `type` error).
    pub nullable: bool,
    /// Present is a `deprecated` warning.
    pub deprecated: bool,
    /// The value's type and its rules.
    pub ty: Type,
    /// When the provider takes the field into account.
    pub relevance: Relevance,
    /// The value the provider assumes when the field is absent, if documented.
    pub default: Option<Literal>,
}

impl Field {
    /// A required field.
    pub const fn required(name: &'static str, ty: Type) -> Self {
        Field {
            name,
            label: name,
            description: "",
            required: true,
            nullable: false,
            deprecated: false,
            ty,
            relevance: Relevance::Always,
            default: None,
        }
    }

    /// An optional field.
    pub const fn optional(name: &'static str, ty: Type) -> Self {
        let mut f = Self::required(name, ty);
        f.required = false;
        f
    }

    /// Sets the label and description.
    pub const fn doc(mut self, label: &'static str, description: &'static str) -> Self {
        self.label = label;
        self.description = description;
        self
    }

    /// Allows `null`.
    pub const fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// Marks the field deprecated.
    pub const fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }

    /// Sets when the provider uses the field.
    pub const fn relevance(mut self, relevance: Relevance) -> Self {
        self.relevance = relevance;
        self
    }

    /// Documents the provider's default.
    pub const fn default_value(mut self, value: Literal) -> Self {
        self.default = Some(value);
        self
    }
}

/// The type of a value and the rules that come with it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Type {
    /// A string.
    Text(Text),
    /// An email address (and the allowed-domains option applies).
    Email,
    /// A password under a policy.
    Password(&'static PasswordPolicy),
    /// An international phone number; `allow_empty` accepts `""`.
    Phone {
        /// `""` is accepted.
        allow_empty: bool,
    },
    /// `true` or `false`.
    Boolean,
    /// A whole number written without fraction or exponent, fitting in `i64`.
    Integer,
    /// One of these strings, exact case.
    Enum(&'static [&'static str]),
    /// An array.
    Array(&'static ArraySchema),
    /// An object.
    Object(&'static ObjectSchema),
}

impl Type {
    /// A free-text string: not blank, at most [`MAX_TEXT`] characters.
    pub const fn text() -> Self {
        Type::Text(Text {
            non_empty: true,
            max_length: MAX_TEXT,
        })
    }

    /// A string that may be empty, at most [`MAX_TEXT`] characters.
    pub const fn text_or_empty() -> Self {
        Type::Text(Text {
            non_empty: false,
            max_length: MAX_TEXT,
        })
    }

    /// The name used in `rules()` and in `params.expected`.
    pub const fn name(&self) -> &'static str {
        match self {
            Type::Text(_) => "string",
            Type::Email => "email",
            Type::Password(_) => "password",
            Type::Phone { .. } => "phone",
            Type::Boolean => "boolean",
            Type::Integer => "integer",
            Type::Enum(_) => "enum",
            Type::Array(_) => "array",
            Type::Object(_) => "object",
        }
    }

    /// The JSON type the value must have.
    pub const fn json_kind(&self) -> crate::json::Kind {
        use crate::json::Kind;
        match self {
            Type::Text(_)
            | Type::Email
            | Type::Password(_)
            | Type::Phone { .. }
            | Type::Enum(_) => Kind::String,
            Type::Boolean => Kind::Bool,
            Type::Integer => Kind::Number,
            Type::Array(_) => Kind::Array,
            Type::Object(_) => Kind::Object,
        }
    }
}

/// enlist's own cap on free-text fields (names, ids), in characters. The providers
/// document none; this keeps absurd values from being forwarded.
pub const MAX_TEXT: u32 = 255;

/// Rules for a free-text string.
#[derive(Debug)]
pub struct Text {
    /// `""` and whitespace-only are `empty` errors.
    pub non_empty: bool,
    /// Maximum length in characters.
    pub max_length: u32,
}

/// Rules for an array.
#[derive(Debug)]
pub struct ArraySchema {
    /// The type of every element.
    pub items: Type,
    /// Fewer elements is an `empty` error (when 1) — 0 allows an empty array.
    pub min_items: u32,
    /// Which repetitions are `duplicate` errors.
    pub unique: Unique,
}

/// Which repetitions in an array are errors.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Unique {
    /// Repeats are fine.
    No,
    /// The same string twice is an error.
    Values,
    /// Two objects with the same string at this key are an error.
    Key(&'static str),
}

/// When the provider takes a field into account.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Relevance {
    /// Always.
    Always,
    /// Only when the condition holds; otherwise the field draws an `ignored`
    /// warning, and a form hides it.
    OnlyWhen(Condition),
    /// Not when the condition holds; then the field draws an `ignored` warning.
    IgnoredWhen(Condition),
}

/// `sibling field == value`, on the same object.
#[derive(Debug, Clone, Copy)]
pub struct Condition {
    /// A sibling field's name.
    pub field: &'static str,
    /// The value it must have.
    pub equals: Literal,
}

/// A constant JSON scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Literal {
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(&'static str),
}

/// A password policy; each unmet rule is its own error code.
#[derive(Debug)]
pub struct PasswordPolicy {
    /// Minimum length in characters (`min_length`).
    pub min_length: u32,
    /// Maximum length in characters (`max_length`); enlist's cap.
    pub max_length: u32,
    /// Needs an uppercase letter (`password_uppercase`).
    pub uppercase: bool,
    /// Needs a lowercase letter (`password_lowercase`).
    pub lowercase: bool,
    /// Needs a character that is neither letter, digit nor whitespace
    /// (`password_special`).
    pub special: bool,
}

// ---- JSON for `rules()` -------------------------------------------------------

impl ObjectSchema {
    /// Writes the fields as the JSON array `rules()` shows (see
    /// [`Rules`](crate::Rules)): per field its `name`, `label`,
    /// `description`, `required`, `nullable`, `deprecated`, `type` and the
    /// type's own keys, then `onlyWhen`/`ignoredWhen` and `default`.
    ///
    /// ```
    /// use enlist_core::json::Writer;
    /// let mut out = Vec::new();
    /// enlist_core::partoo::SCHEMA.write_json(&mut Writer::new(&mut out));
    /// assert!(out.starts_with(br#"[{"name":"email","label":"#));
    /// ```
    pub fn write_json(&self, w: &mut Writer<'_>) {
        w.begin_array();
        for field in self.fields {
            field.write_json(w);
        }
        w.end_array();
    }
}

impl Field {
    fn write_json(&self, w: &mut Writer<'_>) {
        w.begin_object();
        w.key("name").string(self.name);
        w.key("label").string(self.label);
        w.key("description").string(self.description);
        w.key("required").bool(self.required);
        w.key("nullable").bool(self.nullable);
        w.key("deprecated").bool(self.deprecated);
        self.ty.write_entries(w);
        let condition = |w: &mut Writer<'_>, key: &str, c: &Condition| {
            w.key(key).begin_object();
            w.key("field").string(c.field);
            c.equals.write_json(w.key("equals"));
            w.end_object();
        };
        match &self.relevance {
            Relevance::Always => {}
            Relevance::OnlyWhen(c) => condition(w, "onlyWhen", c),
            Relevance::IgnoredWhen(c) => condition(w, "ignoredWhen", c),
        }
        if let Some(d) = &self.default {
            d.write_json(w.key("default"));
        }
        w.end_object();
    }
}

impl Type {
    /// Writes the type-specific keys of a field or array item.
    fn write_entries(&self, w: &mut Writer<'_>) {
        w.key("type").string(self.name());
        match self {
            Type::Text(t) => {
                w.key("nonEmpty").bool(t.non_empty);
                w.key("maxLength").uint(t.max_length.into());
            }
            Type::Password(p) => p.write_json(w.key("password")),
            Type::Phone { allow_empty } => {
                w.key("allowEmpty").bool(*allow_empty);
            }
            Type::Enum(values) => {
                w.key("values").strings(values.iter().copied());
            }
            Type::Array(a) => {
                w.key("items").begin_object();
                a.items.write_entries(w);
                w.end_object();
                w.key("minItems").uint(a.min_items.into());
                match a.unique {
                    Unique::No => {}
                    Unique::Values => {
                        w.key("unique").bool(true);
                    }
                    Unique::Key(k) => {
                        w.key("uniqueBy").string(k);
                    }
                }
            }
            Type::Object(o) => o.write_json(w.key("fields")),
            Type::Email | Type::Boolean | Type::Integer => {}
        }
    }
}

impl Literal {
    fn write_json(&self, w: &mut Writer<'_>) {
        match self {
            Literal::Bool(b) => w.bool(*b),
            Literal::Str(t) => w.string(t),
        };
    }
}

impl PasswordPolicy {
    /// Writes the policy as `rules()` shows it: `{"minLength", "maxLength",
    /// "uppercase", "lowercase", "special"}`.
    ///
    /// ```
    /// use enlist_core::{json::Writer, schema::PasswordPolicy};
    /// let p = PasswordPolicy { min_length: 8, max_length: 128, uppercase: true, lowercase: true, special: false };
    /// let mut out = Vec::new();
    /// p.write_json(&mut Writer::new(&mut out));
    /// assert_eq!(out, br#"{"minLength":8,"maxLength":128,"uppercase":true,"lowercase":true,"special":false}"#);
    /// ```
    pub fn write_json(&self, w: &mut Writer<'_>) {
        w.begin_object();
        w.key("minLength").uint(self.min_length.into());
        w.key("maxLength").uint(self.max_length.into());
        w.key("uppercase").bool(self.uppercase);
        w.key("lowercase").bool(self.lowercase);
        w.key("special").bool(self.special);
        w.end_object();
    }
}
