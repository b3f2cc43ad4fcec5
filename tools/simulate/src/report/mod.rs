//! Plain-text tables of a run.

use crate::assumptions::{self, *};
use crate::cost::Month;
use crate::model::{daily_requests, sync_work, Tenant};
use crate::sim::Hour;
use std::fmt::Write;

mod partitions;
pub use partitions::{one_tenant, partitions};

/// Left-aligned first column, right-aligned others (figures), two spaces apart.
pub fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    aligned(out, headers, rows, false)
}

/// Every column left-aligned (sentences).
pub fn text_table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    aligned(out, headers, rows, true)
}

fn aligned(out: &mut String, headers: &[&str], rows: &[Vec<String>], left: bool) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i == 0 || left {
                if i > 0 {
                    s.push_str("  ");
                }
                s.push_str(cell);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str("  ");
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            }
        }
        s.trim_end().to_owned()
    };
    let _ = writeln!(
        out,
        "{}",
        line(headers.iter().map(|h| h.to_string()).collect())
    );
    let _ = writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ")
    );
    for row in rows {
        let _ = writeln!(out, "{}", line(row.clone()));
    }
    out.push('\n');
}

/// Minutes and seconds, "12m05s".
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}m{:02}s", s / 60, s % 60)
}

pub fn money(dollars: f64) -> String {
    if dollars >= 100.0 {
        format!("${}", thousands(dollars.round() as u64))
    } else {
        format!("${dollars:.2}")
    }
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The value at `share` (0-1) of sorted `values`.
pub fn percentile(sorted: &[f64], share: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * share).round() as usize;
    sorted[i]
}

pub fn assumptions(out: &mut String) {
    let _ = writeln!(out, "== Assumptions (each with its source) ==\n");
    let rows: Vec<Vec<String>> = assumptions::table()
        .into_iter()
        .map(|a| vec![a.what.to_owned(), a.value, a.source.to_owned()])
        .collect();
    text_table(out, &["assumption", "value", "source"], &rows);
}

pub fn population(out: &mut String, tenants: &[Tenant], seed: u64) {
    let mut sizes: Vec<f64> = tenants.iter().map(|t| t.companies).collect();
    sizes.sort_by(f64::total_cmp);
    let records: f64 = tenants.iter().map(Tenant::records).sum();
    let fulls = tenants.iter().filter(|t| t.full_sync_hour == 0).count();
    let over_daily = tenants
        .iter()
        .filter(|t| daily_requests(t) > t.plan.daily as f64)
        .count();
    let _ = writeln!(out, "== Population (seed {seed}) ==\n");
    let plans: Vec<String> = PLANS
        .iter()
        .map(|p| {
            let n = tenants.iter().filter(|t| t.plan == *p).count();
            format!("{} {}", p.name, thousands(n as u64))
        })
        .collect();
    let rows = vec![
        vec!["tenants".into(), thousands(tenants.len() as u64)],
        vec![
            "companies per tenant: p50 / p95 / p99 / max".into(),
            format!(
                "{:.0} / {:.0} / {:.0} / {:.0}",
                percentile(&sizes, 0.5),
                percentile(&sizes, 0.95),
                percentile(&sizes, 0.99),
                percentile(&sizes, 1.0)
            ),
        ],
        vec![
            "tenants of 50-500 companies".into(),
            format!(
                "{:.1} %",
                100.0 * sizes.iter().filter(|s| (50.0..=500.0).contains(*s)).count() as f64
                    / sizes.len().max(1) as f64
            ),
        ],
        vec!["CRM records in all".into(), thousands(records as u64)],
        vec!["plans".into(), plans.join(", ")],
        vec![
            "daily full syncs in this hour (the largest portal's among them)".into(),
            thousands(fulls as u64),
        ],
        vec![
            "tenants over their HubSpot daily limit (23 incremental + 1 full)".into(),
            thousands(over_daily as u64),
        ],
    ];
    text_table(out, &["population", "value"], &rows);
}

