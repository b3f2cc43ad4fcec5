//! Connecting NinjaOne, Pax8 and Microsoft 365 through the API, against scripted account source
//! factories: credentials tried before anything is saved, a webhook secret kept with them, the
//! webhook registered (best effort) at the connection's own ingest URL, views without secrets, and
//! Microsoft 365 customer tenants added, removed and consented through a signed, single-use link.

use super::*;
use shared::domain::{
    AccountIdentity, AccountRecord, AccountSignals, NinjaoneRegion, Productivity,
};
use shared::ports::{AccountStore, AccountsSource, AccountsSourceFactory};

const CONSENTED: &str = "6f1c2d3e-0000-4000-8000-00000000ab12";
const OTHER_TENANT: &str = "0b7e9a41-1111-4111-8111-0000000000cd";

/// A platform's factory: accepts [`GOOD_SECRET`], says the platform is down for
/// [`UNREACHABLE_SECRET`], refuses the rest; records the webhooks it is asked to register.
struct ScriptedAccounts {
    platform: Platform,
    accepts_webhooks: bool,
    checks: AtomicUsize,
    registered: Mutex<Vec<(String, String, Option<String>)>>,
}

impl ScriptedAccounts {
    fn new(platform: Platform, accepts_webhooks: bool) -> Arc<Self> {
        Arc::new(Self {
            platform,
            accepts_webhooks,
            checks: AtomicUsize::new(0),
            registered: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait::async_trait]
impl AccountsSourceFactory for ScriptedAccounts {
    fn platform(&self) -> Platform {
        self.platform
    }

    async fn check_credentials(
        &self,
        settings: &ConnectionSettings,
        credentials: &ClientCredentials,
    ) -> Result<(), SourceError> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        assert_eq!(settings.platform(), self.platform);
        assert!(
            credentials.webhook_secret.is_none(),
            "no webhook secret before the credentials are accepted"
        );
        match credentials.client_secret.as_str() {
            GOOD_SECRET => Ok(()),
            UNREACHABLE_SECRET => Err(SourceError::Unavailable {
                message: "connect timeout".into(),
            }),
            _ => Err(SourceError::NeedsReauth {
                reason: "invalid_client".into(),
            }),
        }
    }

    async fn accounts_source(
        &self,
        _connection: &Connection,
    ) -> Result<Arc<dyn AccountsSource>, SourceError> {
        Err(SourceError::Unavailable {
            message: "not used by the API".into(),
        })
    }

    async fn register_webhook(
        &self,
        connection: &Connection,
        credentials: &ClientCredentials,
        url: &str,
    ) -> Result<bool, SourceError> {
        self.registered.lock().unwrap().push((
            connection.id.to_string(),
            url.to_string(),
            credentials.webhook_secret.clone(),
        ));
        if self.accepts_webhooks {
            Ok(true)
        } else {
            Err(SourceError::Rejected {
                status: 403,
                message: "missing scope".into(),
            })
        }
    }
}

struct Accounts {
    api: Api,
    ninjaone: Arc<ScriptedAccounts>,
    pax8: Arc<ScriptedAccounts>,
    m365: Arc<ScriptedAccounts>,
}

/// NinjaOne registers webhooks; Pax8 refuses to (the connection is made without).
async fn accounts_world() -> Accounts {
    let ninjaone = ScriptedAccounts::new(Platform::Ninjaone, true);
    let pax8 = ScriptedAccounts::new(Platform::Pax8, false);
    let m365 = ScriptedAccounts::new(Platform::M365, true);
    let sources = ConnectionSources::new()
        .with_payments(Platform::Paypal, Arc::new(OneKnownSecret::default()))
        .with_accounts(ninjaone.clone())
        .with_accounts(pax8.clone())
        .with_accounts(m365.clone());
    let api = Api::with_state(config_with(|_| None), move |state| {
        state.with_connection_sources(sources)
    });
    api.store.create_tenant(&tenant(TENANT)).await.unwrap();
    Accounts {
        api,
        ninjaone,
        pax8,
        m365,
    }
}

fn body(platform: &str, secret: &str, extra: Value) -> String {
    let mut body = json!({
        "platform": platform,
        "label": format!("{platform} main"),
        "client_id": "client-id-1",
        "client_secret": secret,
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body.to_string()
}

async fn create(api: &Api, body: &str) -> Value {
    let reply = api.call("POST", "/v1/connections", Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert!(!reply.text().contains(GOOD_SECRET));
    reply.json()
}

async fn stored_credentials(api: &Api, connection: &Connection) -> ClientCredentials {
    let secret = api
        .vault
        .get(&connection.credentials_secret_id)
        .await
        .unwrap();
    serde_json::from_str(secrecy::ExposeSecret::expose_secret(&secret.value)).unwrap()
}

#[tokio::test]
async fn a_ninjaone_connection_keeps_a_webhook_secret_and_registers_its_own_webhook() {
    let Accounts { api, ninjaone, .. } = accounts_world().await;
    let view = create(
        &api,
        &body("ninjaone", GOOD_SECRET, json!({"region": "eu"})),
    )
    .await;
    assert_eq!(view["platform"], "ninjaone");
    assert_eq!(view["region"], "eu");
    assert_eq!(view["webhook_registered"], true);
    assert_eq!(view["environment"], Value::Null);
    assert_eq!(view["customer_tenants"], Value::Null);
    assert!(view["id"].as_str().unwrap().starts_with("ninjaone-"));
    assert_eq!(ninjaone.checks.load(Ordering::SeqCst), 1);

    let stored = stored_connections(&api).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].settings,
        ConnectionSettings::Ninjaone {
            region: NinjaoneRegion::Eu
        }
    );
    assert_eq!(stored[0].webhook_registered, Some(true));
    let credentials = stored_credentials(&api, &stored[0]).await;
    assert_eq!(credentials.client_secret, GOOD_SECRET);
    let webhook_secret = credentials.webhook_secret.expect("a webhook secret");
    assert_eq!(webhook_secret.len(), 64);
    assert!(!view.to_string().contains(&webhook_secret));

    let registered = ninjaone.registered.lock().unwrap().clone();
    assert_eq!(registered.len(), 1);
    let (id, url, secret) = &registered[0];
    assert_eq!(id, view["id"].as_str().unwrap());
    assert_eq!(
        url,
        &format!("https://insights.example.com/webhooks/ninjaone/{TENANT}/{id}")
    );
    assert_eq!(secret.as_deref(), Some(webhook_secret.as_str()));

    let published = api.bus.published();
    assert_eq!(published.len(), 1, "the first sync is requested");
    assert_eq!(published[0].detail["connection_id"], view["id"]);
    assert_eq!(published[0].detail["mode"], "full");
}

#[tokio::test]
async fn a_pax8_webhook_the_platform_refuses_leaves_a_working_connection_saying_so() {
    let Accounts { api, pax8, .. } = accounts_world().await;
    let view = create(&api, &body("pax8", GOOD_SECRET, json!({}))).await;
    assert_eq!(view["webhook_registered"], false);
    assert_eq!(view["status"], "active");
    assert_eq!(pax8.registered.lock().unwrap().len(), 1);
    let listed = api.call("GET", "/v1/connections", None).await.json();
    assert_eq!(listed["items"][1]["webhook_registered"], false);
    assert_eq!(
        stored_connections(&api).await[0].webhook_registered,
        Some(false)
    );
}

#[tokio::test]
async fn refused_or_unreachable_credentials_save_nothing_on_every_platform() {
    let Accounts {
        api,
        ninjaone,
        pax8,
        m365,
    } = accounts_world().await;
    for (platform, extra, factory) in [
        ("ninjaone", json!({"region": "us"}), &ninjaone),
        ("pax8", json!({}), &pax8),
        ("m365", json!({"customer_tenants": []}), &m365),
    ] {
        let problem = api
            .call(
                "POST",
                "/v1/connections",
                Some(&body(platform, "wrong", extra.clone())),
            )
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            problem["type"], "/problems/credentials-refused",
            "{platform}"
        );
        assert!(!problem.to_string().contains("wrong\""), "{problem}");
        api.call(
            "POST",
            "/v1/connections",
            Some(&body(platform, UNREACHABLE_SECRET, extra)),
        )
        .await
        .problem(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(factory.checks.load(Ordering::SeqCst), 2, "{platform}");
        assert!(factory.registered.lock().unwrap().is_empty());
    }
    assert!(stored_connections(&api).await.is_empty());
    assert!(api.bus.published().is_empty());
}

#[tokio::test]
async fn each_platform_takes_its_own_members_and_tenant_ids_must_be_guids() {
    let Accounts {
        api,
        ninjaone,
        pax8,
        m365,
    } = accounts_world().await;
    let cases = [
        (body("ninjaone", GOOD_SECRET, json!({})), "region"),
        (
            body(
                "ninjaone",
                GOOD_SECRET,
                json!({"region": "eu", "environment": "live"}),
            ),
            "environment",
        ),
        (body("pax8", GOOD_SECRET, json!({"region": "eu"})), "region"),
        (
            body("pax8", GOOD_SECRET, json!({"customer_tenants": []})),
            "customer_tenants",
        ),
        (
            body(
                "m365",
                GOOD_SECRET,
                json!({"customer_tenants": [{"tenant_id": "contoso.onmicrosoft.com"}]}),
            ),
            "customer_tenants",
        ),
        (
            body(
                "m365",
                GOOD_SECRET,
                json!({"customer_tenants": [{"tenant_id": CONSENTED}, {"tenant_id": CONSENTED.to_uppercase()}]}),
            ),
            "customer_tenants",
        ),
        (body("paypal", GOOD_SECRET, json!({})), "environment"),
    ];
    for (body, field) in cases {
        let problem = api
            .call("POST", "/v1/connections", Some(&body))
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["field"], field, "{body}");
    }
    for factory in [&ninjaone, &pax8, &m365] {
        assert_eq!(factory.checks.load(Ordering::SeqCst), 0);
    }
    assert!(stored_connections(&api).await.is_empty());
}

#[tokio::test]
async fn a_platform_this_deployment_lacks_is_refused_saying_so() {
    let World { api, .. } = world().await; // PayPal only
    let problem = api
        .call(
            "POST",
            "/v1/connections",
            Some(&body("pax8", GOOD_SECRET, json!({}))),
        )
        .await
        .problem(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem["type"], "/problems/platform-not-configured");
    assert!(problem["detail"].as_str().unwrap().contains("Pax8"));
}

async fn m365_connection(api: &Api) -> (String, Value) {
    let view = create(
        api,
        &body(
            "m365",
            GOOD_SECRET,
            json!({"customer_tenants": [{"tenant_id": OTHER_TENANT, "label": "Globex"}]}),
        ),
    )
    .await;
    (view["id"].as_str().unwrap().to_string(), view)
}

#[tokio::test]
async fn microsoft_365_customer_tenants_are_listed_added_and_removed_with_their_records() {
    let Accounts { api, m365, .. } = accounts_world().await;
    let (id, view) = m365_connection(&api).await;
    assert_eq!(view["customer_tenants"][0]["tenant_id"], OTHER_TENANT);
    assert_eq!(view["customer_tenants"][0]["label"], "Globex");
    assert_eq!(view["webhook_registered"], Value::Null);
    assert!(
        m365.registered.lock().unwrap().is_empty(),
        "Microsoft 365 has no webhook to register"
    );

    let tenants = format!("/v1/connections/{id}/customer-tenants");
    let problem = api
        .call(
            "POST",
            &tenants,
            Some(&json!({"tenant_id": "not-a-guid"}).to_string()),
        )
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["field"], "tenant_id");
    let added = api
        .call(
            "POST",
            &tenants,
            Some(&json!({"tenant_id": CONSENTED.to_uppercase(), "label": "Acme"}).to_string()),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text());
    let listed = added.json()["customer_tenants"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[1]["tenant_id"], CONSENTED, "kept lower case");
    assert_eq!(listed[1]["label"], "Acme");

    // Removing a tenant removes the account read from it, and only that one.
    let connection_id = ConnectionId::parse(id.clone()).unwrap();
    let account = |external_id: &str| AccountRecord {
        connection_id: connection_id.clone(),
        platform: Platform::M365,
        external_id: external_id.to_string(),
        name: "Tenant".into(),
        identity: AccountIdentity::default(),
        signals: AccountSignals::Productivity(Productivity::default()),
        seen_at: now(),
        updated_at: now(),
    };
    api.store
        .put_accounts(
            &tenant_id(TENANT),
            &[account(OTHER_TENANT), account(CONSENTED)],
        )
        .await
        .unwrap();
    let removed = api
        .call("DELETE", &format!("{tenants}/{OTHER_TENANT}"), None)
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text());
    let left = removed.json()["customer_tenants"].clone();
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["tenant_id"], CONSENTED);
    let kept = api
        .store
        .get_accounts(
            &tenant_id(TENANT),
            &connection_id,
            &[OTHER_TENANT.to_string(), CONSENTED.to_string()],
        )
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].external_id, CONSENTED);
    // Removing it again changes nothing.
    let again = api
        .call("DELETE", &format!("{tenants}/{OTHER_TENANT}"), None)
        .await;
    assert_eq!(again.status, StatusCode::OK);

    // Other platforms have no customer tenants.
    let pax8 = create(&api, &body("pax8", GOOD_SECRET, json!({}))).await;
    api.call(
        "POST",
        &format!(
            "/v1/connections/{}/customer-tenants",
            pax8["id"].as_str().unwrap()
        ),
        Some(&json!({"tenant_id": CONSENTED}).to_string()),
    )
    .await
    .problem(StatusCode::CONFLICT);
}

