//! Alerting's ports: where rules, states, snoozes, pending alerts and the delivery log are kept
//! (`AlertStore`), and how a message reaches a channel (`AlertSender`: Slack, Teams, SES email, signed
//! webhooks; an in-process recorder for the local runner and tests).

use crate::domain::{
    AlertChannel, AlertMessage, AlertRule, AlertRuleId, AlertState, ClientId, ClientSnooze,
    DeliveryRecord, PendingAlert, TenantId,
};
use crate::ports::store::{Page, PageRequest, StoreError};
use chrono::{DateTime, Utc};
use std::time::Duration;

#[async_trait::async_trait]
pub trait AlertStore: Send + Sync {
    /// Creates a rule; `Conflict` when the tenant has one with this id.
    async fn create_alert_rule(&self, rule: &AlertRule) -> Result<(), StoreError>;
    async fn get_alert_rule(
        &self,
        tenant_id: &TenantId,
        rule_id: &AlertRuleId,
    ) -> Result<AlertRule, StoreError>;
    /// Writes `rule` if the stored version is still `rule.version`; returns it with the new version.
    async fn update_alert_rule(&self, rule: &AlertRule) -> Result<AlertRule, StoreError>;
    /// Every rule of the tenant, by id (a tenant keeps tens, not thousands).
    async fn list_alert_rules(&self, tenant_id: &TenantId) -> Result<Vec<AlertRule>, StoreError>;
    /// Removes the rule and its states and pending alerts.
    async fn delete_alert_rule(
        &self,
        tenant_id: &TenantId,
        rule_id: &AlertRuleId,
    ) -> Result<(), StoreError>;

    /// The stored states among `keys` (missing ones are left out).
    async fn alert_states(
        &self,
        tenant_id: &TenantId,
        keys: &[(AlertRuleId, ClientId)],
    ) -> Result<Vec<AlertState>, StoreError>;
    async fn put_alert_states(
        &self,
        tenant_id: &TenantId,
        states: &[AlertState],
    ) -> Result<(), StoreError>;
    /// Forgets states whose condition no longer holds, so entering it again alerts again.
    async fn delete_alert_states(
        &self,
        tenant_id: &TenantId,
        keys: &[(AlertRuleId, ClientId)],
    ) -> Result<(), StoreError>;

    async fn put_snooze(
        &self,
        tenant_id: &TenantId,
        snooze: &ClientSnooze,
    ) -> Result<(), StoreError>;
    async fn delete_snooze(
        &self,
        tenant_id: &TenantId,
        client_id: &ClientId,
    ) -> Result<(), StoreError>;
    /// The tenant's snoozes that have not ended at `now`.
    async fn active_snoozes(
        &self,
        tenant_id: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ClientSnooze>, StoreError>;

    /// Queues alerts for later (digest hour, end of quiet hours); one per (rule, channel, client):
    /// a newer alert replaces the one queued before it.
    async fn put_pending_alerts(
        &self,
        tenant_id: &TenantId,
        alerts: &[PendingAlert],
    ) -> Result<(), StoreError>;
    /// The tenants that have pending alerts due at `now` (for the scheduled release), a page at a time.
    async fn tenants_with_due_alerts(
        &self,
        now: DateTime<Utc>,
        page: &PageRequest,
    ) -> Result<Page<TenantId>, StoreError>;
    /// The tenant's pending alerts due at `now`.
    async fn due_pending_alerts(
        &self,
        tenant_id: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<PendingAlert>, StoreError>;
    /// Removes released alerts.
    async fn delete_pending_alerts(
        &self,
        tenant_id: &TenantId,
        alerts: &[PendingAlert],
    ) -> Result<(), StoreError>;

    /// Upserts a delivery record (kept 90 days).
    async fn put_delivery(&self, record: &DeliveryRecord) -> Result<(), StoreError>;
    async fn get_delivery(
        &self,
        tenant_id: &TenantId,
        delivery_id: &str,
    ) -> Result<Option<DeliveryRecord>, StoreError>;
    /// The tenant's deliveries, newest first.
    async fn list_deliveries(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<DeliveryRecord>, StoreError>;

    /// Reserves the next send slot on a channel shared by every notify invocation: the time at which
    /// the caller may send, at least `min_interval` after the slot reserved before it (Slack allows
    /// about one message a second per webhook). A conditional write, so two invocations never get
    /// the same slot.
    async fn reserve_send_slot(
        &self,
        tenant_id: &TenantId,
        channel_key: &str,
        min_interval: Duration,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError>;
}

/// How a channel took a message.
#[derive(Debug, Clone, PartialEq)]
pub struct SendReceipt {
    /// The HTTP status (or 200 for SES), for the delivery log.
    pub status: u16,
    /// SES's message id, a webhook's `webhook-id`.
    pub message_id: Option<String>,
}

/// Why a message did not go. Messages never hold the channel's URL or key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// The destination is gone for good (Slack's 410 `no_service`, a 404 webhook): the rule is
    /// disabled and people are told.
    #[error("the channel is gone: {0}")]
    Gone(String),
    /// The channel refused this message (4xx other than 408/429): retrying it will not help.
    #[error("the channel refused the message ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// The message is larger than the channel takes, even after shortening.
    #[error("the message is too large for the channel: {0}")]
    TooLarge(String),
    /// The channel is not set up right (its secret is missing or malformed, SES has no sender).
    #[error("the channel is not configured: {0}")]
    Misconfigured(String),
    /// Worth trying again (timeouts, 5xx, 429), after `retry_after` when the channel said.
    #[error("the channel is unavailable: {message}")]
    Unavailable {
        message: String,
        retry_after: Option<Duration>,
    },
}

impl SendError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Unavailable { .. })
    }
}

#[async_trait::async_trait]
pub trait AlertSender: Send + Sync {
    /// Renders `message` for the channel's kind and delivers it, once (retries are the caller's).
    async fn send(
        &self,
        tenant_id: &TenantId,
        channel: &AlertChannel,
        message: &AlertMessage,
    ) -> Result<SendReceipt, SendError>;
}
