//! Onboarding: HubSpot's OAuth install and callback.
//!
//! `/oauth/install` stores a single-use nonce (10 minutes) and redirects to HubSpot's consent page
//! with the nonce signed by the app's client secret as `state`. `/oauth/callback` checks the
//! signature, takes the nonce once, exchanges the code, and creates or updates the portal's tenant
//! with its tokens in the vault.

use crate::api::error::{ApiError, ErrorChain, Problem};
use crate::api::extract::ApiQuery;
use crate::api::{ApiState, Caller};
use crate::domain::{AuthKind, SyncMode, SyncTrigger, Tenant, TenantId};
use crate::events::{ProductEvent, SyncRequested};
use crate::ports::{OAuthState, StoreError, VaultError};
use crate::sources::hubspot::{
    HubSpotError, OAuthApp, OAuthClient, RetryPolicy, StoredCredentials,
};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// How long an install link stays valid.
pub const OAUTH_STATE_LIFETIME: Duration = Duration::minutes(10);

/// A person is waiting on the callback, and API Gateway gives up after 30 seconds: retry HubSpot
/// briefly, then let the user try again.
fn callback_retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        min_delay: std::time::Duration::from_millis(200),
        max_delay: std::time::Duration::from_secs(1),
        rate_limit_delay: std::time::Duration::from_secs(1),
        request_timeout: std::time::Duration::from_secs(8),
    }
}

fn hubspot_error(error: HubSpotError) -> ApiError {
    match error {
        HubSpotError::Api { status, .. } if (400..500).contains(&status) => ApiError::OAuth {
            detail: "HubSpot refused the authorization code; start the install again.".to_string(),
        },
        error if error.is_transient() => ApiError::Unavailable {
            what: "HubSpot",
            source: Box::new(error),
        },
        error => ApiError::internal(error),
    }
}

