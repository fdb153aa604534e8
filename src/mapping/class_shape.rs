//! The output shape of a class, built from the OCSF schema: the attributes every record has
//! (what the engine derives or fills), each attribute's type, and where the engine finds the
//! attributes it sets.

use std::sync::Arc;

use super::shape::{EnumInfo, Field, Scalar, Shape, StructShape};
use crate::ocsf::{Attribute, Class, Primitive, Requirement, Schema};

/// Positions of the attributes the engine derives or reads in every record of a class.
#[derive(Debug, Clone, Default)]
pub struct RootIndex {
    pub time: usize,
    pub class_uid: usize,
    pub category_uid: usize,
    pub activity_id: usize,
    pub type_uid: usize,
    pub severity_id: usize,
    pub metadata: usize,
    pub unmapped: usize,
    pub meta_uid: usize,
    pub meta_version: usize,
    pub meta_profiles: usize,
    /// Attributes of a profile (but `datetime`, left to the lint), each with the profile its
    /// value implies.
    pub profiled: Vec<(usize, String)>,
}

pub(super) fn scalar_shape(schema: &Schema, attr: &Attribute) -> Scalar {
    let prim = schema.primitive(&attr.type_name);
    Scalar {
        prim,
        type_name: Arc::from(attr.type_name.as_str()),
        range: schema.range(&attr.type_name),
        is_ip: attr.type_name == "ip_t",
        string_values: (prim == Primitive::String)
            .then(|| {
                attr.enum_values
                    .as_ref()
                    .map(|e| Arc::new(e.keys().cloned().collect::<Vec<_>>()))
            })
            .flatten(),
        enum_info: attr
            .enum_values
            .as_ref()
            .filter(|_| prim != Primitive::String)
            .map(|e| {
                Arc::new(EnumInfo {
                    captions: e
                        .iter()
                        .filter_map(|(k, v)| Some((k.parse::<i64>().ok()?, v.clone())))
                        .collect(),
                    sibling: attr.sibling.clone(),
                })
            }),
    }
}

/// The shape of an attribute bound to a value (objects expanded `depth` levels).
pub(super) fn attr_shape(schema: &Schema, attr: &Attribute, depth: usize) -> Shape {
    let inner = match schema.primitive(&attr.type_name) {
        Primitive::Object => match attr.object_type.as_deref() {
            Some("object") | None => Shape::Map,
            Some(obj) => Shape::Struct(expanded_object(schema, obj, depth)),
        },
        _ => Shape::Scalar(scalar_shape(schema, attr)),
    };
    if attr.is_array() && !matches!(inner, Shape::Map) {
        Shape::List(Box::new(inner))
    } else {
        inner
    }
}

fn expanded_object(schema: &Schema, name: &str, depth: usize) -> StructShape {
    let mut st = object_shape(schema, name);
    if let Some(o) = schema.object(name) {
        for (n, a) in &o.attributes {
            if a.is_deprecated()
                || a.profiles
                    .as_ref()
                    .is_some_and(|p| p.iter().any(|p| p == "datetime"))
            {
                continue;
            }
            if st.index(n).is_some() {
                continue;
            }
            let is_obj = schema.primitive(&a.type_name) == Primitive::Object
                && a.object_type.as_deref() != Some("object");
            if is_obj && depth == 0 {
                continue;
            }
            st.fields
                .push(field(n, a, attr_shape(schema, a, depth.saturating_sub(1))));
        }
    }
    st
}

fn field(name: &str, a: &Attribute, shape: Shape) -> Field {
    Field {
        name: name.to_string(),
        shape,
        required: a.requirement == Requirement::Required,
        profiles: a.profiles.clone(),
    }
}

