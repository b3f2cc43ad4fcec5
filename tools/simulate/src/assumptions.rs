//! Every figure the simulation rests on, with where it comes from. The program prints this table, so a
//! reader can check each one; change a figure here and the whole run follows.
//!
//! Three kinds: measured in this repository (README "Benchmarks"), read from the code or the SAM
//! template, and published by AWS or HubSpot. What is none of those is marked "assumed".

// ---- Calibration from the project's measurements (README "Benchmarks") ----

/// `cargo bench -p shared --bench hubspot_sync`: a full sync took 169.1 s against a rate-limit floor of
/// 150.1 s (10k companies, 285,000 records, 190 requests per 10 s).
pub const FULL_SYNC_OVER_FLOOR: f64 = 169.1 / 150.1;
/// The same run's time above the floor, spread over its records: pacing slack, parsing, folding and
/// store writes per record.
pub const SECONDS_PER_RECORD: f64 = (169.1 - 150.1) / 285_000.0;
/// `cargo bench -p system-tests --bench functions`: an incremental sync of a 50-company portal is 9
/// searches and 2,033 ms warm p50; 9 searches at 5 a second are 1.8 s, the rest is the invocation's
/// fixed work (secret, tenant, lease, run record, checkpoints).
pub const SYNC_FIXED_SECONDS: f64 = 2.033 - 9.0 / 5.0;
/// Searches of an unchanged incremental sync (same bench: "incremental 9 requests"): companies,
/// contacts, deals, tickets and the five engagement types.
pub const SEARCHED_TYPES: u64 = 9;
/// Sync function cold start (process start to first poll), functions bench.
pub const SYNC_COLD_START_SECONDS: f64 = 0.0124;
/// Score function cold start, functions bench.
pub const SCORE_COLD_START_SECONDS: f64 = 0.0063;
/// Score function warm p50 48 ms for `TenantSynced` of 50 clients (functions bench); split here into a
/// fixed part (assumed 30 ms: tenant, settings, summary) and 0.36 ms per changed client. The store
/// bench (10,000 clients: 50,000 items in 2,000 batch writes) and scoring (65 ms per 10,000 clients)
/// fit inside that per-client figure.
pub const SCORE_FIXED_SECONDS: f64 = 0.030;
pub const SCORE_SECONDS_PER_CLIENT: f64 = (0.048 - 0.030) / 50.0;

// ---- Read from the code and the SAM template ----

/// `infra/template.yaml`: sync and score functions, 1,024 MB, arm64.
pub const FUNCTION_MEMORY_GB: f64 = 1.0;
/// Sync function timeout (template), and the continuation's reserve: a fifth of it, at most 10 s
/// (README "Interrupted work").
pub const SYNC_TIMEOUT_SECONDS: f64 = 900.0;
pub const SYNC_RESERVE_SECONDS: f64 = 10.0;
/// EventBridge target and the function's `MaximumEventAgeInSeconds` (template): an event still queued
/// after this is discarded to the failure queue.
pub const MAX_EVENT_AGE_SECONDS: f64 = 3600.0;
/// The template's default `SyncReservedConcurrency` (MinValue 1, MaxValue 200).
pub const DEFAULT_RESERVED_CONCURRENCY: u32 = 10;
pub const TEMPLATE_MAX_RESERVED_CONCURRENCY: u32 = 200;
/// `dispatch_scheduled` lists active tenants 100 a page (`PageRequest::first(100)`), reads each
/// tenant's connections, builds every request, then publishes them in PutEvents calls of 10
/// (`bus::eventbridge::MAX_BATCH_ENTRIES`), one call after another.
pub const DISPATCH_PAGE: u64 = 100;
pub const PUT_EVENTS_ENTRIES: u64 = 10;
/// Schedule: a full sync once a day per tenant (`full_every_hours`, default 24), incremental otherwise.
pub const FULL_EVERY_HOURS: u64 = 24;
/// The engine flushes snapshots and checkpoints at least every 30 s (`SyncOptions::flush_every`).
pub const FLUSH_EVERY_SECONDS: f64 = 30.0;
/// The sync lease lasts 90 s and is renewed every 30 s (README "Interrupted work").
pub const LEASE_RENEW_SECONDS: f64 = 30.0;

