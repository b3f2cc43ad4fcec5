//! PayPal's error bodies and the small wire helpers every route shares.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};

/// One entry of an error's `details`.
#[derive(Clone, Debug)]
pub(crate) struct Detail {
    pub field: String,
    pub value: Option<String>,
    pub location: &'static str,
    pub issue: String,
    pub description: String,
}

impl Detail {
    pub fn query(field: &str, value: Option<&str>, issue: &str, description: &str) -> Self {
        Self {
            field: field.to_owned(),
            value: value.map(str::to_owned),
            location: "query",
            issue: issue.to_owned(),
            description: description.to_owned(),
        }
    }

    pub fn body(field: &str, value: Option<&str>, issue: &str, description: &str) -> Self {
        Self {
            location: "body",
            ..Self::query(field, value, issue, description)
        }
    }

    fn to_json(&self) -> Value {
        let mut detail = json!({
            "field": self.field,
            "location": self.location,
            "issue": self.issue,
            "description": self.description,
        });
        if let (Some(value), Some(map)) = (&self.value, detail.as_object_mut()) {
            map.insert("value".into(), value.clone().into());
        }
        detail
    }
}

/// A refused API call; `respond` gives PayPal's status, headers and body for it.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// 400 INVALID_REQUEST; `message` overrides the schema message (e.g. "Data for the given start
    /// date is not available.").
    Invalid {
        message: Option<&'static str>,
        details: Vec<Detail>,
    },
    /// 401 with the OAuth error body PayPal gives for a bad bearer token.
    InvalidToken(&'static str),
    /// 401 AUTHENTICATION_FAILURE: no bearer token at all.
    AuthenticationFailure,
    /// 403 NOT_AUTHORIZED: the app lacks the permission (e.g. Transaction Search not ticked).
    NotAuthorized,
    /// 404 RESOURCE_NOT_FOUND.
    NotFound { details: Vec<Detail> },
    /// 429 RATE_LIMIT_REACHED; `Retry-After` seconds when given.
    RateLimited { retry_after_secs: Option<u64> },
    /// 500 INTERNAL_SERVER_ERROR or 503 SERVICE_UNAVAILABLE.
    Server(u16),
}

impl ApiError {
    pub fn invalid(details: Vec<Detail>) -> Self {
        ApiError::Invalid {
            message: None,
            details,
        }
    }

    pub fn respond(self, debug_id: &str) -> Response {
        match self {
            ApiError::Invalid { message, details } => json_response(
                StatusCode::BAD_REQUEST,
                &json!({
                    "name": "INVALID_REQUEST",
                    "message": message.unwrap_or(
                        "Request is not well-formed, syntactically incorrect, or violates schema."
                    ),
                    "debug_id": debug_id,
                    "details": details.iter().map(Detail::to_json).collect::<Vec<_>>(),
                    "links": [information_link("INVALID_REQUEST")],
                }),
                debug_id,
            ),
            ApiError::InvalidToken(description) => json_response(
                StatusCode::UNAUTHORIZED,
                &json!({ "error": "invalid_token", "error_description": description }),
                debug_id,
            ),
            ApiError::AuthenticationFailure => json_response(
                StatusCode::UNAUTHORIZED,
                &json!({
                    "name": "AUTHENTICATION_FAILURE",
                    "message": "Authentication failed due to missing authorization header, or invalid authentication credentials.",
                    "debug_id": debug_id,
                    "links": [information_link("AUTHENTICATION_FAILURE")],
                }),
                debug_id,
            ),
            ApiError::NotAuthorized => json_response(
                StatusCode::FORBIDDEN,
                &json!({
                    "name": "NOT_AUTHORIZED",
                    "message": "Authorization failed due to insufficient permissions.",
                    "debug_id": debug_id,
                    "details": [{
                        "issue": "PERMISSION_DENIED",
                        "description": "You do not have permission to access or perform operations on this resource."
                    }],
                    "links": [information_link("NOT_AUTHORIZED")],
                }),
                debug_id,
            ),
            ApiError::NotFound { details } => json_response(
                StatusCode::NOT_FOUND,
                &json!({
                    "name": "RESOURCE_NOT_FOUND",
                    "message": "The specified resource does not exist.",
                    "debug_id": debug_id,
                    "details": details.iter().map(Detail::to_json).collect::<Vec<_>>(),
                    "links": [information_link("RESOURCE_NOT_FOUND")],
                }),
                debug_id,
            ),
            ApiError::RateLimited { retry_after_secs } => {
                let mut response = json_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    &json!({
                        "name": "RATE_LIMIT_REACHED",
                        "message": "Too many requests. Blocked due to rate limiting.",
                        "debug_id": debug_id,
                    }),
                    debug_id,
                );
                if let Some(secs) = retry_after_secs {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                response
            }
            ApiError::Server(503) => json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({
                    "name": "SERVICE_UNAVAILABLE",
                    "message": "Service Unavailable.",
                    "debug_id": debug_id,
                    "links": [information_link("SERVICE_UNAVAILABLE")],
                }),
                debug_id,
            ),
            ApiError::Server(_) => json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({
                    "name": "INTERNAL_SERVER_ERROR",
                    "message": "An internal server error occurred.",
                    "debug_id": debug_id,
                    "links": [information_link("INTERNAL_SERVER_ERROR")],
                }),
                debug_id,
            ),
        }
    }
}

fn information_link(name: &str) -> Value {
    json!({
        "href": format!("https://developer.paypal.com/api/rest/reference/orders/v2/errors/#{name}"),
        "rel": "information_link",
    })
}

/// A JSON answer with PayPal's `Paypal-Debug-Id` header.
pub(crate) fn json_response(status: StatusCode, body: &Value, debug_id: &str) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Body::from(bytes),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(debug_id) {
        response.headers_mut().insert("paypal-debug-id", value);
    }
    response
}

pub(crate) fn link(href: String, rel: &str, method: &str) -> Value {
    json!({ "href": href, "rel": rel, "method": method })
}

/// An RFC 3339 instant with seconds (fractions optional). PayPal also takes `-0700` offsets without a
/// colon, so they are accepted too.
pub(crate) fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    if text.len() < 20 {
        return None;
    }
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// A stand-alone `YYYY-MM-DD` date (`date_no_time`).
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    if text.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Parses a `page`-like query integer within `min..=max`, with PayPal's issue codes when it is not.
pub(crate) fn bounded_int(
    field: &str,
    raw: Option<&str>,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, Detail> {
    let Some(raw) = raw else { return Ok(default) };
    let value: i64 = raw.trim().parse().map_err(|_| {
        Detail::query(
            field,
            Some(raw),
            "INVALID_PARAMETER_SYNTAX",
            "The value of a field does not conform to the expected format.",
        )
    })?;
    if value < min as i64 {
        return Err(Detail::query(
            field,
            Some(raw),
            "INVALID_INTEGER_MIN_VALUE",
            "Value less than minimum value.",
        ));
    }
    if value > max as i64 {
        return Err(Detail::query(
            field,
            Some(raw),
            "INVALID_INTEGER_MAX_VALUE",
            "Value exceeds max value.",
        ));
    }
    Ok(value as u64)
}
