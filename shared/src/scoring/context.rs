//! What the engine knows about a tenant as a whole: its revenue distribution, so a client's revenue is
//! valued against its peers rather than against a fixed scale, and the median revenue of its healthy
//! clients, for upsell.

use crate::domain::{HealthBand, HealthScore};
use crate::scoring::{ClientFeatures, ProductPeers};

/// With fewer revenue figures than this the tenant's own distribution says little, and revenue is
/// valued on the fixed fallback scale.
pub const MIN_PEERS_FOR_DISTRIBUTION: usize = 5;
/// Upsell compares against healthy peers only when there are at least this many with revenue.
pub const MIN_HEALTHY_PEERS: usize = 3;

/// Fixed log scale for tenants too small to have a distribution: $100 scores 0, $100,000 scores 100.
const FALLBACK_LOW: f64 = 100.0;
const FALLBACK_HIGH: f64 = 100_000.0;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TenantContext {
    /// Positive revenue figures of the tenant's clients, ascending.
    revenues: Vec<f64>,
    /// Median revenue of healthy clients (overall at least the healthy band), once scores are known.
    healthy_median_revenue: Option<f64>,
    healthy_peers: usize,
    /// What clients with a linked Pax8 company hold, for the product gap.
    products: ProductPeers,
}

/// The p-quantile of ascending values, interpolating linearly between ranks; `None` when empty.
pub(super) fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = p.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let low = rank.floor() as usize;
    let high = rank.ceil() as usize;
    let fraction = rank - low as f64;
    Some(sorted[low] + (sorted[high] - sorted[low]) * fraction)
}

impl TenantContext {
    pub fn from_features(features: &[ClientFeatures]) -> Self {
        let revenues = features.iter().filter_map(|f| f.revenue.amount()).collect();
        Self::from_figures(revenues, ProductPeers::from_features(features))
    }

    /// The context of the tenant's revenue figures (any order; those not positive are left out) and
    /// product peers, gathered a page of clients at a time by a run too large to hold them all.
    pub fn from_figures(mut revenues: Vec<f64>, products: ProductPeers) -> Self {
        revenues.retain(|r| *r > 0.0);
        revenues.sort_by(f64::total_cmp);
        Self {
            revenues,
            healthy_median_revenue: None,
            healthy_peers: 0,
            products,
        }
    }

    /// Adds what only the scores tell: the median revenue of the tenant's healthy clients.
    /// `features` and `scores` are matched by client id.
    pub fn with_scores(self, features: &[ClientFeatures], scores: &[HealthScore]) -> Self {
        let healthy: std::collections::HashSet<&str> = scores
            .iter()
            .filter(|s| HealthBand::of(s.overall) == HealthBand::Healthy)
            .map(|s| s.client_id.as_str())
            .collect();
        let revenues = features
            .iter()
            .filter(|f| healthy.contains(f.client_id.as_str()))
            .filter_map(|f| f.revenue.amount())
            .collect();
        self.with_healthy_revenues(revenues)
    }

    /// Like [`TenantContext::with_scores`], from the revenue figures of the healthy clients (any
    /// order; those not positive are left out).
    pub fn with_healthy_revenues(mut self, mut revenues: Vec<f64>) -> Self {
        revenues.retain(|r| *r > 0.0);
        revenues.sort_by(f64::total_cmp);
        self.healthy_peers = revenues.len();
        self.healthy_median_revenue = if revenues.len() >= MIN_HEALTHY_PEERS {
            percentile(&revenues, 0.5)
        } else {
            None
        };
        self
    }

    /// What the tenant's clients with a linked Pax8 company hold.
    pub fn product_peers(&self) -> &ProductPeers {
        &self.products
    }

    /// The median revenue of healthy clients, when enough of them have revenue to compare against.
    pub fn healthy_median_revenue(&self) -> Option<f64> {
        self.healthy_median_revenue
    }

    pub fn healthy_peers(&self) -> usize {
        self.healthy_peers
    }

    /// Clients of the tenant with a positive revenue figure.
    pub fn revenue_peers(&self) -> usize {
        self.revenues.len()
    }

    /// Revenue value 0..=100 on a log scale between the tenant's 5th and 95th percentiles (so one
    /// giant account does not flatten everyone else), or on the fixed $100..$100,000 scale when the
    /// tenant is too small or too uniform to have a distribution.
    pub fn revenue_value(&self, revenue: f64) -> f64 {
        if revenue.is_nan() || revenue <= 0.0 {
            return 0.0;
        }
        let (low, high) = self.revenue_scale();
        let position =
            ((1.0 + revenue).ln() - (1.0 + low).ln()) / ((1.0 + high).ln() - (1.0 + low).ln());
        (100.0 * position).clamp(0.0, 100.0)
    }

    fn revenue_scale(&self) -> (f64, f64) {
        if self.revenues.len() >= MIN_PEERS_FOR_DISTRIBUTION {
            if let (Some(low), Some(high)) = (
                percentile(&self.revenues, 0.05),
                percentile(&self.revenues, 0.95),
            ) {
                // A spread under 10% is no distribution to rank against.
                if high > low * 1.1 {
                    return (low, high);
                }
            }
        }
        (FALLBACK_LOW, FALLBACK_HIGH)
    }

    /// Where a revenue figure sits in the tenant (0.0..=1.0), for the size of an impact.
    pub fn revenue_rank(&self, revenue: f64) -> Option<f64> {
        if self.revenues.is_empty() || revenue.is_nan() || revenue <= 0.0 {
            return None;
        }
        let below = self.revenues.partition_point(|r| *r < revenue);
        let at_or_below = self.revenues.partition_point(|r| *r <= revenue);
        Some((below + at_or_below) as f64 / 2.0 / self.revenues.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(revenues: &[f64]) -> TenantContext {
        let mut sorted = revenues.to_vec();
        sorted.sort_by(f64::total_cmp);
        TenantContext {
            revenues: sorted,
            ..TenantContext::default()
        }
    }

    #[test]
    fn revenue_value_is_log_scaled_between_tenant_percentiles() {
        let ctx = context(&[1_000.0, 2_000.0, 5_000.0, 10_000.0, 100_000.0, 1_000_000.0]);
        let small = ctx.revenue_value(1_000.0);
        let mid = ctx.revenue_value(10_000.0);
        let big = ctx.revenue_value(1_000_000.0);
        assert!(small < mid && mid < big);
        assert_eq!(big, 100.0);
        assert_eq!(ctx.revenue_value(0.0), 0.0);
        assert_eq!(ctx.revenue_value(f64::NAN), 0.0);
    }

    #[test]
    fn small_tenants_use_the_fixed_scale() {
        let ctx = context(&[5_000.0]);
        assert_eq!(ctx.revenue_value(100_000.0), 100.0);
        assert!(ctx.revenue_value(100.0) < 0.001);
        let halfway = ctx.revenue_value((100.0f64 * 100_000.0).sqrt());
        assert!((halfway - 50.0).abs() < 1.0, "{halfway}");
    }

    #[test]
    fn rank_places_revenue_in_the_tenant() {
        let ctx = context(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(ctx.revenue_rank(0.5), Some(0.0));
        assert_eq!(ctx.revenue_rank(10.0), Some(1.0));
        assert_eq!(ctx.revenue_rank(2.5), Some(0.5));
        assert_eq!(context(&[]).revenue_rank(10.0), None);
    }
}
