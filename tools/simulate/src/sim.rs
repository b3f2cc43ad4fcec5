//! The hour, event by event: the schedule's tick starts the dispatch (one sync invocation that lists
//! the active tenants and publishes one `SyncRequested` each), Lambda runs the syncs from its async
//! queue within the reserved concurrency and its scaling rate, long syncs continue through a new
//! event at the back of the queue, each finished sync starts a scoring run, and an event older than
//! the event age limit is discarded. Time is in seconds from the tick.

use crate::assumptions::*;
use crate::model::{score_work, sync_work, ScoreWork, SyncKind, SyncWork, Tenant};
use crate::rng::Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// How one tenant's hour went.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantHour {
    pub kind: SyncKind,
    /// Whether the sync can finish within the hour at all (a full sync of a very large portal cannot:
    /// its HubSpot limit alone takes longer). Only these count as missed when late.
    pub fits_the_hour: bool,
    pub requested_at: f64,
    /// When its first invocation started (after its wait in Lambda's queue).
    pub started_at: Option<f64>,
    pub synced_at: Option<f64>,
    pub scored_at: Option<f64>,
    /// Its event waited past the age limit and was discarded.
    pub dropped: bool,
    /// Times this tenant's sync ran (1, or more with continuations).
    pub invocations: u32,
}

impl TenantHour {
    /// Scored more than an hour after its request (the schedule's period): with one dispatch at
    /// the tick that is the end of the hour; spread, each slot has its own hour.
    pub fn missed(&self) -> bool {
        self.fits_the_hour
            && self
                .scored_at
                .is_none_or(|t| t - self.requested_at > 3600.0)
    }
}

/// Load on one partition key (or the worst of a kind of key).
#[derive(Debug, Clone, PartialEq)]
pub struct Heat {
    pub key: &'static str,
    pub unit: &'static str,
    /// Highest demand in units a second.
    pub peak: f64,
    pub limit: f64,
    /// When demand first went over the limit.
    pub first_over_at: Option<f64>,
    /// Companies of the tenant behind the peak (tenant keys).
    pub tenant_companies: Option<f64>,
}

impl Heat {
    fn new(key: &'static str, unit: &'static str, limit: f64) -> Self {
        Heat {
            key,
            unit,
            peak: 0.0,
            limit,
            first_over_at: None,
            tenant_companies: None,
        }
    }

    fn see(&mut self, demand: f64, at: f64, companies: Option<f64>) {
        if demand > self.peak {
            self.peak = demand;
            self.tenant_companies = companies;
        }
        if demand > self.limit && self.first_over_at.is_none_or(|t| at < t) {
            self.first_over_at = Some(at);
        }
    }
}

/// Everything one simulated hour shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Hour {
    pub reserved: u32,
    pub tenants: Vec<TenantHour>,
    pub dispatch_seconds: f64,
    pub last_request_at: f64,
    pub peak_sync_concurrency: u32,
    pub peak_score_concurrency: u32,
    pub peak_queue: usize,
    pub longest_wait: f64,
    pub sync_invocations: u64,
    pub score_invocations: u64,
    pub cold_starts: u64,
    /// Times an invocation had to wait for Lambda's scaling rate (not for the concurrency cap).
    pub scaling_waits: u64,
    pub sync_gb_seconds: f64,
    pub score_gb_seconds: f64,
    pub peak_put_events_per_second: f64,
    pub peak_rule_invocations_per_second: f64,
    pub heat: Vec<Heat>,
}

impl Hour {
    pub fn missed(&self) -> usize {
        self.tenants.iter().filter(|t| t.missed()).count()
    }
}

/// A function's concurrency: its cap, environments already made, and Lambda's scaling rate.
struct Function {
    limit: u32,
    running: u32,
    environments: u32,
    tokens: f64,
    refilled_at: f64,
    peak: u32,
}

impl Function {
    fn new(limit: u32) -> Self {
        Function {
            limit,
            running: 0,
            environments: 0,
            tokens: LAMBDA_SCALE_PER_10_SECONDS,
            refilled_at: 0.0,
            peak: 0,
        }
    }

