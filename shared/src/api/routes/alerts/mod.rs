//! Alerts: the tenant's alert rules and their channels, a test send, the delivery log and snoozed
//! clients.
//!
//! A channel's URL (and a webhook's signing key) is a secret: when a channel is created it goes into
//! a Secrets Manager secret of its own, under the tenant's prefix, and the rule keeps only the
//! secret's id and a display hint. No answer, stored rule or log line holds the URL; a webhook's
//! signing key is shown once, in the answer that created its channel, so the receiver can verify
//! the signatures.

pub mod deliveries;
pub mod rules;
pub mod snoozes;

use crate::api::error::ApiError;
use crate::api::ApiState;
use crate::channels::{channel_secret_id, ChannelSecret, ChannelUrlError};
use crate::domain::{
    AlertChannel, AlertChannelId, AlertCondition, AlertRule, AlertRuleId, AlertScope, ChannelKind,
    DeliveryMode, SettingsError, TenantId,
};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

/// A tenant keeps tens of rules, not thousands.
pub const MAX_RULES: usize = 100;
/// Recipients of one email channel.
pub const MAX_RECIPIENTS: usize = 20;
/// The longest address RFC 5321 lets through.
const MAX_ADDRESS_CHARS: usize = 254;

/// A channel as the API shows it: never its URL, nor where the URL is kept.
#[derive(Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChannelView {
    /// Unique within the rule (`slack-1`); send it back in a `PUT` to keep the channel.
    pub id: String,
    pub kind: ChannelKind,
    /// A hint of the destination to recognise it by (`hooks.slack.com/…/x9Qa`), or the recipients.
    pub display: String,
    /// Email channels: the recipients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
    /// Webhook channels, only in the answer that created the channel: the key the receiver verifies
    /// the `webhook-signature` header with (Standard Webhooks, `whsec_…`). It is never shown again:
    /// keep it now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Password)]
    pub signing_secret: Option<ShownOnce>,
}

impl std::fmt::Debug for ChannelView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelView")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("display", &self.display)
            .field("recipients", &self.recipients)
            .field(
                "signing_secret",
                &self.signing_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl From<&AlertChannel> for ChannelView {
    fn from(channel: &AlertChannel) -> Self {
        Self {
            id: channel.id.to_string(),
            kind: channel.kind,
            display: channel.display.clone(),
            recipients: channel.recipients.clone(),
            signing_secret: None,
        }
    }
}

/// A secret the API hands out once (a webhook's signing key): serialised as its value, redacted in
/// `Debug`.
#[derive(Clone)]
pub struct ShownOnce(pub SecretString);

impl PartialEq for ShownOnce {
    fn eq(&self, other: &Self) -> bool {
        self.0.expose_secret() == other.0.expose_secret()
    }
}

impl Serialize for ShownOnce {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.expose_secret())
    }
}

impl<'de> Deserialize<'de> for ShownOnce {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|value| ShownOnce(SecretString::from(value)))
    }
}

/// A rule as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertRuleView {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    pub condition: AlertCondition,
    pub scope: AlertScope,
    pub channels: Vec<ChannelView>,
    pub cooldown_minutes: u32,
    pub delivery: DeliveryMode,
    /// Why the product turned the rule off (a channel answered 410 Gone: its webhook was removed).
    /// Enabling the rule again clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Send it back with a change: a change made against an older version is refused with 409.
    pub version: u64,
}

impl From<&AlertRule> for AlertRuleView {
    fn from(rule: &AlertRule) -> Self {
        Self {
            id: rule.id.to_string(),
            name: rule.name.clone(),
            enabled: rule.enabled,
            condition: rule.condition.clone(),
            scope: rule.scope.clone(),
            channels: rule.channels.iter().map(ChannelView::from).collect(),
            cooldown_minutes: rule.cooldown_minutes,
            delivery: rule.delivery,
            disabled_reason: rule.disabled_reason.clone(),
            created_at: rule.created_at,
            updated_at: rule.updated_at,
            version: rule.version,
        }
    }
}

impl AlertRuleView {
    /// The rule with the signing keys of the channels created just now, shown this once.
    fn with_new_keys(rule: &AlertRule, created: &[CreatedChannel]) -> Self {
        let mut view = Self::from(rule);
        for channel in &mut view.channels {
            channel.signing_secret = created
                .iter()
                .find(|c| c.channel.id.as_str() == channel.id)
                .and_then(|c| c.signing_secret.clone())
                .map(ShownOnce);
        }
        view
    }
}

