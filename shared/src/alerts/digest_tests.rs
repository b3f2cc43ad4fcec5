use super::*;
use crate::alerts::conditions::{evaluate, AlertEvent};
use crate::alerts::test_fixtures::*;
use crate::domain::{AlertChange, AlertCondition, Impact};
use chrono::TimeDelta;

/// An alert for client `c<n>` whose overall fell to `overall`.
fn item(n: usize, overall: u8) -> AlertItem {
    let event = health(
        &format!("c{n}"),
        level(overall.max(30) + 20, 20),
        level(overall, 50),
    );
    let rule = rule("any", AlertCondition::ChurnAbove { percent: 10 });
    let mut item = evaluate(&rule, &AlertEvent::Health(&event), None, None)
        .unwrap()
        .item;
    item.client_name = format!("Client {n}");
    item
}

fn overall_of(item: &AlertItem) -> u8 {
    match &item.change {
        AlertChange::Health { after, .. } => after.overall,
        AlertChange::InsightOpened { .. } => 255,
    }
}

#[test]
fn a_burst_above_the_threshold_is_one_digest_worst_first() {
    let rule = band_rule();
    let slack = channel("slack-1");
    let overalls = [40, 12, 33, 20];
    let sends = |count: usize| -> Vec<Send<'_>> {
        overalls[..count]
            .iter()
            .enumerate()
            .map(|(n, overall)| (&rule, &slack, item(n, *overall)))
            .collect()
    };
    // Exactly at the threshold: one message each.
    let planned = plan_messages(sends(3), 3, Some("https://app.example"));
    assert_eq!(planned.len(), 3);
    assert!(planned.iter().all(|(c, m)| c.id == slack.id
        && !m.digest
        && m.items.len() == 1
        && m.rule_id.as_ref() == Some(&rule.id)
        && m.dashboard_url.as_deref() == Some("https://app.example")));
    assert_eq!(
        planned
            .iter()
            .map(|(_, m)| overall_of(&m.items[0]))
            .collect::<Vec<_>>(),
        [40, 12, 33],
        "in the order they came"
    );
    // One above: a single digest, worst first.
    let planned = plan_messages(sends(4), 3, None);
    assert_eq!(planned.len(), 1);
    let (channel, message) = &planned[0];
    assert_eq!(channel.id, slack.id);
    assert!(message.digest && !message.test);
    assert_eq!(message.rule_name, rule.name);
    assert_eq!(
        message.items.iter().map(overall_of).collect::<Vec<_>>(),
        [12, 20, 33, 40]
    );
}

#[test]
fn bursts_are_counted_per_rule_and_channel() {
    let first = band_rule();
    let second = rule("churn", AlertCondition::ChurnAbove { percent: 60 });
    let (slack, email) = (channel("slack-1"), channel("email-1"));
    let mut sends: Vec<Send<'_>> = Vec::new();
    for n in 0..3 {
        sends.push((&first, &slack, item(n, 40)));
        sends.push((&first, &email, item(n, 40)));
    }
    sends.push((&second, &slack, item(9, 40)));
    let planned = plan_messages(sends, 2, None);
    let digests: Vec<_> = planned
        .iter()
        .map(|(c, m)| {
            (
                m.rule_id.clone().unwrap().to_string(),
                c.id.to_string(),
                m.digest,
                m.items.len(),
            )
        })
        .collect();
    assert_eq!(
        digests,
        [
            ("bands".to_string(), "slack-1".to_string(), true, 3),
            ("bands".to_string(), "email-1".to_string(), true, 3),
            ("churn".to_string(), "slack-1".to_string(), false, 1),
        ]
    );
}

