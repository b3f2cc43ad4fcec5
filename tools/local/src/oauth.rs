//! The install flow of the local runner: the sandbox plays HubSpot's OAuth app too, so
//! `/oauth/install` connects the demo portal end to end, and the sync refreshes the OAuth tokens
//! that install stores. A real portal (HUBSPOT_ACCESS_TOKEN) has no app here: both OAuth routes then
//! answer 503 `/problems/oauth-not-configured`.

use hubspot_sandbox::SandboxConfig;
use secrecy::SecretString;
use shared::api::ApiState;
use shared::sources::hubspot::{OAuthClient, RetryPolicy};

/// The sandbox app's `{client_id, client_secret}`, as the app secret holds it on AWS.
pub fn sandbox_app_secret(config: &SandboxConfig) -> SecretString {
    SecretString::from(
        serde_json::json!({
            "client_id": config.client_id,
            "client_secret": config.client_secret,
        })
        .to_string(),
    )
}

/// Stores the app secret where the api reads it, and returns the client the sync refreshes OAuth
/// tokens with; `None` without an app (a real portal).
pub async fn connect_app(
    state: &ApiState,
    app_secret: &Option<SecretString>,
    api_base_url: &str,
) -> Result<Option<OAuthClient>, String> {
    let Some(app_secret) = app_secret else {
        return Ok(None);
    };
    let refused =
        |error: &dyn std::fmt::Display| format!("its OAuth app could not be set up: {error}");
    state
        .vault
        .create(&state.config.hubspot.app_secret_id, app_secret)
        .await
        .map_err(|e| refused(&e))?;
    let app = state.oauth_app().await.map_err(|e| refused(&e))?;
    Ok(Some(OAuthClient::new(
        state.http.clone(),
        api_base_url,
        app,
        RetryPolicy::default(),
    )))
}
