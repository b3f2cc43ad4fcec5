//! One suite for the `EventBus` port, run against both adapters: EventBridge (on moto's server: a custom bus,
//! a rule per detail-type with an SQS target, events read back from the queue) and the in-process bus.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use shared::bus::{DeliveredEvent, EventBridgeBus, InProcessBus, RetryPolicy};
use shared::domain::{ClientId, ObjectType, SyncId, SyncMode, SyncTrigger, TenantId};
use shared::events::{
    ProductEvent, ScoreDrop, ScoresUpdated, SyncRequested, TenantSynced, EVENT_SOURCE,
    SCHEMA_VERSION,
};
use shared::ports::bus::{BusError, EventBus};
use tokio::sync::mpsc;

fn id<T: std::str::FromStr>(value: String) -> T
where
    T::Err: std::fmt::Debug,
{
    match value.parse() {
        Ok(id) => id,
        Err(error) => panic!("bad test id {value}: {error:?}"),
    }
}

/// `count` events cycling through the three detail-types, each distinguishable by its tenant.
fn sample_events(count: usize) -> Vec<ProductEvent> {
    let at = |minute: u32| match Utc.with_ymd_and_hms(2026, 11, 26, 10, minute, 0).single() {
        Some(at) => at,
        None => panic!("bad test time"),
    };
    (0..count)
        .map(|n| {
            let tenant_id: TenantId = id(format!("tenant-{n}"));
            let sync_id: SyncId = id(format!("sync-{n}"));
            match n % 3 {
                0 => ProductEvent::SyncRequested(SyncRequested {
                    schema_version: SCHEMA_VERSION,
                    tenant_id,
                    connection_id: None,
                    mode: SyncMode::Incremental,
                    objects: Vec::new(),
                    payment_refs: Vec::new(),
                    account_ids: Vec::new(),
                    requested_by: SyncTrigger::Schedule,
                    sync_id: None,
                    requested_at: at(1),
                }),
                1 => ProductEvent::TenantSynced(TenantSynced {
                    schema_version: SCHEMA_VERSION,
                    tenant_id,
                    sync_id,
                    mode: SyncMode::Full,
                    started_at: at(2),
                    finished_at: at(3),
                    counts: BTreeMap::from([
                        (ObjectType::Companies, n as u64),
                        (ObjectType::Deals, 7),
                    ]),
                    changed_client_ids: vec![id(format!("client-{n}"))],
                    changed_clients: 1,
                }),
                _ => ProductEvent::ScoresUpdated(ScoresUpdated {
                    schema_version: SCHEMA_VERSION,
                    tenant_id,
                    sync_id,
                    clients_scored: 40 + n as u64,
                    insights_opened: 3,
                    insights_resolved: 1,
                    score_drops: vec![ScoreDrop {
                        client_id: id::<ClientId>(format!("client-{n}")),
                        previous: 80,
                        current: 60,
                    }],
                }),
            }
        })
        .collect()
}

/// A bus under test, with a way to read back what its subscribers (rule targets) received.
#[async_trait::async_trait]
trait BusUnderTest {
    fn bus(&self) -> &dyn EventBus;
    /// What was delivered since the last call: waits until `expected` have arrived (or a bound passes), then
    /// also returns any extra deliveries.
    async fn delivered(&mut self, expected: usize) -> Vec<DeliveredEvent>;
}

struct InProcess {
    bus: InProcessBus,
    subscriber: mpsc::UnboundedReceiver<DeliveredEvent>,
}

impl InProcess {
    fn new() -> Self {
        let bus = InProcessBus::new();
        let subscriber = bus.subscribe();
        Self { bus, subscriber }
    }
}

#[async_trait::async_trait]
impl BusUnderTest for InProcess {
    fn bus(&self) -> &dyn EventBus {
        &self.bus
    }

