//! HubSpot's failures, typed, with what HubSpot said (message, category, correlation id) so support
//! can trace a request.

use crate::ports::source::SourceError;
use crate::sources::hubspot::backoff::RateLimitHeaders;
use chrono::{DateTime, Utc};

/// HubSpot's error body: `{status:"error", message, correlationId, category, subCategory?, errorType?,
/// policyName?}`. Every field is optional because HubSpot does not promise them.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiErrorBody {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub sub_category: Option<serde_json::Value>,
    #[serde(default)]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub policy_name: Option<String>,
    /// OAuth endpoints answer `{"error":"invalid_grant","status":"BAD_REFRESH_TOKEN"}`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

/// Which rate-limit policy a 429 names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitPolicy {
    TenSecondlyRolling,
    Secondly,
    Daily,
    Other,
}

impl RateLimitPolicy {
    pub fn parse(name: Option<&str>) -> Self {
        match name {
            Some("TEN_SECONDLY_ROLLING") => RateLimitPolicy::TenSecondlyRolling,
            Some("SECONDLY") => RateLimitPolicy::Secondly,
            Some("DAILY") => RateLimitPolicy::Daily,
            _ => RateLimitPolicy::Other,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HubSpotError {
    /// HubSpot answered with an error status.
    #[error("HubSpot answered {status} {category}: {message} (correlation id {correlation_id})",
        category = .category.as_deref().unwrap_or("-"),
        correlation_id = .correlation_id.as_deref().unwrap_or("-"))]
    Api {
        status: u16,
        message: String,
        category: Option<String>,
        correlation_id: Option<String>,
    },
    /// A 429. `DAILY` means stop until the portal's day resets; the others are retried.
    #[error("HubSpot rate limit {policy:?}: {message} (correlation id {correlation_id})",
        correlation_id = .correlation_id.as_deref().unwrap_or("-"))]
    RateLimited {
        policy: RateLimitPolicy,
        message: String,
        correlation_id: Option<String>,
        retry_after: Option<std::time::Duration>,
    },
    /// The daily limit is spent; HubSpot resets it at the portal's midnight, which we approximate
    /// with the next UTC midnight (the portal's time zone is not exposed to apps).
    #[error("HubSpot daily request limit reached; retry after {reset_at}")]
    DailyLimitReached {
        reset_at: DateTime<Utc>,
        message: String,
    },
    /// The refresh token is dead (`BAD_REFRESH_TOKEN`): the tenant must install the app again.
    #[error("HubSpot refused the refresh token ({status}): {message}")]
    BadRefreshToken { status: String, message: String },
    #[error("HubSpot could not be reached: {0}")]
    Transport(String),
    #[error("HubSpot request timed out")]
    Timeout,
    #[error("unexpected HubSpot response: {0}")]
    Decode(String),
    #[error("HubSpot credentials: {0}")]
    Credentials(String),
    #[error("invalid cursor: {0}")]
    InvalidCursor(String),
}

impl HubSpotError {
    /// Errors worth another attempt within the same request: 5xx, 423 (locked), timeouts,
    /// connection failures and short-window 429s.
    pub fn is_transient(&self) -> bool {
        match self {
            HubSpotError::Api { status, .. } => *status >= 500 || *status == 423,
            HubSpotError::RateLimited { .. } | HubSpotError::Timeout => true,
            HubSpotError::Transport(_) => true,
            _ => false,
        }
    }

    /// HubSpot refused the access token itself (401: `EXPIRED_AUTHENTICATION`,
    /// `INVALID_AUTHENTICATION`): a new token may help once, retrying the same one never does.
    pub fn is_token_refused(&self) -> bool {
        matches!(self, HubSpotError::Api { status: 401, .. })
    }

    /// An answer of the token endpoint to a `refresh_token` grant. There `invalid_grant` can only mean
    /// the refresh token (HubSpot sends `BAD_REFRESH_TOKEN` with it), so it is a refused refresh token
    /// even without that status; a bad client id or secret (`invalid_client`) stays a plain error: it
    /// is the app's configuration, not the tenant's install.
    pub fn from_refresh_response(status: u16, body: &[u8]) -> Self {
        let parsed: ApiErrorBody = serde_json::from_slice(body).unwrap_or_default();
        if parsed.error.as_deref() == Some("invalid_grant") {
            return HubSpotError::BadRefreshToken {
                status: parsed.status.unwrap_or_else(|| "invalid_grant".to_owned()),
                message: parsed
                    .message
                    .unwrap_or_else(|| "invalid refresh token".to_owned()),
            };
        }
        Self::from_response(status, body, None)
    }

