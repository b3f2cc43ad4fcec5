//! What happened to a client after it was scored: whether and when it churned, by the tenant's own
//! definition of churn. The score function records it as it sees it (`scoring::outcomes`), and the
//! daily backtest (`handlers::calibrate`) replays the score history against it.

use crate::domain::ClientId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A prediction is judged on a churn within this many days after it, unless the tenant says otherwise.
pub const DEFAULT_OUTCOME_HORIZON_DAYS: u32 = 90;

/// What counts as a client churning (tenant setting `outcomes`). Every signal is on by default; a
/// tenant whose lifecycle stages are not kept up to date turns that one off, say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OutcomeDefinition {
    /// The client's renewal deal closed lost: its latest closed deal is lost, an earlier one was won
    /// (so it was a renewal of business, not a first sale), and no deal is open.
    pub renewal_lost: bool,
    /// The CRM lifecycle stage moved off customer (or evangelist) after being on it.
    pub left_customer_stage: bool,
    /// Every linked cloud subscription (Pax8) is cancelled, after at least one was paid for.
    pub subscriptions_cancelled: bool,
    /// The customer's record left the CRM (archived or deleted).
    pub archived: bool,
    /// A prediction counts as right when the client churned within this many days after it (30..=365).
    pub horizon_days: u32,
}

impl Default for OutcomeDefinition {
    fn default() -> Self {
        Self {
            renewal_lost: true,
            left_customer_stage: true,
            subscriptions_cancelled: true,
            archived: true,
            horizon_days: DEFAULT_OUTCOME_HORIZON_DAYS,
        }
    }
}

impl OutcomeDefinition {
    /// The first rule the definition breaks, as (field, reason).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if !(30..=365).contains(&self.horizon_days) {
            return Some((
                "outcomes.horizon_days",
                format!("must be 30 to 365 days, got {}", self.horizon_days),
            ));
        }
        if !(self.renewal_lost
            || self.left_customer_stage
            || self.subscriptions_cancelled
            || self.archived)
        {
            return Some((
                "outcomes",
                "at least one churn signal must be on, or no client could ever churn".to_owned(),
            ));
        }
        None
    }
}

/// Which signal said a client churned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChurnReason {
    RenewalLost,
    LeftCustomerStage,
    SubscriptionsCancelled,
    Archived,
}

impl ChurnReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ChurnReason::RenewalLost => "renewal_lost",
            ChurnReason::LeftCustomerStage => "left_customer_stage",
            ChurnReason::SubscriptionsCancelled => "subscriptions_cancelled",
            ChurnReason::Archived => "archived",
        }
    }
}

/// What the product knows of one client's fate: whether it has been a customer, and whether and when
/// it churned. The first churn stays: a client that comes back is a new story the backtest does
/// not follow (its later scores are left out, being after its churn).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClientOutcomeRecord {
    #[schema(value_type = String)]
    pub client_id: ClientId,
    /// When the product first saw the client as a customer (stage, won deal or live subscription).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_since: Option<DateTime<Utc>>,
    /// Whether its CRM lifecycle stage has been customer (or evangelist): leaving it is a churn only
    /// after being on it.
    #[serde(default)]
    pub stage_was_customer: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub churned_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ChurnReason>,
    /// When this record last changed.
    pub recorded_at: DateTime<Utc>,
}

impl ClientOutcomeRecord {
    pub fn new(client_id: ClientId, now: DateTime<Utc>) -> Self {
        Self {
            client_id,
            customer_since: None,
            stage_was_customer: false,
            churned_at: None,
            reason: None,
            recorded_at: now,
        }
    }
}
