//! The whole system on its real binaries: the four functions built by cargo and run under an emulated
//! Lambda Runtime API, against DynamoDB Local and moto (EventBridge with a rule per detail-type routed
//! to SQS, so every emitted event is read back), with the HubSpot sandbox playing the portal.
//!
//! The test walks the product's flow: the schedule fans out a `SyncRequested`, the sync function
//! syncs the tenant and emits `TenantSynced`, the score function scores it and emits
//! `ScoresUpdated`, the api function serves the result, and the ingest function turns a signed
//! webhook into a targeted `SyncRequested`. Every emitted event is checked against its JSON Schema.

use chrono::Utc;
use hubspot_sandbox::{signature_v3, Sandbox, SandboxConfig};
use serde_json::{json, Value};
use shared::domain::{
    AuthKind, HubSpotLimits, ScoringSettings, SyncSchedule, Tenant, TenantId, TenantStatus,
};
use shared::events::{ProductEvent, EVENT_SOURCE};
use shared::hubspot::StoredCredentials;
use shared::ports::{SecretVault, TenantStore};
use shared::store::{create_table, DynamoStore};
use shared::vault::SecretsManagerVault;
use std::path::Path;
use std::time::Duration;
use system_tests::functions::FunctionProcess;
use system_tests::runtime_api::Outcome;
use test_support::{
    create_event_bus, create_queue, receive_from_queue, route_detail_types_to_queue, unique_name,
    TestQueue,
};

const PUBLIC_BASE_URL: &str = "https://insights.example.com";

struct World {
    sandbox: Sandbox,
    sqs: aws_sdk_sqs::Client,
    queue: TestQueue,
    env: Vec<(String, String)>,
    tenant: TenantId,
}

async fn world() -> World {
    for var in [
        test_support::DYNAMODB,
        test_support::SECRETS_MANAGER,
        test_support::EVENTBRIDGE,
        test_support::SQS,
    ] {
        test_support::require_service(var);
    }
    let dynamodb = test_support::dynamodb().await;
    let secrets = test_support::secrets_manager().await;
    let events = test_support::eventbridge().await;
    let sqs = test_support::sqs().await;

    let table = unique_name("system");
    create_table(&dynamodb, &table)
        .await
        .expect("the product's table is created in DynamoDB Local");
    let bus = create_event_bus(&events, "system").await;
    let queue = create_queue(&sqs, "system").await;
    route_detail_types_to_queue(
        &events,
        &bus,
        EVENT_SOURCE,
        &ProductEvent::DETAIL_TYPES,
        &queue,
    )
    .await;

    let config = SandboxConfig::small(11);
    let app_secret_id = unique_name("app");
    secrets
        .create_secret()
        .name(&app_secret_id)
        .secret_string(
            json!({"client_id": config.client_id, "client_secret": config.client_secret})
                .to_string(),
        )
        .send()
        .await
        .expect("the app secret is stored in moto");
    let sandbox = Sandbox::start(config).await.expect("the sandbox starts");

    let tenant_id = TenantId::parse(format!("hs-{}", sandbox.portal_id())).unwrap();
    let secret_id = unique_name("tenant");
    let vault = SecretsManagerVault::new(secrets.clone());
    vault
        .create(
            &secret_id,
            &StoredCredentials::private_app(sandbox.private_app_token().into()).to_secret(),
        )
        .await
        .expect("the tenant's token is stored in moto");
    let now = Utc::now();
    let store = DynamoStore::new(dynamodb.clone(), table.clone());
    store
        .create_tenant(&Tenant {
            id: tenant_id.clone(),
            name: "Sandbox portal".into(),
            hubspot_portal_id: Some(sandbox.portal_id()),
            credentials_secret_id: secret_id,
            auth_kind: AuthKind::PrivateApp,
            status: TenantStatus::Active,
            status_reason: None,
            settings: ScoringSettings::default(),
            schedule: SyncSchedule::default(),
            limits: HubSpotLimits {
                per_ten_seconds: 190,
                search_per_second: 5,
                daily: None,
            },
            settings_changed_at: now,
            created_at: now,
            updated_at: now,
            version: 0,
        })
        .await
        .expect("the tenant is stored");

    let mut env: Vec<(String, String)> = vec![
        ("TABLE_NAME".into(), table),
        ("EVENT_BUS_NAME".into(), bus),
        ("HUBSPOT_APP_SECRET_ID".into(), app_secret_id),
        ("HUBSPOT_API_BASE_URL".into(), sandbox.base_url()),
        ("HUBSPOT_AUTHORIZE_URL".into(), sandbox.authorize_url_base()),
        ("PUBLIC_BASE_URL".into(), PUBLIC_BASE_URL.into()),
    ];
    for var in [
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        test_support::DYNAMODB,
        test_support::SECRETS_MANAGER,
        test_support::EVENTBRIDGE,
        test_support::SQS,
    ] {
        if let Ok(value) = std::env::var(var) {
            env.push((var.into(), value));
        }
    }
    for (var, default) in [
        ("AWS_REGION", test_support::DEFAULT_REGION),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ] {
        if !env.iter().any(|(k, _)| k == var) {
            env.push((var.into(), default.into()));
        }
    }
    World {
        sandbox,
        sqs,
        queue,
        env,
        tenant: tenant_id,
    }
}

