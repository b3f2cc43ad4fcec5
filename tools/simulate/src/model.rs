//! The tenants and what one sync or one scoring run of a tenant costs: HubSpot requests and their
//! pacing, DynamoDB units per partition key, events, secret calls. Pure arithmetic over the figures in
//! [`crate::assumptions`]; the hour's simulation ([`crate::sim`]) schedules the results.

use crate::assumptions::*;
use crate::rng::Rng;

/// One tenant of the simulated stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub id: u32,
    pub companies: f64,
    pub contacts: f64,
    pub deals: f64,
    pub tickets: f64,
    pub engagements: f64,
    pub plan: Plan,
    /// Share of each object type changed per hour.
    pub change_share: f64,
    /// Hour of the day (0-23) of its daily full sync; the simulated hour is hour 0.
    pub full_sync_hour: u64,
}

impl Tenant {
    /// A tenant of `companies` companies with the records per company of its size.
    pub fn of_size(id: u32, companies: f64, plan: Plan, change_share: f64) -> Self {
        let ratios = ratios_for(companies);
        Tenant {
            id,
            companies,
            contacts: companies * ratios[0],
            deals: companies * ratios[1],
            tickets: companies * ratios[2],
            engagements: companies * ratios[3],
            plan,
            change_share,
            full_sync_hour: 1,
        }
    }

    pub fn records(&self) -> f64 {
        self.companies + self.contacts + self.deals + self.tickets + self.engagements
    }

    /// A client snapshot holds the company with its contacts, deals, tickets and every engagement.
    pub fn snapshot_kb(&self) -> f64 {
        let per = |n: f64| n / self.companies.max(1.0);
        SNAPSHOT_BASE_KB
            + per(self.contacts) * SNAPSHOT_KB_PER_CONTACT
            + per(self.deals) * SNAPSHOT_KB_PER_DEAL
            + per(self.tickets) * SNAPSHOT_KB_PER_TICKET
            + per(self.engagements) * SNAPSHOT_KB_PER_ENGAGEMENT
    }

    fn requests_per_second(&self) -> f64 {
        self.plan.per_ten_seconds as f64 / 10.0
    }

    /// Object counts by searched type: companies, contacts, deals, tickets, five engagement types.
    fn by_type(&self) -> [f64; 9] {
        let e = self.engagements / 5.0;
        [
            self.companies,
            self.contacts,
            self.deals,
            self.tickets,
            e,
            e,
            e,
            e,
            e,
        ]
    }
}

/// Records per company: the sandbox's benchmark ratios up to 10,000 companies, then moving (in
/// log10 of the size) to issue 19's largest portal at 100,000.
pub fn ratios_for(companies: f64) -> [f64; 4] {
    let t = ((companies.max(1.0).log10() - 4.0) / 1.0).clamp(0.0, 1.0);
    let mut out = [0.0; 4];
    for (i, o) in out.iter_mut().enumerate() {
        *o = SMALL_RATIOS[i] + t * (LARGE_RATIOS[i] - SMALL_RATIOS[i]);
    }
    out
}

/// `count` tenants drawn from `seed`. Tenant 0 is always issue 19's largest portal, whose daily full
/// sync falls in the simulated hour (the worst hour of the day).
pub fn population(count: usize, seed: u64) -> Vec<Tenant> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| {
            let companies = if i == 0 {
                LARGEST_COMPANIES as f64
            } else if rng.unit() < TAIL_SHARE {
                rng.pareto(TAIL_FROM, TAIL_INDEX)
                    .min(LARGEST_COMPANIES as f64)
            } else {
                rng.log_normal(SIZE_MEDIAN, SIZE_SIGMA).clamp(5.0, 5_000.0)
            }
            .round();
            let plan = draw_plan(&mut rng, companies);
            let change_share = rng
                .log_normal(CHANGE_MEDIAN, CHANGE_SIGMA)
                .clamp(CHANGE_MIN, CHANGE_MAX);
            let mut tenant = Tenant::of_size(i as u32, companies, plan, change_share);
            tenant.full_sync_hour = if i == 0 {
                0
            } else {
                rng.next_u64() % FULL_EVERY_HOURS
            };
            tenant
        })
        .collect()
}

