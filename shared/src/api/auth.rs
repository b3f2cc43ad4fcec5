//! Who is calling. On AWS, API Gateway's JWT authorizer has already verified the token and put its
//! claims in the request context; locally a development token stands in. The tenant never comes from
//! the path, the query or the body.

use crate::api::error::ApiError;
use crate::api::ApiState;
use crate::domain::{Role, TenantId};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use lambda_http::request::RequestContext;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

pub use crate::config::api::{DEFAULT_ROLE_CLAIM, DEFAULT_TENANT_CLAIM};

/// How callers are authenticated, chosen once at startup.
#[derive(Debug, Clone)]
pub enum Authenticator {
    /// Trust the claims API Gateway's JWT authorizer verified: the tenant from `tenant_claim`, the
    /// subject from `sub`, the role from `role_claim` (missing or unknown: viewer).
    ApiGatewayJwt {
        tenant_claim: String,
        role_claim: String,
    },
    /// Local development: `Authorization: Bearer <token>` is the given tenant and subject.
    DevelopmentToken {
        token: SecretString,
        tenant_id: TenantId,
        subject: String,
    },
}

impl Authenticator {
    /// Trusts API Gateway's claims, the role in the default role claim ([`DEFAULT_ROLE_CLAIM`]).
    pub fn api_gateway(tenant_claim: impl Into<String>) -> Self {
        Authenticator::ApiGatewayJwt {
            tenant_claim: tenant_claim.into(),
            role_claim: DEFAULT_ROLE_CLAIM.to_string(),
        }
    }

    /// Reads the role from `claim` instead (a development token is always admin).
    pub fn with_role_claim(self, claim: impl Into<String>) -> Self {
        match self {
            Authenticator::ApiGatewayJwt { tenant_claim, .. } => Authenticator::ApiGatewayJwt {
                tenant_claim,
                role_claim: claim.into(),
            },
            other => other,
        }
    }

    /// The caller, or `None` when the request carries no acceptable credentials.
    pub fn caller(&self, parts: &Parts) -> Option<Caller> {
        match self {
            Authenticator::ApiGatewayJwt {
                tenant_claim,
                role_claim,
            } => {
                let context = parts.extensions.get::<RequestContext>()?;
                let jwt = context.authorizer()?.jwt.as_ref()?;
                let tenant_id = TenantId::parse(jwt.claims.get(tenant_claim)?.trim()).ok()?;
                let subject = jwt
                    .claims
                    .get("sub")
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "unknown".to_string());
                // A missing or unknown role reads as the least one: a typo in the identity
                // provider must never grant more.
                let role = jwt
                    .claims
                    .get(role_claim)
                    .and_then(|value| Role::parse(value))
                    .unwrap_or_default();
                Some(Caller {
                    tenant_id,
                    subject,
                    role,
                    request_id: request_id(parts),
                })
            }
            Authenticator::DevelopmentToken {
                token,
                tenant_id,
                subject,
            } => {
                let presented = bearer_token(&parts.headers)?;
                let expected = token.expose_secret().as_bytes();
                if bool::from(presented.as_bytes().ct_eq(expected)) {
                    Some(Caller {
                        tenant_id: tenant_id.clone(),
                        subject: subject.clone(),
                        role: Role::Admin,
                        request_id: request_id(parts),
                    })
                } else {
                    None
                }
            }
        }
    }
}

/// API Gateway's id of the request, when it came through API Gateway (or the local runner's stand-in).
fn request_id(parts: &Parts) -> Option<String> {
    match parts.extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(context) => context.request_id.clone(),
        _ => None,
    }
    .filter(|id| !id.is_empty())
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The authenticated caller: the tenant whose data the request may touch, and who they are (for audit
/// fields such as `status_changed_by`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant_id: TenantId,
    pub subject: String,
    /// What the caller may do (from the role claim; `Viewer` when there is none).
    pub role: Role,
    /// The request this call came in (API Gateway's request id), for the audit trail.
    pub request_id: Option<String>,
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        state
            .authenticator
            .caller(parts)
            .ok_or(ApiError::Unauthenticated)
    }
}

impl axum::extract::OptionalFromRequestParts<ApiState> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(state.authenticator.caller(parts))
    }
}
