//! OCSF 1.1.0 facts (classes, objects, attribute types, requirements, enums), embedded as a
//! compact table derived from the official compiled schema by `tools/gen_ocsf_facts.py`.

use std::collections::HashMap;
use std::sync::OnceLock;

use indexmap::IndexMap;
use serde::Deserialize;

pub const OCSF_VERSION: &str = "1.1.0";
const FACTS_JSON: &str = include_str!("facts-1.1.0.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    Required,
    Recommended,
    Optional,
}

impl<'de> Deserialize<'de> for Requirement {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "r" => Requirement::Required,
            "c" => Requirement::Recommended,
            _ => Requirement::Optional,
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct Attribute {
    #[serde(rename = "t")]
    pub type_name: String,
    #[serde(rename = "o", default)]
    pub object_type: Option<String>,
    #[serde(rename = "a", default)]
    is_array_flag: u8,
    #[serde(rename = "q")]
    pub requirement: Requirement,
    #[serde(rename = "e", default)]
    pub enum_values: Option<IndexMap<String, String>>,
    #[serde(rename = "s", default)]
    pub sibling: Option<String>,
    #[serde(rename = "p", default)]
    pub profiles: Option<Vec<String>>,
    #[serde(rename = "d", default)]
    deprecated_flag: u8,
}

impl Attribute {
    pub fn is_array(&self) -> bool {
        self.is_array_flag != 0
    }
    pub fn is_deprecated(&self) -> bool {
        self.deprecated_flag != 0
    }
    /// Caption of an enum value, if this attribute is an enum and defines it.
    pub fn enum_caption(&self, id: i64) -> Option<&str> {
        self.enum_values
            .as_ref()?
            .get(&id.to_string())
            .map(String::as_str)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Constraints {
    #[serde(default)]
    pub at_least_one: Vec<String>,
    #[serde(default)]
    pub just_one: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Class {
    #[serde(skip)]
    pub name: String,
    pub uid: i64,
    pub caption: String,
    pub category_uid: i64,
    pub category_name: String,
    pub profiles: Vec<String>,
    #[serde(default)]
    pub constraints: Constraints,
    pub attributes: IndexMap<String, Attribute>,
}

#[derive(Debug, Deserialize)]
pub struct Object {
    #[serde(skip)]
    pub name: String,
    pub caption: String,
    #[serde(default)]
    pub constraints: Constraints,
    pub attributes: IndexMap<String, Attribute>,
}

#[derive(Debug, Deserialize)]
struct TypeFacts {
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    range: Option<[i64; 2]>,
}

#[derive(Debug, Deserialize)]
struct RawFacts {
    version: String,
    types: HashMap<String, TypeFacts>,
    profiles: Vec<String>,
    classes: IndexMap<String, Class>,
    objects: IndexMap<String, Object>,
}

/// The primitive a data type resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Primitive {
    Boolean,
    Integer,
    Long,
    Float,
    String,
    /// `timestamp_t`: epoch milliseconds (a long).
    Timestamp,
    /// `json_t`: any JSON, kept as its text.
    Json,
    /// `object_t`: see the attribute's object type.
    Object,
}

pub struct Schema {
    pub version: String,
    types: HashMap<String, TypeFacts>,
    pub profiles: Vec<String>,
    pub classes: IndexMap<String, Class>,
    pub objects: IndexMap<String, Object>,
    class_by_uid: HashMap<i64, String>,
}

impl Schema {
    fn load() -> Schema {
        let raw: RawFacts =
            serde_json::from_str(FACTS_JSON).expect("embedded OCSF facts table is valid JSON");
        let mut classes = raw.classes;
        for (name, class) in classes.iter_mut() {
            class.name = name.clone();
        }
        let mut objects = raw.objects;
        for (name, object) in objects.iter_mut() {
            object.name = name.clone();
        }
        let class_by_uid = classes.iter().map(|(n, c)| (c.uid, n.clone())).collect();
        Schema {
            version: raw.version,
            types: raw.types,
            profiles: raw.profiles,
            classes,
            objects,
            class_by_uid,
        }
    }

    /// The embedded OCSF 1.1.0 schema (parsed once).
    pub fn get() -> &'static Schema {
        static SCHEMA: OnceLock<Schema> = OnceLock::new();
        SCHEMA.get_or_init(Schema::load)
    }

    /// A class by its name (`process_activity`), caption (`Process Activity`) or uid (`1007`).
    pub fn class(&self, key: &str) -> Option<&Class> {
        if let Some(c) = self.classes.get(key) {
            return Some(c);
        }
        if let Ok(uid) = key.trim().parse::<i64>() {
            return self
                .class_by_uid
                .get(&uid)
                .and_then(|n| self.classes.get(n));
        }
        let norm = key.trim().to_ascii_lowercase().replace(' ', "_");
        self.classes.get(&norm).or_else(|| {
            self.classes
                .values()
                .find(|c| c.caption.eq_ignore_ascii_case(key.trim()))
        })
    }

    pub fn object(&self, name: &str) -> Option<&Object> {
        self.objects.get(name)
    }

    /// Resolve a data type name to its primitive.
    pub fn primitive(&self, type_name: &str) -> Primitive {
        let mut t = type_name;
        for _ in 0..4 {
            match t {
                "boolean_t" => return Primitive::Boolean,
                "integer_t" => return Primitive::Integer,
                "long_t" => return Primitive::Long,
                "float_t" => return Primitive::Float,
                "string_t" => return Primitive::String,
                "timestamp_t" => return Primitive::Timestamp,
                "json_t" => return Primitive::Json,
                "object_t" => return Primitive::Object,
                _ => {}
            }
            match self.types.get(t).and_then(|f| f.base.as_deref()) {
                Some(base) => t = base,
                None => break,
            }
        }
        Primitive::String
    }

    /// The numeric range a data type allows (e.g. `port_t`: 0..=65535).
    pub fn range(&self, type_name: &str) -> Option<[i64; 2]> {
        self.types.get(type_name).and_then(|t| t.range)
    }

    /// Names closest to `wanted` among `candidates`, for "did you mean" messages.
    pub fn nearest<'a, T: AsRef<str> + ?Sized + 'a>(
        wanted: &str,
        candidates: impl IntoIterator<Item = &'a T>,
    ) -> Option<&'a str> {
        candidates
            .into_iter()
            .map(|c| (strsim::jaro_winkler(wanted, c.as_ref()), c.as_ref()))
            .filter(|(score, _)| *score > 0.7)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, c)| c)
    }

    /// `; did you mean `x`?` for the nearest of `candidates`, or nothing: the tail of a message.
    pub fn did_you_mean<'a, T: AsRef<str> + ?Sized + 'a>(
        wanted: &str,
        candidates: impl IntoIterator<Item = &'a T>,
    ) -> String {
        Schema::nearest(wanted, candidates)
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_default()
    }
}

