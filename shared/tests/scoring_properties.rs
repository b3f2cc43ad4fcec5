//! Properties the engine keeps for any input: bounded scores, monotone responses to activity and
//! tickets, determinism, and insights that never contradict each other.

mod scoring_support;

use chrono::Duration;
use proptest::prelude::*;
use scoring_support::{client, now, settings, tenant};
use shared::domain::{
    ClientId, ClientSnapshot, CompanyActivity, ContactSummary, Deal, Dimension, Direction,
    Engagement, EngagementKind, ScoringSettings, Ticket, TicketPriority, Weights,
};
use shared::domain::{InsightRule, InsightStatus};
use shared::scoring::{
    derive_features, score_client, score_tenant, TenantContext, TenantScores, EXCLUSIVE_RULES,
};
use std::collections::HashMap;

fn at(days_ago: f64) -> chrono::DateTime<chrono::Utc> {
    now() - Duration::minutes((days_ago * 1_440.0) as i64)
}

fn kind() -> impl Strategy<Value = EngagementKind> {
    prop_oneof![
        Just(EngagementKind::Email),
        Just(EngagementKind::Call),
        Just(EngagementKind::Meeting),
        Just(EngagementKind::Note),
        Just(EngagementKind::Task),
    ]
}

fn priority() -> impl Strategy<Value = Option<TicketPriority>> {
    prop_oneof![
        Just(None),
        Just(Some(TicketPriority::Low)),
        Just(Some(TicketPriority::Medium)),
        Just(Some(TicketPriority::High)),
        Just(Some(TicketPriority::Urgent)),
    ]
}

fn stage() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("customer".to_owned())),
        Just(Some("lead".to_owned())),
        Just(Some("opportunity".to_owned())),
        Just(Some("subscriber".to_owned())),
        Just(Some("12345".to_owned())),
    ]
}

/// Days ago; negative values are in the future.
fn day() -> impl Strategy<Value = f64> {
    -10.0f64..800.0
}

fn engagement(contacts: usize) -> impl Strategy<Value = Engagement> {
    (
        kind(),
        prop::option::of(prop_oneof![
            Just(Direction::Inbound),
            Just(Direction::Outbound)
        ]),
        any::<bool>(),
        day(),
        prop::collection::vec(0..contacts.max(1) + 1, 0..3),
    )
        .prop_map(
            |(kind, direction, completed, days, contact_ids)| Engagement {
                id: String::new(),
                kind,
                direction,
                occurred_at: at(days),
                completed,
                contact_ids: contact_ids.into_iter().map(|c| format!("c{c}")).collect(),
            },
        )
}

fn deal() -> impl Strategy<Value = Deal> {
    (
        prop::option::of(-1_000.0f64..2_000_000.0),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(day()),
    )
        .prop_map(|(amount, is_closed, won, close)| Deal {
            id: String::new(),
            amount,
            is_closed,
            is_closed_won: is_closed && won,
            close_date: close.map(at),
            stage: None,
        })
}

fn ticket() -> impl Strategy<Value = Ticket> {
    (
        any::<bool>(),
        priority(),
        prop::option::of(day()),
        prop::option::of(0i64..5_000),
    )
        .prop_map(|(is_open, priority, created, hours)| Ticket {
            id: String::new(),
            is_open,
            priority,
            created_at: created.map(at),
            closed_at: match (is_open, created, hours) {
                (false, Some(c), Some(h)) => Some(at(c) + Duration::hours(h)),
                _ => None,
            },
        })
}