fn draw_plan(rng: &mut Rng, companies: f64) -> Plan {
    let (_, starter, professional) = PLAN_MIX
        .iter()
        .copied()
        .find(|(below, _, _)| companies < *below as f64)
        .unwrap_or(PLAN_MIX[PLAN_MIX.len() - 1]);
    let u = rng.unit();
    if u < starter {
        PLANS[0]
    } else if u < starter + professional {
        PLANS[1]
    } else {
        PLANS[2]
    }
}

/// Write units of one item of `kb` (1 KB units).
pub fn wcu(kb: f64) -> f64 {
    kb.max(0.001).ceil()
}

/// Read units of one eventually consistent read of `kb` (4 KB units, halved).
pub fn rcu(kb: f64) -> f64 {
    (kb.max(0.001) / 4.0).ceil() * 0.5
}

/// Units a run puts on one partition key.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Units {
    pub read: f64,
    pub write: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncKind {
    Incremental,
    /// The daily full sync, over snapshots already stored.
    DailyFull,
    /// A tenant's first sync: nothing stored yet.
    FirstFull,
}

/// What one sync of a tenant costs and how long it takes on its own (no queueing).
#[derive(Debug, Clone, PartialEq)]
pub struct SyncWork {
    pub kind: SyncKind,
    /// Requests on HubSpot's general limit and on its search limit.
    pub requests: f64,
    pub searches: f64,
    /// Time paced by HubSpot (and the work per record), without DynamoDB throttling.
    pub paced_seconds: f64,
    /// Time with the tenant partition's throughput limit: the longer of the two.
    pub seconds: f64,
    /// Units on the tenant's own partition (`TENANT#<t>`).
    pub tenant_partition: Units,
    /// Write units on `TENANTS#ACTIVE` (gsi2) when the run records a full sync.
    pub active_index_writes: f64,
    /// Clients whose snapshot changed: what the score function receives.
    pub changed_clients: f64,
    pub secret_calls: f64,
}

impl SyncWork {
    /// Invocations the run takes: each stops before its deadline and continues.
    pub fn invocations(&self) -> u64 {
        (self.seconds / usable_seconds()).ceil().max(1.0) as u64
    }

    /// Write demand on the tenant partition: units a second while HubSpot sets the pace (over one
    /// second at least: a partition's limit is per second, so a shorter burst is its units).
    pub fn write_demand(&self) -> f64 {
        self.tenant_partition.write / self.paced_seconds.max(1.0)
    }

    pub fn read_demand(&self) -> f64 {
        self.tenant_partition.read / self.paced_seconds.max(1.0)
    }
}

/// Work time of one invocation before it must checkpoint and continue.
pub fn usable_seconds() -> f64 {
    SYNC_TIMEOUT_SECONDS - SYNC_RESERVE_SECONDS.min(SYNC_TIMEOUT_SECONDS * 0.2)
}

/// Companies touched by `records` changed records spread over `companies` (each names one company).
fn touched(companies: f64, records: f64) -> f64 {
    companies * (1.0 - (-records / companies.max(1.0)).exp())
}

