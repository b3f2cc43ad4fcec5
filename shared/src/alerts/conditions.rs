//! Whether an event fires a rule for its client, and, the other way round, whether it ends the state
//! a rule alerted about (so entering it again alerts again).
//!
//! State keys name what an alert is about: `band:at_risk`, `fell:10/7`, `churn_above:60`,
//! `insight:<id>`. The hygiene (`super::hygiene`) does not alert a client twice for one state.

use super::items;
use crate::domain::{
    AlertCondition, AlertItem, AlertRule, AlertRuleId, AlertScope, AlertState, ClientId, HealthBand,
};
use crate::events::{ClientHealthChanged, InsightOpened, InsightResolved};

/// An event about one client that rules look at.
#[derive(Debug, Clone, Copy)]
pub enum AlertEvent<'a> {
    Health(&'a ClientHealthChanged),
    InsightOpened(&'a InsightOpened),
    InsightResolved(&'a InsightResolved),
}

impl AlertEvent<'_> {
    pub fn client_id(&self) -> &ClientId {
        match self {
            AlertEvent::Health(e) => &e.client_id,
            AlertEvent::InsightOpened(e) => &e.insight.client_id,
            AlertEvent::InsightResolved(e) => &e.insight.client_id,
        }
    }

    fn lifecycle_stage(&self) -> Option<&str> {
        match self {
            AlertEvent::Health(e) => e.lifecycle_stage.as_deref(),
            AlertEvent::InsightOpened(e) => e.insight.lifecycle_stage.as_deref(),
            AlertEvent::InsightResolved(e) => e.insight.lifecycle_stage.as_deref(),
        }
    }
}

/// A rule fired for a client: the state it is about and the alert to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    pub rule_id: AlertRuleId,
    pub client_id: ClientId,
    pub state_key: String,
    pub item: AlertItem,
}

/// How many days of score history the rule needs (its `OverallFell` window), if any: the handler
/// reads the client's highest overall in that window and passes it to [`evaluate`].
pub fn history_days(rule: &AlertRule) -> Option<u16> {
    match rule.condition {
        AlertCondition::OverallFell { days, .. } => Some(days),
        _ => None,
    }
}

/// Whether the rule watches the event's client.
pub fn in_scope(scope: &AlertScope, event: &AlertEvent<'_>) -> bool {
    match scope {
        AlertScope::AllClients => true,
        AlertScope::LifecycleStages { stages } => event.lifecycle_stage().is_some_and(|stage| {
            stages
                .iter()
                .any(|wanted| wanted.trim().eq_ignore_ascii_case(stage.trim()))
        }),
        AlertScope::Clients { client_ids } => client_ids.contains(event.client_id()),
    }
}

pub fn band_state_key(band: HealthBand) -> String {
    format!("band:{}", items::band_key(band))
}

/// The fall a rule measures: its highest overall in the window (at least the score before this
/// change) less the overall now.
fn fall(event: &ClientHealthChanged, recent_high: Option<u8>) -> (u8, u8) {
    let high = recent_high.unwrap_or(0).max(event.before.overall);
    (high, high.saturating_sub(event.after.overall))
}

