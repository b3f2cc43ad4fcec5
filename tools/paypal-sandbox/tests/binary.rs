//! The `paypal-sandbox` binary starts, prints where it listens and its credentials, and serves with them.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_base_url_and_credentials_and_serves_them() {
    let dir = std::env::temp_dir().join(format!("paypal-sandbox-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let companies = dir.join("companies.json");
    let mut file = std::fs::File::create(&companies).unwrap();
    let list: Vec<serde_json::Value> = (0..10)
        .map(|i| serde_json::json!({"hubspot_id": format!("{}", 500 + i), "name": format!("Firm {i}"), "domain": format!("firm{i}.com")}))
        .collect();
    file.write_all(serde_json::to_string(&list).unwrap().as_bytes())
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_paypal-sandbox"))
        .args(["--seed", "4", "--port", "0", "--companies"])
        .arg(&companies)
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
    let base_url = value_of("PAYPAL_API_BASE_URL");
    let client_id = value_of("PAYPAL_CLIENT_ID");
    let secret = value_of("PAYPAL_CLIENT_SECRET");
    let webhook_id = value_of("PAYPAL_WEBHOOK_ID");
    assert!(base_url.starts_with("http://127.0.0.1:") && !base_url.ends_with(":0"));
    assert!(!webhook_id.is_empty());
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{base_url}/v1/oauth2/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("serves")
        .json()
        .await
        .expect("JSON");
    let token = token["access_token"].as_str().expect("a token");
    let page: serde_json::Value = http
        .get(format!(
            "{base_url}/v2/invoicing/invoices?page_size=100&total_required=true"
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("serves")
        .json()
        .await
        .expect("JSON");
    let names: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["primary_recipients"][0]["billing_info"]["business_name"].as_str())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("Firm ")),
        "payers follow --companies: {names:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
