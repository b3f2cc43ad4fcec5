//! A tenant's stored HubSpot credentials: the OAuth token set (with its refresh margin) and the JSON
//! format of the tenant's secret. The token manager that decides when to refresh lives in
//! `token_manager`; the OAuth endpoints that issue tokens in `oauth::client`.
//!
//! # The tenant's secret
//! One secret per tenant (the tenant's `credentials_secret_id`) holds JSON, written and read only
//! through [`StoredCredentials`]:
//! ```json
//! {"version":1,"kind":"oauth","access_token":"...","refresh_token":"...",
//!  "expires_at":"2026-11-26T10:30:00Z","issued_at":"2026-11-26T10:00:00Z",
//!  "hub_id":12345678,"scopes":["crm.objects.companies.read"]}
//! {"version":1,"kind":"private_app","access_token":"pat-na1-..."}
//! ```
//! `expires_at` is computed from HubSpot's `expires_in` when the token was issued, at `issued_at`
//! (their difference is the token's lifetime, which sets the refresh margin). Secrets written before
//! `issued_at` existed read with it unset.

use crate::sources::hubspot::error::HubSpotError;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// OAuth tokens of one portal. `Debug` shows no token.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    pub expires_at: DateTime<Utc>,
    /// When HubSpot issued the access token; `None` for credentials stored before this was kept.
    pub issued_at: Option<DateTime<Utc>>,
    /// The portal (HubSpot's `hub_id`), once token info has been read.
    pub hub_id: Option<u64>,
    pub scopes: Vec<String>,
}

impl TokenSet {
    /// Builds a token set from what the OAuth callback or a test obtained; `expires_in` in seconds.
    pub fn new(
        access_token: SecretString,
        refresh_token: SecretString,
        expires_in: u64,
        now: DateTime<Utc>,
    ) -> Self {
        TokenSet {
            access_token,
            refresh_token,
            expires_at: now + chrono::Duration::seconds(expires_in.min(i64::MAX as u64) as i64),
            issued_at: Some(now),
            hub_id: None,
            scopes: Vec::new(),
        }
    }

    /// How long before its expiry the access token is refreshed: `max_margin`, or half the token's
    /// lifetime when that is shorter, so a short-lived token is still used for half its life instead
    /// of counting as expiring the moment it is issued. An unknown lifetime (credentials stored
    /// before `issued_at` was kept) gets `max_margin`.
    pub fn refresh_margin(&self, max_margin: Duration) -> Duration {
        let half_life = self
            .issued_at
            .and_then(|issued| (self.expires_at - issued).to_std().ok())
            .map(|lifetime| lifetime / 2);
        match half_life {
            Some(half) => half.min(max_margin),
            None => max_margin,
        }
    }

    /// Whether the access token expires within its refresh margin (see [`Self::refresh_margin`])
    /// of `now`, or already has.
    pub fn needs_refresh(&self, now: DateTime<Utc>, max_margin: Duration) -> bool {
        let margin = chrono::Duration::from_std(self.refresh_margin(max_margin))
            .unwrap_or(chrono::Duration::zero());
        self.expires_at - margin <= now
    }
}

/// What a tenant's secret holds. Build one with [`StoredCredentials::oauth`] or
/// [`StoredCredentials::private_app`] and store [`StoredCredentials::to_secret`].
#[derive(Debug, Clone)]
pub enum StoredCredentials {
    OAuth(TokenSet),
    PrivateApp { access_token: SecretString },
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SecretJson {
    version: u32,
    kind: String,
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issued_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hub_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    scopes: Vec<String>,
}

const SECRET_VERSION: u32 = 1;

impl StoredCredentials {
    pub fn oauth(tokens: TokenSet) -> Self {
        StoredCredentials::OAuth(tokens)
    }

    pub fn private_app(access_token: SecretString) -> Self {
        StoredCredentials::PrivateApp { access_token }
    }

    /// The secret's JSON (see the module docs).
    pub fn to_secret(&self) -> SecretString {
        let json = match self {
            StoredCredentials::OAuth(tokens) => SecretJson {
                version: SECRET_VERSION,
                kind: "oauth".to_owned(),
                access_token: tokens.access_token.expose_secret().to_owned(),
                refresh_token: Some(tokens.refresh_token.expose_secret().to_owned()),
                expires_at: Some(tokens.expires_at),
                issued_at: tokens.issued_at,
                hub_id: tokens.hub_id,
                scopes: tokens.scopes.clone(),
            },
            StoredCredentials::PrivateApp { access_token } => SecretJson {
                version: SECRET_VERSION,
                kind: "private_app".to_owned(),
                access_token: access_token.expose_secret().to_owned(),
                refresh_token: None,
                expires_at: None,
                issued_at: None,
                hub_id: None,
                scopes: Vec::new(),
            },
        };
        // Serialising plain strings and numbers cannot fail; an empty secret would be refused on read.
        SecretString::from(serde_json::to_string(&json).unwrap_or_default())
    }

