//! Delivering one planned message to one channel: at the channel's pace (a send slot reserved in
//! the table, shared by every notify invocation), a few attempts with backoff inside the invocation,
//! and every attempt written to the delivery log under the message's deterministic id, so an event
//! the queue hands out again does not send twice.
//!
//! What a failure leads to is decided here, once:
//! - `Unavailable` (timeouts, 5xx, 429): tried again up to [`Pacing::attempts`] times, after the
//!   channel's `Retry-After` when it gave one (capped); if it still fails, the record is `Retrying`
//!   and the caller fails the SQS record, so the queue tries again later and finally parks it in the
//!   dead-letter queue (`Failed` on the last receive);
//! - `Gone` (Slack's 410, a 404 webhook): `Failed`, and the rule is turned off with a reason people
//!   can read;
//! - `Rejected`, `TooLarge`, `Misconfigured`: `Failed`, not retried (the same message fails again).

use crate::domain::{
    AlertChannel, AlertMessage, AlertRule, AlertRuleId, ChannelKind, DeliveryRecord, DeliveryStatus,
};
use crate::ports::alerts::{AlertSender, AlertStore, SendError};
use crate::ports::StoreError;
use backon::{BackoffBuilder, ExponentialBuilder};
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

/// A delivery record names at most this many clients (a digest of hundreds would bloat the log).
pub const MAX_CLIENT_IDS_RECORDED: usize = 50;

/// How patiently messages are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// Sends of one message in one invocation (the first and the retries).
    pub attempts: usize,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// A channel's `Retry-After` is honoured up to this; a longer one is left to the queue's retry.
    pub max_retry_after: Duration,
    /// Time kept free before the invocation's deadline: a send slot later than this is not waited
    /// for (the record fails back to the queue instead).
    pub deadline_margin: Duration,
}

impl Default for Pacing {
    /// Three sends, 500 ms then 1 s apart (or what the channel asks, up to 10 s): a short outage or a
    /// rate limit rides out inside the invocation; a longer one goes back to the queue.
    fn default() -> Self {
        Self {
            attempts: 3,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(4),
            max_retry_after: Duration::from_secs(10),
            deadline_margin: Duration::from_secs(15),
        }
    }
}

/// The least time between two messages to one destination of this kind: Slack takes about one
/// message a second per incoming webhook, Teams workflows about the same; SES's default sending
/// rate is in the tens a second; a tenant's own endpoint is not paced by us.
pub fn min_interval(kind: ChannelKind) -> Duration {
    match kind {
        ChannelKind::Slack | ChannelKind::Teams => Duration::from_secs(1),
        ChannelKind::Email => Duration::from_millis(100),
        ChannelKind::Webhook => Duration::ZERO,
    }
}

/// The destination whose rate limit a channel shares: two channels holding the same secret post to
/// the same webhook; all email goes through the one SES account. (A channel's id is unique only
/// within its rule.)
pub fn pacing_key(rule_id: &AlertRuleId, channel: &AlertChannel) -> String {
    match (channel.kind, &channel.secret_id) {
        (ChannelKind::Email, _) => "email".to_string(),
        (_, Some(secret_id)) => format!("secret:{secret_id}"),
        (_, None) => format!("channel:{rule_id}/{}", channel.id),
    }
}

/// One message to one channel of one rule, with its delivery id (from `crate::alerts`).
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub delivery_id: String,
    pub channel: AlertChannel,
    pub message: AlertMessage,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivered {
    Sent,
    /// The delivery log already has it as sent (a redelivered event): not sent again.
    AlreadySent,
    /// Failed for good; the record says why.
    Failed(SendError),
    /// The channel is gone: the rule was turned off.
    Gone(String),
    /// Still failing after the attempts, or no send slot before the deadline: the event's SQS
    /// record should fail so the queue tries again.
    RetryLater(String),
}

impl Delivered {
    pub fn needs_retry(&self) -> bool {
        matches!(self, Delivered::RetryLater(_))
    }
}

