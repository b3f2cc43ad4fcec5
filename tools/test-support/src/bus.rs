//! Buses for tests of what a failed publish does: the in-process bus behind an injected outage.

use async_trait::async_trait;
use shared::bus::InProcessBus;
use shared::events::ProductEvent;
use shared::ports::{BusError, EventBus};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The in-process bus, refusing the first `failures` publishes as an outage would (with
/// `BusError::Unavailable`); later publishes reach `inner`, whose clones show what was delivered.
pub struct FlakyBus {
    inner: InProcessBus,
    failures_left: AtomicUsize,
}

impl FlakyBus {
    pub fn new(inner: InProcessBus, failures: usize) -> Self {
        Self {
            inner,
            failures_left: AtomicUsize::new(failures),
        }
    }
}

#[async_trait]
impl EventBus for FlakyBus {
    async fn publish(&self, events: &[ProductEvent]) -> Result<(), BusError> {
        let fail = self
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if fail {
            return Err(BusError::Unavailable("injected outage".into()));
        }
        self.inner.publish(events).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::{SyncMode, SyncTrigger, TenantId};
    use shared::events::{SyncRequested, SCHEMA_VERSION};

    fn event() -> ProductEvent {
        ProductEvent::SyncRequested(SyncRequested {
            schema_version: SCHEMA_VERSION,
            tenant_id: TenantId::parse("acme").unwrap(),
            connection_id: None,
            mode: SyncMode::Incremental,
            objects: Vec::new(),
            payment_refs: Vec::new(),
            account_ids: Vec::new(),
            requested_by: SyncTrigger::Schedule,
            sync_id: None,
            requested_at: chrono::Utc::now(),
        })
    }

    #[tokio::test]
    async fn the_first_publishes_fail_and_the_rest_are_delivered() {
        let inner = InProcessBus::new();
        let bus = FlakyBus::new(inner.clone(), 2);
        for _ in 0..2 {
            assert!(matches!(
                bus.publish(&[event()]).await,
                Err(BusError::Unavailable(_))
            ));
        }
        assert!(inner.published().is_empty());
        bus.publish(&[event()]).await.unwrap();
        assert_eq!(inner.published().len(), 1);
    }
}