    async fn delivered(&mut self, expected: usize) -> Vec<DeliveredEvent> {
        let mut received = Vec::new();
        while received.len() < expected {
            match tokio::time::timeout(Duration::from_secs(5), self.subscriber.recv()).await {
                Ok(Some(event)) => received.push(event),
                Ok(None) | Err(_) => break,
            }
        }
        while let Ok(extra) = self.subscriber.try_recv() {
            received.push(extra);
        }
        received
    }
}

/// The in-process bus refusing one entry in `n`, as PutEvents refuses throttled entries.
struct RefusingInProcess(InProcess);

impl RefusingInProcess {
    fn new(n: usize) -> Self {
        let inner = InProcess::new();
        inner.bus.refuse_one_in(n);
        Self(inner)
    }
}

#[async_trait::async_trait]
impl BusUnderTest for RefusingInProcess {
    fn bus(&self) -> &dyn EventBus {
        self.0.bus()
    }

    async fn delivered(&mut self, expected: usize) -> Vec<DeliveredEvent> {
        self.0.delivered(expected).await
    }
}

struct OnMoto {
    bus: EventBridgeBus,
    sqs: aws_sdk_sqs::Client,
    queue: test_support::TestQueue,
}

impl OnMoto {
    async fn new() -> Self {
        let eventbridge = test_support::eventbridge().await;
        let sqs = test_support::sqs().await;
        let bus_name = test_support::create_event_bus(&eventbridge, "insights").await;
        let queue = test_support::create_queue(&sqs, "insights-events").await;
        test_support::route_detail_types_to_queue(
            &eventbridge,
            &bus_name,
            EVENT_SOURCE,
            &ProductEvent::DETAIL_TYPES,
            &queue,
        )
        .await;
        Self {
            bus: EventBridgeBus::new(eventbridge, bus_name),
            sqs,
            queue,
        }
    }
}

#[async_trait::async_trait]
impl BusUnderTest for OnMoto {
    fn bus(&self) -> &dyn EventBus {
        &self.bus
    }

    async fn delivered(&mut self, expected: usize) -> Vec<DeliveredEvent> {
        let bodies = test_support::receive_from_queue(
            &self.sqs,
            &self.queue,
            expected,
            test_support::DEFAULT_DELIVERY_WAIT,
        )
        .await;
        bodies
            .iter()
            .map(|body| match DeliveredEvent::from_envelope_json(body) {
                Ok(event) => event,
                Err(error) => panic!(
                    "the queue received something that is not an event envelope ({error}): {body}"
                ),
            })
            .collect()
    }
}

mod cases {
    use super::*;

    pub async fn every_event_arrives_once_with_its_detail_type_source_and_detail(
        mut under_test: impl BusUnderTest,
    ) {
        let events = sample_events(23);
        let published = under_test.bus().publish(&events).await;
        assert!(published.is_ok(), "publish failed: {published:?}");

        let delivered = under_test.delivered(events.len()).await;
        assert_eq!(delivered.len(), events.len(), "deliveries: {delivered:#?}");
        let mut unmatched = events.clone();
        for envelope in &delivered {
            assert_eq!(envelope.source, EVENT_SOURCE);
            let event = match envelope.event() {
                Ok(event) => event,
                Err(error) => panic!("delivered detail does not parse: {error}"),
            };
            assert_eq!(envelope.detail_type, event.detail_type());
            assert_eq!(envelope.detail["schema_version"], SCHEMA_VERSION);
            match unmatched.iter().position(|published| *published == event) {
                Some(index) => {
                    unmatched.swap_remove(index);
                }
                None => panic!("delivered an event that was not published, or twice: {event:?}"),
            }
        }
        assert!(unmatched.is_empty(), "never delivered: {unmatched:?}");
    }

    pub async fn publishing_nothing_delivers_nothing(mut under_test: impl BusUnderTest) {
        let published = under_test.bus().publish(&[]).await;
        assert!(published.is_ok(), "{published:?}");
        let delivered = under_test.delivered(0).await;
        assert!(delivered.is_empty(), "{delivered:?}");
    }

