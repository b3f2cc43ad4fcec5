//! The matching step of the score function: records of other platforms linked to clients, written
//! once, and a person's decision kept across runs; accounts of account-like connections (NinjaOne,
//! Pax8, Microsoft 365) matched beside payers.

use chrono::{TimeZone, Utc};
use shared::domain::{
    AccountIdentity, AccountRecord, AccountSignals, Connection, ConnectionId, ConnectionSettings,
    CorrelationStatus, ItManagement, MatchMethod, NinjaoneRegion, Platform, TenantStatus,
};
use shared::handlers::correlate::correlate_tenant;
use shared::ports::{
    AccountStore, ConnectionStore, CorrelationStore, PageRequest, PayerStore, SnapshotStore,
    TenantStore,
};
use shared::store::MemoryStore;
use test_support::cross_platform::{client, payer, paypal_connection};
use test_support::fixtures::tenant;

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

async fn correlations(
    store: &MemoryStore,
    tenant: &shared::domain::Tenant,
) -> Vec<shared::domain::Correlation> {
    store
        .list_correlations(&tenant.id, None, &PageRequest::first(200))
        .await
        .unwrap()
        .items
}

fn clients() -> Vec<shared::domain::ClientSnapshot> {
    vec![
        client("101", "Northwind Traders", Some("northwind.com"), at()),
        client("102", "Contoso Ltd", Some("contoso.com"), at()),
        client("103", "Fabrikam", Some("fabrikam.io"), at()),
    ]
}

async fn seeded() -> (MemoryStore, shared::domain::Tenant) {
    let store = MemoryStore::new();
    let tenant = tenant("acme-msp", Some(7), TenantStatus::Active, at());
    store.create_tenant(&tenant).await.unwrap();
    store.put_snapshots(&tenant.id, &clients()).await.unwrap();
    let connection = paypal_connection(&tenant.id, "paypal-1", at());
    store.create_connection(&connection).await.unwrap();
    store
        .put_payers(
            &tenant.id,
            &[
                // The merchant put the HubSpot company id in `custom_id`.
                payer(
                    &connection,
                    "P-ID",
                    Some("Northwind"),
                    Some("gmail.com"),
                    &["101"],
                    at(),
                ),
                // A free-mail payer with the company's name: never linked by itself.
                payer(
                    &connection,
                    "P-FREE",
                    Some("Contoso Ltd."),
                    Some("gmail.com"),
                    &[],
                    at(),
                ),
                // Nothing in common with any client.
                payer(
                    &connection,
                    "P-NONE",
                    Some("Wide World Importers"),
                    Some("wwi.example"),
                    &[],
                    at(),
                ),
            ],
        )
        .await
        .unwrap();
    (store, tenant)
}

#[tokio::test]
async fn records_link_by_their_strongest_evidence_and_a_second_run_writes_nothing() {
    let (store, tenant) = seeded().await;
    let first = correlate_tenant(&store, &tenant, &clients(), at())
        .await
        .unwrap();
    assert_eq!((first.clients, first.records), (3, 3));
    let rows = correlations(&store, &tenant).await;
    let explicit = rows
        .iter()
        .find(|c| c.external_id == "P-ID")
        .expect("P-ID matched");
    assert_eq!(explicit.client_id.as_str(), "101");
    assert_eq!(explicit.method, MatchMethod::ExplicitId);
    assert_eq!(explicit.status, CorrelationStatus::Auto);
    assert_eq!(explicit.confidence, 1.0);
    for row in rows.iter().filter(|c| c.external_id == "P-FREE") {
        assert_ne!(
            row.status,
            CorrelationStatus::Auto,
            "a free-mail payer linked itself: {row:?}"
        );
    }
    assert!(rows.iter().all(|c| c.external_id != "P-NONE"));
    assert_eq!(first.linked, 1);

    let second = correlate_tenant(&store, &tenant, &clients(), at())
        .await
        .unwrap();
    assert_eq!(
        second.written, 0,
        "an unchanged tenant rewrote correlations"
    );
    assert_eq!(second.linked, 1);
}

#[tokio::test]
async fn a_rejected_link_stays_rejected_after_the_next_run() {
    let (store, tenant) = seeded().await;
    correlate_tenant(&store, &tenant, &clients(), at())
        .await
        .unwrap();
    let mut rejected = correlations(&store, &tenant)
        .await
        .into_iter()
        .find(|c| c.external_id == "P-ID")
        .unwrap();
    rejected.status = CorrelationStatus::Rejected;
    rejected.decided_by = Some("user-1".into());
    rejected.decided_at = Some(at());
    store
        .put_correlations(&tenant.id, &[rejected])
        .await
        .unwrap();

    let report = correlate_tenant(
        &store,
        &tenant,
        &clients(),
        at() + chrono::Duration::hours(1),
    )
    .await
    .unwrap();
    let row = correlations(&store, &tenant)
        .await
        .into_iter()
        .find(|c| c.external_id == "P-ID" && c.client_id.as_str() == "101")
        .unwrap();
    assert_eq!(row.status, CorrelationStatus::Rejected);
    assert_eq!(row.decided_by.as_deref(), Some("user-1"));
    assert_eq!(report.linked, 0);
}

#[tokio::test]
async fn a_tenant_without_other_platforms_is_left_alone() {
    let store = MemoryStore::new();
    let tenant = tenant("hubspot-only", Some(8), TenantStatus::Active, at());
    store.create_tenant(&tenant).await.unwrap();
    let solo = [client("1", "Solo", Some("solo.com"), at())];
    store.put_snapshots(&tenant.id, &solo).await.unwrap();
    let report = correlate_tenant(&store, &tenant, &solo, at())
        .await
        .unwrap();
    assert_eq!(report, Default::default());
    assert!(correlations(&store, &tenant).await.is_empty());
}

#[tokio::test]
async fn accounts_of_account_like_connections_are_matched_beside_payers() {
    let (store, tenant) = seeded().await;
    let ninjaone = Connection {
        id: ConnectionId::parse("ninjaone-1").unwrap(),
        platform: Platform::Ninjaone,
        settings: ConnectionSettings::Ninjaone {
            region: NinjaoneRegion::Eu,
        },
        ..paypal_connection(&tenant.id, "ninjaone-1", at())
    };
    store.create_connection(&ninjaone).await.unwrap();
    // A NinjaOne organisation whose custom field holds Contoso's HubSpot company id.
    let organisation = AccountRecord {
        connection_id: ninjaone.id.clone(),
        platform: Platform::Ninjaone,
        external_id: "org-7".into(),
        name: "CONTOSO - main office".into(),
        identity: AccountIdentity {
            reference_ids: vec!["102".into()],
            ..AccountIdentity::default()
        },
        signals: AccountSignals::ItManagement(ItManagement::default()),
        seen_at: at(),
        updated_at: at(),
    };
    store
        .put_accounts(&tenant.id, &[organisation])
        .await
        .unwrap();

    let report = correlate_tenant(&store, &tenant, &clients(), at())
        .await
        .unwrap();

    assert_eq!(report.records, 4, "three payers and one organisation");
    let rows = correlations(&store, &tenant).await;
    let linked = rows
        .iter()
        .find(|c| c.external_id == "org-7")
        .expect("the organisation matched");
    assert_eq!(linked.connection_id, ninjaone.id);
    assert_eq!(linked.platform, Platform::Ninjaone);
    assert_eq!(linked.client_id.as_str(), "102");
    assert_eq!(linked.method, MatchMethod::ExplicitId);
    assert_eq!(linked.status, CorrelationStatus::Auto);
    assert_eq!(report.linked, 2, "P-ID and the organisation");
}
