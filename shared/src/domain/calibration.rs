//! What a tenant's backtest found and the churn calibration fitted to its outcomes, as stored and
//! served. Computed by `scoring::calibration` (replay, metrics, isotonic fit) in the daily backtest.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One row of the calibration table: predictions whose churn % fell in [lower, upper) (the last
/// bin includes 100).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CalibrationBin {
    pub lower_pct: f64,
    pub upper_pct: f64,
    pub count: usize,
    /// Mean predicted churn %; `None` for an empty bin.
    pub mean_predicted_pct: Option<f64>,
    /// Share of the bin's predictions that churned, in %; `None` for an empty bin.
    pub observed_pct: Option<f64>,
}

/// What a backtest says of a set of labelled predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BacktestReport {
    pub predictions: usize,
    pub churned: usize,
    /// Distinct clients behind the predictions, and those among them with a positive label.
    pub clients: usize,
    pub churned_clients: usize,
    /// Share of predictions followed by a churn, in %; `None` without predictions.
    pub base_rate_pct: Option<f64>,
    /// AUC of predicted churn %; `None` when either class is empty.
    pub auc: Option<f64>,
    /// See `scoring::calibration::lowest_decile_lift`.
    pub lowest_decile_lift: Option<f64>,
    pub calibration: Vec<CalibrationBin>,
    /// See `scoring::calibration::expected_calibration_error`.
    pub expected_calibration_error: Option<f64>,
}

/// Why churn % could not be calibrated, or a stored calibration was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    #[error(
        "not enough outcomes to calibrate: {churned} churned and {not_churned} retained clients, \
         {needed} of each needed"
    )]
    NotEnoughOutcomes {
        churned: usize,
        not_churned: usize,
        needed: usize,
    },
    #[error("invalid calibration: {0}")]
    Invalid(&'static str),
}

/// One point of the calibration curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CalibrationKnot {
    pub heuristic_pct: f64,
    pub calibrated_pct: f64,
}

/// A tenant's map from the heuristic churn % to a churn % fitted to its clients' outcomes:
/// piecewise linear between the isotonic blocks' ends, flat beyond the first and last, monotone
/// non-decreasing, within 0..=100. Stored per tenant; a stored value that breaks these rules is
/// refused when read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "StoredCalibration")]
pub struct ChurnCalibration {
    knots: Vec<CalibrationKnot>,
    churned_clients: usize,
    not_churned_clients: usize,
}

/// [`ChurnCalibration`] as stored, before its rules are checked.
#[derive(Deserialize)]
struct StoredCalibration {
    knots: Vec<CalibrationKnot>,
    churned_clients: usize,
    not_churned_clients: usize,
}

impl TryFrom<StoredCalibration> for ChurnCalibration {
    type Error = CalibrationError;

    fn try_from(stored: StoredCalibration) -> Result<Self, Self::Error> {
        let knots = &stored.knots;
        if knots.is_empty() {
            return Err(CalibrationError::Invalid("no knots"));
        }
        let in_range = |v: f64| (0.0..=100.0).contains(&v);
        if !knots
            .iter()
            .all(|k| in_range(k.heuristic_pct) && in_range(k.calibrated_pct))
        {
            return Err(CalibrationError::Invalid("a knot outside 0..=100"));
        }
        if !knots.windows(2).all(|w| {
            w[0].heuristic_pct < w[1].heuristic_pct && w[0].calibrated_pct <= w[1].calibrated_pct
        }) {
            return Err(CalibrationError::Invalid("knots not increasing"));
        }
        Ok(Self {
            knots: stored.knots,
            churned_clients: stored.churned_clients,
            not_churned_clients: stored.not_churned_clients,
        })
    }
}

impl ChurnCalibration {
    /// A calibration from its curve, refused when the curve breaks the rules above.
    pub fn from_knots(
        knots: Vec<CalibrationKnot>,
        churned_clients: usize,
        not_churned_clients: usize,
    ) -> Result<Self, CalibrationError> {
        Self::try_from(StoredCalibration {
            knots,
            churned_clients,
            not_churned_clients,
        })
    }

    /// The calibrated churn % of a heuristic one (NaN reads as 0).
    pub fn calibrated_pct(&self, heuristic_pct: f64) -> f64 {
        let x = if heuristic_pct.is_nan() {
            0.0
        } else {
            heuristic_pct
        };
        let after = self.knots.partition_point(|k| k.heuristic_pct <= x);
        let value = match (after.checked_sub(1), self.knots.get(after)) {
            (Some(below), Some(above)) => {
                let below = self.knots[below];
                let share = (x - below.heuristic_pct) / (above.heuristic_pct - below.heuristic_pct);
                below.calibrated_pct + share * (above.calibrated_pct - below.calibrated_pct)
            }
            (Some(below), None) => self.knots[below].calibrated_pct,
            (None, _) => self.knots.first().map_or(0.0, |k| k.calibrated_pct),
        };
        value.clamp(0.0, 100.0)
    }

    /// The curve's points, by increasing heuristic %.
    pub fn knots(&self) -> &[CalibrationKnot] {
        &self.knots
    }

    /// Churned clients the fit saw.
    pub fn churned_clients(&self) -> usize {
        self.churned_clients
    }

    /// Clients that did not churn the fit saw.
    pub fn not_churned_clients(&self) -> usize {
        self.not_churned_clients
    }
}

/// A tenant's latest backtest, and the calibration its outcomes allow (issue 18). Written by the
/// daily backtest; read by every scoring run (to calibrate churn %) and by `GET /v1/calibration`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TenantCalibration {
    pub computed_at: DateTime<Utc>,
    /// The outcome horizon the predictions were judged over, in days.
    pub horizon_days: u32,
    /// Clients with a score history, and those among them known to have churned.
    pub clients: usize,
    pub churned_clients: usize,
    /// The heuristic churn %'s backtest.
    pub heuristic: BacktestReport,
    /// The same predictions with the calibrated churn % (in sample); `None` until calibrated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibrated: Option<BacktestReport>,
    /// The fitted map; `None` until enough outcomes are labelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<ChurnCalibration>,
    /// Why churn % is not calibrated yet, in words; `None` once it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_calibrated_because: Option<String>,
}

impl TenantCalibration {
    /// Whether a new backtest is due: a day after the last one.
    pub fn is_due(stored: Option<&TenantCalibration>, now: DateTime<Utc>) -> bool {
        stored.is_none_or(|c| now - c.computed_at >= chrono::Duration::hours(24))
    }
}
