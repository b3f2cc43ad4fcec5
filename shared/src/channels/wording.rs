//! The words every channel uses for an alert: band names, the change before → after, a factor's
//! move, the title of a message. One place, so Slack, Teams, email and the webhook tell the same
//! story; each channel only lays them out.

use crate::domain::{AlertChange, AlertItem, AlertMessage, FactorMove, HealthBand, HealthLevel};

pub fn band_label(band: HealthBand) -> &'static str {
    match band {
        HealthBand::Healthy => "Healthy",
        HealthBand::Watch => "Watch",
        HealthBand::AtRisk => "At risk",
        HealthBand::Critical => "Critical",
    }
}

fn level(level: &HealthLevel) -> String {
    format!("{} ({})", band_label(level.band), level.overall)
}

/// "Watch (61) → At risk (44), fell 17 points, churn risk 38% → 55%"; for an insight, its title,
/// impact and confidence.
pub fn change_line(change: &AlertChange) -> String {
    match change {
        AlertChange::Health {
            before,
            after,
            fell_by,
        } => {
            let mut line = format!("{} → {}", level(before), level(after));
            if let Some(points) = fell_by {
                line.push_str(&format!(", fell {points} points"));
            }
            if before.churn_risk != after.churn_risk {
                line.push_str(&format!(
                    ", churn risk {}% → {}%",
                    before.churn_risk, after.churn_risk
                ));
            }
            line
        }
        AlertChange::InsightOpened { insight } => {
            let impact = serde_json::to_value(insight.impact)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let mut line = format!(
                "New insight: {} (impact {impact}, confidence {}%)",
                insight.title, insight.confidence
            );
            if let Some(recommendation) = &insight.top_recommendation {
                line.push_str(&format!(". Next step: {recommendation}"));
            }
            line
        }
    }
}

fn points(points: Option<f64>) -> String {
    match points {
        Some(p) => format!("{p:.0}"),
        None => "–".to_string(),
    }
}

/// "days_since_last_activity (Crm): 18 → 4".
pub fn factor_title(factor: &FactorMove) -> String {
    let dimension = serde_json::to_value(factor.dimension)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    format!(
        "{} ({dimension}): {} → {}",
        factor.name.replace('_', " "),
        points(factor.points_before),
        points(factor.points_after)
    )
}

/// What a single-alert message or a digest is called: the subject of an email, a card's title.
pub fn message_title(message: &AlertMessage) -> String {
    let test = if message.test { "[Test] " } else { "" };
    match (message.digest, message.items.as_slice()) {
        (false, [item]) => format!("{test}{}", item.headline),
        _ => format!(
            "{test}{} {}: {}",
            message.items.len(),
            if message.items.len() == 1 {
                "client alert"
            } else {
                "client alerts"
            },
            message.rule_name
        ),
    }
}

/// The line that says one item in a digest: "Acme Ltd: Watch (61) → At risk (44)".
pub fn digest_line(item: &AlertItem) -> String {
    format!("{}: {}", item.client_name, change_line(&item.change))
}

/// `text` cut to at most `max` characters (not bytes), ending in "…" when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

/// "and 3 more" for the alerts a shortened digest leaves out.
pub fn more_line(left_out: usize) -> String {
    format!(
        "…and {left_out} more {}",
        if left_out == 1 { "alert" } else { "alerts" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_counts_characters_and_marks_the_cut() {
        assert_eq!(clip("héllo", 5), "héllo");
        assert_eq!(clip("héllo wörld", 6), "héllo…");
        assert_eq!(clip("héllo wörld", 6).chars().count(), 6);
    }
}
