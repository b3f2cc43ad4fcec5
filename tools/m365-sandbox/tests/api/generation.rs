use m365_sandbox::{CompanySeed, Sandbox, SandboxConfig, TenantStory};
use std::collections::BTreeSet;

#[tokio::test]
async fn the_same_seed_gives_the_same_tenants_with_realistic_mismatches() {
    let companies = CompanySeed::synthetic(40);
    let a = Sandbox::start(SandboxConfig::for_companies(5, companies.clone()))
        .await
        .expect("starts");
    let b = Sandbox::start(SandboxConfig::for_companies(5, companies.clone()))
        .await
        .expect("starts");
    let truth = a.truth();
    assert_eq!(truth, b.truth(), "deterministic");

    let owned: BTreeSet<&str> = truth
        .iter()
        .filter_map(|t| t.hubspot_id.as_deref())
        .collect();
    assert!(
        owned.len() < companies.len(),
        "some companies have no tenant"
    );
    assert!(
        truth.iter().any(|t| t.hubspot_id.is_none()),
        "tenants the CRM lacks"
    );
    let ids: BTreeSet<&str> = truth.iter().map(|t| t.external_id.as_str()).collect();
    assert_eq!(ids.len(), truth.len(), "tenant ids are unique");
    assert!(ids
        .iter()
        .all(|id| id.len() == 36 && id.matches('-').count() == 4));

    let by_id = |id: &str| {
        companies
            .iter()
            .find(|c| c.hubspot_id == id)
            .expect("company")
    };
    let renamed = truth
        .iter()
        .filter(|t| {
            t.hubspot_id
                .as_deref()
                .is_some_and(|h| by_id(h).name != t.display_name)
        })
        .count();
    assert!(renamed > 0, "some tenants are named with a variant");
    assert!(truth
        .iter()
        .filter_map(|t| t.hubspot_id.as_deref().map(|h| (h, t)))
        .any(|(h, t)| by_id(h)
            .domain
            .as_ref()
            .is_some_and(|d| t.verified_domains.contains(d))));

    let stories: BTreeSet<String> = truth.iter().map(|t| format!("{:?}", t.story)).collect();
    assert!(stories.len() >= 5, "{stories:?}");
}

#[tokio::test]
async fn stories_show_in_the_numbers() {
    let sandbox = Sandbox::start(SandboxConfig::for_companies(5, CompanySeed::synthetic(20)))
        .await
        .expect("starts");
    let refresh = sandbox.report_refresh_date();
    for truth in sandbox.truth() {
        let main = &truth.skus[0];
        match truth.story {
            TenantStory::Shelfware => {
                assert!(main.consumed * 10 <= main.enabled * 7, "unused seats")
            }
            TenantStory::FullyUsed => assert_eq!(main.consumed, main.enabled),
            TenantStory::PaymentTrouble => {
                assert!(truth.skus.iter().any(|s| s.warning > 0));
                assert!(truth.skus.iter().any(|s| s.suspended > 0));
            }
            TenantStory::Declining => {
                // Compare weekdays a month apart: the earlier week was busier.
                let week = |back: i64| -> u32 {
                    (0..7)
                        .map(|d| refresh - chrono::Duration::days(back + d))
                        .filter_map(|date| sandbox.daily(&truth.external_id, date))
                        .map(|c| c.email_send + c.teams_active)
                        .sum()
                };
                assert!(week(30) > week(0), "email and Teams activity fall");
            }
            _ => {}
        }
    }
}