    pub fn from_response(
        status: u16,
        body: &[u8],
        retry_after: Option<std::time::Duration>,
    ) -> Self {
        let parsed: ApiErrorBody = serde_json::from_slice(body).unwrap_or_default();
        let message = parsed
            .message
            .clone()
            .or_else(|| parsed.error.clone())
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(body);
                text.chars().take(300).collect()
            });
        if parsed.status.as_deref() == Some("BAD_REFRESH_TOKEN") {
            return HubSpotError::BadRefreshToken {
                status: "BAD_REFRESH_TOKEN".to_owned(),
                message,
            };
        }
        if status == 429 {
            let policy = RateLimitPolicy::parse(parsed.policy_name.as_deref());
            if policy == RateLimitPolicy::Daily {
                return HubSpotError::DailyLimitReached {
                    reset_at: next_utc_midnight(Utc::now()),
                    message,
                };
            }
            return HubSpotError::RateLimited {
                policy,
                message,
                correlation_id: parsed.correlation_id,
                retry_after,
            };
        }
        HubSpotError::Api {
            status,
            message,
            category: parsed.category,
            correlation_id: parsed.correlation_id,
        }
    }
}

impl HubSpotError {
    /// [`HubSpotError::from_response`] with the rate-limit headers read: a 429 that names no policy
    /// while `X-HubSpot-RateLimit-Daily-Remaining` is 0 is the daily limit.
    pub fn from_response_with_limits(status: u16, body: &[u8], limits: &RateLimitHeaders) -> Self {
        match HubSpotError::from_response(status, body, limits.retry_after) {
            HubSpotError::RateLimited {
                policy: RateLimitPolicy::Other,
                message,
                ..
            } if limits.daily_remaining == Some(0) => HubSpotError::DailyLimitReached {
                reset_at: next_utc_midnight(Utc::now()),
                message,
            },
            error => error,
        }
    }
}

fn next_utc_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let tomorrow = now.date_naive() + chrono::Days::new(1);
    tomorrow
        .and_hms_opt(0, 0, 0)
        .map(|at| at.and_utc())
        .unwrap_or(now + chrono::Duration::hours(24))
}

