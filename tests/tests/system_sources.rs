//! All five sources on the real binaries: the HubSpot sandbox's portal and the PayPal, NinjaOne, Pax8
//! and Microsoft 365 simulators, each seeded with the portal's companies. A person connects the
//! platforms through the api binary (credentials checked with the platform first); each connection's
//! sync runs on the sync binary from the event the api emits; the scoring on the score binary links
//! the platforms' accounts to clients (never a wrong client, checked against the simulators' ground
//! truth) and opens an insight only several sources can see; a Pax8 webhook through the ingest
//! binary with the connection's secret asks for a sync of the accounts it names, and one with a wrong
//! secret is refused.

use hubspot_sandbox::SandboxConfig;
use serde_json::{json, Value};
use shared::domain::{ClientCredentials, ConnectionId};
use shared::ports::{ConnectionStore, SecretVault};
use std::collections::{BTreeMap, BTreeSet};
use system_tests::functions::FunctionProcess;
use system_tests::world::{emitted_one, http_body, invoke, World};

const SEED: u64 = 23;

/// The portal's companies as (id, name, domain), the seed every simulator takes.
fn portal_companies(world: &World) -> Vec<(String, String, Option<String>)> {
    world
        .sandbox
        .records("companies")
        .into_iter()
        .map(|r| {
            let name = r
                .properties
                .get("name")
                .cloned()
                .flatten()
                .unwrap_or_default();
            let domain = r.properties.get("domain").cloned().flatten();
            (r.id, name, domain)
        })
        .collect()
}

/// Every item of a paged API list, read through the api binary.
async fn all_items(
    api: &mut FunctionProcess,
    world: &World,
    path: &str,
    query: &str,
) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let query = match &cursor {
            Some(c) => format!("{query}&cursor={c}"),
            None => query.to_string(),
        };
        let response = invoke(
            api,
            &world.api_request("GET", path, &query, Some(&world.tenant)),
        )
        .await;
        assert_eq!(response["statusCode"], 200, "{path}?{query}: {response}");
        let page = http_body(&response);
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    items
}

/// `POST /v1/connections` with `body` (JSON), as the api binary receives it.
fn connect_request(world: &World, body: Value) -> Value {
    let mut request = world.api_request("POST", "/v1/connections", "", Some(&world.tenant));
    request["body"] = json!(body.to_string());
    request["headers"]["content-type"] = json!("application/json");
    request
}

/// An API Gateway HTTP API request for a connection's webhook route.
fn webhook_request(
    platform: &str,
    tenant: &str,
    connection: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Value {
    let path = format!("/webhooks/{platform}/{tenant}/{connection}");
    let mut event = system_tests::world::sample("apigw-hubspot-webhook.json");
    let map: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), json!(value)))
        .chain([("content-type".to_string(), json!("application/json"))])
        .collect();
    event["headers"] = Value::Object(map);
    event["rawPath"] = json!(path);
    event["rawQueryString"] = json!("");
    event["requestContext"]["http"]["path"] = json!(path);
    event["routeKey"] = json!(format!(
        "POST /webhooks/{platform}/{{tenant}}/{{connection}}"
    ));
    event["requestContext"]["routeKey"] = event["routeKey"].clone();
    event["pathParameters"] = json!({ "tenant": tenant, "connection": connection });
    event["body"] = json!(body);
    event["isBase64Encoded"] = json!(false);
    event
}

/// The webhook secret the api generated for `connection`, read where the sync reads credentials.
async fn webhook_secret_of(world: &World, connection: &str) -> String {
    let id = ConnectionId::parse(connection).unwrap();
    let stored = world
        .store
        .get_connection(&world.tenant, &id)
        .await
        .unwrap_or_else(|e| panic!("connection {connection}: {e}"));
    let secret = world
        .vault
        .get(&stored.credentials_secret_id)
        .await
        .unwrap_or_else(|e| panic!("the secret of {connection}: {e}"));
    let credentials: ClientCredentials =
        serde_json::from_str(secrecy::ExposeSecret::expose_secret(&secret.value)).unwrap();
    credentials
        .webhook_secret
        .unwrap_or_else(|| panic!("{connection} has no webhook secret"))
}