    /// Starts an invocation if the cap and the scaling rate allow: `Some(cold)`, or when it could.
    fn start(&mut self, now: f64) -> Result<bool, Option<f64>> {
        if self.running >= self.limit {
            return Err(None);
        }
        let cold = if self.environments > self.running {
            false
        } else {
            let rate = LAMBDA_SCALE_PER_10_SECONDS / 10.0;
            self.tokens =
                (self.tokens + (now - self.refilled_at) * rate).min(LAMBDA_SCALE_PER_10_SECONDS);
            self.refilled_at = now;
            if self.tokens < 1.0 {
                return Err(Some(now + (1.0 - self.tokens) / rate));
            }
            self.tokens -= 1.0;
            self.environments += 1;
            true
        };
        self.running += 1;
        self.peak = self.peak.max(self.running);
        Ok(cold)
    }
}

struct Job {
    tenant: usize,
    remaining: f64,
    enqueued_at: f64,
    first: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    SyncArrives(usize),
    ContinuationArrives(usize),
    SyncEnds(usize),
    ScoreArrives(usize),
    ScoreEnds(usize),
    DispatchEnds,
    Pump,
}

/// Per-second counters of the shared keys and the bus.
struct Seconds(Vec<f64>);

impl Seconds {
    fn new() -> Self {
        Seconds(Vec::new())
    }
    fn add(&mut self, at: f64, amount: f64) {
        let i = at.max(0.0) as usize;
        if self.0.len() <= i {
            self.0.resize(i + 1, 0.0);
        }
        self.0[i] += amount;
    }
    fn peak(&self) -> (f64, f64) {
        self.0
            .iter()
            .enumerate()
            .fold((0.0, 0.0), |(best, at), (i, v)| {
                if *v > best {
                    (*v, i as f64)
                } else {
                    (best, at)
                }
            })
    }
}

struct State<'a> {
    tenants: &'a [Tenant],
    syncs: Vec<SyncWork>,
    scores: Vec<Option<ScoreWork>>,
    out: Vec<TenantHour>,
    jobs: Vec<Job>,
    queue: VecDeque<usize>,
    score_queue: VecDeque<(usize, f64)>,
    sync_fn: Function,
    score_fn: Function,
    heap: BinaryHeap<Reverse<(u64, u64, Event)>>,
    seq: u64,
    hour: Hour,
    put_events: Seconds,
    rule_invocations: Seconds,
    active_index_writes: Seconds,
    alerts_due_writes: Seconds,
    pump_at: Option<f64>,
    continuations_ahead: bool,
}

fn micros(t: f64) -> u64 {
    (t * 1e6).round() as u64
}

