//! Health scoring and insights: the rules of `shared/design/SCORING.md` as pure functions.
//!
//! No I/O and no clock: `now` is passed in, and the same inputs always give the same output (no hash
//! map iteration reaches the output; insights come out in client, then rule, order).
//!
//! The pipeline, per tenant: [`derive_features`] folds each [`ClientSnapshot`] into
//! [`ClientFeatures`]; [`TenantContext`] learns the tenant's revenue distribution; [`score_client`]
//! computes the four dimensions, overall, churn risk and trend; the context then learns the median
//! revenue of healthy clients, and [`evaluate_insights`] runs the rules (five of the CRM, three of
//! a payments platform, eight of the account platforms). [`reconcile_insights`]
//! merges a run's findings with the stored insights. [`score_tenant`] does all but the last.
//! [`health_changes`] and [`insight_events`] turn what a run changed into the per-client events.
//!
//! A client linked to payer records of a payments platform (PayPal) through auto or confirmed
//! correlations ([`link_records`], [`score_linked_tenant`]) gets payment factors from them beside
//! HubSpot's deals, three more rules (overdue invoices, a dispute or chargeback, failing
//! subscription payments), a sixth risk factor (payment risk) and confidences that count the
//! platforms agreeing and weigh in how sure each match is ([`backed_confidence`]). Every factor
//! names its source, every score and insight its sources with their matches. A client without
//! linked records is scored exactly as before.
//!
//! A client linked to accounts of NinjaOne, Pax8 or Microsoft 365 (`LinkedRecords::accounts`,
//! [`derive_account_features`]) gets their factors in usage and support, Pax8's shrinking seats as
//! a risk factor, four single-source rules and four rules only several sources together can see
//! (below). A client without linked accounts is scored exactly as before.
//!
//! # Account platforms (`scoring/accounts/`)
//! - **Factors.** Each linked platform's parts share out its best match confidence (HubSpot's own
//!   share out 1), so a weak match moves a dimension less. Usage: NinjaOne managed devices (share
//!   not long offline); Pax8 seat trend over 30 days (25%) and 90 days (35%) from the quantity
//!   history (flat or growing 100, -1% costs 2 points), cancellations and downgrades in 90 days
//!   (25%, 34 points each), products held (15%, full at 3); Microsoft 365 users active in 30 days
//!   per assigned licence (40%), assigned per bought licence (20%, free and trial pools and pools
//!   of 10,000 units left out), mailbox and Teams trends, last 30 days of the reports against the
//!   30 before (20% each, at least 7 days each). Support: NinjaOne's 100 less devices offline for
//!   more than `offline_device_days` (30 at half of them), open critical (15 each, at most 45) and
//!   major (5, at most 20) alerts, patch and antivirus failures (shares of devices, 15 each), and
//!   with ticketing, tickets opened in 30 days (4 per ticket over 2, at most 15), open
//!   high-priority tickets (10 each, at most 30) and the oldest open ticket (0 at 7 days, 15 at 30);
//!   beside HubSpot's tickets it weighs its match confidence against HubSpot's 1, and where HubSpot
//!   has no tickets it is the dimension's only data (the rule "a dimension without data is left
//!   out" still holds). Alerts are the platform's active ones, so "alerts raised in 30 days" counts
//!   those still open.
//! - **Risk.** Seats shrinking (below) joins the risk factors and churn's behavioural ones.
//! - **Single-source rules** (thresholds in `ScoringSettings::accounts`, defaults in brackets):
//!   IT issues: open critical alerts at least `critical_alerts` (1) or devices offline for more than
//!   `offline_device_days` (7) at `many_offline_share` (25%) or more; seats shrinking: Pax8 seats
//!   down `seat_drop_share` (10%) or more over 90 days, or `cancelled_subscriptions` (1) cancelled;
//!   unused licences: at least `unused_licences` (3) bought Microsoft 365 licences unassigned, at
//!   `unused_licence_share` (20%) or more of them; product gap: a product at least
//!   `product_gap_peer_share` (50%) of at least `product_gap_min_peers` (3) clients with half to
//!   twice the seats hold ([`ProductPeers`], in [`TenantContext`]) and this one lacks.
//! - **Cross-source rules** (`ScoringSettings::cross_source`): each needs two platforms, names
//!   them, and is only as sure as every one of their matches ([`cross_source_confidence`]: the
//!   agreement of [`backed_confidence`] times, per platform, the chance its records are matched
//!   right). (a) Paid seats unused: Pax8 seats less Microsoft 365 users active in 30 days at least
//!   `idle_seats` (3) and `idle_seat_share` (25%) of the seats. (b) Support load rising: NinjaOne
//!   alerts and tickets of 30 days at least `support_rise_min` (3) and `support_rise_ratio` (1.5)
//!   times the 30 before, while HubSpot interactions fell `engagement_fall_share` (30%) or more.
//!   (c) Expansion signal: Pax8 seats up `seat_growth_share` (10%) or more over 90 days, payments
//!   healthy (a PayPal payer paying recently without trouble, else a deal won in 12 months), no
//!   open deal, and none of seats shrinking, (a), (b), (d) or a payment risk. (d) Silent client:
//!   no HubSpot activity for `silent_days` (30), with NinjaOne devices long offline at
//!   `silent_offline_share` (50%) or more or a Microsoft 365 activity trend down
//!   `activity_fall_share` (30%) or more.
//! - **Never together** (`EXCLUSIVE_RULES`): upsell with seats shrinking or a silent client;
//!   expansion with seats shrinking, paid seats unused, support load rising, a silent client or
//!   overdue invoices; product gap with seats shrinking, a silent client or a dispute.
//!
//! # Satisfaction and overrides (`scoring::satisfaction`, `scoring::overrides`)
//! - **Satisfaction** is a factor of support health: the account team's sentiment (HubSpot's
//!   `hs_csm_sentiment`: positive 100, neutral 50, negative 0) and the mean of the client's
//!   contacts' latest NPS answers (0-10, times 10), half each when both are known. It is 30%
//!   ([`SATISFACTION_SHARE`]) of support when tickets or IT data score the rest, and all of it when
//!   nothing else does; without either signal support scores exactly as before. The mean, not
//!   % promoters - % detractors: a client has a handful of answers, and the formula jumps by a
//!   third with one of three.
//! - **Overrides** (`LinkedRecords::overrides`, [`active_overrides`]): a user's sentiment replaces
//!   the CRM's in the satisfaction factor; a user's dimension score replaces the computed one (kept
//!   in the `user_override` factor's value and in `HealthScore::overrides`, whose points are the
//!   difference so factors still add up). The overall, churn risk and insights follow. Expired
//!   overrides stop applying at `now`, the one rule (`ClientOverride::is_active_at`); history
//!   points record the overrides that applied.
//!
//! # Accountability (issue 18)
//! [`outcomes`] folds what each run sees of a client into its fate by the tenant's definition of
//! churn (`OutcomeDefinition`: a renewal lost, the lifecycle stage leaving customer, every cloud
//! subscription cancelled, the record archived; only a customer can churn). [`calibration`] replays
//! the customers' score history against those outcomes once a day (`handlers::calibrate`): AUC,
//! lowest-decile lift, a calibration table, and an isotonic map from the heuristic churn % to
//! observed churn once 30 churned and 30 retained clients are labelled. Scores then show the
//! calibrated churn %; history keeps the heuristic's (what the next backtest replays). [`forecast`]
//! projects a client's overall 30 days ahead (Theil-Sen over 90 days, with an 80% band), and the
//! rule "projected to fall into at risk" (`forecast_rule`) fires when the projection crosses under 50
//! from outside at risk with a confidence of 50 or more.
//!
//! # Seed thresholds (kept exactly, as tenant-changeable defaults in `Thresholds`)
//! - inactive client: no activity for 30 days **or more** (`days >= 30`, days with fraction);
//! - high value, low engagement: revenue **strictly over** $10,000 and **strictly fewer** than 5
//!   interactions in W;
//! - declining engagement: response ratio **strictly under** 30% with **strictly more** than 3
//!   interactions in W;
//! - multiple risk factors: two or more of inactive, declining engagement, overall under 40, an open
//!   high-priority ticket, overall fell 15 or more points in 30 days.
//!
//! # Where this improves on SCORING.md, and why
//! - **Factors add up.** Each dimension is a weighted mean of its factors; a factor's `points` is its
//!   contribution, so a dimension's factor points add up to its score (support: a 100 baseline plus
//!   negative deductions). A factor without data is left out and the others' shares renormalised,
//!   the same rule SCORING.md gives for dimensions.
//! - **Overall from the displayed numbers.** Overall is the weighted mean of the rounded dimension
//!   scores, so a user can recompute it; `DimensionScore::weight` is the effective, renormalised
//!   share (0 for a dimension without data). If every dimension with data has weight 0 in the
//!   tenant's settings, they count equally instead of leaving the client unscored.
//! - **Segments.** A client in a segment (the first whose rule, on lifecycle stage and revenue,
//!   matches) is scored and its insights evaluated with the segment's weights and thresholds
//!   ([`settings_for`]); tenant-wide figures (revenue distribution, peers) stay tenant-wide, and a
//!   client in no segment scores exactly as with no segments at all. A weight change re-weights the
//!   stored history's overall from each point's dimension scores (`reweigh_point`); a threshold change
//!   moves insights, not the overall, so history needs no re-scoring for it.
//! - **No double counting between CRM and usage.** CRM's activity frequency counts all activity
//!   (interactions, notes and tasks: SCORING.md's inputs say notes and tasks are activity), usage's
//!   interaction frequency counts emails, calls and meetings only.
//! - **Support without tickets is left out.** "No tickets is neutral": the dimension gets no score
//!   (so the weights renormalise, which is exactly neutral), says why in its factor, and lowers the
//!   confidence of the score-based insights (fewer dimensions with data).
//! - **Usage without data.** A client with no engagement records and no contacts has no usage
//!   score, rather than a 0 that would punish tenants who do not log engagements.
//! - **Revenue against the tenant.** Log scale between the tenant's 5th and 95th percentiles (one
//!   giant account does not flatten the rest); tenants with fewer than 5 revenue figures use a fixed
//!   $100 .. $100,000 log scale. Revenue falls back to `total_revenue` when no closed-won deal
//!   carries an amount (not only when there are no deals at all: open deals say nothing about
//!   revenue).
//! - **Win rate smoothed.** Won vs lost in 12 months is (won + 1) / (won + lost + 2): one lost deal
//!   is bad news, not a 0% record.
//! - **"Fell 15 points in 30 days"** compares with the highest score of the last 30 days, not only
//!   with the score of exactly 30 days ago, so a mid-month peak followed by a crash counts.
//! - **Trend** deltas use the history point nearest 7 (30) days ago, within 2 (7) days of it; with
//!   no such point the delta is `None` rather than a misleading comparison with yesterday.
//! - **Future timestamps are not activity.** A meeting booked for next week does not make a client
//!   active today, and does not count as an interaction in W.
//! - **No activity ever is inactive**, with low confidence (it may be a new or untracked client),
//!   so it is flagged for review rather than asserted.
//! - **Churn risk** = 0.75 x (100 - overall) + 10 per behavioural risk factor (inactive, declining
//!   engagement, open high-priority ticket; the score-based ones are already in the overall) + 0.5
//!   per point fallen from the 30-day peak (at most 20), clamped to 0..=100.
//! - **Confidence** = 40 x signal coverage + 40 x data support + 20 x source agreement (one source
//!   0.5, two 0.75, three or more 1.0). HubSpot alone can reach 90 (high band); a second platform
//!   is needed for more. Each rule says which signals and data points it needs. With linked records
//!   ([`backed_confidence`]) each further agreeing platform closes part of the gap to full agreement
//!   in proportion to its match confidence (HubSpot + PayPal matched at 1.0 can reach 100), and a
//!   finding that needs a linked record is also multiplied by the chance that at least one of its
//!   records is matched right (one record at 0.65: at most 0.65 x 90). Records of one platform
//!   count as one agreeing source. A linked platform agrees with "inactive" when its last payment
//!   is as old, with "high value" when it received more than the threshold in 12 months, with
//!   upsell when the client pays recently and without trouble; payments say nothing of declining
//!   engagement.
//! - **Payment health with a payments platform.** HubSpot's three deal factors keep 40% of the
//!   payment dimension; PayPal's take 60%: invoices paid on time (12 months) 15%, overdue amount
//!   (against what was paid in 12 months) 10%, age of the oldest overdue invoice (0 at 90 days)
//!   10%, failed subscription payments (34 points each; suspended 0; cancelled in W at most 25)
//!   10%, refunds, disputes and chargebacks in W 10%, days since the last payment (full to 45, none
//!   at 180) 5%. An invoice counts as overdue for the insight after a 7-day grace
//!   (`OVERDUE_GRACE_DAYS`: a payment on the due date can take days to show). A dispute or
//!   chargeback is critical whatever the amount. A cancelled subscription is a payment risk but not
//!   a failed payment. Payment risk joins the risk factors (and churn's behavioural ones), and
//!   upsell never fires beside a payment risk.
//! - **Impact** starts at the rule's severity (upsell low; inactive, high value/low engagement and
//!   declining engagement medium, inactive for 3x the threshold high; multiple risk factors high,
//!   critical at 4 or more) and moves with where the revenue at stake ranks in the tenant: unknown
//!   one step down, top half one up, top tenth two up. Ranking against the tenant keeps it
//!   meaningful for a small agency and a large MSP alike.
//! - **Upsell** "strong engagement" (`is_strongly_engaged`, SCORING.md) = at least the high-value
//!   minimum of interactions in W, a response ratio at or over the low-response threshold, active;
//!   fewer risk factors than "multiple"; the healthy median needs at least 3 healthy clients with
//!   revenue; revenue at stake is the gap to that median. A usage score alone is not engagement: a
//!   few answered emails push it over 70. `EXCLUSIVE_RULES` lists the pairs never open together.

