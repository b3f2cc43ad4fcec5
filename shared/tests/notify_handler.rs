//! The notify handler on the in-process store and a recording sender: what a batch of client
//! changes sends, what hygiene holds back (repeats, cool-down, snooze, quiet hours), how a burst
//! becomes one digest, what a gone or unavailable channel leads to, and that a redelivered batch
//! does not send twice.

use chrono::{DateTime, Duration, TimeZone, Utc};
use shared::channels::RecordingSender;
use shared::domain::{
    AlertChannel, AlertChannelId, AlertCondition, AlertRule, AlertRuleId, AlertScope, AuthKind,
    ChannelKind, ClientId, ClientSnooze, DeliveryMode, DeliveryStatus, HealthBand, HealthLevel,
    QuietHours, SyncId, Tenant, TenantId,
};
use shared::events::{ClientHealthChanged, SCHEMA_VERSION};
use shared::handlers::notify::batch::{Decoded, Received};
use shared::handlers::notify::deliver::Pacing;
use shared::handlers::notify::{BatchReport, Notifier};
use shared::handlers::route::Trigger;
use shared::ports::alerts::{AlertStore, SendError};
use shared::ports::{PageRequest, TenantStore};
use shared::store::MemoryStore;
use std::time::{Duration as StdDuration, Instant};

fn tenant() -> TenantId {
    TenantId::parse("t-notify").unwrap()
}

fn rule_id() -> AlertRuleId {
    AlertRuleId::parse("rule-1").unwrap()
}

fn slack() -> AlertChannelId {
    AlertChannelId::parse("slack-1").unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

fn rule() -> AlertRule {
    AlertRule {
        id: rule_id(),
        tenant_id: tenant(),
        name: "At risk".to_string(),
        enabled: true,
        condition: AlertCondition::BandEntered {
            bands: vec![HealthBand::AtRisk, HealthBand::Critical],
        },
        scope: AlertScope::AllClients,
        channels: vec![AlertChannel {
            id: slack(),
            kind: ChannelKind::Slack,
            secret_id: Some("ci/tenants/t-notify/alerts/slack-1".to_string()),
            recipients: vec![],
            display: "hooks.slack.com/…/x9Qa".to_string(),
        }],
        cooldown_minutes: 60,
        delivery: DeliveryMode::Immediate,
        disabled_reason: None,
        created_at: now() - Duration::days(1),
        updated_at: now() - Duration::days(1),
        version: 0,
    }
}

async fn store_with(rule: AlertRule, quiet: Option<QuietHours>) -> MemoryStore {
    let store = MemoryStore::new();
    let mut record = Tenant::connected(
        tenant(),
        "Tenant",
        Some(1),
        "s",
        AuthKind::OAuth,
        now() - Duration::days(90),
    );
    record.alerting.quiet_hours = quiet;
    store.create_tenant(&record).await.unwrap();
    store.create_alert_rule(&rule).await.unwrap();
    store
}

fn level(overall: u8, band: HealthBand) -> HealthLevel {
    HealthLevel {
        overall,
        band,
        churn_risk: 100 - overall,
    }
}

/// `client` moved from `before` to `after` at the scoring of `sync`, `minutes` after `now()`.
fn changed_at(
    client: &str,
    sync: &str,
    before: HealthBand,
    after: HealthBand,
    minutes: i64,
) -> Trigger {
    let overall = |band| match band {
        HealthBand::Healthy => 80,
        HealthBand::Watch => 60,
        HealthBand::AtRisk => 40,
        HealthBand::Critical => 20,
    };
    Trigger::ClientHealthChanged(ClientHealthChanged {
        schema_version: SCHEMA_VERSION,
        tenant_id: tenant(),
        sync_id: SyncId::parse(sync).unwrap(),
        client_id: ClientId::parse(client).unwrap(),
        client_name: format!("{client} Ltd"),
        lifecycle_stage: Some("customer".to_string()),
        before: level(overall(before), before),
        after: level(overall(after), after),
        moved_factors: vec![],
        scored_at: now() + Duration::minutes(minutes),
    })
}

fn changed(client: &str, sync: &str, before: HealthBand, after: HealthBand) -> Trigger {
    changed_at(client, sync, before, after, 0)
}

fn batch(triggers: Vec<Trigger>, last_receive: bool) -> Decoded {
    Decoded {
        received: triggers
            .into_iter()
            .enumerate()
            .map(|(i, trigger)| Received {
                message_id: format!("m{i}"),
                trigger,
                last_receive,
            })
            .collect(),
        undecodable: vec![],
    }
}

/// Quick retries, so the tests do not wait on real backoff.
fn pacing() -> Pacing {
    Pacing {
        min_backoff: StdDuration::from_millis(1),
        max_backoff: StdDuration::from_millis(2),
        ..Pacing::default()
    }
}

async fn run(
    store: &MemoryStore,
    sender: &RecordingSender,
    triggers: Vec<Trigger>,
    at: DateTime<Utc>,
) -> BatchReport {
    run_receive(store, sender, triggers, at, false).await
}

async fn run_receive(
    store: &MemoryStore,
    sender: &RecordingSender,
    triggers: Vec<Trigger>,
    at: DateTime<Utc>,
    last_receive: bool,
) -> BatchReport {
    let notifier = Notifier {
        store,
        sender,
        dashboard_url: Some("https://insights.example.com/".to_string()),
        pacing: pacing(),
        writebacks: None,
    };
    notifier
        .handle_batch(
            batch(triggers, last_receive),
            Instant::now() + StdDuration::from_secs(120),
            at,
        )
        .await
}

async fn deliveries(store: &MemoryStore) -> Vec<shared::domain::DeliveryRecord> {
    store
        .list_deliveries(&tenant(), &PageRequest::first(100))
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn a_band_change_sends_one_slack_message_and_a_repeat_sends_none() {
    let store = store_with(rule(), None).await;
    let sender = RecordingSender::new();
    let report = run(
        &store,
        &sender,
        vec![changed("acme", "s1", HealthBand::Watch, HealthBand::AtRisk)],
        now(),
    )
    .await;
    assert!(report.failed.is_empty(), "{report:?}");
    let sent = sender.sent_to(&slack());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].items.len(), 1);
    assert_eq!(sent[0].items[0].client_id.as_str(), "acme");
    assert!(!sent[0].digest);
    let log = deliveries(&store).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, DeliveryStatus::Sent);
    assert_eq!(log[0].attempts, 1);

    // Still at risk at the next scoring (a lower score, same band): nothing new to say.
    run(
        &store,
        &sender,
        vec![changed(
            "acme",
            "s2",
            HealthBand::AtRisk,
            HealthBand::AtRisk,
        )],
        now() + Duration::hours(3),
    )
    .await;
    assert_eq!(
        sender.sent_to(&slack()).len(),
        1,
        "no repeat while nothing changed"
    );
}