/// Runs the sync binary on `request` until its run ends (following the continuations it emits);
/// returns the last run, after taking the `TenantSynced` it emitted.
async fn sync_to_the_end(sync: &mut FunctionProcess, world: &World, request: Value) -> Value {
    let mut request = request;
    for _ in 0..30 {
        let run = invoke(sync, &request).await;
        match run["status"].as_str() {
            Some("continued") => request = emitted_one(world, "SyncRequested").await,
            Some("succeeded") => {
                emitted_one(world, "TenantSynced").await;
                return run;
            }
            _ => panic!("the sync of {} failed: {run}", request["detail"]),
        }
    }
    panic!("the sync of {} never ended", request["detail"]);
}

/// Connects a platform through the api binary: a wrong secret is refused with nothing stored or
/// asked for, the right one is saved (no secret in the answer) and asks for its first sync. Returns
/// the connection's view and that `SyncRequested`.
async fn connect(
    api: &mut FunctionProcess,
    world: &World,
    body: Value,
    secret: &str,
) -> (Value, Value) {
    let platform = body["platform"].as_str().unwrap_or_default().to_string();
    let mut wrong = body.clone();
    wrong["client_secret"] = json!("not-the-secret");
    let refused = invoke(api, &connect_request(world, wrong)).await;
    assert_eq!(refused["statusCode"], 422, "{platform}: {refused}");
    assert!(
        world.emitted(0).await.is_empty(),
        "a refused {platform} connection asked for a sync"
    );
    let mut right = body;
    right["client_secret"] = json!(secret);
    let created = invoke(api, &connect_request(world, right)).await;
    assert_eq!(created["statusCode"], 201, "{platform}: {created}");
    assert!(
        !created.to_string().contains(secret),
        "the {platform} secret is not answered back"
    );
    let view = http_body(&created);
    let id = view["id"].as_str().unwrap_or_default().to_string();
    assert!(id.starts_with(&format!("{platform}-")), "{created}");
    let first = emitted_one(world, "SyncRequested").await;
    assert_eq!(first["detail"]["connection_id"], id.as_str(), "{first}");
    (view, first)
}

