//! Scoring with account platforms linked (NinjaOne, Pax8, Microsoft 365): each factor moves its
//! dimension, each rule fires on its side of the threshold, the cross-source rules need two sources,
//! name them and carry both matches; a client without linked accounts scores exactly as before.

use super::*;
pub(super) use scoring_support::accounts::{linked_accounts, m365, ninja, pax8};
pub(super) use shared::domain::{
    AccountRecord, AlertSeverity, Direction, EngagementKind, ScoringSettings,
};
use shared::scoring::{
    cross_source_confidence, derive_account_features, derive_linked_features, RecordMatch,
};

pub(super) fn run_accounts(
    snapshot: ClientSnapshot,
    accounts: Vec<(AccountRecord, f64)>,
) -> (HealthScore, Vec<Insight>) {
    let id = snapshot.client_id.to_string();
    let mut result = run_linked(&[snapshot], vec![linked_accounts(&id, accounts)]);
    (result.scores.remove(0), result.insights)
}

pub(super) fn dimension(score: &HealthScore, dimension: Dimension) -> Option<u8> {
    score.dimension(dimension).and_then(|d| d.score)
}

pub(super) fn platforms(insight: &Insight) -> Vec<Platform> {
    insight.sources.iter().map(|s| s.platform).collect()
}

/// HubSpot: ten interactions 31 to 60 days ago, `recent` in the last 30.
pub(super) fn contact_falling(id: &str, recent: u32) -> ClientSnapshot {
    let mut builder = client(id).contacts(1).won_deal(Some(20_000.0), 100.0);
    for i in 0..10 {
        builder = builder.engagement(
            EngagementKind::Email,
            Some(Direction::Inbound),
            false,
            35.0 + f64::from(i),
        );
    }
    for i in 0..recent {
        builder = builder.engagement(
            EngagementKind::Email,
            Some(Direction::Outbound),
            false,
            2.0 + f64::from(i),
        );
    }
    builder.build()
}

// ---- factors ---------------------------------------------------------------------------------

#[test]
fn ninjaone_gives_support_data_where_hubspot_has_no_tickets_and_alerts_lower_it() {
    let snapshot = healthy("a", 20_000.0).build();
    let (alone, _) = run_accounts(snapshot.clone(), Vec::new());
    assert_eq!(dimension(&alone, Dimension::Support), None);
    let (calm, _) = run_accounts(
        snapshot.clone(),
        vec![(ninja("7").devices(10, 0, 0.0).build(), 0.9)],
    );
    assert_eq!(dimension(&calm, Dimension::Support), Some(100));
    let troubled = ninja("7")
        .devices(6, 4, 20.0)
        .failing(3)
        .alerts(AlertSeverity::Critical, 2, 3.0)
        .alerts(AlertSeverity::Major, 2, 3.0);
    let (bad, _) = run_accounts(snapshot, vec![(troubled.build(), 0.9)]);
    let support = bad.dimension(Dimension::Support).unwrap();
    assert!(support.score.unwrap() < 50, "{support:?}");
    let points: f64 = support.factors.iter().map(|f| f.points).sum();
    assert!(
        (points - f64::from(support.score.unwrap())).abs() <= 1.0,
        "factors add up"
    );
    assert!(support
        .factors
        .iter()
        .any(|f| f.name == "open_critical_alerts"
            && f.source == Platform::Ninjaone
            && f.points < 0.0));
    // Offline devices lower usage too; CRM and payment do not move.
    assert!(dimension(&bad, Dimension::Usage) < dimension(&calm, Dimension::Usage));
    assert_eq!(
        dimension(&bad, Dimension::Crm),
        dimension(&alone, Dimension::Crm)
    );
    assert_eq!(
        dimension(&bad, Dimension::Payment),
        dimension(&alone, Dimension::Payment)
    );
}

#[test]
fn ninjaone_ticket_volume_and_age_count_only_with_ticketing() {
    let snapshot = healthy("a", 20_000.0).build();
    let base = ninja("7").devices(10, 0, 0.0);
    let (without, _) = run_accounts(snapshot.clone(), vec![(base.build(), 0.9)]);
    let busy = ninja("7").devices(10, 0, 0.0).tickets(6, true, true, 20.0);
    let (with, _) = run_accounts(snapshot, vec![(busy.build(), 0.9)]);
    assert!(dimension(&with, Dimension::Support) < dimension(&without, Dimension::Support));
    let support = with.dimension(Dimension::Support).unwrap();
    assert!(support
        .factors
        .iter()
        .any(|f| f.name == "it_oldest_open_ticket_days" && f.points < 0.0));
    assert!(without
        .dimension(Dimension::Support)
        .unwrap()
        .factors
        .iter()
        .all(|f| !f.name.starts_with("it_ticket")));
}