#[tokio::test]
async fn the_cool_down_holds_back_a_worse_state_soon_after_an_alert() {
    let store = store_with(rule(), None).await;
    let sender = RecordingSender::new();
    let at = |minutes| now() + Duration::minutes(minutes);
    use HealthBand::{AtRisk, Critical, Watch};
    run(
        &store,
        &sender,
        vec![changed_at("acme", "s1", Watch, AtRisk, 0)],
        at(0),
    )
    .await;
    assert_eq!(sender.sent_to(&slack()).len(), 1);
    // Critical 20 minutes later: a new state, but within the rule's 60-minute cool-down.
    run(
        &store,
        &sender,
        vec![changed_at("acme", "s2", AtRisk, Critical, 20)],
        at(20),
    )
    .await;
    assert_eq!(sender.sent_to(&slack()).len(), 1, "within the cool-down");
    // Critical again after the cool-down: it goes.
    run(
        &store,
        &sender,
        vec![changed_at("acme", "s3", AtRisk, Critical, 90)],
        at(90),
    )
    .await;
    let sent = sender.sent_to(&slack());
    assert_eq!(sent.len(), 2, "after the cool-down it alerts again");
    assert!(
        sent[1].items[0].headline.contains("ritical"),
        "{:?}",
        sent[1].items[0]
    );
}

