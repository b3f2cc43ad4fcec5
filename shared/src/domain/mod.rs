//! Domain types: what the product knows about tenants, clients, scores, insights and syncs.
//! Plain data with validation; no I/O.

pub mod accounts;
pub mod alert;
pub mod audit;
pub mod calibration;
pub mod client_override;
pub mod connection;
mod connection_sync;
pub mod correlation;
pub mod dispatch;
pub mod erasure;
pub mod export;
pub mod ids;
pub mod insight;
pub mod outcome;
pub mod payments;
pub mod role;
pub mod schedule_slot;
pub mod score;
pub mod score_change;
pub mod segment;
pub mod settings;
pub mod settings_version;
pub mod snapshot;
pub mod summary;
pub mod sync;
pub mod tenant;
pub mod triage;

pub use accounts::{
    AccountIdentity, AccountRecord, AccountSignals, AlertSeverity, CloudSubscription,
    CloudSubscriptionStatus, CloudSubscriptions, DailyActivity, DeviceAlert, DeviceHealth,
    ItManagement, LicencePool, ManagedDevice, Productivity, QuantityChange, SupportTicket,
};
pub use alert::{
    AlertChange, AlertChannel, AlertCondition, AlertItem, AlertMessage, AlertRule, AlertScope,
    AlertState, AlertingSettings, ChannelKind, ClientSnooze, DeliveryMode, DeliveryRecord,
    DeliveryStatus, PendingAlert, QuietHours,
};
pub use audit::{AuditActor, AuditChange, AuditEntityKind, AuditEntry, AuditFilter, AuditSettings};
pub use calibration::{
    BacktestReport, CalibrationBin, CalibrationError, CalibrationKnot, ChurnCalibration,
    TenantCalibration,
};
pub use client_override::{
    AppliedOverride, ClientOverride, OverrideError, OverrideKind, OverrideValue, MAX_OVERRIDE_DAYS,
    MAX_OVERRIDE_REASON_CHARS,
};
pub use connection::{
    ClientCredentials, Connection, ConnectionSettings, ConnectionStatus, M365CustomerTenant,
    NinjaoneRegion, PaypalEnvironment, Platform,
};
pub use correlation::{
    Correlation, CorrelationStatus, MatchEvidence, MatchMethod, MatchingSettings,
};
pub use dispatch::{DispatchProgress, DispatchReport, DispatchRequest};
pub use erasure::{
    Erasure, ErasureId, ErasurePhase, ErasureScope, ErasureStatus, ErasureTarget, LinkedRecord,
};
pub use export::{ExportJob, ExportStatus};
pub use ids::{
    AlertChannelId, AlertRuleId, ClientId, ConnectionId, ExportId, IdError, InsightId, SyncId,
    TenantId,
};
pub use insight::{
    ConfidenceBand, Evidence, Impact, Insight, InsightRule, InsightStatus, InsightType,
};
pub use outcome::{
    ChurnReason, ClientOutcomeRecord, OutcomeDefinition, DEFAULT_OUTCOME_HORIZON_DAYS,
};
pub use payments::{
    Dispute, DisputeStage, Invoice, InvoiceStatus, Money, PayerRecord, Payment, PaymentKind,
    PaymentStatus, Subscription, SubscriptionStatus,
};
pub use role::Role;
pub use score::{
    Dimension, DimensionScore, Factor, HealthBand, HealthScore, PointDimension, ScorePoint,
    SourceRef, Trend,
};
pub use score_change::{FactorMove, HealthLevel, InsightFacts, MAX_MOVED_FACTORS};
pub use segment::{Segment, SegmentRule};
pub use settings::{
    AccountThresholds, CrossSourceSettings, ScoringSettings, SettingsError, Thresholds, Weights,
};
pub use settings_version::{ReweighState, SettingsVersion};
pub use snapshot::{
    ClientSnapshot, CompanyActivity, ContactSummary, CsmSentiment, Deal, Direction, Engagement,
    EngagementKind, Ticket, TicketPriority,
};
pub use summary::{
    BandCounts, ImpactCounts, InsightTypeCounts, OpenInsightCounts, TenantSummary, TrendPoint,
};
pub use sync::{
    ObjectRef, ObjectType, PaymentRef, SyncCheckpoint, SyncMode, SyncRun, SyncStatus, SyncTrigger,
};
pub use tenant::{AuthKind, HubSpotLimits, SyncSchedule, Tenant, TenantStatus, WritebackSettings};
pub use triage::{triage_index_key, InsightSort, SortKey, TRIAGE_INDEX_PREFIX};