#[test]
fn hubspot_tickets_and_ninjaone_share_support_by_match() {
    let snapshot = healthy("a", 20_000.0)
        .ticket(true, Some(TicketPriority::High), 3.0, None)
        .build();
    let (hubspot_only, _) = run_accounts(snapshot.clone(), Vec::new());
    let calm = || ninja("7").devices(10, 0, 0.0).build();
    let (strong, _) = run_accounts(snapshot.clone(), vec![(calm(), 1.0)]);
    let (weak, _) = run_accounts(snapshot, vec![(calm(), 0.5)]);
    let hub = dimension(&hubspot_only, Dimension::Support).unwrap();
    // A calm NinjaOne lifts support, the more the surer its match.
    assert!(dimension(&weak, Dimension::Support).unwrap() > hub);
    assert!(dimension(&strong, Dimension::Support) > dimension(&weak, Dimension::Support));
}

#[test]
fn pax8_seats_shrinking_lowers_usage_and_raises_churn_risk() {
    let snapshot = healthy("a", 20_000.0).build();
    let (steady, _) = run_accounts(
        snapshot.clone(),
        vec![(
            pax8("p")
                .seats("m365", 20.0, 20.0)
                .seats("av", 20.0, 20.0)
                .build(),
            0.9,
        )],
    );
    let shrinking = pax8("p")
        .seats("m365", 20.0, 10.0)
        .cancelled("av", 20.0, 20);
    let (down, insights) = run_accounts(snapshot, vec![(shrinking.build(), 0.9)]);
    assert!(dimension(&down, Dimension::Usage) < dimension(&steady, Dimension::Usage));
    assert!(down.churn_risk > steady.churn_risk);
    let usage = down.dimension(Dimension::Usage).unwrap();
    for name in [
        "seat_trend_30d",
        "seat_trend_90d",
        "cancellations_and_downgrades_90d",
        "products",
    ] {
        assert!(
            usage
                .factors
                .iter()
                .any(|f| f.name == name && f.source == Platform::Pax8),
            "{name}"
        );
    }
    let found = find(&insights, InsightRule::SeatsShrinking).expect("seats shrinking");
    assert_eq!(platforms(found), [Platform::Pax8]);
    assert_eq!(evidence(found, "subscriptions_cancelled_90d"), Some(1.0));
    assert!(find(&insights, InsightRule::UpsellOpportunity).is_none());
}

#[test]
fn microsoft_365_unused_licences_and_falling_activity_lower_usage() {
    let snapshot = healthy("a", 20_000.0).build();
    let (used, insights_used) = run_accounts(
        snapshot.clone(),
        vec![(
            m365("t")
                .licences("SPE_E3", 20, 20)
                .active_users(20)
                .daily(15, 15)
                .build(),
            0.9,
        )],
    );
    let idle = m365("t")
        .licences("SPE_E3", 20, 10)
        .licences("FLOW_FREE", 10_000, 3)
        .active_users(4)
        .daily(15, 5);
    let (unused, insights) = run_accounts(snapshot, vec![(idle.build(), 0.9)]);
    assert!(dimension(&unused, Dimension::Usage) < dimension(&used, Dimension::Usage));
    let found = find(&insights, InsightRule::UnusedLicences).expect("unused licences");
    // The free pool is left out: 10 of 20 bought licences unassigned.
    assert_eq!(evidence(found, "licences_unassigned"), Some(10.0));
    assert_eq!(platforms(found), [Platform::M365]);
    assert!(find(&insights_used, InsightRule::UnusedLicences).is_none());
}

#[test]
fn scores_and_factors_name_the_linked_platforms_with_their_matches() {
    let (score, _) = run_accounts(
        healthy("a", 20_000.0).build(),
        vec![
            (ninja("7").devices(3, 0, 0.0).build(), 0.8),
            (
                m365("t").licences("SPE_E3", 5, 5).active_users(5).build(),
                0.9,
            ),
        ],
    );
    let ninja_source = score
        .sources
        .iter()
        .find(|s| s.platform == Platform::Ninjaone)
        .unwrap();
    assert_eq!(ninja_source.matched_by, Some(MatchMethod::Website));
    assert_eq!(ninja_source.match_confidence, Some(0.8));
    assert!(score.sources.iter().any(|s| s.platform == Platform::M365));
    let usage = score.dimension(Dimension::Usage).unwrap();
    assert!(usage.factors.iter().any(|f| f.source == Platform::M365));
    assert!(usage.factors.iter().any(|f| f.source == Platform::Hubspot));
}

