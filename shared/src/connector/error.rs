//! How a sync fails, in one enum the engines share and the sync handler records.

use crate::domain::SyncStatus;
use crate::ports::source::SourceError;
use crate::ports::StoreError;
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The source's daily quota is spent; a new run after `reset_at` continues.
    #[error("rate limited until {reset_at:?}: {message}")]
    RateLimited {
        reset_at: Option<DateTime<Utc>>,
        message: String,
    },
    /// The credentials are dead: someone must authorise again. The sync handler records it on the
    /// tenant (HubSpot) or on the connection.
    #[error("the credentials must be given again: {reason}")]
    NeedsReauth { reason: String },
    #[error(transparent)]
    Source(SourceError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The invocation ended without fetching a single page, so a continuation would make no progress
    /// either: the run stops instead of continuing forever.
    #[error(
        "this invocation had {budget_ms} ms before its deadline and fetched no page (it keeps \
         {reserve_ms} ms to save its work): raise the sync function's timeout"
    )]
    NoProgress { budget_ms: u128, reserve_ms: u128 },
    /// The source answered a step with the cursor it was given (or one it gave before): following
    /// it would loop, so the run stops.
    #[error(
        "the source's walk made no progress (step {cursor:?} led back to a step already taken): \
         stopped so that the run cannot loop"
    )]
    WalkStalled { cursor: Option<String> },
}

impl SyncError {
    /// The status a `SyncRun` records for this failure.
    pub fn status(&self) -> SyncStatus {
        match self {
            SyncError::RateLimited { .. } => SyncStatus::RateLimited,
            SyncError::NeedsReauth { .. } => SyncStatus::NeedsReauth,
            _ => SyncStatus::Failed,
        }
    }

    /// Whether retrying the same request soon may succeed (EventBridge retry vs dead letter).
    pub fn is_retryable(&self) -> bool {
        match self {
            SyncError::Source(e) => matches!(e, SourceError::Unavailable { .. }),
            SyncError::Store(e) => e.is_retryable(),
            SyncError::RateLimited { .. }
            | SyncError::NeedsReauth { .. }
            | SyncError::NoProgress { .. }
            | SyncError::WalkStalled { .. } => false,
        }
    }
}

impl From<SourceError> for SyncError {
    fn from(error: SourceError) -> Self {
        match error {
            SourceError::RateLimited { reset_at, message } => {
                SyncError::RateLimited { reset_at, message }
            }
            SourceError::NeedsReauth { reason } => SyncError::NeedsReauth { reason },
            other => SyncError::Source(other),
        }
    }
}
