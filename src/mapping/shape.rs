//! The output shape of one (source, class): the union of what the source's mappings can produce,
//! typed by OCSF, in a stable (alphabetical) order. It drives Arrow schemas, conversions,
//! derivations and validation; every record of that class is built against it.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::ocsf::Primitive;

#[derive(Debug, Clone)]
pub enum Shape {
    Scalar(Scalar),
    Struct(StructShape),
    List(Box<Shape>),
    /// `map<string,string>` (OCSF `object` attributes such as `unmapped`).
    Map,
}

#[derive(Debug, Clone)]
pub struct Scalar {
    pub prim: Primitive,
    /// OCSF data type name, e.g. `port_t`.
    pub type_name: Arc<str>,
    pub range: Option<[i64; 2]>,
    pub is_ip: bool,
    /// Defined ids and captions when the attribute is an enum.
    pub enum_info: Option<Arc<EnumInfo>>,
    /// Allowed values of a string enum (e.g. `http_request.http_method`).
    pub string_values: Option<Arc<Vec<String>>>,
}

#[derive(Debug)]
pub struct EnumInfo {
    /// Ordered: OCSF enums are small, and a search of a few integer keys beats hashing.
    pub captions: BTreeMap<i64, String>,
    pub sibling: Option<String>,
}

/// Required attributes of an OCSF object, each with the profiles it is required in (`None`:
/// always).
pub type RequiredAttrs = Vec<(String, Option<Vec<String>>)>;

#[derive(Debug, Clone, Default)]
pub struct StructShape {
    /// OCSF class or object name, for messages.
    pub ocsf_name: String,
    pub fields: Vec<Field>,
    pub at_least_one: Vec<String>,
    pub just_one: Vec<String>,
    /// Required attributes of the OCSF object that no mapping of this source produces, each
    /// with the profiles it is required in (`None`: always).
    pub unmapped_required: RequiredAttrs,
    /// Index of the sibling (`*_name`) field of each enum field, resolved by `finalize`.
    pub sibling_of: Vec<Option<usize>>,
    /// Fields that filling a record looks at (enums, and structs or lists of structs), so a
    /// record of a wide class is not walked field by field. Resolved by `finalize`.
    pub fill_fields: Vec<usize>,
    /// Fields that validation looks at (required, or structs and lists of structs).
    pub check_fields: Vec<usize>,
    /// Where the members of `at_least_one` and `just_one` sit: field indices from this struct
    /// down, several for a dotted name such as Patch State's `device.os.sp_name` (`None`:
    /// never produced). Resolved by `finalize`.
    pub at_least_one_fields: Vec<Option<Vec<usize>>>,
    pub just_one_fields: Vec<Option<Vec<usize>>>,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub shape: Shape,
    pub required: bool,
    /// Required only when the event lists one of these profiles.
    pub profiles: Option<Vec<String>>,
}

impl Shape {
    pub fn as_struct(&self) -> Option<&StructShape> {
        match self {
            Shape::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// Union of two shapes of the same OCSF attribute.
    pub fn merge(&mut self, other: &Shape) {
        match (self, other) {
            (Shape::Struct(a), Shape::Struct(b)) => a.merge(b),
            (Shape::List(a), Shape::List(b)) => a.merge(b),
            _ => {}
        }
    }
}

impl StructShape {
    pub fn index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The field indices of a dotted name through nested structs (`device.os.sp_name`).
    pub fn index_path(&self, dotted: &str) -> Option<Vec<usize>> {
        let mut at = self;
        let mut out = Vec::new();
        let mut names = dotted.split('.').peekable();
        while let Some(name) = names.next() {
            let i = at.index(name)?;
            out.push(i);
            if names.peek().is_some() {
                at = at.fields[i].shape.as_struct()?;
            }
        }
        Some(out)
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn field_mut(&mut self, name: &str) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.name == name)
    }

    pub fn merge(&mut self, other: &StructShape) {
        for f in &other.fields {
            match self.field_mut(&f.name) {
                Some(mine) => mine.shape.merge(&f.shape),
                None => self.fields.push(f.clone()),
            }
        }
    }

    /// Sort fields by name (recursively), resolve siblings and what is required but never produced.
    pub fn finalize(&mut self, required_of: &dyn Fn(&str) -> RequiredAttrs) {
        self.fields.sort_by(|a, b| a.name.cmp(&b.name));
        for f in &mut self.fields {
            finalize_shape(&mut f.shape, required_of);
        }
        self.sibling_of = self
            .fields
            .iter()
            .map(|f| match &f.shape {
                Shape::Scalar(Scalar {
                    enum_info: Some(info),
                    ..
                }) => info.sibling.as_deref().and_then(|s| self.index(s)),
                _ => None,
            })
            .collect();
        let nested = |f: &Field| match &f.shape {
            Shape::Struct(_) => true,
            Shape::List(item) => matches!(item.as_ref(), Shape::Struct(_)),
            _ => false,
        };
        let is_enum = |f: &Field| {
            matches!(
                &f.shape,
                Shape::Scalar(Scalar {
                    enum_info: Some(_),
                    ..
                })
            )
        };
        let pick = |keep: &dyn Fn(&Field) -> bool| {
            (0..self.fields.len())
                .filter(|&i| keep(&self.fields[i]))
                .collect::<Vec<_>>()
        };
        self.fill_fields = pick(&|f| is_enum(f) || nested(f));
        self.check_fields = pick(&|f| f.required || nested(f));
        self.at_least_one_fields = self
            .at_least_one
            .iter()
            .map(|n| self.index_path(n))
            .collect();
        self.just_one_fields = self.just_one.iter().map(|n| self.index_path(n)).collect();
        self.unmapped_required = required_of(&self.ocsf_name)
            .into_iter()
            .filter(|(r, _)| self.index(r).is_none())
            .collect();
    }
}

fn finalize_shape(shape: &mut Shape, required_of: &dyn Fn(&str) -> RequiredAttrs) {
    match shape {
        Shape::Struct(s) => s.finalize(required_of),
        Shape::List(inner) => finalize_shape(inner, required_of),
        _ => {}
    }
}
