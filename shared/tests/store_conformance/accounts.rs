//! The conformance cases of account records (NinjaOne organisations, Pax8 companies, Microsoft 365
//! tenants), run against both adapters by the `conformance!` list of `store_conformance.rs`.

use super::{is_invalid_input, t0, tid, walk};
use chrono::Duration;
use shared::domain::{
    AccountIdentity, AccountRecord, AccountSignals, AlertSeverity, CloudSubscription,
    CloudSubscriptionStatus, CloudSubscriptions, ConnectionId, DeviceAlert, DeviceHealth,
    ItManagement, ManagedDevice, Platform,
};
use shared::ports::{PageRequest, Store};

fn conn_id(id: &str) -> ConnectionId {
    ConnectionId::parse(id).unwrap()
}

fn device(org: &str, n: usize) -> ManagedDevice {
    ManagedDevice {
        id: format!("{org}-dev-{n:05}"),
        serial: Some(format!("SN{:010}", 7_919 * n + org.len())),
        offline: n.is_multiple_of(7),
        last_contact: Some(t0() - Duration::minutes(n as i64)),
        health: Some(if n.is_multiple_of(11) {
            DeviceHealth::Unhealthy
        } else {
            DeviceHealth::Healthy
        }),
        failed_patches: (n % 4) as u32,
        antivirus_problem: n.is_multiple_of(13),
        seen_at: t0(),
    }
}

/// A NinjaOne organisation of `connection` with `devices` devices (and an alert on the first).
fn organisation(connection: &str, external_id: &str, devices: usize) -> AccountRecord {
    let devices: Vec<ManagedDevice> = (0..devices).map(|n| device(external_id, n)).collect();
    AccountRecord {
        connection_id: conn_id(connection),
        platform: Platform::Ninjaone,
        external_id: external_id.to_owned(),
        name: format!("Organisation {external_id}"),
        identity: AccountIdentity {
            website: Some("https://example.com".into()),
            email_domains: vec!["example.com".into()],
            reference_ids: vec!["101".into()],
            device_serials: devices.iter().filter_map(|d| d.serial.clone()).collect(),
            ..AccountIdentity::default()
        },
        signals: AccountSignals::ItManagement(ItManagement {
            alerts: devices
                .first()
                .map(|d| DeviceAlert {
                    id: format!("alert-{}", d.id),
                    device_id: Some(d.id.clone()),
                    severity: AlertSeverity::Critical,
                    created_at: t0(),
                    seen_at: t0(),
                })
                .into_iter()
                .collect(),
            devices,
            tickets: vec![],
            ticketing: true,
        }),
        seen_at: t0(),
        updated_at: t0(),
    }
}

/// A Pax8 company of `connection` with one subscription.
fn company(connection: &str, external_id: &str) -> AccountRecord {
    AccountRecord {
        connection_id: conn_id(connection),
        platform: Platform::Pax8,
        external_id: external_id.to_owned(),
        name: format!("Company {external_id}"),
        identity: AccountIdentity::default(),
        signals: AccountSignals::CloudSubscriptions(CloudSubscriptions {
            subscriptions: vec![CloudSubscription {
                id: format!("sub-{external_id}"),
                product_id: "p-1".into(),
                product_name: "Microsoft 365 Business Premium".into(),
                vendor: Some("Microsoft".into()),
                quantity: 12.0,
                status: CloudSubscriptionStatus::Active,
                billing_term: Some("Monthly".into()),
                start_date: None,
                end_date: None,
                unit_price: Some(22.0),
                updated_at: Some(t0()),
                quantity_history: vec![],
                seen_at: t0(),
            }],
        }),
        seen_at: t0(),
        updated_at: t0(),
    }
}