/// An object's struct with what the engine fills itself: required enums (Unknown = 0) and siblings.
pub(super) fn object_shape(schema: &Schema, name: &str) -> StructShape {
    let mut st = StructShape {
        ocsf_name: name.to_string(),
        ..Default::default()
    };
    if let Some(o) = schema.object(name) {
        st.at_least_one = o.constraints.at_least_one.clone();
        st.just_one = o.constraints.just_one.clone();
        add_required_enums(schema, &o.attributes, &mut st);
    }
    st
}

fn add_required_enums(
    schema: &Schema,
    attrs: &indexmap::IndexMap<String, Attribute>,
    st: &mut StructShape,
) {
    for (n, a) in attrs {
        if a.requirement == Requirement::Required
            && a.enum_values.as_ref().is_some_and(|e| e.contains_key("0"))
        {
            add_field(schema, attrs, n, st, None);
        }
    }
}

/// Add attribute `n` (and its enum sibling) to `st` if missing; returns its position.
pub(super) fn add_field(
    schema: &Schema,
    attrs: &indexmap::IndexMap<String, Attribute>,
    n: &str,
    st: &mut StructShape,
    shape: Option<Shape>,
) -> usize {
    if let Some(i) = st.index(n) {
        if let Some(s) = shape {
            st.fields[i].shape.merge(&s);
        }
        return i;
    }
    let a = &attrs[n];
    let shape = shape.unwrap_or_else(|| attr_shape(schema, a, 1));
    st.fields.push(field(n, a, shape));
    let i = st.fields.len() - 1;
    if let Some(sib) = &a.sibling
        && st.index(sib).is_none()
        && let Some(sa) = attrs.get(sib)
    {
        st.fields
            .push(field(sib, sa, Shape::Scalar(scalar_shape(schema, sa))));
    }
    i
}

pub(super) fn root_shape(schema: &Schema, class: &Class) -> StructShape {
    let mut st = StructShape {
        ocsf_name: class.name.clone(),
        ..Default::default()
    };
    st.at_least_one = class.constraints.at_least_one.clone();
    st.just_one = class.constraints.just_one.clone();
    for n in [
        "class_uid",
        "category_uid",
        "activity_id",
        "type_uid",
        "severity_id",
        "time",
    ] {
        add_field(schema, &class.attributes, n, &mut st, None);
    }
    add_required_enums(schema, &class.attributes, &mut st);
    let mut meta = object_shape(schema, "metadata");
    let mo = schema.object("metadata").expect("metadata object");
    // `profiles` too: a record whose attributes imply a profile lists it (see `apply::derive`),
    // whatever the mapping gives there.
    for n in ["profiles", "uid", "version"] {
        add_field(schema, &mo.attributes, n, &mut meta, None);
    }
    add_field(
        schema,
        &class.attributes,
        "metadata",
        &mut st,
        Some(Shape::Struct(meta)),
    );
    add_field(
        schema,
        &class.attributes,
        "unmapped",
        &mut st,
        Some(Shape::Map),
    );
    st
}

pub(super) fn root_index(st: &StructShape) -> RootIndex {
    let i = |n: &str| {
        st.index(n)
            .unwrap_or_else(|| panic!("root attribute {n} is always in the shape"))
    };
    let meta = st.fields[i("metadata")]
        .shape
        .as_struct()
        .expect("metadata is a struct");
    RootIndex {
        time: i("time"),
        class_uid: i("class_uid"),
        category_uid: i("category_uid"),
        activity_id: i("activity_id"),
        type_uid: i("type_uid"),
        severity_id: i("severity_id"),
        metadata: i("metadata"),
        unmapped: i("unmapped"),
        meta_uid: meta.index("uid").expect("metadata.uid"),
        meta_version: meta.index("version").expect("metadata.version"),
        meta_profiles: meta.index("profiles").expect("metadata.profiles"),
        profiled: st
            .fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let ps = f.profiles.as_ref()?;
                if ps.iter().any(|p| p == "datetime") {
                    return None;
                }
                Some((i, ps.first()?.clone()))
            })
            .collect(),
    }
}
