//! Prints how fast the sandbox generates the benchmark portal and serves it.
//!
//! `cargo bench -p hubspot-sandbox --bench throughput` (limits lifted so the figures measure the sandbox,
//! not HubSpot's pacing). CPU figures are the whole process (client and server) from /proc/self/stat, so they
//! are an upper bound for the server's share.

use std::time::{Duration, Instant};

use hubspot_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports these in USER_HZ, 100 per second on every mainstream kernel.
    Some(Duration::from_millis(ticks * 10))
}

struct Measure {
    label: &'static str,
    wall: Instant,
    cpu: Option<Duration>,
}

impl Measure {
    fn start(label: &'static str) -> Self {
        Self {
            label,
            wall: Instant::now(),
            cpu: process_cpu(),
        }
    }

    fn stop(self, requests: u64, records: u64) {
        let wall = self.wall.elapsed();
        let cpu = self
            .cpu
            .zip(process_cpu())
            .map(|(a, b)| b.saturating_sub(a));
        let per_request = |d: Duration| d.as_secs_f64() * 1e6 / requests.max(1) as f64;
        println!(
            "{:<44} {:>6} requests {:>8} records  wall {:>8.2?}  {:>8.0} req/s  wall/req {:>7.1} µs  cpu/req {}",
            self.label,
            requests,
            records,
            wall,
            requests as f64 / wall.as_secs_f64(),
            per_request(wall),
            cpu.map_or("n/a".to_owned(), |c| format!("{:.1} µs", per_request(c))),
        );
    }
}

/// Only what paging needs: skipping the records keeps the client's share of the CPU figures small.
#[derive(serde::Deserialize)]
struct ListPage {
    results: Vec<serde::de::IgnoredAny>,
    paging: Option<Paging>,
}

#[derive(serde::Deserialize)]
struct Paging {
    next: Next,
}

#[derive(serde::Deserialize)]
struct Next {
    after: String,
}

async fn walk(
    client: &reqwest::Client,
    sandbox: &Sandbox,
    object_type: &str,
    query: &str,
) -> (u64, u64) {
    let token = sandbox.private_app_token();
    let (mut requests, mut records) = (0u64, 0u64);
    let mut after = String::new();
    loop {
        let url = format!(
            "{}/crm/v3/objects/{object_type}?limit=100{query}{after}",
            sandbox.base_url()
        );
        let page: ListPage = match client.get(url).bearer_auth(&token).send().await {
            Ok(response) => match response.json().await {
                Ok(page) => page,
                Err(error) => panic!("bad page: {error}"),
            },
            Err(error) => panic!("request failed: {error}"),
        };
        requests += 1;
        records += page.results.len() as u64;
        match page.paging {
            Some(paging) => after = format!("&after={}", paging.next.after),
            None => return (requests, records),
        }
    }
}

#[tokio::main]
async fn main() {
    let config = SandboxConfig {
        rate_limit_per_ten_seconds: u32::MAX,
        search_per_second: u32::MAX,
        ..SandboxConfig::benchmark(1)
    };
    let measure = Measure::start("generate benchmark portal + start");
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(error) => panic!("sandbox did not start: {error}"),
    };
    let total: u64 = [
        "companies",
        "contacts",
        "deals",
        "tickets",
        "calls",
        "emails",
        "meetings",
        "notes",
        "tasks",
    ]
    .iter()
    .map(|t| sandbox.records(t).len() as u64)
    .sum();
    measure.stop(0, total);

    let client = reqwest::Client::new();
    let types = [
        ("companies", "&properties=name,domain,lifecyclestage,notes_last_contacted,annualrevenue,total_revenue"),
        ("contacts", "&properties=email,lifecyclestage,hs_email_open,hs_email_replied&associations=companies"),
        ("deals", "&properties=amount,dealstage,closedate,hs_is_closed_won&associations=companies"),
        ("tickets", "&properties=hs_pipeline_stage,hs_ticket_priority,createdate&associations=companies"),
        ("calls", "&properties=hs_call_direction,hs_call_status,hs_timestamp&associations=companies,contacts"),
        ("emails", "&properties=hs_email_direction,hs_timestamp&associations=companies,contacts"),
        ("meetings", "&properties=hs_meeting_outcome,hs_timestamp&associations=companies,contacts"),
        ("notes", "&properties=hs_timestamp&associations=companies,contacts"),
        ("tasks", "&properties=hs_task_status,hs_timestamp&associations=companies,contacts"),
    ];
    let measure = Measure::start("full list walk, one connection at a time");
    let (mut requests, mut records) = (0, 0);
    for (object_type, query) in types {
        let (r, n) = walk(&client, &sandbox, object_type, query).await;
        requests += r;
        records += n;
    }
    measure.stop(requests, records);

    let measure = Measure::start("full list walk, 9 types concurrently");
    let walks = types.map(|(object_type, query)| {
        let (client, sandbox) = (client.clone(), sandbox.clone());
        tokio::spawn(async move { walk(&client, &sandbox, object_type, query).await })
    });
    let (mut requests, mut records) = (0, 0);
    for handle in walks {
        if let Ok((r, n)) = handle.await {
            requests += r;
            records += n;
        }
    }
    measure.stop(requests, records);

    let token = sandbox.private_app_token();
    let contacts = sandbox.records("contacts");
    let now = chrono::Utc::now().timestamp_millis();
    let measure = Measure::start("search contacts, 30-day window, limit 200");
    let (mut requests, mut records) = (0, 0);
    for page in 0..50u64 {
        let body = json!({
            "filterGroups": [{"filters": [
                {"propertyName": "lastmodifieddate", "operator": "GTE", "value": (now - 30 * 86_400_000).to_string()}
            ]}],
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            "properties": ["email", "lifecyclestage"], "limit": 200, "after": (page * 200).to_string()
        });
        let url = format!("{}/crm/v3/objects/contacts/search", sandbox.base_url());
        if let Ok(response) = client
            .post(url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
        {
            if let Ok(page) = response.json::<Value>().await {
                records += page["results"].as_array().map_or(0, |r| r.len() as u64);
            }
        }
        requests += 1;
    }
    measure.stop(requests, records);

    let measure = Measure::start("v4 associations contacts->companies, 1000/req");
    let (mut requests, mut records) = (0, 0);
    for chunk in contacts.chunks(1_000) {
        let inputs: Vec<Value> = chunk.iter().map(|c| json!({"id": c.id})).collect();
        let url = format!(
            "{}/crm/v4/associations/contacts/companies/batch/read",
            sandbox.base_url()
        );
        if let Ok(response) = client
            .post(url)
            .bearer_auth(&token)
            .json(&json!({"inputs": inputs}))
            .send()
            .await
        {
            if let Ok(page) = response.json::<Value>().await {
                records += page["results"].as_array().map_or(0, |r| r.len() as u64);
            }
        }
        requests += 1;
    }
    measure.stop(requests, records);
    sandbox.shutdown().await;
}