mod accounts;
pub mod attribution;
pub mod calibration;
mod changes;
mod confidence;
mod context;
mod dimensions;
mod exclusive;
mod features;
pub mod forecast;
mod forecast_rule;
mod health;
mod insights;
mod lifecycle;
mod linked;
pub mod outcomes;
mod overrides;
mod payment_dimension;
mod payment_insights;
mod payments;
pub mod reweigh;
mod satisfaction;
pub mod segments;
pub mod wording;

pub use accounts::{
    derive_account_features, AccountFeatures, ItFeatures, ProductHolding, ProductPeers,
    ProductivityFeatures, SubscriptionFeatures, TREND_DAYS,
};
pub use changes::{
    health_changes, insight_events, moved_factors, InsightEvents, MIN_FACTOR_MOVE_POINTS,
};
pub use confidence::{
    backed_confidence, confidence, cross_source_confidence, impact, insight_id, money, Backing,
};
pub use context::{TenantContext, MIN_HEALTHY_PEERS, MIN_PEERS_FOR_DISTRIBUTION};
pub use dimensions::{lifecycle_points, recency_points};
pub use exclusive::EXCLUSIVE_RULES;
pub use features::{
    derive_features, derive_linked_features, ClientFeatures, DealFeatures, InteractionCounts,
    RevenueFeatures, RevenueSource, TicketFeatures, YEAR_DAYS,
};
pub use health::{
    effective_weight, is_declining_engagement, is_inactive, is_low_engagement, is_seats_shrinking,
    is_strongly_engaged, risk_factors, score_client, RiskFactors,
};
pub use insights::{evaluate_insights, MIN_RISK_FACTORS};
pub use lifecycle::{reconcile_insights, InsightChanges, ENGINE_ACTOR};
pub use linked::{link_records, LinkedAccount, LinkedPayer, LinkedRecords, RecordMatch};
pub use overrides::active_overrides;
pub use payment_dimension::{CRM_SHARE_WITH_PAYMENTS, LAST_PAYMENT_FULL_DAYS};
pub use payments::{
    derive_payment_features, PayerFeatures, PaymentFeatures, MANY_FAILED_PAYMENTS,
    OVERDUE_GRACE_DAYS,
};
pub use reweigh::reweigh_point;
pub use satisfaction::{sentiment_points, SatisfactionFeatures, SATISFACTION_SHARE};
pub use segments::{settings_for, ClientSettings};

