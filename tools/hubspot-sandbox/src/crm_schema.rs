//! The portal's property definitions (HubSpot's CRM Properties API v3): the built-in properties of each
//! type, the groups and properties an app created, and the checks HubSpot applies to property values on
//! writes. Also the portal's owners (users records can be assigned to), and the writes tests make fail.

use std::collections::{BTreeSet, HashMap};

use crate::model::ObjectType;

/// A property group (`POST /crm/v3/properties/{type}/groups`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxPropertyGroup {
    pub name: String,
    pub label: String,
    pub display_order: i64,
}

/// One option of an enumeration property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxPropertyOption {
    pub label: String,
    pub value: String,
}

/// A property an app created (`POST /crm/v3/properties/{type}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxProperty {
    pub name: String,
    pub label: String,
    /// `string`, `number`, `date`, `datetime`, `enumeration` or `bool`.
    pub property_type: String,
    pub field_type: String,
    pub group_name: String,
    pub description: String,
    pub options: Vec<SandboxPropertyOption>,
}

/// A user records can be assigned to (`GET /crm/v3/owners`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxOwner {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// The portal's owners: fixed, so a generated company's `hubspot_owner_id` always names one of them.
pub(crate) fn owners() -> Vec<SandboxOwner> {
    [
        ("Ana", "Garcia"),
        ("Ben", "Okafor"),
        ("Chloe", "Chen"),
        ("David", "Novak"),
        ("Elena", "Rossi"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (first, last))| SandboxOwner {
        id: (90_000_001 + i as u64).to_string(),
        email: format!(
            "{}.{}@sandbox.example",
            first.to_ascii_lowercase(),
            last.to_ascii_lowercase()
        ),
        first_name: (*first).to_owned(),
        last_name: (*last).to_owned(),
    })
    .collect()
}

/// The owner of a generated company, derived from its id (no random draw, so adding owners changed no
/// other generated value); every seventh company has none, as real portals have unassigned records.
pub(crate) fn generated_owner(company_id: u64) -> Option<String> {
    if company_id.is_multiple_of(7) {
        return None;
    }
    let owners = owners();
    Some(
        owners[(company_id % owners.len() as u64) as usize]
            .id
            .clone(),
    )
}

/// The types HubSpot accepts, with the field types each may be shown as.
const FIELD_TYPES: &[(&str, &[&str])] = &[
    (
        "string",
        &["text", "textarea", "html", "phonenumber", "file"],
    ),
    ("number", &["number", "calculation_equation"]),
    ("date", &["date"]),
    ("datetime", &["date"]),
    (
        "enumeration",
        &["select", "radio", "checkbox", "booleancheckbox"],
    ),
    ("bool", &["booleancheckbox"]),
];

/// Why a property definition or a value is refused: HubSpot's message and error `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub message: String,
    pub code: &'static str,
    pub name: String,
}

/// Groups and custom properties per object type, and the failures tests arrange for writes.
#[derive(Debug, Default)]
pub(crate) struct CrmSchema {
    pub groups: HashMap<ObjectType, Vec<SandboxPropertyGroup>>,
    pub properties: HashMap<ObjectType, Vec<SandboxProperty>>,
    /// Share (0..=1) of batch-update inputs answered with a per-input error (207).
    pub batch_input_failure_rate: f64,
    /// Record ids whose next batch-update input fails once (207), then succeeds.
    pub fail_next_update: BTreeSet<u64>,
}

