//! The HTTP endpoints, answering with HubSpot's bodies, status codes and headers.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config::Injected;
use crate::model::{association_type_id, numeric_value, ObjectType, Record};
use crate::state::{
    lock, now_ms, read, AccessToken, AuthCode, Budget, Policy, RefreshToken, Shared,
};
use crate::wire::{PropSelection, RecordJson};

type AppState = State<Arc<Shared>>;

const LIST_MAX_LIMIT: usize = 100;
const BATCH_READ_MAX: usize = 100;
const SEARCH_MAX_LIMIT: usize = 200;
const SEARCH_RESULT_CAP: usize = 10_000;
const ASSOCIATION_BATCH_MAX: usize = 1_000;
const SCOPES: &[&str] = &[
    "oauth",
    "crm.objects.companies.read",
    "crm.objects.contacts.read",
    "crm.objects.deals.read",
    "tickets",
    "sales-email-read",
];

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/crm/v3/objects/{object_type}", get(list_objects))
        .route("/crm/v3/objects/{object_type}/{id}", get(read_object))
        .route("/crm/v3/objects/{object_type}/batch/read", post(batch_read))
        .route("/crm/v3/objects/{object_type}/search", post(search))
        .route(
            "/crm/v4/associations/{from}/{to}/batch/read",
            post(association_batch_read),
        )
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/v1/token", post(token))
        .route("/oauth/v1/access-tokens/{token}", get(access_token_info))
        .route("/oauth/v1/refresh-tokens/{token}", get(refresh_token_info))
        .fallback(not_found)
        .with_state(shared)
}

fn correlation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json;charset=utf-8"),
            )],
            Body::from(bytes),
        )
            .into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// HubSpot's standard error body.
fn error_response(status: StatusCode, category: &str, message: impl Into<String>) -> Response {
    json_response(
        status,
        &json!({
            "status": "error",
            "message": message.into(),
            "correlationId": correlation_id(),
            "category": category,
        }),
    )
}

fn validation_error(message: impl Into<String>) -> ApiError {
    ApiError::Validation(message.into())
}

/// A refused CRM call; `into_response` gives HubSpot's status, headers and body for it.
#[derive(Debug)]
enum ApiError {
    Validation(String),
    UnknownObjectType(String),
    NotFound,
    Unauthorized {
        category: &'static str,
        message: String,
    },
    RateLimited {
        policy: Policy,
        budget: Option<Budget>,
        /// The daily pair of headers goes to private apps only.
        daily_headers: bool,
    },
    InjectedServerError(StatusCode),
    Locked,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Validation(message) => {
                error_response(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
            }
            ApiError::UnknownObjectType(name) => error_response(
                StatusCode::BAD_REQUEST,
                "OBJECT_NOT_FOUND",
                format!("Unable to infer object type from: {name}"),
            ),
            ApiError::NotFound => error_response(
                StatusCode::NOT_FOUND,
                "OBJECT_NOT_FOUND",
                "resource not found",
            ),
            ApiError::Unauthorized { category, message } => {
                error_response(StatusCode::UNAUTHORIZED, category, message)
            }
            ApiError::RateLimited {
                policy,
                budget,
                daily_headers,
            } => rate_limit_response(policy, budget, daily_headers),
            ApiError::InjectedServerError(StatusCode::INTERNAL_SERVER_ERROR) => error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_ERROR",
                "internal error",
            ),
            ApiError::InjectedServerError(status) => gateway_error(status),
            ApiError::Locked => error_response(
                StatusCode::LOCKED,
                "LOCKED",
                "The resource is locked by another request; retry in 2 seconds.",
            ),
        }
    }
}

fn rate_limit_response(policy: Policy, budget: Option<Budget>, daily_headers: bool) -> Response {
    let mut response = json_response(
        StatusCode::TOO_MANY_REQUESTS,
        &json!({
            "status": "error",
            "message": policy.message(),
            "errorType": "RATE_LIMIT",
            "correlationId": correlation_id(),
            "policyName": policy.name(),
        }),
    );
    if let Some(budget) = budget {
        add_budget_headers(response.headers_mut(), budget, daily_headers);
    }
    response
}

