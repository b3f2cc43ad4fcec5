//! The local runner as a user starts it: the built `connected-insights-local` binary on a free port
//! with a small demo portal and the four simulators beside it (PayPal, NinjaOne, Pax8, Microsoft
//! 365). It answers, syncs every source, scores, keeps data across a restart (also one after
//! `kill -9`), refuses bad flags, and stops cleanly on Ctrl-C and SIGTERM.

use hubspot_sandbox::SandboxConfig;
use serde_json::{json, Value};
use shared::domain::TenantId;
use shared::ports::{Lease, SyncStore};
use shared::store::MemoryStore;
use std::path::PathBuf;
use system_tests::local_runner::{run_to_exit, LocalRunner};

/// The tenant the runner keeps the demo portal under.
const SANDBOX_TENANT: &str = "local-sandbox";

/// The runner's default seed; `--demo-size small` is `SandboxConfig::small`.
const SEED: u64 = 42;

fn small_portal_companies() -> u64 {
    SandboxConfig::small(SEED).companies as u64
}

/// A fresh directory for one test's data file; the file itself does not exist yet.
fn data_file(test: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("ci-local-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("local.json");
    (dir, file)
}

async fn started(args: &[&str]) -> LocalRunner {
    LocalRunner::start(args)
        .await
        .unwrap_or_else(|e| panic!("the local runner did not start: {e}"))
}

/// [`started`], then waits for the first sync's scores.
async fn started_and_scored(args: &[&str]) -> LocalRunner {
    let runner = started(args).await;
    runner
        .wait_for_first_scores()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    runner
}

#[tokio::test(flavor = "multi_thread")]
async fn runner_serves_syncs_scores_and_stops_on_ctrl_c() {
    let mut runner = started(&["--demo-size", "small"]).await;

    let (status, body) = runner.get_anonymous("/health").await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ok\""), "{body}");
    let (status, page) = runner.get_anonymous("/").await.unwrap();
    assert_eq!(status, 200);
    assert!(
        page.contains("Connected Insights"),
        "the dashboard page is served"
    );
    let (status, _) = runner.get_anonymous("/v1/overview").await.unwrap();
    assert_eq!(status, 401, "the API needs the development token");

    let run = runner
        .wait_for_first_scores()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run["status"], "succeeded");
    assert_eq!(
        run["mode"], "full",
        "the first sync of a new tenant is full"
    );
    assert_eq!(run["counts"]["companies"], small_portal_companies());

    let (status, scores) = runner.get("/v1/health-scores?limit=200").await.unwrap();
    assert_eq!(status, 200, "{scores}");
    let scores = scores["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        scores.len() as u64,
        small_portal_companies(),
        "every company is scored"
    );
    for score in &scores {
        let overall = score["overall"].as_u64().unwrap_or(u64::MAX);
        assert!(overall <= 100, "{score}");
        assert_eq!(
            score["dimensions"].as_array().map(Vec::len),
            Some(4),
            "{score}"
        );
    }
    let (_, overview) = runner.get("/v1/overview").await.unwrap();
    assert_eq!(overview["clients"], small_portal_companies());
    assert!(overview["average_health"].is_number(), "{overview}");
    assert!(
        overview["open_insights"].as_u64().unwrap_or(0) > 0,
        "the demo portal has clients every rule fires on: {overview}"
    );

    let exit = runner.stop_with("INT").await.unwrap();
    assert_eq!(exit.code(), Some(0), "stderr: {}", runner.stderr());
    assert!(runner.stderr().contains("Stopped."), "{}", runner.stderr());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_with_the_data_file_keeps_scores_and_insight_statuses() {
    let dir = std::env::temp_dir().join(format!("ci-local-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data_file = dir.join("local.json");
    let _ = std::fs::remove_file(&data_file);
    let data_arg = data_file.to_string_lossy().into_owned();
    let args = ["--demo-size", "small", "--data-file", data_arg.as_str()];

    let mut first = started_and_scored(&args).await;
    let (_, insights) = first.get("/v1/insights?status=open&limit=1").await.unwrap();
    let insight_id = insights["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no open insight: {insights}"))
        .to_string();
    let (status, dismissed) = first
        .patch(
            &format!("/v1/insights/{insight_id}"),
            &json!({"status": "dismissed"}),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{dismissed}");
    let exit = first.stop_with("TERM").await.unwrap();
    assert_eq!(exit.code(), Some(0), "stderr: {}", first.stderr());
    assert!(data_file.exists(), "the data file was written on shutdown");

    let mut second = started(&args).await;
    // Read before the restart's own sync can finish scoring: the data must come from the file.
    let (status, overview) = second.get("/v1/overview").await.unwrap();
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["clients"], small_portal_companies(), "{overview}");
    let (status, insight) = second
        .get(&format!("/v1/insights/{insight_id}"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{insight}");
    assert_eq!(insight["status"], "dismissed", "{insight}");
    assert_ne!(
        first.token, second.token,
        "every start makes a fresh development token"
    );
    let (status, _) = second.get_anonymous("/v1/overview").await.unwrap();
    assert_eq!(status, 401);
    let exit = second.stop_with("INT").await.unwrap();
    assert_eq!(exit.code(), Some(0), "stderr: {}", second.stderr());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_flags_get_a_clear_message_and_a_failing_exit() {
    let (status, stderr) = run_to_exit(&["--demo-size", "huge"]).await.unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("huge"), "{stderr}");
    assert!(
        stderr.contains("small, medium, large"),
        "names the choices: {stderr}"
    );

    let (status, stderr) = run_to_exit(&["--sync-interval", "3s"]).await.unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("at least 10s"), "{stderr}");

    let (status, stderr) = run_to_exit(&["--companies", "many"]).await.unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--companies"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_port_in_use_is_reported_with_what_to_do() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (status, stderr) = run_to_exit(&["--demo-size", "small", "--port", &port, "--no-progress"])
        .await
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot listen on"), "{stderr}");
    assert!(stderr.contains("--port 0"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_lease_left_in_the_data_file_by_a_killed_runner_does_not_block_syncs() {
    let (dir, file) = data_file("stale-lease");
    // What a runner killed during a sync leaves behind: its sync lease, saved with the data.
    let left = MemoryStore::open(&file).unwrap();
    let tenant = TenantId::parse(SANDBOX_TENANT).unwrap();
    let now = chrono::Utc::now();
    let taken = left
        .acquire_lease(
            &tenant,
            Lease::Sync.name(),
            "killed-runner",
            now + chrono::Duration::minutes(16),
            now,
        )
        .await
        .unwrap();
    assert!(taken);
    left.save().unwrap();
    let file_arg = file.to_string_lossy().into_owned();

    let mut runner = started(&["--demo-size", "small", "--data-file", &file_arg]).await;

    let run = runner
        .wait_for_first_scores()
        .await
        .unwrap_or_else(|e| panic!("the first sync after the restart: {e}"));
    assert_eq!(run["status"], "succeeded");
    let (_, overview) = runner.get("/v1/overview").await.unwrap();
    assert_eq!(overview["clients"], small_portal_companies(), "{overview}");
    let exit = runner.stop_with("INT").await.unwrap();
    assert_eq!(exit.code(), Some(0), "stderr: {}", runner.stderr());
    let saved = MemoryStore::open(&file).unwrap();
    let now = chrono::Utc::now();
    assert!(
        saved
            .acquire_lease(
                &tenant,
                Lease::Sync.name(),
                "next",
                now + chrono::Duration::seconds(1),
                now
            )
            .await
            .unwrap(),
        "the runner leaves no lease in its file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_answered_before_kill_9_is_kept_by_the_restart() {
    let (dir, file) = data_file("kill-9");
    let file_arg = file.to_string_lossy().into_owned();
    let args = ["--demo-size", "small", "--data-file", file_arg.as_str()];
    let mut first = started_and_scored(&args).await;

    let (_, insights) = first.get("/v1/insights?status=open&limit=1").await.unwrap();
    let insight_id = insights["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no open insight: {insights}"))
        .to_string();
    let (status, body) = first
        .patch(
            &format!("/v1/insights/{insight_id}"),
            &json!({"status": "acknowledged"}),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let (_, mut settings) = first.get("/v1/settings").await.unwrap();
    let inactive_days = settings["settings"]["thresholds"]["inactive_days"]
        .as_u64()
        .unwrap_or_else(|| panic!("{settings}"));
    settings["settings"]["thresholds"]["inactive_days"] = json!(inactive_days + 15);
    let (status, body) = first
        .put(
            "/v1/settings",
            &json!({"settings": settings["settings"], "version": settings["version"]}),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    // No chance to save anything on the way out.
    let exit = first.stop_with("KILL").await.unwrap();
    assert_eq!(exit.code(), None, "killed by a signal");

    let mut second = started(&args).await;
    let (_, insight) = second
        .get(&format!("/v1/insights/{insight_id}"))
        .await
        .unwrap();
    assert_eq!(insight["status"], "acknowledged", "{insight}");
    let (_, settings) = second.get("/v1/settings").await.unwrap();
    assert_eq!(
        settings["settings"]["thresholds"]["inactive_days"],
        json!(inactive_days + 15),
        "{settings}"
    );
    let exit = second.stop_with("INT").await.unwrap();
    assert_eq!(exit.code(), Some(0), "stderr: {}", second.stderr());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The install flow runs end to end against the sandbox: `/oauth/install` -> the sandbox's consent
/// page -> `/oauth/callback` (reqwest follows both redirects as a browser would), and the portal's
/// next sync runs on the OAuth tokens it got. A callback it cannot use is a 400 problem, never a 500.
#[tokio::test(flavor = "multi_thread")]
async fn the_oauth_install_connects_the_sandbox_portal_locally() {
    let mut runner = started(&["--demo-size", "small"]).await;
    runner
        .wait_for_first_scores()
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let (status, page) = runner.get_anonymous("/oauth/install").await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("HubSpot is connected"), "{page}");

    // The install asks for a full sync of the connected portal; it runs on the OAuth tokens.
    let started_at = tokio::time::Instant::now();
    loop {
        let (_, runs) = runner.get("/v1/sync-runs?limit=5").await.unwrap();
        let install_run = runs["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|run| run["trigger"]["requested_by"] == "oauth-install")
            .cloned();
        match install_run.as_ref().and_then(|run| run["status"].as_str()) {
            Some("succeeded") => break,
            Some("failed") => panic!("the install's sync failed: {install_run:?}"),
            _ => {}
        }
        assert!(
            started_at.elapsed() < std::time::Duration::from_secs(120),
            "no sync after the install: {runs}; stderr: {}",
            runner.stderr()
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }

    for path in [
        "/oauth/callback?code=x&state=a.b",
        "/oauth/callback?state=x",
        "/oauth/callback?error=access_denied",
    ] {
        let (status, body) = runner.get_anonymous(path).await.unwrap();
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains("/problems/"), "{path}: {body}");
    }
    let exit = runner.stop_with("INT").await.unwrap();
    assert_eq!(exit.code(), Some(0), "stderr: {}", runner.stderr());

    // stderr is a file here: log lines (RUST_LOG=info) carry no colour codes, and --no-progress
    // (which LocalRunner passes) prints no per-object progress lines.
    let stderr = runner.stderr();
    assert!(stderr.contains("HubSpot portal connected"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "ANSI codes in a file: {stderr}");
    assert!(
        !stderr.contains(" fetched"),
        "progress despite --no-progress: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interval_or_data_file_the_run_cannot_use_is_refused_at_start() {
    let (status, stderr) = run_to_exit(&["--sync-interval", "10000000000000000000s"])
        .await
        .unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("too long"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let missing = std::env::temp_dir()
        .join(format!("ci-no-such-dir-{}", std::process::id()))
        .join("data.json");
    let missing = missing.to_string_lossy().into_owned();
    let (status, stderr) = run_to_exit(&["--data-file", &missing]).await.unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
}

/// The connections `GET /v1/connections` lists for `platform`.
fn of_platform(connections: &Value, platform: &str) -> Vec<Value> {
    connections["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|c| c["platform"] == platform)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The number after `label` in a printed summary line (`... 12 payers found; ...`).
fn count_before(line: &str, label: &str) -> u64 {
    let before = line
        .split(label)
        .next()
        .unwrap_or_else(|| panic!("{label:?} not in {line:?}"));
    before
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count before {label:?} in {line:?}"))
}

/// The simulated platforms beside the portal, their names in the API and on the summary lines.
const SIMULATED: [(&str, &str, &str); 4] = [
    ("paypal", "PayPal", " payers found"),
    ("ninjaone", "NinjaOne", " organisations found"),
    ("pax8", "Pax8", " companies found"),
    ("m365", "Microsoft 365", " customer tenants found"),
];

/// The runner starts the portal and all four simulators by default, connects each once (a restart
/// reuses the connections), syncs every connection, and the scoring after the syncs links the
/// simulators' records to the portal's clients and opens insights only several sources can see.
#[tokio::test(flavor = "multi_thread")]
async fn every_simulator_syncs_beside_the_sandbox_portal_and_keeps_one_connection_each() {
    let (dir, file) = data_file("paypal");
    let data_arg = file.to_string_lossy().into_owned();
    let args = ["--demo-size", "small", "--data-file", data_arg.as_str()];

    let mut first = started_and_scored(&args).await;
    for (platform, name, found) in SIMULATED {
        let connections = first
            .wait_for_connection_sync(platform)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let connected = of_platform(&connections, platform);
        assert_eq!(connected.len(), 1, "one {name} connection: {connections}");
        assert_eq!(connected[0]["status"], "active", "{connections}");
        assert!(
            first
                .stdout()
                .contains(&format!("--no-{platform} turns it off")),
            "the start-up lines name the {name} simulator: {}",
            first.stdout()
        );
        let summary = first
            .wait_for_printed(&format!("{name} (simulator): "))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            count_before(&summary, found) > 0,
            "the {name} simulator's records were synced: {summary}"
        );
    }
    let insight = first
        .wait_for_cross_source_insight()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        insight["evidence"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "a cross-source insight shows its evidence: {insight}"
    );
    let connections = first
        .wait_for_connection_sync("paypal")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let hubspot = of_platform(&connections, "hubspot");
    assert_eq!(hubspot.len(), 1, "{connections}");
    assert_eq!(hubspot[0]["id"], "hubspot", "{connections}");
    let paypal = of_platform(&connections, "paypal");
    assert_eq!(paypal.len(), 1, "one PayPal connection: {connections}");
    assert_eq!(paypal[0]["status"], "active", "{connections}");
    assert_eq!(paypal[0]["environment"], "sandbox", "{connections}");
    assert!(paypal[0]["last_sync_at"].is_string(), "{connections}");
    let paypal_id = paypal[0]["id"].as_str().unwrap_or_default().to_string();
    assert!(paypal_id.starts_with("paypal-"), "{paypal_id}");

    let summary = first
        .wait_for_printed("PayPal (simulator): ")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        count_before(&summary, " payers found") > 0,
        "the simulator's payers were synced: {summary}"
    );
    let matched = count_before(&summary, " matched to clients");
    let to_review = count_before(&summary, " wait for review");
    // The score step matched the simulator's payers to the portal's companies (some carry the
    // company's id and link themselves; the others wait for a person), and the API lists them.
    assert!(
        matched > 0,
        "payers carrying a company id link themselves: {summary}"
    );
    let (status, review) = first
        .get("/v1/correlations?status=needs_review")
        .await
        .unwrap();
    assert_eq!(status, 200, "{review}");
    if to_review > 0 {
        assert!(
            review["items"].as_array().is_some_and(|i| !i.is_empty()),
            "{summary}: {review}"
        );
    }
    let exit = first.stop_with("TERM").await.unwrap();
    assert_eq!(exit.code(), Some(0), "stderr: {}", first.stderr());

    let mut second = started(&args).await;
    let (status, connections) = second.get("/v1/connections").await.unwrap();
    assert_eq!(status, 200, "{connections}");
    let paypal = of_platform(&connections, "paypal");
    assert_eq!(
        paypal.len(),
        1,
        "the restart reuses the connection: {connections}"
    );
    assert_eq!(paypal[0]["id"], paypal_id.as_str(), "{connections}");
    for (platform, _, _) in SIMULATED {
        assert_eq!(
            of_platform(&connections, platform).len(),
            1,
            "the restart reuses the {platform} connection: {connections}"
        );
    }
    // The restart's own PayPal sync succeeds with the credentials written again to the vault.
    second
        .wait_for_printed("PayPal (simulator): ")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let exit = second.stop_with("INT").await.unwrap();
    assert_eq!(exit.code(), Some(0), "stderr: {}", second.stderr());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_no_flags_run_the_sandbox_portal_alone() {
    let mut runner = started_and_scored(&[
        "--demo-size",
        "small",
        "--no-paypal",
        "--no-ninjaone",
        "--no-pax8",
        "--no-m365",
    ])
    .await;
    let (status, connections) = runner.get("/v1/connections").await.unwrap();
    assert_eq!(status, 200, "{connections}");
    assert_eq!(
        of_platform(&connections, "hubspot").len(),
        1,
        "{connections}"
    );
    for (platform, name, _) in SIMULATED {
        assert!(
            of_platform(&connections, platform).is_empty(),
            "{connections}"
        );
        assert!(!runner.stdout().contains(name), "{}", runner.stdout());
    }
    let exit = runner.stop_with("INT").await.unwrap();
    assert_eq!(exit.code(), Some(0), "stderr: {}", runner.stderr());
}

/// One client's overall score history, oldest first, over the last 100 days.
async fn overall_history(runner: &LocalRunner, client_id: &str) -> Vec<(String, u64)> {
    let from = (chrono::Utc::now() - chrono::Duration::days(100))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (status, client) = runner
        .get(&format!("/v1/clients/{client_id}?from={from}"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{client}");
    client["history"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| {
            (
                p["at"].as_str().unwrap_or_default().to_owned(),
                p["overall"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect()
}

/// The mean of the first and of the last `n` values.
fn ends(values: &[u64], n: usize) -> (f64, f64) {
    let mean = |v: &[u64]| v.iter().sum::<u64>() as f64 / v.len().max(1) as f64;
    let n = n.min(values.len());
    (mean(&values[..n]), mean(&values[values.len() - n..]))
}

/// At first start the runner scores the 90 past days from the portal's backdated activity before
/// the first live scoring: every client has a point a day, clients the sandbox made decline go down
/// over the window, and a restart on the same data does not backfill again.
#[tokio::test(flavor = "multi_thread")]
async fn the_first_start_backfills_ninety_days_of_history_once() {
    let (dir, file) = data_file("backfill");
    let data_arg = file.to_string_lossy().into_owned();
    let args = ["--demo-size", "small", "--data-file", data_arg.as_str()];
    let mut first = started_and_scored(&args).await;
    let line = first
        .wait_for_printed("History: ")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(line.contains("90 past days scored"), "{line}");
    assert!(
        line.contains(&format!("for {} clients", small_portal_companies())),
        "{line}"
    );

    let trajectories = hubspot_sandbox::company_trajectories(&SandboxConfig::small(SEED));
    let mut moves = std::collections::BTreeMap::<&str, Vec<f64>>::new();
    for (id, trajectory) in &trajectories {
        let history = overall_history(&first, id).await;
        assert!(
            (89..=93).contains(&history.len()),
            "client {id}: about one point a day for 90 days and today's: {} points",
            history.len()
        );
        let days: std::collections::BTreeSet<&str> =
            history.iter().map(|(at, _)| &at[..10]).collect();
        assert!(days.len() >= 89, "client {id}: one point per day: {days:?}");
        let overall: Vec<u64> = history.iter().map(|(_, o)| *o).collect();
        // The backfilled days only: today's live score may add today's sources.
        let backfilled = &overall[..overall.len() - 1];
        let (start, end) = ends(backfilled, 7);
        moves
            .entry(trajectory.as_str())
            .or_default()
            .push(end - start);
    }
    let mean = |name: &str| {
        let m = moves.get(name).cloned().unwrap_or_default();
        assert!(
            !m.is_empty(),
            "the small portal has {name} clients: {moves:?}"
        );
        m.iter().sum::<f64>() / m.len() as f64
    };
    let share_down = |name: &str| {
        let m = moves.get(name).cloned().unwrap_or_default();
        m.iter().filter(|d| **d < 0.0).count() as f64 / m.len().max(1) as f64
    };
    assert!(
        mean("declining") < -3.0 && share_down("declining") >= 0.6,
        "declining clients go down over the window: {moves:?}"
    );
    assert!(
        mean("improving") > mean("declining") + 5.0 && mean("steady") > mean("declining"),
        "{moves:?}"
    );
    assert!(mean("cliff") < -3.0, "{moves:?}");
    let exit = first.stop_with("INT").await.unwrap();
    assert_eq!(exit.code(), Some(0), "stderr: {}", first.stderr());

    // A restart finds the tenant scored: no second backfill, the history is the same.
    let (some_client, _) = &trajectories[0];
    let before = {
        let mut second = started_and_scored(&args).await;
        let history = overall_history(&second, some_client).await;
        second
            .wait_for_printed("First sync finished")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !second.stdout().contains("History: "),
            "backfilled once: {}",
            second.stdout()
        );
        let exit = second.stop_with("INT").await.unwrap();
        assert_eq!(exit.code(), Some(0), "stderr: {}", second.stderr());
        history
    };
    assert!((89..=95).contains(&before.len()), "{}", before.len());
    let _ = std::fs::remove_dir_all(&dir);
}
