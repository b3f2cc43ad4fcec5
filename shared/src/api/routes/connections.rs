//! Connections: the tenant's links to its sources. The HubSpot portal lives on the tenant record and
//! shows here as the connection `hubspot`; every other connection (PayPal today) is stored as a
//! [`Connection`], with its credentials in the vault.
//!
//! Creating a PayPal connection tries the credentials first (a refused secret saves nothing), then
//! writes the secret, then the record, then asks for the first (full) sync. Deleting one removes its
//! payer records, its correlations, its secret and last its record, so a deletion that stopped
//! half-way can run again. Secrets never appear in answers or logs.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiJson;
use crate::api::routes::path_id;
use crate::api::{ApiState, Caller};
use crate::domain::{
    ClientCredentials, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    PaypalEnvironment, Platform, SyncMode, SyncTrigger, Tenant, TenantId, TenantStatus,
};
use crate::events::{ProductEvent, SyncRequested};
use crate::ports::{SourceError, StoreError};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The id under which the tenant's HubSpot portal is shown.
pub const HUBSPOT_CONNECTION_ID: &str = "hubspot";
/// Connections a tenant may store (besides HubSpot): enough for several accounts per platform.
pub const MAX_CONNECTIONS: usize = 20;
const MAX_LABEL_CHARS: usize = 100;
/// PayPal client ids and secrets are 80 characters; anything far longer is no credential.
const MAX_CREDENTIAL_CHARS: usize = 512;

/// A connection as the API shows it (never its secret or where the secret is kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConnectionView {
    /// `hubspot` for the tenant's HubSpot portal; `paypal-<8 hex>` for a PayPal account.
    pub id: String,
    pub platform: Platform,
    /// The name a person gave it (the portal's name for HubSpot).
    pub label: String,
    pub status: ConnectionStatus,
    /// Why the status is what it is: the error, or what a person must do.
    pub reason: Option<String>,
    /// PayPal's environment; `null` for other platforms.
    pub environment: Option<PaypalEnvironment>,
    /// Whether PayPal's deliveries can be verified (a webhook id was given); `null` for HubSpot.
    pub webhook_verified: Option<bool>,
    /// When it last synced (for HubSpot: the last full sync); `null` before the first.
    pub last_sync_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Connection> for ConnectionView {
    fn from(connection: Connection) -> Self {
        let (environment, webhook_verified) = match &connection.settings {
            ConnectionSettings::Paypal {
                environment,
                webhook_id,
            } => (Some(*environment), Some(webhook_id.is_some())),
            ConnectionSettings::Hubspot => (None, None),
            ConnectionSettings::Ninjaone { .. }
            | ConnectionSettings::Pax8
            | ConnectionSettings::M365 { .. } => (None, None),
        };
        Self {
            id: connection.id.to_string(),
            platform: connection.platform,
            label: connection.label,
            status: connection.status,
            reason: connection.status_reason,
            environment,
            webhook_verified,
            last_sync_at: connection.last_sync_at,
            created_at: connection.created_at,
        }
    }
}