fn add_budget_headers(headers: &mut HeaderMap, budget: Budget, daily: bool) {
    let mut put = |name: &'static str, value: u32| {
        headers.insert(name, HeaderValue::from(value));
    };
    put("x-hubspot-ratelimit-max", budget.max);
    put("x-hubspot-ratelimit-remaining", budget.remaining);
    put("x-hubspot-ratelimit-interval-milliseconds", 10_000);
    if daily {
        put("x-hubspot-ratelimit-daily", budget.daily);
        put(
            "x-hubspot-ratelimit-daily-remaining",
            budget.daily_remaining,
        );
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Caller {
    PrivateApp,
    OAuth,
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(token) = token else {
        return Err(ApiError::Unauthorized {
            category: "INVALID_AUTHENTICATION",
            message: "Authentication credentials not found. This API supports OAuth 2.0 authentication and you \
                      can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
                .to_owned(),
        });
    };
    let auth = lock(&shared.auth);
    let revoked = || ApiError::Unauthorized {
        category: "INVALID_AUTHENTICATION",
        message: "Authentication credentials not found. The token was revoked; authorize again."
            .to_owned(),
    };
    if token == shared.private_app_token {
        if auth.private_app_revoked {
            return Err(revoked());
        }
        return Ok(Caller::PrivateApp);
    }
    match auth.access.get(token) {
        Some(access) if access.revoked || auth.refuse_oauth_access => Err(revoked()),
        Some(access) => {
            let now = now_ms();
            if access.force_expired || now >= access.expires_at_ms {
                let ago_secs = ((now - access.expires_at_ms).max(0) / 1000).max(1);
                Err(ApiError::Unauthorized {
                    category: "EXPIRED_AUTHENTICATION",
                    message: format!(
                        "The OAuth token used to make this call expired {ago_secs} second(s) ago."
                    ),
                })
            } else {
                Ok(Caller::OAuth)
            }
        }
        None => Err(ApiError::Unauthorized {
            category: "INVALID_AUTHENTICATION",
            message: "Authentication credentials not found. The token is unknown or malformed."
                .to_owned(),
        }),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Standard,
    Search,
}

/// Authentication, rate limits and injected faults, in HubSpot's order. Gives the headers for the response.
async fn gate(
    shared: &Shared,
    headers: &HeaderMap,
    kind: Kind,
    route: String,
) -> Result<HeaderMap, ApiError> {
    shared.count(route, kind == Kind::Search);
    let daily_headers = authenticate(shared, headers)? == Caller::PrivateApp;
    let faults = *lock(&shared.faults);
    let injected = faults.draw(&mut rand::rng());
    // An injected 429 is refused before it is counted, like a real one, so it only looks at the window.
    let counted = injected != Some(Injected::RateLimited);
    let (now, day) = (Instant::now(), now_ms().div_euclid(86_400_000));
    let config = &shared.config;
    let (max, per_second, daily) = (
        config.rate_limit_per_ten_seconds,
        config.search_per_second,
        config.daily_limit,
    );
    let admitted = {
        let mut limiter = lock(&shared.limiter);
        let standard = |result: Result<Budget, (Policy, Budget)>| {
            result
                .map(Some)
                .map_err(|(policy, budget)| (policy, Some(budget)))
        };
        let search = |result: Result<(), Policy>| result.map(|()| None).map_err(|p| (p, None));
        match (kind, counted) {
            (Kind::Standard, true) => standard(limiter.admit(now, day, max, daily)),
            (Kind::Standard, false) => standard(limiter.check(now, day, max, daily)),
            (Kind::Search, true) => search(limiter.admit_search(now, day, per_second, daily)),
            (Kind::Search, false) => search(limiter.check_search(now, day, per_second, daily)),
        }
    };
    let budget = match admitted {
        Ok(budget) => budget,
        Err((policy, budget)) => {
            lock(&shared.stats).rate_limited += 1;
            return Err(ApiError::RateLimited {
                policy,
                budget,
                daily_headers,
            });
        }
    };
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    let Some(fault) = injected else {
        let mut out = HeaderMap::new();
        if let Some(budget) = budget {
            add_budget_headers(&mut out, budget, daily_headers);
        }
        return Ok(out);
    };
    lock(&shared.stats).injected_faults += 1;
    Err(match fault {
        Injected::ServerError(code) => ApiError::InjectedServerError(
            StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY),
        ),
        Injected::Locked => ApiError::Locked,
        Injected::RateLimited => ApiError::RateLimited {
            policy: match kind {
                Kind::Standard => Policy::TenSecondlyRolling,
                Kind::Search => Policy::Secondly,
            },
            budget,
            daily_headers,
        },
    })
}

/// What HubSpot's edge answers when the backend is unreachable: HTML, not JSON.
fn gateway_error(status: StatusCode) -> Response {
    let body = format!(
        "<html><head><title>{code} {reason}</title></head><body><center><h1>{code} {reason}</h1></center>\
         <hr><center>cloudflare</center></body></html>",
        code = status.as_u16(),
        reason = status.canonical_reason().unwrap_or_default()
    );
    (status, [(header::CONTENT_TYPE, "text/html")], body).into_response()
}

fn with_headers(mut response: Response, headers: HeaderMap) -> Response {
    response.headers_mut().extend(headers);
    response
}

fn parse_type(name: &str) -> Result<ObjectType, ApiError> {
    ObjectType::parse(name).ok_or_else(|| ApiError::UnknownObjectType(name.to_owned()))
}

fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|error| validation_error(format!("Invalid query string: {error}")))
}