    /// A bus that refuses some entries says which; the others arrive once, and publishing just the
    /// named ones again completes the set (what the schedule's fan-out relies on).
    pub async fn a_partial_failure_names_the_unpublished_events(mut under_test: impl BusUnderTest) {
        let events = sample_events(23);
        let unpublished = match under_test.bus().publish(&events).await {
            Err(BusError::Partial {
                unpublished, total, ..
            }) => {
                assert_eq!(total, events.len());
                unpublished
            }
            other => panic!("expected some refused entries, got {other:?}"),
        };
        assert!(!unpublished.is_empty() && unpublished.len() < events.len());
        assert!(
            unpublished.windows(2).all(|w| w[0] < w[1]),
            "ascending, once each"
        );
        let delivered = under_test.delivered(events.len() - unpublished.len()).await;
        let arrived: Vec<ProductEvent> = delivered
            .iter()
            .map(|envelope| envelope.event().unwrap_or_else(|e| panic!("{e}")))
            .collect();
        for (position, event) in events.iter().enumerate() {
            let times = arrived.iter().filter(|a| *a == event).count();
            let expected = usize::from(!unpublished.contains(&position));
            assert_eq!(times, expected, "event {position} arrived {times} times");
        }

        // Publishing the named ones again, until the bus takes them all, completes the set.
        let mut left: Vec<ProductEvent> = unpublished.iter().map(|p| events[*p].clone()).collect();
        for _ in 0..10 {
            match under_test.bus().publish(&left).await {
                Ok(()) => {
                    left.clear();
                    break;
                }
                Err(error) => {
                    let again = error.unpublished(left.len());
                    left = again.iter().map(|p| left[*p].clone()).collect();
                }
            }
        }
        assert!(left.is_empty(), "still refused: {left:?}");
        let rest = under_test.delivered(unpublished.len()).await;
        assert_eq!(
            rest.len(),
            unpublished.len(),
            "each refused event arrives once in the end"
        );
    }

