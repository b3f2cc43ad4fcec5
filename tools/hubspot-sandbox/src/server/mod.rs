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

mod associations;
mod oauth;
mod objects;
mod properties;
mod search;
mod writes;

use associations::*;
use oauth::*;
use objects::*;
use properties::*;
use search::*;
use writes::*;

pub(crate) use oauth::{new_code, new_tokens};

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
/// The scopes write-back asks for as optional ones: company properties and their definitions, and
/// tasks (HubSpot guards task writes with the contacts write scope).
pub(crate) const WRITE_SCOPES: &[&str] = &[
    "crm.objects.companies.write",
    "crm.schemas.companies.write",
    "crm.objects.contacts.write",
];

/// The scopes a token holds: the read scopes, and the write ones when the install granted them.
pub(crate) fn granted_scopes(write: bool) -> Vec<&'static str> {
    let mut scopes = SCOPES.to_vec();
    if write {
        scopes.extend_from_slice(WRITE_SCOPES);
    }
    scopes
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/crm/v3/objects/{object_type}",
            get(list_objects).post(create_object),
        )
        .route(
            "/crm/v3/objects/{object_type}/{id}",
            get(read_object).patch(update_object),
        )
        .route("/crm/v3/objects/{object_type}/batch/read", post(batch_read))
        .route(
            "/crm/v3/objects/{object_type}/batch/update",
            post(batch_update),
        )
        .route(
            "/crm/v3/properties/{object_type}",
            get(list_properties).post(create_property),
        )
        .route(
            "/crm/v3/properties/{object_type}/groups",
            get(list_groups).post(create_group),
        )
        .route("/crm/v3/owners", get(list_owners))
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

/// The bearer token of the `Authorization` header.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let token = bearer_token(headers);
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

async fn not_found(State(shared): AppState) -> Response {
    shared.count("unmatched".to_owned(), false);
    ApiError::NotFound.into_response()
}

/// HubSpot's `paging` member of list and search pages.
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