/// The body of `POST /v1/alert-rules` and `PUT /v1/alert-rules/{id}`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleInput {
    /// 1-100 characters.
    pub name: String,
    /// Default `true`. Enabling a rule the product disabled (its channel was gone) clears
    /// `disabled_reason`.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    pub condition: AlertCondition,
    /// Default: all clients.
    #[serde(default = "all_clients")]
    pub scope: AlertScope,
    /// 1-5 channels.
    pub channels: Vec<ChannelInput>,
    /// Default 1440 (a day); at most 43200 (30 days).
    #[serde(default)]
    pub cooldown_minutes: Option<u32>,
    #[serde(default)]
    pub delivery: DeliveryMode,
    /// `PUT` only: the `version` the caller read; when given and the rule moved on, 409.
    #[serde(default)]
    pub version: Option<u64>,
}

fn enabled_by_default() -> bool {
    true
}

fn all_clients() -> AlertScope {
    AlertScope::AllClients
}

/// One channel of a rule: a new one (`kind` with `url`, or `kind: email` with `recipients`), or, in
/// a `PUT`, one the rule has (its `id` and `kind`; an email channel may change its recipients).
/// `Debug` shows the URL redacted.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    /// Keep this channel of the rule (its URL stays where it is kept).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub id: Option<AlertChannelId>,
    /// `slack`, `teams`, `email` or `webhook`.
    pub kind: ChannelKind,
    /// Slack, Teams and webhook channels: the HTTPS URL (a Slack incoming webhook, a Teams workflow
    /// webhook, any endpoint). Kept in the secret store, never shown again.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub url: Option<SecretString>,
    /// Email channels: the addresses (1-20).
    #[serde(default)]
    pub recipients: Option<Vec<String>>,
}

/// A channel made for a rule just now, with the secret still to be written.
struct CreatedChannel {
    channel: AlertChannel,
    /// The secret to write under `channel.secret_id` (URL kinds).
    secret: Option<SecretString>,
    signing_secret: Option<SecretString>,
}

/// An invalid field, named the way the body spells it.
fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ApiError {
    ApiError::InvalidField {
        field: field.into(),
        reason: reason.into(),
    }
}

fn settings_error(error: SettingsError) -> ApiError {
    invalid(error.field, error.reason)
}

/// The scope as kept: lifecycle stages trimmed and lower-cased, as the CRM's internal values are.
fn normalized_scope(scope: AlertScope) -> AlertScope {
    match scope {
        AlertScope::LifecycleStages { stages } => AlertScope::LifecycleStages {
            stages: stages.iter().map(|s| s.trim().to_lowercase()).collect(),
        },
        other => other,
    }
}

/// A new channel id (`slack-3f9a1c2e`): unique in the tenant, as its secret is named after it.
fn new_channel_id(kind: ChannelKind) -> Result<AlertChannelId, ApiError> {
    let random = uuid::Uuid::new_v4().simple().to_string();
    AlertChannelId::parse(format!("{}-{}", kind_name(kind), &random[..8]))
        .map_err(ApiError::internal)
}

/// Why a URL was refused, in the words of the body (the error never holds the URL).
fn url_reason(kind: ChannelKind, error: &ChannelUrlError) -> String {
    match error {
        ChannelUrlError::NotSlack => {
            "must be a Slack incoming webhook: https://hooks.slack.com/services/…".to_string()
        }
        ChannelUrlError::NotHttps => {
            format!("must be an https:// URL for a {} channel", kind_name(kind))
        }
        other => {
            let text = other.to_string();
            text.strip_prefix("the channel URL ")
                .unwrap_or(&text)
                .to_string()
        }
    }
}

/// A new rule id (`rule-3f9a1c2e`).
fn new_rule_id() -> Result<AlertRuleId, ApiError> {
    let random = uuid::Uuid::new_v4().simple().to_string();
    AlertRuleId::parse(format!("rule-{}", &random[..8])).map_err(ApiError::internal)
}