impl State<'_> {
    fn at(&mut self, t: f64, event: Event) {
        self.seq += 1;
        self.heap.push(Reverse((micros(t), self.seq, event)));
    }

    fn pump_syncs(&mut self, now: f64) {
        while let Some(&job_id) = self.queue.front() {
            let job = &self.jobs[job_id];
            if now - job.enqueued_at > MAX_EVENT_AGE_SECONDS {
                self.queue.pop_front();
                self.out[job.tenant].dropped = true;
                continue;
            }
            match self.sync_fn.start(now) {
                Ok(cold) => {
                    self.queue.pop_front();
                    self.hour.longest_wait = self.hour.longest_wait.max(now - job.enqueued_at);
                    self.begin_sync(job_id, now, cold);
                }
                Err(when) => {
                    self.retry_at(when);
                    break;
                }
            }
        }
    }

    fn retry_at(&mut self, when: Option<f64>) {
        if let Some(t) = when {
            self.hour.scaling_waits += 1;
            if self.pump_at.is_none_or(|p| t < p) {
                self.pump_at = Some(t);
                self.at(t, Event::Pump);
            }
        }
    }

    fn begin_sync(&mut self, job_id: usize, now: f64, cold: bool) {
        let job = &mut self.jobs[job_id];
        let work = &self.syncs[job.tenant];
        let tenant = &self.tenants[job.tenant];
        if job.first {
            self.out[job.tenant].started_at = Some(now);
            let demand_w = work.write_demand();
            let demand_r = work.read_demand();
            self.hour.heat[0].see(demand_w, now, Some(tenant.companies));
            self.hour.heat[1].see(demand_r, now, Some(tenant.companies));
        } else {
            // A continuation pays the invocation's fixed work again.
            job.remaining += SYNC_FIXED_SECONDS;
        }
        job.first = false;
        let slice = job.remaining.min(crate::model::usable_seconds());
        job.remaining -= slice;
        let duration = slice + if cold { SYNC_COLD_START_SECONDS } else { 0.0 };
        self.hour.sync_invocations += 1;
        self.hour.cold_starts += cold as u64;
        self.hour.sync_gb_seconds += duration * FUNCTION_MEMORY_GB;
        self.out[job.tenant].invocations += 1;
        self.at(now + duration, Event::SyncEnds(job_id));
    }

    fn sync_ends(&mut self, job_id: usize, now: f64) {
        self.sync_fn.running -= 1;
        let job = &self.jobs[job_id];
        let tenant = job.tenant;
        // One PutEvents: the continuation, or `TenantSynced`.
        let published = now + PUT_EVENTS_CALL_SECONDS;
        self.put_events.add(published, 1.0);
        self.rule_invocations
            .add(published + EVENT_DELIVERY_SECONDS, 1.0);
        let arrives = published + EVENT_DELIVERY_SECONDS;
        if job.remaining > 1e-9 {
            self.jobs[job_id].enqueued_at = arrives;
            self.at(arrives, Event::ContinuationArrives(job_id));
        } else {
            self.out[tenant].synced_at = Some(now);
            let work = &self.syncs[tenant];
            if work.active_index_writes > 0.0 {
                self.active_index_writes.add(now, work.active_index_writes);
            }
            self.at(arrives, Event::ScoreArrives(tenant));
        }
        self.pump_syncs(now);
    }

    fn pump_scores(&mut self, now: f64) {
        while let Some(&(tenant, _)) = self.score_queue.front() {
            match self.score_fn.start(now) {
                Ok(cold) => {
                    self.score_queue.pop_front();
                    let changed = self.syncs[tenant].changed_clients;
                    let work = score_work(&self.tenants[tenant], changed);
                    let companies = Some(self.tenants[tenant].companies);
                    self.hour.heat[0].see(work.write_demand(), now, companies);
                    self.hour.heat[2].see(work.scores_index_demand(), now, companies);
                    let duration = work.seconds + if cold { SCORE_COLD_START_SECONDS } else { 0.0 };
                    self.hour.score_invocations += 1;
                    self.hour.cold_starts += cold as u64;
                    self.hour.score_gb_seconds += duration * FUNCTION_MEMORY_GB;
                    let end = now + duration;
                    let calls = (work.events / PUT_EVENTS_ENTRIES as f64).ceil();
                    self.put_events.add(end, calls);
                    self.rule_invocations
                        .add(end + EVENT_DELIVERY_SECONDS, work.events);
                    self.scores[tenant] = Some(work);
                    self.at(end, Event::ScoreEnds(tenant));
                }
                Err(when) => {
                    self.retry_at(when);
                    break;
                }
            }
        }
    }
}

/// The order in which the dispatch publishes the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As the active-tenant index lists them (what `dispatch_scheduled` does): unrelated to size.
    Index,
    /// The longest syncs first (a possible fix: a long daily full sync no longer waits behind
    /// thousands of short ones).
    LongestFirst,
    /// The longest first, and each continuation ahead of the waiting requests (a path of its own,
    /// instead of the back of the queue).
    LongestFirstContinuationsAhead,
    /// Spread over the hour (the product since issue 19): the schedule ticks every
    /// [`SPREAD_TICK_SECONDS`] and each tick publishes the tenants whose slot it is (a hash of the
    /// tenant id), so each tick queues a twelfth of the hour's work and a continuation waits behind
    /// a short queue.
    Spread,
}

/// The spread schedule's tick: 5 minutes, so an hourly tenant falls in one of 12 slots.
pub const SPREAD_TICK_SECONDS: f64 = 300.0;
const SPREAD_TICKS: usize = 12;

/// Simulates the hour after one schedule tick for `tenants` with the sync function's `reserved`
/// concurrency. Deterministic: the same tenants and seed give the same hour.
pub fn simulate_hour(tenants: &[Tenant], reserved: u32, seed: u64) -> Hour {
    simulate_hour_in(tenants, reserved, seed, Order::Index)
}