fn snapshot_with(
    id: usize,
    tickets: std::ops::Range<usize>,
) -> impl Strategy<Value = ClientSnapshot> {
    (0usize..6).prop_flat_map(move |contacts| {
        (
            stage(),
            prop::collection::vec(engagement(contacts), 0..40),
            prop::collection::vec(deal(), 0..6),
            prop::collection::vec(ticket(), tickets.clone()),
            prop::option::of(-1_000.0f64..500_000.0),
            [
                prop::option::of(day()),
                prop::option::of(day()),
                prop::option::of(day()),
            ],
            1usize..4,
        )
            .prop_map(
                move |(stage, engagements, deals, tickets, reported, dates, sources)| {
                    ClientSnapshot {
                        client_id: ClientId::parse(format!("c-{id}")).unwrap(),
                        name: format!("Client {id}"),
                        domain: None,
                        lifecycle_stage: stage,
                        activity: CompanyActivity {
                            last_contacted: dates[0].map(at),
                            last_sales_activity: dates[1].map(at),
                            last_updated_notes: dates[2].map(at),
                        },
                        reported_revenue: reported,
                        contacts: (0..contacts)
                            .map(|c| ContactSummary {
                                id: format!("c{c}"),
                                lifecycle_stage: None,
                                nps_rating: None,
                            })
                            .collect(),
                        deals,
                        tickets,
                        engagements,
                        sources: (0..sources).map(|s| format!("source-{s}")).collect(),
                        updated_at: now(),
                        csm_sentiment: None,
                    }
                },
            )
    })
}

fn snapshot() -> impl Strategy<Value = ClientSnapshot> {
    snapshot_with(0, 0..5)
}

fn tenant_snapshots() -> impl Strategy<Value = Vec<ClientSnapshot>> {
    (1usize..8).prop_flat_map(|n| (0..n).map(|i| snapshot_with(i, 0..4)).collect::<Vec<_>>())
}

fn any_settings() -> impl Strategy<Value = ScoringSettings> {
    (
        7u32..365,
        [0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0],
    )
        .prop_map(|(window_days, w)| {
            let sum: f64 = w.iter().sum::<f64>().max(f64::EPSILON);
            ScoringSettings {
                window_days,
                weights: Weights {
                    crm: w[0] / sum,
                    payment: w[1] / sum,
                    usage: w[2] / sum,
                    support: w[3] / sum,
                },
                ..ScoringSettings::default()
            }
        })
}

fn dimension_of(snapshot: &ClientSnapshot, dimension: Dimension) -> Option<u8> {
    let settings = settings();
    let features = derive_features(snapshot, &settings, now());
    let ctx = TenantContext::from_features(std::slice::from_ref(&features));
    score_client(&features, &ctx, &settings, &[], now())
        .dimension(dimension)
        .and_then(|d| d.score)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_score_is_within_0_and_100(snapshots in tenant_snapshots(), settings in any_settings()) {
        let result = score_tenant(&tenant(), &snapshots, &HashMap::new(), &settings, now());
        prop_assert_eq!(result.scores.len(), snapshots.len());
        for score in &result.scores {
            prop_assert!(score.overall <= 100);
            prop_assert!(score.churn_risk <= 100);
            for dimension in &score.dimensions {
                prop_assert!(dimension.score.is_none_or(|s| s <= 100));
                prop_assert!(dimension.weight.is_finite() && (0.0..=1.0).contains(&dimension.weight));
                prop_assert!(dimension.factors.iter().all(|f| f.points.is_finite()));
            }
        }
        for insight in &result.insights {
            prop_assert!(insight.confidence <= 100);
            prop_assert!(insight.evidence.iter().all(|e| e.value.is_finite()));
        }
    }

    #[test]
    fn more_recent_activity_never_lowers_the_crm_score(
        snapshot in snapshot(),
        days in -5.0f64..200.0,
        kind in kind(),
    ) {
        let before = dimension_of(&snapshot, Dimension::Crm);
        let mut busier = snapshot.clone();
        busier.engagements.push(Engagement {
            id: "extra".to_owned(),
            kind,
            direction: Some(Direction::Outbound),
            occurred_at: at(days),
            completed: false,
            contact_ids: Vec::new(),
        });
        prop_assert!(dimension_of(&busier, Dimension::Crm) >= before);
    }

    #[test]
    fn a_more_recent_last_contact_never_lowers_the_crm_score(
        snapshot in snapshot(),
        earlier in 0.0f64..400.0,
        sooner_by in 0.0f64..400.0,
    ) {
        let mut older = snapshot.clone();
        older.activity.last_contacted = Some(at(earlier));
        let mut newer = snapshot;
        newer.activity.last_contacted = Some(at((earlier - sooner_by).max(0.0)));
        prop_assert!(dimension_of(&newer, Dimension::Crm) >= dimension_of(&older, Dimension::Crm));
    }

    #[test]
    fn more_open_urgent_tickets_never_raise_the_support_score(
        snapshot in snapshot_with(0, 1..6),
        extra in prop::collection::vec((day(), prop_oneof![Just(TicketPriority::High), Just(TicketPriority::Urgent)]), 1..5),
    ) {
        let before = dimension_of(&snapshot, Dimension::Support);
        prop_assert!(before.is_some(), "a client with tickets has a support score");
        let mut worse = snapshot;
        for (i, (days, priority)) in extra.into_iter().enumerate() {
            worse.tickets.push(Ticket {
                id: format!("urgent-{i}"),
                is_open: true,
                priority: Some(priority),
                created_at: Some(at(days)),
                closed_at: None,
            });
        }
        prop_assert!(dimension_of(&worse, Dimension::Support) <= before);
    }

    #[test]
    fn the_engine_is_deterministic(snapshots in tenant_snapshots()) {
        let first = score_tenant(&tenant(), &snapshots, &HashMap::new(), &settings(), now());
        let second = score_tenant(&tenant(), &snapshots.clone(), &HashMap::new(), &settings(), now());
        prop_assert_eq!(&first, &second);
        let as_json = |r: &shared::scoring::TenantScores| {
            serde_json::to_string(&(&r.scores, &r.insights)).unwrap_or_default()
        };
        prop_assert_eq!(as_json(&first), as_json(&second));
    }
}

