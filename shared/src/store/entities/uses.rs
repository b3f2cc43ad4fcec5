//! What each store port method asks of its table, declared in one place: the IAM check of the
//! SAM template (`tests/tests/template.rs`) maps a function's port calls through this table and the
//! adapter's [`crate::store::dynamo::iam_action`] to the DynamoDB actions and indexes its role needs.
//! `shared/tests/store_table_use.rs` runs every method on a [`crate::store::row::RecordingTable`]
//! and holds this table to what the code really does (nothing missing, nothing extra).

use crate::store::keys::Index;
use crate::store::row::TableOp::{self, *};

/// Port method name -> every table operation it may use (on any path).
pub const PORT_METHOD_TABLE_OPS: &[(&str, &[TableOp])] = &[
    // TenantStore
    ("create_tenant", &[PutRowIf]),
    ("get_tenant", &[GetRow]),
    ("update_tenant", &[PutRowIf, GetRow]),
    ("record_full_sync", &[UpdateRow]),
    ("tenant_by_portal", &[Query(Index::Gsi1)]),
    ("list_active_tenants", &[Query(Index::Gsi2)]),
    // SnapshotStore
    ("put_snapshots", &[StoredDigests, WriteRows]),
    ("get_snapshots", &[GetRows]),
    ("list_snapshots", &[Query(Index::Table)]),
    ("delete_snapshots", &[StoredDigests, WriteRows]),
    ("put_contact_clients", &[StoredDigests, WriteRows]),
    ("contact_clients", &[GetRows]),
    // ScoreStore
    ("get_summary", &[GetRow]),
    ("put_summary", &[PutRowIf]),
    ("put_scores", &[StoredDigests, WriteRows]),
    ("delete_scores", &[StoredDigests, WriteRows]),
    ("get_score", &[GetRow]),
    ("get_scores", &[GetRows]),
    ("list_scores", &[Query(Index::Gsi1)]),
    ("append_history", &[StoredDigests, WriteRows]),
    ("history", &[Query(Index::Table)]),
    ("put_trend_point", &[StoredDigests, WriteRows]),
    ("trend_points", &[Query(Index::Table)]),
    // InsightStore
    ("put_insights", &[StoredDigests, WriteRows]),
    ("get_insight", &[GetRow]),
    (
        "insights_for_clients",
        &[Query(Index::Gsi3), Query(Index::Table)],
    ),
    ("list_insights", &[Query(Index::Gsi2)]),
    ("insights_in_triage_order", &[Query(Index::Gsi1)]),
    ("has_insights_outside_triage_order", &[Query(Index::Gsi1)]),
    ("reindex_insights", &[Query(Index::Gsi1), PutRowIf]),
    ("change_insight_status", &[GetRow, PutRowIf]),
    (
        "matching_insights",
        &[Query(Index::Gsi1), Query(Index::Gsi2)],
    ),
    // SyncStore
    ("put_sync_run", &[PutRowIf]),
    ("get_sync_run", &[GetRow]),
    ("list_sync_runs", &[Query(Index::Gsi1)]),
    ("checkpoints", &[Query(Index::Table)]),
    ("put_checkpoint", &[PutRowIf]),
    ("clear_checkpoint", &[DeleteRowIf]),
    ("acquire_lease", &[PutRowIf]),
    ("renew_lease", &[PutRowIf]),
    ("release_lease", &[DeleteRowIf]),
    // DispatchStore
    ("dispatch_progress", &[GetRow]),
    ("save_dispatch_progress", &[PutRowIf]),
    // WebhookStore
    ("record_webhook_event", &[PutRowIf]),
    ("forget_webhook_event", &[DeleteRowIf]),
    ("put_oauth_state", &[PutRowIf]),
    ("take_oauth_state", &[DeleteRowIf]),
    // OutcomeStore
    ("outcomes", &[Query(Index::Table)]),
    ("put_outcomes", &[StoredDigests, WriteRows]),
    ("get_calibration", &[GetRow]),
    ("put_calibration", &[PutRowIf]),
    // SettingsHistoryStore
    ("put_settings_version", &[PutRowIf]),
    ("get_settings_version", &[GetRow]),
    ("list_settings_versions", &[Query(Index::Table)]),
    ("get_reweigh_state", &[GetRow]),
    ("put_reweigh_state", &[PutRowIf]),
    // ExportStore
    ("put_export", &[PutRowIf]),
    ("get_export", &[GetRow]),
    ("list_exports", &[Query(Index::Table)]),
    // ConnectionStore
    ("create_connection", &[PutRowIf]),
    ("get_connection", &[GetRow]),
    ("update_connection", &[PutRowIf, GetRow]),
    ("list_connections", &[Query(Index::Table)]),
    ("delete_connection", &[DeleteRowIf]),
    // PayerStore
    ("put_payers", &[StoredDigests, WriteRows]),
    ("get_payers", &[GetRows]),
    ("list_payers", &[Query(Index::Table)]),
    (
        "delete_connection_payers",
        &[Query(Index::Table), WriteRows],
    ),
    // AccountStore
    ("put_accounts", &[StoredDigests, WriteRows]),
    ("get_accounts", &[GetRows]),
    ("list_accounts", &[Query(Index::Table)]),
    ("delete_accounts", &[GetRows, WriteRows]),
    (
        "delete_connection_accounts",
        &[Query(Index::Table), WriteRows],
    ),
    // CorrelationStore
    ("put_correlations", &[StoredDigests, WriteRows]),
    (
        "list_correlations",
        &[Query(Index::Gsi1), Query(Index::Table)],
    ),
    (
        "correlations_for_clients",
        &[Query(Index::Gsi3), Query(Index::Table)],
    ),
    ("correlations_of_record", &[Query(Index::Table)]),
    (
        "delete_connection_correlations",
        &[Query(Index::Table), WriteRows],
    ),
    // AlertStore
    ("create_alert_rule", &[PutRowIf]),
    ("get_alert_rule", &[GetRow]),
    ("update_alert_rule", &[PutRowIf, GetRow]),
    ("list_alert_rules", &[Query(Index::Table)]),
    (
        "delete_alert_rule",
        &[DeleteRowIf, Query(Index::Table), WriteRows],
    ),
    ("alert_states", &[GetRows]),
    ("put_alert_states", &[WriteRows]),
    ("delete_alert_states", &[WriteRows]),
    ("put_snooze", &[PutRowIf]),
    ("delete_snooze", &[DeleteRowIf]),
    ("active_snoozes", &[Query(Index::Table)]),
    // OverrideStore
    ("put_override", &[PutRowIf]),
    ("delete_override", &[DeleteRowIf]),
    ("client_overrides", &[Query(Index::Table)]),
    ("tenant_overrides", &[Query(Index::Table)]),
    (
        "put_pending_alerts",
        &[GetRows, WriteRows, Query(Index::Table), DeleteRowIf],
    ),
    ("tenants_with_due_alerts", &[Query(Index::Gsi2)]),
    ("due_pending_alerts", &[Query(Index::Gsi1)]),
    (
        "delete_pending_alerts",
        &[WriteRows, Query(Index::Table), DeleteRowIf],
    ),
    ("put_delivery", &[PutRowIf]),
    ("get_delivery", &[GetRow]),
    ("list_deliveries", &[Query(Index::Gsi1)]),
    ("reserve_send_slot", &[GetRow, PutRowIf]),
    // WritebackStore
    ("writeback_schema", &[GetRow]),
    ("put_writeback_schema", &[PutRowIf]),
    ("written_companies", &[Query(Index::Table)]),
    ("put_written_companies", &[StoredDigests, WriteRows]),
    ("insight_tasks", &[Query(Index::Table)]),
    ("put_insight_task", &[PutRowIf]),
    // ErasureStore
    ("put_erasure", &[PutRowIf]),
    ("get_erasure", &[GetRow]),
    ("erase_page", &[Query(Index::Table), WriteRows]),
    // AuditStore
    ("append_audit", &[PutRowIf]),
    ("list_audit", &[Query(Index::Table)]),
];

/// The table operations `port_method` may use; `None` when it is no store method.
pub fn table_ops_of(port_method: &str) -> Option<&'static [TableOp]> {
    PORT_METHOD_TABLE_OPS
        .iter()
        .find(|(name, _)| *name == port_method)
        .map(|(_, ops)| *ops)
}
