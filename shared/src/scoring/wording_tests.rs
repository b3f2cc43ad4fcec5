use super::*;
use crate::domain::{DimensionScore, Evidence};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every Rust file of the engine (`src/scoring/`), but this module's own.
fn engine_sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("wording"))
            {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/scoring"),
        &mut out,
    );
    assert!(out.len() > 10, "the engine's sources were found");
    out
}

/// The string literals written right after one of `openers` (whitespace and line breaks allowed),
/// when they look like an engine key (lower-case letters, digits, underscores).
fn keys_after(text: &str, openers: &[&str]) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for opener in openers {
        for (at, _) in text.match_indices(opener) {
            // A longer identifier ending the same way (`payment_evidence(`) is not the opener.
            let before = text[..at].chars().next_back();
            if opener.ends_with('(') && before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = text[at + opener.len()..].trim_start();
            let Some(literal) = rest.strip_prefix('"') else {
                continue;
            };
            let Some(end) = literal.find('"') else {
                continue;
            };
            let key = &literal[..end];
            if !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                keys.insert(key.to_owned());
            }
        }
    }
    keys
}

fn engine_factor_names() -> BTreeSet<String> {
    engine_sources()
        .iter()
        .flat_map(|(_, text)| keys_after(text, &["name: ", "part(", "deduction(", "factor("]))
        .collect()
}

fn engine_evidence_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for (_, text) in engine_sources() {
        keys.extend(keys_after(&text, &["evidence("]));
        keys.extend(
            keys_after(&text, &["evidence_threshold("])
                .into_iter()
                .map(|k| format!("threshold_{k}")),
        );
    }
    keys
}

#[test]
fn every_factor_the_engine_writes_has_a_label_and_a_unit() {
    let names = engine_factor_names();
    // The scan itself must see the factors of every dimension, or it proves nothing.
    for known in [
        "activity_recency",
        "adoption",
        "open_tickets",
        "revenue_value",
        "overdue_amount",
        "managed_devices",
        "it_baseline",
        "teams_activity_trend",
    ] {
        assert!(names.contains(known), "the scan missed {known}");
    }
    let unlabelled: Vec<&String> = names
        .iter()
        .filter(|n| factor_wording(n).is_none())
        .collect();
    assert!(
        unlabelled.is_empty(),
        "factors without a label in scoring/wording.rs: {unlabelled:?}"
    );
    for name in &names {
        let label = factor_label(name);
        assert!(!label.contains('_'), "{name}: {label}");
        assert!(label.starts_with(|c: char| c.is_uppercase()), "{label}");
        let value = factor_value(name, Some(3.0));
        assert!(!value.is_empty() && !value.contains('_'), "{name}: {value}");
    }
    // And nothing is labelled that the engine no longer writes.
    let stale: Vec<&str> = FACTORS
        .iter()
        .map(|(n, _, _)| *n)
        .filter(|n| !names.contains(*n))
        .collect();
    assert!(stale.is_empty(), "labels for no factor: {stale:?}");
}

#[test]
fn every_evidence_key_the_engine_writes_has_a_label() {
    let keys = engine_evidence_keys();
    for known in [
        "days_since_last_activity",
        "healthy_median_revenue",
        "overdue_amount",
        "threshold_inactive_days",
        "idle_seats",
    ] {
        assert!(keys.contains(known), "the scan missed {known}");
    }
    let unlabelled: Vec<&String> = keys
        .iter()
        .filter(|k| evidence_label(k).is_none())
        .collect();
    assert!(
        unlabelled.is_empty(),
        "evidence keys without a label in scoring/wording.rs: {unlabelled:?}"
    );
    for key in &keys {
        let text = evidence_text(&Evidence {
            name: key.clone(),
            value: 2.0,
            unit: Some("count".into()),
        });
        assert!(!text.contains('_'), "{key}: {text}");
    }
    let stale: Vec<&str> = EVIDENCE
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !keys.contains(*k))
        .collect();
    assert!(stale.is_empty(), "labels for no evidence key: {stale:?}");
}