/// The exclusive pairs open together for one client in a run's insights.
fn contradictions(result: &TenantScores) -> Vec<(String, InsightRule, InsightRule)> {
    let open = |client: &ClientId, rule: InsightRule| {
        result
            .insights
            .iter()
            .any(|i| &i.client_id == client && i.rule == rule && i.status == InsightStatus::Open)
    };
    let mut found = Vec::new();
    for score in &result.scores {
        for (a, b) in EXCLUSIVE_RULES {
            if open(&score.client_id, a) && open(&score.client_id, b) {
                found.push((score.client_id.to_string(), a, b));
            }
        }
    }
    found
}

/// Healthy peers that set a healthy median revenue, so the upsell rule can fire for the others.
fn healthy_peers() -> Vec<ClientSnapshot> {
    (0..3)
        .map(|i| {
            client(&format!("peer-{i}"))
                .contacts(1)
                .sent_emails(10)
                .received_emails(10)
                .won_deal(Some(60_000.0 + f64::from(i) * 10_000.0), 30.0)
                .build()
        })
        .collect()
}

/// The case a user met: $25,000 of revenue and 4 interactions in the window, every one answered. The
/// few replies push usage over 70, which once made it an upsell too; it is low-engagement only.
#[test]
fn a_high_value_client_with_few_interactions_is_never_also_an_upsell() {
    let mut snapshots = healthy_peers();
    snapshots.push(
        client("few")
            .contacts(1)
            .sent_emails(2)
            .received_emails(2)
            .won_deal(Some(25_000.0), 20.0)
            .build(),
    );
    let result = score_tenant(&tenant(), &snapshots, &HashMap::new(), &settings(), now());
    let rules: Vec<InsightRule> = result
        .insights
        .iter()
        .filter(|i| i.client_id.as_str() == "few")
        .map(|i| i.rule)
        .collect();
    assert!(
        rules.contains(&InsightRule::HighValueLowEngagement),
        "{rules:?}"
    );
    assert!(
        !rules.contains(&InsightRule::UpsellOpportunity),
        "{rules:?}"
    );
}