    pub async fn separate_publishes_arrive_separately(mut under_test: impl BusUnderTest) {
        let events = sample_events(4);
        for event in &events {
            let published = under_test.bus().publish(std::slice::from_ref(event)).await;
            assert!(published.is_ok(), "{published:?}");
        }
        let delivered = under_test.delivered(events.len()).await;
        let mut tenants: Vec<_> = delivered
            .iter()
            .map(|envelope| {
                envelope.detail["tenant_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        tenants.sort();
        assert_eq!(
            tenants,
            vec!["tenant-0", "tenant-1", "tenant-2", "tenant-3"]
        );
    }
}

mod eventbridge {
    use super::*;

    #[tokio::test]
    async fn every_event_arrives_once_with_its_detail_type_source_and_detail() {
        cases::every_event_arrives_once_with_its_detail_type_source_and_detail(OnMoto::new().await)
            .await;
    }

    #[tokio::test]
    async fn publishing_nothing_delivers_nothing() {
        cases::publishing_nothing_delivers_nothing(OnMoto::new().await).await;
    }

    #[tokio::test]
    async fn separate_publishes_arrive_separately() {
        cases::separate_publishes_arrive_separately(OnMoto::new().await).await;
    }

    /// Events the bus refuses are reported, never counted as published.
    #[tokio::test]
    async fn publishing_to_a_bus_that_does_not_exist_fails() {
        let eventbridge = test_support::eventbridge().await;
        let bus = EventBridgeBus::new(eventbridge, test_support::unique_name("no-such-bus"))
            .with_retry(RetryPolicy {
                max_retries: 1,
                min_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(10),
            });
        let published = bus.publish(&sample_events(12)).await;
        match published {
            Err(BusError::Partial {
                unpublished, total, ..
            }) => {
                assert_eq!(total, 12);
                assert_eq!(unpublished, (0..12).collect::<Vec<_>>(), "each event named");
            }
            Err(BusError::Unavailable(_)) => {}
            other => panic!("publishing to a missing bus must fail, got {other:?}"),
        }
    }
}

mod in_process {
    use super::*;

    #[tokio::test]
    async fn every_event_arrives_once_with_its_detail_type_source_and_detail() {
        cases::every_event_arrives_once_with_its_detail_type_source_and_detail(InProcess::new())
            .await;
    }

    #[tokio::test]
    async fn publishing_nothing_delivers_nothing() {
        cases::publishing_nothing_delivers_nothing(InProcess::new()).await;
    }

    #[tokio::test]
    async fn separate_publishes_arrive_separately() {
        cases::separate_publishes_arrive_separately(InProcess::new()).await;
    }

    #[tokio::test]
    async fn every_subscriber_receives_every_event_and_the_bus_records_them() {
        let bus = InProcessBus::new();
        let mut first = bus.subscribe();
        let mut second = bus.subscribe();
        let events = sample_events(5);
        let published = bus.publish(&events).await;
        assert!(published.is_ok(), "{published:?}");

        for subscriber in [&mut first, &mut second] {
            let mut received = Vec::new();
            while let Ok(envelope) = subscriber.try_recv() {
                received.push(envelope.event().map_err(|e| e.to_string()));
            }
            let expected: Vec<_> = events.iter().cloned().map(Ok).collect();
            assert_eq!(received, expected);
        }
        let recorded: Vec<_> = bus
            .published()
            .iter()
            .map(|e| e.detail_type.clone())
            .collect();
        assert_eq!(
            recorded,
            vec![
                "SyncRequested",
                "TenantSynced",
                "ScoresUpdated",
                "SyncRequested",
                "TenantSynced"
            ]
        );
    }

    #[tokio::test]
    async fn a_partial_failure_names_the_unpublished_events_and_publishes_the_others_once() {
        cases::a_partial_failure_names_the_unpublished_events(RefusingInProcess::new(4)).await;
    }

    #[tokio::test]
    async fn an_outage_publishes_nothing_and_names_every_event() {
        let mut under_test = InProcess::new();
        under_test.bus.fail_calls_after(1);
        let events = sample_events(6);
        assert!(under_test.bus.publish(&events[..1]).await.is_ok());
        let failed = under_test.bus.publish(&events).await;
        let error = match failed {
            Err(error @ BusError::Unavailable(_)) => error,
            other => panic!("an outage must fail the whole call, got {other:?}"),
        };
        assert!(error.is_retryable());
        assert_eq!(error.unpublished(6), (0..6).collect::<Vec<_>>());
        assert_eq!(
            under_test.delivered(1).await.len(),
            1,
            "only the call before the outage"
        );
        under_test.bus.fail_calls_after(usize::MAX);
        assert!(
            under_test.bus.publish(&events).await.is_ok(),
            "the outage ended"
        );
    }

    #[tokio::test]
    async fn a_dropped_subscriber_does_not_stop_the_others() {
        let bus = InProcessBus::new();
        drop(bus.subscribe());
        let mut listening = bus.subscribe();
        let published = bus.publish(&sample_events(2)).await;
        assert!(published.is_ok(), "{published:?}");
        assert!(listening.try_recv().is_ok());
        assert!(listening.try_recv().is_ok());
        assert!(listening.try_recv().is_err());
    }
}

/// The envelope the in-process bus hands out is the one EventBridge delivers to a Lambda target.
#[test]
fn an_envelope_round_trips_through_eventbridges_wire_format() {
    let event = sample_events(2).remove(1);
    let envelope = match DeliveredEvent::of(&event) {
        Ok(envelope) => envelope,
        Err(error) => panic!("{error}"),
    };
    let wire = envelope.to_envelope_json();
    assert_eq!(wire["detail-type"], "TenantSynced");
    assert_eq!(wire["source"], EVENT_SOURCE);
    let parsed = match DeliveredEvent::from_envelope_json(&wire.to_string()) {
        Ok(parsed) => parsed,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(parsed, envelope);
    assert_eq!(parsed.event().ok(), Some(event));
}
