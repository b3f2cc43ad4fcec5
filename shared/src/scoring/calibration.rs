//! How well churn risk predicted what clients did afterwards, and a calibration fitted to it
//! (issue 18's backtest).
//!
//! [`replay`] turns each client's score history and churn date into labelled predictions: "at this
//! date the score said X; did the client churn within the horizon?". [`BacktestReport::of`] measures
//! them: AUC of churn risk, lift of the lowest-scored decile, a calibration table and its expected
//! calibration error. [`ChurnCalibration::fit`] fits churn % to the outcomes by isotonic regression
//! ([`pool_adjacent_violators`]) once there are enough of them.
//!
//! Pure: no I/O, no clock (`as_of` is passed in), and the same inputs give the same output (ties are
//! broken by input order, never by a hash).

pub use crate::domain::{
    BacktestReport, CalibrationBin, CalibrationError, CalibrationKnot, ChurnCalibration,
};
use crate::domain::{HealthScore, ScorePoint, TenantCalibration};
use chrono::{DateTime, Duration, Utc};
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// A prediction is judged on whether the client churned within this many days after it (issue 18).
pub const DEFAULT_HORIZON_DAYS: i64 = 90;

/// One prediction per client per this many days; see [`ReplayOptions::sample_every_days`].
pub const DEFAULT_SAMPLE_EVERY_DAYS: i64 = 7;

/// Churned clients, and as many clients that did not churn, needed before churn % is fitted.
///
/// Why 30: issue 18's figure, and the usual rule of thumb for fitting a risk model (some 10-20
/// events per fitted parameter; isotonic regression on a few dozen events ends with a few steps).
/// With fewer, the observed churn rate of a step rests on a handful of clients (30 events already
/// carry a relative standard error of about 1/sqrt(30), 18%), and the fit would follow those few
/// clients' fates rather than the tenant's pattern. Counted in distinct clients, not predictions:
/// one churned client gives about a dozen positive predictions at weekly sampling, all the same event.
pub const MIN_LABELLED_OUTCOMES: usize = 30;

/// Bins of the calibration table, each 10 points of predicted churn % wide.
pub const CALIBRATION_BINS: usize = 10;

/// A score as the replay needs it: when, the overall, and the churn risk it predicted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreObservation {
    pub at: DateTime<Utc>,
    /// Overall health, 0-100.
    pub overall: u8,
    /// Predicted churn risk, 0-100 %.
    pub churn_risk: u8,
}

impl From<&ScorePoint> for ScoreObservation {
    fn from(point: &ScorePoint) -> Self {
        Self {
            at: point.at,
            overall: point.overall,
            churn_risk: point.churn_risk,
        }
    }
}

/// One client's past scores and, if it churned, when.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClientOutcome {
    /// In any order.
    pub points: Vec<ScoreObservation>,
    /// When the client churned; `None` when it has not (as far as anyone knows).
    pub churned_at: Option<DateTime<Utc>>,
}

/// How the replay labels and thins predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayOptions {
    /// A prediction is positive when the client churned within this many days after it.
    pub horizon_days: i64,
    /// Keep at most one prediction per client per this many days (1 or less keeps every point).
    ///
    /// Why: a year of daily history would otherwise count one client 365 times with nearly the
    /// same score each day. Long-scored clients would dominate the metrics and the fit, and the
    /// number of predictions would overstate how much evidence there is. A week keeps the shape
    /// of a decline while making neighbouring predictions mostly different states.
    pub sample_every_days: i64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self {
            horizon_days: DEFAULT_HORIZON_DAYS,
            sample_every_days: DEFAULT_SAMPLE_EVERY_DAYS,
        }
    }
}

/// A past score against what happened after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelledPrediction {
    /// The client's index in the replay's input.
    pub client: usize,
    pub at: DateTime<Utc>,
    pub overall: u8,
    /// Predicted churn %, 0-100: the heuristic's, or a calibrated one
    /// ([`ChurnCalibration::recalibrate`]).
    pub predicted_churn_pct: f64,
    /// The client churned within (at, at + horizon].
    pub churned: bool,
}

