//! A tenant with one of every kind of item an erasure must find: two clients sharing a contact, a
//! PayPal connection with payers linked (and a candidate in review), scores, history, insights,
//! an alert rule scoped to both clients with states, a snooze and deliveries, write-back digests, a
//! connection's sync run and lease, secrets and export objects. Ids are distinctive, so a scan of
//! the table can look for them as text.

use chrono::{DateTime, Duration, TimeZone, Utc};
use secrecy::SecretString;
use shared::domain::{
    AlertChannel, AlertChannelId, AlertCondition, AlertRule, AlertRuleId, AlertScope, AlertState,
    ChannelKind, ClientId, ClientSnapshot, ClientSnooze, ConfidenceBand, ContactSummary,
    Correlation, CorrelationStatus, DeliveryMode, DeliveryRecord, DeliveryStatus, Engagement,
    EngagementKind, HealthBand, HealthScore, Impact, Insight, InsightId, InsightRule,
    InsightStatus, MatchMethod, ScorePoint, SyncId, SyncMode, SyncRun, SyncStatus, SyncTrigger,
    TenantId, TenantStatus, Trend,
};
use shared::ports::writeback::WrittenCompany;
use shared::ports::{Lease, ObjectStore, SecretVault, Store};

pub const CLIENT_A: &str = "cli-a7f3e1";
pub const CLIENT_B: &str = "cli-b9c2d4";
/// Belongs to client A only.
pub const CONTACT_ONLY_A: &str = "ctc-551101";
/// Belongs to both clients.
pub const CONTACT_SHARED: &str = "ctc-662202";
pub const CONNECTION: &str = "paypal-e7a1c3f0";
/// Linked to client A automatically: erased with it.
pub const PAYER_OF_A: &str = "PAYER-A11";
/// Only a candidate for client A, still in review: another business's record, kept.
pub const PAYER_IN_REVIEW: &str = "PAYER-R22";
pub const PAYER_OF_B: &str = "PAYER-B33";
pub const RULE: &str = "rule-e1";

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
}

pub fn cid(id: &str) -> ClientId {
    ClientId::parse(id).unwrap()
}

/// A fresh tenant id with a recognisable prefix (`acme-3f9a1c2e`).
pub fn tenant_id(prefix: &str) -> TenantId {
    let random = uuid::Uuid::new_v4().simple().to_string();
    TenantId::parse(format!("{prefix}-{}", &random[..8])).unwrap()
}

/// What the seed put where: the secret ids and object keys to look for afterwards.
pub struct Seeded {
    pub tenant_id: TenantId,
    pub portal_id: u64,
    pub secret_ids: Vec<String>,
    pub object_keys: Vec<String>,
}

fn snapshot(client: &str, contacts: &[&str]) -> ClientSnapshot {
    let mut snapshot = test_support::cross_platform::client(client, client, None, t0());
    snapshot.contacts = contacts
        .iter()
        .map(|id| ContactSummary {
            id: (*id).to_owned(),
            lifecycle_stage: Some("customer".into()),
            nps_rating: None,
        })
        .collect();
    snapshot.engagements = vec![Engagement {
        id: format!("eng-{client}"),
        kind: EngagementKind::Email,
        direction: None,
        occurred_at: t0(),
        completed: false,
        contact_ids: contacts.iter().map(|id| (*id).to_owned()).collect(),
    }];
    snapshot
}

fn score(client: &str) -> HealthScore {
    HealthScore {
        segment: None,
        settings_version: 0,
        sources: vec![],
        client_id: cid(client),
        client_name: client.into(),
        overall: 40,
        band: HealthBand::of(40),
        churn_risk: 60,
        dimensions: vec![],
        trend: Trend {
            delta_7d: None,
            delta_30d: None,
        },
        scored_at: t0(),
        overrides: Vec::new(),
    }
}

fn point(client: &str, days_ago: i64) -> ScorePoint {
    ScorePoint {
        settings_version: 0,
        as_scored: None,
        parts: Vec::new(),
        client_id: cid(client),
        at: t0() - Duration::days(days_ago),
        overall: 40,
        churn_risk: 60,
        crm: Some(40),
        payment: None,
        usage: None,
        support: None,
        overrides: Vec::new(),
    }
}

