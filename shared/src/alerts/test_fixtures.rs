//! Rules and events for the alerting rules' unit tests.

use crate::domain::{
    AlertChannel, AlertChannelId, AlertCondition, AlertRule, AlertRuleId, AlertScope, ChannelKind,
    ClientId, DeliveryMode, HealthBand, HealthLevel, Impact, InsightFacts, InsightId, InsightRule,
    InsightType, SourceRef, SyncId, TenantId,
};
use crate::events::{ClientHealthChanged, InsightOpened, InsightResolved};
use chrono::{DateTime, TimeZone, Utc};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

pub fn tenant() -> TenantId {
    TenantId::parse("acme").unwrap()
}

pub fn client(id: &str) -> ClientId {
    ClientId::parse(id).unwrap()
}

pub fn channel(id: &str) -> AlertChannel {
    AlertChannel {
        id: AlertChannelId::parse(id).unwrap(),
        kind: ChannelKind::Slack,
        secret_id: Some(format!("ci/acme/alerts/{id}")),
        recipients: vec![],
        display: "hooks.slack.com/…/x9Qa".into(),
    }
}

pub fn rule(id: &str, condition: AlertCondition) -> AlertRule {
    AlertRule {
        id: AlertRuleId::parse(id).unwrap(),
        tenant_id: tenant(),
        name: format!("Rule {id}"),
        enabled: true,
        condition,
        scope: AlertScope::AllClients,
        channels: vec![channel("slack-1")],
        cooldown_minutes: 60,
        delivery: DeliveryMode::Immediate,
        disabled_reason: None,
        created_at: t0(),
        updated_at: t0(),
        version: 0,
    }
}

pub fn band_rule() -> AlertRule {
    rule(
        "bands",
        AlertCondition::BandEntered {
            bands: vec![HealthBand::AtRisk, HealthBand::Critical],
        },
    )
}

pub fn level(overall: u8, churn_risk: u8) -> HealthLevel {
    HealthLevel {
        overall,
        band: HealthBand::of(overall),
        churn_risk,
    }
}

pub fn health(client_id: &str, before: HealthLevel, after: HealthLevel) -> ClientHealthChanged {
    ClientHealthChanged {
        schema_version: 1,
        tenant_id: tenant(),
        sync_id: SyncId::parse("sync-1").unwrap(),
        client_id: client(client_id),
        client_name: "Acme Ltd".into(),
        lifecycle_stage: Some("customer".into()),
        before,
        after,
        moved_factors: vec![],
        scored_at: t0(),
    }
}

pub fn facts(client_id: &str, impact: Impact, confidence: u8) -> InsightFacts {
    InsightFacts {
        insight_id: InsightId::parse(format!("acme.{client_id}.overdue_invoices")).unwrap(),
        client_id: client(client_id),
        client_name: "Acme Ltd".into(),
        lifecycle_stage: Some("customer".into()),
        insight_type: InsightType::PaymentRisk,
        rule: InsightRule::OverdueInvoices,
        title: "Payments overdue".into(),
        impact,
        confidence,
        revenue_at_stake: Some(1200.0),
        top_recommendation: Some("Call the finance contact".into()),
        sources: vec![SourceRef::crm()],
    }
}

pub fn opened(insight: InsightFacts) -> InsightOpened {
    InsightOpened {
        schema_version: 1,
        tenant_id: tenant(),
        sync_id: SyncId::parse("sync-1").unwrap(),
        insight,
        opened_at: t0(),
    }
}

pub fn resolved(insight: InsightFacts) -> InsightResolved {
    InsightResolved {
        schema_version: 1,
        tenant_id: tenant(),
        sync_id: SyncId::parse("sync-1").unwrap(),
        insight,
        resolved_at: t0(),
    }
}