/// Clients near the rules' edges: few or many interactions, replies or none, revenue around the
/// high-value line, tickets, open deals, old or recent contact.
fn borderline_client(id: usize) -> impl Strategy<Value = ClientSnapshot> {
    (
        1u32..3,
        0u32..9,
        0u32..9,
        5_000.0f64..80_000.0,
        1.0f64..200.0,
        0u32..3,
        any::<bool>(),
        prop::option::of(0.0f64..120.0),
    )
        .prop_map(
            move |(contacts, sent, received, revenue, won_days, urgent, open_deal, contacted)| {
                let mut builder = client(&format!("edge-{id}"))
                    .contacts(contacts)
                    .sent_emails(sent)
                    .received_emails(received)
                    .won_deal(Some(revenue), won_days);
                for _ in 0..urgent {
                    builder = builder.ticket(true, Some(TicketPriority::Urgent), 3.0, None);
                }
                if open_deal {
                    builder = builder.open_deal();
                }
                if let Some(days) = contacted {
                    builder = builder.last_contacted(days);
                }
                builder.build()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_pair_of_mutually_exclusive_insights_is_ever_open_together(
        snapshots in tenant_snapshots(),
        borderline in (1usize..6).prop_flat_map(|n| (0..n).map(borderline_client).collect::<Vec<_>>()),
        settings in any_settings(),
    ) {
        let mut all = healthy_peers();
        all.extend(snapshots);
        all.extend(borderline);
        let result = score_tenant(&tenant(), &all, &HashMap::new(), &settings, now());
        let found = contradictions(&result);
        prop_assert!(found.is_empty(), "contradicting insights: {:?}", found);
    }
}

/// Segments whose rules no generated client matches (no snapshot has this stage or revenue that
/// high), with weights and thresholds unlike the tenant's.
fn segments_matching_no_one() -> Vec<shared::domain::Segment> {
    use shared::domain::{Segment, SegmentRule, Thresholds};
    let rule = |stages: Vec<String>, min: Option<f64>| SegmentRule {
        lifecycle_stages: stages,
        revenue_min: min,
        revenue_max: None,
    };
    let odd = Segment {
        id: "nobody".into(),
        name: "Nobody".into(),
        rule: rule(vec!["no-such-stage".into()], None),
        weights: Some(Weights {
            crm: 0.7,
            payment: 0.1,
            usage: 0.1,
            support: 0.1,
        }),
        thresholds: Some(Thresholds {
            inactive_days: 1,
            at_risk_overall: 99,
            ..Thresholds::default()
        }),
    };
    let rich = Segment {
        id: "billionaires".into(),
        rule: rule(Vec::new(), Some(1e15)),
        ..odd.clone()
    };
    vec![odd, rich]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_client_in_no_segment_scores_exactly_as_without_segments(
        snapshots in tenant_snapshots(),
        settings in any_settings(),
    ) {
        let plain = score_tenant(&tenant(), &snapshots, &HashMap::new(), &settings, now());
        let segmented_settings = ScoringSettings {
            segments: segments_matching_no_one(),
            ..settings
        };
        let segmented =
            score_tenant(&tenant(), &snapshots, &HashMap::new(), &segmented_settings, now());
        prop_assert_eq!(plain, segmented);
    }
}

#[test]
fn a_client_in_a_segment_is_scored_with_its_weights_and_named_by_it() {
    use shared::domain::{Segment, SegmentRule};
    let snapshots = vec![
        client("1")
            .stage(Some("customer"))
            .sent_emails(4)
            .note(3.0)
            .build(),
        client("2")
            .stage(Some("lead"))
            .sent_emails(4)
            .note(3.0)
            .build(),
    ];
    let crm_only = Weights {
        crm: 1.0,
        payment: 0.0,
        usage: 0.0,
        support: 0.0,
    };
    let segmented = ScoringSettings {
        segments: vec![Segment {
            id: "customers".into(),
            name: "Customers".into(),
            rule: SegmentRule {
                lifecycle_stages: vec!["Customer".into()],
                ..SegmentRule::default()
            },
            weights: Some(crm_only),
            thresholds: None,
        }],
        ..settings()
    };
    let result = score_tenant(&tenant(), &snapshots, &HashMap::new(), &segmented, now());
    let plain = score_tenant(&tenant(), &snapshots, &HashMap::new(), &settings(), now());
    let (customer, lead) = (&result.scores[0], &result.scores[1]);
    assert_eq!(customer.segment.as_deref(), Some("customers"));
    assert_eq!(lead.segment, None);
    let crm = customer.dimension(Dimension::Crm).unwrap();
    assert_eq!(crm.weight, 1.0, "the segment's weights scored it");
    assert_eq!(customer.overall, crm.score.unwrap());
    assert_ne!(
        plain.scores[0].dimension(Dimension::Crm).unwrap().weight,
        1.0
    );
    assert_eq!(lead, &plain.scores[1], "the lead is in no segment");
}
