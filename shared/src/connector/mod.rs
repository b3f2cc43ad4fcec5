//! The platform-neutral connector seam: the `CrmSource` port every CRM-like platform implements, and
//! the sync engine that turns any source's records into client snapshots.

pub mod assemble;
pub mod engine;
pub mod source;

pub use engine::{
    run_sync, NoProgress, ProgressUpdate, SyncError, SyncOptions, SyncOutcome, SyncPlan,
    SyncProgress,
};
pub use source::{
    CompanyFields, CrmRecord, CrmSource, FetchWindow, FetchedObjects, RecordBody, RecordPage,
    SourceError,
};