#[test]
fn factor_values_read_with_their_unit() {
    let cases: &[(&str, Option<f64>, &str, &str)] = &[
        (
            "lifecycle_stage",
            Some(70.0),
            "Lifecycle stage",
            "70 of 100",
        ),
        (
            "activity_recency",
            Some(37.8),
            "Days since last activity",
            "37 days",
        ),
        (
            "activity_recency",
            Some(1.2),
            "Days since last activity",
            "1 day",
        ),
        (
            "activity_recency",
            None,
            "Days since last activity",
            "no data",
        ),
        (
            "activity_frequency",
            Some(4.25),
            "CRM activity",
            "4.2 per 30 days",
        ),
        (
            "engagement_ratio",
            Some(0.42),
            "Responses to outreach",
            "42%",
        ),
        (
            "interaction_frequency",
            Some(3.0),
            "Emails, calls and meetings",
            "3.0 per 30 days",
        ),
        ("adoption", Some(0.5), "Contacts who interacted", "50%"),
        ("managed_devices", Some(1250.0), "Managed devices", "1,250"),
        (
            "seat_trend_30d",
            Some(0.12),
            "Seat change over 30 days",
            "+12%",
        ),
        (
            "seat_trend_90d",
            Some(-0.08),
            "Seat change over 90 days",
            "-8%",
        ),
        (
            "seat_trend_90d",
            Some(-0.001),
            "Seat change over 90 days",
            "0%",
        ),
        (
            "cancellations_and_downgrades_90d",
            Some(2.0),
            "Subscriptions cancelled or reduced in 90 days",
            "2",
        ),
        ("products", Some(3.0), "Products subscribed", "3"),
        (
            "active_users_vs_licensed",
            Some(0.75),
            "Active users per assigned licence",
            "75%",
        ),
        (
            "licences_assigned",
            Some(0.9),
            "Bought licences assigned",
            "90%",
        ),
        (
            "mailbox_activity_trend",
            Some(-0.25),
            "Email activity change",
            "-25%",
        ),
        (
            "teams_activity_trend",
            Some(0.05),
            "Teams activity change",
            "+5%",
        ),
        ("tickets", Some(0.0), "Tickets on record", "0"),
        ("baseline", None, "Support starting score", "starts at 100"),
        (
            "open_tickets",
            Some(2.0),
            "Open tickets of normal priority",
            "2",
        ),
        (
            "open_high_priority_tickets",
            Some(1.0),
            "Open tickets of high or urgent priority",
            "1",
        ),
        (
            "median_hours_to_close",
            Some(31.46),
            "Median time to close a ticket",
            "31.5 hours",
        ),
        ("ticket_volume", Some(2.5), "New tickets", "2.5 per 30 days"),
        (
            "it_baseline",
            None,
            "IT support starting score",
            "starts at 100",
        ),
        (
            "devices_offline_long",
            Some(0.25),
            "Devices offline over a week",
            "25%",
        ),
        (
            "open_critical_alerts",
            Some(2.0),
            "Open critical alerts",
            "2",
        ),
        ("open_major_alerts", Some(0.0), "Open major alerts", "0"),
        (
            "patch_failures",
            Some(4.0),
            "Devices with failed OS patches",
            "4",
        ),
        (
            "antivirus_problems",
            Some(1.0),
            "Devices with antivirus problems",
            "1",
        ),
        (
            "it_ticket_volume",
            Some(7.0),
            "NinjaOne tickets in 30 days",
            "7",
        ),
        (
            "it_open_high_priority_tickets",
            Some(1.0),
            "Open NinjaOne tickets of high or urgent priority",
            "1",
        ),
        (
            "it_oldest_open_ticket_days",
            Some(12.5),
            "Oldest open NinjaOne ticket",
            "12 days",
        ),
        ("revenue_value", Some(8828.5), "Revenue", "$8,828.50"),
        ("revenue_value", Some(45796.5), "Revenue", "$45,796.50"),
        (
            "last_won_deal_recency",
            Some(200.0),
            "Days since a deal was last won",
            "200 days",
        ),
        (
            "won_vs_lost_12_months",
            Some(0.6667),
            "Deals won against lost in 12 months",
            "67%",
        ),
        (
            "invoices_paid_on_time",
            Some(0.8),
            "Invoices paid on time",
            "80%",
        ),
        (
            "overdue_amount",
            Some(1200.0),
            "Amount overdue",
            "$1,200.00",
        ),
        (
            "oldest_overdue_invoice_days",
            Some(45.0),
            "Oldest overdue invoice",
            "45 days",
        ),
        (
            "failed_subscription_payments",
            Some(2.0),
            "Failed subscription payments",
            "2",
        ),
        (
            "refunds_disputes_chargebacks",
            Some(3.0),
            "Refunds, disputes and chargebacks",
            "3",
        ),
        (
            "days_since_last_payment",
            Some(10.0),
            "Days since the last payment",
            "10 days",
        ),
        (
            "csm_sentiment",
            Some(50.0),
            "Account team sentiment",
            "50 of 100",
        ),
        (
            "nps",
            Some(7.25),
            "Mean NPS answer of contacts",
            "7.2 of 10",
        ),
        (
            "user_override",
            Some(72.0),
            "Set by a user (score from the data)",
            "72 of 100",
        ),
    ];
    for (name, value, label, text) in cases {
        assert_eq!(factor_label(name), *label, "{name}");
        assert_eq!(factor_value(name, *value), *text, "{name} {value:?}");
    }
    // Each factor the engine writes has a case above.
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.0).collect();
    let uncovered: Vec<String> = engine_factor_names()
        .into_iter()
        .filter(|n| !covered.contains(n.as_str()))
        .collect();
    assert!(uncovered.is_empty(), "no wording case for {uncovered:?}");
}

