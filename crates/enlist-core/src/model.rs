//! One declaration for a provider's payload: the [`model!`](crate::model!)
//! macro writes both the typed Rust struct (with serde and builder setters)
//! and the [`ObjectSchema`] that validation, `rules()`, the CSV import and the
//! OpenAPI document read, from a single list of fields. A rule whose type a
//! field's Rust type cannot hold (an enum rule on a `String`, an integer rule
//! on a `bool`, another enum's names) does not compile.
//!
//! ```
//! use enlist_core::model;
//! use enlist_core::schema::Type;
//!
//! model! {
//!     /// A pet.
//!     pub struct Pet in PET {
//!         /// Its name.
//!         name: String => required.doc("Name", "What it answers to."),
//!         /// Its age in years.
//!         age: i64 => optional,
//!         /// Who to call.
//!         owner_email: String => optional(Type::Email),
//!     }
//! }
//!
//! let pet = Pet::new("Rex").age(3);
//! assert_eq!(serde_json::to_string(&pet)?, r#"{"name":"Rex","age":3}"#);
//! assert_eq!(PET.fields.iter().map(|f| f.name).collect::<Vec<_>>(), ["name", "age", "owner_email"]);
//! assert!(PET.fields[0].required && !PET.fields[1].required);
//! # Ok::<(), serde_json::Error>(())
//! ```

use crate::provider::Redacted;
use crate::schema::{ArraySchema, Field, ObjectSchema, Type, Unique};
use std::marker::PhantomData;

/// A Rust type a model field may have, and the schema type it stands for
/// when the declaration names none.
pub trait Typed {
    /// The schema type.
    const TYPE: Type;
}

impl Typed for bool {
    const TYPE: Type = Type::Boolean;
}

impl Typed for i64 {
    const TYPE: Type = Type::Integer;
}

impl Typed for String {
    const TYPE: Type = Type::text();
}

impl Typed for Redacted<String> {
    const TYPE: Type = Type::text();
}

/// The array schema of a `Vec<T>` with no further rules.
struct ArrayOf<T>(PhantomData<T>);

impl<T: Typed> ArrayOf<T> {
    const SCHEMA: ArraySchema = ArraySchema {
        items: T::TYPE,
        min_items: 0,
        unique: Unique::No,
    };
}

impl<T: Typed> Typed for Vec<T> {
    const TYPE: Type = Type::Array(&ArrayOf::<T>::SCHEMA);
}

/// `true` when a Rust value of schema type `model` can hold every value the
/// rule `rule` accepts: the same JSON type, the same enum values, arrays of
/// agreeing items, objects with the same fields (names, requiredness,
/// nullability) of agreeing types. The rule may add constraints (formats,
/// lengths, uniqueness) that the Rust type does not express.
///
/// ```
/// use enlist_core::model::agrees;
/// use enlist_core::schema::Type;
/// assert!(agrees(&Type::Email, &Type::text()));
/// assert!(!agrees(&Type::Integer, &Type::Boolean));
/// assert!(!agrees(&Type::Enum(&["a", "b"]), &Type::Enum(&["a"])));
/// assert!(!agrees(&Type::Enum(&["a"]), &Type::text()));
/// ```
pub const fn agrees(rule: &Type, model: &Type) -> bool {
    match (rule, model) {
        (
            Type::Text(_) | Type::Email | Type::Password(_) | Type::Phone { .. },
            Type::Text(_) | Type::Email | Type::Password(_) | Type::Phone { .. },
        )
        | (Type::Boolean, Type::Boolean)
        | (Type::Integer, Type::Integer) => true,
        (Type::Enum(a), Type::Enum(b)) => same_names(a, b),
        (Type::Array(a), Type::Array(b)) => agrees(&a.items, &b.items),
        (Type::Object(a), Type::Object(b)) => same_fields(a, b),
        _ => false,
    }
}

const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn same_names(a: &[&str], b: &[&str]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if !same_str(a[i], b[i]) {
            return false;
        }
        i += 1;
    }
    true
}

const fn same_fields(a: &ObjectSchema, b: &ObjectSchema) -> bool {
    if a.fields.len() != b.fields.len() {
        return false;
    }
    let mut i = 0;
    while i < a.fields.len() {
        let (x, y): (&Field, &Field) = (&a.fields[i], &b.fields[i]);
        if !same_str(x.name, y.name)
            || x.required != y.required
            || x.nullable != y.nullable
            || !agrees(&x.ty, &y.ty)
        {
            return false;
        }
        i += 1;
    }
    true
}

