//! The `CrmSource` port: what a sync engine needs from any CRM-like platform (HubSpot first; NinjaOne,
//! PayPal, Pax8 and Microsoft 365 follow). Records cross this seam already normalised into domain
//! parts, so no platform's wire format leaks into the engine.

use crate::domain::Tenant;
use crate::domain::{
    CompanyActivity, ContactSummary, Deal, Engagement, ObjectRef, ObjectType, Ticket,
};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Which records a page walk covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchWindow {
    /// Every live record of the type (a full sync, which also reconciles ids).
    All,
    /// Records whose modification time lies in `[since, until]`. `until` is the sync's start, so the
    /// set a walk pages through does not move under it; changes after it belong to the next window.
    ChangedBetween {
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    },
}

/// One page of a walk. `next_cursor` is opaque to the caller, survives serialisation (it is stored in a
/// checkpoint) and is `None` on the last page.
#[derive(Debug, Clone, Default)]
pub struct RecordPage {
    pub records: Vec<CrmRecord>,
    pub next_cursor: Option<String>,
    /// How many records the whole walk will yield, when the platform says.
    pub total_hint: Option<u64>,
}

/// The result of fetching given objects: the ones found, and the ones the platform no longer has
/// (deleted or archived).
#[derive(Debug, Clone, Default)]
pub struct FetchedObjects {
    pub records: Vec<CrmRecord>,
    pub missing: Vec<ObjectRef>,
}

/// One normalised record with its associations.
#[derive(Debug, Clone, PartialEq)]
pub struct CrmRecord {
    pub object_type: ObjectType,
    pub id: String,
    /// When the platform last modified the record.
    pub modified_at: Option<DateTime<Utc>>,
    pub body: RecordBody,
    /// Ids of the companies (clients) the record is associated with.
    pub company_ids: Vec<String>,
    /// Ids of the contacts the record is associated with (engagements).
    pub contact_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecordBody {
    Company(CompanyFields),
    Contact(ContactSummary),
    Deal(Deal),
    Ticket(Ticket),
    /// `contact_ids` inside is left empty by sources: the engine fills it from the record's
    /// `contact_ids`.
    Engagement(Engagement),
}

/// What a company record says about the client itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompanyFields {
    pub name: String,
    pub domain: Option<String>,
    pub lifecycle_stage: Option<String>,
    pub activity: CompanyActivity,
    pub reported_revenue: Option<f64>,
    /// The account team's sentiment, when the platform keeps one and it reads as one.
    pub csm_sentiment: Option<crate::domain::CsmSentiment>,
}

/// A failure of the source, in platform-neutral terms. Platform adapters keep their own detailed
/// error and fold it into one of these, keeping the platform's message and request id in `message`.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The platform's daily (or other long) quota is spent: stop until `reset_at`.
    #[error("rate limit exhausted until {reset_at:?}: {message}")]
    RateLimited {
        reset_at: Option<DateTime<Utc>>,
        message: String,
    },
    /// The credentials are dead (a refresh token revoked, a new access token refused too, a private
    /// app's token refused): the tenant must authorise again.
    #[error("the tenant must authorise again: {reason}")]
    NeedsReauth { reason: String },
    /// The platform refused the request (bad input, missing scopes): retrying will not help.
    #[error("the source refused the request: {message}")]
    Rejected { status: u16, message: String },
    /// The platform kept failing after bounded retries, or could not be reached; a later run may
    /// succeed.
    #[error("the source is unavailable: {message}")]
    Unavailable { message: String },
    /// The platform answered something we cannot read.
    #[error("unexpected answer from the source: {0}")]
    InvalidResponse(String),
    /// A cursor that this source did not make, or that belongs to another kind of walk.
    #[error("invalid cursor: {0}")]
    InvalidCursor(String),
    /// The tenant's credentials could not be loaded or saved.
    #[error("credentials: {0}")]
    Credentials(String),
}

impl SourceError {
    /// Whether the same request may succeed on a later run without anyone doing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            SourceError::Unavailable { .. } | SourceError::RateLimited { .. }
        )
    }
}

