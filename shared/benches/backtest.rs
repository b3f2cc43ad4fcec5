//! Issue 18's figures: the backtest of a 10,000-client tenant with a year of daily score history
//! (time and peak memory), and the AUC and calibration error on generated data before and after
//! calibration.
//!
//! The tenant is `test_support::churn_world`: clients whose churn follows a known daily hazard of
//! the signals the score reads. It is scored weekly with the real engine (`score_tenant`, default
//! settings); the daily history between two weekly scores is their linear interpolation (overall
//! and churn risk, rounded), held after the last one, up to the client's churn or the year's end:
//! the stored history a daily scorer would leave, at a seventh of the scoring cost. Points carry
//! no factor parts (`parts` empty, as in points stored before parts were kept): the backtest reads
//! only the date, overall and churn risk.
//!
//! Timed, from the stored points: their conversion to outcomes, `replay` (90-day horizon, one
//! prediction per client per week), the report of all predictions, `ChurnCalibration::fit` on the
//! even clients, and the odd clients' reports before and after `recalibrate` (out of sample).
//! Memory: the heap the history holds before the backtest and the most the backtest adds to it
//! (a counting global allocator), and the process's resident set before and at its peak
//! (VmRSS, VmHWM reset just before via `/proc/self/clear_refs`; it includes memory the allocator
//! kept from generation and scoring).
//!
//! `BACKTEST_CLIENTS` (default 10,000) changes the tenant's size, e.g. for a debug run:
//! `BACKTEST_CLIENTS=2000 cargo test --workspace --bench backtest`.

