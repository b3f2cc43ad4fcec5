use crate::events::ProductEvent;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Some entries were refused after retries; the caller may retry the whole publish.
    #[error("{failed} of {total} events could not be published: {message}")]
    Partial {
        failed: usize,
        total: usize,
        message: String,
    },
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
    #[error("event could not be encoded: {0}")]
    Encoding(String),
}

impl BusError {
    pub fn is_retryable(&self) -> bool {
        !matches!(self, BusError::Encoding(_))
    }
}

/// Publishes product events. The EventBridge adapter sends PutEvents in batches of 10 and retries
/// failed entries; the in-process adapter delivers to local subscribers.
#[async_trait::async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, events: &[ProductEvent]) -> Result<(), BusError>;
}