// ---- Published limits ----

/// HubSpot (`/work/shared/design/HUBSPOT.md`): list pages hold at most 100 records, search pages 200,
/// search allows 5 requests a second per account on its own budget and 10,000 results per query,
/// association batch reads take 1,000 ids.
pub const LIST_PAGE: u64 = 100;
pub const SEARCH_PAGE: u64 = 200;
pub const SEARCHES_PER_SECOND: f64 = 5.0;
pub const SEARCH_RESULT_CAP: u64 = 10_000;
pub const ASSOCIATION_BATCH: u64 = 1_000;
/// Lambda: each function scales by 1,000 execution environments every 10 s (docs.aws.amazon.com/
/// lambda/latest/dg/scaling-behavior.html, since late 2023), up to the account's concurrency (default
/// quota 1,000 per region; the score function shares what the sync function does not reserve).
pub const LAMBDA_SCALE_PER_10_SECONDS: f64 = 1_000.0;
pub const ACCOUNT_CONCURRENCY: u32 = 1_000;
/// EventBridge PutEvents: 10,000 requests a second in us-east-1 (soft quota; docs.aws.amazon.com/
/// eventbridge/latest/userguide/eb-quota.html), each of at most 10 entries; rule invocations 18,750 a
/// second in us-east-1 (same page).
pub const PUT_EVENTS_PER_SECOND: f64 = 10_000.0;
pub const RULE_INVOCATIONS_PER_SECOND: f64 = 18_750.0;
/// DynamoDB: each partition serves at most 1,000 write and 3,000 read units a second, on-demand too
/// (docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html). A write
/// unit is 1 KB; a read unit is 4 KB strongly consistent, two eventually consistent. Every GSI an item
/// is in costs its own write units (all three GSIs project ALL, README "Data").
pub const PARTITION_WCU: f64 = 1_000.0;
pub const PARTITION_RCU: f64 = 3_000.0;

// ---- Assumed: AWS latencies in the region (not measured here; DynamoDB Local is no guide) ----

/// One DynamoDB Query of a 100-tenant page, and one of a tenant's connections.
pub const DDB_PAGE_SECONDS: f64 = 0.010;
pub const DDB_SMALL_QUERY_SECONDS: f64 = 0.005;
/// One PutEvents call of 10 entries.
pub const PUT_EVENTS_CALL_SECONDS: f64 = 0.020;
/// From PutEvents to the function's invocation.
pub const EVENT_DELIVERY_SECONDS: f64 = 0.5;

// ---- Assumed: item sizes in KB, from the domain types' JSON ----

pub const TENANT_ITEM_KB: f64 = 3.0;
pub const SNAPSHOT_BASE_KB: f64 = 0.3;
pub const SNAPSHOT_KB_PER_CONTACT: f64 = 0.10;
pub const SNAPSHOT_KB_PER_DEAL: f64 = 0.15;
pub const SNAPSHOT_KB_PER_TICKET: f64 = 0.12;
pub const SNAPSHOT_KB_PER_ENGAGEMENT: f64 = 0.13;
pub const CONTACT_LINK_KB: f64 = 0.2;
pub const SCORE_ITEM_KB: f64 = 2.0;
pub const HISTORY_POINT_KB: f64 = 0.8;
/// A client's recent history as the score reads it for its trends (about 30 points).
pub const HISTORY_READ_KB: f64 = 24.0;
pub const INSIGHT_KB: f64 = 1.0;
pub const SMALL_ITEM_KB: f64 = 0.5;
/// Bytes each invocation writes to CloudWatch Logs: Lambda's START/END/REPORT lines and the
/// function's JSON lines (outcome, counts).
pub const LOG_BYTES_PER_INVOCATION: f64 = 1_500.0;

