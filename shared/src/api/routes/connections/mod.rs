//! Connections: the tenant's links to its sources. The HubSpot portal lives on the tenant record and
//! shows here as the connection `hubspot`; every other connection (PayPal, NinjaOne, Pax8,
//! Microsoft 365) is stored as a [`Connection`], with its credentials in the vault.
//!
//! Creating one ([`create`]) tries the credentials first (a refused secret saves nothing), then
//! writes the secret, then the record, registers the platform's webhook where we can, and asks
//! for the first (full) sync. Microsoft 365 connections gain and lose customer tenants
//! ([`m365`]). Deleting one removes its payer and account records, its correlations, its secret
//! and last its record, so a deletion that stopped half-way can run again. Secrets never appear
//! in answers or logs.

pub mod consent;
pub mod create;
pub mod m365;

pub use create::{create_connection, NewConnection, NewCustomerTenant};

use crate::api::error::{ApiError, Problem};
use crate::api::routes::path_id;
use crate::api::{ApiState, Caller};
use crate::domain::{
    AuditChange, AuditEntityKind, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    M365CustomerTenant, NinjaoneRegion, PaypalEnvironment, Platform, Tenant, TenantId,
    TenantStatus,
};
use crate::ports::StoreError;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The id under which the tenant's HubSpot portal is shown.
pub const HUBSPOT_CONNECTION_ID: &str = "hubspot";
/// Connections a tenant may store (besides HubSpot): enough for several accounts per platform.
pub const MAX_CONNECTIONS: usize = 20;
const MAX_LABEL_CHARS: usize = 100;

/// A connection as the API shows it (never its secret or where the secret is kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConnectionView {
    /// `hubspot` for the tenant's HubSpot portal; `<platform>-<8 hex>` for the others
    /// (`paypal-3f9a1c2e`, `ninjaone-...`, `pax8-...`, `m365-...`).
    pub id: String,
    pub platform: Platform,
    /// The name a person gave it (the portal's name for HubSpot).
    pub label: String,
    pub status: ConnectionStatus,
    /// Why the status is what it is: the error, or what a person must do.
    pub reason: Option<String>,
    /// PayPal's environment; `null` for other platforms.
    pub environment: Option<PaypalEnvironment>,
    /// Whether PayPal's deliveries can be verified (a webhook id was given); `null` for the others.
    pub webhook_verified: Option<bool>,
    /// NinjaOne's regional instance; `null` for other platforms.
    pub region: Option<NinjaoneRegion>,
    /// NinjaOne, Pax8: whether the platform sends changes to our webhook (registered when the
    /// connection was made); `false` means changes are seen at the scheduled syncs only. `null`
    /// for other platforms.
    pub webhook_registered: Option<bool>,
    /// Microsoft 365: the customer tenants this connection reads, with their labels and when
    /// their admin consented; `null` for other platforms.
    pub customer_tenants: Option<Vec<M365CustomerTenant>>,
    /// When it last synced (for HubSpot: the last full sync); `null` before the first.
    pub last_sync_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Connection> for ConnectionView {
    fn from(connection: Connection) -> Self {
        let mut view = Self {
            id: connection.id.to_string(),
            platform: connection.platform,
            label: connection.label,
            status: connection.status,
            reason: connection.status_reason,
            environment: None,
            webhook_verified: None,
            region: None,
            webhook_registered: None,
            customer_tenants: None,
            last_sync_at: connection.last_sync_at,
            created_at: connection.created_at,
        };
        match connection.settings {
            ConnectionSettings::Paypal {
                environment,
                webhook_id,
            } => {
                view.environment = Some(environment);
                view.webhook_verified = Some(webhook_id.is_some());
            }
            ConnectionSettings::Ninjaone { region } => {
                view.region = Some(region);
                view.webhook_registered = Some(connection.webhook_registered.unwrap_or(false));
            }
            ConnectionSettings::Pax8 => {
                view.webhook_registered = Some(connection.webhook_registered.unwrap_or(false));
            }
            ConnectionSettings::M365 { customer_tenants } => {
                view.customer_tenants = Some(customer_tenants);
            }
            ConnectionSettings::Hubspot => {}
        }
        view
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
            region: None,
            webhook_registered: None,
            customer_tenants: None,
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
    set_paused(&state, &caller, path_id(id)?, true).await
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
    set_paused(&state, &caller, path_id(id)?, false).await
}

/// Delete a connection with its data: payer and account records, correlations and secret. Deleting one that
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
    let accounts = state
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
    tracing::info!(connection = %id, payers, accounts, correlations, "connection deleted");
    let audit = AuditChange::new("connection.deleted", AuditEntityKind::Connection, &id)
        .before(&serde_json::json!({
            "platform": connection.platform,
            "status": connection.status,
        }))
        .detail(serde_json::json!({
            "payer_records": payers,
            "account_records": accounts,
            "correlations": correlations,
        }));
    crate::api::audit::record(&state, &caller, audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_paused(
    state: &ApiState,
    caller: &Caller,
    id: ConnectionId,
    paused: bool,
) -> Result<Json<ConnectionView>, ApiError> {
    let tenant_id = &caller.tenant_id;
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
    let before = connection.status;
    connection.status_reason = None;
    connection.updated_at = state.now();
    let updated = state.store.update_connection(&connection).await?;
    let action = if paused {
        "connection.paused"
    } else {
        "connection.resumed"
    };
    let audit = AuditChange::new(action, AuditEntityKind::Connection, &id)
        .before(&serde_json::json!({"status": before}))
        .after(&serde_json::json!({"status": updated.status}));
    crate::api::audit::record(state, caller, audit).await?;
    Ok(Json(updated.into()))
}

/// The HubSpot portal is the tenant itself: it is (dis)connected through onboarding, not here.
pub(crate) fn refuse_hubspot(id: &ConnectionId, what: &str) -> Result<(), ApiError> {
    if id.as_str() == HUBSPOT_CONNECTION_ID {
        return Err(ApiError::conflict(format!(
            "The HubSpot connection is this account's own portal and cannot be {what} here; \
             to stop using HubSpot, uninstall the app in HubSpot."
        )));
    }
    Ok(())
}

/// A new connection id: the platform, then 8 random hex digits (`paypal-3f9a1c2e`).
pub(crate) fn new_connection_id(platform: Platform) -> Result<ConnectionId, ApiError> {
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
}
