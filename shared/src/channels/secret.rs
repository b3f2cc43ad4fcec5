//! A channel's secret: where its messages go (the URL is the credential for Slack, Teams and most
//! webhooks) and, for signed webhooks, the signing key. One Secrets Manager secret per channel,
//! under the tenant's secret prefix, holding `{"url": ..., "signing_secret": "whsec_..."}`.

use crate::domain::{AlertChannelId, ChannelKind, TenantId};
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use url::{Host, Url};

/// The prefix the Standard Webhooks specification gives signing secrets.
pub const SIGNING_SECRET_PREFIX: &str = "whsec_";
/// Bytes of a new webhook signing key (the specification asks for 24 to 64).
pub const SIGNING_KEY_BYTES: usize = 32;
/// The only host a Slack incoming webhook lives on.
pub const SLACK_WEBHOOK_HOST: &str = "hooks.slack.com";

/// Where a channel's secret is kept: under the tenant's own secret prefix (the one the tenant's
/// connections use, `{prefix}{tenant}/...`), so the roles that may touch a tenant's secrets reach
/// these too, and nothing else.
pub fn channel_secret_id(
    prefix: &str,
    tenant_id: &TenantId,
    channel_id: &AlertChannelId,
) -> String {
    format!("{prefix}{tenant_id}/alert-channels/{channel_id}")
}

/// Why a URL cannot be a channel's destination. Never holds the URL itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelUrlError {
    #[error("the channel URL is not a valid absolute URL")]
    Invalid,
    #[error("the channel URL must use https")]
    NotHttps,
    #[error("the channel URL must not contain a user name or password")]
    HasCredentials,
    #[error("a Slack channel URL must be an incoming webhook on hooks.slack.com")]
    NotSlack,
    #[error("the channel URL must not point at a private or local address")]
    PrivateAddress,
    #[error("email channels have recipients, not a URL")]
    NoUrlForEmail,
}

/// Why a stored channel secret cannot be used. Never holds the secret's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelSecretError {
    #[error("the channel secret is not the expected JSON")]
    Malformed,
    #[error("the channel secret holds an unusable URL: {0}")]
    Url(ChannelUrlError),
    #[error("the webhook channel secret has no usable signing secret")]
    SigningSecret,
}

/// Which URLs a channel may use. Deployed code uses the default (https only); tests and the local
/// runner allow plain http to 127.0.0.1 and localhost, where their receivers listen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UrlPolicy {
    pub allow_insecure_local: bool,
}

impl UrlPolicy {
    /// The policy a function's configuration asks for: plain http on this machine or not.
    pub fn allowing_local_http(allow: bool) -> UrlPolicy {
        UrlPolicy {
            allow_insecure_local: allow,
        }
    }

    pub const LOCAL: UrlPolicy = UrlPolicy {
        allow_insecure_local: true,
    };
}

/// The URL (and a webhook's signing secret) of one channel. `Debug` prints neither.
#[derive(Debug, Clone)]
pub struct ChannelSecret {
    url: SecretString,
    signing_secret: Option<SecretString>,
}

#[derive(Serialize, Deserialize)]
struct StoredSecret {
    url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signing_secret: Option<String>,
}

impl ChannelSecret {
    /// The secret of a channel people are adding: checks `url` for `kind` under `policy`, and gives
    /// a webhook a new random signing secret.
    pub fn for_new_channel(
        kind: ChannelKind,
        url: &str,
        policy: UrlPolicy,
    ) -> Result<ChannelSecret, ChannelUrlError> {
        check_url(kind, url, policy)?;
        let signing_secret = match kind {
            ChannelKind::Webhook => Some(new_signing_secret()),
            _ => None,
        };
        Ok(ChannelSecret {
            url: SecretString::from(url.trim().to_string()),
            signing_secret,
        })
    }

    /// Reads a stored secret of a `kind` channel, checking it as strictly as a new one (a secret
    /// edited by hand cannot send to an address a new channel could not).
    pub fn parse(
        kind: ChannelKind,
        value: &SecretString,
        policy: UrlPolicy,
    ) -> Result<ChannelSecret, ChannelSecretError> {
        let stored: StoredSecret = serde_json::from_str(value.expose_secret())
            .map_err(|_| ChannelSecretError::Malformed)?;
        check_url(kind, &stored.url, policy).map_err(ChannelSecretError::Url)?;
        let signing_secret = match kind {
            ChannelKind::Webhook => {
                let secret = stored
                    .signing_secret
                    .ok_or(ChannelSecretError::SigningSecret)?;
                signing_key(&secret).ok_or(ChannelSecretError::SigningSecret)?;
                Some(SecretString::from(secret))
            }
            _ => None,
        };
        Ok(ChannelSecret {
            url: SecretString::from(stored.url),
            signing_secret,
        })
    }

