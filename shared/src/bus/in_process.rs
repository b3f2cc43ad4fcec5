use std::sync::atomic::{AtomicUsize, Ordering};
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
///
/// Tests and benchmarks can make it fail as EventBridge does ([`Self::refuse_one_in`],
/// [`Self::fail_calls_after`]): refused events are neither delivered nor recorded, and the error
/// names them, as the EventBridge adapter's does.
#[derive(Debug, Clone, Default)]
pub struct InProcessBus {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    subscribers: Mutex<Vec<mpsc::UnboundedSender<DeliveredEvent>>>,
    published: Mutex<Vec<DeliveredEvent>>,
    /// Refuse one event in this many (0: none), counted over every event offered.
    refuse_one_in: AtomicUsize,
    /// Publish calls that may still succeed before every call fails (`usize::MAX`: no outage).
    calls_before_outage: AtomicUsize,
    offered: AtomicUsize,
    calls: AtomicUsize,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            subscribers: Mutex::default(),
            published: Mutex::default(),
            refuse_one_in: AtomicUsize::new(0),
            calls_before_outage: AtomicUsize::new(usize::MAX),
            offered: AtomicUsize::new(0),
            calls: AtomicUsize::new(0),
        }
    }
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

    /// From now on refuses one event in every `n` offered (0 stops refusing), as PutEvents refuses
    /// entries with an `ErrorCode` when throttled.
    pub fn refuse_one_in(&self, n: usize) {
        self.shared.refuse_one_in.store(n, Ordering::SeqCst);
    }

    /// Lets `calls` more publishes through, then fails every publish as a whole (nothing
    /// published), as an unreachable EventBridge does; `usize::MAX` ends the outage.
    pub fn fail_calls_after(&self, calls: usize) {
        self.shared
            .calls_before_outage
            .store(calls, Ordering::SeqCst);
    }

    /// The publish calls made so far, failed ones included.
    pub fn publish_calls(&self) -> usize {
        self.shared.calls.load(Ordering::SeqCst)
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
        self.shared.calls.fetch_add(1, Ordering::SeqCst);
        let outage = self
            .shared
            .calls_before_outage
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| match left {
                0 => None,
                usize::MAX => Some(usize::MAX),
                left => Some(left - 1),
            })
            .is_err();
        if outage {
            return Err(BusError::Unavailable("injected outage".to_string()));
        }
        let refuse_one_in = self.shared.refuse_one_in.load(Ordering::SeqCst);
        let first = self
            .shared
            .offered
            .fetch_add(delivered.len(), Ordering::SeqCst);
        let mut unpublished = Vec::new();
        let delivered: Vec<DeliveredEvent> = delivered
            .into_iter()
            .enumerate()
            .filter_map(|(position, event)| {
                let refused = refuse_one_in > 0 && (first + position).is_multiple_of(refuse_one_in);
                if refused {
                    unpublished.push(position);
                    None
                } else {
                    Some(event)
                }
            })
            .collect();
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
        if unpublished.is_empty() {
            Ok(())
        } else {
            Err(BusError::Partial {
                unpublished,
                total: events.len(),
                message: "ThrottlingException: injected refusal".to_string(),
            })
        }
    }
}