/// Labels every past score whose outcome is known as of `as_of`, in client then date order.
///
/// A point is labelled positive when the client churned within (date, date + horizon], negative
/// when the horizon has passed by `as_of` without a churn. Dropped: points at or after the churn
/// (the client was already gone: not a prediction), points whose horizon is not over yet with no
/// churn so far (unknown outcome), and points after `as_of`. A churn date after `as_of` is not known
/// yet, so it is ignored. Then one point per client per `sample_every_days` is kept, from the oldest.
pub fn replay(
    clients: &[ClientOutcome],
    as_of: DateTime<Utc>,
    options: ReplayOptions,
) -> Vec<LabelledPrediction> {
    let horizon = Duration::days(options.horizon_days);
    let sample_every = Duration::days(options.sample_every_days.max(0));
    let mut predictions = Vec::new();
    for (client, outcome) in clients.iter().enumerate() {
        let churned_at = outcome.churned_at.filter(|c| *c <= as_of);
        let mut points: Vec<&ScoreObservation> = outcome.points.iter().collect();
        // Stable: equal dates keep their input order, so the output is deterministic.
        points.sort_by_key(|p| p.at);
        let mut last_kept: Option<DateTime<Utc>> = None;
        for point in points {
            let Some(churned) = label(point.at, churned_at, as_of, horizon) else {
                continue;
            };
            if last_kept.is_some_and(|kept| point.at < kept + sample_every) {
                continue;
            }
            last_kept = Some(point.at);
            predictions.push(LabelledPrediction {
                client,
                at: point.at,
                overall: point.overall,
                predicted_churn_pct: f64::from(point.churn_risk),
                churned,
            });
        }
    }
    predictions
}

/// The outcome of a score taken at `at`, or `None` when it is not a prediction or not known yet.
fn label(
    at: DateTime<Utc>,
    churned_at: Option<DateTime<Utc>>,
    as_of: DateTime<Utc>,
    horizon: Duration,
) -> Option<bool> {
    if at > as_of {
        return None;
    }
    let horizon_end = at + horizon;
    match churned_at {
        Some(churn) if churn <= at => None,
        Some(churn) if churn <= horizon_end => Some(true),
        _ if horizon_end <= as_of => Some(false),
        _ => None,
    }
}

/// Area under the ROC curve of `score` for telling positives from negatives: the chance that a
/// random positive scores higher than a random negative, ties counting half (Mann-Whitney U from
/// mid-ranks). `None` when either class is empty.
pub fn auc(scored: &[(f64, bool)]) -> Option<f64> {
    let positives = scored.iter().filter(|(_, positive)| *positive).count();
    let negatives = scored.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<&(f64, bool)> = scored.iter().collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Sum of the positives' ranks (1-based), each tie group sharing its mean rank.
    let mut positive_rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let end = start
            + order[start..]
                .iter()
                .take_while(|s| s.0.total_cmp(&order[start].0) == Ordering::Equal)
                .count();
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        let tied_positives = order[start..end].iter().filter(|s| s.1).count();
        positive_rank_sum += mean_rank * tied_positives as f64;
        start = end;
    }
    let (p, n) = (positives as f64, negatives as f64);
    let u = positive_rank_sum - p * (p + 1.0) / 2.0;
    Some(u / (p * n))
}

/// Churn rate of the 10% lowest by `overall` against the base rate (2.0: twice as many churners as
/// in the whole set). The decile holds exactly a tenth of the predictions: a tie group straddling
/// its edge counts in proportion (its churn rate times the share of it that fits), so the answer
/// does not depend on input order. `None` when there is nothing or nobody churned.
pub fn lowest_decile_lift(by_overall: &[(f64, bool)]) -> Option<f64> {
    let total = by_overall.len();
    let churned = by_overall.iter().filter(|(_, c)| *c).count();
    if total == 0 || churned == 0 {
        return None;
    }
    let base_rate = churned as f64 / total as f64;
    let mut order: Vec<&(f64, bool)> = by_overall.iter().collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    let decile_size = total as f64 / 10.0;
    let mut taken = 0.0;
    let mut churners_taken = 0.0;
    let mut start = 0;
    while start < order.len() && taken < decile_size {
        let end = start
            + order[start..]
                .iter()
                .take_while(|s| s.0.total_cmp(&order[start].0) == Ordering::Equal)
                .count();
        let group = (end - start) as f64;
        let group_churners = order[start..end].iter().filter(|s| s.1).count() as f64;
        let share = ((decile_size - taken) / group).min(1.0);
        taken += group * share;
        churners_taken += group_churners * share;
        start = end;
    }
    Some(churners_taken / decile_size / base_rate)
}

