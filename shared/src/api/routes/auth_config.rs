//! What the dashboard needs to sign people in: the issuer, the public client id, the scopes and which
//! token to send. Public (the page reads it before anyone is signed in) and free of tenant data.

use crate::api::config::DashboardSignIn;
use crate::api::ApiState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuthConfig {
    /// The OpenID Connect sign-in settings; `null` when the deployment has none (the page then asks
    /// for a token, as the local runner's development token in the URL fragment gives it).
    pub sign_in: Option<DashboardSignIn>,
}

/// How the dashboard signs people in; needs no credentials.
#[utoipa::path(
    get,
    path = "/auth-config.json",
    tag = "service",
    responses((status = 200, description = "The dashboard's sign-in settings", body = AuthConfig))
)]
pub async fn auth_config(State(state): State<ApiState>) -> Json<AuthConfig> {
    Json(AuthConfig {
        sign_in: state.config.dashboard_sign_in.clone(),
    })
}