#[test]
fn a_name_without_wording_still_reads_as_words() {
    assert_eq!(factor_label("seats_per_admin"), "Seats per admin");
    assert_eq!(factor_value("seats_per_admin", Some(2.5)), "2.5");
    assert_eq!(
        evidence_text(&Evidence {
            name: "new_key".into(),
            value: 3.0,
            unit: None
        }),
        "New key: 3"
    );
}

fn text(name: &str, value: f64, unit: &str) -> String {
    evidence_text(&Evidence {
        name: name.into(),
        value,
        unit: Some(unit.into()),
    })
}

#[test]
fn evidence_reads_as_a_sentence_part_in_its_unit() {
    assert_eq!(
        text("healthy_median_revenue", 45796.5, "usd"),
        "Healthy clients' median revenue: $45,796.50"
    );
    assert_eq!(text("revenue", 8828.5, "usd"), "Revenue: $8,828.50");
    assert_eq!(
        text("threshold_high_value_revenue", 10000.0, "usd"),
        "High-value revenue from (threshold): $10,000.00"
    );
    assert_eq!(
        text("overdue_amount", 1200.5, "eur"),
        "Amount overdue: 1,200.50 EUR"
    );
    assert_eq!(
        text("disputed_amount", 1200.5, "amount"),
        "Amount disputed: 1,200.50"
    );
    assert_eq!(
        text("days_since_last_activity", 37.0, "days"),
        "Time since the last activity: 37 days"
    );
    assert_eq!(
        text("threshold_inactive_days", 30.0, "days"),
        "Inactive after (threshold): 30 days"
    );
    assert_eq!(
        text("response_ratio", 0.42, "ratio"),
        "Responses to outreach: 42%"
    );
    assert_eq!(text("churn_risk", 64.0, "percent"), "Churn risk: 64%");
    assert_eq!(text("overall", 38.0, "points"), "Overall score: 38");
    assert_eq!(text("open_deals", 2.0, "count"), "Open deals: 2");
    assert_eq!(text("seats", 12.5, "count"), "Seats: 12.5");
    assert_eq!(text("window_days", 90.0, "days"), "Window: 90 days");
}

