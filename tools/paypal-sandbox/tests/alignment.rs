//! Payers line up with the HubSpot sandbox's companies in the realistic ways, the ground truth says
//! how, and a seed gives the same account every time.

mod common;

use std::collections::{HashMap, HashSet};

use chrono::Duration;
use common::{anchor, get, post, search_path, start, token};
use paypal_sandbox::{Alignment, CompanySeed, PaymentStory, SandboxConfig};
use serde_json::json;

const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
    "hotmail.com",
];

async fn hubspot_companies() -> Vec<CompanySeed> {
    let hubspot = hubspot_sandbox::Sandbox::start(hubspot_sandbox::SandboxConfig::small(42))
        .await
        .expect("hubspot sandbox");
    let companies = hubspot
        .records("companies")
        .into_iter()
        .map(|r| CompanySeed {
            name: r
                .properties
                .get("name")
                .cloned()
                .flatten()
                .unwrap_or_default(),
            domain: r.properties.get("domain").cloned().flatten(),
            hubspot_id: r.id,
        })
        .collect();
    hubspot.shutdown().await;
    companies
}

fn aligned_config(companies: Vec<CompanySeed>) -> SandboxConfig {
    SandboxConfig {
        anchor: Some(anchor()),
        ..SandboxConfig::for_companies(42, companies)
    }
}

fn domain(email: &str) -> &str {
    email.rsplit('@').next().unwrap_or_default()
}

#[tokio::test]
async fn every_alignment_and_story_is_present_and_true_to_its_kind() {
    let companies = hubspot_companies().await;
    let by_id: HashMap<&str, &CompanySeed> = companies
        .iter()
        .map(|c| (c.hubspot_id.as_str(), c))
        .collect();
    let sandbox = start(aligned_config(companies.clone())).await;
    let truth = sandbox.ground_truth();
    let alignments: HashSet<Alignment> = truth.iter().map(|p| p.alignment).collect();
    for kind in [
        Alignment::SameDomain,
        Alignment::Renamed,
        Alignment::FreeMail,
        Alignment::CustomId,
        Alignment::Namesake,
        Alignment::Unmatched,
    ] {
        assert!(alignments.contains(&kind), "{kind:?} missing");
    }
    let stories: HashSet<PaymentStory> = truth.iter().map(|p| p.story).collect();
    assert_eq!(stories.len(), 6, "every story: {stories:?}");
    for payer in &truth {
        let company = payer.hubspot_company_id.as_deref().map(|id| by_id[id]);
        let company_domain = company
            .and_then(|c| c.domain.as_deref())
            .map(str::to_ascii_lowercase);
        match payer.alignment {
            Alignment::SameDomain => {
                assert_eq!(Some(domain(&payer.email).to_owned()), company_domain);
                assert_eq!(
                    payer.business_name.as_deref(),
                    company.map(|c| c.name.as_str())
                );
            }
            Alignment::Renamed => {
                assert_eq!(Some(domain(&payer.email).to_owned()), company_domain);
                assert_ne!(
                    payer.business_name.as_deref(),
                    company.map(|c| c.name.as_str())
                );
            }
            Alignment::FreeMail | Alignment::SharedName => {
                assert!(FREE_MAIL.contains(&domain(&payer.email)), "{}", payer.email);
                assert!(payer.business_name.is_none());
            }
            Alignment::CustomId => {
                assert_eq!(payer.custom_id, payer.hubspot_company_id);
                assert_ne!(Some(domain(&payer.email).to_owned()), company_domain);
            }
            Alignment::Namesake => {
                assert!(payer.hubspot_company_id.is_none());
                let name = payer.business_name.as_deref().unwrap();
                assert!(
                    companies.iter().any(|c| c.name == name),
                    "shares a CRM company's name"
                );
            }
            Alignment::Unmatched => assert!(payer.hubspot_company_id.is_none()),
        }
    }
    let with_company = truth
        .iter()
        .filter(|p| p.hubspot_company_id.is_some())
        .count();
    assert!(
        with_company * 2 > truth.len(),
        "most payers are CRM companies"
    );
}