use crate::domain::{
    ClientId, ClientSnapshot, HealthScore, Insight, ScorePoint, ScoringSettings, TenantId,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// A tenant's scores and fresh insights from one run.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantScores {
    /// One per snapshot, in the snapshots' order.
    pub scores: Vec<HealthScore>,
    /// Fresh findings, in client then rule order; merge them with `reconcile_insights`.
    pub insights: Vec<Insight>,
    /// Engagement records folded into features.
    pub engagements_folded: u64,
}

/// Scores every client of a tenant from its CRM snapshot alone and evaluates the insight rules.
pub fn score_tenant(
    tenant: &TenantId,
    snapshots: &[ClientSnapshot],
    histories: &HashMap<ClientId, Vec<ScorePoint>>,
    settings: &ScoringSettings,
    now: DateTime<Utc>,
) -> TenantScores {
    score_linked_tenant(tenant, snapshots, &HashMap::new(), histories, settings, now)
}

/// Scores every client of a tenant from its CRM snapshot and the records linked to it (`linked`,
/// by client; a client missing from it is scored from its snapshot alone, exactly as
/// [`score_tenant`] does), and evaluates the insight rules.
pub fn score_linked_tenant(
    tenant: &TenantId,
    snapshots: &[ClientSnapshot],
    linked: &HashMap<ClientId, LinkedRecords>,
    histories: &HashMap<ClientId, Vec<ScorePoint>>,
    settings: &ScoringSettings,
    now: DateTime<Utc>,
) -> TenantScores {
    let nothing_linked = LinkedRecords::default();
    let features: Vec<ClientFeatures> = snapshots
        .iter()
        .map(|s| {
            let records = linked.get(&s.client_id).unwrap_or(&nothing_linked);
            derive_linked_features(s, records, settings, now)
        })
        .collect();
    let ctx = TenantContext::from_features(&features);
    let history_of =
        |f: &ClientFeatures| histories.get(&f.client_id).map_or(&[][..], Vec::as_slice);
    let per_client: Vec<ClientSettings> =
        features.iter().map(|f| settings_for(f, settings)).collect();
    let scores: Vec<HealthScore> = features
        .iter()
        .zip(&per_client)
        .map(|(f, own)| {
            let mut score = score_client(f, &ctx, &own.settings, history_of(f), now);
            score.segment = own.segment.map(|s| s.id.clone());
            score
        })
        .collect();
    let ctx = ctx.with_scores(&features, &scores);
    let insights = features
        .iter()
        .zip(&scores)
        .zip(&per_client)
        .flat_map(|((f, score), own)| {
            evaluate_insights(tenant, f, score, history_of(f), &ctx, &own.settings, now)
        })
        .collect();
    TenantScores {
        scores,
        insights,
        engagements_folded: snapshots.iter().map(|s| s.engagements.len() as u64).sum(),
    }
}

