//! [`Rules`]: the metadata a form renders a provider from.

use super::{ApiEnvironment, Flag};
use crate::json::Document;
use crate::schema::{ObjectSchema, Type};
use serde::{Serialize, Serializer};

/// Machine-readable metadata a UI needs to render a provider's form: every field
/// with its type, required flag, enum values and relevance, the password policy,
/// the query options and environments.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// The provider's id.
    pub provider: &'static str,
    /// Its display name.
    pub name: &'static str,
    /// Its payload schema.
    pub schema: &'static ObjectSchema,
    /// Its query options.
    pub flags: &'static [Flag],
    /// Its environments.
    pub environments: &'static [ApiEnvironment],
    /// Whether it has an invite call.
    pub invite: bool,
}

impl Rules {
    /// Writes the rules as JSON, the shape of the npm package's `rules()`:
    /// `{"provider", "name", "fields": [...], "passwordPolicy": {...} | null,
    /// "deprecated": [names], "options": [{"option", "query",
    /// "description"}], "environments": [{"name", "base_url"}], "invite"}`.
    /// Serializing a `Rules` with serde gives the same JSON.
    ///
    /// ```
    /// let rules = enlist_core::provider("partoo").ok_or("missing")?.rules();
    /// let mut out = Vec::new();
    /// rules.write_json(&mut out);
    /// assert!(out.starts_with(br#"{"provider":"partoo","name":"Partoo","fields":["#));
    /// assert_eq!(serde_json::to_vec(&rules).map_err(|_| "json")?, out);
    /// # Ok::<(), &str>(())
    /// ```
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut w = crate::json::Writer::new(out);
        w.begin_object();
        w.key("provider").string(self.provider);
        w.key("name").string(self.name);
        self.schema.write_json(w.key("fields"));
        let policy = self.schema.fields.iter().find_map(|f| match f.ty {
            Type::Password(p) => Some(p),
            _ => None,
        });
        match policy {
            Some(p) => p.write_json(w.key("passwordPolicy")),
            None => {
                w.key("passwordPolicy").null();
            }
        }
        let deprecated = self.schema.fields.iter().filter(|f| f.deprecated);
        w.key("deprecated").strings(deprecated.map(|f| f.name));
        w.key("options").begin_array();
        for flag in self.flags {
            w.begin_object();
            w.key("option").string(flag.option);
            w.key("query").string(flag.query);
            w.key("description").string(flag.description);
            w.end_object();
        }
        w.end_array();
        w.key("environments").begin_array();
        for env in self.environments {
            w.begin_object();
            w.key("name").string(env.name);
            w.key("base_url").string(env.base_url);
            w.end_object();
        }
        w.end_array();
        w.key("invite").bool(self.invite);
        w.end_object();
    }
}

/// Serializes as [`Rules::write_json`] writes (one description of the shape).
impl Serialize for Rules {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = Vec::new();
        self.write_json(&mut out);
        let doc = Document::parse_bytes(&out).map_err(serde::ser::Error::custom)?;
        doc.root().serialize(s)
    }
}
