//! Erasure, end to end: each scope (contact, client, connection, tenant) run by the erasure handler
//! against both store adapters, with the proof that nothing of the subject remains: a scan of the
//! whole table (DynamoDB Local; the memory store's every row), the vault (moto's Secrets Manager
//! beside DynamoDB; the in-process vault beside memory) and the export bucket (an in-memory object
//! store). Then a big tenant erased over several invocations, the HubSpot uninstall trigger, and
//! the API (`POST /v1/erasures`, `GET /v1/erasures/{id}`, deleting a connection).
//!
//! The DynamoDB half needs `AWS_ENDPOINT_URL_DYNAMODB` and `AWS_ENDPOINT_URL_SECRETS_MANAGER`, and
//! fails without them.

#[path = "erasure/api.rs"]
mod api;
#[path = "erasure/proof.rs"]
mod proof;
#[path = "erasure/seed.rs"]
mod seed;

use chrono::{DateTime, Utc};
use proof::Inspector;
use seed::*;
use shared::bus::InProcessBus;
use shared::domain::{
    ClientId, ConnectionId, Erasure, ErasureId, ErasureStatus, ErasureTarget, TenantId,
};
use shared::events::ErasureRequested;
use shared::handlers::erasure::{handle_erasure_requested, ErasurePorts};
use shared::ports::{DownloadLink, ObjectError, ObjectStore, SecretVault, Store, VaultError};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The export bucket, in memory (the contract of `ports::ObjectStore`).
#[derive(Default)]
pub struct MemoryObjects(Mutex<BTreeMap<String, Vec<u8>>>);

impl MemoryObjects {
    fn keys(&self) -> Vec<String> {
        self.0.lock().unwrap().keys().cloned().collect()
    }
}

#[async_trait::async_trait]
impl ObjectStore for MemoryObjects {
    async fn put_object(&self, key: &str, body: Vec<u8>, _: &str) -> Result<(), ObjectError> {
        self.0.lock().unwrap().insert(key.to_owned(), body);
        Ok(())
    }

    async fn get_object(&self, key: &str) -> Result<Vec<u8>, ObjectError> {
        self.0
            .lock()
            .unwrap()
            .get(key)
            .cloned()
            .ok_or_else(|| ObjectError::NotFound(key.to_owned()))
    }