/// Predicted churn % against observed churn, in [`CALIBRATION_BINS`] bins of 10 points (all bins,
/// empty ones included, lowest first). Predictions outside 0..=100 count in the nearest bin.
pub fn calibration_table(predicted: &[(f64, bool)]) -> Vec<CalibrationBin> {
    let width = 100.0 / CALIBRATION_BINS as f64;
    let mut sums = [(0usize, 0.0f64, 0usize); CALIBRATION_BINS];
    for &(pct, churned) in predicted {
        let bin = ((pct / width).floor().max(0.0) as usize).min(CALIBRATION_BINS - 1);
        sums[bin].0 += 1;
        sums[bin].1 += pct;
        sums[bin].2 += usize::from(churned);
    }
    sums.iter()
        .enumerate()
        .map(|(bin, &(count, predicted_sum, churned))| CalibrationBin {
            lower_pct: bin as f64 * width,
            upper_pct: (bin + 1) as f64 * width,
            count,
            mean_predicted_pct: (count > 0).then(|| predicted_sum / count as f64),
            observed_pct: (count > 0).then(|| 100.0 * churned as f64 / count as f64),
        })
        .collect()
}

/// Expected calibration error in percentage points: the count-weighted mean of
/// |mean predicted - observed| over the bins. `None` when the table is empty.
pub fn expected_calibration_error(table: &[CalibrationBin]) -> Option<f64> {
    let total: usize = table.iter().map(|b| b.count).sum();
    if total == 0 {
        return None;
    }
    let weighted_gap: f64 = table
        .iter()
        .filter_map(|b| {
            let gap = (b.mean_predicted_pct? - b.observed_pct?).abs();
            Some(gap * b.count as f64)
        })
        .sum();
    Some(weighted_gap / total as f64)
}

impl BacktestReport {
    /// Measures `predictions` (from [`replay`], recalibrated or not).
    pub fn of(predictions: &[LabelledPrediction]) -> Self {
        let by_churn: Vec<(f64, bool)> = predictions
            .iter()
            .map(|p| (p.predicted_churn_pct, p.churned))
            .collect();
        let by_overall: Vec<(f64, bool)> = predictions
            .iter()
            .map(|p| (f64::from(p.overall), p.churned))
            .collect();
        let churned = predictions.iter().filter(|p| p.churned).count();
        let (clients, churned_clients) = client_counts(predictions);
        let calibration = calibration_table(&by_churn);
        Self {
            predictions: predictions.len(),
            churned,
            clients,
            churned_clients,
            base_rate_pct: (!predictions.is_empty())
                .then(|| 100.0 * churned as f64 / predictions.len() as f64),
            auc: auc(&by_churn),
            lowest_decile_lift: lowest_decile_lift(&by_overall),
            expected_calibration_error: expected_calibration_error(&calibration),
            calibration,
        }
    }
}

/// Distinct clients, and distinct clients with at least one positive label.
fn client_counts(predictions: &[LabelledPrediction]) -> (usize, usize) {
    let all: BTreeSet<usize> = predictions.iter().map(|p| p.client).collect();
    let churned: BTreeSet<usize> = predictions
        .iter()
        .filter(|p| p.churned)
        .map(|p| p.client)
        .collect();
    (all.len(), churned.len())
}

/// A run of predicted churn % over which isotonic regression gives one churn rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsotonicBlock {
    /// Lowest and highest predicted churn % in the block.
    pub lowest_pct: f64,
    pub highest_pct: f64,
    pub count: usize,
    pub churned: usize,
}

impl IsotonicBlock {
    /// Observed churn rate of the block, 0-1.
    pub fn rate(&self) -> f64 {
        self.churned as f64 / self.count as f64
    }
}

