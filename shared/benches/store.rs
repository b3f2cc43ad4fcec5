//! Store benchmark: save and reload one tenant of 10,000 clients (current score, one history point
//! and three insights each) on DynamoDB Local, then save the same data again, which must write
//! nothing. Prints items written, write requests, consumed capacity and wall time per phase; the same
//! workload on `MemoryStore` for comparison.
//!
//! Run: `cargo bench -p shared --bench store` with `AWS_ENDPOINT_URL_DYNAMODB` set (scripts/test-services.sh).
//! `STORE_BENCH_CLIENTS` changes the tenant size.

use chrono::{Duration, TimeZone, Utc};
use shared::domain::{
    ClientId, ConfidenceBand, Dimension, DimensionScore, Evidence, Factor, HealthBand, HealthScore,
    Impact, Insight, InsightId, InsightRule, InsightSort, InsightStatus, ScorePoint, TenantId,
    Trend,
};
use shared::ports::{InsightFilter, InsightStore, PageRequest, ScoreQuery, Store, WriteReport};
use shared::store::{DynamoStore, MemoryStore};
use std::time::Instant;

struct Tenant {
    id: TenantId,
    scores: Vec<HealthScore>,
    history: Vec<ScorePoint>,
    insights: Vec<Insight>,
}

fn generate(clients: usize) -> Tenant {
    let id = TenantId::parse("bench-tenant").unwrap_or_else(|e| panic!("{e}"));
    let at = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
    let mut scores = Vec::with_capacity(clients);
    let mut insights = Vec::with_capacity(clients * 3);
    for n in 0..clients {
        let client_id =
            ClientId::parse(format!("{}", 10_000_000 + n)).unwrap_or_else(|e| panic!("{e}"));
        let overall = ((n * 37) % 101) as u8;
        let score = HealthScore {
            segment: None,
            settings_version: 0,
            sources: Default::default(),
            client_id: client_id.clone(),
            client_name: format!("Client company {n}"),
            overall,
            band: HealthBand::of(overall),
            churn_risk: 100 - overall,
            dimensions: Dimension::ALL
                .iter()
                .map(|&dimension| DimensionScore {
                    dimension,
                    score: Some(overall),
                    weight: 0.25,
                    factors: vec![
                        Factor {
                            source: shared::domain::Platform::Hubspot,
                            name: "days_since_last_activity".into(),
                            value: Some((n % 90) as f64),
                            points: 30.0,
                            explanation: format!("Last activity {} days ago", n % 90),
                        },
                        Factor {
                            source: shared::domain::Platform::Hubspot,
                            name: "interactions_in_window".into(),
                            value: Some((n % 20) as f64),
                            points: 20.0,
                            explanation: format!("{} interactions in 90 days", n % 20),
                        },
                    ],
                })
                .collect(),
            trend: Trend {
                delta_7d: Some(-2),
                delta_30d: Some(5),
            },
            scored_at: at,
            overrides: Vec::new(),
        };
        for (r, rule) in [
            InsightRule::InactiveClient,
            InsightRule::DecliningEngagement,
            InsightRule::UpsellOpportunity,
        ]
        .into_iter()
        .enumerate()
        {
            let confidence = 50 + ((n + r) % 50) as u8;
            insights.push(Insight {
                sources: Default::default(),
                id: InsightId::parse(format!("{id}.{client_id}.{}", rule.as_str()))
                    .unwrap_or_else(|e| panic!("{e}")),
                tenant_id: id.clone(),
                client_id: client_id.clone(),
                client_name: score.client_name.clone(),
                insight_type: rule.insight_type(),
                rule,
                title: format!("{} at client {n}", rule.as_str()),
                description: "The client has shown no activity for 45 days.".into(),
                explanation:
                    "No email, call or meeting since 12 October; the threshold is 30 days.".into(),
                confidence,
                confidence_band: ConfidenceBand::of(confidence),
                impact: [Impact::Low, Impact::Medium, Impact::High][(n + r) % 3],
                revenue_at_stake: Some(12_500.0),
                recommendations: vec![
                    "Schedule a check-in call this week".into(),
                    "Review open tickets".into(),
                ],
                evidence: vec![Evidence {
                    name: "days_inactive".into(),
                    value: 45.0,
                    unit: Some("days".into()),
                }],
                status: InsightStatus::Open,
                created_at: at - Duration::minutes((n % 600) as i64),
                updated_at: at - Duration::minutes((n % 600) as i64),
                status_changed_at: None,
                status_changed_by: None,
                status_reason: None,
                snoozed_until: None,
                revenue_upside: None,
                version: 0,
            });
        }
        scores.push(score);
    }
    let history = scores.iter().map(HealthScore::point).collect();
    Tenant {
        id,
        scores,
        history,
        insights,
    }
}

async fn save<S: Store>(store: &S, tenant: &Tenant) -> (WriteReport, f64) {
    let started = Instant::now();
    let mut report = WriteReport::default();
    let step = |r: Result<WriteReport, shared::ports::StoreError>, what: &str| {
        r.unwrap_or_else(|e| panic!("saving {what} failed: {e}"))
    };
    report += step(store.put_scores(&tenant.id, &tenant.scores).await, "scores");
    report += step(
        store.append_history(&tenant.id, &tenant.history, 400).await,
        "history",
    );
    report += step(
        store.put_insights(&tenant.id, &tenant.insights).await,
        "insights",
    );
    (report, started.elapsed().as_secs_f64())
}

