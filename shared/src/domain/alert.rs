//! Alerts: the rules a tenant keeps for telling people where they work when a client's health
//! changes, the channels they go to, the hygiene that keeps them worth reading (one alert per rule,
//! client and state; a cool-down; quiet hours; a daily digest; snoozed clients), and the record of
//! every delivery. Plain data with validation; the decisions are in `crate::alerts`, pure functions
//! over these types.

use crate::domain::{
    AlertChannelId, AlertRuleId, ClientId, FactorMove, HealthBand, HealthLevel, Impact,
    InsightFacts, InsightType, SettingsError, TenantId,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// When a rule fires. Each condition names the state an alert is about (see
/// `crate::alerts::state_key`), so a client that stays in it is not alerted again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlertCondition {
    /// The client's band changed to one of `bands` (by default at risk or critical).
    BandEntered { bands: Vec<HealthBand> },
    /// The overall score fell at least `points` within `days` days.
    OverallFell { points: u8, days: u16 },
    /// An insight opened with at least this impact and confidence (of `types`, or any when empty).
    InsightOpened {
        min_impact: Impact,
        min_confidence: u8,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        types: Vec<InsightType>,
    },
    /// The churn risk rose above `percent`.
    ChurnAbove { percent: u8 },
}

/// Which clients a rule watches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlertScope {
    AllClients,
    /// Clients in one of these CRM lifecycle stages (lower-cased: `customer`).
    LifecycleStages {
        stages: Vec<String>,
    },
    /// These clients only.
    Clients {
        #[schema(value_type = Vec<String>)]
        client_ids: Vec<ClientId>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A Slack incoming webhook; a Block Kit message.
    Slack,
    /// A Microsoft Teams workflow webhook; an Adaptive Card.
    Teams,
    /// Email through Amazon SES, with a plain and an HTML part.
    Email,
    /// Any HTTPS endpoint, signed as the Standard Webhooks specification describes.
    Webhook,
}

/// Where a rule's alerts go. A channel's URL (and a webhook's signing key) is a secret: it lives in
/// Secrets Manager under `secret_id`, never in the table, a response or a log line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertChannel {
    #[schema(value_type = String)]
    pub id: AlertChannelId,
    pub kind: ChannelKind,
    /// Slack, Teams and webhook channels: the secret holding the URL (and the signing key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    /// Email channels: the recipients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
    /// A hint of the destination people can recognise without the secret (`hooks.slack.com/…/x9Qa`).
    pub display: String,
}

/// Whether a rule's alerts go out as they happen or once a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    #[default]
    Immediate,
    /// Gathered and sent at the tenant's digest hour as one message per channel.
    DailyDigest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertRule {
    #[schema(value_type = String)]
    pub id: AlertRuleId,
    #[schema(value_type = String)]
    pub tenant_id: TenantId,
    pub name: String,
    pub enabled: bool,
    pub condition: AlertCondition,
    pub scope: AlertScope,
    pub channels: Vec<AlertChannel>,
    /// After an alert for a client, none for the same client and rule for this long.
    pub cooldown_minutes: u32,
    #[serde(default)]
    pub delivery: DeliveryMode,
    /// Why the product turned the rule off (a channel answered 410 Gone), for people to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version, incremented by every write.
    #[serde(default)]
    pub version: u64,
}

impl AlertRule {
    pub const MAX_CHANNELS: usize = 5;
    pub const MAX_NAME_CHARS: usize = 100;
    pub const MAX_COOLDOWN_MINUTES: u32 = 30 * 24 * 60;
    pub const DEFAULT_COOLDOWN_MINUTES: u32 = 24 * 60;

    /// Checks what people can get wrong; the first problem, naming its field.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let error = |field: &'static str, reason: &str| SettingsError {
            field,
            reason: reason.to_string(),
        };
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > Self::MAX_NAME_CHARS {
            return Err(error("name", "must be 1 to 100 characters"));
        }
        if self.channels.is_empty() || self.channels.len() > Self::MAX_CHANNELS {
            return Err(error("channels", "a rule needs 1 to 5 channels"));
        }
        for channel in &self.channels {
            match channel.kind {
                ChannelKind::Email if channel.recipients.is_empty() => {
                    return Err(error("channels", "an email channel needs recipients"))
                }
                ChannelKind::Slack | ChannelKind::Teams | ChannelKind::Webhook
                    if channel.secret_id.is_none() =>
                {
                    return Err(error("channels", "this channel needs its URL"))
                }
                _ => {}
            }
        }
        if self.cooldown_minutes > Self::MAX_COOLDOWN_MINUTES {
            return Err(error("cooldown_minutes", "must be at most 30 days"));
        }
        self.condition.validate()?;
        self.scope.validate()
    }
}

