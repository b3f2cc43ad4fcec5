//! The conformance cases of connections, payer records and correlations (run against both
//! adapters by the `conformance!` list of `store_conformance.rs`).

use super::{cid, is_invalid_input, t0, tid, walk};
use chrono::Duration;
use shared::domain::{
    ClientId, Connection, ConnectionId, ConnectionStatus, Correlation, CorrelationStatus,
    MatchEvidence, MatchMethod, Money, PayerRecord, Payment, PaymentKind, PaymentStatus, Platform,
    TenantId,
};
use shared::ports::{PageRequest, Store, StoreError};
use std::collections::BTreeSet;

fn conn_id(id: &str) -> ConnectionId {
    ConnectionId::parse(id).unwrap()
}

fn paypal_connection(tenant_id: &TenantId, id: &str) -> Connection {
    test_support::cross_platform::paypal_connection(tenant_id, id, t0())
}

fn payer(connection: &str, external_id: &str, payments: usize) -> PayerRecord {
    PayerRecord {
        connection_id: conn_id(connection),
        platform: Platform::Paypal,
        external_id: external_id.to_owned(),
        name: Some(format!("Payer {external_id}")),
        business_name: None,
        email_hash: Some(format!("{:064x}", external_id.len())),
        email_domain: Some("example.com".into()),
        reference_ids: vec![],
        payments: (0..payments)
            .map(|n| Payment {
                id: format!("TX-{external_id}-{n:06}"),
                kind: PaymentKind::Payment,
                status: PaymentStatus::Success,
                amount: Money {
                    value: 10.0 + n as f64,
                    currency: "EUR".into(),
                },
                at: t0() - Duration::hours(n as i64),
            })
            .collect(),
        invoices: vec![],
        disputes: vec![],
        subscriptions: vec![],
        updated_at: t0(),
    }
}

