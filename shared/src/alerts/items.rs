//! What an alert says: the words for bands and impacts, the headline of each kind of change, the
//! link to the client's page, and which of several alerts is worst.

use crate::domain::{
    AlertChange, AlertItem, ClientId, FactorMove, HealthBand, HealthLevel, Impact, InsightFacts,
};
use chrono::{DateTime, Utc};
use std::cmp::Ordering;

/// The band as people read it ("At risk").
pub fn band_label(band: HealthBand) -> &'static str {
    match band {
        HealthBand::Healthy => "Healthy",
        HealthBand::Watch => "Watch",
        HealthBand::AtRisk => "At risk",
        HealthBand::Critical => "Critical",
    }
}

/// The band in a state key (`at_risk`), as the API spells it.
pub fn band_key(band: HealthBand) -> &'static str {
    match band {
        HealthBand::Healthy => "healthy",
        HealthBand::Watch => "watch",
        HealthBand::AtRisk => "at_risk",
        HealthBand::Critical => "critical",
    }
}

/// How bad a band is: 0 (healthy) to 3 (critical).
pub fn band_severity(band: HealthBand) -> u8 {
    match band {
        HealthBand::Healthy => 0,
        HealthBand::Watch => 1,
        HealthBand::AtRisk => 2,
        HealthBand::Critical => 3,
    }
}

pub fn impact_label(impact: Impact) -> &'static str {
    match impact {
        Impact::Low => "low",
        Impact::Medium => "medium",
        Impact::High => "high",
        Impact::Critical => "critical",
    }
}

fn impact_severity(impact: Impact) -> u8 {
    match impact {
        Impact::Low => 0,
        Impact::Medium => 1,
        Impact::High => 2,
        Impact::Critical => 3,
    }
}

/// The client's page on the dashboard (its router reads `#/client/<id>`); client ids hold only
/// characters a URL fragment keeps as they are.
pub fn client_link(dashboard_url: Option<&str>, client_id: &ClientId) -> Option<String> {
    let base = dashboard_url?.trim().trim_end_matches('/');
    (!base.is_empty()).then(|| format!("{base}/#/client/{client_id}"))
}

/// "Acme Ltd moved from Watch to At risk (61 → 44)".
pub fn band_headline(client_name: &str, before: &HealthLevel, after: &HealthLevel) -> String {
    format!(
        "{client_name} moved from {} to {} ({} → {})",
        band_label(before.band),
        band_label(after.band),
        before.overall,
        after.overall
    )
}

/// "Acme Ltd's health fell 12 points in 7 days (56 → 44)".
pub fn fell_headline(client_name: &str, high: u8, after: &HealthLevel, days: u16) -> String {
    let fell_by = high.saturating_sub(after.overall);
    let window = if days == 1 {
        "a day".to_owned()
    } else {
        format!("{days} days")
    };
    format!(
        "{client_name}'s health fell {fell_by} points in {window} ({high} → {})",
        after.overall
    )
}

/// "Acme Ltd's churn risk rose to 72% (above 60%)".
pub fn churn_headline(client_name: &str, after: &HealthLevel, percent: u8) -> String {
    format!(
        "{client_name}'s churn risk rose to {}% (above {percent}%)",
        after.churn_risk
    )
}

/// "New critical insight for Acme Ltd: Payments overdue (confidence 88)".
pub fn insight_headline(insight: &InsightFacts) -> String {
    format!(
        "New {} insight for {}: {} (confidence {})",
        impact_label(insight.impact),
        insight.client_name,
        insight.title,
        insight.confidence
    )
}

/// An alert about a health change.
#[allow(clippy::too_many_arguments)]
pub fn health_item(
    client_id: &ClientId,
    client_name: &str,
    headline: String,
    before: HealthLevel,
    after: HealthLevel,
    fell_by: Option<u8>,
    top_factors: &[FactorMove],
    link: Option<String>,
    occurred_at: DateTime<Utc>,
) -> AlertItem {
    AlertItem {
        client_id: client_id.clone(),
        client_name: client_name.to_owned(),
        headline,
        change: AlertChange::Health {
            before,
            after,
            fell_by,
        },
        top_factors: top_factors.to_vec(),
        link,
        occurred_at,
    }
}

pub fn insight_item(
    insight: &InsightFacts,
    link: Option<String>,
    occurred_at: DateTime<Utc>,
) -> AlertItem {
    AlertItem {
        client_id: insight.client_id.clone(),
        client_name: insight.client_name.clone(),
        headline: insight_headline(insight),
        change: AlertChange::InsightOpened {
            insight: insight.clone(),
        },
        top_factors: Vec::new(),
        link,
        occurred_at,
    }
}

/// How bad an alert is, comparable across kinds: the band or impact (critical first), then the
/// lower score or the higher confidence.
fn badness(item: &AlertItem) -> (u8, u8) {
    match &item.change {
        AlertChange::Health { after, .. } => {
            (band_severity(after.band), 100 - after.overall.min(100))
        }
        AlertChange::InsightOpened { insight } => {
            (impact_severity(insight.impact), insight.confidence.min(100))
        }
    }
}

/// Orders alerts worst first (ties by client name, then id, so a digest reads the same each time).
pub fn worst_first(a: &AlertItem, b: &AlertItem) -> Ordering {
    badness(b)
        .cmp(&badness(a))
        .then_with(|| a.client_name.cmp(&b.client_name))
        .then_with(|| a.client_id.cmp(&b.client_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(overall: u8) -> HealthLevel {
        HealthLevel {
            overall,
            band: HealthBand::of(overall),
            churn_risk: 100 - overall,
        }
    }

    #[test]
    fn headlines_read_as_plain_english() {
        assert_eq!(
            band_headline("Acme Ltd", &level(61), &level(44)),
            "Acme Ltd moved from Watch to At risk (61 → 44)"
        );
        assert_eq!(
            fell_headline("Acme Ltd", 56, &level(44), 7),
            "Acme Ltd's health fell 12 points in 7 days (56 → 44)"
        );
        assert_eq!(
            churn_headline("Acme Ltd", &level(28), 60),
            "Acme Ltd's churn risk rose to 72% (above 60%)"
        );
    }

    #[test]
    fn the_link_is_the_dashboards_client_route() {
        let id = ClientId::parse("c-42").unwrap();
        assert_eq!(
            client_link(Some("https://app.example/"), &id).as_deref(),
            Some("https://app.example/#/client/c-42")
        );
        assert_eq!(client_link(None, &id), None);
        assert_eq!(client_link(Some("  "), &id), None);
    }
}
