//! `POST /oauth/token` (the spec's `tokenUrl` path) and `POST /v1/token` (the spec's operation): a
//! JSON body `{client_id, client_secret, audience, grant_type}`, answered with a bearer token that
//! lives `expires_in` 86400 seconds.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use rand::Rng;
use serde::Deserialize;
use serde_json::json;

use super::{enter, json_response, AppState};
use crate::state::{lock, AccessToken};

/// The audiences the spec's `TokenRequest` enumerates.
const AUDIENCES: &[&str] = &[
    "https://api.pax8.com",
    "api://p8p.client",
    "api://provisioning",
    "api://usage",
];

#[derive(Deserialize)]
struct TokenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    audience: Option<String>,
    grant_type: Option<String>,
}

fn refused(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

pub(super) async fn issue(State(shared): AppState, uri: Uri, body: Bytes) -> Response {
    lock(&shared.stats).token_requests += 1;
    if let Err(refusal) = enter(&shared, &format!("POST {}", uri.path()), uri.path()).await {
        return refusal;
    }
    let Ok(request) = serde_json::from_slice::<TokenRequest>(&body) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request body must be JSON",
        );
    };
    if request.grant_type.as_deref() != Some("client_credentials") {
        return refused(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            "Grant type not allowed for the client.",
        );
    }
    let config = &shared.config;
    let credentials_ok = request.client_id.as_deref() == Some(config.client_id.as_str())
        && request.client_secret.as_deref() == Some(config.client_secret.as_str());
    if !credentials_ok || lock(&shared.auth).refuse_credentials {
        // The spec's only documented refusal.
        return refused(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized");
    }
    let audience = request.audience.unwrap_or_default();
    if !AUDIENCES.contains(&audience.as_str()) {
        return refused(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized");
    }
    let now = shared.now_ms();
    let ttl_ms = config.token_ttl_secs as i64 * 1_000;
    let token: String = {
        let mut rng = lock(&shared.rng);
        let tail: String = (0..64)
            .map(|_| {
                char::from(
                    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                        [rng.random_range(0..62)],
                )
            })
            .collect();
        format!("eyJhbGciOiJSUzI1NiJ9.{tail}")
    };
    lock(&shared.auth).tokens.insert(
        token.clone(),
        AccessToken {
            expires_at_ms: now + ttl_ms,
            revoked: false,
            audience,
        },
    );
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": token,
            "expires_in": config.token_ttl_secs,
            "token_type": "Bearer",
        }),
    )
}