/// Declares a provider payload once: a struct and its schema (see the
/// [module docs](mod@crate::model)).
///
/// Each field is `name: RustType => kind(rule).modifier(…)…,` where `kind`
/// is `required` (the field is `RustType`), `optional` (`Option<RustType>`,
/// left out when `None`) or `nullable` (`Option<Option<RustType>>`: absent,
/// `null` or a value); `(rule)` is the field's [`Type`](crate::schema::Type)
/// when the Rust type's default ([`Typed::TYPE`]) is not enough (an email, a
/// password policy, an array's minimum), and the modifiers are
/// [`Field`](crate::schema::Field)'s (`doc`, `relevance`, `deprecated`,
/// `default_value`). The struct gets `new` with its required fields in
/// order, a setter for each optional field, and serde with unknown fields
/// refused; the static schema is named after `in`.
///
/// A rule the Rust type cannot hold is a compile error:
///
/// ```compile_fail,E0080
/// use enlist_core::{model, schema::Type};
/// model! {
///     /// Drifted: the rule says integer, the field is text.
///     pub struct Drift in DRIFT {
///         /// A count.
///         count: String => required(Type::Integer),
///     }
/// }
/// ```
#[macro_export]
macro_rules! model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident in $schema:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $fty:ty => $kind:ident $( ( $rule:expr ) )? $( . $m:ident ( $($arg:expr),* $(,)? ) )* ,
            )*
        }
    ) => {
        #[doc = concat!("The rules of [`", stringify!($name), "`], field by field.")]
        pub static $schema: $crate::schema::ObjectSchema = $crate::schema::ObjectSchema {
            fields: &[
                $( $crate::model!(@field $kind $field [$fty] [$($rule)?]) $( . $m ( $($arg),* ) )* ),*
            ],
        };

        $(
            const _: () = assert!(
                $crate::model::agrees(
                    &$crate::model!(@rule [$fty] [$($rule)?]),
                    &<$fty as $crate::model::Typed>::TYPE,
                ),
                concat!(
                    stringify!($name), ".", stringify!($field),
                    ": the rule's type does not fit the field's Rust type"
                ),
            );
        )*

        $crate::model!(@struct [$(#[$meta])*] $name [] $( [$(#[$fmeta])*] $field [$fty] $kind )*);

        impl $crate::model::Typed for $name {
            const TYPE: $crate::schema::Type = $crate::schema::Type::Object(&$schema);
        }

        impl $name {
            $crate::model!(@new $name [] [] [] $( $field [$fty] $kind )*);
            $( $crate::model!(@setter $field [$fty] $kind); )*
        }
    };

    (@field required $field:ident [$fty:ty] [$rule:expr]) => {
        $crate::schema::Field::required(stringify!($field), $rule)
    };
    (@field required $field:ident [$fty:ty] []) => {
        $crate::schema::Field::required(
            stringify!($field),
            <$fty as $crate::model::Typed>::TYPE,
        )
    };
    (@field optional $field:ident [$fty:ty] [$rule:expr]) => {
        $crate::schema::Field::optional(stringify!($field), $rule)
    };
    (@field optional $field:ident [$fty:ty] []) => {
        $crate::schema::Field::optional(
            stringify!($field),
            <$fty as $crate::model::Typed>::TYPE,
        )
    };
    (@field nullable $field:ident [$fty:ty] [$($rule:expr)?]) => {
        $crate::model!(@field optional $field [$fty] [$($rule)?]).nullable()
    };

    (@rule [$fty:ty] [$rule:expr]) => { $rule };
    (@rule [$fty:ty] []) => { <$fty as $crate::model::Typed>::TYPE };

    // The struct, one field at a time (each kind has its own serde form).
    (@struct [$($meta:tt)*] $name:ident [$($done:tt)*]) => {
        $($meta)*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name { $($done)* }
    };
    (@struct [$($meta:tt)*] $name:ident [$($done:tt)*]
        [$($fmeta:tt)*] $field:ident [$fty:ty] required $($rest:tt)*) => {
        $crate::model!(@struct [$($meta)*] $name [$($done)* $($fmeta)* pub $field: $fty,] $($rest)*);
    };
    (@struct [$($meta:tt)*] $name:ident [$($done:tt)*]
        [$($fmeta:tt)*] $field:ident [$fty:ty] optional $($rest:tt)*) => {
        $crate::model!(@struct [$($meta)*] $name [$($done)*
            $($fmeta)*
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub $field: Option<$fty>,
        ] $($rest)*);
    };
    (@struct [$($meta:tt)*] $name:ident [$($done:tt)*]
        [$($fmeta:tt)*] $field:ident [$fty:ty] nullable $($rest:tt)*) => {
        $crate::model!(@struct [$($meta)*] $name [$($done)*
            $($fmeta)*
            #[doc = ""]
            #[doc = "`Some(None)` sends `null`."]
            #[serde(default, skip_serializing_if = "Option::is_none", with = "enlist_core::model::nullable")]
            pub $field: Option<Option<$fty>>,
        ] $($rest)*);
    };

    // `new`: the required fields as arguments, every other field `None`.
    (@new $name:ident [$($param:tt)*] [$($init:tt)*] [$($docs:tt)*]) => {
        #[doc = concat!("A [`", stringify!($name), "`] with its required fields" $($docs)*, ".")]
        #[allow(clippy::too_many_arguments)]
        pub fn new($($param)*) -> Self {
            $name { $($init)* }
        }
    };
    (@new $name:ident [$($param:tt)*] [$($init:tt)*] [$($docs:tt)*] $field:ident [$fty:ty] required $($rest:tt)*) => {
        $crate::model!(@new $name
            [$($param)* $field: impl Into<$fty>,]
            [$($init)* $field: $field.into(),]
            [$($docs)*, " `", stringify!($field), "`"]
            $($rest)*);
    };
    (@new $name:ident [$($param:tt)*] [$($init:tt)*] [$($docs:tt)*] $field:ident [$fty:ty] $kind:ident $($rest:tt)*) => {
        $crate::model!(@new $name [$($param)*] [$($init)* $field: None,] [$($docs)*] $($rest)*);
    };

    (@setter $field:ident [$fty:ty] required) => {};
    (@setter $field:ident [$fty:ty] optional) => {
        #[doc = concat!("Sets `", stringify!($field), "`.")]
        pub fn $field(mut self, value: impl Into<$fty>) -> Self {
            self.$field = Some(value.into());
            self
        }
    };
    (@setter $field:ident [$fty:ty] nullable) => {
        #[doc = concat!("Sets `", stringify!($field), "` (`None` sends `null`).")]
        pub fn $field(mut self, value: Option<$fty>) -> Self {
            self.$field = Some(value);
            self
        }
    };
}

/// Serializes `Option<Option<T>>` so that `Some(None)` is `null` and `None` is
/// left out (with `skip_serializing_if = "Option::is_none"`); used by
/// `nullable` fields of [`model!`](crate::model!).
#[doc(hidden)]
pub mod nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes `Some(None)` as `null`.
    pub fn serialize<S: Serializer, T: Serialize>(
        value: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    /// Reads `null` as `Some(None)` (absence is `None`, by `default`).
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Literal, PasswordPolicy};

    static POLICY: PasswordPolicy = PasswordPolicy {
        min_length: 8,
        max_length: 64,
        uppercase: false,
        lowercase: false,
        special: false,
    };

    crate::model! {
        /// A nested object.
        pub struct Inner in INNER {
            /// An id.
            id: String => required,
            /// Tags.
            tags: Vec<String> => optional,
        }
    }

    crate::model! {
        /// Every kind of field.
        pub struct Outer in OUTER {
            /// Required, with a rule.
            email: Redacted<String> => required(Type::Email).doc("Email", "Where to write."),
            /// Nested, at least one.
            inners: Vec<Inner> => required(Type::Array(&ArraySchema {
                items: Inner::TYPE,
                min_items: 1,
                unique: Unique::Key("id"),
            })),
            /// A flag with a default.
            flag: bool => optional.default_value(Literal::Bool(false)),
            /// A secret.
            password: Redacted<String> => optional(Type::Password(&POLICY)),
            /// May be null.
            legacy: Vec<i64> => nullable.deprecated(),
        }
    }

    #[test]
    fn one_declaration_gives_the_struct_and_the_schema() {
        let names: Vec<_> = OUTER.fields.iter().map(|f| f.name).collect();
        assert_eq!(names, ["email", "inners", "flag", "password", "legacy"]);
        let f = |name: &str| OUTER.field(name).unwrap();
        assert!(f("email").required && matches!(f("email").ty, Type::Email));
        assert_eq!(f("email").label, "Email");
        assert!(matches!(f("inners").ty, Type::Array(a) if a.min_items == 1));
        assert!(!f("flag").required && f("flag").default.is_some());
        assert!(f("legacy").nullable && f("legacy").deprecated);
        assert!(matches!(f("password").ty, Type::Password(_)));

        let outer = Outer::new("a@b.co", vec![Inner::new("i1").tags(vec!["x".to_string()])])
            .flag(true)
            .password("correct horse")
            .legacy(None);
        assert_eq!(
            serde_json::to_value(&outer).unwrap(),
            serde_json::json!({
                "email": "a@b.co",
                "inners": [{"id": "i1", "tags": ["x"]}],
                "flag": true,
                "password": "correct horse",
                "legacy": null
            })
        );
        let back: Outer = serde_json::from_value(serde_json::json!({
            "email": "a@b.co", "inners": [{"id": "i1"}], "legacy": [1, 2]
        }))
        .unwrap();
        assert_eq!(back.legacy, Some(Some(vec![1, 2])));
        assert_eq!(back.flag, None);
        assert!(serde_json::from_value::<Outer>(serde_json::json!({
            "email": "a@b.co", "inners": [], "extra": 1
        }))
        .is_err());
        let debug = format!("{outer:?}");
        assert!(
            !debug.contains("a@b.co") && !debug.contains("horse"),
            "{debug}"
        );
    }

    #[test]
    fn agreement_is_structural() {
        assert!(agrees(&OUTER.fields[1].ty, &<Vec<Inner>>::TYPE));
        assert!(agrees(&Type::Object(&INNER), &Inner::TYPE));
        assert!(!agrees(&Type::Object(&INNER), &Type::Object(&OUTER)));
        assert!(!agrees(
            &Type::Array(&ArrayOf::<i64>::SCHEMA),
            &<Vec<bool>>::TYPE
        ));
        assert!(!agrees(&Type::Enum(&["a", "b"]), &Type::Enum(&["a", "c"])));
        assert!(agrees(&Type::Enum(&["a", "b"]), &Type::Enum(&["a", "b"])));
        assert!(!agrees(&Type::text(), &Type::Integer));
    }
}
