//! What the account platforms linked to a client show (NinjaOne, Pax8, Microsoft 365), folded into
//! figures the dimensions and rules read: one struct per kind of platform, summed over the client's
//! linked accounts of that platform, each with the matches that link them (so every factor and
//! finding can name its source and carry how sure the match is).

mod cross_source;
mod dimensions;
mod it_management;
mod peers;
mod productivity;
mod rules;
mod subscriptions;

pub use it_management::ItFeatures;
pub use peers::{ProductHolding, ProductPeers};
pub use productivity::ProductivityFeatures;
pub use subscriptions::SubscriptionFeatures;

pub(crate) use cross_source::{
    expansion_signal, is_silent, paid_seats_unused, silent_client, support_load_rising,
};
pub(crate) use dimensions::{account_usage_parts, support_with_it};
pub(crate) use rules::{it_issues, product_gap, seats_shrinking, unused_licences};

use crate::domain::{ClientSnapshot, Platform, ScoringSettings, SourceRef};
use crate::scoring::linked::{LinkedAccount, LinkedRecords, RecordMatch};
use chrono::{DateTime, Duration, Utc};

/// Days in each half of a 30-day-against-the-30-before trend.
pub const TREND_DAYS: i64 = 30;

/// Everything the linked account platforms say of one client; all `None` for a client without
/// linked accounts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccountFeatures {
    pub it: Option<ItFeatures>,
    pub subscriptions: Option<SubscriptionFeatures>,
    pub productivity: Option<ProductivityFeatures>,
    /// HubSpot's emails, calls and meetings in the last 30 days and in the 30 before: the CRM side
    /// of trends compared with other platforms'.
    pub crm_interactions_30d: u32,
    pub crm_interactions_prior_30d: u32,
}

impl AccountFeatures {
    pub fn is_empty(&self) -> bool {
        self.it.is_none() && self.subscriptions.is_none() && self.productivity.is_none()
    }

    /// The share HubSpot interactions fell by, last 30 days against the 30 before; `None` without
    /// interactions before (nothing could fall).
    pub fn crm_interaction_fall(&self) -> Option<f64> {
        (self.crm_interactions_prior_30d > 0).then(|| {
            1.0 - f64::from(self.crm_interactions_30d) / f64::from(self.crm_interactions_prior_30d)
        })
    }

    /// The linked platforms' sources, each with its surest match.
    pub fn sources(&self) -> Vec<SourceRef> {
        [
            self.it.as_ref().map(|it| &it.links),
            self.subscriptions.as_ref().map(|s| &s.links),
            self.productivity.as_ref().map(|p| &p.links),
        ]
        .into_iter()
        .flatten()
        .flat_map(|links| links.iter().map(RecordMatch::source))
        .collect()
    }
}

/// The matches of a platform's accounts, best first.
fn links_of(accounts: &[&LinkedAccount]) -> Vec<RecordMatch> {
    let mut links: Vec<RecordMatch> = accounts.iter().map(|a| a.link).collect();
    links.sort_by(|a, b| b.weight().total_cmp(&a.weight()));
    links
}

/// The best match among `links` as a weight 0..=1 (0 without links).
pub(crate) fn best_weight(links: &[RecordMatch]) -> f64 {
    links.iter().map(RecordMatch::weight).fold(0.0, f64::max)
}

/// Folds the accounts linked to a client (and its snapshot's recent interactions) into features.
pub fn derive_account_features(
    snapshot: &ClientSnapshot,
    linked: &LinkedRecords,
    settings: &ScoringSettings,
    now: DateTime<Utc>,
) -> AccountFeatures {
    let of = |platform| linked.accounts_of(platform).collect::<Vec<_>>();
    let (ninja, pax8, m365) = (
        of(Platform::Ninjaone),
        of(Platform::Pax8),
        of(Platform::M365),
    );
    if ninja.is_empty() && pax8.is_empty() && m365.is_empty() {
        return AccountFeatures::default();
    }
    let recent_start = now - Duration::days(TREND_DAYS);
    let prior_start = now - Duration::days(2 * TREND_DAYS);
    let mut recent = 0u32;
    let mut prior = 0u32;
    for engagement in snapshot
        .engagements
        .iter()
        .filter(|e| e.kind.is_interaction() && e.occurred_at <= now)
    {
        if engagement.occurred_at > recent_start {
            recent += 1;
        } else if engagement.occurred_at > prior_start {
            prior += 1;
        }
    }
    AccountFeatures {
        it: (!ninja.is_empty())
            .then(|| ItFeatures::derive(&ninja, links_of(&ninja), settings, now)),
        subscriptions: (!pax8.is_empty())
            .then(|| SubscriptionFeatures::derive(&pax8, links_of(&pax8), now)),
        productivity: (!m365.is_empty())
            .then(|| ProductivityFeatures::derive(&m365, links_of(&m365))),
        crm_interactions_30d: recent,
        crm_interactions_prior_30d: prior,
    }
}

/// `recent / prior - 1` when `prior` is positive.
pub(crate) fn change(recent: f64, prior: f64) -> Option<f64> {
    (prior > 0.0 && recent.is_finite()).then(|| recent / prior - 1.0)
}