#[test]
fn digests_put_critical_insights_and_bands_before_milder_ones() {
    let rule = band_rule();
    let slack = channel("slack-1");
    let insight = |impact, confidence| {
        let event = opened(facts("c7", impact, confidence));
        let rule = crate::alerts::test_fixtures::rule(
            "insights",
            AlertCondition::InsightOpened {
                min_impact: Impact::Low,
                min_confidence: 0,
                types: vec![],
            },
        );
        evaluate(&rule, &AlertEvent::InsightOpened(&event), None, None)
            .unwrap()
            .item
    };
    let sends: Vec<Send<'_>> = vec![
        (&rule, &slack, insight(Impact::Medium, 90)),
        (&rule, &slack, item(1, 60)),
        (&rule, &slack, insight(Impact::Critical, 70)),
        (&rule, &slack, item(2, 10)),
    ];
    let planned = plan_messages(sends, 1, None);
    let items = &planned[0].1.items;
    let headlines: Vec<&str> = items.iter().map(|i| i.headline.as_str()).collect();
    // Critical first (a critical band, lowest score first, beside a critical insight), then the
    // medium insight beside the watch band.
    assert_eq!(overall_of(&items[0]), 10, "{headlines:?}");
    assert!(headlines[1].contains("(confidence 70)"), "{headlines:?}");
    assert!(headlines[2].contains("medium"), "{headlines:?}");
    assert_eq!(overall_of(&items[3]), 60, "{headlines:?}");
}

fn pending(rule: &AlertRule, channel: &str, n: usize, overall: u8) -> PendingAlert {
    PendingAlert {
        rule_id: rule.id.clone(),
        channel_id: AlertChannelId::parse(channel).unwrap(),
        item: item(n, overall),
        queued_at: t0(),
        due_at: t0(),
    }
}

#[test]
fn released_alerts_go_as_one_digest_per_rule_and_channel_when_several() {
    let mut rule = band_rule();
    rule.channels.push(channel("email-1"));
    let mut disabled =
        crate::alerts::test_fixtures::rule("off", AlertCondition::ChurnAbove { percent: 5 });
    disabled.enabled = false;
    let pending = vec![
        pending(&rule, "slack-1", 1, 40),
        pending(&rule, "email-1", 1, 40),
        pending(&rule, "slack-1", 2, 20),
        pending(&rule, "teams-9", 3, 20),
        pending(&disabled, "slack-1", 4, 20),
    ];
    let released = plan_released(&[rule.clone(), disabled], pending.clone(), None);
    assert_eq!(released.messages.len(), 2);
    let (slack, digest, carried) = &released.messages[0];
    assert_eq!(slack.id.as_str(), "slack-1");
    assert!(digest.digest);
    assert_eq!(
        digest.items.iter().map(overall_of).collect::<Vec<_>>(),
        [20, 40]
    );
    assert_eq!(carried, &vec![pending[0].clone(), pending[2].clone()]);
    let (email, single, carried) = &released.messages[1];
    assert_eq!(email.id.as_str(), "email-1");
    assert!(!single.digest);
    assert_eq!(carried.len(), 1);
    assert_eq!(
        released.orphans,
        vec![pending[3].clone(), pending[4].clone()],
        "a channel the rule lost and a disabled rule"
    );
}

#[test]
fn the_delivery_id_depends_on_the_alerts_not_their_order() {
    let rule = AlertRuleId::parse("rule-1").unwrap();
    let slack = AlertChannelId::parse("slack-1").unwrap();
    let (c1, c2) = (client("c1"), client("c2"));
    let a = (&c1, "band:at_risk", t0());
    let b = (&c2, "band:critical", t0());
    let id = delivery_id(&rule, &slack, &[a, b]);
    assert_eq!(id, delivery_id(&rule, &slack, &[b, a]));
    assert!(id.starts_with("d-") && id.len() == 34);
    assert_ne!(id, delivery_id(&rule, &slack, &[a]));
    assert_ne!(
        id,
        delivery_id(&rule, &AlertChannelId::parse("email-1").unwrap(), &[a, b])
    );
    assert_ne!(
        id,
        delivery_id(&AlertRuleId::parse("rule-2").unwrap(), &slack, &[a, b])
    );
    // Entering the same state again later is another delivery.
    let again = (&c1, "band:at_risk", t0() + TimeDelta::days(2));
    assert_ne!(id, delivery_id(&rule, &slack, &[again, b]));
}
