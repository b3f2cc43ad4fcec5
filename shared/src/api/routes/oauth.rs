//! Onboarding: HubSpot's OAuth install and callback over HTTP. What they do (the signed state, the
//! code exchange, connecting the tenant) is [`crate::sources::hubspot::oauth::install`]; here the
//! request is read and the answer written.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiQuery;
use crate::api::{ApiState, Caller};
use crate::sources::hubspot::oauth::{AppLoadError, InstallError, Installer, OAuthApp};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;

impl ApiState {
    /// The app's OAuth settings, read from the vault on first success and kept.
    pub async fn oauth_app(&self) -> Result<Arc<OAuthApp>, ApiError> {
        self.oauth_app
            .get(
                self.vault.as_ref(),
                &self.config.hubspot,
                self.config.oauth_redirect_uri(),
            )
            .await
            .map_err(|error| match error {
                AppLoadError::NotConfigured(problem) => ApiError::OAuthNotConfigured {
                    reason: problem.to_string(),
                },
                // Unavailable and the like: transient, a 503 that is worth retrying.
                AppLoadError::Vault(error) => error.into(),
            })
    }

    fn installer(&self) -> Installer<'_> {
        Installer {
            store: self.store.as_ref(),
            vault: self.vault.as_ref(),
            bus: self.bus.as_ref(),
            http: &self.http,
            api_base_url: self.config.hubspot.api_base_url.as_str(),
            tenant_secret_prefix: &self.config.tenant_secret_prefix,
        }
    }
}

/// The answer to each way an install can fail; a person can fix the 400s by starting again.
impl From<InstallError> for ApiError {
    fn from(error: InstallError) -> Self {
        let start_again = |detail: &str| ApiError::OAuth {
            detail: detail.to_string(),
        };
        match error {
            InstallError::ForeignState => {
                start_again("This install link was not issued by us; start the install again.")
            }
            InstallError::StateExpiredOrUsed => start_again(
                "This install link has expired or was already used; start the install again.",
            ),
            InstallError::CodeRefused(_) => {
                start_again("HubSpot refused the authorization code; start the install again.")
            }
            InstallError::PortalTaken => {
                ApiError::conflict("This HubSpot portal is already connected to another account.")
            }
            InstallError::HubSpot(error) if error.is_transient() => ApiError::Unavailable {
                what: "HubSpot",
                source: Box::new(error),
            },
            InstallError::HubSpot(error) => ApiError::internal(error),
            InstallError::Store(error) => error.into(),
            InstallError::Vault(error) => error.into(),
            InstallError::Internal(source) => ApiError::Internal { source },
        }
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
    let url = state
        .installer()
        .start(&app, caller.map(|c| c.tenant_id), state.now())
        .await?;
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
    let connected = state
        .installer()
        .complete(app, &signed_state, &code, state.now())
        .await?;
    // Whoever consented in HubSpot is no caller of ours: the product records the install it saw.
    let audit = crate::domain::AuditChange::new(
        "install.completed",
        crate::domain::AuditEntityKind::Install,
        connected.portal_id,
    )
    .after(&serde_json::json!({
        "portal_id": connected.portal_id,
        "status": connected.tenant.status,
    }));
    if let Err(error) = crate::handlers::audit::record_system(
        state.store.as_ref(),
        &connected.tenant.id,
        audit,
        state.now(),
    )
    .await
    {
        // The portal is connected and the code spent: an error page now would only mislead.
        tracing::error!(%error, tenant = %connected.tenant.id, "could not record the install in the audit trail");
    }
    Ok(Html(connected_page(&connected.tenant.name, connected.portal_id)).into_response())
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

/// Text made safe to place in HTML.
pub(crate) fn html_escape(text: &str) -> String {
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
