//! The SQS edge of notify: each record's body is an EventBridge envelope (what the rule put on the
//! queue); the answer names the records to hand out again (`ReportBatchItemFailures`).
//!
//! A record that does not decode (not JSON, not an envelope, a detail that does not fit its type,
//! an event notify does not handle) is logged and reported as failed every time it is received: it
//! is never dropped, so after the queue's `maxReceiveCount` it lands in the dead-letter queue,
//! whose alarm tells someone, with the bytes intact to look at or replay after a fix.

use crate::handlers::route::{Function, Trigger};
use crate::handlers::{parse_envelope, EventError};
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

/// The queue's `maxReceiveCount` (infra/template.yaml, `NotifyQueue`): on this receive, a failure
/// is the record's last.
pub const MAX_RECEIVES: u32 = 5;

/// One record of the batch, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The SQS message id, which the batch response names.
    pub message_id: String,
    pub trigger: Trigger,
    /// The queue will not hand it out again if it fails now.
    pub last_receive: bool,
}

/// A batch split into what notify can work on and the records that cannot be decoded.
#[derive(Debug, Default)]
pub struct Decoded {
    pub received: Vec<Received>,
    /// Message ids of records that will never decode (already logged).
    pub undecodable: Vec<String>,
}

/// Decodes every record of `event`.
pub fn decode(event: SqsEvent) -> Decoded {
    let mut decoded = Decoded::default();
    for (index, record) in event.records.into_iter().enumerate() {
        // A record without an id cannot be named in the answer; Lambda then retries the batch.
        let message_id = record
            .message_id
            .clone()
            .unwrap_or_else(|| format!("record-{index}"));
        let last_receive = receive_count(&record) >= MAX_RECEIVES;
        match decode_record(record) {
            Ok(trigger) => decoded.received.push(Received {
                message_id,
                trigger,
                last_receive,
            }),
            Err(error) => {
                tracing::error!(
                    message_id = %message_id,
                    %error,
                    last_receive,
                    "a notify queue record cannot be read; it stays on the queue and ends in \
                     the dead-letter queue"
                );
                decoded.undecodable.push(message_id);
            }
        }
    }
    decoded
}

fn receive_count(record: &SqsMessage) -> u32 {
    record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|count| count.parse().ok())
        .unwrap_or(1)
}

fn decode_record(record: SqsMessage) -> Result<Trigger, EventError> {
    let body = record
        .body
        .ok_or_else(|| EventError::NotAnEvent("the record has no body".to_string()))?;
    let payload: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| EventError::NotAnEvent(e.to_string()))?;
    let trigger = Trigger::from_envelope(parse_envelope(payload)?)?;
    if trigger.handled_by() != Some(Function::Notify) {
        return Err(EventError::Unexpected {
            source_name: "notify queue".to_string(),
            detail_type: trigger.detail_type().to_string(),
        });
    }
    Ok(trigger)
}

/// The answer to Lambda: these records go back to the queue, the others are done.
pub fn response(failed: impl IntoIterator<Item = String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    let mut failed: Vec<String> = failed.into_iter().collect();
    failed.sort();
    failed.dedup();
    for id in failed {
        response.add_failure(id);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: &str, body: &str, receives: u32) -> serde_json::Value {
        json!({
            "messageId": id,
            "receiptHandle": "h",
            "body": body,
            "attributes": {"ApproximateReceiveCount": receives.to_string()},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:notify",
            "awsRegion": "eu-west-1"
        })
    }

    #[test]
    fn records_decode_to_triggers_and_bad_ones_are_named_for_the_retry() {
        let scores = include_str!("../../../../events/scores-updated.json");
        let mut release: serde_json::Value =
            serde_json::from_str(include_str!("../../../../events/schedule.json")).unwrap();
        release["detail-type"] = crate::handlers::route::ALERT_RELEASE_DETAIL_TYPE.into();
        let sync = include_str!("../../../../events/sync-requested.json");
        let event: SqsEvent = serde_json::from_value(json!({"Records": [
            record("m1", scores, 1),
            record("m2", &release.to_string(), 5),
            record("m3", "not json", 1),
            record("m4", sync, 1),
        ]}))
        .unwrap();
        let decoded = decode(event);
        assert_eq!(decoded.received.len(), 2);
        assert!(matches!(
            decoded.received[0].trigger,
            Trigger::ScoresUpdated(_)
        ));
        assert!(!decoded.received[0].last_receive);
        assert_eq!(decoded.received[1].trigger, Trigger::AlertRelease);
        assert!(decoded.received[1].last_receive);
        // Not JSON, and an event for another function: kept, to end in the dead-letter queue.
        assert_eq!(decoded.undecodable, ["m3", "m4"]);
        let answer = serde_json::to_value(response(decoded.undecodable)).unwrap();
        assert_eq!(
            answer,
            json!({"batchItemFailures": [{"itemIdentifier": "m3"}, {"itemIdentifier": "m4"}]})
        );
    }
}