impl ConnectionView {
    /// The tenant's HubSpot portal as a connection: its status follows the tenant's.
    pub fn of_hubspot(tenant: &Tenant) -> Self {
        let (status, reason) = match tenant.status {
            TenantStatus::Active => (ConnectionStatus::Active, tenant.status_reason.clone()),
            TenantStatus::NeedsReauth => {
                (ConnectionStatus::NeedsReauth, tenant.status_reason.clone())
            }
            TenantStatus::Disabled => (
                ConnectionStatus::Paused,
                Some("This account is disabled; ask the operator to enable it.".to_string()),
            ),
        };
        let label = if tenant.name.trim().is_empty() {
            Platform::Hubspot.display_name().to_string()
        } else {
            tenant.name.clone()
        };
        Self {
            id: HUBSPOT_CONNECTION_ID.to_string(),
            platform: Platform::Hubspot,
            label,
            status,
            reason,
            environment: None,
            webhook_verified: None,
            last_sync_at: tenant.last_full_sync_at,
            created_at: tenant.created_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConnectionList {
    /// HubSpot first (when the tenant has connected a portal), then the others by id.
    pub items: Vec<ConnectionView>,
}

/// The body of `POST /v1/connections`. `Debug` shows the secret redacted.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConnection {
    /// Only `paypal` can be connected this way (HubSpot connects through `/oauth/install`).
    pub platform: Platform,
    /// A name to tell accounts apart ("PayPal EU"); 1-100 characters.
    pub label: String,
    /// The REST app's client id (PayPal developer dashboard, Apps & Credentials).
    pub client_id: String,
    /// The REST app's secret; kept in the secret store, never shown again.
    #[schema(value_type = String, format = Password)]
    pub client_secret: SecretString,
    pub environment: PaypalEnvironment,
    /// The id PayPal gave the webhook registered for this account (developer dashboard, Webhooks),
    /// pointing at `/webhooks/paypal/{tenant}/{connection}`. PayPal's verify call needs it: without
    /// it deliveries are refused and only the schedule's syncs see changes.
    #[serde(default)]
    pub webhook_id: Option<String>,
}

/// Every connection of the tenant: its HubSpot portal (id `hubspot`) and the stored ones.
#[utoipa::path(
    get,
    path = "/v1/connections",
    tag = "connections",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tenant's connections", body = ConnectionList),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_connections(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Json<ConnectionList>, ApiError> {
    let mut items = Vec::new();
    match state.store.get_tenant(&caller.tenant_id).await {
        Ok(tenant) if tenant.hubspot_portal_id.is_some() => {
            items.push(ConnectionView::of_hubspot(&tenant))
        }
        Ok(_) | Err(StoreError::NotFound { .. }) => {}
        Err(error) => return Err(error.into()),
    }
    let stored = state.store.list_connections(&caller.tenant_id).await?;
    items.extend(stored.into_iter().map(ConnectionView::from));
    Ok(Json(ConnectionList { items }))
}

/// Connect a PayPal account. The credentials are tried first (a token is fetched): refused ones
/// answer 422 and nothing is stored. Then the secret is kept, the connection saved and its first,
/// full sync requested.
#[utoipa::path(
    post,
    path = "/v1/connections",
    tag = "connections",
    security(("bearer" = [])),
    request_body(content = NewConnection, content_type = "application/json"),
    responses(
        (status = 201, description = "Connected; the first sync was requested", body = ConnectionView),
        (status = 400, description = "The body is not JSON, or a member breaks a rule (named in `field`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The tenant has not connected a portal yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tenant has as many connections as it may have", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a new connection, or PayPal refused the credentials (`/problems/credentials-refused`); nothing was stored", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "PayPal is not configured here (`/problems/platform-not-configured`), or could not be reached; nothing was stored", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_connection(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewConnection>,
) -> Result<Response, ApiError> {
    let label = checked_label(&body)?;
    let credentials = checked_credentials(&body)?;
    let Some(factory) = state.payments.clone() else {
        return Err(ApiError::PlatformNotConfigured {
            platform: Platform::Paypal.display_name(),
        });
    };
    let tenant_id = &caller.tenant_id;
    state.store.get_tenant(tenant_id).await?;
    if state.store.list_connections(tenant_id).await?.len() >= MAX_CONNECTIONS {
        return Err(ApiError::conflict(format!(
            "This account already has {MAX_CONNECTIONS} connections; delete one first."
        )));
    }
    let settings = ConnectionSettings::Paypal {
        environment: body.environment,
        webhook_id: checked_webhook_id(&body)?,
    };
    factory
        .check_credentials(&settings, &credentials)
        .await
        .map_err(refused_or_unavailable)?;

    let now = state.now();
    let id = new_connection_id(Platform::Paypal)?;
    let secret_id = connection_secret_id(&state.config.tenant_secret_prefix, tenant_id, &id);
    let secret = serde_json::to_string(&credentials).map_err(ApiError::internal)?;
    state
        .vault
        .create(&secret_id, &SecretString::from(secret))
        .await?;
    let connection = Connection {
        tenant_id: tenant_id.clone(),
        id: id.clone(),
        platform: Platform::Paypal,
        label,
        status: ConnectionStatus::Active,
        status_reason: None,
        credentials_secret_id: secret_id.clone(),
        settings,
        connected_at: now,
        last_sync_at: None,
        last_full_sync_at: None,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    if let Err(error) = state.store.create_connection(&connection).await {
        // Nothing refers to the secret yet: leave no orphan behind.
        if let Err(vault_error) = state.vault.delete(&secret_id).await {
            tracing::error!(error = %vault_error, connection = %id, "could not remove the secret of an unsaved connection");
        }
        return Err(error.into());
    }
    tracing::info!(connection = %id, platform = "paypal", "connection created");
    let trigger = SyncTrigger::Manual {
        requested_by: caller.subject.clone(),
    };
    let first_sync = SyncRequested::tenant(tenant_id.clone(), SyncMode::Full, trigger, now)
        .on_connection(id.clone());
    if let Err(error) = state
        .bus
        .publish(&[ProductEvent::SyncRequested(first_sync)])
        .await
    {
        // The connection is saved and active: the schedule syncs it on its next round. Failing
        // here would invite a retry that creates a second connection.
        tracing::warn!(error = %error, connection = %id, "could not request the first sync of a new connection");
    }
    Ok((StatusCode::CREATED, Json(ConnectionView::from(connection))).into_response())
}

/// Pause a connection: nothing is fetched from it until it is resumed.
#[utoipa::path(
    post,
    path = "/v1/connections/{id}/pause",
    tag = "connections",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The connection id")),
    responses(
        (status = 200, description = "The connection, paused", body = ConnectionView),
        (status = 400, description = "The id is malformed (`parameter` is `id`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The HubSpot connection cannot be paused, or the connection changed meanwhile", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn pause_connection(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ConnectionView>, ApiError> {
    set_paused(&state, &caller.tenant_id, path_id(id)?, true).await
}

/// Resume a paused connection; the schedule syncs it again.
#[utoipa::path(
    post,
    path = "/v1/connections/{id}/resume",
    tag = "connections",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The connection id")),
    responses(
        (status = 200, description = "The connection, active again (unchanged if it was not paused)", body = ConnectionView),
        (status = 400, description = "The id is malformed (`parameter` is `id`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The HubSpot connection cannot be resumed here, or the connection changed meanwhile", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn resume_connection(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ConnectionView>, ApiError> {
    set_paused(&state, &caller.tenant_id, path_id(id)?, false).await
}

/// Delete a connection with its data: payer records, correlations and secret. Deleting one that
/// is gone is no error.
#[utoipa::path(
    delete,
    path = "/v1/connections/{id}",
    tag = "connections",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The connection id")),
    responses(
        (status = 204, description = "The connection and its data are gone"),
        (status = 400, description = "The id is malformed (`parameter` is `id`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The HubSpot connection cannot be deleted here", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_connection(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id: ConnectionId = path_id(id)?;
    refuse_hubspot(&id, "deleted")?;
    let tenant_id = &caller.tenant_id;
    let connection = match state.store.get_connection(tenant_id, &id).await {
        Ok(connection) => connection,
        Err(StoreError::NotFound { .. }) => return Ok(StatusCode::NO_CONTENT),
        Err(error) => return Err(error.into()),
    };
    let payers = state.store.delete_connection_payers(tenant_id, &id).await?;
    state
        .store
        .delete_connection_accounts(tenant_id, &id)
        .await?;
    let correlations = state
        .store
        .delete_connection_correlations(tenant_id, &id)
        .await?;
    state
        .vault
        .delete(&connection.credentials_secret_id)
        .await?;
    state.store.delete_connection(tenant_id, &id).await?;
    tracing::info!(connection = %id, payers, correlations, "connection deleted");
    Ok(StatusCode::NO_CONTENT)
}

async fn set_paused(
    state: &ApiState,
    tenant_id: &TenantId,
    id: ConnectionId,
    paused: bool,
) -> Result<Json<ConnectionView>, ApiError> {
    refuse_hubspot(&id, if paused { "paused" } else { "resumed" })?;
    let mut connection = state.store.get_connection(tenant_id, &id).await?;
    let is_paused = connection.status == ConnectionStatus::Paused;
    if is_paused == paused {
        return Ok(Json(connection.into()));
    }
    connection.status = if paused {
        ConnectionStatus::Paused
    } else {
        ConnectionStatus::Active
    };
    connection.status_reason = None;
    connection.updated_at = state.now();
    let updated = state.store.update_connection(&connection).await?;
    Ok(Json(updated.into()))
}

/// The HubSpot portal is the tenant itself: it is (dis)connected through onboarding, not here.
fn refuse_hubspot(id: &ConnectionId, what: &str) -> Result<(), ApiError> {
    if id.as_str() == HUBSPOT_CONNECTION_ID {
        return Err(ApiError::conflict(format!(
            "The HubSpot connection is this account's own portal and cannot be {what} here; \
             to stop using HubSpot, uninstall the app in HubSpot."
        )));
    }
    Ok(())
}

/// PayPal's webhook ids are short upper-case letters and digits (`8PT597110X687430LKGECATA`).
fn checked_webhook_id(body: &NewConnection) -> Result<Option<String>, ApiError> {
    let Some(id) = body.webhook_id.as_deref().map(str::trim) else {
        return Ok(None);
    };
    if id.is_empty() {
        return Ok(None);
    }
    if id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(ApiError::InvalidField {
            field: "webhook_id".to_string(),
            reason: "must be PayPal's webhook id: up to 64 letters, digits or '-'".to_string(),
        });
    }
    Ok(Some(id.to_string()))
}

fn checked_label(body: &NewConnection) -> Result<String, ApiError> {
    if body.platform != Platform::Paypal {
        return Err(ApiError::InvalidField {
            field: "platform".to_string(),
            reason: format!(
                "cannot be {} here: only paypal connects this way (HubSpot through /oauth/install)",
                body.platform
            ),
        });
    }
    let label = body.label.trim();
    if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
        return Err(ApiError::InvalidField {
            field: "label".to_string(),
            reason: format!("must have 1 to {MAX_LABEL_CHARS} characters"),
        });
    }
    if label.chars().any(char::is_control) {
        return Err(ApiError::InvalidField {
            field: "label".to_string(),
            reason: "must not contain control characters".to_string(),
        });
    }
    Ok(label.to_string())
}

fn checked_credentials(body: &NewConnection) -> Result<ClientCredentials, ApiError> {
    for (field, value) in [
        ("client_id", body.client_id.as_str()),
        ("client_secret", body.client_secret.expose_secret()),
    ] {
        let value = value.trim();
        if value.is_empty()
            || value.chars().count() > MAX_CREDENTIAL_CHARS
            || value.chars().any(char::is_whitespace)
        {
            return Err(ApiError::InvalidField {
                field: field.to_string(),
                reason: format!("must have 1 to {MAX_CREDENTIAL_CHARS} characters and no spaces"),
            });
        }
    }
    Ok(ClientCredentials {
        client_id: body.client_id.trim().to_string(),
        client_secret: body.client_secret.expose_secret().trim().to_string(),
        webhook_secret: None,
    })
}

/// What a failed credential check means for the person connecting.
fn refused_or_unavailable(error: SourceError) -> ApiError {
    let platform = Platform::Paypal.display_name();
    match error {
        SourceError::NeedsReauth { reason } => ApiError::CredentialsRefused { platform, reason },
        SourceError::Rejected { status, message } => ApiError::CredentialsRefused {
            platform,
            reason: format!("HTTP {status}: {message}"),
        },
        SourceError::Unavailable { .. }
        | SourceError::RateLimited { .. }
        | SourceError::InvalidResponse(_) => ApiError::Unavailable {
            what: "PayPal API",
            source: Box::new(error),
        },
        SourceError::InvalidCursor(_) | SourceError::Credentials(_) => ApiError::internal(error),
    }
}

/// A new connection id: the platform, then 8 random hex digits (`paypal-3f9a1c2e`).
fn new_connection_id(platform: Platform) -> Result<ConnectionId, ApiError> {
    let random = uuid::Uuid::new_v4().simple().to_string();
    ConnectionId::parse(format!("{platform}-{}", &random[..8])).map_err(ApiError::internal)
}

/// Where a connection's credentials are kept: under the tenant's own secret prefix, so the roles
/// that may touch a tenant's secrets reach these too, and nothing else.
pub fn connection_secret_id(prefix: &str, tenant_id: &TenantId, id: &ConnectionId) -> String {
    format!("{prefix}{tenant_id}/connections/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_ids_name_the_platform_and_differ() {
        let a = new_connection_id(Platform::Paypal).unwrap();
        let b = new_connection_id(Platform::Paypal).unwrap();
        assert!(a.as_str().starts_with("paypal-"));
        assert_eq!(a.as_str().len(), "paypal-".len() + 8);
        assert_ne!(a, b);
    }

    #[test]
    fn a_new_connection_never_prints_its_secret() {
        let body: NewConnection = serde_json::from_str(
            r#"{"platform":"paypal","label":"EU","client_id":"id-1","client_secret":"s3cr3t-value","environment":"sandbox"}"#,
        )
        .unwrap();
        assert!(!format!("{body:?}").contains("s3cr3t-value"));
        let credentials = checked_credentials(&body).unwrap();
        assert!(!format!("{credentials:?}").contains("s3cr3t-value"));
    }

    #[test]
    fn refusals_and_outages_are_told_apart() {
        let refused = refused_or_unavailable(SourceError::NeedsReauth {
            reason: "invalid_client".into(),
        });
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let down = refused_or_unavailable(SourceError::Unavailable {
            message: "timeout".into(),
        });
        assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
