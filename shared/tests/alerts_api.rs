//! The alerts API on the in-memory store and vault, with a recording sender: rules with their
//! channels' secrets (never in an answer or the table; a webhook's signing secret once), bad
//! inputs, test sends into the delivery log, snoozes, and the alerting and write-back settings.

mod api_support;

use api_support::{config_with, now, tenant, tenant_id, Api, Reply, TENANT};
use axum::http::StatusCode;
use chrono::Duration;
use serde_json::{json, Value};
use shared::channels::RecordingSender;
use shared::domain::{
    AlertChannelId, AlertRuleId, ClientId, Dimension, DimensionScore, HealthBand, HealthScore,
    Trend,
};
use shared::ports::{AlertStore, ScoreStore, SecretVault, SendError, TenantStore, VaultError};
use std::sync::Arc;

const SLACK_URL: &str = "https://hooks.slack.com/services/T0001/B0001/s3cretSlackToken9x9Qa";
const WEBHOOK_URL: &str = "https://receiver.example.com/hooks/alerts/s3cretWebhookPath";
const TEAMS_URL: &str =
    "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/s3cretTeamsSig";
const SECRETS: [&str; 3] = ["s3cretSlackToken", "s3cretWebhookPath", "s3cretTeamsSig"];

struct World {
    api: Api,
    sender: Arc<RecordingSender>,
}

async fn world() -> World {
    let sender = Arc::new(RecordingSender::new());
    let for_state = sender.clone();
    let api = Api::with_state(config_with(|_| None), move |state| {
        state.with_alert_sender(for_state)
    });
    api.store.create_tenant(&tenant(TENANT)).await.unwrap();
    World { api, sender }
}

/// No channel URL (nor any part of its secret path) in a body.
fn assert_no_urls(reply: &Reply) {
    let text = reply.text();
    for secret in SECRETS {
        assert!(!text.contains(secret), "a channel URL leaked: {text}");
    }
}

fn rule_body() -> Value {
    json!({
        "name": "At-risk customers",
        "condition": {"kind": "band_entered", "bands": ["at_risk", "critical"]},
        "scope": {"kind": "lifecycle_stages", "stages": ["customer"]},
        "channels": [
            {"kind": "slack", "url": SLACK_URL},
            {"kind": "webhook", "url": WEBHOOK_URL},
            {"kind": "email", "recipients": ["csm@example.com", " lead@example.com "]}
        ],
        "cooldown_minutes": 120
    })
}

async fn post(api: &Api, path: &str, body: &Value) -> Reply {
    api.call("POST", path, Some(&body.to_string())).await
}

async fn put(api: &Api, path: &str, body: &Value) -> Reply {
    api.call("PUT", path, Some(&body.to_string())).await
}

fn ok(reply: &Reply, status: StatusCode) -> Value {
    assert_eq!(reply.status, status, "{}", reply.text());
    reply.json()
}

fn channel<'a>(rule: &'a Value, kind: &str) -> &'a Value {
    rule["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} channel in {rule}"))
}

fn rule_id(rule: &Value) -> AlertRuleId {
    AlertRuleId::parse(rule["id"].as_str().unwrap()).unwrap()
}

async fn secret_of(api: &Api, secret_id: &str) -> Option<String> {
    match api.vault.get(secret_id).await {
        Ok(secret) => Some(secrecy::ExposeSecret::expose_secret(&secret.value).to_string()),
        Err(VaultError::NotFound(_)) => None,
        Err(other) => panic!("vault: {other}"),
    }
}