    async fn list_objects(&self, prefix: &str) -> Result<Vec<String>, ObjectError> {
        Ok(self
            .keys()
            .into_iter()
            .filter(|k| k.starts_with(prefix))
            .collect())
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<u64, ObjectError> {
        let mut objects = self.0.lock().unwrap();
        let before = objects.len();
        objects.retain(|key, _| !key.starts_with(prefix));
        Ok((before - objects.len()) as u64)
    }

    async fn download_link(
        &self,
        key: &str,
        _: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<DownloadLink, ObjectError> {
        Ok(DownloadLink {
            url: format!("memory://{key}"),
            expires_at,
        })
    }
}

/// One adapter's store, vault, bucket and bus, and a way to read everything the store holds.
pub struct World {
    pub store: Arc<dyn Store>,
    /// The same store as ingest sees it.
    pub ingest_store: Arc<dyn shared::ingest::handler::IngestStore>,
    pub vault: Arc<dyn SecretVault>,
    pub objects: Arc<MemoryObjects>,
    pub bus: InProcessBus,
    pub inspector: Inspector,
}

impl World {
    pub fn memory() -> Self {
        let (store, inspector) = proof::memory_store();
        let store = Arc::new(store);
        World {
            store: store.clone(),
            ingest_store: store,
            vault: Arc::new(shared::vault::InProcessVault::new()),
            objects: Arc::default(),
            bus: InProcessBus::new(),
            inspector,
        }
    }

    /// DynamoDB Local (a fresh table) and moto's Secrets Manager.
    pub async fn dynamo() -> Self {
        let client = test_support::dynamodb().await;
        let name = test_support::unique_name("erasure");
        shared::store::table::create_table(&client, &name)
            .await
            .unwrap_or_else(|e| panic!("cannot create table {name} in DynamoDB Local: {e}"));
        let store = shared::store::DynamoStore::new(client, name);
        let vault = shared::vault::SecretsManagerVault::new(test_support::secrets_manager().await);
        let shared_store = Arc::new(store.clone());
        World {
            store: shared_store.clone(),
            ingest_store: shared_store,
            vault: Arc::new(vault),
            objects: Arc::default(),
            bus: InProcessBus::new(),
            inspector: Inspector::Dynamo(store),
        }
    }

    fn ports(&self) -> ErasurePorts<'_> {
        ErasurePorts {
            vault: self.vault.as_ref(),
            objects: Some(self.objects.as_ref()),
        }
    }

    /// Asks for the erasure of `target` and runs it (continuations included) until it finishes.
    pub async fn erase(&self, tenant_id: &TenantId, target: ErasureTarget) -> Erasure {
        let erasure = Erasure::request(
            ErasureId::generate(),
            tenant_id.clone(),
            target,
            "test",
            Utc::now(),
        );
        self.store.put_erasure(&erasure).await.unwrap();
        self.run(tenant_id, &erasure.id, Duration::from_secs(600))
            .await
    }

    /// Runs the erasure, each invocation with `budget`, following its continuations.
    pub async fn run(&self, tenant_id: &TenantId, id: &ErasureId, budget: Duration) -> Erasure {
        let request = ErasureRequested::new(tenant_id.clone(), id.clone(), Utc::now());
        for _ in 0..1_000 {
            let erasure = handle_erasure_requested(
                self.store.as_ref(),
                &self.bus,
                self.ports(),
                &request,
                Instant::now() + budget,
                Utc::now(),
            )
            .await
            .unwrap();
            if erasure.is_finished() {
                return erasure;
            }
        }
        panic!("the erasure never finished");
    }

    /// The secrets of `ids` still in the vault.
    pub async fn secrets_left(&self, ids: &[String]) -> Vec<String> {
        let mut left = Vec::new();
        for id in ids {
            match self.vault.get(id).await {
                Ok(_) => left.push(id.clone()),
                Err(VaultError::NotFound(_)) => {}
                Err(error) => panic!("reading {id}: {error}"),
            }
        }
        left
    }
}

/// Items naming `needle`, other than erasures (which name their subject on purpose: an internal
/// id, or a contact's salted hash, never a contact id).
async fn left_naming(world: &World, needle: &str) -> Vec<String> {
    world
        .inspector
        .naming(needle)
        .await
        .into_iter()
        .filter(|item| !item.kept_by_design())
        .map(|item| format!("{} {}", item.pk, item.sk))
        .collect()
}

fn sorted_keys(items: Vec<proof::ItemText>) -> Vec<String> {
    let mut keys: Vec<String> = items.into_iter().map(|i| i.sk).collect();
    keys.sort();
    keys
}

/// Every `ErasureRequested` the bus carried, in order.
pub fn erasure_requests(bus: &InProcessBus) -> Vec<ErasureRequested> {
    bus.published()
        .into_iter()
        .filter(|event| event.detail_type == "ErasureRequested")
        .map(|event| serde_json::from_value(event.detail).expect("an ErasureRequested detail"))
        .collect()
}

// ---- the scenarios, each on both adapters ---------------------------------------------------

async fn tenant_erasure_leaves_nothing_of_the_tenant(world: World) {
    let acme = world_seed(&world, "acme").await;
    let beta = world_seed(&world, "beta").await;
    let beta_before = sorted_keys(world.inspector.partition(&beta.tenant_id).await);

    let erasure = world.erase(&acme.tenant_id, ErasureTarget::Tenant).await;

    assert_eq!(erasure.status, ErasureStatus::Completed, "{erasure:?}");
    let left = left_naming(&world, acme.tenant_id.as_str()).await;
    assert!(
        left.is_empty(),
        "items of the erased tenant remain: {left:?}"
    );
    let kept: Vec<_> = world.inspector.partition(&acme.tenant_id).await;
    assert!(
        kept.iter().all(|item| item.kept_by_design()),
        "only the erasure (its receipt) stays: {:?}",
        kept.iter().map(|i| &i.sk).collect::<Vec<_>>()
    );
    assert_eq!(
        world.secrets_left(&acme.secret_ids).await,
        Vec::<String>::new()
    );
    assert!(world
        .objects
        .keys()
        .iter()
        .all(|key| !key.starts_with(&format!("{}/", acme.tenant_id))));
    assert_eq!(
        world.store.tenant_by_portal(acme.portal_id).await.unwrap(),
        None,
        "a webhook of its portal finds no tenant"
    );
    let active = world
        .store
        .list_active_tenants(&shared::ports::PageRequest::first(200))
        .await
        .unwrap();
    assert!(
        active.items.iter().all(|t| t.id != acme.tenant_id),
        "the schedule no longer fans out to it"
    );
    // The other tenant is untouched.
    assert_eq!(
        sorted_keys(world.inspector.partition(&beta.tenant_id).await),
        beta_before
    );
    assert_eq!(world.secrets_left(&beta.secret_ids).await, beta.secret_ids);
    assert!(beta
        .object_keys
        .iter()
        .all(|key| world.objects.keys().contains(key)));
    // The counts say what went, by kind.
    assert_eq!(erasure.counts.get("secret"), Some(&3));
    assert_eq!(erasure.counts.get("export_object"), Some(&2));
    for entity in [
        "tenant",
        "snapshot",
        "score",
        "history",
        "insight",
        "payer_record",
    ] {
        assert!(
            erasure.counts.get(entity).is_some_and(|n| *n > 0),
            "{entity}: {:?}",
            erasure.counts
        );
    }
    let receipt = serde_json::to_string(&erasure.receipt()).unwrap();
    assert!(receipt.contains("\"scope\":\"tenant\""), "{receipt}");
}

async fn client_erasure_leaves_nothing_of_the_client(world: World) {
    let acme = world_seed(&world, "acme").await;
    let beta = world_seed(&world, "beta").await;
    let beta_before = sorted_keys(world.inspector.partition(&beta.tenant_id).await);

    let erasure = world
        .erase(&acme.tenant_id, ErasureTarget::Client(cid(CLIENT_A)))
        .await;

    assert_eq!(erasure.status, ErasureStatus::Completed, "{erasure:?}");
    let acme_items = world.inspector.partition(&acme.tenant_id).await;
    let naming_a: Vec<&String> = acme_items
        .iter()
        .filter(|item| !item.kept_by_design())
        .filter(|item| item.text.contains(CLIENT_A) || item.text.contains(PAYER_OF_A))
        .map(|item| &item.sk)
        .collect();
    assert!(
        naming_a.is_empty(),
        "items of the client remain: {naming_a:?}"
    );
    // Client B keeps everything, including what it shared with A.
    let store = world.store.as_ref();
    let acme_id = &acme.tenant_id;
    assert_eq!(
        store
            .contact_clients(acme_id, &[CONTACT_SHARED.to_owned()])
            .await
            .unwrap(),
        vec![(CONTACT_SHARED.to_owned(), vec![cid(CLIENT_B)])]
    );
    assert!(store
        .contact_clients(acme_id, &[CONTACT_ONLY_A.to_owned()])
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .get_score(acme_id, &cid(CLIENT_B))
        .await
        .unwrap()
        .is_some());
    let rule = store
        .get_alert_rule(acme_id, &shared::domain::AlertRuleId::parse(RULE).unwrap())
        .await
        .unwrap();
    assert_eq!(
        rule.scope,
        shared::domain::AlertScope::Clients {
            client_ids: vec![cid(CLIENT_B)]
        }
    );
    let digest = store.get_delivery(acme_id, "dlv-ab").await.unwrap();
    assert_eq!(digest.map(|d| d.client_ids), Some(vec![cid(CLIENT_B)]));
    let connection = ConnectionId::parse(CONNECTION).unwrap();
    let payers = store
        .get_payers(
            acme_id,
            &connection,
            &[
                PAYER_OF_A.to_owned(),
                PAYER_IN_REVIEW.to_owned(),
                PAYER_OF_B.to_owned(),
            ],
        )
        .await
        .unwrap();
    let mut payer_ids: Vec<&str> = payers.iter().map(|p| p.external_id.as_str()).collect();
    payer_ids.sort();
    assert_eq!(
        payer_ids,
        [PAYER_OF_B, PAYER_IN_REVIEW],
        "the linked payer goes with the client; a candidate in review is another business's"
    );
    assert_eq!(world.secrets_left(&acme.secret_ids).await, acme.secret_ids);
    assert_eq!(
        sorted_keys(world.inspector.partition(&beta.tenant_id).await),
        beta_before,
        "the same client id in another tenant is another client"
    );
    assert_eq!(erasure.subject, CLIENT_A);
    assert_eq!(erasure.counts.get("payer_record"), Some(&1));
    assert_eq!(erasure.counts.get("correlation"), Some(&2));
    assert_eq!(erasure.counts.get("history"), Some(&2));
}

async fn contact_erasure_leaves_nothing_of_the_person(world: World) {
    let acme = world_seed(&world, "acme").await;

    let erasure = world
        .erase(
            &acme.tenant_id,
            ErasureTarget::Contact(CONTACT_SHARED.into()),
        )
        .await;

    assert_eq!(erasure.status, ErasureStatus::Completed, "{erasure:?}");
    // Not even the erasure names the person: it keeps a salted hash.
    let everywhere = world.inspector.naming(CONTACT_SHARED).await;
    assert!(
        everywhere.is_empty(),
        "the contact remains in: {:?}",
        everywhere.iter().map(|i| &i.sk).collect::<Vec<_>>()
    );
    assert!(!serde_json::to_string(&erasure.receipt())
        .unwrap()
        .contains(CONTACT_SHARED));
    // The other contact and the clients' activity stay.
    assert!(!world.inspector.naming(CONTACT_ONLY_A).await.is_empty());
    let snapshots = world
        .store
        .get_snapshots(&acme.tenant_id, &[cid(CLIENT_A), cid(CLIENT_B)])
        .await
        .unwrap();
    assert_eq!(snapshots.len(), 2);
    assert!(snapshots.iter().all(|s| s.engagements.len() == 1));
    assert_eq!(erasure.counts.get("snapshot.rewritten"), Some(&2));
    assert_eq!(erasure.counts.get("contact_index"), Some(&1));
}

async fn connection_erasure_leaves_nothing_of_the_connection(world: World) {
    let acme = world_seed(&world, "acme").await;

    let erasure = world
        .erase(
            &acme.tenant_id,
            ErasureTarget::Connection(ConnectionId::parse(CONNECTION).unwrap()),
        )
        .await;

    assert_eq!(erasure.status, ErasureStatus::Completed, "{erasure:?}");
    let left = left_naming(&world, CONNECTION).await;
    assert!(left.is_empty(), "items of the connection remain: {left:?}");
    let connection_secret = acme.secret_ids[1].clone();
    assert!(connection_secret.contains(CONNECTION));
    assert_eq!(
        world.secrets_left(&acme.secret_ids).await,
        vec![acme.secret_ids[0].clone(), acme.secret_ids[2].clone()],
        "only the connection's secret goes"
    );
    assert!(world
        .store
        .get_score(&acme.tenant_id, &cid(CLIENT_A))
        .await
        .unwrap()
        .is_some());
    assert_eq!(erasure.counts.get("payer_record"), Some(&3));
    assert_eq!(erasure.counts.get("sync_run"), Some(&1));
    assert_eq!(erasure.counts.get("lease"), Some(&1));
}

async fn world_seed(world: &World, prefix: &str) -> Seeded {
    seed::tenant(
        world.store.as_ref(),
        world.vault.as_ref(),
        world.objects.as_ref(),
        &tenant_id(prefix),
    )
    .await
}

macro_rules! on_both_adapters {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(super::World::memory()).await;
                }
            )*
        }

        mod dynamodb {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(super::World::dynamo().await).await;
                }
            )*
        }
    };
}

