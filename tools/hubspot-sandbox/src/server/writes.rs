//! Writing records: create (`POST /crm/v3/objects/{type}`, with inline associations), update
//! (`PATCH /crm/v3/objects/{type}/{id}`) and batch update (`POST .../batch/update`, at most 100
//! inputs, 207 with `errors` when some inputs fail), each guarded by the type's write scope
//! (403 `MISSING_SCOPES` otherwise); and the owners list.

use super::*;
use crate::crm_schema::{owners, Invalid};
use crate::model::iso_millis;
use crate::state::write;

const BATCH_UPDATE_MAX: usize = 100;
const SCOPES_DOC: &str = "https://developers.hubspot.com/scopes";

/// The scope that guards writing records of a type. HubSpot guards engagements (tasks, notes...)
/// with the contacts write scope.
fn write_scope(ty: ObjectType) -> &'static str {
    match ty {
        ObjectType::Companies => "crm.objects.companies.write",
        ObjectType::Deals => "crm.objects.deals.write",
        ObjectType::Tickets => "tickets",
        _ => "crm.objects.contacts.write",
    }
}

fn object_write_scope(ty: ObjectType) -> String {
    write_scope(ty).to_owned()
}

/// Admits a write: the gate (authentication, limits, faults), the object type and the scope `scope`
/// names for it. Gives the headers for the answer, or the answer refusing the request.
pub(super) async fn admit_write(
    shared: &Shared,
    headers: &HeaderMap,
    route: String,
    object_type: &str,
    scope: fn(ObjectType) -> String,
) -> Result<(HeaderMap, ObjectType), Response> {
    let out = gate(shared, headers, Kind::Standard, route)
        .await
        .map_err(IntoResponse::into_response)?;
    let ty = match parse_type(object_type) {
        Ok(ty) => ty,
        Err(error) => return Err(with_headers(error.into_response(), out)),
    };
    match missing_scopes(shared, headers, &[scope(ty)]) {
        Some(refused) => Err(with_headers(refused, out)),
        None => Ok((out, ty)),
    }
}

/// HubSpot's 403 when the token lacks a scope the call needs; `None` when it has them all. Call after
/// `gate`, which has authenticated the token.
pub(super) fn missing_scopes(
    shared: &Shared,
    headers: &HeaderMap,
    needed: &[String],
) -> Option<Response> {
    let token = bearer_token(headers).unwrap_or_default();
    let granted = {
        let auth = lock(&shared.auth);
        if token == shared.private_app_token {
            !auth.write_scopes_refused
        } else {
            auth.access.get(token).is_some_and(|t| t.write_scopes)
        }
    };
    let write_scopes = WRITE_SCOPES;
    let lacking: Vec<&String> = needed
        .iter()
        .filter(|scope| !(granted && write_scopes.contains(&scope.as_str())))
        .filter(|scope| !SCOPES.contains(&scope.as_str()))
        .collect();
    if lacking.is_empty() {
        return None;
    }
    Some(json_response(
        StatusCode::FORBIDDEN,
        &json!({
            "status": "error",
            "message": format!(
                "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: {SCOPES_DOC}."
            ),
            "correlationId": correlation_id(),
            "errors": [{
                "message": "One or more of the following scopes are required.",
                "context": { "requiredGranularScopes": lacking },
            }],
            "links": { "scopes": SCOPES_DOC },
            "category": "MISSING_SCOPES",
        }),
    ))
}

/// HubSpot's 400 for property values it refuses: the whole request is refused.
fn invalid_values(invalid: Vec<Invalid>) -> Response {
    let errors: Vec<Value> = invalid
        .iter()
        .map(|i| {
            json!({
                "message": i.message,
                "code": i.code,
                "context": { "propertyName": [i.name] },
            })
        })
        .collect();
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({
            "status": "error",
            "message": format!("Property values were not valid: {}", Value::Array(errors.clone())),
            "correlationId": correlation_id(),
            "category": "VALIDATION_ERROR",
            "errors": errors,
        }),
    )
}

/// A JSON property value as HubSpot stores it: text; `null` and `""` clear the property.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Every value checked against the portal's properties, and the task's own rules.
fn check_properties(
    shared: &Shared,
    ty: ObjectType,
    properties: &serde_json::Map<String, Value>,
) -> Vec<Invalid> {
    let schema = lock(&shared.crm_schema);
    let mut invalid = Vec::new();
    for (name, value) in properties {
        let text = value_text(value).unwrap_or_default();
        if let Err(refused) = schema.check_value(ty, name, &text) {
            invalid.push(refused);
            continue;
        }
        let allowed: &[&str] = match (ty, name.as_str()) {
            (ObjectType::Tasks, "hs_task_status") => &[
                "NOT_STARTED",
                "IN_PROGRESS",
                "WAITING",
                "COMPLETED",
                "DEFERRED",
            ],
            (ObjectType::Tasks, "hs_task_priority") => &["NONE", "LOW", "MEDIUM", "HIGH"],
            _ => &[],
        };
        let owner_unknown = name == "hubspot_owner_id"
            && !text.is_empty()
            && !owners().iter().any(|o| o.id == text);
        if (!allowed.is_empty() && !text.is_empty() && !allowed.contains(&text.as_str()))
            || owner_unknown
        {
            invalid.push(Invalid {
                message: format!("{text} was not one of the allowed options"),
                code: "INVALID_OPTION",
                name: name.clone(),
            });
        }
    }
    invalid
}

