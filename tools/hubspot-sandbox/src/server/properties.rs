//! The CRM Properties API v3: property groups and properties of an object type (list, create; 409
//! when the name is taken), guarded by the type's schema-write scope.

use super::*;
use crate::crm_schema::{
    builtin_property, check_definition, SandboxProperty, SandboxPropertyGroup,
    SandboxPropertyOption,
};

/// The scope that guards creating property definitions of a type (`crm.schemas.companies.write`).
fn schema_scope(ty: ObjectType) -> String {
    format!("crm.schemas.{}.write", ty.plural())
}

fn group_json(group: &SandboxPropertyGroup) -> Value {
    json!({
        "name": group.name,
        "label": group.label,
        "displayOrder": group.display_order,
        "archived": false,
    })
}

fn property_json(property: &SandboxProperty) -> Value {
    json!({
        "name": property.name,
        "label": property.label,
        "type": property.property_type,
        "fieldType": property.field_type,
        "groupName": property.group_name,
        "description": property.description,
        "options": property.options.iter().enumerate().map(|(i, o)| json!({
            "label": o.label,
            "value": o.value,
            "displayOrder": i,
            "hidden": false,
        })).collect::<Vec<_>>(),
        "hidden": false,
        "formField": true,
        "hasUniqueValue": false,
        "calculated": false,
        "externalOptions": false,
        "archived": false,
        "modificationMetadata": {
            "archivable": true,
            "readOnlyDefinition": false,
            "readOnlyValue": false,
        },
    })
}

fn already_exists(message: String) -> Response {
    error_response(StatusCode::CONFLICT, "OBJECT_ALREADY_EXISTS", message)
}

pub(super) async fn list_groups(
    State(shared): AppState,
    Path(object_type): Path<String>,
    headers: HeaderMap,
) -> Response {
    let route = format!("GET /crm/v3/properties/{object_type}/groups");
    let out = match gate(&shared, &headers, Kind::Standard, route).await {
        Ok(out) => out,
        Err(error) => return error.into_response(),
    };
    let response = match parse_type(&object_type) {
        Ok(ty) => {
            let groups = lock(&shared.crm_schema).all_groups(ty);
            json_response(
                StatusCode::OK,
                &json!({ "results": groups.iter().map(group_json).collect::<Vec<_>>() }),
            )
        }
        Err(error) => error.into_response(),
    };
    with_headers(response, out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    display_order: Option<i64>,
}

pub(super) async fn create_group(
    State(shared): AppState,
    Path(object_type): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = format!("POST /crm/v3/properties/{object_type}/groups");
    let (out, ty) = match admit_write(&shared, &headers, route, &object_type, schema_scope).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let response = (|| {
        let input: GroupInput = parse_json(&body)?;
        if input.name.trim().is_empty() || input.label.trim().is_empty() {
            return Err(validation_error(
                "A property group needs a name and a label",
            ));
        }
        let mut schema = lock(&shared.crm_schema);
        if schema.has_group(ty, &input.name) {
            return Ok(already_exists(format!(
                "A property group named '{}' already exists.",
                input.name
            )));
        }
        let group = SandboxPropertyGroup {
            name: input.name,
            label: input.label,
            display_order: input.display_order.unwrap_or(-1),
        };
        let created = group_json(&group);
        schema.groups.entry(ty).or_default().push(group);
        Ok(json_response(StatusCode::CREATED, &created))
    })()
    .unwrap_or_else(IntoResponse::into_response);
    with_headers(response, out)
}

pub(super) async fn list_properties(
    State(shared): AppState,
    Path(object_type): Path<String>,
    headers: HeaderMap,
) -> Response {
    let route = format!("GET /crm/v3/properties/{object_type}");
    let out = match gate(&shared, &headers, Kind::Standard, route).await {
        Ok(out) => out,
        Err(error) => return error.into_response(),
    };
    let response = match parse_type(&object_type) {
        Ok(ty) => {
            let schema = lock(&shared.crm_schema);
            let mut results: Vec<Value> = ty
                .schema()
                .iter()
                .map(|name| property_json(&builtin_property(ty, name)))
                .collect();
            results.extend(
                schema
                    .properties
                    .get(&ty)
                    .into_iter()
                    .flatten()
                    .map(property_json),
            );
            json_response(StatusCode::OK, &json!({ "results": results }))
        }
        Err(error) => error.into_response(),
    };
    with_headers(response, out)
}

#[derive(Deserialize)]
struct OptionInput {
    #[serde(default)]
    label: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PropertyInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    label: String,
    #[serde(default, rename = "type")]
    property_type: String,
    #[serde(default)]
    field_type: String,
    #[serde(default)]
    group_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    options: Vec<OptionInput>,
}

pub(super) async fn create_property(
    State(shared): AppState,
    Path(object_type): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = format!("POST /crm/v3/properties/{object_type}");
    let (out, ty) = match admit_write(&shared, &headers, route, &object_type, schema_scope).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let response = (|| {
        let input: PropertyInput = parse_json(&body)?;
        let property = SandboxProperty {
            name: input.name,
            label: input.label,
            property_type: input.property_type,
            field_type: input.field_type,
            group_name: input.group_name,
            description: input.description,
            options: input
                .options
                .into_iter()
                .map(|o| SandboxPropertyOption {
                    label: o.label,
                    value: o.value,
                })
                .collect(),
        };
        check_definition(&property).map_err(validation_error)?;
        let mut schema = lock(&shared.crm_schema);
        if !schema.has_group(ty, &property.group_name) {
            return Err(validation_error(format!(
                "Property group '{}' does not exist",
                property.group_name
            )));
        }
        if schema.has_property(ty, &property.name) {
            return Ok(already_exists(format!(
                "Property named '{}' already exists.",
                property.name
            )));
        }
        let created = property_json(&property);
        schema.properties.entry(ty).or_default().push(property);
        Ok(json_response(StatusCode::CREATED, &created))
    })()
    .unwrap_or_else(IntoResponse::into_response);
    with_headers(response, out)
}
