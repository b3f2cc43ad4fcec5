//! The ingest's errors and the one place they become HTTP answers. HubSpot and PayPal retry any
//! 4xx/5xx, so only a delivery that can succeed later gets a 5xx; a client error gets the 4xx it
//! deserves.

use crate::ports::{BusError, StoreError};
use crate::sources::hubspot::webhook::event::DeliveryError;
use crate::sources::hubspot::webhook::signature::SignatureError;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("webhook signature rejected: {0}")]
    Signature(#[from] SignatureError),
    #[error("body is not a HubSpot webhook event array: {0}")]
    MalformedBody(#[from] DeliveryError),
    #[error("store failed: {0}")]
    Store(#[from] StoreError),
    #[error("publishing sync requests failed: {0}")]
    Bus(#[from] BusError),
    #[error("the delivery was not processed within {0:?}")]
    OutOfTime(std::time::Duration),
    /// A payments webhook to a connection we do not have (deleted, mistyped, or never ours).
    #[error("no such connection")]
    UnknownConnection,
    /// The payments platform did not vouch for the delivery.
    #[error("the delivery could not be verified")]
    Unverified,
    /// Verified, but not an event we can read.
    #[error("the delivery is not a webhook event we can read")]
    UnreadableEvent,
    /// The platform could not be asked to verify the delivery now.
    #[error("the delivery could not be verified now")]
    VerificationUnavailable,
}

impl IngestError {
    pub fn status(&self) -> StatusCode {
        match self {
            IngestError::Signature(_) => StatusCode::UNAUTHORIZED,
            IngestError::MalformedBody(_) => StatusCode::BAD_REQUEST,
            IngestError::Store(e) if !e.is_retryable() => StatusCode::INTERNAL_SERVER_ERROR,
            IngestError::Bus(e) if !e.is_retryable() => StatusCode::INTERNAL_SERVER_ERROR,
            IngestError::UnknownConnection => StatusCode::NOT_FOUND,
            IngestError::Unverified => StatusCode::UNAUTHORIZED,
            IngestError::UnreadableEvent => StatusCode::BAD_REQUEST,
            IngestError::Store(_)
            | IngestError::Bus(_)
            | IngestError::OutOfTime(_)
            | IngestError::VerificationUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// What the caller may read: the reason for a 4xx, nothing internal for a 5xx.
    fn public_detail(&self) -> String {
        if self.status().is_client_error() {
            self.to_string()
        } else {
            "the delivery could not be processed now; it is safe to retry".to_string()
        }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize)]
struct Problem {
    #[serde(rename = "type")]
    problem_type: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, status = status.as_u16(), "webhook delivery failed; the platform will retry");
        } else {
            tracing::warn!(error = %self, status = status.as_u16(), "webhook delivery refused");
        }
        let problem = Problem {
            problem_type: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.public_detail(),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_tell_hubspot_whether_retrying_can_help() {
        assert_eq!(
            IngestError::Signature(SignatureError::Mismatch).status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            IngestError::MalformedBody(DeliveryError::NotAnArray("x".into())).status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            IngestError::Store(StoreError::Throttled("x".into())).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            IngestError::Store(StoreError::Corrupt("x".into())).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            IngestError::Bus(BusError::Unavailable("x".into())).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn server_errors_hide_their_cause() {
        let error = IngestError::Store(StoreError::Unavailable("table ci-prod at 10.0.0.1".into()));
        assert!(!error.public_detail().contains("10.0.0.1"));
        let refused = IngestError::Signature(SignatureError::Mismatch);
        assert!(refused.public_detail().contains("signature"));
    }
}