/// [`simulate_hour`] with the dispatch publishing in `order`.
pub fn simulate_hour_in(tenants: &[Tenant], reserved: u32, seed: u64, order_of: Order) -> Hour {
    let syncs: Vec<SyncWork> = tenants
        .iter()
        .map(|t| {
            let kind = if t.full_sync_hour == 0 {
                SyncKind::DailyFull
            } else {
                SyncKind::Incremental
            };
            sync_work(t, kind)
        })
        .collect();

    // The dispatch: list every page (and each tenant's connections), then publish in calls of 10.
    let n = tenants.len();
    let pages = (n as f64 / DISPATCH_PAGE as f64).ceil().max(1.0);
    let listed_at = SYNC_COLD_START_SECONDS
        + SYNC_FIXED_SECONDS
        + pages * DDB_PAGE_SECONDS
        + n as f64 * DDB_SMALL_QUERY_SECONDS;
    let calls = (n as f64 / PUT_EVENTS_ENTRIES as f64).ceil();
    let dispatch_seconds = listed_at + calls * PUT_EVENTS_CALL_SECONDS;
    // The active-tenant index is read in GSI order, which has nothing to do with size.
    let mut order: Vec<usize> = (0..n).collect();
    Rng::new(seed ^ 0x005E_ED0F_0DE5).shuffle(&mut order);
    if matches!(
        order_of,
        Order::LongestFirst | Order::LongestFirstContinuationsAhead
    ) {
        order.sort_by(|a, b| syncs[*b].seconds.total_cmp(&syncs[*a].seconds));
    }
    // When each tenant's request is published: one dispatch at the tick, or one per slot.
    let spread = order_of == Order::Spread;
    let ticks = if spread { SPREAD_TICKS } else { 1 };
    let mut in_tick = vec![0u64; ticks];
    let mut publish_at = vec![0.0; n];
    let tick_listing = SYNC_FIXED_SECONDS + pages * DDB_PAGE_SECONDS;
    for (position, &tenant) in order.iter().enumerate() {
        let tick = position % ticks;
        let k = in_tick[tick];
        in_tick[tick] += 1;
        publish_at[tenant] = if spread {
            // Every tick lists the active tenants, then reads the connections of its slot's.
            let due = (n / ticks + 1) as f64;
            tick as f64 * SPREAD_TICK_SECONDS
                + SYNC_COLD_START_SECONDS
                + tick_listing
                + due * DDB_SMALL_QUERY_SECONDS
                + ((k / PUT_EVENTS_ENTRIES) as f64 + 1.0) * PUT_EVENTS_CALL_SECONDS
        } else {
            listed_at + ((k / PUT_EVENTS_ENTRIES) as f64 + 1.0) * PUT_EVENTS_CALL_SECONDS
        };
    }
    // The spread's twelve dispatches, each as long as its own tick's work.
    let dispatch_seconds = if spread {
        SYNC_COLD_START_SECONDS
            + tick_listing
            + (n / ticks + 1) as f64 * DDB_SMALL_QUERY_SECONDS
            + ((n / ticks) as f64 / PUT_EVENTS_ENTRIES as f64).ceil() * PUT_EVENTS_CALL_SECONDS
    } else {
        dispatch_seconds
    };

    let mut state = State {
        tenants,
        scores: vec![None; n],
        out: Vec::with_capacity(n),
        jobs: Vec::with_capacity(n),
        queue: VecDeque::new(),
        score_queue: VecDeque::new(),
        sync_fn: Function::new(reserved.max(1)),
        score_fn: Function::new(ACCOUNT_CONCURRENCY.saturating_sub(reserved).max(1)),
        heap: BinaryHeap::new(),
        seq: 0,
        hour: Hour {
            reserved,
            tenants: Vec::new(),
            dispatch_seconds,
            last_request_at: 0.0,
            peak_sync_concurrency: 0,
            peak_score_concurrency: 0,
            peak_queue: 0,
            longest_wait: 0.0,
            sync_invocations: ticks as u64,
            score_invocations: 0,
            cold_starts: 1,
            scaling_waits: 0,
            sync_gb_seconds: dispatch_seconds * ticks as f64 * FUNCTION_MEMORY_GB,
            score_gb_seconds: 0.0,
            peak_put_events_per_second: 0.0,
            peak_rule_invocations_per_second: 0.0,
            heat: vec![
                Heat::new("TENANT#<t> (table)", "WCU/s", PARTITION_WCU),
                Heat::new("TENANT#<t> (table)", "RCU/s", PARTITION_RCU),
                Heat::new("TENANT#<t>#SCORES (gsi1)", "WCU/s", PARTITION_WCU),
                Heat::new("TENANTS#ACTIVE (gsi2)", "RCU/s", PARTITION_RCU),
                Heat::new("TENANTS#ACTIVE (gsi2)", "WCU/s", PARTITION_WCU),
                Heat::new("ALERTS#DUE (gsi2)", "WCU/s", PARTITION_WCU),
                Heat::new("ALERTS#DUE (gsi2)", "RCU/s", PARTITION_RCU),
            ],
        },
        syncs,
        put_events: Seconds::new(),
        rule_invocations: Seconds::new(),
        active_index_writes: Seconds::new(),
        alerts_due_writes: Seconds::new(),
        pump_at: None,
        continuations_ahead: order_of == Order::LongestFirstContinuationsAhead,
    };
    // The dispatch holds one of the sync function's slots while it works.
    let _ = state.sync_fn.start(0.0);
    state.at(dispatch_seconds, Event::DispatchEnds);
    let mut active_reads = Seconds::new();
    let page_rcu = (DISPATCH_PAGE as f64 * TENANT_ITEM_KB / 4.0).ceil() * 0.5;
    for page in 0..pages as usize {
        let t = (page as f64 + 1.0) * listed_at / pages;
        active_reads.add(t, page_rcu);
    }
    for (position, &tenant) in order.iter().enumerate() {
        let published = publish_at[tenant];
        if ((position / ticks) as u64).is_multiple_of(PUT_EVENTS_ENTRIES) {
            state.put_events.add(published, 1.0);
        }
        state
            .rule_invocations
            .add(published + EVENT_DELIVERY_SECONDS, 1.0);
        let requested_at = published + EVENT_DELIVERY_SECONDS;
        state.hour.last_request_at = state.hour.last_request_at.max(requested_at);
        state.jobs.push(Job {
            tenant,
            remaining: state.syncs[tenant].seconds,
            enqueued_at: requested_at,
            first: true,
        });
        let job_id = state.jobs.len() - 1;
        state.at(requested_at, Event::SyncArrives(job_id));
    }
    for work in &state.syncs {
        state.out.push(TenantHour {
            kind: work.kind,
            fits_the_hour: work.seconds + dispatch_seconds < 3600.0,
            requested_at: 0.0,
            started_at: None,
            synced_at: None,
            scored_at: None,
            dropped: false,
            invocations: 0,
        });
    }
    for job in &state.jobs {
        state.out[job.tenant].requested_at = job.enqueued_at;
    }

    while let Some(Reverse((time, _, event))) = state.heap.pop() {
        let now = time as f64 / 1e6;
        match event {
            Event::SyncArrives(job) => {
                state.queue.push_back(job);
                state.hour.peak_queue = state.hour.peak_queue.max(state.queue.len());
                state.pump_syncs(now);
            }
            Event::ContinuationArrives(job) => {
                if state.continuations_ahead {
                    state.queue.push_front(job);
                } else {
                    state.queue.push_back(job);
                }
                state.hour.peak_queue = state.hour.peak_queue.max(state.queue.len());
                state.pump_syncs(now);
            }
            Event::SyncEnds(job) => state.sync_ends(job, now),
            Event::ScoreArrives(tenant) => {
                state.score_queue.push_back((tenant, now));
                state.pump_scores(now);
            }
            Event::ScoreEnds(tenant) => {
                state.score_fn.running -= 1;
                state.out[tenant].scored_at = Some(now);
                // Notify writes the due marker of the alerts it holds back (one small item).
                let marker = ALERT_QUEUED_SHARE * crate::model::wcu(SMALL_ITEM_KB);
                state.alerts_due_writes.add(now, marker);
                state.pump_scores(now);
            }
            Event::DispatchEnds => {
                // The dispatch's invocation ends: its slot is free.
                state.sync_fn.running -= 1;
                state.pump_syncs(now);
            }
            Event::Pump => {
                if state.pump_at.is_some_and(|p| micros(p) <= time) {
                    state.pump_at = None;
                }
                state.pump_syncs(now);
                state.pump_scores(now);
            }
        }
    }

    let mut hour = state.hour;
    hour.peak_sync_concurrency = state.sync_fn.peak;
    hour.peak_score_concurrency = state.score_fn.peak;
    hour.peak_put_events_per_second = state.put_events.peak().0;
    hour.peak_rule_invocations_per_second = state.rule_invocations.peak().0;
    let (reads, at) = active_reads.peak();
    hour.heat[3].see(reads, at, None);
    let (writes, at) = state.active_index_writes.peak();
    hour.heat[4].see(writes, at, None);
    let (writes, at) = state.alerts_due_writes.peak();
    hour.heat[5].see(writes, at, None);
    // The hourly release reads the markers of every tenant with alerts due in one query.
    let markers = n as f64 * ALERT_QUEUED_SHARE;
    hour.heat[6].see((markers * SMALL_ITEM_KB / 4.0).ceil() * 0.5, 0.0, None);
    hour.tenants = state.out;
    hour
}