/// Everything a delivery needs besides the message.
pub struct Courier<'a, S: ?Sized> {
    pub store: &'a S,
    pub sender: &'a dyn AlertSender,
    pub pacing: Pacing,
    /// The invocation's deadline.
    pub deadline: Instant,
    /// The queue will not hand the event out again (its last receive): a failure left is `Failed`.
    pub last_receive: bool,
    /// Destinations whose next slot already lay past the deadline: not asked again in this run,
    /// so a long burst does not reserve (and waste) slots far ahead for the next invocations.
    pub out_of_time: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl<S: AlertStore + ?Sized> Courier<'_, S> {
    /// Delivers `outgoing` for `rule` (paced, retried, recorded).
    pub async fn deliver(
        &self,
        rule: &AlertRule,
        outgoing: &Outgoing,
    ) -> Result<Delivered, StoreError> {
        let tenant_id = &rule.tenant_id;
        let existing = self
            .store
            .get_delivery(tenant_id, &outgoing.delivery_id)
            .await?;
        let mut record = match existing {
            Some(record) if record.status == DeliveryStatus::Sent => {
                return Ok(Delivered::AlreadySent)
            }
            // Refused for good before: the same message would be refused again.
            Some(record) if record.status == DeliveryStatus::Failed => {
                return Ok(Delivered::Failed(SendError::Rejected {
                    status: 0,
                    message: record
                        .last_error
                        .unwrap_or_else(|| "failed before".to_string()),
                }))
            }
            Some(record) => record,
            None => new_record(rule, outgoing, Utc::now()),
        };

        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(self.pacing.min_backoff)
            .with_max_delay(self.pacing.max_backoff)
            .with_max_times(self.pacing.attempts.saturating_sub(1))
            .with_jitter()
            .build();
        loop {
            if let Err(late) = self.wait_for_slot(rule, &outgoing.channel).await? {
                record.status = DeliveryStatus::Retrying;
                record.last_error = Some(late.clone());
                record.updated_at = Utc::now();
                self.store.put_delivery(&record).await?;
                return Ok(Delivered::RetryLater(late));
            }
            let result = self
                .sender
                .send(tenant_id, &outgoing.channel, &outgoing.message)
                .await;
            record.attempts += 1;
            record.updated_at = Utc::now();
            let error = match result {
                Ok(_receipt) => {
                    record.status = DeliveryStatus::Sent;
                    record.last_error = None;
                    self.store.put_delivery(&record).await?;
                    return Ok(Delivered::Sent);
                }
                Err(error) => error,
            };
            record.last_error = Some(error.to_string());
            let retry_in = match &error {
                SendError::Unavailable { retry_after, .. } => {
                    backoff.next().map(|delay| match retry_after {
                        Some(asked) => (*asked).max(delay),
                        None => delay,
                    })
                }
                _ => None,
            };
            match (error, retry_in) {
                (SendError::Unavailable { .. }, Some(wait))
                    if wait <= self.pacing.max_retry_after && self.time_left() > wait =>
                {
                    record.status = DeliveryStatus::Retrying;
                    self.store.put_delivery(&record).await?;
                    tokio::time::sleep(wait).await;
                }
                (SendError::Unavailable { message, .. }, _) => {
                    record.status = if self.last_receive {
                        DeliveryStatus::Failed
                    } else {
                        DeliveryStatus::Retrying
                    };
                    self.store.put_delivery(&record).await?;
                    return Ok(Delivered::RetryLater(message));
                }
                (SendError::Gone(reason), _) => {
                    record.status = DeliveryStatus::Failed;
                    self.store.put_delivery(&record).await?;
                    self.disable_rule(rule, &outgoing.channel, &reason).await?;
                    return Ok(Delivered::Gone(reason));
                }
                (permanent, _) => {
                    record.status = DeliveryStatus::Failed;
                    self.store.put_delivery(&record).await?;
                    tracing::warn!(
                        tenant = %tenant_id,
                        rule = %rule.id,
                        channel = %outgoing.channel.id,
                        error = %permanent,
                        "an alert was refused by its channel"
                    );
                    return Ok(Delivered::Failed(permanent));
                }
            }
        }
    }

    fn is_out_of_time(&self, key: &str) -> bool {
        self.out_of_time
            .lock()
            .map(|out| out.contains(key))
            .unwrap_or(false)
    }

    fn time_left(&self) -> Duration {
        self.deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(self.pacing.deadline_margin)
    }

    /// Reserves the channel's next send slot and sleeps until it; `Err` (inside `Ok`) when the slot
    /// lies past what the invocation has left.
    async fn wait_for_slot(
        &self,
        rule: &AlertRule,
        channel: &AlertChannel,
    ) -> Result<Result<(), String>, StoreError> {
        let interval = min_interval(channel.kind);
        if interval.is_zero() {
            return Ok(Ok(()));
        }
        let key = pacing_key(&rule.id, channel);
        let late =
            || "the channel's send slots in this run are taken; tried again later".to_string();
        if self.is_out_of_time(&key) {
            return Ok(Err(late()));
        }
        let now = Utc::now();
        let slot = self
            .store
            .reserve_send_slot(&rule.tenant_id, &key, interval, now)
            .await?;
        let wait = wait_until(slot, now);
        if wait > self.time_left() {
            if let Ok(mut out) = self.out_of_time.lock() {
                out.insert(key);
            }
            return Ok(Err(late()));
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(Ok(()))
    }

    /// Turns the rule off after its channel answered that it is gone, saying so on the rule (the
    /// dashboard shows the reason). Written on the stored version; a rule changed meanwhile is read
    /// again once.
    async fn disable_rule(
        &self,
        rule: &AlertRule,
        channel: &AlertChannel,
        reason: &str,
    ) -> Result<(), StoreError> {
        let why = format!(
            "turned off: the {:?} channel {} answered that it no longer exists ({reason}); \
             point the rule at a new one and turn it on again",
            channel.kind, channel.display
        )
        .to_lowercase();
        for _ in 0..2 {
            let mut current = self.store.get_alert_rule(&rule.tenant_id, &rule.id).await?;
            if !current.enabled {
                return Ok(());
            }
            current.enabled = false;
            current.disabled_reason = Some(why.clone());
            current.updated_at = Utc::now();
            match self.store.update_alert_rule(&current).await {
                Ok(_) => {
                    tracing::warn!(tenant = %rule.tenant_id, rule = %rule.id, channel = %channel.id,
                        "an alert rule was turned off: its channel is gone");
                    return Ok(());
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }
}

fn wait_until(slot: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (slot - now).to_std().unwrap_or(Duration::ZERO)
}

fn new_record(rule: &AlertRule, outgoing: &Outgoing, now: DateTime<Utc>) -> DeliveryRecord {
    let message = &outgoing.message;
    DeliveryRecord {
        id: outgoing.delivery_id.clone(),
        tenant_id: rule.tenant_id.clone(),
        rule_id: Some(rule.id.clone()),
        rule_name: rule.name.clone(),
        channel_id: outgoing.channel.id.clone(),
        channel_kind: outgoing.channel.kind,
        client_ids: message
            .items
            .iter()
            .take(MAX_CLIENT_IDS_RECORDED)
            .map(|item| item.client_id.clone())
            .collect(),
        alerts: message.items.len() as u32,
        digest: message.digest,
        test: message.test,
        status: DeliveryStatus::Retrying,
        attempts: 0,
        last_error: None,
        created_at: now,
        updated_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AlertChannelId;

    fn channel(kind: ChannelKind, secret: Option<&str>) -> AlertChannel {
        AlertChannel {
            id: AlertChannelId::parse("c1").unwrap(),
            kind,
            secret_id: secret.map(str::to_string),
            recipients: vec![],
            display: "x".to_string(),
        }
    }

    #[test]
    fn slack_and_teams_are_paced_per_webhook_and_email_per_account() {
        assert_eq!(min_interval(ChannelKind::Slack), Duration::from_secs(1));
        assert_eq!(min_interval(ChannelKind::Teams), Duration::from_secs(1));
        assert_eq!(min_interval(ChannelKind::Webhook), Duration::ZERO);
        let (a, b) = (
            AlertRuleId::parse("rule-a").unwrap(),
            AlertRuleId::parse("rule-b").unwrap(),
        );
        let slack = |secret| channel(ChannelKind::Slack, secret);
        // One webhook shared by two rules is one destination.
        assert_eq!(
            pacing_key(&a, &slack(Some("t/1"))),
            pacing_key(&b, &slack(Some("t/1")))
        );
        assert_ne!(
            pacing_key(&a, &slack(Some("t/1"))),
            pacing_key(&a, &slack(Some("t/2")))
        );
        assert_ne!(pacing_key(&a, &slack(None)), pacing_key(&b, &slack(None)));
        assert_eq!(pacing_key(&a, &channel(ChannelKind::Email, None)), "email");
    }
}