/// Scores some of a tenant's clients against the tenant's context, learnt beforehand from all of
/// them (`TenantContext::from_figures`, `with_healthy_revenues`): for these clients, the same scores
/// and insights [`score_linked_tenant`] gives when it scores the whole tenant. A run too large to
/// hold every client at once scores a page at a time with it.
pub fn score_linked_clients(
    tenant: &TenantId,
    snapshots: &[ClientSnapshot],
    linked: &HashMap<ClientId, LinkedRecords>,
    histories: &HashMap<ClientId, Vec<ScorePoint>>,
    settings: &ScoringSettings,
    ctx: &TenantContext,
    now: DateTime<Utc>,
) -> TenantScores {
    let nothing_linked = LinkedRecords::default();
    let mut scores = Vec::with_capacity(snapshots.len());
    let mut insights = Vec::new();
    for snapshot in snapshots {
        let records = linked.get(&snapshot.client_id).unwrap_or(&nothing_linked);
        let features = derive_linked_features(snapshot, records, settings, now);
        let own = settings_for(&features, settings);
        let history = histories
            .get(&features.client_id)
            .map_or(&[][..], Vec::as_slice);
        // The overall reads only the revenue distribution, so scoring with the healthy median
        // already known gives what the whole-tenant run gives before it learns it.
        let mut score = score_client(&features, ctx, &own.settings, history, now);
        score.segment = own.segment.map(|s| s.id.clone());
        insights.extend(evaluate_insights(
            tenant,
            &features,
            &score,
            history,
            ctx,
            &own.settings,
            now,
        ));
        scores.push(score);
    }
    TenantScores {
        scores,
        insights,
        engagements_folded: snapshots.iter().map(|s| s.engagements.len() as u64).sum(),
    }
}
