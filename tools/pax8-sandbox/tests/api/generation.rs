use crate::common::start_with;
use pax8_sandbox::{Alignment, CompanySeed, SandboxConfig, SubscriptionStory};
use std::collections::HashSet;

#[tokio::test]
async fn the_account_lines_up_with_the_crm_with_realistic_mismatches_and_varied_stories() {
    let seeds = CompanySeed::synthetic(120);
    let config = SandboxConfig::for_companies(9, seeds.clone());
    let sandbox = start_with(config.clone()).await;
    let truth = sandbox.truth();
    let again = start_with(config).await.truth();
    assert_eq!(truth, again, "the same seed gives the same account");
    let aligned: Vec<_> = truth.iter().filter(|c| c.hubspot_id.is_some()).collect();
    assert!(
        aligned.len() < seeds.len(),
        "some companies are not on Pax8"
    );
    assert!(truth.iter().any(|c| c.alignment == Alignment::PlatformOnly));
    assert!(truth.iter().any(|c| c.status == "Deleted"));
    for company in &aligned {
        let seed = seeds
            .iter()
            .find(|s| Some(&s.hubspot_id) == company.hubspot_id.as_ref())
            .expect("its seed");
        match company.alignment {
            Alignment::ExternalId => {
                assert_eq!(company.external_id.as_ref(), Some(&seed.hubspot_id))
            }
            Alignment::Website => {
                let website = company.website.as_deref().expect("a website");
                assert!(website.contains(seed.domain.as_deref().expect("domain")));
                assert_eq!(company.name, seed.name);
            }
            Alignment::Renamed => assert_ne!(company.name, seed.name),
            Alignment::NameOnly => {
                assert!(company.website.is_none() && company.external_id.is_none())
            }
            Alignment::PlatformOnly => panic!("an aligned company is not platform-only"),
        }
    }
    let alignments: HashSet<_> = truth.iter().map(|c| c.alignment).collect();
    assert_eq!(alignments.len(), 5);
    let stories: HashSet<_> = truth.iter().map(|c| c.story).collect();
    assert_eq!(stories.len(), 5);
    let counts: Vec<usize> = truth.iter().map(|c| c.subscriptions.len()).collect();
    assert!(
        counts.contains(&1) && counts.iter().any(|n| *n >= 6),
        "few and many products"
    );
    for company in truth
        .iter()
        .filter(|c| c.story == SubscriptionStory::RenewalDue)
    {
        let anchor = sandbox.anchor();
        assert!(company.subscriptions.iter().any(|s| {
            s.billing_term == "Annual"
                && s.end_date
                    .is_some_and(|end| end > anchor && end - anchor <= chrono::Duration::days(30))
        }));
    }
    for company in truth
        .iter()
        .filter(|c| c.story == SubscriptionStory::Shrinking)
    {
        for s in &company.subscriptions {
            let first = s
                .quantity_history
                .first()
                .map(|(_, q)| *q)
                .expect("history");
            assert!(first > s.quantity);
        }
    }
}