pub async fn unchanged_account_records_are_not_written_again<S: Store>(store: &S) {
    let acme = tid("acme");
    let odd = "odd#id%/ü 1";
    let accounts = vec![
        organisation("ninjaone-1", "A1", 3),
        organisation("ninjaone-1", "B2", 0),
        organisation("ninjaone-1", odd, 1),
    ];
    let first = store.put_accounts(&acme, &accounts).await.unwrap();
    assert_eq!((first.items_written, first.items_unchanged), (3, 0));
    let again = store.put_accounts(&acme, &accounts).await.unwrap();
    assert_eq!((again.items_written, again.items_unchanged), (0, 3));
    assert_eq!(again.write_requests, 0);

    let mut changed = accounts[1].clone();
    let mut step = organisation("ninjaone-1", "B2", 1);
    step.stamp_seen(t0() + Duration::hours(1));
    changed.merge(step);
    let report = store
        .put_accounts(&acme, &[accounts[0].clone(), changed.clone()])
        .await
        .unwrap();
    assert_eq!((report.items_written, report.items_unchanged), (1, 1));

    // In the order asked, missing ones left out, the escaped id read back as given.
    let ids: Vec<String> = [odd, "missing", "B2", "A1"].map(String::from).to_vec();
    let got = store
        .get_accounts(&acme, &conn_id("ninjaone-1"), &ids)
        .await
        .unwrap();
    assert_eq!(got, vec![accounts[2].clone(), changed, accounts[0].clone()]);
    // Another connection's, or another tenant's, view of the same ids is empty.
    assert!(store
        .get_accounts(&acme, &conn_id("ninjaone-2"), &ids)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .get_accounts(&tid("other"), &conn_id("ninjaone-1"), &ids)
        .await
        .unwrap()
        .is_empty());
    assert!(is_invalid_input(
        store
            .put_accounts(&acme, &[organisation("ninjaone-1", "", 0)])
            .await
    ));
}

pub async fn account_records_are_listed_deleted_and_kept_whole<S: Store>(store: &S) {
    let acme = tid("acme");
    let many: Vec<AccountRecord> = (0..230)
        .map(|n| company("pax8-1", &format!("C{n:04}")))
        .collect();
    store.put_accounts(&acme, &many).await.unwrap();
    // A connection whose id extends the first's must not be listed with it.
    let neighbours = vec![company("pax8-10", "C0000"), company("pax8-2", "Q")];
    store.put_accounts(&acme, &neighbours).await.unwrap();

    let listed = walk(40, |page| {
        let connection = conn_id("pax8-1");
        let acme = acme.clone();
        async move { store.list_accounts(&acme, &connection, &page).await }
    })
    .await;
    assert_eq!(listed, many, "every account once, in id order, whole");

    // A 3,000-device organisation round-trips whole (the DynamoDB item is compressed).
    let big = organisation("ninjaone-1", "BIG", 3_000);
    store
        .put_accounts(&acme, std::slice::from_ref(&big))
        .await
        .unwrap();
    let got = store
        .get_accounts(&acme, &conn_id("ninjaone-1"), &["BIG".to_owned()])
        .await
        .unwrap();
    assert_eq!(got, vec![big]);

    // Named ones go (absent ids count nothing), then the rest of the connection.
    let named: Vec<String> = ["C0001", "C0002", "gone"].map(String::from).to_vec();
    let deleted = store
        .delete_accounts(&acme, &conn_id("pax8-1"), &named)
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    assert!(store
        .get_accounts(&acme, &conn_id("pax8-1"), &named)
        .await
        .unwrap()
        .is_empty());
    let rest = store
        .delete_connection_accounts(&acme, &conn_id("pax8-1"))
        .await
        .unwrap();
    assert_eq!(rest, 228);
    assert_eq!(
        store
            .delete_connection_accounts(&acme, &conn_id("pax8-1"))
            .await
            .unwrap(),
        0
    );
    let left = store
        .list_accounts(&acme, &conn_id("pax8-1"), &PageRequest::first(10))
        .await
        .unwrap();
    assert!(left.items.is_empty() && left.next_cursor.is_none());
    let others = store
        .get_accounts(&acme, &conn_id("pax8-10"), &["C0000".to_owned()])
        .await
        .unwrap();
    assert_eq!(others.len(), 1, "another connection's accounts are kept");
    let big_kept = store
        .get_accounts(&acme, &conn_id("ninjaone-1"), &["BIG".to_owned()])
        .await
        .unwrap();
    assert_eq!(big_kept.len(), 1, "another connection's accounts are kept");
}
