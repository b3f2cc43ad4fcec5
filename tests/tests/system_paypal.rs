//! Two sources on the real binaries: the HubSpot sandbox's portal and a PayPal account (the PayPal
//! simulator) whose payers line up with the portal's companies. A person connects PayPal through the
//! api (credentials checked with PayPal first), the connection's sync and the scoring run from the
//! events each function emits, matching links payers to clients, scores and insights name both
//! sources, and a PayPal webhook, verified by PayPal, re-syncs the connection.

use axum::body::Bytes;
use axum::http::HeaderMap;
use hubspot_sandbox::SandboxConfig;
use paypal_sandbox::{Alignment, CompanySeed};
use serde_json::{json, Value};
use shared::ports::SecretVault;
use std::sync::{Arc, Mutex};
use system_tests::functions::FunctionProcess;
use system_tests::world::{emitted_one, http_body, invoke, World};

/// What PayPal posted to our webhook URL, captured so it can be handed to the ingest binary as API
/// Gateway would.
#[derive(Default, Clone)]
struct Captured(Arc<Mutex<Vec<(HeaderMap, Bytes)>>>);

async fn capture_deliveries() -> (String, Captured) {
    let captured = Captured::default();
    let sink = captured.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
        let sink = sink.clone();
        async move {
            if let Ok(mut got) = sink.0.lock() {
                got.push((headers, body));
            }
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, captured)
}

