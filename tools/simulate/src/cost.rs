//! The month at list prices: each tenant's expected usage (23 incremental syncs and one full sync a
//! day, each followed by a scoring run), plus the hourly dispatch, priced per service.

use crate::assumptions::*;
use crate::model::{score_work, sync_work, SyncKind, Tenant};

/// One service's month.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub service: &'static str,
    pub usage: String,
    pub dollars: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Month {
    pub lines: Vec<Line>,
    /// Each tenant's share of the month (its own usage, its secret, an equal part of the dispatch).
    pub per_tenant: Vec<f64>,
}

impl Month {
    pub fn total(&self) -> f64 {
        self.lines.iter().map(|l| l.dollars).sum()
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    gb_seconds: f64,
    invocations: f64,
    rru: f64,
    wru: f64,
    events: f64,
    secret_calls: f64,
    log_bytes: f64,
}

impl Usage {
    fn add(&mut self, other: Usage, times: f64) {
        self.gb_seconds += other.gb_seconds * times;
        self.invocations += other.invocations * times;
        self.rru += other.rru * times;
        self.wru += other.wru * times;
        self.events += other.events * times;
        self.secret_calls += other.secret_calls * times;
        self.log_bytes += other.log_bytes * times;
    }

    fn dollars(&self) -> f64 {
        self.gb_seconds * PRICE_LAMBDA_GB_SECOND
            + self.invocations * PRICE_LAMBDA_REQUEST
            + self.rru * PRICE_DDB_RRU
            + self.wru * PRICE_DDB_WRU
            + self.events * PRICE_EVENT
            + self.secret_calls * PRICE_SECRET_CALL
            + self.log_bytes / 1e9 * PRICE_LOG_GB
    }
}

/// One sync of `tenant` and the scoring run after it.
fn cycle(tenant: &Tenant, kind: SyncKind) -> Usage {
    let sync = sync_work(tenant, kind);
    let invocations = sync.invocations() as f64;
    let score = score_work(tenant, sync.changed_clients);
    let full = kind != SyncKind::Incremental;
    Usage {
        gb_seconds: (sync.seconds + (invocations - 1.0) * SYNC_FIXED_SECONDS + score.seconds)
            * FUNCTION_MEMORY_GB,
        invocations: invocations + 1.0,
        rru: sync.tenant_partition.read + score.tenant_partition.read,
        wru: sync.tenant_partition.write
            + score.tenant_partition.write
            + score.scores_index_writes
            + score.insight_index_writes
            // A full sync's tenant item update also rewrites its gsi1 (portal) and gsi2 entries.
            + if full { 2.0 * sync.active_index_writes } else { 0.0 },
        // SyncRequested, continuations, TenantSynced, the client events and ScoresUpdated.
        events: 1.0 + (invocations - 1.0) + 1.0 + score.events,
        secret_calls: sync.secret_calls,
        log_bytes: (invocations + 1.0) * LOG_BYTES_PER_INVOCATION,
    }
}

/// The dispatch of one tick over `tenants` tenants.
fn dispatch(tenants: usize, seconds: f64) -> Usage {
    let pages = (tenants as f64 / DISPATCH_PAGE as f64).ceil();
    Usage {
        gb_seconds: seconds * FUNCTION_MEMORY_GB,
        invocations: 1.0,
        rru: pages * (DISPATCH_PAGE as f64 * TENANT_ITEM_KB / 4.0).ceil() * 0.5
            + tenants as f64 * 0.5,
        wru: 0.0,
        events: 0.0,
        secret_calls: 0.0,
        log_bytes: LOG_BYTES_PER_INVOCATION,
    }
}

/// The month of `tenants`, whose hourly dispatch takes `dispatch_seconds`.
pub fn month(tenants: &[Tenant], dispatch_seconds: f64) -> Month {
    let incremental_per_month =
        HOURS_PER_MONTH * (FULL_EVERY_HOURS - 1) as f64 / FULL_EVERY_HOURS as f64;
    let full_per_month = HOURS_PER_MONTH / FULL_EVERY_HOURS as f64;
    let mut total = Usage::default();
    let shared = {
        let mut u = Usage::default();
        u.add(dispatch(tenants.len(), dispatch_seconds), HOURS_PER_MONTH);
        u
    };
    let shared_each = shared.dollars() / tenants.len().max(1) as f64;
    let mut per_tenant = Vec::with_capacity(tenants.len());
    for tenant in tenants {
        let mut u = Usage::default();
        u.add(cycle(tenant, SyncKind::Incremental), incremental_per_month);
        u.add(cycle(tenant, SyncKind::DailyFull), full_per_month);
        per_tenant.push(u.dollars() + PRICE_SECRET_MONTH + shared_each);
        total.add(u, 1.0);
    }
    total.add(shared, 1.0);
    let secrets = tenants.len() as f64;
    let lines = vec![
        Line {
            service: "Lambda duration (GB-s, Arm)",
            usage: format!("{:.0} GB-s", total.gb_seconds),
            dollars: total.gb_seconds * PRICE_LAMBDA_GB_SECOND,
        },
        Line {
            service: "Lambda requests",
            usage: format!("{:.0}", total.invocations),
            dollars: total.invocations * PRICE_LAMBDA_REQUEST,
        },
        Line {
            service: "DynamoDB write request units",
            usage: format!("{:.0}", total.wru),
            dollars: total.wru * PRICE_DDB_WRU,
        },
        Line {
            service: "DynamoDB read request units",
            usage: format!("{:.0}", total.rru),
            dollars: total.rru * PRICE_DDB_RRU,
        },
        Line {
            service: "EventBridge custom events",
            usage: format!("{:.0}", total.events),
            dollars: total.events * PRICE_EVENT,
        },
        Line {
            service: "Secrets Manager API calls",
            usage: format!("{:.0}", total.secret_calls),
            dollars: total.secret_calls * PRICE_SECRET_CALL,
        },
        Line {
            service: "Secrets Manager secrets (one per tenant)",
            usage: format!("{secrets:.0} secret-months"),
            dollars: secrets * PRICE_SECRET_MONTH,
        },
        Line {
            service: "CloudWatch Logs ingestion",
            usage: format!("{:.2} GB", total.log_bytes / 1e9),
            dollars: total.log_bytes / 1e9 * PRICE_LOG_GB,
        },
    ];
    Month { lines, per_tenant }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::population;

    #[test]
    fn per_tenant_shares_add_up_to_the_month() {
        let tenants = population(500, 4);
        let month = month(&tenants, 5.0);
        let shares: f64 = month.per_tenant.iter().sum();
        assert!((shares - month.total()).abs() < 1e-6 * month.total());
    }

    #[test]
    fn a_larger_portal_costs_more() {
        let tenants = population(300, 5);
        let month = month(&tenants, 5.0);
        let largest = month.per_tenant[0];
        let median = {
            let mut v = month.per_tenant.clone();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        assert!(largest > 10.0 * median, "{largest} vs {median}");
    }
}
