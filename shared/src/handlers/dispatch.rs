//! The schedule's fan-out: for each active tenant whose schedule is enabled, one `SyncRequested` for
//! its HubSpot portal and one for each of its connections that can sync
//! ([`crate::domain::ConnectionStatus::is_syncable`]), so no single invocation syncs every tenant.
//!
//! It works page by page (100 tenants), and after each page saves how far it got in the slot's
//! record ([`DispatchProgress`]; the slot is the schedule event's time, which a retried event
//! keeps): the tenant cursor reached and the requests the bus did not take. A retry of the event
//! publishes those first and continues from the cursor. What each failure can cause:
//!
//! - **A store failure while listing a page or its connections**: nothing of that page was
//!   published and the record still points before it; the retry lists it again. Nothing lost,
//!   nothing asked twice.
//! - **The bus refuses some requests** (PutEvents entries refused past the adapter's retries): the
//!   bus says which ([`crate::ports::BusError::unpublished`]); they are kept in the record and
//!   published with the next page, and once more after the last one. The accepted ones are never
//!   sent again. If some are still refused at the end (or more than [`MAX_CARRIED`] pile up), the
//!   record is saved and the invocation fails, so the retried event publishes them first.
//! - **The bus is unreachable**: nothing of the batch was published; it is kept, the record saved,
//!   and the invocation fails for a retry.
//! - **A crash (or timeout) after a publish and before its save**, or a save that fails: the
//!   retry publishes that page's requests again: at most one page (100 tenants and their
//!   connections, plus the requests carried into it) asked twice. Unavoidable without a dedupe in
//!   the sync itself; a doubled request costs one more incremental sync with little to fetch, and
//!   the tenant's sync lease keeps the two from running at once.
//! - **Two invocations of one slot at once** (EventBridge delivers a scheduled event at least
//!   once): every save is conditional on the version read, so the one that saves second stops; the
//!   page both published is asked twice, as above.
//! - **The Lambda deadline**: the dispatch stops before a page when less than [`DEADLINE_RESERVE`]
//!   remains (the record is saved after every page) and fails retryably; the retried event
//!   continues. 10,000 tenants take seconds, so this is a guard, not the plan.
//! - **A retry after the slot is over** (an hour after its tick, the schedule's rate and the rule's
//!   maximum event age): does nothing. The slot's tenants are asked again at their next tick;
//!   finishing the old slot would only ask some twice. Records expire two days after their slot.
//! - **A slot already finished** (a duplicate delivery): does nothing.

use crate::domain::schedule_slot::ScheduleTicks;
use crate::domain::{
    DispatchProgress, DispatchReport, DispatchRequest, SyncMode, SyncTrigger, Tenant, TenantStatus,
};
use crate::events::{ProductEvent, SyncRequested};
use crate::handlers::sync::SyncHandlerError;
use crate::ports::{
    BusError, ConnectionStore, DispatchStore, EventBus, PageRequest, StoreError, TenantStore,
};
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use std::time::{Duration, Instant};

/// Tenants listed (and published for) per page: one save of the slot's record each.
pub const TENANT_PAGE: u32 = 100;
/// `list_connections` calls in flight at once: one query each; 16 keep a page of 100 tenants to
/// about seven round trips without bursting the table.
pub const CONCURRENT_LISTINGS: usize = 16;
/// Requests the bus refused that a run carries before it stops and leaves them to its retry: keeps
/// the record far under DynamoDB's 400 KB item limit (a request is under 100 bytes there).
pub const MAX_CARRIED: usize = 1_000;
/// Time kept back before the Lambda deadline: a page (listing, publishing, saving) takes well under
/// a second; this leaves room for a slow one and the invocation's own exit.
pub const DEADLINE_RESERVE: Duration = Duration::from_secs(10);

/// How a dispatch runs; [`DispatchOptions::default`] is the function's.
#[derive(Debug, Clone, Copy)]
pub struct DispatchOptions {
    pub page_size: u32,
    pub concurrent_listings: usize,
    /// The Lambda deadline, `None` for no limit.
    pub deadline: Option<Instant>,
    /// The schedule's ticks: a tick asks only the tenants whose slot it is.
    pub ticks: ScheduleTicks,
}

