//! Clients linked to account records (a NinjaOne organisation here): the score run reads the
//! accounts its linked correlations name, beside the payers, and they reach the scoring's
//! `LinkedRecords.accounts`; an account waiting for review or not linked at all does not.

use super::*;
use scoring_support::payers::{correlation, payer};
use shared::domain::{
    AccountIdentity, AccountRecord, AccountSignals, ConnectionId, Correlation, CorrelationStatus,
    ItManagement, MatchMethod, Platform,
};
use shared::handlers::score::linked_records;
use shared::ports::{AccountStore, CorrelationStore, PayerStore};

fn ninjaone() -> ConnectionId {
    ConnectionId::parse("ninjaone-1").unwrap()
}

fn organisation(id: &str) -> AccountRecord {
    AccountRecord {
        connection_id: ninjaone(),
        platform: Platform::Ninjaone,
        external_id: id.into(),
        name: format!("Organisation {id}"),
        identity: AccountIdentity::default(),
        signals: AccountSignals::ItManagement(ItManagement::default()),
        seen_at: now(),
        updated_at: now(),
    }
}

fn account_link(client: &str, external_id: &str, status: CorrelationStatus) -> Correlation {
    Correlation {
        platform: Platform::Ninjaone,
        connection_id: ninjaone(),
        method: MatchMethod::VerifiedDomain,
        ..correlation(client, external_id, status, 0.9)
    }
}

#[tokio::test]
async fn a_linked_account_reaches_the_clients_linked_records_beside_its_payers() {
    let store = tenant_with(&[busy("busy"), dormant("dormant")]).await;
    store
        .put_payers(&tenant(), &[payer("OWING").paid(500.0, 20.0).build()])
        .await
        .unwrap();
    store
        .put_accounts(
            &tenant(),
            &[
                organisation("org-1"),
                organisation("org-2"),
                organisation("org-3"),
            ],
        )
        .await
        .unwrap();
    store
        .put_correlations(
            &tenant(),
            &[
                correlation("busy", "OWING", CorrelationStatus::Auto, 0.93),
                account_link("busy", "org-1", CorrelationStatus::Confirmed),
                // Waiting for review: not the client's yet.
                account_link("dormant", "org-2", CorrelationStatus::NeedsReview),
            ],
        )
        .await
        .unwrap();

    let linked = linked_records(&store, &tenant(), &[id("busy"), id("dormant")])
        .await
        .unwrap();

    let busy = linked.get(&id("busy")).expect("busy has linked records");
    assert_eq!(busy.payers.len(), 1);
    let accounts: Vec<&str> = busy
        .accounts_of(Platform::Ninjaone)
        .map(|a| a.account.external_id.as_str())
        .collect();
    assert_eq!(accounts, ["org-1"]);
    assert_eq!(busy.accounts[0].link.method, MatchMethod::VerifiedDomain);
    assert!(!linked.contains_key(&id("dormant")), "review links nothing");

    // The whole run reads them too, and scores every client.
    let bus = InProcessBus::new();
    let updated = handle_tenant_synced(&store, &bus, &synced(), now())
        .await
        .unwrap();
    assert_eq!(updated.clients_scored, 2);
}