/// A CRM-like platform the sync engine pulls clients from.
///
/// Implementations pace and retry their own requests (they know the platform's limits), and share
/// one limiter between concurrent calls, so the engine may walk several object types at once.
#[async_trait::async_trait]
pub trait CrmSource: Send + Sync {
    /// A short lowercase name recorded in each snapshot's `sources` (`hubspot`).
    fn name(&self) -> &'static str;

    /// The object types this source can walk.
    fn object_types(&self) -> &[ObjectType];

    /// One page of `object_type` within `window`, starting at `cursor` (`None`: the first page).
    /// A cursor is only valid with the window it was made for.
    async fn fetch_page(
        &self,
        object_type: ObjectType,
        window: FetchWindow,
        cursor: Option<&str>,
    ) -> Result<RecordPage, SourceError>;

    /// The given objects, with their associations (webhook-driven targeted syncs).
    async fn fetch_objects(&self, refs: &[ObjectRef]) -> Result<FetchedObjects, SourceError>;

    /// Requests sent to the platform so far by this source (retries included).
    fn requests_made(&self) -> u64;
}

/// Builds the CRM source of a tenant (HubSpot today; the tenant record will say which platform).
#[async_trait::async_trait]
pub trait SourceFactory: Send + Sync {
    async fn source_for(&self, tenant: &Tenant) -> Result<Arc<dyn CrmSource>, SourceError>;
}

/// A reference to one object of a payments platform, from a webhook (targeted syncs). Defined in the
/// domain because `SyncRequested` carries it.
pub use crate::domain::PaymentRef;

/// A webhook delivery the payments platform vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedWebhook {
    /// The platform's id of the event (PayPal `id`, `WH-...`): redeliveries repeat it.
    pub event_id: String,
    /// The platform's event type (PayPal `INVOICING.INVOICE.PAID`), for logs.
    pub event_type: String,
    /// The payments objects the event is about; empty when it names none we sync.
    pub refs: Vec<PaymentRef>,
    /// The accounts the event is about (a NinjaOne organisation, a Pax8 company), for account-like
    /// platforms; empty when it names none.
    pub account_ids: Vec<String>,
}

/// One step of a payments walk: payer records holding only what this step saw (the sync merges them
/// into the stored ones with [`crate::domain::PayerRecord::merge`]), and where to go on.
#[derive(Debug, Clone, Default)]
pub struct PaymentsPage {
    pub payers: Vec<crate::domain::PayerRecord>,
    /// Opaque, serialisable (stored in a checkpoint); `None` when the walk is done.
    pub next_cursor: Option<String>,
}

/// A payments platform (PayPal first) the sync pulls payers from.
///
/// `FetchWindow::All` is the platform's whole reachable history (PayPal: three years of
/// transactions); `ChangedBetween` is an incremental window, which the source widens by the
/// platform's lateness (PayPal: three hours). Implementations pace and retry their own requests.
#[async_trait::async_trait]
pub trait PaymentsSource: Send + Sync {
    fn platform(&self) -> crate::domain::Platform;

    /// One step of the walk over `window`, starting at `cursor` (`None`: the first step).
    async fn fetch_step(
        &self,
        window: FetchWindow,
        cursor: Option<&str>,
    ) -> Result<PaymentsPage, SourceError>;

    /// The payers behind the given objects (webhook-driven targeted syncs).
    async fn fetch_refs(
        &self,
        refs: &[PaymentRef],
    ) -> Result<Vec<crate::domain::PayerRecord>, SourceError>;

    /// Requests sent to the platform so far by this source (retries included).
    fn requests_made(&self) -> u64;
}

/// Builds the payments source of a connection, and tries credentials before a connection is saved.
#[async_trait::async_trait]
pub trait PaymentsSourceFactory: Send + Sync {
    /// Tries `credentials` against the platform (PayPal: fetches a token). `NeedsReauth` when the
    /// platform refuses them, `Unavailable` when it cannot be reached.
    async fn check_credentials(
        &self,
        settings: &crate::domain::ConnectionSettings,
        credentials: &crate::domain::ClientCredentials,
    ) -> Result<(), SourceError>;

    /// The source of a saved connection (credentials read from its secret).
    async fn payments_source(
        &self,
        connection: &crate::domain::Connection,
    ) -> Result<Arc<dyn PaymentsSource>, SourceError>;

