//! The score run a page of clients at a time, so a tenant of 100,000 clients fits the score
//! function's memory (1,024 MB): the whole-tenant run (`score_whole`) held every snapshot, score,
//! insight and about 110 history points a client at once.
//!
//! Clients are independent once the tenant's figures are known, so the run passes over the
//! snapshot pages three times (a tenant that fits one page is read once and kept):
//! 1. what matching needs of each client (`ClientProfile`, only when the tenant has records to
//!    match), the current client ids, and the revenue figures; matching then runs, so a record it
//!    links counts in this run's scores;
//! 2. with each page's linked records, each client's overall (it reads only the revenue
//!    distribution, not history) and Pax8 holdings: the healthy clients' median revenue and the
//!    product peers;
//! 3. each page's histories, stored scores, insights, linked records and outcomes: scored,
//!    reconciled and written before the next page is read; its change events go out after its
//!    writes. The summary, `ScoresUpdated`'s counts and the outcome changes (for the backtest)
//!    add up across pages, and the last page writes the summary and publishes `ScoresUpdated`
//!    behind its own events, so a consumer of it still reads a finished run.
//!
//! Clients whose score has no snapshot any more (they left the CRM) are found from the stored
//! scores' ids; the first page of them goes with the last page of snapshots (a small tenant scores
//! exactly as the whole-tenant run did, events in the same order), any further ones page by page.
//! Every write is idempotent, so a retry after a failure mid-run converges like before.

use crate::domain::{
    ClientId, ClientOutcomeRecord, ClientOverride, ClientSnapshot, HealthBand, HealthScore,
    Insight, InsightId, Tenant, TenantCalibration, TenantId, TenantSummary, TrendPoint,
};
use crate::events::{ProductEvent, ScoreDrop, ScoresUpdated, TenantSynced, SCHEMA_VERSION};
use crate::handlers::correlate::{correlate_profiles, has_records_to_match};
use crate::handlers::score::{
    after_run, calibrate_with_history, histories, linked_records, score_drops, ScoreError,
    ScoreRunStore,
};
use crate::matching::ClientProfile;
use crate::ports::{EventBus, PageRequest, ScoreQuery, SnapshotStore, StoreError};
use crate::scoring::outcomes::{merge_outcomes, observe_outcomes};
use crate::scoring::{
    derive_features, derive_linked_features, health_changes, insight_events, reconcile_insights,
    score_client, score_linked_clients, settings_for, LinkedRecords, ProductHolding, ProductPeers,
    TenantContext,
};
use crate::store::every_page_mapped;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// Scores `event.tenant_id` at `now`, `page_size` clients at a time (at least 1); what
/// `handle_tenant_synced` does with [`crate::handlers::score::SCORE_PAGE`].
pub async fn score_in_pages<S, B>(
    store: &S,
    bus: &B,
    event: &TenantSynced,
    now: DateTime<Utc>,
    page_size: usize,
) -> Result<ScoresUpdated, ScoreError>
where
    S: ScoreRunStore + ?Sized,
    B: EventBus + ?Sized,
{
    let page_size = page_size.max(1);
    let tenant = store.get_tenant(&event.tenant_id).await?;
    let tenant_id = &tenant.id;
    let matching = has_records_to_match(store, &tenant).await?;
    let all = &ScoreQuery::default();
    let (first, scored_before) = tokio::try_join!(
        first_pass(store, &tenant, matching, page_size, now),
        every_page_mapped(
            |page| async move { store.list_scores(tenant_id, all, &page).await },
            |score| score.client_id,
        ),
    )?;
    if matching {
        // Matching first, so a record linked by this run counts in this run's scores.
        correlate_profiles(store, &tenant, &first.profiles, now).await?;
    }
    // Clients with a score but no snapshot left the CRM: their score goes, their insights resolve.
    let mut gone: Vec<ClientId> = scored_before
        .into_iter()
        .filter(|id| !first.current.contains(id))
        .collect();
    gone.sort();
    let (overrides, outcomes, calibration, previous_summary) = tokio::try_join!(
        store.tenant_overrides(tenant_id),
        store.outcomes(tenant_id),
        store.get_calibration(tenant_id),
        store.get_summary(tenant_id),
    )?;
    let mut overrides_of: HashMap<ClientId, Vec<ClientOverride>> = HashMap::new();
    for o in overrides {
        overrides_of.entry(o.client_id.clone()).or_default().push(o);
    }
    let ctx = second_pass(
        store,
        &tenant,
        first.revenues,
        first.kept.clone(),
        &overrides_of,
        page_size,
        now,
    )
    .await?;

    let mut run = PagedRun {
        tenant: &tenant,
        event,
        ctx,
        overrides: overrides_of,
        outcomes: outcomes
            .into_iter()
            .map(|r| (r.client_id.clone(), r))
            .collect(),
        calibration,
        summary: TenantSummary::of(&[] as &[HealthScore], &[] as &[Insight], now),
        summary_version: previous_summary.map_or(0, |s| s.version),
        totals: Totals::default(),
        now,
    };
    let mut gone_pages = gone.chunks(page_size);
    let mut pages = SnapshotPages::new(store, tenant_id, page_size, first.kept);
    while let Some((snapshots, listed_all)) = pages.next().await? {
        let gone_part = if listed_all {
            gone_pages.next().unwrap_or(&[])
        } else {
            &[]
        };
        let last = listed_all && gone_pages.len() == 0;
        run.score_page(store, bus, &snapshots, gone_part, last)
            .await?;
    }
    while let Some(gone_part) = gone_pages.next() {
        let last = gone_pages.len() == 0;
        run.score_page(store, bus, &[], gone_part, last).await?;
    }

    let PagedRun {
        totals,
        outcomes,
        calibration,
        ..
    } = run;
    let updated = totals.updated(&tenant, event);
    let outcome_changes = totals.outcome_changes;
    after_run(
        store,
        &tenant,
        &updated,
        gone.len(),
        calibration.as_ref(),
        || merge_outcomes(outcomes.into_values().collect(), &outcome_changes),
        now,
    )
    .await;
    tracing::info!(
        tenant = %tenant.id,
        sync_id = %event.sync_id,
        clients = updated.clients_scored,
        pages = totals.pages,
        page_size,
        history_points = totals.history_points,
        clients_gone = gone.len(),
        clients_linked = totals.clients_linked,
        insights_written = totals.insights_written,
        // Changed by a user while this run scored; the next run sees their change.
        insights_left_to_users = totals.insights_stale,
        opened = updated.insights_opened,
        resolved = updated.insights_resolved,
        drops = updated.score_drops.len(),
        events = totals.events,
        "scored tenant"
    );
    Ok(updated)
}

