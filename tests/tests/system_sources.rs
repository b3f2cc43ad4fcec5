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
use shared::events::EVENT_SOURCE;
use shared::ports::{ConnectionStore, SecretVault};
use std::collections::{BTreeMap, BTreeSet};
use system_tests::functions::FunctionProcess;
use system_tests::world::{expect_response, http_body, World};

const SEED: u64 = 23;

async fn invoke(function: &mut FunctionProcess, payload: &Value) -> Value {
    let outcome = function.invoke(payload).await;
    expect_response(&function.name, outcome, &function.log())
}

async fn emitted_one(world: &World, detail_type: &str) -> Value {
    let events = world.emitted(1).await;
    assert_eq!(events.len(), 1, "expected one {detail_type}: {events:#?}");
    let event = events.into_iter().next().unwrap_or(Value::Null);
    assert_eq!(event["source"], EVENT_SOURCE);
    assert_eq!(event["detail-type"], detail_type, "{event:#}");
    event
}

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
        serde_json::from_str(secrecy::ExposeSecret::expose_secret(&secret)).unwrap();
    credentials
        .webhook_secret
        .unwrap_or_else(|| panic!("{connection} has no webhook secret"))
}
