//! Pax8's figures: seats now, 30 and 90 days ago (from each subscription's quantity history),
//! cancellations and downgrades in 90 days, and the products held.

use crate::domain::{AccountSignals, CloudSubscription, CloudSubscriptionStatus};
use crate::scoring::linked::{LinkedAccount, RecordMatch};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use std::collections::BTreeMap;

/// The look-back of the long seat trend, cancellations and downgrades.
pub const SEAT_TREND_DAYS: i64 = 90;
/// The look-back of the short seat trend.
pub const SHORT_SEAT_TREND_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SubscriptionFeatures {
    /// The linked companies' matches, best first.
    pub links: Vec<RecordMatch>,
    /// Seats of live subscriptions (active, or cancellation pending) now, 30 and 90 days ago.
    pub seats: f64,
    pub seats_30d_ago: f64,
    pub seats_90d_ago: f64,
    /// Subscriptions cancelled (or with a cancellation pending) in the last 90 days.
    pub cancelled_90d: u32,
    /// Live subscriptions whose quantity went down in the last 90 days.
    pub downgrades_90d: u32,
    /// Live products by product id, with their names.
    pub products: BTreeMap<String, String>,
}

/// When a cancelled subscription stopped: its end date, else when the platform last changed it.
fn cancelled_at(subscription: &CloudSubscription) -> Option<DateTime<Utc>> {
    subscription
        .end_date
        .map(|d| d.and_time(NaiveTime::MIN).and_utc())
        .or(subscription.updated_at)
}

/// The seats a subscription had at `at` (before `now`): none before it started or after it was
/// cancelled; a cancelled subscription whose end is unknown counts as gone already, so an unknown
/// date never invents a fall.
fn seats_at(subscription: &CloudSubscription, at: DateTime<Utc>) -> f64 {
    let started = subscription
        .start_date
        .is_none_or(|d| d.and_time(NaiveTime::MIN).and_utc() <= at);
    let live_then = match subscription.status {
        CloudSubscriptionStatus::Active | CloudSubscriptionStatus::PendingCancel => true,
        CloudSubscriptionStatus::Cancelled => cancelled_at(subscription).is_some_and(|c| c > at),
        _ => false,
    };
    if started && live_then {
        subscription.quantity_at(at).max(0.0)
    } else {
        0.0
    }
}

impl SubscriptionFeatures {
    pub(super) fn derive(
        accounts: &[&LinkedAccount],
        links: Vec<RecordMatch>,
        now: DateTime<Utc>,
    ) -> Self {
        let long_ago = now - Duration::days(SEAT_TREND_DAYS);
        let short_ago = now - Duration::days(SHORT_SEAT_TREND_DAYS);
        let mut f = SubscriptionFeatures {
            links,
            ..SubscriptionFeatures::default()
        };
        for account in accounts {
            let AccountSignals::CloudSubscriptions(subs) = &account.account.signals else {
                continue;
            };
            for subscription in &subs.subscriptions {
                let live = subscription.status.is_live();
                if live {
                    f.seats += subscription.quantity.max(0.0);
                    f.products.insert(
                        subscription.product_id.clone(),
                        subscription.product_name.clone(),
                    );
                }
                f.seats_30d_ago += seats_at(subscription, short_ago);
                f.seats_90d_ago += seats_at(subscription, long_ago);
                let cancelled = match subscription.status {
                    CloudSubscriptionStatus::PendingCancel => true,
                    CloudSubscriptionStatus::Cancelled => {
                        cancelled_at(subscription).is_some_and(|at| at > long_ago && at <= now)
                    }
                    _ => false,
                };
                f.cancelled_90d += u32::from(cancelled);
                let history = &subscription.quantity_history;
                let downgraded = history.windows(2).any(|pair| {
                    pair[1].at > long_ago
                        && pair[1].at <= now
                        && pair[1].quantity < pair[0].quantity
                });
                f.downgrades_90d += u32::from(live && downgraded);
            }
        }
        f
    }

    /// Seat change over the last 30 days as a share (-0.2 is a fifth fewer); `None` without seats then.
    pub fn change_30d(&self) -> Option<f64> {
        super::change(self.seats, self.seats_30d_ago)
    }

    /// Seat change over the last 90 days as a share.
    pub fn change_90d(&self) -> Option<f64> {
        super::change(self.seats, self.seats_90d_ago)
    }
}
