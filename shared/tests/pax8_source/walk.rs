//! Full, resumed and incremental walks against the simulator's ground truth.

use crate::common::{connection, factory, sandbox, walk, walk_from};
use chrono::Duration;
use pax8_sandbox::{CompanySeed, SandboxConfig, SubscriptionStory};
use shared::domain::{AccountSignals, CloudSubscriptionStatus};
use shared::ports::source::{AccountsSource, FetchWindow};
use std::collections::BTreeMap;

fn config() -> SandboxConfig {
    SandboxConfig::for_companies(11, CompanySeed::synthetic(60))
}

#[tokio::test]
async fn a_full_walk_yields_every_company_with_its_seats_history_and_evidence() {
    let sandbox = sandbox(config()).await;
    let sources = factory(&sandbox, 2).await;
    let source = sources.source(&connection()).await.expect("source");
    let walked = walk(&source, FetchWindow::All).await.expect("walk");
    let truth = sandbox.truth();
    let live: Vec<_> = truth.iter().filter(|c| c.status != "Deleted").collect();
    assert_eq!(
        walked.accounts.len(),
        live.len(),
        "every live company, no more"
    );
    assert!(live.len() < truth.len(), "the deleted company is left out");
    for company in &live {
        let account = &walked.accounts[&company.company_id];
        assert_eq!(account.name, company.name);
        assert_eq!(account.identity.website, company.website);
        assert_eq!(
            account.identity.reference_ids,
            company.external_id.iter().cloned().collect::<Vec<_>>()
        );
        let mut domains = company.contact_domains.clone();
        domains.sort();
        domains.dedup();
        let mut read = account.identity.email_domains.clone();
        read.sort();
        assert_eq!(read, domains, "{}", company.name);
        let AccountSignals::CloudSubscriptions(subs) = &account.signals else {
            panic!("a Pax8 account holds cloud subscriptions");
        };
        assert_eq!(subs.subscriptions.len(), company.subscriptions.len());
        for expected in &company.subscriptions {
            let row = subs
                .subscriptions
                .iter()
                .find(|s| s.id == expected.id)
                .expect("every subscription");
            assert_eq!(row.quantity, expected.quantity);
            assert_eq!(row.product_name, expected.product_name);
            assert_eq!(row.unit_price, Some(expected.price));
            assert_eq!(
                row.billing_term.as_deref(),
                Some(expected.billing_term.as_str())
            );
            assert_eq!(row.end_date, expected.end_date.map(|d| d.date_naive()));
            // History: oldest first, one change where the quantity moved.
            let mut moves: Vec<f64> = Vec::new();
            for (_, quantity) in &expected.quantity_history {
                if moves.last() != Some(quantity) {
                    moves.push(*quantity);
                }
            }
            let read: Vec<f64> = row.quantity_history.iter().map(|c| c.quantity).collect();
            assert_eq!(read, moves, "history of {}", row.id);
        }
        // The stories show through the signals.
        match company.story {
            SubscriptionStory::Cancelling => assert!(subs
                .subscriptions
                .iter()
                .any(|s| s.status == CloudSubscriptionStatus::Cancelled
                    || s.status == CloudSubscriptionStatus::PendingCancel)),
            SubscriptionStory::Shrinking => assert!(subs
                .subscriptions
                .iter()
                .all(|s| { s.quantity_at(sandbox.anchor() - Duration::days(120)) > s.quantity })),
            _ => {}
        }
    }
    let stats = sandbox.stats();
    assert_eq!(stats.token_requests, 1, "one token for the whole walk");
    let subscriptions: usize = truth.iter().map(|c| c.subscriptions.len()).sum();
    assert_eq!(
        stats
            .by_route
            .get("GET /v1/subscriptions/{id}/history")
            .copied(),
        Some(subscriptions as u64 - deleted_subscriptions(&truth)),
        "a full walk reads every live company's histories"
    );
    assert_eq!(source.requests_made(), stats.requests);
}

fn deleted_subscriptions(truth: &[pax8_sandbox::CompanyTruth]) -> u64 {
    truth
        .iter()
        .filter(|c| c.status == "Deleted")
        .map(|c| c.subscriptions.len() as u64)
        .sum()
}

