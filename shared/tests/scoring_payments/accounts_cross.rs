//! The four cross-source rules: each fires with two sources and not with one, names both, and is
//! less sure with a weaker match; exclusive rules never open together; a client without linked
//! accounts scores exactly as before.

use super::accounts::*;
use super::*;

fn confidence_of(insights: &[Insight], rule: InsightRule) -> u8 {
    find(insights, rule).map(|i| i.confidence).expect("fires")
}

// (a) paid seats unused: Pax8 seats against Microsoft 365 active users.
#[test]
fn paid_seats_unused_needs_pax8_and_microsoft_365() {
    let snapshot = || healthy("a", 20_000.0).build();
    let seats = || pax8("p").seats("m365", 20.0, 20.0).build();
    let users = || m365("t").active_users(6).build();
    let (_, both) = run_accounts(snapshot(), vec![(seats(), 0.95), (users(), 0.95)]);
    let found = find(&both, InsightRule::PaidSeatsUnused).expect("fires with both");
    assert_eq!(platforms(found), [Platform::Pax8, Platform::M365]);
    assert_eq!(evidence(found, "idle_seats"), Some(14.0));
    let (_, pax8_only) = run_accounts(snapshot(), vec![(seats(), 0.95)]);
    let (_, m365_only) = run_accounts(snapshot(), vec![(users(), 0.95)]);
    assert!(find(&pax8_only, InsightRule::PaidSeatsUnused).is_none());
    assert!(find(&m365_only, InsightRule::PaidSeatsUnused).is_none());
    let (_, weak) = run_accounts(snapshot(), vec![(seats(), 0.95), (users(), 0.6)]);
    assert!(
        confidence_of(&weak, InsightRule::PaidSeatsUnused)
            < confidence_of(&both, InsightRule::PaidSeatsUnused)
    );
    // Seats in use: nothing to say.
    let busy = m365("t").active_users(19).build();
    let (_, used) = run_accounts(snapshot(), vec![(seats(), 0.95), (busy, 0.95)]);
    assert!(find(&used, InsightRule::PaidSeatsUnused).is_none());
}

// (b) support load rising while engagement falls: NinjaOne against HubSpot.
#[test]
fn support_load_rising_needs_ninjaone_up_and_hubspot_down() {
    let rising = || {
        ninja("7")
            .devices(10, 0, 0.0)
            .alerts(AlertSeverity::Major, 5, 5.0)
            .alerts(AlertSeverity::Minor, 1, 45.0)
            .build()
    };
    let (_, both) = run_accounts(contact_falling("a", 2), vec![(rising(), 0.95)]);
    let found = find(&both, InsightRule::SupportLoadRising).expect("fires");
    assert_eq!(platforms(found), [Platform::Hubspot, Platform::Ninjaone]);
    assert_eq!(evidence(found, "it_alerts_and_tickets_30d"), Some(5.0));
    // HubSpot alone: contact falls, nothing says IT trouble rises.
    let (_, crm_only) = run_accounts(contact_falling("a", 2), Vec::new());
    assert!(find(&crm_only, InsightRule::SupportLoadRising).is_none());
    // NinjaOne alone rising, contact steady.
    let (_, steady) = run_accounts(contact_falling("a", 10), vec![(rising(), 0.95)]);
    assert!(find(&steady, InsightRule::SupportLoadRising).is_none());
    let (_, weak) = run_accounts(contact_falling("a", 2), vec![(rising(), 0.6)]);
    assert!(
        confidence_of(&weak, InsightRule::SupportLoadRising)
            < confidence_of(&both, InsightRule::SupportLoadRising)
    );
}

// (c) expansion: seats growing, payments healthy, no open deal.
#[test]
fn expansion_signal_needs_growing_seats_healthy_payments_and_no_open_deal() {
    let growing = || pax8("p").seats("m365", 10.0, 15.0).build();
    let (_, both) = run_accounts(healthy("a", 20_000.0).build(), vec![(growing(), 0.95)]);
    let found = find(&both, InsightRule::ExpansionSignal).expect("fires");
    assert_eq!(platforms(found), [Platform::Hubspot, Platform::Pax8]);
    assert_eq!(evidence(found, "seat_growth_90d"), Some(0.5));
    // No Pax8: nothing grows.
    let (_, crm_only) = run_accounts(healthy("a", 20_000.0).build(), Vec::new());
    assert!(find(&crm_only, InsightRule::ExpansionSignal).is_none());
    // A deal is already open, or nothing says the client pays.
    let open = healthy("a", 20_000.0).open_deal().build();
    assert!(find(
        &run_accounts(open, vec![(growing(), 0.95)]).1,
        InsightRule::ExpansionSignal
    )
    .is_none());
    let unpaid = client("a")
        .contacts(1)
        .sent_emails(5)
        .received_emails(5)
        .build();
    assert!(find(
        &run_accounts(unpaid, vec![(growing(), 0.95)]).1,
        InsightRule::ExpansionSignal
    )
    .is_none());
    // PayPal in good standing counts as healthy payments, and is named.
    let id = "b";
    let mut records = linked_accounts(id, vec![(growing(), 0.95)]).1;
    records.push(
        link(MatchMethod::EmailDomain, 0.9),
        in_good_standing("P1").build(),
    );
    let snapshot = client(id)
        .contacts(1)
        .sent_emails(5)
        .received_emails(5)
        .build();
    let result = run_linked(&[snapshot], vec![(ClientId::parse(id).unwrap(), records)]);
    let found = find(&result.insights, InsightRule::ExpansionSignal).expect("fires with PayPal");
    assert!(platforms(found).contains(&Platform::Paypal));
    let (_, weak) = run_accounts(healthy("a", 20_000.0).build(), vec![(growing(), 0.6)]);
    assert!(
        confidence_of(&weak, InsightRule::ExpansionSignal)
            < confidence_of(&both, InsightRule::ExpansionSignal)
    );
}

