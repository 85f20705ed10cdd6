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

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

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

// ---- serialization for `rules()` -------------------------------------------------

impl Serialize for ObjectSchema {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.fields.serialize(s)
    }
}

impl Serialize for Literal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Literal::Bool(b) => s.serialize_bool(*b),
            Literal::Str(t) => s.serialize_str(t),
        }
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Condition", 2)?;
        st.serialize_field("field", self.field)?;
        st.serialize_field("equals", &self.equals)?;
        st.end()
    }
}

impl Serialize for PasswordPolicy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("PasswordPolicy", 5)?;
        st.serialize_field("minLength", &self.min_length)?;
        st.serialize_field("maxLength", &self.max_length)?;
        st.serialize_field("uppercase", &self.uppercase)?;
        st.serialize_field("lowercase", &self.lowercase)?;
        st.serialize_field("special", &self.special)?;
        st.end()
    }
}

/// Writes the type-specific keys of a field or array item into `map`.
fn type_entries<M: SerializeMap>(ty: &Type, map: &mut M) -> Result<(), M::Error> {
    map.serialize_entry("type", ty.name())?;
    match ty {
        Type::Text(t) => {
            map.serialize_entry("nonEmpty", &t.non_empty)?;
            map.serialize_entry("maxLength", &t.max_length)?;
        }
        Type::Password(p) => map.serialize_entry("password", p)?,
        Type::Phone { allow_empty } => map.serialize_entry("allowEmpty", allow_empty)?,
        Type::Enum(values) => map.serialize_entry("values", values)?,
        Type::Array(a) => {
            map.serialize_entry("items", &Item(&a.items))?;
            map.serialize_entry("minItems", &a.min_items)?;
            match a.unique {
                Unique::No => {}
                Unique::Values => map.serialize_entry("unique", &true)?,
                Unique::Key(k) => map.serialize_entry("uniqueBy", k)?,
            }
        }
        Type::Object(o) => map.serialize_entry("fields", o)?,
        Type::Email | Type::Boolean | Type::Integer => {}
    }
    Ok(())
}

struct Item<'t>(&'t Type);

impl Serialize for Item<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        type_entries(self.0, &mut map)?;
        map.end()
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("name", self.name)?;
        map.serialize_entry("label", self.label)?;
        map.serialize_entry("description", self.description)?;
        map.serialize_entry("required", &self.required)?;
        map.serialize_entry("nullable", &self.nullable)?;
        map.serialize_entry("deprecated", &self.deprecated)?;
        type_entries(&self.ty, &mut map)?;
        match &self.relevance {
            Relevance::Always => {}
            Relevance::OnlyWhen(c) => map.serialize_entry("onlyWhen", c)?,
            Relevance::IgnoredWhen(c) => map.serialize_entry("ignoredWhen", c)?,
        }
        if let Some(d) = &self.default {
            map.serialize_entry("default", d)?;
        }
        map.end()
    }
}
