//! Per-function figures on the real binaries: size, cold start (process start to its first poll of
//! the Runtime API, i.e. ready for the first event) and warm latency of a typical event; for the api,
//! p50 and p99 of `GET /v1/insights` over 1,000 requests on a tenant with 10,000 insights, and of
//! `GET /v1/overview` on the same tenant. First, the same `GET /v1/insights?limit=50` served by the
//! local runner (in-process store) to 1, 16 and 64 concurrent clients: requests per second, p50, p99.
//!
//! Needs DynamoDB Local and moto (`scripts/test-services.sh start` and its env), except with
//! `BENCH_FUNCTIONS_LOCAL_ONLY=1`, which measures the local runner only. Builds the binaries
//! with the release profile, or the profile named by `BENCH_FUNCTIONS_PROFILE` (e.g. `dev` for a
//! quick look on a slow machine). Targets: cold start under 50 ms, p99 under 20 ms, binaries under
//! 15 MB. Prints figures; asserts nothing about speed.

use chrono::{Duration as Days, Utc};
use hubspot_sandbox::SandboxConfig;
use serde_json::Value;
use shared::domain::{
    ClientId, ConfidenceBand, Impact, Insight, InsightRule, InsightStatus, TenantSummary,
};
use shared::ports::{InsightStore, ScoreStore};
use shared::scoring::insight_id;
use std::time::{Duration, Instant};
use system_tests::functions::{
    build_function_binaries_with, cargo_build_profile, FunctionProcess, FUNCTIONS,
};
use system_tests::local_runner::LocalRunner;
use system_tests::world::World;

/// Concurrent clients of the local runner's insight list.
const LOCAL_CLIENTS: [usize; 3] = [1, 16, 64];
/// How long each concurrency level runs.
const LOCAL_LEVEL_FOR: Duration = Duration::from_secs(5);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn warm(function: &mut FunctionProcess, event: &Value, runs: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        match function.invoke(event).await {
            Ok(_) => times.push(started.elapsed()),
            Err(error) => panic!("{error}"),
        }
    }
    times.sort();
    times
}

fn planted_insights(world: &World, count: usize) -> Vec<Insight> {
    let now = Utc::now();
    (0..count)
        .map(|n| {
            let client = ClientId::parse(format!("c{}", n / 2)).unwrap();
            let rule = InsightRule::ALL[n % 2];
            let confidence = (40 + (n % 60)) as u8;
            Insight {
                sources: Default::default(),
                id: insight_id(&world.tenant, &client, rule),
                tenant_id: world.tenant.clone(),
                client_id: client,
                client_name: format!("Client {}", n / 2),
                insight_type: rule.insight_type(),
                rule,
                title: "Planted".into(),
                description: "A planted insight for the benchmark".into(),
                explanation: "Planted".into(),
                confidence,
                confidence_band: ConfidenceBand::of(confidence),
                impact: [Impact::Low, Impact::Medium, Impact::High, Impact::Critical][n % 4],
                revenue_at_stake: Some(1_000.0 * (n % 50) as f64),
                recommendations: vec!["Call them".into()],
                evidence: vec![],
                status: InsightStatus::Open,
                created_at: now - Days::minutes(n as i64),
                updated_at: now - Days::minutes(n as i64),
                status_changed_at: None,
                status_changed_by: None,
                status_reason: None,
                snoozed_until: None,
                revenue_upside: None,
                version: 0,
            }
        })
        .collect()
}

/// `clients` tasks each send `GET /v1/insights?limit=50` back to back for [`LOCAL_LEVEL_FOR`];
/// returns every request's latency, sorted, and the wall time.
async fn insight_list_load(runner: &LocalRunner, clients: usize) -> (Vec<Duration>, Duration) {
    let started = Instant::now();
    let mut loads = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let request = runner.authorized_get("/v1/insights?limit=50");
        loads.spawn(async move {
            let mut times = Vec::new();
            while started.elapsed() < LOCAL_LEVEL_FOR {
                let sent = Instant::now();
                let response = request
                    .try_clone()
                    .unwrap_or_else(|| panic!("a GET without a body can be sent again"))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("GET /v1/insights: {e}"));
                assert_eq!(response.status().as_u16(), 200);
                response
                    .bytes()
                    .await
                    .unwrap_or_else(|e| panic!("GET /v1/insights body: {e}"));
                times.push(sent.elapsed());
            }
            times
        });
    }
    let mut times = Vec::new();
    while let Some(load) = loads.join_next().await {
        times.extend(load.unwrap_or_else(|e| panic!("a client failed: {e}")));
    }
    let wall = started.elapsed();
    times.sort();
    (times, wall)
}