impl From<HubSpotError> for SourceError {
    fn from(error: HubSpotError) -> Self {
        let message = error.to_string();
        match error {
            HubSpotError::DailyLimitReached { reset_at, .. } => SourceError::RateLimited {
                reset_at: Some(reset_at),
                message,
            },
            HubSpotError::BadRefreshToken { .. } => SourceError::NeedsReauth { reason: message },
            // The HTTP client only lets a 401 through once a new token was refused as well, or when
            // there is no other token (a private app's): only a new install or token helps.
            HubSpotError::Api { status: 401, .. } => SourceError::NeedsReauth {
                reason: format!("HubSpot refused the access token: {message}"),
            },
            HubSpotError::Api { status, .. } if status >= 500 || status == 423 => {
                SourceError::Unavailable { message }
            }
            HubSpotError::Api { status, .. } => SourceError::Rejected { status, message },
            HubSpotError::RateLimited { .. }
            | HubSpotError::Transport(_)
            | HubSpotError::Timeout => SourceError::Unavailable { message },
            HubSpotError::Decode(_) => SourceError::InvalidResponse(message),
            HubSpotError::Credentials(_) => SourceError::Credentials(message),
            HubSpotError::InvalidCursor(_) => SourceError::InvalidCursor(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_hubspot_message_category_and_correlation_id() {
        let body = br#"{"status":"error","message":"Property values were not valid","correlationId":"abc-123","category":"VALIDATION_ERROR"}"#;
        let error = HubSpotError::from_response(400, body, None);
        let text = error.to_string();
        assert!(text.contains("Property values were not valid"), "{text}");
        assert!(text.contains("VALIDATION_ERROR"), "{text}");
        assert!(text.contains("abc-123"), "{text}");
        assert!(!error.is_transient());
        assert!(matches!(
            SourceError::from(error),
            SourceError::Rejected { status: 400, .. }
        ));
    }

    #[test]
    fn daily_429_stops_and_ten_secondly_429_retries() {
        let daily = br#"{"status":"error","message":"daily","errorType":"RATE_LIMIT","correlationId":"x","policyName":"DAILY"}"#;
        let error = HubSpotError::from_response(429, daily, None);
        assert!(!error.is_transient());
        assert!(matches!(
            SourceError::from(error),
            SourceError::RateLimited {
                reset_at: Some(_),
                ..
            }
        ));

        let rolling = br#"{"status":"error","message":"ten","errorType":"RATE_LIMIT","correlationId":"x","policyName":"TEN_SECONDLY_ROLLING"}"#;
        let error = HubSpotError::from_response(429, rolling, None);
        assert!(error.is_transient());
        assert!(matches!(
            error,
            HubSpotError::RateLimited {
                policy: RateLimitPolicy::TenSecondlyRolling,
                ..
            }
        ));
    }

    #[test]
    fn server_errors_and_locks_are_transient_and_bad_refresh_token_is_not() {
        assert!(HubSpotError::from_response(502, b"<html>bad gateway</html>", None).is_transient());
        assert!(HubSpotError::from_response(423, b"{}", None).is_transient());
        let dead = br#"{"error":"invalid_grant","status":"BAD_REFRESH_TOKEN","message":"missing or invalid refresh token"}"#;
        let error = HubSpotError::from_response(400, dead, None);
        assert!(matches!(error, HubSpotError::BadRefreshToken { .. }));
        assert!(matches!(
            SourceError::from(error),
            SourceError::NeedsReauth { .. }
        ));
    }

    #[test]
    fn a_401_is_a_refused_token_that_needs_a_new_install_once_it_reaches_the_engine() {
        let expired = br#"{"status":"error","message":"The OAuth token used to make this call expired 3 second(s) ago.","correlationId":"c-1","category":"EXPIRED_AUTHENTICATION"}"#;
        let error = HubSpotError::from_response(401, expired, None);
        assert!(error.is_token_refused() && !error.is_transient());
        let SourceError::NeedsReauth { reason } = SourceError::from(error) else {
            panic!("a 401 should need a new install");
        };
        assert!(reason.contains("EXPIRED_AUTHENTICATION"), "{reason}");
        assert!(!HubSpotError::from_response(403, b"{}", None).is_token_refused());
    }

    #[test]
    fn invalid_grant_on_a_refresh_is_a_refused_refresh_token_and_a_bad_client_is_not() {
        let grant = br#"{"error":"invalid_grant","error_description":"refresh token revoked"}"#;
        assert!(matches!(
            HubSpotError::from_refresh_response(400, grant),
            HubSpotError::BadRefreshToken { .. }
        ));
        let documented = br#"{"status":"BAD_REFRESH_TOKEN","message":"missing or invalid refresh token","correlationId":"x","error":"invalid_grant","error_description":"missing or invalid refresh token"}"#;
        let HubSpotError::BadRefreshToken { status, message } =
            HubSpotError::from_refresh_response(400, documented)
        else {
            panic!("BAD_REFRESH_TOKEN expected");
        };
        assert_eq!(
            (status.as_str(), message.as_str()),
            ("BAD_REFRESH_TOKEN", "missing or invalid refresh token")
        );
        let client = br#"{"status":"BAD_CLIENT_SECRET","message":"missing or invalid client_secret","error":"invalid_client"}"#;
        assert!(matches!(
            HubSpotError::from_refresh_response(400, client),
            HubSpotError::Api { status: 400, .. }
        ));
    }

    #[test]
    fn daily_reset_is_the_next_midnight() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T10:30:00Z")
            .map(|d| d.with_timezone(&Utc))
            .ok();
        let reset = now.map(next_utc_midnight).map(|d| d.to_rfc3339());
        assert_eq!(reset.as_deref(), Some("2026-11-27T00:00:00+00:00"));
    }

    #[test]
    fn a_429_without_a_policy_is_daily_when_the_daily_headers_say_none_is_left() {
        let body = br#"{"status":"error","message":"limit","errorType":"RATE_LIMIT"}"#;
        let spent = RateLimitHeaders {
            daily: Some(250_000),
            daily_remaining: Some(0),
            ..RateLimitHeaders::default()
        };
        assert!(matches!(
            HubSpotError::from_response_with_limits(429, body, &spent),
            HubSpotError::DailyLimitReached { .. }
        ));
        let left = RateLimitHeaders {
            daily_remaining: Some(10),
            retry_after: Some(std::time::Duration::from_secs(2)),
            ..spent
        };
        assert!(matches!(
            HubSpotError::from_response_with_limits(429, body, &left),
            HubSpotError::RateLimited {
                policy: RateLimitPolicy::Other,
                retry_after: Some(_),
                ..
            }
        ));
    }
}
