//! The client page's API: readable factors, re-weighting in words, evidence in words, CRM records
//! and the HubSpot link.

use super::*;
use shared::domain::{
    ClientSnapshot, ContactSummary, Deal, Direction, Engagement, EngagementKind, Evidence,
    Platform, Ticket, TicketPriority,
};
use shared::ports::SnapshotStore;

const CLIENT: &str = "5120";

fn factor(name: &str, value: Option<f64>, points: f64) -> Factor {
    Factor {
        source: Platform::Hubspot,
        name: name.to_string(),
        value,
        points,
        explanation: "planted for the test".to_string(),
    }
}

/// A score as the engine writes it: real factor names, and no payment data (so its weight went to
/// the others: 0.30, 0.25, 0.20 of the remaining 0.75).
fn scored_client() -> HealthScore {
    let dimension = |dimension, score: Option<u8>, weight: f64, factors| DimensionScore {
        dimension,
        score,
        weight,
        factors,
    };
    HealthScore {
        segment: None,
        settings_version: 0,
        dimensions: vec![
            dimension(
                Dimension::Crm,
                Some(48),
                0.4,
                vec![
                    factor("lifecycle_stage", Some(100.0), 25.0),
                    factor("activity_recency", Some(37.42), 16.32),
                    factor("activity_frequency", Some(1.5), 7.5),
                ],
            ),
            dimension(
                Dimension::Payment,
                None,
                0.0,
                vec![factor("revenue_value", Some(8828.5), 0.0)],
            ),
            dimension(
                Dimension::Usage,
                Some(50),
                1.0 / 3.0,
                vec![
                    factor("engagement_ratio", Some(0.42), 28.0),
                    factor("adoption", None, 0.0),
                ],
            ),
            dimension(
                Dimension::Support,
                Some(79),
                0.8 / 3.0,
                vec![
                    factor("baseline", None, 100.0),
                    factor("open_high_priority_tickets", Some(1.0), -15.0),
                    factor("median_hours_to_close", Some(31.46), -1.04),
                ],
            ),
        ],
        ..score(CLIENT, 57, 40)
    }
}

fn snapshot() -> ClientSnapshot {
    let engagement = |id: usize, kind, direction, days_ago: i64, contacts: &[&str]| Engagement {
        id: format!("e{id}"),
        kind,
        direction,
        occurred_at: now() - Duration::days(days_ago),
        completed: kind == EngagementKind::Meeting,
        contact_ids: contacts.iter().map(|c| c.to_string()).collect(),
    };
    let mut engagements: Vec<Engagement> = (0..30)
        .map(|i| {
            engagement(
                i,
                EngagementKind::Email,
                Some(Direction::Outbound),
                40 + i as i64,
                &["301"],
            )
        })
        .collect();
    engagements.push(engagement(100, EngagementKind::Meeting, None, 2, &["302"]));
    engagements.push(engagement(
        101,
        EngagementKind::Email,
        Some(Direction::Inbound),
        5,
        &["301"],
    ));
    ClientSnapshot {
        client_id: client_id(CLIENT),
        name: "Client 5120".into(),
        domain: Some("acme.example".into()),
        lifecycle_stage: Some("customer".into()),
        activity: Default::default(),
        reported_revenue: None,
        contacts: vec![
            ContactSummary {
                id: "301".into(),
                lifecycle_stage: Some("salesqualifiedlead".into()),
                nps_rating: None,
            },
            ContactSummary {
                id: "302".into(),
                lifecycle_stage: Some("customer".into()),
                nps_rating: None,
            },
            ContactSummary {
                id: "303".into(),
                lifecycle_stage: None,
                nps_rating: None,
            },
        ],
        deals: vec![
            Deal {
                id: "701".into(),
                amount: Some(8828.5),
                is_closed: false,
                is_closed_won: false,
                close_date: Some(now() + Duration::days(45)),
                stage: Some("contractsent".into()),
            },
            Deal {
                id: "702".into(),
                amount: Some(45796.5),
                is_closed: true,
                is_closed_won: true,
                close_date: Some(now() - Duration::days(200)),
                stage: Some("closedwon".into()),
            },
        ],
        tickets: vec![
            Ticket {
                id: "901".into(),
                is_open: true,
                priority: Some(TicketPriority::High),
                created_at: Some(now() - Duration::days(12) - Duration::hours(2)),
                closed_at: None,
            },
            Ticket {
                id: "902".into(),
                is_open: false,
                priority: Some(TicketPriority::Low),
                created_at: Some(now() - Duration::days(40)),
                closed_at: Some(now() - Duration::days(39)),
            },
        ],
        engagements,
        sources: vec!["hubspot".into()],
        updated_at: now() - Duration::hours(2),
        csm_sentiment: None,
    }
}

