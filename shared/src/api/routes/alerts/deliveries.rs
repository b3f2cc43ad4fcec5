//! The delivery log, and the test send that writes to it.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiQuery;
use crate::api::routes::{list_error, page_request, path_id};
use crate::api::{ApiState, Caller};
use crate::domain::{
    AlertChange, AlertChannel, AlertItem, AlertMessage, AlertRule, AlertRuleId, ChannelKind,
    ClientId, DeliveryRecord, DeliveryStatus, HealthBand, HealthLevel,
};
use crate::ports::{PageRequest, ScoreQuery};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How many store pages one filtered request reads at most: a rare filter answers a short (even
/// empty) page with a cursor rather than reading the whole log at once.
const MAX_PAGES_PER_REQUEST: usize = 10;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only the deliveries of this rule (test sends included).
    #[param(value_type = Option<String>)]
    pub rule_id: Option<AlertRuleId>,
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
    /// Page size, 1-200 (default 50). With a filter a page may hold fewer: follow `next_cursor`.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryRecord>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The delivery log: every message sent (or tried) to a channel, newest first; kept 90 days.
#[utoipa::path(
    get,
    path = "/v1/alert-deliveries",
    tag = "alerts",
    security(("bearer" = [])),
    params(DeliveriesQuery),
    responses(
        (status = 200, description = "A page of deliveries, newest first", body = DeliveryPage),
        (status = 400, description = "A parameter is invalid (named in `parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_deliveries(
    State(state): State<ApiState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DeliveriesQuery>,
) -> Result<Json<DeliveryPage>, ApiError> {
    let page = page_request(query.limit, query.cursor.clone())?;
    let wanted = |record: &DeliveryRecord| {
        query
            .rule_id
            .as_ref()
            .is_none_or(|rule| record.rule_id.as_ref() == Some(rule))
            && query.status.is_none_or(|status| record.status == status)
    };
    let mut items = Vec::new();
    let mut cursor = page.cursor;
    for _ in 0..MAX_PAGES_PER_REQUEST {
        let request = PageRequest {
            limit: page.limit - items.len() as u32,
            cursor,
        };
        let found = state
            .store
            .list_deliveries(&caller.tenant_id, &request)
            .await
            .map_err(list_error)?;
        items.extend(found.items.into_iter().filter(|r| wanted(r)));
        cursor = found.next_cursor;
        if cursor.is_none() || items.len() >= page.limit as usize {
            break;
        }
    }
    Ok(Json(DeliveryPage {
        items,
        next_cursor: cursor,
    }))
}

/// What a test send did on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TestSendResult {
    pub channel_id: String,
    pub kind: ChannelKind,
    pub display: String,
    /// `sent`, or `failed` with the reason in `error`.
    pub status: DeliveryStatus,
    /// Why the channel did not take it (never its URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TestSendReport {
    pub rule_id: String,
    /// One result per channel of the rule, in the rule's order.
    pub results: Vec<TestSendResult>,
}

/// Send a test alert to each of the rule's channels now (disabled rules too, to check a fixed
/// channel), marked as a test and about one of the tenant's clients when it has any. Each send is
/// recorded in the delivery log (`test: true`); the answer says per channel whether it went. The
/// hygiene rules (cool-down, quiet hours, snoozes) do not apply to tests.
#[utoipa::path(
    post,
    path = "/v1/alert-rules/{id}/test",
    tag = "alerts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The rule id")),
    responses(
        (status = 200, description = "Tried on every channel; see each result", body = TestSendReport),
        (status = 400, description = "The id is malformed (`parameter` is `id`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such rule", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn send_test_alert(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<TestSendReport>, ApiError> {
    let id: AlertRuleId = path_id(id)?;
    let tenant_id = &caller.tenant_id;
    let rule = state.store.get_alert_rule(tenant_id, &id).await?;
    let now = state.now();
    let message = AlertMessage {
        tenant_id: tenant_id.clone(),
        rule_id: None,
        rule_name: rule.name.clone(),
        items: vec![example_item(&state, &caller, now).await?],
        digest: false,
        test: true,
        dashboard_url: Some(dashboard_url(&state)),
    };
    let sends = rule
        .channels
        .iter()
        .map(|channel| state.alert_sender.send(tenant_id, channel, &message));
    let outcomes = futures::future::join_all(sends).await;
    let mut results = Vec::with_capacity(outcomes.len());
    for (channel, outcome) in rule.channels.iter().zip(outcomes) {
        let error = outcome.err().map(|error| error.to_string());
        let record = test_record(&rule, channel, &message, error.clone(), now);
        state.store.put_delivery(&record).await?;
        results.push(TestSendResult {
            channel_id: channel.id.to_string(),
            kind: channel.kind,
            display: channel.display.clone(),
            status: record.status,
            error,
        });
    }
    tracing::info!(rule = %rule.id, channels = results.len(), by = %caller.subject, "test alert sent");
    let audit = crate::domain::AuditChange::new(
        "alert_rule.tested",
        crate::domain::AuditEntityKind::AlertRule,
        &rule.id,
    )
    .detail(serde_json::json!({
        "channels": results.len(),
        "sent": results.iter().filter(|r| r.status == DeliveryStatus::Sent).count(),
    }));
    crate::api::audit::record(&state, &caller, audit).await?;
    Ok(Json(TestSendReport {
        rule_id: rule.id.to_string(),
        results,
    }))
}

/// The test's line in the delivery log: one per press and channel.
fn test_record(
    rule: &AlertRule,
    channel: &AlertChannel,
    message: &AlertMessage,
    error: Option<String>,
    now: DateTime<Utc>,
) -> DeliveryRecord {
    DeliveryRecord {
        id: format!("test-{}-{}-{}", rule.id, channel.id, now.timestamp_millis()),
        tenant_id: rule.tenant_id.clone(),
        rule_id: Some(rule.id.clone()),
        rule_name: rule.name.clone(),
        channel_id: channel.id.clone(),
        channel_kind: channel.kind,
        client_ids: message.items.iter().map(|i| i.client_id.clone()).collect(),
        alerts: message.items.len() as u32,
        digest: false,
        test: true,
        status: if error.is_none() {
            DeliveryStatus::Sent
        } else {
            DeliveryStatus::Failed
        },
        attempts: 1,
        last_error: error,
        created_at: now,
        updated_at: now,
    }
}

/// The example a test alert is about: the tenant's least healthy client as it stands, or a made-up
/// one before the first scoring.
async fn example_item(
    state: &ApiState,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<AlertItem, ApiError> {
    let scores = state
        .store
        .list_scores(
            &caller.tenant_id,
            &ScoreQuery::default(),
            &PageRequest::first(1),
        )
        .await?;
    let item = match scores.items.into_iter().next() {
        Some(score) => {
            let level = HealthLevel {
                overall: score.overall,
                band: score.band,
                churn_risk: score.churn_risk,
            };
            AlertItem {
                headline: format!(
                    "Test alert: {} is {} ({} of 100)",
                    score.client_name,
                    band_words(score.band),
                    score.overall
                ),
                link: Some(format!(
                    "{}/#/client/{}",
                    dashboard_url(state),
                    score.client_id
                )),
                client_id: score.client_id,
                client_name: score.client_name,
                change: AlertChange::Health {
                    before: level,
                    after: level,
                    fell_by: None,
                },
                top_factors: Vec::new(),
                occurred_at: now,
            }
        }
        None => {
            let level = HealthLevel {
                overall: 44,
                band: HealthBand::AtRisk,
                churn_risk: 61,
            };
            AlertItem {
                client_id: ClientId::parse("example-client").map_err(ApiError::internal)?,
                client_name: "Example client".to_string(),
                headline: "Test alert: Example client moved from Watch to At risk (61 → 44)"
                    .to_string(),
                change: AlertChange::Health {
                    before: HealthLevel {
                        overall: 61,
                        band: HealthBand::Watch,
                        churn_risk: 35,
                    },
                    after: level,
                    fell_by: Some(17),
                },
                top_factors: Vec::new(),
                link: None,
                occurred_at: now,
            }
        }
    };
    Ok(item)
}

fn band_words(band: HealthBand) -> &'static str {
    match band {
        HealthBand::Healthy => "healthy",
        HealthBand::Watch => "on watch",
        HealthBand::AtRisk => "at risk",
        HealthBand::Critical => "critical",
    }
}

fn dashboard_url(state: &ApiState) -> String {
    state
        .config
        .public_base_url
        .as_str()
        .trim_end_matches('/')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::super::kind_name;
    use super::*;

    #[test]
    fn kind_names_match_the_wire_names() {
        for kind in [
            ChannelKind::Slack,
            ChannelKind::Teams,
            ChannelKind::Email,
            ChannelKind::Webhook,
        ] {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind_name(kind).to_string())
            );
        }
    }
}