impl World {
    /// The next `count` events emitted on the bus, as EventBridge delivered them.
    async fn emitted(&self, count: usize) -> Vec<Value> {
        receive_from_queue(&self.sqs, &self.queue, count, Duration::from_secs(30))
            .await
            .iter()
            .map(|body| serde_json::from_str(body).expect("an EventBridge event as JSON"))
            .collect()
    }
}

fn schema_of(detail_type: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events/schemas")
        .join(format!("{detail_type}.schema.json"));
    let text = std::fs::read_to_string(&path).expect("every emitted event has a schema");
    let schema: Value = serde_json::from_str(&text).expect("schemas are JSON");
    jsonschema::validator_for(&schema).expect("schemas compile")
}

fn assert_valid_event(event: &Value, detail_type: &str) {
    assert_eq!(event["source"], EVENT_SOURCE);
    assert_eq!(event["detail-type"], detail_type);
    let validator = schema_of(detail_type);
    let errors: Vec<String> = validator
        .iter_errors(&event["detail"])
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{detail_type} does not match its schema: {errors:?}\n{event:#}"
    );
}

fn sample(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample exists"))
        .expect("sample is JSON")
}

/// An API Gateway HTTP API request for `tenant`, from the sample's shape.
fn api_request(method: &str, path: &str, query: &str, tenant: Option<&TenantId>) -> Value {
    let mut event = sample("apigw-get-overview.json");
    event["rawPath"] = json!(path);
    event["rawQueryString"] = json!(query);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    event["routeKey"] = json!(format!("{method} {path}"));
    event["requestContext"]["routeKey"] = event["routeKey"].clone();
    if let Some(map) = event.as_object_mut() {
        map.remove("queryStringParameters");
    }
    match tenant {
        Some(t) => {
            event["requestContext"]["authorizer"]["jwt"]["claims"]["tenant_id"] = json!(t.as_str())
        }
        None => {
            if let Some(ctx) = event["requestContext"].as_object_mut() {
                ctx.remove("authorizer");
            }
        }
    }
    event
}

fn http_body(response: &Value) -> Value {
    let body = response["body"].as_str().unwrap_or_default();
    serde_json::from_str(body).unwrap_or(Value::Null)
}