#[tokio::test]
async fn a_snoozed_client_is_not_alerted() {
    let store = store_with(rule(), None).await;
    store
        .put_snooze(
            &tenant(),
            &ClientSnooze {
                client_id: ClientId::parse("acme").unwrap(),
                until: now() + Duration::days(2),
                reason: Some("renewal call booked".to_string()),
                by: "csm@example.com".to_string(),
                created_at: now(),
            },
        )
        .await
        .unwrap();
    let sender = RecordingSender::new();
    let report = run(
        &store,
        &sender,
        vec![
            changed("acme", "s1", HealthBand::Watch, HealthBand::AtRisk),
            changed("globex", "s1", HealthBand::Watch, HealthBand::Critical),
        ],
        now(),
    )
    .await;
    assert!(report.failed.is_empty());
    let sent = sender.sent_to(&slack());
    let clients: Vec<&str> = sent
        .iter()
        .flat_map(|m| m.items.iter().map(|i| i.client_id.as_str()))
        .collect();
    assert_eq!(clients, ["globex"]);
}

#[tokio::test]
async fn quiet_hours_hold_alerts_until_the_release_after_them() {
    // 12:00 UTC is inside 11-14 quiet hours (tenant in UTC).
    let store = store_with(rule(), Some(QuietHours { start: 11, end: 14 })).await;
    let sender = RecordingSender::new();
    let report = run(
        &store,
        &sender,
        vec![
            changed("acme", "s1", HealthBand::Watch, HealthBand::AtRisk),
            changed("globex", "s1", HealthBand::Watch, HealthBand::Critical),
        ],
        now(),
    )
    .await;
    assert!(
        sender.sent_to(&slack()).is_empty(),
        "nothing during quiet hours"
    );
    assert_eq!(report.alerts_held, 2);

    // The release at 13:00 finds nothing due; the one at 14:00 sends one digest of both.
    run(
        &store,
        &sender,
        vec![Trigger::AlertRelease],
        now() + Duration::hours(1),
    )
    .await;
    assert!(sender.sent_to(&slack()).is_empty());
    let released = run(
        &store,
        &sender,
        vec![Trigger::AlertRelease],
        now() + Duration::hours(2),
    )
    .await;
    assert!(released.failed.is_empty());
    let sent = sender.sent_to(&slack());
    assert_eq!(sent.len(), 1);
    assert!(sent[0].digest);
    assert_eq!(sent[0].items.len(), 2);
    // Released alerts are gone: the next release sends nothing.
    run(
        &store,
        &sender,
        vec![Trigger::AlertRelease],
        now() + Duration::hours(3),
    )
    .await;
    assert_eq!(sender.sent_to(&slack()).len(), 1);
}

#[tokio::test]
async fn a_burst_of_thirty_changes_goes_out_as_one_digest() {
    let store = store_with(rule(), None).await;
    let sender = RecordingSender::new();
    let triggers = (0..30)
        .map(|i| {
            changed(
                &format!("c{i:02}"),
                "s1",
                HealthBand::Watch,
                HealthBand::AtRisk,
            )
        })
        .collect();
    let report = run(&store, &sender, triggers, now()).await;
    assert!(report.failed.is_empty());
    let sent = sender.sent_to(&slack());
    assert_eq!(
        sent.len(),
        1,
        "more than the threshold (10) at once: one digest"
    );
    assert!(sent[0].digest);
    assert_eq!(sent[0].items.len(), 30);
    let log = deliveries(&store).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].alerts, 30);
}

#[tokio::test]
async fn a_gone_channel_turns_the_rule_off_with_a_reason() {
    let store = store_with(rule(), None).await;
    let sender = RecordingSender::new();
    sender.fail_channel(&slack(), SendError::Gone("no_service".to_string()));
    let report = run(
        &store,
        &sender,
        vec![changed("acme", "s1", HealthBand::Watch, HealthBand::AtRisk)],
        now(),
    )
    .await;
    assert!(
        report.failed.is_empty(),
        "a gone channel is not worth a retry"
    );
    let stored = store.get_alert_rule(&tenant(), &rule_id()).await.unwrap();
    assert!(!stored.enabled);
    let reason = stored.disabled_reason.expect("people are told why");
    assert!(reason.contains("no longer exists"), "{reason}");
    assert!(
        !reason.contains("hooks.slack.com/services"),
        "no secret in the reason"
    );
    let log = deliveries(&store).await;
    assert_eq!(log[0].status, DeliveryStatus::Failed);
    // A disabled rule alerts no more.
    sender.heal(&slack());
    run(
        &store,
        &sender,
        vec![changed(
            "globex",
            "s2",
            HealthBand::Watch,
            HealthBand::AtRisk,
        )],
        now(),
    )
    .await;
    assert!(sender.sent_to(&slack()).is_empty());
}