/// Sends the user to HubSpot's consent page with a signed, single-use state.
#[utoipa::path(
    get,
    path = "/oauth/install",
    tag = "onboarding",
    responses(
        (status = 302, description = "Redirect to HubSpot's consent page", headers(("Location" = String, description = "HubSpot's authorize URL"))),
        (status = 503, description = "The install cannot start: the HubSpot app is not configured here (`/problems/oauth-not-configured`), or the store or secret store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn install(
    State(state): State<ApiState>,
    caller: Option<Caller>,
) -> Result<Response, ApiError> {
    let app = state.oauth_app().await?;
    let now = state.now();
    let nonce = OAuthApp::new_nonce();
    state
        .store
        .put_oauth_state(&OAuthState {
            nonce: nonce.clone(),
            tenant_id: caller.map(|c| c.tenant_id),
            created_at: now,
            expires_at: now + OAUTH_STATE_LIFETIME,
        })
        .await?;
    let url = app.authorize_url(&nonce).map_err(ApiError::internal)?;
    let location = HeaderValue::from_str(&url).map_err(ApiError::internal)?;
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code HubSpot issued.
    pub code: Option<String>,
    /// The signed state `/oauth/install` sent.
    pub state: Option<String>,
    /// Set by HubSpot when the user refused consent.
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// HubSpot sends the user back here: exchange the code, connect the portal, store the tokens.
#[utoipa::path(
    get,
    path = "/oauth/callback",
    tag = "onboarding",
    params(CallbackQuery),
    responses(
        (status = 200, description = "The portal is connected", content_type = "text/html", body = String),
        (status = 400, description = "Consent was refused, or the link is unknown, expired or used", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The portal is connected to another tenant", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The HubSpot app is not configured here (`/problems/oauth-not-configured`), or HubSpot, the store or the secret store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn callback(
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<CallbackQuery>,
) -> Result<Response, ApiError> {
    if let Some(error) = query.error {
        let error: String = error.chars().take(100).collect();
        return Err(ApiError::OAuth {
            detail: format!(
                "HubSpot did not grant access ({error}); start the install again to connect."
            ),
        });
    }
    let signed_state = query
        .state
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_parameter("state", "is required"))?;
    let code = query
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_parameter("code", "is required"))?;

    let app = state.oauth_app().await?;
    let nonce = app
        .verify_state(&signed_state)
        .ok_or_else(|| ApiError::OAuth {
            detail: "This install link was not issued by us; start the install again.".to_string(),
        })?;
    let now = state.now();
    let remembered = state
        .store
        .take_oauth_state(nonce, now)
        .await?
        .ok_or_else(|| ApiError::OAuth {
            detail: "This install link has expired or was already used; start the install again."
                .to_string(),
        })?;

    let client = OAuthClient::new(
        state.http.clone(),
        state.config.hubspot_api_base_url.as_str(),
        app,
        callback_retry_policy(),
    );
    let tokens = client.exchange_code(&code).await.map_err(hubspot_error)?;
    let portal_id = tokens.hub_id.ok_or_else(|| {
        ApiError::internal(HubSpotError::Decode(
            "token info carried no hub_id".to_string(),
        ))
    })?;
    let portal_name = match client.token_info(&tokens.access_token).await {
        Ok(info) => info.hub_domain.filter(|d| !d.trim().is_empty()),
        Err(error) => {
            tracing::warn!(error = %ErrorChain(&error), "could not read the portal's domain");
            None
        }
    }
    .unwrap_or_else(|| format!("HubSpot portal {portal_id}"));

    let tenant_id = tenant_for_portal(&state, remembered.tenant_id, portal_id).await?;
    let secret_id = format!("{}{}", state.config.tenant_secret_prefix, tenant_id);
    store_credentials(&state, &secret_id, &StoredCredentials::oauth(tokens)).await?;
    let tenant =
        connect_tenant(&state, &tenant_id, portal_id, &portal_name, &secret_id, now).await?;
    tracing::info!(tenant_id = %tenant.id, portal_id, "HubSpot portal connected");
    request_first_sync(&state, &tenant.id, now).await;

    Ok(Html(connected_page(&tenant.name, portal_id)).into_response())
}

/// The tenant a portal belongs to: the one re-authorising, the one already connected to the
/// portal, or a new one named after the portal.
async fn tenant_for_portal(
    state: &ApiState,
    reauthorising: Option<TenantId>,
    portal_id: u64,
) -> Result<TenantId, ApiError> {
    let connected = state.store.tenant_by_portal(portal_id).await?;
    match (reauthorising, connected) {
        (Some(wanted), Some(existing)) if existing.id != wanted => Err(ApiError::conflict(
            "This HubSpot portal is already connected to another account.",
        )),
        (Some(wanted), _) => Ok(wanted),
        (None, Some(existing)) => Ok(existing.id),
        (None, None) => TenantId::parse(format!("hs-{portal_id}")).map_err(ApiError::internal),
    }
}

async fn store_credentials(
    state: &ApiState,
    secret_id: &str,
    credentials: &StoredCredentials,
) -> Result<(), ApiError> {
    let value = credentials.to_secret();
    match state.vault.create(secret_id, &value).await {
        Ok(()) => Ok(()),
        Err(VaultError::AlreadyExists(_)) => {
            state.vault.put(secret_id, &value, None).await?;
            Ok(())
        }
        Err(other) => Err(other.into()),
    }
}

async fn connect_tenant(
    state: &ApiState,
    tenant_id: &TenantId,
    portal_id: u64,
    portal_name: &str,
    secret_id: &str,
    now: DateTime<Utc>,
) -> Result<Tenant, ApiError> {
    match state.store.get_tenant(tenant_id).await {
        Ok(mut tenant) => {
            tenant.reconnect(Some(portal_id), secret_id, AuthKind::OAuth, now);
            Ok(state.store.update_tenant(&tenant).await?)
        }
        Err(StoreError::NotFound { .. }) => {
            let tenant = Tenant::connected(
                tenant_id.clone(),
                portal_name.to_string(),
                Some(portal_id),
                secret_id.to_string(),
                AuthKind::OAuth,
                now,
            );
            state.store.create_tenant(&tenant).await?;
            Ok(state.store.get_tenant(tenant_id).await?)
        }
        Err(other) => Err(other.into()),
    }
}

/// A new connection should not wait for the hourly schedule; if the request is lost, the
/// schedule still syncs the tenant.
async fn request_first_sync(state: &ApiState, tenant_id: &TenantId, now: DateTime<Utc>) {
    let event = ProductEvent::SyncRequested(SyncRequested::tenant(
        tenant_id.clone(),
        SyncMode::Full,
        SyncTrigger::Manual {
            requested_by: "oauth-install".to_string(),
        },
        now,
    ));
    if let Err(error) = state.bus.publish(&[event]).await {
        tracing::warn!(error = %ErrorChain(&error), "could not request the first sync");
    }
}

fn connected_page(name: &str, portal_id: u64) -> String {
    let name = html_escape(name);
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connected: Connected Insights</title></head>
<body>
<main>
<h1>HubSpot is connected</h1>
<p>{name} (portal {portal_id}) is connected to Connected Insights. The first sync has started;
health scores and insights appear as soon as it finishes.</p>
<p><a href="/">Open the dashboard</a></p>
</main>
</body>
</html>
"#
    )
}

fn html_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connected_page_escapes_the_portal_name() {
        let page = connected_page("<script>alert(1)</script>", 42);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("portal 42"));
    }
}