async fn invoke(function: &mut FunctionProcess, payload: &Value) -> Value {
    match function.invoke(payload).await {
        Ok(Outcome::Response(value)) => value,
        Ok(other) => panic!(
            "{} failed: {other:?}\nlog:\n{}",
            function.name,
            function.log()
        ),
        Err(error) => panic!("{error}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_pipeline_runs_end_to_end_on_the_real_binaries() {
    let world = world().await;
    let mut sync = FunctionProcess::start("sync", &world.env).await.unwrap();
    let mut score = FunctionProcess::start("score", &world.env).await.unwrap();
    let mut api = FunctionProcess::start("api", &world.env).await.unwrap();
    let mut ingest = FunctionProcess::start("ingest", &world.env).await.unwrap();

    // The schedule fans out one SyncRequested per active tenant.
    let fanned = invoke(&mut sync, &sample("schedule.json")).await;
    assert_eq!(fanned["tenants_requested"], 1, "{fanned}");
    let requested = world.emitted(1).await;
    assert_eq!(requested.len(), 1, "{requested:?}");
    assert_valid_event(&requested[0], "SyncRequested");
    assert_eq!(requested[0]["detail"]["tenant_id"], world.tenant.as_str());

    // The sync function syncs that tenant from the sandbox and emits TenantSynced.
    let run = invoke(&mut sync, &requested[0]).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let companies = world.sandbox.records("companies").len() as u64;
    assert_eq!(run["counts"]["companies"], companies, "{run}");
    let synced = world.emitted(1).await;
    assert_eq!(synced.len(), 1, "{synced:?}");
    assert_valid_event(&synced[0], "TenantSynced");
    assert_eq!(
        synced[0]["detail"]["changed_client_ids"]
            .as_array()
            .map(Vec::len),
        Some(companies as usize)
    );

    // The score function scores every client and emits ScoresUpdated.
    let updated = invoke(&mut score, &synced[0]).await;
    assert_eq!(updated["clients_scored"], companies, "{updated}");
    assert!(updated["insights_opened"].as_u64().unwrap_or(0) > 0, "{updated}");
    let scored = world.emitted(1).await;
    assert_eq!(scored.len(), 1, "{scored:?}");
    assert_valid_event(&scored[0], "ScoresUpdated");

    // The api function serves what was scored, to the caller's tenant only.
    let overview = invoke(&mut api, &api_request("GET", "/v1/overview", "", Some(&world.tenant))).await;
    assert_eq!(overview["statusCode"], 200, "{overview}");
    let body = http_body(&overview);
    assert_eq!(body["clients"], companies, "{body}");
    let scores = invoke(
        &mut api,
        &api_request("GET", "/v1/health-scores", "sort=overall_asc&limit=5", Some(&world.tenant)),
    )
    .await;
    assert_eq!(scores["statusCode"], 200, "{scores}");
    let items = http_body(&scores)["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 5, "{scores}");
    let overalls: Vec<u64> = items.iter().filter_map(|s| s["overall"].as_u64()).collect();
    assert!(overalls.windows(2).all(|w| w[0] <= w[1]), "{overalls:?}");
    let stranger = TenantId::parse("someone-else").unwrap();
    let other = invoke(&mut api, &api_request("GET", "/v1/overview", "", Some(&stranger))).await;
    assert_ne!(other["statusCode"], 200, "another tenant sees nothing: {other}");
    let anonymous = invoke(&mut api, &api_request("GET", "/v1/overview", "", None)).await;
    assert_eq!(anonymous["statusCode"], 401, "{anonymous}");

    // The ingest function verifies a signed webhook and requests a targeted sync.
    let contact = world.sandbox.records("contacts")[0].id.clone();
    let mut delivery = world.sandbox.webhook_event("contact.propertyChange", &contact);
    delivery["portalId"] = json!(world.sandbox.portal_id());
    let body = serde_json::to_string(&json!([delivery])).unwrap();
    let timestamp = Utc::now().timestamp_millis().to_string();
    let signature = signature_v3(
        &SandboxConfig::small(11).client_secret,
        "POST",
        &format!("{PUBLIC_BASE_URL}/webhooks/hubspot"),
        body.as_bytes(),
        &timestamp,
    );
    let mut webhook = sample("apigw-hubspot-webhook.json");
    webhook["body"] = json!(body);
    webhook["headers"]["x-hubspot-signature-v3"] = json!(signature);
    webhook["headers"]["x-hubspot-request-timestamp"] = json!(timestamp);
    let accepted = invoke(&mut ingest, &webhook).await;
    assert_eq!(accepted["statusCode"], 200, "{accepted}");
    let targeted = world.emitted(1).await;
    assert_eq!(targeted.len(), 1, "{targeted:?}");
    assert_valid_event(&targeted[0], "SyncRequested");
    assert_eq!(targeted[0]["detail"]["mode"], "objects");
    assert_eq!(targeted[0]["detail"]["objects"][0]["id"], contact.as_str());

    webhook["headers"]["x-hubspot-signature-v3"] = json!("forged");
    let refused = invoke(&mut ingest, &webhook).await;
    assert_eq!(refused["statusCode"], 401, "{refused}");

    // A malformed event is refused with a clear, permanent error; the function keeps serving.
    match score.invoke(&json!({"detail-type": 3})).await {
        Ok(Outcome::Error { error_type, message }) => {
            assert_eq!(error_type, "Permanent");
            assert!(message.contains("EventBridge"), "{message}");
        }
        other => panic!("a malformed event must fail: {other:?}"),
    }
    let again = invoke(&mut score, &synced[0]).await;
    assert_eq!(again["clients_scored"], companies, "{again}");
    assert_eq!(again["insights_opened"], 0, "a re-run opens nothing new: {again}");
}
