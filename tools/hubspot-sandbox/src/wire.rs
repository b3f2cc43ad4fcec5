//! Records as HubSpot serialises them, written straight from the in-memory records (no intermediate JSON tree).

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::model::{iso_millis, ObjectType, Record};

/// Which properties a response carries.
#[derive(Clone, Debug)]
pub(crate) enum PropSelection {
    /// The type's default properties (the request named none).
    Default,
    /// The named properties, plus the ones HubSpot always adds.
    Named(Vec<String>),
}

impl PropSelection {
    /// From `properties` values, each possibly comma-separated, duplicates dropped.
    pub(crate) fn from_names<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names: Vec<String> = Vec::new();
        for name in values.into_iter().flat_map(|v| v.split(',')) {
            let name = name.trim();
            if !name.is_empty() && !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        if names.is_empty() {
            PropSelection::Default
        } else {
            PropSelection::Named(names)
        }
    }
}

pub(crate) struct RecordJson<'a> {
    pub ty: ObjectType,
    pub rec: &'a Record,
    pub props: &'a PropSelection,
    pub assoc: &'a [ObjectType],
}

impl Serialize for RecordJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.rec.id.to_string())?;
        map.serialize_entry(
            "properties",
            &PropsJson {
                ty: self.ty,
                rec: self.rec,
                sel: self.props,
            },
        )?;
        map.serialize_entry("createdAt", &iso_millis(self.rec.created_ms))?;
        map.serialize_entry("updatedAt", &iso_millis(self.rec.updated_ms))?;
        map.serialize_entry("archived", &self.rec.archived_ms.is_some())?;
        if let Some(archived_ms) = self.rec.archived_ms {
            map.serialize_entry("archivedAt", &iso_millis(archived_ms))?;
        }
        let wanted: Vec<ObjectType> = self
            .assoc
            .iter()
            .copied()
            .filter(|to| self.rec.assoc.iter().any(|(t, _)| t == to))
            .collect();
        if !wanted.is_empty() {
            map.serialize_entry(
                "associations",
                &AssocJson {
                    from: self.ty,
                    rec: self.rec,
                    to: &wanted,
                },
            )?;
        }
        map.end()
    }
}

struct PropsJson<'a> {
    ty: ObjectType,
    rec: &'a Record,
    sel: &'a PropSelection,
}

impl Serialize for PropsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let always = ["createdate", self.ty.modified_property(), "hs_object_id"];
        match self.sel {
            PropSelection::Default => {
                for name in self.ty.default_properties() {
                    map.serialize_entry(name, &self.rec.get(name).and_then(|v| v.as_deref()))?;
                }
            }
            PropSelection::Named(names) => {
                for name in always {
                    map.serialize_entry(name, &self.rec.get(name).and_then(|v| v.as_deref()))?;
                }
                for name in names.iter().filter(|n| !always.contains(&n.as_str())) {
                    match self.rec.get(name) {
                        Some(value) => map.serialize_entry(name, &value.as_deref())?,
                        // Known but empty comes back as null; unknown names are left out, as HubSpot does.
                        None if self.ty.schema().contains(&name.as_str()) => {
                            map.serialize_entry(name, &None::<&str>)?
                        }
                        None => {}
                    }
                }
            }
        }
        map.end()
    }
}

struct AssocJson<'a> {
    from: ObjectType,
    rec: &'a Record,
    to: &'a [ObjectType],
}

impl Serialize for AssocJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.to.len()))?;
        for to in self.to {
            map.serialize_entry(
                to.plural(),
                &AssocResults {
                    from: self.from,
                    rec: self.rec,
                    to: *to,
                },
            )?;
        }
        map.end()
    }
}

struct AssocResults<'a> {
    from: ObjectType,
    rec: &'a Record,
    to: ObjectType,
}

impl Serialize for AssocResults<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("results", &AssocList(self))?;
        map.end()
    }
}

struct AssocList<'a, 'b>(&'b AssocResults<'a>);

impl Serialize for AssocList<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let type_name = format!("{}_to_{}", self.0.from.singular(), self.0.to.singular());
        let mut seq = serializer.serialize_seq(None)?;
        for (_, id) in self.0.rec.assoc.iter().filter(|(t, _)| *t == self.0.to) {
            seq.serialize_element(&AssocItem {
                id: id.to_string(),
                r#type: &type_name,
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct AssocItem<'a> {
    id: String,
    r#type: &'a str,
}
