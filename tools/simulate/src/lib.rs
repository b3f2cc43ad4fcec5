//! One hour of the whole stack with ten thousand tenants, simulated (issue 19): does every tenant's
//! hourly sync finish within the hour, at which reserved concurrency, which DynamoDB key gets hot
//! first, and what the month costs. Deterministic: the same options always print the same report.
//!
//! `cargo run -p simulate --release -- --sweep` (see `--help`). Every figure it rests on is in
//! [`assumptions`] and printed with its source.

pub mod assumptions;
pub mod cost;
pub mod model;
pub mod report;
pub mod rng;
pub mod sim;

use assumptions::{ACCOUNT_CONCURRENCY, DEFAULT_RESERVED_CONCURRENCY};
use sim::{simulate_hour, simulate_hour_in, Hour, Order};

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub tenants: usize,
    pub seed: u64,
    pub reserved: u32,
    /// Print the sweep's table too (the smallest sufficient concurrency is always printed).
    pub sweep: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tenants: 10_000,
            seed: 19,
            reserved: DEFAULT_RESERVED_CONCURRENCY,
            sweep: false,
        }
    }
}

/// The smallest reserved concurrency at which no tenant misses the hour, by bisection (more
/// concurrency never finishes later: `tests::more_concurrency_never_finishes_later`).
pub fn smallest_sufficient(tenants: &[model::Tenant], seed: u64, order: Order) -> Option<u32> {
    let top = ACCOUNT_CONCURRENCY - 1;
    if simulate_hour_in(tenants, top, seed, order).missed() > 0 {
        return None;
    }
    let (mut low, mut high) = (1, top);
    while low < high {
        let mid = (low + high) / 2;
        if simulate_hour_in(tenants, mid, seed, order).missed() == 0 {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    Some(low)
}

/// Runs the simulation and returns the report.
pub fn run(options: &Options) -> String {
    let tenants = model::population(options.tenants, options.seed);
    let hour = simulate_hour(&tenants, options.reserved, options.seed);
    let smallest = smallest_sufficient(&tenants, options.seed, Order::Index);
    let smallest_longest_first = smallest_sufficient(&tenants, options.seed, Order::LongestFirst);
    let smallest_continuations_ahead = smallest_sufficient(
        &tenants,
        options.seed,
        Order::LongestFirstContinuationsAhead,
    );
    let smallest_spread = smallest_sufficient(&tenants, options.seed, Order::Spread);
    let mut out = String::new();
    out.push_str("Connected Insights: one simulated hour of the whole stack (issue 19)\n\n");
    report::assumptions(&mut out);
    report::population(&mut out, &tenants, options.seed);
    report::hour(&mut out, &hour, &tenants);
    let mut sweep: Vec<Hour> = Vec::new();
    if options.sweep {
        let mut levels = vec![1, 2, 5, 10, 20, 50, 100, 200];
        if let Some(r) = smallest {
            levels.extend([r.saturating_sub(1).max(1), r]);
        }
        levels.sort_unstable();
        levels.dedup();
        sweep = levels
            .into_iter()
            .map(|r| simulate_hour(&tenants, r, options.seed))
            .collect();
    }
    report::sweep(
        &mut out,
        &sweep,
        [
            smallest,
            smallest_longest_first,
            smallest_continuations_ahead,
            smallest_spread,
        ],
    );
    report::partitions(&mut out, &hour);
    report::one_tenant(&mut out);
    let month = cost::month(&tenants, hour.dispatch_seconds);
    report::cost(&mut out, &month, &tenants);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{population, sync_work, SyncKind};

    #[test]
    fn same_seed_same_report_and_another_seed_another() {
        let options = Options {
            tenants: 1_000,
            sweep: true,
            ..Options::default()
        };
        let first = run(&options);
        assert_eq!(first, run(&options));
        let other = run(&Options {
            seed: 20,
            ..options.clone()
        });
        assert_ne!(first, other);
    }

    #[test]
    fn with_enough_capacity_every_tenant_syncs_exactly_once_and_is_scored() {
        let tenants = population(3_000, 7);
        let hour = simulate_hour(&tenants, 400, 7);
        assert_eq!(hour.missed(), 0);
        let mut expected_invocations = 1; // the dispatch
        for (tenant, outcome) in tenants.iter().zip(&hour.tenants) {
            let kind = if tenant.full_sync_hour == 0 {
                SyncKind::DailyFull
            } else {
                SyncKind::Incremental
            };
            let work = sync_work(tenant, kind);
            assert!(!outcome.dropped);
            assert!(outcome.synced_at.is_some() && outcome.scored_at.is_some());
            // One run: exactly the invocations its work needs, no duplicate, none lost.
            assert_eq!(outcome.invocations as u64, work.invocations());
            expected_invocations += work.invocations();
        }
        assert_eq!(hour.sync_invocations, expected_invocations);
        assert_eq!(hour.score_invocations, tenants.len() as u64);
    }

    #[test]
    fn more_concurrency_never_finishes_later() {
        let tenants = population(2_000, 11);
        for order in [
            Order::Index,
            Order::LongestFirst,
            Order::LongestFirstContinuationsAhead,
            Order::Spread,
        ] {
            never_later(&tenants, order);
        }
    }

    fn never_later(tenants: &[model::Tenant], order: Order) {
        let mut previous: Option<(usize, f64)> = None;
        for reserved in 1..=12 {
            let hour = simulate_hour_in(tenants, reserved, 11, order);
            let last = hour
                .tenants
                .iter()
                .filter(|t| t.fits_the_hour)
                .map(|t| t.scored_at.unwrap_or(f64::INFINITY))
                .fold(0.0, f64::max);
            let missed = hour.missed();
            if let Some((missed_before, last_before)) = previous {
                assert!(
                    missed <= missed_before,
                    "{reserved}: {missed} > {missed_before}"
                );
                assert!(
                    last <= last_before + 1e-6,
                    "{reserved}: {last} > {last_before}"
                );
            }
            previous = Some((missed, last));
        }
    }

    #[test]
    fn an_undersized_concurrency_is_reported_as_missing_the_hour() {
        let tenants = population(4_000, 3);
        let hour = simulate_hour(&tenants, 1, 3);
        assert!(hour.missed() > 1_000, "{}", hour.missed());
        // Events that waited longer than the age limit were discarded.
        assert!(hour.tenants.iter().any(|t| t.dropped));
        let report = run(&Options {
            tenants: 4_000,
            seed: 3,
            reserved: 1,
            sweep: false,
        });
        assert!(report.contains("MISSED the hour"), "{report}");
        let smallest = smallest_sufficient(&tenants, 3, Order::Index).unwrap_or(u32::MAX);
        assert!(smallest > 1 && simulate_hour(&tenants, smallest, 3).missed() == 0);
        assert!(simulate_hour(&tenants, smallest - 1, 3).missed() > 0);
    }
}