    /// The JSON kept in Secrets Manager.
    pub fn to_stored(&self) -> SecretString {
        let stored = StoredSecret {
            url: self.url.expose_secret().to_string(),
            signing_secret: self
                .signing_secret
                .as_ref()
                .map(|s| s.expose_secret().to_string()),
        };
        // Two strings always serialise.
        SecretString::from(serde_json::to_string(&stored).unwrap_or_default())
    }

    pub fn url(&self) -> &SecretString {
        &self.url
    }

    /// `whsec_...`, webhooks only: shown once to whoever adds the channel so their endpoint can verify.
    pub fn signing_secret(&self) -> Option<&SecretString> {
        self.signing_secret.as_ref()
    }

    /// The HMAC key the signing secret stands for.
    pub(crate) fn signing_key(&self) -> Option<Vec<u8>> {
        self.signing_secret
            .as_ref()
            .and_then(|s| signing_key(s.expose_secret()))
    }

    /// What `AlertChannel.display` shows of this channel.
    pub fn display_hint(&self) -> String {
        display_hint(self.url.expose_secret())
    }
}

fn new_signing_secret() -> SecretString {
    let mut key = [0u8; SIGNING_KEY_BYTES];
    rand::rng().fill_bytes(&mut key);
    let encoded = base64::engine::general_purpose::STANDARD.encode(key);
    SecretString::from(format!("{SIGNING_SECRET_PREFIX}{encoded}"))
}

/// The key bytes of a `whsec_<base64>` secret.
fn signing_key(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.strip_prefix(SIGNING_SECRET_PREFIX)?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    (!key.is_empty()).then_some(key)
}

/// Checks that `url` may receive `kind` alerts under `policy`.
pub fn check_url(kind: ChannelKind, url: &str, policy: UrlPolicy) -> Result<(), ChannelUrlError> {
    if kind == ChannelKind::Email {
        return Err(ChannelUrlError::NoUrlForEmail);
    }
    let parsed = Url::parse(url.trim()).map_err(|_| ChannelUrlError::Invalid)?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ChannelUrlError::HasCredentials);
    }
    let host = parsed.host().ok_or(ChannelUrlError::Invalid)?;
    let local = is_loopback(&host);
    match parsed.scheme() {
        "https" => {}
        "http" if policy.allow_insecure_local && local => {}
        _ => return Err(ChannelUrlError::NotHttps),
    }
    if local {
        // Only tests and the local runner send to this machine.
        return if policy.allow_insecure_local {
            Ok(())
        } else {
            Err(ChannelUrlError::PrivateAddress)
        };
    }
    if let Some(ip) = ip_of(&host) {
        if is_private(ip) {
            return Err(ChannelUrlError::PrivateAddress);
        }
    }
    if kind == ChannelKind::Slack
        && !matches!(&host, Host::Domain(domain) if domain.eq_ignore_ascii_case(SLACK_WEBHOOK_HOST))
    {
        return Err(ChannelUrlError::NotSlack);
    }
    Ok(())
}