#[test]
fn every_evidence_key_reads_in_its_engine_unit() {
    // Each key with the unit the engine gives it: the sentence names the key in words and the
    // value in its unit.
    let cases: &[(&str, f64, &str, &str)] = &[
        (
            "activities_recorded",
            0.0,
            "count",
            "Activities recorded: 0",
        ),
        ("chargebacks", 1.0, "count", "Chargebacks: 1"),
        ("churn_risk", 64.0, "percent", "Churn risk: 64%"),
        (
            "crm_activities_recorded",
            0.0,
            "count",
            "CRM activities recorded: 0",
        ),
        (
            "crm_interaction_fall",
            0.5,
            "ratio",
            "Fall in CRM interactions: 50%",
        ),
        (
            "crm_interactions_30d",
            2.0,
            "count",
            "CRM interactions in the last 30 days: 2",
        ),
        (
            "crm_interactions_prior_30d",
            6.0,
            "count",
            "CRM interactions in the 30 days before: 6",
        ),
        (
            "days_since_crm_activity",
            64.0,
            "days",
            "Time since the last CRM activity: 64 days",
        ),
        (
            "days_since_last_activity",
            37.0,
            "days",
            "Time since the last activity: 37 days",
        ),
        ("devices", 12.0, "count", "Managed devices: 12"),
        (
            "devices_offline_long",
            3.0,
            "count",
            "Devices offline over a week: 3",
        ),
        (
            "devices_offline_share",
            0.25,
            "ratio",
            "Share of devices offline: 25%",
        ),
        ("disputed_amount", 99.0, "amount", "Amount disputed: 99.00"),
        ("disputes", 1.0, "count", "Disputes: 1"),
        (
            "failed_subscription_payments",
            2.0,
            "count",
            "Failed subscription payments: 2",
        ),
        (
            "healthy_median_revenue",
            45796.5,
            "usd",
            "Healthy clients' median revenue: $45,796.50",
        ),
        ("idle_seats", 4.0, "count", "Paid seats nobody uses: 4"),
        (
            "interactions_in_window",
            3.0,
            "count",
            "Interactions in the window: 3",
        ),
        (
            "invoices_paid_on_time",
            0.8,
            "ratio",
            "Invoices paid on time: 80%",
        ),
        (
            "it_alerts_and_tickets_30d",
            9.0,
            "count",
            "IT alerts and tickets in the last 30 days: 9",
        ),
        (
            "it_alerts_and_tickets_prior_30d",
            3.0,
            "count",
            "IT alerts and tickets in the 30 days before: 3",
        ),
        ("licences_consumed", 18.0, "count", "Licences assigned: 18"),
        ("licences_enabled", 25.0, "count", "Licences bought: 25"),
        (
            "licences_unassigned",
            7.0,
            "count",
            "Licences nobody is assigned: 7",
        ),
        (
            "m365_active_users_30d",
            9.0,
            "count",
            "Microsoft 365 users active in 30 days: 9",
        ),
        (
            "m365_activity_fall",
            0.4,
            "ratio",
            "Fall in Microsoft 365 activity: 40%",
        ),
        (
            "oldest_overdue_days",
            45.0,
            "days",
            "Oldest overdue invoice, past due by: 45 days",
        ),
        (
            "open_critical_alerts",
            2.0,
            "count",
            "Open critical alerts: 2",
        ),
        ("open_deals", 0.0, "count", "Open deals: 0"),
        (
            "open_high_priority_tickets",
            1.0,
            "count",
            "Open tickets of high or urgent priority: 1",
        ),
        ("open_major_alerts", 1.0, "count", "Open major alerts: 1"),
        (
            "outreach",
            8.0,
            "count",
            "Outreach (emails sent, outbound calls): 8",
        ),
        ("overall", 38.0, "points", "Overall score: 38"),
        ("overdue_amount", 1200.0, "usd", "Amount overdue: $1,200.00"),
        ("overdue_invoices", 2.0, "count", "Overdue invoices: 2"),
        ("pax8_seats", 20.0, "count", "Seats paid for in Pax8: 20"),
        (
            "peak_overall_30d",
            71.0,
            "points",
            "Highest overall score in 30 days: 71",
        ),
        ("peers", 14.0, "count", "Similar clients compared: 14"),
        (
            "peers_holding_product",
            11.0,
            "count",
            "Similar clients holding the product: 11",
        ),
        ("products_missing", 2.0, "count", "Products missing: 2"),
        (
            "response_ratio",
            0.15,
            "ratio",
            "Responses to outreach: 15%",
        ),
        (
            "responses",
            1.0,
            "count",
            "Responses (emails received, inbound calls): 1",
        ),
        ("revenue", 8828.5, "usd", "Revenue: $8,828.50"),
        ("risk_factors", 3.0, "count", "Risk factors: 3"),
        (
            "seat_growth_90d",
            0.25,
            "ratio",
            "Seat growth in 90 days: 25%",
        ),
        ("seats", 20.0, "count", "Seats: 20"),
        ("seats_90d_ago", 16.0, "count", "Seats 90 days ago: 16"),
        ("subscriptions", 2.0, "count", "Subscriptions: 2"),
        (
            "subscriptions_cancelled",
            1.0,
            "count",
            "Subscriptions cancelled: 1",
        ),
        (
            "subscriptions_cancelled_90d",
            1.0,
            "count",
            "Subscriptions cancelled in 90 days: 1",
        ),
        (
            "subscriptions_reduced_90d",
            2.0,
            "count",
            "Subscriptions reduced in 90 days: 2",
        ),
        (
            "subscriptions_suspended",
            1.0,
            "count",
            "Subscriptions suspended: 1",
        ),
        (
            "threshold_high_value_min_interactions",
            2.0,
            "count",
            "Interactions a high-value client should have (threshold): 2",
        ),
        (
            "threshold_high_value_revenue",
            10000.0,
            "usd",
            "High-value revenue from (threshold): $10,000.00",
        ),
        (
            "threshold_idle_seat_share",
            0.3,
            "ratio",
            "Idle seats from (threshold): 30%",
        ),
        (
            "threshold_inactive_days",
            30.0,
            "days",
            "Inactive after (threshold): 30 days",
        ),
        (
            "threshold_low_response_ratio",
            0.2,
            "ratio",
            "Low response under (threshold): 20%",
        ),
        (
            "threshold_many_offline_share",
            0.3,
            "ratio",
            "Many devices offline from (threshold): 30%",
        ),
        (
            "threshold_overdue_grace_days",
            7.0,
            "days",
            "Grace after the due date (threshold): 7 days",
        ),
        (
            "threshold_seat_drop_share",
            0.2,
            "ratio",
            "Seat drop from (threshold): 20%",
        ),
        (
            "threshold_seat_growth_share",
            0.2,
            "ratio",
            "Seat growth from (threshold): 20%",
        ),
        (
            "threshold_silent_days",
            30.0,
            "days",
            "Silent after (threshold): 30 days",
        ),
        (
            "threshold_unused_licence_share",
            0.25,
            "ratio",
            "Unused licences from (threshold): 25%",
        ),
        ("window_days", 90.0, "days", "Window: 90 days"),
        (
            "days_to_at_risk",
            12.0,
            "days",
            "Days until at risk, at this pace: 12 days",
        ),
        (
            "threshold_at_risk_overall",
            50.0,
            "points",
            "At risk under (threshold): 50",
        ),
        (
            "forecast_days_used",
            30.0,
            "count",
            "Days of scores behind the forecast: 30",
        ),
        ("overall_now", 62.0, "points", "Overall health now: 62"),
        (
            "projected_high",
            55.4,
            "points",
            "Projected overall, high end: 55",
        ),
        (
            "projected_low",
            31.0,
            "points",
            "Projected overall, low end: 31",
        ),
        (
            "projected_overall",
            43.0,
            "points",
            "Projected overall in 30 days: 43",
        ),
        ("trend_per_week", -4.6, "points", "Trend per week: -5"),
        (
            "won_deals_12_months",
            2.0,
            "count",
            "Deals won in 12 months: 2",
        ),
    ];
    for (key, value, unit, expected) in cases {
        assert_eq!(text(key, *value, unit), *expected, "{key}");
    }
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.0).collect();
    let uncovered: Vec<String> = engine_evidence_keys()
        .into_iter()
        .filter(|k| !covered.contains(k.as_str()))
        .collect();
    assert!(uncovered.is_empty(), "no wording case for {uncovered:?}");
}