    pub fn from_secret(secret: &SecretString) -> Result<Self, HubSpotError> {
        // The parser's message could quote the secret: keep only its position.
        let json: SecretJson = serde_json::from_str(secret.expose_secret()).map_err(|e| {
            HubSpotError::Credentials(format!(
                "stored credentials are not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        if json.access_token.is_empty() {
            return Err(HubSpotError::Credentials(
                "stored credentials have no access token".to_owned(),
            ));
        }
        match json.kind.as_str() {
            "oauth" => {
                let refresh_token =
                    json.refresh_token
                        .filter(|t| !t.is_empty())
                        .ok_or_else(|| {
                            HubSpotError::Credentials(
                                "stored OAuth credentials have no refresh token".into(),
                            )
                        })?;
                Ok(StoredCredentials::OAuth(TokenSet {
                    access_token: SecretString::from(json.access_token),
                    refresh_token: SecretString::from(refresh_token),
                    // Unknown expiry: refresh before first use.
                    expires_at: json.expires_at.unwrap_or(DateTime::UNIX_EPOCH),
                    issued_at: json.issued_at,
                    hub_id: json.hub_id,
                    scopes: json.scopes,
                }))
            }
            "private_app" => Ok(StoredCredentials::PrivateApp {
                access_token: SecretString::from(json.access_token),
            }),
            other => Err(HubSpotError::Credentials(format!(
                "unknown credentials kind {other:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_round_trip_and_never_debug_print_tokens() {
        let now = Utc::now();
        let mut tokens = TokenSet::new(
            SecretString::from("access-abc".to_owned()),
            SecretString::from("refresh-xyz".to_owned()),
            1800,
            now,
        );
        tokens.hub_id = Some(42);
        let stored = StoredCredentials::oauth(tokens);
        assert!(stored.to_secret().expose_secret().contains("issued_at"));
        let debug = format!("{stored:?}");
        assert!(
            !debug.contains("access-abc") && !debug.contains("refresh-xyz"),
            "{debug}"
        );
        let back = StoredCredentials::from_secret(&stored.to_secret()).unwrap();
        let StoredCredentials::OAuth(back) = back else {
            panic!("expected OAuth credentials");
        };
        assert_eq!(back.access_token.expose_secret(), "access-abc");
        assert_eq!(back.refresh_token.expose_secret(), "refresh-xyz");
        assert_eq!(back.hub_id, Some(42));
        assert_eq!(
            back.issued_at.map(|t| t.timestamp_millis()),
            Some(now.timestamp_millis())
        );
        assert!(!back.needs_refresh(now, Duration::from_secs(300)));
        assert!(back.needs_refresh(
            now + chrono::Duration::seconds(1501),
            Duration::from_secs(300)
        ));

        let private = StoredCredentials::private_app(SecretString::from("pat-1".to_owned()));
        assert!(matches!(
            StoredCredentials::from_secret(&private.to_secret()),
            Ok(StoredCredentials::PrivateApp { .. })
        ));
    }

    #[test]
    fn the_refresh_margin_is_five_minutes_or_half_a_short_tokens_life() {
        let now = Utc::now();
        let token = |expires_in| {
            TokenSet::new(
                SecretString::from("a".to_owned()),
                SecretString::from("r".to_owned()),
                expires_in,
                now,
            )
        };
        let five_minutes = Duration::from_secs(300);
        assert_eq!(token(1800).refresh_margin(five_minutes), five_minutes);
        assert_eq!(
            token(120).refresh_margin(five_minutes),
            Duration::from_secs(60)
        );
        // A 120 s token is used for its first minute, then refreshed.
        let short = token(120);
        assert!(!short.needs_refresh(now, five_minutes));
        assert!(!short.needs_refresh(now + chrono::Duration::seconds(59), five_minutes));
        assert!(short.needs_refresh(now + chrono::Duration::seconds(60), five_minutes));
        assert!(token(0).needs_refresh(now, five_minutes));
    }

    #[test]
    fn secrets_stored_before_issued_at_read_with_the_full_margin() {
        let old = SecretString::from(
            r#"{"version":1,"kind":"oauth","access_token":"a","refresh_token":"r","expires_at":"2026-11-26T10:30:00Z","hub_id":7}"#
                .to_owned(),
        );
        let StoredCredentials::OAuth(tokens) = StoredCredentials::from_secret(&old).unwrap() else {
            panic!("OAuth credentials expected");
        };
        assert_eq!(tokens.issued_at, None);
        assert_eq!(tokens.hub_id, Some(7));
        let five_minutes = Duration::from_secs(300);
        assert_eq!(tokens.refresh_margin(five_minutes), five_minutes);
        // Written back, it keeps what it had and gains nothing it did not have.
        let again = StoredCredentials::OAuth(tokens).to_secret();
        assert!(!again.expose_secret().contains("issued_at"));
    }

    #[test]
    fn malformed_secrets_are_refused_without_echoing_them() {
        let bad = SecretString::from("{\"kind\":\"oauth\",\"access_token\":\"leak-me\"".to_owned());
        let error = StoredCredentials::from_secret(&bad)
            .unwrap_err()
            .to_string();
        assert!(!error.contains("leak-me"), "{error}");
        let no_refresh =
            SecretString::from(r#"{"version":1,"kind":"oauth","access_token":"a"}"#.to_owned());
        assert!(StoredCredentials::from_secret(&no_refresh).is_err());
    }
}