fn correlation(
    tenant_id: &TenantId,
    connection: &str,
    external_id: &str,
    client: ClientId,
    status: CorrelationStatus,
) -> Correlation {
    Correlation {
        tenant_id: tenant_id.clone(),
        client_id: client,
        platform: Platform::Paypal,
        connection_id: conn_id(connection),
        external_id: external_id.to_owned(),
        method: MatchMethod::EmailDomain,
        evidence: vec![MatchEvidence {
            method: MatchMethod::EmailDomain,
            source_value: "example.com".into(),
            client_value: "example.com".into(),
            score: 0.85,
            agrees: true,
        }],
        confidence: 0.85,
        status,
        decided_by: None,
        decided_at: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn key_of(c: &Correlation) -> (String, String, String) {
    (
        c.connection_id.to_string(),
        c.external_id.clone(),
        c.client_id.to_string(),
    )
}

pub async fn connections_are_created_once_updated_by_version_and_deleted<S: Store>(store: &S) {
    let acme = tid("acme");
    let second = paypal_connection(&acme, "paypal-2222");
    let first = paypal_connection(&acme, "paypal-1111");
    store.create_connection(&second).await.unwrap();
    store.create_connection(&first).await.unwrap();
    assert!(matches!(
        store.create_connection(&first).await,
        Err(StoreError::Conflict { .. })
    ));
    let listed = store.list_connections(&acme).await.unwrap();
    assert_eq!(listed, vec![first.clone(), second.clone()], "by id");
    assert!(store
        .list_connections(&tid("other"))
        .await
        .unwrap()
        .is_empty());

    let paused = Connection {
        status: ConnectionStatus::Paused,
        ..store.get_connection(&acme, &first.id).await.unwrap()
    };
    let updated = store.update_connection(&paused).await.unwrap();
    assert_eq!(updated.version, paused.version + 1);
    assert_eq!(
        store.get_connection(&acme, &first.id).await.unwrap(),
        updated
    );
    // A writer that read the old version loses.
    assert!(matches!(
        store.update_connection(&paused).await,
        Err(StoreError::Conflict { .. })
    ));
    let missing = paypal_connection(&acme, "paypal-none");
    assert!(matches!(
        store.update_connection(&missing).await,
        Err(StoreError::NotFound { .. })
    ));

    // Settings of another platform than the connection's are refused.
    let mismatched = Connection {
        platform: Platform::Hubspot,
        ..paypal_connection(&acme, "paypal-3333")
    };
    assert!(is_invalid_input(store.create_connection(&mismatched).await));

    store.delete_connection(&acme, &first.id).await.unwrap();
    store.delete_connection(&acme, &first.id).await.unwrap();
    assert!(matches!(
        store.get_connection(&acme, &first.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.list_connections(&acme).await.unwrap(), vec![second]);
}

pub async fn unchanged_payer_records_are_not_written_again<S: Store>(store: &S) {
    let acme = tid("acme");
    let payers = vec![
        payer("paypal-1", "A1", 2),
        payer("paypal-1", "B2", 0),
        payer("paypal-1", "odd#id%", 1),
    ];
    let first = store.put_payers(&acme, &payers).await.unwrap();
    assert_eq!((first.items_written, first.items_unchanged), (3, 0));
    let again = store.put_payers(&acme, &payers).await.unwrap();
    assert_eq!((again.items_written, again.items_unchanged), (0, 3));
    assert_eq!(again.write_requests, 0);

    let mut changed = payers[1].clone();
    changed.merge(payer("paypal-1", "B2", 1));
    let report = store
        .put_payers(&acme, &[payers[0].clone(), changed.clone()])
        .await
        .unwrap();
    assert_eq!((report.items_written, report.items_unchanged), (1, 1));

    // In the order asked, missing ones left out, the escaped id read back as given.
    let ids: Vec<String> = ["odd#id%", "missing", "B2", "A1"]
        .map(String::from)
        .to_vec();
    let got = store
        .get_payers(&acme, &conn_id("paypal-1"), &ids)
        .await
        .unwrap();
    assert_eq!(got, vec![payers[2].clone(), changed, payers[0].clone()]);
    // Another connection's, or another tenant's, view of the same ids is empty.
    assert!(store
        .get_payers(&acme, &conn_id("paypal-2"), &ids)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .get_payers(&tid("other"), &conn_id("paypal-1"), &ids)
        .await
        .unwrap()
        .is_empty());
    assert!(is_invalid_input(
        store.put_payers(&acme, &[payer("paypal-1", "", 0)]).await
    ));
}

pub async fn payer_records_of_a_connection_are_listed_and_deleted_alone<S: Store>(store: &S) {
    let acme = tid("acme");
    let many: Vec<PayerRecord> = (0..230)
        .map(|n| payer("paypal-1", &format!("P{n:04}"), 1))
        .collect();
    store.put_payers(&acme, &many).await.unwrap();
    // A connection whose id extends the first's must not be listed with it.
    let neighbours = vec![payer("paypal-10", "P0000", 0), payer("paypal-2", "Q", 0)];
    store.put_payers(&acme, &neighbours).await.unwrap();

    let listed = walk(40, |page| {
        let connection = conn_id("paypal-1");
        let acme = acme.clone();
        async move { store.list_payers(&acme, &connection, &page).await }
    })
    .await;
    let ids: Vec<&str> = listed.iter().map(|p| p.external_id.as_str()).collect();
    let expected: Vec<String> = (0..230).map(|n| format!("P{n:04}")).collect();
    assert_eq!(ids, expected.iter().map(String::as_str).collect::<Vec<_>>());

    // A payer with a long history round-trips whole (the DynamoDB item is compressed).
    let long = payer("paypal-2", "LONG", 3_000);
    store
        .put_payers(&acme, std::slice::from_ref(&long))
        .await
        .unwrap();
    let got = store
        .get_payers(&acme, &conn_id("paypal-2"), &["LONG".to_owned()])
        .await
        .unwrap();
    assert_eq!(got, vec![long]);

    let deleted = store
        .delete_connection_payers(&acme, &conn_id("paypal-1"))
        .await
        .unwrap();
    assert_eq!(deleted, 230);
    assert_eq!(
        store
            .delete_connection_payers(&acme, &conn_id("paypal-1"))
            .await
            .unwrap(),
        0
    );
    let left = store
        .list_payers(&acme, &conn_id("paypal-1"), &PageRequest::first(10))
        .await
        .unwrap();
    assert!(left.items.is_empty() && left.next_cursor.is_none());
    let others = store
        .get_payers(&acme, &conn_id("paypal-10"), &["P0000".to_owned()])
        .await
        .unwrap();
    assert_eq!(others.len(), 1, "another connection's payers are kept");
}

pub async fn correlations_list_by_status_by_client_and_by_record<S: Store>(store: &S) {
    let acme = tid("acme");
    let mut all = Vec::new();
    for n in 0..30 {
        let status = match n % 3 {
            0 => CorrelationStatus::Auto,
            1 => CorrelationStatus::NeedsReview,
            _ => CorrelationStatus::Confirmed,
        };
        all.push(correlation(
            &acme,
            "paypal-1",
            &format!("E{n:03}"),
            cid(n),
            status,
        ));
    }
    // One record with two candidate clients, and one record of another connection.
    all.push(correlation(
        &acme,
        "paypal-1",
        "E000",
        cid(99),
        CorrelationStatus::NeedsReview,
    ));
    all.push(correlation(
        &acme,
        "paypal-2",
        "E000",
        cid(0),
        CorrelationStatus::Auto,
    ));
    store.put_correlations(&acme, &all).await.unwrap();

    let everything = walk(7, |page| {
        let acme = acme.clone();
        async move { store.list_correlations(&acme, None, &page).await }
    })
    .await;
    let keys: Vec<_> = everything.iter().map(key_of).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "in key order");
    assert_eq!(keys.len(), all.len());

    let review = walk(4, |page| {
        let acme = acme.clone();
        async move {
            store
                .list_correlations(&acme, Some(CorrelationStatus::NeedsReview), &page)
                .await
        }
    })
    .await;
    assert_eq!(review.len(), 11);
    assert!(review
        .iter()
        .all(|c| c.status == CorrelationStatus::NeedsReview));

    let of_record = store
        .correlations_of_record(&acme, &conn_id("paypal-1"), "E000")
        .await
        .unwrap();
    let clients: BTreeSet<ClientId> = of_record.iter().map(|c| c.client_id.clone()).collect();
    assert_eq!(clients, BTreeSet::from([cid(0), cid(99)]));

    // Few clients (a query each) and many (the tenant's range) find the same.
    let few = store
        .correlations_for_clients(&acme, &[cid(0), cid(5)])
        .await
        .unwrap();
    let few_keys: BTreeSet<_> = few.iter().map(key_of).collect();
    assert_eq!(
        few_keys,
        BTreeSet::from([
            ("paypal-1".into(), "E000".into(), cid(0).to_string()),
            ("paypal-2".into(), "E000".into(), cid(0).to_string()),
            ("paypal-1".into(), "E005".into(), cid(5).to_string()),
        ])
    );
    let many_clients: Vec<ClientId> = (0..25).map(cid).collect();
    let many = store
        .correlations_for_clients(&acme, &many_clients)
        .await
        .unwrap();
    assert_eq!(many.len(), 26);

    // A decision moves a correlation to its new status list, and only there.
    let mut confirmed = all[1].clone();
    confirmed.status = CorrelationStatus::Confirmed;
    confirmed.decided_by = Some("user-1".into());
    confirmed.decided_at = Some(t0());
    store
        .put_correlations(&acme, &[confirmed.clone()])
        .await
        .unwrap();
    let review_now = store
        .list_correlations(
            &acme,
            Some(CorrelationStatus::NeedsReview),
            &PageRequest::first(100),
        )
        .await
        .unwrap();
    assert_eq!(review_now.items.len(), 10);
    assert!(!review_now
        .items
        .iter()
        .any(|c| key_of(c) == key_of(&confirmed)));
    let got = store
        .correlations_of_record(&acme, &conn_id("paypal-1"), "E001")
        .await
        .unwrap();
    assert_eq!(got, vec![confirmed]);

    let deleted = store
        .delete_connection_correlations(&acme, &conn_id("paypal-1"))
        .await
        .unwrap();
    assert_eq!(deleted, 31);
    let left = store
        .list_correlations(&acme, None, &PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(left.items.len(), 1);
    assert_eq!(left.items[0].connection_id, conn_id("paypal-2"));
    assert!(store
        .list_correlations(
            &acme,
            Some(CorrelationStatus::NeedsReview),
            &PageRequest::first(100)
        )
        .await
        .unwrap()
        .items
        .is_empty());
}

pub async fn cross_platform_entities_are_kept_per_tenant<S: Store>(store: &S) {
    let (a, b) = (tid("tenant-a"), tid("tenant-b"));
    store
        .create_connection(&paypal_connection(&a, "paypal-1"))
        .await
        .unwrap();
    // The same connection id is another tenant's own.
    store
        .create_connection(&paypal_connection(&b, "paypal-1"))
        .await
        .unwrap();
    store
        .delete_connection(&b, &conn_id("paypal-1"))
        .await
        .unwrap();
    assert!(store.get_connection(&a, &conn_id("paypal-1")).await.is_ok());

    store
        .put_payers(&a, &[payer("paypal-1", "X", 0)])
        .await
        .unwrap();
    assert_eq!(
        store
            .delete_connection_payers(&b, &conn_id("paypal-1"))
            .await
            .unwrap(),
        0
    );
    let kept = store
        .get_payers(&a, &conn_id("paypal-1"), &["X".to_owned()])
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);

    let of_a = correlation(&a, "paypal-1", "X", cid(1), CorrelationStatus::Auto);
    assert!(is_invalid_input(
        store
            .put_correlations(&b, std::slice::from_ref(&of_a))
            .await
    ));
    let out_of_range = Correlation {
        confidence: 1.5,
        ..of_a.clone()
    };
    assert!(is_invalid_input(
        store.put_correlations(&a, &[out_of_range]).await
    ));
    store.put_correlations(&a, &[of_a]).await.unwrap();
    assert!(store
        .list_correlations(&b, None, &PageRequest::first(10))
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(store
        .correlations_for_clients(&b, &[cid(1)])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .delete_connection_correlations(&b, &conn_id("paypal-1"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .correlations_of_record(&a, &conn_id("paypal-1"), "X")
            .await
            .unwrap()
            .len(),
        1
    );
}