/// A written record as the write endpoints answer: the properties written and HubSpot's own.
fn written_json(record: &Record, names: &[String]) -> Value {
    let mut properties = serde_json::Map::new();
    for name in names.iter().map(String::as_str).chain([
        "hs_lastmodifieddate",
        "hs_object_id",
        "createdate",
    ]) {
        let value = record.get(name).cloned().flatten();
        properties.insert(name.to_owned(), value.map_or(Value::Null, Value::String));
    }
    json!({
        "id": record.id.to_string(),
        "properties": properties,
        "createdAt": iso_millis(record.created_ms),
        "updatedAt": iso_millis(record.updated_ms),
        "archived": false,
    })
}

/// Sets the properties on a live record and marks it modified; `None` when there is no such record.
fn apply(
    shared: &Shared,
    ty: ObjectType,
    id: u64,
    properties: &serde_json::Map<String, Value>,
) -> Option<Value> {
    let mut portal = write(&shared.portal);
    let keys: Vec<_> = properties
        .iter()
        .map(|(name, value)| (portal.interner.get(name), value_text(value)))
        .collect();
    portal.live(ty, id)?;
    let record = portal.record_mut(ty, id)?;
    for (key, value) in keys {
        record.set(key, value);
    }
    portal.touch(ty, id, now_ms());
    let names: Vec<String> = properties.keys().cloned().collect();
    portal.record(ty, id).map(|r| written_json(&r, &names))
}

#[derive(Deserialize)]
struct UpdateInput {
    id: Value,
    #[serde(default)]
    properties: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct BatchUpdateRequest {
    #[serde(default)]
    inputs: Vec<UpdateInput>,
}

pub(super) async fn batch_update(
    State(shared): AppState,
    Path(object_type): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = format!("POST /crm/v3/objects/{object_type}/batch/update");
    let (out, ty) =
        match admit_write(&shared, &headers, route, &object_type, object_write_scope).await {
            Ok(admitted) => admitted,
            Err(refused) => return refused,
        };
    let response = (|| {
        let request: BatchUpdateRequest = parse_json(&body)?;
        if request.inputs.is_empty() || request.inputs.len() > BATCH_UPDATE_MAX {
            return Err(validation_error(format!(
                "Batch update takes 1 to {BATCH_UPDATE_MAX} inputs; got {}",
                request.inputs.len()
            )));
        }
        let invalid: Vec<Invalid> = request
            .inputs
            .iter()
            .flat_map(|input| check_properties(&shared, ty, &input.properties))
            .collect();
        if !invalid.is_empty() {
            return Ok(invalid_values(invalid));
        }
        let (mut results, mut missing, mut failed) = (Vec::new(), Vec::new(), Vec::new());
        for input in &request.inputs {
            let text = id_text(&input.id);
            let Ok(id) = text.parse::<u64>() else {
                missing.push(text);
                continue;
            };
            let fails = {
                let mut schema = lock(&shared.crm_schema);
                let rate = schema.batch_input_failure_rate;
                schema.fail_next_update.remove(&id)
                    || (rate > 0.0
                        && rand::Rng::random_bool(&mut *lock(&shared.rng), rate.clamp(0.0, 1.0)))
            };
            if fails {
                failed.push(text);
                continue;
            }
            match apply(&shared, ty, id, &input.properties) {
                Some(json) => results.push(json),
                None => missing.push(text),
            }
        }
        let mut errors = Vec::new();
        if !missing.is_empty() {
            errors.push(json!({
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": format!(
                    "Could not update some {} objects, they may be deleted or not exist.",
                    ty.upper_name()
                ),
                "context": { "ids": missing },
            }));
        }
        for id in failed {
            errors.push(json!({
                "status": "error",
                "category": "INTERNAL_ERROR",
                "message": "The object could not be updated; try again.",
                "context": { "ids": [id] },
            }));
        }
        Ok(batch_response(results, errors))
    })()
    .unwrap_or_else(IntoResponse::into_response);
    with_headers(response, out)
}

