//! What can go wrong talking to NinjaOne, and how it folds into the platform-neutral `SourceError`.
//! Messages never carry a secret or a token.

use crate::ports::source::SourceError;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum NinjaError {
    /// The token endpoint refused the client credentials (`invalid_client`, 400/401).
    #[error("NinjaOne refused the client credentials ({status}{})", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    CredentialsRefused { status: u16, code: Option<String> },
    /// An API call was refused with 401 even with a token fetched for it.
    #[error("NinjaOne refused a freshly issued access token")]
    TokenRefused,
    #[error("NinjaOne rate limit (429){}", retry_after.map(|w| format!(", retry after {}s", w.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    #[error("NinjaOne answered {status}: {message}")]
    Api { status: u16, message: String },
    #[error("NinjaOne did not answer in time")]
    Timeout,
    #[error("cannot reach NinjaOne: {0}")]
    Transport(String),
    #[error("cannot read NinjaOne's answer: {0}")]
    Decode(String),
}

impl NinjaError {
    /// Whether sending the same request again may work.
    pub fn is_transient(&self) -> bool {
        match self {
            NinjaError::RateLimited { .. } | NinjaError::Timeout | NinjaError::Transport(_) => true,
            NinjaError::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// An API call's 401: the token was refused (expired early or revoked).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, NinjaError::Api { status: 401, .. })
    }

    /// An error answer, its body read for a short message (never echoed whole).
    pub fn from_response(status: u16, body: &[u8], retry_after: Option<Duration>) -> NinjaError {
        if status == 429 {
            return NinjaError::RateLimited { retry_after };
        }
        let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let message = ["errorMessage", "error_description", "error", "message"]
            .iter()
            .find_map(|k| value.get(*k).and_then(|v| v.as_str()))
            .unwrap_or("no message")
            .chars()
            .take(200)
            .collect();
        NinjaError::Api { status, message }
    }
}

impl From<NinjaError> for SourceError {
    fn from(error: NinjaError) -> SourceError {
        let message = error.to_string();
        match error {
            NinjaError::CredentialsRefused { .. } | NinjaError::TokenRefused => {
                SourceError::NeedsReauth { reason: message }
            }
            NinjaError::RateLimited { retry_after } => SourceError::RateLimited {
                reset_at: retry_after.and_then(|w| {
                    chrono::Duration::from_std(w)
                        .ok()
                        .map(|w| chrono::Utc::now() + w)
                }),
                message,
            },
            NinjaError::Api { status, .. } if status >= 500 => SourceError::Unavailable { message },
            NinjaError::Api { status, .. } => SourceError::Rejected { status, message },
            NinjaError::Timeout | NinjaError::Transport(_) => SourceError::Unavailable { message },
            NinjaError::Decode(_) => SourceError::InvalidResponse(message),
        }
    }
}