/// The groups every portal has for companies (HubSpot's own).
pub(crate) fn builtin_groups(ty: ObjectType) -> Vec<SandboxPropertyGroup> {
    let name = format!("{}information", ty.singular());
    vec![SandboxPropertyGroup {
        label: format!("{} information", capitalised(ty.singular())),
        name,
        display_order: -1,
    }]
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// A built-in property as the list endpoint shows it (HubSpot's own types are richer; tests only
/// need the name to be there).
pub(crate) fn builtin_property(ty: ObjectType, name: &str) -> SandboxProperty {
    SandboxProperty {
        name: name.to_owned(),
        label: name.replace('_', " "),
        property_type: "string".to_owned(),
        field_type: "text".to_owned(),
        group_name: format!("{}information", ty.singular()),
        description: String::new(),
        options: Vec::new(),
    }
}

impl CrmSchema {
    pub(crate) fn all_groups(&self, ty: ObjectType) -> Vec<SandboxPropertyGroup> {
        let mut out = builtin_groups(ty);
        out.extend(self.groups.get(&ty).cloned().unwrap_or_default());
        out
    }

    pub(crate) fn custom(&self, ty: ObjectType, name: &str) -> Option<&SandboxProperty> {
        self.properties
            .get(&ty)
            .and_then(|props| props.iter().find(|p| p.name == name))
    }

    /// Whether the type has the property, built in or created.
    pub(crate) fn has_property(&self, ty: ObjectType, name: &str) -> bool {
        ty.schema().contains(&name) || self.custom(ty, name).is_some()
    }

    pub(crate) fn has_group(&self, ty: ObjectType, name: &str) -> bool {
        self.all_groups(ty).iter().any(|g| g.name == name)
    }

    /// Checks one value written to a property: it must exist, and a number, date, bool or
    /// enumeration property must get a value of its kind ("" clears any property).
    pub(crate) fn check_value(
        &self,
        ty: ObjectType,
        name: &str,
        value: &str,
    ) -> Result<(), Invalid> {
        if !self.has_property(ty, name) {
            return Err(Invalid {
                message: format!("Property \"{name}\" does not exist"),
                code: "PROPERTY_DOESNT_EXIST",
                name: name.to_owned(),
            });
        }
        let Some(property) = self.custom(ty, name) else {
            return Ok(());
        };
        if value.is_empty() {
            return Ok(());
        }
        let invalid = |what: &str| Invalid {
            message: format!("{value} was not a valid {what}."),
            code: "INVALID_OPTION",
            name: name.to_owned(),
        };
        match property.property_type.as_str() {
            "number" if value.parse::<f64>().map_or(true, |n| !n.is_finite()) => {
                Err(invalid("number"))
            }
            "datetime" | "date" if crate::model::numeric_value(value).is_none() => {
                Err(invalid("date"))
            }
            "bool" if value != "true" && value != "false" => Err(invalid("boolean")),
            "enumeration" if !property.options.iter().any(|option| option.value == value) => {
                Err(Invalid {
                    message: format!(
                        "{value} was not one of the allowed options: [{}]",
                        property
                            .options
                            .iter()
                            .map(|o| o.value.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    code: "INVALID_OPTION",
                    name: name.to_owned(),
                })
            }
            _ => Ok(()),
        }
    }
}

/// Checks a property definition as HubSpot does before creating it.
pub(crate) fn check_definition(property: &SandboxProperty) -> Result<(), String> {
    let name = &property.name;
    let well_formed = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Err(format!(
            "Property name {name:?} is invalid: use lowercase letters, digits and underscores, starting with a letter"
        ));
    }
    if property.label.trim().is_empty() {
        return Err("Property label must not be empty".to_owned());
    }
    let Some((_, fields)) = FIELD_TYPES
        .iter()
        .find(|(kind, _)| *kind == property.property_type)
    else {
        return Err(format!(
            "Property type {:?} is not one of string, number, date, datetime, enumeration, bool",
            property.property_type
        ));
    };
    if !fields.contains(&property.field_type.as_str()) {
        return Err(format!(
            "Field type {:?} is not valid for a property of type {:?}",
            property.field_type, property.property_type
        ));
    }
    if property.property_type == "enumeration" && property.options.is_empty() {
        return Err("An enumeration property needs at least one option".to_owned());
    }
    Ok(())
}