/// The work of one sync of `tenant`.
pub fn sync_work(tenant: &Tenant, kind: SyncKind) -> SyncWork {
    let snap_kb = tenant.snapshot_kb();
    // The bookkeeping every run does: tenant, checkpoints, lease, run record.
    let mut reads = rcu(TENANT_ITEM_KB) + SEARCHED_TYPES as f64 * rcu(SMALL_ITEM_KB);
    let mut writes = 2.0 * wcu(SMALL_ITEM_KB) + 2.0 * wcu(SMALL_ITEM_KB);
    let (requests, searches, paced, changed) = match kind {
        SyncKind::Incremental => {
            let changed: Vec<f64> = tenant
                .by_type()
                .iter()
                .map(|n| n * tenant.change_share)
                .collect();
            let searches: f64 = changed
                .iter()
                .map(|c| {
                    (c / SEARCH_PAGE as f64).ceil().max(1.0)
                        + (c / SEARCH_RESULT_CAP as f64).floor()
                })
                .sum();
            // Search returns no associations: changed non-company records have theirs read in batches.
            let associations: f64 = changed[1..]
                .iter()
                .filter(|c| **c >= 1.0)
                .map(|c| (c / ASSOCIATION_BATCH as f64).ceil())
                .sum();
            let records: f64 = changed.iter().sum();
            let paced = searches / SEARCHES_PER_SECOND
                + associations / tenant.requests_per_second()
                + SYNC_FIXED_SECONDS
                + records * SECONDS_PER_RECORD;
            let clients = touched(tenant.companies, records);
            // Load the touched snapshots, check their stored hashes, write them; contact links too.
            reads += 2.0 * clients * rcu(snap_kb) + changed[1] * rcu(CONTACT_LINK_KB);
            writes += SEARCHED_TYPES as f64 * wcu(SMALL_ITEM_KB)
                + clients * wcu(snap_kb)
                + changed[1] * wcu(CONTACT_LINK_KB);
            (associations, searches, paced, clients)
        }
        SyncKind::DailyFull | SyncKind::FirstFull => {
            let requests: f64 = tenant
                .by_type()
                .iter()
                .map(|n| (n / LIST_PAGE as f64).ceil())
                .sum::<f64>()
                + 2.0;
            let paced = requests / tenant.requests_per_second() * FULL_SYNC_OVER_FLOOR;
            let flushes = (paced / FLUSH_EVERY_SECONDS).ceil().max(1.0);
            writes += flushes * SEARCHED_TYPES as f64 * wcu(SMALL_ITEM_KB);
            let changed = if kind == SyncKind::DailyFull {
                // Every stored snapshot is loaded once (and listed to find deletions); every contact
                // link's hash is checked; only what differs is written.
                let rewritten = tenant.companies * DAILY_FULL_REWRITE_SHARE;
                reads += 2.0 * tenant.companies * rcu(snap_kb)
                    + tenant.contacts * rcu(CONTACT_LINK_KB)
                    + rewritten * rcu(snap_kb);
                writes += rewritten * wcu(snap_kb);
                rewritten
            } else {
                // Nothing stored: each flush writes every snapshot touched since the last one, whole.
                let per_flush = touched(tenant.companies, tenant.records() / flushes);
                let snapshot_writes = flushes * per_flush;
                reads += snapshot_writes * rcu(snap_kb) + tenant.contacts * rcu(CONTACT_LINK_KB);
                writes += snapshot_writes * wcu(snap_kb) + tenant.contacts * wcu(CONTACT_LINK_KB);
                tenant.companies
            };
            (requests, 0.0, paced, changed)
        }
    };
    writes += (paced / LEASE_RENEW_SECONDS).floor() * wcu(SMALL_ITEM_KB);
    let tenant_partition = Units {
        read: reads,
        write: writes,
    };
    let throttled = (writes / PARTITION_WCU).max(reads / PARTITION_RCU);
    let seconds = paced.max(throttled);
    let full = kind != SyncKind::Incremental;
    let invocations = (seconds / usable_seconds()).ceil().max(1.0);
    SyncWork {
        kind,
        requests,
        searches,
        paced_seconds: paced,
        seconds,
        tenant_partition: if full {
            // Recording the full sync's time updates the tenant item (and its GSI entries).
            Units {
                read: tenant_partition.read,
                write: tenant_partition.write + wcu(TENANT_ITEM_KB),
            }
        } else {
            tenant_partition
        },
        active_index_writes: if full { wcu(TENANT_ITEM_KB) } else { 0.0 },
        changed_clients: changed,
        secret_calls: invocations * SECRET_CALLS_PER_INVOCATION + SECRET_CALLS_PER_REFRESH,
    }
}

/// What one scoring run after a sync costs.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreWork {
    pub natural_seconds: f64,
    pub seconds: f64,
    pub tenant_partition: Units,
    /// Write units on `TENANT#<t>#SCORES` (gsi1): clients by health.
    pub scores_index_writes: f64,
    /// Write units on the insight index partitions (gsi1 by status, gsi2 all).
    pub insight_index_writes: f64,
    pub events: f64,
}

impl ScoreWork {
    /// Units a second the run asks of the partition (over one second at least, as for syncs).
    pub fn scores_index_demand(&self) -> f64 {
        self.scores_index_writes / self.natural_seconds.max(1.0)
    }
    pub fn write_demand(&self) -> f64 {
        self.tenant_partition.write / self.natural_seconds.max(1.0)
    }
}