    /// Verifies a webhook delivery to `connection` with the platform (PayPal: its
    /// verify-webhook-signature call, with the connection's `webhook_id`) and reads the event it
    /// carries. `Rejected` when the platform does not vouch for it (or the connection has no webhook
    /// registered), `InvalidResponse` for a body that is no event, `Unavailable` when the platform
    /// cannot be asked now. The default refuses every delivery: a platform without webhooks.
    async fn verify_webhook(
        &self,
        connection: &crate::domain::Connection,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<VerifiedWebhook, SourceError> {
        let _ = (headers, body);
        Err(SourceError::Rejected {
            status: 501,
            message: format!(
                "{} webhooks are not supported",
                connection.platform.display_name()
            ),
        })
    }
}

/// One step of an account walk: account records holding only what this step saw (the sync stamps
/// and merges them into the stored ones, see [`crate::domain::AccountRecord`]), and where to go on.
#[derive(Debug, Clone, Default)]
pub struct AccountsPage {
    pub accounts: Vec<crate::domain::AccountRecord>,
    /// Opaque, serialisable (stored in a checkpoint); `None` when the walk is done.
    pub next_cursor: Option<String>,
}

/// An account-like platform (NinjaOne, Pax8, Microsoft 365) the sync pulls accounts from.
///
/// These platforms give current state: every walk re-reads it, and the sync drops what a completed
/// walk no longer saw. `FetchWindow::All` is a first or full read (Microsoft 365: 30 days of
/// reports); `ChangedBetween` lets a source skip what cannot have changed since `since` (Microsoft
/// 365 reads its daily reports only when the day has turned since `since`). Implementations pace
/// and retry their own requests, honouring the platform's limits.
#[async_trait::async_trait]
pub trait AccountsSource: Send + Sync {
    fn platform(&self) -> crate::domain::Platform;

    /// One step of the walk over `window`, starting at `cursor` (`None`: the first step).
    async fn fetch_step(
        &self,
        window: FetchWindow,
        cursor: Option<&str>,
    ) -> Result<AccountsPage, SourceError>;

    /// The given accounts, each read whole (webhook-driven targeted syncs); ids the platform no
    /// longer has are left out.
    async fn fetch_accounts(
        &self,
        external_ids: &[String],
    ) -> Result<Vec<crate::domain::AccountRecord>, SourceError>;

    /// Requests sent to the platform so far by this source (retries included).
    fn requests_made(&self) -> u64;
}

/// Builds the accounts source of a connection of one platform, tries credentials before a
/// connection is saved, and registers and verifies its webhooks.
#[async_trait::async_trait]
pub trait AccountsSourceFactory: Send + Sync {
    fn platform(&self) -> crate::domain::Platform;

    /// Tries `credentials` against the platform (fetches a token; for Microsoft 365 one per customer
    /// tenant of `settings`, or the app's own home tenant when none is listed yet). `NeedsReauth`
    /// when the platform refuses them, `Unavailable` when it cannot be reached.
    async fn check_credentials(
        &self,
        settings: &crate::domain::ConnectionSettings,
        credentials: &crate::domain::ClientCredentials,
    ) -> Result<(), SourceError>;

    /// The source of a saved connection (credentials read from its secret).
    async fn accounts_source(
        &self,
        connection: &crate::domain::Connection,
    ) -> Result<Arc<dyn AccountsSource>, SourceError>;

    /// Registers `url` with the platform as the connection's webhook, carrying
    /// `credentials.webhook_secret` the way the platform sends a header we choose. `Ok(false)`: the
    /// platform has no webhooks (the default).
    async fn register_webhook(
        &self,
        connection: &crate::domain::Connection,
        credentials: &crate::domain::ClientCredentials,
        url: &str,
    ) -> Result<bool, SourceError> {
        let _ = (connection, credentials, url);
        Ok(false)
    }

    /// Verifies a webhook delivery to `connection` (the shared secret it must carry, compared in
    /// constant time) and reads the accounts it names. `Rejected` when it does not carry the secret,
    /// `InvalidResponse` for a body that is no event. The default refuses every delivery.
    async fn verify_webhook(
        &self,
        connection: &crate::domain::Connection,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<VerifiedWebhook, SourceError> {
        let _ = (headers, body);
        Err(SourceError::Rejected {
            status: 501,
            message: format!(
                "{} webhooks are not supported",
                connection.platform.display_name()
            ),
        })
    }
}
