//! A 30-day projection of a client's overall score from its history, and whether it is projected to
//! fall into "at risk" (issue 18's forecast).
//!
//! Pure: `now` is passed in; the same history gives the same forecast.

use super::context::percentile;
use crate::domain::ScorePoint;
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// How far ahead the forecast looks.
pub const FORECAST_HORIZON_DAYS: i64 = 30;

/// Only the points of the last this many days make the trend: older behaviour says little about
/// the next month, and it bounds the pairwise work (see [`forecast_overall`]).
pub const TREND_WINDOW_DAYS: i64 = 90;

/// Fewer days with a score than this give no forecast.
pub const MIN_FORECAST_POINTS: usize = 5;

/// The points must span at least this many days: a trend over a few days is mostly noise, and
/// projecting it 30 days ahead would multiply that noise.
pub const MIN_FORECAST_SPAN_DAYS: f64 = 14.0;

/// The band is meant to hold some 80% of outcomes: z of a two-sided 80% normal interval for the
/// slope, and the 80th percentile of the absolute residuals for the day-to-day scatter.
const BAND_Z: f64 = 1.2816;
const RESIDUAL_QUANTILE: f64 = 0.8;

/// A projection's confidence: 70% from how much of the band is under the threshold, 30% from how
/// many days back it, full at this many (a month of daily scores).
const BAND_SHARE_WEIGHT: f64 = 0.7;
const SUPPORT_WEIGHT: f64 = 0.3;
const FULL_SUPPORT_POINTS: f64 = 30.0;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// A score as the forecast needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverallPoint {
    pub at: DateTime<Utc>,
    /// Overall health, 0-100.
    pub overall: f64,
}

impl From<&ScorePoint> for OverallPoint {
    fn from(point: &ScorePoint) -> Self {
        Self {
            at: point.at,
            overall: f64::from(point.overall),
        }
    }
}

/// Where a client's overall is heading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverallForecast {
    /// Theil-Sen slope, points per day.
    pub slope_per_day: f64,
    /// The slope's approximate 80% interval (Sen's rank-based interval), points per day.
    pub slope_low_per_day: f64,
    pub slope_high_per_day: f64,
    /// The trend line at `now` (not clamped).
    pub level_now: f64,
    /// The overall of the newest point used.
    pub latest_overall: f64,
    /// The trend line [`FORECAST_HORIZON_DAYS`] after `now`, clamped to 0..=100.
    pub projected: f64,
    /// The band around `projected`, clamped to 0..=100; `low <= projected <= high`.
    pub low: f64,
    pub high: f64,
    /// Days with a score that made the trend, and the days between the first and the last.
    pub points_used: usize,
    pub span_days: f64,
}

/// Projects the overall score [`FORECAST_HORIZON_DAYS`] after `now` from the history.
///
/// Method:
/// - Points: those of the last [`TREND_WINDOW_DAYS`] up to `now`, the newest of each UTC day
///   (several runs a day must not weigh a day more; it also caps the work at 91 points, about 4,100
///   pairs). `None` with fewer than [`MIN_FORECAST_POINTS`] of them or a span under
///   [`MIN_FORECAST_SPAN_DAYS`].
/// - Trend: Theil-Sen: the slope is the median of the slopes between every pair of points (an
///   outlier moves only the pairs it is in, so the median barely moves), the intercept the median
///   of the residuals `overall - slope x day`.
/// - Band: two parts added (conservative, not combined in quadrature): the slope's uncertainty,
///   Sen's rank-based interval (the pairwise slopes of ranks (N -+ C)/2 with
///   C = z sqrt(n(n-1)(2n+5)/18), z for 80%) fanned out from the middle of the data to the horizon;
///   and the scatter around the line, the 80th percentile of |residual|. A straight line has a
///   band of zero width; noise and a short history widen it.
pub fn forecast_overall(history: &[OverallPoint], now: DateTime<Utc>) -> Option<OverallForecast> {
    let points = daily_points(history, now);
    let (first, last) = (points.first()?, points.last()?);
    let span_days = last.0 - first.0;
    if points.len() < MIN_FORECAST_POINTS || span_days < MIN_FORECAST_SPAN_DAYS {
        return None;
    }
    let mut slopes = pairwise_slopes(&points);
    slopes.sort_by(f64::total_cmp);
    let slope = median_of_sorted(&slopes)?;
    let mut intercepts: Vec<f64> = points.iter().map(|(x, y)| y - slope * x).collect();
    intercepts.sort_by(f64::total_cmp);
    let level_now = median_of_sorted(&intercepts)?;

    let mut scatter: Vec<f64> = points
        .iter()
        .map(|(x, y)| (y - (level_now + slope * x)).abs())
        .collect();
    scatter.sort_by(f64::total_cmp);
    let residual_spread = percentile(&scatter, RESIDUAL_QUANTILE)?;
    let (slope_low, slope_high) = sen_interval(&slopes, points.len());

    let mut days: Vec<f64> = points.iter().map(|(x, _)| *x).collect();
    days.sort_by(f64::total_cmp);
    let pivot_day = median_of_sorted(&days)?;
    let pivot_level = level_now + slope * pivot_day;
    let reach = FORECAST_HORIZON_DAYS as f64 - pivot_day;
    let projected_raw = level_now + slope * FORECAST_HORIZON_DAYS as f64;
    let low_raw = (pivot_level + slope_low * reach - residual_spread).min(projected_raw);
    let high_raw = (pivot_level + slope_high * reach + residual_spread).max(projected_raw);
    Some(OverallForecast {
        slope_per_day: slope,
        slope_low_per_day: slope_low,
        slope_high_per_day: slope_high,
        level_now,
        latest_overall: last.1,
        projected: clamp_score(projected_raw),
        low: clamp_score(low_raw),
        high: clamp_score(high_raw),
        points_used: points.len(),
        span_days,
    })
}

