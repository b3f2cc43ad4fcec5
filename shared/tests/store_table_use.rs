//! Holds `shared::store::entities::PORT_METHOD_TABLE_OPS` (what the template's IAM check grants
//! each function) to what the store code really does: every store port method runs, on each of its
//! paths, against a table that records the operations asked of it. A method using an operation
//! (or an index) it does not declare fails here; so does a declared one no path uses.

use chrono::{DateTime, Duration, TimeZone, Utc};
use shared::domain::{
    AccountIdentity, AccountRecord, AccountSignals, AuthKind, ClientId, ClientSnapshot,
    CompanyActivity, ConfidenceBand, Connection, ConnectionId, Correlation, CorrelationStatus,
    HealthBand, HealthScore, Impact, Insight, InsightId, InsightRule, InsightStatus, ItManagement,
    MatchMethod, ObjectType, PayerRecord, Platform, ScorePoint, SyncCheckpoint, SyncId, SyncMode,
    SyncRun, SyncStatus, SyncTrigger, Tenant, TenantId, TenantSummary, Trend,
};
use shared::ports::DispatchStore;
use shared::ports::SettingsHistoryStore;
use shared::ports::{
    AccountStore, AlertStore, ConnectionStore, CorrelationStore, ExportStore, InsightFilter,
    InsightStore, OAuthState, OutcomeStore, OverrideStore, PageRequest, PayerStore, ScoreQuery,
    ScoreStore, SnapshotStore, StatusChange, SyncStore, TenantStore, WebhookStore,
};
use shared::store::entities::PORT_METHOD_TABLE_OPS;
use shared::store::row::{Condition, Record, Row};
use shared::store::{MemoryTable, RecordingTable, Table, TableOp, TableStore};
use std::collections::{BTreeMap, BTreeSet};

type Probed = TableStore<RecordingTable<MemoryTable>>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()
}

fn cid(n: usize) -> ClientId {
    ClientId::parse(format!("client-{n:04}")).unwrap()
}

