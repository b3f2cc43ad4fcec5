//! HubSpot's OAuth endpoints: the code exchange, token info and the refresh, each retried on
//! transient failures and read without ever echoing a token.

use crate::sources::hubspot::api;
use crate::sources::hubspot::client::RetryPolicy;
use crate::sources::hubspot::credentials::TokenSet;
use crate::sources::hubspot::error::HubSpotError;
use crate::sources::hubspot::oauth::OAuthApp;
use crate::sources::hubspot::wire::{TokenInfo, TokenResponse};
use backon::{ExponentialBuilder, Retryable};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

/// HubSpot's OAuth endpoints.
#[derive(Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
    base_url: String,
    app: Arc<OAuthApp>,
    retry: RetryPolicy,
}

impl OAuthClient {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        app: Arc<OAuthApp>,
        retry: RetryPolicy,
    ) -> Self {
        OAuthClient {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            app,
            retry,
        }
    }

    pub fn app(&self) -> &OAuthApp {
        &self.app
    }

    /// Exchanges the callback's code for tokens, and reads the portal id they belong to.
    pub async fn exchange_code(&self, code: &str) -> Result<TokenSet, HubSpotError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.app.redirect_uri.as_str()),
            ("client_id", self.app.client_id.as_str()),
            ("client_secret", self.app.client_secret.expose_secret()),
        ];
        let response = self.token_request(&form).await?;
        let refresh_token = response.refresh_token.ok_or_else(|| {
            HubSpotError::Decode("the code exchange returned no refresh token".to_owned())
        })?;
        let mut tokens = TokenSet::new(
            response.access_token,
            refresh_token,
            response.expires_in,
            Utc::now(),
        );
        let info = self.token_info(&tokens.access_token).await?;
        tokens.hub_id = Some(info.hub_id);
        tokens.scopes = info.scopes;
        Ok(tokens)
    }

    /// A new access token from `current`'s refresh token; keeps the refresh token when HubSpot does
    /// not send a new one, and the portal id and scopes.
    pub async fn refresh(&self, current: &TokenSet) -> Result<TokenSet, HubSpotError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", current.refresh_token.expose_secret()),
            ("client_id", self.app.client_id.as_str()),
            ("client_secret", self.app.client_secret.expose_secret()),
        ];
        let url = format!("{}{}", self.base_url, api::oauth_token());
        let response: TokenResponse = self
            .send_json(
                || self.http.post(&url).form(&form),
                HubSpotError::from_refresh_response,
            )
            .await?;
        let mut tokens = TokenSet::new(
            response.access_token,
            response
                .refresh_token
                .unwrap_or_else(|| current.refresh_token.clone()),
            response.expires_in,
            Utc::now(),
        );
        tokens.hub_id = current.hub_id;
        tokens.scopes = current.scopes.clone();
        Ok(tokens)
    }

    pub async fn token_info(&self, access_token: &SecretString) -> Result<TokenInfo, HubSpotError> {
        let url = format!(
            "{}{}",
            self.base_url,
            api::oauth_token_info(access_token.expose_secret())
        );
        self.send_json(|| self.http.get(&url), plain_error).await
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<TokenResponse, HubSpotError> {
        let url = format!("{}{}", self.base_url, api::oauth_token());
        self.send_json(|| self.http.post(&url).form(form), plain_error)
            .await
    }

    /// Sends the request `build` makes (again on each retry) and decodes its JSON answer; `refused`
    /// reads an error answer.
    async fn send_json<T: serde::de::DeserializeOwned>(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
        refused: fn(u16, &[u8]) -> HubSpotError,
    ) -> Result<T, HubSpotError> {
        let bytes = self
            .with_retries(|| async {
                let response = build().timeout(self.retry.request_timeout).send().await;
                read_response(response, refused).await
            })
            .await?;
        // serde's message for a missing field names the field, never a value.
        serde_json::from_slice(&bytes).map_err(|e| HubSpotError::Decode(e.to_string()))
    }

    async fn with_retries<F, Fut>(&self, attempt: F) -> Result<bytes::Bytes, HubSpotError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<bytes::Bytes, HubSpotError>>,
    {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.retry.min_delay)
            .with_max_delay(self.retry.max_delay)
            .with_max_times(self.retry.max_retries)
            .with_jitter();
        attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(HubSpotError::is_transient)
            .notify(|error, delay| tracing::warn!(%error, ?delay, "retrying HubSpot OAuth request"))
            .await
    }
}

fn plain_error(status: u16, body: &[u8]) -> HubSpotError {
    HubSpotError::from_response(status, body, None)
}

async fn read_response(
    response: Result<reqwest::Response, reqwest::Error>,
    refused: fn(u16, &[u8]) -> HubSpotError,
) -> Result<bytes::Bytes, HubSpotError> {
    let response = response.map_err(|e| {
        if e.is_timeout() {
            HubSpotError::Timeout
        } else {
            // Without the URL: the token-info URL carries the token.
            HubSpotError::Transport(e.without_url().to_string())
        }
    })?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| HubSpotError::Transport(e.without_url().to_string()))?;
    if status.is_success() {
        Ok(bytes)
    } else {
        Err(refused(status.as_u16(), &bytes))
    }
}
