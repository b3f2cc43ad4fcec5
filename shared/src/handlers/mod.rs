//! The handlers each Lambda function runs, written against the ports only, so the local runner runs
//! the very same code on in-process adapters.

pub mod audit;
pub mod calibrate;
pub mod connection_sync;
pub mod correlate;
pub mod dispatch;
pub mod erasure;
pub mod export;
pub mod lambda;
pub mod notify;
pub mod reweigh;
pub mod route;
pub mod score;
pub mod score_pages;
pub mod score_whole;
pub mod sync;
pub mod writeback;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::de::DeserializeOwned;

/// An event a function was given that it cannot use. Not retryable: the same bytes will fail again.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("not an EventBridge event: {0}")]
    NotAnEvent(String),
    #[error("unexpected event {source_name}/{detail_type}")]
    Unexpected {
        source_name: String,
        detail_type: String,
    },
    #[error("the {detail_type} detail is malformed: {message}")]
    BadDetail {
        detail_type: String,
        message: String,
    },
}

/// Reads an EventBridge envelope whose detail is decoded later by its detail-type.
pub fn parse_envelope(payload: serde_json::Value) -> Result<EventBridgeEvent, EventError> {
    serde_json::from_value(payload).map_err(|e| EventError::NotAnEvent(e.to_string()))
}

/// Decodes the detail of `event` as `T`, naming the detail-type when it does not fit.
pub fn detail<T: DeserializeOwned>(event: EventBridgeEvent) -> Result<T, EventError> {
    serde_json::from_value(event.detail).map_err(|e| EventError::BadDetail {
        detail_type: event.detail_type,
        message: e.to_string(),
    })
}