pub fn hour(out: &mut String, hour: &Hour, tenants: &[Tenant]) {
    let fits: Vec<_> = hour.tenants.iter().filter(|t| t.fits_the_hour).collect();
    let mut synced: Vec<f64> = fits
        .iter()
        .map(|t| t.synced_at.unwrap_or(f64::INFINITY))
        .collect();
    let mut scored: Vec<f64> = fits
        .iter()
        .map(|t| t.scored_at.unwrap_or(f64::INFINITY))
        .collect();
    synced.sort_by(f64::total_cmp);
    scored.sort_by(f64::total_cmp);
    let missed = hour.missed();
    let dropped = hour.tenants.iter().filter(|t| t.dropped).count();
    let _ = writeln!(
        out,
        "== The hour with reserved concurrency {} ==\n",
        hour.reserved
    );
    let verdict = if missed == 0 {
        format!(
            "YES: all {} finished and scored within the hour",
            thousands(fits.len() as u64)
        )
    } else {
        format!(
            "NO: {} of {} MISSED the hour ({} discarded after waiting {} s)",
            thousands(missed as u64),
            thousands(fits.len() as u64),
            thousands(dropped as u64),
            MAX_EVENT_AGE_SECONDS
        )
    };
    let at = |v: &[f64], p: f64| {
        let x = percentile(v, p);
        if x.is_finite() {
            clock(x)
        } else {
            "never".into()
        }
    };
    let mut rows = vec![
        vec![
            "every tenant's hourly sync within the hour?".into(),
            verdict,
        ],
        vec![
            "dispatch: invocation / last SyncRequested delivered".into(),
            format!(
                "{:.1} s / {:.1} s",
                hour.dispatch_seconds, hour.last_request_at
            ),
        ],
        vec![
            "sync finished: p50 / p95 / max".into(),
            format!(
                "{} / {} / {}",
                at(&synced, 0.5),
                at(&synced, 0.95),
                at(&synced, 1.0)
            ),
        ],
        vec![
            "scored: p50 / p95 / max".into(),
            format!(
                "{} / {} / {}",
                at(&scored, 0.5),
                at(&scored, 0.95),
                at(&scored, 1.0)
            ),
        ],
        vec![
            "longest wait in Lambda's queue / most events queued".into(),
            format!(
                "{} / {}",
                clock(hour.longest_wait),
                thousands(hour.peak_queue as u64)
            ),
        ],
        vec![
            "peak concurrency: sync (reserved) / score".into(),
            format!(
                "{} ({}) / {}",
                hour.peak_sync_concurrency, hour.reserved, hour.peak_score_concurrency
            ),
        ],
        vec![
            "invocations: sync / score (cold starts)".into(),
            format!(
                "{} / {} ({})",
                thousands(hour.sync_invocations),
                thousands(hour.score_invocations),
                thousands(hour.cold_starts)
            ),
        ],
        vec![
            "waits for Lambda's scaling rate (1,000 environments / 10 s)".into(),
            thousands(hour.scaling_waits),
        ],
        vec![
            "PutEvents requests, peak second / quota".into(),
            format!(
                "{:.0} / {:.0} ({:.2} %)",
                hour.peak_put_events_per_second,
                PUT_EVENTS_PER_SECOND,
                100.0 * hour.peak_put_events_per_second / PUT_EVENTS_PER_SECOND
            ),
        ],
        vec![
            "rule invocations, peak second / quota".into(),
            format!(
                "{:.0} / {:.0}",
                hour.peak_rule_invocations_per_second, RULE_INVOCATIONS_PER_SECOND
            ),
        ],
    ];
    let mut missed_shown = 0;
    for (i, t) in hour.tenants.iter().enumerate() {
        if t.missed() && missed_shown < 5 {
            missed_shown += 1;
            let work = sync_work(&tenants[i], t.kind);
            rows.push(vec![
                format!("missed: tenant {i} ({:.0} companies)", tenants[i].companies),
                format!(
                    "{:?} sync, {} on its own; requested {}, started {}, scored {}",
                    t.kind,
                    clock(work.seconds),
                    clock(t.requested_at),
                    t.started_at
                        .map(clock)
                        .unwrap_or_else(|| "never (discarded)".into()),
                    t.scored_at.map(clock).unwrap_or_else(|| "never".into())
                ),
            ]);
        }
        if !t.fits_the_hour {
            let work = sync_work(&tenants[i], t.kind);
            rows.push(vec![
                format!(
                    "too long for any hour: tenant {i} ({:.0} companies)",
                    tenants[i].companies
                ),
                format!(
                    "{:?} sync of {} requests: {} on its own, {} invocations; scored at {}",
                    t.kind,
                    thousands(work.requests as u64),
                    clock(work.seconds),
                    t.invocations,
                    t.scored_at.map(clock).unwrap_or_else(|| "never".into())
                ),
            ]);
        }
    }
    text_table(out, &["the hour", "value"], &rows);
}