/// Whether `event` fires `rule` for its client. `recent_high` is the client's highest overall in
/// the rule's [`history_days`] before the event (`None` when no history: the score before the change
/// stands in); `dashboard_url` gives the alert its link.
///
/// - `BandEntered`: the band changed into one of the rule's bands AND got worse (an improvement
///   from critical to at risk is no alarm).
/// - `OverallFell`: the highest overall in the window less the overall now is at least `points`.
/// - `ChurnAbove`: churn risk is above `percent` after the change. Whether it just crossed or had
///   no state yet is the hygiene's same-state check: the state lasts while churn stays above.
/// - `InsightOpened`: impact, confidence and type as the rule asks.
///
/// Disabled rules and clients out of scope never fire; resolutions never fire.
pub fn evaluate(
    rule: &AlertRule,
    event: &AlertEvent<'_>,
    recent_high: Option<u8>,
    dashboard_url: Option<&str>,
) -> Option<Firing> {
    if !rule.enabled || !in_scope(&rule.scope, event) {
        return None;
    }
    let link = items::client_link(dashboard_url, event.client_id());
    let (state_key, item) = match (event, &rule.condition) {
        (AlertEvent::Health(e), AlertCondition::BandEntered { bands }) => {
            let worse = items::band_severity(e.after.band) > items::band_severity(e.before.band);
            if !(e.band_changed() && worse && bands.contains(&e.after.band)) {
                return None;
            }
            let headline = items::band_headline(&e.client_name, &e.before, &e.after);
            (
                band_state_key(e.after.band),
                health_item(e, headline, None, link),
            )
        }
        (AlertEvent::Health(e), AlertCondition::OverallFell { points, days }) => {
            let (high, fell_by) = fall(e, recent_high);
            if *points == 0 || fell_by < *points {
                return None;
            }
            let headline = items::fell_headline(&e.client_name, high, &e.after, *days);
            (
                format!("fell:{points}/{days}"),
                health_item(e, headline, Some(fell_by), link),
            )
        }
        (AlertEvent::Health(e), AlertCondition::ChurnAbove { percent }) => {
            if e.after.churn_risk <= *percent {
                return None;
            }
            let headline = items::churn_headline(&e.client_name, &e.after, *percent);
            (
                format!("churn_above:{percent}"),
                health_item(e, headline, None, link),
            )
        }
        (
            AlertEvent::InsightOpened(e),
            AlertCondition::InsightOpened {
                min_impact,
                min_confidence,
                types,
            },
        ) => {
            let insight = &e.insight;
            let wanted = insight.impact >= *min_impact
                && insight.confidence >= *min_confidence
                && (types.is_empty() || types.contains(&insight.insight_type));
            if !wanted {
                return None;
            }
            (
                format!("insight:{}", insight.insight_id),
                items::insight_item(insight, link, e.opened_at),
            )
        }
        _ => return None,
    };
    Some(Firing {
        rule_id: rule.id.clone(),
        client_id: event.client_id().clone(),
        state_key,
        item,
    })
}

fn health_item(
    e: &ClientHealthChanged,
    headline: String,
    fell_by: Option<u8>,
    link: Option<String>,
) -> AlertItem {
    items::health_item(
        &e.client_id,
        &e.client_name,
        headline,
        e.before,
        e.after,
        fell_by,
        &e.moved_factors,
        link,
        e.scored_at,
    )
}

/// Whether `event` ends the state `stored` that `rule` alerted about for the event's client, so
/// the handler forgets it and entering it again alerts again: the band left the rule's bands, the
/// fall no longer reaches `points` (with `recent_high` as for [`evaluate`]), churn is back at or
/// under `percent`, or the insight alerted about resolved. Scope and `enabled` do not matter: a
/// state of a rule that stopped watching the client is stale too.
pub fn ends_state(
    rule: &AlertRule,
    event: &AlertEvent<'_>,
    stored: &AlertState,
    recent_high: Option<u8>,
) -> bool {
    if stored.rule_id != rule.id || &stored.client_id != event.client_id() {
        return false;
    }
    match (event, &rule.condition) {
        (AlertEvent::Health(e), AlertCondition::BandEntered { bands }) => {
            !bands.contains(&e.after.band)
        }
        (AlertEvent::Health(e), AlertCondition::OverallFell { points, .. }) => {
            fall(e, recent_high).1 < *points
        }
        (AlertEvent::Health(e), AlertCondition::ChurnAbove { percent }) => {
            e.after.churn_risk <= *percent
        }
        (AlertEvent::InsightResolved(e), AlertCondition::InsightOpened { .. }) => {
            stored.state_key == format!("insight:{}", e.insight.insight_id)
        }
        _ => false,
    }
}

#[cfg(test)]
#[path = "conditions_tests.rs"]
mod tests;
