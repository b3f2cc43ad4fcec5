//! A tenant with data in every entity the archive holds, made by the product's own code where it
//! can be (scoring writes the scores, history and insights).

use crate::scoring_support::{client, days_ago, healthy, now};
use chrono::Duration;
use shared::bus::InProcessBus;
use shared::domain::{
    AuthKind, ClientId, Correlation, CorrelationStatus, InsightStatus, MatchMethod, SyncId,
    SyncMode, Tenant, TenantId,
};
use shared::events::{TenantSynced, SCHEMA_VERSION};
use shared::handlers::score::handle_tenant_synced;
use shared::ports::{InsightFilter, PageRequest, StatusChange, Store};

/// A time after every change `tenant_with_data` makes (its second scoring runs an hour after
/// `now()`, the insight is acknowledged after two): when the tests export.
pub fn after_data() -> chrono::DateTime<chrono::Utc> {
    now() + Duration::hours(3)
}

pub const CLIENTS: [&str; 4] = ["busy", "dormant", "rich", "quiet"];

pub fn tenant_id(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

/// An empty tenant, as an install creates it.
pub async fn empty_tenant<S: Store + ?Sized>(store: &S, id: &str) -> Tenant {
    let tenant = Tenant::connected(
        tenant_id(id),
        format!("Tenant {id}"),
        None,
        format!("ci/{id}"),
        AuthKind::PrivateApp,
        days_ago(90.0),
    );
    store.create_tenant(&tenant).await.unwrap();
    tenant
}

fn synced(tenant: &TenantId, at_minutes: i64) -> TenantSynced {
    TenantSynced {
        schema_version: SCHEMA_VERSION,
        tenant_id: tenant.clone(),
        sync_id: SyncId::parse(format!("sync-{at_minutes}")).unwrap(),
        mode: SyncMode::Full,
        started_at: now() + Duration::minutes(at_minutes - 2),
        finished_at: now() + Duration::minutes(at_minutes - 1),
        counts: Default::default(),
        changed_client_ids: CLIENTS
            .iter()
            .map(|c| ClientId::parse(*c).unwrap())
            .collect(),
        changed_clients: CLIENTS.len() as u64,
    }
}

/// Tenant `id` with settings of its own, four clients scored twice (so history has two points
/// each), insights (one acknowledged by a person), a PayPal connection and a match.
pub async fn tenant_with_data<S: Store + ?Sized>(store: &S, id: &str) -> Tenant {
    let mut tenant = empty_tenant(store, id).await;
    tenant.settings.history_retention_days = 365;
    tenant.matching.auto_link = 0.95;
    tenant.writeback.enabled = true;
    let tenant = store.update_tenant(&tenant).await.unwrap();

    let snapshots = vec![
        client("busy")
            .contacts(3)
            .sent_emails(10)
            .received_emails(8)
            .last_contacted(1.0)
            .build(),
        client("dormant")
            .contacts(2)
            .last_contacted(45.0)
            .note(45.0)
            .build(),
        healthy("rich", 52_000.0).build(),
        client("quiet").contacts(1).last_contacted(20.0).build(),
    ];
    store.put_snapshots(&tenant.id, &snapshots).await.unwrap();
    let bus = InProcessBus::new();
    handle_tenant_synced(store, &bus, &synced(&tenant.id, 0), now())
        .await
        .unwrap();
    handle_tenant_synced(
        store,
        &bus,
        &synced(&tenant.id, 60),
        now() + Duration::hours(1),
    )
    .await
    .unwrap();

    let insights = store
        .list_insights(
            &tenant.id,
            &InsightFilter::default(),
            &PageRequest::first(50),
        )
        .await
        .unwrap()
        .items;
    let first = insights.first().expect("scoring opened insights");
    store
        .change_insight_status(
            &tenant.id,
            &first.id,
            &StatusChange {
                reason: None,
                snoozed_until: None,
                status: InsightStatus::Acknowledged,
                changed_by: "admin-1".into(),
                changed_at: now() + Duration::hours(2),
                expected_version: first.version,
            },
        )
        .await
        .unwrap();

    let connection = test_support::cross_platform::paypal_connection(&tenant.id, "paypal-1", now());
    store.create_connection(&connection).await.unwrap();
    store
        .put_correlations(
            &tenant.id,
            &[Correlation {
                tenant_id: tenant.id.clone(),
                client_id: ClientId::parse("rich").unwrap(),
                platform: connection.platform,
                connection_id: connection.id.clone(),
                external_id: "PAYER-9".into(),
                method: MatchMethod::EmailDomain,
                evidence: Vec::new(),
                confidence: 0.93,
                status: CorrelationStatus::Confirmed,
                decided_by: Some("admin-1".into()),
                decided_at: Some(now()),
                created_at: days_ago(3.0),
                updated_at: now(),
            }],
        )
        .await
        .unwrap();
    tenant
}