// ---- Assumed: the workload ----

/// Tenants' companies: log-normal, median 150 and shape 0.75 (most between 50 and 500), and a
/// Pareto tail (from 1,000 companies, index 1.1) for this share of tenants, capped at 100,000.
pub const SIZE_MEDIAN: f64 = 150.0;
pub const SIZE_SIGMA: f64 = 0.75;
pub const TAIL_SHARE: f64 = 0.04;
pub const TAIL_FROM: f64 = 1_000.0;
pub const TAIL_INDEX: f64 = 1.1;
pub const LARGEST_COMPANIES: u64 = 100_000;
/// Records per company: the sandbox's benchmark preset up to 10,000 companies (5 contacts, 2 deals,
/// 0.5 tickets, 20 engagements; `tools/hubspot-sandbox/src/config.rs`), moving to issue 19's largest
/// portal at 100,000 (10, 2, 1, 50).
pub const SMALL_RATIOS: [f64; 4] = [5.0, 2.0, 0.5, 20.0];
pub const LARGE_RATIOS: [f64; 4] = [10.0, 2.0, 1.0, 50.0];
/// Share of each object type changed per hour: log-normal per tenant, median 0.4 %, clamped.
pub const CHANGE_MEDIAN: f64 = 0.004;
pub const CHANGE_SIGMA: f64 = 0.8;
pub const CHANGE_MIN: f64 = 0.0002;
pub const CHANGE_MAX: f64 = 0.05;
/// A daily full sync over stored snapshots rewrites only what differs (content hashes): what search
/// cannot show (deletions, association changes), this share of companies.
pub const DAILY_FULL_REWRITE_SHARE: f64 = 0.01;
/// Per changed client after scoring: share whose overall moves (the score's gsi1 sort key changes:
/// a delete and a put in the index), share with an insight opened or resolved, and share with a
/// client event (`ClientHealthChanged`, `InsightOpened`, `InsightResolved`).
pub const SCORE_KEY_MOVE_SHARE: f64 = 0.3;
pub const INSIGHT_CHANGE_SHARE: f64 = 0.1;
pub const CLIENT_EVENT_SHARE: f64 = 0.05;
/// Share of scoring runs that queue an alert for later (quiet hours, the daily digest): notify then
/// writes the tenant's due marker, which the cross-tenant `ALERTS#DUE` gsi2 partition lists for the
/// hourly release.
pub const ALERT_QUEUED_SHARE: f64 = 0.1;
/// Secrets Manager calls: each invocation reads the tenant's secret once; a sync refreshes the
/// 30-minute HubSpot token under its lease (read again, then a compare-and-set write).
pub const SECRET_CALLS_PER_INVOCATION: f64 = 1.0;
pub const SECRET_CALLS_PER_REFRESH: f64 = 2.0;
/// Plans by portal size: (share, name, requests per 10 s, requests per day) from HUBSPOT.md
/// (private apps: 100 Free/Starter, 190 Professional/Enterprise; daily 250k / 625k / 1M).
pub const PLANS: [Plan; 3] = [
    Plan {
        name: "Starter",
        per_ten_seconds: 100,
        daily: 250_000,
    },
    Plan {
        name: "Professional",
        per_ten_seconds: 190,
        daily: 625_000,
    },
    Plan {
        name: "Enterprise",
        per_ten_seconds: 190,
        daily: 1_000_000,
    },
];
/// Chance of Starter / Professional (the rest Enterprise) below 500 companies, to 5,000, and above.
pub const PLAN_MIX: [(u64, f64, f64); 3] =
    [(500, 0.7, 0.3), (5_000, 0.4, 0.45), (u64::MAX, 0.0, 0.6)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub name: &'static str,
    pub per_ten_seconds: u32,
    pub daily: u64,
}

