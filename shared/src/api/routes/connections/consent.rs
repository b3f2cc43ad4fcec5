//! Microsoft 365 admin consent: the link a customer's administrator opens, and the public callback
//! that records their consent.
//!
//! The link's `state` is signed (HMAC-SHA256) with the connection's webhook secret, so only the
//! connection that issued it can accept it, and carries a single-use nonce stored with
//! `put_oauth_state` (the HubSpot install's store), so a link works once and expires. The admin
//! may open it days later (the MSP sends it to the customer), hence the longer lifetime.
//!
//! The admin-consent URL is built here, from the documented endpoint
//! `GET https://login.microsoftonline.com/{tenant}/adminconsent?client_id&redirect_uri&state`,
//! which answers the redirect URI with `admin_consent=True&tenant={guid}&state` (or `error`,
//! `error_description`).

use super::create::{checked_text, parse_tenant_guid};
use super::m365::{credentials_of, customer_tenants_mut, m365_connection};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::routes::oauth::html_escape;
use crate::api::routes::path_id;
use crate::api::{ApiState, Caller};
use crate::domain::{
    ClientCredentials, ConnectionId, M365CustomerTenant, Platform, SyncMode, SyncTrigger, TenantId,
};
use crate::events::{ProductEvent, SyncRequested};
use crate::ports::{OAuthState, StoreError};
use crate::sources::m365::admin_consent_url;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How long a consent link stays valid: long enough to reach a customer's administrator.
pub const CONSENT_LINK_LIFETIME: Duration = Duration::days(7);
/// The callback's path on the API.
pub const CONSENT_CALLBACK_PATH: &str = "/oauth/m365/callback";

type HmacSha256 = Hmac<Sha256>;

/// The body of `POST /v1/connections/{id}/consent-links`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConsentLink {
    /// The customer's tenant id (a GUID), when known: the link then opens that tenant's sign-in
    /// and the callback accepts consent from that tenant only. Without it, the administrator's
    /// own tenant is recorded.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// A name for the tenant, recorded with it; 1-100 characters.
    #[serde(default)]
    pub label: Option<String>,
}

/// An admin-consent link for a customer's administrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsentLink {
    /// Microsoft's admin-consent page for the connection's app; works once.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Make an admin-consent link for a new customer tenant: its administrator opens it, consents the
