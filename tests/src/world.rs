//! One fresh world for a whole-system run: a table in DynamoDB Local, a bus in moto whose rules route
//! every product event to an SQS queue (so emitted events are read back), the HubSpot app secret, and a
//! HubSpot sandbox portal. Tenants are onboarded by the test (through the OAuth routes) or planted.

use crate::runtime_api::Outcome;
use chrono::Utc;
use hubspot_sandbox::{signature_v3, Sandbox, SandboxConfig};
use serde_json::{json, Value};
use shared::domain::{AuthKind, HubSpotLimits, Tenant, TenantId};
use shared::events::{ProductEvent, EVENT_SOURCE};
use shared::ports::{SecretVault, TenantStore};
use shared::sources::hubspot::StoredCredentials;
use shared::store::{create_table, DynamoStore};
use shared::vault::SecretsManagerVault;
use std::path::Path;
use std::time::Duration;
use test_support::{
    create_event_bus, create_queue, receive_from_queue, route_detail_types_to_queue, unique_name,
    TestQueue,
};

pub const PUBLIC_BASE_URL: &str = "https://insights.example.com";
/// Where the api function stores tenants' tokens in these runs.
pub const TENANT_SECRET_PREFIX: &str = "system-test/tenants/";

pub struct World {
    pub sandbox: Sandbox,
    pub client_secret: String,
    pub sqs: aws_sdk_sqs::Client,
    pub queue: TestQueue,
    pub store: DynamoStore,
    pub vault: SecretsManagerVault,
    /// The functions' environment: the product's variables and the local services' endpoints.
    pub env: Vec<(String, String)>,
    /// The sandbox portal's tenant (`hs-<portal id>`), once onboarded or planted.
    pub tenant: TenantId,
}