#[tokio::test]
async fn an_unavailable_channel_is_tried_three_times_then_the_record_fails_back_to_the_queue() {
    let store = store_with(rule(), None).await;
    let sender = RecordingSender::new();
    let unavailable = SendError::Unavailable {
        message: "HTTP 503".to_string(),
        retry_after: None,
    };
    sender.fail_channel(&slack(), unavailable.clone());
    let report = run(
        &store,
        &sender,
        vec![changed("acme", "s1", HealthBand::Watch, HealthBand::AtRisk)],
        now(),
    )
    .await;
    assert_eq!(report.failed, ["m0"], "the event goes back to the queue");
    assert_eq!(sender.attempts().len(), 3);
    let log = deliveries(&store).await;
    assert_eq!(log[0].status, DeliveryStatus::Retrying);
    assert_eq!(log[0].attempts, 3);
    assert!(log[0]
        .last_error
        .as_deref()
        .unwrap_or_default()
        .contains("503"));

    // The queue's retry: on the last receive, still failing, the record says Failed (and the
    // event goes to the dead-letter queue).
    let report = run_receive(
        &store,
        &sender,
        vec![changed("acme", "s1", HealthBand::Watch, HealthBand::AtRisk)],
        now() + Duration::minutes(30),
        true,
    )
    .await;
    assert_eq!(report.failed, ["m0"]);
    let log = deliveries(&store).await;
    assert_eq!(log.len(), 1, "the same delivery, tried again");
    assert_eq!(log[0].status, DeliveryStatus::Failed);
    assert_eq!(log[0].attempts, 6);
}

#[tokio::test]
async fn a_redelivered_batch_does_not_send_twice() {
    // Two channels: Slack takes the alert, Teams is down for this invocation's three tries.
    let mut two_channels = rule();
    let teams = AlertChannelId::parse("teams-1").unwrap();
    two_channels.channels.push(AlertChannel {
        id: teams.clone(),
        kind: ChannelKind::Teams,
        secret_id: Some("ci/tenants/t-notify/alerts/teams-1".to_string()),
        recipients: vec![],
        display: "prod-xx.westeurope.logic.azure.com/…/a1B2".to_string(),
    });
    let store = store_with(two_channels, None).await;
    let sender = RecordingSender::new();
    sender.fail_channel_times(
        &teams,
        SendError::Unavailable {
            message: "HTTP 502".to_string(),
            retry_after: None,
        },
        3,
    );
    let event = changed("acme", "s1", HealthBand::Watch, HealthBand::AtRisk);
    let first = run(&store, &sender, vec![event.clone()], now()).await;
    assert_eq!(first.failed, ["m0"], "Teams still owes the alert");
    assert_eq!(sender.sent_to(&slack()).len(), 1);
    assert!(sender.sent_to(&teams).is_empty());

    // The queue hands the same event out again: Teams gets it, Slack does not get it twice.
    let again = run(&store, &sender, vec![event], now() + Duration::seconds(30)).await;
    assert!(again.failed.is_empty(), "{again:?}");
    assert_eq!(
        sender.sent_to(&slack()).len(),
        1,
        "Slack's delivery is on record"
    );
    assert_eq!(sender.sent_to(&teams).len(), 1);
    let log = deliveries(&store).await;
    assert_eq!(log.len(), 2);
    assert!(
        log.iter().all(|d| d.status == DeliveryStatus::Sent),
        "{log:?}"
    );

    // And a third time (the alert is sent now): nothing more.
    run(
        &store,
        &sender,
        vec![changed("acme", "s1", HealthBand::Watch, HealthBand::AtRisk)],
        now() + Duration::minutes(1),
    )
    .await;
    assert_eq!(
        sender.attempts().len(),
        5,
        "1 Slack + 3 failed Teams + 1 Teams"
    );
}