/// What the first pass keeps: the tenant-wide figures, not the snapshots (unless one page held
/// them all).
struct FirstPass {
    current: HashSet<ClientId>,
    revenues: Vec<f64>,
    /// Empty when the tenant has nothing to match.
    profiles: Vec<ClientProfile>,
    /// The tenant's snapshots when the first page held them all: the other passes read them here.
    kept: Option<Vec<ClientSnapshot>>,
}

async fn first_pass<S: SnapshotStore + ?Sized>(
    store: &S,
    tenant: &Tenant,
    matching: bool,
    page_size: usize,
    now: DateTime<Utc>,
) -> Result<FirstPass, StoreError> {
    let mut pass = FirstPass {
        current: HashSet::new(),
        revenues: Vec::new(),
        profiles: Vec::new(),
        kept: None,
    };
    let mut pages = SnapshotPages::new(store, &tenant.id, page_size, None);
    let mut first = true;
    while let Some((snapshots, listed_all)) = pages.next().await? {
        for snapshot in &snapshots {
            pass.current.insert(snapshot.client_id.clone());
            // Revenue is the snapshot's own (deals, reported revenue): linked records add none.
            let features = derive_features(snapshot, &tenant.settings, now);
            pass.revenues.extend(features.revenue.amount());
            if matching {
                pass.profiles.push(ClientProfile::from(snapshot));
            }
        }
        if first && listed_all {
            pass.kept = Some(snapshots);
        }
        first = false;
    }
    Ok(pass)
}

/// The tenant's context: the revenue distribution of the first pass, then each client's overall
/// and Pax8 holdings, page by page, for the healthy clients' median revenue and the product peers.
async fn second_pass<S: ScoreRunStore + ?Sized>(
    store: &S,
    tenant: &Tenant,
    revenues: Vec<f64>,
    kept: Option<Vec<ClientSnapshot>>,
    overrides: &HashMap<ClientId, Vec<ClientOverride>>,
    page_size: usize,
    now: DateTime<Utc>,
) -> Result<TenantContext, StoreError> {
    let by_revenue = TenantContext::from_figures(revenues.clone(), ProductPeers::default());
    let nothing_linked = LinkedRecords::default();
    let (mut healthy, mut holdings) = (Vec::new(), Vec::new());
    let mut pages = SnapshotPages::new(store, &tenant.id, page_size, kept);
    while let Some((snapshots, _)) = pages.next().await? {
        let linked = page_linked(store, &tenant.id, &snapshots, overrides).await?;
        for snapshot in &snapshots {
            let records = linked.get(&snapshot.client_id).unwrap_or(&nothing_linked);
            let features = derive_linked_features(snapshot, records, &tenant.settings, now);
            holdings.extend(ProductHolding::of(&features));
            let own = settings_for(&features, &tenant.settings);
            // The overall reads no history and no product peers: the revenue context suffices.
            let score = score_client(&features, &by_revenue, &own.settings, &[], now);
            if HealthBand::of(score.overall) == HealthBand::Healthy {
                healthy.extend(features.revenue.amount());
            }
        }
    }
    Ok(
        TenantContext::from_figures(revenues, ProductPeers::from_holdings(holdings))
            .with_healthy_revenues(healthy),
    )
}