/// A forecast that a client now outside "at risk" will be in it within the horizon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AtRiskProjection {
    /// 0-100: 70% from the share of the band under the threshold, 30% from the days behind the
    /// trend (full at 30).
    pub confidence: u8,
    /// Days from `now` until the trend line crosses the threshold (0 when it already has, while
    /// the latest score has not).
    pub days_to_threshold: f64,
}

/// Whether the client is projected to fall into "at risk" (an overall under `at_risk_below`)
/// within [`FORECAST_HORIZON_DAYS`]: its latest overall is not under the threshold and the
/// projection is. `None` otherwise, including a client already at risk (nothing to forecast).
///
/// The threshold is the caller's: the "at risk" health band starts under 50 (`HealthBand::of`),
/// and the tenant's risk factor "overall under" is `Thresholds::at_risk_overall` (seed 40).
pub fn projected_at_risk(
    forecast: &OverallForecast,
    at_risk_below: u8,
) -> Option<AtRiskProjection> {
    let threshold = f64::from(at_risk_below);
    if forecast.latest_overall < threshold || forecast.projected >= threshold {
        return None;
    }
    let band_width = forecast.high - forecast.low;
    let share_below = if band_width > f64::EPSILON {
        ((threshold - forecast.low) / band_width).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let support = (forecast.points_used as f64 / FULL_SUPPORT_POINTS).min(1.0);
    let confidence = 100.0 * (BAND_SHARE_WEIGHT * share_below + SUPPORT_WEIGHT * support);
    let days_to_threshold = if forecast.slope_per_day < 0.0 {
        ((threshold - forecast.level_now) / forecast.slope_per_day)
            .clamp(0.0, FORECAST_HORIZON_DAYS as f64)
    } else {
        0.0
    };
    Some(AtRiskProjection {
        confidence: confidence.round().clamp(0.0, 100.0) as u8,
        days_to_threshold,
    })
}

/// (days relative to `now`, overall) of the newest point of each UTC day in the trend window,
/// oldest first.
fn daily_points(history: &[OverallPoint], now: DateTime<Utc>) -> Vec<(f64, f64)> {
    let window_start = now - Duration::days(TREND_WINDOW_DAYS);
    let mut recent: Vec<&OverallPoint> = history
        .iter()
        .filter(|p| p.at > window_start && p.at <= now && p.overall.is_finite())
        .collect();
    // Stable: of two points at the same instant the later in the input wins, deterministically.
    recent.sort_by_key(|p| p.at);
    let mut newest_of_day: Vec<(NaiveDate, &OverallPoint)> = Vec::new();
    for point in recent {
        let day = point.at.date_naive();
        match newest_of_day.last_mut() {
            Some((last_day, kept)) if *last_day == day => *kept = point,
            _ => newest_of_day.push((day, point)),
        }
    }
    newest_of_day
        .into_iter()
        .map(|(_, p)| {
            let days = (p.at - now).num_seconds() as f64 / SECONDS_PER_DAY;
            (days, p.overall)
        })
        .collect()
}

/// The slope between every pair of points at different days.
fn pairwise_slopes(points: &[(f64, f64)]) -> Vec<f64> {
    let mut slopes = Vec::with_capacity(points.len() * points.len().saturating_sub(1) / 2);
    for (i, (x0, y0)) in points.iter().enumerate() {
        for (x1, y1) in &points[i + 1..] {
            if x1 > x0 {
                slopes.push((y1 - y0) / (x1 - x0));
            }
        }
    }
    slopes
}

/// Sen's approximate confidence interval of the Theil-Sen slope from the sorted pairwise slopes of
/// `n` points: the slopes of ranks (N - C)/2 and (N + C)/2 + 1, C = z sqrt(n(n-1)(2n+5)/18).
fn sen_interval(sorted_slopes: &[f64], n: usize) -> (f64, f64) {
    let pairs = sorted_slopes.len();
    let Some(&first) = sorted_slopes.first() else {
        return (0.0, 0.0);
    };
    let n = n as f64;
    let spread = BAND_Z * (n * (n - 1.0) * (2.0 * n + 5.0) / 18.0).sqrt();
    let rank = |r: f64| (r.round().max(1.0) as usize).min(pairs) - 1;
    let lower = rank((pairs as f64 - spread) / 2.0);
    let upper = rank((pairs as f64 + spread) / 2.0 + 1.0);
    (
        sorted_slopes.get(lower).copied().unwrap_or(first),
        sorted_slopes.get(upper).copied().unwrap_or(first),
    )
}

fn median_of_sorted(sorted: &[f64]) -> Option<f64> {
    percentile(sorted, 0.5)
}

fn clamp_score(value: f64) -> f64 {
    value.clamp(0.0, 100.0)
}

#[cfg(test)]
#[path = "forecast_tests.rs"]
mod tests;
