//! Adding a customer tenant: the admin-consent URL a customer's admin opens, and the callback the
//! identity platform redirects back to (auth-v2-service.md: `GET /{tenant}/adminconsent?client_id&
//! redirect_uri&state` answers `admin_consent=True&tenant={guid}&state`, or `error` and
//! `error_description`). Pure: the API route that offers "add a customer tenant" wires them.

use crate::sources::m365::client::LOGIN_BASE;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConsentError {
    #[error("the login host {0:?} is not an absolute URL")]
    BadLoginBase(String),
    #[error("the redirect URI {0:?} is not an absolute https URL (http only for localhost)")]
    BadRedirectUri(String),
    #[error("{0} is empty")]
    Missing(&'static str),
    #[error("the consent callback names no valid tenant id: {0:?}")]
    BadTenant(String),
    #[error("the consent callback carries neither admin_consent=True nor an error")]
    Unrecognised,
}

/// What the identity platform sent back to the redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentCallback {
    /// The admin consented for `tenant_id` (a GUID, lower case). The caller must compare `state`
    /// with the one it issued before trusting the rest.
    Granted { tenant_id: String, state: String },
    /// The admin declined, or consent failed.
    Refused {
        error: String,
        description: Option<String>,
        state: Option<String>,
    },
}

/// `https://login.microsoftonline.com/{tenant|organizations}/adminconsent?client_id&redirect_uri&state`.
/// `tenant` is the customer's tenant id or domain when known (else any work account's admin may
/// consent: `organizations`); `login_base` overrides the host (a simulator), no trailing slash.
pub fn admin_consent_url(
    login_base: Option<&str>,
    tenant: Option<&str>,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
) -> Result<String, ConsentError> {
    let base = login_base.unwrap_or(LOGIN_BASE).trim_end_matches('/');
    if client_id.trim().is_empty() {
        return Err(ConsentError::Missing("client_id"));
    }
    if state.is_empty() {
        return Err(ConsentError::Missing("state"));
    }
    let redirect = url::Url::parse(redirect_uri)
        .map_err(|_| ConsentError::BadRedirectUri(redirect_uri.to_owned()))?;
    let local = matches!(redirect.host_str(), Some("localhost" | "127.0.0.1"));
    if redirect.scheme() != "https" && !(redirect.scheme() == "http" && local) {
        return Err(ConsentError::BadRedirectUri(redirect_uri.to_owned()));
    }
    let tenant = tenant
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or("organizations");
    let mut url = url::Url::parse(&format!("{base}/"))
        .map_err(|_| ConsentError::BadLoginBase(base.to_owned()))?;
    url.path_segments_mut()
        .map_err(|_| ConsentError::BadLoginBase(base.to_owned()))?
        .pop_if_empty()
        .push(tenant)
        .push("adminconsent");
    url.query_pairs_mut()
        .append_pair("client_id", client_id.trim())
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state);
    Ok(url.into())
}

/// Reads the callback's query string (with or without a leading `?`).
pub fn parse_consent_callback(query: &str) -> Result<ConsentCallback, ConsentError> {
    let query = query.trim_start_matches('?');
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    if let Some(error) = get("error") {
        return Ok(ConsentCallback::Refused {
            error,
            description: get("error_description"),
            state: get("state"),
        });
    }
    let granted = get("admin_consent").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !granted {
        return Err(ConsentError::Unrecognised);
    }
    let tenant = get("tenant").unwrap_or_default();
    let tenant_id = uuid::Uuid::parse_str(&tenant)
        .map_err(|_| ConsentError::BadTenant(tenant.clone()))?
        .hyphenated()
        .to_string();
    let state = get("state").ok_or(ConsentError::Missing("state"))?;
    Ok(ConsentCallback::Granted { tenant_id, state })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_consent_url_for_any_organisation_or_one_tenant_on_an_overridable_host() {
        let url = admin_consent_url(
            None,
            None,
            "app-id",
            "https://app.example.com/m365/consent",
            "s t",
        );
        assert_eq!(
            url.as_deref(),
            Ok("https://login.microsoftonline.com/organizations/adminconsent?client_id=app-id&redirect_uri=https%3A%2F%2Fapp.example.com%2Fm365%2Fconsent&state=s+t")
        );
        let url = admin_consent_url(
            Some("http://127.0.0.1:9000/"),
            Some("contoso.onmicrosoft.com"),
            "app-id",
            "http://localhost:3000/cb",
            "x",
        )
        .unwrap_or_default();
        assert!(url.starts_with("http://127.0.0.1:9000/contoso.onmicrosoft.com/adminconsent?"));
        assert_eq!(
            admin_consent_url(None, None, "app", "http://evil.example/cb", "x"),
            Err(ConsentError::BadRedirectUri(
                "http://evil.example/cb".into()
            ))
        );
        assert_eq!(
            admin_consent_url(None, None, " ", "https://a.example/cb", "x"),
            Err(ConsentError::Missing("client_id"))
        );
    }

    #[test]
    fn reads_a_granted_and_a_refused_callback_and_refuses_a_bad_tenant() {
        assert_eq!(
            parse_consent_callback(
                "?admin_consent=True&tenant=A1B2C3D4-0000-4000-8000-0000000000AB&state=abc"
            ),
            Ok(ConsentCallback::Granted {
                tenant_id: "a1b2c3d4-0000-4000-8000-0000000000ab".into(),
                state: "abc".into()
            })
        );
        assert_eq!(
            parse_consent_callback(
                "error=access_denied&error_description=The+admin+canceled&state=abc"
            ),
            Ok(ConsentCallback::Refused {
                error: "access_denied".into(),
                description: Some("The admin canceled".into()),
                state: Some("abc".into())
            })
        );
        assert_eq!(
            parse_consent_callback("admin_consent=True&tenant=../etc&state=abc"),
            Err(ConsentError::BadTenant("../etc".into()))
        );
        assert_eq!(
            parse_consent_callback(
                "admin_consent=True&tenant=a1b2c3d4-0000-4000-8000-0000000000ab"
            ),
            Err(ConsentError::Missing("state"))
        );
        assert_eq!(
            parse_consent_callback("foo=bar"),
            Err(ConsentError::Unrecognised)
        );
    }
}