/// The channels of a rule from the body: kept ones from `existing`, new ones built with their
/// secrets (not yet written). Refuses what cannot work, naming the member (`channels[1].url`).
fn channels_from(
    state: &ApiState,
    tenant_id: &TenantId,
    inputs: &[ChannelInput],
    existing: &[AlertChannel],
) -> Result<(Vec<AlertChannel>, Vec<CreatedChannel>), ApiError> {
    if inputs.is_empty() || inputs.len() > AlertRule::MAX_CHANNELS {
        return Err(invalid(
            "channels",
            format!("a rule needs 1 to {} channels", AlertRule::MAX_CHANNELS),
        ));
    }
    let mut channels = Vec::with_capacity(inputs.len());
    let mut created = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let field = |member: &str| format!("channels[{index}].{member}");
        if let Some(id) = &input.id {
            let Some(kept) = existing.iter().find(|c| &c.id == id) else {
                return Err(invalid(field("id"), "is not a channel of this rule"));
            };
            if kept.kind != input.kind {
                return Err(invalid(
                    field("kind"),
                    format!(
                        "cannot change a kept channel's kind (it is {})",
                        kind_name(kept.kind)
                    ),
                ));
            }
            if input.url.is_some() {
                return Err(invalid(
                    field("url"),
                    "cannot be given with `id`: leave `id` out to replace the URL with a new channel",
                ));
            }
            if channels.iter().any(|c: &AlertChannel| &c.id == id) {
                return Err(invalid(field("id"), "is given twice"));
            }
            let mut channel = kept.clone();
            if let Some(recipients) = &input.recipients {
                if channel.kind != ChannelKind::Email {
                    return Err(invalid(field("recipients"), "are for email channels only"));
                }
                channel.recipients = checked_recipients(recipients, &field("recipients"))?;
                channel.display = channel.recipients.join(", ");
            }
            channels.push(channel);
            continue;
        }
        let id = new_channel_id(input.kind)?;
        let new = match input.kind {
            ChannelKind::Email => {
                if input.url.is_some() {
                    return Err(invalid(
                        field("url"),
                        "is not used by email channels: give `recipients`",
                    ));
                }
                let recipients = checked_recipients(
                    input.recipients.as_deref().unwrap_or_default(),
                    &field("recipients"),
                )?;
                CreatedChannel {
                    channel: AlertChannel {
                        id,
                        kind: ChannelKind::Email,
                        secret_id: None,
                        display: recipients.join(", "),
                        recipients,
                    },
                    secret: None,
                    signing_secret: None,
                }
            }
            kind => {
                if input.recipients.is_some() {
                    return Err(invalid(
                        field("recipients"),
                        format!(
                            "are for email channels only; a {} channel takes `url`",
                            kind_name(kind)
                        ),
                    ));
                }
                let Some(url) = &input.url else {
                    return Err(invalid(
                        field("url"),
                        format!("is required for a {} channel", kind_name(kind)),
                    ));
                };
                let secret =
                    ChannelSecret::for_new_channel(kind, url.expose_secret(), state.channel_urls)
                        .map_err(|error| invalid(field("url"), url_reason(kind, &error)))?;
                CreatedChannel {
                    channel: AlertChannel {
                        secret_id: Some(channel_secret_id(
                            &state.config.tenant_secret_prefix,
                            tenant_id,
                            &id,
                        )),
                        id,
                        kind,
                        recipients: Vec::new(),
                        display: secret.display_hint(),
                    },
                    secret: Some(secret.to_stored()),
                    signing_secret: secret.signing_secret().cloned(),
                }
            }
        };
        channels.push(new.channel.clone());
        created.push(new);
    }
    Ok((channels, created))
}

/// Email addresses: trimmed, each `local@domain`, no duplicates.
fn checked_recipients(recipients: &[String], field: &str) -> Result<Vec<String>, ApiError> {
    if recipients.is_empty() || recipients.len() > MAX_RECIPIENTS {
        return Err(invalid(
            field,
            format!("an email channel needs 1 to {MAX_RECIPIENTS} recipients"),
        ));
    }
    let mut checked: Vec<String> = Vec::with_capacity(recipients.len());
    for address in recipients {
        let address = address.trim();
        let plausible = address.chars().count() <= MAX_ADDRESS_CHARS
            && !address.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(address.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                    && !domain.starts_with('.') && !domain.ends_with('.'));
        if !plausible {
            return Err(invalid(
                field,
                format!("must be email addresses (`{address}` is not one)"),
            ));
        }
        if !checked.iter().any(|c| c.eq_ignore_ascii_case(address)) {
            checked.push(address.to_string());
        }
    }
    Ok(checked)
}

pub(crate) fn kind_name(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Slack => "slack",
        ChannelKind::Teams => "teams",
        ChannelKind::Email => "email",
        ChannelKind::Webhook => "webhook",
    }
}

/// Writes the new channels' secrets; on a failure removes those written, so nothing is left behind.
async fn write_secrets(state: &ApiState, created: &[CreatedChannel]) -> Result<(), ApiError> {
    let mut written: Vec<String> = Vec::new();
    for channel in created {
        let (Some(secret_id), Some(secret)) = (&channel.channel.secret_id, &channel.secret) else {
            continue;
        };
        if let Err(error) = state.vault.create(secret_id, secret).await {
            remove_secrets(state, written).await;
            return Err(error.into());
        }
        written.push(secret_id.clone());
    }
    Ok(())
}

/// Deletes channel secrets nothing refers to any more; a failure is logged (the secret is an
/// orphan an operator can remove), not returned: the change it follows is done.
async fn remove_secrets(state: &ApiState, secret_ids: Vec<String>) {
    for secret_id in secret_ids {
        if let Err(error) = state.vault.delete(&secret_id).await {
            tracing::error!(error = %error, secret_id, "could not remove an alert channel's secret");
        }
    }
}

/// The secrets of these channels (email channels have none).
fn secret_ids_of<'a>(channels: impl IntoIterator<Item = &'a AlertChannel>) -> Vec<String> {
    channels
        .into_iter()
        .filter_map(|c| c.secret_id.clone())
        .collect()
}