/// The score function's run over `changed` clients of `tenant`.
pub fn score_work(tenant: &Tenant, changed: f64) -> ScoreWork {
    let snap_kb = tenant.snapshot_kb();
    let natural = SCORE_FIXED_SECONDS + changed * SCORE_SECONDS_PER_CLIENT;
    let reads = rcu(TENANT_ITEM_KB)
        + rcu(SMALL_ITEM_KB)
        + changed * (rcu(snap_kb) + rcu(SCORE_ITEM_KB) + rcu(HISTORY_READ_KB) + rcu(INSIGHT_KB));
    let insight_writes = changed * INSIGHT_CHANGE_SHARE * wcu(INSIGHT_KB);
    let writes = 2.0 * wcu(SMALL_ITEM_KB)
        + changed * (wcu(SCORE_ITEM_KB) + wcu(HISTORY_POINT_KB))
        + insight_writes;
    let scores_index = changed * wcu(SCORE_ITEM_KB) * (1.0 + SCORE_KEY_MOVE_SHARE);
    let insight_index = insight_writes * 2.0;
    let seconds = natural
        .max(writes / PARTITION_WCU)
        .max(reads / PARTITION_RCU)
        .max(scores_index / PARTITION_WCU)
        .max(insight_index / PARTITION_WCU);
    ScoreWork {
        natural_seconds: natural,
        seconds,
        tenant_partition: Units {
            read: reads,
            write: writes,
        },
        scores_index_writes: scores_index,
        insight_index_writes: insight_index,
        // Client events, then `ScoresUpdated`.
        events: changed * CLIENT_EVENT_SHARE + 1.0,
    }
}

/// HubSpot requests a tenant spends in a day: 23 incremental syncs and one full one.
pub fn daily_requests(tenant: &Tenant) -> f64 {
    let incremental = sync_work(tenant, SyncKind::Incremental);
    let full = sync_work(tenant, SyncKind::DailyFull);
    (FULL_EVERY_HOURS - 1) as f64 * incremental.requests + full.requests
}

#[cfg(test)]
mod tests {
    use super::*;

    fn benchmark_portal() -> Tenant {
        Tenant::of_size(1, 10_000.0, PLANS[1], CHANGE_MEDIAN)
    }

    #[test]
    fn full_sync_of_the_benchmark_portal_matches_its_measurement() {
        // 285,000 records in 2,852 requests at 19 a second: 150.1 s floor, 169.1 s measured.
        let work = sync_work(&benchmark_portal(), SyncKind::DailyFull);
        assert_eq!(work.requests, 2_852.0);
        assert!(
            (work.paced_seconds - 169.3).abs() < 0.5,
            "{}",
            work.paced_seconds
        );
    }

    #[test]
    fn unchanged_incremental_is_nine_searches_in_about_two_seconds() {
        let mut tenant = Tenant::of_size(1, 50.0, PLANS[0], 0.0);
        tenant.change_share = 0.0;
        let work = sync_work(&tenant, SyncKind::Incremental);
        assert_eq!(work.searches, 9.0);
        assert_eq!(work.requests, 0.0);
        assert!((work.paced_seconds - 2.033).abs() < 1e-9);
    }

    #[test]
    fn ratios_move_from_the_benchmark_preset_to_the_largest_portal() {
        assert_eq!(ratios_for(200.0), SMALL_RATIOS);
        assert_eq!(ratios_for(100_000.0), LARGE_RATIOS);
        let mid = ratios_for(31_623.0);
        assert!(mid[0] > 7.0 && mid[0] < 8.0);
    }

    #[test]
    fn population_is_seeded_and_has_its_largest_portal_first() {
        let a = population(2_000, 9);
        assert_eq!(a, population(2_000, 9));
        assert_ne!(a, population(2_000, 10));
        assert_eq!(a[0].companies, 100_000.0);
        assert_eq!(a[0].contacts, 1_000_000.0);
        assert_eq!(a[0].engagements, 5_000_000.0);
        let small = a
            .iter()
            .filter(|t| (50.0..=500.0).contains(&t.companies))
            .count();
        assert!(small > 1_400, "most tenants are 50-500 companies: {small}");
    }

    #[test]
    fn a_full_sync_longer_than_one_invocation_continues() {
        let largest = population(1, 1).remove(0);
        let work = sync_work(&largest, SyncKind::DailyFull);
        assert!(work.invocations() >= 4, "{}", work.invocations());
    }
}
