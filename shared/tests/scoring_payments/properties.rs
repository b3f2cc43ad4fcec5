//! Properties over generated tenants and payer records.

use super::*;

fn hubspot_client(id: usize) -> impl Strategy<Value = ClientSnapshot> {
    (
        0u32..3,
        0u32..12,
        0u32..12,
        prop::option::of(1_000.0f64..80_000.0),
        0u32..3,
        any::<bool>(),
        prop::option::of(0.0f64..120.0),
        0u32..12,
    )
        .prop_map(
            move |(contacts, sent, received, revenue, urgent, open_deal, contacted, notes)| {
                let mut builder = client(&format!("c-{id}"))
                    .contacts(contacts)
                    .sent_emails(sent)
                    .received_emails(received);
                if let Some(amount) = revenue {
                    builder = builder.won_deal(Some(amount), 40.0);
                }
                for _ in 0..urgent {
                    builder = builder.ticket(true, Some(TicketPriority::Urgent), 3.0, None);
                }
                if open_deal {
                    builder = builder.open_deal();
                }
                if let Some(days) = contacted {
                    builder = builder.last_contacted(days);
                }
                for n in 0..notes {
                    builder = builder.note(35.0 + f64::from(n));
                }
                builder.build()
            },
        )
}

pub(super) fn tenant_clients() -> impl Strategy<Value = Vec<ClientSnapshot>> {
    (1usize..6).prop_flat_map(|n| (0..n).map(hubspot_client).collect::<Vec<_>>())
}

