//! Extractors whose rejections are problem details that name what was wrong.

use crate::api::error::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// Query parameters; a value that does not parse is a 400 naming the parameter, and so is an unknown
/// parameter when `T` denies unknown fields.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let reason = error.inner().to_string();
        let name = if path.is_empty() || path == "." {
            unknown_field_name(&reason).unwrap_or_else(|| "query".to_string())
        } else {
            path
        };
        ApiError::bad_parameter(name, reason)
    })
}

/// serde reports an unknown field as "unknown field `x`, expected ..." at the parent's path.
fn unknown_field_name(reason: &str) -> Option<String> {
    let rest = reason.strip_prefix("unknown field `")?;
    rest.split('`').next().map(str::to_string)
}

/// A JSON body; syntax errors are 400, a body of the wrong shape is 422, both with serde's message
/// (which names the member and position), and a missing JSON content type is 415.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = match &rejection {
        JsonRejection::JsonDataError(_) => StatusCode::UNPROCESSABLE_ENTITY,
        JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        JsonRejection::JsonSyntaxError(_) => StatusCode::BAD_REQUEST,
        // A body over the limit is 413; one that could not be read is 400.
        JsonRejection::BytesRejection(bytes) => match bytes.status() {
            StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        },
        _ => StatusCode::BAD_REQUEST,
    };
    ApiError::BadBody {
        status,
        message: rejection.body_text(),
    }
}

/// A JSON body that may be left out: no body at all (or only whitespace), or JSON `null`, is `None`
/// (the OpenAPI document says `null` or the object); anything else is read as [`ApiJson`] reads it,
/// with the same statuses.
#[derive(Debug, Clone)]
pub struct OptionalApiJson<T>(pub Option<T>);

impl<T, S> FromRequest<S> for OptionalApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|rejection| json_rejection(JsonRejection::from(rejection)))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalApiJson(None));
        }
        let request = Request::from_parts(parts, Body::from(bytes));
        ApiJson::<Option<T>>::from_request(request, state)
            .await
            .map(|ApiJson(value)| OptionalApiJson(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        limit: Option<u32>,
        status: Option<crate::domain::InsightStatus>,
    }

    fn parameter_of(query: &str) -> String {
        match parse_query::<Sample>(query) {
            Err(ApiError::BadParameter { name, .. }) => name,
            other => panic!("expected a bad parameter, got {other:?}"),
        }
    }

    #[test]
    fn names_the_parameter_that_does_not_parse() {
        assert_eq!(parameter_of("limit=abc"), "limit");
        assert_eq!(parameter_of("limit=10&status=pending"), "status");
        assert_eq!(parameter_of("limit=10&colour=red"), "colour");
    }

    #[test]
    fn parses_known_parameters() {
        let sample: Sample = parse_query("limit=10&status=open").unwrap();
        assert_eq!(sample.limit, Some(10));
        assert_eq!(sample.status, Some(crate::domain::InsightStatus::Open));
    }
}
