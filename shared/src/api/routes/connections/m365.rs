//! Microsoft 365 customer tenants: adding and removing them (consent in [`super::consent`]).

use super::create::{checked_customer_tenant, parse_tenant_guid};
use super::create::{NewCustomerTenant, MAX_CUSTOMER_TENANTS};
use super::{refuse_hubspot, ConnectionView};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiJson;
use crate::api::routes::path_id;
use crate::api::{ApiState, Caller};
use crate::domain::{
    AuditChange, AuditEntityKind, ClientCredentials, Connection, ConnectionId, ConnectionSettings,
    M365CustomerTenant, Platform, TenantId,
};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use secrecy::ExposeSecret;

/// Add (or relabel) a customer tenant of a Microsoft 365 connection. Its data is read once its
/// administrator has consented the app (see the consent link).
#[utoipa::path(
    post,
    path = "/v1/connections/{id}/customer-tenants",
    tag = "connections",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The connection id")),
    request_body(content = NewCustomerTenant, content_type = "application/json"),
    responses(
        (status = 200, description = "The connection with the tenant", body = ConnectionView),
        (status = 400, description = "The id or a member is malformed (`tenant_id` must be a GUID)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a Microsoft 365 connection, it has as many tenants as it may, or it changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a customer tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_customer_tenant(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<NewCustomerTenant>,
) -> Result<Json<ConnectionView>, ApiError> {
    let id: ConnectionId = path_id(id)?;
    let tenant = checked_customer_tenant(&body, "tenant_id")?;
    let customer = tenant.tenant_id.clone();
    let mut connection = m365_connection(&state, &caller.tenant_id, &id).await?;
    let tenants = customer_tenants_mut(&mut connection)?;
    let count = tenants.len();
    match tenants.iter_mut().find(|t| t.tenant_id == tenant.tenant_id) {
        Some(known) => known.label = tenant.label.or(known.label.take()),
        None if count >= MAX_CUSTOMER_TENANTS => {
            return Err(ApiError::conflict(format!(
                "This connection already reads {MAX_CUSTOMER_TENANTS} customer tenants; make \
                 another connection for more."
            )))
        }
        None => tenants.push(tenant),
    }
    connection.updated_at = state.now();
    let updated = state.store.update_connection(&connection).await?;
    let audit = AuditChange::new(
        "connection.customer_tenant_added",
        AuditEntityKind::Connection,
        &id,
    )
    .detail(serde_json::json!({"customer_tenant_id": customer}));
    crate::api::audit::record(&state, &caller, audit).await?;
    Ok(Json(updated.into()))
}

/// Remove a customer tenant from a Microsoft 365 connection, with the account records read from
/// it. Removing one the connection does not list is no error.
#[utoipa::path(
    delete,
    path = "/v1/connections/{id}/customer-tenants/{tenant_id}",
    tag = "connections",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The connection id"),
        ("tenant_id" = String, Path, description = "The customer's Microsoft Entra tenant id (a GUID)"),
    ),
    responses(
        (status = 200, description = "The connection without the tenant", body = ConnectionView),
        (status = 400, description = "The id or tenant id is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a Microsoft 365 connection, or it changed meanwhile", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn remove_customer_tenant(
    State(state): State<ApiState>,
    caller: Caller,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<ConnectionView>, ApiError> {
    let Path((raw_id, raw_tenant)) =
        path.map_err(|rejection| ApiError::bad_parameter("id", rejection.body_text()))?;
    let id = ConnectionId::parse(raw_id)
        .map_err(|error| ApiError::bad_parameter("id", error.to_string()))?;
    let customer = parse_tenant_guid(&raw_tenant)
        .ok_or_else(|| ApiError::bad_parameter("tenant_id", "must be a GUID"))?;
    let tenant_id = &caller.tenant_id;
    let mut connection = m365_connection(&state, tenant_id, &id).await?;
    let tenants = customer_tenants_mut(&mut connection)?;
    let before = tenants.len();
    tenants.retain(|t| t.tenant_id != customer);
    if tenants.len() == before {
        return Ok(Json(connection.into()));
    }
    // Its records first: a removal that stops half-way leaves the tenant listed, to remove again.
    state
        .store
        .delete_accounts(tenant_id, &id, std::slice::from_ref(&customer))
        .await?;
    connection.updated_at = state.now();
    let updated = state.store.update_connection(&connection).await?;
    tracing::info!(connection = %id, "customer tenant removed");
    let audit = AuditChange::new(
        "connection.customer_tenant_removed",
        AuditEntityKind::Connection,
        &id,
    )
    .detail(serde_json::json!({"customer_tenant_id": customer}));
    crate::api::audit::record(&state, &caller, audit).await?;
    Ok(Json(updated.into()))
}

pub(super) async fn m365_connection(
    state: &ApiState,
    tenant_id: &TenantId,
    id: &ConnectionId,
) -> Result<Connection, ApiError> {
    refuse_hubspot(id, "given customer tenants")?;
    let connection = state.store.get_connection(tenant_id, id).await?;
    if connection.platform != Platform::M365 {
        return Err(ApiError::conflict(format!(
            "{} connections have no customer tenants; only Microsoft 365 connections do.",
            connection.platform.display_name()
        )));
    }
    Ok(connection)
}

pub(super) fn customer_tenants_mut(
    connection: &mut Connection,
) -> Result<&mut Vec<M365CustomerTenant>, ApiError> {
    match &mut connection.settings {
        ConnectionSettings::M365 { customer_tenants } => Ok(customer_tenants),
        _ => Err(ApiError::conflict(
            "Only Microsoft 365 connections have customer tenants.",
        )),
    }
}

pub(super) async fn credentials_of(
    state: &ApiState,
    connection: &Connection,
) -> Result<ClientCredentials, ApiError> {
    let secret = state.vault.get(&connection.credentials_secret_id).await?;
    serde_json::from_str(secret.value.expose_secret()).map_err(|_| {
        ApiError::internal(std::io::Error::other(
            "a connection's secret is not client credentials",
        ))
    })
}
