//! Alerts for 1,000 changed clients of one tenant with one Slack rule, on the in-process store and a
//! recording sender that checks Slack's limit (about one message a second per webhook). Prints how
//! many messages go out with the burst digest (the default threshold, 10) and without it, the time
//! the pacing needs at 1 message a second, and the handler's own time for the batch; and asserts
//! that no two sends to the webhook were closer than 1 s.
//!
//! Without the digest, 1,000 messages need 999 s of pacing: far past one invocation. The bench runs
//! that case against a short deadline and shows what the handler does: it sends what fits (paced),
//! and fails the rest of the records back to the queue, which hands them out again later.

use chrono::{Duration, Utc};
use shared::channels::RecordingSender;
use shared::domain::{
    AlertChannel, AlertChannelId, AlertCondition, AlertMessage, AlertRule, AlertRuleId, AlertScope,
    AuthKind, ChannelKind, ClientId, DeliveryMode, HealthBand, HealthLevel, SyncId, Tenant,
    TenantId,
};
use shared::events::{ClientHealthChanged, SCHEMA_VERSION};
use shared::handlers::notify::batch::{Decoded, Received};
use shared::handlers::notify::deliver::{min_interval, Pacing};
use shared::handlers::notify::Notifier;
use shared::handlers::route::Trigger;
use shared::ports::alerts::{AlertSender, AlertStore, SendError, SendReceipt};
use shared::ports::TenantStore;
use shared::store::MemoryStore;
use std::sync::Mutex;
use std::time::{Duration as StdDuration, Instant};

const CLIENTS: usize = 1_000;

/// A recording sender that notes when each message went out.
struct TimedSender {
    inner: RecordingSender,
    sent_at: Mutex<Vec<Instant>>,
}

#[async_trait::async_trait]
impl AlertSender for TimedSender {
    async fn send(
        &self,
        tenant_id: &TenantId,
        channel: &AlertChannel,
        message: &AlertMessage,
    ) -> Result<SendReceipt, SendError> {
        if let Ok(mut sent) = self.sent_at.lock() {
            sent.push(Instant::now());
        }
        self.inner.send(tenant_id, channel, message).await
    }
}

fn tenant() -> TenantId {
    TenantId::parse("t-bench").unwrap()
}

fn rule() -> AlertRule {
    AlertRule {
        id: AlertRuleId::parse("rule-1").unwrap(),
        tenant_id: tenant(),
        name: "At risk".to_string(),
        enabled: true,
        condition: AlertCondition::BandEntered {
            bands: vec![HealthBand::AtRisk, HealthBand::Critical],
        },
        scope: AlertScope::AllClients,
        channels: vec![AlertChannel {
            id: AlertChannelId::parse("slack-1").unwrap(),
            kind: ChannelKind::Slack,
            secret_id: Some("bench/slack-1".to_string()),
            recipients: vec![],
            display: "hooks.slack.com/…/bnch".to_string(),
        }],
        cooldown_minutes: 60,
        delivery: DeliveryMode::Immediate,
        disabled_reason: None,
        created_at: Utc::now() - Duration::days(1),
        updated_at: Utc::now() - Duration::days(1),
        version: 0,
    }
}

fn batch() -> Decoded {
    let received = (0..CLIENTS)
        .map(|i| Received {
            message_id: format!("m{i}"),
            trigger: Trigger::ClientHealthChanged(ClientHealthChanged {
                schema_version: SCHEMA_VERSION,
                tenant_id: tenant(),
                sync_id: SyncId::parse("sync-1").unwrap(),
                client_id: ClientId::parse(format!("c{i:04}")).unwrap(),
                client_name: format!("Client {i}"),
                lifecycle_stage: Some("customer".to_string()),
                before: HealthLevel {
                    overall: 60,
                    band: HealthBand::Watch,
                    churn_risk: 30,
                },
                after: HealthLevel {
                    overall: 40,
                    band: HealthBand::AtRisk,
                    churn_risk: 55,
                },
                moved_factors: vec![],
                scored_at: Utc::now(),
            }),
            last_receive: false,
        })
        .collect();
    Decoded {
        received,
        undecodable: vec![],
    }
}

