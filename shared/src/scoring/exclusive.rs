//! The rules that never open together for one client.

use crate::domain::InsightRule;

/// Pairs of rules that say opposite things of one client (engaged and healthy against disengaged or at
/// risk): the rules are written so that both never fire in one run, and a property test holds them to it.
pub const EXCLUSIVE_RULES: [(InsightRule, InsightRule); 17] = [
    (
        InsightRule::UpsellOpportunity,
        InsightRule::HighValueLowEngagement,
    ),
    (
        InsightRule::UpsellOpportunity,
        InsightRule::DecliningEngagement,
    ),
    (InsightRule::UpsellOpportunity, InsightRule::InactiveClient),
    (
        InsightRule::UpsellOpportunity,
        InsightRule::MultipleRiskFactors,
    ),
    (InsightRule::UpsellOpportunity, InsightRule::OverdueInvoices),
    (InsightRule::UpsellOpportunity, InsightRule::PaymentDispute),
    (
        InsightRule::UpsellOpportunity,
        InsightRule::FailedSubscriptionPayments,
    ),
    (InsightRule::UpsellOpportunity, InsightRule::SeatsShrinking),
    (InsightRule::UpsellOpportunity, InsightRule::SilentClient),
    (InsightRule::ExpansionSignal, InsightRule::SeatsShrinking),
    (InsightRule::ExpansionSignal, InsightRule::PaidSeatsUnused),
    (InsightRule::ExpansionSignal, InsightRule::SupportLoadRising),
    (InsightRule::ExpansionSignal, InsightRule::SilentClient),
    (InsightRule::ExpansionSignal, InsightRule::OverdueInvoices),
    (InsightRule::ProductGap, InsightRule::SeatsShrinking),
    (InsightRule::ProductGap, InsightRule::SilentClient),
    (InsightRule::ProductGap, InsightRule::PaymentDispute),
];