/// The simulators' seeds from the portal's companies (each crate has its own seed type).
macro_rules! seeds {
    ($companies:expr, $krate:ident) => {
        $companies
            .iter()
            .map(|(hubspot_id, name, domain)| $krate::CompanySeed {
                hubspot_id: hubspot_id.clone(),
                name: name.clone(),
                domain: domain.clone(),
            })
            .collect::<Vec<_>>()
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_sources_run_end_to_end_on_the_real_binaries() {
    let world = World::start(SandboxConfig::small(SEED)).await;
    world.plant_private_app_tenant().await;
    let companies = portal_companies(&world);
    let paypal = paypal_sandbox::Sandbox::start(paypal_sandbox::SandboxConfig::for_companies(
        SEED,
        seeds!(companies, paypal_sandbox),
    ))
    .await
    .unwrap();
    let ninjaone = ninjaone_sandbox::Sandbox::start(
        ninjaone_sandbox::SandboxConfig::for_companies(SEED, seeds!(companies, ninjaone_sandbox)),
    )
    .await
    .unwrap();
    let pax8 = pax8_sandbox::Sandbox::start(pax8_sandbox::SandboxConfig::for_companies(
        SEED,
        seeds!(companies, pax8_sandbox),
    ))
    .await
    .unwrap();
    let m365 = m365_sandbox::Sandbox::start(m365_sandbox::SandboxConfig::for_companies(
        SEED,
        seeds!(companies, m365_sandbox),
    ))
    .await
    .unwrap();
    // Which CRM company each generated account really belongs to (None: the CRM has none).
    let mut truth: BTreeMap<(&str, String), Option<String>> = BTreeMap::new();
    for org in ninjaone.truth() {
        truth.insert(("ninjaone", org.external_id), org.hubspot_id);
    }
    for company in pax8.truth() {
        truth.insert(("pax8", company.company_id), company.hubspot_id);
    }
    for tenant in m365.truth() {
        truth.insert(("m365", tenant.external_id), tenant.hubspot_id);
    }

    let key_id = test_support::unique_name("payer-key");
    world
        .vault
        .create(&key_id, &"k".repeat(64).into())
        .await
        .unwrap();
    let mut env = world.env.clone();
    env.push(("PAYPAL_API_BASE_URL".into(), paypal.base_url()));
    env.push(("PAYER_EMAIL_KEY_SECRET_ID".into(), key_id));
    env.push(("NINJAONE_API_BASE_URL".into(), ninjaone.base_url()));
    env.push(("PAX8_API_BASE_URL".into(), pax8.base_url()));
    env.push(("M365_API_BASE_URL".into(), m365.base_url()));
    let mut sync = FunctionProcess::start("sync", &env).await.unwrap();
    let mut score = FunctionProcess::start("score", &env).await.unwrap();
    let mut api = FunctionProcess::start("api", &env).await.unwrap();
    let mut ingest = FunctionProcess::start("ingest", &env).await.unwrap();

    // HubSpot first: the portal's clients exist before the other platforms are matched to them.
    sync_to_the_end(&mut sync, &world, world.sync_request_event("full")).await;

    // A person connects the four platforms; each connection's first sync runs from its event.
    let customer_tenants: Vec<Value> = m365
        .tenant_ids()
        .into_iter()
        .map(|id| json!({ "tenant_id": id }))
        .collect();
    let platforms = [
        (
            json!({"platform": "paypal", "label": "PayPal", "client_id": paypal.client_id(),
                   "environment": "sandbox", "webhook_id": paypal.webhook_id()}),
            paypal.client_secret(),
        ),
        (
            json!({"platform": "ninjaone", "label": "NinjaOne", "client_id": ninjaone.client_id(),
                   "region": "us"}),
            ninjaone.client_secret(),
        ),
        (
            json!({"platform": "pax8", "label": "Pax8", "client_id": pax8.client_id()}),
            pax8.client_secret(),
        ),
        (
            json!({"platform": "m365", "label": "Microsoft 365", "client_id": m365.client_id(),
                   "customer_tenants": customer_tenants}),
            m365.client_secret(),
        ),
    ];
    let mut connections: BTreeMap<String, Value> = BTreeMap::new();
    for (body, secret) in platforms {
        let platform = body["platform"].as_str().unwrap_or_default().to_string();
        let (view, first) = connect(&mut api, &world, body, &secret).await;
        let run = sync_to_the_end(&mut sync, &world, first).await;
        assert_eq!(run["connection_id"], view["id"], "{run}");
        connections.insert(platform, view);
    }
    assert!(
        connections["pax8"]["webhook_registered"] == true
            && connections["ninjaone"]["webhook_registered"] == true,
        "our webhook is registered with NinjaOne and Pax8: {connections:?}"
    );

    // One scoring after every sync: matching links the platforms' accounts to clients.
    let scored = invoke(&mut score, &world.tenant_synced_event()).await;
    assert!(
        scored["clients_scored"].as_u64().unwrap_or(0) > 0,
        "{scored}"
    );
    emitted_one(&world, "ScoresUpdated").await;

    let correlations = all_items(&mut api, &world, "/v1/correlations", "limit=200").await;
    let mut auto_links: BTreeMap<String, usize> = BTreeMap::new();
    let mut linked_platforms_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for correlation in &correlations {
        let platform = correlation["platform"].as_str().unwrap_or_default();
        if !["ninjaone", "pax8", "m365"].contains(&platform) || correlation["status"] != "auto" {
            continue;
        }
        let external_id = correlation["external_id"].as_str().unwrap_or_default();
        let client = correlation["client_id"].as_str().unwrap_or_default();
        let belongs_to = truth
            .get(&(platform, external_id.to_string()))
            .unwrap_or_else(|| panic!("{platform} {external_id} was never generated"));
        // Precision: a link made without a person is never to the wrong client.
        assert_eq!(
            belongs_to.as_deref(),
            Some(client),
            "{platform} account {external_id} was linked by itself to client {client}: {correlation}"
        );
        *auto_links.entry(platform.to_string()).or_default() += 1;
        linked_platforms_of
            .entry(client.to_string())
            .or_default()
            .insert(platform.to_string());
    }
    for platform in ["ninjaone", "pax8", "m365"] {
        let belonging = truth
            .iter()
            .filter(|((p, _), company)| *p == platform && company.is_some())
            .count();
        let linked = auto_links.get(platform).copied().unwrap_or(0);
        eprintln!("{platform}: {linked} accounts linked by themselves of {belonging} that belong to a client");
        assert!(
            linked > 0,
            "no {platform} account was linked: {correlations:?}"
        );
    }

    // A client linked on several platforms is scored from all of them.
    let (client, linked_platforms) = linked_platforms_of
        .iter()
        .max_by_key(|(_, platforms)| platforms.len())
        .map(|(c, p)| (c.clone(), p.clone()))
        .unwrap_or_default();
    let page = invoke(
        &mut api,
        &world.api_request(
            "GET",
            &format!("/v1/clients/{client}"),
            "",
            Some(&world.tenant),
        ),
    )
    .await;
    assert_eq!(page["statusCode"], 200, "{page}");
    let scored_from: BTreeSet<String> = http_body(&page)["score"]["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["platform"].as_str().map(str::to_string))
        .collect();
    assert!(
        linked_platforms.is_subset(&scored_from),
        "client {client} linked on {linked_platforms:?} is scored from {scored_from:?}"
    );

    // At least one insight only several sources can see: it names two sources or more, one of them
    // a new platform.
    let insights = all_items(&mut api, &world, "/v1/insights", "status=open&limit=200").await;
    let named = |insight: &Value| -> BTreeSet<String> {
        insight["sources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["platform"].as_str().map(str::to_string))
            .collect()
    };
    let cross_source = insights.iter().find(|insight| {
        let platforms = named(insight);
        platforms.len() >= 2
            && ["ninjaone", "pax8", "m365"]
                .iter()
                .any(|p| platforms.contains(*p))
    });
    let sources_named: Vec<BTreeSet<String>> = insights.iter().map(named).collect();
    let cross_source = cross_source.unwrap_or_else(|| {
        panic!("no open insight names a new platform and another source: {sources_named:?}")
    });
    eprintln!(
        "cross-source insight: {} naming {:?}",
        cross_source["rule"],
        named(cross_source)
    );

    // A Pax8 webhook with the connection's secret asks for a sync of the accounts it names...
    let pax8_connection = connections["pax8"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let secret = webhook_secret_of(&world, &pax8_connection).await;
    let company = pax8
        .truth()
        .into_iter()
        .find(|c| c.status == "Active" && !c.subscriptions.is_empty())
        .expect("the simulator has an active company with subscriptions");
    let webhook_id = pax8
        .webhooks()
        .iter()
        .find_map(|w| w["id"].as_str().map(str::to_string))
        .unwrap_or_default();
    let body = pax8
        .subscription_event(&webhook_id, &company.company_id)
        .to_string();
    let tenant = world.tenant.as_str();
    let delivery = webhook_request(
        "pax8",
        tenant,
        &pax8_connection,
        &[("authorization", secret.as_str())],
        &body,
    );
    let accepted = invoke(&mut ingest, &delivery).await;
    assert_eq!(accepted["statusCode"], 200, "{accepted}");
    let targeted = emitted_one(&world, "SyncRequested").await;
    assert_eq!(
        targeted["detail"]["connection_id"],
        pax8_connection.as_str()
    );
    let account_ids: Vec<&str> = targeted["detail"]["account_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(account_ids, vec![company.company_id.as_str()], "{targeted}");
    let resynced = sync_to_the_end(&mut sync, &world, targeted).await;
    assert_eq!(resynced["connection_id"], pax8_connection.as_str());

    // ...and one with a wrong secret is refused, asking for nothing.
    let forged = webhook_request(
        "pax8",
        tenant,
        &pax8_connection,
        &[("authorization", "not-the-secret")],
        &body,
    );
    let refused = invoke(&mut ingest, &forged).await;
    assert_eq!(refused["statusCode"], 401, "{refused}");
    assert!(
        world.emitted(0).await.is_empty(),
        "a forged Pax8 delivery asked for a sync"
    );
}