fn associations_param(pairs: &[(String, String)]) -> Result<Vec<ObjectType>, ApiError> {
    let mut out = Vec::new();
    for name in pairs
        .iter()
        .filter(|(k, _)| k == "associations")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let ty = parse_type(name)?;
        if !out.contains(&ty) {
            out.push(ty);
        }
    }
    Ok(out)
}

fn properties_param(pairs: &[(String, String)]) -> PropSelection {
    PropSelection::from_names(
        pairs
            .iter()
            .filter(|(k, _)| k == "properties")
            .map(|(_, v)| v.as_str()),
    )
}

#[derive(Serialize)]
struct Paging {
    next: NextPage,
}

#[derive(Serialize)]
struct NextPage {
    after: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<String>,
}

#[derive(Serialize)]
struct Page<'a> {
    results: Vec<RecordJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paging: Option<Paging>,
}

async fn list_objects(
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

fn list_page(shared: &Shared, object_type: &str, raw: Option<&str>) -> Result<Response, ApiError> {
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
    let table = portal.table(ty);
    let start = after.map_or(0, |id| table.first_at_or_after(id));
    let mut results = Vec::with_capacity(limit);
    let mut next = None;
    for rec in table.records[start..]
        .iter()
        .filter(|r| r.is_live() != archived)
    {
        if results.len() == limit {
            next = Some(rec.id);
            break;
        }
        results.push(RecordJson {
            ty,
            rec,
            props: &props,
            assoc: &assoc,
        });
    }
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

async fn read_object(
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
        let found = id
            .parse::<u64>()
            .ok()
            .and_then(|id| portal.table(ty).get(id))
            .filter(|r| r.is_live());
        Ok::<_, ApiError>(match found {
            Some(rec) => json_response(
                StatusCode::OK,
                &RecordJson {
                    ty,
                    rec,
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
struct IdInput {
    id: Value,
}

#[derive(Deserialize)]
struct BatchReadRequest {
    #[serde(default)]
    inputs: Vec<IdInput>,
    #[serde(default)]
    properties: Vec<String>,
}

fn id_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn parse_json<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|error| validation_error(format!("Invalid input JSON: {error}")))
}

/// The envelope of batch answers; 207 when `errors` is not empty.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchBody<T: Serialize> {
    status: &'static str,
    results: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    num_errors: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<Value>,
    started_at: String,
    completed_at: String,
}

fn batch_response<T: Serialize>(results: Vec<T>, errors: Vec<Value>) -> Response {
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

async fn batch_read(
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
        let table = portal.table(ty);
        let mut results = Vec::new();
        let mut missing = Vec::new();
        for input in &request.inputs {
            let text = id_text(&input.id);
            let found = text.parse::<u64>().ok().and_then(|id| table.get(id)).filter(|r| r.is_live());
            match found {
                Some(rec) if !results.iter().any(|r: &RecordJson<'_>| r.rec.id == rec.id) => {
                    results.push(RecordJson {
                        ty,
                        rec,
                        props: &props,
                        assoc: &[],
                    })
                }
                Some(_) => {}
                None => missing.push(text),
            }
        }
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchRequest {
    #[serde(default)]
    filter_groups: Vec<FilterGroup>,
    #[serde(default)]
    sorts: Vec<SortSpec>,
    #[serde(default)]
    properties: Vec<String>,
    #[serde(default)]
    limit: Option<Value>,
    #[serde(default)]
    after: Option<Value>,
    #[serde(default)]
    query: Option<String>,
}

#[derive(Deserialize)]
struct FilterGroup {
    #[serde(default)]
    filters: Vec<Filter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter {
    property_name: String,
    operator: String,
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    values: Option<Vec<Value>>,
    #[serde(default)]
    high_value: Option<Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SortSpec {
    Text(String),
    Object {
        #[serde(rename = "propertyName")]
        property_name: String,
        #[serde(default)]
        direction: Option<String>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operator {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Between,
    In,
    NotIn,
    HasProperty,
    NotHasProperty,
    ContainsToken,
    NotContainsToken,
}

/// A filter checked and with its values parsed once, so matching a record costs no parsing of the filter.
struct CompiledFilter {
    property: String,
    operator: Operator,
    value: Option<(String, Option<f64>)>,
    high: Option<(String, Option<f64>)>,
    values: Vec<(String, Option<f64>)>,
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn compile_filter(filter: &Filter) -> Result<CompiledFilter, ApiError> {
    let operator = match filter.operator.to_ascii_uppercase().as_str() {
        "EQ" => Operator::Eq,
        "NEQ" => Operator::Neq,
        "LT" => Operator::Lt,
        "LTE" => Operator::Lte,
        "GT" => Operator::Gt,
        "GTE" => Operator::Gte,
        "BETWEEN" => Operator::Between,
        "IN" => Operator::In,
        "NOT_IN" => Operator::NotIn,
        "HAS_PROPERTY" => Operator::HasProperty,
        "NOT_HAS_PROPERTY" => Operator::NotHasProperty,
        "CONTAINS_TOKEN" => Operator::ContainsToken,
        "NOT_CONTAINS_TOKEN" => Operator::NotContainsToken,
        other => {
            return Err(validation_error(format!(
                "Unknown filter operator: {other}"
            )))
        }
    };
    let parsed = |v: &Value| {
        let text = value_text(v);
        let number = numeric_value(&text);
        (text, number)
    };
    let compiled = CompiledFilter {
        property: filter.property_name.clone(),
        operator,
        value: filter.value.as_ref().map(parsed),
        high: filter.high_value.as_ref().map(parsed),
        values: filter.values.iter().flatten().map(parsed).collect(),
    };
    let needs_value = matches!(
        operator,
        Operator::Eq
            | Operator::Neq
            | Operator::Lt
            | Operator::Lte
            | Operator::Gt
            | Operator::Gte
            | Operator::Between
            | Operator::ContainsToken
            | Operator::NotContainsToken
    );
    if needs_value && compiled.value.is_none() {
        return Err(validation_error(format!(
            "Filter on {} with operator {} needs a value",
            filter.property_name, filter.operator
        )));
    }
    if operator == Operator::Between && compiled.high.is_none() {
        return Err(validation_error("BETWEEN needs a highValue"));
    }
    if matches!(operator, Operator::In | Operator::NotIn) && compiled.values.is_empty() {
        return Err(validation_error("IN and NOT_IN need values"));
    }
    Ok(compiled)
}

/// A record's value for a property, in the forms the comparisons need.
enum Field<'a> {
    Missing,
    Number(f64, Option<&'a str>),
    Text(&'a str),
}

fn field<'a>(ty: ObjectType, rec: &'a Record, property: &str) -> Field<'a> {
    if property == "hs_object_id" {
        return Field::Number(rec.id as f64, None);
    }
    if property == ty.modified_property() {
        return Field::Number(rec.updated_ms as f64, None);
    }
    if property == "createdate" {
        return Field::Number(rec.created_ms as f64, None);
    }
    match rec.get(property).and_then(|v| v.as_deref()) {
        None | Some("") => Field::Missing,
        Some(text) => match numeric_value(text) {
            Some(number) => Field::Number(number, Some(text)),
            None => Field::Text(text),
        },
    }
}

fn compare(field: &Field<'_>, target: &(String, Option<f64>)) -> Option<Ordering> {
    match (field, target.1) {
        (Field::Missing, _) => None,
        (Field::Number(number, _), Some(wanted)) => number.partial_cmp(&wanted),
        (Field::Number(number, text), None) => {
            let own = text.map_or_else(|| number.to_string(), str::to_owned);
            Some(own.to_lowercase().cmp(&target.0.to_lowercase()))
        }
        (Field::Text(text), _) => Some(text.to_lowercase().cmp(&target.0.to_lowercase())),
    }
}

fn matches(filter: &CompiledFilter, ty: ObjectType, rec: &Record) -> bool {
    let field = field(ty, rec, &filter.property);
    let value = filter.value.as_ref();
    let with = |t: Option<&(String, Option<f64>)>| t.and_then(|t| compare(&field, t));
    match filter.operator {
        Operator::Eq => with(value) == Some(Ordering::Equal),
        Operator::Neq => with(value) != Some(Ordering::Equal),
        Operator::Lt => with(value) == Some(Ordering::Less),
        Operator::Lte => matches!(with(value), Some(Ordering::Less | Ordering::Equal)),
        Operator::Gt => with(value) == Some(Ordering::Greater),
        Operator::Gte => matches!(with(value), Some(Ordering::Greater | Ordering::Equal)),
        Operator::Between => {
            matches!(with(value), Some(Ordering::Greater | Ordering::Equal))
                && matches!(
                    with(filter.high.as_ref()),
                    Some(Ordering::Less | Ordering::Equal)
                )
        }
        Operator::In => filter
            .values
            .iter()
            .any(|v| compare(&field, v) == Some(Ordering::Equal)),
        Operator::NotIn => !filter
            .values
            .iter()
            .any(|v| compare(&field, v) == Some(Ordering::Equal)),
        Operator::HasProperty => !matches!(field, Field::Missing),
        Operator::NotHasProperty => matches!(field, Field::Missing),
        Operator::ContainsToken | Operator::NotContainsToken => {
            let token = value.map(|v| v.0.to_lowercase()).unwrap_or_default();
            let token = token.trim_matches('*');
            let contains = match &field {
                Field::Missing => false,
                Field::Number(_, Some(text)) | Field::Text(text) => {
                    text.to_lowercase().contains(token)
                }
                Field::Number(number, None) => number.to_string().contains(token),
            };
            contains == (filter.operator == Operator::ContainsToken)
        }
    }
}

fn sort_key_cmp(ty: ObjectType, property: &str, a: &Record, b: &Record) -> Ordering {
    let (fa, fb) = (field(ty, a, property), field(ty, b, property));
    let ordered = match (&fa, &fb) {
        (Field::Missing, Field::Missing) => Ordering::Equal,
        (Field::Missing, _) => Ordering::Greater,
        (_, Field::Missing) => Ordering::Less,
        (Field::Number(x, _), Field::Number(y, _)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Field::Text(x), Field::Text(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Field::Number(..), Field::Text(_)) => Ordering::Less,
        (Field::Text(_), Field::Number(..)) => Ordering::Greater,
    };
    ordered.then(a.id.cmp(&b.id))
}

#[derive(Serialize)]
struct SearchPage<'a> {
    total: usize,
    results: Vec<RecordJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paging: Option<Paging>,
}

fn usize_param(value: Option<&Value>, name: &str) -> Result<Option<usize>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|n| Some(n as usize))
            .ok_or_else(|| validation_error(format!("{name} must be a non-negative integer"))),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s.parse::<usize>().map(Some).map_err(|_| {
            validation_error(format!("{name} must be a non-negative integer, got {s:?}"))
        }),
        Some(_) => Err(validation_error(format!(
            "{name} must be a non-negative integer"
        ))),
    }
}

async fn search(
    State(shared): AppState,
    Path(object_type): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = format!("POST /crm/v3/objects/{object_type}/search");
    if let Err(error) = gate(&shared, &headers, Kind::Search, route).await {
        return error.into_response();
    }
    run_search(&shared, &object_type, &body).unwrap_or_else(IntoResponse::into_response)
}

fn run_search(shared: &Shared, object_type: &str, body: &Bytes) -> Result<Response, ApiError> {
    let ty = parse_type(object_type)?;
    let request: SearchRequest = parse_json(body)?;
    let limit = usize_param(request.limit.as_ref(), "limit")?.unwrap_or(10);
    if limit > SEARCH_MAX_LIMIT {
        return Err(validation_error(format!(
            "limit must be less than or equal to {SEARCH_MAX_LIMIT}"
        )));
    }
    let after = usize_param(request.after.as_ref(), "after")?.unwrap_or(0);
    if after >= SEARCH_RESULT_CAP {
        return Err(validation_error(format!(
            "Search requests are limited to {SEARCH_RESULT_CAP} results; `after` {after} is past that limit. \
             Narrow the query with filters instead of paging further."
        )));
    }
    if request.filter_groups.len() > 5 {
        return Err(validation_error("At most 5 filterGroups are allowed"));
    }
    if request.filter_groups.iter().any(|g| g.filters.len() > 6) {
        return Err(validation_error(
            "At most 6 filters are allowed in a filterGroup",
        ));
    }
    if request
        .filter_groups
        .iter()
        .map(|g| g.filters.len())
        .sum::<usize>()
        > 18
    {
        return Err(validation_error("At most 18 filters are allowed in all"));
    }
    if request.sorts.len() > 1 {
        return Err(validation_error("Only one sort is allowed"));
    }
    let groups: Vec<Vec<CompiledFilter>> = request
        .filter_groups
        .iter()
        .map(|g| g.filters.iter().map(compile_filter).collect())
        .collect::<Result<_, _>>()?;
    let sort = request.sorts.first().map(|s| match s {
        SortSpec::Text(text) => match text.strip_prefix('-') {
            Some(name) => (name.to_owned(), true),
            None => (text.clone(), false),
        },
        SortSpec::Object {
            property_name,
            direction,
        } => (
            property_name.clone(),
            direction
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case("DESCENDING")),
        ),
    });
    let query = request
        .query
        .as_deref()
        .map(str::to_lowercase)
        .filter(|q| !q.trim().is_empty());
    let props = PropSelection::from_names(request.properties.iter().map(String::as_str));
    let visible_before = now_ms() - shared.config.search_lag_ms as i64;
    let lag = shared.config.search_lag_ms > 0;

    let portal = read(&shared.portal);
    let table = portal.table(ty);
    let mut hits: Vec<&Record> = table
        .records
        .iter()
        .filter(|rec| rec.is_live() && (!lag || rec.updated_ms <= visible_before))
        .filter(|rec| {
            groups.is_empty() || groups.iter().any(|g| g.iter().all(|f| matches(f, ty, rec)))
        })
        .filter(|rec| {
            query.as_ref().is_none_or(|q| {
                rec.props.iter().any(|(_, v)| {
                    v.as_deref()
                        .is_some_and(|v| v.to_lowercase().contains(q.as_str()))
                })
            })
        })
        .collect();
    if let Some((property, descending)) = &sort {
        // Records are held in id order, so an ascending id sort is already done.
        if property != "hs_object_id" || *descending {
            hits.sort_by(|a, b| {
                let ordered = sort_key_cmp(ty, property, a, b);
                if *descending {
                    ordered.reverse()
                } else {
                    ordered
                }
            });
        }
    }
    let total = hits.len();
    let end = (after + limit).min(total).min(SEARCH_RESULT_CAP);
    let start = after.min(end);
    let results = hits[start..end]
        .iter()
        .map(|rec| RecordJson {
            ty,
            rec,
            props: &props,
            assoc: &[],
        })
        .collect();
    let paging = (end < total).then(|| Paging {
        next: NextPage {
            after: end.to_string(),
            link: None,
        },
    });
    Ok(json_response(
        StatusCode::OK,
        &SearchPage {
            total,
            results,
            paging,
        },
    ))
}

/// HubSpot's label-less primary association type between a record and its company.
fn primary_type_id(from: ObjectType, to: ObjectType) -> Option<u32> {
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
struct AssociationType {
    category: &'static str,
    type_id: u32,
    label: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssociationTo {
    to_object_id: u64,
    association_types: Vec<AssociationType>,
}

#[derive(Serialize)]
struct FromId {
    id: String,
}

#[derive(Serialize)]
struct AssociationResult {
    from: FromId,
    to: Vec<AssociationTo>,
}

async fn association_batch_read(
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
        let table = portal.table(from_ty);
        let type_id = association_type_id(from_ty, to_ty);
        let primary = primary_type_id(from_ty, to_ty);
        let mut results = Vec::new();
        let mut errors = Vec::new();
        for input in &request.inputs {
            let text = id_text(&input.id);
            let rec = text.parse::<u64>().ok().and_then(|id| table.get(id)).filter(|r| r.is_live());
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

fn oauth_error(status: &str, error: &str, message: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({
            "status": status,
            "message": message,
            "correlationId": correlation_id(),
            "error": error,
            "error_description": message,
        }),
    )
}

async fn authorize(State(shared): AppState, RawQuery(raw): RawQuery) -> Response {
    shared.count("GET /oauth/authorize".to_owned(), false);
    let pairs: HashMap<String, String> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    if pairs.get("client_id") != Some(&shared.config.client_id) {
        return oauth_error(
            "BAD_CLIENT_ID",
            "invalid_client",
            "The client_id is unknown",
        );
    }
    let Some(redirect_uri) = pairs.get("redirect_uri") else {
        return oauth_error(
            "BAD_REDIRECT_URI",
            "invalid_request",
            "redirect_uri is required",
        );
    };
    let Ok(mut target) = url::Url::parse(redirect_uri) else {
        return oauth_error(
            "BAD_REDIRECT_URI",
            "invalid_request",
            "redirect_uri is not a valid URL",
        );
    };
    let code = new_code(&shared, Some(redirect_uri.clone()));
    {
        let mut query = target.query_pairs_mut();
        query.append_pair("code", &code);
        if let Some(state) = pairs.get("state") {
            query.append_pair("state", state);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

pub(crate) fn new_code(shared: &Shared, redirect_uri: Option<String>) -> String {
    let code = format!("sbx-code-{}", uuid::Uuid::new_v4().simple());
    lock(&shared.auth)
        .codes
        .insert(code.clone(), AuthCode { redirect_uri });
    code
}

/// Issues a fresh access token, and a refresh token unless one is being reused.
pub(crate) fn new_tokens(shared: &Shared, refresh_token: Option<String>) -> crate::OAuthTokens {
    let access_token = format!("sbx-at-na1-{}", uuid::Uuid::new_v4().simple());
    let refresh_token = refresh_token
        .unwrap_or_else(|| format!("na1-sbx-{}", uuid::Uuid::new_v4().as_hyphenated()));
    let ttl = shared.config.access_token_ttl_secs;
    let mut auth = lock(&shared.auth);
    auth.access.insert(
        access_token.clone(),
        AccessToken {
            expires_at_ms: now_ms() + (ttl as i64) * 1000,
            force_expired: false,
            revoked: false,
        },
    );
    auth.refresh
        .entry(refresh_token.clone())
        .or_insert(RefreshToken { dead: false });
    crate::OAuthTokens {
        access_token,
        refresh_token,
        expires_in: ttl,
    }
}

async fn token(State(shared): AppState, body: Bytes) -> Response {
    shared.count("POST /oauth/v1/token".to_owned(), false);
    let Ok(form) = serde_urlencoded::from_bytes::<HashMap<String, String>>(&body) else {
        return oauth_error(
            "BAD_REQUEST",
            "invalid_request",
            "The body must be form-encoded",
        );
    };
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("client_id") != shared.config.client_id {
        return oauth_error(
            "BAD_CLIENT_ID",
            "invalid_client",
            "missing or invalid client_id",
        );
    }
    if field("client_secret") != shared.config.client_secret {
        return oauth_error(
            "BAD_CLIENT_SECRET",
            "invalid_client",
            "missing or invalid client_secret",
        );
    }
    let tokens = match field("grant_type") {
        "authorization_code" => {
            let code = lock(&shared.auth).codes.remove(field("code"));
            match code {
                None => {
                    return oauth_error(
                        "BAD_AUTH_CODE",
                        "invalid_grant",
                        "missing or unknown auth code",
                    )
                }
                Some(AuthCode {
                    redirect_uri: Some(expected),
                }) if expected != field("redirect_uri") => {
                    return oauth_error(
                        "BAD_REDIRECT_URI",
                        "invalid_grant",
                        "redirect_uri does not match the one used to authorize",
                    )
                }
                Some(_) => new_tokens(&shared, None),
            }
        }
        "refresh_token" => {
            let refresh_token = field("refresh_token").to_owned();
            let alive = lock(&shared.auth)
                .refresh
                .get(&refresh_token)
                .is_some_and(|r| !r.dead);
            if !alive {
                return oauth_error(
                    "BAD_REFRESH_TOKEN",
                    "invalid_grant",
                    "missing or invalid refresh token",
                );
            }
            new_tokens(&shared, Some(refresh_token))
        }
        other => {
            return oauth_error(
                "BAD_GRANT_TYPE",
                "unsupported_grant_type",
                &format!("unsupported grant_type {other:?}"),
            )
        }
    };
    json_response(
        StatusCode::OK,
        &json!({
            "token_type": "bearer",
            "refresh_token": tokens.refresh_token,
            "access_token": tokens.access_token,
            "expires_in": tokens.expires_in,
        }),
    )
}

async fn access_token_info(State(shared): AppState, Path(token): Path<String>) -> Response {
    shared.count("GET /oauth/v1/access-tokens/{token}".to_owned(), false);
    let expires_at = {
        let auth = lock(&shared.auth);
        auth.access.get(&token).filter(|t| !t.revoked).map(|t| {
            if t.force_expired {
                0
            } else {
                t.expires_at_ms
            }
        })
    };
    let Some(expires_at) = expires_at else {
        return error_response(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "The access token was not found",
        );
    };
    let expires_in = (expires_at - now_ms()) / 1000;
    if expires_in <= 0 {
        return error_response(
            StatusCode::UNAUTHORIZED,
            "EXPIRED_AUTHENTICATION",
            "The OAuth token used to make this call expired.",
        );
    }
    json_response(
        StatusCode::OK,
        &json!({
            "token": token,
            "user": "sandbox.user@example.com",
            "hub_domain": format!("sandbox-{}.hubspot.com", shared.config.portal_id),
            "scopes": SCOPES,
            "hub_id": shared.config.portal_id,
            "app_id": shared.config.app_id,
            "expires_in": expires_in,
            "user_id": 7_654_321,
            "token_type": "access",
        }),
    )
}

async fn refresh_token_info(State(shared): AppState, Path(token): Path<String>) -> Response {
    shared.count("GET /oauth/v1/refresh-tokens/{token}".to_owned(), false);
    let alive = lock(&shared.auth)
        .refresh
        .get(&token)
        .is_some_and(|r| !r.dead);
    if !alive {
        return error_response(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "The refresh token was not found",
        );
    }
    json_response(
        StatusCode::OK,
        &json!({
            "token": token,
            "user": "sandbox.user@example.com",
            "hub_domain": format!("sandbox-{}.hubspot.com", shared.config.portal_id),
            "scopes": SCOPES,
            "hub_id": shared.config.portal_id,
            "client_id": shared.config.client_id,
            "user_id": 7_654_321,
            "token_type": "refresh",
        }),
    )
}

async fn not_found(State(shared): AppState) -> Response {
    shared.count("unmatched".to_owned(), false);
    ApiError::NotFound.into_response()
}
