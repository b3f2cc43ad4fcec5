//! PayPal's failures, typed, with what PayPal said (name, message, `debug_id`) so support can trace
//! a request, and their folding into the platform-neutral `SourceError`.

use crate::ports::source::SourceError;
use crate::sources::paypal::wire::ErrorBody;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum PaypalError {
    /// PayPal answered with an error status.
    #[error("PayPal answered {status} {name}: {message} (debug id {debug_id})",
        name = .name.as_deref().unwrap_or("-"),
        debug_id = .debug_id.as_deref().unwrap_or("-"))]
    Api {
        status: u16,
        name: Option<String>,
        message: String,
        debug_id: Option<String>,
    },
    /// A 429 (`RATE_LIMIT_REACHED`); `retry_after` when PayPal sent one.
    #[error("PayPal rate limit reached: {message} (debug id {debug_id})",
        debug_id = .debug_id.as_deref().unwrap_or("-"))]
    RateLimited {
        message: String,
        debug_id: Option<String>,
        retry_after: Option<Duration>,
    },
    /// The token endpoint refused the client id or secret (`invalid_client`): someone must connect
    /// again with working credentials.
    #[error("PayPal refused the client credentials: {message} (debug id {debug_id})",
        debug_id = .debug_id.as_deref().unwrap_or("-"))]
    CredentialsRefused {
        message: String,
        debug_id: Option<String>,
    },
    #[error("PayPal could not be reached: {0}")]
    Transport(String),
    #[error("PayPal request timed out")]
    Timeout,
    #[error("unexpected PayPal response: {0}")]
    Decode(String),
    #[error("PayPal credentials: {0}")]
    Credentials(String),
    #[error("invalid cursor: {0}")]
    InvalidCursor(String),
}

impl PaypalError {
    /// Worth another attempt within the same request: 5xx, 429, timeouts and connection failures.
    pub fn is_transient(&self) -> bool {
        match self {
            PaypalError::Api { status, .. } => *status >= 500,
            PaypalError::RateLimited { .. } | PaypalError::Timeout | PaypalError::Transport(_) => {
                true
            }
            _ => false,
        }
    }

    /// PayPal refused the access token of an API call (401: `invalid_token`,
    /// `AUTHENTICATION_FAILURE`): a new token may help once, the same one never does.
    pub fn is_token_refused(&self) -> bool {
        matches!(self, PaypalError::Api { status: 401, .. })
    }

    /// An API answer with an error status.
    pub fn from_response(status: u16, body: &[u8], retry_after: Option<Duration>) -> Self {
        let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        let message = message_of(&parsed, body);
        if status == 429 {
            return PaypalError::RateLimited {
                message,
                debug_id: parsed.debug_id,
                retry_after,
            };
        }
        PaypalError::Api {
            status,
            name: parsed.name.or(parsed.error),
            message,
            debug_id: parsed.debug_id,
        }
    }

    /// An answer of the token endpoint. There a 401 or an `invalid_client` can only mean the client
    /// id or secret; a 429 or 5xx stays transient.
    pub fn from_token_response(status: u16, body: &[u8], retry_after: Option<Duration>) -> Self {
        let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        let refused = status == 401 || parsed.error.as_deref() == Some("invalid_client");
        if refused {
            return PaypalError::CredentialsRefused {
                message: message_of(&parsed, body),
                debug_id: parsed.debug_id,
            };
        }
        Self::from_response(status, body, retry_after)
    }
}

fn message_of(parsed: &ErrorBody, body: &[u8]) -> String {
    let mut message = parsed
        .message
        .clone()
        .or_else(|| parsed.error_description.clone())
        .or_else(|| parsed.error.clone())
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(300).collect());
    for detail in parsed.details.iter().take(3) {
        let issue = detail.issue.as_deref().or(detail.description.as_deref());
        if let Some(issue) = issue {
            message.push_str(&format!(
                "; {}: {issue}",
                detail.field.as_deref().unwrap_or("-")
            ));
        }
    }
    message
}