/// An API Gateway HTTP API request for the PayPal webhook route carrying PayPal's delivery.
fn paypal_webhook_request(
    tenant: &str,
    connection: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Value {
    let path = format!("/webhooks/paypal/{tenant}/{connection}");
    let mut event = system_tests::world::sample("apigw-hubspot-webhook.json");
    let mut map = serde_json::Map::new();
    for (name, value) in headers {
        if let Ok(value) = value.to_str() {
            map.insert(name.as_str().to_ascii_lowercase(), json!(value));
        }
    }
    event["headers"] = Value::Object(map);
    event["rawPath"] = json!(path);
    event["rawQueryString"] = json!("");
    event["requestContext"]["http"]["path"] = json!(path);
    event["routeKey"] = json!("POST /webhooks/paypal/{tenant}/{connection}");
    event["requestContext"]["routeKey"] = event["routeKey"].clone();
    event["pathParameters"] = json!({ "tenant": tenant, "connection": connection });
    event["body"] = json!(String::from_utf8_lossy(body));
    event["isBase64Encoded"] = json!(false);
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hubspot_and_paypal_run_end_to_end_on_the_real_binaries() {
    let world = World::start(SandboxConfig::small(23)).await;
    world.plant_private_app_tenant().await;
    let companies: Vec<CompanySeed> = world
        .sandbox
        .records("companies")
        .into_iter()
        .map(|r| CompanySeed {
            hubspot_id: r.id,
            name: r
                .properties
                .get("name")
                .cloned()
                .flatten()
                .unwrap_or_default(),
            domain: r.properties.get("domain").cloned().flatten(),
        })
        .collect();
    let paypal =
        paypal_sandbox::Sandbox::start(paypal_sandbox::SandboxConfig::for_companies(23, companies))
            .await
            .unwrap();
    let truth = paypal.ground_truth();
    let named = truth
        .iter()
        .find(|p| p.alignment == Alignment::CustomId && !p.invoice_ids.is_empty())
        .or_else(|| truth.iter().find(|p| p.alignment == Alignment::CustomId))
        .expect("the simulator always has a payer carrying a HubSpot company id")
        .clone();

    let key_id = test_support::unique_name("payer-key");
    world
        .vault
        .create(&key_id, &"k".repeat(64).into())
        .await
        .unwrap();
    let mut env = world.env.clone();
    env.push(("PAYPAL_API_BASE_URL".into(), paypal.base_url()));
    env.push(("PAYER_EMAIL_KEY_SECRET_ID".into(), key_id));
    let mut sync = FunctionProcess::start("sync", &env).await.unwrap();
    let mut score = FunctionProcess::start("score", &env).await.unwrap();
    let mut api = FunctionProcess::start("api", &env).await.unwrap();
    let mut ingest = FunctionProcess::start("ingest", &env).await.unwrap();
    let tenant = Some(&world.tenant);

    // HubSpot first: the portal's clients exist before PayPal's payers are matched to them.
    let hubspot_run = invoke(&mut sync, &world.sync_request_event("full")).await;
    assert_eq!(hubspot_run["status"], "succeeded", "{hubspot_run}");
    emitted_one(&world, "TenantSynced").await;

    // Connecting PayPal: a wrong secret is refused and nothing is stored...
    let connect = |secret: &str| {
        let mut request = world.api_request("POST", "/v1/connections", "", tenant);
        request["body"] = json!(json!({
            "platform": "paypal",
            "label": "PayPal",
            "client_id": paypal.client_id(),
            "client_secret": secret,
            "environment": "sandbox",
            "webhook_id": paypal.webhook_id(),
        })
        .to_string());
        request["headers"]["content-type"] = json!("application/json");
        request
    };
    let refused = invoke(&mut api, &connect("not-the-secret")).await;
    assert_eq!(refused["statusCode"], 422, "{refused}");
    assert!(
        world.emitted(0).await.is_empty(),
        "a refused connection asked for a sync"
    );
    // ...and the right one is saved and asks for its first sync.
    let created = invoke(&mut api, &connect(&paypal.client_secret())).await;
    assert_eq!(created["statusCode"], 201, "{created}");
    let connection = http_body(&created)["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(connection.starts_with("paypal-"), "{created}");
    assert!(!created.to_string().contains(&paypal.client_secret()));
    let first = emitted_one(&world, "SyncRequested").await;
    assert_eq!(first["detail"]["connection_id"], connection.as_str());

    let run = invoke(&mut sync, &first).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let synced = emitted_one(&world, "TenantSynced").await;
    let scored = invoke(&mut score, &synced).await;
    assert!(
        scored["clients_scored"].as_u64().unwrap_or(0) > 0,
        "{scored}"
    );
    // The tenant's first scoring (HubSpot's sync above was not scored) is a baseline: no
    // per-client change events beside ScoresUpdated.
    emitted_one(&world, "ScoresUpdated").await;

    // Matching linked the payer that carries its company's HubSpot id, by that id.
    let company = named.hubspot_company_id.clone().unwrap_or_default();
    let linked = invoke(
        &mut api,
        &world.api_request("GET", "/v1/correlations", "limit=200", tenant),
    )
    .await;
    assert_eq!(linked["statusCode"], 200, "{linked}");
    let rows = http_body(&linked)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        rows.iter().any(|c| c["client_id"] == company.as_str()
            && c["external_id"] == named.payer_id.as_str()
            && c["status"] == "auto"),
        "the payer {} naming company {company} is linked: {linked}",
        named.payer_id
    );
    let review = invoke(
        &mut api,
        &world.api_request("GET", "/v1/correlations", "status=needs_review", tenant),
    )
    .await;
    assert_eq!(review["statusCode"], 200, "{review}");

    // The client's score is built from both sources.
    let client = invoke(
        &mut api,
        &world.api_request("GET", &format!("/v1/clients/{company}"), "", tenant),
    )
    .await;
    assert_eq!(client["statusCode"], 200, "{client}");
    let platforms: Vec<String> = http_body(&client)["score"]["sources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s["platform"].as_str().map(str::to_string))
        .collect();
    assert_eq!(platforms, vec!["hubspot", "paypal"], "{client}");

    // A PayPal webhook: verified by PayPal, it asks for a targeted sync of the connection.
    let (hook_url, captured) = capture_deliveries().await;
    // Paying an open invoice is INVOICING.INVOICE.PAID; a settled one is only re-announced.
    let (event_type, resource) = match named.invoice_ids.first() {
        Some(id) => match paypal.pay_invoice(id) {
            Some(paid) => ("INVOICING.INVOICE.PAID", paid),
            None => ("INVOICING.INVOICE.UPDATED", json!({ "id": id })),
        },
        None => (
            "BILLING.SUBSCRIPTION.UPDATED",
            json!({ "id": named.subscription_ids.first().cloned().unwrap_or_default() }),
        ),
    };
    paypal
        .send_webhook(&hook_url, event_type, resource)
        .await
        .unwrap();
    let (headers, body) = captured
        .0
        .lock()
        .unwrap()
        .first()
        .cloned()
        .expect("PayPal posted");
    let delivery = paypal_webhook_request(world.tenant.as_str(), &connection, &headers, &body);
    let accepted = invoke(&mut ingest, &delivery).await;
    assert_eq!(accepted["statusCode"], 200, "{accepted}");
    let targeted = emitted_one(&world, "SyncRequested").await;
    assert_eq!(targeted["detail"]["connection_id"], connection.as_str());
    assert_eq!(targeted["detail"]["mode"], "objects");
    let resynced = invoke(&mut sync, &targeted).await;
    assert_eq!(resynced["status"], "succeeded", "{resynced}");
    emitted_one(&world, "TenantSynced").await;

    // The same delivery again is acknowledged and asks for nothing; a tampered one is refused.
    let again = invoke(&mut ingest, &delivery).await;
    assert_eq!(again["statusCode"], 200, "{again}");
    let mut tampered = delivery.clone();
    tampered["body"] = json!(String::from_utf8_lossy(&body)
        .replace("INVOICING", "INVOICINGX")
        .replace("BILLING", "BILLINGX"));
    let refused = invoke(&mut ingest, &tampered).await;
    assert_eq!(refused["statusCode"], 401, "{refused}");
    assert!(
        world.emitted(0).await.is_empty(),
        "a replayed or forged delivery asked for a sync"
    );
}
