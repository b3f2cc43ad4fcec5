//! Builds the five function binaries once and runs one under an emulated Lambda Runtime API.

use crate::runtime_api::{Outcome, RuntimeApi};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

pub const FUNCTIONS: [&str; 5] = ["sync", "score", "api", "ingest", "notify"];

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where cargo puts binaries: `CARGO_TARGET_DIR` (relative to the workspace, where cargo resolves it;
/// tests run in their package's folder) or the workspace's `target/`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// Runs `cargo build` for the function binaries once per test process (cargo releases its build lock
/// before running tests, so this does not deadlock under `cargo test`) and returns their folder.
pub fn build_function_binaries() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT.get_or_init(|| cargo_build(&FUNCTIONS)).clone()
}

/// Builds the function binaries with a cargo profile (`dev`, `release`) and returns their folder.
pub fn build_function_binaries_with(profile: &str) -> Result<PathBuf, String> {
    cargo_build_profile(&FUNCTIONS, profile)
}

/// Builds the local runner (`connected-insights-local`) once per test process and returns its path.
pub fn build_local_runner() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| Ok(cargo_build(&["local"])?.join("connected-insights-local")))
        .clone()
}

/// `cargo build` (debug profile) of `packages`; returns the folder their binaries land in.
pub fn cargo_build(packages: &[&str]) -> Result<PathBuf, String> {
    cargo_build_profile(packages, "dev")
}

/// `cargo build --profile <profile>` of `packages`; returns the folder their binaries land in.
///
/// The dev profile builds every binary of the workspace with its tests selected, so Cargo resolves
/// dependency features as `cargo test --workspace` did and reuses what that build compiled. With
/// `-p <package>` alone it resolves them for that package (no dev-dependencies, no other members)
/// and compiled the AWS SDK a second time, about ten minutes of a CI run on two cores.
pub fn cargo_build_profile(packages: &[&str], profile: &str) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = std::process::Command::new(cargo);
    cmd.current_dir(workspace_root())
        .arg("build")
        .arg("--quiet")
        .arg("--profile")
        .arg(profile);
    if profile == "dev" {
        cmd.args(["--workspace", "--bins", "--tests"]);
    } else {
        for package in packages {
            cmd.arg("-p").arg(package);
        }
    }
    let status = cmd
        .status()
        .map_err(|e| format!("could not run cargo build: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build of {} failed: {status}",
            packages.join(", ")
        ));
    }
    let folder = if profile == "dev" { "debug" } else { profile };
    Ok(target_dir().join(folder))
}

/// One real function binary, started against its own Runtime API.
pub struct FunctionProcess {
    pub name: String,
    runtime: RuntimeApi,
    child: tokio::process::Child,
    pub log_path: PathBuf,
}

impl FunctionProcess {
    /// Starts the binary `name` with `env` (plus the Lambda runtime variables).
    pub async fn start(name: &str, env: &[(String, String)]) -> Result<Self, String> {
        let dir = build_function_binaries()?;
        Self::start_from(&dir, name, env).await
    }

    /// Starts the binary `name` found in `dir`.
    pub async fn start_from(
        dir: &Path,
        name: &str,
        env: &[(String, String)],
    ) -> Result<Self, String> {
        let runtime = RuntimeApi::start()
            .await
            .map_err(|e| format!("runtime api: {e}"))?;
        let log_dir = workspace_root().join("target").join("system-test-logs");
        std::fs::create_dir_all(&log_dir).map_err(|e| e.to_string())?;
        let log_path = log_dir.join(format!("{name}-{}.log", std::process::id()));
        let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
        let log_err = log.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = tokio::process::Command::new(dir.join(name));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime.endpoint())
            .env(
                "AWS_LAMBDA_FUNCTION_NAME",
                format!("connected-insights-{name}"),
            )
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
            .env("RUST_LOG", "info")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .map_err(|e| format!("could not start {name}: {e}"))?;
        Ok(Self {
            name: name.to_string(),
            runtime,
            child,
            log_path,
        })
    }

    /// Invokes the function with `payload` and a Lambda deadline of `deadline` from now.
    pub async fn invoke_with_deadline(
        &mut self,
        payload: &Value,
        deadline: Duration,
    ) -> Result<Outcome, String> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Err(format!(
                "{} exited early with {status}; log: {}",
                self.name,
                self.log()
            ));
        }
        self.runtime
            .invoke(payload, deadline, deadline + Duration::from_secs(30))
            .await
            .map_err(|e| format!("{} {e}; log: {}", self.name, self.log()))
    }

    pub async fn invoke(&mut self, payload: &Value) -> Result<Outcome, String> {
        self.invoke_with_deadline(payload, Duration::from_secs(120))
            .await
    }

    /// Waits until the function polls for its first event, and returns when it did.
    pub async fn ready_within(&mut self, timeout: Duration) -> Result<std::time::Instant, String> {
        let started = std::time::Instant::now();
        loop {
            if let Some(at) = self.runtime.first_poll() {
                return Ok(at);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{} exited with {status}: {}",
                    self.name,
                    self.log()
                ));
            }
            if started.elapsed() > timeout {
                return Err(format!("{} was not ready within {timeout:?}", self.name));
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }

    /// What the function logged so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}