/// A sample from `events/`.
pub fn sample(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

impl World {
    pub async fn start(config: SandboxConfig) -> World {
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
        if let Err(error) = create_table(&dynamodb, &table).await {
            panic!("creating the product's table in DynamoDB Local failed: {error}");
        }
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

        let client_secret = config.client_secret.clone();
        let app_secret_id = unique_name("app");
        if let Err(error) = secrets
            .create_secret()
            .name(&app_secret_id)
            .secret_string(
                json!({"client_id": config.client_id, "client_secret": config.client_secret})
                    .to_string(),
            )
            .send()
            .await
        {
            panic!("storing the app secret in moto failed: {error:?}");
        }
        let sandbox = match Sandbox::start(config).await {
            Ok(sandbox) => sandbox,
            Err(error) => panic!("the sandbox did not start: {error}"),
        };
        let tenant = match TenantId::parse(format!("hs-{}", sandbox.portal_id())) {
            Ok(id) => id,
            Err(error) => panic!("{error}"),
        };

        let mut env: Vec<(String, String)> = vec![
            ("TABLE_NAME".into(), table.clone()),
            ("EVENT_BUS_NAME".into(), bus),
            ("HUBSPOT_APP_SECRET_ID".into(), app_secret_id),
            ("HUBSPOT_API_BASE_URL".into(), sandbox.base_url()),
            ("HUBSPOT_AUTHORIZE_URL".into(), sandbox.authorize_url_base()),
            ("PUBLIC_BASE_URL".into(), PUBLIC_BASE_URL.into()),
            (
                "TENANT_SECRET_PREFIX".into(),
                format!("{TENANT_SECRET_PREFIX}{}/", unique_name("run")),
            ),
        ];
        for (var, default) in [
            ("AWS_REGION", Some(test_support::DEFAULT_REGION)),
            ("AWS_ACCESS_KEY_ID", Some("testing")),
            ("AWS_SECRET_ACCESS_KEY", Some("testing")),
            (test_support::DYNAMODB, None),
            (test_support::SECRETS_MANAGER, None),
            (test_support::EVENTBRIDGE, None),
            (test_support::SQS, None),
        ] {
            match (std::env::var(var), default) {
                (Ok(value), _) => env.push((var.into(), value)),
                (Err(_), Some(default)) => env.push((var.into(), default.into())),
                (Err(_), None) => {}
            }
        }
        World {
            sandbox,
            client_secret,
            sqs,
            queue,
            store: DynamoStore::new(dynamodb, table),
            vault: SecretsManagerVault::new(secrets),
            env,
            tenant,
        }
    }

    /// Plants the sandbox portal as a private-app tenant (for runs that do not go through OAuth).
    pub async fn plant_private_app_tenant(&self) {
        let secret_id = unique_name("tenant");
        let token = StoredCredentials::private_app(self.sandbox.private_app_token().into());
        if let Err(error) = self.vault.create(&secret_id, &token.to_secret()).await {
            panic!("storing the tenant's token in moto failed: {error}");
        }
        let now = Utc::now();
        let tenant = Tenant {
            limits: HubSpotLimits {
                per_ten_seconds: 190,
                search_per_second: 5,
                daily: None,
            },
            ..Tenant::connected(
                self.tenant.clone(),
                "Sandbox portal",
                Some(self.sandbox.portal_id()),
                secret_id,
                AuthKind::PrivateApp,
                now,
            )
        };
        if let Err(error) = self.store.create_tenant(&tenant).await {
            panic!("storing the tenant failed: {error}");
        }
    }

    /// The next `count` events emitted on the bus, as EventBridge delivered them.
    pub async fn emitted(&self, count: usize) -> Vec<Value> {
        receive_from_queue(&self.sqs, &self.queue, count, Duration::from_secs(30))
            .await
            .iter()
            .map(|body| match serde_json::from_str(body) {
                Ok(value) => value,
                Err(error) => panic!("the queue carried something that is not JSON: {error}"),
            })
            .collect()
    }

    /// An API Gateway HTTP API request, shaped like the samples, with the JWT claims of `tenant`'s admin.
    pub fn api_request(
        &self,
        method: &str,
        path: &str,
        query: &str,
        tenant: Option<&TenantId>,
    ) -> Value {
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
                let claims = &mut event["requestContext"]["authorizer"]["jwt"]["claims"];
                claims["tenant_id"] = json!(t.as_str());
                // The whole-system tests act as the tenant's admin (ROLE_CLAIM's default name);
                // each role's reach is walked in shared/tests/api_routes/roles.rs.
                claims["role"] = json!("admin");
            }
            None => {
                if let Some(ctx) = event["requestContext"].as_object_mut() {
                    ctx.remove("authorizer");
                }
            }
        }
        event
    }

    /// A HubSpot webhook delivery for one contact change, signed (v3) as HubSpot signs it.
    pub fn signed_webhook_for(&self, subscription_type: &str, object_id: &str) -> Value {
        let mut delivery = self.sandbox.webhook_event(subscription_type, object_id);
        delivery["portalId"] = json!(self.sandbox.portal_id());
        let body = json!([delivery]).to_string();
        let timestamp = Utc::now().timestamp_millis().to_string();
        let signature = signature_v3(
            &self.client_secret,
            "POST",
            &format!("{PUBLIC_BASE_URL}/webhooks/hubspot"),
            body.as_bytes(),
            &timestamp,
        );
        let mut webhook = sample("apigw-hubspot-webhook.json");
        webhook["body"] = json!(body);
        webhook["headers"]["x-hubspot-signature-v3"] = json!(signature);
        webhook["headers"]["x-hubspot-request-timestamp"] = json!(timestamp);
        webhook
    }

    pub fn signed_webhook(&self) -> Value {
        let contact = self
            .sandbox
            .records("contacts")
            .first()
            .map(|r| r.id.clone())
            .unwrap_or_else(|| "1".into());
        self.signed_webhook_for("contact.propertyChange", &contact)
    }

    /// An EventBridge `SyncRequested` for the world's tenant.
    pub fn sync_request_event(&self, mode: &str) -> Value {
        let mut event = sample("sync-requested.json");
        event["detail"]["tenant_id"] = json!(self.tenant.as_str());
        event["detail"]["mode"] = json!(mode);
        event
    }

    /// An EventBridge `TenantSynced` for the world's tenant.
    pub fn tenant_synced_event(&self) -> Value {
        let mut event = sample("tenant-synced.json");
        event["detail"]["tenant_id"] = json!(self.tenant.as_str());
        event
    }
}

/// Invokes `function` with `payload` and returns its response; panics with the function's log when
/// the invocation fails.
pub async fn invoke(function: &mut crate::functions::FunctionProcess, payload: &Value) -> Value {
    let outcome = function.invoke(payload).await;
    expect_response(&function.name, outcome, &function.log())
}

/// The single event the last step emitted, which must be a `detail_type` of ours.
pub async fn emitted_one(world: &World, detail_type: &str) -> Value {
    let events = world.emitted(1).await;
    assert_eq!(events.len(), 1, "expected one {detail_type}: {events:#?}");
    let event = events.into_iter().next().unwrap_or(Value::Null);
    assert_eq!(event["source"], EVENT_SOURCE);
    assert_eq!(event["detail-type"], detail_type, "{event:#}");
    event
}

/// The JSON body of an API Gateway response.
pub fn http_body(response: &Value) -> Value {
    let body = response["body"].as_str().unwrap_or_default();
    serde_json::from_str(body).unwrap_or(Value::Null)
}

/// The response of a successful invocation; panics with the function's log otherwise.
pub fn expect_response(function: &str, outcome: Result<Outcome, String>, log: &str) -> Value {
    match outcome {
        Ok(Outcome::Response(value)) => value,
        Ok(other) => panic!("{function} failed: {other:?}\nlog:\n{log}"),
        Err(error) => panic!("{error}"),
    }
}
