use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc;

use crate::bus::DeliveredEvent;
use crate::events::ProductEvent;
use crate::ports::bus::{BusError, EventBus};

/// A bus inside the process: every published event is recorded and delivered to every subscriber, as
/// EventBridge would deliver it to a rule target. Clones share the same subscribers and record.
///
/// Subscribers' channels are unbounded so a publisher never waits on a slow reader; a subscriber that
/// stops reading should drop its receiver, and it is then forgotten at the next publish.
#[derive(Debug, Clone, Default)]
pub struct InProcessBus {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    subscribers: Mutex<Vec<mpsc::UnboundedSender<DeliveredEvent>>>,
    published: Mutex<Vec<DeliveredEvent>>,
}

impl InProcessBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// Receives every event published after this call, in publish order.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<DeliveredEvent> {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.shared
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(sender);
        receiver
    }

    /// Every event published so far, in publish order.
    pub fn published(&self) -> Vec<DeliveredEvent> {
        self.shared
            .published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait::async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, events: &[ProductEvent]) -> Result<(), BusError> {
        // Encode everything first, like the EventBridge adapter: a bad event publishes nothing.
        let delivered = events
            .iter()
            .map(|event| {
                DeliveredEvent::of(event)
                    .map_err(|e| BusError::Encoding(format!("{}: {e}", event.detail_type())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        {
            let mut subscribers = self
                .shared
                .subscribers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            subscribers.retain(|subscriber| {
                delivered
                    .iter()
                    .all(|event| subscriber.send(event.clone()).is_ok())
            });
        }
        self.shared
            .published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(delivered);
        Ok(())
    }
}