fn score(n: usize) -> HealthScore {
    HealthScore {
        segment: None,
        settings_version: 0,
        sources: Default::default(),
        client_id: cid(n),
        client_name: format!("Client {n}"),
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

fn insight(tenant_id: &TenantId, n: usize) -> Insight {
    let rule = InsightRule::InactiveClient;
    Insight {
        sources: Default::default(),
        id: InsightId::parse(format!("{tenant_id}.client-{n:04}.{}", rule.as_str())).unwrap(),
        tenant_id: tenant_id.clone(),
        client_id: cid(n),
        client_name: format!("Client {n}"),
        insight_type: rule.insight_type(),
        rule,
        title: "title".into(),
        description: "description".into(),
        explanation: "explanation".into(),
        confidence: 70,
        confidence_band: ConfidenceBand::of(70),
        impact: Impact::High,
        revenue_at_stake: None,
        recommendations: vec![],
        evidence: vec![],
        status: InsightStatus::Open,
        created_at: t0(),
        updated_at: t0(),
        status_changed_at: None,
        status_changed_by: None,
        status_reason: None,
        snoozed_until: None,
        revenue_upside: None,
        version: 0,
    }
}

fn snapshot(n: usize) -> ClientSnapshot {
    ClientSnapshot {
        client_id: cid(n),
        name: format!("Client {n}"),
        domain: None,
        lifecycle_stage: None,
        activity: CompanyActivity::default(),
        reported_revenue: None,
        contacts: vec![],
        deals: vec![],
        tickets: vec![],
        engagements: vec![],
        sources: vec!["hubspot".into()],
        updated_at: t0(),
        csm_sentiment: None,
    }
}

fn connection(tenant_id: &TenantId) -> Connection {
    test_support::cross_platform::paypal_connection(tenant_id, "paypal-1", t0())
}

fn payer(external_id: &str) -> PayerRecord {
    PayerRecord {
        connection_id: ConnectionId::parse("paypal-1").unwrap(),
        platform: Platform::Paypal,
        external_id: external_id.into(),
        name: None,
        business_name: None,
        email_hash: None,
        email_domain: None,
        reference_ids: vec![],
        payments: vec![],
        invoices: vec![],
        disputes: vec![],
        subscriptions: vec![],
        updated_at: t0(),
    }
}

fn account(external_id: &str) -> AccountRecord {
    AccountRecord {
        connection_id: ConnectionId::parse("ninjaone-1").unwrap(),
        platform: Platform::Ninjaone,
        external_id: external_id.into(),
        name: "Acme".into(),
        identity: AccountIdentity::default(),
        signals: AccountSignals::ItManagement(ItManagement::default()),
        seen_at: t0(),
        updated_at: t0(),
    }
}

fn correlation(tenant_id: &TenantId, n: usize) -> Correlation {
    Correlation {
        tenant_id: tenant_id.clone(),
        client_id: cid(n),
        platform: Platform::Paypal,
        connection_id: ConnectionId::parse("paypal-1").unwrap(),
        external_id: format!("payer-{n}"),
        method: MatchMethod::EmailDomain,
        evidence: vec![],
        confidence: 0.7,
        status: CorrelationStatus::NeedsReview,
        decided_by: None,
        decided_at: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

/// Runs store calls and collects, per port method, the table operations they used.
struct Probe {
    store: Probed,
    used: BTreeMap<&'static str, BTreeSet<TableOp>>,
}

impl Probe {
    fn saw(&mut self, method: &'static str) {
        let ops = self.store.table().take_ops();
        assert!(!ops.is_empty(), "{method} used no table operation");
        self.used.entry(method).or_default().extend(ops);
    }
}

macro_rules! call {
    ($probe:ident, $method:ident $(, $arg:expr)*) => {{
        let result = $probe.store.$method($($arg),*).await;
        $probe.saw(stringify!($method));
        result
    }};
}

#[tokio::test]
async fn every_store_method_uses_exactly_the_table_operations_it_declares() {
    let mut p = Probe {
        store: TableStore::over(RecordingTable::new(MemoryTable::new())),
        used: BTreeMap::new(),
    };
    let acme = TenantId::parse("acme").unwrap();
    let tenant = Tenant::connected(
        acme.clone(),
        "Acme".to_string(),
        Some(42),
        "ci/acme/hubspot".to_string(),
        AuthKind::OAuth,
        t0(),
    );

    // Tenants, on the success and the conflict path.
    call!(p, create_tenant, &tenant).unwrap();
    let stored = call!(p, get_tenant, &acme).unwrap();
    call!(p, update_tenant, &stored).unwrap();
    assert!(call!(p, update_tenant, &stored).is_err(), "stale version");
    call!(p, record_full_sync, &acme, t0()).unwrap();
    call!(p, tenant_by_portal, 42).unwrap();
    call!(p, list_active_tenants, &PageRequest::first(10)).unwrap();

    // Snapshots and the contact index, written and then deleted.
    call!(p, put_snapshots, &acme, &[snapshot(1)]).unwrap();
    call!(p, get_snapshots, &acme, &[cid(1)]).unwrap();
    call!(p, list_snapshots, &acme, &PageRequest::first(10)).unwrap();
    call!(p, delete_snapshots, &acme, &[cid(1)]).unwrap();
    let links = [("contact-1".to_string(), vec![cid(1)])];
    call!(p, put_contact_clients, &acme, &links).unwrap();
    call!(p, contact_clients, &acme, &["contact-1".to_string()]).unwrap();

    // Scores, history and the summary.
    let summary = TenantSummary::of(&[score(1)], [], t0());
    call!(p, put_summary, &acme, &summary, false).unwrap();
    call!(p, get_summary, &acme).unwrap();
    call!(p, put_scores, &acme, &[score(1)]).unwrap();
    call!(p, get_score, &acme, &cid(1)).unwrap();
    call!(p, get_scores, &acme, &[cid(1)]).unwrap();
    let query = ScoreQuery {
        min_churn_risk: Some(10),
        ..ScoreQuery::default()
    };
    call!(p, list_scores, &acme, &query, &PageRequest::first(10)).unwrap();
    call!(p, delete_scores, &acme, &[cid(1)]).unwrap();
    let point = ScorePoint {
        settings_version: 0,
        as_scored: None,
        client_id: cid(1),
        at: Utc::now(),
        overall: 40,
        churn_risk: 60,
        crm: None,
        payment: None,
        usage: None,
        support: None,
        parts: Vec::new(),
        overrides: Vec::new(),
    };
    call!(p, append_history, &acme, &[point], 30).unwrap();
    let (from, to) = (
        Utc::now() - Duration::days(1),
        Utc::now() + Duration::days(1),
    );
    call!(p, history, &acme, &cid(1), from, to).unwrap();
    let trend = shared::domain::TrendPoint::of(&summary);
    call!(p, put_trend_point, &acme, &trend, 30).unwrap();
    let day = t0().date_naive();
    call!(p, trend_points, &acme, day, day).unwrap();

    // Insights: few clients and many, by status and any status, and a status change.
    let insights: Vec<Insight> = (0..20).map(|n| insight(&acme, n)).collect();
    call!(p, put_insights, &acme, &insights).unwrap();
    let first = call!(p, get_insight, &acme, &insights[0].id).unwrap();
    call!(p, insights_for_clients, &acme, &[cid(0)]).unwrap();
    let many: Vec<ClientId> = (0..20).map(cid).collect();
    call!(p, insights_for_clients, &acme, &many).unwrap();
    let open = InsightFilter {
        status: Some(InsightStatus::Open),
        ..InsightFilter::default()
    };
    call!(p, list_insights, &acme, &open, &PageRequest::first(5)).unwrap();
    let any = InsightFilter::default();
    call!(p, list_insights, &acme, &any, &PageRequest::first(5)).unwrap();
    call!(p, matching_insights, &acme, &open).unwrap();
    call!(p, matching_insights, &acme, &any).unwrap();
    call!(
        p,
        insights_in_triage_order,
        &acme,
        InsightStatus::Open,
        &any,
        None,
        5
    )
    .unwrap();
    call!(
        p,
        has_insights_outside_triage_order,
        &acme,
        InsightStatus::Open
    )
    .unwrap();
    // An insight stored before the triage index, so the reindex writes one again.
    let mut keys = shared::store::keys::insight(&insights[1]);
    if let Some(gsi1) = keys.gsi1.as_mut() {
        gsi1.sk = "2026-11-01T00:00:00.000000Z#before-the-index".into();
    }
    let legacy = Row::new(
        keys,
        Record::Insight {
            insight: insights[1].clone(),
        },
    );
    p.store
        .table()
        .put_row_if(legacy, Condition::Always)
        .await
        .unwrap();
    p.store.table().take_ops();
    assert_eq!(
        call!(p, reindex_insights, &acme, InsightStatus::Open, 5).unwrap(),
        1
    );
    let change = StatusChange {
        status: InsightStatus::Acknowledged,
        changed_by: "user".into(),
        changed_at: t0(),
        expected_version: first.version,
        reason: None,
        snoozed_until: None,
    };
    call!(p, change_insight_status, &acme, &first.id, &change).unwrap();

    // Sync runs, checkpoints and leases.
    let run = SyncRun {
        tenant_id: acme.clone(),
        sync_id: SyncId::parse("sync-001").unwrap(),
        mode: SyncMode::Incremental,
        trigger: SyncTrigger::Schedule,
        started_at: t0(),
        finished_at: None,
        status: SyncStatus::Succeeded,
        counts: BTreeMap::new(),
        requests_used: 0,
        error: None,
        connection_id: None,
        platform: None,
        records: Default::default(),
        cursor: None,
    };
    call!(p, put_sync_run, &run).unwrap();
    call!(p, get_sync_run, &acme, &run.sync_id).unwrap();
    call!(p, list_sync_runs, &acme, &PageRequest::first(10)).unwrap();
    // Queued now: an export job expires 30 days after it was asked for, and t0() is further back.
    let export = shared::domain::ExportJob::queued(acme.clone(), chrono::Utc::now());
    call!(p, put_export, &export).unwrap();
    call!(p, get_export, &acme, &export.id).unwrap();
    call!(p, list_exports, &acme, &PageRequest::first(10)).unwrap();
    let outcome = shared::domain::ClientOutcomeRecord::new(cid(1), t0());
    call!(p, put_outcomes, &acme, std::slice::from_ref(&outcome)).unwrap();
    call!(p, outcomes, &acme).unwrap();
    let calibration = shared::scoring::calibration::assess(&[], 0, 0, 90, t0());
    call!(p, put_calibration, &acme, &calibration).unwrap();
    call!(p, get_calibration, &acme).unwrap();
    let version = shared::domain::SettingsVersion {
        tenant_id: acme.clone(),
        version: 1,
        changed_at: t0(),
        changed_by: None,
        sections: Vec::new(),
        settings: Default::default(),
    };
    call!(p, put_settings_version, &version).unwrap();
    call!(p, get_settings_version, &acme, 1).unwrap();
    call!(p, list_settings_versions, &acme, &PageRequest::first(10)).unwrap();
    let state = shared::domain::ReweighState {
        version: 1,
        cursor: None,
        done: true,
        clients: 0,
        points_rewritten: 0,
        updated_at: t0(),
    };
    call!(p, put_reweigh_state, &acme, &state).unwrap();
    call!(p, get_reweigh_state, &acme).unwrap();
    let mut progress = shared::domain::DispatchProgress::start(t0(), t0());
    progress.version = 1;
    call!(p, save_dispatch_progress, &progress, None).unwrap();
    call!(p, dispatch_progress, t0()).unwrap();
    let checkpoint = SyncCheckpoint {
        object_type: ObjectType::Companies,
        watermark: None,
        cursor: None,
        sync_id: None,
        updated_at: t0(),
    };
    call!(p, put_checkpoint, &acme, &checkpoint).unwrap();
    call!(p, checkpoints, &acme).unwrap();
    call!(p, clear_checkpoint, &acme, ObjectType::Companies).unwrap();
    let (now, until) = (Utc::now(), Utc::now() + Duration::minutes(1));
    call!(p, acquire_lease, &acme, "sync", "me", until, now).unwrap();
    call!(p, renew_lease, &acme, "sync", "me", until, now).unwrap();
    call!(p, release_lease, &acme, "sync", "me").unwrap();

    // Webhook event ids and OAuth state.
    let expires = Utc::now() + Duration::hours(1);
    call!(p, record_webhook_event, &acme, "event-1", expires).unwrap();
    call!(p, forget_webhook_event, &acme, "event-1").unwrap();
    let state = OAuthState {
        nonce: "nonce-1".into(),
        tenant_id: None,
        created_at: Utc::now(),
        expires_at: expires,
    };
    call!(p, put_oauth_state, &state).unwrap();
    call!(p, take_oauth_state, "nonce-1", Utc::now()).unwrap();

    // Connections, on the success and the conflict path.
    let conn = connection(&acme);
    call!(p, create_connection, &conn).unwrap();
    let stored = call!(p, get_connection, &acme, &conn.id).unwrap();
    call!(p, update_connection, &stored).unwrap();
    assert!(
        call!(p, update_connection, &stored).is_err(),
        "stale version"
    );
    call!(p, list_connections, &acme).unwrap();

    // Payer records and correlations, written, read, then deleted with the connection.
    call!(p, put_payers, &acme, &[payer("payer-1")]).unwrap();
    call!(p, get_payers, &acme, &conn.id, &["payer-1".to_string()]).unwrap();
    call!(p, list_payers, &acme, &conn.id, &PageRequest::first(10)).unwrap();
    let correlations: Vec<Correlation> = (0..20).map(|n| correlation(&acme, n)).collect();
    call!(p, put_correlations, &acme, &correlations).unwrap();
    let review = Some(CorrelationStatus::NeedsReview);
    call!(p, list_correlations, &acme, review, &PageRequest::first(5)).unwrap();
    call!(p, list_correlations, &acme, None, &PageRequest::first(5)).unwrap();
    call!(p, correlations_for_clients, &acme, &[cid(0)]).unwrap();
    call!(p, correlations_for_clients, &acme, &many).unwrap();
    call!(p, correlations_of_record, &acme, &conn.id, "payer-1").unwrap();
    call!(p, delete_connection_payers, &acme, &conn.id).unwrap();
    let ninja = ConnectionId::parse("ninjaone-1").unwrap();
    let ids = ["org-1".to_string(), "org-2".to_string()];
    call!(
        p,
        put_accounts,
        &acme,
        &[account("org-1"), account("org-2")]
    )
    .unwrap();
    call!(p, get_accounts, &acme, &ninja, &ids).unwrap();
    call!(p, list_accounts, &acme, &ninja, &PageRequest::first(10)).unwrap();
    call!(p, delete_accounts, &acme, &ninja, &ids[..1]).unwrap();
    call!(p, delete_connection_accounts, &acme, &ninja).unwrap();
    call!(p, delete_connection_correlations, &acme, &conn.id).unwrap();
    call!(p, delete_connection, &acme, &conn.id).unwrap();

    alert_store_calls(&mut p, &acme).await;
    // Write-back: the schema mark, company digests (written only when they change), insight tasks.
    {
        use shared::ports::writeback::{
            InsightTask, TaskState, WritebackSchemaMark, WrittenCompany,
        };
        use shared::ports::WritebackStore;
        let mark = WritebackSchemaMark {
            version: 1,
            ensured_at: t0(),
        };
        call!(p, put_writeback_schema, &acme, &mark).unwrap();
        call!(p, writeback_schema, &acme).unwrap();
        let written = WrittenCompany {
            client_id: cid(0),
            digest: "d1".into(),
            written_at: t0(),
        };
        call!(p, put_written_companies, &acme, &[written]).unwrap();
        call!(p, written_companies, &acme).unwrap();
        let task = InsightTask {
            insight_id: InsightId::parse("ins-1").unwrap(),
            client_id: cid(0),
            subject: "s".into(),
            task_id: None,
            state: TaskState::Creating,
            updated_at: t0(),
        };
        call!(p, put_insight_task, &acme, &task).unwrap();
        call!(p, insight_tasks, &acme).unwrap();
    }
    {
        use shared::domain::{AuditActor, AuditChange, AuditEntityKind, AuditEntry, AuditFilter};
        use shared::ports::AuditStore;
        let entry = AuditEntry::of(
            acme.clone(),
            AuditActor::System,
            AuditChange::new("sync_run.succeeded", AuditEntityKind::SyncRun, "s-1"),
            t0(),
            None,
        );
        call!(p, append_audit, &entry, 365).unwrap();
        call!(
            p,
            list_audit,
            &acme,
            &AuditFilter::default(),
            &PageRequest::first(10)
        )
        .unwrap();
    }

    // ErasureStore: an erasure kept and read; one page of the walk deleting what names a client.
    {
        use shared::domain::{Erasure, ErasureId, ErasureTarget};
        use shared::ports::ErasureStore;
        let erasure = Erasure::request(
            ErasureId::generate(),
            acme.clone(),
            ErasureTarget::Client(cid(1)),
            "test",
            t0(),
        );
        call!(p, put_erasure, &erasure).unwrap();
        call!(p, get_erasure, &acme, &erasure.id).unwrap();
        call!(p, put_snapshots, &acme, &[snapshot(1)]).unwrap();
        call!(
            p,
            erase_page,
            &acme,
            &ErasureTarget::Client(cid(1)),
            &[],
            &PageRequest::first(200)
        )
        .unwrap();
    }

    let declared: BTreeMap<&str, BTreeSet<TableOp>> = PORT_METHOD_TABLE_OPS
        .iter()
        .map(|(method, ops)| (*method, ops.iter().copied().collect()))
        .collect();
    assert_eq!(
        declared.len(),
        PORT_METHOD_TABLE_OPS.len(),
        "a method is declared twice"
    );
    assert_eq!(
        p.used, declared,
        "the store's table use (left) and its declaration in PORT_METHOD_TABLE_OPS (right) differ"
    );
}

/// Every `AlertStore` method, on each of its paths (a stale rule update; a pending alert replaced
/// into another hour, which settles the due markers).
async fn alert_store_calls(p: &mut Probe, acme: &TenantId) {
    use shared::domain::{
        AlertChange, AlertChannelId, AlertCondition, AlertItem, AlertRule, AlertRuleId, AlertScope,
        AlertState, ChannelKind, ClientSnooze, DeliveryMode, DeliveryRecord, DeliveryStatus,
        HealthLevel, PendingAlert,
    };
    let rule = AlertRule {
        id: AlertRuleId::parse("rule-1").unwrap(),
        tenant_id: acme.clone(),
        name: "At risk".into(),
        enabled: true,
        condition: AlertCondition::ChurnAbove { percent: 60 },
        scope: AlertScope::AllClients,
        channels: vec![],
        cooldown_minutes: 60,
        delivery: DeliveryMode::Immediate,
        disabled_reason: None,
        created_at: t0(),
        updated_at: t0(),
        version: 0,
    };
    call!(p, create_alert_rule, &rule).unwrap();
    let stored = call!(p, get_alert_rule, acme, &rule.id).unwrap();
    call!(p, update_alert_rule, &stored).unwrap();
    assert!(
        call!(p, update_alert_rule, &stored).is_err(),
        "stale version"
    );
    call!(p, list_alert_rules, acme).unwrap();

    let state = AlertState {
        rule_id: rule.id.clone(),
        client_id: cid(1),
        state_key: "churn_above:60".into(),
        alerted_at: t0(),
    };
    call!(p, put_alert_states, acme, &[state]).unwrap();
    let pair = [(rule.id.clone(), cid(1))];
    call!(p, alert_states, acme, &pair).unwrap();
    call!(p, delete_alert_states, acme, &pair).unwrap();

    let snooze = ClientSnooze {
        client_id: cid(1),
        until: t0() + Duration::days(1),
        reason: None,
        by: "user".into(),
        created_at: t0(),
    };
    call!(p, put_snooze, acme, &snooze).unwrap();
    call!(p, active_snoozes, acme, t0()).unwrap();
    call!(p, delete_snooze, acme, &cid(1)).unwrap();

    let client_override = shared::domain::ClientOverride {
        client_id: cid(1),
        kind: shared::domain::OverrideKind::Support,
        value: shared::domain::OverrideValue::Score(40),
        reason: "reason".into(),
        expires_at: t0() + Duration::days(30),
        set_by: "user".into(),
        set_at: t0(),
    };
    call!(p, put_override, acme, &client_override).unwrap();
    call!(p, client_overrides, acme, &cid(1)).unwrap();
    call!(p, tenant_overrides, acme).unwrap();
    let support = shared::domain::OverrideKind::Support;
    call!(p, delete_override, acme, &cid(1), support).unwrap();

    let level = HealthLevel {
        overall: 40,
        band: HealthBand::of(40),
        churn_risk: 61,
    };
    let alert = |due_at: DateTime<Utc>| PendingAlert {
        rule_id: rule.id.clone(),
        channel_id: AlertChannelId::parse("slack-1").unwrap(),
        item: AlertItem {
            client_id: cid(1),
            client_name: "Client 1".into(),
            headline: "Client 1's churn risk rose above 60%".into(),
            change: AlertChange::Health {
                before: level,
                after: level,
                fell_by: None,
            },
            top_factors: vec![],
            link: None,
            occurred_at: t0(),
        },
        queued_at: t0(),
        due_at,
    };
    call!(p, put_pending_alerts, acme, &[alert(t0())]).unwrap();
    let later = alert(t0() + Duration::hours(3));
    call!(p, put_pending_alerts, acme, std::slice::from_ref(&later)).unwrap();
    let due_at = t0() + Duration::hours(4);
    call!(p, tenants_with_due_alerts, due_at, &PageRequest::first(10)).unwrap();
    call!(p, due_pending_alerts, acme, due_at).unwrap();
    call!(p, delete_pending_alerts, acme, std::slice::from_ref(&later)).unwrap();
    call!(p, put_pending_alerts, acme, &[later]).unwrap();
    call!(p, delete_alert_rule, acme, &rule.id).unwrap();

    let delivery = DeliveryRecord {
        id: "delivery-1".into(),
        tenant_id: acme.clone(),
        rule_id: Some(rule.id.clone()),
        rule_name: rule.name.clone(),
        channel_id: AlertChannelId::parse("slack-1").unwrap(),
        channel_kind: ChannelKind::Slack,
        client_ids: vec![cid(1)],
        alerts: 1,
        digest: false,
        test: false,
        status: DeliveryStatus::Sent,
        attempts: 1,
        last_error: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    call!(p, put_delivery, &delivery).unwrap();
    call!(p, get_delivery, acme, "delivery-1").unwrap();
    call!(p, list_deliveries, acme, &PageRequest::first(10)).unwrap();
    let interval = std::time::Duration::from_secs(1);
    call!(p, reserve_send_slot, acme, "slack-1", interval, Utc::now()).unwrap();
}