// ---- List prices, us-east-1 (no free tier, no savings plan) ----

/// aws.amazon.com/lambda/pricing: Arm, first 7.5 billion GB-s a month; requests $0.20 per million.
pub const PRICE_LAMBDA_GB_SECOND: f64 = 0.000_013_333_4;
pub const PRICE_LAMBDA_REQUEST: f64 = 0.20 / 1e6;
/// aws.amazon.com/dynamodb/pricing/on-demand (since the 1 November 2024 cut): $0.625 per million
/// write request units, $0.125 per million read request units.
pub const PRICE_DDB_WRU: f64 = 0.625 / 1e6;
pub const PRICE_DDB_RRU: f64 = 0.125 / 1e6;
/// aws.amazon.com/eventbridge/pricing: custom events $1.00 per million (64 KB chunks).
pub const PRICE_EVENT: f64 = 1.00 / 1e6;
/// aws.amazon.com/secrets-manager/pricing: $0.05 per 10,000 API calls, $0.40 per secret a month (one
/// secret per tenant holds its HubSpot tokens: `connected-insights/tenants/<t>`).
pub const PRICE_SECRET_CALL: f64 = 0.05 / 10_000.0;
pub const PRICE_SECRET_MONTH: f64 = 0.40;
/// aws.amazon.com/cloudwatch/pricing: logs ingestion $0.50 per GB (standard class).
pub const PRICE_LOG_GB: f64 = 0.50;
/// AWS bills a month as 730 hours.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// One printed row: what, the figure, where it comes from.
pub struct Assumption {
    pub what: &'static str,
    pub value: String,
    pub source: &'static str,
}

fn row(what: &'static str, value: String, source: &'static str) -> Assumption {
    Assumption {
        what,
        value,
        source,
    }
}

