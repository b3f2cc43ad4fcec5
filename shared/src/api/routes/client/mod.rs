//! One client's whole picture (`GET /v1/clients/{id}`): its score with readable factors and the
//! re-weighting explained, trend and history, open insights with their evidence in words, contacts,
//! open deals and the renewal, open tickets, recent interactions, the records other platforms hold
//! about it, and the link to its company in HubSpot.

pub mod overrides;
pub mod records;
pub mod words;

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiQuery;
use crate::api::routes::linked::{linked_records, LinkedRecord};
use crate::api::routes::path_id;
use crate::api::{ApiState, Caller};
use crate::domain::{
    ClientId, ClientOverride, HealthScore, InsightStatus, ScorePoint, Tenant, Trend,
};
use crate::ports::StoreError;
use crate::scoring::wording::{factor_labels, reweighting};
use crate::sources::hubspot::links::{RecordKind, RecordLinks};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use records::ClientRecords;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use words::{dimensions_in_words, DimensionInWords, InsightInWords};

/// How long a client's history reaches back when `from` is not given.
pub const DEFAULT_HISTORY_DAYS: i64 = 90;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClientQuery {
    /// Start of the history range (RFC 3339); default 90 days before `to`.
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<DateTime<Utc>>,
    /// End of the history range (RFC 3339); default now.
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClientDetail {
    /// The current score, each dimension with the factors that explain it.
    pub score: HealthScore,
    /// The score's dimensions with each factor's label and value in words.
    pub dimensions: Vec<DimensionInWords>,
    /// Why the weights differ from the tenant's settings ("Payment has no data, so its 25% weight
    /// is shared among the others: ..."); `null` when every weighted dimension has data.
    pub reweighting: Option<String>,
    /// Change of the overall score over 7 and 30 days.
    pub trend: Trend,
    pub history_from: DateTime<Utc>,
    pub history_to: DateTime<Utc>,
    /// Score history inside the range, oldest first.
    pub history: Vec<ScorePoint>,
    /// The client's insights with status `open`, newest first, with their evidence in words.
    pub open_insights: Vec<InsightInWords>,
    /// Records of other platforms matched to the client: linked ones first, then those waiting for
    /// review.
    pub linked_records: Vec<LinkedRecord>,
    /// The company in HubSpot (`https://app.hubspot.com/contacts/<portal>/company/<id>`); `null`
    /// when the tenant's portal is not known.
    pub hubspot_url: Option<String>,
    /// The client's lower-cased HubSpot lifecycle stage, when known.
    pub lifecycle_stage: Option<String>,
    /// The company's web domain, when known.
    pub domain: Option<String>,
    /// Contacts, open deals, open tickets and recent interactions from the CRM (empty lists when
    /// the client's CRM record is gone).
    #[serde(flatten)]
    pub records: ClientRecords,
    /// The users' overrides in force (sentiment, dimension scores), with reason, author and expiry;
    /// the score lists those its last run applied.
    #[serde(default)]
    pub overrides: Vec<ClientOverride>,
    /// The label of every factor the engine writes, by name: the words for the factor keys of
    /// `GET /v1/clients/{id}/score-change`.
    pub factor_labels: BTreeMap<String, String>,
}

/// One client: its score with readable factors, trend, history, open insights in words, CRM
/// records, linked records and HubSpot link.
#[utoipa::path(
    get,
    path = "/v1/clients/{id}",
    tag = "health",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The client id"), ClientQuery),
    responses(
        (status = 200, description = "The client", body = ClientDetail),
        (status = 400, description = "A parameter is invalid (named in `parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No scored client with this id for this tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_client(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<ClientQuery>,
) -> Result<Json<ClientDetail>, ApiError> {
    let client_id: ClientId = path_id(id)?;
    let now = state.now();
    let to = query.to.unwrap_or(now);
    let from = query
        .from
        .unwrap_or_else(|| to - Duration::days(DEFAULT_HISTORY_DAYS));
    if from > to {
        return Err(ApiError::bad_parameter("from", "must not be after `to`"));
    }
    let tenant_id = &caller.tenant_id;
    let score = state
        .store
        .get_score(tenant_id, &client_id)
        .await?
        .ok_or(ApiError::NotFound { entity: "client" })?;
    let tenant = match state.store.get_tenant(tenant_id).await {
        Ok(tenant) => Some(tenant),
        // A token for a tenant whose record is gone still reads its scores, without settings.
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let history = state.store.history(tenant_id, &client_id, from, to).await?;
    let mut open_insights: Vec<_> = state
        .store
        .insights_for_clients(tenant_id, std::slice::from_ref(&client_id))
        .await?
        .into_iter()
        .filter(|i| i.status == InsightStatus::Open)
        .collect();
    open_insights.sort_by_key(|insight| std::cmp::Reverse(insight.updated_at));
    let linked_records = linked_records(&state, tenant_id, &client_id, now).await?;
    let snapshot = state
        .store
        .get_snapshots(tenant_id, std::slice::from_ref(&client_id))
        .await?
        .into_iter()
        .next();
    let overrides = overrides::active_overrides_of(&state, &caller, &client_id).await?;
    let links = tenant.as_ref().and_then(hubspot_links);
    let records = snapshot
        .as_ref()
        .map(|s| ClientRecords::of(s, links.as_ref(), now))
        .unwrap_or_default();
    Ok(Json(ClientDetail {
        dimensions: dimensions_in_words(&score),
        reweighting: tenant.as_ref().and_then(|t| {
            reweighting(
                &score.dimensions,
                t.settings.weights_for(score.segment.as_deref()),
            )
        }),
        trend: score.trend,
        history_from: from,
        history_to: to,
        history,
        open_insights: open_insights.into_iter().map(InsightInWords::of).collect(),
        linked_records,
        hubspot_url: links
            .as_ref()
            .and_then(|l| l.record(RecordKind::Company, client_id.as_str())),
        lifecycle_stage: snapshot.as_ref().and_then(|s| s.lifecycle_stage.clone()),
        domain: snapshot.as_ref().and_then(|s| s.domain.clone()),
        records,
        overrides,
        factor_labels: factor_labels()
            .map(|(name, label)| (name.to_owned(), label.to_owned()))
            .collect(),
        score,
    }))
}

/// The tenant's HubSpot links. Its hosting region is not recorded yet, so the `na1` host.
fn hubspot_links(tenant: &Tenant) -> Option<RecordLinks> {
    tenant
        .hubspot_portal_id
        .map(|portal| RecordLinks::new(portal, None))
}
