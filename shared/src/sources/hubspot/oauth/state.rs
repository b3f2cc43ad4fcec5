//! The install's `state`: a single-use random nonce, signed with the app's client secret so the
//! callback can tell a link we issued from one made up elsewhere.

use crate::sources::hubspot::oauth::OAuthApp;
use base64::Engine;
use chrono::Duration;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

/// How long an install link stays valid.
pub const OAUTH_STATE_LIFETIME: Duration = Duration::minutes(10);

type HmacSha256 = Hmac<Sha256>;

impl OAuthApp {
    /// A fresh random nonce for the state (store it with `WebhookStore::put_oauth_state`).
    pub fn new_nonce() -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }

    /// `nonce.signature`, the signature an HMAC-SHA256 of the nonce keyed by the client secret.
    pub fn sign_state(&self, nonce: &str) -> String {
        let signature = self.state_mac(nonce).finalize().into_bytes();
        format!(
            "{nonce}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature)
        )
    }

    /// The nonce of a state this app signed; `None` for anything else (compared in constant time).
    pub fn verify_state<'a>(&self, state: &'a str) -> Option<&'a str> {
        let (nonce, signature) = state.rsplit_once('.')?;
        if nonce.is_empty() {
            return None;
        }
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .ok()?;
        self.state_mac(nonce)
            .verify_slice(&signature)
            .ok()
            .map(|()| nonce)
    }

    fn state_mac(&self, nonce: &str) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(self.client_secret.expose_secret().as_bytes())
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(nonce.as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use crate::sources::hubspot::oauth::app::tests::app;
    use crate::sources::hubspot::oauth::OAuthApp;
    use secrecy::SecretString;

    #[test]
    fn a_signed_state_verifies_and_a_tampered_one_does_not() {
        let app = app();
        let state = app.sign_state("nonce123");
        assert_eq!(app.verify_state(&state), Some("nonce123"));
        assert_eq!(
            app.verify_state(&state.replace("nonce123", "nonce124")),
            None
        );
        assert_eq!(app.verify_state("nonce123"), None);
        assert_eq!(app.verify_state("nonce123.AAAA"), None);
        let other = OAuthApp {
            client_secret: SecretString::from("other".to_owned()),
            ..app.clone()
        };
        assert_eq!(other.verify_state(&state), None);
    }
}
