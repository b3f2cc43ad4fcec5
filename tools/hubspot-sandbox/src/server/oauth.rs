//! OAuth: the consent page (approving at once), the token endpoint, and token info.

use super::*;

pub(super) fn oauth_error(status: &str, error: &str, message: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({
            "status": status,
            "message": message,
            "correlationId": correlation_id(),
            "error": error,
            "error_description": message,
        }),
    )
}

pub(super) async fn authorize(State(shared): AppState, RawQuery(raw): RawQuery) -> Response {
    shared.count("GET /oauth/authorize".to_owned(), false);
    let pairs: HashMap<String, String> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    if pairs.get("client_id") != Some(&shared.config.client_id) {
        return oauth_error(
            "BAD_CLIENT_ID",
            "invalid_client",
            "The client_id is unknown",
        );
    }
    let Some(redirect_uri) = pairs.get("redirect_uri") else {
        return oauth_error(
            "BAD_REDIRECT_URI",
            "invalid_request",
            "redirect_uri is required",
        );
    };
    let Ok(mut target) = url::Url::parse(redirect_uri) else {
        return oauth_error(
            "BAD_REDIRECT_URI",
            "invalid_request",
            "redirect_uri is not a valid URL",
        );
    };
    let code = new_code(&shared, Some(redirect_uri.clone()));
    {
        let mut query = target.query_pairs_mut();
        query.append_pair("code", &code);
        if let Some(state) = pairs.get("state") {
            query.append_pair("state", state);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

pub(crate) fn new_code(shared: &Shared, redirect_uri: Option<String>) -> String {
    let code = format!("sbx-code-{}", uuid::Uuid::new_v4().simple());
    lock(&shared.auth)
        .codes
        .insert(code.clone(), AuthCode { redirect_uri });
    code
}

/// Issues a fresh access token, and a refresh token unless one is being reused.
pub(crate) fn new_tokens(shared: &Shared, refresh_token: Option<String>) -> crate::OAuthTokens {
    let access_token = format!("sbx-at-na1-{}", uuid::Uuid::new_v4().simple());
    let refresh_token = refresh_token
        .unwrap_or_else(|| format!("na1-sbx-{}", uuid::Uuid::new_v4().as_hyphenated()));
    let ttl = shared.config.access_token_ttl_secs;
    let mut auth = lock(&shared.auth);
    let write_scopes = !auth.write_scopes_refused;
    auth.access.insert(
        access_token.clone(),
        AccessToken {
            expires_at_ms: now_ms() + (ttl as i64) * 1000,
            force_expired: false,
            revoked: false,
            write_scopes,
        },
    );
    auth.refresh
        .entry(refresh_token.clone())
        .or_insert(RefreshToken { dead: false });
    crate::OAuthTokens {
        access_token,
        refresh_token,
        expires_in: ttl,
    }
}

pub(super) async fn token(State(shared): AppState, body: Bytes) -> Response {
    shared.count("POST /oauth/v1/token".to_owned(), false);
    let Ok(form) = serde_urlencoded::from_bytes::<HashMap<String, String>>(&body) else {
        return oauth_error(
            "BAD_REQUEST",
            "invalid_request",
            "The body must be form-encoded",
        );
    };
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("client_id") != shared.config.client_id {
        return oauth_error(
            "BAD_CLIENT_ID",
            "invalid_client",
            "missing or invalid client_id",
        );
    }
    if field("client_secret") != shared.config.client_secret {
        return oauth_error(
            "BAD_CLIENT_SECRET",
            "invalid_client",
            "missing or invalid client_secret",
        );
    }
    let tokens = match field("grant_type") {
        "authorization_code" => {
            let code = lock(&shared.auth).codes.remove(field("code"));
            match code {
                None => {
                    return oauth_error(
                        "BAD_AUTH_CODE",
                        "invalid_grant",
                        "missing or unknown auth code",
                    )
                }
                Some(AuthCode {
                    redirect_uri: Some(expected),
                }) if expected != field("redirect_uri") => {
                    return oauth_error(
                        "BAD_REDIRECT_URI",
                        "invalid_grant",
                        "redirect_uri does not match the one used to authorize",
                    )
                }
                Some(_) => new_tokens(&shared, None),
            }
        }
        "refresh_token" => {
            let refresh_token = field("refresh_token").to_owned();
            let alive = lock(&shared.auth)
                .refresh
                .get(&refresh_token)
                .is_some_and(|r| !r.dead);
            if !alive {
                return oauth_error(
                    "BAD_REFRESH_TOKEN",
                    "invalid_grant",
                    "missing or invalid refresh token",
                );
            }
            new_tokens(&shared, Some(refresh_token))
        }
        other => {
            return oauth_error(
                "BAD_GRANT_TYPE",
                "unsupported_grant_type",
                &format!("unsupported grant_type {other:?}"),
            )
        }
    };
    json_response(
        StatusCode::OK,
        &json!({
            "token_type": "bearer",
            "refresh_token": tokens.refresh_token,
            "access_token": tokens.access_token,
            "expires_in": tokens.expires_in,
        }),
    )
}

pub(super) async fn access_token_info(
    State(shared): AppState,
    Path(token): Path<String>,
) -> Response {
    shared.count("GET /oauth/v1/access-tokens/{token}".to_owned(), false);
    let found = {
        let auth = lock(&shared.auth);
        auth.access.get(&token).filter(|t| !t.revoked).map(|t| {
            let expires_at = if t.force_expired { 0 } else { t.expires_at_ms };
            (expires_at, t.write_scopes)
        })
    };
    let Some((expires_at, write_scopes)) = found else {
        return error_response(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "The access token was not found",
        );
    };
    let expires_in = (expires_at - now_ms()) / 1000;
    if expires_in <= 0 {
        return error_response(
            StatusCode::UNAUTHORIZED,
            "EXPIRED_AUTHENTICATION",
            "The OAuth token used to make this call expired.",
        );
    }
    json_response(
        StatusCode::OK,
        &json!({
            "token": token,
            "user": "sandbox.user@example.com",
            "hub_domain": format!("sandbox-{}.hubspot.com", shared.config.portal_id),
            "scopes": granted_scopes(write_scopes),
            "hub_id": shared.config.portal_id,
            "app_id": shared.config.app_id,
            "expires_in": expires_in,
            "user_id": 7_654_321,
            "token_type": "access",
        }),
    )
}

pub(super) async fn refresh_token_info(
    State(shared): AppState,
    Path(token): Path<String>,
) -> Response {
    shared.count("GET /oauth/v1/refresh-tokens/{token}".to_owned(), false);
    let alive = lock(&shared.auth)
        .refresh
        .get(&token)
        .is_some_and(|r| !r.dead);
    if !alive {
        return error_response(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "The refresh token was not found",
        );
    }
    json_response(
        StatusCode::OK,
        &json!({
            "token": token,
            "user": "sandbox.user@example.com",
            "hub_domain": format!("sandbox-{}.hubspot.com", shared.config.portal_id),
            "scopes": SCOPES,
            "hub_id": shared.config.portal_id,
            "client_id": shared.config.client_id,
            "user_id": 7_654_321,
            "token_type": "refresh",
        }),
    )
}