// (d) silent client: no HubSpot activity, devices offline, Microsoft 365 activity falling.
#[test]
fn silent_client_needs_crm_silence_and_another_source_going_quiet() {
    let quiet = || client("a").contacts(1).last_contacted(60.0).build();
    let offline = || ninja("7").devices(1, 5, 20.0).build();
    let falling = || m365("t").daily(20, 8).build();
    let (_, two) = run_accounts(quiet(), vec![(offline(), 0.95)]);
    let found = find(&two, InsightRule::SilentClient).expect("fires with NinjaOne");
    assert_eq!(platforms(found), [Platform::Hubspot, Platform::Ninjaone]);
    let (_, three) = run_accounts(quiet(), vec![(offline(), 0.95), (falling(), 0.95)]);
    let found = find(&three, InsightRule::SilentClient).expect("fires with all three");
    assert_eq!(
        platforms(found),
        [Platform::Hubspot, Platform::Ninjaone, Platform::M365]
    );
    assert!(evidence(found, "m365_activity_fall").unwrap() > 0.5);
    assert!(found.confidence > confidence_of(&two, InsightRule::SilentClient));
    // HubSpot alone: inactive, not silent across sources.
    let (_, crm_only) = run_accounts(quiet(), Vec::new());
    assert!(find(&crm_only, InsightRule::SilentClient).is_none());
    assert!(find(&crm_only, InsightRule::InactiveClient).is_some());
    // Devices offline but the client talks to us.
    let (_, talking) = run_accounts(healthy("a", 20_000.0).build(), vec![(offline(), 0.95)]);
    assert!(find(&talking, InsightRule::SilentClient).is_none());
    let (_, weak) = run_accounts(quiet(), vec![(offline(), 0.6)]);
    assert!(
        confidence_of(&weak, InsightRule::SilentClient)
            < confidence_of(&two, InsightRule::SilentClient)
    );
}

fn any_accounts() -> impl Strategy<Value = Vec<(AccountRecord, f64)>> {
    let it =
        (0u32..8, 0u32..8, 0u32..4, 0u32..6, 0u32..4).prop_map(|(on, off, crit, recent, old)| {
            ninja("7")
                .devices(on, off, 20.0)
                .alerts(AlertSeverity::Critical, crit, 3.0)
                .alerts(AlertSeverity::Major, recent, 5.0)
                .alerts(AlertSeverity::Minor, old, 45.0)
                .build()
        });
    let subs = (0.0f64..30.0, 0.0f64..30.0, any::<bool>()).prop_map(|(before, now, cancel)| {
        let builder = pax8("p").seats("m365", before.round(), now.round());
        if cancel {
            builder.cancelled("av", 5.0, 20).build()
        } else {
            builder.build()
        }
    });
    let prod = (0u32..30, 0u32..30, 0u32..30, 0u32..20, 0u32..20).prop_map(
        |(enabled, consumed, active, prior, recent)| {
            m365("t")
                .licences("SPE_E3", enabled, consumed.min(enabled))
                .active_users(active)
                .daily(prior, recent)
                .build()
        },
    );
    (
        prop::option::of((it, 0.3f64..1.0)),
        prop::option::of((subs, 0.3f64..1.0)),
        prop::option::of((prod, 0.3f64..1.0)),
    )
        .prop_map(|(a, b, c)| [a, b, c].into_iter().flatten().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Clients without linked accounts score and find exactly as before, whatever another client's
    /// accounts hold; with accounts, no two exclusive rules open together.
    #[test]
    fn accounts_change_only_their_clients_and_exclusive_rules_stay_apart(
        clients in super::properties::tenant_clients(),
        accounts in any_accounts(),
        pick in 0usize..6,
    ) {
        let before = score_tenant(&tenant(), &clients, &HashMap::new(), &settings(), now());
        // A client of its own, without revenue, so the tenant's yardsticks stay where they were.
        let mut with_linked = clients.clone();
        with_linked.push(client("linked").build());
        let after = run_linked(&with_linked, vec![linked_accounts("linked", accounts.clone())]);
        for score in &before.scores {
            prop_assert!(after.scores.contains(score), "{} changed", score.client_id);
        }
        for insight in &before.insights {
            prop_assert!(after.insights.contains(insight), "{} changed", insight.id);
        }
        // Accounts on one of the clients: never two exclusive findings for one client.
        let linked_id = clients[pick % clients.len()].client_id.to_string();
        let after = run_linked(&clients, vec![linked_accounts(&linked_id, accounts)]);
        for (a, b) in EXCLUSIVE_RULES {
            for client in &clients {
                let has = |rule| {
                    after
                        .insights
                        .iter()
                        .any(|i| i.rule == rule && i.client_id == client.client_id)
                };
                prop_assert!(!(has(a) && has(b)), "{:?} and {:?} together", a, b);
            }
        }
    }
}