#[test]
fn an_upsell_amount_is_an_upside_and_the_rest_at_stake() {
    assert_eq!(
        RevenueKind::of(InsightType::UpsellOpportunity),
        RevenueKind::Upside
    );
    assert_eq!(RevenueKind::Upside.label(), "upside");
    for t in [
        InsightType::ClientHealth,
        InsightType::RevenueOptimization,
        InsightType::ChurnRisk,
        InsightType::PaymentRisk,
    ] {
        assert_eq!(RevenueKind::of(t).label(), "at stake", "{t:?}");
    }
}

fn dim(dimension: Dimension, score: Option<u8>, weight: f64) -> DimensionScore {
    DimensionScore {
        dimension,
        score,
        weight,
        factors: Vec::new(),
    }
}

#[test]
fn reweighting_names_the_dimension_without_data_and_where_its_weight_went() {
    let weights = Weights {
        crm: 0.30,
        payment: 0.20,
        usage: 0.30,
        support: 0.20,
    };
    let all = [
        dim(Dimension::Crm, Some(60), 0.30),
        dim(Dimension::Payment, Some(50), 0.20),
        dim(Dimension::Usage, Some(70), 0.30),
        dim(Dimension::Support, Some(80), 0.20),
    ];
    assert_eq!(reweighting(&all, &weights), None);

    let no_payment = [
        dim(Dimension::Crm, Some(60), 0.375),
        dim(Dimension::Payment, None, 0.0),
        dim(Dimension::Usage, Some(70), 0.375),
        dim(Dimension::Support, Some(80), 0.25),
    ];
    assert_eq!(
        reweighting(&no_payment, &weights).unwrap(),
        "Payment has no data, so its 20% weight is shared among the others: \
         CRM now counts 38%, Usage 38%, Support 25%."
    );

    let two_missing = [
        dim(Dimension::Crm, Some(60), 0.5),
        dim(Dimension::Payment, None, 0.0),
        dim(Dimension::Usage, Some(70), 0.5),
        dim(Dimension::Support, None, 0.0),
    ];
    assert_eq!(
        reweighting(&two_missing, &weights).unwrap(),
        "Payment and Support have no data, so their 20% and 20% weights are shared among the \
         others: CRM now counts 50%, Usage 50%."
    );

    let only_crm = [
        dim(Dimension::Crm, Some(60), 1.0),
        dim(Dimension::Payment, None, 0.0),
        dim(Dimension::Usage, None, 0.0),
        dim(Dimension::Support, None, 0.0),
    ];
    assert_eq!(
        reweighting(&only_crm, &weights).unwrap(),
        "Payment, Usage and Support have no data, so their 20%, 30% and 20% weights go to CRM, \
         which now counts 100%."
    );

    // A dimension weighted 0 by the tenant gives nothing away.
    let unweighted = Weights {
        payment: 0.0,
        ..weights
    };
    assert_eq!(reweighting(&no_payment, &unweighted), None);
}

