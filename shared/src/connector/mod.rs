//! The platform-neutral sync engine: it turns any source's records (through the `CrmSource` port in
//! `ports::source`) into client snapshots.

pub mod assemble;
pub mod engine;

pub use engine::{
    run_sync, NoProgress, ProgressUpdate, SyncError, SyncOptions, SyncOutcome, SyncPlan,
    SyncProgress,
};