impl Default for DispatchOptions {
    fn default() -> Self {
        Self {
            page_size: TENANT_PAGE,
            concurrent_listings: CONCURRENT_LISTINGS,
            deadline: None,
            ticks: ScheduleTicks::EVERY_TICK,
        }
    }
}

/// [`dispatch_scheduled_with`] for the slot `now`, with the default options and no deadline.
pub async fn dispatch_scheduled<S, B>(
    store: &S,
    bus: &B,
    now: DateTime<Utc>,
) -> Result<DispatchReport, SyncHandlerError>
where
    S: TenantStore + ConnectionStore + DispatchStore + ?Sized,
    B: EventBus + ?Sized,
{
    dispatch_scheduled_with(store, bus, now, now, &DispatchOptions::default()).await
}

/// The fan-out of the schedule tick at `slot`, at `now` (see the module's notes for what each
/// failure can cause). Returns what the slot's dispatch did over all its invocations.
pub async fn dispatch_scheduled_with<S, B>(
    store: &S,
    bus: &B,
    slot: DateTime<Utc>,
    now: DateTime<Utc>,
    options: &DispatchOptions,
) -> Result<DispatchReport, SyncHandlerError>
where
    S: TenantStore + ConnectionStore + DispatchStore + ?Sized,
    B: EventBus + ?Sized,
{
    if DispatchProgress::is_over(slot, now) {
        tracing::warn!(%slot, "a schedule tick arrived after its slot; the next tick asks every tenant");
        return Ok(DispatchReport::default());
    }
    let stored = store.dispatch_progress(slot).await?;
    let mut read_version = stored.as_ref().map(|progress| progress.version);
    let mut progress = stored.unwrap_or_else(|| DispatchProgress::start(slot, now));
    if progress.finished {
        tracing::info!(%slot, "this slot's fan-out already finished");
        return Ok(progress.report);
    }
    let resumed = read_version.is_some();
    loop {
        if options.deadline.is_some_and(|deadline| {
            deadline.saturating_duration_since(Instant::now()) < DEADLINE_RESERVE
        }) {
            // Saved after the last page: the retried event continues from there.
            return Err(SyncHandlerError::DispatchOutOfTime {
                pages: progress.pages,
            });
        }
        let listing_done = progress.pages > 0 && progress.cursor.is_none();
        if listing_done && progress.unpublished.is_empty() {
            progress.finished = true;
            save(store, &mut progress, &mut read_version).await?;
            break;
        }
        // The requests refused before go first, with this page's.
        let mut batch = std::mem::take(&mut progress.unpublished);
        if !listing_done {
            let page = PageRequest {
                limit: options.page_size,
                cursor: progress.cursor.clone(),
            };
            let tenants = store.list_active_tenants(&page).await?;
            batch.extend(
                page_requests(
                    store,
                    &tenants.items,
                    slot,
                    now,
                    options,
                    &mut progress.report,
                )
                .await?,
            );
            progress.cursor = tenants.next_cursor;
            progress.pages += 1;
        }
        let failure = publish(bus, batch, now, &mut progress).await;
        if !save(store, &mut progress, &mut read_version).await? {
            tracing::warn!(%slot, "another invocation of this slot saved first; this one stops");
            return Ok(progress.report);
        }
        match failure {
            None => {}
            // Refused entries ride along with the next page while the bus takes the rest.
            Some(BusError::Partial { .. })
                if !listing_done && progress.unpublished.len() <= MAX_CARRIED => {}
            Some(error) => {
                tracing::warn!(%slot, pages = progress.pages, unpublished = progress.unpublished.len(), %error, "the fan-out stopped; its retry publishes what is left");
                return Err(error.into());
            }
        }
    }
    let report = progress.report;
    tracing::info!(
        %slot,
        resumed,
        pages = progress.pages,
        requested = report.tenants_requested,
        skipped = report.tenants_skipped,
        connections_requested = report.connections_requested,
        connections_skipped = report.connections_skipped,
        "scheduled syncs requested"
    );
    Ok(report)
}