impl From<PaypalError> for SourceError {
    fn from(error: PaypalError) -> Self {
        let message = error.to_string();
        match error {
            PaypalError::CredentialsRefused { .. } => SourceError::NeedsReauth { reason: message },
            // The client lets a 401 through only once a fresh token was refused as well.
            PaypalError::Api { status: 401, .. } => SourceError::NeedsReauth {
                reason: format!("PayPal refused a fresh access token: {message}"),
            },
            PaypalError::Api { status, .. } if status >= 500 => {
                SourceError::Unavailable { message }
            }
            PaypalError::Api { status, .. } => SourceError::Rejected { status, message },
            PaypalError::RateLimited { retry_after, .. } => SourceError::RateLimited {
                reset_at: retry_after
                    .and_then(|wait| chrono::Duration::from_std(wait).ok())
                    .map(|wait| chrono::Utc::now() + wait),
                message,
            },
            PaypalError::Transport(_) | PaypalError::Timeout => {
                SourceError::Unavailable { message }
            }
            PaypalError::Decode(_) => SourceError::InvalidResponse(message),
            PaypalError::Credentials(_) => SourceError::Credentials(message),
            PaypalError::InvalidCursor(_) => SourceError::InvalidCursor(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_name_message_details_and_debug_id() {
        let body = br#"{"name":"INVALID_REQUEST","message":"Request is not well-formed, syntactically incorrect, or violates schema.","debug_id":"90957fca61718","details":[{"field":"end_date","issue":"Date range is greater than 31 days"}]}"#;
        let error = PaypalError::from_response(400, body, None);
        let text = error.to_string();
        assert!(text.contains("INVALID_REQUEST"), "{text}");
        assert!(text.contains("90957fca61718"), "{text}");
        assert!(text.contains("greater than 31 days"), "{text}");
        assert!(!error.is_transient());
        let folded = SourceError::from(error);
        assert!(matches!(folded, SourceError::Rejected { status: 400, .. }));
        assert!(folded.to_string().contains("90957fca61718"));
    }

    #[test]
    fn a_refused_client_on_the_token_endpoint_needs_a_new_connection() {
        let body =
            br#"{"error":"invalid_client","error_description":"Client Authentication failed"}"#;
        let error = PaypalError::from_token_response(401, body, None);
        assert!(matches!(error, PaypalError::CredentialsRefused { .. }));
        assert!(!error.is_transient());
        let SourceError::NeedsReauth { reason } = SourceError::from(error) else {
            panic!("refused credentials need a new connection");
        };
        assert!(reason.contains("Client Authentication failed"), "{reason}");
        // A 503 of the token endpoint is an outage, not a refusal.
        assert!(PaypalError::from_token_response(503, b"", None).is_transient());
    }

    #[test]
    fn rate_limits_and_server_errors_are_transient_then_fold_into_retryable_errors() {
        let body = br#"{"name":"RATE_LIMIT_REACHED","message":"Too many requests. Blocked due to rate limiting.","debug_id":"d-429"}"#;
        let limited = PaypalError::from_response(429, body, Some(Duration::from_secs(3)));
        assert!(limited.is_transient());
        let folded = SourceError::from(limited);
        assert!(folded.is_retryable());
        assert!(matches!(
            folded,
            SourceError::RateLimited {
                reset_at: Some(_),
                ..
            }
        ));
        let outage = PaypalError::from_response(503, b"<html>", None);
        assert!(outage.is_transient());
        assert!(matches!(
            SourceError::from(outage),
            SourceError::Unavailable { .. }
        ));
        let expired =
            br#"{"error":"invalid_token","error_description":"Access Token not found in cache"}"#;
        let refused = PaypalError::from_response(401, expired, None);
        assert!(refused.is_token_refused() && !refused.is_transient());
        assert!(matches!(
            SourceError::from(refused),
            SourceError::NeedsReauth { .. }
        ));
    }
}
