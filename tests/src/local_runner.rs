//! The local runner (`connected-insights-local`) started as a user would: the built binary, on a free
//! port, talked to over HTTP with the development token it prints.

use crate::functions::{build_local_runner, workspace_root};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

/// How long the runner may take to print its URL, and the first sync to finish: a guard against a
/// hung process, not a speed check.
const STARTUP_GUARD: Duration = Duration::from_secs(120);
const FIRST_SYNC_GUARD: Duration = Duration::from_secs(300);
const EXIT_GUARD: Duration = Duration::from_secs(30);

pub struct LocalRunner {
    child: tokio::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The development token (the fragment of the printed dashboard URL).
    pub token: String,
    /// The URL the runner prints for the browser, token included.
    pub dashboard_url: String,
    pub stdout_path: PathBuf,
    pub stderr_path: PathBuf,
    http: reqwest::Client,
}

/// Runs the runner binary with `args` to completion (for flags it refuses) and returns its exit
/// status and stderr.
pub async fn run_to_exit(args: &[&str]) -> Result<(ExitStatus, String), String> {
    let binary = build_local_runner()?;
    let output = tokio::process::Command::new(binary)
        .args(args)
        .env_remove("HUBSPOT_ACCESS_TOKEN")
        .stdin(Stdio::null())
        .output();
    let output = tokio::time::timeout(EXIT_GUARD, output)
        .await
        .map_err(|_| format!("the runner with {args:?} did not exit"))?
        .map_err(|e| format!("could not run the runner: {e}"))?;
    Ok((
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

impl LocalRunner {
    /// Starts the runner on a free port with `args` (plus `--port 0`) and waits for its URL.
    pub async fn start(args: &[&str]) -> Result<Self, String> {
        Self::start_binary(&build_local_runner()?, args).await
    }

    /// [`Self::start`] with a runner binary built elsewhere (a benchmark's release build).
    pub async fn start_binary(binary: &Path, args: &[&str]) -> Result<Self, String> {
        let logs = workspace_root().join("target").join("system-test-logs");
        std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;
        let stamp = format!(
            "{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_micros()
        );
        let stdout_path = logs.join(format!("local-runner-{stamp}.out"));
        let stderr_path = logs.join(format!("local-runner-{stamp}.err"));
        let stdout = std::fs::File::create(&stdout_path).map_err(|e| e.to_string())?;
        let stderr = std::fs::File::create(&stderr_path).map_err(|e| e.to_string())?;
        let mut child = tokio::process::Command::new(binary)
            .args(["--port", "0", "--no-progress"])
            .args(args)
            .env_remove("HUBSPOT_ACCESS_TOKEN")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr))
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("could not start the runner: {e}"))?;

        let started = tokio::time::Instant::now();
        let dashboard_url = loop {
            let printed = std::fs::read_to_string(&stdout_path).unwrap_or_default();
            if let Some(url) = printed
                .lines()
                .find_map(|line| line.strip_prefix("Dashboard: "))
            {
                break url.trim().to_string();
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "the runner exited with {status} before printing its URL; stderr: {}",
                    std::fs::read_to_string(&stderr_path).unwrap_or_default()
                ));
            }
            if started.elapsed() > STARTUP_GUARD {
                return Err("the runner printed no dashboard URL".to_string());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let (base_url, token) = dashboard_url
            .split_once("/#token=")
            .map(|(base, token)| (base.to_string(), token.to_string()))
            .ok_or_else(|| format!("the dashboard URL {dashboard_url} carries no token"))?;
        Ok(Self {
            child,
            base_url,
            token,
            dashboard_url,
            stdout_path,
            stderr_path,
            http: reqwest::Client::new(),
        })
    }

    /// `GET path` with the development token: status and JSON body (`Null` when not JSON).
    pub async fn get(&self, path: &str) -> Result<(u16, Value), String> {
        self.send(self.http.get(self.url(path)).bearer_auth(&self.token))
            .await
    }

    /// A `GET path` with the development token, to send as the caller likes (benchmarks).
    pub fn authorized_get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(&self.token)
    }

    /// `GET path` with no credentials: status and body text.
    pub async fn get_anonymous(&self, path: &str) -> Result<(u16, String), String> {
        let response = self
            .http
            .get(self.url(path))
            .send()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| e.to_string())?;
        Ok((status, text))
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Result<(u16, Value), String> {
        self.send(
            self.http
                .patch(self.url(path))
                .bearer_auth(&self.token)
                .json(body),
        )
        .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<(u16, Value), String> {
        self.send(
            self.http
                .put(self.url(path))
                .bearer_auth(&self.token)
                .json(body),
        )
        .await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<(u16, Value), String> {
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| e.to_string())?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Waits until the newest sync run of the HubSpot portal has finished and clients are scored;
    /// returns that run (a PayPal connection's runs are left out). A failed first sync is an error
    /// that carries the run's reason.
    pub async fn wait_for_first_scores(&self) -> Result<Value, String> {
        let started = tokio::time::Instant::now();
        loop {
            // A request that could not be sent (the connection refused or reset while the machine
            // is loaded) is asked again until the guard, and named if it never succeeds.
            let runs = match self.get("/v1/sync-runs?limit=20").await {
                Ok((_, runs)) => runs,
                Err(error) if started.elapsed() <= FIRST_SYNC_GUARD => {
                    note_retry(&error);
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                }
                Err(error) => return Err(format!("{error}; stderr: {}", self.stderr())),
            };
            let newest_of_the_portal = runs["items"].as_array().and_then(|runs| {
                runs.iter()
                    .find(|run| run.get("connection_id").is_none_or(|c| c.is_null()))
            });
            if let Some(run) = newest_of_the_portal {
                match run["status"].as_str() {
                    Some("succeeded") => {
                        let (_, scores) = self.get("/v1/health-scores?limit=1").await?;
                        if scores["items"].as_array().is_some_and(|a| !a.is_empty()) {
                            return Ok(run.clone());
                        }
                    }
                    Some("running") | Some("continued") | None => {}
                    Some(other) => {
                        return Err(format!(
                            "the first sync ended {other}: {}; stderr: {}",
                            run["error"],
                            self.stderr()
                        ))
                    }
                }
            }
            if started.elapsed() > FIRST_SYNC_GUARD {
                return Err(format!("no scored sync yet; stderr: {}", self.stderr()));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Waits until the connection of `platform` (`paypal`) has synced once (`last_sync_at` set) and
    /// returns the whole `GET /v1/connections` answer.
    pub async fn wait_for_connection_sync(&self, platform: &str) -> Result<Value, String> {
        let started = tokio::time::Instant::now();
        loop {
            match self.get("/v1/connections").await {
                Ok((200, connections)) => {
                    let synced = connections["items"].as_array().is_some_and(|items| {
                        items
                            .iter()
                            .any(|c| c["platform"] == platform && !c["last_sync_at"].is_null())
                    });
                    if synced {
                        return Ok(connections);
                    }
                }
                Ok((status, body)) => return Err(format!("GET /v1/connections: {status} {body}")),
                Err(error) => note_retry(&error),
            }
            if started.elapsed() > FIRST_SYNC_GUARD {
                return Err(format!(
                    "the {platform} connection never synced; stderr: {}",
                    self.stderr()
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Waits until the runner has printed a line that starts with `prefix`; returns that line.
    pub async fn wait_for_printed(&self, prefix: &str) -> Result<String, String> {
        let started = tokio::time::Instant::now();
        loop {
            if let Some(line) = self.stdout().lines().find(|l| l.starts_with(prefix)) {
                return Ok(line.to_string());
            }
            if started.elapsed() > FIRST_SYNC_GUARD {
                return Err(format!(
                    "the runner never printed {prefix:?}; stdout: {}; stderr: {}",
                    self.stdout(),
                    self.stderr()
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Sends `signal` (`INT` is Ctrl-C, `TERM` what service managers send, `KILL` gives the runner
    /// no chance to clean up) and waits for the exit.
    pub async fn stop_with(&mut self, signal: &str) -> Result<ExitStatus, String> {
        let pid = self
            .child
            .id()
            .ok_or("the runner has already exited")?
            .to_string();
        let sent = tokio::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(&pid)
            .status()
            .await
            .map_err(|e| format!("could not run kill: {e}"))?;
        if !sent.success() {
            return Err(format!("kill -{signal} {pid} failed: {sent}"));
        }
        tokio::time::timeout(EXIT_GUARD, self.child.wait())
            .await
            .map_err(|_| format!("the runner did not stop after SIG{signal}"))?
            .map_err(|e| e.to_string())
    }

    /// Every item of a paged `GET path` (`items`, `next_cursor`), up to 20 pages.
    pub async fn all_items(&self, path: &str) -> Result<Vec<Value>, String> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..20 {
            let separator = if path.contains('?') { '&' } else { '?' };
            let url = match &cursor {
                Some(c) => format!("{path}{separator}cursor={c}"),
                None => path.to_string(),
            };
            let (status, page) = self.get(&url).await?;
            if status != 200 {
                return Err(format!("GET {url}: {status} {page}"));
            }
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        Ok(items)
    }

    /// The platforms an insight names among its sources.
    pub fn insight_platforms(insight: &Value) -> std::collections::BTreeSet<String> {
        insight["sources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["platform"].as_str().map(str::to_string))
            .collect()
    }

    /// Waits (up to the first-sync guard) until matching has linked records of every account
    /// platform to clients and an open insight names a new platform and at least one other source;
    /// returns that insight, or what was there when the guard ran out.
    pub async fn wait_for_cross_source_insight(&self) -> Result<Value, String> {
        let started = tokio::time::Instant::now();
        loop {
            let correlations = self.all_items("/v1/correlations?limit=200").await?;
            let linked: std::collections::BTreeSet<String> = correlations
                .iter()
                .filter(|c| c["status"] == "auto" || c["status"] == "confirmed")
                .filter_map(|c| c["platform"].as_str().map(str::to_string))
                .collect();
            let insights = self.all_items("/v1/insights?status=open&limit=200").await?;
            let cross_source = insights.iter().find(|insight| {
                let platforms = Self::insight_platforms(insight);
                platforms.len() >= 2
                    && ["ninjaone", "pax8", "m365"]
                        .iter()
                        .any(|p| platforms.contains(*p))
            });
            let every_platform_linked = ["ninjaone", "pax8", "m365"]
                .iter()
                .all(|p| linked.contains(*p));
            if let (true, Some(insight)) = (every_platform_linked, cross_source) {
                return Ok(insight.clone());
            }
            if started.elapsed() > FIRST_SYNC_GUARD {
                let named: Vec<_> = insights.iter().map(Self::insight_platforms).collect();
                return Err(format!(
                    "linked platforms {linked:?}; sources of the open insights {named:?}; stdout: {}",
                    self.stdout()
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout_path).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

/// Says on the test's output that a request to the runner was retried, so a flaky connection shows.
fn note_retry(error: &str) {
    eprintln!("the local runner did not answer ({error}); asking again");
}