/// The records linked to a page's clients, with the users' overrides of them.
async fn page_linked<S: ScoreRunStore + ?Sized>(
    store: &S,
    tenant: &TenantId,
    snapshots: &[ClientSnapshot],
    overrides: &HashMap<ClientId, Vec<ClientOverride>>,
) -> Result<HashMap<ClientId, LinkedRecords>, StoreError> {
    let ids: Vec<ClientId> = snapshots.iter().map(|s| s.client_id.clone()).collect();
    let mut linked = linked_records(store, tenant, &ids).await?;
    for id in &ids {
        if let Some(own) = overrides.get(id) {
            linked
                .entry(id.clone())
                .or_default()
                .overrides
                .extend(own.iter().cloned());
        }
    }
    Ok(linked)
}

/// What adds up across pages.
#[derive(Default)]
struct Totals {
    pages: usize,
    clients_scored: u64,
    insights_opened: u64,
    insights_resolved: u64,
    score_drops: Vec<ScoreDrop>,
    outcome_changes: Vec<ClientOutcomeRecord>,
    history_points: usize,
    clients_linked: usize,
    insights_written: u64,
    insights_stale: u64,
    events: usize,
}

impl Totals {
    fn updated(&self, tenant: &Tenant, event: &TenantSynced) -> ScoresUpdated {
        ScoresUpdated {
            schema_version: SCHEMA_VERSION,
            tenant_id: tenant.id.clone(),
            sync_id: event.sync_id.clone(),
            clients_scored: self.clients_scored,
            insights_opened: self.insights_opened,
            insights_resolved: self.insights_resolved,
            score_drops: self.score_drops.clone(),
        }
    }
}

/// The run between pages: the tenant's figures and what has added up so far.
struct PagedRun<'a> {
    tenant: &'a Tenant,
    event: &'a TenantSynced,
    ctx: TenantContext,
    overrides: HashMap<ClientId, Vec<ClientOverride>>,
    outcomes: HashMap<ClientId, ClientOutcomeRecord>,
    calibration: Option<TenantCalibration>,
    /// Counted page by page; written by the last page.
    summary: TenantSummary,
    summary_version: u64,
    totals: Totals,
    now: DateTime<Utc>,
}