/// MSP's app, and the tenant is recorded on the connection (and synced).
#[utoipa::path(
    post,
    path = "/v1/connections/{id}/consent-links",
    tag = "connections",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The connection id")),
    request_body(content = NewConsentLink, content_type = "application/json"),
    responses(
        (status = 201, description = "A single-use consent link", body = ConsentLink),
        (status = 400, description = "The id or a member is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a Microsoft 365 connection, or one made before consent links existed (connect it again)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a consent link request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The store or the secret store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_consent_link(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<NewConsentLink>,
) -> Result<Response, ApiError> {
    let id: ConnectionId = path_id(id)?;
    let expected = match body.tenant_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            parse_tenant_guid(raw)
                .ok_or_else(|| invalid("tenant_id", "must be a GUID (the customer's tenant id)"))?,
        ),
    };
    let label = match body.label.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(label) => Some(checked_text(label, "label")?),
    };
    let tenant_id = &caller.tenant_id;
    let connection = m365_connection(&state, tenant_id, &id).await?;
    let credentials = credentials_of(&state, &connection).await?;
    let key = signing_key(&credentials)?;
    let now = state.now();
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let expires_at = now + CONSENT_LINK_LIFETIME;
    state
        .store
        .put_oauth_state(&OAuthState {
            nonce: nonce.clone(),
            tenant_id: Some(tenant_id.clone()),
            created_at: now,
            expires_at,
        })
        .await?;
    let payload = ConsentState {
        tenant: tenant_id.to_string(),
        connection: id.to_string(),
        nonce,
        customer: expected.clone(),
        label,
    };
    let signed = sign_state(&payload, key)?;
    let url = admin_consent_url(
        login_base(&state).as_deref(),
        expected.as_deref(),
        &credentials.client_id,
        &callback_url(&state),
        &signed,
    )
    .map_err(ApiError::internal)?;
    let audit = crate::domain::AuditChange::new(
        "connection.consent_link_created",
        crate::domain::AuditEntityKind::Connection,
        &id,
    )
    .detail(serde_json::json!({"customer_tenant_id": expected, "expires_at": expires_at}));
    crate::api::audit::record(&state, &caller, audit).await?;
    Ok((StatusCode::CREATED, Json(ConsentLink { url, expires_at })).into_response())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsentCallbackQuery {
    /// `True` when the administrator consented.
    pub admin_consent: Option<String>,
    /// The tenant the administrator consented for (a GUID).
    pub tenant: Option<String>,
    /// The signed state the consent link carried.
    pub state: Option<String>,
    /// The permissions granted (Microsoft sends it; unused).
    pub scope: Option<String>,
    /// Set when consent was refused or failed.
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Microsoft sends the customer's administrator back here after consent: the tenant is recorded
/// as consented on the connection that issued the link, and a sync of it is requested.
#[utoipa::path(
    get,
    path = "/oauth/m365/callback",
    tag = "onboarding",
    params(ConsentCallbackQuery),
    responses(
        (status = 200, description = "The customer tenant is recorded", content_type = "text/html", body = String),
        (status = 400, description = "Consent was refused, or the link is unknown, expired, used, or for another tenant", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The store or the secret store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn consent_callback(
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<ConsentCallbackQuery>,
) -> Result<Response, ApiError> {
    if let Some(error) = query.error {
        let error: String = error
            .chars()
            .filter(|c| !c.is_control())
            .take(100)
            .collect();
        return Err(ApiError::OAuth {
            detail: format!(
                "Microsoft 365 consent was not granted ({error}); ask for a new consent link and \
                 have a Global Administrator of the customer's tenant accept it."
            ),
        });
    }
    let signed = query
        .state
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_parameter("state", "is required"))?;
    let customer = query
        .tenant
        .as_deref()
        .and_then(parse_tenant_guid)
        .ok_or_else(|| ApiError::bad_parameter("tenant", "is required and must be a GUID"))?;
    if !query
        .admin_consent
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return Err(ApiError::OAuth {
            detail: "Microsoft did not confirm the administrator's consent; open the consent \
                     link again."
                .to_string(),
        });
    }
    let foreign = || ApiError::OAuth {
        detail: "This consent link was not issued by us; ask for a new one.".to_string(),
    };
    let (payload, encoded, signature) = open_state(&signed).ok_or_else(foreign)?;
    let (Ok(tenant_id), Ok(connection_id)) = (
        TenantId::parse(payload.tenant.clone()),
        ConnectionId::parse(payload.connection.clone()),
    ) else {
        return Err(foreign());
    };
    let mut connection = match state.store.get_connection(&tenant_id, &connection_id).await {
        Ok(connection) if connection.platform == Platform::M365 => connection,
        Ok(_) | Err(StoreError::NotFound { .. }) => return Err(foreign()),
        Err(error) => return Err(error.into()),
    };
    let credentials = credentials_of(&state, &connection).await?;
    let key = signing_key(&credentials).map_err(|_| foreign())?;
    if !verify_signature(key, encoded, &signature) {
        tracing::warn!(connection = %connection_id, "consent callback with a forged state; refused");
        return Err(foreign());
    }
    if payload.customer.as_ref().is_some_and(|c| *c != customer) {
        return Err(ApiError::OAuth {
            detail: "Consent was given for another tenant than the link was made for; have the \
                     customer's own administrator open the link."
                .to_string(),
        });
    }
    let now = state.now();
    if state
        .store
        .take_oauth_state(&payload.nonce, now)
        .await?
        .is_none()
    {
        return Err(ApiError::OAuth {
            detail: "This consent link has expired or was already used; ask for a new one."
                .to_string(),
        });
    }
    let tenants = customer_tenants_mut(&mut connection)?;
    match tenants.iter_mut().find(|t| t.tenant_id == customer) {
        Some(known) => {
            known.consented_at = Some(now);
            if known.label.is_none() {
                known.label = payload.label.clone();
            }
        }
        None => tenants.push(M365CustomerTenant {
            tenant_id: customer.clone(),
            label: payload.label.clone(),
            consented_at: Some(now),
        }),
    }
    connection.updated_at = now;
    let connection = state.store.update_connection(&connection).await?;
    tracing::info!(connection = %connection_id, "customer tenant consented");
    // The customer's administrator is no caller of ours: the product records the consent it saw.
    let audit = crate::domain::AuditChange::new(
        "connection.consent_granted",
        crate::domain::AuditEntityKind::Connection,
        &connection_id,
    )
    .detail(serde_json::json!({"customer_tenant_id": customer}));
    if let Err(error) =
        crate::handlers::audit::record_system(state.store.as_ref(), &tenant_id, audit, now).await
    {
        // The consent is stored and its link spent: failing now would only show an error page.
        tracing::error!(%error, connection = %connection_id, "could not record the consent in the audit trail");
    }
    let sync = SyncRequested::tenant(
        tenant_id.clone(),
        SyncMode::Full,
        SyncTrigger::Manual {
            requested_by: "microsoft-365-admin-consent".to_string(),
        },
        now,
    )
    .on_connection(connection_id.clone());
    if let Err(error) = state
        .bus
        .publish(&[ProductEvent::SyncRequested(sync)])
        .await
    {
        // Recorded: the schedule's next sync reads the tenant.
        tracing::warn!(%error, connection = %connection_id, "could not request a sync after consent");
    }
    let name = payload.label.as_deref().unwrap_or(&customer);
    Ok(Html(consented_page(name, &connection.label)).into_response())
}

/// What the state carries; short keys keep the link short.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ConsentState {
    #[serde(rename = "t")]
    tenant: String,
    #[serde(rename = "c")]
    connection: String,
    #[serde(rename = "n")]
    nonce: String,
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    customer: Option<String>,
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

fn mac(key: &str, encoded: &str) -> HmacSha256 {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(encoded.as_bytes());
    mac
}

/// `base64url(json).base64url(hmac)`.
fn sign_state(payload: &ConsentState, key: &str) -> Result<String, ApiError> {
    let json = serde_json::to_vec(payload).map_err(ApiError::internal)?;
    let encoded = b64().encode(json);
    let signature = b64().encode(mac(key, &encoded).finalize().into_bytes());
    Ok(format!("{encoded}.{signature}"))
}

/// The payload of a state, not yet verified (it names the connection whose key verifies it).
fn open_state(signed: &str) -> Option<(ConsentState, &str, Vec<u8>)> {
    let (encoded, signature) = signed.split_once('.')?;
    let signature = b64().decode(signature).ok()?;
    let json = b64().decode(encoded).ok()?;
    let payload = serde_json::from_slice(&json).ok()?;
    Some((payload, encoded, signature))
}

/// Compared in constant time.
fn verify_signature(key: &str, encoded: &str, signature: &[u8]) -> bool {
    mac(key, encoded).verify_slice(signature).is_ok()
}

fn signing_key(credentials: &ClientCredentials) -> Result<&str, ApiError> {
    credentials.webhook_secret.as_deref().ok_or_else(|| {
        ApiError::conflict(
            "This connection was made before consent links existed; connect Microsoft 365 again \
             to get one.",
        )
    })
}

/// The identity platform's host override (a simulator); `None`: Microsoft's own.
fn login_base(state: &ApiState) -> Option<String> {
    state
        .config
        .account_hosts
        .m365
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_string())
}

