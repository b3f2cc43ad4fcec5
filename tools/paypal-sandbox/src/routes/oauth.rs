//! `POST /v1/oauth2/token`: client credentials in HTTP Basic, `grant_type=client_credentials` in the form.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::json;

use super::{enter, query_pairs, AppState};
use crate::generate::alnum;
use crate::model::rfc3339;
use crate::state::{lock, AccessToken, Shared};
use crate::wire::json_response;

/// The scopes a fully-permissioned REST app gets (PayPal lists them space-separated).
const SCOPES: &[&str] = &[
    "https://uri.paypal.com/services/invoicing",
    "https://uri.paypal.com/services/disputes/read-buyer",
    "https://uri.paypal.com/services/disputes/read-seller",
    "https://uri.paypal.com/services/subscriptions",
    "https://uri.paypal.com/services/applications/webhooks",
    "https://uri.paypal.com/services/payments/payment/authcapture",
];
const SEARCH_SCOPE: &str = "https://uri.paypal.com/services/reporting/search/read";

fn oauth_error(shared: &Shared, status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({ "error": error, "error_description": description }),
        &shared.debug_id(),
    )
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

pub(super) async fn token(State(shared): AppState, headers: HeaderMap, body: Bytes) -> Response {
    lock(&shared.stats).token_requests += 1;
    if let Err(refused) = enter(&shared, "POST /v1/oauth2/token").await {
        return refused;
    }
    let form = query_pairs(std::str::from_utf8(&body).ok());
    let credentials_ok = basic_credentials(&headers).is_some_and(|(id, secret)| {
        id == shared.config.client_id && secret == shared.config.client_secret
    });
    if !credentials_ok || lock(&shared.auth).refuse_credentials {
        return oauth_error(
            &shared,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client Authentication failed",
        );
    }
    match form
        .iter()
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.as_str())
    {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                &shared,
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Grant Type is not supported",
            )
        }
        None => {
            return oauth_error(
                &shared,
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Grant Type is NULL",
            )
        }
    }
    let now = shared.now_ms();
    let ttl_ms = (shared.config.token_ttl_secs as i64) * 1_000;
    let mut auth = lock(&shared.auth);
    // PayPal hands out the same token, with the time it has left, until it expires.
    let reusable = auth.current.as_ref().and_then(|current| {
        auth.tokens
            .get(current)
            .filter(|t| !t.revoked && t.expires_at_ms > now)
            .map(|t| (current.clone(), t.expires_at_ms))
    });
    let (access_token, expires_at) = match reusable {
        Some(found) => found,
        None => {
            let token = format!("A21AA{}", alnum(&mut *lock(&shared.rng), 92));
            auth.tokens.insert(
                token.clone(),
                AccessToken {
                    expires_at_ms: now + ttl_ms,
                    revoked: false,
                },
            );
            auth.current = Some(token.clone());
            (token, now + ttl_ms)
        }
    };
    drop(auth);
    let mut scopes: Vec<&str> = SCOPES.to_vec();
    if shared.search_enabled() {
        scopes.push(SEARCH_SCOPE);
    }
    let nonce = format!("{}{}", rfc3339(now), alnum(&mut *lock(&shared.rng), 43));
    json_response(
        StatusCode::OK,
        &json!({
            "scope": scopes.join(" "),
            "access_token": access_token,
            "token_type": "Bearer",
            "app_id": shared.config.app_id,
            "expires_in": ((expires_at - now) / 1_000).max(0),
            "nonce": nonce,
        }),
        &shared.debug_id(),
    )
}