#[tokio::test]
async fn a_rule_round_trips_with_its_urls_kept_in_the_vault_only() {
    let World { api, .. } = world().await;

    let created = post(&api, "/v1/alert-rules", &rule_body()).await;
    assert_no_urls(&created);
    let created = ok(&created, StatusCode::CREATED);
    assert_eq!(created["name"], "At-risk customers");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["cooldown_minutes"], 120);
    assert_eq!(created["delivery"], "immediate");
    assert_eq!(created["version"], 0);
    let slack = channel(&created, "slack");
    assert_eq!(slack["display"], "hooks.slack.com/…x9Qa");
    assert!(slack.get("signing_secret").is_none(), "{slack}");
    let webhook = channel(&created, "webhook");
    let signing_secret = webhook["signing_secret"].as_str().unwrap().to_string();
    assert!(signing_secret.starts_with("whsec_"), "{signing_secret}");
    let email = channel(&created, "email");
    assert_eq!(
        email["recipients"],
        json!(["csm@example.com", "lead@example.com"])
    );
    assert!(created["channels"][0].get("secret_id").is_none());

    // The stored rule holds secret ids and hints, not the URLs; the vault holds the URLs.
    let id = rule_id(&created);
    let stored = api
        .store
        .get_alert_rule(&tenant_id(TENANT), &id)
        .await
        .unwrap();
    let stored_json = serde_json::to_string(&stored).unwrap();
    for secret in SECRETS {
        assert!(!stored_json.contains(secret), "{stored_json}");
    }
    assert!(!stored_json.contains(&signing_secret));
    let slack_secret_id = stored.channels[0].secret_id.clone().unwrap();
    let webhook_secret_id = stored.channels[1].secret_id.clone().unwrap();
    assert!(stored.channels[2].secret_id.is_none());
    assert!(secret_of(&api, &slack_secret_id)
        .await
        .unwrap()
        .contains(SLACK_URL));
    let webhook_secret = secret_of(&api, &webhook_secret_id).await.unwrap();
    assert!(webhook_secret.contains(WEBHOOK_URL) && webhook_secret.contains(&signing_secret));

    // Reading it back shows neither the URLs nor the signing secret.
    let path = format!("/v1/alert-rules/{id}");
    for reply in [
        api.call("GET", "/v1/alert-rules", None).await,
        api.call("GET", &path, None).await,
    ] {
        assert_no_urls(&reply);
        assert_eq!(reply.status, StatusCode::OK);
        assert!(!reply.text().contains(&signing_secret), "{}", reply.text());
        assert!(!reply.text().contains("signing_secret"), "{}", reply.text());
    }
    let listed = api.call("GET", "/v1/alert-rules", None).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    // Replace: keep Slack, drop the webhook, add Teams, change the email recipients.
    let slack_id = channel(&created, "slack")["id"].clone();
    let email_id = channel(&created, "email")["id"].clone();
    let mut change = rule_body();
    change["name"] = json!("At-risk customers (EU)");
    change["version"] = json!(0);
    change["channels"] = json!([
        {"id": slack_id, "kind": "slack"},
        {"kind": "teams", "url": TEAMS_URL},
        {"id": email_id, "kind": "email", "recipients": ["eu@example.com"]}
    ]);
    let replaced = put(&api, &path, &change).await;
    assert_no_urls(&replaced);
    let replaced = ok(&replaced, StatusCode::OK);
    assert_eq!(replaced["version"], 1);
    assert_eq!(replaced["name"], "At-risk customers (EU)");
    assert_eq!(channel(&replaced, "slack")["id"], slack_id);
    assert_eq!(
        channel(&replaced, "email")["recipients"],
        json!(["eu@example.com"])
    );
    assert_eq!(
        channel(&replaced, "teams")["display"]
            .as_str()
            .unwrap()
            .split('/')
            .next(),
        Some("prod-01.westeurope.logic.azure.com")
    );
    assert!(replaced["channels"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["kind"] != "webhook"));
    assert!(
        secret_of(&api, &slack_secret_id).await.is_some(),
        "the kept channel keeps its secret"
    );
    assert_eq!(
        secret_of(&api, &webhook_secret_id).await,
        None,
        "the dropped channel's secret is gone"
    );
    let stored = api
        .store
        .get_alert_rule(&tenant_id(TENANT), &id)
        .await
        .unwrap();
    let teams_secret_id = stored.channels[1].secret_id.clone().unwrap();
    assert!(secret_of(&api, &teams_secret_id)
        .await
        .unwrap()
        .contains(TEAMS_URL));

    // Delete: the rule and every channel secret go; deleting again is no error.
    let deleted = api.call("DELETE", &path, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());
    assert_eq!(secret_of(&api, &slack_secret_id).await, None);
    assert_eq!(secret_of(&api, &teams_secret_id).await, None);
    api.call("GET", &path, None)
        .await
        .problem(StatusCode::NOT_FOUND);
    let again = api.call("DELETE", &path, None).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn bad_rules_are_refused_naming_what_is_wrong() {
    let World { api, .. } = world().await;
    let with_channels = |channels: Value| {
        let mut body = rule_body();
        body["channels"] = channels;
        body
    };

    // An unknown channel kind does not parse: 422, naming the member and the kinds there are.
    let problem = post(
        &api,
        "/v1/alert-rules",
        &with_channels(json!([{"kind": "pager", "url": SLACK_URL}])),
    )
    .await
    .problem(StatusCode::UNPROCESSABLE_ENTITY);
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("channels[0].kind"), "{detail}");
    for kind in ["slack", "teams", "email", "webhook"] {
        assert!(detail.contains(kind), "{detail}");
    }
    assert!(!detail.contains("s3cret"), "{detail}");

    // Rules a parsed body breaks name the field (400, as every settings rule of the API).
    let cases = [
        (
            with_channels(
                json!([{"kind": "slack", "url": SLACK_URL.replace("https://", "http://")}]),
            ),
            "channels[0].url",
        ),
        (
            with_channels(
                json!([{"kind": "slack", "url": "https://example.com/services/T0001/B0001/xyz"}]),
            ),
            "channels[0].url",
        ),
        (
            with_channels(json!([{"kind": "webhook", "url": "https://10.0.0.8/hook"}])),
            "channels[0].url",
        ),
        (with_channels(json!([{"kind": "slack"}])), "channels[0].url"),
        (
            with_channels(json!([{"kind": "email", "recipients": []}])),
            "channels[0].recipients",
        ),
        (
            with_channels(json!([{"kind": "email"}])),
            "channels[0].recipients",
        ),
        (
            with_channels(json!([{"kind": "email", "recipients": ["not an address"]}])),
            "channels[0].recipients",
        ),
        (with_channels(json!([])), "channels"),
        (
            json!({"name": "x", "condition": {"kind": "band_entered", "bands": []}, "channels": [{"kind": "email", "recipients": ["a@example.com"]}]}),
            "condition.bands",
        ),
        (
            json!({"name": "x", "condition": {"kind": "churn_above", "percent": 0}, "channels": [{"kind": "email", "recipients": ["a@example.com"]}]}),
            "condition.percent",
        ),
        (
            json!({"name": "x", "condition": {"kind": "churn_above", "percent": 60}, "scope": {"kind": "lifecycle_stages", "stages": []}, "channels": [{"kind": "email", "recipients": ["a@example.com"]}]}),
            "scope.stages",
        ),
        (
            with_channels(json!([{"id": "slack-1", "kind": "slack"}])),
            "channels[0].id",
        ),
        (
            json!({"name": " ", "condition": {"kind": "churn_above", "percent": 60}, "channels": [{"kind": "email", "recipients": ["a@example.com"]}]}),
            "name",
        ),
        (
            json!({"name": "x", "condition": {"kind": "churn_above", "percent": 60}, "cooldown_minutes": 50000, "channels": [{"kind": "email", "recipients": ["a@example.com"]}]}),
            "cooldown_minutes",
        ),
    ];
    for (body, field) in cases {
        let reply = post(&api, "/v1/alert-rules", &body).await;
        assert_no_urls(&reply);
        let problem = reply.problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["field"], field, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{problem}"
        );
    }
    let listed = api.call("GET", "/v1/alert-rules", None).await.json();
    assert_eq!(listed["items"], json!([]), "nothing was stored");

    // A change against an older version is a conflict and changes nothing.
    let created = ok(
        &post(&api, "/v1/alert-rules", &rule_body()).await,
        StatusCode::CREATED,
    );
    let path = format!("/v1/alert-rules/{}", created["id"].as_str().unwrap());
    let keep_all: Vec<Value> = created["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!({"id": c["id"], "kind": c["kind"]}))
        .collect();
    let mut change = rule_body();
    change["channels"] = json!(keep_all);
    change["name"] = json!("First");
    change["version"] = json!(0);
    ok(&put(&api, &path, &change).await, StatusCode::OK);
    change["name"] = json!("Second");
    put(&api, &path, &change)
        .await
        .problem(StatusCode::CONFLICT);
    let current = api.call("GET", &path, None).await.json();
    assert_eq!(current["name"], "First");
    assert_eq!(current["version"], 1);
    // A kept channel cannot change its kind, nor be given a URL.
    change["version"] = json!(1);
    change["channels"][0]["kind"] = json!("teams");
    let problem = put(&api, &path, &change)
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["field"], "channels[0].kind");
    change["channels"][0] =
        json!({"id": created["channels"][0]["id"], "kind": "slack", "url": SLACK_URL});
    let problem = put(&api, &path, &change)
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["field"], "channels[0].url");
    api.call("GET", "/v1/alert-rules/not%20an%20id", None)
        .await
        .problem(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn enabling_a_rule_turned_off_by_a_gone_channel_clears_the_reason() {
    let World { api, .. } = world().await;
    let created = ok(
        &post(&api, "/v1/alert-rules", &rule_body()).await,
        StatusCode::CREATED,
    );
    let id = rule_id(&created);
    let mut stored = api
        .store
        .get_alert_rule(&tenant_id(TENANT), &id)
        .await
        .unwrap();
    stored.enabled = false;
    stored.disabled_reason = Some("Slack answered 410 Gone (no_service)".to_string());
    let stored = api.store.update_alert_rule(&stored).await.unwrap();
    let path = format!("/v1/alert-rules/{id}");
    let shown = api.call("GET", &path, None).await.json();
    assert_eq!(shown["enabled"], false);
    assert_eq!(
        shown["disabled_reason"],
        "Slack answered 410 Gone (no_service)"
    );

    let mut change = rule_body();
    change["channels"] = json!([{"id": stored.channels[2].id.to_string(), "kind": "email"}]);
    change["enabled"] = json!(true);
    change["version"] = json!(stored.version);
    let enabled = ok(&put(&api, &path, &change).await, StatusCode::OK);
    assert_eq!(enabled["enabled"], true);
    assert!(enabled.get("disabled_reason").is_none(), "{enabled}");
    let stored = api
        .store
        .get_alert_rule(&tenant_id(TENANT), &id)
        .await
        .unwrap();
    assert_eq!(stored.disabled_reason, None);
}

fn score(client: &str, overall: u8) -> HealthScore {
    HealthScore {
        segment: None,
        settings_version: 0,
        sources: Default::default(),
        client_id: ClientId::parse(client).unwrap(),
        client_name: format!("Client {client}"),
        overall,
        band: HealthBand::of(overall),
        churn_risk: 55,
        dimensions: vec![DimensionScore {
            dimension: Dimension::Crm,
            score: Some(overall),
            weight: 1.0,
            factors: Vec::new(),
        }],
        trend: Trend {
            delta_7d: None,
            delta_30d: None,
        },
        scored_at: now() - Duration::hours(1),
        overrides: Vec::new(),
    }
}

#[tokio::test]
async fn a_test_send_reaches_every_channel_and_is_logged() {
    let World { api, sender } = world().await;
    api.store
        .put_scores(
            &tenant_id(TENANT),
            &[score("c-healthy", 90), score("c-slipping", 31)],
        )
        .await
        .unwrap();
    let created = ok(
        &post(&api, "/v1/alert-rules", &rule_body()).await,
        StatusCode::CREATED,
    );
    let id = rule_id(&created);
    let webhook_id =
        AlertChannelId::parse(channel(&created, "webhook")["id"].as_str().unwrap()).unwrap();
    sender.fail_channel(
        &webhook_id,
        SendError::Rejected {
            status: 400,
            message: "invalid_payload".to_string(),
        },
    );

    let reply = api
        .call("POST", &format!("/v1/alert-rules/{id}/test"), None)
        .await;
    assert_no_urls(&reply);
    let report = ok(&reply, StatusCode::OK);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for result in results {
        if result["channel_id"] == webhook_id.as_str() {
            assert_eq!(result["status"], "failed");
            assert!(
                result["error"]
                    .as_str()
                    .unwrap()
                    .contains("invalid_payload"),
                "{result}"
            );
        } else {
            assert_eq!(result["status"], "sent", "{result}");
            assert!(result.get("error").is_none());
        }
    }

    // The message is a test about a real client (the least healthy).
    let attempts = sender.attempts();
    assert_eq!(attempts.len(), 3);
    for attempt in &attempts {
        assert!(attempt.message.test);
        assert_eq!(attempt.message.rule_name, "At-risk customers");
        assert_eq!(attempt.message.items.len(), 1);
        assert_eq!(attempt.message.items[0].client_id.as_str(), "c-slipping");
        assert_eq!(
            attempt.message.items[0].link.as_deref(),
            Some("https://insights.example.com/#/client/c-slipping")
        );
    }

    // Each send is in the delivery log, marked as a test; filters by rule and status.
    let log = api.call("GET", "/v1/alert-deliveries", None).await.json();
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{log}");
    assert!(items
        .iter()
        .all(|d| d["test"] == true && d["rule_id"] == id.as_str() && d["attempts"] == 1));
    let failed = api
        .call("GET", "/v1/alert-deliveries?status=failed", None)
        .await
        .json();
    let failed = failed["items"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["channel_id"], webhook_id.as_str());
    assert!(failed[0]["last_error"]
        .as_str()
        .unwrap()
        .contains("invalid_payload"));
    let other_rule = api
        .call("GET", "/v1/alert-deliveries?rule_id=rule-00000000", None)
        .await
        .json();
    assert_eq!(other_rule["items"], json!([]));
    let paged = api
        .call(
            "GET",
            &format!("/v1/alert-deliveries?rule_id={id}&limit=2"),
            None,
        )
        .await
        .json();
    assert_eq!(paged["items"].as_array().unwrap().len(), 2);
    let cursor = paged["next_cursor"].as_str().expect("a second page");
    let rest = api
        .call(
            "GET",
            &format!(
                "/v1/alert-deliveries?rule_id={id}&limit=2&cursor={}",
                urlencoding(cursor)
            ),
            None,
        )
        .await
        .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1, "{rest}");
    api.call("GET", "/v1/alert-deliveries?status=lost", None)
        .await
        .problem(StatusCode::BAD_REQUEST);
    api.call("POST", "/v1/alert-rules/rule-00000000/test", None)
        .await
        .problem(StatusCode::NOT_FOUND);
}

fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn a_test_send_without_a_sender_says_sending_is_not_set_up() {
    let api = Api::new();
    api.store.create_tenant(&tenant(TENANT)).await.unwrap();
    let created = ok(
        &post(&api, "/v1/alert-rules", &rule_body()).await,
        StatusCode::CREATED,
    );
    let report = ok(
        &api.call(
            "POST",
            &format!("/v1/alert-rules/{}/test", created["id"].as_str().unwrap()),
            None,
        )
        .await,
        StatusCode::OK,
    );
    for result in report["results"].as_array().unwrap() {
        assert_eq!(result["status"], "failed");
        assert!(
            result["error"].as_str().unwrap().contains("not set up"),
            "{result}"
        );
    }
}

#[tokio::test]
async fn clients_are_snoozed_for_at_most_ninety_days() {
    let World { api, .. } = world().await;
    api.store
        .put_scores(&tenant_id(TENANT), &[score("c-1", 40)])
        .await
        .unwrap();
    let until = now() + Duration::days(3);
    let snoozed = ok(
        &put(
            &api,
            "/v1/clients/c-1/snooze",
            &json!({"until": until, "reason": " renewal call on Friday "}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(snoozed["client_id"], "c-1");
    assert_eq!(snoozed["reason"], "renewal call on Friday");
    assert_eq!(snoozed["by"], "tester");
    let listed = api.call("GET", "/v1/snoozes", None).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["until"], json!(until));

    for (until, field) in [
        (now() - Duration::minutes(1), "until"),
        (now() + Duration::days(91), "until"),
    ] {
        let problem = put(&api, "/v1/clients/c-1/snooze", &json!({"until": until}))
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["field"], field);
    }
    put(
        &api,
        "/v1/clients/c-1/snooze",
        &json!({"until": "tomorrow"}),
    )
    .await
    .problem(StatusCode::UNPROCESSABLE_ENTITY);
    put(
        &api,
        "/v1/clients/c-unknown/snooze",
        &json!({"until": until}),
    )
    .await
    .problem(StatusCode::NOT_FOUND);

    let ended = api.call("DELETE", "/v1/clients/c-1/snooze", None).await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    let listed = api.call("GET", "/v1/snoozes", None).await.json();
    assert_eq!(listed["items"], json!([]));
}

#[tokio::test]
async fn alerting_and_writeback_settings_round_trip() {
    let World { api, .. } = world().await;
    let current = api.call("GET", "/v1/settings", None).await.json();
    assert_eq!(current["alerting"]["time_zone"], "UTC");
    assert_eq!(current["writeback"]["enabled"], false);
    let changed_at = current["settings_changed_at"].clone();

    let alerting = json!({
        "time_zone": "Europe/Berlin",
        "quiet_hours": {"start": 22, "end": 7},
        "digest_hour": 9,
        "burst_digest_threshold": 10
    });
    let updated = ok(
        &put(
            &api,
            "/v1/settings",
            &json!({
                "settings": current["settings"],
                "alerting": alerting,
                "writeback": {"enabled": true, "create_tasks": true},
                "version": current["version"]
            }),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(updated["alerting"], alerting);
    assert_eq!(
        updated["writeback"],
        json!({"enabled": true, "create_tasks": true})
    );
    assert_eq!(
        updated["settings_changed_at"], changed_at,
        "alerting changes do not re-score"
    );
    let stored = api.store.get_tenant(&tenant_id(TENANT)).await.unwrap();
    assert_eq!(stored.alerting.time_zone, "Europe/Berlin");
    assert_eq!(stored.alerting.digest_hour, 9);
    assert!(stored.writeback.enabled && stored.writeback.create_tasks);

    // Leaving them out keeps them.
    let kept = ok(
        &put(
            &api,
            "/v1/settings",
            &json!({"settings": current["settings"]}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(kept["alerting"], alerting);

    for (pointer, value, field) in [
        (
            "/time_zone",
            json!("Mars/Olympus Mons"),
            "alerting.time_zone",
        ),
        ("/digest_hour", json!(24), "alerting.digest_hour"),
        (
            "/quiet_hours",
            json!({"start": 7, "end": 7}),
            "alerting.quiet_hours",
        ),
    ] {
        let mut bad = alerting.clone();
        *bad.pointer_mut(pointer).unwrap() = value;
        let problem = put(
            &api,
            "/v1/settings",
            &json!({"settings": current["settings"], "alerting": bad}),
        )
        .await
        .problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["field"], field, "{problem}");
    }
    let stored = api.store.get_tenant(&tenant_id(TENANT)).await.unwrap();
    assert_eq!(stored.alerting.time_zone, "Europe/Berlin");
}