fn callback_url(state: &ApiState) -> String {
    format!(
        "{}{CONSENT_CALLBACK_PATH}",
        state.config.public_base_url.as_str().trim_end_matches('/')
    )
}

fn invalid(field: &str, reason: &str) -> ApiError {
    ApiError::InvalidField {
        field: field.to_string(),
        reason: reason.to_string(),
    }
}

fn consented_page(tenant: &str, connection: &str) -> String {
    let (tenant, connection) = (html_escape(tenant), html_escape(connection));
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Consented: Connected Insights</title></head>
<body>
<main>
<h1>Microsoft 365 tenant added</h1>
<p>{tenant} is now read by the Microsoft 365 connection {connection}. Its licences and activity
appear after the next sync, which has been requested.</p>
<p>You can close this page.</p>
</main>
</body>
</html>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> ConsentState {
        ConsentState {
            tenant: "acme".into(),
            connection: "m365-0a1b2c3d".into(),
            nonce: "n1".into(),
            customer: None,
            label: Some("Contoso".into()),
        }
    }

    #[test]
    fn a_signed_state_opens_and_verifies_only_with_its_key() {
        let signed = sign_state(&payload(), "key-1").unwrap();
        let (opened, encoded, signature) = open_state(&signed).unwrap();
        assert_eq!(opened, payload());
        assert!(verify_signature("key-1", encoded, &signature));
        assert!(!verify_signature("key-2", encoded, &signature));
        let tampered = sign_state(
            &ConsentState {
                connection: "m365-ffffffff".into(),
                ..payload()
            },
            "key-1",
        )
        .unwrap();
        let (_, other_encoded, _) = open_state(&tampered).unwrap();
        assert!(!verify_signature("key-1", other_encoded, &signature));
        assert!(open_state("not-a-state").is_none());
    }

    #[test]
    fn the_consented_page_escapes_names() {
        let page = consented_page("<b>x</b>", "M365");
        assert!(!page.contains("<b>x"));
    }
}
