//! The `hubspot-sandbox` binary starts, prints where it listens and serves with the token it prints.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_base_url_and_token_and_serves_them() {
    let child = Command::new(env!("CARGO_BIN_EXE_hubspot-sandbox"))
        .args([
            "--preset",
            "small",
            "--seed",
            "4",
            "--port",
            "0",
            "--companies",
            "12",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut value_of = |key: &str| {
        let line = lines.next().expect("a line").expect("readable");
        line.strip_prefix(&format!("{key}="))
            .unwrap_or_else(|| panic!("expected {key}=..., got {line}"))
            .to_owned()
    };
    let base_url = value_of("HUBSPOT_API_BASE_URL");
    let token = value_of("HUBSPOT_PRIVATE_APP_TOKEN");
    assert!(base_url.starts_with("http://127.0.0.1:") && !base_url.ends_with(":0"));
    assert!(token.starts_with("pat-na1-"));

    let page: serde_json::Value = reqwest::Client::new()
        .get(format!("{base_url}/crm/v3/objects/companies?limit=100"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("serves")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        page["results"].as_array().map(Vec::len),
        Some(12),
        "--companies overrides the preset"
    );
}
