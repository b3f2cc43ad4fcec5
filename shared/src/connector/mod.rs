//! The platform-neutral sync engines: `engine` turns a CRM source's records (through the `CrmSource`
//! port in `ports::source`) into client snapshots; `payments` folds a payments source's steps
//! (`PaymentsSource`) into payer records; `accounts` folds an account-like source's steps
//! (`AccountsSource`) into account records and sweeps what a completed walk no longer saw. The two
//! connection engines share the step walk (`walk`); all share the deadline budget, the errors and
//! progress.

pub mod accounts;
pub mod assemble;
pub mod budget;
pub mod engine;
pub mod error;
pub mod payments;
pub mod plan;
pub mod progress;
pub mod walk;

pub use engine::{
    run_sync, NoProgress, ProgressUpdate, SyncError, SyncOptions, SyncOutcome, SyncPlan,
    SyncProgress,
};