/// The local runner's `GET /v1/insights?limit=50` (the medium demo portal, in-process store) at
/// each of [`LOCAL_CLIENTS`] concurrent clients.
async fn local_runner_insight_list(profile: &str) {
    let dir = cargo_build_profile(&["local"], profile).unwrap_or_else(|e| panic!("{e}"));
    let runner = LocalRunner::start_binary(&dir.join("connected-insights-local"), &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    runner
        .wait_for_first_scores()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, overview) = runner
        .get("/v1/overview")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "  local: GET /v1/insights?limit=50 on the medium demo portal ({} open insights), {} s per level",
        overview["open_insights"],
        LOCAL_LEVEL_FOR.as_secs()
    );
    for clients in LOCAL_CLIENTS {
        let (times, wall) = insight_list_load(&runner, clients).await;
        println!(
            "  local: {clients:>2} clients: {:>6.0} req/s, p50 {} p99 {} ({} requests)",
            times.len() as f64 / wall.as_secs_f64(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            times.len()
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let profile = std::env::var("BENCH_FUNCTIONS_PROFILE").unwrap_or_else(|_| "release".into());
    local_runner_insight_list(&profile).await;
    if std::env::var("BENCH_FUNCTIONS_LOCAL_ONLY").is_ok_and(|v| v == "1") {
        return;
    }
    let dir = match build_function_binaries_with(&profile) {
        Ok(dir) => dir,
        Err(error) => panic!("{error}"),
    };
    println!("profile: {profile}");
    for name in FUNCTIONS {
        let size = std::fs::metadata(dir.join(name))
            .map(|m| m.len())
            .unwrap_or(0);
        println!("{name:>7}: binary {:.1} MB", size as f64 / 1_048_576.0);
    }

    let world = World::start(SandboxConfig::small(5)).await;
    world.plant_private_app_tenant().await;
    let mut processes = Vec::new();
    for name in FUNCTIONS {
        let started = Instant::now();
        let mut process = FunctionProcess::start_from(&dir, name, &world.env)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let ready = process
            .ready_within(Duration::from_secs(30))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        println!(
            "{name:>7}: cold start {}",
            ms(ready.duration_since(started))
        );
        processes.push(process);
    }

    // The first sync and scoring give the warm runs real data to work on.
    let first = processes[0]
        .invoke(&world.sync_request_event("full"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    println!("   sync: first full sync {first:?}");
    let synced = world
        .emitted(1)
        .await
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("the first sync emitted nothing"));
    let events: Vec<Value> = vec![
        world.sync_request_event("incremental"),
        synced,
        world.api_request("GET", "/v1/overview", "", Some(&world.tenant)),
        world.signed_webhook(),
    ];
    for (process, event) in processes.iter_mut().zip(&events) {
        let times = warm(process, event, 20).await;
        println!(
            "{:>7}: warm p50 {} p99 {} (20 invocations)",
            process.name,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99))
        );
    }

    let insights = planted_insights(&world, 10_000);
    world
        .store
        .put_insights(&world.tenant, &insights)
        .await
        .unwrap_or_else(|e| panic!("planting insights: {e}"));
    let list = world.api_request("GET", "/v1/insights", "limit=50", Some(&world.tenant));
    let api = &mut processes[2];
    let times = warm(api, &list, 1_000).await;
    println!(
        "    api: GET /v1/insights on 10,000 insights, 1,000 requests: p50 {} p99 {}",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99))
    );

    // The overview reads the summary score keeps; here it is the one score would write for the
    // planted insights.
    let summary = TenantSummary::of([], &insights, Utc::now());
    world
        .store
        .put_summary(&world.tenant, &summary, false)
        .await
        .unwrap_or_else(|e| panic!("writing the summary: {e}"));
    let overview = world.api_request("GET", "/v1/overview", "", Some(&world.tenant));
    let times = warm(api, &overview, 1_000).await;
    println!(
        "    api: GET /v1/overview on 10,000 open insights, 1,000 requests: p50 {} p99 {}",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99))
    );
}