async fn reload<S: Store>(store: &S, tenant: &Tenant) -> (usize, usize, f64) {
    let started = Instant::now();
    let mut scores = 0;
    let mut cursor = None;
    loop {
        let page = store
            .list_scores(
                &tenant.id,
                &ScoreQuery::default(),
                &PageRequest {
                    limit: PageRequest::MAX_LIMIT,
                    cursor,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("listing scores failed: {e}"));
        scores += page.items.len();
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let mut insights = 0;
    let mut cursor = None;
    loop {
        let page = store
            .list_insights(
                &tenant.id,
                &InsightFilter::default(),
                &PageRequest {
                    limit: PageRequest::MAX_LIMIT,
                    cursor,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("listing insights failed: {e}"));
        insights += page.items.len();
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    (scores, insights, started.elapsed().as_secs_f64())
}

/// The open list's first page read both ways: every open insight read and sorted (what the API did
/// before issue 19, and still does for other orders), and one page of the triage index. Returns
/// milliseconds and read units of each.
async fn first_open_page(store: &DynamoStore, tenant: &Tenant) -> (f64, f64, f64, f64) {
    let open = InsightFilter {
        status: Some(InsightStatus::Open),
        ..InsightFilter::default()
    };
    let units = || store.consumed_capacity().read_units;
    let (before, started) = (units(), Instant::now());
    let mut all = store
        .matching_insights(&tenant.id, &open)
        .await
        .unwrap_or_else(|e| panic!("reading the open insights failed: {e}"));
    InsightSort::Impact.sort(&mut all);
    all.truncate(51);
    let whole = (started.elapsed().as_secs_f64() * 1000.0, units() - before);
    let (before, started) = (units(), Instant::now());
    let page = store
        .insights_in_triage_order(&tenant.id, InsightStatus::Open, &open, None, 51)
        .await
        .unwrap_or_else(|e| panic!("reading the triage index failed: {e}"));
    let indexed = (started.elapsed().as_secs_f64() * 1000.0, units() - before);
    let ids = |insights: &[Insight]| insights.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&page),
        ids(&all),
        "the index and the sorted list disagree"
    );
    (whole.0, whole.1, indexed.0, indexed.1)
}

fn print_save(label: &str, report: WriteReport, seconds: f64) {
    println!(
        "{label:<28} items written {:>7}  unchanged {:>7}  write requests {:>6}  wall {seconds:>7.2} s",
        report.items_written, report.items_unchanged, report.write_requests
    );
}

fn main() {
    let clients: usize = std::env::var("STORE_BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("no runtime: {e}"));
    let tenant = generate(clients);
    println!(
        "store bench: {clients} clients -> {} scores, {} history points, {} insights",
        tenant.scores.len(),
        tenant.history.len(),
        tenant.insights.len()
    );

    runtime.block_on(async {
        let memory = MemoryStore::new();
        let (first, t1) = save(&memory, &tenant).await;
        print_save("memory: first save", first, t1);
        let (second, t2) = save(&memory, &tenant).await;
        print_save("memory: second save", second, t2);
        let (scores, insights, t3) = reload(&memory, &tenant).await;
        println!("memory: reload               {scores} scores, {insights} insights  wall {t3:.2} s");

        let client = test_support::dynamodb().await;
        let table = test_support::unique_name("store-bench");
        shared::store::create_table(&client, &table)
            .await
            .unwrap_or_else(|e| panic!("cannot create table {table}: {e}"));
        let dynamo = DynamoStore::new(client, table);

        let (first, t1) = save(&dynamo, &tenant).await;
        let after_first = dynamo.consumed_capacity();
        print_save("dynamodb: first save", first, t1);
        println!(
            "{:<28} consumed read units {:>9.1}  write units {:>9.1}",
            "", after_first.read_units, after_first.write_units
        );

        let (scores, insights, t3) = reload(&dynamo, &tenant).await;
        let after_reload = dynamo.consumed_capacity();
        println!(
            "dynamodb: reload             {scores} scores, {insights} insights  wall {t3:.2} s  read units {:.1}",
            after_reload.read_units - after_first.read_units
        );

        let (second, t2) = save(&dynamo, &tenant).await;
        let after_second = dynamo.consumed_capacity();
        print_save("dynamodb: second save", second, t2);
        println!(
            "{:<28} consumed read units {:>9.1}  write units {:>9.1}",
            "",
            after_second.read_units - after_reload.read_units,
            after_second.write_units - after_reload.write_units
        );

        let (whole_ms, whole_units, indexed_ms, indexed_units) =
            first_open_page(&dynamo, &tenant).await;
        println!(
            "dynamodb: first page of the open list (50 in triage order): read whole and sorted \
             {whole_ms:.0} ms, {whole_units:.1} read units; from the triage index {indexed_ms:.1} ms, \
             {indexed_units:.1} read units"
        );

        assert_eq!(scores, clients, "reload lost scores");
        assert_eq!(insights, clients * 3, "reload lost insights");
        if second.items_written != 0 {
            eprintln!(
                "FAILED: the second save of unchanged data wrote {} items",
                second.items_written
            );
            std::process::exit(1);
        }
    });
}
