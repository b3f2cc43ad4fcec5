//! Alerts to render and send in the channel tests.
#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use shared::domain::{
    AlertChange, AlertChannel, AlertChannelId, AlertItem, AlertMessage, AlertRuleId, ChannelKind,
    ClientId, Dimension, FactorMove, HealthBand, HealthLevel, Impact, InsightFacts, InsightId,
    InsightRule, InsightType, Platform, TenantId,
};

pub fn tenant() -> TenantId {
    TenantId::parse("acme-msp").unwrap()
}

pub fn factor(name: &str, before: f64, after: f64, explanation: &str) -> FactorMove {
    FactorMove {
        dimension: Dimension::Crm,
        name: name.to_string(),
        points_before: Some(before),
        points_after: Some(after),
        explanation: explanation.to_string(),
        source: Platform::Hubspot,
    }
}

pub fn health_item(index: usize, client_name: &str) -> AlertItem {
    AlertItem {
        client_id: ClientId::parse(format!("client-{index}")).unwrap(),
        client_name: client_name.to_string(),
        headline: format!("{client_name} moved from Watch to At risk (61 → 44)"),
        change: AlertChange::Health {
            before: HealthLevel {
                overall: 61,
                band: HealthBand::Watch,
                churn_risk: 38,
            },
            after: HealthLevel {
                overall: 44,
                band: HealthBand::AtRisk,
                churn_risk: 55,
            },
            fell_by: Some(17),
        },
        top_factors: vec![
            factor(
                "days_since_last_activity",
                18.0,
                4.0,
                "No activity logged for 46 days",
            ),
            factor(
                "open_tickets",
                12.0,
                6.0,
                "7 tickets open, 3 past their SLA",
            ),
        ],
        link: Some(format!("https://app.example.com/clients/client-{index}")),
        occurred_at: Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap(),
    }
}

pub fn insight_item() -> AlertItem {
    AlertItem {
        client_id: ClientId::parse("client-9").unwrap(),
        client_name: "Globex".to_string(),
        headline: "Globex: 2 invoices overdue".to_string(),
        change: AlertChange::InsightOpened {
            insight: InsightFacts {
                insight_id: InsightId::parse("ins-1").unwrap(),
                client_id: ClientId::parse("client-9").unwrap(),
                client_name: "Globex".to_string(),
                lifecycle_stage: Some("customer".to_string()),
                insight_type: InsightType::PaymentRisk,
                rule: InsightRule::OverdueInvoices,
                title: "2 invoices overdue".to_string(),
                impact: Impact::High,
                confidence: 85,
                revenue_at_stake: Some(4200.0),
                top_recommendation: Some("Call the finance contact".to_string()),
                sources: vec![],
            },
        },
        top_factors: vec![],
        link: None,
        occurred_at: Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap(),
    }
}

pub fn message(items: Vec<AlertItem>, digest: bool) -> AlertMessage {
    AlertMessage {
        tenant_id: tenant(),
        rule_id: Some(AlertRuleId::parse("rule-1").unwrap()),
        rule_name: "At-risk customers".to_string(),
        items,
        digest,
        test: false,
        dashboard_url: Some("https://app.example.com/clients".to_string()),
    }
}

pub fn single() -> AlertMessage {
    message(vec![health_item(1, "Acme <Ltd> & Co")], false)
}

pub fn digest(count: usize) -> AlertMessage {
    message(
        (0..count)
            .map(|i| health_item(i, &format!("Client {i}")))
            .collect(),
        true,
    )
}

pub fn channel(id: &str, kind: ChannelKind, secret_id: Option<String>) -> AlertChannel {
    AlertChannel {
        id: AlertChannelId::parse(id).unwrap(),
        kind,
        secret_id,
        recipients: vec![],
        display: "test".to_string(),
    }
}