fn insight(tenant_id: &TenantId, client: &str) -> Insight {
    let rule = InsightRule::InactiveClient;
    Insight {
        revenue_upside: None,
        snoozed_until: None,
        status_reason: None,
        sources: Default::default(),
        id: InsightId::parse(format!("{tenant_id}.{client}.{}", rule.as_str())).unwrap(),
        tenant_id: tenant_id.clone(),
        client_id: cid(client),
        client_name: client.into(),
        insight_type: rule.insight_type(),
        rule,
        title: format!("{client} went quiet"),
        description: "d".into(),
        explanation: "e".into(),
        confidence: 80,
        confidence_band: ConfidenceBand::of(80),
        impact: Impact::High,
        revenue_at_stake: None,
        recommendations: vec![],
        evidence: vec![],
        status: InsightStatus::Open,
        created_at: t0(),
        updated_at: t0(),
        status_changed_at: None,
        status_changed_by: None,
        version: 0,
    }
}

fn correlation(
    tenant_id: &TenantId,
    payer: &str,
    client: &str,
    status: CorrelationStatus,
) -> Correlation {
    Correlation {
        tenant_id: tenant_id.clone(),
        client_id: cid(client),
        platform: shared::domain::Platform::Paypal,
        connection_id: shared::domain::ConnectionId::parse(CONNECTION).unwrap(),
        external_id: payer.into(),
        method: MatchMethod::EmailDomain,
        evidence: vec![],
        confidence: 0.95,
        status,
        decided_by: None,
        decided_at: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn rule(tenant_id: &TenantId) -> AlertRule {
    AlertRule {
        id: AlertRuleId::parse(RULE).unwrap(),
        tenant_id: tenant_id.clone(),
        name: "At risk".into(),
        enabled: true,
        condition: AlertCondition::BandEntered {
            bands: vec![HealthBand::AtRisk],
        },
        scope: AlertScope::Clients {
            client_ids: vec![cid(CLIENT_A), cid(CLIENT_B)],
        },
        channels: vec![AlertChannel {
            id: AlertChannelId::parse("slack-1").unwrap(),
            kind: ChannelKind::Slack,
            secret_id: Some(format!("ci/{tenant_id}/alerts/{RULE}/slack-1")),
            recipients: vec![],
            display: "hooks.slack.com/…/x9Qa".into(),
        }],
        cooldown_minutes: 60,
        delivery: DeliveryMode::Immediate,
        disabled_reason: None,
        created_at: t0(),
        updated_at: t0(),
        version: 0,
    }
}

fn delivery(tenant_id: &TenantId, id: &str, clients: &[&str]) -> DeliveryRecord {
    DeliveryRecord {
        id: id.into(),
        tenant_id: tenant_id.clone(),
        rule_id: Some(AlertRuleId::parse(RULE).unwrap()),
        rule_name: "At risk".into(),
        channel_id: AlertChannelId::parse("slack-1").unwrap(),
        channel_kind: ChannelKind::Slack,
        client_ids: clients.iter().map(|c| cid(c)).collect(),
        alerts: clients.len() as u32,
        digest: clients.len() > 1,
        test: false,
        status: DeliveryStatus::Sent,
        attempts: 1,
        last_error: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

/// Writes the whole tenant: items, secrets and export objects.
pub async fn tenant<S: Store + ?Sized>(
    store: &S,
    vault: &dyn SecretVault,
    objects: &dyn ObjectStore,
    tenant_id: &TenantId,
) -> Seeded {
    let portal_id = u64::from(uuid::Uuid::new_v4().as_fields().0);
    let tenant = test_support::fixtures::tenant(
        tenant_id.as_str(),
        Some(portal_id),
        TenantStatus::Active,
        t0(),
    );
    store.create_tenant(&tenant).await.unwrap();
    let connection = test_support::cross_platform::paypal_connection(tenant_id, CONNECTION, t0());
    store.create_connection(&connection).await.unwrap();
    let alert_rule = rule(tenant_id);
    let channel_secret = alert_rule.channels[0].secret_id.clone().unwrap();
    store.create_alert_rule(&alert_rule).await.unwrap();
    let secret_ids = vec![
        tenant.credentials_secret_id.clone(),
        connection.credentials_secret_id.clone(),
        channel_secret,
    ];
    for secret_id in &secret_ids {
        vault
            .create(secret_id, &SecretString::from("s3cr3t".to_string()))
            .await
            .unwrap();
    }

    store
        .put_snapshots(
            tenant_id,
            &[
                snapshot(CLIENT_A, &[CONTACT_ONLY_A, CONTACT_SHARED]),
                snapshot(CLIENT_B, &[CONTACT_SHARED]),
            ],
        )
        .await
        .unwrap();
    store
        .put_contact_clients(
            tenant_id,
            &[
                (CONTACT_ONLY_A.into(), vec![cid(CLIENT_A)]),
                (CONTACT_SHARED.into(), vec![cid(CLIENT_A), cid(CLIENT_B)]),
            ],
        )
        .await
        .unwrap();
    store
        .put_scores(tenant_id, &[score(CLIENT_A), score(CLIENT_B)])
        .await
        .unwrap();
    store
        .append_history(
            tenant_id,
            &[point(CLIENT_A, 2), point(CLIENT_A, 1), point(CLIENT_B, 1)],
            3650,
        )
        .await
        .unwrap();
    store
        .put_insights(
            tenant_id,
            &[insight(tenant_id, CLIENT_A), insight(tenant_id, CLIENT_B)],
        )
        .await
        .unwrap();
    let payer = |id: &str| {
        test_support::cross_platform::payer(
            &connection,
            id,
            Some(id),
            Some("example.com"),
            &[],
            t0(),
        )
    };
    store
        .put_payers(
            tenant_id,
            &[payer(PAYER_OF_A), payer(PAYER_IN_REVIEW), payer(PAYER_OF_B)],
        )
        .await
        .unwrap();
    store
        .put_correlations(
            tenant_id,
            &[
                correlation(tenant_id, PAYER_OF_A, CLIENT_A, CorrelationStatus::Auto),
                correlation(
                    tenant_id,
                    PAYER_IN_REVIEW,
                    CLIENT_A,
                    CorrelationStatus::NeedsReview,
                ),
                correlation(
                    tenant_id,
                    PAYER_OF_B,
                    CLIENT_B,
                    CorrelationStatus::Confirmed,
                ),
            ],
        )
        .await
        .unwrap();
    store
        .put_alert_states(
            tenant_id,
            &[CLIENT_A, CLIENT_B].map(|client| AlertState {
                rule_id: AlertRuleId::parse(RULE).unwrap(),
                client_id: cid(client),
                state_key: "band:at_risk".into(),
                alerted_at: t0(),
            }),
        )
        .await
        .unwrap();
    store
        .put_snooze(
            tenant_id,
            &ClientSnooze {
                client_id: cid(CLIENT_A),
                until: t0() + Duration::days(30),
                reason: Some("known issue".into()),
                by: "someone".into(),
                created_at: t0(),
            },
        )
        .await
        .unwrap();
    for (id, clients) in [
        ("dlv-a", &[CLIENT_A][..]),
        ("dlv-ab", &[CLIENT_A, CLIENT_B][..]),
    ] {
        store
            .put_delivery(&delivery(tenant_id, id, clients))
            .await
            .unwrap();
    }
    store
        .put_written_companies(
            tenant_id,
            &[CLIENT_A, CLIENT_B].map(|client| WrittenCompany {
                client_id: cid(client),
                digest: "d1".into(),
                written_at: t0(),
            }),
        )
        .await
        .unwrap();
    store
        .put_sync_run(&SyncRun {
            platform: None,
            records: Default::default(),
            tenant_id: tenant_id.clone(),
            sync_id: SyncId::parse("20261120T090000Z-e1").unwrap(),
            mode: SyncMode::Full,
            trigger: SyncTrigger::Schedule,
            started_at: t0(),
            finished_at: Some(t0()),
            status: SyncStatus::Succeeded,
            counts: Default::default(),
            requests_used: 3,
            error: None,
            connection_id: Some(connection.id.clone()),
            cursor: None,
        })
        .await
        .unwrap();
    store
        .acquire_lease(
            tenant_id,
            &Lease::ConnectionSync.key_on(&connection.id),
            "holder",
            t0() + Duration::days(3650),
            t0(),
        )
        .await
        .unwrap();

    let object_keys = vec![
        format!("{tenant_id}/exports/ex-1/manifest.json"),
        format!("{tenant_id}/exports/ex-1/clients.jsonl"),
    ];
    for key in &object_keys {
        objects
            .put_object(key, b"{}".to_vec(), "application/json")
            .await
            .unwrap();
    }
    Seeded {
        tenant_id: tenant_id.clone(),
        portal_id,
        secret_ids,
        object_keys,
    }
}