impl AlertCondition {
    /// A condition that can hold: at least one band, a fall of 1-100 points within 1-365 days,
    /// a confidence of at most 100, a churn risk of 1-99 %.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let error = |field: &'static str, reason: &str| SettingsError {
            field,
            reason: reason.to_string(),
        };
        match self {
            AlertCondition::BandEntered { bands } if bands.is_empty() => {
                Err(error("condition.bands", "must name at least one band"))
            }
            AlertCondition::OverallFell { points, .. } if !(1..=100).contains(points) => {
                Err(error("condition.points", "must be 1 to 100"))
            }
            AlertCondition::OverallFell { days, .. } if !(1..=365).contains(days) => {
                Err(error("condition.days", "must be 1 to 365"))
            }
            AlertCondition::InsightOpened { min_confidence, .. } if *min_confidence > 100 => {
                Err(error("condition.min_confidence", "must be 0 to 100"))
            }
            AlertCondition::ChurnAbove { percent } if !(1..=99).contains(percent) => {
                Err(error("condition.percent", "must be 1 to 99"))
            }
            _ => Ok(()),
        }
    }
}

impl AlertScope {
    /// The most clients a rule may name one by one.
    pub const MAX_CLIENTS: usize = 500;

    /// A scope that names something: at least one stage, 1 to 500 clients.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let error = |field: &'static str, reason: &str| SettingsError {
            field,
            reason: reason.to_string(),
        };
        match self {
            AlertScope::LifecycleStages { stages }
                if stages.is_empty() || stages.iter().any(|s| s.trim().is_empty()) =>
            {
                Err(error(
                    "scope.stages",
                    "must name at least one lifecycle stage",
                ))
            }
            AlertScope::Clients { client_ids }
                if client_ids.is_empty() || client_ids.len() > Self::MAX_CLIENTS =>
            {
                Err(error("scope.client_ids", "must name 1 to 500 clients"))
            }
            _ => Ok(()),
        }
    }
}

/// A tenant's alerting settings (defaults: UTC, no quiet hours, digest at 08:00, more than 10 alerts
/// at once to one channel become one digest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertingSettings {
    /// An IANA time zone (`Europe/Berlin`): quiet hours and the digest hour are in it.
    pub time_zone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
    /// The local hour (0-23) the daily digest goes out.
    pub digest_hour: u8,
    /// More than this many alerts for one channel at once go out as one digest message.
    pub burst_digest_threshold: u32,
}

impl Default for AlertingSettings {
    fn default() -> Self {
        Self {
            time_zone: "UTC".to_string(),
            quiet_hours: None,
            digest_hour: 8,
            burst_digest_threshold: 10,
        }
    }
}

impl AlertingSettings {
    pub const MAX_BURST_DIGEST_THRESHOLD: u32 = 1000;

    /// Checks what people can get wrong; the first problem, naming its field by its JSON path.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let error = |field: &'static str, reason: &str| SettingsError {
            field,
            reason: reason.to_string(),
        };
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(error(
                "alerting.time_zone",
                "must be an IANA time zone such as Europe/Berlin",
            ));
        }
        if self.digest_hour > 23 {
            return Err(error(
                "alerting.digest_hour",
                "must be an hour from 0 to 23",
            ));
        }
        if let Some(quiet) = self.quiet_hours {
            if quiet.start > 23 {
                return Err(error(
                    "alerting.quiet_hours.start",
                    "must be an hour from 0 to 23",
                ));
            }
            if quiet.end > 23 {
                return Err(error(
                    "alerting.quiet_hours.end",
                    "must be an hour from 0 to 23",
                ));
            }
            if quiet.start == quiet.end {
                return Err(error(
                    "alerting.quiet_hours",
                    "must start and end at different hours",
                ));
            }
        }
        if !(1..=Self::MAX_BURST_DIGEST_THRESHOLD).contains(&self.burst_digest_threshold) {
            return Err(error(
                "alerting.burst_digest_threshold",
                "must be from 1 to 1000",
            ));
        }
        Ok(())
    }

    /// The tenant's time zone; UTC when the stored name does not parse (`validate` refuses it at
    /// every write, so only a manual edit gets here).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }
}

/// Local hours in which nothing is sent: alerts wait and go out (as a digest when several) at `end`.
/// `start` after `end` spans midnight (22 to 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuietHours {
    /// Local hour 0-23 when quiet starts.
    pub start: u8,
    /// Local hour 0-23 when quiet ends.
    pub end: u8,
}

/// A client nobody wants alerts about until `until` (a known issue being handled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClientSnooze {
    #[schema(value_type = String)]
    pub client_id: ClientId,
    pub until: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who snoozed it (the caller's subject).
    pub by: String,
    pub created_at: DateTime<Utc>,
}