#[test]
fn records_and_interactions_read_in_words() {
    assert_eq!(
        lifecycle_stage_label("salesqualifiedlead"),
        "Sales qualified lead"
    );
    assert_eq!(lifecycle_stage_label("12345678"), "12345678");
    assert_eq!(deal_stage_label("contractsent"), "Contract sent");
    assert_eq!(deal_stage_label("custom-stage"), "custom-stage");
    assert_eq!(ticket_priority_label(TicketPriority::Urgent), "Urgent");
    assert_eq!(
        interaction_label(EngagementKind::Email, Some(Direction::Inbound)),
        "Email received"
    );
    assert_eq!(
        interaction_label(EngagementKind::Call, Some(Direction::Outbound)),
        "Call made"
    );
    assert_eq!(interaction_label(EngagementKind::Meeting, None), "Meeting");
}

#[test]
fn numbers_group_thousands_and_days_round_down() {
    assert_eq!(count(1234567.0), "1,234,567");
    assert_eq!(count(-1200.0), "-1,200");
    assert_eq!(days(0.4), "0 days");
    assert_eq!(days(29.99), "29 days");
    assert_eq!(percent(0.004), "0%");
    assert_eq!(money(-8828.5), "-$8,828.50");
    assert_eq!(money(0.5), "$0.50");
}
