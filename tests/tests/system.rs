//! The whole system on its real binaries: the four functions built by cargo and run under an emulated
//! Lambda Runtime API, against DynamoDB Local and moto (EventBridge with a rule per detail-type routed
//! to SQS, so every emitted event is read back), with the HubSpot sandbox playing the portal.
//!
//! The test walks the product's flow: a tenant onboards through the OAuth routes, the first sync and
//! scoring run from the events each function emits, the schedule fans out again, the api serves the
//! planted client's score and insight, a signed webhook re-syncs and re-scores one client, and
//! malformed events are refused cleanly with nothing emitted. Every emitted event is checked against
//! its JSON Schema; a scoring emits `ScoresUpdated` and, after the first, the per-client change
//! events.

use chrono::{Duration as Days, Utc};
use hubspot_sandbox::SandboxConfig;
use serde_json::{json, Value};
use shared::events::EVENT_SOURCE;
use std::path::Path;
use system_tests::functions::FunctionProcess;
use system_tests::runtime_api::Outcome;
use system_tests::world::{expect_response, http_body, World, PUBLIC_BASE_URL};

fn schema_of(detail_type: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events/schemas")
        .join(format!("{detail_type}.schema.json"));
    let text = std::fs::read_to_string(&path).expect("every emitted event has a schema");
    let schema: Value = serde_json::from_str(&text).expect("schemas are JSON");
    jsonschema::validator_for(&schema).expect("schemas compile")
}

/// The single event the last step emitted, checked against its schema.
async fn emitted_one(world: &World, detail_type: &str) -> Value {
    let events = world.emitted(1).await;
    assert_eq!(events.len(), 1, "expected one {detail_type}: {events:#?}");
    let event = events.into_iter().next().unwrap_or(Value::Null);
    assert_eq!(event["source"], EVENT_SOURCE);
    assert_eq!(event["detail-type"], detail_type, "{event:#}");
    assert_matches_its_schema(&event);
    event
}

fn assert_matches_its_schema(event: &Value) {
    let detail_type = event["detail-type"].as_str().unwrap_or_default();
    let errors: Vec<String> = schema_of(detail_type)
        .iter_errors(&event["detail"])
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{detail_type} breaks its schema: {errors:?}\n{event:#}"
    );
}

/// Every event a scoring emitted, each checked against its schema: exactly one `ScoresUpdated`
/// (returned first) and the per-client change events beside it, whose insight events match the
/// counts the run reported (`scored`: the score function's response). SQS does not keep the
/// publish order, so the events are told apart by detail-type.
async fn emitted_by_scoring(world: &World, scored: &Value) -> (Value, Vec<Value>) {
    let events = world.emitted(1).await;
    let mut updated = Vec::new();
    let mut changes = Vec::new();
    for event in events {
        assert_eq!(event["source"], EVENT_SOURCE);
        assert_eq!(
            event["detail"]["tenant_id"],
            world.tenant.as_str(),
            "{event:#}"
        );
        assert_matches_its_schema(&event);
        let detail_type = event["detail-type"].as_str().unwrap_or_default().to_owned();
        match detail_type.as_str() {
            "ScoresUpdated" => updated.push(event),
            "ClientHealthChanged" | "InsightOpened" | "InsightResolved" => changes.push(event),
            other => panic!("scoring emitted a {other}: {event:#}"),
        }
    }
    assert_eq!(
        updated.len(),
        1,
        "one ScoresUpdated per scoring: {updated:#?}"
    );
    let count = |detail_type: &str| {
        changes
            .iter()
            .filter(|e| e["detail-type"] == detail_type)
            .count() as u64
    };
    // Every client of this run was scored before, so each insight it opened is told.
    assert_eq!(
        Some(count("InsightOpened")),
        scored["insights_opened"].as_u64(),
        "{scored} vs {changes:#?}"
    );
    assert_eq!(
        Some(count("InsightResolved")),
        scored["insights_resolved"].as_u64(),
        "{scored} vs {changes:#?}"
    );
    (updated.remove(0), changes)
}

async fn invoke(function: &mut FunctionProcess, payload: &Value) -> Value {
    let outcome = function.invoke(payload).await;
    expect_response(&function.name, outcome, &function.log())
}

fn header<'a>(response: &'a Value, name: &str) -> &'a str {
    response["headers"][name].as_str().unwrap_or_default()
}

