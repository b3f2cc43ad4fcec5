//! The conformance cases of users' overrides (run against both adapters by the `conformance!` list
//! of `store_conformance.rs`).

use super::*;
use shared::domain::{ClientOverride, CsmSentiment, OverrideKind, OverrideValue};

fn an_override(n: usize, kind: OverrideKind, value: OverrideValue, days: i64) -> ClientOverride {
    // Real time: both adapters hide an item once its expiry (its TTL) has passed.
    let now = Utc::now();
    ClientOverride {
        client_id: cid(n),
        kind,
        value,
        reason: format!("reason {n}"),
        expires_at: now + Duration::days(days),
        set_by: "user-1".into(),
        set_at: now,
    }
}

pub async fn overrides_are_one_per_client_and_kind_and_kept_per_tenant<S: Store>(store: &S) {
    let acme = tid("acme");
    let other = tid("other");
    let negative = OverrideValue::Sentiment(CsmSentiment::Negative);
    store
        .put_override(
            &acme,
            &an_override(1, OverrideKind::Usage, OverrideValue::Score(30), 10),
        )
        .await
        .unwrap();
    store
        .put_override(
            &acme,
            &an_override(1, OverrideKind::Sentiment, negative, 10),
        )
        .await
        .unwrap();
    store
        .put_override(
            &acme,
            &an_override(2, OverrideKind::Crm, OverrideValue::Score(80), 10),
        )
        .await
        .unwrap();
    store
        .put_override(
            &other,
            &an_override(1, OverrideKind::Crm, OverrideValue::Score(5), 10),
        )
        .await
        .unwrap();
    // A new override of the same kind replaces the earlier one.
    let replaced = an_override(1, OverrideKind::Usage, OverrideValue::Score(60), 20);
    store.put_override(&acme, &replaced).await.unwrap();

    let of_client = store.client_overrides(&acme, &cid(1)).await.unwrap();
    let kinds: Vec<OverrideKind> = of_client.iter().map(|o| o.kind).collect();
    assert_eq!(kinds, [OverrideKind::Sentiment, OverrideKind::Usage]);
    assert_eq!(
        of_client[1], replaced,
        "kept whole, reason and author included"
    );

    let tenant = store.tenant_overrides(&acme).await.unwrap();
    let keys: Vec<(ClientId, OverrideKind)> = tenant
        .iter()
        .map(|o| (o.client_id.clone(), o.kind))
        .collect();
    assert_eq!(
        keys,
        [
            (cid(1), OverrideKind::Sentiment),
            (cid(1), OverrideKind::Usage),
            (cid(2), OverrideKind::Crm)
        ]
    );
    assert_eq!(store.tenant_overrides(&other).await.unwrap().len(), 1);

    let removed = store
        .delete_override(&acme, &cid(1), OverrideKind::Usage)
        .await
        .unwrap();
    assert_eq!(removed, Some(replaced));
    let again = store
        .delete_override(&acme, &cid(1), OverrideKind::Usage)
        .await
        .unwrap();
    assert_eq!(again, None, "removing what is not there is no error");
    let left = store.client_overrides(&acme, &cid(1)).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        store.client_overrides(&other, &cid(1)).await.unwrap().len(),
        1
    );
}

pub async fn an_expired_override_is_not_read<S: Store>(store: &S) {
    let acme = tid("acme");
    let expired = an_override(3, OverrideKind::Support, OverrideValue::Score(10), -1);
    store.put_override(&acme, &expired).await.unwrap();
    assert!(store
        .client_overrides(&acme, &cid(3))
        .await
        .unwrap()
        .is_empty());
    assert!(store.tenant_overrides(&acme).await.unwrap().is_empty());
}