/// The table the program prints.
pub fn table() -> Vec<Assumption> {
    const BENCH: &str = "README Benchmarks (measured)";
    const CODE: &str = "code / infra/template.yaml";
    const HUBSPOT: &str = "shared/design/HUBSPOT.md";
    const ASSUMED: &str = "assumed";
    vec![
        row("full sync time over the rate-limit floor", format!("{FULL_SYNC_OVER_FLOOR:.3}x"), "hubspot_sync bench: 169.1 s vs 150.1 s"),
        row("work per record above the floor", format!("{:.1} us", SECONDS_PER_RECORD * 1e6), "hubspot_sync bench: 19 s over 285,000 records"),
        row("sync invocation fixed work", format!("{:.0} ms", SYNC_FIXED_SECONDS * 1e3), "functions bench: 2,033 ms for 9 searches at 5/s"),
        row("sync / score cold start", format!("{:.1} / {:.1} ms", SYNC_COLD_START_SECONDS * 1e3, SCORE_COLD_START_SECONDS * 1e3), BENCH),
        row("score: fixed + per changed client", format!("{:.0} ms + {:.2} ms", SCORE_FIXED_SECONDS * 1e3, SCORE_SECONDS_PER_CLIENT * 1e3), "functions bench: 48 ms for 50 clients (fixed part assumed)"),
        row("function memory, sync timeout, continuation reserve", format!("{FUNCTION_MEMORY_GB} GB, {SYNC_TIMEOUT_SECONDS} s, {SYNC_RESERVE_SECONDS} s"), CODE),
        row("event age limit (then discarded)", format!("{MAX_EVENT_AGE_SECONDS} s"), CODE),
        row("dispatch: tenants per page, entries per PutEvents", format!("{DISPATCH_PAGE}, {PUT_EVENTS_ENTRIES} (calls in sequence)"), "shared/src/handlers/sync.rs, bus/eventbridge.rs"),
        row("full sync every", format!("{FULL_EVERY_HOURS} h"), CODE),
        row("HubSpot list / search page, search rate", format!("{LIST_PAGE} / {SEARCH_PAGE}, {SEARCHES_PER_SECOND}/s"), HUBSPOT),
        row("HubSpot plans (per 10 s, per day)", "Starter 100/250k, Professional 190/625k, Enterprise 190/1M".into(), HUBSPOT),
        row("Lambda scaling", format!("{LAMBDA_SCALE_PER_10_SECONDS} environments / 10 s per function"), "AWS Lambda docs, scaling behavior"),
        row("account concurrency", format!("{ACCOUNT_CONCURRENCY}"), "AWS default quota"),
        row("PutEvents quota", format!("{PUT_EVENTS_PER_SECOND} requests/s"), "AWS EventBridge quotas, us-east-1"),
        row("DynamoDB per partition", format!("{PARTITION_WCU} WCU/s, {PARTITION_RCU} RCU/s"), "AWS DynamoDB docs, warm throughput"),
        row("DynamoDB page / small query / PutEvents latency", format!("{:.0} / {:.0} / {:.0} ms", DDB_PAGE_SECONDS * 1e3, DDB_SMALL_QUERY_SECONDS * 1e3, PUT_EVENTS_CALL_SECONDS * 1e3), ASSUMED),
        row("snapshot size", format!("{SNAPSHOT_BASE_KB} KB + {SNAPSHOT_KB_PER_ENGAGEMENT} KB per engagement, {SNAPSHOT_KB_PER_CONTACT} per contact ..."), "assumed from ClientSnapshot's fields"),
        row("tenant / score / history / insight item", format!("{TENANT_ITEM_KB} / {SCORE_ITEM_KB} / {HISTORY_POINT_KB} / {INSIGHT_KB} KB"), ASSUMED),
        row("companies per tenant", format!("log-normal median {SIZE_MEDIAN}, sigma {SIZE_SIGMA}; {:.0} % Pareto tail from {TAIL_FROM} (index {TAIL_INDEX}); one of {LARGEST_COMPANIES}", TAIL_SHARE * 100.0), "assumed; largest from issue 19"),
        row("records per company", "5/2/0.5/20 to 10k companies, 10/2/1/50 at 100k".into(), "sandbox benchmark preset; issue 19"),
        row("changed per hour", format!("median {:.1} % of each type (log-normal, sigma {CHANGE_SIGMA})", CHANGE_MEDIAN * 100.0), ASSUMED),
        row("daily full sync rewrites", format!("{:.0} % of snapshots", DAILY_FULL_REWRITE_SHARE * 100.0), "assumed (content hashes skip the rest)"),
        row("scoring runs queueing an alert (due marker in ALERTS#DUE)", format!("{:.0} %", ALERT_QUEUED_SHARE * 100.0), ASSUMED),
        row("Secrets Manager calls", format!("{SECRET_CALLS_PER_INVOCATION} per invocation + {SECRET_CALLS_PER_REFRESH} per token refresh (each sync)"), "README Tokens"),
        row("log bytes per invocation", format!("{LOG_BYTES_PER_INVOCATION}"), ASSUMED),
        row("Lambda Arm GB-s / request", "$0.0000133334 / $0.20 per million".into(), "aws.amazon.com/lambda/pricing (us-east-1)"),
        row("DynamoDB on-demand WRU / RRU", "$0.625 / $0.125 per million".into(), "aws.amazon.com/dynamodb/pricing (us-east-1, since Nov 2024)"),
        row("EventBridge custom events", "$1.00 per million".into(), "aws.amazon.com/eventbridge/pricing"),
        row("Secrets Manager", "$0.40 per secret-month, $0.05 per 10,000 calls".into(), "aws.amazon.com/secrets-manager/pricing"),
        row("CloudWatch Logs ingestion", "$0.50 per GB".into(), "aws.amazon.com/cloudwatch/pricing"),
        row("month", format!("{HOURS_PER_MONTH} h"), "AWS billing convention"),
    ]
}