on_both_adapters!(
    tenant_erasure_leaves_nothing_of_the_tenant,
    client_erasure_leaves_nothing_of_the_client,
    contact_erasure_leaves_nothing_of_the_person,
    connection_erasure_leaves_nothing_of_the_connection,
);

// ---- a big tenant, over several invocations -------------------------------------------------

#[tokio::test]
async fn a_big_tenant_is_erased_over_continuations_that_always_progress() {
    let world = World::memory();
    let acme = world_seed(&world, "acme").await;
    let points: Vec<_> = (0..1_000)
        .map(|minutes| shared::domain::ScorePoint {
            settings_version: 0,
            as_scored: None,
            parts: Vec::new(),
            client_id: cid(CLIENT_B),
            at: t0() - chrono::Duration::minutes(minutes),
            overall: 50,
            churn_risk: 10,
            crm: None,
            payment: None,
            usage: None,
            support: None,
            overrides: Vec::new(),
        })
        .collect();
    world
        .store
        .append_history(&acme.tenant_id, &points, 3650)
        .await
        .unwrap();
    let erasure = Erasure::request(
        ErasureId::generate(),
        acme.tenant_id.clone(),
        ErasureTarget::Tenant,
        "test",
        Utc::now(),
    );
    world.store.put_erasure(&erasure).await.unwrap();

    // No time at all: each invocation erases one page, saves, and asks for a continuation.
    let done = world
        .run(&acme.tenant_id, &erasure.id, Duration::ZERO)
        .await;

    assert_eq!(done.status, ErasureStatus::Completed);
    assert!(
        done.invocations >= 6,
        "1,000+ items in pages of 200 take several invocations: {}",
        done.invocations
    );
    let continuations = erasure_requests(&world.bus)
        .iter()
        .filter(|r| r.erasure_id == erasure.id)
        .count();
    assert_eq!(continuations as u32, done.invocations - 1);
    assert_eq!(done.counts.get("history"), Some(&1_003));
    let left = left_naming(&world, acme.tenant_id.as_str()).await;
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn an_erasure_already_finished_is_not_run_again() {
    let world = World::memory();
    let acme = world_seed(&world, "acme").await;
    let first = world
        .erase(&acme.tenant_id, ErasureTarget::Client(cid(CLIENT_A)))
        .await;
    let again = world
        .run(&acme.tenant_id, &first.id, Duration::from_secs(60))
        .await;
    assert_eq!(again, first);
}

#[tokio::test]
async fn a_tenant_erasure_without_an_export_bucket_fails_clearly_before_deleting_items() {
    let world = World::memory();
    let acme = world_seed(&world, "acme").await;
    let erasure = Erasure::request(
        ErasureId::generate(),
        acme.tenant_id.clone(),
        ErasureTarget::Tenant,
        "test",
        Utc::now(),
    );
    world.store.put_erasure(&erasure).await.unwrap();
    let request = ErasureRequested::new(acme.tenant_id.clone(), erasure.id.clone(), Utc::now());
    let failed = handle_erasure_requested(
        world.store.as_ref(),
        &world.bus,
        ErasurePorts {
            vault: world.vault.as_ref(),
            objects: None,
        },
        &request,
        Instant::now() + Duration::from_secs(60),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(failed.status, ErasureStatus::Failed);
    assert!(failed.error.unwrap_or_default().contains("export bucket"));
    assert_eq!(
        world
            .store
            .get_erasure(&acme.tenant_id, &erasure.id)
            .await
            .unwrap()
            .status,
        ErasureStatus::Failed
    );
}

// ---- the HubSpot uninstall --------------------------------------------------------------------

#[tokio::test]
async fn hubspot_uninstalling_the_app_starts_the_tenants_erasure() {
    use shared::ingest::handler::{process_delivery, IngestState};
    let world = World::memory();
    let acme = world_seed(&world, "acme").await;
    let state = IngestState::new(
        world.ingest_store.clone(),
        Arc::new(world.bus.clone()),
        secrecy::SecretString::from("app-secret".to_string()),
        shared::config::PublicBaseUrl::parse("https://insights.example.com").unwrap(),
    );
    let events = shared::sources::hubspot::webhook::event::parse_delivery(
        serde_json::json!([{
            "eventId": 77,
            "portalId": acme.portal_id,
            "appId": 1234,
            "occurredAt": 1_764_583_200_000_i64,
            "subscriptionType": "app_lifecycle_event",
            "eventTypeId": "4-1916193",
            "attemptNumber": 0
        }])
        .to_string()
        .as_bytes(),
    )
    .unwrap();

    let outcome = process_delivery(&state, events, Utc::now()).await.unwrap();

    assert_eq!(outcome.tenants_erased, 1);
    assert_eq!(outcome.sync_requests, 0);
    let requested = erasure_requests(&world.bus);
    assert_eq!(requested.len(), 1);
    let pending = world
        .store
        .get_erasure(&acme.tenant_id, &requested[0].erasure_id)
        .await
        .unwrap();
    assert_eq!(pending.requested_by, "hubspot-uninstall");
    assert_eq!(pending.scope, shared::domain::ErasureScope::Tenant);
    let done = world
        .run(&acme.tenant_id, &pending.id, Duration::from_secs(60))
        .await;
    assert_eq!(done.status, ErasureStatus::Completed);
    assert!(left_naming(&world, acme.tenant_id.as_str())
        .await
        .is_empty());
}

#[test]
fn ids_used_here_do_not_contain_each_other() {
    // The text search above would be fooled by one id inside another.
    let ids = [
        CLIENT_A,
        CLIENT_B,
        CONTACT_ONLY_A,
        CONTACT_SHARED,
        CONNECTION,
        PAYER_OF_A,
        PAYER_IN_REVIEW,
        PAYER_OF_B,
    ];
    for a in ids {
        for b in ids {
            assert!(a == b || !a.contains(b), "{a} contains {b}");
        }
    }
    let _: Option<ClientId> = None;
}
