//! `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant of the Microsoft identity
//! platform (auth-v2-service.md), with its AADSTS errors.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde_json::json;

use super::{json_response, AppState};
use crate::state::{lock, IssuedToken, Shared};

const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";

fn aad_error(
    shared: &Shared,
    status: StatusCode,
    error: &str,
    code: u32,
    description: &str,
) -> Response {
    let trace = shared.next_id("");
    json_response(
        status,
        &json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description} Trace ID: {trace}"),
            "error_codes": [code],
            "timestamp": crate::datetime(shared.now_ms()).format("%Y-%m-%d %H:%M:%SZ").to_string(),
            "trace_id": trace,
            "correlation_id": trace,
        }),
    )
}

pub(super) async fn token(
    State(shared): AppState,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let latency = lock(&shared.faults).latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    shared.count("POST /{tenant}/oauth2/v2.0/token");
    lock(&shared.stats).token_requests += 1;
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("grant_type") != "client_credentials" {
        return aad_error(
            &shared,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        );
    }
    if field("scope") != GRAPH_DEFAULT_SCOPE {
        return aad_error(&shared, StatusCode::BAD_REQUEST, "invalid_scope", 1002012,
            "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).");
    }
    if field("client_id") != shared.config.client_id {
        return aad_error(
            &shared,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{}' was not found in the directory '{tenant}'.",
                field("client_id")
            ),
        );
    }
    if field("client_secret") != shared.config.client_secret {
        return aad_error(&shared, StatusCode::UNAUTHORIZED, "invalid_client", 7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.");
    }
    if matches!(tenant.as_str(), "common" | "organizations" | "consumers") {
        // The client-credentials grant needs the tenant's id or domain (auth-v2-service.md); the
        // exact code Entra sends here is not documented (sandbox assumption).
        return aad_error(&shared, StatusCode::BAD_REQUEST, "invalid_request", 90133,
            "Tenant-independent endpoints cannot issue tokens for the client credentials grant: use the tenant's id.");
    }
    let Some(model) = shared.tenant(&tenant) else {
        return aad_error(&shared, StatusCode::BAD_REQUEST, "invalid_request", 90002,
            &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."));
    };
    let tenant_id = model.tenant_id.clone();
    if !lock(&shared.consented).contains(&tenant_id) {
        return aad_error(&shared, StatusCode::BAD_REQUEST, "unauthorized_client", 700016,
            &format!("Application with identifier '{}' was not found in the directory '{tenant_id}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", shared.config.client_id));
    }
    let now = shared.now_ms();
    let lifetime = shared.config.limits.token_lifetime;
    let access_token = shared.next_id("eyJ0eXAiOiJKV1Qi.");
    lock(&shared.tokens).insert(
        access_token.clone(),
        IssuedToken {
            tenant_id,
            issued_ms: now,
            expires_ms: now + lifetime.as_millis() as i64,
        },
    );
    json_response(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "expires_in": lifetime.as_secs(),
            "ext_expires_in": lifetime.as_secs(),
            "access_token": access_token,
        }),
    )
}