impl PagedRun<'_> {
    /// Scores `snapshots`, resolves the insights of `gone` (clients that left the CRM), writes both
    /// and publishes their change events; the `last` page also writes the summary and publishes
    /// `ScoresUpdated`.
    async fn score_page<S, B>(
        &mut self,
        store: &S,
        bus: &B,
        snapshots: &[ClientSnapshot],
        gone: &[ClientId],
        last: bool,
    ) -> Result<(), ScoreError>
    where
        S: ScoreRunStore + ?Sized,
        B: EventBus + ?Sized,
    {
        let (tenant, now) = (self.tenant, self.now);
        let ids: Vec<ClientId> = snapshots.iter().map(|s| s.client_id.clone()).collect();
        let with_gone: Vec<ClientId> = ids.iter().chain(gone).cloned().collect();
        let (histories, existing, stored, linked) = tokio::try_join!(
            histories(store, &tenant.id, &ids, now),
            store.insights_for_clients(&tenant.id, &with_gone),
            store.get_scores(&tenant.id, &ids),
            page_linked(store, &tenant.id, snapshots, &self.overrides),
        )?;
        let previous: HashMap<ClientId, HealthScore> = stored
            .into_iter()
            .map(|s| (s.client_id.clone(), s))
            .collect();
        let mut scored = score_linked_clients(
            &tenant.id,
            snapshots,
            &linked,
            &histories,
            &tenant.settings,
            &self.ctx,
            now,
        );
        let changes = reconcile_insights(&existing, scored.insights, now);
        let known: Vec<ClientOutcomeRecord> = with_gone
            .iter()
            .filter_map(|id| self.outcomes.get(id).cloned())
            .collect();
        let outcome_changes = observe_outcomes(
            &known,
            snapshots,
            gone,
            &linked,
            &tenant.settings.outcomes,
            now,
        );
        let points = calibrate_with_history(
            &mut scored.scores,
            self.calibration
                .as_ref()
                .and_then(|c| c.calibration.as_ref()),
            &previous,
            &histories,
            now,
        );
        let drops = score_drops(tenant, &scored.scores, &previous);
        let health_changed = health_changes(
            &tenant.id,
            &self.event.sync_id,
            &previous,
            &scored.scores,
            snapshots,
        );
        let insight_events = insight_events(
            &tenant.id,
            &self.event.sync_id,
            &changes,
            &previous,
            snapshots,
            now,
        );
        // The page's insights as they are once its writes land.
        let mut after: HashMap<&InsightId, &Insight> =
            existing.iter().map(|i| (&i.id, i)).collect();
        after.extend(changes.to_write.iter().map(|i| (&i.id, i)));
        self.summary.add(&scored.scores, after.into_values());

        let retention = tenant.settings.history_retention_days;
        let (_, _, insights_report, _, _) = tokio::try_join!(
            store.put_scores(&tenant.id, &scored.scores),
            store.append_history(&tenant.id, &points, retention),
            store.put_insights(&tenant.id, &changes.to_write),
            store.delete_scores(&tenant.id, gone),
            store.put_outcomes(&tenant.id, &outcome_changes),
        )?;

        let totals = &mut self.totals;
        totals.pages += 1;
        totals.clients_scored += scored.scores.len() as u64;
        totals.insights_opened += changes.opened;
        totals.insights_resolved += changes.resolved;
        totals.score_drops.extend(drops);
        totals.outcome_changes.extend(outcome_changes);
        totals.history_points += points.len();
        totals.clients_linked += linked.len();
        totals.insights_written += insights_report.items_written;
        totals.insights_stale += insights_report.items_stale;

        let mut events: Vec<ProductEvent> = health_changed
            .into_iter()
            .map(ProductEvent::ClientHealthChanged)
            .chain(
                insight_events
                    .opened
                    .into_iter()
                    .map(ProductEvent::InsightOpened),
            )
            .chain(
                insight_events
                    .resolved
                    .into_iter()
                    .map(ProductEvent::InsightResolved),
            )
            .collect();
        if last {
            // Written whole as the next version, so a status change that read the old one
            // retries on it.
            let mut summary = self.summary.clone();
            summary.version = self.summary_version;
            // The day of `now`, not of the wall clock: a backfill scoring past days writes theirs.
            let trend_point = TrendPoint::of(&summary);
            tokio::try_join!(
                store.put_summary(&tenant.id, &summary, false),
                store.put_trend_point(&tenant.id, &trend_point, retention),
            )?;
            events.push(ProductEvent::ScoresUpdated(
                totals.updated(tenant, self.event),
            ));
        }
        totals.events += events.len();
        // After the page's writes, as the whole-tenant run published after its writes: a failure
        // here fails the invocation, and its retry finds this page unchanged and sends nothing
        // twice.
        if !events.is_empty() {
            bus.publish(&events).await?;
        }
        Ok(())
    }
}

/// The tenant's snapshots a page at a time (listing pages of at most `PageRequest::MAX_LIMIT`
/// gathered up to `size`), or the kept page of a tenant that fits one. Yields each page with
/// whether it is the last; a tenant without snapshots yields one empty last page.
struct SnapshotPages<'a, S: ?Sized> {
    store: &'a S,
    tenant: &'a TenantId,
    size: usize,
    kept: Option<Vec<ClientSnapshot>>,
    cursor: Option<String>,
    listed_all: bool,
    finished: bool,
}

impl<'a, S: SnapshotStore + ?Sized> SnapshotPages<'a, S> {
    fn new(
        store: &'a S,
        tenant: &'a TenantId,
        size: usize,
        kept: Option<Vec<ClientSnapshot>>,
    ) -> Self {
        Self {
            store,
            tenant,
            size: size.max(1),
            kept,
            cursor: None,
            listed_all: false,
            finished: false,
        }
    }

    async fn next(&mut self) -> Result<Option<(Vec<ClientSnapshot>, bool)>, StoreError> {
        if self.finished {
            return Ok(None);
        }
        if let Some(kept) = self.kept.take() {
            self.finished = true;
            return Ok(Some((kept, true)));
        }
        let mut items = Vec::new();
        while items.len() < self.size && !self.listed_all {
            let wanted = (self.size - items.len()).min(PageRequest::MAX_LIMIT as usize);
            let request = PageRequest {
                limit: wanted as u32,
                cursor: self.cursor.clone(),
            };
            let got = self.store.list_snapshots(self.tenant, &request).await?;
            items.extend(got.items);
            match got.next_cursor {
                Some(cursor) if self.cursor.as_deref() == Some(cursor.as_str()) => {
                    return Err(StoreError::Corrupt(
                        "a listing answered the cursor it was given".into(),
                    ))
                }
                Some(cursor) => self.cursor = Some(cursor),
                None => self.listed_all = true,
            }
        }
        self.finished = self.listed_all;
        Ok(Some((items, self.listed_all)))
    }
}
