//! v4 associations: the batch read with HubSpot's association types.

use super::*;

/// HubSpot's label-less primary association type between a record and its company.
pub(super) fn primary_type_id(from: ObjectType, to: ObjectType) -> Option<u32> {
    use ObjectType::*;
    match (from, to) {
        (Contacts, Companies) => Some(1),
        (Companies, Contacts) => Some(2),
        (Deals, Companies) => Some(5),
        (Companies, Deals) => Some(6),
        (Companies, Tickets) => Some(25),
        (Tickets, Companies) => Some(26),
        _ => None,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AssociationType {
    category: &'static str,
    type_id: u32,
    label: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AssociationTo {
    to_object_id: u64,
    association_types: Vec<AssociationType>,
}

#[derive(Serialize)]
pub(super) struct FromId {
    id: String,
}

#[derive(Serialize)]
pub(super) struct AssociationResult {
    from: FromId,
    to: Vec<AssociationTo>,
}

pub(super) async fn association_batch_read(
    State(shared): AppState,
    Path((from, to)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = format!("POST /crm/v4/associations/{from}/{to}/batch/read");
    let out = match gate(&shared, &headers, Kind::Standard, route).await {
        Ok(out) => out,
        Err(error) => return error.into_response(),
    };
    let response = (|| {
        let from_ty = parse_type(&from)?;
        let to_ty = parse_type(&to)?;
        let request: BatchReadRequest = parse_json(&body)?;
        if request.inputs.len() > ASSOCIATION_BATCH_MAX {
            return Err(validation_error(format!(
                "Too many inputs: {} (at most {ASSOCIATION_BATCH_MAX})",
                request.inputs.len()
            )));
        }
        let portal = read(&shared.portal);
        let type_id = association_type_id(from_ty, to_ty);
        let primary = primary_type_id(from_ty, to_ty);
        let mut results = Vec::new();
        let mut errors = Vec::new();
        for input in &request.inputs {
            let text = id_text(&input.id);
            let rec = text.parse::<u64>().ok().and_then(|id| portal.live(from_ty, id));
            let to_list: Vec<AssociationTo> = rec
                .map(|rec| {
                    rec.assoc
                        .iter()
                        .filter(|(t, _)| *t == to_ty)
                        .map(|(_, id)| {
                            let mut types = Vec::with_capacity(2);
                            if let Some(primary) = primary {
                                types.push(AssociationType {
                                    category: "HUBSPOT_DEFINED",
                                    type_id: primary,
                                    label: Some("Primary"),
                                });
                            }
                            types.push(AssociationType {
                                category: "HUBSPOT_DEFINED",
                                type_id,
                                label: None,
                            });
                            AssociationTo {
                                to_object_id: *id,
                                association_types: types,
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            if to_list.is_empty() {
                errors.push(json!({
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                    "message": format!("No {} is associated with {} {}.", to_ty.singular(), from_ty.singular(), text),
                    "context": { "fromObjectId": [text] },
                }));
            } else {
                results.push(AssociationResult {
                    from: FromId { id: text },
                    to: to_list,
                });
            }
        }
        Ok(batch_response(results, errors))
    })()
    .unwrap_or_else(IntoResponse::into_response);
    with_headers(response, out)
}
