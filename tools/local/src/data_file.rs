//! Keeping `--data-file` current. A user's change (acknowledge, dismiss, settings) is saved before
//! its answer goes out, so `kill -9` right after cannot lose it; the sync's own writes are saved
//! every few seconds and after each scoring. Every save goes through `MemoryStore::save`, which
//! writes atomically (a temporary file, then a rename) and one save at a time, so the periodic save,
//! the save after scoring and the save after a change never write the temporary file together.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use shared::ports::StoreError;
use shared::store::MemoryStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The sync's writes are saved at least this often.
const SAVE_EVERY: Duration = Duration::from_secs(10);

/// The store behind `--data-file`.
#[derive(Clone)]
pub struct DataFile {
    store: Arc<MemoryStore>,
}

impl DataFile {
    pub fn new(store: Arc<MemoryStore>) -> Self {
        Self { store }
    }

    /// Saves the store to its file, off the async threads (a save serialises the whole store).
    pub async fn save(&self) -> Result<(), StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.save())
            .await
            .unwrap_or_else(|e| Err(StoreError::Unavailable(format!("the save stopped: {e}"))))
    }

    /// Saves, telling the user when it failed (the data stays in memory and the next save retries).
    pub async fn save_or_report(&self) {
        if let Err(error) = self.save().await {
            eprintln!("Could not save the data file: {error}");
        }
    }

    /// Saves every [`SAVE_EVERY`] until the runner stops.
    pub async fn save_periodically(self, mut stopped: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(SAVE_EVERY);
        loop {
            tokio::select! {
                () = stopping(&mut stopped) => break,
                _ = ticks.tick() => self.save_or_report().await,
            }
        }
    }
}

/// Resolves once the runner is stopping (the guard `wait_for` returns is not `Send`: dropped here).
async fn stopping(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await.map(|_| ());
}

/// Middleware: once a request that changes data (any method but GET, HEAD and OPTIONS) succeeded,
/// saves the data file before answering, so the answer means the change is on disk.
pub async fn save_after_change(
    State(file): State<DataFile>,
    request: Request,
    next: Next,
) -> Response {
    let changes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let response = next.run(request).await;
    if changes && response.status().is_success() {
        file.save_or_report().await;
    }
    response
}