#[test]
fn it_issues_fire_on_critical_alerts_or_many_offline_devices() {
    let snapshot = healthy("a", 20_000.0).build();
    let fires = |record: AccountRecord| {
        find(
            &run_accounts(snapshot.clone(), vec![(record, 0.9)]).1,
            InsightRule::ItIssues,
        )
        .cloned()
    };
    assert!(fires(
        ninja("7")
            .devices(10, 0, 0.0)
            .alerts(AlertSeverity::Major, 3, 1.0)
            .build()
    )
    .is_none());
    assert!(
        fires(ninja("7").devices(8, 2, 20.0).build()).is_none(),
        "20% offline is under 25%"
    );
    assert!(fires(ninja("7").devices(7, 3, 20.0).build()).is_some());
    let found = fires(
        ninja("7")
            .devices(10, 0, 0.0)
            .alerts(AlertSeverity::Critical, 1, 1.0)
            .build(),
    )
    .expect("a critical alert");
    assert_eq!(platforms(&found), [Platform::Ninjaone]);
    assert_eq!(evidence(&found, "open_critical_alerts"), Some(1.0));
}

#[test]
fn product_gap_compares_with_clients_of_similar_size() {
    let mut snapshots = Vec::new();
    let mut links = Vec::new();
    for i in 0..4 {
        let id = format!("peer{i}");
        snapshots.push(healthy(&id, 20_000.0).build());
        let record = pax8(&format!("p{i}"))
            .seats("m365", 10.0, 10.0)
            .seats("backup", 10.0, 10.0);
        links.push(linked_accounts(&id, vec![(record.build(), 0.9)]));
    }
    snapshots.push(healthy("lacking", 20_000.0).build());
    links.push(linked_accounts(
        "lacking",
        vec![(pax8("pl").seats("m365", 12.0, 12.0).build(), 0.9)],
    ));
    // A much larger client is nobody's peer.
    snapshots.push(healthy("big", 20_000.0).build());
    links.push(linked_accounts(
        "big",
        vec![(pax8("pb").seats("m365", 200.0, 200.0).build(), 0.9)],
    ));
    let result = run_linked(&snapshots, links);
    let gaps: Vec<&Insight> = result
        .insights
        .iter()
        .filter(|i| i.rule == InsightRule::ProductGap)
        .collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].client_id.as_str(), "lacking");
    assert!(gaps[0].title.contains("Product backup"));
    assert_eq!(evidence(gaps[0], "peers"), Some(4.0));
}

/// The settings of every account rule are validated with the others.
#[test]
fn account_and_cross_source_settings_are_validated() {
    let mut settings = ScoringSettings::default();
    assert_eq!(settings.validate(), Ok(()));
    settings.cross_source.silent_days = 0;
    assert_eq!(
        settings.validate().unwrap_err().field,
        "cross_source.silent_days"
    );
    let mut settings = ScoringSettings::default();
    settings.accounts.unused_licence_share = 2.0;
    assert_eq!(
        settings.validate().unwrap_err().field,
        "accounts.unused_licence_share"
    );
}

#[test]
fn features_of_a_client_without_accounts_are_empty() {
    let snapshot = contact_falling("a", 2);
    let features =
        derive_account_features(&snapshot, &LinkedRecords::default(), &settings(), now());
    assert!(features.is_empty());
    let linked = linked_accounts("a", vec![(pax8("p").build(), 0.9)]).1;
    let features = derive_linked_features(&snapshot, &linked, &settings(), now());
    assert_eq!(features.accounts.crm_interactions_prior_30d, 10);
    assert_eq!(features.accounts.crm_interactions_30d, 2);
}

#[test]
fn a_cross_source_finding_is_only_as_sure_as_every_platform_match() {
    let link = |platform, confidence| RecordMatch {
        platform,
        method: MatchMethod::Website,
        confidence,
    };
    let both = |a: f64, b: f64| {
        cross_source_confidence(
            1.0,
            1.0,
            &Backing::linked_only(vec![link(Platform::Pax8, a), link(Platform::M365, b)]),
        )
    };
    // Full data, two platforms matched for certain: full agreement.
    assert_eq!(both(1.0, 1.0), 100);
    // 0.9 x 0.8 of what the data says, whichever side is weaker.
    assert!(both(0.9, 0.8) <= 72, "{}", both(0.9, 0.8));
    assert_eq!(both(0.9, 0.8), both(0.8, 0.9));
    assert!(both(0.9, 0.5) < both(0.9, 0.8));
    // Without linked records it is the plain confidence.
    assert_eq!(
        cross_source_confidence(0.5, 0.5, &Backing::default()),
        confidence(0.5, 0.5, 0)
    );
}
