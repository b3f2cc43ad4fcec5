//! Progress of a sync's walks: the local runner draws bars, the Lambda logs.

use crate::domain::ObjectType;

/// Progress of one object type's walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressUpdate {
    pub object_type: ObjectType,
    /// Records fetched by this invocation so far.
    pub fetched: u64,
    /// How many the walk will yield, when the source says.
    pub total_hint: Option<u64>,
    pub done: bool,
}

/// Receives progress (the local runner draws bars; the Lambda logs).
pub trait SyncProgress: Send + Sync {
    fn update(&self, update: &ProgressUpdate);
}

impl<F: Fn(&ProgressUpdate) + Send + Sync> SyncProgress for F {
    fn update(&self, update: &ProgressUpdate) {
        self(update)
    }
}

/// Ignores progress.
pub struct NoProgress;

impl SyncProgress for NoProgress {
    fn update(&self, _: &ProgressUpdate) {}
}