async fn seeded() -> TestApi {
    let api = TestApi::new();
    let a = tenant_id(TENANT_A);
    api.store.create_tenant(&tenant(TENANT_A)).await.unwrap();
    api.store.put_scores(&a, &[scored_client()]).await.unwrap();
    api.store.put_snapshots(&a, &[snapshot()]).await.unwrap();
    let mut upsell = insight(
        TENANT_A,
        CLIENT,
        InsightRule::UpsellOpportunity,
        80,
        Impact::Medium,
        1,
    );
    upsell.revenue_at_stake = Some(36968.0);
    upsell.evidence = vec![
        Evidence {
            name: "revenue".into(),
            value: 8828.5,
            unit: Some("usd".into()),
        },
        Evidence {
            name: "healthy_median_revenue".into(),
            value: 45796.5,
            unit: Some("usd".into()),
        },
        Evidence {
            name: "response_ratio".into(),
            value: 0.42,
            unit: Some("ratio".into()),
        },
    ];
    let mut inactive = insight(
        TENANT_A,
        CLIENT,
        InsightRule::InactiveClient,
        90,
        Impact::High,
        2,
    );
    inactive.revenue_at_stake = Some(8828.5);
    inactive.evidence = vec![
        Evidence {
            name: "days_since_last_activity".into(),
            value: 37.0,
            unit: Some("days".into()),
        },
        Evidence {
            name: "threshold_inactive_days".into(),
            value: 30.0,
            unit: Some("days".into()),
        },
    ];
    api.store
        .put_insights(&a, &[upsell, inactive])
        .await
        .unwrap();
    api
}

fn factor_of<'a>(client: &'a Value, dimension: &str, name: &str) -> &'a Value {
    client["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dimension"] == dimension)
        .and_then(|d| {
            d["factors"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == name)
        })
        .unwrap_or_else(|| panic!("{dimension}/{name} in {client}"))
}

