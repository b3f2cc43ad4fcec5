use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use futures::StreamExt;

use crate::bus::retry::{send_with_retries, EntryRefusal, RetryPolicy};
use crate::events::{ProductEvent, EVENT_SOURCE};
use crate::ports::bus::{BusError, EventBus};

/// PutEvents takes at most this many entries per call.
pub const MAX_BATCH_ENTRIES: usize = 10;
/// PutEvents takes at most this many bytes per call (and so per entry), counted as EventBridge counts them.
pub const MAX_BATCH_BYTES: usize = 256 * 1024;

/// Port method -> the EventBridge actions this adapter's implementation of it sends (read by the IAM
/// check of the SAM template; kept next to the calls it describes).
pub const IAM_ACTIONS: &[(&str, &[&str])] = &[("publish", &["events:PutEvents"])];

/// Publishes to an EventBridge bus: source `connected-insights`, the event's detail-type, its JSON detail.
/// Events go in PutEvents calls of at most 10 entries and 256 KiB; entries the bus refuses are sent again
/// with backoff (only those), a bounded number of times, after which the publish reports
/// [`BusError::Partial`] with the positions of the events left unpublished. Whole calls that fail
/// are retried by the SDK's own retry policy. Up to [`CONCURRENT_CALLS`] calls are in flight.
#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
    retry: RetryPolicy,
}

impl EventBridgeBus {
    pub fn new(client: Client, bus_name: impl Into<String>) -> Self {
        Self {
            client,
            bus_name: bus_name.into(),
            retry: RetryPolicy::default(),
        }
    }

    pub fn from_config(config: &aws_config::SdkConfig, bus_name: impl Into<String>) -> Self {
        Self::new(Client::new(config), bus_name)
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn bus_name(&self) -> &str {
        &self.bus_name
    }

    fn entry(&self, event: &ProductEvent) -> Result<(PutEventsRequestEntry, usize), BusError> {
        let detail = event
            .detail_json()
            .map_err(|e| BusError::Encoding(format!("{}: {e}", event.detail_type())))?;
        let size = entry_size(event.detail_type(), &detail);
        if size > MAX_BATCH_BYTES {
            return Err(BusError::Encoding(format!(
                "{} event for tenant {} is {size} bytes, over EventBridge's limit of {MAX_BATCH_BYTES}",
                event.detail_type(),
                event.tenant_id()
            )));
        }
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(EVENT_SOURCE)
            .detail_type(event.detail_type())
            .detail(detail)
            .build();
        Ok((entry, size))
    }

    async fn put_events(
        &self,
        entries: Vec<PutEventsRequestEntry>,
    ) -> Result<Vec<Option<EntryRefusal>>, String> {
        let output = self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        Ok(output
            .entries()
            .iter()
            .map(|result| {
                result.error_code().map(|code| EntryRefusal {
                    code: code.to_string(),
                    message: result.error_message().unwrap_or_default().to_string(),
                })
            })
            .collect())
    }
}

/// An entry's size as EventBridge counts it against its limits.
fn entry_size(detail_type: &str, detail: &str) -> usize {
    EVENT_SOURCE.len() + detail_type.len() + detail.len()
}

/// Splits sized entries into batches of at most [`MAX_BATCH_ENTRIES`] entries and [`MAX_BATCH_BYTES`] bytes,
/// keeping their order. Every entry must itself fit.
fn batches<T>(sized: Vec<(T, usize)>) -> Vec<Vec<T>> {
    let mut batches: Vec<Vec<T>> = Vec::new();
    let mut current = Vec::new();
    let mut current_bytes = 0;
    for (entry, size) in sized {
        if !current.is_empty()
            && (current.len() == MAX_BATCH_ENTRIES || current_bytes + size > MAX_BATCH_BYTES)
        {
            batches.push(std::mem::take(&mut current));
            current_bytes = 0;
        }
        current_bytes += size;
        current.push(entry);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// PutEvents calls in flight at once in one publish. EventBridge's PutEvents quota is per account
/// and Region: 10,000 requests a second in us-east-1, 2,400 in us-east-2 and fewer in smaller
/// Regions (adjustable; <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html>,
/// "PutEvents throttle limit in transactions per second"). Eight calls of tens of milliseconds each
/// stay at a few hundred calls (a few thousand entries) a second: far under the big Regions' quota,
/// and what the quota refuses in a small one comes back as throttled entries, which are retried
/// with backoff and, past the bound, reported by position.
pub const CONCURRENT_CALLS: usize = 8;

#[async_trait::async_trait]
impl EventBus for EventBridgeBus {
    async fn publish(&self, events: &[ProductEvent]) -> Result<(), BusError> {
        // Encode everything before sending anything: an event that cannot be encoded publishes nothing.
        // Each entry keeps its event's position, so a failure can say which ones were not published.
        let sized = events
            .iter()
            .enumerate()
            .map(|(position, event)| {
                self.entry(event)
                    .map(|(entry, size)| ((position, entry), size))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let total = sized.len();
        let sends: Vec<_> = batches(sized)
            .into_iter()
            .map(|batch| {
                send_with_retries(batch, &self.retry, |entries| {
                    self.put_events(entries.into_iter().map(|(_, entry)| entry).collect())
                })
            })
            .collect();
        let outcomes: Vec<_> = futures::stream::iter(sends)
            .buffer_unordered(CONCURRENT_CALLS)
            .collect()
            .await;
        let mut unpublished = Vec::new();
        let mut every_call_failed = true;
        let mut last_message = String::new();
        for outcome in outcomes {
            match outcome {
                Ok(()) => every_call_failed = false,
                Err(unsent) => {
                    unpublished.extend(unsent.entries.into_iter().map(|(position, _)| position));
                    every_call_failed &= unsent.call_failed;
                    last_message = unsent.message;
                }
            }
        }
        unpublished.sort_unstable();
        if unpublished.is_empty() {
            Ok(())
        } else if unpublished.len() == total && every_call_failed {
            Err(BusError::Unavailable(last_message))
        } else {
            tracing::warn!(
                bus = %self.bus_name,
                failed = unpublished.len(),
                total,
                reason = %last_message,
                "some events were not published"
            );
            Err(BusError::Partial {
                unpublished,
                total,
                message: last_message,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_three_small_entries_go_in_batches_of_ten() {
        let sized: Vec<_> = (0..23).map(|i| (i, 100)).collect();
        let sizes: Vec<_> = batches(sized).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![10, 10, 3]);
    }

    #[test]
    fn a_batch_closes_before_it_would_pass_the_byte_limit() {
        let big = MAX_BATCH_BYTES / 3 + 1;
        let sized: Vec<_> = (0..5).map(|i| (i, big)).collect();
        let grouped = batches(sized);
        assert_eq!(grouped, vec![vec![0, 1], vec![2, 3], vec![4]]);
    }

    #[test]
    fn no_entries_make_no_batch() {
        assert!(batches::<u8>(Vec::new()).is_empty());
    }
}
