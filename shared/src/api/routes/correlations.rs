//! Correlations: which record of another platform (a PayPal payer) is which client. The review
//! queue lists them with their evidence side by side; a person confirms, rejects, maps a record by
//! hand or unlinks it. What each decision changes is a pure rule of `matching` (`confirm`, `reject`,
//! `map_by_hand`); matching runs never undo a person's decision.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::routes::{list_error, page_request};
use crate::api::{ApiState, Caller};
use crate::domain::{
    ClientId, ConnectionId, Correlation, CorrelationStatus, MatchEvidence, MatchMethod, Platform,
    TenantId,
};
use crate::matching::{self, Decision, DecisionWrites, NoSuchCorrelation, RecordKey};
use crate::ports::{Store, StoreError};
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// External ids longer than this are no platform's id.
const MAX_EXTERNAL_ID_CHARS: usize = 256;

/// A correlation as the review queue shows it: the record, the client (with its name), and the
/// evidence, each piece with what the record says beside what the client says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CorrelationView {
    pub connection_id: String,
    pub platform: Platform,
    /// The platform's id of the record (a PayPal payer id).
    pub external_id: String,
    pub client_id: String,
    /// The client's name in the CRM; `null` when the client is no longer there.
    pub client_name: Option<String>,
    /// The strongest agreeing evidence's method.
    pub method: MatchMethod,
    /// Agreeing evidence first, strongest first; then what speaks against (`agrees: false`).
    pub evidence: Vec<MatchEvidence>,
    /// 0-1.
    pub confidence: f64,
    pub status: CorrelationStatus,
    /// Who confirmed, rejected or mapped it (the token's subject).
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl CorrelationView {
    fn new(correlation: Correlation, client_name: Option<String>) -> Self {
        Self {
            connection_id: correlation.connection_id.to_string(),
            platform: correlation.platform,
            external_id: correlation.external_id,
            client_id: correlation.client_id.to_string(),
            client_name,
            method: correlation.method,
            evidence: correlation.evidence,
            confidence: correlation.confidence,
            status: correlation.status,
            decided_by: correlation.decided_by,
            decided_at: correlation.decided_at,
            updated_at: correlation.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CorrelationPage {
    /// In (connection, record, client) order. A page may hold fewer than `limit` items (links
    /// matching lost are kept out); only `next_cursor` says whether more follow.
    pub items: Vec<CorrelationView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CorrelationsQuery {
    /// Only correlations in this status (`needs_review` is the review queue).
    pub status: Option<CorrelationStatus>,
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Which record and which client a decision is about.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrelationTarget {
    /// The connection the record comes from (`paypal-1a2b3c4d`).
    #[schema(value_type = String)]
    pub connection_id: ConnectionId,
    /// The platform's id of the record (a PayPal payer id).
    pub external_id: String,
    /// The client (HubSpot company id).
    #[schema(value_type = String)]
    pub client_id: ClientId,
}

impl CorrelationTarget {
    fn record(&self) -> Result<RecordKey, ApiError> {
        let external_id = self.external_id.trim();
        if external_id.is_empty() || external_id.chars().count() > MAX_EXTERNAL_ID_CHARS {
            return Err(ApiError::InvalidField {
                field: "external_id".into(),
                reason: format!("must be 1-{MAX_EXTERNAL_ID_CHARS} characters"),
            });
        }
        Ok(RecordKey {
            connection_id: self.connection_id.clone(),
            external_id: external_id.to_string(),
        })
    }
}

/// The tenant's correlations, optionally of one status: `needs_review` is the review queue.
#[utoipa::path(
    get,
    path = "/v1/correlations",
    tag = "correlations",
    security(("bearer" = [])),
    params(CorrelationsQuery),
    responses(
        (status = 200, description = "A page of correlations", body = CorrelationPage),
        (status = 400, description = "A parameter is invalid (named in `parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_correlations(
    State(state): State<ApiState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<CorrelationsQuery>,
) -> Result<Json<CorrelationPage>, ApiError> {
    let page = page_request(query.limit, query.cursor)?;
    let found = state
        .store
        .list_correlations(&caller.tenant_id, query.status, &page)
        .await
        .map_err(list_error)?;
    let shown: Vec<Correlation> = found
        .items
        .into_iter()
        .filter(|c| !matching::is_dormant(c))
        .collect();
    let items = with_client_names(state.store.as_ref(), &caller.tenant_id, shown).await?;
    Ok(Json(CorrelationPage {
        items,
        next_cursor: found.next_cursor,
    }))
}

/// A person says the record is this client (one of its candidates): the link counts, and the
/// record's other automatic candidates leave the queue.
#[utoipa::path(
    post,
    path = "/v1/correlations/confirm",
    tag = "correlations",
    security(("bearer" = [])),
    request_body = CorrelationTarget,
    responses(
        (status = 200, description = "The confirmed correlation", body = CorrelationView),
        (status = 400, description = "The body is not JSON, or a member breaks a rule (named in `field`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The record has no correlation with this client", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a correlation target (connection_id, external_id, client_id)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn confirm_correlation(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(target): ApiJson<CorrelationTarget>,
) -> Result<Json<CorrelationView>, ApiError> {
    decide(
        &state,
        &caller,
        &target,
        matching::confirm,
        "correlation.confirmed",
    )
    .await
}

/// A person says the record is not this client: the pair is never proposed again.
#[utoipa::path(
    post,
    path = "/v1/correlations/reject",
    tag = "correlations",
    security(("bearer" = [])),
    request_body = CorrelationTarget,
    responses(
        (status = 200, description = "The rejected correlation", body = CorrelationView),
        (status = 400, description = "The body is not JSON, or a member breaks a rule (named in `field`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The record has no correlation with this client", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a correlation target (connection_id, external_id, client_id)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reject_correlation(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(target): ApiJson<CorrelationTarget>,
) -> Result<Json<CorrelationView>, ApiError> {
    decide(
        &state,
        &caller,
        &target,
        matching::reject,
        "correlation.rejected",
    )
    .await
}

/// Unlinks a record from a client: the same as rejecting the pair (it is never proposed again).
#[utoipa::path(
    delete,
    path = "/v1/correlations",
    tag = "correlations",
    security(("bearer" = [])),
    request_body = CorrelationTarget,
    responses(
        (status = 200, description = "The correlation, now rejected", body = CorrelationView),
        (status = 400, description = "The body is not JSON, or a member breaks a rule (named in `field`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The record has no correlation with this client", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a correlation target (connection_id, external_id, client_id)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn unlink_correlation(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(target): ApiJson<CorrelationTarget>,
) -> Result<Json<CorrelationView>, ApiError> {
    decide(
        &state,
        &caller,
        &target,
        matching::reject,
        "correlation.unlinked",
    )
    .await
}

/// Maps a record to a client by hand, candidate or not: a confirmed link with confidence 1.00 that
/// supersedes the record's other candidates (a link confirmed before moves here).
#[utoipa::path(
    put,
    path = "/v1/correlations",
    tag = "correlations",
    security(("bearer" = [])),
    request_body = CorrelationTarget,
    responses(
        (status = 200, description = "The mapping", body = CorrelationView),
        (status = 400, description = "The body is not JSON, a member breaks a rule, or it names a connection, record or client the tenant does not have (named in `field`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a correlation target (connection_id, external_id, client_id)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn map_correlation(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(target): ApiJson<CorrelationTarget>,
) -> Result<Json<CorrelationView>, ApiError> {
    let record = target.record()?;
    let tenant_id = &caller.tenant_id;
    let connection = match state
        .store
        .get_connection(tenant_id, &record.connection_id)
        .await
    {
        Ok(connection) => connection,
        Err(StoreError::NotFound { .. }) => {
            return Err(not_the_tenants("connection_id", "connection"))
        }
        Err(error) => return Err(error.into()),
    };
    if connection.platform == Platform::Paypal {
        let payers = state
            .store
            .get_payers(
                tenant_id,
                &record.connection_id,
                std::slice::from_ref(&record.external_id),
            )
            .await?;
        if payers.is_empty() {
            return Err(not_the_tenants("external_id", "record of this connection"));
        }
    }
    let clients = state
        .store
        .get_snapshots(tenant_id, std::slice::from_ref(&target.client_id))
        .await?;
    let Some(client) = clients.into_iter().next() else {
        return Err(not_the_tenants("client_id", "client"));
    };
    let rows = state
        .store
        .correlations_of_record(tenant_id, &record.connection_id, &record.external_id)
        .await?;
    let decision = Decision {
        by: &caller.subject,
        at: (state.clock)(),
    };
    let writes = matching::map_by_hand(
        tenant_id,
        connection.platform,
        &record,
        &rows,
        &target.client_id,
        decision,
    );
    state
        .store
        .put_correlations(tenant_id, &writes.rows())
        .await?;
    let before = rows.iter().find(|row| row.client_id == target.client_id);
    let audit = correlation_change("correlation.mapped", before, &writes.decided);
    crate::api::audit::record(&state, &caller, audit).await?;
    Ok(Json(CorrelationView::new(
        writes.decided,
        Some(client.name),
    )))
}

type Rule =
    fn(&[Correlation], &ClientId, Decision<'_>) -> Result<DecisionWrites, NoSuchCorrelation>;

/// Applies a person's decision about one existing correlation and writes what it changes.
async fn decide(
    state: &ApiState,
    caller: &Caller,
    target: &CorrelationTarget,
    rule: Rule,
    action: &str,
) -> Result<Json<CorrelationView>, ApiError> {
    let record = target.record()?;
    let tenant_id = &caller.tenant_id;
    let rows = state
        .store
        .correlations_of_record(tenant_id, &record.connection_id, &record.external_id)
        .await?;
    let decision = Decision {
        by: &caller.subject,
        at: (state.clock)(),
    };
    let writes = rule(&rows, &target.client_id, decision).map_err(|_| ApiError::NotFound {
        entity: "correlation",
    })?;
    state
        .store
        .put_correlations(tenant_id, &writes.rows())
        .await?;
    let before = rows.iter().find(|row| row.client_id == target.client_id);
    let audit = correlation_change(action, before, &writes.decided);
    crate::api::audit::record(state, caller, audit).await?;
    let mut views =
        with_client_names(state.store.as_ref(), tenant_id, vec![writes.decided]).await?;
    views.pop().map(Json).ok_or(ApiError::NotFound {
        entity: "correlation",
    })
}

/// The audit record of a person's decision about one (record, client) pair: its status and
/// confidence before and after.
fn correlation_change(
    action: &str,
    before: Option<&Correlation>,
    after: &Correlation,
) -> crate::domain::AuditChange {
    let state =
        |c: &Correlation| serde_json::json!({"status": c.status, "confidence": c.confidence});
    let id = format!(
        "{}#{}#{}",
        after.connection_id, after.external_id, after.client_id
    );
    let mut change =
        crate::domain::AuditChange::new(action, crate::domain::AuditEntityKind::Correlation, id)
            .after(&state(after))
            .detail(serde_json::json!({
                "connection_id": after.connection_id,
                "client_id": after.client_id,
            }));
    if let Some(before) = before {
        change = change.before(&state(before));
    }
    change
}

fn not_the_tenants(field: &str, what: &str) -> ApiError {
    ApiError::InvalidField {
        field: field.to_string(),
        reason: format!("is not a {what} of this tenant"),
    }
}

/// Views of the correlations, with the names of their clients (read in one call).
async fn with_client_names(
    store: &dyn Store,
    tenant_id: &TenantId,
    correlations: Vec<Correlation>,
) -> Result<Vec<CorrelationView>, ApiError> {
    let mut ids: Vec<ClientId> = correlations.iter().map(|c| c.client_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let names: HashMap<ClientId, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        store
            .get_snapshots(tenant_id, &ids)
            .await?
            .into_iter()
            .map(|s| (s.client_id, s.name))
            .collect()
    };
    Ok(correlations
        .into_iter()
        .map(|c| {
            let name = names.get(&c.client_id).cloned();
            CorrelationView::new(c, name)
        })
        .collect())
}