/// Isotonic regression of outcome on predicted churn % by pool-adjacent-violators: the
/// non-decreasing step function closest (least squares) to the outcomes. Blocks come out by
/// increasing predicted %, with strictly increasing rates; equal predictions always share a block.
pub fn pool_adjacent_violators(pairs: &[(f64, bool)]) -> Vec<IsotonicBlock> {
    let mut sorted: Vec<&(f64, bool)> = pairs.iter().filter(|p| p.0.is_finite()).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut blocks: Vec<IsotonicBlock> = Vec::new();
    for &&(pct, churned) in &sorted {
        match blocks.last_mut() {
            Some(last) if last.highest_pct == pct => {
                last.count += 1;
                last.churned += usize::from(churned);
            }
            _ => blocks.push(IsotonicBlock {
                lowest_pct: pct,
                highest_pct: pct,
                count: 1,
                churned: usize::from(churned),
            }),
        }
        // Pool while the previous block's rate is not below the last one's. Cross-multiplied
        // counts compare the rates exactly.
        while blocks.len() >= 2 {
            let last = blocks[blocks.len() - 1];
            let previous = blocks[blocks.len() - 2];
            if previous.churned * last.count < last.churned * previous.count {
                break;
            }
            blocks.pop();
            if let Some(merged) = blocks.last_mut() {
                merged.highest_pct = last.highest_pct;
                merged.count += last.count;
                merged.churned += last.churned;
            }
        }
    }
    blocks
}

impl ChurnCalibration {
    /// Fits churn % to labelled predictions by isotonic regression. Refused with
    /// [`CalibrationError::NotEnoughOutcomes`] below [`MIN_LABELLED_OUTCOMES`] churned clients (a
    /// positive label) or as many clients that did not churn (labels, none positive).
    pub fn fit(predictions: &[LabelledPrediction]) -> Result<Self, CalibrationError> {
        let (clients, churned_clients) = client_counts(predictions);
        let not_churned_clients = clients - churned_clients;
        if churned_clients < MIN_LABELLED_OUTCOMES || not_churned_clients < MIN_LABELLED_OUTCOMES {
            return Err(CalibrationError::NotEnoughOutcomes {
                churned: churned_clients,
                not_churned: not_churned_clients,
                needed: MIN_LABELLED_OUTCOMES,
            });
        }
        let pairs: Vec<(f64, bool)> = predictions
            .iter()
            .map(|p| (p.predicted_churn_pct.clamp(0.0, 100.0), p.churned))
            .collect();
        let mut knots = Vec::new();
        for block in pool_adjacent_violators(&pairs) {
            let calibrated_pct = 100.0 * block.rate();
            knots.push(CalibrationKnot {
                heuristic_pct: block.lowest_pct,
                calibrated_pct,
            });
            if block.highest_pct > block.lowest_pct {
                knots.push(CalibrationKnot {
                    heuristic_pct: block.highest_pct,
                    calibrated_pct,
                });
            }
        }
        Self::from_knots(knots, churned_clients, not_churned_clients)
    }

    /// The same predictions with their churn % calibrated.
    pub fn recalibrate(&self, predictions: &[LabelledPrediction]) -> Vec<LabelledPrediction> {
        predictions
            .iter()
            .map(|p| LabelledPrediction {
                predicted_churn_pct: self.calibrated_pct(p.predicted_churn_pct),
                ..*p
            })
            .collect()
    }
}

/// The tenant's backtest of `predictions` (from [`replay`], heuristic churn %) and, when the outcomes
/// allow, the calibration fitted to them with its own (in-sample) backtest.
pub fn assess(
    predictions: &[LabelledPrediction],
    clients: usize,
    churned_clients: usize,
    horizon_days: u32,
    now: DateTime<Utc>,
) -> TenantCalibration {
    let heuristic = BacktestReport::of(predictions);
    let (calibration, not_calibrated_because) = match ChurnCalibration::fit(predictions) {
        Ok(calibration) => (Some(calibration), None),
        Err(error) => (None, Some(error.to_string())),
    };
    let calibrated = calibration
        .as_ref()
        .map(|c| BacktestReport::of(&c.recalibrate(predictions)));
    TenantCalibration {
        computed_at: now,
        horizon_days,
        clients,
        churned_clients,
        heuristic,
        calibrated,
        calibration,
        not_calibrated_because,
    }
}

/// Maps each score's churn % through the tenant's calibration; without one, scores keep the
/// heuristic's. Returns whether they are calibrated.
pub fn calibrate_scores(
    scores: &mut [HealthScore],
    calibration: Option<&ChurnCalibration>,
) -> bool {
    let Some(calibration) = calibration else {
        return false;
    };
    for score in scores {
        let calibrated = calibration.calibrated_pct(f64::from(score.churn_risk));
        score.churn_risk = calibrated.round().clamp(0.0, 100.0) as u8;
    }
    true
}

#[cfg(test)]
#[path = "calibration_tests.rs"]
mod tests;
