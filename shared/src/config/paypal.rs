//! PayPal's settings that several functions read (sync, api, ingest).

use crate::config::{ConfigError, Env};
use url::Url;

/// One host for every PayPal connection, instead of PayPal's sandbox and live hosts: a simulator's,
/// in tests. Empty: each connection talks to its environment's PayPal host.
pub const PAYPAL_API_BASE_URL: &str = "PAYPAL_API_BASE_URL";

/// The override of PayPal's hosts, when set.
pub fn api_base_url<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<Option<Url>, ConfigError> {
    match env.optional(PAYPAL_API_BASE_URL) {
        Some(_) => env.url(PAYPAL_API_BASE_URL, None).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::env;

    #[test]
    fn the_host_override_is_optional_and_must_be_http() {
        assert_eq!(api_base_url(&env(&[])).unwrap(), None);
        assert_eq!(
            api_base_url(&env(&[(PAYPAL_API_BASE_URL, "http://127.0.0.1:9")]))
                .unwrap()
                .map(|u| u.to_string()),
            Some("http://127.0.0.1:9/".to_string())
        );
        assert!(api_base_url(&env(&[(PAYPAL_API_BASE_URL, "ftp://x")])).is_err());
    }
}
