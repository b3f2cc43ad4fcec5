//! The API's one error type and the problem-details body it becomes (RFC 9457). Statuses are decided
//! here and nowhere else; the cause of a server-side failure is logged, never shown.

use crate::ports::{BusError, StoreError, VaultError};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// The `type` URIs are relative references, resolved against the API's base URL.
const PROBLEM_TYPE_PREFIX: &str = "/problems/";
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request carries no valid credentials")]
    Unauthenticated,
    /// The caller is signed in, but their role does not allow this.
    #[error("needs the {required} role, the caller is {role}")]
    Forbidden {
        required: crate::domain::Role,
        role: crate::domain::Role,
    },
    #[error("no route for {path}")]
    RouteNotFound { path: String },
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    #[error("parameter {name}: {reason}")]
    BadParameter { name: String, reason: String },
    /// A body that is not JSON, or not the JSON this route expects.
    #[error("{message}")]
    BadBody { status: StatusCode, message: String },
    /// A body that parses but breaks a rule; `field` names the offending member.
    #[error("{field} {reason}")]
    InvalidField { field: String, reason: String },
    #[error("{detail}")]
    Conflict { detail: String },
    /// HubSpot refused the tenant's tokens: nothing syncs until someone installs the app again.
    #[error("the tenant must re-connect HubSpot")]
    NeedsReauth {
        install_url: String,
        reason: Option<String>,
    },
    /// Onboarding failed in a way the user can act on (denied consent, an expired link).
    #[error("{detail}")]
    OAuth { detail: String },
    /// The request line is longer than the API reads (see [`MAX_URI_BYTES`](crate::api::MAX_URI_BYTES)).
    #[error("the URI is longer than {limit} bytes")]
    UriTooLong { limit: usize },
    /// Connecting HubSpot needs the app's client id and secret, and this deployment has none (or
    /// the template's placeholders). Retrying does not help until an operator sets them.
    #[error("the HubSpot app is not configured: {reason}")]
    OAuthNotConfigured { reason: String },
    /// A platform refused the credentials given for a new connection; nothing was saved.
    #[error("{platform} refused the credentials")]
    CredentialsRefused {
        platform: &'static str,
        reason: String,
    },
    /// This deployment has no client for the platform, so no connection to it can be made.
    #[error("{platform} is not configured")]
    PlatformNotConfigured { platform: &'static str },
    /// A downstream service (store, bus, vault, HubSpot) is unavailable; retrying later may work.
    #[error("{what} unavailable")]
    Unavailable {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("internal error")]
    Internal {
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// A problem-details body (RFC 9457) with two optional extension members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// A relative URI naming the kind of problem, e.g. `/problems/not-found`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The query or path parameter that was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// The body member that was refused (`thresholds.inactive_days`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Where to connect HubSpot again (`/problems/needs-reauth` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect_url: Option<String>,
    /// The role the operation needs (`/problems/forbidden` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_role: Option<crate::domain::Role>,
    /// The caller's role (`/problems/forbidden` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<crate::domain::Role>,
}

impl ApiError {
    pub fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal {
            source: Box::new(source),
        }
    }

    pub fn bad_parameter(name: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::BadParameter {
            name: name.into(),
            reason: reason.into(),
        }
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            detail: detail.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::RouteNotFound { .. } | ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadParameter { .. }
            | ApiError::InvalidField { .. }
            | ApiError::OAuth { .. } => StatusCode::BAD_REQUEST,
            ApiError::CredentialsRefused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadBody { status, .. } => *status,
            ApiError::Conflict { .. } | ApiError::NeedsReauth { .. } => StatusCode::CONFLICT,
            ApiError::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            ApiError::OAuthNotConfigured { .. }
            | ApiError::PlatformNotConfigured { .. }
            | ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::RouteNotFound { .. } => "route-not-found",
            ApiError::NotFound { .. } => "not-found",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::BadParameter { .. } => "bad-parameter",
            ApiError::BadBody { .. } => "bad-body",
            ApiError::InvalidField { .. } => "invalid-field",
            ApiError::Conflict { .. } => "conflict",
            ApiError::NeedsReauth { .. } => "needs-reauth",
            ApiError::UriTooLong { .. } => "uri-too-long",
            ApiError::OAuthNotConfigured { .. } => "oauth-not-configured",
            ApiError::OAuth { .. } => "oauth-failed",
            ApiError::CredentialsRefused { .. } => "credentials-refused",
            ApiError::PlatformNotConfigured { .. } => "platform-not-configured",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Internal { .. } => "internal",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        let detail = match self {
            ApiError::Unauthenticated => {
                "Sign in again: the request carries no valid credentials.".to_string()
            }
            ApiError::Forbidden { required, role } => format!(
                "This needs the {required} role (or a higher one); you are signed in as {role}. \
                 Ask an admin of your organisation to change your role."
            ),
            ApiError::RouteNotFound { path } => format!("There is no route {path}."),
            ApiError::MethodNotAllowed => {
                "This route does not answer that method; see /openapi.json.".to_string()
            }
            ApiError::NotFound { entity } => format!("No {entity} with this id."),
            ApiError::BadParameter { name, reason } => format!("Parameter `{name}`: {reason}."),
            ApiError::BadBody { message, .. } => message.clone(),
            ApiError::InvalidField { field, reason } => format!("`{field}` {reason}."),
            ApiError::Conflict { detail } | ApiError::OAuth { detail } => detail.clone(),
            ApiError::NeedsReauth {
                install_url,
                reason,
            } => match reason {
                Some(reason) => format!(
                    "HubSpot no longer accepts this connection ({reason}); nothing syncs until you \
                     re-connect HubSpot at {install_url}."
                ),
                None => format!(
                    "HubSpot no longer accepts this connection; nothing syncs until you re-connect \
                     HubSpot at {install_url}."
                ),
            },
            ApiError::UriTooLong { limit } => {
                format!("The URI is longer than {limit} bytes; shorten the query.")
            }
            ApiError::OAuthNotConfigured { .. } => {
                "Connecting HubSpot is not set up here: the HubSpot app's client_id and \
                 client_secret are missing or still placeholders. An operator must set them \
                 (infra/DEPLOY.md); retrying does not help until then."
                    .to_string()
            }
            ApiError::CredentialsRefused { platform, reason } => format!(
                "{platform} refused these credentials ({reason}); nothing was saved. Check the \
                 client id, the secret and the environment (sandbox or live)."
            ),
            ApiError::PlatformNotConfigured { platform } => format!(
                "{platform} is not configured on this deployment, so no connection to it can be \
                 made; retrying does not help until an operator sets it up."
            ),
            ApiError::Unavailable { what, .. } => {
                format!("The {what} is unavailable right now; try again shortly.")
            }
            ApiError::Internal { .. } => "Something went wrong on our side.".to_string(),
        };
        Problem {
            problem_type: format!("{PROBLEM_TYPE_PREFIX}{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            parameter: match self {
                ApiError::BadParameter { name, .. } => Some(name.clone()),
                _ => None,
            },
            field: match self {
                ApiError::InvalidField { field, .. } => Some(field.clone()),
                _ => None,
            },
            reconnect_url: match self {
                ApiError::NeedsReauth { install_url, .. } => Some(install_url.clone()),
                _ => None,
            },
            required_role: match self {
                ApiError::Forbidden { required, .. } => Some(*required),
                _ => None,
            },
            role: match self {
                ApiError::Forbidden { role, .. } => Some(*role),
                _ => None,
            },
        }
    }

    fn log(&self) {
        match self {
            ApiError::Unavailable { .. } | ApiError::Internal { .. } => {
                tracing::error!(error = %ErrorChain(self), status = self.status().as_u16(), "request failed");
            }
            // Logged once where the configuration is read, not on every request it refuses.
            ApiError::OAuthNotConfigured { .. } => {
                tracing::debug!(error = %self, status = self.status().as_u16(), "request refused")
            }
            _ => tracing::debug!(error = %self, status = self.status().as_u16(), "request refused"),
        }
    }
}

