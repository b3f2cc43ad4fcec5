//! Alerts and write-back on the real binaries: rules are made through the api binary, an insight
//! opens, and the notify binary, handed the event as its SQS queue would hand it, delivers to a
//! local receiver playing Slack, Teams and a signed webhook, and to moto playing SES. A channel Slack
//! says is archived (410) turns its rule off with a reason; an unreachable endpoint fails the record
//! back to the queue, and the redelivery sends nothing twice. Then write-back is turned on through
//! the api and notify, handed `ScoresUpdated`, writes every scored company's health into the HubSpot
//! sandbox's portal.

use hubspot_sandbox::SandboxConfig;
use serde_json::{json, Value};
use std::time::Duration;
use system_tests::functions::FunctionProcess;
use system_tests::world::{expect_response, http_body, sample, World};
use test_support::receiver::{Receiver, Reply};

async fn invoke(function: &mut FunctionProcess, payload: &Value) -> Value {
    let outcome = function.invoke(payload).await;
    expect_response(&function.name, outcome, &function.log())
}

/// An SQS batch of EventBridge envelopes, as the notify queue hands it to the function.
fn sqs_batch(envelopes: &[(&str, &Value)], receive_count: u32) -> Value {
    let records: Vec<Value> = envelopes
        .iter()
        .map(|(id, envelope)| {
            json!({
                "messageId": id,
                "receiptHandle": format!("receipt-{id}"),
                "body": envelope.to_string(),
                "attributes": {"ApproximateReceiveCount": receive_count.to_string()},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:notify",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    json!({ "Records": records })
}

fn failed_ids(answer: &Value) -> Vec<String> {
    answer["batchItemFailures"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_string))
        .collect()
}

fn with_body(mut request: Value, body: &Value) -> Value {
    request["body"] = json!(body.to_string());
    request["headers"]["content-type"] = json!("application/json");
    request
}

async fn moto_emails(endpoint: &str) -> Vec<Value> {
    let url = format!("{}/moto-api/data.json", endpoint.trim_end_matches('/'));
    let data: Value = match reqwest::get(&url).await {
        Ok(response) => response.json().await.unwrap_or(Value::Null),
        Err(error) => panic!("moto's data cannot be read: {error}"),
    };
    data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn alerts_reach_every_channel_and_health_is_written_back_on_the_real_binaries() {
    let ses_endpoint = test_support::require_service(test_support::SESV2);
    let world = World::start(SandboxConfig::small(31)).await;
    world.plant_private_app_tenant().await;

    let receiver = Receiver::start().await.unwrap();
    receiver.always("/slack", Reply::slack_ok());
    receiver.always("/teams", Reply::teams_accepted());
    receiver.always("/hook", Reply::new(200, "ok"));
    receiver.always("/archived", Reply::slack_channel_is_archived());

    // SES sends only from a verified identity.
    let ses = aws_sdk_sesv2::Client::from_conf(
        aws_sdk_sesv2::config::Builder::from(&test_support::aws_config().await)
            .endpoint_url(&ses_endpoint)
            .build(),
    );
    let from = format!("{}@alerts.example.com", test_support::unique_name("from"));
    let to = format!("{}@example.com", test_support::unique_name("csm"));
    ses.create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .expect("moto verifies the sender");

    let mut env = world.env.clone();
    env.push(("ALERT_CHANNELS_ALLOW_LOCAL_HTTP".into(), "true".into()));
    env.push(("ALERT_EMAIL_FROM".into(), from.clone()));
    env.push((test_support::SESV2.into(), ses_endpoint.clone()));
    let mut sync = FunctionProcess::start("sync", &env).await.unwrap();
    let mut score = FunctionProcess::start("score", &env).await.unwrap();
    let mut api = FunctionProcess::start("api", &env).await.unwrap();
    let mut notify = FunctionProcess::start("notify", &env).await.unwrap();
    let tenant = Some(&world.tenant);

    // The portal is synced and scored once: the baseline the write-back writes later.
    let run = invoke(&mut sync, &world.sync_request_event("full")).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let synced = world.emitted(1).await.into_iter().next().unwrap();
    assert_eq!(synced["detail-type"], "TenantSynced");
    let scored = invoke(&mut score, &synced).await;
    let clients_scored = scored["clients_scored"].as_u64().unwrap_or(0);
    assert!(clients_scored > 0, "{scored}");
    let scores_updated = world.emitted(1).await.into_iter().next().unwrap();
    assert_eq!(scores_updated["detail-type"], "ScoresUpdated");

    // A rule with a channel of a kind that does not exist is refused, naming the kinds there are.
    let unknown = invoke(
        &mut api,
        &with_body(
            world.api_request("POST", "/v1/alert-rules", "", tenant),
            &json!({
                "name": "Pager",
                "condition": {"kind": "churn_above", "percent": 60},
                "channels": [{"kind": "pager", "url": receiver.url("/pager")}]
            }),
        ),
    )
    .await;
    assert_eq!(unknown["statusCode"], 422, "{unknown}");
    assert!(unknown["body"].as_str().unwrap_or("").contains("slack"));

    let create = |name: &str, channels: Value| {
        with_body(
            world.api_request("POST", "/v1/alert-rules", "", tenant),
            &json!({
                "name": name,
                "condition": {"kind": "insight_opened", "min_impact": "medium", "min_confidence": 50},
                "channels": channels,
            }),
        )
    };
    let everywhere = invoke(
        &mut api,
        &create(
            "Every new insight",
            json!([
                {"kind": "slack", "url": receiver.url("/slack")},
                {"kind": "teams", "url": receiver.url("/teams")},
                {"kind": "webhook", "url": receiver.url("/hook")},
                {"kind": "email", "recipients": [to]},
            ]),
        ),
    )
    .await;
    assert_eq!(everywhere["statusCode"], 201, "{everywhere}");
    let everywhere = http_body(&everywhere);
    let signing_secret = everywhere["channels"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["kind"] == "webhook"))
        .and_then(|c| c["signing_secret"].as_str())
        .expect("the webhook's signing secret, shown once")
        .to_string();
    assert!(
        !everywhere.to_string().contains(&receiver.url("/slack")),
        "a channel's URL is never shown: {everywhere}"
    );
    let archived = invoke(
        &mut api,
        &create(
            "Archived Slack",
            json!([{"kind": "slack", "url": receiver.url("/archived")}]),
        ),
    )
    .await;
    assert_eq!(archived["statusCode"], 201, "{archived}");
    let archived_id = http_body(&archived)["id"].as_str().unwrap().to_string();
    let unreachable = invoke(
        &mut api,
        &create(
            "Unreachable endpoint",
            // Port 9 (discard) has no listener here: every attempt is refused.
            json!([{"kind": "webhook", "url": "http://127.0.0.1:9/down"}]),
        ),
    )
    .await;
    assert_eq!(unreachable["statusCode"], 201, "{unreachable}");

    // An insight opens for one of the portal's companies.
    let company = world.sandbox.records("companies").remove(0);
    let name = company
        .properties
        .get("name")
        .cloned()
        .flatten()
        .unwrap_or_default();
    let mut opened = sample("insight-opened.json");
    opened["detail"]["tenant_id"] = json!(world.tenant.as_str());
    opened["detail"]["client_id"] = json!(company.id);
    opened["detail"]["client_name"] = json!(name);
    opened["detail"]["insight_id"] = json!(format!("inactive_client-{}", company.id));
    let batch = sqs_batch(&[("opened-1", &opened)], 1);
    let answer = invoke(&mut notify, &batch).await;
    // Delivered everywhere it could be; the unreachable endpoint sends the record back to the queue.
    assert_eq!(failed_ids(&answer), vec!["opened-1"], "{answer}");

    let wait = Duration::from_secs(10);
    let slack = receiver.wait_for("/slack", 1, wait).await;
    assert_eq!(slack.len(), 1);
    let slack_body = slack[0].json();
    assert!(slack_body["blocks"]
        .as_array()
        .is_some_and(|b| !b.is_empty()));
    assert!(slack[0].body_text().contains(&name), "{slack_body}");
    let teams = receiver.wait_for("/teams", 1, wait).await;
    assert_eq!(teams.len(), 1);
    assert_eq!(
        teams[0].json()["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let hook = receiver.wait_for("/hook", 1, wait).await;
    assert_eq!(hook.len(), 1);
    hook[0]
        .verify_standard_webhook(&signing_secret)
        .expect("the webhook is signed as Standard Webhooks says");
    assert_eq!(hook[0].json()["type"], "insight.opened");
    let emails: Vec<Value> = moto_emails(&ses_endpoint)
        .await
        .into_iter()
        .filter(|m| m["destinations"]["ToAddresses"][0] == to.as_str())
        .collect();
    assert_eq!(emails.len(), 1, "one email to {to}");
    assert_eq!(emails[0]["source"], from.as_str());

    // Slack answered 410 channel_is_archived: the rule is off, and says why.
    assert_eq!(receiver.requests_to("/archived").len(), 1);
    let rule = invoke(
        &mut api,
        &world.api_request("GET", &format!("/v1/alert-rules/{archived_id}"), "", tenant),
    )
    .await;
    let rule = http_body(&rule);
    assert_eq!(rule["enabled"], false, "{rule}");
    assert!(
        rule["disabled_reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{rule}"
    );

    // The queue hands the record out again: the channels that took it get nothing twice.
    let again = invoke(&mut notify, &sqs_batch(&[("opened-1", &opened)], 2)).await;
    assert_eq!(failed_ids(&again), vec!["opened-1"], "{again}");
    assert_eq!(receiver.requests_to("/slack").len(), 1);
    assert_eq!(receiver.requests_to("/teams").len(), 1);
    assert_eq!(receiver.requests_to("/hook").len(), 1);
    assert_eq!(receiver.requests_to("/archived").len(), 1);

    // Every delivery is in the log: sent, the archived channel failed, the unreachable one retrying.
    let log = invoke(
        &mut api,
        &world.api_request("GET", "/v1/alert-deliveries", "limit=50", tenant),
    )
    .await;
    assert_eq!(log["statusCode"], 200, "{log}");
    let deliveries = http_body(&log)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let status_of = |kind: &str, rule: &str| {
        deliveries
            .iter()
            .filter(|d| d["channel_kind"] == kind && d["rule_name"] == rule)
            .map(|d| d["status"].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    for kind in ["slack", "teams", "webhook", "email"] {
        assert_eq!(
            status_of(kind, "Every new insight"),
            vec!["sent"],
            "{kind}: {deliveries:#?}"
        );
    }
    assert_eq!(status_of("slack", "Archived Slack"), vec!["failed"]);
    let down = status_of("webhook", "Unreachable endpoint");
    assert_eq!(down, vec!["retrying"], "{deliveries:#?}");
    assert!(
        !log.to_string().contains("127.0.0.1:9") && !log.to_string().contains(&receiver.url("/")),
        "no channel URL in the delivery log"
    );

    // Write-back: turned on through the api, run by notify on ScoresUpdated.
    let settings = invoke(
        &mut api,
        &world.api_request("GET", "/v1/settings", "", tenant),
    )
    .await;
    let mut settings = http_body(&settings);
    settings["writeback"] = json!({"enabled": true});
    if let Some(map) = settings.as_object_mut() {
        map.remove("settings_changed_at");
    }
    let saved = invoke(
        &mut api,
        &with_body(
            world.api_request("PUT", "/v1/settings", "", tenant),
            &settings,
        ),
    )
    .await;
    assert_eq!(saved["statusCode"], 200, "{saved}");
    let written = invoke(&mut notify, &sqs_batch(&[("scores-1", &scores_updated)], 1)).await;
    assert!(failed_ids(&written).is_empty(), "{written}");
    let groups = world.sandbox.property_groups("companies");
    assert!(
        groups.iter().any(|g| g.name == "connected_insights"),
        "the property group exists"
    );
    let with_scores = world
        .sandbox
        .records("companies")
        .into_iter()
        .filter(|c| {
            c.properties
                .get("ci_health_score")
                .cloned()
                .flatten()
                .is_some_and(|v| v.parse::<f64>().is_ok())
        })
        .count() as u64;
    assert_eq!(
        with_scores, clients_scored,
        "every scored company holds its score"
    );
}
