//! Reading records: the list, one record, and the batch read.

use std::borrow::Cow;

use super::*;

#[derive(Serialize)]
pub(super) struct Page<'a> {
    results: Vec<RecordJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paging: Option<Paging>,
}

pub(super) async fn list_objects(
    State(shared): AppState,
    Path(object_type): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let out = match gate(
        &shared,
        &headers,
        Kind::Standard,
        format!("GET /crm/v3/objects/{object_type}"),
    )
    .await
    {
        Ok(out) => out,
        Err(error) => return error.into_response(),
    };
    let response = list_page(&shared, &object_type, raw.as_deref())
        .unwrap_or_else(IntoResponse::into_response);
    with_headers(response, out)
}

pub(super) fn list_page(
    shared: &Shared,
    object_type: &str,
    raw: Option<&str>,
) -> Result<Response, ApiError> {
    let ty = parse_type(object_type)?;
    let pairs = query_pairs(raw)?;
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let limit = match param("limit").map(str::parse::<usize>) {
        None => 10,
        Some(Ok(limit)) if (1..=LIST_MAX_LIMIT).contains(&limit) => limit,
        Some(_) => {
            return Err(validation_error(format!(
                "limit must be between 1 and {LIST_MAX_LIMIT}"
            )))
        }
    };
    let after = match param("after")
        .filter(|a| !a.is_empty())
        .map(str::parse::<u64>)
    {
        None => None,
        Some(Ok(after)) => Some(after),
        Some(Err(_)) => return Err(validation_error("Invalid `after` paging token")),
    };
    let archived = param("archived") == Some("true");
    let props = properties_param(&pairs);
    let assoc = associations_param(&pairs)?;
    let portal = read(&shared.portal);
    // One record past the page says whether there is a next one. Base records are never archived.
    let mut rows: Vec<Cow<'_, Record>> = Vec::with_capacity(limit + 1);
    portal.walk(ty, after.unwrap_or(0), &|_| !archived, &mut |rec| {
        if rec.is_live() != archived {
            rows.push(rec);
        }
        rows.len() <= limit
    });
    let next = if rows.len() > limit {
        rows.pop().map(|r| r.id)
    } else {
        None
    };
    let results = rows
        .iter()
        .map(|rec| RecordJson {
            ty,
            rec,
            props: &props,
            assoc: &assoc,
        })
        .collect();
    let paging = next.map(|id| Paging {
        next: NextPage {
            after: id.to_string(),
            link: Some(format!(
                "{}/crm/v3/objects/{}?after={id}",
                shared.base_url,
                ty.plural()
            )),
        },
    });
    Ok(json_response(StatusCode::OK, &Page { results, paging }))
}

pub(super) async fn read_object(
    State(shared): AppState,
    Path((object_type, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let out = match gate(
        &shared,
        &headers,
        Kind::Standard,
        format!("GET /crm/v3/objects/{object_type}/{{id}}"),
    )
    .await
    {
        Ok(out) => out,
        Err(error) => return error.into_response(),
    };
    let response = (|| {
        let ty = parse_type(&object_type)?;
        let pairs = query_pairs(raw.as_deref())?;
        let props = properties_param(&pairs);
        let assoc = associations_param(&pairs)?;
        let portal = read(&shared.portal);
        let found = id.parse::<u64>().ok().and_then(|id| portal.live(ty, id));
        Ok::<_, ApiError>(match found {
            Some(rec) => json_response(
                StatusCode::OK,
                &RecordJson {
                    ty,
                    rec: &rec,
                    props: &props,
                    assoc: &assoc,
                },
            ),
            None => ApiError::NotFound.into_response(),
        })
    })()
    .unwrap_or_else(IntoResponse::into_response);
    with_headers(response, out)
}

#[derive(Deserialize)]
pub(super) struct IdInput {
    pub(super) id: Value,
}

#[derive(Deserialize)]
pub(super) struct BatchReadRequest {
    #[serde(default)]
    pub(super) inputs: Vec<IdInput>,
    #[serde(default)]
    properties: Vec<String>,
}

pub(super) fn id_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn parse_json<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|error| validation_error(format!("Invalid input JSON: {error}")))
}

/// The envelope of batch answers; 207 when `errors` is not empty.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BatchBody<T: Serialize> {
    status: &'static str,
    results: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    num_errors: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<Value>,
    started_at: String,
    completed_at: String,
}

pub(super) fn batch_response<T: Serialize>(results: Vec<T>, errors: Vec<Value>) -> Response {
    let now = crate::model::iso_millis(now_ms());
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::MULTI_STATUS
    };
    let body = BatchBody {
        status: "COMPLETE",
        results,
        num_errors: (!errors.is_empty()).then_some(errors.len()),
        errors,
        started_at: now.clone(),
        completed_at: now,
    };
    json_response(status, &body)
}

pub(super) async fn batch_read(
    State(shared): AppState,
    Path(object_type): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = format!("POST /crm/v3/objects/{object_type}/batch/read");
    let out = match gate(&shared, &headers, Kind::Standard, route).await {
        Ok(out) => out,
        Err(error) => return error.into_response(),
    };
    let response = (|| {
        let ty = parse_type(&object_type)?;
        let request: BatchReadRequest = parse_json(&body)?;
        if request.inputs.len() > BATCH_READ_MAX {
            return Err(validation_error(format!(
                "Too many inputs: {} (at most {BATCH_READ_MAX})",
                request.inputs.len()
            )));
        }
        let props = PropSelection::from_names(request.properties.iter().map(String::as_str));
        let portal = read(&shared.portal);
        let mut found: Vec<Cow<'_, Record>> = Vec::new();
        let mut missing = Vec::new();
        for input in &request.inputs {
            let text = id_text(&input.id);
            match text.parse::<u64>().ok().and_then(|id| portal.live(ty, id)) {
                Some(rec) if !found.iter().any(|r| r.id == rec.id) => found.push(rec),
                Some(_) => {}
                None => missing.push(text),
            }
        }
        let results: Vec<RecordJson<'_>> = found
            .iter()
            .map(|rec| RecordJson {
                ty,
                rec,
                props: &props,
                assoc: &[],
            })
            .collect();
        let errors = if missing.is_empty() {
            Vec::new()
        } else {
            vec![json!({
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": format!(
                    "Could not get some {} objects, they may be deleted or not exist. Check that ids are valid.",
                    ty.upper_name()
                ),
                "context": { "ids": missing },
            })]
        };
        Ok(batch_response(results, errors))
    })()
    .unwrap_or_else(IntoResponse::into_response);
    with_headers(response, out)
}