/// Formats an error with its sources, `a: b: c`, for the log.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status(), body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        if matches!(self, ApiError::Unauthenticated) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { entity, .. } => ApiError::NotFound { entity },
            StoreError::Conflict { entity, .. } => ApiError::conflict(format!(
                "The {entity} was changed by someone else; read it again and retry."
            )),
            StoreError::Throttled(_) | StoreError::Unavailable(_) => ApiError::Unavailable {
                what: "store",
                source: Box::new(error),
            },
            StoreError::InvalidInput(_) | StoreError::Corrupt(_) => ApiError::internal(error),
        }
    }
}

impl From<BusError> for ApiError {
    fn from(error: BusError) -> Self {
        if error.is_retryable() {
            ApiError::Unavailable {
                what: "event bus",
                source: Box::new(error),
            }
        } else {
            ApiError::internal(error)
        }
    }
}

impl From<VaultError> for ApiError {
    fn from(error: VaultError) -> Self {
        match error {
            VaultError::Unavailable(_) => ApiError::Unavailable {
                what: "secret store",
                source: Box::new(error),
            },
            _ => ApiError::internal(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let error = ApiError::internal(StoreError::Corrupt("PK=TENANT#a SK=SECRET".into()));
        let problem = error.problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("TENANT#"), "{}", problem.detail);
    }

    #[test]
    fn store_conflict_becomes_409_and_not_found_404() {
        let conflict: ApiError = StoreError::Conflict {
            entity: "insight",
            id: "x".into(),
        }
        .into();
        assert_eq!(conflict.status(), StatusCode::CONFLICT);
        let missing: ApiError = StoreError::NotFound {
            entity: "insight",
            id: "x".into(),
        }
        .into();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(missing.problem().problem_type, "/problems/not-found");
    }

    #[test]
    fn forbidden_names_the_role_needed_and_the_callers() {
        let problem = ApiError::Forbidden {
            required: crate::domain::Role::Admin,
            role: crate::domain::Role::Editor,
        }
        .problem();
        assert_eq!(problem.status, 403);
        assert_eq!(problem.problem_type, "/problems/forbidden");
        assert_eq!(problem.required_role, Some(crate::domain::Role::Admin));
        assert_eq!(problem.role, Some(crate::domain::Role::Editor));
        assert!(problem.detail.contains("admin") && problem.detail.contains("editor"));
    }

    #[test]
    fn bad_parameter_names_the_parameter() {
        let problem = ApiError::bad_parameter("limit", "must be between 1 and 200").problem();
        assert_eq!(problem.status, 400);
        assert_eq!(problem.parameter.as_deref(), Some("limit"));
        assert!(problem.detail.contains("limit"));
    }
}