/// The state of one rule for one client: what it last alerted about, so the same state is not
/// alerted twice, and when, for the cool-down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertState {
    pub rule_id: AlertRuleId,
    pub client_id: ClientId,
    /// The state alerted about (`band:at_risk`, `insight:<id>`, `churn_above:60`, `fell:10/7`).
    pub state_key: String,
    pub alerted_at: DateTime<Utc>,
}

/// What changed, as an alert tells it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlertChange {
    Health {
        #[schema(value_type = Object)]
        before: HealthLevel,
        #[schema(value_type = Object)]
        after: HealthLevel,
        /// The fall over the rule's window, for `overall_fell` rules.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fell_by: Option<u8>,
    },
    InsightOpened {
        #[schema(value_type = Object)]
        insight: InsightFacts,
    },
}

/// One client's alert, ready to render on any channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertItem {
    #[schema(value_type = String)]
    pub client_id: ClientId,
    pub client_name: String,
    /// One line that says what happened ("Acme Ltd moved from Watch to At risk (61 → 44)").
    pub headline: String,
    pub change: AlertChange,
    /// The factors that moved most, largest first.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub top_factors: Vec<FactorMove>,
    /// The client's page on the dashboard, when the product knows its public address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// What one message on one channel says: one item, or a digest of several.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertMessage {
    pub tenant_id: TenantId,
    /// `None` for a test alert sent from the API.
    pub rule_id: Option<AlertRuleId>,
    pub rule_name: String,
    pub items: Vec<AlertItem>,
    /// A digest (daily, after quiet hours, or a burst): rendered as a list with a count.
    pub digest: bool,
    /// A test alert: rendered with a "test" marker.
    pub test: bool,
    /// The dashboard's address, for a "see all" link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard_url: Option<String>,
}

/// An alert waiting for its release (digest hour, end of quiet hours).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingAlert {
    pub rule_id: AlertRuleId,
    pub channel_id: AlertChannelId,
    pub item: AlertItem,
    pub queued_at: DateTime<Utc>,
    /// When it may go out.
    pub due_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// The channel accepted it.
    Sent,
    /// Failed; will be tried again.
    Retrying,
    /// Failed for good (the channel refused it, or the retries ran out): the dead-letter queue holds
    /// the event when it was a retryable failure.
    Failed,
}

/// One message to one channel, as the delivery log shows it. Holds no secret: errors are written
/// without the URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryRecord {
    /// Derived from the rule, channel and the alerts' states, so a retried event updates its record
    /// instead of sending (and logging) twice.
    pub id: String,
    #[schema(value_type = String)]
    pub tenant_id: TenantId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub rule_id: Option<AlertRuleId>,
    pub rule_name: String,
    #[schema(value_type = String)]
    pub channel_id: AlertChannelId,
    pub channel_kind: ChannelKind,
    /// The clients the message is about (the first 50 of a digest).
    #[schema(value_type = Vec<String>)]
    pub client_ids: Vec<ClientId>,
    /// How many alerts the message carried.
    pub alerts: u32,
    pub digest: bool,
    pub test: bool,
    pub status: DeliveryStatus,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod alerting_settings_tests {
    use super::*;

    fn field_of(settings: AlertingSettings) -> Option<&'static str> {
        settings.validate().err().map(|e| e.field)
    }

    #[test]
    fn alerting_settings_name_the_field_they_refuse() {
        assert_eq!(field_of(AlertingSettings::default()), None);
        let berlin = AlertingSettings {
            time_zone: "Europe/Berlin".into(),
            quiet_hours: Some(QuietHours { start: 22, end: 7 }),
            digest_hour: 23,
            burst_digest_threshold: 1000,
        };
        assert_eq!(field_of(berlin.clone()), None);
        let with = |f: fn(&mut AlertingSettings)| {
            let mut settings = berlin.clone();
            f(&mut settings);
            field_of(settings)
        };
        assert_eq!(
            with(|s| s.time_zone = "Mars/Olympus".into()),
            Some("alerting.time_zone")
        );
        assert_eq!(with(|s| s.digest_hour = 24), Some("alerting.digest_hour"));
        assert_eq!(
            with(|s| s.quiet_hours = Some(QuietHours { start: 24, end: 7 })),
            Some("alerting.quiet_hours.start")
        );
        assert_eq!(
            with(|s| s.quiet_hours = Some(QuietHours { start: 22, end: 30 })),
            Some("alerting.quiet_hours.end")
        );
        assert_eq!(
            with(|s| s.quiet_hours = Some(QuietHours { start: 7, end: 7 })),
            Some("alerting.quiet_hours")
        );
        assert_eq!(
            with(|s| s.burst_digest_threshold = 0),
            Some("alerting.burst_digest_threshold")
        );
        assert_eq!(
            with(|s| s.burst_digest_threshold = 1001),
            Some("alerting.burst_digest_threshold")
        );
        assert_eq!(berlin.tz(), chrono_tz::Europe::Berlin);
    }
}