/// `rows`: (reserved, hour) pairs of the sweep.
/// `smallest`: the least sufficient reserved concurrency as dispatched today, with the longest syncs
/// published first, with continuations ahead of the queue too, and spread over the hour.
pub fn sweep(out: &mut String, hours: &[Hour], smallest: [Option<u32>; 4]) {
    let [smallest, smallest_longest_first, smallest_continuations_ahead, smallest_spread] =
        smallest;
    let _ = writeln!(out, "== Reserved concurrency ==\n");
    let rows: Vec<Vec<String>> = hours
        .iter()
        .map(|h| {
            let mut scored: Vec<f64> = h
                .tenants
                .iter()
                .filter(|t| t.fits_the_hour)
                .map(|t| t.scored_at.unwrap_or(f64::INFINITY))
                .collect();
            scored.sort_by(f64::total_cmp);
            let show = |x: f64| {
                if x.is_finite() {
                    clock(x)
                } else {
                    "never".into()
                }
            };
            vec![
                h.reserved.to_string(),
                thousands(h.missed() as u64),
                show(percentile(&scored, 0.5)),
                show(percentile(&scored, 0.95)),
                show(percentile(&scored, 1.0)),
                clock(h.longest_wait),
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(
            out,
            &[
                "reserved",
                "missed",
                "scored p50",
                "p95",
                "max",
                "longest wait",
            ],
            &rows,
        );
    }
    let _ = match smallest {
        Some(r) => writeln!(
            out,
            "Smallest reserved concurrency at which every tenant's hourly sync finishes and is scored within the hour: {r}{}\n",
            if r > TEMPLATE_MAX_RESERVED_CONCURRENCY {
                format!(" (above the template's MaxValue {TEMPLATE_MAX_RESERVED_CONCURRENCY})")
            } else {
                String::new()
            }
        ),
        None => writeln!(out, "No reserved concurrency below the account's {ACCOUNT_CONCURRENCY} finishes every tenant within the hour.\n"),
    };
    let _ = writeln!(
        out,
        "The same if the dispatch published the longest syncs first: {}; and if continuations went ahead of the queue too: {}\n",
        smallest_longest_first.map_or("none below the account's limit".into(), |r| r.to_string()),
        smallest_continuations_ahead.map_or("none below the account's limit".into(), |r| r.to_string())
    );
    let _ = writeln!(
        out,
        "Spread over the hour (a tick every 5 minutes, each tenant in its slot, as the product dispatches since issue 19; each scored within an hour of its request): {}\n",
        smallest_spread.map_or("none below the account's limit".into(), |r| r.to_string())
    );
}

pub fn cost(out: &mut String, month: &Month, tenants: &[Tenant]) {
    let _ = writeln!(out, "== The month at list prices (us-east-1, 730 h) ==\n");
    let total = month.total();
    let mut rows: Vec<Vec<String>> = month
        .lines
        .iter()
        .map(|l| {
            vec![
                l.service.to_owned(),
                l.usage.clone(),
                money(l.dollars),
                format!("{:.1} %", 100.0 * l.dollars / total.max(1e-9)),
            ]
        })
        .collect();
    rows.push(vec![
        "total".into(),
        String::new(),
        money(total),
        "100 %".into(),
    ]);
    table(out, &["service", "usage", "month", "share"], &rows);
    let mut per: Vec<f64> = month.per_tenant.clone();
    per.sort_by(f64::total_cmp);
    let rows = vec![
        vec!["mean".into(), money(total / tenants.len().max(1) as f64)],
        vec!["p50".into(), money(percentile(&per, 0.5))],
        vec!["p95".into(), money(percentile(&per, 0.95))],
        vec![
            format!(
                "largest portal ({:.0} companies)",
                tenants.first().map_or(0.0, |t| t.companies)
            ),
            money(month.per_tenant.first().copied().unwrap_or(0.0)),
        ],
        vec![
            "of which the tenant's secret".into(),
            money(PRICE_SECRET_MONTH),
        ],
    ];
    table(out, &["per tenant, a month", "cost"], &rows);
}