/// The requests of one page of tenants (their connections listed [`DispatchOptions::concurrent_listings`]
/// at a time), counting the skipped ones into `report`. A store failure returns before anything of
/// the page is published.
async fn page_requests<S>(
    store: &S,
    tenants: &[Tenant],
    slot: DateTime<Utc>,
    now: DateTime<Utc>,
    options: &DispatchOptions,
    report: &mut DispatchReport,
) -> Result<Vec<DispatchRequest>, StoreError>
where
    S: ConnectionStore + ?Sized,
{
    let (active, skipped): (Vec<&Tenant>, Vec<&Tenant>) = tenants
        .iter()
        .partition(|tenant| tenant.status == TenantStatus::Active && tenant.schedule.enabled);
    // Each tick asks only the tenants whose slot it is: the interval's work is spread over its
    // ticks (the slot is the tick's time, which a retried tick keeps).
    let (active, not_due): (Vec<&Tenant>, Vec<&Tenant>) = active.into_iter().partition(|tenant| {
        options
            .ticks
            .is_due(&tenant.id, tenant.schedule.interval_minutes, slot)
    });
    report.tenants_not_due += not_due.len() as u64;
    // The calls are made up front and the stream only polls them: a stream `map` over borrowed
    // tenants makes the future's `Send` bound higher-ranked, which spawning it cannot prove.
    let listings: Vec<_> = active
        .iter()
        .map(|tenant| store.list_connections(&tenant.id))
        .collect();
    let connections: Vec<_> = futures::stream::iter(listings)
        .buffered(options.concurrent_listings.max(1))
        .try_collect()
        .await?;
    let mut requests = Vec::new();
    for (tenant, connections) in active.into_iter().zip(connections) {
        requests.push(DispatchRequest {
            tenant_id: tenant.id.clone(),
            connection_id: None,
            mode: tenant
                .schedule
                .scheduled_mode(tenant.last_full_sync_at, now),
        });
        for connection in connections {
            if !connection.status.is_syncable() {
                report.connections_skipped += 1;
                continue;
            }
            // Incremental: the sync makes it full until one full sync has finished. A payments
            // platform shows refunds and disputes as new rows, so there are no deletions for a
            // daily full walk (three years of PayPal history) to reconcile.
            requests.push(DispatchRequest {
                tenant_id: tenant.id.clone(),
                connection_id: Some(connection.id),
                mode: SyncMode::Incremental,
            });
        }
    }
    report.tenants_skipped += skipped.len() as u64;
    Ok(requests)
}

/// Publishes `batch`, counts what went into `progress.report` and keeps what did not in
/// `progress.unpublished`. Returns the bus's error, if any.
async fn publish<B: EventBus + ?Sized>(
    bus: &B,
    batch: Vec<DispatchRequest>,
    now: DateTime<Utc>,
    progress: &mut DispatchProgress,
) -> Option<BusError> {
    if batch.is_empty() {
        return None;
    }
    let events: Vec<ProductEvent> = batch.iter().map(|request| event_of(request, now)).collect();
    let failure = bus.publish(&events).await.err();
    let unpublished = failure
        .as_ref()
        .map(|error| error.unpublished(events.len()))
        .unwrap_or_default();
    let mut unpublished = unpublished.into_iter().peekable();
    for (position, request) in batch.into_iter().enumerate() {
        if unpublished.peek() == Some(&position) {
            unpublished.next();
            progress.unpublished.push(request);
        } else if request.connection_id.is_some() {
            progress.report.connections_requested += 1;
        } else {
            progress.report.tenants_requested += 1;
        }
    }
    failure
}

fn event_of(request: &DispatchRequest, now: DateTime<Utc>) -> ProductEvent {
    let event = SyncRequested::tenant(
        request.tenant_id.clone(),
        request.mode,
        SyncTrigger::Schedule,
        now,
    );
    ProductEvent::SyncRequested(match &request.connection_id {
        Some(connection_id) => event.on_connection(connection_id.clone()),
        None => event,
    })
}

/// Saves `progress` at its next version if the record is still at `read_version`; `Ok(false)` when
/// another invocation saved first.
async fn save<S: DispatchStore + ?Sized>(
    store: &S,
    progress: &mut DispatchProgress,
    read_version: &mut Option<u64>,
) -> Result<bool, StoreError> {
    progress.version = read_version.map_or(1, |version| version + 1);
    progress.updated_at = Utc::now();
    let saved = store
        .save_dispatch_progress(progress, *read_version)
        .await?;
    if saved {
        *read_version = Some(progress.version);
    }
    Ok(saved)
}
