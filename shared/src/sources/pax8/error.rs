//! Pax8's failures, typed, with what Pax8 said (`type`, `message`, `instance`), and their folding
//! into the platform-neutral `SourceError`.

use crate::ports::source::SourceError;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Pax8Error {
    #[error("Pax8 answered {status} {kind}: {message} ({instance})",
        kind = .kind.as_deref().unwrap_or("-"),
        instance = .instance.as_deref().unwrap_or("-"))]
    Api {
        status: u16,
        kind: Option<String>,
        message: String,
        instance: Option<String>,
    },
    /// A 429; `retry_after` when Pax8 sent one (it documents none).
    #[error("Pax8 rate limit reached: {message}")]
    RateLimited {
        message: String,
        retry_after: Option<Duration>,
    },
    /// The token endpoint refused the client id, secret or audience.
    #[error("Pax8 refused the client credentials: {message}")]
    CredentialsRefused { message: String },
    #[error("Pax8 could not be reached: {0}")]
    Transport(String),
    #[error("Pax8 request timed out")]
    Timeout,
    #[error("unexpected Pax8 response: {0}")]
    Decode(String),
    #[error("Pax8 credentials: {0}")]
    Credentials(String),
    #[error("invalid cursor: {0}")]
    InvalidCursor(String),
}

/// Pax8's error body (`type, message, instance, status, details`) or the token endpoint's OAuth
/// body (`error, error_description`).
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<String>,
    instance: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl Pax8Error {
    /// Worth another attempt within the same request: 5xx, 429, timeouts and connection failures.
    pub fn is_transient(&self) -> bool {
        match self {
            Pax8Error::Api { status, .. } => *status >= 500,
            Pax8Error::RateLimited { .. } | Pax8Error::Timeout | Pax8Error::Transport(_) => true,
            _ => false,
        }
    }

    /// Pax8 refused the access token of an API call: a new token may help once.
    pub fn is_token_refused(&self) -> bool {
        matches!(self, Pax8Error::Api { status: 401, .. })
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Pax8Error::Api { status: 404, .. })
    }

    /// An API answer with an error status.
    pub fn from_response(status: u16, body: &[u8], retry_after: Option<Duration>) -> Self {
        let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        let message = message_of(&parsed, body);
        if status == 429 {
            return Pax8Error::RateLimited {
                message,
                retry_after,
            };
        }
        Pax8Error::Api {
            status,
            kind: parsed.kind.or(parsed.error),
            message,
            instance: parsed.instance,
        }
    }

    /// An answer of the token endpoint: 401 and 403 (`access_denied`, `unauthorized_client`) can
    /// only mean the credentials or audience; 429 and 5xx stay transient.
    pub fn from_token_response(status: u16, body: &[u8], retry_after: Option<Duration>) -> Self {
        if status == 401 || status == 403 {
            let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
            return Pax8Error::CredentialsRefused {
                message: message_of(&parsed, body),
            };
        }
        Self::from_response(status, body, retry_after)
    }
}

fn message_of(parsed: &ErrorBody, body: &[u8]) -> String {
    parsed
        .message
        .clone()
        .or_else(|| parsed.error_description.clone())
        .or_else(|| parsed.error.clone())
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect())
}

impl From<Pax8Error> for SourceError {
    fn from(error: Pax8Error) -> Self {
        let message = error.to_string();
        match error {
            Pax8Error::CredentialsRefused { .. } => SourceError::NeedsReauth { reason: message },
            // The client lets a 401 through only once a fresh token was refused as well.
            Pax8Error::Api { status: 401, .. } => SourceError::NeedsReauth {
                reason: format!("Pax8 refused a fresh access token: {message}"),
            },
            Pax8Error::Api { status, .. } if status >= 500 => SourceError::Unavailable { message },
            Pax8Error::Api { status, .. } => SourceError::Rejected { status, message },
            Pax8Error::RateLimited { retry_after, .. } => SourceError::RateLimited {
                reset_at: retry_after
                    .and_then(|wait| chrono::Duration::from_std(wait).ok())
                    .map(|wait| chrono::Utc::now() + wait),
                message,
            },
            Pax8Error::Transport(_) | Pax8Error::Timeout => SourceError::Unavailable { message },
            Pax8Error::Decode(_) => SourceError::InvalidResponse(message),
            Pax8Error::Credentials(_) => SourceError::Credentials(message),
            Pax8Error::InvalidCursor(_) => SourceError::InvalidCursor(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_what_pax8_said_and_fold_by_kind() {
        let body = br#"{"type":"FORBIDDEN","message":"Invalid companyId","instance":"/v1/subscriptions","status":403}"#;
        let error = Pax8Error::from_response(403, body, None);
        assert!(error.to_string().contains("Invalid companyId"));
        assert!(!error.is_transient());
        assert!(matches!(
            SourceError::from(error),
            SourceError::Rejected { status: 403, .. }
        ));
        let denied = br#"{"error":"access_denied","error_description":"Unauthorized"}"#;
        let refused = Pax8Error::from_token_response(401, denied, None);
        assert!(matches!(refused, Pax8Error::CredentialsRefused { .. }));
        assert!(matches!(
            SourceError::from(refused),
            SourceError::NeedsReauth { .. }
        ));
        let limited = Pax8Error::from_response(429, b"", Some(Duration::from_secs(2)));
        assert!(limited.is_transient());
        assert!(SourceError::from(limited).is_retryable());
        assert!(Pax8Error::from_token_response(503, b"<html>", None).is_transient());
        assert!(Pax8Error::from_response(401, b"{}", None).is_token_refused());
    }
}
