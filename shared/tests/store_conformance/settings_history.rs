//! The conformance case of settings versions (run against both adapters by the `conformance!` list
//! of `store_conformance.rs`).

use super::*;
use shared::domain::{ScoringSettings, SettingsVersion};

fn version(tenant: &str, number: u32) -> SettingsVersion {
    let mut settings = ScoringSettings {
        version: number,
        ..ScoringSettings::default()
    };
    settings.thresholds.inactive_days = 10 + number;
    SettingsVersion {
        tenant_id: tid(tenant),
        version: number,
        changed_at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
            + Duration::hours(number.into()),
        changed_by: (number > 0).then(|| format!("user-{number}")),
        sections: if number > 0 {
            vec!["settings".into()]
        } else {
            Vec::new()
        },
        settings,
    }
}

pub(super) async fn settings_versions_are_kept_once_per_tenant_newest_first<S: Store>(store: &S) {
    let acme = &tid("acme");
    // Written out of order, and past 9 (the sort key must order 10 after 9).
    for number in [2, 0, 11, 1, 9, 10] {
        store
            .put_settings_version(&version("acme", number))
            .await
            .unwrap();
    }
    store
        .put_settings_version(&version("globex", 3))
        .await
        .unwrap();

    let listed = walk(4, |page| async move {
        store.list_settings_versions(acme, &page).await
    })
    .await;
    let numbers: Vec<u32> = listed.iter().map(|v| v.version).collect();
    assert_eq!(numbers, [11, 10, 9, 2, 1, 0]);
    assert_eq!(listed[0], version("acme", 11));

    assert_eq!(
        store.get_settings_version(acme, 9).await.unwrap(),
        version("acme", 9)
    );
    // A version is written once: a second write of its number is a conflict and changes nothing.
    let mut rewrite = version("acme", 9);
    rewrite.changed_by = Some("someone-else".into());
    assert!(matches!(
        store.put_settings_version(&rewrite).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store
            .get_settings_version(acme, 9)
            .await
            .unwrap()
            .changed_by
            .as_deref(),
        Some("user-9")
    );
    // Another tenant's versions are not found under this one.
    assert!(matches!(
        store.get_settings_version(acme, 3).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub(super) async fn the_reweigh_state_is_one_item_per_tenant<S: Store>(store: &S) {
    use shared::domain::ReweighState;
    let (acme, globex) = (&tid("acme"), &tid("globex"));
    assert_eq!(store.get_reweigh_state(acme).await.unwrap(), None);
    let mut state = ReweighState {
        version: 3,
        cursor: Some("page-2".to_owned()),
        done: false,
        clients: 50,
        points_rewritten: 1_200,
        updated_at: Utc.with_ymd_and_hms(2026, 11, 3, 0, 0, 0).unwrap(),
    };
    store.put_reweigh_state(acme, &state).await.unwrap();
    assert_eq!(
        store.get_reweigh_state(acme).await.unwrap(),
        Some(state.clone())
    );
    state.cursor = None;
    state.done = true;
    store.put_reweigh_state(acme, &state).await.unwrap();
    assert_eq!(store.get_reweigh_state(acme).await.unwrap(), Some(state));
    assert_eq!(store.get_reweigh_state(globex).await.unwrap(), None);
}