fn query_param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_product_runs_end_to_end_on_its_real_binaries() {
    let world = World::start(SandboxConfig::small(11)).await;
    // A planted client nobody has touched for 60 days: the engine must call it inactive.
    let sixty_days_ago = (Utc::now() - Days::days(60)).to_rfc3339();
    let mut dormant = serde_json::Map::new();
    dormant.insert("name".into(), json!("Dormant Planted Co"));
    dormant.insert("lifecyclestage".into(), json!("customer"));
    dormant.insert("notes_last_contacted".into(), json!(sixty_days_ago));
    dormant.insert("notes_last_updated".into(), json!(sixty_days_ago));
    let dormant_id = world.sandbox.create_record("companies", dormant, None);
    assert!(!dormant_id.is_empty());
    let companies = world.sandbox.records("companies").len() as u64;

    let mut sync = FunctionProcess::start("sync", &world.env).await.unwrap();
    let mut score = FunctionProcess::start("score", &world.env).await.unwrap();
    let mut api = FunctionProcess::start("api", &world.env).await.unwrap();
    let mut ingest = FunctionProcess::start("ingest", &world.env).await.unwrap();

    // Onboarding through the OAuth routes: install -> HubSpot consent (the sandbox) -> callback.
    let install = invoke(
        &mut api,
        &world.api_request("GET", "/oauth/install", "", None),
    )
    .await;
    assert_eq!(install["statusCode"], 302, "{install}");
    let consent = header(&install, "location").to_string();
    assert!(consent.starts_with(&world.sandbox.base_url()), "{consent}");
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let approved = no_redirects.get(&consent).send().await.unwrap();
    let back = approved
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        back.starts_with(&format!("{PUBLIC_BASE_URL}/oauth/callback")),
        "{back}"
    );
    let callback_query = format!(
        "code={}&state={}",
        query_param(&back, "code"),
        url::form_urlencoded::byte_serialize(query_param(&back, "state").as_bytes())
            .collect::<String>()
    );
    let callback = invoke(
        &mut api,
        &world.api_request("GET", "/oauth/callback", &callback_query, None),
    )
    .await;
    assert_eq!(callback["statusCode"], 200, "{callback}");

    // The callback asks for the first (full) sync; each function's event feeds the next.
    let first = emitted_one(&world, "SyncRequested").await;
    assert_eq!(first["detail"]["tenant_id"], world.tenant.as_str());
    let run = invoke(&mut sync, &first).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["counts"]["companies"], companies, "{run}");
    let synced = emitted_one(&world, "TenantSynced").await;
    assert_eq!(synced["detail"]["changed_clients"], companies);
    let scored = invoke(&mut score, &synced).await;
    assert_eq!(scored["clients_scored"], companies, "{scored}");
    assert!(
        scored["insights_opened"].as_u64().unwrap_or(0) > 0,
        "{scored}"
    );
    // The tenant's first scoring is a baseline: its insights open without a change event each.
    emitted_one(&world, "ScoresUpdated").await;

    // The schedule fans out to the tenant; nothing changed, so the incremental sync changes nothing.
    // A tick of now: the fan-out leaves a tick older than its hour alone (a late retry).
    let mut tick = system_tests::world::sample("schedule.json");
    tick["time"] = json!(Utc::now());
    let fanned = invoke(&mut sync, &tick).await;
    assert_eq!(fanned["tenants_requested"], 1, "{fanned}");
    let scheduled = emitted_one(&world, "SyncRequested").await;
    let quiet = invoke(&mut sync, &scheduled).await;
    assert_eq!(quiet["status"], "succeeded", "{quiet}");
    let quiet_synced = emitted_one(&world, "TenantSynced").await;
    assert_eq!(
        quiet_synced["detail"]["changed_clients"], 0,
        "{quiet_synced:#}"
    );

    // The api serves the tenant's clients, least healthy first, and the planted client's insight.
    let tenant = Some(&world.tenant);
    let overview = invoke(
        &mut api,
        &world.api_request("GET", "/v1/overview", "", tenant),
    )
    .await;
    assert_eq!(overview["statusCode"], 200, "{overview}");
    assert_eq!(http_body(&overview)["clients"], companies, "{overview}");
    let scores = invoke(
        &mut api,
        &world.api_request(
            "GET",
            "/v1/health-scores",
            "sort=overall_asc&limit=5",
            tenant,
        ),
    )
    .await;
    let items = http_body(&scores)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 5, "{scores}");
    let overalls: Vec<u64> = items.iter().filter_map(|s| s["overall"].as_u64()).collect();
    assert!(overalls.windows(2).all(|w| w[0] <= w[1]), "{overalls:?}");
    let insights = invoke(
        &mut api,
        &world.api_request(
            "GET",
            "/v1/insights",
            &format!("client={dormant_id}"),
            tenant,
        ),
    )
    .await;
    let found = http_body(&insights)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let inactive = found
        .iter()
        .find(|i| i["rule"] == "inactive_client")
        .unwrap_or_else(|| panic!("the dormant client is flagged inactive: {insights}"));
    assert_eq!(inactive["type"], "client_health");
    assert_eq!(inactive["status"], "open");
    let days = inactive["evidence"]
        .as_array()
        .and_then(|e| e.iter().find_map(|x| x["value"].as_f64()))
        .unwrap_or_default();
    assert!(
        days >= 59.0,
        "the evidence carries the days inactive: {inactive}"
    );
    let before = invoke(
        &mut api,
        &world.api_request("GET", &format!("/v1/clients/{dormant_id}"), "", tenant),
    )
    .await;
    assert_eq!(before["statusCode"], 200, "{before}");
    let stranger = shared::domain::TenantId::parse("someone-else").unwrap();
    let other = invoke(
        &mut api,
        &world.api_request("GET", "/v1/overview", "", Some(&stranger)),
    )
    .await;
    assert_eq!(
        http_body(&other)["clients"],
        0,
        "another tenant sees none of it: {other}"
    );
    let anonymous = invoke(
        &mut api,
        &world.api_request("GET", "/v1/overview", "", None),
    )
    .await;
    assert_eq!(anonymous["statusCode"], 401, "{anonymous}");

    // A signed webhook for the planted client: targeted sync, then re-scored.
    assert!(world.sandbox.update_property(
        "companies",
        &dormant_id,
        "lifecyclestage",
        Some("opportunity")
    ));
    let webhook = world.signed_webhook_for("company.propertyChange", &dormant_id);
    let accepted = invoke(&mut ingest, &webhook).await;
    assert_eq!(accepted["statusCode"], 200, "{accepted}");
    let targeted = emitted_one(&world, "SyncRequested").await;
    assert_eq!(targeted["detail"]["mode"], "objects");
    assert_eq!(targeted["detail"]["objects"][0]["id"], dormant_id.as_str());
    let resynced = invoke(&mut sync, &targeted).await;
    assert_eq!(resynced["status"], "succeeded", "{resynced}");
    let changed = emitted_one(&world, "TenantSynced").await;
    assert_eq!(
        changed["detail"]["changed_client_ids"],
        json!([dormant_id]),
        "{changed:#}"
    );
    let rescored = invoke(&mut score, &changed).await;
    assert_eq!(rescored["clients_scored"], companies, "{rescored}");
    let (_, changes) = emitted_by_scoring(&world, &rescored).await;
    let after = invoke(
        &mut api,
        &world.api_request("GET", &format!("/v1/clients/{dormant_id}"), "", tenant),
    )
    .await;
    let crm = |client: &Value| {
        http_body(client)["score"]["dimensions"]
            .as_array()
            .and_then(|d| d.iter().find(|x| x["dimension"] == "crm").cloned())
            .unwrap_or(Value::Null)
    };
    assert_ne!(
        crm(&before)["score"],
        crm(&after)["score"],
        "the lifecycle change moved the CRM score: before {before} after {after}"
    );
    // The planted client's health event says where it stood and stands, when its level moved.
    let level = |client: &Value| {
        let score = &http_body(client)["score"];
        json!({
            "overall": score["overall"],
            "band": score["band"],
            "churn_risk": score["churn_risk"],
        })
    };
    let told: Vec<&Value> = changes
        .iter()
        .filter(|e| {
            e["detail-type"] == "ClientHealthChanged"
                && e["detail"]["client_id"] == dormant_id.as_str()
        })
        .collect();
    if level(&before) == level(&after) {
        assert!(told.is_empty(), "{told:#?}");
    } else {
        assert_eq!(told.len(), 1, "{changes:#?}");
        assert_eq!(told[0]["detail"]["before"], level(&before), "{:#}", told[0]);
        assert_eq!(told[0]["detail"]["after"], level(&after), "{:#}", told[0]);
        assert_eq!(told[0]["detail"]["lifecycle_stage"], "opportunity");
    }

    // A replayed delivery is acknowledged and requests nothing; a forged one is refused.
    let replay = invoke(&mut ingest, &webhook).await;
    assert_eq!(replay["statusCode"], 200, "{replay}");
    let mut forged = webhook.clone();
    forged["headers"]["x-hubspot-signature-v3"] = json!("Zm9yZ2Vk");
    let refused = invoke(&mut ingest, &forged).await;
    assert_eq!(refused["statusCode"], 401, "{refused}");

    // Malformed events: each function fails cleanly, keeps serving, and nothing is emitted.
    for function in [&mut sync, &mut score] {
        match function.invoke(&json!({"detail-type": 3})).await {
            Ok(Outcome::Error {
                error_type,
                message,
            }) => {
                assert_eq!(error_type, "Permanent", "{}: {message}", function.name);
                assert!(message.contains("EventBridge"), "{message}");
            }
            other => panic!("{}: a malformed event must fail: {other:?}", function.name),
        }
    }
    for function in [&mut api, &mut ingest] {
        let outcome = function
            .invoke(&json!({"not": "an API Gateway request"}))
            .await;
        assert!(
            matches!(outcome, Ok(Outcome::Error { .. })),
            "{}: {outcome:?}",
            function.name
        );
    }
    let mut unsigned = webhook.clone();
    unsigned["body"] = json!("not a HubSpot event array");
    let bad_body = invoke(&mut ingest, &unsigned).await;
    assert_eq!(
        bad_body["statusCode"], 401,
        "the signature covers the body: {bad_body}"
    );
    let leftovers = world.emitted(0).await;
    assert!(
        leftovers.is_empty(),
        "bad inputs emitted events: {leftovers:#?}"
    );
    let still = invoke(
        &mut api,
        &world.api_request("GET", "/v1/overview", "", tenant),
    )
    .await;
    assert_eq!(
        http_body(&still)["clients"],
        companies,
        "nothing was lost: {still}"
    );
}