use chrono::Duration;
use shared::domain::{ScorePoint, ScoringSettings};
use shared::scoring::calibration::{
    replay, BacktestReport, ChurnCalibration, ClientOutcome, ReplayOptions, ScoreObservation,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use test_support::churn_scoring::{of_clients, score_world};
use test_support::churn_world::{ChurnWorld, WorldSettings};

const DEFAULT_CLIENTS: usize = 10_000;
const SEED: u64 = 18;
const SCORE_EVERY_DAYS: i64 = 7;

/// The system allocator, counting live heap bytes and their peak: the backtest's own memory,
/// which the process's resident set hides (the allocator reuses what generation and scoring freed).
struct CountingAllocator;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator with the same arguments; the counters
// only observe sizes.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK_BYTES.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is passed on unchanged.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn heap_mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// A field of /proc/self/status in kB (`VmHWM`, `VmRSS`); `None` off Linux.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Resets VmHWM to the current resident set (Linux 4.0+); false when it could not.
fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mib(kb: Option<u64>) -> String {
    kb.map_or("unknown".to_owned(), |kb| {
        format!("{:.0} MiB", kb as f64 / 1024.0)
    })
}

/// One point a day from the first weekly point to `until` (exclusive): linear between weekly
/// points, held after the last.
fn daily(weekly: &[ScorePoint], until: chrono::DateTime<chrono::Utc>) -> Vec<ScorePoint> {
    let Some(first) = weekly.first() else {
        return Vec::new();
    };
    let mut points = Vec::with_capacity(366);
    let mut at = first.at;
    let mut next = 0;
    while at < until {
        while next + 1 < weekly.len() && weekly[next + 1].at <= at {
            next += 1;
        }
        let before = &weekly[next];
        let (overall, churn_risk) = match weekly.get(next + 1) {
            Some(after) => {
                let share = (at - before.at).num_seconds() as f64
                    / (after.at - before.at).num_seconds().max(1) as f64;
                let lerp = |a: u8, b: u8| {
                    (f64::from(a) + share * (f64::from(b) - f64::from(a))).round() as u8
                };
                (
                    lerp(before.overall, after.overall),
                    lerp(before.churn_risk, after.churn_risk),
                )
            }
            None => (before.overall, before.churn_risk),
        };
        points.push(ScorePoint {
            at,
            overall,
            churn_risk,
            parts: Vec::new(),
            ..before.clone()
        });
        at += Duration::days(1);
    }
    points
}

fn show(label: &str, report: &BacktestReport) {
    let or_none =
        |v: Option<f64>, digits: usize| v.map_or("n/a".to_owned(), |v| format!("{v:.digits$}"));
    println!(
        "  {label}: {} predictions of {} clients, {} positive ({} churned clients); AUC {}, \
         lowest-decile lift {}, ECE {} points",
        report.predictions,
        report.clients,
        report.churned,
        report.churned_clients,
        or_none(report.auc, 3),
        or_none(report.lowest_decile_lift, 2),
        or_none(report.expected_calibration_error, 2),
    );
}

fn main() {
    let clients = std::env::var("BACKTEST_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CLIENTS);
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("backtest of a {clients}-client tenant, one year of daily history ({build} build)");

    let started = Instant::now();
    let world = ChurnWorld::generate(WorldSettings::year(clients, SEED));
    println!(
        "  generated in {:.1?}: {} clients churned in the year",
        started.elapsed(),
        world.churned()
    );
    let started = Instant::now();
    let weekly = score_world(&world, SCORE_EVERY_DAYS, &ScoringSettings::default());
    println!(
        "  scored every {SCORE_EVERY_DAYS} days with score_tenant in {:.1?}",
        started.elapsed()
    );
    let end = world.end();
    let churned_at: Vec<_> = world.clients.iter().map(|c| c.churned_at).collect();
    let history: Vec<Vec<ScorePoint>> = weekly
        .iter()
        .zip(&churned_at)
        .map(|(points, churn)| daily(points, churn.map_or(end, |c| c.min(end))))
        .collect();
    drop(weekly);
    drop(world);
    let points: usize = history.iter().map(Vec::len).sum();
    println!("  daily history: {points} score points");

    let peak_reset = reset_peak_memory();
    let holding = status_kb("VmRSS");
    let heap_before = LIVE_BYTES.load(Ordering::Relaxed);
    PEAK_BYTES.store(heap_before, Ordering::Relaxed);
    let started = Instant::now();
    let outcomes: Vec<ClientOutcome> = history
        .iter()
        .zip(&churned_at)
        .map(|(points, churn)| ClientOutcome {
            points: points.iter().map(ScoreObservation::from).collect(),
            churned_at: *churn,
        })
        .collect();
    let predictions = replay(&outcomes, end, ReplayOptions::default());
    let all = BacktestReport::of(&predictions);
    let fit_on = of_clients(&predictions, |c| c % 2 == 0);
    let held_out = of_clients(&predictions, |c| c % 2 == 1);
    let calibration = ChurnCalibration::fit(&fit_on);
    let before = BacktestReport::of(&held_out);
    let after = calibration
        .as_ref()
        .ok()
        .map(|c| BacktestReport::of(&c.recalibrate(&held_out)));
    let elapsed = started.elapsed();
    let peak = status_kb("VmHWM");
    let heap_peak = PEAK_BYTES.load(Ordering::Relaxed);

    println!(
        "  backtest (outcomes, replay, report, fit, recalibrate) in {elapsed:.1?}; heap: {} of \
         history before it, {} more at its peak",
        heap_mib(heap_before),
        heap_mib(heap_peak.saturating_sub(heap_before)),
    );
    println!(
        "  process resident set: {} before the backtest, peak {} during it{}",
        mib(holding),
        mib(peak),
        if peak_reset {
            ""
        } else {
            " (peak not reset: includes generation and scoring)"
        }
    );
    show("all clients", &all);
    show("held-out half, heuristic", &before);
    match (&calibration, &after) {
        (Ok(c), Some(after)) => {
            println!(
                "  calibration fitted on the other half: {} knots",
                c.knots().len()
            );
            show("held-out half, calibrated", after);
        }
        (Err(e), _) => println!("  no calibration: {e}"),
        (Ok(_), None) => {}
    }
}
