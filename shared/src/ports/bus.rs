use crate::events::ProductEvent;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Some events were not published (refused after retries, or their call failed); every other
    /// event was. `unpublished` holds their positions in the slice given to `publish`, ascending,
    /// so a caller retries exactly those and never asks twice for the rest.
    #[error("{} of {total} events could not be published: {message}", unpublished.len())]
    Partial {
        unpublished: Vec<usize>,
        total: usize,
        message: String,
    },
    /// Nothing was published.
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
    /// Nothing was published: every event is encoded before any is sent.
    #[error("event could not be encoded: {0}")]
    Encoding(String),
}

impl BusError {
    pub fn is_retryable(&self) -> bool {
        !matches!(self, BusError::Encoding(_))
    }

    /// The positions, among the `total` events given to `publish`, of those this failure left
    /// unpublished: the ones `Partial` names, or all of them.
    pub fn unpublished(&self, total: usize) -> Vec<usize> {
        match self {
            BusError::Partial { unpublished, .. } => unpublished.clone(),
            BusError::Unavailable(_) | BusError::Encoding(_) => (0..total).collect(),
        }
    }
}

/// Publishes product events. The EventBridge adapter sends PutEvents in batches of 10 and retries
/// failed entries; the in-process adapter delivers to local subscribers. A failure says which
/// events were not published ([`BusError::unpublished`]); the others were, once.
#[async_trait::async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, events: &[ProductEvent]) -> Result<(), BusError>;
}
