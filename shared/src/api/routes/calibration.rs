//! `GET /v1/calibration`: how well churn risk predicted this tenant's own churn (the daily backtest),
//! and whether churn % is calibrated to its outcomes yet.

use crate::api::error::{ApiError, Problem};
use crate::api::{ApiState, Caller};
use crate::domain::{OutcomeDefinition, TenantCalibration};
use crate::scoring::calibration::MIN_LABELLED_OUTCOMES;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

/// Where the tenant's churn % stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationStatus {
    /// No backtest has run yet (it runs with the first scoring of each day).
    NotComputed,
    /// Churn % is the heuristic's: not enough labelled outcomes to fit it yet.
    NotCalibrated,
    /// Churn % is fitted to the tenant's outcomes.
    Calibrated,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CalibrationView {
    pub status: CalibrationStatus,
    /// Churned clients, and as many retained ones, needed before churn % is fitted.
    pub minimum_outcomes: usize,
    /// What counts as a churn (the tenant setting `outcomes`).
    pub outcome_definition: OutcomeDefinition,
    /// The latest backtest; absent until one has run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backtest: Option<TenantCalibration>,
}

/// The tenant's latest backtest of churn risk against what its clients did: AUC, the lowest-scored
/// decile's churn against the base rate (lift), a calibration table of predicted against observed
/// churn, and the calibration fitted once 30 churned and 30 retained clients are labelled.
#[utoipa::path(
    get,
    path = "/v1/calibration",
    tag = "health",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The backtest and calibration status", body = CalibrationView),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_calibration(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Json<CalibrationView>, ApiError> {
    let store = state.store.as_ref();
    let (tenant, backtest) = tokio::try_join!(
        store.get_tenant(&caller.tenant_id),
        store.get_calibration(&caller.tenant_id),
    )?;
    let status = match &backtest {
        None => CalibrationStatus::NotComputed,
        Some(b) if b.calibration.is_some() => CalibrationStatus::Calibrated,
        Some(_) => CalibrationStatus::NotCalibrated,
    };
    Ok(Json(CalibrationView {
        status,
        minimum_outcomes: MIN_LABELLED_OUTCOMES,
        outcome_definition: tenant.settings.outcomes,
        backtest,
    }))
}