struct Run {
    planned_messages: usize,
    sent: usize,
    failed_records: usize,
    handler: StdDuration,
    closest: Option<StdDuration>,
}

async fn run(burst_digest_threshold: u32, window: StdDuration) -> Run {
    let store = MemoryStore::new();
    let mut record = Tenant::connected(
        tenant(),
        "Bench",
        Some(1),
        "s",
        AuthKind::OAuth,
        Utc::now() - Duration::days(90),
    );
    record.alerting.burst_digest_threshold = burst_digest_threshold;
    store.create_tenant(&record).await.unwrap();
    store.create_alert_rule(&rule()).await.unwrap();
    let sender = TimedSender {
        inner: RecordingSender::new(),
        sent_at: Mutex::new(Vec::new()),
    };
    let notifier = Notifier {
        store: &store,
        sender: &sender,
        dashboard_url: Some("https://insights.example.com/".to_string()),
        pacing: Pacing {
            deadline_margin: StdDuration::ZERO,
            ..Pacing::default()
        },
        writebacks: None,
    };
    let started = Instant::now();
    let report = notifier
        .handle_batch(batch(), Instant::now() + window, Utc::now())
        .await;
    let handler = started.elapsed();
    let sent_at = sender.sent_at.lock().map(|s| s.clone()).unwrap_or_default();
    let closest = sent_at.windows(2).map(|w| w[1] - w[0]).min();
    let planned = store
        .list_deliveries(&tenant(), &shared::ports::PageRequest::first(200))
        .await
        .map(|page| page.items.len())
        .unwrap_or_default();
    Run {
        planned_messages: if burst_digest_threshold as usize >= CLIENTS {
            CLIENTS
        } else {
            planned
        },
        sent: sender.inner.sent().len(),
        failed_records: report.failed.len(),
        handler,
        closest,
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let slack = min_interval(ChannelKind::Slack);
    println!("alerts: {CLIENTS} changed clients, one tenant, one Slack rule (at most 1 message per {slack:?} per webhook)");

    let digest = runtime.block_on(run(10, StdDuration::from_secs(60)));
    println!(
        "  with the burst digest (threshold 10): {} message(s) sent, pacing needs {:.0} s, handler {:.1} ms, {} record(s) failed",
        digest.sent,
        slack.as_secs_f64() * digest.sent.saturating_sub(1) as f64,
        digest.handler.as_secs_f64() * 1000.0,
        digest.failed_records
    );
    assert_eq!(digest.sent, 1, "1,000 alerts at once become one digest");

    let window = StdDuration::from_secs(5);
    let single = runtime.block_on(run(u32::MAX, window));
    println!(
        "  without it: {} messages planned, pacing needs {:.0} s at 1/s; in a {:?} run {} went out, {} records went back to the queue, handler {:.1} s",
        single.planned_messages,
        slack.as_secs_f64() * single.planned_messages.saturating_sub(1) as f64,
        window,
        single.sent,
        single.failed_records,
        single.handler.as_secs_f64()
    );
    match single.closest {
        Some(closest) => {
            println!(
                "  closest two sends to the webhook: {:.3} s apart",
                closest.as_secs_f64()
            );
            // The slot is reserved at 1 s steps; a send may start a few ms early by the clocks'
            // rounding, never by a whole step.
            assert!(
                closest >= slack - StdDuration::from_millis(5),
                "two sends to one webhook {closest:?} apart"
            );
        }
        None => println!("  fewer than two sends: nothing to compare"),
    }
    assert!(
        single.sent <= window.as_secs() as usize + 1,
        "the pacing held"
    );
}