fn query_of(url: &str) -> std::collections::BTreeMap<String, String> {
    let (_, query) = url.split_once('?').unwrap();
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

async fn consent_link(api: &Api, id: &str, request: Value) -> String {
    let reply = api
        .call(
            "POST",
            &format!("/v1/connections/{id}/consent-links"),
            Some(&request.to_string()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()["url"].as_str().unwrap().to_string()
}

fn callback(state: &str, tenant: &str) -> String {
    format!(
        "/oauth/m365/callback?admin_consent=True&tenant={tenant}&state={}",
        url::form_urlencoded::byte_serialize(state.as_bytes()).collect::<String>()
    )
}

#[tokio::test]
async fn an_admin_consent_link_records_the_consenting_tenant_once() {
    let Accounts { api, .. } = accounts_world().await;
    let (id, _) = m365_connection(&api).await;
    let url = consent_link(&api, &id, json!({"label": "Acme"})).await;
    assert!(
        url.starts_with("https://login.microsoftonline.com/organizations/adminconsent?"),
        "{url}"
    );
    let query = query_of(&url);
    assert_eq!(query["client_id"], "client-id-1");
    assert_eq!(
        query["redirect_uri"],
        "https://insights.example.com/oauth/m365/callback"
    );
    assert!(!url.contains(GOOD_SECRET));
    let state = query["state"].clone();

    let published_before = api.bus.published().len();
    let page = api.call("GET", &callback(&state, CONSENTED), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("Acme"));
    let stored = stored_connections(&api).await;
    let ConnectionSettings::M365 { customer_tenants } = &stored[0].settings else {
        panic!("not Microsoft 365");
    };
    let consented = customer_tenants
        .iter()
        .find(|t| t.tenant_id == CONSENTED)
        .expect("the consenting tenant is recorded");
    assert_eq!(consented.label.as_deref(), Some("Acme"));
    assert_eq!(consented.consented_at, Some(now()));
    let published = api.bus.published();
    assert_eq!(published.len(), published_before + 1, "a sync is requested");
    assert_eq!(
        published[published_before].detail["connection_id"],
        id.as_str()
    );

    // The link works once.
    let problem = api
        .call("GET", &callback(&state, CONSENTED), None)
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("expired or was already used"));
}

#[tokio::test]
async fn a_forged_refused_or_misdirected_consent_is_refused_and_records_nothing() {
    let Accounts { api, .. } = accounts_world().await;
    let (id, _) = m365_connection(&api).await;
    let url = consent_link(&api, &id, json!({"tenant_id": CONSENTED})).await;
    assert!(
        url.contains(&format!("/{CONSENTED}/adminconsent?")),
        "{url}"
    );
    let state = query_of(&url)["state"].clone();
    let before = stored_connections(&api).await;

    // A state signed by no connection of ours.
    let (payload, _) = state.split_once('.').unwrap();
    let forged = format!("{payload}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    api.call("GET", &callback(&forged, CONSENTED), None)
        .await
        .problem(StatusCode::BAD_REQUEST);
    api.call("GET", &callback("garbage", CONSENTED), None)
        .await
        .problem(StatusCode::BAD_REQUEST);
    // Consent given in another tenant than the link names.
    let problem = api
        .call("GET", &callback(&state, OTHER_TENANT), None)
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("another tenant"));
    // The administrator declined.
    api.call(
        "GET",
        &format!("/oauth/m365/callback?error=access_denied&state={state}"),
        None,
    )
    .await
    .problem(StatusCode::BAD_REQUEST);
    assert_eq!(stored_connections(&api).await, before);

    // The genuine answer still works: the refusals above did not use the link up.
    let page = api.call("GET", &callback(&state, CONSENTED), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
}

/// The client's page shows a linked account with its platform's short summary.
#[tokio::test]
async fn a_clients_page_summarises_its_linked_accounts() {
    use shared::domain::{
        ClientId, CorrelationStatus, DeviceAlert, HealthBand, HealthScore, ItManagement,
        ManagedDevice, Trend,
    };
    use shared::ports::{CorrelationStore, ScoreStore};
    let Accounts { api, .. } = accounts_world().await;
    let view = create(
        &api,
        &body("ninjaone", GOOD_SECRET, json!({"region": "us"})),
    )
    .await;
    let connection_id = conn_id(&view);
    let tenant = tenant_id(TENANT);
    let device = |id: &str, offline| ManagedDevice {
        id: id.into(),
        serial: None,
        offline,
        last_contact: None,
        health: None,
        failed_patches: 0,
        antivirus_problem: false,
        seen_at: now(),
    };
    let it = ItManagement {
        devices: vec![device("d1", false), device("d2", true)],
        alerts: vec![DeviceAlert {
            id: "a1".into(),
            device_id: Some("d2".into()),
            severity: shared::domain::AlertSeverity::Critical,
            created_at: now(),
            seen_at: now(),
        }],
        ..Default::default()
    };
    api.store
        .put_accounts(
            &tenant,
            &[AccountRecord {
                connection_id: connection_id.clone(),
                platform: Platform::Ninjaone,
                external_id: "org-7".into(),
                name: "Acme Org".into(),
                identity: AccountIdentity::default(),
                signals: AccountSignals::ItManagement(it),
                seen_at: now(),
                updated_at: now(),
            }],
        )
        .await
        .unwrap();
    let mut link = correlation(&connection_id, "org-7");
    link.platform = Platform::Ninjaone;
    link.status = CorrelationStatus::Confirmed;
    link.client_id = ClientId::parse("101").unwrap();
    api.store.put_correlations(&tenant, &[link]).await.unwrap();
    api.store
        .put_scores(
            &tenant,
            &[HealthScore {
                segment: None,
                settings_version: 0,
                sources: Default::default(),
                client_id: ClientId::parse("101").unwrap(),
                client_name: "Acme".into(),
                overall: 70,
                band: HealthBand::of(70),
                churn_risk: 30,
                dimensions: vec![],
                trend: Trend {
                    delta_7d: None,
                    delta_30d: None,
                },
                scored_at: now(),
                overrides: Vec::new(),
            }],
        )
        .await
        .unwrap();

    let page = api.call("GET", "/v1/clients/101", None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let records = page.json()["linked_records"].clone();
    assert_eq!(records.as_array().unwrap().len(), 1, "{records}");
    assert_eq!(records[0]["platform"], "ninjaone");
    assert_eq!(records[0]["name"], "Acme Org");
    assert_eq!(records[0]["status"], "confirmed");
    assert_eq!(
        records[0]["account"],
        json!({"kind": "it_management", "devices": 2, "offline_devices": 1, "open_critical_alerts": 1})
    );
}
