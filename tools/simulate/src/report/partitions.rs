//! The DynamoDB partition tables: the hottest key of each kind in the hour, and where one tenant's
//! keys pass their partition's limit as its portal grows.

use super::{clock, table, text_table, thousands};
use crate::assumptions::*;
use crate::model::{score_work, sync_work, SyncKind, Tenant};
use crate::sim::{Heat, Hour};
use std::fmt::Write;

pub fn partitions(out: &mut String, hour: &Hour) {
    let _ = writeln!(
        out,
        "== DynamoDB partitions: the hottest key of each kind in the hour ==\n"
    );
    let mut heat = hour.heat.clone();
    heat.sort_by(|a, b| (b.peak / b.limit).total_cmp(&(a.peak / a.limit)));
    let rows: Vec<Vec<String>> = heat
        .iter()
        .map(|h| {
            vec![
                h.key.to_owned(),
                format!("{:.0} {}", h.peak, h.unit),
                format!("{:.0}", h.limit),
                format!("{:.0} %", 100.0 * h.peak / h.limit),
                h.first_over_at.map(clock).unwrap_or_else(|| "-".into()),
                h.tenant_companies
                    .map(|c| format!("{c:.0} companies"))
                    .unwrap_or_else(|| "all tenants".into()),
            ]
        })
        .collect();
    table(
        out,
        &[
            "key",
            "peak demand",
            "limit",
            "of limit",
            "first over",
            "whose",
        ],
        &rows,
    );
    if let Some(hot) = heat.first() {
        let _ = writeln!(
            out,
            "Hot first: {} at {:.0} {} ({:.0} % of the partition's {:.0}).",
            hot.key,
            hot.peak,
            hot.unit,
            100.0 * hot.peak / hot.limit,
            hot.limit
        );
    }
    // The keys no tenant owns grow with the number of tenants; the active-tenant index's reads are
    // paced by the dispatch (one page at a time), its writes (daily full syncs recorded) are not.
    let at_limit =
        |h: &Heat| thousands((hour.tenants.len() as f64 * h.limit / h.peak.max(1e-9)) as u64);
    let _ = writeln!(
        out,
        "TENANTS#ACTIVE: reads paced by the dispatch (one page at a time) stay at {:.0} RCU/s at any count; its writes reach the partition's limit near {} tenants.",
        hour.heat[3].peak,
        at_limit(&hour.heat[4])
    );
    let _ = writeln!(
        out,
        "ALERTS#DUE: writes reach the limit near {} tenants, the release's read (one query a tick) near {}.",
        at_limit(&hour.heat[5]),
        at_limit(&hour.heat[6])
    );
    let _ = writeln!(
        out,
        "PORTAL#<portal> (one per portal: webhook lookups) and OAUTH#<nonce> (one per install) are per-tenant in load."
    );
    out.push('\n');
}

/// The smallest portal (companies, Professional plan) for which `demand` passes `limit`.
fn size_where(limit: f64, demand: impl Fn(&Tenant) -> f64) -> Option<f64> {
    let over = |c: f64| demand(&Tenant::of_size(0, c, PLANS[1], CHANGE_MEDIAN)) > limit;
    let (mut low, mut high) = (10.0_f64, LARGEST_COMPANIES as f64);
    if !over(high) {
        return None;
    }
    while high - low > 10.0 {
        let mid = (low + high) / 2.0;
        if over(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    Some(high.round())
}

/// Where one tenant bends: each sync kind and the score run by portal size (Professional plan).
pub fn one_tenant(out: &mut String) {
    let _ = writeln!(
        out,
        "== One tenant by size (190 requests / 10 s): time on its own and peak demand on its keys ==\n"
    );
    let mut rows = Vec::new();
    for companies in [100.0, 1_000.0, 10_000.0, 30_000.0, 100_000.0] {
        let tenant = Tenant::of_size(0, companies, PLANS[1], CHANGE_MEDIAN);
        let inc = sync_work(&tenant, SyncKind::Incremental);
        let daily = sync_work(&tenant, SyncKind::DailyFull);
        let first = sync_work(&tenant, SyncKind::FirstFull);
        let score = score_work(&tenant, inc.changed_clients);
        let first_score = score_work(&tenant, first.changed_clients);
        rows.push(vec![
            format!("{companies:.0}"),
            format!("{:.1} s, {:.0} WCU/s", inc.seconds, inc.write_demand()),
            format!(
                "{}, {} inv, {:.0} RCU/s",
                clock(daily.seconds),
                daily.invocations(),
                daily.read_demand()
            ),
            format!(
                "{} (paced {}), {:.0} WCU/s",
                clock(first.seconds),
                clock(first.paced_seconds),
                first.write_demand()
            ),
            format!("{:.0} WCU/s", score.scores_index_demand()),
            format!(
                "{}, {:.0} WCU/s",
                clock(first_score.seconds),
                first_score.scores_index_demand()
            ),
        ]);
    }
    table(
        out,
        &[
            "companies",
            "incremental (0.4 %/h)",
            "daily full",
            "first full",
            "score SCORES gsi1",
            "first score",
        ],
        &rows,
    );
    let show = |size: Option<f64>| {
        size.map_or("never up to 100,000".into(), |c| {
            format!("{c:.0} companies")
        })
    };
    let rows = vec![
        vec![
            "TENANT#<t>: incremental sync".into(),
            show(size_where(PARTITION_WCU, |t| {
                sync_work(t, SyncKind::Incremental).write_demand()
            })),
        ],
        vec![
            "TENANT#<t>#SCORES: scoring after an incremental".into(),
            show(size_where(PARTITION_WCU, |t| {
                let sync = sync_work(t, SyncKind::Incremental);
                score_work(t, sync.changed_clients).scores_index_demand()
            })),
        ],
        vec![
            "TENANT#<t>: first full sync".into(),
            show(size_where(PARTITION_WCU, |t| {
                sync_work(t, SyncKind::FirstFull).write_demand()
            })),
        ],
        vec![
            "TENANT#<t>: daily full sync (reads)".into(),
            show(size_where(PARTITION_RCU, |t| {
                sync_work(t, SyncKind::DailyFull).read_demand()
            })),
        ],
    ];
    text_table(
        out,
        &["a tenant's key passes its partition's limit", "from"],
        &rows,
    );
}