#[tokio::test]
async fn a_walk_resumed_from_its_cursor_ends_where_an_unbroken_one_does() {
    let sandbox = sandbox(config()).await;
    let sources = factory(&sandbox, 2).await;
    let whole = walk(
        &sources.source(&connection()).await.expect("source"),
        FetchWindow::All,
    )
    .await
    .expect("walk");
    // Three steps, then a new source (a new run) carries on from the stored cursor.
    let first = sources.source(&connection()).await.expect("source");
    let (part, cursor) = walk_from(&first, FetchWindow::All, None, BTreeMap::new(), 3)
        .await
        .expect("first steps");
    let cursor = cursor.expect("the walk is not over after three steps");
    let second = sources.source(&connection()).await.expect("source");
    let (resumed, end) = walk_from(
        &second,
        FetchWindow::All,
        Some(cursor.clone()),
        part.accounts,
        10_000,
    )
    .await
    .expect("resumed");
    assert!(end.is_none());
    assert_eq!(resumed.accounts.len(), whole.accounts.len());
    assert!(part.steps == 3 && resumed.steps > 0);
    let at = sandbox.anchor();
    for (id, account) in &whole.accounts {
        let (mut expected, mut read) = (account.clone(), resumed.accounts[id].clone());
        expected.stamp_seen(at);
        read.stamp_seen(at);
        assert_eq!(read.signals, expected.signals, "{id}");
        assert_eq!(read.identity, expected.identity, "{id}");
    }
    // The cursor belongs to its window.
    let since = sandbox.now();
    let other = FetchWindow::ChangedBetween {
        since,
        until: since,
    };
    assert!(second.fetch_step(other, Some(&cursor)).await.is_err());
    assert!(second
        .fetch_step(FetchWindow::All, Some("garbage"))
        .await
        .is_err());
}

#[tokio::test]
async fn an_incremental_walk_reads_history_only_for_what_changed() {
    let sandbox = sandbox(config()).await;
    let sources = factory(&sandbox, 2).await;
    let source = sources.source(&connection()).await.expect("source");
    let full = walk(&source, FetchWindow::All).await.expect("full walk");
    let since = sandbox.now();
    let changed = sandbox
        .truth()
        .into_iter()
        .find(|c| c.status != "Deleted" && !c.subscriptions.is_empty())
        .expect("a company with subscriptions");
    let target = &changed.subscriptions[0];
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    sandbox
        .change_quantity(&target.id, target.quantity + 7.0)
        .expect("seats changed");
    sandbox.reset_stats();
    let until = sandbox.now();
    let window = FetchWindow::ChangedBetween { since, until };
    let (walked, _) = walk_from(&source, window, None, full.accounts, 10_000)
        .await
        .expect("incremental walk");
    let stats = sandbox.stats();
    assert_eq!(
        stats
            .by_route
            .get("GET /v1/subscriptions/{id}/history")
            .copied(),
        Some(1),
        "only the changed subscription's history"
    );
    assert_eq!(stats.by_route.get("GET /v1/companies/{id}/contacts"), None);
    let AccountSignals::CloudSubscriptions(subs) = &walked.accounts[&changed.company_id].signals
    else {
        panic!("cloud subscriptions");
    };
    let row = subs
        .subscriptions
        .iter()
        .find(|s| s.id == target.id)
        .expect("row");
    assert_eq!(row.quantity, target.quantity + 7.0);
    assert_eq!(
        row.quantity_history.last().map(|c| c.quantity),
        Some(target.quantity + 7.0)
    );
    // The others kept the history the full walk read.
    let untouched = subs.subscriptions.iter().find(|s| s.id != target.id);
    if let Some(other) = untouched {
        assert!(!other.quantity_history.is_empty());
    }
}

#[tokio::test]
async fn fetch_accounts_reads_a_company_whole_and_leaves_out_unknown_ones() {
    let sandbox = sandbox(config()).await;
    let sources = factory(&sandbox, 2).await;
    let source = sources.source(&connection()).await.expect("source");
    let company = sandbox
        .truth()
        .into_iter()
        .find(|c| c.status != "Deleted" && c.subscriptions.len() >= 2)
        .expect("a company with subscriptions");
    let ids = vec![
        company.company_id.clone(),
        "00000000-0000-4000-8000-000000000000".to_owned(),
        company.company_id.clone(),
    ];
    let accounts = source.fetch_accounts(&ids).await.expect("fetched");
    assert_eq!(accounts.len(), 1);
    let account = &accounts[0];
    assert_eq!(account.name, company.name);
    assert!(!account.identity.email_domains.is_empty());
    let AccountSignals::CloudSubscriptions(subs) = &account.signals else {
        panic!("cloud subscriptions");
    };
    assert_eq!(subs.subscriptions.len(), company.subscriptions.len());
    assert!(subs
        .subscriptions
        .iter()
        .all(|s| !s.quantity_history.is_empty()));
}