#[tokio::test]
async fn the_client_page_reads_its_factors_in_words_with_units() {
    let api = seeded().await;
    let client = api.get(&format!("/v1/clients/{CLIENT}")).await.ok();
    let read = |dimension: &str, name: &str| {
        let f = factor_of(&client, dimension, name);
        (
            f["label"].as_str().unwrap().to_string(),
            f["value_text"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(
        read("crm", "activity_recency"),
        ("Days since last activity".into(), "37 days".into())
    );
    assert_eq!(
        read("crm", "lifecycle_stage"),
        ("Lifecycle stage".into(), "100 of 100".into())
    );
    assert_eq!(
        read("payment", "revenue_value"),
        ("Revenue".into(), "$8,828.50".into())
    );
    assert_eq!(
        read("usage", "engagement_ratio"),
        ("Responses to outreach".into(), "42%".into())
    );
    assert_eq!(
        read("usage", "adoption"),
        ("Contacts who interacted".into(), "no data".into())
    );
    assert_eq!(
        read("support", "median_hours_to_close"),
        ("Median time to close a ticket".into(), "31.5 hours".into())
    );
    // The figures themselves stay as the engine wrote them.
    let recency = factor_of(&client, "crm", "activity_recency");
    assert_eq!(recency["value"], 37.42);
    assert_eq!(recency["points"], 16.32);
    assert_eq!(client["dimensions"][0]["label"], "CRM");
    // The score itself is unchanged for those who read it.
    assert_eq!(client["score"]["overall"], 57);
    assert_eq!(
        client["factor_labels"]["activity_recency"],
        "Days since last activity"
    );
    assert!(client["factor_labels"].as_object().unwrap().len() >= 39);
}

#[tokio::test]
async fn re_weighting_is_explained_in_words() {
    let api = seeded().await;
    let client = api.get(&format!("/v1/clients/{CLIENT}")).await.ok();
    assert_eq!(
        client["reweighting"],
        "Payment has no data, so its 25% weight is shared among the others: \
         CRM now counts 40%, Usage 33%, Support 27%."
    );
}

#[tokio::test]
async fn the_client_links_to_its_company_in_hubspot() {
    let api = seeded().await;
    let client = api.get(&format!("/v1/clients/{CLIENT}")).await.ok();
    assert_eq!(
        client["hubspot_url"],
        "https://app.hubspot.com/contacts/1001/company/5120"
    );
    // Contacts are listed by their last interaction; the link is checked on contact 301 wherever
    // it stands.
    let contact = client["contacts"]
        .as_array()
        .and_then(|contacts| contacts.iter().find(|c| c["id"] == "301"))
        .expect("contact 301 is listed");
    assert_eq!(
        contact["hubspot_url"],
        "https://app.hubspot.com/contacts/1001/contact/301"
    );
    assert_eq!(
        client["open_deals"][0]["hubspot_url"],
        "https://app.hubspot.com/contacts/1001/deal/701"
    );
    assert_eq!(
        client["open_tickets"][0]["hubspot_url"],
        "https://app.hubspot.com/contacts/1001/ticket/901"
    );

    // A tenant whose portal is not known has no links.
    let other = TestApi::new();
    let b = tenant_id(TENANT_B);
    let mut no_portal = tenant(TENANT_B);
    no_portal.hubspot_portal_id = None;
    other.store.create_tenant(&no_portal).await.unwrap();
    other
        .store
        .put_scores(&b, &[scored_client()])
        .await
        .unwrap();
    let unlinked = other
        .call(
            "GET",
            &format!("/v1/clients/{CLIENT}"),
            Some(TENANT_B),
            None,
        )
        .await
        .ok();
    assert_eq!(unlinked["hubspot_url"], Value::Null);
    // No snapshot: the record lists are empty, not missing.
    assert_eq!(unlinked["contacts"], json!([]));
    assert_eq!(unlinked["open_deals"], json!([]));
    assert_eq!(unlinked["renewal_date"], Value::Null);
}

#[tokio::test]
async fn contacts_deals_tickets_and_interactions_come_from_the_snapshot() {
    let api = seeded().await;
    let client = api.get(&format!("/v1/clients/{CLIENT}")).await.ok();
    assert_eq!(client["domain"], "acme.example");
    assert_eq!(client["lifecycle_stage"], "customer");

    let contacts: Vec<&str> = client["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        contacts,
        vec!["302", "301", "303"],
        "most recently engaged first"
    );
    assert_eq!(
        client["contacts"][1]["lifecycle_label"],
        "Sales qualified lead"
    );
    assert_eq!(client["contacts_total"], 3);
    // Contacts carry ids and stages only: no name or address of a person.
    for contact in client["contacts"].as_array().unwrap() {
        let keys: BTreeSet<&str> = contact
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "id",
                "lifecycle_stage",
                "lifecycle_label",
                "last_interaction_at",
                "hubspot_url"
            ])
        );
    }

    let deals = client["open_deals"].as_array().unwrap();
    assert_eq!(deals.len(), 1, "the won deal is closed");
    assert_eq!(deals[0]["amount_text"], "$8,828.50");
    assert_eq!(deals[0]["stage_label"], "Contract sent");
    assert_eq!(deals[0]["close_date"], "2027-01-10T10:00:00Z");
    assert_eq!(client["renewal_date"], "2027-01-10T10:00:00Z");

    let tickets = client["open_tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["priority"], "HIGH");
    assert_eq!(tickets[0]["priority_label"], "High");
    assert_eq!(tickets[0]["age_days"], 12);
    assert_eq!(tickets[0]["age_text"], "12 days");

    let interactions = client["recent_interactions"].as_array().unwrap();
    assert_eq!(interactions.len(), 20, "the last 20 engagements");
    assert_eq!(interactions[0]["label"], "Meeting");
    assert_eq!(interactions[0]["completed"], true);
    assert_eq!(interactions[1]["label"], "Email received");
    assert_eq!(interactions[1]["direction"], "inbound");
    assert_eq!(interactions[2]["label"], "Email sent");
    let dates: Vec<&str> = interactions
        .iter()
        .map(|i| i["occurred_at"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first");
    assert_eq!(client["linked_records"], json!([]));
}

#[tokio::test]
async fn open_insights_carry_their_evidence_in_words_and_an_upside_is_not_at_stake() {
    let api = seeded().await;
    let client = api.get(&format!("/v1/clients/{CLIENT}")).await.ok();
    let insights = client["open_insights"].as_array().unwrap();
    let upsell = insights
        .iter()
        .find(|i| i["rule"] == "upsell_opportunity")
        .unwrap();
    assert_eq!(
        upsell["evidence_text"],
        json!([
            "Revenue: $8,828.50",
            "Healthy clients' median revenue: $45,796.50",
            "Responses to outreach: 42%"
        ])
    );
    assert_eq!(upsell["revenue_kind"], "upside");
    assert_eq!(upsell["revenue_text"], "$36,968.00 upside");
    // The insight's own fields are all still there.
    assert_eq!(upsell["evidence"][1]["name"], "healthy_median_revenue");
    assert_eq!(upsell["type"], "upsell_opportunity");

    let inactive = insights
        .iter()
        .find(|i| i["rule"] == "inactive_client")
        .unwrap();
    assert_eq!(
        inactive["evidence_text"],
        json!([
            "Time since the last activity: 37 days",
            "Inactive after (threshold): 30 days"
        ])
    );
    assert_eq!(inactive["revenue_kind"], "at_stake");
    assert_eq!(inactive["revenue_text"], "$8,828.50 at stake");
}