/// Any payer: invoices paid or not, transactions of every kind, disputes, subscriptions.
fn any_payer() -> impl Strategy<Value = PayerRecord> {
    use shared::domain::{PaymentKind, PaymentStatus};
    let kind = prop_oneof![
        Just(PaymentKind::Payment),
        Just(PaymentKind::SubscriptionPayment),
        Just(PaymentKind::Refund),
        Just(PaymentKind::Chargeback),
        Just(PaymentKind::Reversal),
    ];
    let status = prop_oneof![
        Just(PaymentStatus::Success),
        Just(PaymentStatus::Denied),
        Just(PaymentStatus::Pending),
    ];
    let subscription = prop_oneof![
        Just(SubscriptionStatus::Active),
        Just(SubscriptionStatus::Suspended),
        Just(SubscriptionStatus::Cancelled),
        Just(SubscriptionStatus::Expired),
    ];
    (
        prop::collection::vec(
            (1.0f64..5_000.0, 0i64..400, prop::option::of(-30i64..30)),
            0..5,
        ),
        prop::collection::vec((kind, status, 1.0f64..5_000.0, -5.0f64..400.0), 0..8),
        prop::collection::vec((any::<bool>(), any::<bool>(), 0.0f64..300.0), 0..3),
        prop::collection::vec(
            (subscription, 0u32..4, prop::option::of(0.0f64..300.0)),
            0..3,
        ),
    )
        .prop_map(|(invoices, transactions, disputes, subscriptions)| {
            let mut builder = payer("ANY");
            for (amount, due_days, paid_offset) in invoices {
                // Paid `offset` days after the due date, never in the future.
                let paid = paid_offset.map(|offset| (due_days - offset).max(0));
                builder = builder.invoice(amount, due_days, paid);
            }
            for (kind, status, amount, days) in transactions {
                builder = builder.transaction(kind, status, amount, days);
            }
            for (chargeback, open, days) in disputes {
                let stage = if chargeback {
                    DisputeStage::Chargeback
                } else {
                    DisputeStage::Inquiry
                };
                builder = builder.dispute(stage, if open { "OPEN" } else { "RESOLVED" }, days);
            }
            for (status, failed, changed) in subscriptions {
                builder = builder.subscription(status, failed, changed);
            }
            builder.build()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// No HubSpot-only result changes: clients without linked records score exactly as
    /// `score_tenant` scores them, whatever is linked to a client beside them.
    #[test]
    fn clients_without_links_score_as_before(
        snapshots in tenant_clients(),
        record in any_payer(),
        match_confidence in 0.6f64..=1.0,
    ) {
        let before = score_tenant(&tenant(), &snapshots, &HashMap::new(), &settings(), now());
        prop_assert_eq!(&run_linked(&snapshots, Vec::new()), &before);
        let mut with_linked = snapshots.clone();
        with_linked.push(client("linked").build());
        let after = run_linked(&with_linked, vec![linked("linked", record, match_confidence)]);
        // Everything about the unlinked clients but the upsell (whose healthy median counts the
        // linked client) stays the same.
        for (old, new) in before.scores.iter().zip(&after.scores) {
            prop_assert_eq!(old, new);
        }
        let unlinked = |i: &&Insight| i.client_id.as_str() != "linked" && i.rule != InsightRule::UpsellOpportunity;
        let old: Vec<&Insight> = before.insights.iter().filter(unlinked).collect();
        let new: Vec<&Insight> = after.insights.iter().filter(unlinked).collect();
        prop_assert_eq!(old, new);
    }

    /// A linked record that agrees (uniformly troubled, or uniformly in good standing) never lowers
    /// the confidence of an insight it backs, at any match confidence.
    #[test]
    fn an_agreeing_linked_record_never_lowers_confidence(
        snapshots in tenant_clients(),
        good in any::<bool>(),
        match_confidence in 0.6f64..=1.0,
    ) {
        let record = if good { in_good_standing("P1").build() } else { troubled("P1").build() };
        let target = snapshots[0].client_id.to_string();
        let before = score_tenant(&tenant(), &snapshots, &HashMap::new(), &settings(), now());
        let after = run_linked(&snapshots, vec![linked(&target, record, match_confidence)]);
        for insight in after.insights.iter().filter(|i| i.client_id.as_str() == target) {
            let backed_by_payments = insight.sources.iter().any(|s| s.platform == Platform::Paypal);
            let earlier = before.insights.iter().find(|i| i.id == insight.id);
            if let (true, Some(earlier)) = (backed_by_payments, earlier) {
                prop_assert!(
                    insight.confidence >= earlier.confidence,
                    "{:?}: {} < {}", insight.rule, insight.confidence, earlier.confidence
                );
            }
        }
        // Every insight of the linked client that rests on payments names the match.
        for insight in &after.insights {
            for source in insight.sources.iter().filter(|s| s.platform == Platform::Paypal) {
                prop_assert_eq!(source.matched_by, Some(MatchMethod::EmailDomain));
            }
        }
    }

    #[test]
    fn no_pair_of_mutually_exclusive_insights_is_open_together_with_payments(
        snapshots in tenant_clients(),
        records in prop::collection::vec((any_payer(), 0.6f64..=1.0), 1..4),
    ) {
        let mut all: Vec<ClientSnapshot> = (0..3)
            .map(|i| healthy(&format!("peer-{i}"), 60_000.0 + f64::from(i) * 10_000.0).build())
            .collect();
        all.extend(snapshots.iter().cloned());
        let links = records
            .into_iter()
            .zip(&snapshots)
            .map(|((record, confidence), s)| linked(s.client_id.as_str(), record, confidence))
            .collect();
        let result = run_linked(&all, links);
        for score in &result.scores {
            let open = |rule| result.insights.iter().any(|i| i.client_id == score.client_id && i.rule == rule && i.status == InsightStatus::Open);
            for (a, b) in EXCLUSIVE_RULES {
                prop_assert!(!(open(a) && open(b)), "{} has {:?} and {:?}", score.client_id, a, b);
            }
        }
        for insight in &result.insights {
            prop_assert!(insight.confidence <= 100);
            prop_assert!(insight.evidence.iter().all(|e| e.value.is_finite()));
        }
        for score in &result.scores {
            prop_assert!(score.overall <= 100 && score.churn_risk <= 100);
        }
    }
}