fn ip_of(host: &Host<&str>) -> Option<IpAddr> {
    match host {
        Host::Ipv4(ip) => Some(IpAddr::V4(*ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(*ip)),
        Host::Domain(_) => None,
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(domain) => domain.eq_ignore_ascii_case("localhost"),
        _ => ip_of(host).is_some_and(|ip| ip.is_loopback()),
    }
}

/// Addresses inside a network (including the instance metadata service at 169.254.169.254), which
/// a tenant's channel must not reach from the product's functions.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                // 100.64.0.0/10, carrier-grade NAT.
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xC0) == 64)
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                // fc00::/7 unique local, fe80::/10 link local.
                || (v6.segments()[0] & 0xFE00) == 0xFC00
                || (v6.segments()[0] & 0xFFC0) == 0xFE80
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// A hint of a destination people recognise without the secret: the host, "…", and the last 4
/// characters of the path (`hooks.slack.com/…x9Qa`); only the host when the path is too short for
/// 4 characters to be a small part of it.
pub fn display_hint(url: &str) -> String {
    let Ok(parsed) = Url::parse(url.trim()) else {
        return "…".to_string();
    };
    let host = parsed.host_str().unwrap_or_default();
    let path = parsed.path().trim_end_matches('/');
    let chars: Vec<char> = path.chars().collect();
    if chars.len() < 12 {
        return format!("{host}/…");
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{host}/…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLACK: &str = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXx9Qa";

    #[test]
    fn slack_urls_must_be_https_on_hooks_slack_com() {
        let strict = UrlPolicy::default();
        assert!(ChannelSecret::for_new_channel(ChannelKind::Slack, SLACK, strict).is_ok());
        let cases = [
            (
                "http://hooks.slack.com/services/T/B/x",
                ChannelUrlError::NotHttps,
            ),
            (
                "https://evil.example/services/T/B/x",
                ChannelUrlError::NotSlack,
            ),
            (
                "https://hooks.slack.com.evil.example/x",
                ChannelUrlError::NotSlack,
            ),
            (
                "https://u:p@hooks.slack.com/services/T/B/x",
                ChannelUrlError::HasCredentials,
            ),
            ("not a url", ChannelUrlError::Invalid),
            ("ftp://hooks.slack.com/x", ChannelUrlError::NotHttps),
        ];
        for (url, expected) in cases {
            let outcome = ChannelSecret::for_new_channel(ChannelKind::Slack, url, strict);
            assert_eq!(outcome.err(), Some(expected), "{url}");
        }
    }

    #[test]
    fn local_addresses_only_with_the_explicit_flag_and_never_private_ones() {
        let local = "http://127.0.0.1:8080/slack";
        let strict = UrlPolicy::default();
        assert_eq!(
            check_url(ChannelKind::Webhook, local, strict),
            Err(ChannelUrlError::NotHttps)
        );
        assert_eq!(
            check_url(ChannelKind::Webhook, "https://localhost/x", strict),
            Err(ChannelUrlError::PrivateAddress)
        );
        assert!(check_url(ChannelKind::Slack, local, UrlPolicy::LOCAL).is_ok());
        assert!(check_url(ChannelKind::Teams, "http://localhost:9/t", UrlPolicy::LOCAL).is_ok());
        for private in [
            "https://10.0.0.8/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00::1]/hook",
            "https://192.168.1.1/hook",
        ] {
            assert_eq!(
                check_url(ChannelKind::Webhook, private, UrlPolicy::LOCAL),
                Err(ChannelUrlError::PrivateAddress),
                "{private}"
            );
        }
        assert_eq!(
            check_url(ChannelKind::Email, SLACK, UrlPolicy::LOCAL),
            Err(ChannelUrlError::NoUrlForEmail)
        );
    }

    #[test]
    fn webhooks_get_a_fresh_32_byte_signing_secret_and_round_trip_through_storage() {
        let url = "https://example.com/hooks/connected-insights";
        let first = ChannelSecret::for_new_channel(ChannelKind::Webhook, url, UrlPolicy::default())
            .unwrap();
        let second =
            ChannelSecret::for_new_channel(ChannelKind::Webhook, url, UrlPolicy::default())
                .unwrap();
        let key = first.signing_key().unwrap();
        assert_eq!(key.len(), SIGNING_KEY_BYTES);
        assert_ne!(key, second.signing_key().unwrap());
        assert!(first
            .signing_secret()
            .unwrap()
            .expose_secret()
            .starts_with("whsec_"));
        let read = ChannelSecret::parse(
            ChannelKind::Webhook,
            &first.to_stored(),
            UrlPolicy::default(),
        )
        .unwrap();
        assert_eq!(read.url().expose_secret(), url);
        assert_eq!(read.signing_key(), Some(key));
        let slack = ChannelSecret::for_new_channel(ChannelKind::Slack, SLACK, UrlPolicy::default())
            .unwrap();
        assert!(slack.signing_secret().is_none());
    }

    #[test]
    fn unusable_stored_secrets_are_named_without_their_value() {
        let strict = UrlPolicy::default();
        let parse = |kind, json: &str| {
            ChannelSecret::parse(kind, &SecretString::from(json.to_string()), strict)
        };
        assert_eq!(
            parse(ChannelKind::Slack, "{").err(),
            Some(ChannelSecretError::Malformed)
        );
        assert_eq!(
            parse(ChannelKind::Webhook, r#"{"url":"https://example.com/h"}"#).err(),
            Some(ChannelSecretError::SigningSecret)
        );
        assert_eq!(
            parse(
                ChannelKind::Webhook,
                r#"{"url":"https://example.com/h","signing_secret":"whsec_!!"}"#
            )
            .err(),
            Some(ChannelSecretError::SigningSecret)
        );
        let error = parse(
            ChannelKind::Slack,
            r#"{"url":"http://hooks.slack.com/services/T/B/SECRETPART"}"#,
        )
        .err()
        .unwrap();
        assert!(!error.to_string().contains("SECRETPART"), "{error}");
    }

    #[test]
    fn debug_never_prints_the_url_or_signing_secret() {
        let secret = ChannelSecret::for_new_channel(
            ChannelKind::Webhook,
            "https://example.com/hooks/MARKER-1234",
            UrlPolicy::default(),
        )
        .unwrap();
        let printed = format!("{secret:?}");
        assert!(!printed.contains("MARKER"), "{printed}");
        assert!(!printed.contains("whsec_"), "{printed}");
    }

    #[test]
    fn the_display_hint_shows_the_host_and_only_the_end_of_the_path() {
        assert_eq!(display_hint(SLACK), "hooks.slack.com/…x9Qa");
        assert_eq!(display_hint("https://example.com/abc"), "example.com/…");
        assert_eq!(display_hint("garbage"), "…");
    }

    #[test]
    fn channel_secrets_live_under_the_tenant_prefix() {
        let tenant = TenantId::parse("acme").unwrap();
        let channel = AlertChannelId::parse("ch-1").unwrap();
        assert_eq!(
            channel_secret_id("connected-insights/tenants/", &tenant, &channel),
            "connected-insights/tenants/acme/alert-channels/ch-1"
        );
    }
}