#[tokio::test]
async fn the_api_shows_what_the_matcher_needs() {
    let companies = hubspot_companies().await;
    let sandbox = start(aligned_config(companies.clone())).await;
    let token = token(&sandbox).await;
    let truth = sandbox.ground_truth();
    // A free-mail payer's company name is on its invoices.
    let free = truth
        .iter()
        .find(|p| p.alignment == Alignment::FreeMail)
        .unwrap();
    let company = companies
        .iter()
        .find(|c| Some(&c.hubspot_id) == free.hubspot_company_id.as_ref())
        .unwrap();
    let (status, body) = post(
        &sandbox,
        &token,
        "/v2/invoicing/search-invoices?page_size=100",
        &json!({ "recipient_email": free.email }),
    )
    .await;
    assert_eq!(status, 200);
    let items = body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for invoice in items {
        assert_eq!(
            invoice["primary_recipients"][0]["billing_info"]["business_name"],
            company.name.as_str()
        );
    }
    // A custom-id payer carries the HubSpot id in its rows, its invoices or its subscription.
    let custom = truth
        .iter()
        .find(|p| p.alignment == Alignment::CustomId)
        .unwrap();
    let hubspot_id = custom.hubspot_company_id.clone().unwrap();
    let mut seen_on_api = false;
    for id in &custom.subscription_ids {
        let (_, _, sub) = get(&sandbox, &token, &format!("/v1/billing/subscriptions/{id}")).await;
        seen_on_api |= sub["custom_id"] == hubspot_id.as_str();
    }
    for id in &custom.invoice_ids {
        let (_, _, invoice) = get(&sandbox, &token, &format!("/v2/invoicing/invoices/{id}")).await;
        seen_on_api |= invoice["detail"]["reference"] == hubspot_id.as_str();
    }
    assert!(seen_on_api, "the HubSpot id is visible through the API");
    let row = sandbox
        .transactions()
        .into_iter()
        .find(|t| t.payer_id == custom.payer_id && t.initiated_at < anchor() - Duration::hours(4))
        .unwrap();
    let (_, _, found) = get(
        &sandbox,
        &token,
        &search_path(
            row.initiated_at - Duration::hours(1),
            row.initiated_at + Duration::hours(1),
            &format!("&transaction_id={}&fields=all", row.transaction_id),
        ),
    )
    .await;
    let detail = &found["transaction_details"][0];
    assert_eq!(
        detail["transaction_info"]["custom_field"],
        hubspot_id.as_str()
    );
    assert_eq!(detail["payer_info"]["email_address"], custom.email.as_str());
}

#[tokio::test]
async fn two_crm_companies_sharing_a_name_get_a_shared_name_payer() {
    let mut companies = CompanySeed::synthetic(12);
    companies.push(CompanySeed::new(
        "9001",
        "Riverside Dental",
        Some("riverside-dental.com"),
    ));
    companies.push(CompanySeed::new(
        "9002",
        "Riverside Dental LLC",
        Some("riversidedental.co.uk"),
    ));
    let sandbox = start(aligned_config(companies)).await;
    let shared: Vec<_> = sandbox
        .ground_truth()
        .into_iter()
        .filter(|p| p.alignment == Alignment::SharedName)
        .collect();
    assert_eq!(shared.len(), 1);
    let owner = shared[0].hubspot_company_id.as_deref();
    assert!(owner == Some("9001") || owner == Some("9002"));
}

#[tokio::test]
async fn the_same_seed_gives_the_same_account_and_another_seed_does_not() {
    let fixed = anchor();
    let config = |seed| SandboxConfig {
        anchor: Some(fixed),
        ..SandboxConfig::small(seed)
    };
    let a = start(config(9)).await;
    let b = start(config(9)).await;
    let c = start(config(10)).await;
    assert_eq!(a.ground_truth(), b.ground_truth());
    assert_eq!(a.transactions(), b.transactions());
    assert_ne!(a.ground_truth(), c.ground_truth());
    // Over HTTP too, token and debug ids aside (before the last hours, whose rows are still appearing).
    let end = fixed - Duration::hours(4);
    let path = search_path(end - Duration::days(20), end, "&fields=all&page_size=500");
    let (_, _, left) = get(&a, &token(&a).await, &path).await;
    let (_, _, right) = get(&b, &token(&b).await, &path).await;
    assert_eq!(left["transaction_details"], right["transaction_details"]);
    assert!(!left["transaction_details"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn every_seed_has_every_alignment_story_and_row_kind() {
    for seed in 0..25 {
        let sandbox = start(SandboxConfig {
            anchor: Some(anchor()),
            ..SandboxConfig::small(seed)
        })
        .await;
        let truth = sandbox.ground_truth();
        let alignments: HashSet<Alignment> = truth.iter().map(|p| p.alignment).collect();
        assert!(alignments.len() >= 6, "seed {seed}: {alignments:?}");
        let stories: HashSet<PaymentStory> = truth.iter().map(|p| p.story).collect();
        assert_eq!(stories.len(), 6, "seed {seed}: {stories:?}");
        let rows = sandbox.transactions();
        let now = sandbox.now();
        assert!(
            rows.iter().any(|r| !r.balance_affecting),
            "seed {seed}: shared transaction id"
        );
        assert!(
            rows.iter().any(|r| r.visible_at > now),
            "seed {seed}: late rows"
        );
        for code in [
            "T0006", "T0002", "T1107", "T1106", "T1110", "T1111", "T1201",
        ] {
            assert!(
                rows.iter().any(|r| r.event_code == code),
                "seed {seed}: {code}"
            );
        }
        for status in ['D', 'P', 'S', 'V'] {
            assert!(
                rows.iter().any(|r| r.status == status),
                "seed {seed}: status {status}"
            );
        }
        sandbox.shutdown().await;
    }
}