/// The attributes of an object-typed or class node, looked up uniformly.
pub enum Node<'a> {
    Class(&'a Class),
    Object(&'a Object),
}

impl<'a> Node<'a> {
    pub fn attributes(&self) -> &'a IndexMap<String, Attribute> {
        match self {
            Node::Class(c) => &c.attributes,
            Node::Object(o) => &o.attributes,
        }
    }
    pub fn constraints(&self) -> &'a Constraints {
        match self {
            Node::Class(c) => &c.constraints,
            Node::Object(o) => &o.constraints,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_load_and_resolve_types() {
        let s = Schema::get();
        assert_eq!(s.version, "1.1.0");
        let fa = s.class("file_activity").unwrap();
        assert_eq!(fa.uid, 1001);
        assert_eq!(s.class("1007").unwrap().name, "process_activity");
        assert_eq!(s.class("HTTP Activity").unwrap().uid, 4002);
        assert_eq!(s.primitive("port_t"), Primitive::Integer);
        assert_eq!(s.primitive("timestamp_t"), Primitive::Timestamp);
        assert_eq!(s.primitive("ip_t"), Primitive::String);
        assert_eq!(s.range("port_t"), Some([0, 65535]));
        let sev = &fa.attributes["severity_id"];
        assert_eq!(sev.enum_caption(4), Some("High"));
        assert_eq!(sev.sibling.as_deref(), Some("severity"));
        assert!(s.object("metadata").unwrap().attributes["profiles"].is_array());
    }
}