#[derive(Deserialize)]
struct AssociationTarget {
    id: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssociationTypeInput {
    #[serde(default)]
    association_category: Option<String>,
    association_type_id: u32,
}

#[derive(Deserialize)]
struct AssociationInput {
    to: AssociationTarget,
    #[serde(default)]
    types: Vec<AssociationTypeInput>,
}

#[derive(Deserialize)]
struct CreateRequest {
    #[serde(default)]
    properties: serde_json::Map<String, Value>,
    #[serde(default)]
    associations: Vec<AssociationInput>,
}

/// The records each association of a create request links to: HubSpot-defined type ids only.
fn association_targets(
    shared: &Shared,
    ty: ObjectType,
    associations: &[AssociationInput],
) -> Result<Vec<(ObjectType, u64)>, ApiError> {
    let portal = read(&shared.portal);
    let mut targets = Vec::new();
    for association in associations {
        let id = id_text(&association.to.id);
        for kind in &association.types {
            if kind
                .association_category
                .as_deref()
                .is_some_and(|c| c != "HUBSPOT_DEFINED")
            {
                return Err(validation_error(format!(
                    "Association category {:?} is not supported here",
                    kind.association_category
                )));
            }
            let to = ObjectType::ALL
                .into_iter()
                .find(|to| association_type_id(ty, *to) == kind.association_type_id)
                .ok_or_else(|| {
                    validation_error(format!(
                        "associationTypeId {} is not valid from {}",
                        kind.association_type_id,
                        ty.plural()
                    ))
                })?;
            let target = id
                .parse::<u64>()
                .ok()
                .filter(|id| portal.live(to, *id).is_some())
                .ok_or_else(|| {
                    validation_error(format!("{} {id} does not exist", to.singular()))
                })?;
            targets.push((to, target));
        }
    }
    Ok(targets)
}

pub(super) async fn create_object(
    State(shared): AppState,
    Path(object_type): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = format!("POST /crm/v3/objects/{object_type}");
    let (out, ty) =
        match admit_write(&shared, &headers, route, &object_type, object_write_scope).await {
            Ok(admitted) => admitted,
            Err(refused) => return refused,
        };
    let response = (|| {
        let request: CreateRequest = parse_json(&body)?;
        let invalid = check_properties(&shared, ty, &request.properties);
        if !invalid.is_empty() {
            return Ok(invalid_values(invalid));
        }
        if ObjectType::ENGAGEMENTS.contains(&ty)
            && request
                .properties
                .get("hs_timestamp")
                .and_then(value_text)
                .is_none()
        {
            return Err(validation_error("hs_timestamp is required"));
        }
        let targets = association_targets(&shared, ty, &request.associations)?;
        let names: Vec<String> = request.properties.keys().cloned().collect();
        let mut portal = write(&shared.portal);
        let id = crate::create(&mut portal, ty, request.properties, None, now_ms());
        let id = id.parse::<u64>().unwrap_or_default();
        for target in targets {
            portal.associate((ty, id), target);
        }
        let created = portal
            .record(ty, id)
            .map(|r| written_json(&r, &names))
            .unwrap_or(Value::Null);
        Ok(json_response(StatusCode::CREATED, &created))
    })()
    .unwrap_or_else(IntoResponse::into_response);
    with_headers(response, out)
}

#[derive(Deserialize)]
struct UpdateRequest {
    #[serde(default)]
    properties: serde_json::Map<String, Value>,
}

pub(super) async fn update_object(
    State(shared): AppState,
    Path((object_type, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = format!("PATCH /crm/v3/objects/{object_type}/{{id}}");
    let (out, ty) =
        match admit_write(&shared, &headers, route, &object_type, object_write_scope).await {
            Ok(admitted) => admitted,
            Err(refused) => return refused,
        };
    let response = (|| {
        let request: UpdateRequest = parse_json(&body)?;
        let invalid = check_properties(&shared, ty, &request.properties);
        if !invalid.is_empty() {
            return Ok(invalid_values(invalid));
        }
        let updated = id
            .parse::<u64>()
            .ok()
            .and_then(|id| apply(&shared, ty, id, &request.properties));
        Ok::<_, ApiError>(match updated {
            Some(json) => json_response(StatusCode::OK, &json),
            None => ApiError::NotFound.into_response(),
        })
    })()
    .unwrap_or_else(IntoResponse::into_response);
    with_headers(response, out)
}

pub(super) async fn list_owners(State(shared): AppState, headers: HeaderMap) -> Response {
    let out = match gate(
        &shared,
        &headers,
        Kind::Standard,
        "GET /crm/v3/owners".to_owned(),
    )
    .await
    {
        Ok(out) => out,
        Err(error) => return error.into_response(),
    };
    let created = iso_millis(0);
    let results: Vec<Value> = owners()
        .iter()
        .enumerate()
        .map(|(i, o)| {
            json!({
                "id": o.id,
                "email": o.email,
                "firstName": o.first_name,
                "lastName": o.last_name,
                "userId": 7_654_321 + i as u64,
                "archived": false,
                "createdAt": created,
                "updatedAt": created,
            })
        })
        .collect();
    with_headers(
        json_response(StatusCode::OK, &json!({ "results": results })),
        out,
    )
}
